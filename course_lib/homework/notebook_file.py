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
from course_lib.homework.messages import say
from course_lib.language import codes, source_language

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
        raise CannotGrade(say("notebook.does-not-exist", path=path)) from None
    except safe_files.NotRegular as exc:
        raise CannotGrade(say("notebook.not-a-file", path=path, error=exc)) from None
    except OSError as exc:
        error = type(exc).__name__
        raise CannotGrade(say("notebook.could-not-read", path=path, error=error)) from None
    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        error = type(exc).__name__
        raise CannotGrade(say("notebook.not-readable", path=path, error=error)) from exc
    check_structure(raw, path)
    check_size(raw, path)
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many kinds for odd files
        error = type(exc).__name__
        raise CannotGrade(say("notebook.not-readable", path=path, error=error)) from exc


def check_size(raw: dict, path: Path) -> None:
    """Raise ``CannotGrade`` for a notebook too large to grade: more than :data:`MAX_CELLS`
    cells, or code cells holding more than :data:`MAX_CODE_CHARS` characters together."""
    if len(raw["cells"]) > MAX_CELLS:
        cells = len(raw["cells"])
        raise CannotGrade(say("notebook.too-many-cells", path=path, cells=cells, limit=MAX_CELLS))
    code = sum(
        len(c.get("source", "")) if isinstance(c.get("source"), str) else sum(map(len, c["source"]))
        for c in raw["cells"]
        if c.get("cell_type") == "code"
    )
    if code > MAX_CODE_CHARS:
        limit = MAX_CODE_CHARS
        raise CannotGrade(say("notebook.too-much-code", path=path, chars=code, limit=limit))


def check_structure(raw: Any, path: Path) -> None:
    """Raise ``CannotGrade`` naming the first part of ``raw`` that is not a notebook's."""

    def bad(what: str, **params: object) -> CannotGrade:
        return CannotGrade(say("notebook.malformed", path=path, what=say(what, **params)))

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise bad("notebook.no-cells")
    if not isinstance(raw.get("metadata", {}), dict):
        raise bad("notebook.metadata")
    for i, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict):
            raise bad("notebook.cell-not-object", i=i, type=type(cell).__name__)
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise bad("notebook.cell-type", i=i, kind=repr(str(kind)[:40]))
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(s, str) for s in source)
        ):
            raise bad("notebook.source", i=i, type=type(source).__name__)
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict):
            raise bad("notebook.cell-metadata", i=i)
        if not isinstance(metadata.get("nbgrader", {}), dict):
            raise bad("notebook.nbgrader", i=i)
        if not isinstance(metadata.get("nbgrader", {}).get("grade_id", ""), str):
            raise bad("notebook.grade-id", i=i)


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
        raise CannotGrade(say("notebook.which-assignment", path=path))
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


def submission_language(nb: nbformat.NotebookNode) -> str:
    """The language a submission's report is written in: the code the translated edition
    recorded in the notebook's metadata (``metadata.course_edition.code``, ``"zh"``, written
    by ``python -m course_tools translate build``), else the course's source language. The
    metadata is the student's data: anything but a course language code means the source
    language."""
    edition = nb.metadata.get("course_edition")
    code = edition.get("code") if isinstance(edition, dict) else None
    return code if isinstance(code, str) and code in codes() else source_language()
