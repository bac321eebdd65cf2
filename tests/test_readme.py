"""The README's performance table is a real measurement of the current course.

It is pasted from ``python -m course_lib time``; these tests fail when a notebook is added
without re-measuring, or when a pasted number is over its budget.
"""

from __future__ import annotations

import re

from course_tools.course import TOTAL_BUDGET, budget, executed_notebooks
from tests.notebook_files import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^(\S+)\s+(\d+\.\d)\s+(\d+)(\s+OVER BUDGET)?$")


def performance_rows() -> dict[str, tuple[float, float]]:
    """``name -> (seconds, budget)`` from the first code block after ``## Performance``."""
    section = README.split("## Performance", 1)[1]
    block = section.split("```", 2)[1]
    rows = {}
    for line in block.splitlines():
        match = ROW.match(line.strip())
        if match:
            assert not match.group(4), f"README reports a notebook over budget: {line}"
            rows[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    return rows


def test_performance_table_lists_every_executed_notebook_within_budget():
    rows = performance_rows()
    for path in executed_notebooks(ROOT):
        name = str(path.relative_to(ROOT))
        assert name in rows, f"{name} missing from README's Performance table: re-run make time"
        seconds, allowed = rows[name]
        assert allowed == budget(path), f"{name}: README budget {allowed} != {budget(path)}"
        assert seconds <= allowed, f"{name}: {seconds} s over its budget"


def test_performance_total_is_the_sum_and_within_budget():
    rows = performance_rows()
    total, allowed = rows.pop("total")
    assert allowed == TOTAL_BUDGET
    assert abs(total - sum(seconds for seconds, _ in rows.values())) <= 0.1 * len(rows)
    assert total <= TOTAL_BUDGET
