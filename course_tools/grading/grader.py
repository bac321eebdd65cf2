"""Grade submitted homework notebooks for the instructor: hidden cases, flags, the batch.

Command line: ``python -m course_tools grade PATH ...`` (:mod:`course_tools.homework_cli`).

For one submission the grader reads the notebook (:mod:`course_lib.homework.notebook_file`:
read once, never written, a malformed file becomes an error entry) and works out which
assignment it is: the ``--assignment`` the instructor names for a batch (a notebook that
answers another assignment is flagged and scores 0), else the ``grade_id`` of its answer
cells, the ``course_lib.homework.hwNN`` module it imports, or the file name. It then runs the
notebook through the same runner as the student's self-grade
(:mod:`course_lib.homework.runner`: a fresh kernel in a bubblewrap sandbox, plain data back,
scoring in this process), with each question's hidden cases -- the same kinds as the public
ones, made from the instructor's secret seed (:mod:`course_tools.grading.instructor`) -- and
with the instructor folder and the submissions' folders hidden. It adds what only the
instructor needs: flags (another assignment, forbidden modules, reaching into the self-check),
the written answers for manual review, and the cell errors.

What the sandbox does and does not protect against is in :mod:`course_lib.homework.sandbox`;
without bwrap (``--unsandboxed``) a submission runs with the grader's permissions.
"""

from __future__ import annotations

import io
import re
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_lib.homework import sandbox
from course_lib.homework.assignment import (
    Assignment,
    assignment_from_filename,
    forbidden_modules,
)
from course_lib.homework.checking import QuestionResult, truncate
from course_lib.homework.notebook_file import (
    CannotGrade,
    code_cells,
    detect,
    identify,
    read_submission,
)
from course_lib.homework.runner import SUBMISSION_TIMEOUT, Limits, failed, run_submission
from course_tools.grading import instructor
from course_tools.grading.gradebook import capped_cell_errors, student_name
from course_tools.grading.review import written_answers

__all__ = ["SUBMISSION_TIMEOUT", "GradingSetup", "Submission", "grade_submission"]


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
        """The JSON form documented in ``docs/instructor.md``.

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


@dataclass(frozen=True)
class GradingSetup:
    """How to grade: time limits, the instructor folder, whether to use the sandbox.

    Attributes:
        submission_timeout: wall-clock seconds for the whole submission.
        instructor_dir: the instructor's folder (secrets, hidden data); None: the default
            (:func:`course_tools.grading.instructor.default_dir`).
        sandboxed: run inside bwrap; None: when bwrap is available.
        memory: bytes of address space per process in the sandbox.
        hide: further folders the sandbox must not show (the submissions' folders).
    """

    submission_timeout: float = SUBMISSION_TIMEOUT
    instructor_dir: str | None = None
    sandboxed: bool | None = None
    memory: int = sandbox.DEFAULT_MEMORY
    hide: tuple[str, ...] = ()


def grade_submission(
    path: str,
    timeout: float = 60.0,
    assignment: str | None = None,
    setup: GradingSetup | None = None,
) -> Submission:
    """Grade the notebook at ``path``; never raises for a bad submission, never writes to it.

    Args:
        path: a ``.ipynb`` file.
        timeout: seconds each cell (and each question's check) may run.
        assignment: ``"hw01"`` …: the batch's assignment named by the instructor; a notebook
            that answers another one is flagged and scores 0. None: worked out from the notebook.
        setup: the rest of the configuration (:class:`GradingSetup`).

    Returns:
        a :class:`Submission`; ``error`` is set when the file could not be graded at all.
    """
    start = time.perf_counter()
    setup = GradingSetup() if setup is None else setup
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
        result.questions = [failed(q, "missing", message) for q in spec.questions]
        return result
    if named is not None and named != spec.name:
        result.flags.append(f"the file name says {named}; graded as {spec.name}")
    result.answers = written_answers(nb, spec)
    cells = code_cells(nb)
    result.flags.extend(forbidden_uses(spec, cells))
    folder = instructor.resolve(setup.instructor_dir)
    secrets = instructor.load(folder)
    cases = {q.key: instructor.grading_cases(spec, q, secrets) for q in spec.questions}
    hide = (Path(path).resolve().parent, folder, *map(Path, setup.hide))
    limits = Limits(timeout, setup.submission_timeout, setup.memory, setup.sandboxed, hide)
    run = run_submission(spec, cells, cases, limits, forbidden_modules(spec.name))
    result.questions = run.questions
    for question in result.questions if result.flags else []:
        question.message += " [flagged: " + "; ".join(result.flags) + "]"
    result.cell_errors = run.cell_errors(cells)
    result.seconds = time.perf_counter() - start
    return result


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
