"""Learning-rate schedules as pure functions of the step number (lecture 04).

Each factory checks its arguments and returns a callable ``f(step) -> float``. ``f(k)`` is
the learning rate that PyTorch's matching scheduler reports (``scheduler.get_last_lr()[0]``)
after ``k`` calls of ``scheduler.step()``; ``f(0)`` is the rate of the very first update.
Drive a ``course_lib.optim`` optimizer with it::

    schedule = cosine(0.1, T_max=100)
    for k in range(100):
        opt.lr = schedule(k)
        opt.step(grads)

PyTorch's schedulers update the rate recursively, step by step; the closed forms used here
are algebraically the same and agree with them to rounding error (about 1e-15 relative).

Public names:
    constant: the same rate at every step (no scheduler).
    step_decay: multiply by gamma every step_size steps (``StepLR``).
    exponential: multiply by gamma every step (``ExponentialLR``).
    cosine: half a cosine from lr down to eta_min over T_max steps (``CosineAnnealingLR``).
    linear_warmup: ramp linearly from start_factor·lr up to lr (``LinearLR``).
    warmup_cosine: linear warmup, then cosine annealing (``SequentialLR`` of the two above).
    transformer: the inverse-square-root schedule of "Attention Is All You Need".
"""

from __future__ import annotations

import math
from collections.abc import Callable

from course_lib._validation import check_int, check_range

Schedule = Callable[[int], float]


def _check_step(step: int) -> int:
    return check_int(step, "step", low=0)


def _check_lr(lr: float) -> float:
    return check_range(lr, "lr", low=0.0)


def _check_start_factor(start_factor: float) -> float:
    return check_range(start_factor, "start_factor", low=0.0, high=1.0, low_inclusive=False)


def _check_eta_min(eta_min: float, lr: float) -> float:
    return check_range(eta_min, "eta_min", low=0.0, high=lr)


def _cosine_factor(k: int, period: int) -> float:
    # Beyond k = period the cosine rises again (period 2·period), exactly as PyTorch's
    # recursive CosineAnnealingLR does when it is stepped past T_max.
    return (1 + math.cos(math.pi * k / period)) / 2


def constant(lr: float) -> Schedule:
    """The same learning rate at every step.

    Args:
        lr: learning rate, >= 0.

    Returns:
        ``f(step) = lr`` for every integer step >= 0.

    PyTorch counterpart: no scheduler (or ``ConstantLR(optimizer, factor=1.0)``).
    """
    lr = _check_lr(lr)

    def f(step: int) -> float:
        _check_step(step)
        return lr

    return f


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Args:
        lr: initial learning rate, >= 0.
        step_size: number of steps between decays, an integer >= 1.
        gamma: multiplicative factor, > 0.

    Returns:
        ``f(k) = lr · gamma^(k // step_size)``.

    PyTorch counterpart: ``torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)``.
    """
    lr = _check_lr(lr)
    step_size = check_int(step_size, "step_size", low=1)
    gamma = check_range(gamma, "gamma", low=0.0, low_inclusive=False)

    def f(step: int) -> float:
        return lr * gamma ** (_check_step(step) // step_size)

    return f


def exponential(lr: float, gamma: float) -> Schedule:
    """Multiply the learning rate by ``gamma`` at every step.

    Args:
        lr: initial learning rate, >= 0.
        gamma: multiplicative factor per step, > 0.

    Returns:
        ``f(k) = lr · gamma^k``.

    PyTorch counterpart: ``torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)``.
    """
    lr = _check_lr(lr)
    gamma = check_range(gamma, "gamma", low=0.0, low_inclusive=False)

    def f(step: int) -> float:
        return lr * gamma ** _check_step(step)

    return f


def cosine(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr`` down to ``eta_min`` over ``T_max`` steps.

    Args:
        lr: initial (largest) learning rate, >= 0.
        T_max: number of steps from lr down to eta_min, an integer >= 1.
        eta_min: smallest learning rate, in [0, lr].

    Returns:
        ``f(k) = eta_min + (lr − eta_min)·(1 + cos(π k / T_max)) / 2``. After ``T_max`` the
        rate climbs back to ``lr`` (period 2·T_max), as PyTorch's scheduler does; stop
        training at ``T_max`` or use ``warmup_cosine`` with ``total_steps``.

    PyTorch counterpart: ``torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max,
    eta_min)``.
    """
    lr = _check_lr(lr)
    T_max = check_int(T_max, "T_max", low=1)
    eta_min = _check_eta_min(eta_min, lr)

    def f(step: int) -> float:
        return eta_min + (lr - eta_min) * _cosine_factor(_check_step(step), T_max)

    return f


