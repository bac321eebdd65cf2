"""Homework hw04 (lecture 04, adaptive learning rate): questions and PyTorch references.

The student writes, in ``homework/hw04_adaptive_lr.ipynb``:

====  ==============================================================  ======  ==================
key   function                                                        points  checked against
====  ==============================================================  ======  ==================
q1    ``rmsprop_step(theta, grad, square_avg, lr, alpha, eps)``            2  ``optim.RMSprop``
q2    ``adam_step(theta, grad, m, v, t, lr, betas, eps)`` (fix a draft)    4  ``optim.Adam``
q3    ``warmup_cosine_lr(step, lr, warmup_steps, total_steps)``            2  ``SequentialLR``
q4    ``train_adam(seed, lr, warmup_steps, steps)``                        2  the loop in torch
q5    ``warmup_experiment(seed)``: Adam at lr 0.3, with / without          2  thresholds (judge)
      warm-up, on a small network
w1    written answer (Part C), a markdown cell                             2  graded by hand
====  ==============================================================  ======  ==================

Optimizer questions are checked on whole trajectories (``STEPS`` steps), the schedule on
every step from 0 to past ``total_steps``, the training loop on its loss curve against
``torch.optim.Adam`` driven by the same gradients, the experiment by thresholds measured
over many seeds (:data:`EXPERIMENT`).

q2 is a find-and-fix question: the notebook gives a draft Adam with three bugs (the
bias-corrected ``m`` is stored as the state, ``v`` is corrected with ``beta1``, ``eps``
sits inside the root); its mistakes name each bug that is left.

Every case maker takes a ``seed``: the public cases use the default, the grader adds cases
made from the instructor's secret seed (``course_tools.grading.instructor``).

Forbidden modules (:data:`FORBIDDEN`): torch, ``course_lib.optim`` and
``course_lib.schedules`` (they hold the answers). The grader hides them from the
submission's kernel (an import fails) and flags code that mentions them.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.data import load_digits
from course_lib.homework.assignment import Assignment, WrittenQuestion
from course_lib.homework.checking import Case, Mistake, Question
from course_lib.homework.trajectories import QUADRATIC, ROSENBROCK, SURFACES, torch_path
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
            label = f"{label}, start {np.round(start, 3).tolist()}"
        cases.append(Case(label, (surface, start, hyper), names))
    return cases


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
                "quadratic, betas (0.5, 0.9)",
                q,
                np.array([1.0, 2.0]),
                {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-8},
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
        Case("lr 1.0, 2 warm-up steps, 10 in total", (1.0, 2, 10), names),
        Case("lr 3e-4, 10 warm-up steps, 100 in total", (3e-4, 10, 100), names),
    ]


def _torch_rates(lr: float, warmup_steps: int, total_steps: int, count: int) -> np.ndarray:
    """The rate PyTorch's warm-up + cosine reports at steps 0 .. count - 1 (cosine alone
    when ``warmup_steps`` is 0)."""
    torch = _torch()
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
    return _torch_rates(lr, warmup_steps, total_steps, total_steps + 1)


def _call_schedule(fn: Callable, args: tuple) -> np.ndarray:
    lr, warmup_steps, total_steps = args
    return np.array([float(fn(k, lr, warmup_steps, total_steps)) for k in range(total_steps + 1)])


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
    X, y = _digits()
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


@functools.cache
def _digits_cached() -> tuple[np.ndarray, np.ndarray]:
    return load_digits()


def _digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = _digits_cached()
    return X.copy(), y.copy()


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


def _train_cases(seed: int = 404) -> list[Case]:
    names = ("seed", "lr", "warmup_steps", "steps")
    rng = np.random.default_rng(seed)
    settings = [(0.003, 5, 20), (0.01, 0, 15), (0.3, 10, 25)]
    cases = []
    for lr, warmup, steps in settings:
        net_seed = int(rng.integers(1_000_000))
        label = f"network seed {net_seed}, lr {lr}, {warmup} warm-up steps, {steps} steps"
        cases.append(Case(label, (net_seed, lr, warmup, steps), names))
    return cases


def _train_reference(seed, lr, warmup_steps, steps, *, rates=None, late=False):
    """``torch.optim.Adam`` driven by the network's gradients and the schedule's rates
    (``rates`` another schedule; ``late``: the loss recorded after the step)."""
    torch = _torch()
    params, batch_loss, full_loss = network_problem(seed)
    tensors = {k: torch.tensor(v) for k, v in params.items()}
    opt = torch.optim.Adam(list(tensors.values()), lr=lr)
    if rates is None:
        rates = _torch_rates(lr, warmup_steps, steps, steps)
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


def _one_thread():
    """BLAS limited to one thread: the network's matrices are tiny, threads only add
    overhead (and much of it on a loaded machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _call_train(fn: Callable, args: tuple) -> tuple:
    with _one_thread():
        losses, final = fn(*args)
    return np.asarray(losses, dtype=float), float(final)


def _train_constant_lr(seed, lr, warmup_steps, steps):
    return _train_reference(seed, lr, warmup_steps, steps, rates=np.full(steps, lr))


def _train_schedule_shifted(seed, lr, warmup_steps, steps):
    rates = _torch_rates(lr, warmup_steps, steps, steps + 1)[1:]
    return _train_reference(seed, lr, warmup_steps, steps, rates=rates)


def _experiment_cases(seed: int = 405) -> list[Case]:
    rng = np.random.default_rng(seed)
    seeds = [int(s) for s in rng.integers(1_000_000, size=EXPERIMENT["runs"])]
    return [Case(f"network seeds {seeds}", (seeds,), ("seeds",))]


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
        return 0.0, "return a dict with the keys 'no warm-up' and 'warm-up'"
    for key, losses in result.items():
        if np.shape(losses) != (runs,) or not np.all(np.isfinite(losses)):
            return 0.0, f"{key!r} must hold {runs} finite final losses, one per seed"
    cold, warm = float(np.median(result["no warm-up"])), float(np.median(result["warm-up"]))
    seen = f"median final loss without warm-up {cold:.2f}, with warm-up {warm:.2f}"
    if warm < WARMUP_BELOW and cold > NO_WARMUP_ABOVE:
        return 1.0, (  # no numbers: they are what a different CPU's rounding may change
            f"median final loss with warm-up below {WARMUP_BELOW}, without above "
            f"{NO_WARMUP_ABOVE}: warm-up rescues the high learning rate"
        )
    if warm >= WARMUP_BELOW:
        return 0.0, (
            f"{seen}: with warm-up the median should be below {WARMUP_BELOW}; check that each "
            "seed gets a fresh network and that the schedule reaches the peak after the warm-up"
        )
    return 0.0, (
        f"{seen}: without warm-up the median should be above {NO_WARMUP_ABOVE}; check that the "
        "no-warm-up runs use warmup_steps = 0 at the same peak rate"
    )


#: Modules an answer may not use; hidden from the kernel while grading (see the docstring).
FORBIDDEN: tuple[str, ...] = ("torch", "course_lib.optim", "course_lib.schedules")

_SEE = "lecture 04, section 3"

ASSIGNMENT = Assignment(
    name="hw04",
    title="Adaptive learning rate",
    notebook="hw04_adaptive_lr",
    questions=(
        Question(
            "q1",
            "rmsprop_step",
            2,
            _rmsprop_cases,
            _torch_path("RMSprop"),
            ("path",),
            f"RMSProp divides each coordinate's step by the root of an exponential moving "
            f"average of its squared gradients ({_SEE}); alpha weighs the past, and the new "
            "average is the one the step uses.",
            call=_call_rmsprop,
            mistakes=(
                Mistake(
                    "alpha on the new gradient",
                    "your path is RMSProp with alpha weighing the new squared gradient: in the "
                    "moving average alpha multiplies the PAST average, 1 - alpha the new g^2",
                    _rmsprop_variant(swapped=True),
                ),
                Mistake(
                    "eps inside the root",
                    "your path is RMSProp with eps inside the square root: PyTorch adds eps "
                    "after taking the root of the average",
                    _rmsprop_variant(eps_inside=True),
                ),
                Mistake(
                    "old average",
                    "your path steps with the average from BEFORE this gradient: update "
                    "square_avg first, then divide by its root",
                    _rmsprop_variant(stale=True),
                ),
            ),
        ),
        Question(
            "q2",
            "adam_step",
            4,
            _adam_cases,
            _torch_path("Adam"),
            ("path",),
            f"compare the draft with Adam's update in {_SEE}, line by line: what is stored as "
            "the state, which beta corrects which average, and where eps goes.",
            call=_call_adam,
            mistakes=(
                Mistake(
                    "draft unchanged",
                    "your path is exactly the draft's: all three of its bugs are still there",
                    _adam_variant(stores_hat=True, v_with_beta1=True, eps_inside=True),
                ),
                Mistake(
                    "stores the corrected m",
                    "your path is Adam with the bias-corrected m returned as the state: the "
                    "moving average must stay uncorrected, or the correction compounds step "
                    "after step",
                    _adam_variant(stores_hat=True),
                ),
                Mistake(
                    "v corrected with beta1",
                    "your path is Adam with v's bias correction using beta1: each average is "
                    "corrected with its own beta",
                    _adam_variant(v_with_beta1=True),
                ),
                Mistake(
                    "eps inside the root",
                    "your path is Adam with eps inside the square root: torch.optim.Adam adds "
                    "eps after the root of v_hat",
                    _adam_variant(eps_inside=True),
                ),
                Mistake(
                    "no bias correction",
                    "your path is Adam without bias correction: both averages start at zero "
                    "and must be divided by 1 - beta^t",
                    _adam_variant(correction=False),
                ),
                Mistake(
                    "t off by one",
                    "your path is Adam with the step counter off by one in the bias "
                    "correction: t is already 1 at the first step",
                    _adam_variant(shift=1),
                ),
            ),
        ),
        Question(
            "q3",
            "warmup_cosine_lr",
            2,
            _schedule_cases,
            _torch_schedule,
            ("rates",),
            "lecture 04, section 5: the warm-up is PyTorch's LinearLR (it starts at a third "
            "of lr and reaches lr exactly at step warmup_steps), then CosineAnnealingLR spends "
            "the remaining total_steps - warmup_steps steps going down to 0.",
            call=_call_schedule,
            mistakes=(
                Mistake(
                    "warm-up from zero",
                    "your warm-up starts at 0: LinearLR with start_factor 1/3 starts at a third "
                    "of lr",
                    _schedule_variant(start=0.0),
                ),
                Mistake(
                    "cosine over all steps",
                    "your cosine runs over all of total_steps: after the warm-up only "
                    "total_steps - warmup_steps steps are left for the decay, so the rate must "
                    "be lr right at step warmup_steps",
                    _schedule_variant(over_total=True),
                ),
                Mistake(
                    "peak one step early",
                    "your warm-up reaches lr one step early: it grows for warmup_steps steps "
                    "and reaches lr exactly at step warmup_steps",
                    _schedule_variant(late=1),
                ),
            ),
        ),
        Question(
            "q4",
            "train_adam",
            2,
            _train_cases,
            _train_reference,
            ("losses", "final_loss"),
            "one adam_step per parameter array, each with its own m and v and the same step "
            "counter t = 1, 2, …; the rate of step t is your schedule at k = t - 1; record "
            "the mini-batch loss computed before the update.",
            call=_call_train,
            rtol=1e-5,
            atol=1e-8,
            mistakes=(
                Mistake(
                    "no schedule",
                    "your losses are those of Adam at the constant peak rate: the rate of each "
                    "step must come from warmup_cosine_lr",
                    _train_constant_lr,
                ),
                Mistake(
                    "schedule one step ahead",
                    "your losses are those of a schedule one step ahead: step t = 1 uses the "
                    "rate at k = 0",
                    _train_schedule_shifted,
                ),
                Mistake(
                    "loss after the update",
                    "your losses were recorded after each update: record the mini-batch loss "
                    "that batch_loss returns together with the gradients",
                    lambda *args: _train_reference(*args, late=True),
                ),
            ),
        ),
        Question(
            "q5",
            "warmup_experiment",
            2,
            _experiment_cases,
            None,
            ("final losses",),
            "run train_adam once per seed at the peak rate of the experiment, with "
            "warmup_steps 0 and with the warm-up, and return the final losses.",
            call=_call_experiment,
            judge=_judge_experiment,
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
)

#: The self-check students call after each question: ``check("q1", rmsprop_step)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
