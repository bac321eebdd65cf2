"""Homework hw05 (lecture 05, classification losses): questions and their cases.

The student writes, in ``homework/hw05_classification.ipynb``:

====  ===================================================  ======  ===========================
key   function                                             points  public cases judged on
====  ===================================================  ======  ===========================
q1    ``log_softmax(z)``                                        2  stored outputs
q2    ``cross_entropy(logits, labels, label_smoothing)``        3  stored outputs
q3    ``mse_on_softmax(logits, labels)``                        2  stored outputs
q4    ``train_softmax_regression(X, y, loss_fn, lr, steps)``    2  stored outputs
q5    ``bad_start_experiment(seed)``: an MLP from a saturated       2  thresholds (judge)
      start, trained with each loss
w1    written answer (Part C), a markdown cell                  2  graded by hand (``--review``)
====  ===================================================  ======  ===========================

The expected outputs are PyTorch's (``torch.log_softmax``, ``F.cross_entropy``, autograd,
the training loop with ``torch.optim.SGD``), computed by the instructor's references and
stored as data with every known mistake's output (:mod:`~course_lib.homework.stored`). q2 is
derive-then-implement: the prompt defines the smoothed target and asks for the gradient.
q4's check hands the training loop a loss of its own (:func:`squared_error`, no answer of
this homework), so that q4 is judged on the loop alone.

q2 and q3 call the student's q1, q5 calls q2 and q3: the grader runs them with stand-ins
(:mod:`~course_lib.homework.standins`). Every case maker takes a ``seed``: None gives the
public cases, the grader's hidden cases come from the instructor's secret seed.

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.losses`` (they hold the
answers). The grader hides them from the submission's kernel (an import fails).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.data import make_blobs
from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question
from course_lib.homework.digits import digits_copy
from course_lib.homework.messages import say
from course_lib.homework.unanswered import quiet_unanswered


def _torch():
    import torch

    return torch


def _normal(seed: int) -> Callable[..., np.ndarray]:
    rng = np.random.default_rng(seed)
    return lambda *shape: rng.standard_normal(shape)


def _logit_cases(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    r = _normal(seed)
    confident = 800 * r(1, 4)  # labelled with its lowest logit: confidently wrong
    return [
        ("4 examples, 3 classes", r(4, 3), np.array([0, 2, 1, 1])),
        ("logits in the thousands", 1000 * r(3, 5), np.array([4, 0, 2])),
        ("a confident wrong prediction", confident, confident.argmin(axis=1)),
    ]


# ----- q1 log_softmax -------------------------------------------------------------------


def _log_softmax_cases(seed: int | None = None) -> list[Case]:
    seed = 501 if seed is None else seed
    return [Case(label, (z,), ("z",)) for label, z, _ in _logit_cases(seed)]


# ----- q2 cross-entropy with label smoothing --------------------------------------------


def _cross_entropy_cases(seed: int | None = None) -> list[Case]:
    seed = 502 if seed is None else seed
    names = ("logits", "labels", "label_smoothing")
    smoothing = [0.05, 0.1, 0.3]
    return [
        Case(f"{label}, label_smoothing {s}", (z, y, s), names)
        for (label, z, y), s in zip(_logit_cases(seed), smoothing, strict=True)
    ]


# ----- q3 MSE on softmax probabilities --------------------------------------------------


def _mse_cases(seed: int | None = None) -> list[Case]:
    seed = 503 if seed is None else seed
    # large logits scaled down: a saturated softmax has a vanishing MSE gradient (that is
    # q5's point), which would test nothing here
    return [
        Case(label, (z / 100 if np.abs(z).max() > 100 else z, y), ("logits", "labels"))
        for label, z, y in _logit_cases(seed)
    ]


# ----- q4 training loop -----------------------------------------------------------------


def _train_cases(seed: int | None = None) -> list[Case]:
    names = ("X", "y", "loss_fn", "lr", "steps")
    cases = []
    rng = np.random.default_rng(504 if seed is None else seed)
    for n, classes, lr, steps in [(60, 3, 0.05, 20), (40, 2, 0.1, 10), (90, 4, 0.02, 30)]:
        X, y = make_blobs(n_samples=n, centers=classes, seed=int(rng.integers(1_000_000)))
        label = f"{n} points, {classes} blobs, lr {lr}, {steps} steps, squared error"
        cases.append(Case(label, (X, y, "squared error", lr, steps), names))
    return cases


def squared_error(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss q4's check hands the training loop: the mean over examples of the squared
    distance between the logits (N, C) and the one-hot targets, and its gradient (N, C).

    Not a loss this homework asks for (q3 squares *probabilities*): q4 is about the loop.
    """
    residual = logits - np.eye(logits.shape[1])[labels]
    return float((residual**2).sum(axis=1).mean()), 2 * residual / len(labels)


def _call_train(fn: Callable, args: tuple):
    X, y, _, lr, steps = args
    return fn(X, y, squared_error, lr, steps)


# ----- q5 an MLP from a bad start -------------------------------------------------------

#: The experiment of q5: full-batch gradient descent at ``lr`` for ``steps`` steps on the
#: network of :func:`mlp_problem`, whose output bias starts at ``shift`` for class 0.
#: Measured over 10 seeds while writing it: cross-entropy reached a training accuracy of
#: 0.98 to 0.99, MSE on softmax stayed at 0.105 (every digit called a 0).
EXPERIMENT = {"lr": 0.5, "steps": 100, "shift": 12.0, "digits": 600, "hidden": 32}
#: The judge asks cross-entropy's accuracy to reach the first, MSE's to stay below the second.
CE_ABOVE, MSE_BELOW = 0.9, 0.3


