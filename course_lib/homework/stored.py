"""The answers of the public cases, stored as data: what the self-check compares with.

The student's side holds no reference solution. For every public case of every compared
question, the instructor's tooling (``python -m course_tools expected``, from the references
in ``course_tools.grading.references``) writes the expected output and the output of each
known mistake into ``course_lib/homework/expected/hwNN.json`` + ``.npz`` (plain data:
:mod:`~course_lib.homework.plain`, never pickle)::

    {"q1": {"labels": [case label, ...],
            "answers": [{"expected": ..., "mistakes": {mistake id: output}}, ...]}, ...}

A question judged without answers (a training run scored by accuracy) has no entry. The
labels guard against stale data: answers stored for other cases raise ``StaleAnswers``
(``tests/instructor/test_homework_stored.py`` regenerates everything and compares).
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from course_lib.homework import plain

if TYPE_CHECKING:
    from course_lib.homework.checking import Case, Question


class StaleAnswers(RuntimeError):
    """The stored answers were made for other cases than the check now makes."""


def folder() -> Path:
    """The folder of the stored answers, inside the installed package."""
    return Path(str(resources.files("course_lib.homework").joinpath("expected")))


@functools.cache
def load(assignment: str) -> dict[str, Any]:
    """The stored answers of ``assignment`` (``{}`` when it has none), arrays read-only."""
    stem = folder() / assignment
    if not Path(f"{stem}.json").is_file():
        return {}
    data = plain.load(stem)
    _freeze(data)
    return data


def _freeze(value: Any) -> None:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, dict):
        for v in value.values():
            _freeze(v)
    elif isinstance(value, tuple | list):
        for v in value:
            _freeze(v)


def with_answers(question: Question, cases: list[Case]) -> list[Case]:
    """``cases`` (the public ones) with their stored answers; unchanged without an entry.

    Raises:
        StaleAnswers: the stored entry lists other cases.
    """
    from course_lib.homework.checking import Answer

    entry = load(question.assignment).get(question.key)
    if entry is None:
        return cases
    labels = [case.label for case in cases]
    if list(entry["labels"]) != labels:
        raise StaleAnswers(
            f"the stored answers of {question.assignment} {question.key} are for other cases: "
            "run `python -m course_tools expected`"
        )
    return [
        dataclasses.replace(case, answer=Answer(a["expected"], dict(a["mistakes"])))
        for case, a in zip(cases, entry["answers"], strict=True)
    ]
