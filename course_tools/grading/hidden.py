"""Hidden grading data the student side never holds (hw07's graded test digits).

:func:`cases` returns, for a question with hidden data, the whole list of cases the grader
runs instead of the public ones; None for every other question.
"""

from __future__ import annotations

from course_lib.homework.checking import Case


def cases(assignment: str, key: str, seed: int) -> list[Case] | None:
    """The grader's cases for ``assignment``'s question ``key``, or None (no hidden data)."""
    return None
