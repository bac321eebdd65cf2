"""The language a student reads the course in, for everything the library shows her.

The Chinese notebooks start with a language cell (``set_language("zh")``); the self-check's
messages, the grader's report for that notebook and the figures' labels then follow it. A
plain kernel, JupyterLab, Colab and the grader's sandbox all run that cell like any other, so
no configuration outside the notebook is needed. Without it the course speaks its source
language (the first in ``course_lib/course.toml``); the environment variable
``COURSE_LANGUAGE`` sets the starting value for a whole process (a tool, a test)::

    from course_lib.language import get_language, set_language
    set_language("zh")
    get_language()   # 'zh'
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from course_lib.manifest import load

#: The environment variable that sets the language a process starts in.
ENVIRONMENT_VARIABLE = "COURSE_LANGUAGE"

_chosen: str | None = None


def codes() -> tuple[str, ...]:
    """The course's language codes, the source language first (``("en", "zh")``)."""
    return tuple(language.code for language in load().languages)


def source_language() -> str:
    """The language the course is written in (the fallback for any missing text)."""
    return codes()[0]


def set_language(code: str) -> None:
    """Choose the language of the messages and figures that follow.

    Raises:
        TypeError: ``code`` is not a string.
        ValueError: ``code`` is not one of :func:`codes`.
    """
    global _chosen
    if not isinstance(code, str):
        raise TypeError(f"code must be a language code such as 'zh', got {type(code).__name__}")
    if code not in codes():
        raise ValueError(f"code must be one of {', '.join(codes())}, got {code!r}")
    _chosen = code


def get_language() -> str:
    """The chosen language: :func:`set_language`'s, else ``COURSE_LANGUAGE`` when it names a
    course language, else the source language."""
    if _chosen is not None:
        return _chosen
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return from_environment if from_environment in codes() else source_language()


@contextlib.contextmanager
def speaking(code: str) -> Iterator[None]:
    """Speak ``code`` inside a ``with`` block, then the language chosen before (the grader
    reports each submission in its own language)::

        with speaking("zh"):
            report = format_table(path, results)

    Raises:
        TypeError, ValueError: as :func:`set_language`.
    """
    global _chosen
    before = _chosen
    set_language(code)
    try:
        yield
    finally:
        _chosen = before
