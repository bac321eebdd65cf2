"""Homework hw02 (lecture 02, critical points and the Hessian): questions and their cases.

The student writes, in ``homework/hw02_critical_points.ipynb``:

====  =============================  ======  ==================  ============================
key   function                       points  kind                public cases judged on
====  =============================  ======  ==================  ============================
q1    ``hessian_of_f(p)``                 2  derive by hand      stored outputs
q2    ``autograd_hessian(f, x)``          2  implement           stored outputs
q3    ``classify(H, tol=1e-6)``           2  implement           stored outputs
q4    ``escape_direction(H)``             2  implement           stored outputs
q5    ``newton_step(x, g, H)``            2  derive, then code   stored outputs
q6    ``find_critical_points(...)``       3  experiment, judged  stored points and property
====  =============================  ======  ==================  ============================

The expected outputs come from the instructor's references (PyTorch's Hessian,
``numpy.linalg.eigh``, ``course_lib.hessian``), stored as data with every known mistake's
output (:mod:`~course_lib.homework.stored`). q6 is judged on the critical points and kinds a
trusted Newton search finds from the same starts (stored for the public cases), and on a
property: a listed point is critical when the surface's gradient (PyTorch's) is below the
tolerance there. q6 calls the student's q5 and q3: the grader runs it with stand-ins for
them (:mod:`~course_lib.homework.standins`).

Here f is Himmelblau's function (:func:`himmelblau`), the function of questions 1 and 6.
Written (graded by hand, in the review file): ``w1``, what the critical points of the
smallest tanh network say.

Every case maker takes a ``seed``: None gives the public cases; the grader's hidden cases come
from the instructor's secret seed (``course_tools.grading.instructor``): other points, other
matrices, other starts and another data set for q6's network.

In the notebook: ``from course_lib.homework.hw02 import check``, then ``check("q1", hessian_of_f)``.

Forbidden modules (:data:`FORBIDDEN`): ``course_lib.hessian`` (it holds the answers; q2 is
about torch's autograd, so torch stays). The grader hides it from the submission's kernel.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question, exception_kind
from course_lib.homework.messages import say
from course_lib.homework.unanswered import quiet_unanswered


def _torch():
    import torch

    return torch


def f_xy(p):
    """f(x, y) = x³ + y³ − 3xy (lecture 02, §2) for a length-2 array or tensor ``p``."""
    x, y = p[0], p[1]
    return x**3 + y**3 - 3 * x * y


def himmelblau(p):
    """Himmelblau's function (x² + y − 11)² + (x + y² − 7)² for a length-2 array or tensor."""
    x, y = p[0], p[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def torch_derivatives(f: Callable) -> tuple[Callable, Callable]:
    """(gradient, Hessian) of a scalar torch function ``f``, as NumPy functions of a point:
    what PyTorch's autograd gives (the surfaces of q6, and the judge's property). Each
    remembers the points it was asked about: a Newton search asks twice per step."""

    @functools.lru_cache(maxsize=4096)
    def at(point: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        torch = _torch()
        x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f(x), x, create_graph=True)
        rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(len(point))]
        return g.detach().numpy(), torch.stack(rows).numpy()

    def key(p: Any) -> tuple[float, ...]:
        return tuple(float(v) for v in np.asarray(p, dtype=float).reshape(-1))

    return (lambda p: at(key(p))[0].copy()), (lambda p: at(key(p))[1].copy())


# ----- q1 hessian_of_f ------------------------------------------------------------------


def _hessian_of_f_cases(seed: int | None = None) -> list[Case]:
    points = [
        ((3.0, 2.0), "the minimum (3, 2)"),
        ((-0.270845, -0.923039), "near the local maximum (-0.27, -0.92)"),
        ((-1.5, 0.5), "a non-critical point (-1.5, 0.5)"),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        points = [(tuple(rng.uniform(-4, 4, 2)), "a random point") for _ in range(3)]
    return [Case(label, (np.array(p),), ("p",)) for p, label in points]


# ----- q2 autograd_hessian --------------------------------------------------------------

_A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, -1.0], [0.0, -1.0, 4.0]])