def linear_warmup(lr: float, warmup_steps: int, start_factor: float = 1 / 3) -> Schedule:
    """Ramp the learning rate linearly from ``start_factor·lr`` to ``lr``, then hold it.

    Args:
        lr: learning rate reached at the end of the warmup, >= 0.
        warmup_steps: number of steps of the ramp, an integer >= 1.
        start_factor: fraction of lr used at step 0, in (0, 1].

    Returns:
        ``f(k) = lr · (start_factor + (1 − start_factor) · min(k, warmup_steps) /
        warmup_steps)``.

    PyTorch counterpart: ``torch.optim.lr_scheduler.LinearLR(optimizer, start_factor,
    end_factor=1.0, total_iters=warmup_steps)``.
    """
    lr = _check_lr(lr)
    warmup_steps = check_int(warmup_steps, "warmup_steps", low=1)
    start_factor = _check_start_factor(start_factor)

    def f(step: int) -> float:
        progress = min(_check_step(step), warmup_steps) / warmup_steps
        return lr * (start_factor + (1 - start_factor) * progress)

    return f


def warmup_cosine(
    lr: float,
    warmup_steps: int,
    total_steps: int,
    eta_min: float = 0.0,
    *,
    start_factor: float = 1 / 3,
) -> Schedule:
    """Linear warmup to ``lr``, then cosine annealing down to ``eta_min`` at ``total_steps``.

    Args:
        lr: peak learning rate, reached at step ``warmup_steps``, >= 0.
        warmup_steps: number of warmup steps, an integer >= 1.
        total_steps: step at which the rate reaches eta_min, an integer > warmup_steps.
        eta_min: final learning rate, in [0, lr].
        start_factor: fraction of lr used at step 0, in (0, 1] (as in ``linear_warmup``).

    Returns:
        ``f(k)`` equal to ``linear_warmup(lr, warmup_steps, start_factor)(k)`` for
        k < warmup_steps and to ``cosine(lr, total_steps − warmup_steps, eta_min)(k −
        warmup_steps)`` from then on (so the rate climbs again after total_steps, as in
        PyTorch).

    PyTorch counterpart: ``SequentialLR(optimizer, [LinearLR(optimizer, start_factor,
    total_iters=warmup_steps), CosineAnnealingLR(optimizer, T_max=total_steps −
    warmup_steps, eta_min=eta_min)], milestones=[warmup_steps])``.
    """
    lr = _check_lr(lr)
    warmup_steps = check_int(warmup_steps, "warmup_steps", low=1)
    total_steps = check_int(total_steps, "total_steps", low=1)
    if total_steps <= warmup_steps:
        raise ValueError(f"total_steps must be > warmup_steps = {warmup_steps}, got {total_steps}")
    eta_min = _check_eta_min(eta_min, lr)
    warmup = linear_warmup(lr, warmup_steps, start_factor)
    decay = cosine(lr, total_steps - warmup_steps, eta_min)

    def f(step: int) -> float:
        step = _check_step(step)
        return warmup(step) if step < warmup_steps else decay(step - warmup_steps)

    return f


def transformer(d_model: int, warmup_steps: int) -> Schedule:
    """The warmup-then-inverse-square-root rate of "Attention Is All You Need" (2017).

    Args:
        d_model: model (embedding) width, an integer >= 1.
        warmup_steps: step at which the rate peaks, an integer >= 1.

    Returns:
        ``f(k) = d_model^−0.5 · min(s^−0.5, s · warmup_steps^−1.5)`` with ``s = k + 1``:
        the paper counts updates from 1, and s = k would make f(0) infinite. The rate rises
        linearly until s = warmup_steps, then decays like 1/√s.

    PyTorch counterpart: ``LambdaLR(optimizer, lr_lambda=f)`` with the optimizer's lr set
    to 1.0.
    """
    d_model = check_int(d_model, "d_model", low=1)
    warmup_steps = check_int(warmup_steps, "warmup_steps", low=1)

    def f(step: int) -> float:
        s = _check_step(step) + 1
        return d_model**-0.5 * min(s**-0.5, s * warmup_steps**-1.5)

    return f
