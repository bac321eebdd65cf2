"""hw06: each question's planted mistakes get their named message and 0; the solution full marks.

Every buggy function below is what a student might write (NumPy, as in the notebook); it
runs through the public and the hidden cases and must fail with the message that names its
mistake, earning nothing. The cascade tests plant a wrong q1 or q3 under a correct q4 and
q5: the grader still gives them their points. q3's cases test what they claim: the upstream
gradient is independent of x, and no batch is so small that dx vanishes.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from course_lib.homework.hw06 import ASSIGNMENT, EPS, EXPERIMENT, MOMENTUM, train_network
from tests.instructor.planted import assert_cascade, assert_named, graded, hidden_cases
from tests.instructor.test_homework_checks import solution_namespace


@pytest.fixture(scope="module")
def solution() -> dict:
    return solution_namespace("hw06")


failed_with = functools.partial(assert_named, ASSIGNMENT)


# ----- q1 training mode -----------------------------------------------------------------


def bn_train_with(norm_ddof=0, run_ddof=1, weight_new=MOMENTUM, eps_after=False):
    def batchnorm_train(x, gamma, beta, running_mean, running_var):
        mu = x.mean(axis=0)
        var = x.var(axis=0, ddof=norm_ddof)
        std = np.sqrt(var) + EPS if eps_after else np.sqrt(var + EPS)
        out = gamma * (x - mu) / std + beta
        new_mean = (1 - weight_new) * running_mean + weight_new * mu
        new_var = (1 - weight_new) * running_var + weight_new * x.var(axis=0, ddof=run_ddof)
        return out, new_mean, new_var

    return batchnorm_train


@pytest.mark.parametrize(
    "fn, named",
    [
        (bn_train_with(run_ddof=0), "running_var averages the BIASED batch variance"),
        (bn_train_with(norm_ddof=1), "normalised with the UNBIASED variance"),
        (bn_train_with(weight_new=1 - MOMENTUM), "give weight momentum to the past"),
        (bn_train_with(eps_after=True), "adds eps after the square root"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q1_mistakes_are_named(fn, named):
    failed_with("q1", fn, named)


# ----- q2 evaluation mode ---------------------------------------------------------------


def bn_eval_batch_stats(x, gamma, beta, running_mean, running_var):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS) + beta


def bn_eval_no_root(x, gamma, beta, running_mean, running_var):
    return gamma * (x - running_mean) / (running_var + EPS) + beta


@pytest.mark.parametrize(
    "fn, named",
    [
        (bn_eval_batch_stats, "uses the batch's own mean and variance"),
        (bn_eval_no_root, "divides by running_var itself"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q2_mistakes_are_named(fn, named):
    failed_with("q2", fn, named)


# ----- q3 backward ----------------------------------------------------------------------


def bn_backward_with(kind):
    def batchnorm_backward(dout, x, gamma):
        n = x.shape[0]
        var = x.var(axis=0, ddof=1 if kind == "unbiased" else 0)
        sigma = np.sqrt(var + EPS)
        x_hat = (x - x.mean(axis=0)) / sigma
        dbeta = dout.sum(axis=0)
        dgamma = (dout * (x if kind == "x" else x_hat)).sum(axis=0)
        if kind == "local":
            return gamma * dout / sigma, dgamma, dbeta
        if kind == "mean only":
            return gamma / sigma * (dout - dbeta / n), dgamma, dbeta
        dgamma_hat = (dout * x_hat).sum(axis=0)
        if kind == "no gamma":
            return 1 / (n * sigma) * (n * dout - dbeta - x_hat * dgamma_hat), dgamma, dbeta
        if kind == "no sigma":
            return gamma / n * (n * dout - dbeta - x_hat * dgamma_hat), dgamma, dbeta
        if kind == "unbiased":  # staged backprop of a forward pass that divides by N - 1
            xc = x - x.mean(axis=0)
            dx_hat = dout * gamma
            dvar = -(dx_hat * xc).sum(axis=0) / sigma**2 * 0.5 / sigma
            dxc = dx_hat / sigma + dvar * 2 * xc / (n - 1)
            return dxc - dxc.sum(axis=0) / n, dgamma, dbeta
        return gamma / (n * sigma) * (n * dout - dbeta - x_hat * dgamma_hat), dgamma, dbeta

    return batchnorm_backward


@pytest.mark.parametrize(
    "fn, named",
    [
        (bn_backward_with("local"), "treats the batch mean and variance as constants"),
        (bn_backward_with("mean only"), "not the one through the batch variance"),
        (bn_backward_with("unbiased"), "use the UNBIASED variance"),
        (bn_backward_with("x"), "dgamma multiplies dout by x"),
        (bn_backward_with("no gamma"), "missing the factor gamma"),
        (bn_backward_with("no sigma"), "missing the factor 1 / sqrt(var + eps)"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q3_mistakes_are_named(fn, named):
    failed_with("q3", fn, named)


# ----- q4 running statistics ------------------------------------------------------------


def running_with(start_var=1.0, ddof=1):
    def running_statistics(batches):
        d = batches[0].shape[1]
        mean, var = np.zeros(d), np.full(d, start_var)
        for batch in batches:
            mean = 0.9 * mean + 0.1 * batch.mean(axis=0)
            var = 0.9 * var + 0.1 * batch.var(axis=0, ddof=ddof)
        return mean, var

    return running_statistics


@pytest.mark.parametrize(
    "fn, named",
    [
        (running_with(start_var=0.0), "running_var starts at 0"),
        (running_with(ddof=0), "averages the BIASED batch variance"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q4_mistakes_are_named(fn, named):
    failed_with("q4", fn, named)


# ----- q5 the study (judged) ------------------------------------------------------------


@pytest.mark.usefixtures("each_language")
def test_q5_mistakes_are_named(solution):
    pair = (solution["batchnorm_train"], solution["batchnorm_backward"])

    def bn_everywhere(seed):
        accuracies = np.array([train_network(seed, s, pair) for s in EXPERIMENT["scales"]])
        return {"bn": accuracies, "no bn": accuracies}

    failed_with("q5", bn_everywhere, "without BN the smallest and the largest scale")

    def labels_swapped(seed):
        out = solution["init_scale_study"](seed)
        return {"bn": out["no bn"], "no bn": out["bn"]}

    failed_with("q5", labels_swapped, "with BN every scale should reach")
    failed_with("q5", lambda seed: {"bn": [1.0]}, "keys 'bn' and 'no bn'")


def test_q3_cases_test_dx():
    """dx is neither ~0 nor a leftover of x's noise: dout comes from its own stream, and a
    batch of N examples gives dx a size comparable to gamma * dout / sigma."""
    for case in [*ASSIGNMENT.question("q3").make_cases(), *hidden_cases("hw06", "q3")]:
        dout, x, gamma = case.args
        assert x.shape[0] >= 3
        assert abs(np.corrcoef(dout.ravel(), (x - x.mean(axis=0)).ravel())[0, 1]) < 0.9
        dx = case.answer.expected[0]
        scale = np.abs(gamma * dout / np.sqrt(x.var(axis=0) + EPS)).max()
        assert np.abs(dx).max() > 0.1 * scale, case.label


def test_a_wrong_dx_is_reported_relative_to_its_size(solution):
    message = ASSIGNMENT.evaluate("q3", bn_backward_with("no gamma")).message
    assert "% of its size" in message


def test_q1_may_update_the_running_statistics_in_place(solution):
    def in_place(x, gamma, beta, running_mean, running_var):
        out, mean, var = solution["batchnorm_train"](x, gamma, beta, running_mean, running_var)
        running_mean[:], running_var[:] = mean, var  # as torch's layer updates its buffers
        return out, running_mean, running_var

    assert ASSIGNMENT.evaluate("q1", in_place).status == "passed"


# ----- cascades -------------------------------------------------------------------------


def test_q4_keeps_its_points_in_the_grader_when_q1_is_wrong(solution):
    wrong = bn_train_with(run_ddof=0)
    assert_cascade("hw06", "q4", solution["running_statistics"], "batchnorm_train", wrong)


def test_q5_keeps_its_points_in_the_grader_when_q1_or_q3_is_wrong(solution):
    study = solution["init_scale_study"]
    assert_cascade("hw06", "q5", study, "batchnorm_backward", bn_backward_with("no sigma"))
    assert_cascade("hw06", "q5", study, "batchnorm_train", bn_train_with(norm_ddof=1))


def test_the_solution_earns_full_marks_on_every_question(solution):
    for question in ASSIGNMENT.questions:
        function = solution[question.function]
        for result in (
            ASSIGNMENT.evaluate(question.key, function),
            graded("hw06", question.key, function),
        ):
            assert result.score == question.points, result.message