#: The functions of question 2, by name, so that cases only carry strings and arrays.
FUNCTIONS: dict[str, Callable] = {
    "quadratic 0.5 x^T A x + x[0]": lambda x: 0.5 * x @ (_torch().tensor(_A) @ x) + x[0],
    "Rosenbrock in 3-D": lambda x: (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum(),
    "log-sum-exp in 4-D": lambda x: _torch().logsumexp(x, dim=0),
}


def _autograd_cases(seed: int | None = None) -> list[Case]:
    points = [
        np.array([0.5, -1.0, 2.0]),
        np.array([-1.2, 1.0, 0.7]),
        np.array([0.1, -0.3, 2.0, 1.0]),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        points = [rng.uniform(-1.5, 1.5, p.size) for p in points]
    return [Case(name, (name, x), ("f", "x")) for name, x in zip(FUNCTIONS, points, strict=True)]


def _call_autograd_hessian(fn: Callable, args: tuple):
    torch = _torch()
    name, x = args
    return fn(FUNCTIONS[name], torch.tensor(x, dtype=torch.float64))


# ----- q3 classify ----------------------------------------------------------------------


def _classify_cases(seed: int | None = None) -> list[Case]:
    rng = np.random.default_rng(303 if seed is None else seed)

    def rotated(*eigenvalues: float) -> np.ndarray:
        q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
        return q @ np.diag(eigenvalues) @ q.T

    matrices = [
        (np.array([[6.0, -3.0], [-3.0, 6.0]]), "f_xy at (1, 1)"),
        (np.array([[0.0, -3.0], [-3.0, 0.0]]), "f_xy at (0, 0)"),
        (np.diag([-1.0, -4.0]), "diag(-1, -4)"),
        (np.diag([2.0, 0.0, 3.0]), "diag(2, 0, 3): a zero eigenvalue"),
        (rotated(3.0, 1.0, 0.5, -0.2), "a rotated 4 x 4 with eigenvalues 3, 1, 0.5, -0.2"),
        (np.diag([1.0, -1e-9]), "diag(1, -1e-9): the tiny eigenvalue counts as zero"),
        (rotated(-2.0, 0.0, 1.0), "a rotated 3 x 3 with eigenvalues -2, 0, 1"),
        (rotated(2.0, 3e-7, 0.5), "a rotated 3 x 3 with eigenvalues 2, 3e-7, 0.5"),
        (rotated(1.5, -1e-8, 4.0), "a rotated 3 x 3 with eigenvalues 1.5, -1e-8, 4"),
    ]
    return [Case(label, (H,), ("H",)) for H, label in matrices]


# ----- q4 escape_direction --------------------------------------------------------------


def _escape_cases(seed: int | None = None) -> list[Case]:
    rng = np.random.default_rng(404 if seed is None else seed)

    def rotated(*eigenvalues: float) -> np.ndarray:
        q, _ = np.linalg.qr(rng.standard_normal((len(eigenvalues), len(eigenvalues))))
        return q @ np.diag(eigenvalues) @ q.T

    matrices = [
        (np.array([[0.0, -2.0], [-2.0, 0.0]]), "the two-weight net at the origin"),
        (np.array([[1.2, -3.0], [-3.0, -1.8]]), "f_xy at (0.2, -0.3)"),
        (rotated(2.0, -0.5, -3.0), "a rotated 3 x 3 with eigenvalues 2, -0.5, -3"),
        (rotated(1.0, -4.0, 0.5, 2.5), "a rotated 4 x 4 with eigenvalues 1, -4, 0.5, 2.5"),
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


# ----- q5 newton_step -------------------------------------------------------------------


def _newton_cases(seed: int | None = None) -> list[Case]:
    names = ("x", "g", "H")
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases = []
        for n in (2, 3, 4):
            q, _ = np.linalg.qr(rng.standard_normal((n, n)))
            H = q @ np.diag(rng.uniform(0.5, 5.0, n) * rng.choice([-1, 1], n)) @ q.T
            args = (rng.standard_normal(n), rng.standard_normal(n), H)
            cases.append(Case(f"a random {n}-D point, gradient and Hessian", args, names))
        return cases
    g_rosen = np.array([-215.6, -88.0])
    H_rosen = np.array([[1330.0, 480.0], [480.0, 200.0]])
    return [
        Case(
            "quadratic with H = [[3, 1], [1, 2]]",
            (np.array([3.0, 1.0]), np.array([5.0, 0.0]), np.array([[3.0, 1.0], [1.0, 2.0]])),
            names,
        ),
        Case("Rosenbrock at (-1.2, 1)", (np.array([-1.2, 1.0]), g_rosen, H_rosen), names),
        Case(
            "3-D with a large condition number",
            (np.zeros(3), np.array([1.0, 1.0, 1.0]), np.diag([1e3, 1.0, 1e-3])),
            names,
        ),
    ]


# ----- q6 find every critical point from a set of starts --------------------------------

#: Weight decay of the tanh net's loss: it removes the flat directions (lecture 02, §5).
WEIGHT_DECAY = 1e-2
#: A point counts as critical when its gradient norm is at most this.
CRITICAL = 1e-6


def tanh_net_data(seed: int = 0, n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """The net's data: x on [-2, 2], y = 1.5 tanh(0.8 x) + noise of sd 0.1, shapes (n,)."""
    x = np.linspace(-2.0, 2.0, n)
    return x, 1.5 * np.tanh(0.8 * x) + 0.1 * np.random.default_rng(seed).standard_normal(n)


def tanh_net(data: tuple[np.ndarray, np.ndarray]) -> tuple[Callable, Callable, Callable]:
    """Loss, gradient and Hessian of the network y_hat = w[1] * tanh(w[0] * x).

    The loss is mean((y_hat - y)**2) + WEIGHT_DECAY * ||w||²; each function takes a NumPy
    array ``w`` of shape (2,) (the loss also a torch tensor). Returns ``(loss, grad, hess)``.
    """
    x, y = (np.asarray(v, dtype=float) for v in data)

    def loss(w):
        t = np.tanh(w[0] * x) if isinstance(w, np.ndarray) else (w[0] * _torch().tensor(x)).tanh()
        r = w[1] * t - (y if isinstance(w, np.ndarray) else _torch().tensor(y))
        return (r**2).mean() + WEIGHT_DECAY * (w**2).sum()

    def parts(w):
        t = np.tanh(w[0] * x)
        return t, 1 - t**2, w[1] * t - y

    def grad(w):
        w = np.asarray(w, dtype=float)
        t, s, r = parts(w)
        g = np.array([np.mean(2 * r * w[1] * s * x), np.mean(2 * r * t)])
        return g + 2 * WEIGHT_DECAY * w

    def hess(w):
        w = np.asarray(w, dtype=float)
        t, s, r = parts(w)
        aa = np.mean(2 * w[1] ** 2 * s**2 * x**2 - 4 * r * w[1] * t * s * x**2)
        ab = np.mean(2 * w[1] * t * s * x + 2 * r * s * x)
        return np.array([[aa, ab], [ab, np.mean(2 * t**2)]]) + 2 * WEIGHT_DECAY * np.eye(2)

    return loss, grad, hess


def surface_derivatives(name: str, data: Any) -> tuple[Callable, Callable]:
    """(grad, hess) of a q6 surface, as NumPy functions of a point of shape (2,):
    PyTorch's for Himmelblau's function, closed forms for ``f_xy`` and the tanh net."""
    if name == "tanh net":
        _, grad, hess = tanh_net(data)
        return grad, hess
    if name == "Himmelblau":
        return _himmelblau_derivatives()
    return (
        lambda p: np.array([3 * p[0] ** 2 - 3 * p[1], 3 * p[1] ** 2 - 3 * p[0]], dtype=float),
        lambda p: np.array([[6 * p[0], -3.0], [-3.0, 6 * p[1]]], dtype=float),
    )


@functools.cache
def _himmelblau_derivatives() -> tuple[Callable, Callable]:
    return torch_derivatives(himmelblau)


def _grid(low: float, high: float, k: int, rng: np.random.Generator | None) -> np.ndarray:
    axis = np.linspace(low, high, k)
    starts = np.array([(a, b) for a in axis for b in axis])
    if rng is not None:  # hidden cases: the grid moved by up to a third of its spacing
        starts = starts + rng.uniform(-1, 1, starts.shape) * (high - low) / (3 * (k - 1))
    return starts


def _critical_cases(seed: int | None = None) -> list[Case]:
    rng = None if seed is None else np.random.default_rng(seed)
    names = ("surface", "data", "starts", "tol")
    data = tanh_net_data(0 if seed is None else int(rng.integers(1, 2**31)))
    surfaces = [
        ("Himmelblau, 7 x 7 starts on [-5, 5]^2", "Himmelblau", None, _grid(-5, 5, 7, rng)),
        ("f_xy, 5 x 5 starts on [-2, 2]^2", "f_xy", None, _grid(-2, 2, 5, rng)),
        ("tanh net, 7 x 7 starts on [-3, 3]^2", "tanh net", data, _grid(-3, 3, 7, rng)),
    ]
    return [Case(label, (name, d, starts, 1e-10), names) for label, name, d, starts in surfaces]


def _call_critical(fn: Callable, args: tuple) -> tuple:
    name, data, starts, tol = args
    grad, hess = surface_derivatives(name, data)
    try:
        result = fn(grad, hess, starts, tol)
    except NotImplementedError:
        raise
    except Exception as exc:  # judged like a wrong answer, so that other cases still count
        return ("raised", f"{type(exc).__name__}: {exc}"[:300])
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise TypeError("find_critical_points must return a tuple (points, kinds)")
    points, kinds = result
    return (np.asarray(points, dtype=float).reshape(-1, 2), [str(k) for k in kinds])


def _where(point: np.ndarray, case: Case) -> str:
    """A point as shown in a message: its coordinates, or nothing for a hidden case."""
    if case.hidden:
        return say("hw02.q6.a-point")
    return np.array2string(np.round(point, 3) + 0.0, separator=", ")


def _judge_critical(case: Case, output: Any) -> tuple[float, str]:
    """Every point the trusted search finds from the same starts (the case's answer) must be
    listed once with its kind; a listed point the search did not find must at least be
    critical (a property, from the surface's gradient). Any of those problems is a known
    mistake: the case earns nothing."""
    name, data, _, _ = case.args
    grad, _ = surface_derivatives(name, data)
    if isinstance(output[0], str):  # ("raised", message) from _call_critical
        shown = exception_kind(output[1]) if case.hidden else output[1]
        return 0.0, say("hw02.q6.raised", surface=name, exception=shown)
    points, kinds = output
    if len(points) != len(kinds):
        return 0.0, say("hw02.q6.lengths", surface=name, points=len(points), kinds=len(kinds))
    wanted, wanted_kinds = case.answer.expected
    wanted = np.asarray(wanted, dtype=float).reshape(-1, 2)
    problems = []
    for i, (p, kind) in enumerate(zip(points, kinds, strict=True)):
        known = [j for j, q in enumerate(wanted) if np.linalg.norm(p - q) < 1e-6]
        if any(np.linalg.norm(p - q) < 1e-6 for q in points[:i]):
            problems.append(say("hw02.q6.twice", where=_where(p, case)))
        elif known and kind != wanted_kinds[known[0]]:
            truth = wanted_kinds[known[0]]
            problems.append(say("hw02.q6.kind", where=_where(p, case), truth=truth, kind=kind))
        elif not known:
            norm = float(np.linalg.norm(grad(p))) if np.all(np.isfinite(p)) else np.inf
            if norm > CRITICAL:
                shown = "" if case.hidden else f" ({norm:.1e})"
                problems.append(say("hw02.q6.not-critical", where=_where(p, case), norm=shown))
    for q, kind in zip(wanted, wanted_kinds, strict=True):
        if not any(np.linalg.norm(p - q) < 1e-6 for p in points):
            problems.append(say("hw02.q6.missed", kind=kind, where=_where(q, case)))
    if not problems:
        return 1.0, say("hw02.q6.all-found", surface=name, n=len(wanted))
    more = say("hw02.q6.more", n=len(problems) - 1) if len(problems) > 1 else ""
    return 0.0, f"{name}: {problems[0]}{more}"


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("course_lib.hessian",)


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw02", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw02",
    title="Critical points and the Hessian",
    notebook="hw02_critical_points",
    questions=(
        _question(
            "q1", "hessian_of_f", 2, _hessian_of_f_cases, ("H",),
            mistakes=("off-diagonal-sign", "cross-terms-missing", "f_xx-missing-2",
                      "f_yy-missing-2"),
        ),
        _question(
            "q2", "autograd_hessian", 2, _autograd_cases, ("H",),
            call=_call_autograd_hessian,
            mistakes=("outer-product", "diagonal-only"),
        ),
        _question(
            "q3", "classify", 2, _classify_cases, ("kind",),
            mistakes=("no-tolerance", "zero-taken-for-minimum"),
        ),
        _question(
            "q4", "escape_direction", 2, _escape_cases, ("lambda_min", "u"),
            call=_call_escape,
            mistakes=("largest-eigenvalue", "row-not-column"),
        ),
        _question(
            "q5", "newton_step", 2, _newton_cases, ("x_new",),
            mistakes=("step-added", "multiplied-by-H", "gradient-step"),
        ),
        _question(
            "q6", "find_critical_points", 3, _critical_cases, ("points", "kinds"),
            call=_call_critical, judge=_judge_critical,
            uses=("q3", "q5"), standins=("classify", "newton_step"),
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw02-answer-7",
            2,
            "Part D: the tanh network's critical points. Why do its two minima have the same "
            "loss, and why must the path from one to the other cross the saddle's region? "
            "(two or three sentences)",
        ),
    ),
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", hessian_of_f)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
