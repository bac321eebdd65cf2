"""The grader's feedback and gradebook end to end: real kernels, a small hw01 and hw05 batch.

Attacks on the feedback that worked before issue 15: a 5 MB exception message went into
the JSON as is; the table cut messages at 90 characters; a written answer was neither
listed nor graded; the JSON did not say whose submission or which assignment it was.

Attacks that worked before issue 26 (item 3) and issue 27: the feedback of a hidden case
showed its input, the expected output and the text the student's code printed, so a first
submission could read the hidden cases and a second replay them; memorised public outputs
earned the public share of every question. Now the report of a hidden case gives its kind,
its verdict and the mistake, the grade counts hidden cases only, and each result records
the seed its cases came from. The batch also holds a correct Q4 on top of a wrong Q1: the
grader's stand-ins give it full marks (issue 27, cascades).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import nbformat
import pytest

from course_lib.homework import load_assignment
from course_tools.grading import instructor
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


#: Mallory's functions print their input and put it into the exception they raise.
PROBE = """
MARKER = "PRINTED-BY-MALLORY"
def _leak(*args):
    print(MARKER, [getattr(a, "tolist", lambda: a)() for a in args])
    raise ValueError(f"{MARKER} {[getattr(a, 'tolist', lambda: a)() for a in args]}")
def affine_backward(dout, x, W):
    return _leak(dout, x, W)
def relu_backward(dout, x):
    return _leak(dout, x)
def silu_backward(dout, x):
    return _leak(dout, x)
"""

#: Trudy replays what she can know: the public cases' outputs, which her package holds.
REPLAY = """
import numpy as np
from course_lib.homework import stored
_known = stored.load("hw01")
def _replay(key, first):
    for answer in _known[key]["answers"]:
        output = answer["expected"]
        if np.shape(output[0] if isinstance(output, tuple) else output) == np.shape(first):
            return output
    return _known[key]["answers"][0]["expected"]
def affine_backward(dout, x, W):
    return _replay("q1", x)
def relu_backward(dout, x):
    return _replay("q2", x)
def silu_backward(dout, x):
    return _replay("q7", x)
"""

#: Carol's Q1 averages db; her Q4 is the solution's: the grader must not blame Q4.
CASCADE = """
def affine_backward(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("hw01")
    nbformat.write(_alice(), folder / "alice_hw01.ipynb")
    nbformat.write(nbformat.read(HW01, as_version=4), folder / "bob_hw01.ipynb")
    for student, code in (("mallory", PROBE), ("trudy", REPLAY)):
        nb = nbformat.read(HW01, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(code))
        if student == "mallory":  # a cell could raise whatever it read while it ran
            nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError(MARKER + '-CELL')"))
        nbformat.write(nb, folder / f"{student}_hw01.ipynb")
    carol = nbformat.read(HW01, as_version=4)
    _cell(carol, "hw01-answer-4").source = _solution_of("hw01-answer-4")
    carol.cells.append(nbformat.v4.new_code_cell(CASCADE))
    nbformat.write(carol, folder / "carol_hw01.ipynb")
    out = tmp_path_factory.mktemp("out")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status, by_student = _grade(
            folder, out / "s.json", "--assignment", "hw01", "--csv", str(out / "g.csv")
        )
    return {"status": status, "by_student": by_student, "out": out, "printed": printed.getvalue()}


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
    assert set(graded["by_student"]) == {"alice", "bob", "carol", "mallory", "trudy"}
    assert {s["assignment"] for s in graded["by_student"].values()} == {"hw01"}
    assert {s["assignment"] for s in written["by_student"].values()} == {"hw05"}


def test_a_five_megabyte_exception_is_capped_in_the_json(graded):
    alice = graded["by_student"]["alice"]
    q1 = next(q for q in alice["questions"] if q["name"] == "q1")
    assert q1["status"] == "error" and "raised ValueError" in q1["message"]
    assert "xxx" not in q1["message"]  # a hidden case's report shows no text of the student's
    detail = q1["cases"][0]["detail"]  # the instructor's copy, for appeals: capped
    assert "ValueError: xxx" in detail and len(detail) <= 500 and detail.endswith("(truncated)")
    assert alice["cell_errors"] and all(len(e) <= 300 for e in alice["cell_errors"])
    assert "RuntimeError: yyy" in alice["cell_errors"][0]
    assert (graded["out"] / "s.json").stat().st_size < 50_000


def test_gradebook_has_a_row_per_student_and_a_column_per_question(graded):
    with (graded["out"] / "g.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol", "mallory", "trudy"]
    alice, bob = rows[:2]
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


def _hidden_inputs(key: str) -> list[str]:
    """A few entries of the hidden inputs of hw01's question ``key``, as a report would
    print them (4 decimals)."""
    spec = load_assignment("hw01")
    secrets = instructor.load(instructor.default_dir())
    cases = instructor.grading_cases(spec, spec.question(key), secrets)
    return [f"{v:.4f}" for case in cases for arg in case.args[:2] for v in arg.ravel()[:3]]


def test_the_report_of_a_hidden_case_carries_no_input_and_no_printed_text(graded):
    mallory = graded["by_student"]["mallory"]
    reported = json.dumps(mallory["questions"]) + graded["printed"]
    assert "PRINTED-BY-MALLORY" in json.dumps(mallory["questions"])  # kept for appeals ...
    shown = json.dumps([q["message"] for q in mallory["questions"]]) + graded["printed"]
    assert "PRINTED-BY-MALLORY" not in shown  # ... but never in the feedback
    for key in ("q1", "q2", "q7"):
        question = next(q for q in mallory["questions"] if q["name"] == key)
        assert question["score"] == 0 and "raised ValueError" in question["message"]
        for value in _hidden_inputs(key):
            assert value not in shown, (key, value)
    assert "input    dout" not in graded["printed"].split("mallory")[-1].split("trudy")[0]
    assert any("PRINTED-BY-MALLORY-CELL" in e for e in mallory["cell_errors"])  # the JSON's
    assert "cell error: RuntimeError at `raise RuntimeError" in graded["printed"]
    assert reported  # the JSON itself is written


def test_memorised_public_outputs_earn_no_points(graded):
    trudy = graded["by_student"]["trudy"]
    for key in ("q1", "q2", "q7"):
        question = next(q for q in trudy["questions"] if q["name"] == key)
        assert question["score"] == 0, question


def test_each_result_records_the_seed_of_its_hidden_cases(graded):
    secrets = instructor.load(instructor.default_dir())
    for question in graded["by_student"]["bob"]["questions"]:
        seed = instructor.case_seed(secrets, "hw01", question["name"])
        assert question["seed"] == seed, question


def test_a_correct_q4_keeps_its_points_in_the_grader_when_q1_is_wrong(graded):
    carol = {q["name"]: q for q in graded["by_student"]["carol"]["questions"]}
    assert carol["q1"]["score"] == 0 and "your db is the mean of dout" in carol["q1"]["message"]
    assert carol["q4"]["score"] == carol["q4"]["max_score"] == 3, carol["q4"]["message"]
