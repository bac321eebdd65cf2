"""The gradebook: who a submission belongs to, and one CSV row per student for an LMS.

``python -m course_tools grade FOLDER --assignment hw01 --csv grades.csv`` writes::

    student,assignment,total,max_total,q1,q2,q3,q4,q5,q6
    alice,hw01,8.67,10,2,1,2,1.67,1,1

``total`` and ``max_total`` include the written questions (columns named after their keys,
e.g. ``w1``), which stay empty until manual scores are merged in (``--manual``, see
:mod:`course_tools.grading.review`). The file is plain CSV, UTF-8, with a header row: the
form Moodle, Canvas and most spreadsheets import.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import truncate
from course_lib.homework.safe_files import write_atomically

#: At most this many cell errors go into a submission's JSON, each at most CELL_ERROR_LIMIT long.
CELL_ERRORS_SHOWN = 10
CELL_ERROR_LIMIT = 300


def student_name(path: str) -> str:
    """The student a submission belongs to, from its file name.

    The rule: the file's stem with everything from ``_hwNN`` on removed
    (``alice_hw01.ipynb`` -> ``alice``, ``bob_smith_hw03 (2).ipynb`` -> ``bob_smith``); a
    stem without such a suffix is the name itself (``alice.ipynb`` -> ``alice``,
    ``hw01_backprop.ipynb`` -> ``hw01_backprop``).
    """
    stem = Path(path).stem
    match = re.match(r"(.+?)_hw\d\d", stem, re.IGNORECASE)
    return match.group(1) if match else stem


def capped_cell_errors(errors: Sequence[str]) -> list[str]:
    """The first :data:`CELL_ERRORS_SHOWN` cell errors, each capped, plus ``"… and N more"``."""
    shown = [truncate(e, CELL_ERROR_LIMIT) for e in errors[:CELL_ERRORS_SHOWN]]
    if len(errors) > CELL_ERRORS_SHOWN:
        shown.append(f"… and {len(errors) - CELL_ERRORS_SHOWN} more")
    return shown


def points(value: float | None) -> str:
    """A score as a CSV cell: at most two decimals, empty for a missing score."""
    return "" if value is None else f"{round(value, 2):g}"


def gradebook_rows(
    submissions: Sequence[dict[str, Any]], assignment: Assignment
) -> list[list[str]]:
    """The CSV's header and one row per student, from the grader's JSON submissions.

    Args:
        submissions: :meth:`Submission.as_dict` forms, optionally with ``written``
            (``[{"name", "score", "max_score"}]``) merged in by :func:`review.merge_manual`.
        assignment: the batch's assignment; its questions (and written questions) are the
            columns, whatever a submission contains.

    Raises:
        ValueError: two submissions of the same student (naming both files), or a
            submission graded as another assignment.
    """
    keys = [q.key for q in assignment.questions]
    written = [w.key for w in assignment.written]
    max_total = assignment.max_score + sum(w.points for w in assignment.written)
    rows = [["student", "assignment", "total", "max_total", *keys, *written]]
    seen: dict[str, str] = {}
    for s in submissions:
        student = s.get("student") or student_name(s["path"])
        if student in seen:
            raise ValueError(
                f"student {student!r} has two submissions, {seen[student]} and {s['path']}: "
                "keep one of them"
            )
        seen[student] = s["path"]
        if s.get("assignment") not in ("", None, assignment.name):
            raise ValueError(
                f"{s['path']} was graded as {s['assignment']}, the gradebook is for "
                f"{assignment.name}: pass --assignment {assignment.name}"
            )
        scores = {q["name"]: q["score"] for q in s.get("questions", [])}
        manual = {w["name"]: w.get("score") for w in s.get("written", [])}
        total = sum(scores.get(k, 0.0) for k in keys) + sum(v or 0.0 for v in manual.values())
        rows.append(
            [
                student,
                assignment.name,
                points(total),
                points(max_total),
                *(points(scores.get(k, 0.0)) for k in keys),
                *(points(manual.get(k)) for k in written),
            ]
        )
    return rows


def to_csv(rows: Sequence[Sequence[str]]) -> str:
    """``rows`` as CSV text (comma-separated, quoted where needed, ``\\n`` line ends)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_csv(
    path: str | Path, submissions: Sequence[dict[str, Any]], assignment: Assignment
) -> None:
    """Write the gradebook of ``submissions`` to ``path`` (UTF-8, header row first),
    atomically (:func:`write_atomically`)."""
    write_atomically(path, to_csv(gradebook_rows(submissions, assignment)))


