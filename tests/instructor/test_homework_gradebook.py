"""The gradebook CSV, the written answers' review file and the manual scores, without kernels.

Before issue 15 the JSON did not say whose submission or which assignment it was, there was
no gradebook, and written answers were neither listed nor graded.
"""

from __future__ import annotations

import csv
import io

import nbformat
import pytest

from course_lib.homework import REGISTRY, load_assignment
from course_tools.grading.gradebook import (
    batch_assignment,
    capped_cell_errors,
    gradebook_rows,
    student_name,
    to_csv,
)
from course_tools.grading.review import (
    MISSING_CELL,
    NO_ANSWER,
    format_review,
    merge_manual,
    read_manual,
    written_answers,
)
from tests.notebook_files import ROOT

HW01, HW05 = load_assignment("hw01"), load_assignment("hw05")

#: The gradebook header of hw01: who, what, totals, then one column per question.
HEADER = ["student", "assignment", "total", "max_total"] + [f"q{k}" for k in range(1, 9)] + ["w1"]


def _submission(path: str, scores: dict[str, float], assignment: str = "hw01") -> dict:
    """A submission in the grader's JSON form."""
    questions = [
        {"name": k, "score": v, "max_score": 2.0, "status": "failed", "message": ""}
        for k, v in scores.items()
    ]
    return {
        "path": path,
        "student": student_name(path),
        "assignment": assignment,
        "score": sum(scores.values()),
        "max_score": 10.0,
        "questions": questions,
        "cell_errors": [],
    }


@pytest.mark.parametrize(
    "path, student",
    [
        ("class/alice_hw01.ipynb", "alice"),
        ("bob_smith_hw03 (2).ipynb", "bob_smith"),
        ("carol_HW07_final.ipynb", "carol"),
        ("dave.ipynb", "dave"),
        ("hw01_backprop.ipynb", "hw01_backprop"),
    ],
)
def test_student_is_the_file_stem_without_its_hw_suffix(path, student):
    assert student_name(path) == student


def test_gradebook_has_one_row_per_student_and_a_column_per_question():
    rows = gradebook_rows(
        [
            _submission("alice_hw01.ipynb", {"q1": 4 / 3, "q2": 1, "q3": 2}),
            _submission("bob_hw01.ipynb", {"q1": 0}),
        ],
        HW01,
    )
    assert rows[0] == HEADER
    assert rows[1] == ["alice", "hw01", "4.33", "16", "1.33", "1", "2", "0", "0", "0", "0", "0", ""]
    assert rows[2][:5] == ["bob", "hw01", "0", "16", "0"]
    parsed = list(csv.reader(io.StringIO(to_csv(rows))))
    assert parsed == rows


def test_gradebook_refuses_two_submissions_of_one_student_and_another_assignment():
    with pytest.raises(ValueError, match="'alice' has two submissions"):
        gradebook_rows(
            [_submission("alice_hw01.ipynb", {}), _submission("alice_hw01 (2).ipynb", {})], HW01
        )
    with pytest.raises(ValueError, match="graded as hw03"):
        gradebook_rows([_submission("alice_hw03.ipynb", {}, "hw03")], HW01)
    with pytest.raises(ValueError, match="pass --assignment"):
        batch_assignment([_submission("a.ipynb", {}), _submission("b.ipynb", {}, "hw03")], None)
    assert batch_assignment([_submission("a.ipynb", {})], None).name == "hw01"


def test_cell_errors_in_the_json_are_few_and_short():
    capped = capped_cell_errors(["E" * 5_000_000] * 50)
    assert len(capped) == 11 and capped[-1] == "… and 40 more"
    assert all(len(line) <= 300 for line in capped)


# ----- written answers ------------------------------------------------------------------


def _student_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(
        ROOT / "homework" / f"{load_assignment(name).notebook}.ipynb", as_version=4
    )


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_markdown_answer_cell_is_a_written_question_with_points(name):
    assignment = load_assignment(name)
    markdown_answers = [
        c.metadata["nbgrader"]["grade_id"]
        for c in _student_notebook(name).cells
        if c.cell_type == "markdown" and "nbgrader" in c.metadata
    ]
    assert [w.grade_id for w in assignment.written] == markdown_answers
    assert all(w.points > 0 and w.prompt for w in assignment.written)
    assert len({w.key for w in assignment.written}) == len(assignment.written)


def _hw05_with_answer(text: str) -> nbformat.NotebookNode:
    nb = _student_notebook("hw05")
    (cell,) = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "hw05-answer-6"
    ]
    cell.source = text
    return nb


