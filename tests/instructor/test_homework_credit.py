"""Partial credit and feedback of the homework checks, without starting kernels.

Before issue 15 a question was all or nothing, the grader's table cut every message at 90
characters (just before the diagnosis), and a message was as long as the exception that
produced it (5 MB measured). Since issue 27 a case that shows a mistake the check knows (a
factor 2, a sign, a named slip) leaves the question with nothing; an unnamed error keeps the
points of the cases that pass. A judged question is scored by its worst case.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib.homework import load_assignment
from course_lib.homework.checking import (
    MESSAGE_LIMIT,
    Case,
    Question,
    QuestionResult,
    case_points,
    run_student,
    score,
    truncate,
)
from course_lib.homework.report import format_result, format_table
from tests.instructor.test_homework_checks import solution_namespace

HW01 = load_assignment("hw01")


def _affine_with_a_slip_on_single_examples(dout, x, W, slip=lambda dW: dW + 0.01):
    """The right gradients, except dW off (by ``slip``) when the batch has one example."""
    dx, dW, db = solution_namespace("hw01")["affine_backward"](dout, x, W)
    return dx, (slip(dW) if x.shape[0] == 1 else dW), db


def test_an_unnamed_slip_in_one_of_three_cases_earns_two_thirds_of_the_points():
    result = HW01.evaluate("q1", _affine_with_a_slip_on_single_examples)
    assert result.status == "failed"
    assert result.score == pytest.approx(2 * 2 / 3)
    assert (result.cases_passed, result.cases_total) == (2, 3)
    assert "1 of 3 cases failed; first: a single example: dW is wrong" in result.message


def test_a_named_slip_in_one_of_three_cases_earns_nothing():
    def doubled(dout, x, W):
        return _affine_with_a_slip_on_single_examples(dout, x, W, slip=lambda dW: 2 * dW)

    result = HW01.evaluate("q1", doubled)
    assert (result.score, result.cases_passed, result.mistake) == (0, 2, "generic.twice")
    assert "your dW is twice the expected value" in result.message


def test_self_check_report_says_how_many_cases_passed_and_the_partial_points(capsys):
    HW01.check("q1", _affine_with_a_slip_on_single_examples)
    head = capsys.readouterr().out.splitlines()[0]
    assert head == "Q1 affine_backward: FAILED ✗  2 of 3 cases passed  [1.33/2 points]"


def test_two_wrong_cases_of_a_three_point_question_leave_one_point():
    full = solution_namespace("hw01")["two_layer_loss"]

    def regularisation_ignored(params, X, y, reg):
        return full(params, X, y, 0.0)  # right only for the case with reg = 0

    result = HW01.evaluate("q4", regularisation_ignored)
    assert result.status == "failed" and result.score == pytest.approx(1.0)


def test_raising_on_some_cases_is_an_error_with_the_points_of_the_others():
    solved = solution_namespace("hw01")["relu_backward"]

    def raises_on_negative_inputs(dout, x):
        if (x < 0).mean() > 0.5:
            raise ValueError("mostly negative")
        return solved(dout, x)

    result = HW01.evaluate("q2", raises_on_negative_inputs)
    cases = HW01.question("q2").make_cases()
    assert result.status == "error"
    assert result.score == pytest.approx(1 - 1 / len(cases))


def test_not_implemented_and_all_wrong_still_score_zero():
    def stub(*args):
        raise NotImplementedError

    assert HW01.evaluate("q1", stub).score == 0
    zeros = HW01.evaluate("q2", lambda dout, x: np.zeros_like(x) + 7.0)
    assert zeros.status == "failed" and zeros.score == 0


def test_case_weights_set_each_case_share():
    cases = [Case("a", (), (), 1.0), Case("b", (), (), 3.0)]
    assert case_points(2.0, cases) == [0.5, 1.5]
    assert case_points(3.0, [Case("a", (), ()), Case("b", (), ()), Case("c", (), ())]) == [1.0] * 3
    with pytest.raises(ValueError, match="weight"):
        case_points(1.0, [Case("bad", (), (), 0.0)])
    with pytest.raises(ValueError, match="cases must not be empty"):
        case_points(1.0, [])


def test_grader_table_shows_the_whole_message_and_the_diagnosis_of_the_first_failure():
    result = HW01.evaluate("q2", lambda dout, x: dout * (x >= 0))  # gradient 1 at x == 0
    assert len(result.message) > 90  # the old table cut it at 90 characters
    table = format_table("alice_hw01.ipynb", [result])
    flat = " ".join(line.strip() for line in table.splitlines())
    assert "exactly 0: your dx lets the gradient through where x is exactly 0" in flat
    for part in ("input    dout", "input    x", "expected dx", "actual   dx", "hint:"):
        assert part in table
    assert "total 0/1" in table


def test_a_long_message_wraps_in_the_table_instead_of_being_cut():
    long = "word " * 60 + "THE END"
    table = format_table("x.ipynb", [QuestionResult("q1", "f", 0, 1, "failed", long)])
    assert "THE END" in table and "..." not in table
    assert max(len(line) for line in table.splitlines()) < 140


def test_a_five_megabyte_exception_gives_a_capped_message():
    def huge(dout, x, W):
        raise ValueError("x" * 5_000_000)

    result = HW01.evaluate("q1", huge)
    message = result.as_dict()["message"]
    assert len(message) <= MESSAGE_LIMIT and message.endswith("… (truncated)")
    assert len(json.dumps(result.as_dict())) < 3 * MESSAGE_LIMIT
    assert len(format_result(result)) < 4 * MESSAGE_LIMIT
    assert len(format_table("x.ipynb", [result])) < 4 * MESSAGE_LIMIT


def test_truncate_keeps_short_text_and_marks_cut_text():
    assert truncate("short") == "short"
    cut = truncate("y" * 50, limit=20)
    assert len(cut) == 20 and cut.endswith("… (truncated)") and cut.startswith("yyyyyyy")


def _judged_question(judge) -> Question:
    cases = [Case("first", (1.0,), ("x",)), Case("second", (2.0,), ("x",))]
    return Question("hw01", "q8", "guess", 4, lambda seed=None: cases, ("guess",), judge=judge)


def test_judged_question_keeps_its_fraction():
    question = _judged_question(lambda case, output: (output / 10, f"accuracy {output / 10}"))
    cases = question.inputs()[:1]
    result = score(question, cases, run_student(question, lambda x: 3, cases))
    assert result.status == "failed" and result.score == pytest.approx(1.2)
    assert format_result(result).startswith("Q8 guess: FAILED ✗  [1.2/4 points]")


def test_a_judged_question_is_scored_by_its_worst_case():
    question = _judged_question(lambda case, output: (1.0 if output > 1 else 0.5, "judged"))
    cases = question.inputs()
    result = score(question, cases, run_student(question, lambda x: x, cases))
    assert result.score == pytest.approx(2.0)  # 0.5 on the first case, 1.0 on the second
