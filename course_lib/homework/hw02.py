"""Homework hw02 (lecture 02, critical points and the Hessian): questions and references.

The student writes, in ``homework/hw02_critical_points.ipynb``:

====  ======================================  ======  ==========================================
key   function                                points  checked against
====  ======================================  ======  ==========================================
q1    ``hessian_of_f(p)``                          2  ``torch.autograd.functional.hessian``
q2    ``autograd_hessian(f, x)``                   2  ``torch.autograd.functional.hessian``
q3    ``classify(H, tol=1e-6)``                    2  ``hessian.classify_critical_point``
q4    ``escape_direction(H)``                      2  ``numpy.linalg.eigh``
q5    ``newton_step(x, g, H)``                     2  ``x - solve(H, g)``
====  ======================================  ======  ==========================================

Here f(x, y) = x³ + y³ − 3xy, the function of questions 1 and 3.
In the notebook: ``from course_lib.homework.hw02 import check``, then ``check("q1", hessian_of_f)``.

The case makers of q3 and q4 take a ``seed``: the public cases use the default, the grader
adds cases made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): none (q2 is about torch's autograd). The grader hides
them from the submission's kernel (an import fails) and flags code that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.hessian import classify_critical_point
from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question


def _torch():
    import torch

    return torch


def f_xy(p):
    """f(x, y) = x³ + y³ − 3xy for a length-2 array or tensor ``p``."""
    x, y = p[0], p[1]
    return x**3 + y**3 - 3 * x * y


# ----- q1 hessian_of_f ------------------------------------------------------------------


def _hessian_of_f_cases() -> list[Case]:
    points = [
        ((1.0, 1.0), "the minimum (1, 1)"),
        ((0.0, 0.0), "the saddle (0, 0)"),
        ((-0.5, 2.0), "a non-critical point (-0.5, 2)"),
    ]
    return [Case(label, (np.array(p),), ("p",)) for p, label in points]


def _exact_hessian(f: Callable, x: np.ndarray) -> np.ndarray:
    torch = _torch()
    point = torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64)
    return torch.autograd.functional.hessian(f, point).numpy()


# ----- q2 autograd_hessian --------------------------------------------------------------

_A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, -1.0], [0.0, -1.0, 4.0]])

#: The functions of question 2, by name, so that cases only carry strings and arrays.
FUNCTIONS: dict[str, Callable] = {
    "quadratic 0.5 x^T A x + x[0]": lambda x: 0.5 * x @ (_torch().tensor(_A) @ x) + x[0],
    "Rosenbrock in 3-D": lambda x: (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum(),
    "log-sum-exp in 4-D": lambda x: _torch().logsumexp(x, dim=0),
}


def _autograd_cases() -> list[Case]:
    points = [
        np.array([0.5, -1.0, 2.0]),
        np.array([-1.2, 1.0, 0.7]),
        np.array([0.1, -0.3, 2.0, 1.0]),
    ]
    return [Case(name, (name, x), ("f", "x")) for name, x in zip(FUNCTIONS, points, strict=True)]


def _call_autograd_hessian(fn: Callable, args: tuple):
    torch = _torch()
    name, x = args
    return fn(FUNCTIONS[name], torch.tensor(x, dtype=torch.float64))


# ----- q3 classify ----------------------------------------------------------------------


def _classify_cases(seed: int = 303) -> list[Case]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    rotated = q @ np.diag([3.0, 1.0, 0.5, -0.2]) @ q.T
    matrices = [
        (_exact_hessian(f_xy, np.array([1.0, 1.0])), "f at (1, 1)"),
        (_exact_hessian(f_xy, np.array([0.0, 0.0])), "f at (0, 0)"),
        (np.diag([-1.0, -4.0]), "diag(-1, -4)"),
        (np.diag([2.0, 0.0, 3.0]), "diag(2, 0, 3): a zero eigenvalue"),
        (rotated, "a rotated 4 x 4 with eigenvalues 3, 1, 0.5, -0.2"),
        (np.diag([1.0, -1e-9]), "diag(1, -1e-9): the tiny eigenvalue counts as zero"),
    ]
    return [Case(label, (H,), ("H",)) for H, label in matrices]


# ----- q4 escape_direction --------------------------------------------------------------


def _escape_cases(seed: int = 404) -> list[Case]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    matrices = [
        (np.array([[0.0, -2.0], [-2.0, 0.0]]), "the two-weight net at the origin"),
        (_exact_hessian(f_xy, np.array([0.0, 0.0])), "f at (0, 0)"),
        (q @ np.diag([2.0, -0.5, -3.0]) @ q.T, "a rotated 3 x 3 with eigenvalues 2, -0.5, -3"),
    ]
    return [Case(label, (H,), ("H",)) for H, label in matrices]


def _same_sign(u: np.ndarray) -> np.ndarray:
    """``u`` or ``-u``: eigenvectors have no sign, so fix one for comparing.

    The sign makes the dot product with a fixed, generic vector positive.
    """
    u = np.asarray(u, dtype=float)
    if u.ndim != 1:
        return u
    generic = np.sqrt(np.arange(2, u.size + 2))
    return u if u @ generic >= 0 else -u


def _call_escape(fn: Callable, args: tuple):
    result = fn(*args)
    if isinstance(result, tuple | list) and len(result) == 2:
        return (result[0], _same_sign(result[1]))
    return result


def _escape_reference(H: np.ndarray):
    lam, vectors = np.linalg.eigh(H)
    return (float(lam[0]), _same_sign(vectors[:, 0]))


# ----- q5 newton_step -------------------------------------------------------------------


def _newton_cases() -> list[Case]:
    g_rosen = np.array([-215.6, -88.0])
    H_rosen = np.array([[1330.0, 480.0], [480.0, 200.0]])
    return [
        Case(
            "quadratic with H = [[3, 1], [1, 2]]",
            (np.array([2.0, -1.0]), np.array([5.0, 0.0]), np.array([[3.0, 1.0], [1.0, 2.0]])),
            ("x", "g", "H"),
        ),
        Case("Rosenbrock at (-1.2, 1)", (np.array([-1.2, 1.0]), g_rosen, H_rosen), ("x", "g", "H")),
        Case(
            "3-D with a large condition number",
            (np.zeros(3), np.array([1.0, 1.0, 1.0]), np.diag([1e3, 1.0, 1e-3])),
            ("x", "g", "H"),
        ),
    ]


def _newton_reference(x, g, H):
    return x - np.linalg.solve(H, g)


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ()

ASSIGNMENT = Assignment(
    name="hw02",
    title="Critical points and the Hessian",
    notebook="hw02_critical_points",
    questions=(
        Question(
            "q1",
            "hessian_of_f",
            2,
            _hessian_of_f_cases,
            lambda p: _exact_hessian(f_xy, p),
            ("H",),
            "differentiate f(x, y) = x**3 + y**3 - 3*x*y twice: the diagonal holds "
            "d2f/dx2 and d2f/dy2, the off-diagonal entries are both d2f/dxdy.",
        ),
        Question(
            "q2",
            "autograd_hessian",
            2,
            _autograd_cases,
            lambda name, x: _exact_hessian(FUNCTIONS[name], x),
            ("H",),
            "compute g = grad(f(x), x, create_graph=True), then row i of H is the "
            "gradient of g[i] with respect to x; return an (n, n) array or tensor.",
            call=_call_autograd_hessian,
        ),
        Question(
            "q3",
            "classify",
            2,
            _classify_cases,
            classify_critical_point,
            ("kind",),
            "use the eigenvalues (np.linalg.eigvalsh); |lambda| <= tol counts as zero; mixed "
            "signs make a saddle even when some eigenvalues are zero; all >tol or all < -tol "
            "decide min or max; anything else is 'degenerate'.",
        ),
        Question(
            "q4",
            "escape_direction",
            2,
            _escape_cases,
            _escape_reference,
            ("lambda_min", "u"),
            "np.linalg.eigh returns eigenvalues in ascending order and eigenvectors as "
            "columns; the escape direction is the unit eigenvector of the smallest one.",
            call=_call_escape,
        ),
        Question(
            "q5",
            "newton_step",
            2,
            _newton_cases,
            _newton_reference,
            ("x_new",),
            "the Newton step solves H d = g and moves to x - d; use np.linalg.solve "
            "rather than inverting H.",
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", hessian_of_f)``.
check = ASSIGNMENT.check
