"""Each lecture reads in one sitting: short cells and a bounded word count.

Limits (issue 17): no markdown cell over 25 lines, no code cell over 20 lines, each lecture
at most 3 000 words of prose (markdown, excluding math and code spans). Side material goes
to the end of the notebook rather than into longer cells. The folded answers to the
exercises (cells tagged ``answer``, see :func:`is_answer`) do not count towards the words:
a reader opens them only after trying the exercise.
"""

from __future__ import annotations

import re

import jupytext
import pytest

from tests.notebook_files import ROOT

LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
MARKDOWN_LINES, CODE_LINES, WORDS = 25, 20, 3000

_MATH_OR_CODE = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|```.*?```|`[^`\n]+`", re.S)


def prose_words(markdown: str) -> int:
    """Words of prose in a markdown cell: math, code spans and markup do not count."""
    text = _MATH_OR_CODE.sub(" ", markdown)
    text = re.sub(r"<[^>]+>|\[([^\]]*)\]\([^)]*\)", r" \1 ", text)
    return len(re.findall(r"[A-Za-z0-9][\w'’-]*", text))


def cells(path):
    return jupytext.read(path).cells


def is_answer(cell) -> bool:
    """A cell that belongs to an exercise's folded answer (``tags=["answer"]``)."""
    return "answer" in cell.metadata.get("tags", [])


def test_word_counter_ignores_math_and_code():
    assert prose_words("The loss $L = \\sum_i \\ell_i$ uses `np.sum` [twice](#sec).") == 4


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_no_cell_is_too_long(path):
    too_long = []
    for i, cell in enumerate(cells(path)):
        lines = cell.source.strip("\n").count("\n") + 1
        limit = MARKDOWN_LINES if cell.cell_type == "markdown" else CODE_LINES
        if lines > limit:
            too_long.append(f"cell {i} ({cell.cell_type}): {lines} lines > {limit}")
    assert not too_long, "split these cells:\n" + "\n".join(too_long)


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_reads_in_one_sitting(path):
    words = sum(
        prose_words(c.source) for c in cells(path) if c.cell_type == "markdown" and not is_answer(c)
    )
    assert words <= WORDS, f"{path.name}: {words} words of prose > {WORDS}"
