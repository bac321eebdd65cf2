"""hw05: each question's planted mistakes get their named message and 0; the solution full marks.

Every buggy function below is what a student might write (NumPy, as in the notebook); it
runs through the public and the hidden cases and must fail with the message that names its
mistake, earning nothing. The cascade tests plant a wrong q1 under a correct q2 and q3, and
a wrong q2 or q3 under a correct q5: the grader still gives them their points.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from course_lib.homework.hw05 import ASSIGNMENT, EXPERIMENT, mlp_problem
from tests.instructor.planted import assert_cascade, assert_named, graded
from tests.instructor.test_homework_checks import solution_namespace


@pytest.fixture(scope="module")
def solution() -> dict:
    return solution_namespace("hw05")


failed_with = functools.partial(assert_named, ASSIGNMENT)


# ----- q1 log-softmax -------------------------------------------------------------------


def log_softmax_columns(z):
    m = z.max(axis=0, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=0, keepdims=True))


def log_softmax_max_once(z):
    m = z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def log_softmax_without_shift(z):
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def log_softmax_of_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.log(e / e.sum(axis=1, keepdims=True))


@pytest.mark.parametrize(
    "fn, named",
    [
        (log_softmax_columns, "normalised over axis 0"),
        (log_softmax_max_once, "off by each row's maximum"),
        (log_softmax_without_shift, "inputs large enough to overflow an exponential"),
        (log_softmax_of_softmax, "are -inf on large logits although you shifted them"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q1_mistakes_are_named(fn, named):
    failed_with("q1", fn, named)


# ----- q2 label smoothing ---------------------------------------------------------------


def smoothed(target_of, grad_target_of=None, reduce=np.mean):
    def cross_entropy(logits, labels, label_smoothing=0.0):
        n, c = logits.shape
        one_hot = np.eye(c)[labels]
        target = target_of(one_hot, label_smoothing, c)
        m = logits.max(axis=1, keepdims=True)
        log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
        per_example = -(target * log_p).sum(axis=1)
        grad_target = target if grad_target_of is None else grad_target_of(one_hot)
        scale = 1.0 if reduce is np.sum else 1.0 / n
        return reduce(per_example), (np.exp(log_p) - grad_target) * scale

    return cross_entropy


@pytest.mark.parametrize(
    "fn, named",
    [
        (smoothed(lambda o, s, c: (1 - s) * o + s * (1 - o) / (c - 1)), "C - 1 wrong classes"),
        (smoothed(lambda o, s, c: (1 - s) * o + s), "adds s to every class"),
        (
            smoothed(lambda o, s, c: (1 - s) * o + s / c, grad_target_of=lambda o: o),
            "dlogits is the hard-label gradient",
        ),
        (smoothed(lambda o, s, c: (1 - s) * o + s / c, reduce=np.sum), "summed over the examples"),
        (smoothed(lambda o, s, c: o), "label_smoothing is ignored"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q2_mistakes_are_named(fn, named):
    failed_with("q2", fn, named)


@pytest.mark.usefixtures("each_language")
def test_q2_sign_flip_is_named_by_the_generic_diagnosis(solution):
    right = solution["cross_entropy"]

    def flipped(logits, labels, label_smoothing=0.0):
        loss, grad = right(logits, labels, label_smoothing)
        return loss, -grad

    failed_with("q2", flipped, "dlogits is exactly -(expected)")


# ----- q3 MSE on softmax ----------------------------------------------------------------


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mse_without_jacobian(logits, labels):
    p = softmax(logits)
    diff = p - np.eye(logits.shape[1])[labels]
    return (diff**2).sum() / len(labels), 2 * diff / len(labels)


def mse_mean_over_all(logits, labels):
    p = softmax(logits)
    diff = p - np.eye(logits.shape[1])[labels]
    dp = 2 * diff / diff.size
    return (diff**2).mean(), p * (dp - (dp * p).sum(axis=1, keepdims=True))


@pytest.mark.parametrize(
    "fn, named",
    [
        (mse_without_jacobian, "gradient with respect to the probabilities"),
        (mse_mean_over_all, "averages over the classes as well"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q3_mistakes_are_named(fn, named):
    failed_with("q3", fn, named)


# ----- q4 training loop -----------------------------------------------------------------


def train_with(record_after=False, bias_mean=False, extra_step=False):
    def train(X, y, loss_fn, lr, steps):
        c = y.max() + 1
        W, b = np.zeros((X.shape[1], c)), np.zeros(c)
        losses = []
        for _ in range(steps + (1 if extra_step else 0)):
            loss, dz = loss_fn(X @ W + b, y)
            W = W - lr * X.T @ dz
            b = b - lr * (dz.mean(axis=0) if bias_mean else dz.sum(axis=0))
            losses.append(loss_fn(X @ W + b, y)[0] if record_after else loss)
        return W, b, np.array(losses)

    return train


@pytest.mark.parametrize(
    "fn, named",
    [
        (train_with(record_after=True), "losses are those after each update"),
        (train_with(bias_mean=True), "b moved by the MEAN of dlogits"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_q4_mistakes_are_named(fn, named):
    failed_with("q4", fn, named)


# ----- q5 experiment (judged) -----------------------------------------------------------


def experiment_with(solution, lr, keys=("cross-entropy", "MSE on softmax"), same_loss=None):
    losses = {
        "cross-entropy": solution["cross_entropy"],
        "MSE on softmax": solution["mse_on_softmax"],
    }

    def experiment(seed):
        out = {}
        for key in keys:
            params, X, y, network = mlp_problem(seed)
            loss_fn = losses[same_loss or key]
            for _ in range(EXPERIMENT["steps"]):
                logits, backward = network(params, X)
                grads = backward(loss_fn(logits, y)[1])
                params = {k: v - lr * grads[k] for k, v in params.items()}
            out[key] = float(np.mean(network(params, X)[0].argmax(axis=1) == y))
        return out

    return experiment


@pytest.mark.usefixtures("each_language")
def test_q5_mistakes_are_named(solution):
    tiny_rate = experiment_with(solution, lr=1e-4)
    failed_with("q5", tiny_rate, "cross-entropy should reach")
    both_ce = experiment_with(solution, EXPERIMENT["lr"], same_loss="cross-entropy")
    failed_with("q5", both_ce, "MSE should stay below")
    failed_with("q5", lambda seed: {"ce": 1.0}, "keys 'cross-entropy' and 'MSE on softmax'")


# ----- cascades -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["q2", "q3"])
def test_q2_and_q3_keep_their_points_in_the_grader_when_q1_is_wrong(solution, key):
    function = solution[ASSIGNMENT.question(key).function]
    assert_cascade("hw05", key, function, "log_softmax", log_softmax_max_once)


@pytest.mark.parametrize(
    "upstream, wrong", [("cross_entropy", None), ("mse_on_softmax", mse_without_jacobian)]
)
def test_q5_keeps_its_points_in_the_grader_when_q2_or_q3_is_wrong(solution, upstream, wrong):
    if wrong is None:  # cross-entropy summed over the batch
        wrong = lambda logits, labels, s=0.0: tuple(  # noqa: E731
            v * len(labels) for v in solution["cross_entropy"](logits, labels, s)
        )
    assert_cascade("hw05", "q5", solution["bad_start_experiment"], upstream, wrong)


def test_the_solution_earns_full_marks_on_every_question(solution):
    for question in ASSIGNMENT.questions:
        function = solution[question.function]
        for result in (
            ASSIGNMENT.evaluate(question.key, function),
            graded("hw05", question.key, function),
        ):
            assert result.score == question.points, result.message
