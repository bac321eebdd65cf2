"""Warped handwritten digits: data the student has never seen, made from the public ones.

hw01's Q8 and hw07's competition are judged on digits no student can look up: rows of
scikit-learn's 8 x 8 digits (``course_lib.data.load_digits``), each moved by a small random
warp and noise drawn from a seed. The public seed makes the student's data; the grader's
come from the instructor's secret seed, so no graded image is a row of the public set.
"""

from __future__ import annotations

import functools

import numpy as np

from course_lib.data import load_digits

#: The warp: max rotation (degrees), max relative scale change, max shift (pixels), and the
#: standard deviation of the added noise (in grey levels of 0..16).
WARP = {"rotation": 12.0, "scale": 0.1, "shift": 0.8, "noise": 0.5}


def warp_digits(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row of ``X`` (N, 64), an 8 x 8 image with values in [0, 1], warped (N, 64).

    Every image gets its own random rotation (up to ``WARP["rotation"]`` degrees), scale
    change and shift, sampled bilinearly (zero outside the image), plus Gaussian noise,
    then is requantised to the 17 grey levels 0..16 and divided by 16 again.
    """
    X = np.asarray(X, dtype=float)
    n = len(X)
    angle = np.deg2rad(rng.uniform(-WARP["rotation"], WARP["rotation"], n))[:, None]
    scale = 1 + rng.uniform(-WARP["scale"], WARP["scale"], n)[:, None]
    shift = rng.uniform(-WARP["shift"], WARP["shift"], (n, 2))
    noise = rng.normal(0, WARP["noise"], (n, 64))
    r, c = (
        g.reshape(1, 64) - 3.5 for g in np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
    )
    cos, sin = np.cos(angle), np.sin(angle)
    # Where each output pixel reads the input, in the coordinates of the zero-padded image.
    rows = (cos * r - sin * c) / scale + 3.5 + shift[:, :1] + 1
    cols = (sin * r + cos * c) / scale + 3.5 + shift[:, 1:] + 1
    padded = np.pad(16 * X.reshape(n, 8, 8), ((0, 0), (1, 1), (1, 1)))
    r0, c0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
    fr, fc = rows - r0, cols - c0
    image_index = np.arange(n)[:, None]

    def at(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        inside = (i >= 0) & (i <= 9) & (j >= 0) & (j <= 9)
        return np.where(inside, padded[image_index, i.clip(0, 9), j.clip(0, 9)], 0.0)

    image = (
        at(r0, c0) * (1 - fr) * (1 - fc)
        + at(r0 + 1, c0) * fr * (1 - fc)
        + at(r0, c0 + 1) * (1 - fr) * fc
        + at(r0 + 1, c0 + 1) * fr * fc
    )
    return np.clip(np.round(image + noise), 0, 16) / 16 + 0.0


@functools.cache
def _loaded() -> tuple[np.ndarray, np.ndarray]:
    return load_digits()


def digits_copy() -> tuple[np.ndarray, np.ndarray]:
    """The course's public digits, ``X`` (N, 64) in [0, 1] and ``y`` (N,), as fresh copies
    (loaded once per process; a check may change its copy without touching the next one's)."""
    X, y = _loaded()
    return X.copy(), y.copy()
