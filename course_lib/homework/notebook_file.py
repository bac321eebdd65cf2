"""A submitted homework notebook, read as data: which assignment it answers and its code.

Both the student's self-grade (:mod:`course_lib.homework.selfgrade`) and the instructor's
grader read a submission through here. The file is read once and never written; anything that
is not a well-formed notebook becomes :class:`CannotGrade` with a message naming the problem,
never a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat

from course_lib.homework import safe_files
from course_lib.homework.assignment import Assignment, assignment_from_filename, load_assignment
from course_lib.homework.checking import truncate

#: Largest notebook file read (bytes).
MAX_NOTEBOOK_BYTES = 50_000_000
#: Most cells a graded notebook may have (the course's notebooks have under 100).
MAX_CELLS = 2000
#: Most characters of code, all code cells together, that the grader runs.
MAX_CODE_CHARS = 2_000_000


class CannotGrade(Exception):
    """The path is not a gradable notebook (missing, not JSON, malformed, unknown assignment)."""


def read_submission(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, read once; ``CannotGrade`` if it is not a well-formed one.

    Only a regular file is read (a link, FIFO or device is refused, never opened for
    reading), at most :data:`MAX_NOTEBOOK_BYTES`; a notebook with more than
    :data:`MAX_CELLS` cells or :data:`MAX_CODE_CHARS` characters of code is refused before
    anything runs.
    """
    try:
        data = safe_files.read_bytes(path, MAX_NOTEBOOK_BYTES)
    except FileNotFoundError:
        raise CannotGrade(f"{path} does not exist") from None
    except safe_files.NotRegular as exc:
        raise CannotGrade(f"{path} is not a notebook file: {exc}") from None
    except OSError as exc:
        raise CannotGrade(f"{path} could not be read ({type(exc).__name__})") from None
    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CannotGrade(f"{path} is not a readable notebook ({type(exc).__name__})") from exc
    check_structure(raw, path)
    check_size(raw, path)
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many kinds for odd files
        raise CannotGrade(f"{path} is not a readable notebook ({type(exc).__name__})") from exc


def check_size(raw: dict, path: Path) -> None:
    """Raise ``CannotGrade`` for a notebook too large to grade: more than :data:`MAX_CELLS`
    cells, or code cells holding more than :data:`MAX_CODE_CHARS` characters together."""
    if len(raw["cells"]) > MAX_CELLS:
        raise CannotGrade(
            f"{path} has {len(raw['cells'])} cells, more than the {MAX_CELLS} the grader runs"
        )
    code = sum(
        len(c.get("source", "")) if isinstance(c.get("source"), str) else sum(map(len, c["source"]))
        for c in raw["cells"]
        if c.get("cell_type") == "code"
    )
    if code > MAX_CODE_CHARS:
        raise CannotGrade(
            f"{path} has {code} characters of code, more than the {MAX_CODE_CHARS} the grader runs"
        )


def check_structure(raw: Any, path: Path) -> None:
    """Raise ``CannotGrade`` naming the first part of ``raw`` that is not a notebook's."""

    def bad(what: str) -> CannotGrade:
        return CannotGrade(f"{path} is not a well-formed notebook: {what}")

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise bad("it has no list of cells")
    if not isinstance(raw.get("metadata", {}), dict):
        raise bad("its metadata is not a JSON object")
    for i, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict):
            raise bad(f"cell {i} is a {type(cell).__name__}, not a JSON object")
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise bad(f"cell {i} has cell_type {str(kind)[:40]!r}")
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(s, str) for s in source)
        ):
            raise bad(f"cell {i}'s source is a {type(source).__name__}, not text")
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict):
            raise bad(f"cell {i}'s metadata is not a JSON object")
        if not isinstance(metadata.get("nbgrader", {}), dict):
            raise bad(f"cell {i}'s metadata.nbgrader is not a JSON object")
        if not isinstance(metadata.get("nbgrader", {}).get("grade_id", ""), str):
            raise bad(f"cell {i}'s metadata.nbgrader.grade_id is not text")


def detect(nb: nbformat.NotebookNode) -> str | None:
    """The assignment the notebook's content answers: its answer cells' ``grade_id``, else the
    ``course_lib.homework.hwNN`` module it imports; None when that is not one assignment."""
    ids = {str(cell.metadata.get("nbgrader", {}).get("grade_id", "")) for cell in nb.cells}
    names = {m.group(1) for i in ids if (m := re.match(r"(hw\d\d)-", i))}
    if not names:  # e.g. a solution notebook: look for `from course_lib.homework.hw01 ...`
        code = "\n".join(code_cells(nb))
        names = set(re.findall(r"course_lib\.homework\.(hw\d\d)\b", code))
    return names.pop() if len(names) == 1 else None


def identify(nb: nbformat.NotebookNode, path: Path, assignment: str | None) -> Assignment:
    """Which assignment ``nb`` is graded as: ``assignment`` if given, else :func:`detect`,
    else the file name; ``CannotGrade`` when none says."""
    if assignment is None:
        assignment = detect(nb) or assignment_from_filename(path.name)
    if assignment is None:
        raise CannotGrade(f"cannot tell which assignment {path} is; pass --assignment")
    try:
        return load_assignment(assignment)
    except ValueError as exc:
        raise CannotGrade(str(exc)) from exc


#: One self-check call: ``check("q1", affine_backward)``. Matched against one statement at a
#: time (no repetition inside the pattern), so the time is linear in the cell's length.
_CHECK_CALL = re.compile(r"""check\(\s*["']q\d+["']\s*,\s*\w+\s*\)""")


def is_self_check_cell(source: str) -> bool:
    """True for a cell holding nothing but ``check(...)`` calls (one per statement)."""
    statements = [s.strip() for line in source.splitlines() for s in line.split(";")]
    calls = [s for s in statements if s]
    return bool(calls) and all(_CHECK_CALL.fullmatch(s) for s in calls)


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The submission's non-empty code cells, without the cells that only call ``check``
    (they only print; the runner runs its own checks)."""
    return [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code" and cell.source.strip() and not is_self_check_cell(cell.source)
    ]


def first_line(code: str) -> str:
    """The first line of a cell, capped: how reports point at a cell."""
    return truncate(code.strip().splitlines()[0], 120)
