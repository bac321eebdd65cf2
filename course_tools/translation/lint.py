"""What a translation must keep from the English, and the glossary's terms.

:func:`lint` names every entry whose translation changed a formula, a code span or block, a
link target, or a heading's level or section number, and every cell whose English introduces
a glossary term in **bold** while the translation has none of the glossary's forms of it in
that language (the glossary table's column named after the language, e.g. ``中文``). A
code cell's translation must keep its code: :func:`~course_tools.translation.code_text.
code_problems`.

A formula is compared by its structure: the words inside ``\text{…}`` are prose, which a
translation translates (and may place where its language puts them: ``\text{eigenvalues of }
H`` becomes ``H \text{ 的特征值}``), so they are taken out before the comparison; every symbol,
command and operator must stay.
"""

from __future__ import annotations

import re
from pathlib import Path

from course_lib.manifest import Language
from course_tools.translation.code_text import code_problems
from course_tools.translation.entries import LINK, Source, match, read_entries, units

# An inline span may wrap onto the next line, but not across a blank line.
MATH = re.compile(r"\$\$.+?\$\$|\$(?:[^$\n]|\n(?!\s*\n))+?\$", re.S)
CODE = re.compile(r"```.*?```|`(?:[^`\n]|\n(?!\s*\n))+?`", re.S)
HEADING = re.compile(r"^(#+)\s*(\d+(?:\.\d+)*\.?)?", re.M)
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
#: Words in a formula: ``\text{…}`` (one level of braces inside allowed).
TEXT = re.compile(r"\\(?:text|textrm|mbox)\s*\{(?:[^{}]|\{[^{}]*\})*\}")
#: Other books' forms after 亦称 ("also called") in a glossary cell: findable, not the term.
ALIASES = re.compile(r"[；;，,、]?\s*亦称[^）)]*")


def structure(formula: str) -> str:
    """A formula without the words inside ``\\text{…}``, with only the spaces that separate
    two letters (``\\ln x``): what a translation must keep of it."""
    return re.sub(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])", "", TEXT.sub(" ", formula).strip())


def invariants(text: str) -> dict[str, list[str]]:
    """What a translation must keep from the English: math, code, link targets and each
    heading's level and section number (sorted, so the sentence order may change)."""
    without_code = CODE.sub(" ", text)

    def spaced(span: str) -> str:  # where a span wraps is not part of it
        return " ".join(span.split())

    return {
        "math": sorted(structure(m) for m in MATH.findall(without_code)),
        "code": sorted(spaced(c) for c in CODE.findall(text)),
        "links": sorted(m[1] for m in LINK.findall(without_code)),
        "headings": [h[0] + " " + h[1] for h in HEADING.findall(without_code)],
    }


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def glossary(root: Path, language: Language) -> dict[str, list[str]]:
    """``{English name: its forms in language}`` from the glossary table's column headed with
    the language's name: a row ``| stochastic gradient descent (SGD) | 随机梯度下降 | …``
    answers to the full name, to ``stochastic gradient descent`` and to ``sgd``;
    ``提前停止（早停）`` gives both forms, ``Adam 优化器`` both words; other books' forms after
    亦称 (``批次标准化（亦称 批量规范化）``) are not the course's and are left out. Empty when the
    glossary has no column for the language."""
    table: dict[str, list[str]] = {}
    column = None
    for line in (Path(root) / "notebooks" / "glossary.md").read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = _cells(line)
        if cells and cells[0] == "English":
            column = cells.index(language.name) if language.name in cells else None
            continue
        if column is None or len(cells) <= column or set(cells[column]) <= set("-: "):
            continue
        names = {cells[0]}
        both = re.fullmatch(r"(.+?)\s*\((.+)\)", cells[0])
        if both:
            names |= {both[1], both[2]}
        forms = [f for f in re.split(r"[\s()（）/、,，；;]+", ALIASES.sub("", cells[column])) if f]
        for name in names:
            table[" ".join(name.lower().split())] = forms
    return table


def term_forms(term: str, table: dict[str, list[str]]) -> list[str] | None:
    """The glossary forms of a bold English ``term`` (plural "s"/"es" allowed), or None."""
    term = " ".join(term.lower().split())
    for candidate in (term, term[:-1], term[:-2]):
        if candidate in table:
            return table[candidate]
    return None


def term_problems(root: Path, source: Source, language: Language) -> list[str]:
    """Cells whose English introduces a glossary term in bold while the translation has
    none of the glossary's forms of it."""
    if source.english.name in ("glossary.md", "notation.md"):
        return []
    table, problems = glossary(root, language), []
    entries = read_entries(root, source, language.code)
    for unit, entry, stale in match(units(root, source), entries):
        if entry is None or not entry.translated or stale or unit.is_code:
            continue
        for bold in BOLD.findall(CODE.sub(" ", unit.text)):
            forms = term_forms(bold.strip(), table)
            if forms and not any(form in entry.translated for form in forms):
                problems.append(
                    f"{source.translation}: {unit.label}: bold term {bold!r} "
                    f"needs its glossary {language.name} form ({' / '.join(forms)})"
                )
    return problems


def lint(root: Path, source: Source, language: Language) -> list[str]:
    """Translations that changed math, code, a link target or a heading's number, and bold
    terms without their glossary form."""
    problems = []
    entries = read_entries(root, source, language.code)
    for unit, entry, stale in match(units(root, source), entries):
        if entry is None or not entry.translated or stale:
            continue
        if unit.is_code:
            problems += [
                f"{source.translation}: {unit.label}: {problem}"
                for problem in code_problems(unit.text, entry.translated)
            ]
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
    return problems + term_problems(root, source, language)
