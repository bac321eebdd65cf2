"""Generate the student notebook of an assignment from its solution notebook.

The solution ``homework/solutions/hwNN_name.ipynb`` is the source of truth. Inside a code
cell, the lines between nbgrader's markers are the answer::

    def relu_backward(dout, x):
        ### BEGIN SOLUTION
        return dout * (x > 0)
        ### END SOLUTION

The student notebook ``homework/hwNN_name.ipynb`` (and its ``.py`` twin) keeps every other
line and replaces each region with ``# YOUR CODE HERE`` and ``raise NotImplementedError``
at the marker's indentation. It has no outputs, and each answer cell carries nbgrader
metadata (``solution: true`` and a ``grade_id`` such as ``hw01-answer-3``), which the grader
uses to recognise the assignment. Cells that call the student's functions are tagged
``raises-exception`` so that *Run All* continues past a question not yet answered.

Command line: ``python -m course_tools generate [--check]``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jupytext
import nbformat
from jupytext.config import load_jupytext_config

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_STUB = "YOUR ANSWER HERE"


def solution_regions(source: str, where: str = "cell") -> list[list[str]]:
    """The lines inside each BEGIN/END SOLUTION region of ``source``.

    Raises:
        ValueError: markers that are unbalanced or nested (naming ``where``).
    """
    regions: list[list[str]] = []
    current: list[str] | None = None
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if current is not None:
                raise ValueError(f"{where}: '{BEGIN}' inside another solution region")
            current = []
        elif stripped == END:
            if current is None:
                raise ValueError(f"{where}: '{END}' without a matching '{BEGIN}'")
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        raise ValueError(f"{where}: '{BEGIN}' is never closed")
    return regions


def strip_solutions(source: str, markdown: bool = False) -> str:
    """``source`` with every solution region replaced by the student stub."""
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend([MARKDOWN_STUB] if markdown else [indent + s for s in STUB])
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _nbgrader(grade_id: str) -> dict:
    return {
        "grade": False,
        "grade_id": grade_id,
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }


def _tag_cells_that_use_answers(nb: nbformat.NotebookNode) -> None:
    """Tag ``raises-exception`` on code cells that call the student's functions.

    Until a question is answered those cells raise ``NotImplementedError``; the tag lets
    JupyterLab's *Run All* go on past them. Cells that only call ``check`` never raise.
    """
    answer_cells = [c for c in nb.cells if "nbgrader" in c.metadata]
    defined = (re.findall(r"^\s*(?:def|class)\s+(\w+)", c.source, re.M) for c in answer_cells)
    names = {n for found in defined for n in found if not n.startswith("__")}
    if not names:
        return
    uses = re.compile(r"\b(" + "|".join(sorted(names)) + r")\b")
    for cell in nb.cells:
        if cell.cell_type != "code" or cell in answer_cells or cell.source.startswith("check("):
            continue
        if uses.search(cell.source):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")


def student_notebook(solution: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The student version of ``solution``: stubs for answers, no outputs, stable cell ids.

    Args:
        solution: the solution notebook (nbformat v4).
        assignment: its name, ``"hw01"`` …, the prefix of the answer cells' ``grade_id``.
    """
    nb = copy.deepcopy(solution)
    answers = 0
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        cell.id = f"{assignment}-cell-{index:02d}"
        cell.metadata.pop("nbgrader", None)
        if solution_regions(cell.source, where):
            answers += 1
            cell.source = strip_solutions(cell.source, markdown=cell.cell_type == "markdown")
            cell.metadata["nbgrader"] = _nbgrader(f"{assignment}-answer-{answers}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    if answers == 0:
        raise ValueError(f"solution has no '{BEGIN}' regions")
    _tag_cells_that_use_answers(nb)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k == "kernelspec"}
    return nb


def render(nb: nbformat.NotebookNode, root: Path) -> tuple[str, str]:
    """The text of the ``.ipynb`` and of its ``.py`` percent twin (per ``root``'s jupytext.toml)."""
    ipynb = nbformat.writes(nb) + "\n"
    config = load_jupytext_config(str(root))
    py = jupytext.writes(jupytext.reads(ipynb, fmt="ipynb"), fmt="py:percent", config=config)
    return ipynb, py


def student_paths(solution_path: Path) -> tuple[Path, Path]:
    """``homework/solutions/hw01_x.ipynb`` -> ``homework/hw01_x.ipynb`` and ``.py``."""
    target = solution_path.parent.parent / solution_path.name
    return target.with_suffix(".ipynb"), target.with_suffix(".py")


def assignment_name(solution_path: Path) -> str:
    """``hw01`` from ``hw01_backprop.ipynb``; ``ValueError`` for other names."""
    match = re.match(r"(hw\d\d)_", solution_path.name)
    if not match:
        raise ValueError(f"solution name must look like hwNN_topic.ipynb, got {solution_path.name}")
    return match.group(1)


def generate(solution_path: Path, root: Path, write: bool = True) -> list[Path]:
    """Generate (or with ``write=False`` only compare) the student files of one solution.

    Returns:
        the student files whose committed text differs from the generated text (all of
        them were rewritten when ``write`` is true).
    """
    solution = nbformat.read(solution_path, as_version=4)
    student = student_notebook(solution, assignment_name(solution_path))
    stale = []
    for path, text in zip(student_paths(solution_path), render(student, root), strict=True):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if write:
                path.write_text(text, encoding="utf-8")
    return stale
