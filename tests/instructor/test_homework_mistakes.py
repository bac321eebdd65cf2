"""The check names mistakes and gives them nothing: the machinery, on a toy question.

Every question's planted mistakes live in ``tests/instructor/test_hwNN_mistakes.py`` (buggy
student code, asserted to get its named message and 0); this file tests the machinery: the
answers and mistakes as data, the generic slips, a known mistake earning nothing even where
a case cannot show it, arguments changed in place, reports of hidden cases without values,
and stand-ins.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.homework.checking import (
    Answer,
    Case,
    Mismatch,
    Question,
    generic_diagnosis,
    run_student,
    score,
)
from course_lib.homework.standins import StandIn, call_key, standing_in
from tests.instructor.planted import says

X = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]])
Y = np.array([[0.5, 1.0, -1.0], [2.0, 0.25, 1.5]])


def _right(a, b):
    return (a * b, (a * b).sum(axis=0))


def _forgot_b(a, b):
    return (a, a.sum(axis=0))


def toy_question(cases=None, **kwargs) -> Question:
    """q: ``(a, b) -> (a * b, (a * b).sum(axis=0))``: a product and its column sums."""

    def inputs(seed=None):
        made = cases or [("2 x 3", X, Y)]
        return [
            Case(
                label,
                (a, b),
                ("a", "b"),
                answer=Answer(_right(a, b), {"db-averaged": _forgot_b(a, b)}),
            )
            for label, a, b in made
        ]

    kwargs.setdefault("mistakes", ("db-averaged",))
    return Question("hw01", "q1", "product", 2, inputs, ("prod", "colsum"), **kwargs)


def result_for(question: Question, fn, cases=None):
    cases = question.inputs() if cases is None else cases
    return score(question, cases, run_student(question, fn, cases))


def problem_for(question: Question, fn) -> str:
    result = result_for(question, fn)
    assert result.status == "failed"
    return result.message


@pytest.mark.parametrize(
    ("student", "named"),
    [
        (lambda a, b: (-(a * b), -(a * b).sum(axis=0)), "prod is exactly -(expected)"),
        (lambda a, b: (2 * a * b, (a * b).sum(axis=0)), "prod is twice the expected value"),
        (lambda a, b: (a * b / 2, (a * b).sum(axis=0)), "prod is half the expected value"),
        (lambda a, b: ((a * b).T, (a * b).sum(axis=0)), "prod is the transpose"),
        (lambda a, b: (a * b, a * b), "summed over axis 0 it is right"),
    ],
)
@pytest.mark.usefixtures("each_language")
def test_generic_slips_are_named_and_earn_nothing(student, named):
    result = result_for(toy_question(), student)
    assert says(result.message, named) and result.score == 0
    assert result.mistake.startswith("generic.")


def test_a_step_too_many_is_named():
    found = Mismatch("losses", np.arange(1.0, 6.0), np.arange(1.0, 5.0), "shape")
    assert generic_diagnosis(found) == "one-more"
    fewer = Mismatch("losses", np.arange(2.0, 5.0), np.arange(1.0, 5.0), "shape")
    assert generic_diagnosis(fewer) == "one-fewer"


def test_a_plain_wrong_answer_gets_no_invented_diagnosis_and_keeps_partial_credit():
    found = Mismatch("prod", X + 0.1, X, "wrong")
    assert generic_diagnosis(found) is None
    assert generic_diagnosis(Mismatch("prod", np.zeros(3), np.zeros(3), "wrong")) is None
    cases = [("first", X, Y), ("second", 2 * X, Y)]
    question = toy_question(cases)
    first_only = lambda a, b: _right(a, b) if a[0, 0] == 1.0 else _right(a + 0.1, b)  # noqa: E731
    result = result_for(question, first_only)
    assert result.score == pytest.approx(1.0) and result.mistake is None


def test_the_questions_own_mistake_wins_over_the_generic_ones():
    message = problem_for(toy_question(), _forgot_b)
    from course_lib.homework.messages import say

    assert say("hw01.q1.db-averaged") in message  # the catalogue's text for the id


def test_a_known_mistake_earns_nothing_even_where_a_case_cannot_show_it():
    # with b all ones, forgetting b gives the right answer: that case passes, the
    # question does not
    ones = np.ones_like(Y)
    question = toy_question([("b all ones", X, ones), ("b random", X, Y)])
    result = result_for(question, _forgot_b)
    assert (result.cases_passed, result.score, result.mistake) == (1, 0.0, "db-averaged")
    assert "a mistake the check knows earns no points" in result.message


def test_a_mistake_without_an_output_for_a_case_is_skipped():
    question = toy_question(mistakes=("not-stored",))
    message = problem_for(question, lambda a, b: (-(a * b), -(a * b).sum(axis=0)))
    assert "exactly -(expected)" in message


def test_a_correct_answer_still_passes_with_mistakes_listed():
    assert result_for(toy_question(), _right).status == "passed"


def test_an_argument_changed_in_place_is_named_and_earns_nothing():
    def vandal(a, b):
        out = _right(a, b)
        b[...] = 0.0
        return out

    result = result_for(toy_question(), vandal)
    assert result.score == 0 and result.mistake == "check.changed"
    assert "your product changed its argument b in place" in result.message
    assert result_for(toy_question(may_change=("b",)), vandal).status == "passed"


def test_a_wrong_array_is_reported_relative_to_its_size():
    message = problem_for(toy_question(), lambda a, b: (a * b * 1.001 + 0.0, (a * b).sum(0)))
    assert "prod is wrong: off by 0.1 % of its size" in message


def test_a_hidden_case_is_reported_without_values_or_student_text():
    public = toy_question().inputs()
    hidden = [type(c)(c.label, c.args, c.arg_names, answer=c.answer, seed=7) for c in public]
    question = toy_question()

    def wrong(a, b):
        print(f"SECRET {a}")
        return ((a * b).T, (a * b).sum(axis=0))

    result = result_for(question, wrong, hidden)
    text = " ".join([result.message, *result.details])
    assert result.seed == 7 and "transpose" in text
    for value in ("input", "expected prod", "actual", "(2, 3)", "(3, 2)", "0.5", "SECRET"):
        assert value not in text, value

    def raises(a, b):
        raise ValueError(f"SECRET {a[0, 0]}")

    result = result_for(question, raises, hidden)
    assert "SECRET" not in result.message + " ".join(result.details)
    assert "raised ValueError" in result.message
    assert "SECRET" in result.cases[0]["detail"]  # the instructor's JSON keeps it for appeals


def test_a_judged_question_whose_answer_raises_on_one_case_scores_zero_and_says_so():
    cases = [Case("small", (1.0,), ("x",)), Case("large", (100.0,), ("x",))]
    question = Question(
        "hw01", "q8", "beat", 4, lambda seed=None: cases, ("score",),
        judge=lambda case, out: (1.0, f"{case.label}: fine"),
    )  # fmt: skip

    def answer(x):
        if x > 10:
            raise ValueError("too large")
        return x

    result = score(question, cases, run_student(question, answer, cases))
    assert (result.status, result.score) == ("error", 0.0)
    assert "1 of 2 cases raised an exception; first: large" in result.message
    assert any("ValueError: too large" in line for line in result.details)


# ----- stand-ins ------------------------------------------------------------------------


def _table(calls, params=("x",), defaults=None):
    return {"params": list(params), "defaults": defaults or {}, "calls": calls}


def test_a_stand_in_answers_the_recorded_calls_and_falls_back_to_the_students_own():
    used: set[str] = set()
    key = call_key([np.array([1.0, 2.0])])
    standin = StandIn("double", _table([[key, np.array([2.0, 4.0]), {}]]), lambda x: -x, used)
    np.testing.assert_array_equal(standin(np.array([1.0, 2.0 + 1e-12])), [2.0, 4.0])
    assert used == set()
    np.testing.assert_array_equal(standin(np.array([5.0])), [-5.0])  # not recorded: its own
    assert used == {"double"}


def test_a_stand_in_binds_defaults_and_restores_the_namespace():
    namespace = {"f": "the student's"}
    key = call_key([1.0, 0.5])
    tables = {"f": _table([[key, "recorded", {}]], ("x", "s"), {"s": 0.5}), "g": _table([])}
    with standing_in(namespace, tables) as used:
        assert namespace["f"](1.0) == "recorded" and namespace["f"](x=1.0, s=0.5) == "recorded"
        assert isinstance(namespace["g"], StandIn)
    assert namespace == {"f": "the student's"} and used == set()


def test_a_stand_in_leaves_a_generator_where_the_reference_left_it():
    rng = np.random.default_rng(3)
    after = np.random.default_rng(3)
    after.permutation(5)
    key = call_key([rng])
    table = _table([[key, {"iterate": [1, 2]}, {"rng": after}]], ("rng",))
    standin = StandIn("batches", table, None, set())
    assert list(standin(rng)) == [1, 2]
    assert rng.bit_generator.state == after.bit_generator.state


def test_run_student_puts_stand_ins_in_the_namespace_for_the_call():
    namespace: dict = {"helper": lambda x: x + 1}
    exec("def answer(x):\n    return helper(x) * 10", namespace)
    key = call_key([2.0])
    case = Case("c", (2.0,), ("x",), standins={"helper": _table([[key, 100.0, {}]])})
    question = Question("hw01", "q1", "answer", 1, lambda seed=None: [case], ("y",))
    (outcome,) = run_student(question, namespace["answer"], [case], namespace)
    assert outcome.value == 1000.0 and outcome.own == ()
    assert namespace["helper"](2.0) == 3.0  # restored
