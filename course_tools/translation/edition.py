"""A translated edition: which files it has, what is missing or stale, and building it.

The English notebooks are the only source of code and outputs. ``build`` writes each
translated file (``notebooks/<lang>/``, ``homework/<lang>/``, the glossary and notation pages):
the English notebook with each markdown cell replaced by its translation and its relative
links pointed at the translated pages; code cells and outputs are copied unchanged, except
for one added cell: the *language cell* (:func:`language_cell`, tagged ``language``), right
after the Colab set-up cell, which makes the library speak the edition's language, and the
edition's language code in the notebook's metadata (``course_edition.code``: the grader
reports a submission in it). Units that are untranslated or stale stay in English and are
named by :func:`check`.

The languages come from the course's manifest (``course_lib/course.toml``): every language
but the first (the source) has an edition, with its own rules -- the HTML ``lang`` recorded
in each notebook, and the characters between which a wrapped line is joined.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_lib.manifest import Language
from course_tools.book.strings import missing
from course_tools.course import course_of
from course_tools.translation import figures
from course_tools.translation.entries import (
    LINK,
    Entry,
    Source,
    Unit,
    blocks,
    match,
    read_entries,
    render,
    units,
)
from course_tools.translation.lint import lint
from course_tools.translation.terminology import problems as terminology


def language(root: Path, code: str) -> Language:
    """The translated language ``code`` of the checkout at ``root`` (not its source language).

    Raises:
        ValueError: naming the languages that have an edition.
    """
    course = course_of(root)
    if code not in [lang.code for lang in course.translations]:
        known = ", ".join(repr(lang.code) for lang in course.translations)
        raise ValueError(f"lang must be one of {known}, got {code!r}")
    return course.language(code)


@dataclass
class Status:
    """What a translation file covers of its source."""

    source: Source
    translated: list[Unit] = field(default_factory=list)
    missing: list[Unit] = field(default_factory=list)
    stale: list[Unit] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.translated) + len(self.missing) + len(self.stale)

    def problems(self) -> list[str]:
        lines = [
            f"{self.source.english}: {unit.label} is stale: the English changed since it "
            "was translated"
            for unit in self.stale
        ]
        lines += [f"{self.source.english}: {unit.label} is not translated" for unit in self.missing]
        return lines


def sources(root: Path, lang: str) -> list[Source]:
    """Every English file of the course that has a ``lang`` edition, in reading order."""
    language(root, lang)
    root = Path(root)
    found = []
    for lecture in course_of(root).lectures:
        for folder, stem in (("notebooks", lecture.notebook), ("homework", lecture.homework)):
            english = Path(folder) / f"{stem}.ipynb"
            if (root / english).exists():
                found.append(
                    Source(
                        english,
                        Path("translations", lang, folder, f"{stem}.md"),
                        Path(folder, lang, f"{stem}.ipynb"),
                    )
                )
    for stem in ("glossary", "notation"):
        english = Path("notebooks", f"{stem}.md")
        if (root / english).exists():
            found.append(
                Source(
                    english,
                    Path("translations", lang, "notebooks", f"{stem}.md"),
                    Path("notebooks", lang, f"{stem}.md"),
                )
            )
    return found


def status(root: Path, source: Source, lang: str) -> Status:
    """Which units of ``source`` are translated, missing or stale."""
    result = Status(source)
    for unit, entry, stale in match(units(root, source), read_entries(root, source, lang)):
        if entry is None or not entry.translated:
            result.missing.append(unit)
        elif stale:
            result.stale.append(unit)
        else:
            result.translated.append(unit)
    return result


def memory(root: Path, lang: str) -> dict[str, str]:
    """The translation memory: ``{English text: its translation}`` over every translation file
    of ``lang`` (translated entries not marked stale; the first file in reading order wins).
    Identical English -- the homework's "How to work" and "Done?" lines, say -- gets one
    translation everywhere: ``update`` fills a new or changed unit from it, and ``check``
    names a text translated in two ways."""
    known: dict[str, str] = {}
    for source in sources(root, lang):
        for entry in read_entries(root, source, lang):
            if entry.translated and not entry.stale:
                known.setdefault(entry.english, entry.translated)
    return known


def memory_conflicts(root: Path, lang: str) -> list[str]:
    """Units whose English is translated elsewhere in another way (see :func:`memory`)."""
    known, problems = memory(root, lang), []
    for source in sources(root, lang):
        for entry in read_entries(root, source, lang):
            first = known.get(entry.english)
            if entry.translated and not entry.stale and first != entry.translated:
                problems.append(
                    f"{source.translation}: {entry.label}: the same English is translated "
                    "differently in another entry; use one translation (see `translate update`)"
                )
    return problems


def update(root: Path, lang: str) -> list[Path]:
    """Rewrite every translation file in cell order: kept entries, new cells with an empty
    translation, changed cells with their old translation marked stale. A new or changed
    unit whose English is already translated elsewhere (:func:`memory`) gets that
    translation. Returns the files."""
    written, known = [], memory(root, lang)
    for source in sources(root, lang):
        entries = []
        for unit, entry, stale in match(units(root, source), read_entries(root, source, lang)):
            translated = entry.translated if entry else ""
            if (stale or not translated) and unit.text in known:
                translated, stale = known[unit.text], False
            entries.append(Entry(unit.text, translated, bool(translated) and stale, unit.label))
        path = Path(root) / source.translation
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(entries, source, lang)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


#: The tag of the language cell, the one code cell an edition adds to the English notebook.
LANGUAGE_TAG = "language"


def language_cell(lang: str) -> nbformat.NotebookNode:
    """The code cell that chooses ``lang`` for the checks' messages and the figures
    (:func:`course_lib.language.set_language`), tagged :data:`LANGUAGE_TAG`."""
    source = f'from course_lib.language import set_language\n\nset_language("{lang}")'
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [LANGUAGE_TAG]})
    cell.id = "course-language"  # fixed, so that the build is reproducible
    return cell


def _after_colab_cell(cells: list) -> int:
    """Where the language cell goes: right after the Colab set-up cell (after the title
    when a notebook has none)."""
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "google.colab" in cell.source:
            return i + 1
    return 1 if cells and cells[0].cell_type == "markdown" else 0


def translated_text(root: Path, source: Source, lang: str) -> str | dict:
    """The generated file's content: a notebook node, or the text of a Markdown page.
    Untranslated or stale units stay in English."""
    root = Path(root)
    table = {
        unit.index: entry.translated
        for unit, entry, stale in match(units(root, source), read_entries(root, source, lang))
        if entry is not None and entry.translated and not stale
    }
    joined = language(root, lang).join_lines
    if source.is_notebook:
        nb = nbformat.read(root / source.english, as_version=4)
        out = copy.deepcopy(nb)
        for i, cell in enumerate(out.cells):
            if cell.cell_type == "markdown" and i in table:
                cell.source = _relink(join_lines(table[i], joined), root, source, lang)
            elif cell.cell_type == "code" and i in table:
                cell.source = table[i]  # the same code, its docstrings and comments translated
        out.cells.insert(_after_colab_cell(out.cells), language_cell(lang))
        out.metadata["course_edition"] = {
            "code": lang,
            "language": language(root, lang).html,
            "translated_from": source.english.as_posix(),
            "generated_by": "python -m course_tools translate build",
        }
        return out
    text_of_page = (root / source.english).read_text(encoding="utf-8")
    pieces = [
        _relink(join_lines(table.get(i, block), joined), root, source, lang)
        for i, block in enumerate(blocks(text_of_page))
    ]
    text, previous_row = "", False
    for piece in pieces:
        row = piece.lstrip().startswith("|")
        text += ("\n" if row and previous_row else "\n\n" if text else "") + piece
        previous_row = row
    return text + "\n"


BLOCK_START = re.compile(r"^\s*(#|\||>|[-*+] |\d+[.)] |\$\$|```)")


def join_lines(text: str, characters: str) -> str:
    """Paragraphs wrapped over several lines, joined where a line ends and the next begins
    with one of ``characters`` (a regular-expression class, e.g. Chinese characters and
    punctuation: a line break there would show as a space). Headings, table rows, list
    items, display math and fenced code are left alone; ``""`` joins nothing."""
    if not characters:
        return text
    ends, starts = re.compile(f"[{characters}]$"), re.compile(f"^[{characters}]")
    lines, out, fenced = text.split("\n"), [], False
    for line in lines:
        joinable = (
            out
            and not fenced
            and ends.search(out[-1])
            and starts.match(line)
            and not BLOCK_START.match(out[-1])
        )
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if joinable:
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def _relink(text: str, root: Path, source: Source, lang: str) -> str:
    """Relative links of ``text`` (written for the English file's folder) pointed from the
    translated file's folder: at the translated page where there is one, else the English."""
    outputs = {s.english.as_posix(): s.output for s in sources(root, lang)}
    here = source.english.parent

    def replace(found: re.Match) -> str:
        target = found[2]
        if re.match(r"^[a-z]+:|^#|^/", target):
            return found[0]
        path, _, anchor = target.partition("#")
        resolved = Path(os.path.normpath(here / path)).as_posix()
        new = outputs.get(resolved, Path(resolved))
        relative = os.path.relpath(new, source.output.parent).replace(os.sep, "/")
        return found[1] + relative + (f"#{anchor}" if anchor else "")

    return LINK.sub(replace, text)


def generated(root: Path, source: Source, lang: str, execute: bool = True) -> dict[Path, str]:
    """What ``build`` writes for ``source``: ``{path relative to root: text}``. A notebook
    gets its ``.py`` percent twin too, written with the repository's jupytext settings,
    like every notebook of the course, and its figures drawn in ``lang``
    (:func:`course_tools.translation.figures.draw`: executed when ``execute`` and the stored
    figures are not current)."""
    content = translated_text(root, source, lang)
    if isinstance(content, str):
        return {source.output: content}
    output = Path(root) / source.output
    stored = nbformat.read(output, as_version=4) if output.exists() else None
    english = nbformat.read(Path(root) / source.english, as_version=4)
    folder = (Path(root) / source.english).parent
    content = figures.draw(content, english, stored, folder, lang, execute=execute)
    import jupytext
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(str(Path(root) / source.english))
    twin = jupytext.writes(content, fmt="py:percent", config=config)
    return {source.output: nbformat.writes(content) + "\n", source.output.with_suffix(".py"): twin}


def build(root: Path, lang: str) -> list[Path]:
    """Write every translated file; returns the files that changed."""
    written = []
    for source in sources(root, lang):
        for relative, content in generated(root, source, lang).items():
            path = Path(root) / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                path.write_text(content, encoding="utf-8")
                written.append(path)
    return written


def out_of_date(root: Path, lang: str) -> list[Path]:
    """Generated files that differ from what ``build`` would write now."""
    return [
        relative
        for source in sources(root, lang)
        for relative, content in generated(root, source, lang, execute=False).items()
        if not (Path(root) / relative).exists()
        or (Path(root) / relative).read_text(encoding="utf-8") != content
    ]


def check(root: Path, lang: str) -> list[str]:
    """Every problem of the ``lang`` edition: untranslated or stale units, the book's words
    without a translation, one English text translated in two ways, a term the terminology
    (``notebooks/terminology.toml``) forbids, and generated files that are not what ``build``
    writes."""
    problems = missing(root, lang)
    for source in sources(root, lang):
        problems += status(root, source, lang).problems() + lint(root, source, language(root, lang))
    problems += memory_conflicts(root, lang) + terminology(root, lang)
    problems += [
        f"{path}: out of date, run `python -m course_tools translate build`"
        for path in out_of_date(root, lang)
    ]
    problems += [
        f"{path}: cell {cell}: the figure label {label!r} has no translation in "
        f"course_lib/figures/{lang}.toml"
        for path, cell, label in untranslated_labels(root, lang)
    ]
    return problems


def untranslated_labels(root: Path, lang: str) -> list[tuple[Path, int, str]]:
    """(translated notebook, cell index, English label) for every figure label the built
    ``lang`` notebooks drew without a translation."""
    found = []
    for source in sources(root, lang):
        path = Path(root) / source.output
        if source.is_notebook and path.exists():
            notebook = nbformat.read(path, as_version=4)
            found += [(source.output, i, label) for i, label in figures.untranslated(notebook)]
    return found
