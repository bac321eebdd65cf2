"""Grade submitted homework notebooks, each in its own sandbox, scoring in this process.

Command line: ``python -m course_tools grade PATH ...`` (alias ``python -m course_lib.homework
grade``).

For one submission the grader:

1. reads the file once (it never writes to it, and the sandbox never sees it), checks that it
   is a well-formed notebook (else the submission gets an error entry, never a traceback) and
   works out which assignment it is: the ``--assignment`` the instructor names for a batch
   (a notebook that answers another assignment is flagged and scores 0), else the ``grade_id``
   of its answer cells, the ``course_lib.homework.hwNN`` module it imports, or the file name;
2. writes a job folder: the code cells, and each question's inputs as plain data (JSON +
   ``.npz``, see :mod:`course_lib.homework.plain`) -- the public cases of the assignment
   module plus hidden cases of the same kinds made from the instructor's secret seed
   (:mod:`course_tools.grading.instructor`);
3. runs the driver :mod:`~course_tools.grading.run_in_sandbox` on the job inside ``bwrap``
   (:mod:`~course_tools.grading.sandbox`): it starts a fresh kernel, runs the cells in order
   with a time limit each (a failing cell is recorded and skipped), then, per question,
   re-imports the recorder :mod:`course_lib.homework.in_kernel` from disk, which calls the
   student's function on the inputs and writes back only raw observations as plain data;
4. reads those back without unpickling anything (a value that is not plain data, or more than
   20 MB, is that case's failure) and compares and scores them here, against the references,
   in the grader's own process.

Deleting or editing check cells, redefining ``check``, patching ``course_lib`` or NumPy
inside the notebook, or returning an object with a booby-trapped ``__reduce__`` therefore
changes nothing. What the sandbox does and does not protect against is in
:mod:`~course_tools.grading.sandbox` and the README; without bwrap (``--unsandboxed``) a
submission runs with the grader's permissions.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import tempfile
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_lib.homework import plain
from course_lib.homework.assignment import (
    REGISTRY,
    Assignment,
    assignment_from_filename,
    load_assignment,
)
from course_lib.homework.checking import Case, Outcome, QuestionResult, score, truncate
from course_tools.grading import instructor, sandbox
from course_tools.grading.gradebook import capped_cell_errors, student_name
from course_tools.grading.review import written_answers

#: Largest notebook file the grader reads (bytes).
MAX_NOTEBOOK_BYTES = 50_000_000
#: Default wall-clock seconds for one whole submission (all cells and all checks).
SUBMISSION_TIMEOUT = 300.0


class CannotGrade(Exception):
    """The path is not a gradable notebook (missing, not JSON, malformed, unknown assignment)."""


@dataclass
class Submission:
    """The result of grading one notebook."""

    path: str
    assignment: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    max_score: float = 0.0
    error: str = ""  # set when the submission could not be graded at all
    cell_errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # e.g. wrong assignment, forbidden module
    #: written answers by question key (see :func:`~course_tools.grading.review.written_answers`)
    answers: dict[str, str | None] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(q.score for q in self.questions)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form documented in the README.

        ``student`` comes from the file name (:func:`~course_tools.grading.gradebook.
        student_name`); ``cell_errors`` lists at most a few of the cells that failed, each
        line capped (see :func:`~course_tools.grading.gradebook.capped_cell_errors`).
        """
        data = {
            "path": self.path,
            "student": student_name(self.path),
            "assignment": self.assignment,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "questions": [q.as_dict() for q in self.questions],
            "cell_errors": capped_cell_errors(self.cell_errors),
            "flags": [truncate(f, 500) for f in self.flags],
        }
        if self.error:
            data["error"] = truncate(self.error)
        return data


