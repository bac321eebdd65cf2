"""The course's map (``course_lib/course.toml``): read strictly, and true of the repository."""

from __future__ import annotations

import copy

import pytest

from course_lib.homework.assignment import REGISTRY
from course_lib.manifest import load, parse
from tests.notebook_files import ROOT

MINIMAL = {
    "budgets": {"lecture": 12, "solution": 10, "course": 70},
    "languages": [{"code": "en", "name": "English", "html": "en"}],
    "lectures": [
        {"number": "01", "slug": "a", "title": "A", "summary": "s", "homework": "hw01_a"},
    ],
}


def with_change(section: str, index: int | None, key: str, value) -> dict:
    """:data:`MINIMAL` with one key changed (``value``) or removed (None)."""
    data = copy.deepcopy(MINIMAL)
    table = data[section] if index is None else data[section][index]
    if value is None:
        del table[key]
    else:
        table[key] = value
    return data


def test_a_minimal_course_is_read_with_its_defaults():
    course = parse(MINIMAL)
    (lecture,) = course.lectures
    assert lecture.notebook == "01_a" and lecture.assignment == "hw01"
    assert lecture.budget == 12.0 and lecture.homework_budget == 10.0
    assert course.course_budget == 70.0 and course.source_language.code == "en"
    assert course.translations == () and course.assignments == {"hw01": "course_lib.homework.hw01"}


@pytest.mark.parametrize(
    "change, message",
    [
        (("lectures", 0, "title", None), r"\[\[lectures\]\] 1 has no 'title'"),
        (("lectures", 0, "homework", "homework1"), "homework must look like 'hw01_topic'"),
        (("lectures", 0, "budget", "fast"), r"\[\[lectures\]\] 1: budget must be"),
        (("languages", 0, "code", 3), r"\[\[languages\]\] 1: code must be a str"),
        (("budgets", None, "course", None), r"\[budgets\] has no 'course'"),
    ],
)
def test_a_broken_manifest_is_refused_naming_the_table_and_key(change, message):
    with pytest.raises(ValueError, match=message):
        parse(with_change(*change))


def test_a_lecture_number_or_language_code_appears_once():
    data = copy.deepcopy(MINIMAL)
    data["lectures"].append(dict(data["lectures"][0], slug="b", homework="hw02_b"))
    with pytest.raises(ValueError, match="each lecture number must appear once"):
        parse(data)
    data = copy.deepcopy(MINIMAL)
    data["languages"].append(dict(data["languages"][0]))
    with pytest.raises(ValueError, match="each language code must appear once"):
        parse(data)


def test_the_manifest_lists_exactly_the_lectures_and_homework_of_the_repository():
    course = load()
    listed = {f"{lec.notebook}.ipynb" for lec in course.lectures}
    assert listed == {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    homework = {f"{lec.homework}.ipynb" for lec in course.lectures}
    assert homework == {p.name for p in (ROOT / "homework").glob("hw*.ipynb")}
    for language in course.translations:
        for lecture in course.lectures:
            assert (ROOT / "notebooks" / language.code / f"{lecture.notebook}.ipynb").exists()


def test_every_homework_of_the_manifest_has_its_checks_and_nothing_else_does():
    import importlib

    assert list(REGISTRY) == [lecture.assignment for lecture in load().lectures]
    for name, module in REGISTRY.items():
        assert importlib.import_module(module).ASSIGNMENT.name == name
    modules = {p.stem for p in (ROOT / "course_lib" / "homework").glob("hw[0-9][0-9].py")}
    assert modules == set(REGISTRY)


def test_a_lecture_or_language_that_does_not_exist_is_a_clear_error():
    with pytest.raises(ValueError, match="language must be one of 'en', 'zh', got 'fr'"):
        load().language("fr")
    with pytest.raises(ValueError, match="lecture must be one of"):
        load().lecture("99")
