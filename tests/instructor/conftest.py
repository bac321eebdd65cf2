"""Fixtures shared by the instructor's tests."""

from __future__ import annotations

import pytest

from course_lib import language


@pytest.fixture(params=language.codes())
def each_language(request, monkeypatch) -> str:
    """Run the test once per course language, as a notebook that chose it (its language
    cell); the planted-mistake helpers (``tests/instructor/planted.py``) then expect that
    language's messages."""
    monkeypatch.setattr(language, "_chosen", None)
    monkeypatch.delenv(language.ENVIRONMENT_VARIABLE, raising=False)
    language.set_language(request.param)
    return request.param