def read_submission(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, read once; ``CannotGrade`` if it is not a well-formed one."""
    if not path.is_file():
        raise CannotGrade(f"{path} is not a file")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        size = path.stat().st_size / 1e6
        raise CannotGrade(f"{path} is {size:.0f} MB, more than {MAX_NOTEBOOK_BYTES / 1e6:g} MB")
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CannotGrade(f"{path} is not a readable notebook ({type(exc).__name__})") from exc
    _check_structure(raw, path)
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many kinds for odd files
        raise CannotGrade(f"{path} is not a readable notebook ({type(exc).__name__})") from exc


def _check_structure(raw: Any, path: Path) -> None:
    """Raise ``CannotGrade`` naming the first part of ``raw`` that is not a notebook's."""

    def bad(what: str) -> CannotGrade:
        return CannotGrade(f"{path} is not a well-formed notebook: {what}")

    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise bad("it has no list of cells")
    if not isinstance(raw.get("metadata", {}), dict):
        raise bad("its metadata is not a JSON object")
    for i, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict):
            raise bad(f"cell {i} is a {type(cell).__name__}, not a JSON object")
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise bad(f"cell {i} has cell_type {str(kind)[:40]!r}")
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(s, str) for s in source)
        ):
            raise bad(f"cell {i}'s source is a {type(source).__name__}, not text")
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict):
            raise bad(f"cell {i}'s metadata is not a JSON object")
        if not isinstance(metadata.get("nbgrader", {}), dict):
            raise bad(f"cell {i}'s metadata.nbgrader is not a JSON object")
        if not isinstance(metadata.get("nbgrader", {}).get("grade_id", ""), str):
            raise bad(f"cell {i}'s metadata.nbgrader.grade_id is not text")


def detect(nb: nbformat.NotebookNode) -> str | None:
    """The assignment the notebook's content answers: its answer cells' ``grade_id``, else the
    ``course_lib.homework.hwNN`` module it imports; None when that is not one assignment."""
    ids = {str(cell.metadata.get("nbgrader", {}).get("grade_id", "")) for cell in nb.cells}
    names = {m.group(1) for i in ids if (m := re.match(r"(hw\d\d)-", i))}
    if not names:  # e.g. a solution notebook: look for `from course_lib.homework.hw01 ...`
        code = "\n".join(_code_cells(nb))
        names = set(re.findall(r"course_lib\.homework\.(hw\d\d)\b", code))
    return names.pop() if len(names) == 1 else None


def identify(nb: nbformat.NotebookNode, path: Path, assignment: str | None) -> Assignment:
    """Which assignment ``nb`` is graded as: ``assignment`` if given, else :func:`detect`,
    else the file name; ``CannotGrade`` when none says."""
    if assignment is None:
        assignment = detect(nb) or assignment_from_filename(path.name)
    if assignment is None:
        raise CannotGrade(f"cannot tell which assignment {path} is; pass --assignment")
    try:
        return load_assignment(assignment)
    except ValueError as exc:
        raise CannotGrade(str(exc)) from exc


# A cell holding nothing but self-check calls only prints: the grader runs its own checks.
_SELF_CHECK_CELL = re.compile(r"""(\s*check\(\s*["']q\d+["']\s*,\s*\w+\s*\)\s*;?\s*)+""")


def _code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The submission's non-empty code cells, without the cells that only call ``check``."""
    return [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code"
        and cell.source.strip()
        and not _SELF_CHECK_CELL.fullmatch(cell.source)
    ]


def _first_line(code: str) -> str:
    return truncate(code.strip().splitlines()[0], 120)


def _missing_message(missing: str, function: str, cells: list[str], runs: list[dict]) -> str:
    """Explain a missing function by the failure of the cell that should define it."""
    for code, run in zip(cells, runs, strict=False):
        if re.search(rf"^\s*(def|class)\s+{re.escape(function)}\b", code, re.M) and run["error"]:
            return f"{missing}: its cell failed ({run['error']}) at `{_first_line(code)}`"
    return f"{missing} in the notebook"


def _failed(question, status: str, message: str) -> QuestionResult:
    return QuestionResult(question.key, question.function, 0.0, question.points, status, message)


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
        outcomes.append(Outcome(kind, value if kind == "returned" else truncate(str(value))))
    return outcomes


