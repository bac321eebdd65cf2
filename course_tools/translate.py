"""Translated editions generated from the English course and one translation file per source.

The English notebooks are the only source of code and outputs. A translation file
(``translations/<lang>/notebooks/01_backprop.md``, ``translations/<lang>/homework/…``) holds,
for every markdown cell (or, for a Markdown page such as the glossary, every paragraph and
table row), the English text and its translation::

    === en · cell 3
    ## 1. The chain rule
    === zh
    ## 1. 链式法则

An entry is keyed to its English text: when the English cell changes, the entry no longer
matches, the cell counts as stale, and ``check`` names it until a translator updates it.
``build`` writes the translated notebooks (``notebooks/<lang>/``, ``homework/<lang>/``): the
English notebook with each markdown cell replaced by its translation and its relative links
pointed at the translated pages; code cells and outputs are copied unchanged.

Commands: ``python -m course_tools translate update`` adds entries for new or changed cells
(a changed cell keeps its old translation, marked ``=== zh · stale``, for the translator to
revise), ``build`` writes the translated files, ``check`` reports what is missing, stale or
out of date and exits 1 if anything is.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_tools.course import LECTURES

LANGUAGES = {"zh": "zh-CN"}
ENTRY = re.compile(r"^=== en(?: · (?P<label>.*))?$")
TRANSLATION = re.compile(r"^=== (?P<lang>[a-z]{2})(?P<stale> · stale)?$")
STALE_SIMILARITY = 0.5
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


def sources(root: Path, lang: str = "zh") -> list[Source]:
    """Every English file of the course that has a ``lang`` edition, in reading order."""
    _check_language(lang)
    root = Path(root)
    found = []
    for lecture in LECTURES:
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


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {sorted(LANGUAGES)}, got {lang!r}")


def normalize(text: str) -> str:
    """The text with trailing spaces and surrounding blank lines removed (the matching key)."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()).strip("\n")


def units(root: Path, source: Source) -> list[Unit]:
    """The translatable pieces of ``source``: markdown cells of a notebook (not the
    students' answer cells, whose placeholder the grader looks for), or the paragraphs and
    table rows (those with a letter in them) of a Markdown page."""
    path = Path(root) / source.english
    if source.is_notebook:
        nb = nbformat.read(path, as_version=4)
        return [
            Unit(i, f"cell {i}", normalize(cell.source))
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "markdown"
            and normalize(cell.source)
            and not cell.metadata.get("nbgrader", {}).get("solution")
        ]
    return [
        Unit(i, f"block {i}", block)
        for i, block in enumerate(_blocks(path.read_text(encoding="utf-8")))
        if re.search(r"[A-Za-z]", block)
    ]


def _blocks(text: str) -> list[str]:
    """A Markdown page cut into paragraphs at blank lines, with every table row its own block."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        lines = paragraph.splitlines()
        if lines and all(line.lstrip().startswith("|") for line in lines):
            blocks.extend(normalize(line) for line in lines)
        else:
            blocks.append(normalize(paragraph))
    return blocks


def parse(text: str, lang: str = "zh") -> list[Entry]:
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


def render(entries: list[Entry], source: Source, lang: str = "zh") -> str:
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


def read_entries(root: Path, source: Source, lang: str = "zh") -> list[Entry]:
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


# An inline span may wrap onto the next line, but not across a blank line.
MATH = re.compile(r"\$\$.+?\$\$|\$(?:[^$\n]|\n(?!\s*\n))+?\$", re.S)
CODE = re.compile(r"```.*?```|`(?:[^`\n]|\n(?!\s*\n))+?`", re.S)
HEADING = re.compile(r"^(#+)\s*(\d+(?:\.\d+)*\.?)?", re.M)


def invariants(text: str) -> dict[str, list[str]]:
    """What a translation must keep from the English: math, code, link targets and each
    heading's level and section number (sorted, so the sentence order may change)."""
    without_code = CODE.sub(" ", text)

    def spaced(span: str) -> str:  # where a span wraps is not part of it
        return " ".join(span.split())

    return {
        "math": sorted(spaced(m) for m in MATH.findall(without_code)),
        "code": sorted(spaced(c) for c in CODE.findall(text)),
        "links": sorted(m[1] for m in LINK.findall(without_code)),
        "headings": [h[0] + " " + h[1] for h in HEADING.findall(without_code)],
    }


BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def glossary(root: Path) -> dict[str, list[str]]:
    """``{English name: its Chinese forms}`` from the glossary table: a row
    ``| stochastic gradient descent (SGD) | 随机梯度下降 | …`` answers to the full name, to
    ``stochastic gradient descent`` and to ``sgd``; ``批次 (批量)`` gives both forms,
    ``Adam 优化器`` both words."""
    table: dict[str, list[str]] = {}
    for line in (Path(root) / "notebooks" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not CJK_RUN.search(cells[1]) or cells[0] == "English":
            continue
        names = {cells[0]}
        both = re.fullmatch(r"(.+?)\s*\((.+)\)", cells[0])
        if both:
            names |= {both[1], both[2]}
        for name in names:
            forms = [f for f in re.split(r"[\s()（）/、,，]+", cells[1]) if f]
            table[" ".join(name.lower().split())] = forms
    return table


def chinese_term(term: str, table: dict[str, list[str]]) -> list[str] | None:
    """The Chinese forms of a bold English ``term`` (plural "s"/"es" allowed), or None."""
    term = " ".join(term.lower().split())
    for candidate in (term, term[:-1], term[:-2]):
        if candidate in table:
            return table[candidate]
    return None


def term_problems(root: Path, source: Source, lang: str = "zh") -> list[str]:
    """Cells whose English introduces a glossary term in bold while the translation has
    none of the glossary's Chinese forms of it."""
    if lang != "zh" or source.english.name in ("glossary.md", "notation.md"):
        return []
    table, problems = glossary(root), []
    for unit, entry, stale in match(units(root, source), read_entries(root, source, lang)):
        if entry is None or not entry.translated or stale:
            continue
        for bold in BOLD.findall(CODE.sub(" ", unit.text)):
            forms = chinese_term(bold.strip(), table)
            if forms and not any(form in entry.translated for form in forms):
                problems.append(
                    f"{source.translation}: {unit.label}: bold term {bold!r} "
                    f"needs its glossary Chinese form ({' / '.join(forms)})"
                )
    return problems


def lint(root: Path, source: Source, lang: str = "zh") -> list[str]:
    """Translations that changed math, code, a link target or a heading's number."""
    problems = []
    for unit, entry, stale in match(units(root, source), read_entries(root, source, lang)):
        if entry is None or not entry.translated or stale:
            continue
        english, translated = invariants(unit.text), invariants(entry.translated)
        for kind, expected in english.items():
            if translated[kind] != expected:
                lost = sorted(set(expected) - set(translated[kind]))
                added = sorted(set(translated[kind]) - set(expected))
                problems.append(
                    f"{source.translation}: {unit.label}: the {kind} differ from the English"
                    f" (missing {lost or '-'}, new {added or '-'})"
                )
    return problems + term_problems(root, source, lang)


def status(root: Path, source: Source, lang: str = "zh") -> Status:
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


def update(root: Path, lang: str = "zh") -> list[Path]:
    """Rewrite every translation file in cell order: kept entries, new cells with an empty
    translation, changed cells with their old translation marked stale. Returns the files."""
    written = []
    for source in sources(root, lang):
        entries = []
        for unit, entry, stale in match(units(root, source), read_entries(root, source, lang)):
            translated = entry.translated if entry else ""
            entries.append(Entry(unit.text, translated, bool(translated) and stale, unit.label))
        path = Path(root) / source.translation
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(entries, source, lang)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def translated_text(root: Path, source: Source, lang: str = "zh") -> str | dict:
    """The generated file's content: a notebook node, or the text of a Markdown page.
    Untranslated or stale units stay in English."""
    root = Path(root)
    table = {
        unit.index: entry.translated
        for unit, entry, stale in match(units(root, source), read_entries(root, source, lang))
        if entry is not None and entry.translated and not stale
    }
    if source.is_notebook:
        nb = nbformat.read(root / source.english, as_version=4)
        out = copy.deepcopy(nb)
        for i, cell in enumerate(out.cells):
            if cell.cell_type == "markdown" and i in table:
                cell.source = _relink(join_cjk_lines(table[i]), root, source, lang)
        out.metadata["course_edition"] = {
            "language": LANGUAGES[lang],
            "translated_from": source.english.as_posix(),
            "generated_by": "python -m course_tools translate build",
        }
        return out
    blocks = _blocks((root / source.english).read_text(encoding="utf-8"))
    pieces = [
        _relink(join_cjk_lines(table.get(i, block)), root, source, lang)
        for i, block in enumerate(blocks)
    ]
    text, previous_row = "", False
    for piece in pieces:
        row = piece.lstrip().startswith("|")
        text += ("\n" if row and previous_row else "\n\n" if text else "") + piece
        previous_row = row
    return text + "\n"


CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")
CJK_START = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
BLOCK_START = re.compile(r"^\s*(#|\||>|[-*+] |\d+[.)] |\$\$|```)")


def join_cjk_lines(text: str) -> str:
    """Chinese paragraphs wrapped over several lines, joined where a line ends and the next
    begins with a Chinese character or punctuation (a line break there would show as a space).
    Headings, table rows, list items, display math and fenced code are left alone."""
    lines, out, fenced = text.split("\n"), [], False
    for line in lines:
        joinable = (
            out
            and not fenced
            and CJK_END.search(out[-1])
            and CJK_START.match(line)
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


def generated(root: Path, source: Source, lang: str = "zh") -> dict[Path, str]:
    """What ``build`` writes for ``source``: ``{path relative to root: text}``. A notebook
    gets its ``.py`` percent twin too, written with the repository's jupytext settings,
    like every notebook of the course."""
    content = translated_text(root, source, lang)
    if isinstance(content, str):
        return {source.output: content}
    import jupytext
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(str(Path(root) / source.english))
    twin = jupytext.writes(content, fmt="py:percent", config=config)
    return {source.output: nbformat.writes(content) + "\n", source.output.with_suffix(".py"): twin}


def build(root: Path, lang: str = "zh") -> list[Path]:
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


def out_of_date(root: Path, lang: str = "zh") -> list[Path]:
    """Generated files that differ from what ``build`` would write now."""
    return [
        relative
        for source in sources(root, lang)
        for relative, content in generated(root, source, lang).items()
        if not (Path(root) / relative).exists()
        or (Path(root) / relative).read_text(encoding="utf-8") != content
    ]


def check(root: Path, lang: str = "zh") -> list[str]:
    """Every problem of the ``lang`` edition: untranslated or stale units, and generated
    files that are not what ``build`` writes."""
    problems = []
    for source in sources(root, lang):
        problems += status(root, source, lang).problems() + lint(root, source, lang)
    problems += [
        f"{path}: out of date, run `python -m course_tools translate build`"
        for path in out_of_date(root, lang)
    ]
    return problems


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_tools translate")
    parser.add_argument("action", choices=("update", "build", "check", "coverage"))
    parser.add_argument("--lang", default="zh", choices=sorted(LANGUAGES))
    parser.add_argument("--root", default=".")
    parser.add_argument("files", nargs="*", help="check only these translation files")
    args = parser.parse_args(argv[1:] if argv[:1] == ["translate"] else argv)
    root = Path(args.root)
    if args.action == "update":
        for path in update(root, args.lang):
            print(f"updated {path}")
        return 0
    if args.action == "build":
        for path in build(root, args.lang):
            print(f"wrote {path}")
        return 0
    if args.action == "coverage":
        done = total = 0
        for source in sources(root, args.lang):
            result = status(root, source, args.lang)
            done, total = done + len(result.translated), total + result.total
            print(f"{source.english}: {len(result.translated)}/{result.total}")
        print(f"all: {done}/{total} ({100 * done / max(total, 1):.0f} %)")
        return 0
    if args.files:
        wanted = {Path(f).as_posix() for f in args.files}
        chosen = [s for s in sources(root, args.lang) if s.translation.as_posix() in wanted]
        problems = [p for s in chosen for p in status(root, s, args.lang).problems()]
        problems += [p for s in chosen for p in lint(root, s, args.lang)]
    else:
        problems = check(root, args.lang)
    print("\n".join(problems) or f"the {args.lang} edition is complete and up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
