"""Hidden grading data the student side never holds: hw07's graded digits.

:func:`cases` returns, for a question with hidden data, the whole list of cases the grader
runs instead of the public ones; None for every other question.

hw07 q3 is graded on digits made from the instructor's seed: every image of the public
training pool and of the 360 test rows (:func:`course_lib.homework.hw07.split_indices`) gets
a small random affine warp (rotation up to 12 degrees, scale within 10 %, shift up to 0.8
pixel, bilinear), Gaussian noise (0.5 of the 0..16 grey levels) and is requantised to the
integers 0..16 (then divided by 16, like ``course_lib.data.load_digits``); the test rows come
in a secret order. No graded image equals a row of scikit-learn's digits, so looking rows up
recovers no labels: a nearest-row lookup scores below an honest nearest-neighbour model
trained on the graded training split (``tests/test_grader_hidden.py``).
"""

from __future__ import annotations

import numpy as np

from course_lib.data import load_digits
from course_lib.homework.checking import Case

#: The warp: max rotation (degrees), max relative scale change, max shift (pixels), noise sd.
WARP = {"rotation": 12.0, "scale": 0.1, "shift": 0.8, "noise": 0.5}


def _bilinear(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``image`` (8, 8) sampled at fractional (rows, cols), zero outside."""
    padded = np.pad(image, 1)
    r, c = rows + 1, cols + 1
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    fr, fc = r - r0, c - c0
    limit = padded.shape[0] - 1

    def at(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        inside = (i >= 0) & (i <= limit) & (j >= 0) & (j <= limit)
        return np.where(inside, padded[i.clip(0, limit), j.clip(0, limit)], 0.0)

    return (
        at(r0, c0) * (1 - fr) * (1 - fc)
        + at(r0 + 1, c0) * fr * (1 - fc)
        + at(r0, c0 + 1) * (1 - fr) * fc
        + at(r0 + 1, c0 + 1) * fr * fc
    )


def warp_digits(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row of ``X`` (N, 64), values in [0, 1], warped, noised and requantised (N, 64)."""
    grid = np.stack(np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")).reshape(2, -1)
    center = np.array([[3.5], [3.5]])
    out = np.empty_like(X, dtype=float)
    for n, row in enumerate(np.asarray(X, dtype=float)):
        angle = np.deg2rad(rng.uniform(-WARP["rotation"], WARP["rotation"]))
        scale = 1 + rng.uniform(-WARP["scale"], WARP["scale"])
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        shift = rng.uniform(-WARP["shift"], WARP["shift"], size=(2, 1))
        source = rotation @ (grid - center) / scale + center + shift
        image = _bilinear(16 * row.reshape(8, 8), source[0], source[1])
        image = image + rng.normal(0, WARP["noise"], image.shape)
        out[n] = np.clip(np.round(image), 0, 16) / 16
    return out


def hw07_graded(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test) of hw07's graded split for the secret ``seed``."""
    X, y = load_digits()
    pool, test = hw07_indices()
    rng = np.random.default_rng(seed)
    test = test[rng.permutation(len(test))]
    return warp_digits(X[pool], rng), y[pool], warp_digits(X[test], rng), y[test]


def hw07_indices() -> tuple[np.ndarray, np.ndarray]:
    from course_lib.homework.hw07 import split_indices

    return split_indices()


def cases(assignment: str, key: str, seed: int) -> list[Case] | None:
    """The grader's cases for ``assignment``'s question ``key``, or None (no hidden data)."""
    if (assignment, key) != ("hw07", "q3"):
        return None
    X_train, y_train, X_test, y_test = hw07_graded(seed)
    names = ("X_train", "y_train", "X_test", "seed")
    label = f"{len(X_train)} training digits, {len(X_test)} graded test digits"
    return [Case(label, (X_train, y_train, X_test, 0), names, secret=y_test)]