@dataclass
class GradingSetup:
    """How to grade: time limits, the instructor folder, whether to use the sandbox.

    Attributes:
        timeout: seconds each cell (and each question's check) may run.
        submission_timeout: wall-clock seconds for the whole submission.
        instructor_dir: the instructor's folder (secrets, hidden data); None: the default
            (:func:`course_tools.grading.instructor.default_dir`).
        sandboxed: run inside bwrap; None: when bwrap is available.
        memory: bytes of address space per process in the sandbox.
        hide: further folders the sandbox must not show (the submissions' folders).
    """

    timeout: float = 60.0
    submission_timeout: float = SUBMISSION_TIMEOUT
    instructor_dir: str | None = None
    sandboxed: bool | None = None
    memory: int = sandbox.DEFAULT_MEMORY
    hide: tuple[str, ...] = ()


def _grade_in_job(
    job: Path, path: Path, spec: Assignment, cells: list[str], setup: GradingSetup
) -> tuple[list[QuestionResult], list[dict]]:
    """Write the job, run it (sandboxed or not), read back plain data and score it here."""
    folder = instructor.resolve(setup.instructor_dir)
    secrets = instructor.load(folder)
    cases: dict[str, list[Case]] = {}
    for sub in ("in", "out", "work"):
        (job / sub).mkdir()
    for question in spec.questions:
        cases[question.key] = instructor.grading_cases(spec, question, secrets)
        plain.dump([list(c.args) for c in cases[question.key]], job / "in" / question.key)
    keys = [q.key for q in spec.questions]
    job_spec = {
        "assignment": spec.name,
        "cells": cells,
        "timeout": setup.timeout,
        "questions": keys,
    }
    (job / "job.json").write_text(json.dumps(job_spec), encoding="utf-8")
    sandboxed = sandbox.available() if setup.sandboxed is None else setup.sandboxed
    hide = [path.resolve().parent, folder, *map(Path, setup.hide)]
    ran = sandbox.run_job(
        job,
        timeout=setup.submission_timeout,
        hide=hide,
        memory=setup.memory,
        sandboxed=sandboxed,
        forbidden=forbidden_modules(spec.name),
    )
    result = _read_result(job)
    runs = result.get("cells", [])
    results = []
    for question in spec.questions:
        status = result.get("questions", {}).get(question.key, {"status": "", "error": ""})
        try:
            data = plain.load(job / "out" / question.key)
        except FileNotFoundError:
            if ran.timed_out:
                limit = f"{setup.submission_timeout:g} s"
                message = f"the submission ran past the {limit} limit for the whole submission"
                results.append(_failed(question, "timeout", message))
            elif status["status"] == "timeout":
                results.append(_failed(question, "timeout", f"the check {status['error']}"))
            elif not result:
                message = "the grading run ended early (the kernel was killed or ran out of memory)"
                results.append(_failed(question, "error", message))
            else:
                message = f"the check could not run: {status['error'] or 'no output'}"
                results.append(_failed(question, "error", message))
            continue
        except (ValueError, RecursionError) as exc:
            message = f"the check's output could not be read back: {truncate(str(exc), 300)}"
            results.append(_failed(question, "error", message))
            continue
        if isinstance(data, dict) and "missing" in data:
            missing = truncate(str(data["missing"]), 300)
            results.append(
                _failed(
                    question, "missing", _missing_message(missing, question.function, cells, runs)
                )
            )
            continue
        outcomes = _outcomes(data, len(cases[question.key]))
        if isinstance(outcomes, str):
            results.append(_failed(question, "error", outcomes))
            continue
        try:
            results.append(score(question, cases[question.key], outcomes))
        except Exception as exc:  # a reference or judge choking on odd data: that case fails
            message = f"the output could not be compared: {type(exc).__name__}: {exc}"
            results.append(_failed(question, "error", truncate(message, 500)))
    return results, runs


