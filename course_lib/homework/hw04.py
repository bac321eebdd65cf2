"""Homework hw04 (lecture 04, adaptive learning rate): questions and PyTorch references.

The student writes, in ``homework/hw04_adaptive_lr.ipynb``:

====  ==========================================================  ======  =================
key   function                                                    points  checked against
====  ==========================================================  ======  =================
q1    ``rmsprop_step(theta, grad, square_avg, lr, alpha, eps)``        3  ``optim.RMSprop``
q2    ``adam_step(theta, grad, m, v, t, lr, betas, eps)``              4  ``optim.Adam``
q3    ``warmup_cosine_lr(step, lr, warmup_steps, total_steps)``        3  ``SequentialLR``
====  ==========================================================  ======  =================

Optimizer questions are checked on whole trajectories (``STEPS`` steps), the schedule on
every step from 0 to past ``total_steps``.

The case makers of q1 to q3 take a ``seed``: the public cases use the default, the grader
adds cases made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch, ``course_lib.optim`` and
``course_lib.schedules`` (they hold the answers). The grader hides them from the
submission's kernel (an import fails) and flags code that mentions them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question
from course_lib.homework.trajectories import QUADRATIC, ROSENBROCK, SURFACES, torch_path

STEPS = 40


def _torch():
    import torch

    return torch


def _optimizer_cases(
    settings: list[tuple[str, str, np.ndarray, dict]], seed: int | None = None
) -> list[Case]:
    """Cases from ``settings``; with a ``seed``, every start moves by up to 0.3 per axis."""
    names = ("surface", "start", "hyperparameters")
    rng = None if seed is None else np.random.default_rng(seed)
    cases = []
    for label, surface, start, hyper in settings:
        if rng is not None:
            start = start + rng.uniform(-0.3, 0.3, size=start.shape)
            label = f"{label}, start {np.round(start, 3).tolist()}"
        cases.append(Case(label, (surface, start, hyper), names))
    return cases


def _torch_path(optimizer: str) -> Callable[..., np.ndarray]:
    return lambda surface, start, hyper: torch_path(optimizer, surface, start, STEPS, **hyper)


# ----- q1 RMSProp -----------------------------------------------------------------------


def _rmsprop_cases(seed: int | None = None) -> list[Case]:
    q, r = QUADRATIC, ROSENBROCK
    return _optimizer_cases(
        [
            (
                "quadratic, lr 0.01, alpha 0.99",
                q,
                np.array([-2.5, 1.0]),
                {"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
            ),
            (
                "quadratic, lr 0.1, alpha 0.9",
                q,
                np.array([1.0, 2.0]),
                {"lr": 0.1, "alpha": 0.9, "eps": 1e-8},
            ),
            (
                "Rosenbrock, lr 0.003, alpha 0.95, eps 1e-6",
                r,
                np.array([-1.2, 1.0]),
                {"lr": 0.003, "alpha": 0.95, "eps": 1e-6},
            ),
        ],
        seed,
    )


def _call_rmsprop(fn: Callable, args: tuple) -> np.ndarray:
    surface, start, hyper = args
    theta, square_avg = np.array(start, dtype=float), np.zeros(2)
    points = [theta.copy()]
    for _ in range(STEPS):
        g = SURFACES[surface].grad(theta)
        theta, square_avg = fn(theta, g, square_avg, hyper["lr"], hyper["alpha"], hyper["eps"])
        theta, square_avg = np.array(theta, dtype=float), np.array(square_avg, dtype=float)
        points.append(theta.copy())
    return np.array(points)


# ----- q2 Adam --------------------------------------------------------------------------


def _adam_cases(seed: int | None = None) -> list[Case]:
    q, r = QUADRATIC, ROSENBROCK
    return _optimizer_cases(
        [
            (
                "quadratic, PyTorch defaults but lr 0.1",
                q,
                np.array([-2.5, 1.0]),
                {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8},
            ),
            (
                "quadratic, betas (0.5, 0.9)",
                q,
                np.array([1.0, 2.0]),
                {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-8},
            ),
            (
                "Rosenbrock, lr 0.02, eps 1e-4",
                r,
                np.array([-1.2, 1.0]),
                {"lr": 0.02, "betas": (0.9, 0.999), "eps": 1e-4},
            ),
        ],
        seed,
    )


def _call_adam(fn: Callable, args: tuple) -> np.ndarray:
    surface, start, hyper = args
    theta, m, v = np.array(start, dtype=float), np.zeros(2), np.zeros(2)
    points = [theta.copy()]
    for t in range(1, STEPS + 1):
        g = SURFACES[surface].grad(theta)
        theta, m, v = fn(theta, g, m, v, t, hyper["lr"], hyper["betas"], hyper["eps"])
        theta, m, v = (np.array(a, dtype=float) for a in (theta, m, v))
        points.append(theta.copy())
    return np.array(points)


# ----- q3 warm-up + cosine --------------------------------------------------------------


def _schedule_cases(seed: int | None = None) -> list[Case]:
    names = ("lr", "warmup_steps", "total_steps")
    if seed is not None:
        rng = np.random.default_rng(seed)
        settings = [
            (float(np.round(rng.uniform(1e-3, 1.0), 4)), int(w), int(w + rng.integers(3, 40)))
            for w in rng.integers(1, 12, size=3)
        ]
        return [
            Case(f"lr {lr:g}, {w} warm-up steps, {t} in total", (lr, w, t), names)
            for lr, w, t in settings
        ]
    return [
        Case("lr 0.1, 5 warm-up steps, 20 in total", (0.1, 5, 20), names),
        Case("lr 1.0, 1 warm-up step, 10 in total", (1.0, 1, 10), names),
        Case("lr 3e-4, 10 warm-up steps, 100 in total", (3e-4, 10, 100), names),
    ]


def _torch_schedule(lr: float, warmup_steps: int, total_steps: int) -> np.ndarray:
    torch = _torch()
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler
    warmup = sched.LinearLR(opt, start_factor=1 / 3, total_iters=warmup_steps)
    decay = sched.CosineAnnealingLR(opt, T_max=total_steps - warmup_steps)
    schedule = sched.SequentialLR(opt, [warmup, decay], milestones=[warmup_steps])
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()"
        for _ in range(total_steps + 1):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            schedule.step()
    return np.array(rates)


def _call_schedule(fn: Callable, args: tuple) -> np.ndarray:
    lr, warmup_steps, total_steps = args
    return np.array([float(fn(k, lr, warmup_steps, total_steps)) for k in range(total_steps + 1)])


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.optim", "course_lib.schedules")

ASSIGNMENT = Assignment(
    name="hw04",
    title="Adaptive learning rate",
    notebook="hw04_adaptive_lr",
    questions=(
        Question(
            "q1",
            "rmsprop_step",
            3,
            _rmsprop_cases,
            _torch_path("RMSprop"),
            ("path",),
            "square_avg = alpha * square_avg + (1 - alpha) * grad**2, then theta = theta - "
            "lr * grad / (sqrt(square_avg) + eps): eps goes outside the square root, as in "
            "PyTorch.",
            call=_call_rmsprop,
        ),
        Question(
            "q2",
            "adam_step",
            4,
            _adam_cases,
            _torch_path("Adam"),
            ("path",),
            "m and v are moving averages of grad and grad**2 with betas; divide them by "
            "(1 - beta1**t) and (1 - beta2**t), t counting from 1, then step "
            "lr * m_hat / (sqrt(v_hat) + eps).",
            call=_call_adam,
        ),
        Question(
            "q3",
            "warmup_cosine_lr",
            3,
            _schedule_cases,
            _torch_schedule,
            ("rates",),
            "for step < warmup_steps: lr * (1/3 + (2/3) * step / warmup_steps); after: "
            "lr * (1 + cos(pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2.",
            call=_call_schedule,
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", rmsprop_step)``.
check = ASSIGNMENT.check
