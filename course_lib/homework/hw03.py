"""Homework hw03 (lecture 03, batch size and momentum): questions and PyTorch references.

The student writes, in ``homework/hw03_batch_and_momentum.ipynb``:

====  ===============================================  ======  ==============================
key   function                                         points  checked against
====  ===============================================  ======  ==============================
q1    ``minibatches(X, y, batch_size, rng)``                2  ``course_lib.data.minibatches``
q2    ``momentum_step(theta, grad, velocity, lr, m)``       3  ``torch.optim.SGD(momentum=m)``
q3    ``nesterov_step(theta, grad_fn, velocity, lr, m)``    3  ``SGD(..., nesterov=True)``
q4    ``linear_regression_epoch(w, X, y, B, lr, rng)``      2  ``torch.autograd`` + SGD
====  ===============================================  ======  ==============================

Optimizer questions are checked on whole trajectories (``STEPS`` steps from a start point),
so an error anywhere in the recursion shows up.

The case makers of q1 to q4 take a ``seed``: the public cases use the default, the grader
adds cases made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.optim`` (whose SGD has
momentum and Nesterov built in). The grader hides them from the submission's kernel (an
import fails) and flags code that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.data import make_regression
from course_lib.data import minibatches as reference_minibatches
from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question
from course_lib.homework.trajectories import QUADRATIC, ROSENBROCK, SURFACES, torch_path

STEPS = 30


def _torch():
    import torch

    return torch


# ----- q1 minibatches -------------------------------------------------------------------


def _minibatch_cases(seed: int = 0) -> list[Case]:
    cases = []
    for n, batch_size, case_seed in [(10, 4, seed), (6, 6, seed + 1), (5, 1, seed + 2)]:
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


def _two_epochs(minibatches: Callable, X, y, batch_size, rng) -> tuple:
    """Two epochs with the same generator: per epoch, the (rows, labels) of every batch."""
    return tuple(
        tuple((np.asarray(xb), np.asarray(yb)) for xb, yb in minibatches(X, y, batch_size, rng))
        for _ in range(2)
    )


def _labels_per_epoch(X: np.ndarray, epochs: tuple) -> tuple:
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
    """Raw observations only (rows and labels of each batch); judged by ``_labels_per_epoch``."""
    return _two_epochs(fn, *args)


def _reference_minibatches(X, y, batch_size, rng) -> tuple:
    def reference(X, y, b, rng):
        return reference_minibatches(X, y, b, rng=rng)

    return _labels_per_epoch(X, _two_epochs(reference, X, y, batch_size, rng))


# ----- q2 and q3: momentum and Nesterov -------------------------------------------------


def _optimizer_cases(seed: int | None = None) -> list[Case]:
    names = ("surface", "start", "lr", "momentum")
    if seed is not None:  # the same settings from starts moved by up to 0.3 per axis
        rng = np.random.default_rng(seed)
        return [
            Case(
                f"{c.label}, start {np.round(start, 3).tolist()}",
                (c.args[0], start, *c.args[2:]),
                names,
            )
            for c in _optimizer_cases()
            for start in [c.args[1] + rng.uniform(-0.3, 0.3, size=2)]
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


def _epoch_cases(seed: int = 0) -> list[Case]:
    names = ("w", "X", "y", "batch_size", "lr", "rng")
    cases = []
    for n, features, batch_size, lr, case_seed in [
        (20, 3, 4, 0.05, seed),
        (12, 2, 12, 0.1, seed + 1),
        (9, 4, 2, 0.02, seed + 2),
    ]:
        X, y, _ = make_regression(n_samples=n, n_features=features, seed=case_seed)
        label = f"{n} examples, {features} features, batch_size {batch_size}, two epochs"
        cases.append(
            Case(
                label,
                (np.zeros(features), X, y, batch_size, lr, np.random.default_rng(case_seed)),
                names,
            )
        )
    return cases


def _reference_epochs(w, X, y, batch_size, lr, rng) -> tuple:
    torch = _torch()
    weights = []
    w_t = torch.tensor(np.asarray(w, dtype=float), requires_grad=True)
    for _ in range(2):
        for xb, yb in reference_minibatches(X, y, batch_size, rng=rng):
            loss = ((torch.tensor(xb) @ w_t - torch.tensor(yb)) ** 2).mean()
            (grad,) = torch.autograd.grad(loss, w_t)
            with torch.no_grad():
                w_t -= lr * grad
        weights.append(w_t.detach().numpy().copy())
    return tuple(weights)


def _call_epochs(fn: Callable, args: tuple) -> tuple:
    w, X, y, batch_size, lr, rng = args
    w1 = np.array(fn(w, X, y, batch_size, lr, rng), dtype=float)
    w2 = np.array(fn(w1.copy(), X, y, batch_size, lr, rng), dtype=float)
    return (w1, w2)


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.optim")

ASSIGNMENT = Assignment(
    name="hw03",
    title="Batch size and momentum",
    notebook="hw03_batch_and_momentum",
    questions=(
        Question(
            "q1",
            "minibatches",
            2,
            _minibatch_cases,
            _reference_minibatches,
            ("labels per batch, epoch 1", "labels per batch, epoch 2"),
            "draw order = rng.permutation(len(X)) once per call (so each epoch has a new "
            "order), then yield X[order[i:i + batch_size]], y[order[i:i + batch_size]] for "
            "i = 0, batch_size, ...; the last batch may be smaller.",
            call=_call_minibatches,
            interpret=lambda case, observed: _labels_per_epoch(case.args[0], observed),
        ),
        Question(
            "q2",
            "momentum_step",
            3,
            _optimizer_cases,
            lambda s, x, lr, m: torch_path("SGD", s, x, STEPS, lr=lr, momentum=m),
            ("path",),
            "velocity = momentum * velocity - lr * grad, then theta = theta + velocity; "
            "return both (new arrays or updated ones).",
            call=_call_momentum,
        ),
        Question(
            "q3",
            "nesterov_step",
            3,
            _optimizer_cases,
            lambda s, x, lr, m: torch_path("SGD", s, x, STEPS, lr=lr, momentum=m, nesterov=True),
            ("path",),
            "evaluate the gradient at the look-ahead point theta + momentum * velocity, "
            "then velocity = momentum * velocity - lr * that gradient and theta = theta + "
            "velocity. (The check compares your look-ahead points with torch's iterates.)",
            call=_call_nesterov,
        ),
        Question(
            "q4",
            "linear_regression_epoch",
            2,
            _epoch_cases,
            _reference_epochs,
            ("w after epoch 1", "w after epoch 2"),
            "for each (X_b, y_b) in minibatches(X, y, batch_size, rng): the gradient of "
            "mean((X_b @ w - y_b)**2) is 2 * X_b.T @ (X_b @ w - y_b) / len(y_b); take "
            "w = w - lr * gradient. Use your q1 iterator with the rng you are given.",
            call=_call_epochs,
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", minibatches)``.
check = ASSIGNMENT.check