def grade_submission(
    path: str,
    timeout: float = 60.0,
    assignment: str | None = None,
    setup: GradingSetup | None = None,
) -> Submission:
    """Grade the notebook at ``path``; never raises for a bad submission, never writes to it.

    Args:
        path: a ``.ipynb`` file.
        timeout: seconds each cell (and each question's check) may run (overrides ``setup``).
        assignment: ``"hw01"`` …: the batch's assignment named by the instructor; a notebook
            that answers another one is flagged and scores 0. None: worked out from the notebook.
        setup: the rest of the configuration (:class:`GradingSetup`).

    Returns:
        a :class:`Submission`; ``error`` is set when the file could not be graded at all.
    """
    start = time.perf_counter()
    setup = GradingSetup() if setup is None else setup
    setup.timeout = timeout
    result = Submission(path)
    try:
        nb = read_submission(Path(path))
        spec = identify(nb, Path(path), assignment)
        found = detect(nb)
    except CannotGrade as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # never a traceback for a bad file
        result.error = f"{path} could not be read ({type(exc).__name__}: {truncate(str(exc), 200)})"
        return result
    result.assignment, result.max_score = spec.name, spec.max_score
    named = assignment_from_filename(Path(path).name)
    if found is not None and found != spec.name:
        result.flags.append(f"wrong assignment: the notebook answers {found}, not {spec.name}")
        message = f"not graded: this notebook answers {found}, not {spec.name}"
        result.questions = [_failed(q, "missing", message) for q in spec.questions]
        return result
    if named is not None and named != spec.name:
        result.flags.append(f"the file name says {named}; graded as {spec.name}")
    result.answers = written_answers(nb, spec)
    cells = _code_cells(nb)
    result.flags.extend(forbidden_uses(spec, cells))
    with tempfile.TemporaryDirectory(prefix="grader-job-") as job:
        result.questions, runs = _grade_in_job(Path(job), Path(path), spec, cells, setup)
    for question in result.questions if result.flags else []:
        question.message += " [flagged: " + "; ".join(result.flags) + "]"
    result.cell_errors = [
        f"{r['error']} at `{_first_line(code)}`"
        for code, r in zip(cells, runs, strict=False)
        if r["error"]
    ]
    result.seconds = time.perf_counter() - start
    return result


def forbidden_modules(assignment: str) -> tuple[str, ...]:
    """The modules ``assignment``'s answers may not use (its module's ``FORBIDDEN``)."""
    return tuple(getattr(importlib.import_module(REGISTRY[assignment]), "FORBIDDEN", ()))


#: Code that reaches into the self-check's machinery (references, cases) instead of answering.
_SELF_CHECK_INTERNALS = re.compile(r"\.reference\b|\bload_assignment\b|\bASSIGNMENT\b|\bREGISTRY\b")


def without_comments_and_strings(source: str) -> str:
    """``source`` with every comment and string literal blanked out (same line layout).

    What a cell *says* about a module ("Colab's torch stays", ``print("unlike torch")``) is
    not a use of it; only code is searched. A cell that does not tokenize (an IPython magic
    that confuses the tokenizer, a syntax error) falls back to dropping ``#`` comments.
    """
    lines = source.splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "".join(re.sub(r"#.*", "", line) for line in lines)
    for token in reversed(tokens):  # from the end, so earlier positions stay valid
        if token.type not in (tokenize.COMMENT, tokenize.STRING):
            continue
        (row, col), (end_row, end_col) = token.start, token.end
        if row == end_row:
            line = lines[row - 1]
            lines[row - 1] = line[:col] + " " * (end_col - col) + line[end_col:]
        else:  # a multi-line string: keep the line breaks, drop the text
            lines[row - 1] = lines[row - 1][:col] + "\n"
            for middle in range(row, end_row - 1):
                lines[middle] = "\n"
            lines[end_row - 1] = " " * end_col + lines[end_row - 1][end_col:]
    return "".join(lines)


def forbidden_uses(spec: Assignment, cells: list[str]) -> list[str]:
    """Flags for code that uses a forbidden module or the self-check's internals.

    Comments and string literals do not count (see :func:`without_comments_and_strings`).
    """
    code = "\n".join(without_comments_and_strings(cell) for cell in cells)
    flags = []
    for name in forbidden_modules(spec.name):
        parent, _, leaf = name.rpartition(".")
        pattern = rf"\b{re.escape(name)}\b"
        if parent:  # also `from course_lib import layers`
            pattern += rf"|from\s+{re.escape(parent)}\s+import\s[^\n]*\b{re.escape(leaf)}\b"
        if re.search(pattern, code):
            flags.append(f"uses {name}, which {spec.name} forbids (hidden while grading)")
    if _SELF_CHECK_INTERNALS.search(code):
        flags.append("reaches into the self-check's internals (references or cases)")
    return flags
