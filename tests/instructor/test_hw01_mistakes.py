"""hw01: planted mistakes, written the way a student would, get their named message and 0.

Every buggy function below is plain NumPy (or the autograd engine), not the references'
mistake variants: the test checks that the check recognises what a student really writes,
on the public cases and on the grader's hidden ones, and that the question then earns
nothing. The cascade tests plant a wrong earlier answer under a correct later one: the
grader still gives the later one full marks.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from course_lib.autograd import Value
from course_lib.homework import load_assignment
from course_lib.homework.hw01 import FULL_ACCURACY, digits_split
from tests.instructor.planted import (
    assert_cascade,
    assert_named,
    graded,
    hidden_cases,
    with_globals,
)
from tests.instructor.test_homework_checks import solution_namespace

HW01 = load_assignment("hw01")


def _solution(name: str):
    return solution_namespace("hw01")[name]


_named = functools.partial(assert_named, HW01)


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _loss(s, y):
    return -np.log(_softmax(s)[np.arange(len(y)), y]).mean()


# q1 affine_backward
def affine_db_mean(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def affine_dW_over_n(dout, x, W):
    return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)


def affine_dW_transposed(dout, x, W):
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def affine_db_kept(dout, x, W):
    return dout @ W.T, x.T @ dout, dout


# q2 relu_backward
def relu_no_dout(dout, x):
    return (x > 0).astype(float)


def relu_gated_by_dout(dout, x):
    return np.where(dout > 0, dout, 0.0)


def relu_at_zero(dout, x):
    return dout * (x >= 0)


def relu_in_place(dout, x):
    dout[x <= 0] = 0.0  # right values, but the caller's dout is gone
    return dout


# q3 softmax_loss
def softmax_no_division(s, y):
    d = _softmax(s)
    d[np.arange(len(y)), y] -= 1
    return _loss(s, y), d


def softmax_summed_loss(s, y):
    d = _softmax(s)
    d[np.arange(len(y)), y] -= 1
    return _loss(s, y) * len(y), d / len(y)


def softmax_no_onehot(s, y):
    return _loss(s, y), _softmax(s) / len(y)


def softmax_sign(s, y):
    d = np.eye(s.shape[1])[y] - _softmax(s)
    return _loss(s, y), d / len(y)


def softmax_without_shift(s, y):
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return -np.log(p[np.arange(len(y)), y]).mean(), d / len(y)


def softmax_log_of_probabilities(s, y):
    p = _softmax(s)  # shifted: no overflow, but log(p) of an underflowed p is -inf
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return -np.log(p[np.arange(len(y)), y]).mean(), d / len(y)


# q4 two_layer_loss: the student's own net with one slip each
def _net(params, X, y, reg, grad_factor=2.0, bias_reg=False, loss_reg=True):
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0)
    s = h @ params["W2"] + params["b2"]
    ds = _softmax(s)
    ds[np.arange(len(y)), y] -= 1
    ds /= len(y)
    da = (ds @ params["W2"].T) * (a > 0)
    grads = {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ ds, "b2": ds.sum(0)}
    keys = ["W1", "W2", "b1", "b2"] if bias_reg else ["W1", "W2"]
    for k in keys:
        grads[k] = grads[k] + grad_factor * reg * params[k]
    penalty = sum(np.sum(params[k] ** 2) for k in keys)
    return _loss(s, y) + (reg * penalty if loss_reg else 0.0), grads


# q5 sin and q6 power
def sin_without_g(x):
    return Value.from_op(math.sin(x.data), "sin", (x,), lambda g: (math.cos(x.data),))


def sin_derivative_of_cos(x):
    return Value.from_op(math.sin(x.data), "sin", (x,), lambda g: (-g * math.sin(x.data),))


def power_without_log(a, b):
    out = a.data**b.data
    return Value.from_op(out, "pow", (a, b), lambda g: (g * b.data * out / a.data, g * out))


def power_rule_twice(a, b):
    d = b.data * a.data ** (b.data - 1)
    return Value.from_op(a.data**b.data, "pow", (a, b), lambda g: (g * d, g * d))


def power_without_g(a, b):
    out = a.data**b.data
    rule = lambda g: (b.data * a.data ** (b.data - 1), out * math.log(a.data))  # noqa: E731
    return Value.from_op(out, "pow", (a, b), rule)


# q7 silu_backward
def _sig(x):
    return 1 / (1 + np.exp(-x))


def silu_first_term(dout, x):
    return dout * _sig(x)


def silu_second_term(dout, x):
    return dout * x * _sig(x) * (1 - _sig(x))


def silu_no_dout(dout, x):
    return _sig(x) * (1 + x * (1 - _sig(x)))


def silu_sign(dout, x):
    return -dout * _sig(x) * (1 + x * (1 - _sig(x)))


PLANTED = [
    ("q1", affine_db_mean, "your db is the mean of dout"),
    ("q1", affine_dW_over_n, "your dW is divided by the number of examples"),
    ("q1", affine_dW_transposed, "dW is the transpose of the expected one"),
    ("q1", affine_db_kept, "summed over axis 0 it is right"),
    ("q2", relu_no_dout, "the ReLU's local derivative alone"),
    ("q2", relu_gated_by_dout, "gated by the sign of dout"),
    ("q2", relu_at_zero, "exactly 0"),
    ("q2", relu_in_place, "changed its argument dout in place"),
    ("q3", softmax_no_division, "your dscores is N times too large"),
    ("q3", softmax_summed_loss, "your loss is the sum over the examples"),
    ("q3", softmax_no_onehot, "the one-hot target of the true class is missing"),
    ("q3", softmax_sign, "dscores is exactly -(expected)"),
    ("q3", softmax_without_shift, "exp(1000) overflows to inf"),
    ("q3", softmax_log_of_probabilities, "underflows to exactly 0 has log -inf"),
    ("q4", lambda p, X, y, reg: _net(p, X, y, reg, grad_factor=1.0), "half the derivative"),
    ("q4", lambda p, X, y, reg: _net(p, X, y, reg, bias_reg=True), "penalise the biases too"),
    ("q4", lambda p, X, y, reg: _net(p, X, y, reg, grad_factor=0.0), "weight gradients do not"),
    ("q4", lambda p, X, y, reg: _net(p, X, y, reg, loss_reg=False), "your loss does not"),
    ("q5", sin_without_g, "without multiplying by g"),
    ("q5", sin_derivative_of_cos, "the derivative of cos"),
    ("q6", power_without_log, "a factor ln a"),
    ("q6", power_rule_twice, "uses the power rule"),
    ("q6", power_without_g, "without multiplying them by g"),
    ("q7", silu_first_term, "the product rule adds a second term"),
    ("q7", silu_second_term, "also differentiates the factor x"),
    ("q7", silu_no_dout, "the local derivative alone"),
    ("q7", silu_sign, "dx is exactly -(expected)"),
]


@pytest.mark.parametrize(
    "key, fn, named", PLANTED, ids=[f"{k}-{f.__name__}" for k, f, _ in PLANTED]
)
@pytest.mark.usefixtures("each_language")
def test_planted_mistake_gets_its_named_message_and_no_points(key, fn, named):
    _named(key, fn, named)


def test_a_known_mistake_earns_nothing_even_where_it_coincides_with_the_answer():
    # dW / N equals dW for the single-example case: that case passes, the question does not
    cases = HW01.question("q1").make_cases()
    result = HW01.evaluate("q1", affine_dW_over_n)
    assert result.cases_passed == sum(c.args[1].shape[0] == 1 for c in cases) == 1
    assert result.score == 0 and result.mistake == "dW-over-n"


# The cascade: Q4 calls Q1 to Q3. In the grader a correct Q4 keeps its points when one of
# them is wrong (stand-ins answer its calls); the self-check names the earlier question.
@pytest.mark.parametrize(
    "upstream, wrong",
    [
        ("affine_backward", affine_db_mean),
        ("relu_backward", relu_gated_by_dout),
        ("softmax_loss", softmax_no_division),
    ],
)
def test_q4_keeps_its_points_in_the_grader_when_an_earlier_answer_is_wrong(upstream, wrong):
    assert_cascade("hw01", "q4", _solution("two_layer_loss"), upstream, wrong)


def test_the_self_check_blames_the_earlier_answer_not_q4(capsys):
    planted = with_globals(_solution("two_layer_loss"), affine_backward=affine_db_mean)
    HW01.check("q4", planted)
    report = capsys.readouterr().out
    assert "Q4 uses your Q1 (affine_backward), which fails its check: fix Q1 first." in report


def test_q4_with_a_wrong_penalty_is_still_blamed_on_itself_in_the_grader():
    wrong = lambda p, X, y, reg: _net(p, X, y, reg, grad_factor=1.0)  # noqa: E731
    planted = with_globals(wrong, affine_backward=affine_db_mean)
    result = graded("hw01", "q4", planted)
    assert result.score == 0 and "half the derivative" in result.message
    assert "fix Q1 first" not in result.message


# q8: judged on held-out digits; the judge names why a trained net falls short
def untrained(X, y, rng):
    return {
        "W1": 0.01 * rng.standard_normal((64, 16)),
        "b1": np.zeros(16),
        "W2": 0.01 * rng.standard_normal((16, 10)),
        "b2": np.zeros(10),
    }


def gradient_ascent(X, y, rng):
    params = untrained(X, y, rng)
    two_layer_loss = _solution("two_layer_loss")
    for _ in range(30):
        _, grads = two_layer_loss(params, X, y, 0.0)
        for k in params:
            params[k] = params[k] + 0.5 * grads[k]
    return params


def wrong_keys(X, y, rng):
    return {"W": np.zeros((64, 10)), "b": np.zeros(10)}


def transposed_W1(X, y, rng):
    params = untrained(X, y, rng)
    params["W1"] = params["W1"].T
    return params


@pytest.mark.parametrize(
    "fn, named",
    [
        (untrained, "did not even fit its training digits"),
        (gradient_ascent, "moves against the gradient"),
        (wrong_keys, "must return a dict with the keys W1, b1, W2, b2"),
        (lambda X, y, rng: X[len(X)], "your function raised IndexError"),
        (transposed_W1, "wrong parameter shapes: W1 (16, 64) (expected (64, 16))"),
    ],
)
def test_training_mistakes_are_named(fn, named):
    result = HW01.evaluate("q8", fn)
    assert result.status == "failed" and result.score == 0
    assert named in result.message, result.message


def test_q8_is_judged_on_digits_no_student_has_seen():
    from course_lib.data import load_digits

    (case,) = hidden_cases("hw01", "q8")
    X_held, _ = case.secret
    public = load_digits()[0]
    distances = ((X_held[:, None, :] - public[None]) ** 2).sum(axis=2)
    assert distances.min() > 0  # no graded digit is a row of the public data set
    assert not np.array_equal(case.args[0], digits_split()[0])  # nor the public split's


def test_weights_trained_on_all_public_digits_do_not_pass_q8():
    from course_lib.data import load_digits

    honest = _solution("train_two_layer")

    def memoriser(X, y, rng):  # ignores its data: trains on every public digit
        X_all, y_all = load_digits()
        return honest(X_all, y_all, rng)

    assert graded("hw01", "q8", honest).score == 2
    cheat = graded("hw01", "q8", memoriser)
    assert cheat.score < 2, cheat.message
    assert f"< {FULL_ACCURACY}" in cheat.message


def _ascent(params, X, y, reg):
    loss, grads = _net(params, X, y, reg)
    return loss, {k: -g for k, g in grads.items()}  # a sign slip in every gradient


def test_q8_says_when_its_q4_fails():
    wrong = _ascent
    planted = with_globals(_solution("train_two_layer"), two_layer_loss=wrong)
    results = [HW01.evaluate(k, f) for k, f in (("q4", wrong), ("q8", planted))]
    HW01.explain_cascades(results)
    assert results[1].score < 2
    assert results[1].message.startswith("Q8 uses your Q4 (two_layer_loss), which fails")


def test_the_solution_earns_full_marks_on_every_question():
    for question in HW01.questions:
        function = _solution(question.function)
        for result in (
            HW01.evaluate(question.key, function),
            graded("hw01", question.key, function),
        ):
            assert result.score == question.points, result.message