HOSTILE = "The Jacobian p(1 - p) is ~0.\n</pre><script>alert(1)</script>\n# Not a heading\n````\n"


def test_written_answers_are_read_from_the_answer_cell():
    assert written_answers(_hw05_with_answer(HOSTILE), HW05) == {"w1": HOSTILE.strip()}
    assert written_answers(_student_notebook("hw05"), HW05) == {"w1": ""}
    no_cell = _student_notebook("hw05")
    no_cell.cells = [c for c in no_cell.cells if c.cell_type == "code"]
    assert written_answers(no_cell, HW05) == {"w1": None}


def test_malformed_cells_are_skipped_not_raised_on():
    nb = _hw05_with_answer("fine")
    nb.cells.insert(0, {"cell_type": "markdown", "metadata": {"nbgrader": "oops"}, "source": 3})
    nb.cells.insert(0, {"cell_type": "markdown", "metadata": [], "source": ["a", 1]})
    assert written_answers(nb, HW05) == {"w1": "fine"}
    assert written_answers({"cells": "nope"}, HW05) == {"w1": None}


def test_review_file_escapes_answers_and_marks_missing_ones():
    entries = [
        ("alice", {"w1": HOSTILE.strip()}),
        ("bob", {"w1": ""}),
        ("carol_<b>", {"w1": None}),
    ]
    markdown = format_review(entries, HW05)
    assert "## w1 (2 points): Part C" in markdown
    assert "`````text\n" + HOSTILE.strip() + "\n`````" in markdown  # fence longer than ````
    assert f"### bob\n\n*{NO_ANSWER}*" in markdown and MISSING_CELL in markdown
    assert "### carol\\_\\<b\\>" in markdown
    page = format_review(entries, HW05, as_html=True)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/pre&gt;" in page and "<h3>carol_&lt;b&gt;</h3>" in page
    assert f"<em>{NO_ANSWER}</em>" in page


# ----- manual scores --------------------------------------------------------------------


def _manual(tmp_path, text: str):
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    return read_manual(path)


def _hw05_batch() -> list[dict]:
    return [
        _submission("alice_hw05.ipynb", {"q1": 2}, "hw05"),
        _submission("bob_hw05.ipynb", {}, "hw05"),
    ]


def test_manual_scores_merge_into_the_json_and_the_gradebook(tmp_path):
    batch = _hw05_batch()
    merge_manual(batch, _manual(tmp_path, "student,question,points\nalice,w1,1.5\n"), HW05)
    alice, bob = batch
    assert alice["written"] == [{"name": "w1", "score": 1.5, "max_score": 2.0}]
    assert alice["total"] == 3.5 and alice["max_total"] == 13
    assert bob["written"][0]["score"] is None and bob["total"] == 0
    rows = gradebook_rows(batch, HW05)
    assert rows[0][-1] == "w1"
    assert rows[1] == ["alice", "hw05", "3.5", "13", "2", "0", "0", "0", "0", "1.5"]
    assert rows[2][-1] == ""  # not graded yet


@pytest.mark.parametrize(
    "text, problem",
    [
        ("student,question,points\nalice,w1,1\nzed,w1,1\n", "row 3: unknown student 'zed'"),
        ("student,question,points\nalice,w9,1\n", "row 2: unknown question 'w9'"),
        ("student,question,points\nalice,q1,1\n", "row 2: unknown question 'q1'"),
        (
            "student,question,points\nalice,w1,2.5\n",
            "row 2: points 2.5 for w1 must be between 0 and 2",
        ),
        ("student,question,points\nalice,w1,-1\n", "row 2: points -1"),
        (
            "student,question,points\nalice,w1,1\nalice,w1,2\n",
            "row 3: alice w1 was already scored in row 2",
        ),
    ],
)
def test_bad_manual_rows_are_named_in_the_error(tmp_path, text, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        merge_manual(_hw05_batch(), _manual(tmp_path, text), HW05, source="scores.csv")


def test_unreadable_manual_files_are_named_in_the_error(tmp_path):
    with pytest.raises(ValueError, match="row 2: points must be a number, got 'lots'"):
        _manual(tmp_path, "student,question,points\nalice,w1,lots\n")
    with pytest.raises(ValueError, match="must name the columns student, question, points"):
        _manual(tmp_path, "name,score\nalice,1\n")
    with pytest.raises(ValueError, match="does not exist"):
        read_manual(tmp_path / "nothing.csv")
