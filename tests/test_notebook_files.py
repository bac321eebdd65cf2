"""Static checks on the committed notebooks: jupytext pairs in sync, outputs from a fresh run.

nbval (configured in pyproject.toml) re-executes the lecture and solution notebooks and compares
their outputs; these tests catch what nbval cannot see: a .py twin edited without re-pairing, and
cells whose stored output is missing so that nbval has nothing to compare.
"""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import pytest
from jupytext.config import load_jupytext_config

from tests.notebook_files import ROOT, all_notebooks, executed_notebooks, notebook_id

CONFIG = load_jupytext_config(str(ROOT))


def code_cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_jupytext_config_pairs_ipynb_with_percent_py_and_keeps_cell_tags():
    assert CONFIG is not None, "jupytext.toml not found at the repository root"
    assert CONFIG.formats == "ipynb,py:percent" or CONFIG.formats == ["ipynb,py:percent"]
    assert "tags" in CONFIG.cell_metadata_filter


@pytest.mark.parametrize("path", all_notebooks(), ids=notebook_id)
def test_notebook_has_py_twin_in_sync(path: Path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{notebook_id(path)} has no .py twin; run: jupytext --sync {path.name}"
    expected = jupytext.writes(jupytext.read(path), fmt="py:percent", config=CONFIG)
    assert twin.read_text(encoding="utf-8") == expected, (
        f"{notebook_id(twin)} differs from {path.name}: edit the .py, re-execute the notebook, "
        "then run `make sync` (see CONTRIBUTING in README)"
    )


def test_every_py_twin_has_a_notebook():
    for folder in ("notebooks", "homework", "homework/solutions"):
        for twin in sorted((ROOT / folder).glob("*.py")):
            assert twin.with_suffix(".ipynb").exists(), f"{notebook_id(twin)} has no .ipynb"


@pytest.mark.parametrize("path", executed_notebooks(), ids=notebook_id)
def test_notebook_was_executed_top_to_bottom_in_a_fresh_kernel(path: Path):
    counts = [cell["execution_count"] for cell in code_cells(path)]
    assert None not in counts, (
        f"{notebook_id(path)} has unexecuted cells, so nbval would compare nothing there; "
        "re-execute it with `jupyter nbconvert --to notebook --execute --inplace`"
    )
    assert counts == list(range(1, len(counts) + 1)), (
        f"{notebook_id(path)} was not executed top to bottom in one fresh kernel: {counts}"
    )
