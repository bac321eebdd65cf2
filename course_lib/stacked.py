"""Many small MLPs trained side by side, one batched matrix product per layer (lecture 03).

A study of batch sizes needs many short runs (rules × seeds). At small batch sizes the time
of an update is Python's overhead, not arithmetic, so R separate networks cost R times the
overhead. Stacked, run r's weights are slice r of one tensor per layer, each run multiplies
its own batch by its own weights with ``torch.baddbmm``, and one backward pass updates them
all: the loss is the sum of the runs' mean losses, so the gradient with respect to slice r
is run r's own gradient.

    runs = StackedMLPs([mlp(seed) for seed in seeds])
    runs.step(lrs, X[idx], y[idx])      # idx (R, B): each run's own batch
    train_and_val = runs.evaluate(X_val, y_val)

Public names:
    stack_weights: the weights of R ``Sequential(Linear, ReLU, Linear)`` nets, stacked.
    StackedMLPs: R such MLPs as stacked tensors, with per-run losses and SGD steps.

PyTorch counterpart: ``torch.func.stack_module_state`` with ``torch.func.vmap`` does the same
for any module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def _layers(net: Any, i: int) -> tuple[torch.nn.Linear, torch.nn.Linear]:
    ok = (
        isinstance(net, torch.nn.Sequential)
        and len(net) == 3
        and isinstance(net[0], torch.nn.Linear)
        and isinstance(net[1], torch.nn.ReLU)
        and isinstance(net[2], torch.nn.Linear)
    )
    if not ok:
        raise TypeError(f"nets[{i}] must be Sequential(Linear, ReLU, Linear), got {net!r}")
    if net[0].bias is None or net[2].bias is None:
        raise ValueError(f"nets[{i}] must have biases in both Linear layers")
    return net[0], net[2]


def stack_weights(nets: Sequence[torch.nn.Sequential]) -> list[torch.Tensor]:
    """The weights of R nets ``Sequential(Linear(d, h), ReLU(), Linear(h, c))``, stacked.

    Args:
        nets: a non-empty list of R such nets, all with the same d, h, c and dtype.

    Returns:
        [W1 (R, d, h), b1 (R, 1, h), W2 (R, h, c), b2 (R, 1, c)], detached copies. The
        weights are transposed from PyTorch's (out, in) layout, so a batch X (R, B, d)
        maps to ``X @ W1 + b1``.
    """
    if isinstance(nets, torch.nn.Module) or not isinstance(nets, Sequence) or not nets:
        raise TypeError("nets must be a non-empty list of Sequential(Linear, ReLU, Linear)")
    parts = []
    for i, net in enumerate(nets):
        first, second = _layers(net, i)
        parts.append([first.weight.T, first.bias[None], second.weight.T, second.bias[None]])
        if i and [tuple(p.shape) for p in parts[i]] != [tuple(p.shape) for p in parts[0]]:
            raise ValueError(f"nets[{i}] has other layer sizes than nets[0]")
        if i and first.weight.dtype != parts[0][0].dtype:
            raise ValueError(
                f"nets[{i}] has dtype {first.weight.dtype}, nets[0] {parts[0][0].dtype}"
            )
    return [torch.stack(layer).detach().clone() for layer in zip(*parts, strict=True)]


class StackedMLPs:
    """R MLPs ``d -> h (ReLU) -> c logits`` as stacked tensors, trained side by side.

    Args:
        nets: the R starting nets (see :func:`stack_weights`); they are copied, not changed.

    Attributes:
        params: [W1 (R, d, h), b1 (R, 1, h), W2 (R, h, c), b2 (R, 1, c)], leaf tensors that
            require grad; slice r is run r.
    """

    def __init__(self, nets: Sequence[torch.nn.Sequential]) -> None:
        self.params = [p.requires_grad_() for p in stack_weights(nets)]

    @property
    def runs(self) -> int:
        return self.params[0].shape[0]

    def _check_batch(self, X: Any, y: Any) -> None:
        W1 = self.params[0]
        if (
            not isinstance(X, torch.Tensor)
            or X.dim() != 3
            or X.shape[::2] != (self.runs, W1.shape[1])
        ):
            shape = tuple(getattr(X, "shape", ()))
            raise ValueError(f"X must have shape ({self.runs}, B, {W1.shape[1]}), got {shape}")
        if X.dtype != W1.dtype:
            raise TypeError(f"X must have the weights' dtype {W1.dtype}, got {X.dtype}")
        if not isinstance(y, torch.Tensor) or tuple(y.shape) != tuple(X.shape[:2]):
            shape = tuple(getattr(y, "shape", ()))
            raise ValueError(
                f"y must have shape {tuple(X.shape[:2])} (one label per row of X), got {shape}"
            )
        if y.dtype != torch.int64:
            raise TypeError(f"y must hold int64 class labels, got {y.dtype}")

    def losses(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each run's mean cross-entropy on its own batch.

        Args:
            X: inputs, shape (R, B, d): row block r is run r's batch.
            y: int64 class labels in [0, c), shape (R, B).

        Returns:
            tensor of shape (R,), differentiable with respect to :attr:`params`.
        """
        self._check_batch(X, y)
        W1, b1, W2, b2 = self.params
        logits = torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, X, W1)), W2)  # (R, B, c)
        each = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), y.flatten(), reduction="none"
        )
        return each.view(y.shape).mean(dim=1)

    def step(self, lrs: Any, X: torch.Tensor, y: torch.Tensor) -> None:
        """One plain SGD update of every run on its own batch, run r with learning rate lrs[r].

        Args:
            lrs: R learning rates (a sequence or a tensor of shape (R,)).
            X, y: the batches, as for :meth:`losses`.
        """
        lrs = torch.as_tensor(lrs, dtype=self.params[0].dtype)
        if lrs.shape != (self.runs,):
            raise ValueError(
                f"lrs must hold {self.runs} learning rates, got shape {tuple(lrs.shape)}"
            )
        grads = torch.autograd.grad(self.losses(X, y).sum(), self.params)
        with torch.no_grad():
            for p, g in zip(self.params, grads, strict=True):
                p -= lrs[:, None, None] * g

    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Every run's mean cross-entropy on the same data set.

        Args:
            X: inputs, shape (N, d); y: int64 labels, shape (N,).

        Returns:
            tensor of shape (R,), without gradient.
        """
        if not isinstance(X, torch.Tensor) or X.dim() != 2:
            raise ValueError(f"X must have shape (N, d), got {tuple(getattr(X, 'shape', ()))}")
        if not isinstance(y, torch.Tensor) or y.dim() != 1:
            raise ValueError(f"y must have shape (N,), got {tuple(getattr(y, 'shape', ()))}")
        with torch.no_grad():
            return self.losses(X.expand(self.runs, -1, -1), y.expand(self.runs, -1))
