"""The answers as data: the stored public answers are current and small, and every case tests
what it claims.

The students' package judges the public cases against stored data
(``course_lib/homework/expected``), written by ``python -m course_tools expected`` from the
references on the instructor's side. These tests regenerate the data and compare (stale data
fail), bound its size, and check the cases themselves: every expected array is well above
the comparison tolerance (public and hidden cases), and every known mistake shows on the
cases -- on most of them, with the exceptions named below.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from course_lib.homework import REGISTRY, load_assignment, stored
from course_lib.homework.checking import compare_output
from course_lib.homework.messages import known
from course_tools.grading import expected
from course_tools.grading.references import reference, references
from tests.instructor.planted import hidden_cases

QUESTIONS = [(name, q) for name in sorted(REGISTRY) for q in load_assignment(name).questions]
IDS = [f"{name}-{q.key}" for name, q in QUESTIONS]

#: Mistakes that only some kinds of case can show (a zero eigenvalue; more validation
#: digits than one batch); one such case is enough, since a known mistake earns nothing.
FEW_CASES = {("hw02", "q3", "no-tolerance"), ("hw02", "q3", "zero-taken-for-minimum")}

#: Nothing the self-check holds may be larger than this, for all seven assignments.
MAX_BYTES = 2_000_000


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_stored_answers_are_what_the_references_give_now(name):
    problems = expected.stale(name)
    assert not problems, f"stale: {problems[:5]}; run `python -m course_tools expected`"


def test_the_stored_answers_are_small():
    size = sum(p.stat().st_size for p in stored.folder().iterdir())
    assert size < MAX_BYTES, size


def test_stored_answers_for_other_cases_are_refused(monkeypatch):
    question = load_assignment("hw01").question("q1")
    cases = question.inputs()
    monkeypatch.setattr(stored, "load", lambda name: {"q1": {"labels": ["x"], "answers": []}})
    with pytest.raises(stored.StaleAnswers, match="course_tools expected"):
        stored.with_answers(question, cases)


def _floats(value):
    """Every float array (or float) inside an expected output."""
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, tuple | list) and not all(isinstance(v, int | str) for v in value):
        return [f for v in value for f in _floats(v)]
    array = np.asarray(value)
    return [array] if array.dtype.kind == "f" else []


@functools.cache
def _cases(name: str, key: str, which: str) -> list:
    question = load_assignment(name).question(key)
    return question.make_cases() if which == "public" else hidden_cases(name, key)


COMPARED = [(n, q) for n, q in QUESTIONS if q.judge is None]


@pytest.mark.parametrize("which", ["public", "hidden"])
@pytest.mark.parametrize("name, question", COMPARED, ids=[f"{n}-{q.key}" for n, q in COMPARED])
def test_no_expected_output_is_near_zero_by_construction(name, question, which):
    for case in _cases(name, question.key, which):
        for array in _floats(case.answer.expected):
            size = float(np.max(np.abs(array))) if array.size else 0.0
            assert size > 1e3 * question.atol, (case.label, size)


@pytest.mark.parametrize("name, question", QUESTIONS, ids=IDS)
def test_every_mistake_has_a_reference_and_a_message(name, question):
    ref = reference(question)
    assert set(question.mistakes) == set(ref.mistakes)
    assert known(question.message_id("hint"))
    for mistake in question.mistakes:
        assert known(question.message_id(mistake)), mistake
    assert set(ref.upstream) == set(question.standins)
    assert set(references(name)) == {q.key for q in load_assignment(name).questions}


WITH_MISTAKES = [(n, q, m) for n, q in QUESTIONS for m in q.mistakes]


@pytest.mark.parametrize(
    "name, question, mistake", WITH_MISTAKES, ids=[f"{n}-{q.key}-{m}" for n, q, m in WITH_MISTAKES]
)
def test_every_known_mistake_shows_on_most_cases(name, question, mistake):
    for which in ("public", "hidden"):
        cases = _cases(name, question.key, which)
        shown = sum(
            mistake in c.answer.mistakes
            and compare_output(question, c.answer.mistakes[mistake], c.answer.expected, True)
            is not None
            for c in cases
        )
        assert shown >= 1, (which, mistake)
        if (name, question.key, mistake) not in FEW_CASES:
            assert 2 * shown > len(cases), (which, mistake, shown, len(cases))


def test_hidden_case_labels_carry_nothing_of_the_seed():
    for name, question in QUESTIONS:
        if (name, question.key) == ("hw07", "q3"):  # graded on hidden digits, one label
            continue
        a, b = (question.inputs(seed=s) for s in (1, 2))
        assert [c.label for c in a] == [c.label for c in b], (name, question.key)
