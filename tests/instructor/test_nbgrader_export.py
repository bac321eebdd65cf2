"""The nbgrader export, and a round trip through the real nbgrader for hw01.

Before issue 15, nbgrader's ``generate_assignment`` failed on our solutions ("Solution region
detected in a non-solution cell") and, with the student notebook's metadata, ``autograde``
gave every student 0/0 (no test cell carried points; ``check()`` prints and never raises).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from tests.instructor import require

require("nbgrader")

from course_lib.homework import REGISTRY, load_assignment
from course_tools.grading.nbgrader_export import export, source_notebook
from course_tools.homework_cli import main as grade_main
from tests.notebook_files import ROOT

SOLUTIONS = ROOT / "homework" / "solutions"
HW01 = load_assignment("hw01")


def _nbgrader_cells(nb: nbformat.NotebookNode) -> list[dict]:
    return [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_source_notebook_has_solution_written_and_test_cells_worth_the_points(name):
    assignment = load_assignment(name)
    solution = nbformat.read(SOLUTIONS / f"{assignment.notebook}.ipynb", as_version=4)
    nb = source_notebook(solution, assignment)
    meta = _nbgrader_cells(nb)
    tests = [m for m in meta if m["grade"] and not m["solution"]]
    manual = [m for m in meta if m["grade"] and m["solution"]]
    answers = [m for m in meta if m["solution"] and not m["grade"]]
    assert sum(m["points"] for m in tests) == pytest.approx(assignment.max_score)
    assert len(tests) == sum(len(q.make_cases()) for q in assignment.questions)
    assert all(m["locked"] for m in tests)
    assert [(m["grade_id"], m["points"]) for m in manual] == [
        (w.grade_id, w.points) for w in assignment.written
    ]
    assert answers and all(m["grade_id"].startswith(f"{name}-answer-") for m in answers)
    assert len({m["grade_id"] for m in meta}) == len(meta)
    assert not any(c.source.startswith("check(") for c in nb.cells)
    nbformat.validate(nb)


def test_assert_case_passes_silently_and_raises_the_diagnosis_on_a_failing_case():
    namespace: dict = {}
    solution = nbformat.read(SOLUTIONS / "hw01_backprop.ipynb", as_version=4)
    for cell in solution.cells:
        if cell.cell_type == "code" and "def relu_backward" in cell.source:
            exec(cell.source, namespace)
    relu = namespace["relu_backward"]

    def noisy(dout, x):
        warnings.warn("a student's warning", RuntimeWarning, stacklevel=1)
        return relu(dout, x)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning reaching stderr would cost the points
        assert HW01.assert_case("q2", 0, relu) is None
        assert HW01.assert_case("q2", 0, noisy) is None
    with pytest.raises(AssertionError, match="exactly 0: your dx lets the gradient through"):
        HW01.assert_case("q2", 0, lambda d, x: d * (x >= 0))

    def stub(*args):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not implemented"):
        HW01.assert_case("q2", 1, stub)
    with pytest.raises(ValueError, match="index must be in"):
        HW01.assert_case("q2", 3, relu)


# ----- the round trip through the real nbgrader -----------------------------------------

SLIPPED_AFFINE = """def affine_backward(dout, x, W):
    dW = x.T @ dout
    if x.shape[0] == 1:
        dW = dW + 0.01  # the slip: only the single-example case is wrong (and it is no
                        # mistake the check knows, which would cost the whole question)
    return dout @ W.T, dW, dout.sum(axis=0)
"""


def _nbgrader(course: Path, *args: str) -> None:
    """Run nbgrader in ``course`` with this environment's executables first on PATH."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _answer_cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell


def _partly_solved(release: nbformat.NotebookNode, source: nbformat.NotebookNode):
    """The release with q2 and q3 solved and q1 slipping on one of its three cases."""
    nb = nbformat.from_dict(release)
    for grade_id in ("hw01-answer-2", "hw01-answer-3"):
        _answer_cell(nb, grade_id).source = _answer_cell(source, grade_id).source
    _answer_cell(nb, "hw01-answer-1").source = SLIPPED_AFFINE
    return nb


def test_nbgrader_round_trip_gives_the_graders_scores(tmp_path):
    course = tmp_path / "course"
    export(course, SOLUTIONS, ["hw01"])
    _nbgrader(course, "generate_assignment", "hw01")
    release_path = course / "release" / "hw01" / "hw01_backprop.ipynb"
    release = nbformat.read(release_path, as_version=4)
    source = nbformat.read(course / "source" / "hw01" / "hw01_backprop.ipynb", as_version=4)
    partial = _partly_solved(release, source)
    for student, nb in [("solution", source), ("blank", release), ("partial", partial)]:
        folder = course / "submitted" / student / "hw01"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "hw01_backprop.ipynb")
    _nbgrader(course, "autograde", "hw01")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "dl-fundamentals") as gb:
        scores = {
            s: gb.find_submission_notebook("hw01_backprop", "hw01", s).code_score
            for s in ("solution", "blank", "partial")
        }
        max_code = gb.find_submission_notebook("hw01_backprop", "hw01", "blank").max_code_score
    assert max_code == pytest.approx(14)
    assert scores["solution"] == pytest.approx(14)
    assert scores["blank"] == 0

    # Our grader on the same partly solved notebook (the nbgrader version of it).
    submission = tmp_path / "partial_hw01.ipynb"
    nbformat.write(partial, submission)
    report = tmp_path / "scores.json"
    grade_main(["grade", str(submission), "--assignment", "hw01", "--json", str(report)])
    (ours,) = json.loads(report.read_text())["submissions"]
    by_question = {q["name"]: q["score"] for q in ours["questions"]}
    assert by_question["q1"] == pytest.approx(4 / 3)
    assert ours["score"] == pytest.approx(4 / 3 + 1 + 2)
    assert scores["partial"] == pytest.approx(ours["score"])
