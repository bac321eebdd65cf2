"""Second derivatives: Hessians, critical points and their curvature (lecture 02).

At a critical point the gradient vanishes and the Hessian's eigenvalues decide what the
point is: all positive, a local minimum; all negative, a local maximum; both signs, a saddle
point. For large models the Hessian is never formed; Hessian-vector products (two backward
passes) and power iteration still give its largest eigenvalue.

Public names:
    hessian: the exact Hessian via torch.autograd, as a float64 ndarray.
    finite_difference_hessian: the same from central differences (a check on the above).
    classify_critical_point: "local minimum", "local maximum", "saddle point" or "degenerate".
    minimum_ratio: the fraction of positive eigenvalues.
    hessian_vector_product: H @ v by double backpropagation, without forming H.
    top_eigenvalue: power iteration with Hessian-vector products.

Functions ``f`` passed here take a 1-D ``torch.float64`` tensor of shape (n,) and return a
scalar tensor built from differentiable torch operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib._validation import as_float_array, check_int, check_real

ScalarFunction = Callable[[torch.Tensor], torch.Tensor]


def _check_point(f: Any, x: Any) -> np.ndarray:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    x = as_float_array(x, "x", ndim=1)
    if x.size == 0:
        raise ValueError("x must hold at least one coordinate, got shape (0,)")
    return x


def _scalar(y: Any) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.numel() != 1:
        shape = tuple(getattr(y, "shape", ()))
        raise ValueError(f"f must return a scalar tensor, got {type(y).__name__} of shape {shape}")
    return y.reshape(())


def _gradient_with_graph(f: ScalarFunction, x: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(x_tensor, grad)`` where ``grad`` (shape (n,)) can itself be differentiated."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = _scalar(f(xt))
    if not y.requires_grad:  # f is constant: every derivative is zero
        return xt, torch.zeros_like(xt)
    (grad,) = torch.autograd.grad(y, xt, create_graph=True, allow_unused=True)
    return xt, torch.zeros_like(xt) if grad is None else grad


def _second_backward(xt: torch.Tensor, grad: torch.Tensor, v: torch.Tensor) -> np.ndarray:
    """d(grad · v)/dx = H v. A gradient that does not depend on x (f linear) gives zeros."""
    if not grad.requires_grad:
        return np.zeros(xt.shape[0])
    (hv,) = torch.autograd.grad(grad, xt, grad_outputs=v, retain_graph=True, allow_unused=True)
    return np.zeros(xt.shape[0]) if hv is None else hv.detach().numpy().copy()


def hessian(f: ScalarFunction, x: Any) -> np.ndarray:
    """Exact Hessian of ``f`` at ``x`` by automatic differentiation, in float64.

    Args:
        f: function of a 1-D float64 tensor of shape (n,) returning a scalar tensor.
        x: the point, array-like of shape (n,).

    Returns:
        ndarray of shape (n, n) with entries d²f / dx_i dx_j.

    PyTorch counterpart: ``torch.autograd.functional.hessian`` (used here, with
    ``vectorize=True`` when ``f`` allows it).
    """
    x = _check_point(f, x)
    xt = torch.tensor(x, dtype=torch.float64)
    try:
        # All n Hessian-vector products in one batched backward pass (torch's vmap).
        H = torch.autograd.functional.hessian(lambda t: _scalar(f(t)), xt, vectorize=True)
    except RuntimeError:
        # An operation vmap cannot batch (say, .item() inside f): one backward per row.
        H = torch.autograd.functional.hessian(lambda t: _scalar(f(t)), xt)
    return H.detach().numpy().reshape(x.size, x.size).copy()


def finite_difference_hessian(f: ScalarFunction, x: Any, h: float = 1e-4) -> np.ndarray:
    """Hessian of ``f`` at ``x`` from central second differences (no autograd needed).

    Entry (i, j) is
    ``[f(x + h e_i + h e_j) - f(x + h e_i - h e_j) - f(x - h e_i + h e_j)
    + f(x - h e_i - h e_j)] / 4h²``, accurate to O(h²); only i <= j is computed and
    mirrored, so the result is exactly symmetric.

    Args:
        f: function of a 1-D float64 tensor of shape (n,) returning a scalar (converted with
            ``float``).
        x: the point, array-like of shape (n,).
        h: step size (> 0).

    Returns:
        ndarray of shape (n, n).
    """
    x = _check_point(f, x)
    h = check_real(h, "h")
    if h <= 0:
        raise ValueError(f"h must be > 0, got {h:g}")
    n = x.size
    step = np.eye(n) * h

    def value(point: np.ndarray) -> float:
        return float(f(torch.tensor(point, dtype=torch.float64)))

    H = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = (
                value(x + step[i] + step[j])
                - value(x + step[i] - step[j])
                - value(x - step[i] + step[j])
                + value(x - step[i] - step[j])
            ) / (4 * h * h)
    return H


def _eigenvalues(H: Any, tol: Any) -> tuple[np.ndarray, float]:
    """Validate a symmetric matrix and a tolerance; return the ascending eigenvalues."""
    H = as_float_array(H, "H", ndim=2)
    if H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"H must be a non-empty square matrix, got shape {H.shape}")
    scale = max(1.0, float(np.abs(H).max()))
    if np.abs(H - H.T).max() > 1e-6 * scale:
        raise ValueError("H must be symmetric (a Hessian), but H differs from H.T")
    tol = check_real(tol, "tol")
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol:g}")
    return np.linalg.eigvalsh((H + H.T) / 2), tol


def classify_critical_point(H: Any, tol: float = 1e-6) -> str:
    """Name the kind of critical point from the Hessian there.

    Args:
        H: symmetric matrix of shape (n, n), the Hessian at a point where the gradient is 0.
        tol: eigenvalues with |λ| <= tol count as zero.

    Returns:
        ``"local minimum"`` if every eigenvalue is > tol, ``"local maximum"`` if every one
        is < -tol, ``"saddle point"`` if some are > tol and some < -tol (even when others
        are ~0), and ``"degenerate"`` otherwise (some ~0, no mixed signs: the second
        derivatives alone cannot decide).
    """
    lam, tol = _eigenvalues(H, tol)
    positive, negative = np.any(lam > tol), np.any(lam < -tol)
    if np.all(lam > tol):
        return "local minimum"
    if np.all(lam < -tol):
        return "local maximum"
    if positive and negative:
        return "saddle point"
    return "degenerate"


def minimum_ratio(H: Any, tol: float = 1e-6) -> float:
    """Fraction of the Hessian's eigenvalues that are > tol (1.0 at a strict minimum).

    Args:
        H: symmetric matrix of shape (n, n).
        tol: threshold for counting an eigenvalue as positive.

    Returns:
        float in [0, 1].
    """
    lam, tol = _eigenvalues(H, tol)
    return float(np.mean(lam > tol))


def hessian_vector_product(f: ScalarFunction, x: Any, v: Any) -> np.ndarray:
    """H(x) @ v by differentiating the gradient a second time; H is never formed.

    Costs about two gradient evaluations, whatever n is (forming H would cost n of them).

    Args:
        f: function of a 1-D float64 tensor of shape (n,) returning a scalar tensor.
        x: the point, array-like of shape (n,).
        v: the direction, array-like of shape (n,).

    Returns:
        ndarray of shape (n,).

    PyTorch counterpart: ``torch.autograd.functional.hvp``.
    """
    x = _check_point(f, x)
    v = as_float_array(v, "v", ndim=1)
    if v.shape != x.shape:
        raise ValueError(f"v has shape {v.shape}, expected {x.shape} to match x")
    xt, grad = _gradient_with_graph(f, x)
    return _second_backward(xt, grad, torch.tensor(v, dtype=torch.float64))


def top_eigenvalue(
    f: ScalarFunction, x: Any, num_iters: int = 100, tol: float = 1e-10, seed: int = 0
) -> tuple[float, np.ndarray]:
    """Eigenvalue of largest MAGNITUDE of the Hessian at ``x``, by power iteration.

    Repeats ``v <- H v / ||H v||`` from a random unit vector; ``v`` turns towards the
    eigenvector whose eigenvalue has the largest absolute value, which may be negative
    (a saddle's escape direction). Convergence is slow when the two largest magnitudes
    are close, and fails when they are equal with opposite signs (e.g. eigenvalues ±2).

    Args:
        f: function of a 1-D float64 tensor of shape (n,) returning a scalar tensor.
        x: the point, array-like of shape (n,).
        num_iters: maximum number of Hessian-vector products (>= 1).
        tol: stop when the residual ||H v - λ v|| <= ``tol * max(1, |λ|)``.
        seed: seed of the random starting vector.

    Returns:
        ``(eigenvalue, eigenvector)``: the Rayleigh quotient vᵀHv (float) and the unit
        vector v of shape (n,).
    """
    x = _check_point(f, x)
    num_iters = check_int(num_iters, "num_iters", low=1)
    tol = check_real(tol, "tol")
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol:g}")
    v = np.random.default_rng(check_int(seed, "seed")).standard_normal(x.size)
    v /= np.linalg.norm(v)
    # The gradient's graph is built once and differentiated again for every product.
    xt, grad = _gradient_with_graph(f, x)
    for _ in range(num_iters):
        hv = _second_backward(xt, grad, torch.tensor(v, dtype=torch.float64))
        estimate = float(v @ hv)
        # Judge convergence by the residual, not by the change in the estimate: the
        # Rayleigh quotient settles long before v does. Stopping before v is updated keeps
        # the returned pair consistent.
        if np.linalg.norm(hv - estimate * v) <= tol * max(1.0, abs(estimate)):
            break
        v = hv / np.linalg.norm(hv)
    return estimate, v
