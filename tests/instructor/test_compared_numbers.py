"""nbval never compares a number below 1e-10 (after sanitizing), in any executed notebook."""

from __future__ import annotations

import nbformat
import pytest

from course_tools import compared_numbers as cn
from tests.notebook_files import ROOT, executed_notebooks, notebook_id

RULES = cn.sanitize_rules(ROOT / "tests" / "nbval_sanitize.cfg")


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for source, text in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        nb.cells.append(cell)
    return nb


def test_counts_compared_numbers_and_skips_ignored_cells():
    nb = _notebook(
        ("print(1)", "loss 0.131, error 2.1e-16, steps 3\n"),
        ("# NBVAL_IGNORE_OUTPUT\nprint(2)", "took 1.5 s, 7.3e-17\n"),
    )
    assert cn.compared_numbers(nb, RULES) == ["0.131", "3"]  # 2.1e-16 is sanitized away
    assert cn.compared_numbers(nb, []) == ["0.131", "2.1e-16", "3"]
    assert cn.tiny(cn.compared_numbers(nb, [])) == ["2.1e-16"]
    assert cn.tiny(["0.0", "1e-10", "-3e-11"]) == ["-3e-11"]


@pytest.mark.parametrize("path", executed_notebooks(), ids=notebook_id)
def test_no_compared_number_is_below_1e_10(path):
    tokens = cn.compared_numbers(nbformat.read(path, as_version=4), RULES)
    assert cn.tiny(tokens) == []
