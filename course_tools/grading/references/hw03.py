"""hw03's references: ``course_lib.data.minibatches``, ``torch.optim.SGD`` paths,
``torch.autograd`` epochs, the update count of q5, and every known mistake.

q4 and q5 are also written with the iterator called by name (``use["minibatches"]``) so
that their calls can be recorded as stand-in tables.
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib.data import minibatches as library_minibatches
from course_lib.homework.hw03 import (
    MAX_UPDATES,
    STEPS,
    SURFACES,
    call_epochs,
    labels_per_epoch,
    two_epochs,
)
from course_tools.grading.references import Reference
from course_tools.grading.references.paths import torch_path


def minibatches(X, y, batch_size, rng):
    """The library's iterator, with the student's signature."""
    return library_minibatches(X, y, batch_size, rng=rng)


def minibatch_labels(X, y, batch_size, rng) -> tuple:
    return labels_per_epoch(X, two_epochs(minibatches, X, y, batch_size, rng))


def _labels_in_order(X, y, b, rng) -> tuple:
    return tuple(tuple(np.arange(len(X))[i : i + b] for i in range(0, len(X), b)) for _ in range(2))


def _momentum_path(kind: str):
    def path(surface, start, lr, momentum):
        grad = SURFACES[surface].grad
        theta, velocity = np.array(start, dtype=float), np.zeros(2)
        points = [theta.copy()]
        for _ in range(STEPS):
            g = grad(theta)
            if kind == "gradient step on top":
                velocity = momentum * velocity - lr * g
                theta = theta + velocity - lr * g
            else:  # the velocity never decays
                velocity = velocity - lr * g
                theta = theta + velocity
            points.append(theta.copy())
        return np.array(points)

    return path


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


def epochs_torch(w, X, y, batch_size, lr, rng) -> tuple:
    """Two epochs of mini-batch SGD, each batch's gradient by ``torch.autograd``."""
    weights = []
    w_t = torch.tensor(np.asarray(w, dtype=float), requires_grad=True)
    for _ in range(2):
        for xb, yb in minibatches(X, y, batch_size, rng):
            loss = ((torch.tensor(xb) @ w_t - torch.tensor(yb)) ** 2).mean()
            (grad,) = torch.autograd.grad(loss, w_t)
            with torch.no_grad():
                w_t -= lr * grad
        weights.append(w_t.detach().numpy().copy())
    return tuple(weights)


def _epoch(kind: str = "right"):
    """One epoch of mini-batch SGD in NumPy, right or with one slip, calling the iterator
    by name; as q4's question runs it (two epochs), for ``composed`` and the mistakes."""

    def epoch(w, X, y, batch_size, lr, rng, use=None):
        batches = (use or {"minibatches": minibatches})["minibatches"]
        w = np.asarray(w, dtype=float)
        for xb, yb in batches(X, y, batch_size, rng):
            residual = xb @ w - yb
            if kind == "factor 2 missing":
                w = w - lr * xb.T @ residual / len(yb)
            elif kind == "sum, not mean":
                w = w - lr * 2 * xb.T @ residual
            elif kind == "divided by N":
                w = w - lr * 2 * xb.T @ residual / len(X)
            else:
                w = w - lr * 2 * xb.T @ residual / len(yb)
        return w

    def two(w, X, y, batch_size, lr, rng, use=None):
        return call_epochs(lambda *args: epoch(*args, use=use), (w, X, y, batch_size, lr, rng))

    return two


def count_updates(
    X, y, batch_size, lr, target, rng, use=None, judge_on_batch=False, after=True
) -> int:
    """Updates of mini-batch SGD on the MSE until the full-data MSE <= target."""
    batches = (use or {"minibatches": minibatches})["minibatches"]
    w, updates = np.zeros(X.shape[1]), 0
    while updates < MAX_UPDATES:
        for xb, yb in batches(X, y, batch_size, rng):
            before = np.mean((xb @ w - yb) ** 2) if judge_on_batch else None
            w = w - lr * 2 * xb.T @ (xb @ w - yb) / len(yb)
            updates += 1
            loss = before if judge_on_batch else np.mean((X @ w - y) ** 2)
            if loss <= target:
                return updates + (0 if after else 1)
            if updates >= MAX_UPDATES:
                break
    return updates


def _epochs_of(X, y, batch_size, lr, target, rng) -> int:
    per_epoch = -(-len(X) // batch_size)
    return -(-count_updates(X, y, batch_size, lr, target, rng) // per_epoch)


UPSTREAM = {"minibatches": minibatches}

REFERENCES = {
    "q1": Reference(
        minibatch_labels,
        {
            "one-order": lambda X, y, b, rng: (lambda first: (first, first))(
                minibatch_labels(X, y, b, rng)[0]
            ),
            "no-shuffling": _labels_in_order,
            "last-batch-dropped": lambda X, y, b, rng: tuple(
                tuple(batch for batch in epoch if len(batch) == b)
                for epoch in minibatch_labels(X, y, b, rng)
            ),
        },
    ),
    "q2": Reference(
        lambda s, x, lr, m: torch_path("SGD", s, x, STEPS, lr=lr, momentum=m),
        {
            "velocity-never-decays": _momentum_path("velocity not decayed"),
            "gradient-applied-twice": _momentum_path("gradient step on top"),
        },
    ),
    "q3": Reference(
        lambda s, x, lr, m: torch_path("SGD", s, x, STEPS, lr=lr, momentum=m, nesterov=True),
        {
            "no-look-ahead": _nesterov_wrong("no look-ahead"),
            "look-ahead-backwards": _nesterov_wrong("backwards"),
        },
    ),
    "q4": Reference(
        epochs_torch,
        {
            "factor-2-missing": _epoch("factor 2 missing"),
            "sum-not-mean": _epoch("sum, not mean"),
            "divided-by-n": _epoch("divided by N"),
        },
        composed=_epoch(),
        upstream=UPSTREAM,
    ),
    "q5": Reference(
        count_updates,
        {
            "epochs-not-updates": _epochs_of,
            "loss-checked-before": lambda X, y, b, lr, target, rng: count_updates(
                X, y, b, lr, target, rng, after=False
            ),
            "batch-loss": lambda X, y, b, lr, target, rng: count_updates(
                X, y, b, lr, target, rng, judge_on_batch=True
            ),
        },
        composed=count_updates,
        upstream=UPSTREAM,
    ),
}
