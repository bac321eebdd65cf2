"""Export the homework as an nbgrader course: for a class that outgrows one machine.

``python -m course_tools export-nbgrader DEST`` writes::

    DEST/nbgrader_config.py
    DEST/source/hw01/hw01_backprop.ipynb     one per assignment, from its solution
    ...

Each source notebook is the solution notebook with nbgrader's cell metadata:

- a code cell holding ``### BEGIN SOLUTION`` … ``### END SOLUTION`` is a solution cell
  (``solution: true``, ``grade_id`` ``hwNN-answer-K``, numbered as in the student notebook);
- a markdown cell holding a solution region is a written answer, graded by hand
  (``grade: true, solution: true``, ``points`` from the assignment's ``WrittenQuestion``);
- a cell that only calls ``check(...)`` is replaced by autograded test cells, one per case
  of each question it checks (``grade: true, locked: true``, ``grade_id``
  ``hwNN-qK-case-J``, ``points`` = the case's share of the question). Each calls
  :meth:`~course_lib.homework.assignment.Assignment.assert_case`, which raises
  ``AssertionError`` when its case fails, so nbgrader's score equals the grader's partial
  credit on the public cases.

Then, in ``DEST`` (an nbgrader course folder with its own ``gradebook.db``)::

    nbgrader generate_assignment hw01       # -> release/hw01/, the student version
    nbgrader autograde hw01                 # grades submitted/<student>/hw01/*.ipynb

The machines that run nbgrader need this repository installed (``pip install -e .``):
the test cells import ``course_lib.homework``.
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import nbformat

from course_lib.homework.assignment import REGISTRY, Assignment, load_assignment
from course_lib.homework.checking import case_points
from course_tools.generate import solution_regions

#: A cell of nothing but self-check calls, e.g. ``check("q1", affine_backward)``.
_CHECK_CALL = r"""\s*check\(\s*["'](q\d+)["']\s*,\s*\w+\s*\)\s*;?\s*"""
_CHECK_CELL = re.compile(rf"(?:{_CHECK_CALL})+")

CONFIG = '''"""nbgrader configuration of the course (python -m course_tools export-nbgrader)."""

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "{course_id}"
# The stubs the course's own generator writes, so both student versions read the same.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Seconds per cell when autograding (hw07 trains a small network).
c.Execute.timeout = 300
'''


def _metadata(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    data = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        data["points"] = points
    return data


def autograded_cells(assignment: Assignment, key: str) -> list[nbformat.NotebookNode]:
    """The autograded test cells of question ``key``: one per case, worth its share."""
    question = assignment.question(key)
    cases = question.make_cases()
    cells = []
    for index, (case, share) in enumerate(
        zip(cases, case_points(question.points, cases), strict=True)
    ):
        label = " ".join(case.label.split())  # one comment line whatever the label holds
        source = (
            f"# {key} {question.function}, case {index + 1} of {len(cases)}: {label} "
            f"({share:.3g} points)\n"
            f"from course_lib.homework.{assignment.name} import ASSIGNMENT as __assignment\n"
            f"__assignment.assert_case({key!r}, {index}, {question.function})"
        )
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"{assignment.name}-{key}-case-{index + 1}"
        cell.metadata["nbgrader"] = _metadata(
            cell.id, grade=True, solution=False, locked=True, points=share
        )
        cells.append(cell)
    return cells


def source_notebook(
    solution: nbformat.NotebookNode, assignment: Assignment
) -> nbformat.NotebookNode:
    """The nbgrader source version of ``solution`` (see the module docstring).

    Raises:
        ValueError: a markdown answer without a ``WrittenQuestion``, or a question that no
            check cell covers (its test cells would be missing).
    """
    written = {w.grade_id: w for w in assignment.written}
    cells: list[nbformat.NotebookNode] = []
    answers = 0
    tested: set[str] = set()
    for index, original in enumerate(solution.cells):
        cell = copy.deepcopy(original)
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if _CHECK_CELL.fullmatch(cell.source):
                for key in re.findall(_CHECK_CALL, cell.source):
                    cells.extend(autograded_cells(assignment, key))
                    tested.add(key)
                continue
        if solution_regions(cell.source, f"{assignment.notebook} cell {index}"):
            answers += 1
            grade_id = f"{assignment.name}-answer-{answers}"
            cell.id = grade_id
            if cell.cell_type == "markdown":
                if grade_id not in written:
                    raise ValueError(
                        f"{assignment.name}: markdown answer {grade_id} has no WrittenQuestion"
                    )
                points = float(written[grade_id].points)
                meta = _metadata(grade_id, grade=True, solution=True, locked=False, points=points)
            else:
                meta = _metadata(grade_id, grade=False, solution=True, locked=False)
            cell.metadata["nbgrader"] = meta
        cells.append(cell)
    untested = [q.key for q in assignment.questions if q.key not in tested]
    if untested:
        raise ValueError(f"{assignment.name}: no check cell for {', '.join(untested)}")
    nb = copy.deepcopy(solution)
    nb.cells = cells
    nb.metadata = {
        k: v for k, v in solution.metadata.items() if k in ("kernelspec", "language_info")
    }
    return nb


def export(
    dest: Path, solutions: Path, names: list[str] | None = None, course_id: str = "dl-fundamentals"
) -> list[Path]:
    """Write the nbgrader course folder ``dest``; return the files written.

    Args:
        dest: the course folder (created; existing source notebooks are overwritten).
        solutions: the folder of solution notebooks (``homework/solutions``).
        names: the assignments to export (default: all of them).
        course_id: nbgrader's ``CourseDirectory.course_id``.
    """
    written = []
    dest.mkdir(parents=True, exist_ok=True)
    config = dest / "nbgrader_config.py"
    config.write_text(CONFIG.format(course_id=course_id), encoding="utf-8")
    written.append(config)
    for name in names or sorted(REGISTRY):
        assignment = load_assignment(name)
        solution = nbformat.read(solutions / f"{assignment.notebook}.ipynb", as_version=4)
        target = dest / "source" / name / f"{assignment.notebook}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(solution, assignment), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m course_tools export-nbgrader DEST [--assignment hwNN ...]``."""
    from course_tools.course import ROOT

    parser = argparse.ArgumentParser(
        prog="python -m course_tools export-nbgrader",
        description="Write an nbgrader course folder (nbgrader_config.py, source/hwNN/*.ipynb).",
    )
    parser.add_argument("command", choices=["export-nbgrader"], help=argparse.SUPPRESS)
    parser.add_argument("dest", metavar="DEST", help="the nbgrader course folder to write")
    parser.add_argument(
        "--assignment", action="append", choices=sorted(REGISTRY), help="default: all of them"
    )
    parser.add_argument(
        "--solutions",
        default=str(ROOT / "homework" / "solutions"),
        help="folder of the solution notebooks (default: homework/solutions)",
    )
    args = parser.parse_args(argv)
    for path in export(Path(args.dest), Path(args.solutions), args.assignment):
        print(f"wrote: {path}")
    print(f"next: cd {args.dest} && nbgrader generate_assignment hw01")
    return 0
