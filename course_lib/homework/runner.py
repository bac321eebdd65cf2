"""Run one submission in a fresh kernel and score what comes back: the grader's runner.

The student's self-grade (:mod:`course_lib.homework.selfgrade`, public cases) and the
instructor's grader (``course_tools.grading``, hidden cases) both call :func:`run_submission`:

1. it writes a job folder: the code cells, and each question's inputs as plain data (JSON +
   ``.npz``, :mod:`course_lib.homework.plain`);
2. it runs the driver :mod:`~course_lib.homework.driver` on the job, inside ``bwrap`` when
   the machine has it (:mod:`~course_lib.homework.sandbox`): a fresh kernel runs the cells in
   order with a time limit each, then, per question, re-imports the recorder
   :mod:`course_lib.homework.in_kernel` from disk, which calls the student's function on the
   inputs and writes back only raw observations as plain data;
3. it reads those back without unpickling anything and compares and scores them here, in
   this process (:func:`course_lib.homework.checking.score`), where the submission's code
   never runs.

Deleting or editing check cells, redefining ``check``, patching ``course_lib`` or NumPy
inside the notebook, or returning an object with a booby-trapped ``__reduce__`` therefore
changes nothing.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_lib.homework import plain, sandbox
from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Outcome, QuestionResult, score, truncate
from course_lib.homework.notebook_file import first_line

#: Default wall-clock seconds for one whole submission (all cells and all checks).
SUBMISSION_TIMEOUT = 300.0


@dataclass(frozen=True)
class Limits:
    """How a submission runs.

    Attributes:
        timeout: seconds each cell (and each question's check) may run.
        submission_timeout: wall-clock seconds for the whole submission.
        memory: bytes of address space per process in the sandbox.
        sandboxed: run inside bwrap; None: when bwrap is available.
        hide: further folders the sandbox must not show (instructor folder, submissions).
    """

    timeout: float = 60.0
    submission_timeout: float = SUBMISSION_TIMEOUT
    memory: int = sandbox.DEFAULT_MEMORY
    sandboxed: bool | None = None
    hide: tuple[Path, ...] = ()


@dataclass
class Run:
    """What running a submission gave: one result per question, and how each cell went
    (``{"status": "ok" | "error" | "timeout" | "dead", "error": str}``, aligned with the code
    cells that ran)."""

    questions: list[QuestionResult]
    cells: list[dict[str, str]] = field(default_factory=list)

    def cell_errors(self, cells: list[str]) -> list[str]:
        """``"NameError: … at `first line of the cell`"`` for every cell that failed."""
        return [
            f"{run['error']} at `{first_line(code)}`"
            for code, run in zip(cells, self.cells, strict=False)
            if run["error"]
        ]


def failed(question, status: str, message: str) -> QuestionResult:
    """A question that earns nothing, with ``status`` and ``message``."""
    return QuestionResult(question.key, question.function, 0.0, question.points, status, message)


def _missing_message(missing: str, function: str, cells: list[str], runs: list[dict]) -> str:
    """Explain a missing function by the failure of the cell that should define it."""
    for code, run in zip(cells, runs, strict=False):
        if re.search(rf"^\s*(def|class)\s+{re.escape(function)}\b", code, re.M) and run["error"]:
            return f"{missing}: its cell failed ({run['error']}) at `{first_line(code)}`"
    return f"{missing} in the notebook"


def _read_result(job: Path) -> dict[str, Any]:
    """The driver's ``result.json`` as plain JSON of the expected shape, or ``{}``."""
    path = job / "out" / "result.json"
    try:
        if path.stat().st_size > 5_000_000:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    cells = data.get("cells") if isinstance(data, dict) else None
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not isinstance(questions, dict):
        return {}

    def run(entry: Any) -> dict[str, str]:
        entry = entry if isinstance(entry, dict) else {}
        return {k: truncate(str(entry.get(k, "")), 2000) for k in ("status", "error")}

    return {
        "cells": [run(c) for c in cells],
        "questions": {k: run(v) for k, v in questions.items()},
    }


def _outcomes(data: Any, count: int) -> list[Outcome] | str:
    """The outcomes the recorder wrote, checked for shape; a message when they are unusable."""
    entries = data.get("outcomes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or len(entries) != count:
        return "the check sent back data of the wrong shape"
    outcomes = []
    for entry in entries:
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in ("returned", "raised", "not implemented"):
            return "the check sent back data of the wrong shape"
        value = entry.get("value")
        value = value if kind == "returned" else truncate(str(value))
        outcomes.append(Outcome(kind, value, *_notes(entry)))
    return outcomes


def _notes(entry: dict) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The positions of arguments changed in place and the earlier answers taken from the
    student, as the recorder noted them (anything malformed is dropped)."""
    changed, own = entry.get("changed"), entry.get("own")
    changed = changed if isinstance(changed, list) else []
    own = own if isinstance(own, list) else []
    return (
        tuple(i for i in changed[:64] if type(i) is int and 0 <= i < 64),
        tuple(truncate(n, 100) for n in own[:16] if type(n) is str),
    )


def _write_job(job: Path, spec: Assignment, cells: list[str], cases, timeout: float) -> None:
    for sub in ("in", "out", "work"):
        (job / sub).mkdir()
    for question in spec.questions:
        plain.dump([c.kernel_input() for c in cases[question.key]], job / "in" / question.key)
    job_spec = {
        "assignment": spec.name,
        "cells": cells,
        "timeout": timeout,
        "questions": [q.key for q in spec.questions],
    }
    (job / "job.json").write_text(json.dumps(job_spec), encoding="utf-8")


def _score_question(question, job: Path, cases, result, ran, cells, limits) -> QuestionResult:
    """The result of one question from what the kernel wrote back (or why there is none)."""
    status = result.get("questions", {}).get(question.key, {"status": "", "error": ""})
    try:
        data = plain.load(job / "out" / question.key)
    except FileNotFoundError:
        if ran.timed_out:
            limit = f"{limits.submission_timeout:g} s"
            message = f"the submission ran past the {limit} limit for the whole submission"
            return failed(question, "timeout", message)
        if status["status"] == "timeout":
            return failed(question, "timeout", f"the check {status['error']}")
        if not result:
            message = "the grading run ended early (the kernel was killed or ran out of memory)"
            return failed(question, "error", message)
        return failed(
            question, "error", f"the check could not run: {status['error'] or 'no output'}"
        )
    except (ValueError, RecursionError) as exc:
        message = f"the check's output could not be read back: {truncate(str(exc), 300)}"
        return failed(question, "error", message)
    if isinstance(data, dict) and "missing" in data:
        missing = truncate(str(data["missing"]), 300)
        message = _missing_message(missing, question.function, cells, result.get("cells", []))
        return failed(question, "missing", message)
    outcomes = _outcomes(data, len(cases))
    if isinstance(outcomes, str):
        return failed(question, "error", outcomes)
    try:
        return score(question, cases, outcomes)
    except Exception as exc:  # a reference or judge choking on odd data: that case fails
        message = f"the output could not be compared: {type(exc).__name__}: {exc}"
        return failed(question, "error", truncate(message, 500))


def run_submission(
    spec: Assignment,
    cells: list[str],
    cases: dict[str, list[Case]],
    limits: Limits,
    forbidden: tuple[str, ...] = (),
) -> Run:
    """Run ``cells`` in a fresh kernel, then every question of ``spec`` on its ``cases``.

    Args:
        spec: the assignment.
        cells: the submission's code cells (see
            :func:`course_lib.homework.notebook_file.code_cells`).
        cases: the cases of each question, by key.
        limits: time and memory limits, sandbox or not (:class:`Limits`).
        forbidden: modules hidden from the kernel (``"torch"``, ``"course_lib.layers"``).

    Returns:
        a :class:`Run`: one result per question of ``spec``, in order, and the cells' runs.
    """
    with tempfile.TemporaryDirectory(prefix="homework-job-") as folder:
        job = Path(folder)
        _write_job(job, spec, cells, cases, limits.timeout)
        sandboxed = sandbox.available() if limits.sandboxed is None else limits.sandboxed
        ran = sandbox.run_job(
            job,
            timeout=limits.submission_timeout,
            hide=list(limits.hide),
            memory=limits.memory,
            sandboxed=sandboxed,
            forbidden=forbidden,
        )
        result = _read_result(job)
        questions = [
            _score_question(q, job, cases[q.key], result, ran, cells, limits)
            for q in spec.questions
        ]
    return Run(spec.conclude(questions, cases), result.get("cells", []))
