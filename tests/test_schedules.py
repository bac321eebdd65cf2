"""course_lib.schedules against the schedulers of torch.optim.lr_scheduler.

Each schedule f must satisfy f(k) == the learning rate a torch scheduler reports after k calls
of scheduler.step(), for 200 steps (past the end of every warmup and cosine period).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from course_lib import optim, schedules

torch.set_num_threads(1)

STEPS = 200
# torch updates most rates recursively (lr_k from lr_{k-1}); the closed forms differ from
# that only by accumulated rounding, a few 1e-14 after 200 steps.
TOL = 1e-12


def torch_rates(make_scheduler, lr: float, steps: int = STEPS) -> np.ndarray:
    """Rates reported by torch after 0, 1, ..., steps scheduler steps."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make_scheduler(opt)
    rates = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()  # before scheduler.step(), as torch expects
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
        assert opt.param_groups[0]["lr"] == rates[-1]
    return np.array(rates)


def assert_matches_torch(f, expected: np.ndarray) -> None:
    ours = np.array([f(k) for k in range(len(expected))])
    assert all(isinstance(f(k), float) for k in (0, 1, 100))
    err = np.max(np.abs(ours - expected)) / np.max(np.abs(expected))
    assert err <= TOL, f"max relative error {err:.1e}"


@pytest.mark.parametrize("lr", [0.1, 1.0, 0.0])
def test_constant_matches_constant_lr_with_factor_one(lr):
    expected = torch_rates(lambda o: lr_scheduler.ConstantLR(o, factor=1.0), lr)
    assert np.all(np.array([schedules.constant(lr)(k) for k in range(STEPS + 1)]) == expected)


@pytest.mark.parametrize(
    ("lr", "step_size", "gamma"), [(0.1, 7, 0.5), (1.0, 1, 0.9), (0.3, 30, 0.1), (0.2, 250, 0.1)]
)
def test_step_decay_matches_step_lr(lr, step_size, gamma):
    expected = torch_rates(lambda o: lr_scheduler.StepLR(o, step_size, gamma), lr)
    assert_matches_torch(schedules.step_decay(lr, step_size, gamma), expected)


def test_step_decay_default_gamma_is_torch_default():
    expected = torch_rates(lambda o: lr_scheduler.StepLR(o, step_size=40), 0.5)
    assert_matches_torch(schedules.step_decay(0.5, 40), expected)


@pytest.mark.parametrize(("lr", "gamma"), [(0.1, 0.97), (1.0, 0.5), (0.05, 1.01), (0.3, 1.0)])
def test_exponential_matches_exponential_lr(lr, gamma):
    expected = torch_rates(lambda o: lr_scheduler.ExponentialLR(o, gamma), lr)
    assert_matches_torch(schedules.exponential(lr, gamma), expected)


@pytest.mark.parametrize(
    ("lr", "T_max", "eta_min"),
    [
        (0.1, 7, 0.0),
        (0.1, 7, 0.01),
        (0.5, 50, 0.02),
        (0.1, 300, 0.0),
        (1.0, 1, 0.1),
        (0.2, 200, 0.05),
    ],
)
def test_cosine_matches_cosine_annealing_lr_before_and_after_t_max(lr, T_max, eta_min):
    expected = torch_rates(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max, eta_min), lr)
    assert_matches_torch(schedules.cosine(lr, T_max, eta_min), expected)


@pytest.mark.parametrize(
    ("lr", "warmup_steps", "start_factor"),
    [(0.1, 17, 0.25), (1.0, 1, 1 / 3), (0.3, 250, 0.01), (0.1, 5, 1.0), (0.2, 200, 0.5)],
)
def test_linear_warmup_matches_linear_lr(lr, warmup_steps, start_factor):
    expected = torch_rates(
        lambda o: lr_scheduler.LinearLR(o, start_factor, end_factor=1.0, total_iters=warmup_steps),
        lr,
    )
    assert_matches_torch(schedules.linear_warmup(lr, warmup_steps, start_factor), expected)


