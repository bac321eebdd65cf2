"""Gradient checking: numerical gradients and a relative error to judge them (lecture 01).

Backpropagation code is easy to get almost right. The standard check compares its gradient
with centered differences, which need nothing but the function itself::

    num = numerical_gradient(lambda W: loss(W, X, y), W)
    print(f"relative error: {rel_error(num, analytic_dW):.1e}")   # expect about 1e-8 or less

Public names:
    numerical_gradient: centered-difference gradient of a scalar function of an ndarray.
    rel_error: a scale-aware relative error between two arrays.
    format_bound: an error as the bound it meets ("< 1e-12 ✓"), the same text on every CPU.

PyTorch counterpart: ``torch.autograd.gradcheck`` runs the same comparison for a function
of tensors.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib._validation import as_float_array, check_finite, check_float_ndarray, check_range


def _real_scalar(value: Any) -> float:
    """Return ``value`` as a float if it is a real scalar; otherwise raise ``TypeError``."""
    is_array_scalar = isinstance(value, np.ndarray) and value.shape == ()
    if is_array_scalar and np.issubdtype(value.dtype, np.number):
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
        raise TypeError(f"f must return a real scalar, got {type(value).__name__}{shape}")
    return float(value)


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centered-difference gradient of a scalar function.

    Args:
        f: callable taking an ndarray shaped like ``x`` and returning a real scalar (a float,
            a NumPy scalar or a 0-d array).
        x: float ndarray, any shape. Perturbed in place one entry at a time and restored
            bit for bit, also when ``f`` raises.
        h: step size > 0.

    Returns:
        float64 ndarray shaped like ``x``: (f(x + h e_i) - f(x - h e_i)) / 2h for every
        entry i. The error is O(h^2) for smooth ``f``; rounding limits how small ``h`` helps.

    Introduced in lecture 01 (backprop).
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    check_float_ndarray(x, "x")
    if not x.flags.writeable:
        raise ValueError("x is read-only, but numerical_gradient perturbs it in place")
    check_finite(x, "x")
    h = check_range(h, "h", low=0.0, low_inclusive=False)

    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + h
            f_plus = _real_scalar(f(x))
            x[index] = original - h
            f_minus = _real_scalar(f(x))
        finally:
            # Assign the saved value back: "x += h; x -= h" would not round-trip exactly.
            x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def _to_array(value: Any, name: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor; torch itself is not needed here
        value = value.detach().cpu()
    return as_float_array(value, name)


def rel_error(a: Any, b: Any) -> float:
    """Relative error max|a - b| / max(1e-8, max(|a| + |b|)) between two arrays.

    Both maxima run over all entries: the largest absolute difference is divided by the
    largest |a_i| + |b_i|. This global form measures errors against the scale of the whole
    gradient, so a tiny entry (say 1e-12 against 2e-12) cannot dominate the result the way it
    does in CS231n's elementwise variant max_i(|a_i - b_i| / max(1e-8, |a_i| + |b_i|)), which
    is stricter on near-zero entries. The floor 1e-8 avoids dividing by zero when both
    arrays vanish. Typical values in float64: below 1e-7 is a correct gradient; above 1e-3
    is almost certainly a bug.

    Args:
        a: array-like of any shape: an ndarray, a list, a scalar or a torch tensor.
        b: array-like of the same shape as ``a``.

    Returns:
        The relative error as a float in [0, 1] (0.0 for empty arrays).

    Introduced in lecture 01 (backprop).
    """
    a = _to_array(a, "a")
    b = _to_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}: expected equal shapes")
    if a.size == 0:
        return 0.0
    difference = np.max(np.abs(a - b))
    scale = np.max(np.abs(a) + np.abs(b))
    return float(difference / max(1e-8, scale))


def format_bound(error: float, bound: float) -> str:
    """The check ``error < bound`` as text that does not depend on the machine.

    An error at rounding level (2.1e-16 on one CPU, 1.1e-16 on another, 0.0 on a third) says
    nothing beyond "below the bound", so a notebook prints the bound it meets instead of its
    last bits, and keeps ``assert error < bound`` so that a regression still fails::

        print(f"max error vs torch: {format_bound(err, 1e-12)}")   # max error vs torch: < 1e-12 ✓
        assert err < 1e-12

    Args:
        error: a real number >= 0 (or NaN), e.g. a ``rel_error`` or a max absolute difference.
        bound: the bound, a real number > 0, printed with one significant digit.

    Returns:
        ``"< 1e-12 ✓"`` if ``error < bound``; otherwise the error itself and the bound it
        misses, e.g. ``"3.2e-09 ✗ (not < 1e-12)"`` (also for NaN).

    Introduced in lecture 01 (backprop).
    """
    bound = check_range(bound, "bound", low=0.0, low_inclusive=False)
    if isinstance(error, (bool, np.bool_)) or not isinstance(error, numbers.Real):
        raise TypeError(f"error must be a real number, got {type(error).__name__}")
    error = float(error)
    if error < 0:
        raise ValueError(f"error must be >= 0, got {error}")
    if error < bound:
        return f"< {bound:.0e} ✓"
    return f"{error:.1e} ✗ (not < {bound:.0e})"
