"""Homework hw04 (lecture 04, adaptive learning rate): questions and their cases.

The student writes, in ``homework/hw04_adaptive_lr.ipynb``:

====  ==============================================================  ======  ==================
key   function                                                        points  public cases on
====  ==============================================================  ======  ==================
q1    ``rmsprop_step(theta, grad, square_avg, lr, alpha, eps)``            2  stored paths
q2    ``adam_step(theta, grad, m, v, t, lr, betas, eps)`` (fix a draft)    4  stored paths
q3    ``warmup_cosine_lr(step, lr, warmup_steps, total_steps)``            2  stored rates
q4    ``train_adam(seed, lr, warmup_steps, steps)``                        2  stored losses
q5    ``warmup_experiment(seed)``: Adam at lr 0.3, with / without          2  thresholds (judge)
      warm-up, on a small network
w1    written answer (Part C), a markdown cell                             2  graded by hand
====  ==============================================================  ======  ==================

The expected outputs are PyTorch's (``torch.optim.RMSprop``, ``Adam``, the schedulers, the
training loop with ``torch.optim.Adam`` driven by the same gradients), computed by the
instructor's references and stored as data with every known mistake's output
(:mod:`~course_lib.homework.stored`). Optimizer questions are checked on whole trajectories
(``STEPS`` steps), the schedule on every step from 0 to past ``total_steps``, the experiment
by thresholds measured over many seeds (:data:`EXPERIMENT`).

q2 is a find-and-fix question: the notebook gives a draft Adam with three bugs (the
bias-corrected ``m`` is stored as the state, ``v`` is corrected with ``beta1``, ``eps``
sits inside the root); its mistakes name each bug that is left.

q4 calls the student's q2 and q3, q5 calls q4: the grader runs them with stand-ins
(:mod:`~course_lib.homework.standins`). Every case maker takes a ``seed``: None gives the
public cases, the grader's hidden cases come from the instructor's secret seed.

Forbidden modules (:data:`FORBIDDEN`): torch, ``course_lib.optim`` and
``course_lib.schedules`` (they hold the answers). The grader hides them from the
submission's kernel (an import fails).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Question
from course_lib.homework.digits import digits_copy
from course_lib.homework.messages import say
from course_lib.homework.trajectories import QUADRATIC, ROSENBROCK, SURFACES
from course_lib.homework.unanswered import quiet_unanswered

STEPS = 40

#: The experiment of q5: Adam at this peak rate, on the digits network, for ``steps``
#: mini-batch steps, without warm-up and with ``warmup`` steps; ``runs`` seeds per setting.
#: Measured over 12 seeds while writing it: without warm-up the final loss was 1.0 to 2.3,
#: with warm-up 0.20 to 0.44; the judge asks for medians (of 3 runs) on either side of
#: thresholds with a wide margin.
EXPERIMENT = {"lr": 0.3, "warmup": 30, "steps": 100, "runs": 3}
#: Median final losses the judge asks for: with warm-up below, without above.
WARMUP_BELOW, NO_WARMUP_ABOVE = 0.5, 0.7


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
            label = f"{label}, a start near the public one"
        cases.append(Case(label, (surface, start, hyper), names))
    return cases


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
                "quadratic, lr 0.1, alpha 0.9, eps 1e-3",
                q,
                np.array([1.0, 2.0]),
                {"lr": 0.1, "alpha": 0.9, "eps": 1e-3},
            ),
            (
                "Rosenbrock, lr 0.003, alpha 0.95, eps 1e-2",
                r,
                np.array([-1.2, 1.0]),
                {"lr": 0.003, "alpha": 0.95, "eps": 1e-2},
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


# ----- q2 Adam (find and fix) -----------------------------------------------------------


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
                "quadratic, betas (0.5, 0.9), eps 1e-3",
                q,
                np.array([1.0, 2.0]),
                {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3},
            ),
            (
                "Rosenbrock, lr 0.02, eps 1e-2",
                r,
                np.array([-1.2, 1.0]),
                {"lr": 0.02, "betas": (0.9, 0.999), "eps": 1e-2},
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
        label = "a random rate, warm-up and length"
        return [Case(label, (lr, w, t), names) for lr, w, t in settings]
    return [
        Case("lr 0.1, 5 warm-up steps, 20 in total", (0.1, 5, 20), names),
        Case("lr 1.0, 2 warm-up steps, 10 in total", (1.0, 2, 10), names),
        Case("lr 3e-4, 10 warm-up steps, 100 in total", (3e-4, 10, 100), names),
    ]


def _call_schedule(fn: Callable, args: tuple) -> np.ndarray:
    lr, warmup_steps, total_steps = args
    return np.array([float(fn(k, lr, warmup_steps, total_steps)) for k in range(total_steps + 1)])


# ----- q4 and q5: Adam on a small network -----------------------------------------------

BATCH = 32
HIDDEN = 64


def network_problem(seed: int) -> tuple[dict, Callable, Callable]:
    """A small ReLU network on the digits, for q4 and q5.

    A 64 -> 64 -> 10 network (He-initialised from ``seed``) trained on mini-batches of 32
    of the 1797 digits with the mean cross-entropy.

    Returns:
        ``(params, batch_loss, full_loss)``: ``params`` a dict of float arrays ``W0`` (64,
        64), ``b0`` (64,), ``W1`` (64, 10), ``b1`` (10,); ``batch_loss(params, t)`` the loss
        on mini-batch number ``t`` (1, 2, …, drawn from ``seed``) and its gradients, a dict
        with the keys of ``params``; ``full_loss(params)`` the loss on all the digits.
    """
    X, y = digits_copy()
    rng = np.random.default_rng(seed)
    params = {
        "W0": rng.standard_normal((64, HIDDEN)) * math.sqrt(2 / 64),
        "b0": np.zeros(HIDDEN),
        "W1": rng.standard_normal((HIDDEN, 10)) * math.sqrt(2 / HIDDEN),
        "b1": np.zeros(10),
    }
    batch_rng = np.random.default_rng([seed, 1])
    batches: list[np.ndarray] = []

    def batch_loss(params: dict, t: int) -> tuple[float, dict]:
        if not isinstance(t, int | np.integer) or t < 1:
            raise ValueError(f"t must be an int >= 1, got {t!r}")
        while len(batches) < t:
            batches.append(batch_rng.choice(len(y), BATCH, replace=False))
        rows = batches[t - 1]
        return _loss_and_grads(params, X[rows], y[rows])

    def full_loss(params: dict) -> float:
        return _loss_and_grads(params, X, y)[0]

    return {k: v.copy() for k, v in params.items()}, batch_loss, full_loss


def _loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    z0 = X @ params["W0"] + params["b0"]
    h = np.maximum(z0, 0.0)
    z = h @ params["W1"] + params["b1"]
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    dz = np.exp(log_p)
    dz[rows, y] -= 1.0
    dz /= len(y)
    dh = (dz @ params["W1"].T) * (z0 > 0)
    grads = {"W0": X.T @ dh, "b0": dh.sum(axis=0), "W1": h.T @ dz, "b1": dz.sum(axis=0)}
    return float(-log_p[rows, y].mean()), grads


def _train_cases(seed: int | None = None) -> list[Case]:
    names = ("seed", "lr", "warmup_steps", "steps")
    rng = np.random.default_rng(404 if seed is None else seed)
    settings = [(0.003, 5, 20), (0.01, 0, 15), (0.3, 10, 25)]
    cases = []
    for lr, warmup, steps in settings:
        net_seed = int(rng.integers(1_000_000))
        net = "a random network" if seed is not None else f"network seed {net_seed}"
        label = f"{net}, lr {lr}, {warmup} warm-up steps, {steps} steps"
        cases.append(Case(label, (net_seed, lr, warmup, steps), names))
    return cases


def _one_thread():
    """BLAS limited to one thread: the network's matrices are tiny, threads only add
    overhead (and much of it on a loaded machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _call_train(fn: Callable, args: tuple) -> tuple:
    with _one_thread():
        losses, final = fn(*args)
    return np.asarray(losses, dtype=float), float(final)


def _experiment_cases(seed: int | None = None) -> list[Case]:
    rng = np.random.default_rng(405 if seed is None else seed)
    seeds = [int(s) for s in rng.integers(1_000_000, size=EXPERIMENT["runs"])]
    label = f"network seeds {seeds}" if seed is None else "random network seeds"
    return [Case(label, (seeds,), ("seeds",))]


def _call_experiment(fn: Callable, args: tuple) -> dict:
    (seeds,) = args
    with _one_thread():
        out = fn(seeds)
    if not isinstance(out, dict):
        raise TypeError(f"warmup_experiment must return a dict, got {type(out).__name__}")
    return {k: np.asarray(out[k], dtype=float) for k in ("no warm-up", "warm-up") if k in out}


def _judge_experiment(case: Case, result: Any) -> tuple[float, str]:
    runs = EXPERIMENT["runs"]
    if not isinstance(result, dict) or set(result) != {"no warm-up", "warm-up"}:
        return 0.0, say("hw04.q5.keys")
    for key, losses in result.items():
        if np.shape(losses) != (runs,) or not np.all(np.isfinite(losses)):
            return 0.0, say("hw04.q5.runs", key=key, runs=runs)
    cold, warm = float(np.median(result["no warm-up"])), float(np.median(result["warm-up"]))
    seen = "" if case.hidden else say("hw04.q5.seen", cold=f"{cold:.2f}", warm=f"{warm:.2f}")
    if warm < WARMUP_BELOW and cold > NO_WARMUP_ABOVE:
        # no numbers: they are what a different CPU's rounding may change
        return 1.0, say("hw04.q5.passed", below=WARMUP_BELOW, above=NO_WARMUP_ABOVE)
    if warm >= WARMUP_BELOW:
        return 0.0, seen + say("hw04.q5.warm-too-high", below=WARMUP_BELOW)
    return 0.0, seen + say("hw04.q5.cold-too-low", above=NO_WARMUP_ABOVE)


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.optim", "course_lib.schedules")


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw04", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw04",
    title="Adaptive learning rate",
    notebook="hw04_adaptive_lr",
    questions=(
        _question(
            "q1", "rmsprop_step", 2, _rmsprop_cases, ("path",),
            call=_call_rmsprop,
            mistakes=("alpha-on-new", "eps-inside-root", "old-average"),
        ),
        _question(
            "q2", "adam_step", 4, _adam_cases, ("path",),
            call=_call_adam,
            mistakes=("draft-unchanged", "stores-corrected-m", "v-with-beta1", "eps-inside-root",
                      "no-bias-correction", "t-off-by-one"),
        ),
        _question(
            "q3", "warmup_cosine_lr", 2, _schedule_cases, ("rates",),
            call=_call_schedule,
            mistakes=("warm-up-from-zero", "cosine-over-all-steps", "peak-one-step-early"),
        ),
        _question(
            "q4", "train_adam", 2, _train_cases, ("losses", "final_loss"),
            call=_call_train, rtol=1e-5, atol=1e-8,
            mistakes=("no-schedule", "schedule-one-step-ahead", "loss-after-update"),
            uses=("q2", "q3"), standins=("adam_step", "warmup_cosine_lr"),
        ),
        _question(
            "q5", "warmup_experiment", 2, _experiment_cases, ("final losses",),
            call=_call_experiment, judge=_judge_experiment,
            uses=("q4",), standins=("train_adam",),
        ),
    ),
    written=(
        WrittenQuestion(
            "w1",
            "hw04-answer-6",
            2,
            "Part C: why does the run without warm-up fail at this learning rate while the "
            "warmed-up one trains? (three or four sentences, using the first-step sizes you "
            "printed and lecture 04, section 5)",
        ),
    ),
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", rmsprop_step)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