def partial_path(path: str | Path) -> Path:
    """Where an interrupted batch writes its partial gradebook: ``grades.csv`` ->
    ``grades.partial.csv`` (never the name an LMS import expects)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.partial{path.suffix}")


class BatchRecord:
    """The files of one graded batch, kept so that an interruption loses nothing.

    On creation it removes what an earlier run left at the output paths (the JSON, the CSV,
    the review file, a partial gradebook), so nothing stale looks current, and starts a log
    (``FILE.log`` next to the JSON, else the CSV or review file): one JSON line per
    submission, appended and flushed as soon as its result is known. :meth:`finish` writes
    the JSON atomically and removes the log; :meth:`interrupted` writes the JSON marked
    ``"partial": true`` with the paths not graded, and the gradebook as
    ``NAME.partial.csv``.
    """

    def __init__(
        self,
        json_path: str | None,
        csv_path: str | None,
        review_path: str | None,
        assignment: str | None = None,
    ):
        self.json_path, self.csv_path, self.assignment = json_path, csv_path, assignment
        outputs = [p for p in (json_path, csv_path, review_path) if p]
        for path in [*outputs, *(partial_path(csv_path) for csv_path in [csv_path] if csv_path)]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        self.log = Path(f"{outputs[0]}.log") if outputs else None
        if self.log is not None:
            self.log.write_text("", encoding="utf-8")

    def add(self, submission: dict[str, Any]) -> None:
        """Append one submission's JSON form to the log, flushed to disk."""
        if self.log is None:
            return
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(submission) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def finish(self, submissions: list[dict[str, Any]]) -> None:
        """The batch is complete: write the JSON, remove the log."""
        if self.json_path:
            write_atomically(self.json_path, json.dumps({"submissions": submissions}, indent=2))
        self._drop_log()

    def interrupted(self, submissions: list[dict[str, Any]], not_graded: list[str]) -> None:
        """The batch stopped early: the JSON marked partial, the CSV as ``*.partial.csv``."""
        if self.json_path:
            data = {"partial": True, "not_graded": not_graded, "submissions": submissions}
            write_atomically(self.json_path, json.dumps(data, indent=2))
        if self.csv_path and submissions:
            with contextlib.suppress(ValueError):  # no single assignment yet: no gradebook
                assignment = batch_assignment(submissions, self.assignment)
                write_atomically(
                    partial_path(self.csv_path), to_csv(gradebook_rows(submissions, assignment))
                )
        self._drop_log()

    def partial_note(self) -> str:
        """What :meth:`interrupted` wrote, in words."""
        written = [f"{self.json_path} (marked partial)"] if self.json_path else []
        if self.csv_path and partial_path(self.csv_path).exists():
            written.append(str(partial_path(self.csv_path)))
        return "wrote " + " and ".join(written) if written else ""

    def _drop_log(self) -> None:
        if self.log is not None:
            with contextlib.suppress(FileNotFoundError):
                self.log.unlink()


def batch_assignment(submissions: Sequence[dict[str, Any]], named: str | None) -> Assignment:
    """The one assignment of a batch: ``named`` (``--assignment``) or the only one graded.

    Raises:
        ValueError: no submission could be identified, or they answer several assignments.
    """
    from course_lib.homework.assignment import load_assignment

    if named is not None:
        return load_assignment(named)
    found = sorted({s["assignment"] for s in submissions if s.get("assignment")})
    if len(found) != 1:
        what = ", ".join(found) if found else "no assignment"
        raise ValueError(f"the batch holds {what}: pass --assignment hwNN for --csv/--review")
    return load_assignment(found[0])


def export_batch(
    results: Sequence[Any],
    submissions: list[dict[str, Any]],
    named: str | None,
    csv_path: str | None = None,
    review_path: str | None = None,
    manual_path: str | None = None,
) -> None:
    """The gradebook outputs of one graded batch (the ``grade`` options of the same names).

    Args:
        results: the :class:`~course_tools.grading.grader.Submission` objects (for their
            written answers).
        submissions: their JSON forms, aligned with ``results``; the manual scores are
            merged into them in place (``written``, ``total``, ``max_total``).
        named: the ``--assignment`` given, or None.
        csv_path, review_path, manual_path: ``--csv``, ``--review``, ``--manual``.

    Raises:
        ValueError: a bad manual scores file (naming the row), two submissions of one
            student, or a batch without a single assignment. Nothing is written then.
    """
    from course_tools.grading import review

    if not (csv_path or review_path or manual_path):
        return
    assignment = batch_assignment(submissions, named)
    manual = review.read_manual(manual_path) if manual_path else []
    gradebook_rows(submissions, assignment)  # checks for duplicate students before writing
    review.merge_manual(submissions, manual, assignment, source=str(manual_path or "manual"))
    if review_path:
        entries = [(s["student"], r.answers) for r, s in zip(results, submissions, strict=True)]
        review.write_review(review_path, entries, assignment)
    if csv_path:
        write_csv(csv_path, submissions, assignment)
