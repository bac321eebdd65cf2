"""Text reports for homework checks: the self-check printout and the grader's tables."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from course_lib.homework.checking import Case, Question, QuestionResult

_MARK = {"passed": "✓", "failed": "✗", "error": "✗"}


def show(value: Any, indent: str = "    ") -> str:
    """A short, rounded rendering of a number, an array, a tuple or a dict."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v, indent)}" for k, v in value.items())
    if isinstance(value, tuple | list):
        return "(" + ", ".join(show(v, indent) for v in value) + ")"
    if isinstance(value, bool | str) or value is None:
        text = repr(value)
        return text if len(text) <= 200 else text[:187] + "… (truncated)"
    try:
        array = np.asarray(value)
        if not np.issubdtype(array.dtype, np.integer):
            array = np.round(array.astype(float), 4) + 0.0  # + 0.0 turns -0.0 into 0.0
    except (TypeError, ValueError):
        return f"<{type(value).__name__}>"
    if array.ndim == 0:
        return f"{array.item():.6g}"
    text = np.array2string(array, precision=4, suppress_small=True, threshold=24, edgeitems=2)
    if array.ndim == 1:
        return f"{text}  (shape {array.shape})"
    return f"shape {array.shape}\n" + textwrap.indent(text, indent)


def failure_details(question: Question, failures: Sequence[tuple[Case, str, Any]]) -> list[str]:
    """The lines explaining the first failing case: input, expected, actual, hint.

    ``failures`` holds ``(case, problem, mismatch)`` triples; ``mismatch`` is a
    :class:`~course_lib.homework.checking.Mismatch`, or None when the case raised.
    """
    case, problem, mismatch = failures[0]
    lines = [f"case: {case.label}"]
    for name, arg in zip(case.arg_names, case.args, strict=True):
        lines.append(f"  input    {name} = {show(arg)}")
    if mismatch is None:
        lines.append(f"  raised   {problem}")
    else:
        lines.append(f"  problem  {problem}")
        lines.append(f"  expected {mismatch.name} = {show(mismatch.expected)}")
        lines.append(f"  actual   {mismatch.name} = {show(mismatch.actual)}")
    others = [f[0].label for f in failures[1:]]
    if others:
        lines.append("also failing: " + "; ".join(others))
    lines.append(f"hint: {question.hint}")
    return lines


def points(score: float) -> str:
    """Points as shown in reports: at most two decimals (``4/3`` -> ``"1.33"``)."""
    return f"{round(score, 2):g}"


def format_result(result: QuestionResult) -> str:
    """The self-check printout for one question, e.g.

    ``Q1 affine_backward: all 3 cases passed ✓  [2/2 points]``, or for a partial answer
    ``Q1 affine_backward: FAILED ✗  2 of 3 cases passed  [1.33/2 points]`` followed by the
    first failing case's input, expected and actual output, and the hint.
    """
    mark = _MARK.get(result.status, "·")
    earned = f"[{points(result.score)}/{points(result.max_score)} points]"
    head = f"{result.name.upper()} {result.function}: "
    if result.status in ("failed", "error"):
        head += f"{result.status.upper()} {mark}  "
        if result.cases_total:
            head += f"{result.cases_passed} of {result.cases_total} cases passed  "
        body = [result.message.split("; first:")[0], *result.details]
        return "\n".join([head + earned] + ["  " + line for line in body])
    return head + f"{result.message} {mark}  {earned}".replace(" ·", "")


#: Width of the message column in the grader's table; longer messages wrap onto more lines.
MESSAGE_WIDTH = 90


def format_table(path: str, results: Sequence[QuestionResult], title: str = "") -> str:
    """The grader's report for one submission: a table, then the diagnosis of each failure.

    The first line is ``path``, followed by `` — title`` when a title is given (the
    self-grade's ``preview on public cases``). The table has one row per question (score,
    status and the whole message, wrapped at :data:`MESSAGE_WIDTH` characters); below it,
    every question that failed or raised gets its detail lines: the first failing case's
    input, expected and actual output, and hint.
    """
    rows = [("question", "function", "score", "status", "message")]
    for r in results:
        score = f"{points(r.score)}/{points(r.max_score)}"
        rows.append((r.name, r.function, score, r.status, r.message))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{path} — {title}" if title else path]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        wrapped = textwrap.wrap(row[4], MESSAGE_WIDTH, break_on_hyphens=False) or [""]
        lines.append("  " + "  ".join(cells) + "  " + wrapped[0])
        margin = " " * (2 + sum(widths) + 2 * len(widths))
        lines.extend(margin + more for more in wrapped[1:])
    total = sum(r.score for r in results)
    available = sum(r.max_score for r in results)
    lines.append(f"  total {points(total)}/{points(available)}")
    for r in results:
        if r.details:
            lines.append(f"  {r.name} {r.function} ({r.status}):")
            lines.extend("    " + line for line in "\n".join(r.details).splitlines())
    return "\n".join(lines)


def format_summary(submissions: Sequence[dict[str, Any]]) -> str:
    """The class summary: one line per submission plus the mean score."""
    if not submissions:
        return "no submissions"
    width = max(len(s["path"]) for s in submissions)
    lines = ["summary"]
    for s in submissions:
        note = f"  ({s['error']})" if s.get("error") else ""
        lines.append(f"  {s['path'].ljust(width)}  {s['score']:g}/{s['max_score']:g}{note}")
    mean = sum(s["score"] for s in submissions) / len(submissions)
    lines.append(f"  {len(submissions)} submission(s), mean score {mean:.2f}")
    return "\n".join(lines)
