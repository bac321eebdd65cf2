"""Homework hw03 (lecture 03, batch size and momentum): questions and PyTorch references.

The student writes, in ``homework/hw03_batch_and_momentum.ipynb``:

====  ===============================================  ======  ==============================
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
from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Mistake, Question
from course_lib.homework.trajectories import QUADRATIC, ROSENBROCK, SURFACES, torch_path
from course_lib.homework.unanswered import quiet_unanswered

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


# ----- q5 updates to a target loss --------------------------------------------------------

#: The most updates q5 runs before it gives up (and returns this number).
MAX_UPDATES = 3000


def _target_cases(seed: int = 0) -> list[Case]:
    names = ("X", "y", "batch_size", "lr", "target", "rng")
    X, y, _ = make_regression(n_samples=256, n_features=5, noise=0.1, seed=seed, bias=0.0)
    return [
        Case(
            f"linear regression from w = 0, 256 examples, batch_size {b}, lr {lr}, target MSE 0.05",
            (X, y, b, lr, 0.05, np.random.default_rng(seed + b)),
            names,
        )
        for b, lr in [(4, 0.016), (32, 0.128), (256, 0.2)]
    ]


def _count_updates(X, y, batch_size, lr, target, rng, judge_on_batch=False, after=True):
    """Updates of mini-batch SGD on the MSE until the full-data MSE <= target (trusted)."""
    w, updates = np.zeros(X.shape[1]), 0
    while updates < MAX_UPDATES:
        for xb, yb in reference_minibatches(X, y, batch_size, rng=rng):
            before = np.mean((xb @ w - yb) ** 2) if judge_on_batch else None
            w = w - lr * 2 * xb.T @ (xb @ w - yb) / len(yb)
            updates += 1
            loss = before if judge_on_batch else np.mean((X @ w - y) ** 2)
            if loss <= target:
                return updates + (0 if after else 1)
            if updates >= MAX_UPDATES:
                break
    return updates


def _mse_loss_and_grad(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error of ``X @ w`` and its gradient with respect to ``w`` (trusted)."""
    residual = X @ w - y
    return float(np.mean(residual**2)), 2 * X.T @ residual / len(y)


def _call_updates(fn: Callable, args: tuple) -> int:
    """The student's model-agnostic count, run on the case's linear regression from w = 0."""
    X, y, batch_size, lr, target, rng = args
    return fn(_mse_loss_and_grad, np.zeros(X.shape[1]), X, y, batch_size, lr, target, rng)


def _updates_reference(X, y, batch_size, lr, target, rng) -> int:
    return _count_updates(X, y, batch_size, lr, target, rng)


