"""hw03: planted mistakes, written the way a student would, get their named message and 0.

The cascade tests plant a wrong q1 under a correct q4 and q5: the grader still gives them
their points (a stand-in answers their calls of ``minibatches``).
"""

from __future__ import annotations

import functools

import pytest

from course_lib.homework import load_assignment
from tests.instructor.planted import assert_cascade, assert_named, graded
from tests.instructor.test_homework_checks import solution_namespace

HW03 = load_assignment("hw03")


_named = functools.partial(assert_named, HW03)


# q1 minibatches
def batches_one_order(X, y, batch_size, rng, _orders={}):  # noqa: B006 - the bug: cached order
    key = id(rng)  # the generator is kept with its order, so its id is never reused
    if key not in _orders or _orders[key][0] is not rng:
        _orders[key] = (rng, rng.permutation(len(X)))
    order = _orders[key][1]
    for i in range(0, len(X), batch_size):
        yield X[order[i : i + batch_size]], y[order[i : i + batch_size]]


def batches_in_order(X, y, batch_size, rng):
    for i in range(0, len(X), batch_size):
        yield X[i : i + batch_size], y[i : i + batch_size]


def batches_full_only(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for i in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[i : i + batch_size]], y[order[i : i + batch_size]]


def batches_shuffling_in_place(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X[:], y[:] = X[order], y[order]  # the caller's X and y come back shuffled
    for i in range(0, len(X), batch_size):
        yield X[i : i + batch_size], y[i : i + batch_size]


# q2 momentum
def momentum_no_decay(theta, grad, velocity, lr, momentum):
    velocity = velocity - lr * grad
    return theta + velocity, velocity


def momentum_double_gradient(theta, grad, velocity, lr, momentum):
    velocity = momentum * velocity - lr * grad
    return theta + velocity - lr * grad, velocity


# q3 Nesterov
def nesterov_plain(theta, grad_fn, velocity, lr, momentum):
    velocity = momentum * velocity - lr * grad_fn(theta)
    return theta + velocity, velocity


def nesterov_backwards(theta, grad_fn, velocity, lr, momentum):
    velocity = momentum * velocity - lr * grad_fn(theta - momentum * velocity)
    return theta + velocity, velocity


# q4 one epoch: the student's own loop with one slip each
def _epoch(scale):
    minibatches = solution_namespace("hw03")["minibatches"]

    def epoch(w, X, y, batch_size, lr, rng):
        for xb, yb in minibatches(X, y, batch_size, rng):
            w = w - lr * scale(len(yb), len(X)) * xb.T @ (xb @ w - yb)
        return w

    return epoch


# q5 updates to a target: the student's count with one slip each (any model)
def _count(loss_and_grad, theta, X, y, batch_size, lr, target, rng, **slip):
    minibatches = solution_namespace("hw03")["minibatches"]
    updates, passes = 0, 0
    while updates < 3000:
        passes += 1
        for xb, yb in minibatches(X, y, batch_size, rng):
            if slip.get("before") and loss_and_grad(theta, X, y)[0] <= target:
                return updates
            loss_b = loss_and_grad(theta, xb, yb)[0]
            theta = theta - lr * loss_and_grad(theta, xb, yb)[1]
            updates += 1
            loss = loss_b if slip.get("batch_loss") else loss_and_grad(theta, X, y)[0]
            if loss <= target:
                return passes if slip.get("epochs") else updates + bool(slip.get("before"))
    return updates


PLANTED = [
    ("q1", batches_one_order, "repeats the first one's order"),
    ("q1", batches_in_order, "come in the original order"),
    ("q1", batches_full_only, "leaves out the last, smaller batch"),
    ("q1", batches_shuffling_in_place, "changed its argument X, y in place"),
    ("q2", momentum_no_decay, "adds up every past gradient with full weight"),
    ("q2", momentum_double_gradient, "adds a plain gradient step on top of the velocity"),
    ("q3", nesterov_plain, "your path is plain momentum"),
    ("q3", nesterov_backwards, "goes against the velocity"),
    ("q4", _epoch(lambda b, n: 1 / b), "the derivative of a square brings a factor 2"),
    ("q4", _epoch(lambda b, n: 2), "the gradient of the batch's summed loss"),
    ("q4", _epoch(lambda b, n: 2 / n), "divides by the number of examples of the whole data"),
    ("q5", lambda *a: _count(*a, epochs=True), "your count is the number of epochs"),
    ("q5", lambda *a: _count(*a, before=True), "your count is one more than expected"),
    ("q5", lambda *a: _count(*a, batch_loss=True), "stops on the mini-batch's loss"),
]


@pytest.mark.parametrize(
    "key, fn, named", PLANTED, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(PLANTED)]
)
@pytest.mark.usefixtures("each_language")
def test_planted_mistake_gets_its_named_message_and_no_points(key, fn, named):
    _named(key, fn, named)


@pytest.mark.parametrize("key", ["q4", "q5"])
@pytest.mark.parametrize("wrong", [batches_in_order, batches_full_only])
def test_q4_and_q5_keep_their_points_in_the_grader_when_q1_is_wrong(key, wrong):
    function = solution_namespace("hw03")[HW03.question(key).function]
    assert_cascade("hw03", key, function, "minibatches", wrong)


def test_the_solution_earns_full_marks_on_every_question():
    for question in HW03.questions:
        function = solution_namespace("hw03")[question.function]
        for result in (
            HW03.evaluate(question.key, function),
            graded("hw03", question.key, function),
        ):
            assert result.score == question.points, result.message
