"""The glossary (notebooks/glossary.md) covers every bold key term of every lecture.

Convention (CONTRIBUTING.md): in a lecture's Markdown, **bold** marks a key term where it is
introduced. Bold text that ends with ".", ":", "?" or "!" is a run-in heading, not a term.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jupytext
import pytest

from tests.notebook_files import ROOT

GLOSSARY = ROOT / "notebooks" / "glossary.md"
LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
CJK = re.compile(r"[\u4e00-\u9fff]")
LINK = re.compile(r"\[(\d\d)\]\((\d\d_[a-z_]+)\.ipynb\)")


def normalize(term: str) -> str:
    return " ".join(term.lower().split())


@cache
def glossary_rows() -> list[list[str]]:
    """The table's body rows, each [English, 中文, definition, lecture]."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells[0] in ("English", "") or set(cells[0]) <= set("-:"):
            continue
        rows.append(cells)
    return rows


def names(english: str) -> set[str]:
    """The names a row answers to: ``stochastic gradient descent (SGD)`` gives the full
    text, ``stochastic gradient descent`` and ``SGD``."""
    found = {normalize(english)}
    match = re.fullmatch(r"(.+?)\s*\((.+)\)", english)
    if match:
        found |= {normalize(match.group(1)), normalize(match.group(2))}
    return found


def same_term(term: str, name: str) -> bool:
    """Equal up to case, spacing and a plural "s" / "es"."""
    return term in (name, name + "s", name + "es") or name in (term + "s", term + "es")


def bold_terms(lecture: Path) -> list[str]:
    terms = []
    for cell in jupytext.read(lecture).cells:
        if cell.cell_type != "markdown":
            continue
        for match in BOLD.finditer(CODE_SPAN.sub("", cell.source)):
            text = match.group(1).strip()
            if text and text[-1] not in ".:?!":
                terms.append(normalize(text))
    return terms


def find_row(term: str) -> list[str] | None:
    return next(
        (row for row in glossary_rows() if any(same_term(term, n) for n in names(row[0]))), None
    )


def test_the_glossary_has_rows_and_lectures_exist():
    assert len(glossary_rows()) >= 40
    assert LECTURES, "no lecture .py files found"


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.stem)
def test_every_bold_term_of_a_lecture_is_in_the_glossary(lecture):
    terms = bold_terms(lecture)
    assert terms, f"{lecture.name} sets no key term in bold"
    missing = sorted({t for t in terms if find_row(t) is None})
    assert not missing, f"bold terms of {lecture.name} missing from glossary.md: {missing}"


def test_every_row_is_bilingual_defined_and_points_at_an_existing_lecture():
    for english, chinese, definition, lecture in glossary_rows():
        assert CJK.search(chinese), f"{english}: no Chinese term"
        assert len(definition.split()) >= 5, f"{english}: definition too short"
        link = LINK.fullmatch(lecture)
        assert link, f"{english}: lecture cell {lecture!r} is not a link like [01](01_x.ipynb)"
        assert link.group(1) == link.group(2)[:2], f"{english}: link text and target differ"
        assert (ROOT / "notebooks" / f"{link.group(2)}.ipynb").exists(), f"{english}: {lecture}"


def test_rows_are_sorted_and_unique():
    keys = [normalize(row[0]) for row in glossary_rows()]
    assert keys == sorted(keys), "keep the glossary in alphabetical order"
    assert len(keys) == len(set(keys))


def test_each_term_points_at_the_first_lecture_that_sets_it_in_bold():
    first: dict[str, str] = {}
    for lecture in LECTURES:
        for term in bold_terms(lecture):
            row = find_row(term)
            if row is not None:
                first.setdefault(row[0], lecture.stem)
    for english, _, _, lecture in glossary_rows():
        target = LINK.fullmatch(lecture).group(2)
        if english in first:
            assert target == first[english], f"{english}: introduced in {first[english]}"
        else:
            text = normalize((ROOT / "notebooks" / f"{target}.py").read_text(encoding="utf-8"))
            plain = english.split(" (")[0].lower()
            assert plain in text, f"{english} is never used in {target}"


def test_bold_term_rules():
    assert same_term("eigenvalues", "eigenvalue")
    assert same_term("batches", "batch")
    assert not same_term("momentum", "nesterov momentum")
    assert names("stochastic gradient descent (SGD)") == {
        "stochastic gradient descent (sgd)",
        "stochastic gradient descent",
        "sgd",
    }
