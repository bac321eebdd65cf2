"""Digits from another hand: 8 x 8 images drawn from pen strokes, for tests that need labelled
digits no public data set holds (an instructor's own graded digits). Each class is a few
arcs and lines, randomly slanted, rotated, jittered and thickened, drawn on a 32 x 32 grid
and reduced like scikit-learn's digits (4 x 4 blocks counted, 0..16, divided by 16)."""

from __future__ import annotations

import itertools

import numpy as np


def _arc(cx, cy, rx, ry, start, stop, n=24):
    t = np.deg2rad(np.linspace(start, stop, n))
    return np.c_[cx + rx * np.cos(t), cy + ry * np.sin(t)]


def _line(*points, n=12):
    points = np.array(points, float)
    return np.vstack(
        [a + (b - a) * np.linspace(0, 1, n)[:, None] for a, b in itertools.pairwise(points)]
    )


def _strokes(digit: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The pen strokes of ``digit`` in the unit square (y grows downwards)."""
    j = lambda scale=0.06: rng.normal(0, scale)  # noqa: E731
    shapes = {
        0: lambda: [_arc(0.5, 0.5, 0.33 + j(0.04), 0.45 + j(0.03), 0, 360, 40)],
        1: lambda: [_line((0.5 + j(), 0.05), (0.5 + j(0.08), 0.95))],
        2: lambda: [np.vstack([_arc(0.5, 0.3, 0.32, 0.25, 200, 380),
                               _line((0.82, 0.35), (0.15 + j(), 0.95), (0.88 + j(), 0.95))])],
        3: lambda: [np.vstack([_arc(0.48, 0.27, 0.3, 0.22, 200, 450),
                               _arc(0.48, 0.72, 0.34, 0.25, 270, 520)])],
        4: lambda: [_line((0.6 + j(), 0.05), (0.12, 0.65 + j()), (0.9, 0.65)),
                    _line((0.68 + j(), 0.3), (0.68, 0.95))],
        5: lambda: [np.vstack([_line((0.85, 0.05), (0.25 + j(), 0.05), (0.2, 0.45)),
                               _arc(0.48, 0.68, 0.36, 0.27, 230, 500)])],
        6: lambda: [np.vstack([_arc(0.75, 0.55, 0.55, 0.5, 235, 175, 20),
                               _arc(0.5, 0.7, 0.3, 0.25, 180, 540, 30)])],
        7: lambda: [_line((0.12, 0.06), (0.88, 0.06), (0.4 + j(0.08), 0.95))],
        8: lambda: [_arc(0.5, 0.27, 0.26, 0.22, 0, 360, 30),
                    _arc(0.5, 0.72, 0.32, 0.25, 0, 360, 30)],
        9: lambda: [np.vstack([_arc(0.5, 0.3, 0.3, 0.25, 0, 360, 30),
                               _line((0.8, 0.3), (0.72 + j(), 0.95))])],
    }  # fmt: skip
    return shapes[digit]()


def _draw(digit: int, rng: np.random.Generator, size: int = 32) -> np.ndarray:
    angle, shear = np.deg2rad(rng.uniform(-12, 12)), rng.uniform(-0.35, 0.25)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    affine = rotate @ np.array([[1, shear], [0, 1]])
    strokes = [(s - 0.5) @ affine.T + rng.normal(0, 0.015, s.shape) for s in _strokes(digit, rng)]
    every = np.vstack(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    scale = (size - 4) / max(high - low)
    strokes = [(s - (low + high) / 2) * scale + size / 2 for s in strokes]
    pixels = np.stack(np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5), -1).reshape(-1, 2)
    distance = np.full(len(pixels), np.inf)
    for s in strokes:
        a, ab = s[:-1], s[1:] - s[:-1]
        t = ((pixels[:, None] - a) * ab).sum(-1) / ((ab**2).sum(-1) + 1e-12)
        nearest = a + t.clip(0, 1)[..., None] * ab
        distance = np.minimum(distance, np.linalg.norm(pixels[:, None] - nearest, axis=-1).min(1))
    ink = (distance <= rng.uniform(1.3, 2.6)).reshape(size, size)
    return ink.reshape(8, 4, 8, 4).sum(axis=(1, 3)).ravel() / 16


def stroke_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` drawn digits ``(X (n, 64) in [0, 1], y (n,))``, classes balanced, shuffled."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 10)
    return np.array([_draw(int(d), rng) for d in y]), y.astype(np.int64)
