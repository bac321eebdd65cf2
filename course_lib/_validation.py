"""Argument checks shared by the public functions of ``course_lib``.

Every message names the argument and says what was expected, so a student who passes a
wrong shape or a NaN reads what to fix instead of a NumPy traceback.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def as_float_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Convert ``x`` to a float64 ndarray, checking dimensionality and finiteness.

    Args:
        x: array-like of real numbers (an ndarray, a list, a scalar).
        name: the argument's name, used in error messages.
        ndim: required number of dimensions, or a tuple of allowed ones.
        finite: reject NaN and infinity when True.

    Returns:
        float64 ndarray (a copy only when a conversion was needed).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if finite:
        check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds a NaN or an infinity."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")


def check_float_ndarray(x: Any, name: str) -> np.ndarray:
    """Require a floating-point ndarray (not a list: it will be updated in place)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy ndarray, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype, got {x.dtype}")
    return x


def check_shape(arr: np.ndarray, shape: tuple[int, ...], name: str, why: str = "") -> None:
    """Raise ``ValueError`` unless ``arr.shape == shape``; ``why`` is appended to the message."""
    if arr.shape != tuple(shape):
        suffix = f" {why}" if why else ""
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}{suffix}")


def check_real(value: Any, name: str) -> float:
    """Require a finite real number (bool is rejected) and return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_range(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Require a real number inside an interval and return it as a float.

    Example: ``check_range(momentum, "momentum", low=0.0, high=1.0, high_inclusive=False)``
    accepts 0 <= momentum < 1.
    """
    value = check_real(value, name)
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        interval = f"{'[' if low_inclusive else '('}{left}, {right}{']' if high_inclusive else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value:g}")
    return value


def check_int(value: Any, name: str, *, low: int | None = None) -> int:
    """Require an integer (bool rejected), at least ``low`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def check_labels(
    labels: Any, num_classes: int, num_examples: int, name: str = "labels"
) -> np.ndarray:
    """Require integer class labels of shape (N,) with values in [0, num_classes)."""
    arr = np.asarray(labels)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    check_shape(arr, (num_examples,), name, "(one class index per example)")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(
            f"{name} must be in [0, {num_classes}), got values from {arr.min()} to {arr.max()}"
        )
    return arr
