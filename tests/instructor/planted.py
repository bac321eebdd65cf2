"""Running planted mistakes through an assignment's check (tests/instructor/test_hwNN_mistakes.py).

A planted mistake is buggy student code, written the way a student would (not the
reference's mistake variant). It must get its named message and earn nothing on its
question; a correct answer that calls a planted wrong earlier answer must still earn its
points in the grader (a cascade test), where stand-ins replace the earlier answers.

Each planted test runs in every course language (the ``each_language`` fixture): the
expected text is given in English, and in another language the message must hold the
translation of the English message that says it (:func:`says`).
"""

from __future__ import annotations

import difflib
import functools
import re
import string
import types
from typing import Any

import numpy as np

from course_lib.homework import load_assignment
from course_lib.homework.checking import QuestionResult
from course_lib.homework.messages import catalogue
from course_lib.language import get_language, source_language

#: The instructor seed of the hidden cases in these tests.
SEED = 20261201


def _literal_parts(template: str) -> list[str]:
    """The text of a catalogue message between its parameters, e.g. ``["your ", " is
    wrong"]`` for ``"your {name} is wrong"``."""
    return [text.strip() for text, *_ in string.Formatter().parse(template) if text.strip()]


@functools.cache
def english_ids_saying(named: str) -> tuple[str, ...]:
    """The ids of the English messages whose text between parameters best holds ``named``
    (at least its first 12 characters' worth of overlap, or all of a shorter ``named``)."""
    found: dict[str, int] = {}
    for message_id, text in catalogue("en").items():
        for part in _literal_parts(text):
            matcher = difflib.SequenceMatcher(None, part, named, autojunk=False)
            size = matcher.find_longest_match(0, len(part), 0, len(named)).size
            found[message_id] = max(found.get(message_id, 0), size)
    best = max(found.values())
    if best < min(len(named), 12):
        return ()
    return tuple(m for m, size in found.items() if size == best)


def says(message: str, named: str) -> bool:
    """True when ``message`` says ``named`` (English) in the chosen language: in English,
    ``named`` is in it; in another language, every piece of the translation of an English
    message holding ``named`` is (case labels stay English: they may hold ``named``)."""
    if get_language() == source_language():
        return named in message
    if not re.search("[\u4e00-\u9fff]", message):
        return False
    translated = catalogue(get_language())
    return any(
        all(part in message for part in _literal_parts(translated[message_id]))
        for message_id in english_ids_saying(named)
    )


def failure_message(assignment: Any, key: str, fn: Any) -> str:
    """The message of question ``key`` for the student function ``fn``, which must fail."""
    with np.errstate(all="ignore"):
        result = assignment.evaluate(key, fn)
    assert result.status == "failed", result.message
    return result.message


def assert_named(assignment: Any, key: str, fn: Any, named: str) -> QuestionResult:
    """Question ``key`` fails for ``fn`` with a message containing ``named`` and earns
    nothing: on the public cases and on hidden ones (the grader's)."""
    with np.errstate(all="ignore"):
        public = assignment.evaluate(key, fn)
        hidden = graded(assignment.name, key, fn)
    for result in (public, hidden):
        assert result.status == "failed", result.message
        assert says(result.message, named), (named, result.message)
        assert result.score == 0, (result.score, result.message)
    return public


@functools.cache
def hidden_cases(assignment: str, key: str, seed: int = SEED) -> list:
    """The grader's hidden cases of one question (answers, stand-ins, seed)."""
    from course_tools.grading.instructor import Secrets, grading_cases

    spec = load_assignment(assignment)
    return grading_cases(spec, spec.question(key), Secrets(seed))


def graded(assignment: str, key: str, fn: Any) -> QuestionResult:
    """Question ``key`` of ``fn`` scored as the grader scores it: on hidden cases, with the
    stand-ins put into ``fn``'s globals (the notebook's namespace)."""
    spec = load_assignment(assignment)
    with np.errstate(all="ignore"):
        return spec.evaluate(key, fn, hidden_cases(assignment, key))


def with_globals(fn: Any, **names: Any) -> types.FunctionType:
    """``fn`` as if its notebook defined ``names`` differently (a copy of its globals)."""
    namespace = dict(fn.__globals__)
    namespace.update(names)
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def assert_cascade(assignment: str, key: str, fn: Any, upstream: str, wrong: Any) -> None:
    """With the earlier answer ``upstream`` replaced by ``wrong`` in its notebook, the
    correct ``fn`` earns full marks in the grader, while the self-check says the earlier
    answer fails first."""
    spec = load_assignment(assignment)
    planted = with_globals(fn, **{upstream: wrong})
    result = graded(assignment, key, planted)
    assert result.score == spec.question(key).points, result.message
    assert result.used_own == (), result.used_own  # every call was served by a stand-in
    with np.errstate(all="ignore"):
        assert spec.evaluate(_upstream_key(spec, upstream), wrong).status != "passed"


def _upstream_key(spec: Any, function: str) -> str:
    return next(q.key for q in spec.questions if q.function == function)
