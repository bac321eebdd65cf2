"""Running planted mistakes through an assignment's check (tests/instructor/test_hwNN_mistakes.py).

A planted mistake is buggy student code, written the way a student would (not the
reference's mistake variant). It must get its named message and earn nothing on its
question; a correct answer that calls a planted wrong earlier answer must still earn its
points in the grader (a cascade test), where stand-ins replace the earlier answers.
"""

from __future__ import annotations

import functools
import types
from typing import Any

import numpy as np

from course_lib.homework import load_assignment
from course_lib.homework.checking import QuestionResult

#: The instructor seed of the hidden cases in these tests.
SEED = 20261201


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
        assert named in result.message, result.message
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
