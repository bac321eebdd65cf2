"""hw02's references: PyTorch's Hessians, ``numpy.linalg.eigh``, ``course_lib.hessian``'s
classification, Newton's step, a trusted Newton search for q6, and every known mistake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.hessian import classify_critical_point
from course_lib.homework.hw02 import (
    FUNCTIONS,
    _same_sign,
    himmelblau,
    surface_derivatives,
    torch_derivatives,
)
from course_tools.grading.references import Reference

_gradient, _hessian = torch_derivatives(himmelblau)


def hessian_of_f(p):
    return _hessian(p)


def autograd_hessian(name, x):
    return torch_derivatives(FUNCTIONS[name])[1](x)


def _outer_gradient(name, x):
    g = torch_derivatives(FUNCTIONS[name])[0](x)
    return np.outer(g, g)


def classify(H, tol=1e-6):
    return classify_critical_point(H, tol)


def _zero_taken_for_minimum(H, tol=1e-6):
    lam = np.linalg.eigvalsh(H)
    if np.all(lam >= -tol) and np.any(lam > tol):
        return "local minimum"
    return classify_critical_point(H, tol)


def escape_direction(H):
    lam, vectors = np.linalg.eigh(H)
    return (float(lam[0]), _same_sign(vectors[:, 0]))


def newton_step(x, g, H):
    return x - np.linalg.solve(H, g)


def newton_search(grad: Callable, hess: Callable, starts: Any, tol: float, use: dict) -> tuple:
    """The trusted search: Newton (``use["newton_step"]``) from every start, at most 50
    steps, a start dropped when it diverges; each distinct converged point once, with its
    kind (``use["classify"]``). Returns (points (K, 2), kinds)."""
    found: list[np.ndarray] = []
    for start in np.asarray(starts, dtype=float):
        p = start.copy()
        for _ in range(50):
            if np.linalg.norm(grad(p)) < tol:
                break
            try:
                p = use["newton_step"](p, grad(p), hess(p))
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e6:
                break
        converged = np.all(np.isfinite(p)) and np.linalg.norm(grad(p)) < tol
        if converged and not any(np.linalg.norm(p - q) < 1e-6 for q in found):
            found.append(p)
    kinds = [use["classify"](hess(p)) for p in found]
    return np.array(found).reshape(-1, 2), kinds


def find_critical_points(name, data, starts, tol, use=None):
    grad, hess = surface_derivatives(name, data)
    use = use or {"newton_step": newton_step, "classify": classify}
    return newton_search(grad, hess, starts, tol, use)


REFERENCES = {
    "q1": Reference(
        hessian_of_f,
        {
            "off-diagonal-sign": lambda p: hessian_of_f(p) * np.array([[1, -1], [-1, 1]]),
            "cross-terms-missing": lambda p: np.diag(np.diag(hessian_of_f(p))),
            "f_xx-missing-2": lambda p: hessian_of_f(p) - np.array([[2.0, 0.0], [0.0, 0.0]]),
            "f_yy-missing-2": lambda p: hessian_of_f(p) - np.array([[0.0, 0.0], [0.0, 2.0]]),
        },
    ),
    "q2": Reference(
        autograd_hessian,
        {
            "outer-product": _outer_gradient,
            "diagonal-only": lambda name, x: np.diag(np.diag(autograd_hessian(name, x))),
        },
    ),
    "q3": Reference(
        classify,
        {
            "no-tolerance": lambda H, tol=1e-6: classify_critical_point(H, 0.0),
            "zero-taken-for-minimum": _zero_taken_for_minimum,
        },
    ),
    "q4": Reference(
        escape_direction,
        {
            "largest-eigenvalue": lambda H: (
                float(np.linalg.eigh(H)[0][-1]),
                _same_sign(np.linalg.eigh(H)[1][:, -1]),
            ),
            "row-not-column": lambda H: (
                float(np.linalg.eigh(H)[0][0]),
                _same_sign(np.linalg.eigh(H)[1][0, :]),
            ),
        },
    ),
    "q5": Reference(
        newton_step,
        {
            "step-added": lambda x, g, H: x + np.linalg.solve(H, g),
            "multiplied-by-H": lambda x, g, H: x - H @ g,
            "gradient-step": lambda x, g, H: x - g,
        },
    ),
    "q6": Reference(
        find_critical_points,
        composed=find_critical_points,
        upstream={"newton_step": newton_step, "classify": classify},
    ),
}
