"""Finding the critical points of a small model: Newton's method on the gradient (lecture 02).

A critical point is a zero of the gradient g(θ), and the Jacobian of g is the Hessian H.
Newton's method for the equation g = 0 linearises g(θ - s) ≈ g - Hs and steps by
s = H⁻¹g. It does not care whether the zero is a minimum, a maximum or a saddle point, which
is what a census of critical points needs. A full step can overshoot, so each step is halved
until it lowers ‖g‖: some halving always does, because ∇½‖g‖² = Hg and
(Hg)ᵀs = ‖g‖² > 0.

Many searches run at once, one per row of ``theta`` of shape (S, n). The ``loss`` treats
rows independently (row r's loss depends on row r only), so the gradient of the summed loss
is every row's gradient, and entry k of that gradient, summed over the rows, has row k of
every row's Hessian as its gradient: n backward passes give all S Hessians.

Public names:
    batched_gradients: the gradient of every row, (S, n).
    batched_hessians: the Hessian of every row, (S, n, n).
    newton_critical_points: Newton's method on g = 0 from every row, with step halving.

PyTorch counterpart of one row's Hessian: ``torch.autograd.functional.hessian``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from course_lib._validation import check_int

#: ``loss(theta)``: a (S, n) float64 tensor of parameter rows -> a (S,) tensor of losses.
BatchedLoss = Callable[[torch.Tensor], torch.Tensor]


def _check(loss: Any, theta: Any) -> torch.Tensor:
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {type(loss).__name__}")
    if not isinstance(theta, torch.Tensor):
        raise TypeError(f"theta must be a torch.Tensor of shape (S, n), got {type(theta).__name__}")
    if theta.dim() != 2 or theta.shape[0] == 0 or theta.shape[1] == 0:
        raise ValueError(f"theta must have shape (S, n) with S, n >= 1, got {tuple(theta.shape)}")
    if theta.dtype != torch.float64:
        raise TypeError(f"theta must be float64 (Hessians need the precision), got {theta.dtype}")
    if not torch.isfinite(theta).all():
        raise ValueError("theta must be finite (no NaN or inf)")
    return theta.detach()


def _losses(loss: BatchedLoss, theta: torch.Tensor) -> torch.Tensor:
    values = loss(theta)
    if not isinstance(values, torch.Tensor) or values.shape != (theta.shape[0],):
        shape = tuple(getattr(values, "shape", ()))
        raise ValueError(
            f"loss must map theta {tuple(theta.shape)} to shape ({theta.shape[0]},), got {shape}"
        )
    return values


def _gradients(loss: BatchedLoss, theta: torch.Tensor, create_graph: bool) -> torch.Tensor:
    values = _losses(loss, theta)
    if not values.requires_grad:  # a constant loss: every derivative is zero
        return torch.zeros_like(theta)
    (grad,) = torch.autograd.grad(values.sum(), theta, create_graph=create_graph, allow_unused=True)
    return torch.zeros_like(theta) if grad is None else grad


def batched_gradients(loss: BatchedLoss, theta: torch.Tensor) -> torch.Tensor:
    """The gradient of every row's loss.

    Args:
        loss: maps a float64 tensor of shape (S, n) to the (S,) losses of its rows; row r's
            loss must depend on row r only.
        theta: float64 tensor of shape (S, n), one parameter vector per row.

    Returns:
        float64 tensor of shape (S, n): row r is the gradient of loss r at theta[r].
    """
    theta = _check(loss, theta).requires_grad_()
    return _gradients(loss, theta, create_graph=False).detach()


def batched_hessians(loss: BatchedLoss, theta: torch.Tensor) -> torch.Tensor:
    """The Hessian of every row's loss, with n backward passes for all S rows.

    Args:
        loss, theta: as for :func:`batched_gradients`.

    Returns:
        float64 tensor of shape (S, n, n): entry [r, i, j] is ∂²loss_r / ∂θ_i ∂θ_j at theta[r].
    """
    theta = _check(loss, theta).requires_grad_()
    grad = _gradients(loss, theta, create_graph=True)
    if not grad.requires_grad:  # the gradient is constant: the loss is at most linear
        return torch.zeros(*theta.shape, theta.shape[1], dtype=theta.dtype)
    rows = []
    for k in range(theta.shape[1]):
        (row,) = torch.autograd.grad(grad[:, k].sum(), theta, retain_graph=True, allow_unused=True)
        rows.append(torch.zeros_like(theta) if row is None else row)
    return torch.stack(rows, dim=1).detach()


def newton_critical_points(
    loss: BatchedLoss, theta: torch.Tensor, iters: int = 50, halvings: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """Newton's method on g(θ) = 0 from every row of ``theta``, each step halved until it
    lowers ‖g‖.

    Each iteration solves H s = g per row and tries θ - t s for t = 1, 1/2, 1/4, ... (at most
    ``halvings`` halvings); a row whose ‖g‖ no halving lowers, or whose H is singular, stays
    where it is for that iteration.

    Args:
        loss, theta: as for :func:`batched_gradients`; theta (S, n) holds the S starts.
        iters: Newton iterations (>= 0).
        halvings: the most halvings of one step (>= 0).

    Returns:
        (theta, grad_norm): the points reached, float64 (S, n), and the gradient norm at
        each, float64 (S,). Keep the rows whose norm is below a tolerance of your choice.
    """
    theta = _check(loss, theta).clone()
    iters = check_int(iters, "iters", low=0)
    halvings = check_int(halvings, "halvings", low=0)
    for _ in range(iters):
        g = batched_gradients(loss, theta)
        step, info = torch.linalg.solve_ex(batched_hessians(loss, theta), g)
        usable = (info == 0) & torch.isfinite(step).all(dim=1)
        step = torch.where(usable[:, None], step, torch.zeros_like(step))
        t = torch.ones(len(theta), 1, dtype=theta.dtype)
        for _ in range(halvings):
            worse = batched_gradients(loss, theta - t * step).norm(dim=1) >= g.norm(dim=1)
            t = torch.where(worse[:, None], t / 2, t)
        better = batched_gradients(loss, theta - t * step).norm(dim=1) < g.norm(dim=1)
        theta = torch.where(better[:, None], theta - t * step, theta)
    return theta, batched_gradients(loss, theta).norm(dim=1)
