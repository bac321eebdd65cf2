"""Homework hw05 (lecture 05, classification losses): questions and PyTorch references.

The student writes, in ``homework/hw05_classification.ipynb``:

====  ===================================================  ======  ===========================
key   function                                             points  checked against
====  ===================================================  ======  ===========================
q1    ``log_softmax(z)``                                        2  ``torch.log_softmax``
q2    ``cross_entropy(logits, labels, label_smoothing)``        3  ``F.cross_entropy``
q3    ``mse_on_softmax(logits, labels)``                        2  ``torch.autograd``
q4    ``train_softmax_regression(X, y, loss_fn, lr, steps)``    2  the same loop in torch
q5    ``bad_start_experiment(seed)``: an MLP from a saturated       2  thresholds (judge)
      start, trained with each loss
w1    written answer (Part C), a markdown cell                  2  graded by hand (``--review``)
====  ===================================================  ======  ===========================

q2 is derive-then-implement: the prompt defines the smoothed target and asks for the
gradient, which the student derives (it is not in the lecture). Each question lists the
mistakes its check names (:class:`~course_lib.homework.checking.Mistake`).

Every case maker takes a ``seed``: the public cases use the default, the grader adds cases
made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch and ``course_lib.losses`` (they hold the
answers). The grader hides them from the submission's kernel (an import fails) and flags
code that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.data import make_blobs
from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Mistake, Question
from course_lib.homework.unanswered import quiet_unanswered


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


def _log_softmax_columns(z: np.ndarray) -> np.ndarray:
    torch = _torch()
    return torch.log_softmax(torch.tensor(z), dim=0).numpy()


def _log_softmax_max_once(z: np.ndarray) -> np.ndarray:
    """The max subtracted inside the log-sum-exp but not from the first term."""
    return _log_softmax_reference(z) + z.max(axis=1, keepdims=True)


# ----- q2 cross-entropy with label smoothing --------------------------------------------


def _cross_entropy_cases(seed: int = 502) -> list[Case]:
    names = ("logits", "labels", "label_smoothing")
    smoothing = [0.05, 0.1, 0.3]
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


def _soft_target_ce(target_of: Callable, *, sum_over_batch=False, hard_grad=False):
    """Cross-entropy against the soft target ``target_of(one_hot, s)`` and the gradient
    softmax - target (over N unless ``sum_over_batch``), in torch: for the mistakes
    (another target, a sum over the batch, the hard-label gradient)."""

    def wrong(logits, labels, label_smoothing):
        torch = _torch()
        z = torch.tensor(logits)
        one_hot = torch.nn.functional.one_hot(torch.tensor(labels), z.shape[1]).double()
        target = target_of(one_hot, label_smoothing)
        scale = 1.0 if sum_over_batch else 1.0 / z.shape[0]
        loss = -(target * torch.log_softmax(z, dim=1)).sum() * scale
        grad = (torch.softmax(z, dim=1) - (one_hot if hard_grad else target)) * scale
        return (loss.item(), grad.numpy())

    return wrong


def _target_over_others(one_hot, s):
    """s spread over the C - 1 wrong classes only."""
    return (1 - s) * one_hot + s * (1 - one_hot) / (one_hot.shape[1] - 1)


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


def _mse_variant(*, no_jacobian=False, mean_over_all=False):
    def wrong(logits, labels):
        torch = _torch()
        z = torch.tensor(logits, requires_grad=True)
        p = torch.softmax(z, dim=1)
        one_hot = torch.nn.functional.one_hot(torch.tensor(labels), z.shape[1]).double()
        squares = (p - one_hot) ** 2
        loss = squares.mean() if mean_over_all else squares.sum(dim=1).mean()
        if no_jacobian:
            dp = 2 * (p - one_hot) / z.shape[0]
            return (loss.item(), dp.detach().numpy())
        loss.backward()
        return (loss.item(), z.grad.numpy())

    return wrong


# ----- q4 training loop -----------------------------------------------------------------


def _train_cases(seed: int = 504) -> list[Case]:
    names = ("X", "y", "loss_fn", "lr", "steps")
    cases = []
    rng = np.random.default_rng(seed)
    for n, classes, lr, steps in [(60, 3, 0.5, 20), (40, 2, 1.0, 10), (90, 4, 0.2, 30)]:
        X, y = make_blobs(n_samples=n, centers=classes, seed=int(rng.integers(1_000_000)))
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


def _train_reference(X, y, loss_name, lr, steps, *, late=False, bias_mean=False):
    """The loop in torch (``late``: the loss recorded after each update; ``bias_mean``: b
    stepped with the mean of the logits' gradient over the examples: for the mistakes)."""
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
        if bias_mean:
            b.grad /= len(y)
        opt.step()
        if late:
            with torch.no_grad():
                loss = torch.nn.functional.cross_entropy(torch.tensor(X) @ W + b, torch.tensor(y))
        losses.append(loss.item())
    return (W.detach().numpy(), b.detach().numpy(), np.array(losses))


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
    from course_lib.homework.hw04 import _digits

    X, y = _digits()
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


def _experiment_cases(seed: int = 505) -> list[Case]:
    net_seed = int(np.random.default_rng(seed).integers(1_000_000))
    return [Case(f"network seed {net_seed}", (net_seed,), ("seed",))]


def _call_experiment(fn: Callable, args: tuple) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # the matrices are tiny: threads only add overhead
        out = fn(*args)
    if not isinstance(out, dict):
        raise TypeError(f"bad_start_experiment must return a dict, got {type(out).__name__}")
    return {k: float(out[k]) for k in ("cross-entropy", "MSE on softmax") if k in out}


def _judge_experiment(case: Case, result: Any) -> tuple[float, str]:
    if not isinstance(result, dict) or set(result) != {"cross-entropy", "MSE on softmax"}:
        return 0.0, "return a dict with the keys 'cross-entropy' and 'MSE on softmax'"
    ce, mse = result["cross-entropy"], result["MSE on softmax"]
    if not all(0.0 <= a <= 1.0 for a in (ce, mse)):
        return 0.0, f"accuracies must lie in [0, 1], got {ce!r} and {mse!r}"
    if ce >= CE_ABOVE and mse < MSE_BELOW:
        return 1.0, (  # no numbers: a different CPU's rounding may move them a little
            f"training accuracy with cross-entropy at least {CE_ABOVE}, with MSE on softmax "
            f"below {MSE_BELOW}: the saturated start stalls MSE only"
        )
    seen = f"training accuracy with cross-entropy {ce:.3f}, with MSE on softmax {mse:.3f}"
    if ce < CE_ABOVE:
        return 0.0, (
            f"{seen}: cross-entropy should reach {CE_ABOVE}; check that you start from "
            "mlp_problem's parameters, step every one of them, and measure on its digits"
        )
    return 0.0, (
        f"{seen}: MSE should stay below {MSE_BELOW} from this start; check that the MSE run "
        "uses your mse_on_softmax and the same start, learning rate and number of steps"
    )


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
            "lecture 05, section 2: shifting a row of logits by a constant does not change its "
            "softmax, and the right shift keeps every exponential between 0 and 1; work with "
            "logs throughout, row by row.",
            mistakes=(
                Mistake(
                    "over the columns",
                    "your log_probs are normalised over axis 0 (each class across the batch): "
                    "each example's row must be a distribution over the classes",
                    _log_softmax_columns,
                ),
                Mistake(
                    "max subtracted once",
                    "your log_probs are off by each row's maximum: the shift must be taken "
                    "out of both terms, z and the log-sum-exp",
                    _log_softmax_max_once,
                ),
            ),
        ),
        Question(
            "q2",
            "cross_entropy",
            3,
            _cross_entropy_cases,
            _cross_entropy_reference,
            ("loss", "dlogits"),
            "differentiate -sum_c t_c log p_c with respect to z_j yourself: log p_c depends "
            "on every logit through the log-sum-exp, and the entries of t add up to 1.",
            mistakes=(
                Mistake(
                    "smoothing ignored",
                    "your loss and dlogits are those of the one-hot target: label_smoothing "
                    "is ignored, the target must be the smoothed one",
                    lambda logits, labels, s: _cross_entropy_reference(logits, labels, 0.0),
                ),
                Mistake(
                    "smoothing over the other classes",
                    "your answer spreads s over the C - 1 wrong classes only: PyTorch's target "
                    "mixes the one-hot vector with the uniform distribution over ALL C classes",
                    _soft_target_ce(_target_over_others),
                ),
                Mistake(
                    "s not divided by C",
                    "your target adds s to every class: the uniform part is s / C per class, "
                    "so that the target still sums to 1",
                    _soft_target_ce(lambda one_hot, s: (1 - s) * one_hot + s),
                ),
                Mistake(
                    "gradient without smoothing",
                    "your loss is right but dlogits is the hard-label gradient: the gradient "
                    "must use the same soft target as the loss",
                    _soft_target_ce(
                        lambda one_hot, s: (1 - s) * one_hot + s / one_hot.shape[1], hard_grad=True
                    ),
                ),
                Mistake(
                    "summed over the batch",
                    "your loss and dlogits are summed over the examples: the loss is the MEAN "
                    "over the batch, so both carry a 1/N",
                    _soft_target_ce(
                        lambda one_hot, s: (1 - s) * one_hot + s / one_hot.shape[1],
                        sum_over_batch=True,
                    ),
                ),
            ),
        ),
        Question(
            "q3",
            "mse_on_softmax",
            2,
            _mse_cases,
            _mse_reference,
            ("loss", "dlogits"),
            "lecture 05, section 4: the chain rule goes through the softmax, whose Jacobian "
            "couples every logit of a row with every probability of that row.",
            mistakes=(
                Mistake(
                    "softmax Jacobian skipped",
                    "your dlogits is the gradient with respect to the probabilities: it still "
                    "has to go back through the softmax's Jacobian to reach the logits",
                    _mse_variant(no_jacobian=True),
                ),
                Mistake(
                    "mean over classes too",
                    "your loss averages over the classes as well: sum the squares over the "
                    "classes, then average over the examples",
                    _mse_variant(mean_over_all=True),
                ),
            ),
        ),
        Question(
            "q4",
            "train_softmax_regression",
            2,
            _train_cases,
            _train_reference,
            ("W", "b", "losses"),
            "lecture 05, section 4 trains this model: start from zeros, let loss_fn give the "
            "loss and its gradient at the logits, and carry that gradient back to W and b "
            "by shape matching (lecture 01) before each gradient-descent step.",
            call=_call_train,
            mistakes=(
                Mistake(
                    "loss after the update",
                    "your losses are those after each update: record the loss loss_fn returns "
                    "at the current parameters, before stepping",
                    lambda *args: _train_reference(*args, late=True),
                ),
                Mistake(
                    "bias with the mean",
                    "your b moved by the MEAN of dlogits over the examples: dlogits already "
                    "carries the 1/N, every example's contribution is added up",
                    lambda *args: _train_reference(*args, bias_mean=True),
                ),
            ),
        ),
        Question(
            "q5",
            "bad_start_experiment",
            2,
            _experiment_cases,
            None,
            ("training accuracy",),
            "train mlp_problem's network from its given start twice, once with each of your "
            "losses, with EXPERIMENT's learning rate and number of full-batch steps.",
            call=_call_experiment,
            judge=_judge_experiment,
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
)

#: The self-check students call after each question: ``check("q1", log_softmax)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
