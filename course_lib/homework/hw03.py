"""Homework hw03 (lecture 03, batch size and momentum): questions and their cases.

The student writes, in ``homework/hw03_batch_and_momentum.ipynb``:

key   function                                         points  checked against
====  ===============================================  ======  ==============================
q1    ``minibatches(X, y, batch_size, rng)``                2  ``course_lib.data.minibatches``
q2    ``momentum_step(theta, grad, velocity, lr, m)``       2  ``torch.optim.SGD(momentum=m)``
q3    ``nesterov_step(theta, grad_fn, velocity, lr, m)``    2  ``SGD(..., nesterov=True)``
q4    ``linear_regression_epoch(w, X, y, B, lr, rng)``      2  ``torch.autograd`` + SGD
q5    ``updates_to_target(loss_and_grad, theta, ...)``      3  the same count, NumPy
====  ===============================================  ======  ==============================

q4 asks for the gradient derived by the student (not given); q5 is the experiment: how many
updates (and epochs) mini-batch SGD needs to reach a target loss for a batch size, with the
learning rate scaled with it. q5 takes the model as ``loss_and_grad(theta, X, y)``, so the
notebook runs it on a small network; its cases use linear regression from ``w = 0``.
Written (graded by hand, in the review file): ``w1``, what
the table of batch sizes says.
=======
====  ===============================================  ======  =============================
key   function                                         points  public cases judged on
====  ===============================================  ======  =============================
q1    ``minibatches(X, y, batch_size, rng)``                2  stored label orders
q2    ``momentum_step(theta, grad, velocity, lr, m)``       2  stored paths (torch's SGD)
q3    ``nesterov_step(theta, grad_fn, velocity, lr, m)``    2  stored paths (torch's SGD)
q4    ``linear_regression_epoch(w, X, y, B, lr, rng)``      2  stored weights
q5    ``updates_to_target(loss_and_grad, theta, ...)``      3  stored update counts
====  ===============================================  ======  =============================

The expected outputs come from the instructor's references (``torch.optim.SGD``,
``torch.autograd``, ``course_lib.data.minibatches``), stored as data with every known
mistake's output (:mod:`~course_lib.homework.stored`). q4 asks for the gradient derived by
the student; q5 is the experiment's measurement: how many updates mini-batch SGD needs to
reach a target loss. q5 takes the model as ``loss_and_grad(theta, X, y)``, so
the notebook runs it on a small network; its cases use linear regression from ``w = 0``.
Written (graded by hand, in the review file): ``w1``, what the table
of batch sizes says. q4 and q5 call the student's q1: the grader runs them with a stand-in
for it (:mod:`~course_lib.homework.standins`).

Optimizer questions are checked on whole trajectories (``STEPS`` steps from a start point),
so an error anywhere in the recursion shows up. Every case maker takes a ``seed``: None
gives the public cases, the grader's hidden cases come from the instructor's secret seed.

Forbidden modules (:data:`FORBIDDEN`): torch, ``course_lib.optim`` (whose SGD has momentum
and Nesterov built in) and ``course_lib.data`` (its ``minibatches`` is Q1's answer; the
regression problems come from :func:`regression_problem` here). The grader hides them from
the submission's kernel (an import fails).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question
from course_lib.homework.trajectories import QUADRATIC, ROSENBROCK, SURFACES
from course_lib.homework.unanswered import quiet_unanswered

STEPS = 30


def regression_problem(
    n_samples: int, n_features: int, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear regression problem without intercept: y = X @ true_w + noise.

    Features are standard normal; each true weight has a magnitude in [1, 3] and a random
    sign. Returns ``(X (N, D), y (N,), true_w (D,))``, all float64, from ``seed``.
    """
    rng = np.random.default_rng(seed)
    true_w = rng.uniform(1.0, 3.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    X = rng.standard_normal((n_samples, n_features))
    return X, X @ true_w + noise * rng.standard_normal(n_samples), true_w


# ----- q1 minibatches -------------------------------------------------------------------


def _minibatch_cases(seed: int | None = None) -> list[Case]:
    seed = 0 if seed is None else seed
    cases = []
    # No batch size divides its data set: a dropped last batch shows in every case.
    for n, batch_size, case_seed in [(10, 4, seed), (7, 3, seed + 1), (9, 2, seed + 2)]:
        X = np.arange(n * 2, dtype=float).reshape(n, 2)
        y = np.arange(n)
        label = f"{n} examples, batch_size {batch_size}, two epochs from one rng"
        cases.append(
            Case(
                label,
                (X, y, batch_size, np.random.default_rng(case_seed)),
                ("X", "y", "batch_size", "rng"),
            )
        )
    return cases


def two_epochs(minibatches: Callable, X, y, batch_size, rng) -> tuple:
    """Two epochs with the same generator: per epoch, the (rows, labels) of every batch."""
    return tuple(
        tuple((np.asarray(xb), np.asarray(yb)) for xb, yb in minibatches(X, y, batch_size, rng))
        for _ in range(2)
    )


def labels_per_epoch(X: np.ndarray, epochs: tuple) -> tuple:
    """The labels of each batch, per epoch, after checking that each batch's rows are
    ``X[labels]`` (a ``ValueError`` otherwise); runs in the checker's process."""
    labels = []
    for epoch in epochs:
        for xb, yb in epoch:
            xb, yb = np.asarray(xb), np.asarray(yb)
            if yb.dtype.kind not in "iu" or not np.array_equal(xb, X[yb]):
                raise ValueError("a batch's rows of X do not belong to its labels y")
        labels.append(tuple(np.asarray(yb) for _, yb in epoch))
    return tuple(labels)


def _call_minibatches(fn: Callable, args: tuple) -> tuple:
    """Raw observations only (rows and labels of each batch); judged by ``labels_per_epoch``."""
    return two_epochs(fn, *args)


# ----- q2 and q3: momentum and Nesterov -------------------------------------------------


def _optimizer_cases(seed: int | None = None) -> list[Case]:
    names = ("surface", "start", "lr", "momentum")
    if seed is not None:  # the same settings from starts moved by up to 0.3 per axis
        rng = np.random.default_rng(seed)
        return [
            Case(
                f"{c.label}, a start near the public one",
                (c.args[0], c.args[1] + rng.uniform(-0.3, 0.3, size=2), *c.args[2:]),
                names,
            )
            for c in _optimizer_cases()
        ]
    return [
        Case(
            "quadratic, lr 0.05, momentum 0.9", (QUADRATIC, np.array([-2.5, 1.0]), 0.05, 0.9), names
        ),
        Case(
            "quadratic, lr 0.1, momentum 0.5", (QUADRATIC, np.array([1.0, -2.0]), 0.1, 0.5), names
        ),
        Case(
            "Rosenbrock, lr 1e-4, momentum 0.95",
            (ROSENBROCK, np.array([-1.2, 1.0]), 1e-4, 0.95),
            names,
        ),
    ]


def _call_momentum(fn: Callable, args: tuple) -> np.ndarray:
    surface, start, lr, momentum = args
    grad = SURFACES[surface].grad
    theta, velocity = np.array(start, dtype=float), np.zeros(2)
    path = [theta.copy()]
    for _ in range(STEPS):
        theta, velocity = fn(theta, grad(theta), velocity, lr, momentum)
        theta, velocity = np.array(theta, dtype=float), np.array(velocity, dtype=float)
        path.append(theta.copy())
    return np.array(path)


def _call_nesterov(fn: Callable, args: tuple) -> np.ndarray:
    """The look-ahead points theta + m * velocity: what torch's Nesterov form iterates."""
    surface, start, lr, momentum = args
    theta, velocity = np.array(start, dtype=float), np.zeros(2)
    path = [theta.copy()]
    for _ in range(STEPS):
        theta, velocity = fn(theta, SURFACES[surface].grad, velocity, lr, momentum)
        theta, velocity = np.array(theta, dtype=float), np.array(velocity, dtype=float)
        path.append(theta + momentum * velocity)
    return np.array(path)


# ----- q4 one epoch of mini-batch SGD ---------------------------------------------------


def _epoch_cases(seed: int | None = None) -> list[Case]:
    seed = 0 if seed is None else seed
    names = ("w", "X", "y", "batch_size", "lr", "rng")
    cases = []
    for n, features, batch_size, lr, case_seed in [
        (20, 3, 4, 0.05, seed),
        (12, 2, 12, 0.1, seed + 1),
        (9, 4, 2, 0.02, seed + 2),
    ]:
        X, y, _ = regression_problem(n, features, seed=case_seed)
        label = f"{n} examples, {features} features, batch_size {batch_size}, two epochs"
        rng = np.random.default_rng([case_seed, 1])
        cases.append(Case(label, (np.zeros(features), X, y, batch_size, lr, rng), names))
    return cases


def call_epochs(fn: Callable, args: tuple) -> tuple:
    """Two epochs of ``fn`` from the same generator: (w after epoch 1, w after epoch 2)."""
    w, X, y, batch_size, lr, rng = args
    w1 = np.array(fn(w, X, y, batch_size, lr, rng), dtype=float)
    w2 = np.array(fn(w1.copy(), X, y, batch_size, lr, rng), dtype=float)
    return (w1, w2)


# ----- q5 updates to a target loss --------------------------------------------------------

#: The most updates q5 runs before it gives up (and returns this number).
MAX_UPDATES = 3000


def _target_cases(seed: int | None = None) -> list[Case]:
    seed = 0 if seed is None else seed
    names = ("X", "y", "batch_size", "lr", "target", "rng")
    X, y, _ = regression_problem(256, 5, noise=0.1, seed=seed)
    return [
        Case(
            f"linear regression from w = 0, 256 examples, batch_size {b}, lr {lr}, target MSE 0.05",
            (X, y, b, lr, 0.05, np.random.default_rng([seed, b])),
            names,
        )
        for b, lr in [(4, 0.016), (32, 0.128), (256, 0.2)]
    ]


def _mse_loss_and_grad(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error of ``X @ w`` (X: (N, D), w: (D,)) and its gradient, shape (D,)."""
    residual = X @ w - y
    return float(np.mean(residual**2)), 2 * X.T @ residual / len(y)


def _call_updates(fn: Callable, args: tuple) -> int:
    """The student's model-agnostic count, run on the case's linear regression from w = 0."""
    X, y, batch_size, lr, target, rng = args
    return fn(_mse_loss_and_grad, np.zeros(X.shape[1]), X, y, batch_size, lr, target, rng)


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.optim", "course_lib.data")


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw03", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw03",
    title="Batch size and momentum",
    notebook="hw03_batch_and_momentum",
    questions=(
        _question(
            "q1", "minibatches", 2, _minibatch_cases,
            ("labels per batch, epoch 1", "labels per batch, epoch 2"),
            call=_call_minibatches,
            interpret=lambda case, observed: labels_per_epoch(case.args[0], observed),
            mistakes=("one-order", "no-shuffling", "last-batch-dropped"),
        ),
        _question(
            "q2", "momentum_step", 2, _optimizer_cases, ("path",),
            call=_call_momentum,
            mistakes=("velocity-never-decays", "gradient-applied-twice"),
        ),
        _question(
            "q3", "nesterov_step", 2, _optimizer_cases, ("path",),
            call=_call_nesterov,
            mistakes=("no-look-ahead", "look-ahead-backwards"),
        ),
        _question(
            "q4", "linear_regression_epoch", 2, _epoch_cases,
            ("w after epoch 1", "w after epoch 2"),
            call=call_epochs,
            mistakes=("factor-2-missing", "sum-not-mean", "divided-by-n"),
            uses=("q1",), standins=("minibatches",),
        ),
        _question(
            "q5", "updates_to_target", 3, _target_cases, ("updates",),
            call=_call_updates,
            rtol=0.0, atol=0.5,
            mistakes=("epochs-not-updates", "loss-checked-before", "batch-loss"),
            uses=("q1",), standins=("minibatches",),
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw03-answer-6",
            2,
            "Part C: in the table of batch sizes, where do the updates to the target fall in "
            "proportion to the batch size and where do they stop falling? Why, and what does "
            "that mean for the epochs (the computation) each batch size needs? "
            "(two or three sentences)",
        ),
    ),
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", minibatches)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
