"""The check names common mistakes: generic slips seen in the numbers, and each question's own.

Every question's planted mistakes live in ``tests/test_hwNN_mistakes.py`` (buggy student
code, asserted to get its named message); this file tests the machinery with a toy question.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.homework.checking import (
    Case,
    Mismatch,
    Mistake,
    Question,
    generic_diagnosis,
    run_student,
    score,
)

X = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]])
Y = np.array([[0.5, 1.0, -1.0], [2.0, 0.25, 1.5]])


def toy_question(**kwargs) -> Question:
    """q: ``(a, b) -> (a * b, (a * b).sum(axis=0))``: a product and its column sums."""
    return Question(
        "q1",
        "product",
        2,
        lambda: [Case("2 x 3", (X, Y), ("a", "b"))],
        lambda a, b: (a * b, (a * b).sum(axis=0)),
        ("prod", "colsum"),
        "lecture 01, section 2.",
        **kwargs,
    )


def problem_for(question: Question, fn) -> str:
    cases = question.make_cases()
    result = score(question, cases, run_student(question, fn, cases))
    assert result.status == "failed"
    return result.message


@pytest.mark.parametrize(
    ("student", "named"),
    [
        (lambda a, b: (-(a * b), -(a * b).sum(axis=0)), "prod is exactly -(expected)"),
        (lambda a, b: (2 * a * b, (a * b).sum(axis=0)), "prod is twice the expected value"),
        (lambda a, b: (a * b / 2, (a * b).sum(axis=0)), "prod is half the expected value"),
        (lambda a, b: ((a * b).T, (a * b).sum(axis=0)), "prod is the transpose"),
        (lambda a, b: (a * b, a * b), "colsum has shape (2, 3); summed over axis 0 it is right"),
        (lambda a, b: (a * b, (a * b).sum()), None),
    ],
)
def test_generic_slips_are_named_in_the_message(student, named):
    message = problem_for(toy_question(), student)
    if named is None:
        assert "exactly" not in message and "twice" not in message
        assert "colsum has shape ()" in message
    else:
        assert named in message, message


def test_a_step_too_many_is_named():
    found = Mismatch("losses", np.arange(1.0, 6.0), np.arange(1.0, 5.0), "shape")
    assert "one more entry" in generic_diagnosis(found)
    fewer = Mismatch("losses", np.arange(2.0, 5.0), np.arange(1.0, 5.0), "shape")
    assert "one fewer entry" in generic_diagnosis(fewer)


def test_a_plain_wrong_answer_gets_no_invented_diagnosis():
    found = Mismatch("prod", X + 0.1, X, "wrong")
    assert generic_diagnosis(found) is None
    assert generic_diagnosis(Mismatch("prod", np.zeros(3), np.zeros(3), "wrong")) is None


def test_the_questions_own_mistake_wins_over_the_generic_ones():
    own = Mistake(
        "forgot b", "your prod ignores b: every entry needs both inputs", lambda a, b: (a, a.sum(0))
    )
    question = toy_question(mistakes=(own,))
    assert own.message in problem_for(question, lambda a, b: (a, a.sum(axis=0)))
    # a different wrong answer does not trigger it
    assert own.message not in problem_for(question, lambda a, b: (a + b, (a + b).sum(axis=0)))


def test_a_mistake_that_raises_on_a_case_is_skipped():
    def broken(a, b):
        raise ValueError("does not apply")

    question = toy_question(mistakes=(Mistake("broken", "never shown", broken),))
    message = problem_for(question, lambda a, b: (-(a * b), -(a * b).sum(axis=0)))
    assert "never shown" not in message and "exactly -(expected)" in message


def test_a_correct_answer_still_passes_with_mistakes_listed():
    own = Mistake("forgot b", "x", lambda a, b: (a, a.sum(0)))
    question = toy_question(mistakes=(own,))
    cases = question.make_cases()
    result = score(
        question, cases, run_student(question, lambda a, b: (a * b, (a * b).sum(0)), cases)
    )
    assert result.status == "passed"


def test_a_judged_question_whose_answer_raises_on_one_case_scores_zero_and_says_so():
    cases = [Case("small", (1.0,), ("x",)), Case("large", (100.0,), ("x",))]
    question = Question(
        "q9",
        "beat",
        4,
        lambda: cases,
        None,
        ("score",),
        "see lecture 07, section 8.",
        judge=lambda case, out: (1.0, f"{case.label}: fine"),
    )

    def answer(x):
        if x > 10:
            raise ValueError("too large")
        return x

    result = score(question, cases, run_student(question, answer, cases))
    assert (result.status, result.score) == ("error", 0.0)
    assert "1 of 2 cases raised an exception; first: large" in result.message
    assert any("ValueError: too large" in line for line in result.details)
