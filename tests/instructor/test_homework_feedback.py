"""The grader's feedback and gradebook end to end: real kernels, a small hw01 and hw05 batch.

Attacks on the feedback that worked before issue 15: a 5 MB exception message went into
the JSON as is; the table cut messages at 90 characters; a written answer was neither
listed nor graded; the JSON did not say whose submission or which assignment it was.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from course_tools.homework_cli import main
from tests.notebook_files import ROOT

HW01 = ROOT / "homework" / "hw01_backprop.ipynb"
HW01_SOLUTION = ROOT / "homework" / "solutions" / "hw01_backprop.ipynb"
HW05 = ROOT / "homework" / "hw05_classification.ipynb"
WRITTEN = "Saturated softmax: p(1 - p) is tiny.\n<script>alert('x')</script>"
HUGE = 5_000_000

#: The gradebook header of hw01: who, what, totals, then one column per question.
HEADER = ["student", "assignment", "total", "max_total"] + [f"q{k}" for k in range(1, 9)] + ["w1"]


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell


def _solution_of(grade_id: str) -> str:
    """The solution's answer cell ``grade_id``, without the markers."""
    student = nbformat.read(HW01, as_version=4)
    index = student.cells.index(_cell(student, grade_id))
    source = nbformat.read(HW01_SOLUTION, as_version=4).cells[index].source
    return "\n".join(line for line in source.splitlines() if "### " not in line)


def _alice() -> nbformat.NotebookNode:
    """hw01 with q2 solved, q1 raising a 5 MB exception and a cell raising one too."""
    nb = nbformat.read(HW01, as_version=4)
    _cell(nb, "hw01-answer-2").source = _solution_of("hw01-answer-2")
    _cell(
        nb, "hw01-answer-1"
    ).source = f"def affine_backward(dout, x, W):\n    raise ValueError('x' * {HUGE})"
    nb.cells.insert(2, nbformat.v4.new_code_cell(f"raise RuntimeError('y' * {HUGE})"))
    return nb


def _grade(folder: Path, out: Path, *options: str) -> tuple[int, dict]:
    args = ["grade", str(folder), "--jobs", "2", "--timeout", "20", "--json", str(out)]
    status = main([*args, *options])
    data = json.loads(out.read_text())
    return status, {s["student"]: s for s in data["submissions"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("hw01")
    nbformat.write(_alice(), folder / "alice_hw01.ipynb")
    nbformat.write(nbformat.read(HW01, as_version=4), folder / "bob_hw01.ipynb")
    out = tmp_path_factory.mktemp("out")
    status, by_student = _grade(
        folder, out / "s.json", "--assignment", "hw01", "--csv", str(out / "g.csv")
    )
    return {"status": status, "by_student": by_student, "out": out}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("hw05")
    alice = nbformat.read(HW05, as_version=4)
    _cell(alice, "hw05-answer-6").source = WRITTEN
    nbformat.write(alice, folder / "alice_hw05.ipynb")
    nbformat.write(nbformat.read(HW05, as_version=4), folder / "bob_hw05.ipynb")
    out = tmp_path_factory.mktemp("out")
    (out / "manual.csv").write_text("student,question,points\nalice,w1,1.5\n", encoding="utf-8")
    options = ["--csv", str(out / "g.csv"), "--review", str(out / "r.html")]
    status, by_student = _grade(
        folder,
        out / "s.json",
        "--assignment",
        "hw05",
        *options,
        "--manual",
        str(out / "manual.csv"),
    )
    return {"status": status, "by_student": by_student, "out": out, "folder": folder}


def test_json_names_the_student_and_the_graded_assignment(graded, written):
    assert set(graded["by_student"]) == {"alice", "bob"}
    assert {s["assignment"] for s in graded["by_student"].values()} == {"hw01"}
    assert {s["assignment"] for s in written["by_student"].values()} == {"hw05"}


def test_a_five_megabyte_exception_is_capped_in_the_json(graded):
    alice = graded["by_student"]["alice"]
    q1 = next(q for q in alice["questions"] if q["name"] == "q1")
    assert q1["status"] == "error" and "ValueError: xxx" in q1["message"]
    assert len(q1["message"]) <= 2000 and q1["message"].endswith("… (truncated)")
    assert alice["cell_errors"] and all(len(e) <= 300 for e in alice["cell_errors"])
    assert "RuntimeError: yyy" in alice["cell_errors"][0]
    assert (graded["out"] / "s.json").stat().st_size < 50_000


def test_gradebook_has_a_row_per_student_and_a_column_per_question(graded):
    with (graded["out"] / "g.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == ["alice", "bob"]
    alice, bob = rows
    assert list(alice) == HEADER
    assert (alice["assignment"], alice["q1"], alice["q2"], alice["total"]) == (
        "hw01",
        "0",
        "1",
        "1",
    )
    assert alice["max_total"] == "16" and bob["total"] == "0"


def test_manual_scores_merge_into_the_gradebook_and_the_json(written):
    with (written["out"] / "g.csv").open(encoding="utf-8") as f:
        alice, bob = list(csv.DictReader(f))
    auto = sum(float(alice[q]) for q in ("q1", "q2", "q3", "q4", "q5"))
    assert alice["w1"] == "1.5" and float(alice["total"]) == pytest.approx(auto + 1.5)
    assert alice["max_total"] == "13" and bob["w1"] == ""
    merged = written["by_student"]["alice"]
    assert merged["written"] == [{"name": "w1", "score": 1.5, "max_score": 2.0}]
    assert merged["total"] == pytest.approx(merged["score"] + 1.5)


def test_review_file_lists_each_written_answer_escaped(written):
    page = (written["out"] / "r.html").read_text(encoding="utf-8")
    assert "Saturated softmax: p(1 - p) is tiny." in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    bob = page.index("<h3>bob</h3>")
    assert "(no answer)" in page[bob:]


def test_an_unknown_student_in_the_manual_scores_is_a_clear_error(written, tmp_path, capsys):
    manual = tmp_path / "manual.csv"
    manual.write_text("student,question,points\nbob,w1,1\nmallory,w1,2\n", encoding="utf-8")
    one = str(written["folder"] / "bob_hw05.ipynb")
    status = main(["grade", one, "--csv", str(tmp_path / "g.csv"), "--manual", str(manual)])
    assert status == 2
    assert "row 3: unknown student 'mallory'" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()
