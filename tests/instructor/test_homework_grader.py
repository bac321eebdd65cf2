"""The grader end to end: real kernels, a folder of crafted submissions, the command line.

One module-scoped run grades a folder in parallel; the tests read its JSON report.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.homework.messages import catalogue
from course_tools.homework_cli import main
from tests.notebook_files import ROOT

SOLUTION = ROOT / "homework" / "solutions" / "hw01_backprop.ipynb"
STUDENT = ROOT / "homework" / "hw01_backprop.ipynb"
CHINESE = ROOT / "homework" / "zh" / "hw01_backprop.ipynb"
#: Seconds per cell and per check: room for the setup cell's imports (matplotlib) and Q8's
#: training on a loaded machine, short enough for the cells that loop forever.
TIMEOUT = "6"


def _answer_index(nb: nbformat.NotebookNode, k: int) -> int:
    """Index of the cell whose grade_id is hw01-answer-k."""
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"hw01-answer-{k}":
            return i
    raise LookupError(k)


def _student_with(answers: dict[int, str]) -> nbformat.NotebookNode:
    """The unfilled student notebook with answer cell k replaced by ``answers[k]``."""
    nb = nbformat.read(STUDENT, as_version=4)
    for k, source in answers.items():
        nb.cells[_answer_index(nb, k)].source = source
    return nb


def _solution_answer(k: int) -> str:
    student = nbformat.read(STUDENT, as_version=4)
    return nbformat.read(SOLUTION, as_version=4).cells[_answer_index(student, k)].source


STUBBORN_LOOP = """
import time
def sin(x):
    while True:
        try:
            time.sleep(0.05)
        except BaseException:
            pass
"""

TAMPERING = """
import course_lib.homework.assignment as assignment
import course_lib.homework.checking as checking
checking.run_student = lambda question, fn, cases: [checking.Outcome("returned", None)] * len(cases)
checking.compare = lambda *args, **kwargs: None
checking.score = lambda *args, **kwargs: None
assignment.REGISTRY.clear()
def check(*args):
    print("all cases passed")
