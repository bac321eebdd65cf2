"""Grade submitted homework notebooks for the instructor: hidden cases, flags, the batch.

Command line: ``python -m course_tools grade PATH ...`` (:mod:`course_tools.homework_cli`).

For one submission the grader reads the notebook (:mod:`course_lib.homework.notebook_file`:
read once, never written, a malformed file becomes an error entry) and works out which
assignment it is: the ``--assignment`` the instructor names for a batch (a notebook that
answers another assignment is flagged and scores 0), else the ``grade_id`` of its answer
cells, the ``course_lib.homework.hwNN`` module it imports, or the file name. It then runs the
notebook through the same runner as the student's self-grade
(:mod:`course_lib.homework.runner`: a fresh kernel in a bubblewrap sandbox that shows none
of the instructor folder, the submissions or the repository, plain data back, scoring outside
the kernel), with each question's hidden cases only -- the same kinds as the public ones,
made from the instructor's secret seed, their answers computed by the references
(:mod:`course_tools.grading.instructor`). It adds what only the
instructor needs: flags (another assignment, forbidden modules, reaching into the self-check),
the written answers for manual review, and the cell errors. Forbidden modules are flagged from
the record of imports the kernel's audit hook kept, checked here, never from the source.
The messages a student reads (the questions' verdicts, the table) are in the submission's
language (:func:`~course_lib.homework.notebook_file.submission_language`); the flags and the
instructor's own notes stay in the course's source language.

What the sandbox does and does not protect against is in :mod:`course_lib.homework.sandbox`;
without bwrap (``--unsandboxed``) a submission runs with the grader's permissions.
"""

from __future__ import annotations

import re
import time
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
from course_lib.homework.messages import say
from course_lib.homework.notebook_file import (
    CannotGrade,
    code_cells,
    detect,
    identify,
    read_submission,
    submission_language,
)
from course_lib.homework.runner import SUBMISSION_TIMEOUT, Limits, failed, run_submission
from course_lib.language import source_language, speaking
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
    #: the language of the student's messages (the notebook's edition: ``"en"``, ``"zh"``)
    language: str = field(default_factory=source_language)

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
            "language": self.language,
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
    result.language = submission_language(nb)
    with speaking(result.language):
        _grade_notebook(result, nb, spec, found, timeout, setup)
    result.seconds = time.perf_counter() - start
    return result


def _grade_notebook(result: Submission, nb, spec: Assignment, found, timeout, setup) -> None:
    """Fill in ``result`` for the notebook ``nb`` of assignment ``spec`` (``found``: the
    assignment its content answers): :func:`grade_submission` once the file is read."""
    path = result.path
    named = assignment_from_filename(Path(path).name)
    if found is not None and found != spec.name:
        result.flags.append(f"wrong assignment: the notebook answers {found}, not {spec.name}")
        message = say("run.other-assignment", found=found, expected=spec.name)
        result.questions = [failed(q, "missing", message) for q in spec.questions]
        return
    if named is not None and named != spec.name:
        result.flags.append(f"the file name says {named}; graded as {spec.name}")
    result.answers = written_answers(nb, spec)
    cells = code_cells(nb)
    folder = instructor.resolve(setup.instructor_dir)
    secrets = instructor.load(folder)
    cases = {q.key: instructor.grading_cases(spec, q, secrets) for q in spec.questions}
    hide = (Path(path).resolve().parent, folder, *map(Path, setup.hide))
    limits = Limits(timeout, setup.submission_timeout, setup.memory, setup.sandboxed, hide)
    run = run_submission(spec, cells, cases, limits, forbidden_modules(spec.name))
    result.flags.extend(forbidden_imports(spec, run.imports, run.opened))
    result.flags.extend(internals_used(cells))
    result.questions = run.questions
    for question in result.questions if result.flags else []:
        question.message += " [flagged: " + "; ".join(result.flags) + "]"
    result.cell_errors = run.cell_errors(cells)


#: Code that reaches into the self-check's machinery (references, cases) instead of answering.
_SELF_CHECK_INTERNALS = re.compile(r"\.reference\b|\bload_assignment\b|\bASSIGNMENT\b|\bREGISTRY\b")


def without_comments_and_strings(source: str) -> str:
    """``source`` with every comment and string literal blanked out (same line layout).

    What a cell *says* about a module ("Colab's torch stays", ``print("unlike torch")``) is
    not a use of it; only code is searched. One pass with ``str.find`` (no tokenizer, no
    pattern that could backtrack), so a cell of any shape costs time linear in its length; a
    string left open runs to the end of its line (one quote) or of the cell (three).
    """
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        quote = _literal_start(source, i)
        if quote is None:
            j = min(_next_of(source, i, "#'\""), n)
            out.append(source[i:j])
            i = j
            continue
        end = _literal_end(source, i, quote)
        out.append(re.sub(r"[^\n]", " ", source[i:end]))
        i = end
    return "".join(out)


def _next_of(text: str, start: int, characters: str) -> int:
    found = [k for k in (text.find(c, start) for c in characters) if k >= 0]
    return min(found) if found else len(text)


def _literal_start(text: str, i: int) -> str | None:
    """``"#"`` for a comment at ``i``, the quote that opens a string there, else None."""
    if text[i] == "#":
        return "#"
    if text[i] in "'\"":
        return text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
    return None


def _literal_end(text: str, i: int, quote: str) -> int:
    """Where the comment or string opened by ``quote`` at ``i`` ends (exclusive)."""
    line_end = text.find("\n", i)
    line_end = len(text) if line_end < 0 else line_end
    if quote == "#":
        return line_end
    j = i + len(quote)
    while True:
        k = text.find(quote, j)
        if k < 0 or (len(quote) == 1 and k > line_end):
            return len(text) if len(quote) == 3 else line_end
        backslashes = 0
        while k - backslashes - 1 >= j and text[k - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return k + len(quote)
        j = k + 1


def forbidden_imports(spec: Assignment, imports: list[str], opened: list[str]) -> list[str]:
    """Flags for the forbidden modules the kernel tried to import, or whose files it tried to
    open (a cached ``.pyc`` say), from the record of its audit hook
    (:mod:`course_lib.homework.audit`): found outside the kernel, whatever the source looks
    like. The modules themselves are missing in the sandbox, so every such try failed."""
    flags = []
    for name in forbidden_modules(spec.name):
        leaf = name.rpartition(".")[2]
        tried = any(m == name or m.startswith(name + ".") for m in imports)
        if name.startswith("course_lib."):
            tried = tried or any(
                "course_lib" in p and Path(p).name.split(".")[0] == leaf for p in opened
            )
        if tried:
            flags.append(f"imports {name}, which {spec.name} forbids (missing while grading)")
    return flags


def internals_used(cells: list[str]) -> list[str]:
    """A flag for code that reaches into the self-check's machinery (references, cases),
    searched in the code without its comments and strings."""
    code = "\n".join(without_comments_and_strings(cell) for cell in cells)
    if _SELF_CHECK_INTERNALS.search(code):
        return ["reaches into the self-check's internals (references or cases)"]
    return []