def _epochs_of(X, y, batch_size, lr, target, rng) -> int:
    per_epoch = -(-len(X) // batch_size)
    return -(-_count_updates(X, y, batch_size, lr, target, rng) // per_epoch)


# ----- common mistakes ------------------------------------------------------------------


MINIBATCH_MISTAKES = (
    Mistake(
        "one order for both epochs",
        "your second epoch repeats the first one's order: shuffle again at the start of "
        "every epoch (every call), from the generator you are given",
        lambda X, y, b, rng: (lambda first: (first, first))(
            _reference_minibatches(X, y, b, rng)[0]
        ),
    ),
    Mistake(
        "no shuffling",
        "your batches come in the original order: an epoch visits the examples in a fresh "
        "random order (lecture 03, §1)",
        lambda X, y, b, rng: tuple(
            tuple(np.arange(len(X))[i : i + b] for i in range(0, len(X), b)) for _ in range(2)
        ),
    ),
    Mistake(
        "last batch dropped",
        "your epoch leaves out the last, smaller batch: every example is visited once per "
        "epoch, so the last batch may be smaller",
        lambda X, y, b, rng: tuple(
            tuple(batch for batch in epoch if len(batch) == b)
            for epoch in _reference_minibatches(X, y, b, rng)
        ),
    ),
)


def _momentum_path(fn_kind: str):
    def path(surface, start, lr, momentum):
        grad = SURFACES[surface].grad
        theta, velocity = np.array(start, dtype=float), np.zeros(2)
        points = [theta.copy()]
        for _ in range(STEPS):
            g = grad(theta)
            if fn_kind == "gradient step on top":
                velocity = momentum * velocity - lr * g
                theta = theta + velocity - lr * g
            elif fn_kind == "velocity not decayed":
                velocity = velocity - lr * g
                theta = theta + velocity
            points.append(theta.copy())
        return np.array(points)

    return path


MOMENTUM_MISTAKES = (
    Mistake(
        "velocity never decays",
        "your velocity adds up every past gradient with full weight: the momentum "
        "coefficient must shrink the old velocity at every step (lecture 03, §5)",
        _momentum_path("velocity not decayed"),
    ),
    Mistake(
        "gradient applied twice",
        "your step adds a plain gradient step on top of the velocity: the velocity already "
        "contains this step's gradient",
        _momentum_path("gradient step on top"),
    ),
)


def _nesterov_wrong(kind: str):
    def path(surface, start, lr, momentum):
        grad = SURFACES[surface].grad
        theta, velocity = np.array(start, dtype=float), np.zeros(2)
        points = [theta.copy()]
        for _ in range(STEPS):
            at = theta if kind == "no look-ahead" else theta - momentum * velocity
            velocity = momentum * velocity - lr * grad(at)
            theta = theta + velocity
            points.append(theta + momentum * velocity)
        return np.array(points)

    return path


NESTEROV_MISTAKES = (
    Mistake(
        "no look-ahead",
        "your path is plain momentum: Nesterov evaluates the gradient at the point momentum "
        "is about to carry the parameters to, not where they are (lecture 03, §6)",
        _nesterov_wrong("no look-ahead"),
    ),
    Mistake(
        "look-ahead backwards",
        "your look-ahead point goes against the velocity: look ahead in the direction the "
        "velocity is moving",
        _nesterov_wrong("backwards"),
    ),
)


def _epoch_wrong(kind: str):
    def weights(w, X, y, batch_size, lr, rng):
        w = np.asarray(w, dtype=float)
        out = []
        for _ in range(2):
            for xb, yb in reference_minibatches(X, y, batch_size, rng=rng):
                residual = xb @ w - yb
                if kind == "factor 2 missing":
                    w = w - lr * xb.T @ residual / len(yb)
                elif kind == "sum, not mean":
                    w = w - lr * 2 * xb.T @ residual
                elif kind == "divided by N":
                    w = w - lr * 2 * xb.T @ residual / len(X)
            out.append(w.copy())
        return tuple(out)

    return weights


EPOCH_MISTAKES = (
    Mistake(
        "factor 2 missing",
        "your steps are half as long as expected: the derivative of a square brings a factor 2",
        _epoch_wrong("factor 2 missing"),
    ),
    Mistake(
        "sum, not mean",
        "your gradient is the gradient of the batch's summed loss: the loss is a mean over "
        "the batch, so its gradient carries one over the batch size",
        _epoch_wrong("sum, not mean"),
    ),
    Mistake(
        "divided by N",
        "your gradient divides by the number of examples of the whole data set: the batch "
        "loss is a mean over the batch (the last batch can be smaller)",
        _epoch_wrong("divided by N"),
    ),
)

TARGET_MISTAKES = (
    Mistake(
        "epochs, not updates",
        "your count is the number of epochs: the question counts updates (one per "
        "mini-batch); the notebook converts them to epochs later",
        _epochs_of,
    ),
    Mistake(
        "loss checked before the update",
        "your count is one more than expected: check the loss after each update, and stop "
        "at the first update that reaches the target",
        lambda X, y, b, lr, target, rng: _count_updates(X, y, b, lr, target, rng, after=False),
    ),
    Mistake(
        "batch loss",
        "your count stops on the mini-batch's loss: that is a noisy estimate; the target is "
        "for the loss on all of X",
        lambda X, y, b, lr, target, rng: _count_updates(X, y, b, lr, target, rng, True),
    ),
)


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
            "lecture 03, §1 (batches, epochs and shuffling): each call is one epoch with its "
            "own random order, drawn from the generator you are given exactly as the prompt "
            "says, and every example appears in exactly one batch.",
            call=_call_minibatches,
            interpret=lambda case, observed: _labels_per_epoch(case.args[0], observed),
            mistakes=MINIBATCH_MISTAKES,
        ),
        Question(
            "q2",
            "momentum_step",
            2,
            _optimizer_cases,
            lambda s, x, lr, m: torch_path("SGD", s, x, STEPS, lr=lr, momentum=m),
            ("path",),
            "lecture 03, §5: the velocity is a decaying memory of the past steps plus this "
            "step's gradient step, and the parameters move by the new velocity.",
            call=_call_momentum,
            mistakes=MOMENTUM_MISTAKES,
        ),
        Question(
            "q3",
            "nesterov_step",
            2,
            _optimizer_cases,
            lambda s, x, lr, m: torch_path("SGD", s, x, STEPS, lr=lr, momentum=m, nesterov=True),
            ("path",),
            "lecture 03, §6: the same recursion as momentum, with the gradient taken at the "
            "look-ahead point. (The check compares your look-ahead points with torch's "
            "iterates.)",
            call=_call_nesterov,
            mistakes=NESTEROV_MISTAKES,
        ),
        Question(
            "q4",
            "linear_regression_epoch",
            2,
            _epoch_cases,
            _reference_epochs,
            ("w after epoch 1", "w after epoch 2"),
            "differentiate the batch's mean squared error with respect to w (lecture 01, §7 "
            "shape matching helps), take one plain gradient step per mini-batch of your q1 "
            "iterator, and pass it the generator you are given.",
            call=_call_epochs,
            mistakes=EPOCH_MISTAKES,
        ),
        Question(
            "q5",
            "updates_to_target",
            3,
            _target_cases,
            _updates_reference,
            ("updates",),
            "lecture 03, §3 (time per update and per epoch): start from the theta you are "
            "given, take one plain SGD step per mini-batch with the gradient loss_and_grad "
            "returns, epoch after epoch, and after every update measure the loss on all of X "
            "with loss_and_grad; count updates, not epochs.",
            call=_call_updates,
            rtol=0.0,
            atol=0.5,
            mistakes=TARGET_MISTAKES,
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
)

#: The self-check students call after each question: ``check("q1", minibatches)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
