"""hw05's references: PyTorch's log-softmax, cross-entropy and autograd, the training loop
with ``torch.optim.SGD``, and every known mistake. q2, q3 and q5 are also written with the
earlier answers called by name, for the stand-in tables."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from course_lib.homework.hw05 import EXPERIMENT, mlp_problem
from course_tools.grading.references import Reference


def _log_softmax_reference(z: np.ndarray) -> np.ndarray:
    return torch.log_softmax(torch.tensor(z), dim=1).numpy()


def _log_softmax_columns(z: np.ndarray) -> np.ndarray:
    return torch.log_softmax(torch.tensor(z), dim=0).numpy()


def _log_softmax_max_once(z: np.ndarray) -> np.ndarray:
    """The max subtracted inside the log-sum-exp but not from the first term."""
    return _log_softmax_reference(z) + z.max(axis=1, keepdims=True)


def _cross_entropy_reference(logits, labels, label_smoothing):
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


def _mse_reference(logits, labels):
    z = torch.tensor(logits, requires_grad=True)
    one_hot = torch.nn.functional.one_hot(torch.tensor(labels), z.shape[1]).double()
    loss = ((torch.softmax(z, dim=1) - one_hot) ** 2).sum(dim=1).mean()
    loss.backward()
    return (loss.item(), z.grad.numpy())


def _mse_variant(*, no_jacobian=False, mean_over_all=False):
    def wrong(logits, labels):
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


def _squared_error_torch(logits, y):
    one_hot = torch.nn.functional.one_hot(torch.tensor(y), logits.shape[1]).double()
    return ((logits - one_hot) ** 2).sum(dim=1).mean()


def _train_reference(X, y, loss_name, lr, steps, *, late=False, bias_mean=False):
    """The loop in torch with the check's loss (``late``: the loss recorded after each
    update; ``bias_mean``: b stepped with the mean of the logits' gradient over the
    examples: for the mistakes)."""
    classes = int(y.max()) + 1
    W = torch.zeros(X.shape[1], classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = _squared_error_torch(torch.tensor(X) @ W + b, y)
        loss.backward()
        if bias_mean:
            b.grad /= len(y)
        opt.step()
        if late:
            with torch.no_grad():
                loss = _squared_error_torch(torch.tensor(X) @ W + b, y)
        losses.append(loss.item())
    return (W.detach().numpy(), b.detach().numpy(), np.array(losses))


def _log_softmax_naive(z):
    """No max shift: exp overflows to inf, and inf / inf is NaN."""
    return np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))


def _log_softmax_of_underflow(z):
    """Shifted, but the log taken of the softmax: an underflowed probability gives -inf."""
    shifted = z - z.max(axis=1, keepdims=True)
    return np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))


def log_softmax(z):
    """q1's answer in NumPy (the stand-ins' reference: fast, and equal to PyTorch's)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits, labels, label_smoothing=0.0):
    return cross_entropy_composed(logits, labels, label_smoothing, {"log_softmax": log_softmax})


def mse_on_softmax(logits, labels):
    return mse_composed(logits, labels, {"log_softmax": log_softmax})


def cross_entropy_composed(logits, labels, label_smoothing, use):
    """q2 written with q1 called by name."""
    n_examples, n_classes = logits.shape
    soft = np.eye(n_classes)[labels] * (1.0 - label_smoothing) + label_smoothing / n_classes
    log_p = use["log_softmax"](logits)
    return float(-np.sum(soft * log_p) / n_examples), (np.exp(log_p) - soft) / n_examples


def mse_composed(logits, labels, use):
    """q3 written with q1 called by name."""
    probs = np.exp(use["log_softmax"](logits))
    residual = probs - np.eye(logits.shape[1])[labels]
    d_probs = 2.0 * residual / logits.shape[0]
    inner = np.sum(d_probs * probs, axis=1, keepdims=True)
    return float(np.sum(residual**2) / logits.shape[0]), probs * (d_probs - inner)


def bad_start_composed(seed, use):
    """q5 written with q2 and q3 called by name."""
    accuracy = {}
    for name, key in (("cross-entropy", "cross_entropy"), ("MSE on softmax", "mse_on_softmax")):
        params, X, y, network = mlp_problem(seed)
        for _ in range(EXPERIMENT["steps"]):
            logits, backward = network(params, X)
            grads = backward(use[key](logits, y)[1])
            params = {k: params[k] - EXPERIMENT["lr"] * grads[k] for k in params}
        accuracy[name] = float(np.mean(np.argmax(network(params, X)[0], axis=1) == y))
    return accuracy


def _smoothed(one_hot, s):
    return (1 - s) * one_hot + s / one_hot.shape[1]


REFERENCES = {
    "q1": Reference(
        _log_softmax_reference,
        {
            "over-columns": _log_softmax_columns,
            "max-subtracted-once": _log_softmax_max_once,
            "no-max-shift": _log_softmax_naive,
            "log-of-underflow": _log_softmax_of_underflow,
        },
    ),
    "q2": Reference(
        _cross_entropy_reference,
        {
            "smoothing-ignored": lambda logits, labels, s: _cross_entropy_reference(
                logits, labels, 0.0
            ),
            "smoothing-over-others": _soft_target_ce(_target_over_others),
            "s-not-divided": _soft_target_ce(lambda one_hot, s: (1 - s) * one_hot + s),
            "gradient-without-smoothing": _soft_target_ce(_smoothed, hard_grad=True),
            "summed-over-batch": _soft_target_ce(_smoothed, sum_over_batch=True),
        },
        composed=cross_entropy_composed,
        upstream={"log_softmax": log_softmax},
    ),
    "q3": Reference(
        _mse_reference,
        {
            "jacobian-skipped": _mse_variant(no_jacobian=True),
            "mean-over-classes": _mse_variant(mean_over_all=True),
        },
        composed=mse_composed,
        upstream={"log_softmax": log_softmax},
    ),
    "q4": Reference(
        _train_reference,
        {
            "loss-after-update": lambda *args: _train_reference(*args, late=True),
            "bias-with-mean": lambda *args: _train_reference(*args, bias_mean=True),
        },
    ),
    "q5": Reference(
        None,
        composed=bad_start_composed,
        upstream={"cross_entropy": cross_entropy, "mse_on_softmax": mse_on_softmax},
    ),
}
