"""Homework hw05 (lecture 05, classification losses): questions and PyTorch references.

The student writes, in ``homework/hw05_classification.ipynb``:

====  ===================================================  ======  ===========================
key   function                                             points  checked against
====  ===================================================  ======  ===========================
q1    ``log_softmax(z)``                                        2  ``torch.log_softmax``
q2    ``cross_entropy(logits, labels, label_smoothing)``        3  ``F.cross_entropy``
q3    ``mse_on_softmax(logits, labels)``                        2  ``torch.autograd``
q4    ``train_softmax_regression(X, y, loss_fn, lr, steps)``    3  the same loop in torch
w1    written answer (Part C), a markdown cell                  2  graded by hand (``--review``)
====  ===================================================  ======  ===========================

The case makers of q1, q2 and q3 take a ``seed``: the public cases use the default, the
grader adds cases made from the instructor's secret seed
(``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.losses`` (they hold the
answers). The grader hides them from the submission's kernel (an import fails) and flags
code that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.data import make_blobs
from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question


def _torch():
    import torch

    return torch


def _normal(seed: int) -> Callable[..., np.ndarray]:
    rng = np.random.default_rng(seed)
    return lambda *shape: rng.standard_normal(shape)


def _logit_cases(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    r = _normal(seed)
    return [
        ("4 examples, 3 classes", r(4, 3), np.array([0, 2, 1, 1])),
        ("logits in the thousands", 1000 * r(3, 5), np.array([4, 0, 2])),
        ("a confident wrong prediction", np.array([[12.0, -3.0, 0.5]]), np.array([1])),
    ]


# ----- q1 log_softmax -------------------------------------------------------------------


def _log_softmax_cases(seed: int = 501) -> list[Case]:
    return [Case(label, (z,), ("z",)) for label, z, _ in _logit_cases(seed)]


def _log_softmax_reference(z: np.ndarray) -> np.ndarray:
    torch = _torch()
    return torch.log_softmax(torch.tensor(z), dim=1).numpy()


# ----- q2 cross-entropy with label smoothing --------------------------------------------


def _cross_entropy_cases(seed: int = 502) -> list[Case]:
    names = ("logits", "labels", "label_smoothing")
    smoothing = [0.0, 0.1, 0.3]
    return [
        Case(f"{label}, label_smoothing {s}", (z, y, s), names)
        for (label, z, y), s in zip(_logit_cases(seed), smoothing, strict=True)
    ]


def _cross_entropy_reference(logits, labels, label_smoothing):
    torch = _torch()
    z = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(
        z, torch.tensor(labels), label_smoothing=label_smoothing
    )
    loss.backward()
    return (loss.item(), z.grad.numpy())


# ----- q3 MSE on softmax probabilities --------------------------------------------------


def _mse_cases(seed: int = 503) -> list[Case]:
    return [
        Case(label, (z / 100 if "thousands" in label else z, y), ("logits", "labels"))
        for label, z, y in _logit_cases(seed)
    ]


def _mse_reference(logits, labels):
    torch = _torch()
    z = torch.tensor(logits, requires_grad=True)
    one_hot = torch.nn.functional.one_hot(torch.tensor(labels), z.shape[1]).double()
    loss = ((torch.softmax(z, dim=1) - one_hot) ** 2).sum(dim=1).mean()
    loss.backward()
    return (loss.item(), z.grad.numpy())


# ----- q4 training loop -----------------------------------------------------------------


def _train_cases() -> list[Case]:
    names = ("X", "y", "loss_fn", "lr", "steps")
    cases = []
    for n, classes, lr, steps, seed in [
        (60, 3, 0.5, 20, 0),
        (40, 2, 1.0, 10, 1),
        (90, 4, 0.2, 30, 2),
    ]:
        X, y = make_blobs(n_samples=n, centers=classes, seed=seed)
        label = f"{n} points, {classes} blobs, lr {lr}, {steps} steps, cross-entropy"
        cases.append(Case(label, (X, y, "cross_entropy", lr, steps), names))
    return cases


def _mean_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of (N, C) logits against (N,) labels, and its (N, C) gradient.

    The loss q4's training loop is handed. It is written here rather than imported from
    ``course_lib.losses`` because that module is hidden from the kernel while hw05 is
    graded (q1 and q2 ask for it); the tests check it against the library.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), grad / len(labels)


def _call_train(fn: Callable, args: tuple):
    X, y, _, lr, steps = args
    return fn(X, y, _mean_cross_entropy, lr, steps)


def _train_reference(X, y, loss_name, lr, steps):
    torch = _torch()
    classes = int(y.max()) + 1
    W = torch.zeros(X.shape[1], classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch.tensor(X) @ W + b, torch.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return (W.detach().numpy(), b.detach().numpy(), np.array(losses))


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.losses")

ASSIGNMENT = Assignment(
    name="hw05",
    title="Classification losses",
    notebook="hw05_classification",
    questions=(
        Question(
            "q1",
            "log_softmax",
            2,
            _log_softmax_cases,
            _log_softmax_reference,
            ("log_probs",),
            "subtract each row's max m first; then log_softmax(z) = (z - m) - "
            "log(sum(exp(z - m))) over the row: no overflow, no log(0).",
        ),
        Question(
            "q2",
            "cross_entropy",
            3,
            _cross_entropy_cases,
            _cross_entropy_reference,
            ("loss", "dlogits"),
            "with smoothing s and C classes the target is (1 - s) * one_hot + s / C; "
            "the loss is the mean over examples of -sum(target * log_softmax), and "
            "dlogits = (softmax - target) / N.",
        ),
        Question(
            "q3",
            "mse_on_softmax",
            2,
            _mse_cases,
            _mse_reference,
            ("loss", "dlogits"),
            "L = mean_i sum_c (p_ic - y_ic)**2 with p = softmax(logits); first dL/dp = "
            "2 (p - y) / N, then through softmax: dz = p * (dp - sum(dp * p, axis=1)), "
            "row by row.",
        ),
        Question(
            "q4",
            "train_softmax_regression",
            3,
            _train_cases,
            _train_reference,
            ("W", "b", "losses"),
            "start from W = zeros((D, C)) and b = zeros(C) with C = y.max() + 1; each "
            "step: loss, dlogits = loss_fn(X @ W + b, y), record the loss, then "
            "W -= lr * X.T @ dlogits and b -= lr * dlogits.sum(axis=0).",
            call=_call_train,
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw05-answer-5",
            2,
            "Part C: why does MSE on softmax probabilities make almost no progress at first "
            "while cross-entropy does? (two or three sentences, using the gradient norms "
            "printed in Part A)",
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", log_softmax)``.
check = ASSIGNMENT.check
