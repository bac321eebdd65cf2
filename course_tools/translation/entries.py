"""A translation file's entries: the English text of each unit and its translation.

A translation file (``translations/<lang>/notebooks/01_backprop.md``, ``…/homework/…``) holds,
for every markdown cell of a notebook (or, for a Markdown page such as the glossary, every
paragraph and table row), the English text and its translation::

    === en · cell 3
    ## 1. The chain rule
    === zh
    ## 1. 链式法则

A homework's code cells with docstrings or comments are units too (label ``cell 5 · code``):
the translation is the whole cell with its docstrings and comments translated and its code
unchanged (:mod:`course_tools.translation.code_text` checks that).

An entry is keyed to its English text: when the English cell changes, the entry no longer
matches (:func:`match`), and the unit counts as stale until a translator updates it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_tools.translation.code_text import has_prose

ENTRY = re.compile(r"^=== en(?: · (?P<label>.*))?$")
TRANSLATION = re.compile(r"^=== (?P<lang>[a-z]{2,3}(?:-[A-Za-z]+)?)(?P<stale> · stale)?$")
STALE_SIMILARITY = 0.5
#: A relative link in Markdown or HTML: ``](target)``, ``href="target"``, ``src="target"``.
LINK = re.compile(r"(\]\(|href=\"|src=\")([^)\"\s]+)")


@dataclass(frozen=True)
class Source:
    """One English file with a translated edition: ``english`` (the source), ``translation``
    (the translation file) and ``output`` (the generated file), all relative to the repo."""

    english: Path
    translation: Path
    output: Path

    @property
    def is_notebook(self) -> bool:
        return self.english.suffix == ".ipynb"

    @property
    def translates_code(self) -> bool:
        """True for a homework notebook: its code cells' docstrings and comments are
        translated too."""
        return self.is_notebook and self.english.parts[0] == "homework"


@dataclass
class Entry:
    """An English text, its translation ("" if none yet) and whether it is marked stale."""

    english: str
    translated: str = ""
    stale: bool = False
    label: str = ""


@dataclass(frozen=True)
class Unit:
    """A translatable piece of an English file: its position ``index`` (cell number, or
    block number in a Markdown page), a ``label`` for reports and the ``text``."""

    index: int
    label: str
    text: str

    @property
    def is_code(self) -> bool:
        """True for a code cell (its docstrings and comments are what is translated)."""
        return self.label.endswith(CODE_LABEL)


#: The end of a code cell's label: ``cell 5 · code``.
CODE_LABEL = " · code"


def normalize(text: str) -> str:
    """The text with trailing spaces and surrounding blank lines removed (the matching key)."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()).strip("\n")


def units(root: Path, source: Source) -> list[Unit]:
    """The translatable pieces of ``source``: markdown cells of a notebook (not the
    students' answer cells, whose placeholder the grader looks for) and, in a homework, the
    code cells with docstrings or comments (not the Colab set-up cell, the same in every
    notebook); or the paragraphs and table rows (those with a letter in them) of a Markdown
    page."""
    path = Path(root) / source.english
    if source.is_notebook:
        nb = nbformat.read(path, as_version=4)
        found = []
        for i, cell in enumerate(nb.cells):
            text = normalize(cell.source)
            if not text:
                continue
            if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get(
                "solution"
            ):
                found.append(Unit(i, f"cell {i}", text))
            elif (
                cell.cell_type == "code"
                and source.translates_code
                and "google.colab" not in text
                and has_prose(cell.source)
            ):
                found.append(Unit(i, f"cell {i}{CODE_LABEL}", text))
        return found
    return [
        Unit(i, f"block {i}", block)
        for i, block in enumerate(blocks(path.read_text(encoding="utf-8")))
        if re.search(r"[A-Za-z]", block)
    ]


def blocks(text: str) -> list[str]:
    """A Markdown page cut into paragraphs at blank lines, with every table row its own block."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        lines = paragraph.splitlines()
        if lines and all(line.lstrip().startswith("|") for line in lines):
            blocks.extend(normalize(line) for line in lines)
        else:
            blocks.append(normalize(paragraph))
    return blocks


def parse(text: str, lang: str) -> list[Entry]:
    """The entries of a translation file's ``text``."""
    entries: list[Entry] = []
    part = None
    lines: list[str] = []

    def close() -> None:
        if part == "en":
            entries[-1].english = normalize("\n".join(lines))
        elif part == "tr":
            entries[-1].translated = normalize("\n".join(lines))

    for number, line in enumerate(text.splitlines(), start=1):
        entry, translation = ENTRY.match(line), TRANSLATION.match(line)
        if entry:
            close()
            entries.append(Entry("", label=entry["label"] or ""))
            part, lines = "en", []
        elif translation and translation["lang"] != "en" and part == "en":
            if translation["lang"] != lang:
                raise ValueError(f"line {number}: expected '=== {lang}', got {line!r}")
            close()
            entries[-1].stale = bool(translation["stale"])
            part, lines = "tr", []
        elif part is not None:
            lines.append(line)
    close()
    return entries


def render(entries: list[Entry], source: Source, lang: str) -> str:
    """A translation file holding ``entries`` (the inverse of :func:`parse`)."""
    head = (
        f"<!-- Translation ({lang}) of {source.english.as_posix()}. Each entry is the English "
        f"text after '=== en' and its translation after '=== {lang}'. Keep math, code, links "
        "and section numbers as they are. See translations/README.md. -->\n"
    )
    parts = [head]
    for entry in entries:
        label = f" · {entry.label}" if entry.label else ""
        mark = " · stale" if entry.stale else ""
        parts.append(f"\n=== en{label}\n{entry.english}\n=== {lang}{mark}\n{entry.translated}\n")
    return "".join(parts)


def read_entries(root: Path, source: Source, lang: str) -> list[Entry]:
    path = Path(root) / source.translation
    if not path.exists():
        return []
    return parse(path.read_text(encoding="utf-8"), lang)


def match(units_: list[Unit], entries: list[Entry]) -> list[tuple[Unit, Entry | None, bool]]:
    """Pair each unit with its entry: ``(unit, entry, stale)``. An entry whose English equals
    the unit's text (and is not marked stale) translates it; otherwise the most similar unused
    entry, if similar enough, is the unit's stale translation; else ``entry`` is None."""
    exact: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        exact.setdefault(entry.english, []).append(i)
    used: set[int] = set()
    paired: dict[int, tuple[Entry | None, bool]] = {}
    for unit in units_:
        candidates = [i for i in exact.get(unit.text, []) if i not in used]
        if candidates:
            used.add(candidates[0])
            entry = entries[candidates[0]]
            paired[unit.index] = (entry, entry.stale or not entry.translated)
    for unit in units_:
        if unit.index in paired:
            continue
        best, best_ratio = None, STALE_SIMILARITY
        for i, entry in enumerate(entries):
            if i in used or not entry.translated:
                continue
            ratio = difflib.SequenceMatcher(None, unit.text, entry.english, autojunk=False).ratio()
            if ratio > best_ratio:
                best, best_ratio = i, ratio
        if best is None:
            paired[unit.index] = (None, False)
        else:
            used.add(best)
            paired[unit.index] = (entries[best], True)
    return [(unit, *paired[unit.index]) for unit in units_]
