"""The course's map (``course_lib/course.toml``): lectures, homework, languages, time budgets.

Every tool reads the course's layout from here -- the homework registry the self-check uses,
and the instructor's book, timer, generator, release and translation tools -- so that adding
a lecture, a homework or a language is a change to that data file, not to code::

    from course_lib.manifest import load
    course = load()
    [lecture.notebook for lecture in course.lectures]   # ['01_backprop', ...]
    course.language("zh").html                          # 'zh-CN'

The file ships inside the package, so the map is the same in the repository, a student's
copy and an installed ``course_lib``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Language:
    """One edition: ``code`` (``"zh"``), ``name`` (``"中文"``), ``html`` (the HTML ``lang``
    attribute), ``fonts`` (font families before the generic ones) and ``join_lines`` (a
    regular-expression character class: a line break between two such characters is dropped
    when the edition is built; empty for none)."""

    code: str
    name: str
    html: str
    fonts: tuple[str, ...] = ()
    join_lines: str = ""


@dataclass(frozen=True)
class Lecture:
    """One lecture and its homework.

    Attributes:
        number: ``"01"`` …; the reading order.
        slug: ``"backprop"``: the notebook is ``notebooks/01_backprop.ipynb``.
        title, summary: in the source language.
        homework: the homework notebook's stem, ``"hw01_backprop"``.
        budget: seconds the lecture notebook may take.
        homework_budget: seconds the homework's solution notebook may take.
    """

    number: str
    slug: str
    title: str
    summary: str
    homework: str
    budget: float
    homework_budget: float

    @property
    def notebook(self) -> str:
        """The lecture notebook's stem, ``"01_backprop"``."""
        return f"{self.number}_{self.slug}"

    @property
    def assignment(self) -> str:
        """The homework's name, ``"hw01"`` (its checks: ``course_lib.homework.hw01``)."""
        return self.homework[:4]


@dataclass(frozen=True)
class Course:
    """The whole map: lectures in order, languages (the source language first), and the
    budgets in seconds: a lecture's and a solution's by default, and the whole course's
    (every lecture and solution together)."""

    lectures: tuple[Lecture, ...]
    languages: tuple[Language, ...]
    lecture_budget: float
    solution_budget: float
    course_budget: float

    @property
    def source_language(self) -> Language:
        return self.languages[0]

    @property
    def translations(self) -> tuple[Language, ...]:
        """Every language but the source language."""
        return self.languages[1:]

    def language(self, code: str) -> Language:
        """The language ``code``; ``ValueError`` naming the known ones otherwise."""
        for language in self.languages:
            if language.code == code:
                return language
        known = ", ".join(repr(lang.code) for lang in self.languages)
        raise ValueError(f"language must be one of {known}, got {code!r}")

    def lecture(self, number: str) -> Lecture:
        """The lecture ``number`` (``"01"``); ``ValueError`` otherwise."""
        for lecture in self.lectures:
            if lecture.number == number:
                return lecture
        numbers = [lec.number for lec in self.lectures]
        raise ValueError(f"lecture must be one of {numbers}, got {number!r}")

    @property
    def assignments(self) -> dict[str, str]:
        """Homework name -> its checks' module: ``{"hw01": "course_lib.homework.hw01"}``."""
        return {lec.assignment: f"course_lib.homework.{lec.assignment}" for lec in self.lectures}


def _required(table: dict[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    """``table[key]`` checked to be a ``kind`` (an int is a float), or ``default`` when given."""
    if key not in table:
        if default is not None:
            return default
        raise ValueError(f"{where} has no {key!r}")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise ValueError(f"{where}: {key} must be a {kind.__name__}, got {value!r}")
    return value


def parse(data: dict[str, Any]) -> Course:
    """The :class:`Course` described by the parsed TOML ``data``.

    Raises:
        ValueError: naming the table and key of anything missing, mistyped or inconsistent.
    """
    budgets = data.get("budgets", {})
    lecture_budget = _required(budgets, "lecture", float, "[budgets]")
    solution_budget = _required(budgets, "solution", float, "[budgets]")
    languages = []
    for i, table in enumerate(data.get("languages", [])):
        where = f"[[languages]] {i + 1}"
        join_lines = _required(table, "join_lines", str, where, "")
        if join_lines:
            re.compile(f"[{join_lines}]")
        languages.append(
            Language(
                code=_required(table, "code", str, where),
                name=_required(table, "name", str, where),
                html=_required(table, "html", str, where),
                fonts=tuple(_required(table, "fonts", list, where, [])),
                join_lines=join_lines,
            )
        )
    lectures = []
    for i, table in enumerate(data.get("lectures", [])):
        where = f"[[lectures]] {i + 1}"
        homework = _required(table, "homework", str, where)
        if not re.fullmatch(r"hw\d\d_\w+", homework):
            raise ValueError(f"{where}: homework must look like 'hw01_topic', got {homework!r}")
        lectures.append(
            Lecture(
                number=_required(table, "number", str, where),
                slug=_required(table, "slug", str, where),
                title=_required(table, "title", str, where),
                summary=_required(table, "summary", str, where),
                homework=homework,
                budget=_required(table, "budget", float, where, lecture_budget),
                homework_budget=_required(table, "homework_budget", float, where, solution_budget),
            )
        )
    if not languages or not lectures:
        raise ValueError("the course needs at least one [[languages]] and one [[lectures]]")
    for what, keys in (
        ("language code", [lang.code for lang in languages]),
        ("lecture number", [lec.number for lec in lectures]),
        ("homework", [lec.assignment for lec in lectures]),
    ):
        if len(set(keys)) != len(keys):
            raise ValueError(f"each {what} must appear once, got {keys}")
    course_budget = _required(budgets, "course", float, "[budgets]")
    return Course(tuple(lectures), tuple(languages), lecture_budget, solution_budget, course_budget)


def read(path: str | Path) -> Course:
    """The course described by the TOML file at ``path``."""
    with open(path, "rb") as f:
        return parse(tomllib.load(f))


@cache
def load() -> Course:
    """The course of this package (``course_lib/course.toml``)."""
    return parse(tomllib.loads(files("course_lib").joinpath("course.toml").read_text("utf-8")))