def test_linear_warmup_default_start_factor_is_torch_default():
    expected = torch_rates(lambda o: lr_scheduler.LinearLR(o, total_iters=12), 0.1)
    assert_matches_torch(schedules.linear_warmup(0.1, 12), expected)


def torch_warmup_cosine(opt, warmup_steps, total_steps, eta_min, start_factor):
    warmup = lr_scheduler.LinearLR(opt, start_factor, end_factor=1.0, total_iters=warmup_steps)
    decay = lr_scheduler.CosineAnnealingLR(opt, total_steps - warmup_steps, eta_min)
    return lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[warmup_steps])


@pytest.mark.parametrize(
    ("lr", "warmup_steps", "total_steps", "eta_min", "start_factor"),
    [
        (0.1, 5, 50, 0.001, 1 / 3),
        (0.1, 10, 120, 0.0, 0.01),
        (1.0, 1, 2, 0.0, 1 / 3),
        (0.2, 20, 300, 0.01, 0.5),
        (0.05, 150, 190, 0.0, 1.0),
    ],
)
def test_warmup_cosine_matches_sequential_linear_then_cosine(
    lr, warmup_steps, total_steps, eta_min, start_factor
):
    expected = torch_rates(
        lambda o: torch_warmup_cosine(o, warmup_steps, total_steps, eta_min, start_factor), lr
    )
    f = schedules.warmup_cosine(lr, warmup_steps, total_steps, eta_min, start_factor=start_factor)
    assert_matches_torch(f, expected)


def test_warmup_cosine_peaks_at_lr_and_reaches_eta_min_at_total_steps():
    f = schedules.warmup_cosine(0.1, 10, 60, eta_min=0.002)
    assert f(0) == pytest.approx(0.1 / 3)
    assert max(f(k) for k in range(61)) == f(10) == pytest.approx(0.1)
    assert f(60) == pytest.approx(0.002)


def attention_paper_lambda(d_model: int, warmup_steps: int):
    # The paper's rate at update number s = k + 1 (torch's LambdaLR calls the lambda with k).
    def rate(k: int) -> float:
        s = k + 1
        return d_model**-0.5 * min(1 / math.sqrt(s), s / warmup_steps**1.5)

    return rate


@pytest.mark.parametrize(("d_model", "warmup_steps"), [(512, 4000), (64, 50), (1, 1), (16, 10)])
def test_transformer_matches_lambda_lr_with_base_lr_one(d_model, warmup_steps):
    expected = torch_rates(
        lambda o: lr_scheduler.LambdaLR(o, attention_paper_lambda(d_model, warmup_steps)), 1.0
    )
    assert_matches_torch(schedules.transformer(d_model, warmup_steps), expected)


def test_transformer_rises_to_its_peak_at_warmup_then_decays():
    d_model, warmup = 128, 40
    rates = np.array([schedules.transformer(d_model, warmup)(k) for k in range(STEPS)])
    peak = warmup - 1  # s = k + 1 = warmup
    assert np.argmax(rates) == peak
    assert rates[peak] == pytest.approx((d_model * warmup) ** -0.5, rel=1e-12)
    assert np.all(np.diff(rates[: peak + 1]) > 0)
    assert np.all(np.diff(rates[peak:]) < 0)