"""


DB_AVERAGED = """
def affine_backward(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
"""


def _submissions() -> dict[str, nbformat.NotebookNode | str]:
    solution = nbformat.read(SOLUTION, as_version=4)
    failures = _student_with(
        {
            1: "def affine_backward(dout, x, W):\n    raise ValueError('boom')",
            2: "def relu_backward(dout, x):\n    while True:\n        pass",
            3: "def softmax_loss(scores, y) return 1",
            5: STUBBORN_LOOP,
            6: _solution_answer(6),
        }
    )
    failures.cells.insert(2, nbformat.v4.new_code_cell("while True:\n    pass"))
    tampered = _student_with({})
    tampered.cells = [c for c in tampered.cells if not c.source.startswith("check(")]
    tampered.cells.append(nbformat.v4.new_code_cell(TAMPERING))
    deleted = copy.deepcopy(solution)
    deleted.cells = [
        c for c in deleted.cells if c.cell_type == "code" and not c.source.startswith("check(")
    ]
    chinese = nbformat.read(CHINESE, as_version=4)  # STUDENT's cells, text in Chinese
    for cell in chinese.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):  # grade_id hw01-answer-k
            cell.source = _solution_answer(int(cell.metadata.nbgrader.grade_id.split("-")[-1]))
    chinese_planted = nbformat.read(CHINESE, as_version=4)  # Q1 averages the bias gradient
    chinese_planted.cells[_answer_index(chinese_planted, 1)].source = DB_AVERAGED
    return {
        "solution.ipynb": solution,
        "chinese_solved.ipynb": chinese,
        "chinese_planted.ipynb": chinese_planted,
        "unfilled.ipynb": _student_with({}),
        "one_solved.ipynb": _student_with({2: _solution_answer(2)}),
        "failures.ipynb": failures,
        "tampered.ipynb": tampered,
        "deleted_cells.ipynb": deleted,
        "not_a_notebook.ipynb": "this is not JSON",
    }


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("submissions")
    for name, nb in _submissions().items():
        text = nb if isinstance(nb, str) else nbformat.writes(nb)
        (folder / name).write_text(text, encoding="utf-8")
    before = _digests(folder)
    report = tmp_path_factory.mktemp("report") / "scores.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(
            ["grade", str(folder), "--timeout", TIMEOUT, "--json", str(report), "--jobs", "2"]
        )
    data = json.loads(report.read_text())
    by_name = {Path(s["path"]).name: s for s in data["submissions"]}
    tables = {Path(t.split("\n", 1)[0]).name: t for t in printed.getvalue().split("\n\n")}
    return {
        "status": status,
        "by_name": by_name,
        "tables": tables,
        "before": before,
        "after": _digests(folder),
    }


def _statuses(submission: dict) -> dict[str, str]:
    return {q["name"]: q["status"] for q in submission["questions"]}


def test_solution_gets_full_marks(graded):
    s = graded["by_name"]["solution.ipynb"]
    assert s["score"] == s["max_score"] == 14
    assert set(_statuses(s).values()) == {"passed"}


def test_the_chinese_student_notebook_with_the_answers_filled_in_gets_full_marks(graded):
    s = graded["by_name"]["chinese_solved.ipynb"]
    assert s["score"] == s["max_score"] == 14
    assert set(_statuses(s).values()) == {"passed"}


def test_the_grader_reports_a_chinese_notebook_in_chinese(graded):
    zh, en = catalogue("zh"), catalogue("en")
    s = graded["by_name"]["chinese_planted.ipynb"]
    assert s["language"] == "zh" and s["questions"][0]["mistake"] == "db-averaged"
    assert s["score"] == 0
    table = graded["tables"]["chinese_planted.ipynb"].splitlines()
    assert table[1].split() == ["题目", "函数", "得分", "状态", "说明"]
    assert table[2].split()[:4] == ["q1", "affine_backward", "0/2", "未通过"]
    text = "\n".join(table)
    assert "".join(zh["hw01.q1.db-averaged"].split()) in "".join(text.split())  # wrapped
    assert "提示：" + zh["hw01.q1.hint"] in text and "未实现" in text
    assert "总分 0/14" in text and "total" not in text and "hint" not in text
    english = graded["tables"]["unfilled.ipynb"]
    assert "question" in english and "total 0/14" in english and "题目" not in english
    assert graded["by_name"]["unfilled.ipynb"]["language"] == "en"
    assert en["hw01.q1.db-averaged"] not in text


def test_unfilled_student_notebook_gets_zero_with_not_implemented(graded):
    s = graded["by_name"]["unfilled.ipynb"]
    assert s["score"] == 0 and s["max_score"] == 14
    assert set(_statuses(s).values()) == {"not implemented"}
    # The notebook shows one line for a cell that uses an unanswered function, but the cell
    # still failed, and the grader says so.
    assert s["cell_errors"] and all("NotImplementedError" in e for e in s["cell_errors"])


def test_one_solved_question_gets_its_points_only(graded):
    s = graded["by_name"]["one_solved.ipynb"]
    assert s["score"] == 1
    assert _statuses(s)["q2"] == "passed"
    assert [v for k, v in _statuses(s).items() if k != "q2"] == ["not implemented"] * 7


def test_raising_looping_and_broken_answers_fail_one_by_one(graded):
    s = graded["by_name"]["failures.ipynb"]
    statuses = _statuses(s)
    messages = {q["name"]: q["message"] for q in s["questions"]}
    assert statuses == {
        "q1": "error",
        "q2": "timeout",
        "q3": "missing",
        "q4": "not implemented",
        "q5": "timeout",
        "q6": "passed",
        "q7": "not implemented",
        "q8": "not implemented",
    }
    assert "raised ValueError" in messages["q1"] and "boom" not in messages["q1"]
    assert f"{float(TIMEOUT):g} s limit" in messages["q2"]
    assert "SyntaxError" in messages["q3"]
    assert s["score"] == 1  # q6 still graded after the kernel that ignored interrupts


def test_tampering_and_deleted_check_cells_cannot_raise_the_score(graded):
    tampered = graded["by_name"]["tampered.ipynb"]
    assert tampered["score"] == 0
    assert set(_statuses(tampered).values()) == {"not implemented"}
    assert graded["by_name"]["deleted_cells.ipynb"]["score"] == 14


def test_unreadable_file_is_reported_and_the_exit_status_is_2(graded):
    s = graded["by_name"]["not_a_notebook.ipynb"]
    assert "not a readable notebook" in s["error"]
    assert s["questions"] == []
    assert graded["status"] == 2


def test_grading_never_modifies_a_submission(graded):
    assert graded["after"] == graded["before"]


def test_json_report_has_the_documented_fields(graded):
    for s in graded["by_name"].values():
        assert {"path", "score", "max_score", "questions"} <= set(s)
        assert s.get("language", "en") in ("en", "zh")
        for q in s["questions"]:
            assert set(q) == {
                "name",
                "score",
                "max_score",
                "status",
                "message",
                "seed",
                "mistake",
                "cases",
            }


def _cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "course_lib.homework", "grade", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_command_line_exit_status_is_0_for_the_solution_and_1_for_the_unfilled_notebook():
    solved, unfilled = _cli(str(SOLUTION)), _cli(str(STUDENT))
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "total 14/14" in solved.stdout
    assert unfilled.returncode == 1, unfilled.stdout + unfilled.stderr
    assert "total 0/14" in unfilled.stdout and "not implemented" in unfilled.stdout
    for self_graded in (solved, unfilled):  # the student's self-grade: public cases only
        assert "preview on public cases" in self_graded.stdout.splitlines()[0]


def test_the_self_grade_of_a_chinese_notebook_is_chinese(tmp_path):
    zh = catalogue("zh")
    planted = tmp_path / "chinese_planted.ipynb"
    nb = nbformat.read(CHINESE, as_version=4)
    nb.cells[_answer_index(nb, 1)].source = DB_AVERAGED
    nbformat.write(nb, planted)
    result = _cli(str(planted))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{planted} — {zh['grade.preview']}"
    assert lines[1].split() == ["题目", "函数", "得分", "状态", "说明"]
    assert "提示：" + zh["hw01.q1.hint"] in result.stdout and "总分 0/14" in result.stdout


def test_command_line_exit_status_is_2_for_a_missing_path(tmp_path):
    result = _cli(str(tmp_path / "nothing.ipynb"))
    assert result.returncode == 2
    assert "could not grade" in result.stdout
