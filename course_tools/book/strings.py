"""The book's own words in each edition: navigation labels, the front page, and the lecture
titles and summaries (the notebooks' text comes from the notebooks themselves).

The source language's words are below; every other language's live in
``translations/<lang>/book.toml`` -- a ``[strings]`` table keyed by the English words of
:data:`ENGLISH` (and by the English labels, "Contents", "Search", ...) and a table per lecture
number with its ``title`` and ``summary``. A word a translation lacks is shown in English and
named by :func:`missing` (``python -m course_tools translate check`` reports it).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.manifest import Language, Lecture
from course_tools.course import course_of

#: Every word the book shows, besides the labels that are their own English text.
LABELS = (
    "Deep-learning fundamentals",
    "Contents",
    "Search",
    "Search the book",
    "Glossary",
    "Notation",
    "Home",
    "Homework",
    "Solution",
    "On this page",
    "lecture",
    "homework",
    "notebook",
    "what you learn",
    "Figure",
)

#: The English of the book's longer strings (the :data:`LABELS` are their own English).
ENGLISH: dict[str, str] = {
    "intro": (
        "Seven lectures from the chain rule to a complete PyTorch project. Every idea is built "
        "from scratch in NumPy, checked against PyTorch, and then reused from the course's "
        "small library, <code>course_lib</code>. These pages show the notebooks as executed, "
        "with their outputs and figures; to run and change them, open the course in "
        "JupyterLab (<code>make lab</code>). The course follows Hung-yi Lee's machine-learning "
        "lectures."
    ),
    "glossary-line": 'Key terms in English and Chinese: <a href="glossary.html">the glossary</a>.',
    "notation-line": 'The symbols every lecture uses: <a href="notation.html">notation</a>.',
    "no-results": "No results in this edition.",
    "results": "{count} sections match “{query}”.",
    "other-edition": "In the other edition ({name})",
    "lecture-label": "Lecture {number}: {title}",
    "noscript": (
        "Search needs JavaScript. Without scripts, browse with the contents on the left; every "
        "section of the book is listed below."
    ),
    "widget-note": (
        "An interactive explorer is shown here when the notebook runs in JupyterLab (sliders "
        "need a live kernel); the static figure above it shows the same picture."
    ),
    "page-title": "{label} {number}: {title}",
}


@dataclass(frozen=True)
class Words:
    """The book's words in one edition: its ``language``, the translated ``strings`` and the
    lectures' translated titles and summaries (``{number: (title, summary)}``); both empty for
    the source language."""

    language: Language
    strings: dict[str, str] = field(default_factory=dict)
    lectures: dict[str, tuple[str, str]] = field(default_factory=dict)

    def text(self, key: str) -> str:
        """The string ``key`` in this edition, else its English."""
        if key in self.strings:
            return self.strings[key]
        if key in ENGLISH:
            return ENGLISH[key]
        if key in LABELS:
            return key
        raise KeyError(f"the book has no string {key!r}")

    def lecture_title(self, lecture: Lecture) -> str:
        return self.lectures.get(lecture.number, (lecture.title, ""))[0]

    def lecture_summary(self, lecture: Lecture) -> str:
        return self.lectures.get(lecture.number, ("", lecture.summary))[1] or lecture.summary

    def page_title(self, kind: str, lecture: Lecture) -> str:
        """ "01 Backpropagation", "Homework 01: Backpropagation", "作业 01：反向传播" …"""
        title = self.lecture_title(lecture)
        if kind == "lecture":
            return f"{lecture.number} {title}"
        label = self.text("Homework" if kind == "homework" else "Solution")
        return self.text("page-title").format(label=label, number=lecture.number, title=title)


def words(root: Path, code: str) -> Words:
    """The book's words of edition ``code`` for the checkout at ``root``."""
    course = course_of(root)
    language = course.language(code)
    if language == course.source_language:
        return Words(language)
    path = Path(root) / "translations" / code / "book.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    lectures = {
        number: (table.get("title", ""), table.get("summary", ""))
        for number, table in data.get("lectures", {}).items()
    }
    return Words(language, dict(data.get("strings", {})), lectures)


def missing(root: Path, code: str) -> list[str]:
    """The book's words edition ``code`` shows in English for want of a translation."""
    found = words(root, code)
    if found.language == course_of(root).source_language:
        return []
    keys = [k for k in (*LABELS, *ENGLISH) if k not in found.strings]
    titles = []
    for lecture in course_of(root).lectures:
        title, summary = found.lectures.get(lecture.number, ("", ""))
        for part, value in (("title", title), ("summary", summary)):
            if not value:
                titles.append(f"lecture {lecture.number}'s {part}")
    return [f"translations/{code}/book.toml: no {k!r}" for k in keys] + [
        f"translations/{code}/book.toml: no {t}" for t in titles
    ]
