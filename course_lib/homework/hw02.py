"""Homework hw02 (lecture 02, critical points and the Hessian): questions and references.

The student writes, in ``homework/hw02_critical_points.ipynb``:

====  =============================  ======  ==================  ===========================
key   function                       points  kind                checked against
====  =============================  ======  ==================  ===========================
q1    ``hessian_of_f(p)``                 2  derive by hand      torch's Hessian
q2    ``autograd_hessian(f, x)``          2  implement           torch's Hessian
q3    ``classify(H, tol=1e-6)``           2  implement           ``classify_critical_point``
q4    ``escape_direction(H)``             2  implement           ``numpy.linalg.eigh``
q5    ``newton_step(x, g, H)``            2  derive, then code   ``x - solve(H, g)``
q6    ``find_critical_points(...)``       3  experiment, judged  every critical point found
====  =============================  ======  ==================  ===========================

Here f is Himmelblau's function (:func:`himmelblau`), the function of questions 1 and 6.
Written (graded by hand, in the review file): ``w1``, what the critical points of the
smallest tanh network say.

Every case maker takes a ``seed``: the public cases use the default, the grader adds cases
made from the instructor's secret seed (``course_tools.grading.instructor``): other points,
other matrices, other starts and another data set for q6's network.

In the notebook: ``from course_lib.homework.hw02 import check``, then ``check("q1", hessian_of_f)``.

Forbidden modules (:data:`FORBIDDEN`): none (q2 is about torch's autograd). The grader hides
them from the submission's kernel (an import fails) and flags code that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.hessian import classify_critical_point
from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Mistake, Question
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


def _exact_hessian(f: Callable, x: np.ndarray) -> np.ndarray:
    torch = _torch()
    point = torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64)
    return torch.autograd.functional.hessian(f, point).numpy()


def _exact_gradient(f: Callable, x: np.ndarray) -> np.ndarray:
    torch = _torch()
    point = torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(point), point)
    return g.numpy()


# ----- q1 hessian_of_f ------------------------------------------------------------------


def _hessian_of_f_cases(seed: int = 101) -> list[Case]:
    points = [
        ((3.0, 2.0), "the minimum (3, 2)"),
        ((-0.270845, -0.923039), "near the local maximum (-0.27, -0.92)"),
        ((-1.5, 0.5), "a non-critical point (-1.5, 0.5)"),
    ]
    if seed != 101:
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


def _classify_cases(seed: int = 303) -> list[Case]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    rotated = q @ np.diag([3.0, 1.0, 0.5, -0.2]) @ q.T
    q3, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    matrices = [
        (_exact_hessian(f_xy, np.array([1.0, 1.0])), "f_xy at (1, 1)"),
        (_exact_hessian(f_xy, np.array([0.0, 0.0])), "f_xy at (0, 0)"),
        (np.diag([-1.0, -4.0]), "diag(-1, -4)"),
        (np.diag([2.0, 0.0, 3.0]), "diag(2, 0, 3): a zero eigenvalue"),
        (rotated, "a rotated 4 x 4 with eigenvalues 3, 1, 0.5, -0.2"),
        (np.diag([1.0, -1e-9]), "diag(1, -1e-9): the tiny eigenvalue counts as zero"),
        (q3 @ np.diag([-2.0, 0.0, 1.0]) @ q3.T, "a rotated 3 x 3 with eigenvalues -2, 0, 1"),
    ]
    return [Case(label, (H,), ("H",)) for H, label in matrices]


# ----- q4 escape_direction --------------------------------------------------------------


def _escape_cases(seed: int = 404) -> list[Case]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    matrices = [
        (np.array([[0.0, -2.0], [-2.0, 0.0]]), "the two-weight net at the origin"),
        (_exact_hessian(f_xy, np.array([0.0, 0.0])), "f_xy at (0, 0)"),
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
            (np.array([2.0, -1.0]), np.array([5.0, 0.0]), np.array([[3.0, 1.0], [1.0, 2.0]])),
            names,
        ),
        Case("Rosenbrock at (-1.2, 1)", (np.array([-1.2, 1.0]), g_rosen, H_rosen), names),
        Case(
            "3-D with a large condition number",
            (np.zeros(3), np.array([1.0, 1.0, 1.0]), np.diag([1e3, 1.0, 1e-3])),
            names,
        ),
    ]


def _newton_reference(x, g, H):
    return x - np.linalg.solve(H, g)


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


def _surface(name: str, data: Any) -> tuple[Callable, Callable]:
    """(grad, hess) of a q6 surface, as NumPy functions of a point of shape (2,)."""
    if name == "tanh net":
        _, grad, hess = tanh_net(data)
        return grad, hess
    return _CLOSED_FORMS[name]


def _himmelblau_grad(p) -> np.ndarray:
    x, y = np.asarray(p, dtype=float)
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.array([4 * a * x + 2 * b, 2 * a + 4 * b * y])


def _himmelblau_hess(p) -> np.ndarray:
    x, y = np.asarray(p, dtype=float)
    return np.array([[12 * x**2 + 4 * y - 42, 4 * (x + y)], [4 * (x + y), 12 * y**2 + 4 * x - 26]])


#: NumPy gradients and Hessians of q6's surfaces (tested against torch's in test_hw02_mistakes).
_CLOSED_FORMS: dict[str, tuple[Callable, Callable]] = {
    "Himmelblau": (_himmelblau_grad, _himmelblau_hess),
    "f_xy": (
        lambda p: np.array([3 * p[0] ** 2 - 3 * p[1], 3 * p[1] ** 2 - 3 * p[0]], dtype=float),
        lambda p: np.array([[6 * p[0], -3.0], [-3.0, 6 * p[1]]], dtype=float),
    ),
}


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
    grad, hess = _surface(name, data)
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


def newton_search(grad: Callable, hess: Callable, starts: Any, tol: float, iters: int = 50):
    """The trusted search: Newton from every start; the distinct converged points."""
    found: list[np.ndarray] = []
    for start in np.asarray(starts, dtype=float):
        p = start.copy()
        for _ in range(iters):
            g = grad(p)
            if np.linalg.norm(g) < tol:
                break
            try:
                p = p - np.linalg.solve(hess(p), g)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e6:
                break
        converged = np.all(np.isfinite(p)) and np.linalg.norm(grad(p)) < tol
        if converged and not any(np.linalg.norm(p - q) < 1e-6 for q in found):
            found.append(p)
    return found


def _judge_critical(case: Case, output: Any) -> tuple[float, str]:
    """Every listed point must be critical, distinct and rightly classified; every point the
    trusted search finds from the same starts must be listed. The fraction is the share of
    those found rightly, less one share per wrong or repeated point."""
    name, data, starts, tol = case.args
    grad, hess = _surface(name, data)
    if isinstance(output[0], str):  # ("raised", message) from _call_critical
        return 0.0, f"{name}: your function raised {output[1]}"
    points, kinds = output
    if len(points) != len(kinds):
        return 0.0, f"{name}: {len(points)} points but {len(kinds)} kinds"
    wanted = newton_search(grad, hess, starts, tol)
    problems, right, wrong = [], 0, 0
    for i, (p, kind) in enumerate(zip(points, kinds, strict=True)):
        where = np.array2string(np.round(p, 3) + 0.0, separator=", ")
        norm = float(np.linalg.norm(grad(p))) if np.all(np.isfinite(p)) else np.inf
        if norm > CRITICAL:
            wrong += 1
            problems.append(
                f"{where} is not a critical point (gradient norm {norm:.1e}): keep stepping "
                "until the gradient norm is below tol, and drop starts that never get there"
            )
        elif any(np.linalg.norm(p - q) < 1e-6 for q in points[:i]):
            wrong += 1
            problems.append(f"{where} is listed twice: merge points that differ by round-off")
        elif kind != (truth := classify_critical_point(hess(p))):
            wrong += 1
            problems.append(f"{where} is a {truth}, not a {kind}: classify it by its Hessian")
    for q in wanted:
        listed = [i for i, p in enumerate(points) if np.linalg.norm(p - q) < 1e-6]
        if not listed:
            where = np.array2string(np.round(q, 3) + 0.0, separator=", ")
            kind = classify_critical_point(hess(q))
            problems.append(f"missed the {kind} at {where}: run the search from every start")
        elif kinds[listed[0]] == classify_critical_point(hess(q)):
            right += 1
    fraction = max(0.0, (right - wrong) / len(wanted))
    if not problems:
        return 1.0, f"{name}: all {len(wanted)} critical points found and classified"
    return fraction, f"{name}: {problems[0]}" + (
        f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    )


# ----- common mistakes ------------------------------------------------------------------


def _himmelblau_hessian(p) -> np.ndarray:
    return _exact_hessian(himmelblau, p)


def _third_axis(H: np.ndarray, tol: float, min_with_zero: bool) -> str:
    lam = np.linalg.eigvalsh(H)
    if min_with_zero and np.all(lam >= -tol) and np.any(lam > tol):
        return "local minimum"
    return classify_critical_point(H, tol)


HESSIAN_MISTAKES = (
    Mistake(
        "off-diagonal sign",
        "your off-diagonal entries have the wrong sign: differentiate the first partial "
        "derivative with respect to the other variable, carefully with the chain rule",
        lambda p: _himmelblau_hessian(p) * np.array([[1, -1], [-1, 1]]),
    ),
    Mistake(
        "cross terms missing",
        "your off-diagonal entries are zero: each squared term of f depends on both x and y, "
        "so the mixed second derivative is not zero",
        lambda p: np.diag(np.diag(_himmelblau_hessian(p))),
    ),
)

AUTOGRAD_MISTAKES = (
    Mistake(
        "outer product of the gradient",
        "your H is the outer product of the gradient with itself: that is not a second "
        "derivative; differentiate each component of the gradient again",
        lambda name, x: np.outer(*[_exact_gradient(FUNCTIONS[name], x)] * 2),
    ),
)

CLASSIFY_MISTAKES = (
    Mistake(
        "no tolerance",
        "your answer treats an eigenvalue within tol of zero as nonzero: |lambda| <= tol "
        "counts as zero (rounding makes exact zeros rare)",
        lambda H, tol=1e-6: classify_critical_point(H, 0.0),
    ),
    Mistake(
        "a zero eigenvalue taken for a minimum",
        "your answer calls a Hessian with a zero eigenvalue (and no negative one) a minimum: "
        "along that direction the second-order test says nothing, so it is degenerate",
        lambda H, tol=1e-6: _third_axis(H, tol, True),
    ),
)

ESCAPE_MISTAKES = (
    Mistake(
        "largest eigenvalue",
        "your lambda_min is the largest eigenvalue: check the order in which your "
        "eigen-solver returns them",
        lambda H: (
            float(np.linalg.eigh(H)[0][-1]),
            _same_sign(np.linalg.eigh(H)[1][:, -1]),
        ),
    ),
    Mistake(
        "row instead of column",
        "your u is a row of the eigenvector matrix: the eigenvectors are its columns",
        lambda H: (float(np.linalg.eigh(H)[0][0]), _same_sign(np.linalg.eigh(H)[1][0, :])),
    ),
)

NEWTON_MISTAKES = (
    Mistake(
        "step added",
        "your x_new moves by +H^-1 g: Newton's step goes to where the quadratic model's "
        "gradient vanishes, which is the opposite way",
        lambda x, g, H: x + np.linalg.solve(H, g),
    ),
    Mistake(
        "multiplied by H",
        "your x_new uses H g instead of H^-1 g: the step undoes the curvature, it does not "
        "apply it",
        lambda x, g, H: x - H @ g,
    ),
    Mistake(
        "a gradient step",
        "your x_new is a plain gradient step x - g: Newton's method uses the Hessian too",
        lambda x, g, H: x - g,
    ),
)


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
            _himmelblau_hessian,
            ("H",),
            "lecture 02, §3: differentiate f once for each variable, then each of those once "
            "more for each variable; the mixed derivatives must agree (the Hessian is "
            "symmetric), a good check on your algebra.",
            mistakes=HESSIAN_MISTAKES,
        ),
        Question(
            "q2",
            "autograd_hessian",
            2,
            _autograd_cases,
            lambda name, x: _exact_hessian(FUNCTIONS[name], x),
            ("H",),
            "lecture 02, §3 (the Hessian three ways): autograd can differentiate a gradient "
            "only if the first backward pass keeps its own graph; row i of H is the gradient "
            "of the i-th gradient component.",
            call=_call_autograd_hessian,
            mistakes=AUTOGRAD_MISTAKES,
        ),
        Question(
            "q3",
            "classify",
            2,
            _classify_cases,
            classify_critical_point,
            ("kind",),
            "lecture 02, §2: the signs of the Hessian's eigenvalues decide; one direction down "
            "and one up is already a saddle, and eigenvalues within tol of zero decide nothing.",
            mistakes=CLASSIFY_MISTAKES,
        ),
        Question(
            "q4",
            "escape_direction",
            2,
            _escape_cases,
            _escape_reference,
            ("lambda_min", "u"),
            "lecture 02, §4 (escaping the saddle): the direction of most negative curvature "
            "is an eigenvector; read your eigen-solver's documentation for the order and "
            "layout of what it returns.",
            call=_call_escape,
            mistakes=ESCAPE_MISTAKES,
        ),
        Question(
            "q5",
            "newton_step",
            2,
            _newton_cases,
            _newton_reference,
            ("x_new",),
            "lecture 02, §7: write the second-order Taylor model around x, set its gradient "
            "to zero and solve the linear system for the step (solving is cheaper and more "
            "accurate than inverting).",
            mistakes=NEWTON_MISTAKES,
        ),
        Question(
            "q6",
            "find_critical_points",
            3,
            _critical_cases,
            None,
            ("points", "kinds"),
            "lecture 02, §5 (finding critical points): Newton's method looks for zeros of the "
            "gradient of any kind; run it from every start until converged, keep each "
            "distinct point once, and classify it with your q3.",
            call=_call_critical,
            judge=_judge_critical,
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
)

#: The self-check students call after each question: ``check("q1", hessian_of_f)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
