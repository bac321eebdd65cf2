"""The language selection the checks and the figures follow (course_lib.language)."""

from __future__ import annotations

import pytest

from course_lib import language


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(language, "_chosen", None)
    monkeypatch.delenv(language.ENVIRONMENT_VARIABLE, raising=False)


def test_the_source_language_is_the_default_and_the_first_of_the_manifest():
    assert language.codes()[:2] == ("en", "zh")
    assert language.get_language() == "en"


def test_a_notebook_chooses_its_language():
    language.set_language("zh")
    assert language.get_language() == "zh"


def test_the_environment_sets_the_starting_language_but_not_an_unknown_one(monkeypatch):
    monkeypatch.setenv(language.ENVIRONMENT_VARIABLE, "zh")
    assert language.get_language() == "zh"
    monkeypatch.setenv(language.ENVIRONMENT_VARIABLE, "klingon")
    assert language.get_language() == "en"


@pytest.mark.parametrize(("code", "error"), [("fr", ValueError), ("", ValueError), (1, TypeError)])
def test_bad_codes_are_refused_by_name(code, error):
    with pytest.raises(error, match="code"):
        language.set_language(code)
    assert language.get_language() == "en"
