"""Written answers: collected into one review file, graded by hand, merged back.

An assignment lists its prose questions as
:class:`~course_lib.homework.assignment.WrittenQuestion` (key, ``grade_id`` of the markdown
answer cell, points, prompt). For a batch:

1. ``grade FOLDER --review answers.md`` (or ``.html``) writes, per written question, every
   student's answer: in Markdown inside a code fence, in HTML escaped, so an answer shows
   as the text the student typed and cannot add headings, links or scripts. An untouched
   ``YOUR ANSWER HERE`` shows as "(no answer)", a notebook without the answer cell as
   "(answer cell missing)".
2. The instructor writes ``scores.csv`` with the columns ``student, question, points``
   (``alice,w1,1.5``).
3. ``grade FOLDER --manual scores.csv --csv grades.csv`` adds those points to the gradebook
   and to the JSON (``written`` per submission, and ``total`` / ``max_total``).
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.homework.assignment import Assignment
from course_lib.homework.safe_files import write_atomically

#: What the generator leaves in a markdown answer cell (``course_tools.generate``).
STUB = "YOUR ANSWER HERE"
NO_ANSWER = "(no answer)"
MISSING_CELL = "(answer cell missing)"
#: Longest written answer (characters) copied into the review file.
ANSWER_LIMIT = 20_000


def _grade_id(cell: Any) -> str:
    """A cell's nbgrader ``grade_id``, or ``""`` (also for malformed metadata)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) else ""


def _text(source: Any) -> str:
    """A cell's source as text: nbformat allows a string or a list of lines."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return ""


def written_answers(nb: Any, assignment: Assignment) -> dict[str, str | None]:
    """Each written question's answer in notebook ``nb``: key -> text, or None if no cell.

    The answer is the markdown cell whose ``grade_id`` is the question's; the untouched
    stub counts as an empty answer ``""``. Malformed cells are skipped, never raised on.
    """
    cells = nb.get("cells") if isinstance(nb, dict) else None
    by_id = {}
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown" and _grade_id(cell):
            by_id.setdefault(_grade_id(cell), _text(cell.get("source")))
    answers: dict[str, str | None] = {}
    for w in assignment.written:
        text = by_id.get(w.grade_id)
        answers[w.key] = None if text is None else text.replace(STUB, "").strip()[:ANSWER_LIMIT]
    return answers


def _shown(answer: str | None) -> str | None:
    """The placeholder for an empty or missing answer, else None."""
    if answer is None:
        return MISSING_CELL
    return NO_ANSWER if not answer.strip() else None


def _fenced(text: str) -> str:
    """``text`` in a Markdown code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def format_review(
    entries: Sequence[tuple[str, dict[str, str | None]]],
    assignment: Assignment,
    as_html: bool = False,
) -> str:
    """The review file: per written question, each student's answer.

    Args:
        entries: ``(student, answers)`` pairs, ``answers`` as from :func:`written_answers`.
        assignment: the batch's assignment (its ``written`` questions are the sections).
        as_html: an HTML page instead of Markdown.
    """
    title = f"{assignment.name} {assignment.title}: written answers"
    how = (
        "Score them in a CSV with the columns student,question,points (e.g. alice,w1,1.5) "
        "and merge it: grade ... --manual scores.csv --csv grades.csv"
    )
    if as_html:
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{html.escape(how)}</p>",
        ]
    else:
        parts = [f"# {title}", "", how, ""]
    if not assignment.written:
        parts.append(
            "<p>This assignment has no written questions.</p>"
            if as_html
            else "This assignment has no written questions."
        )
    for w in assignment.written:
        heading = f"{w.key} ({w.points:g} points): {w.prompt}"
        parts.append(f"<h2>{html.escape(heading)}</h2>" if as_html else f"## {heading}\n")
        for student, answers in entries:
            answer = answers.get(w.key)
            placeholder = _shown(answer)
            if as_html:
                body = (
                    f"<p><em>{placeholder}</em></p>"
                    if placeholder
                    else f'<pre style="white-space: pre-wrap">{html.escape(answer)}</pre>'
                )
                parts.append(f"<h3>{html.escape(student)}</h3>\n{body}")
            else:
                body = f"*{placeholder}*" if placeholder else _fenced(answer)
                parts.append(f"### {_escape_markdown(student)}\n\n{body}\n")
    if as_html:
        parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _escape_markdown(text: str) -> str:
    """``text`` with Markdown's punctuation backslash-escaped (for a name in a heading)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


def write_review(
    path: str | Path, entries: Sequence[tuple[str, dict[str, str | None]]], assignment: Assignment
) -> None:
    """Write the review file (atomically); HTML when ``path`` ends in ``.html``/``.htm``, else
    Markdown."""
    as_html = Path(path).suffix.lower() in (".html", ".htm")
    write_atomically(path, format_review(entries, assignment, as_html))


@dataclass(frozen=True)
class ManualScore:
    """One row of the manual scores file (``row`` counts the header as row 1)."""

    row: int
    student: str
    question: str
    points: float


def read_manual(path: str | Path) -> list[ManualScore]:
    """The rows of a manual scores CSV with the columns ``student, question, points``.

    Raises:
        ValueError: a missing file or column, or points that are not a number, naming the row.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"manual scores file {path} does not exist")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in reader.fieldnames or []]
        if not {"student", "question", "points"} <= set(columns):
            raise ValueError(
                f"{path}: the header must name the columns student, question, points; "
                f"got {', '.join(columns) or 'nothing'}"
            )
        scores = []
        for row_number, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
            try:
                value = float(row["points"])
            except ValueError:
                raise ValueError(
                    f"{path} row {row_number}: points must be a number, got {row['points']!r}"
                ) from None
            scores.append(ManualScore(row_number, row["student"], row["question"], value))
    return scores


def merge_manual(
    submissions: list[dict[str, Any]],
    manual: Sequence[ManualScore],
    assignment: Assignment,
    source: str = "manual scores",
) -> None:
    """Add the manual scores to the JSON submissions, in place.

    Each submission gains ``written`` (one entry per written question: name, score or None
    when not graded yet, max_score), ``total`` (auto-graded plus manual points) and
    ``max_total``.

    Raises:
        ValueError: a row naming an unknown student or question, points outside
            ``[0, points]``, or the same student and question twice; naming the row.
    """
    by_student = {s["student"]: s for s in submissions}
    given: dict[tuple[str, str], int] = {}
    for m in manual:
        where = f"{source} row {m.row}"
        if m.student not in by_student:
            known = ", ".join(sorted(by_student)) or "none"
            raise ValueError(f"{where}: unknown student {m.student!r} (students: {known})")
        try:
            question = assignment.written_question(m.question)
        except ValueError as exc:
            raise ValueError(f"{where}: unknown question {m.question!r}: {exc}") from None
        if not 0 <= m.points <= question.points:
            raise ValueError(
                f"{where}: points {m.points:g} for {m.question} must be between 0 and "
                f"{question.points:g}"
            )
        if (m.student, m.question) in given:
            first = given[(m.student, m.question)]
            raise ValueError(f"{where}: {m.student} {m.question} was already scored in row {first}")
        given[(m.student, m.question)] = m.row
    points = {(m.student, m.question): m.points for m in manual}
    for s in submissions:
        s["written"] = [
            {
                "name": w.key,
                "score": points.get((s["student"], w.key)),
                "max_score": float(w.points),
            }
            for w in assignment.written
        ]
        manual_total = sum(w["score"] or 0.0 for w in s["written"])
        s["total"] = float(s["score"]) + manual_total
        s["max_total"] = float(assignment.max_score + sum(w.points for w in assignment.written))