def mlp_problem(seed: int) -> tuple[dict, np.ndarray, np.ndarray, Callable]:
    """A 64 -> 32 -> 10 ReLU network on the first 600 digits, started badly (q5).

    Its weights are He-initialised from ``seed``; its output bias starts at
    ``EXPERIMENT["shift"]`` for class 0 and 0 elsewhere, so that at the start every digit
    is predicted to be a 0 with a probability close to 1.

    Returns:
        ``(params, X, y, network)``: ``params`` a dict of arrays ``W0`` (64, 32), ``b0``
        (32,), ``W1`` (32, 10), ``b1`` (10,); ``X`` (600, 64) and ``y`` (600,) the digits;
        ``network(params, X)`` returns ``(logits, backward)``: the logits (N, 10) and a
        function ``backward(dlogits)`` that returns the gradients of the parameters (a dict
        with the keys of ``params``) given the gradient of the loss w.r.t. the logits.
    """
    X, y = digits_copy()
    X, y = X[: EXPERIMENT["digits"]], y[: EXPERIMENT["digits"]]
    rng, hidden = np.random.default_rng(seed), EXPERIMENT["hidden"]
    params = {
        "W0": rng.standard_normal((64, hidden)) * np.sqrt(2 / 64),
        "b0": np.zeros(hidden),
        "W1": rng.standard_normal((hidden, 10)) * np.sqrt(2 / hidden),
        "b1": np.zeros(10),
    }
    params["b1"][0] = EXPERIMENT["shift"]
    return params, X, y, _network


def _network(params: dict, X: np.ndarray) -> tuple[np.ndarray, Callable]:
    z0 = X @ params["W0"] + params["b0"]
    h = np.maximum(z0, 0.0)

    def backward(dlogits: np.ndarray) -> dict:
        dh = (dlogits @ params["W1"].T) * (z0 > 0)
        return {"W0": X.T @ dh, "b0": dh.sum(axis=0), "W1": h.T @ dlogits, "b1": dlogits.sum(0)}

    return h @ params["W1"] + params["b1"], backward


def _experiment_cases(seed: int | None = None) -> list[Case]:
    net_seed = int(np.random.default_rng(505 if seed is None else seed).integers(1_000_000))
    label = f"network seed {net_seed}" if seed is None else "a random network seed"
    return [Case(label, (net_seed,), ("seed",))]


def _call_experiment(fn: Callable, args: tuple) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # the matrices are tiny: threads only add overhead
        out = fn(*args)
    if not isinstance(out, dict):
        raise TypeError(f"bad_start_experiment must return a dict, got {type(out).__name__}")
    return {k: float(out[k]) for k in ("cross-entropy", "MSE on softmax") if k in out}


def _judge_experiment(case: Case, result: Any) -> tuple[float, str]:
    if not isinstance(result, dict) or set(result) != {"cross-entropy", "MSE on softmax"}:
        return 0.0, say("hw05.q5.keys")
    ce, mse = result["cross-entropy"], result["MSE on softmax"]
    if not all(0.0 <= a <= 1.0 for a in (ce, mse)):
        return 0.0, say("hw05.q5.range")
    if ce >= CE_ABOVE and mse < MSE_BELOW:
        # no numbers: a different CPU's rounding may move them a little
        return 1.0, say("hw05.q5.passed", above=CE_ABOVE, below=MSE_BELOW)
    seen = "" if case.hidden else say("hw05.q5.seen", ce=f"{ce:.3f}", mse=f"{mse:.3f}")
    if ce < CE_ABOVE:
        return 0.0, seen + say("hw05.q5.ce-too-low", above=CE_ABOVE)
    return 0.0, seen + say("hw05.q5.mse-too-high", below=MSE_BELOW)


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.losses")


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw05", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw05",
    title="Classification losses",
    notebook="hw05_classification",
    questions=(
        _question(
            "q1", "log_softmax", 2, _log_softmax_cases, ("log_probs",),
            mistakes=("over-columns", "max-subtracted-once", "no-max-shift", "log-of-underflow"),
        ),
        _question(
            "q2", "cross_entropy", 3, _cross_entropy_cases, ("loss", "dlogits"),
            mistakes=("smoothing-ignored", "smoothing-over-others", "s-not-divided",
                      "gradient-without-smoothing", "summed-over-batch"),
            uses=("q1",), standins=("log_softmax",),
        ),
        _question(
            "q3", "mse_on_softmax", 2, _mse_cases, ("loss", "dlogits"),
            mistakes=("jacobian-skipped", "mean-over-classes"),
            uses=("q1",), standins=("log_softmax",),
        ),
        _question(
            "q4", "train_softmax_regression", 2, _train_cases, ("W", "b", "losses"),
            call=_call_train,
            mistakes=("loss-after-update", "bias-with-mean"),
        ),
        _question(
            "q5", "bad_start_experiment", 2, _experiment_cases, ("training accuracy",),
            call=_call_experiment, judge=_judge_experiment,
            uses=("q2", "q3"), standins=("cross_entropy", "mse_on_softmax"),
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw05-answer-6",
            2,
            "Part C: why does MSE on softmax probabilities make no progress from this start "
            "while cross-entropy trains? (two or three sentences, using the gradient norms "
            "printed in Part A)",
        ),
    ),
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", log_softmax)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
