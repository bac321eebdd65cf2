"""The course's one notation (notebooks/notation.md) is followed by the lectures.

Checked mechanically: the table is well formed and points at existing lectures, every
symbol it lists appears in the lecture it names, and no lecture gives momentum a symbol
other than β (lecture 03 used λ, ρ and μ for it in turn).
"""

from __future__ import annotations

import re

import jupytext
import pytest

from tests.notebook_files import ROOT

NOTATION = ROOT / "notebooks" / "notation.md"
LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
LINK = re.compile(r"\[(\d\d)\]\((\d\d_[a-z_]+)\.ipynb\)")
# λ is also an eigenvalue (lecture 02): not when the word "eigenvalue" comes just before.
_OTHER = r"(?<!eigenvalue )(?<!eigenvalues )(?:\$\\(?:rho|mu|lambda)\b|[ρμλ](?!_B))"
OTHER_MOMENTUM_SYMBOL = re.compile(
    rf"momentum[^.$]{{0,40}}{_OTHER}|{_OTHER}[^.]{{0,20}}\bmomentum\b"
)


def rows() -> list[list[str]]:
    found = []
    for line in NOTATION.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("symbol",) and not set(cells[0]) <= set("-"):
            found.append(cells)
    return found


def markdown(path) -> str:
    return "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "markdown")


def test_every_row_has_a_symbol_a_meaning_chinese_and_an_existing_lecture():
    assert len(rows()) >= 10
    for symbol, meaning, chinese, lecture in rows():
        assert symbol and meaning and re.search(r"[\u4e00-\u9fff]|sigmoid", chinese)
        target = LINK.fullmatch(lecture)
        assert target and (ROOT / "notebooks" / f"{target.group(2)}.py").exists(), lecture


def test_the_scan_finds_another_momentum_symbol():
    assert OTHER_MOMENTUM_SYMBOL.search(r"with momentum coefficient $\rho = 0.9$")
    assert OTHER_MOMENTUM_SYMBOL.search(r"the momentum term $\mu$ keeps")
    assert OTHER_MOMENTUM_SYMBOL.search(r"With a well-chosen $\lambda$ momentum needs fewer steps")
    assert OTHER_MOMENTUM_SYMBOL.search("momentum (λ = 0.9 here) spirals")
    assert not OTHER_MOMENTUM_SYMBOL.search(r"momentum with $\beta = 0.9$. Eigenvalue $\lambda$")


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_momentum_is_beta_everywhere(path):
    found = [line for line in markdown(path).splitlines() if OTHER_MOMENTUM_SYMBOL.search(line)]
    assert not found, "momentum's coefficient is β (notebooks/notation.md):\n" + "\n".join(found)


def test_learning_rate_is_eta_where_a_lecture_writes_the_update():
    for path in LECTURES:
        text = markdown(path)
        if "learning rate" in text and re.search(r"\\theta_t\s*=", text):
            assert r"\eta" in text, f"{path.name} writes an update without η"
