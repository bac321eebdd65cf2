"""hw04's references: ``torch.optim`` paths, PyTorch's warm-up + cosine schedule, the
training loop with ``torch.optim.Adam`` driven by the network's gradients, and every known
mistake. q4 and q5 are also written with the earlier answers called by name, for the
stand-in tables."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.homework.hw04 import EXPERIMENT, STEPS, SURFACES, network_problem
from course_tools.grading.references import Reference
from course_tools.grading.references.paths import torch_path


def _torch_path(optimizer: str) -> Callable[..., np.ndarray]:
    return lambda surface, start, hyper: torch_path(optimizer, surface, start, STEPS, **hyper)


def _path(step: Callable, surface: str, start: np.ndarray, state: int) -> np.ndarray:
    """The points a NumPy step ``step(theta, g, states, t) -> (theta, states)`` visits."""
    theta, states = np.array(start, dtype=float), tuple(np.zeros(2) for _ in range(state))
    points = [theta.copy()]
    for t in range(1, STEPS + 1):
        theta, states = step(theta, SURFACES[surface].grad(theta), states, t)
        points.append(theta.copy())
    return np.array(points)


def _rmsprop_variant(*, swapped=False, eps_inside=False, stale=False) -> Callable[..., Any]:
    """The path of RMSProp with one slip (for the mistakes; runs in the checker)."""

    def path(surface, start, hyper):
        lr, alpha, eps = hyper["lr"], hyper["alpha"], hyper["eps"]

        def one(theta, g, states, t):
            (s,) = states
            keep = 1 - alpha if swapped else alpha
            new = keep * s + (1 - keep) * g**2
            used = s if stale else new
            denom = np.sqrt(used + eps) if eps_inside else np.sqrt(used) + eps
            return theta - lr * g / denom, (new,)

        with np.errstate(all="ignore"):
            return _path(one, surface, start, 1)

    return path


def _adam_variant(
    *, stores_hat=False, v_with_beta1=False, eps_inside=False, correction=True, shift=0
) -> Callable[..., Any]:
    """The path of Adam with the given slips (the draft's bugs and others; for mistakes)."""

    def path(surface, start, hyper):
        lr, (b1, b2), eps = hyper["lr"], hyper["betas"], hyper["eps"]

        def one(theta, g, states, t):
            m, v = states
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
            k = t + shift
            m_hat = m / (1 - b1**k) if correction else m
            v_hat = v / (1 - (b1 if v_with_beta1 else b2) ** k) if correction else v
            denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            return theta - lr * m_hat / denom, (m_hat if stores_hat else m, v)

        with np.errstate(all="ignore"):
            return _path(one, surface, start, 2)

    return path


def torch_rates(lr: float, warmup_steps: int, total_steps: int, count: int) -> np.ndarray:
    """The rate PyTorch's warm-up + cosine reports at steps 0 .. count - 1 (cosine alone
    when ``warmup_steps`` is 0)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler
    decay = sched.CosineAnnealingLR(opt, T_max=total_steps - warmup_steps)
    schedule = decay
    if warmup_steps > 0:
        warmup = sched.LinearLR(opt, start_factor=1 / 3, total_iters=warmup_steps)
        schedule = sched.SequentialLR(opt, [warmup, decay], milestones=[warmup_steps])
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()"
        for _ in range(count):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            schedule.step()
    return np.array(rates)


def _torch_schedule(lr: float, warmup_steps: int, total_steps: int) -> np.ndarray:
    return torch_rates(lr, warmup_steps, total_steps, total_steps + 1)


def _schedule_variant(start=1 / 3, *, over_total=False, late=0) -> Callable[..., np.ndarray]:
    """A warm-up + cosine with one slip: another start factor, the cosine over all of
    ``total_steps``, or the warm-up reaching its peak ``late`` steps early (for mistakes)."""

    def rates(lr, warmup_steps, total_steps):
        w, out = warmup_steps, []
        for k in range(total_steps + 1):
            if k < w:
                out.append(lr * (start + (1 - start) * min(1.0, k / max(w - late, 1))))
            else:
                span, done = (total_steps, k) if over_total else (total_steps - w, k - w)
                out.append(lr * (1 + math.cos(math.pi * done / span)) / 2)
        return np.array(out)

    return rates


def _train_reference(seed, lr, warmup_steps, steps, *, rates=None, late=False):
    """``torch.optim.Adam`` driven by the network's gradients and the schedule's rates
    (``rates`` another schedule; ``late``: the loss recorded after the step)."""
    params, batch_loss, full_loss = network_problem(seed)
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    opt = torch.optim.Adam(list(tensors.values()), lr=lr)
    if rates is None:
        rates = torch_rates(lr, warmup_steps, steps, steps)
    losses = []
    for t in range(1, steps + 1):
        current = {k: v.numpy() for k, v in tensors.items()}
        loss, grads = batch_loss(current, t)
        for k, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[k])
        opt.param_groups[0]["lr"] = float(rates[t - 1])
        opt.step()
        losses.append(
            batch_loss({k: v.numpy() for k, v in tensors.items()}, t)[0] if late else loss
        )
    return np.array(losses), full_loss({k: v.numpy() for k, v in tensors.items()})


def _train_constant_lr(seed, lr, warmup_steps, steps):
    return _train_reference(seed, lr, warmup_steps, steps, rates=np.full(steps, lr))


def _train_schedule_shifted(seed, lr, warmup_steps, steps):
    rates = torch_rates(lr, warmup_steps, steps, steps + 1)[1:]
    return _train_reference(seed, lr, warmup_steps, steps, rates=rates)


def adam_step(theta, grad, m, v, t, lr, betas, eps):
    """One step of ``torch.optim.Adam``'s update, in NumPy (q2's answer)."""
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@functools.lru_cache(maxsize=256)
def _rates(lr: float, warmup_steps: int, total_steps: int) -> tuple[float, ...]:
    return tuple(torch_rates(lr, warmup_steps, total_steps, total_steps + 1).tolist())


def warmup_cosine_lr(step, lr, warmup_steps, total_steps):
    """PyTorch's rate at ``step`` (q3's answer)."""
    return _rates(lr, warmup_steps, total_steps)[step]


def train_adam_composed(seed, lr, warmup_steps, steps, use):
    """q4 written with q2 and q3 called by name: the calls a stand-in table records."""
    params, batch_loss, full_loss = network_problem(seed)
    moments = {k: (np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    losses = np.empty(steps)
    for t in range(1, steps + 1):
        rate = use["warmup_cosine_lr"](t - 1, lr, warmup_steps, steps)
        losses[t - 1], grads = batch_loss(params, t)
        for k in params:
            m, v = moments[k]
            step = use["adam_step"](params[k], grads[k], m, v, t, rate, (0.9, 0.999), 1e-8)
            params[k], m, v = step
            moments[k] = (m, v)
    return losses, full_loss(params)


def train_adam(seed, lr, warmup_steps, steps):
    """q4's answer (NumPy, with PyTorch's rates): the stand-in table of q5 records it."""
    use = {"adam_step": adam_step, "warmup_cosine_lr": warmup_cosine_lr}
    return train_adam_composed(seed, lr, warmup_steps, steps, use)


def warmup_experiment(seeds, use):
    """q5 written with q4 called by name."""
    lr, steps = EXPERIMENT["lr"], EXPERIMENT["steps"]
    lengths = {"no warm-up": 0, "warm-up": EXPERIMENT["warmup"]}
    return {
        name: np.array([use["train_adam"](s, lr, w, steps)[1] for s in seeds])
        for name, w in lengths.items()
    }


REFERENCES = {
    "q1": Reference(
        _torch_path("RMSprop"),
        {
            "alpha-on-new": _rmsprop_variant(swapped=True),
            "eps-inside-root": _rmsprop_variant(eps_inside=True),
            "old-average": _rmsprop_variant(stale=True),
        },
    ),
    "q2": Reference(
        _torch_path("Adam"),
        {
            "draft-unchanged": _adam_variant(stores_hat=True, v_with_beta1=True, eps_inside=True),
            "stores-corrected-m": _adam_variant(stores_hat=True),
            "v-with-beta1": _adam_variant(v_with_beta1=True),
            "eps-inside-root": _adam_variant(eps_inside=True),
            "no-bias-correction": _adam_variant(correction=False),
            "t-off-by-one": _adam_variant(shift=1),
        },
    ),
    "q3": Reference(
        _torch_schedule,
        {
            "warm-up-from-zero": _schedule_variant(start=0.0),
            "cosine-over-all-steps": _schedule_variant(over_total=True),
            "peak-one-step-early": _schedule_variant(late=1),
        },
    ),
    "q4": Reference(
        _train_reference,
        {
            "no-schedule": _train_constant_lr,
            "schedule-one-step-ahead": _train_schedule_shifted,
            "loss-after-update": lambda *args: _train_reference(*args, late=True),
        },
        composed=train_adam_composed,
        upstream={"adam_step": adam_step, "warmup_cosine_lr": warmup_cosine_lr},
    ),
    "q5": Reference(
        None,
        composed=warmup_experiment,
        upstream={"train_adam": train_adam},
    ),
}
