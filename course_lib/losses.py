"""Loss functions with their gradients, in NumPy (lecture 05; ``mse`` appears in lecture 01).

Each loss returns ``(loss, grad)``: the mean loss as a float and its gradient with respect
to the first argument, shaped like that argument. The reductions match the defaults of
``torch.nn.functional`` (``reduction="mean"``), so a backward pass can start from ``grad``::

    loss, dlogits = cross_entropy(logits, labels)
    net.backward(dlogits)

Public names:
    softmax: probabilities along an axis, stable for huge logits.
    log_softmax: log-probabilities along an axis via log-sum-exp.
    mse: mean squared error.
    cross_entropy: softmax cross-entropy with optional label smoothing.
    binary_cross_entropy_with_logits: sigmoid plus binary cross-entropy, stable.
    multiclass_hinge: the multiclass SVM loss (CS231n convention).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib._validation import (
    as_float_array,
    check_int,
    check_labels,
    check_range,
    check_shape,
)


def _logits_and_axis(z: Any, axis: int) -> tuple[np.ndarray, int]:
    z = as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension, got a scalar")
    axis = check_int(axis, "axis")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis must be in [{-z.ndim}, {z.ndim}) for z of shape {z.shape}")
    return z, axis


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Softmax exp(z_i) / sum_j exp(z_j) along ``axis``.

    Subtracting the maximum first leaves the result unchanged and keeps every exponent <= 0,
    so logits like 1e4 cannot overflow.

    Args:
        z: array of logits, any shape with at least one dimension.
        axis: the axis that holds the classes.

    Returns:
        float64 array shaped like ``z``; non-negative, summing to 1 along ``axis``.

    PyTorch counterpart: ``torch.softmax(z, dim=axis)``.
    """
    z, axis = _logits_and_axis(z, axis)
    exp = np.exp(z - z.max(axis=axis, keepdims=True))
    return exp / exp.sum(axis=axis, keepdims=True)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Log-softmax z_i - log sum_j exp(z_j) along ``axis``, via the log-sum-exp trick.

    Computing log(softmax(z)) directly would give -inf where a probability underflows to 0;
    here the shifted logits are used as they are, which stays finite.

    Args:
        z: array of logits, any shape with at least one dimension.
        axis: the axis that holds the classes.

    Returns:
        float64 array shaped like ``z`` of log-probabilities (all <= 0).

    PyTorch counterpart: ``torch.log_softmax(z, dim=axis)``.
    """
    z, axis = _logits_and_axis(z, axis)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) <= 1 never overflows; each sign then uses the algebraically equal form.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _non_empty(x: np.ndarray, name: str) -> None:
    if x.size == 0:
        raise ValueError(f"{name} must hold at least one element, got shape {x.shape}")


def _scores_and_labels(scores: Any, labels: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    scores = as_float_array(scores, name, ndim=2)
    _non_empty(scores, name)
    n, c = scores.shape
    return scores, check_labels(labels, c, n, "labels")


def mse(pred: Any, target: Any) -> tuple[float, np.ndarray]:
    """Mean squared error mean((pred - target)^2) over all elements.

    Args:
        pred: predictions, any shape with at least one element.
        target: targets, same shape as ``pred``.

    Returns:
        ``(loss, grad)``: the loss as a float and 2 (pred - target) / n, shaped like ``pred``,
        where n is the number of elements.

    PyTorch counterpart: ``torch.nn.functional.mse_loss(pred, target)``.
    """
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    check_shape(target, pred.shape, "target", "to match pred")
    _non_empty(pred, "pred")
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def cross_entropy(
    logits: Any, labels: Any, label_smoothing: float = 0.0
) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy averaged over examples, with optional label smoothing.

    With smoothing eps the target distribution of an example with label y is
    q = (1 - eps) * onehot(y) + eps / C, and the loss is -sum_c q_c log p_c with
    p = softmax(logits). Its gradient per example is simply p - q.

    Args:
        logits: array of shape (N, C), unnormalised class scores.
        labels: integer array of shape (N,) with values in [0, C).
        label_smoothing: eps in [0, 1]; 0 gives the plain one-hot target.

    Returns:
        ``(loss, grad)``: the mean loss as a float and (softmax(logits) - q) / N, shape (N, C).

    PyTorch counterpart: ``torch.nn.functional.cross_entropy(logits, labels,
    label_smoothing=label_smoothing)``.
    """
    logits, labels = _scores_and_labels(logits, labels, "logits")
    eps = check_range(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    n, c = logits.shape
    target = np.full((n, c), eps / c)
    target[np.arange(n), labels] += 1.0 - eps
    log_p = log_softmax(logits, axis=1)
    loss = -np.sum(target * log_p) / n
    return float(loss), (np.exp(log_p) - target) / n


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of sigmoid(logits), averaged over all elements, computed stably.

    -[t log s(x) + (1 - t) log(1 - s(x))] simplifies to max(x, 0) - x t + log(1 + exp(-|x|)),
    which never takes the log of 0 or exponentiates a large positive number.

    Args:
        logits: array of any shape with at least one element.
        targets: array of the same shape with values in [0, 1] (soft targets allowed).

    Returns:
        ``(loss, grad)``: the mean loss as a float and (sigmoid(logits) - targets) / n,
        shaped like ``logits``, where n is the number of elements.

    PyTorch counterpart: ``torch.nn.functional.binary_cross_entropy_with_logits``.
    """
    logits = as_float_array(logits, "logits")
    targets = as_float_array(targets, "targets")
    check_shape(targets, logits.shape, "targets", "to match logits")
    _non_empty(logits, "logits")
    if np.any((targets < 0) | (targets > 1)):
        raise ValueError(
            f"targets must be in [0, 1], got values from {targets.min():g} to {targets.max():g}"
        )
    per_element = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return float(per_element.mean()), (_sigmoid(logits) - targets) / logits.size


def multiclass_hinge(scores: Any, labels: Any, margin: float = 1.0) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss: sum over wrong classes j of max(0, s_j - s_y + margin), mean over N.

    This is the CS231n convention: the hinge terms are summed over the C - 1 wrong classes and
    NOT divided by C. At the kink a term equal to exactly 0 contributes 0 to the subgradient
    (only strictly positive terms count).

    Args:
        scores: array of shape (N, C), class scores.
        labels: integer array of shape (N,) with values in [0, C).
        margin: the required gap between the correct score and every other score, >= 0.

    Returns:
        ``(loss, grad)``: the mean loss as a float and its (sub)gradient, shape (N, C): for
        each positive term, +1/N on the wrong class j and -1/N on the correct class y.

    PyTorch counterpart: ``C * torch.nn.functional.multi_margin_loss(scores, labels, p=1,
    margin=margin)``; PyTorch divides each example's sum by C.
    """
    scores, labels = _scores_and_labels(scores, labels, "scores")
    margin = check_range(margin, "margin", low=0.0)
    n = scores.shape[0]
    rows = np.arange(n)
    terms = np.maximum(0.0, scores - scores[rows, labels][:, None] + margin)
    terms[rows, labels] = 0.0  # the correct class is not compared with itself
    active = (terms > 0).astype(np.float64)
    active[rows, labels] = -active.sum(axis=1)
    return float(terms.sum() / n), active / n
