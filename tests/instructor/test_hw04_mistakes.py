"""hw04: each question's planted mistakes get their named message and 0; the solution full marks.

Every buggy function below is what a student might write (NumPy, as in the notebook); it
runs through the public and the hidden cases and must fail with the message that names its
mistake, earning nothing. The cascade tests plant a wrong q2, q3 or q4 under a correct q4
or q5: the grader still gives them their points (stand-ins answer the calls).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from course_lib.homework.hw04 import ASSIGNMENT, EXPERIMENT, network_problem
from tests.instructor.planted import assert_cascade, assert_named, graded
from tests.instructor.test_homework_checks import solution_namespace


@pytest.fixture(scope="module")
def solution() -> dict:
    return solution_namespace("hw04")


failed_with = functools.partial(assert_named, ASSIGNMENT)


# ----- q1 RMSProp -----------------------------------------------------------------------


def rmsprop_alpha_swapped(theta, grad, square_avg, lr, alpha, eps):
    s = (1 - alpha) * square_avg + alpha * grad**2
    return theta - lr * grad / (np.sqrt(s) + eps), s


def rmsprop_eps_inside(theta, grad, square_avg, lr, alpha, eps):
    s = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / np.sqrt(s + eps), s


def rmsprop_old_average(theta, grad, square_avg, lr, alpha, eps):
    step = lr * grad / (np.sqrt(square_avg) + eps)
    return theta - step, alpha * square_avg + (1 - alpha) * grad**2


@pytest.mark.parametrize(
    "fn, named",
    [
        (rmsprop_alpha_swapped, "alpha weighing the new squared gradient"),
        (rmsprop_eps_inside, "eps inside the square root: PyTorch adds eps"),
        (rmsprop_old_average, "the average from BEFORE this gradient"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q1_mistakes_are_named(fn, named):
    failed_with("q1", fn, named)


# ----- q2 Adam: the draft and its bugs one at a time ------------------------------------


def adam_with(stores_hat=False, v_beta1=False, eps_inside=False, correct=True, t_shift=0):
    def adam(theta, grad, m, v, t, lr, betas, eps):
        b1, b2 = betas
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        t = t + t_shift
        mh = m / (1 - b1**t) if correct else m
        vh = v / (1 - (b1 if v_beta1 else b2) ** t) if correct else v
        denominator = np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps
        return theta - lr * mh / denominator, (mh if stores_hat else m), v

    return adam


@pytest.mark.usefixtures("each_language")
def test_q2_the_draft_itself_is_recognised(solution):
    failed_with("q2", solution["adam_step_draft"], "exactly the draft's")


@pytest.mark.parametrize(
    "fn, named",
    [
        (adam_with(stores_hat=True), "bias-corrected m returned as the state"),
        (adam_with(v_beta1=True), "v's bias correction using beta1"),
        (adam_with(eps_inside=True), "eps inside the square root"),
        (adam_with(correct=False), "without bias correction"),
        (adam_with(t_shift=1), "step counter off by one"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q2_each_remaining_bug_is_named(fn, named):
    failed_with("q2", fn, named)


# ----- q3 schedule ----------------------------------------------------------------------


def schedule_from_zero(step, lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return lr * step / warmup_steps
    return lr * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2


def schedule_cosine_over_total(step, lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return lr * (1 / 3 + 2 / 3 * step / warmup_steps)
    return lr * (1 + math.cos(math.pi * step / total_steps)) / 2


def schedule_peak_early(step, lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return lr * (1 / 3 + 2 / 3 * min(1.0, step / max(warmup_steps - 1, 1)))
    return lr * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2


@pytest.mark.parametrize(
    "fn, named",
    [
        (schedule_from_zero, "your warm-up starts at 0"),
        (schedule_cosine_over_total, "your cosine runs over all of total_steps"),
        (schedule_peak_early, "reaches lr one step early"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q3_mistakes_are_named(fn, named):
    failed_with("q3", fn, named)


# ----- q4 training loop -----------------------------------------------------------------


def train_with(solution, rate_of, record_after=False):
    adam_step = solution["adam_step"]

    def train(seed, lr, warmup_steps, steps):
        params, batch_loss, full_loss = network_problem(seed)
        state = {k: [np.zeros_like(p), np.zeros_like(p)] for k, p in params.items()}
        losses = []
        for t in range(1, steps + 1):
            loss, grads = batch_loss(params, t)
            rate = rate_of(t, lr, warmup_steps, steps)
            for k in params:
                m, v = state[k]
                params[k], m, v = adam_step(params[k], grads[k], m, v, t, rate, (0.9, 0.999), 1e-8)
                state[k] = [m, v]
            losses.append(batch_loss(params, t)[0] if record_after else loss)
        return np.array(losses), full_loss(params)

    return train


@pytest.mark.usefixtures("each_language")
def test_q4_mistakes_are_named(solution):
    schedule = solution["warmup_cosine_lr"]
    constant = train_with(solution, lambda t, lr, w, steps: lr)
    failed_with("q4", constant, "constant peak rate")
    ahead = train_with(solution, lambda t, lr, w, steps: schedule(t, lr, w, steps))
    failed_with("q4", ahead, "schedule one step ahead")
    late = train_with(solution, lambda t, lr, w, s: schedule(t - 1, lr, w, s), record_after=True)
    failed_with("q4", late, "recorded after each update")


def test_q4_correct_loop_written_differently_passes(solution):
    right = train_with(solution, lambda t, lr, w, s: solution["warmup_cosine_lr"](t - 1, lr, w, s))
    assert ASSIGNMENT.evaluate("q4", right).status == "passed"


# ----- q5 experiment (judged) -----------------------------------------------------------


@pytest.mark.usefixtures("each_language")
def test_q5_warm_up_forgotten_is_named(solution):
    train = solution["train_adam"]

    def no_warmup_twice(seeds):
        finals = np.array([train(s, EXPERIMENT["lr"], 0, EXPERIMENT["steps"])[1] for s in seeds])
        return {"no warm-up": finals, "warm-up": finals}

    failed_with("q5", no_warmup_twice, "with warm-up the median should be below")


@pytest.mark.usefixtures("each_language")
def test_q5_wrong_shape_or_keys_are_named():
    failed_with("q5", lambda seeds: {"cold": [1.0] * 3}, "keys 'no warm-up' and 'warm-up'")
    wrong = {"no warm-up": [2.0], "warm-up": [0.1]}
    failed_with("q5", lambda seeds: wrong, "must hold 3 finite final losses")


@pytest.mark.usefixtures("each_language")
def test_q5_a_run_that_is_too_gentle_is_named():
    gentle = {"no warm-up": [0.3, 0.3, 0.3], "warm-up": [0.2, 0.2, 0.2]}
    failed_with("q5", lambda seeds: gentle, "without warm-up the median should be above")


def test_the_network_reads_the_same_digits_as_the_library_in_fresh_copies():
    from course_lib.data import load_digits
    from course_lib.homework.digits import digits_copy

    first = digits_copy()
    for mine, library in zip(first, load_digits(), strict=True):
        assert mine.dtype == library.dtype and np.array_equal(mine, library)
    first[0][:] = -1.0  # a check that changes its copy leaves the next one intact
    assert np.array_equal(digits_copy()[0], load_digits()[0])


# ----- cascades -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upstream, wrong",
    [
        ("adam_step", adam_with(stores_hat=True, v_beta1=True, eps_inside=True)),
        ("warmup_cosine_lr", schedule_from_zero),
    ],
)
def test_q4_keeps_its_points_in_the_grader_when_q2_or_q3_is_wrong(solution, upstream, wrong):
    assert_cascade("hw04", "q4", solution["train_adam"], upstream, wrong)


def test_q5_keeps_its_points_in_the_grader_when_q4_is_wrong(solution):
    wrong = train_with(solution, lambda t, lr, w, steps: lr)  # no schedule
    assert_cascade("hw04", "q5", solution["warmup_experiment"], "train_adam", wrong)


def test_the_solution_earns_full_marks_on_every_question(solution):
    for question in ASSIGNMENT.questions:
        function = solution[question.function]
        for result in (
            ASSIGNMENT.evaluate(question.key, function),
            graded("hw04", question.key, function),
        ):
            assert result.score == question.points, result.message
