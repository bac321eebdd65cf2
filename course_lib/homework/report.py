"""Text reports for homework checks: the self-check printout and the grader's tables."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from course_lib.homework.messages import say

if TYPE_CHECKING:
    from course_lib.homework.checking import Question, QuestionResult, Verdict

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


def failure_details(question: Question, first: Verdict, failures: Sequence[Verdict]) -> list[str]:
    """The lines explaining the first failing case (``first``, one of ``failures``).

    For a public case: its input, the problem, the expected and actual output, the other
    failing cases and the hint. For a hidden case only what cannot carry a secret out: the
    kind of case, the verdict, the named mistake when one is recognised, and the hint.
    """
    case = first.case
    lines = [say("report.case", label=case.label)]
    others = [v.case.label for v in failures if v is not first]
    if case.hidden:
        lines.append(say("report.verdict", verdict=first.problem))
        if others:
            lines.append(say("report.also-failing", labels="; ".join(others)))
        lines.append(say("report.hint", hint=question.hint))
        return lines
    for name, arg in zip(case.arg_names, case.args, strict=False):
        lines.append(say("report.input", name=name, value=show(arg)))
    if first.mismatch is None:
        lines.append(say("report.problem", problem=first.problem))
    else:
        found = first.mismatch
        lines.append(say("report.problem", problem=first.problem))
        lines.append(say("report.expected", name=found.name, value=show(found.expected)))
        lines.append(say("report.actual", name=found.name, value=show(found.actual)))
    if others:
        lines.append(say("report.also-failing", labels="; ".join(others)))
    lines.append(say("report.hint", hint=question.hint))
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
    earned = say("report.points", earned=points(result.score), total=points(result.max_score))
    head = f"{result.name.upper()} {result.function}: "
    if result.status in ("failed", "error"):
        head += f"{say('report.' + result.status)} {mark}  "
        if result.cases_total:
            passed, total = result.cases_passed, result.cases_total
            head += say("report.cases-passed", passed=passed, total=total) + "  "
        body = [result.summary or result.message, *result.details]
        return "\n".join([head + earned] + ["  " + line for line in body])
    return head + f"{result.message} {mark}  {earned}".replace(" ·", "")


_COLUMNS = ("question", "function", "score", "status", "message")

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
    rows = [tuple(say(f"report.column-{c}") for c in _COLUMNS)]
    for r in results:
        score = f"{points(r.score)}/{points(r.max_score)}"
        rows.append((r.name, r.function, score, say(f"status.{r.status}"), r.message))
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
    lines.append("  " + say("report.total", earned=points(total), total=points(available)))
    for r in results:
        if r.details:
            lines.append(f"  {r.name} {r.function} ({say(f'status.{r.status}')}):")
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