def test_schedule_drives_sgd_lr_like_a_torch_scheduler_drives_torch_sgd():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(3, 4))
    tp = torch.tensor(p, requires_grad=True)
    ours = optim.SGD([p], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    scheduler = torch_warmup_cosine(theirs, 5, 30, 0.001, 1 / 3)
    schedule = schedules.warmup_cosine(0.1, 5, 30, 0.001)
    for k in range(40):
        ours.lr = schedule(k)
        g = rng.normal(size=(3, 4))
        ours.step([g])
        tp.grad = torch.tensor(g)
        theirs.step()
        scheduler.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


ALL_SCHEDULES = {
    "constant": schedules.constant(0.1),
    "step_decay": schedules.step_decay(0.1, 10),
    "exponential": schedules.exponential(0.1, 0.9),
    "cosine": schedules.cosine(0.1, 10),
    "linear_warmup": schedules.linear_warmup(0.1, 10),
    "warmup_cosine": schedules.warmup_cosine(0.1, 10, 20),
    "transformer": schedules.transformer(512, 10),
}


@pytest.mark.parametrize(
    ("step", "error"),
    [(-1, ValueError), (1.5, TypeError), (2.0, TypeError), (True, TypeError), ("3", TypeError)],
)
@pytest.mark.parametrize("name", sorted(ALL_SCHEDULES))
def test_schedules_reject_negative_or_non_integer_steps(name, step, error):
    with pytest.raises(error, match="step"):
        ALL_SCHEDULES[name](step)


@pytest.mark.parametrize("name", sorted(ALL_SCHEDULES))
def test_schedules_accept_numpy_integer_steps(name):
    f = ALL_SCHEDULES[name]
    assert f(np.int64(7)) == f(7)


@pytest.mark.parametrize(
    ("factory", "kwargs", "error", "match"),
    [
        (schedules.constant, {"lr": -0.1}, ValueError, "lr"),
        (schedules.constant, {"lr": float("inf")}, ValueError, "lr"),
        (schedules.step_decay, {"lr": 0.1, "step_size": 0}, ValueError, "step_size"),
        (schedules.step_decay, {"lr": 0.1, "step_size": 2.5}, TypeError, "step_size"),
        (schedules.step_decay, {"lr": 0.1, "step_size": 3, "gamma": 0.0}, ValueError, "gamma"),
        (schedules.exponential, {"lr": 0.1, "gamma": -0.5}, ValueError, "gamma"),
        (schedules.exponential, {"lr": "0.1", "gamma": 0.9}, TypeError, "lr"),
        (schedules.cosine, {"lr": 0.1, "T_max": 0}, ValueError, "T_max"),
        (schedules.cosine, {"lr": 0.1, "T_max": 10, "eta_min": 0.2}, ValueError, "eta_min"),
        (schedules.cosine, {"lr": 0.1, "T_max": 10, "eta_min": -0.1}, ValueError, "eta_min"),
        (schedules.linear_warmup, {"lr": 0.1, "warmup_steps": 0}, ValueError, "warmup_steps"),
        (
            schedules.warmup_cosine,
            {"lr": 0.1, "warmup_steps": 10, "total_steps": 10},
            ValueError,
            "total_steps must be > warmup_steps",
        ),
        (
            schedules.warmup_cosine,
            {"lr": 0.1, "warmup_steps": 0, "total_steps": 10},
            ValueError,
            "warmup_steps",
        ),
        (
            schedules.warmup_cosine,
            {"lr": 0.1, "warmup_steps": 5, "total_steps": 10, "start_factor": 0.0},
            ValueError,
            "start_factor",
        ),
        (schedules.transformer, {"d_model": 0, "warmup_steps": 10}, ValueError, "d_model"),
        (schedules.transformer, {"d_model": 512.0, "warmup_steps": 10}, TypeError, "d_model"),
        (schedules.transformer, {"d_model": 512, "warmup_steps": 0}, ValueError, "warmup_steps"),
    ],
)
def test_bad_arguments_are_rejected_with_their_name(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


@pytest.mark.parametrize("start_factor", [0.0, -0.5, 1.5])
def test_linear_warmup_rejects_start_factors_that_torch_rejects(start_factor):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError):
        lr_scheduler.LinearLR(opt, start_factor=start_factor)
    with pytest.raises(ValueError, match="start_factor"):
        schedules.linear_warmup(0.1, 10, start_factor=start_factor)
