"""The student's self-grade: ``python -m course_lib.homework grade NOTEBOOK [...]``.

It grades a homework notebook the way the instructor's grader does -- the notebook run from
the top in a fresh kernel (inside a bubblewrap sandbox when the machine has one), the
assignment's forbidden modules hidden, each question's function called on its cases and the
answers scored outside the kernel (:mod:`course_lib.homework.runner`) -- but on the **public
cases** only, the ones the notebook's ``check`` cells use. The table says so: it is a preview.
The instructor's grade counts hidden cases of the same kinds, made from a secret seed that
never leaves the instructor's machine, so an answer that only reproduces the public outputs
scores here and not there.

The report is in the notebook's language (:func:`~course_lib.homework.notebook_file.
submission_language`: the Chinese edition's reports are Chinese), as the instructor's is.

Exit status: 0 when every question passed, 1 when some did not, 2 when a path could not be
graded (missing, not a notebook, unknown assignment).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_lib.homework import sandbox
from course_lib.homework.assignment import forbidden_modules
from course_lib.homework.checking import QuestionResult
from course_lib.homework.messages import say
from course_lib.homework.notebook_file import (
    CannotGrade,
    code_cells,
    identify,
    read_submission,
    submission_language,
)
from course_lib.homework.report import format_table
from course_lib.homework.runner import Limits, run_submission
from course_lib.language import speaking


def self_grade(path: Path, limits: Limits | None = None, assignment: str | None = None):
    """Grade the notebook at ``path`` on its assignment's public cases, its messages in the
    notebook's language (:func:`~course_lib.homework.notebook_file.submission_language`).

    Returns:
        ``(results, cell_errors, language)``: one :class:`QuestionResult` per question, a
        line for every code cell that failed, and the notebook's language code.

    Raises:
        CannotGrade: when ``path`` is not a notebook of a known assignment.
    """
    limits = Limits() if limits is None else limits
    nb = read_submission(path)
    spec = identify(nb, path, assignment)
    cells = code_cells(nb)
    cases = {q.key: q.make_cases() for q in spec.questions}
    hide = (path.resolve().parent, *limits.hide)
    language = submission_language(nb)
    with speaking(language):
        run = run_submission(
            spec,
            cells,
            cases,
            Limits(
                limits.timeout, limits.submission_timeout, limits.memory, limits.sandboxed, hide
            ),
            forbidden=forbidden_modules(spec.name),
        )
        return run.questions, run.cell_errors(cells), language


def report(path: str, results: list[QuestionResult], cell_errors: list[str]) -> str:
    """The printed report, in the chosen language: the score table (titled as a preview),
    then failing cells."""
    notes = "".join("\n  " + say("grade.cell-error", error=e) for e in cell_errors[:5])
    return format_table(path, results, say("grade.preview")) + notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.homework grade",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("command", choices=["grade"])
    parser.add_argument("paths", nargs="+", metavar="NOTEBOOK", help="your homework notebook")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (60)")
    parser.add_argument(
        "--memory",
        type=float,
        default=sandbox.DEFAULT_MEMORY / 2**20,
        help="MB of memory for the sandbox (default 4096)",
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.memory <= 0:
        parser.error("--timeout and --memory must be > 0")
    if not sandbox.available():
        print(say("grade.no-sandbox"), file=sys.stderr)
    limits = Limits(timeout=args.timeout, memory=int(args.memory * 2**20))
    status = 0
    for name in args.paths:
        try:
            results, cell_errors, language = self_grade(Path(name), limits)
        except CannotGrade as exc:
            print(f"{name}\n  " + say("grade.could-not-grade", error=exc) + "\n")
            status = 2
            continue
        with speaking(language):
            print(report(name, results, cell_errors) + "\n")
        if status == 0 and any(r.status != "passed" for r in results):
            status = 1
    return status
