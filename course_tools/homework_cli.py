"""The instructor's homework commands: batch grading and the student-notebook generator.

    python -m course_tools grade PATH [PATH ...] [--timeout S] [--json FILE]
                                        [--assignment hwNN] [--jobs N]
                                        [--csv FILE] [--review FILE] [--manual FILE]
                                        [--submission-timeout S] [--memory MB]
                                        [--instructor DIR] [--unsandboxed]
    python -m course_tools generate [SOLUTION ...] [--check]

``grade`` exits with 0 when every check of every submission passed, 1 when some check
failed, and 2 when some path could not be graded (missing, not a notebook, unknown
assignment). ``generate`` writes the student notebooks from the solutions; with
``--check`` it only reports stale ones and exits 1 if there are any. ``--csv``, ``--review``
and ``--manual`` are the gradebook (:mod:`course_tools.grading.gradebook`) and the written
answers (:mod:`course_tools.grading.review`); a bad ``--manual`` file exits with 2.

Each submission runs in a bubblewrap sandbox (:mod:`course_lib.homework.sandbox`). Without
bwrap a single file is graded after a one-line warning, while a batch (several files or a
folder) is refused (exit 2) unless ``--unsandboxed`` is given, which warns on every run.
``--instructor DIR`` names the folder with the secret seed of the hidden cases (default
``$COURSE_INSTRUCTOR_DIR``, else ``<repo>/instructor``). With ``--assignment`` (the batch's
assignment), a notebook that answers another assignment is flagged and scores 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from course_lib.homework import sandbox
from course_lib.homework.checking import cell_error_feedback
from course_lib.homework.report import format_summary, format_table
from course_tools.grading import instructor
from course_tools.grading.gradebook import capped_cell_errors, export_batch
from course_tools.grading.grader import (
    SUBMISSION_TIMEOUT,
    GradingSetup,
    Submission,
    grade_submission,
)

ROOT = Path(__file__).resolve().parents[1]


def _pool_map(grade_one, paths: list[str], workers: int, context) -> list[Submission]:
    """Grade ``paths`` in a process pool; a worker that dies costs only its own file.

    When a worker dies, the pool is broken for every file still in it: those are graded
    again, each in a pool of its own, so only the file that kills its worker gets an error.
    """
    results: dict[str, Submission] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {p: pool.submit(grade_one, p) for p in paths}
        for path, future in futures.items():
            with contextlib.suppress(Exception):  # BrokenProcessPool: retried alone below
                results[path] = future.result()
    for path in [p for p in paths if p not in results]:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as alone:
            try:
                results[path] = alone.submit(grade_one, path).result()
            except Exception as exc:
                error = f"the grading worker crashed on this file ({type(exc).__name__})"
                results[path] = Submission(path, error=error)
    return [results[p] for p in paths]


def _expand(paths: list[str]) -> list[str]:
    """Each path, with folders replaced by the notebooks inside them (sorted)."""
    found: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            notebooks = [
                q for q in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in q.parts
            ]
            found.extend(str(q) for q in notebooks)
        else:
            found.append(p)
    return found


def _sandbox_policy(args: argparse.Namespace, paths: list[str]) -> bool | None:
    """Whether to sandbox; None when grading must stop (a batch without bwrap).

    A single file graded without bwrap gets a one-line warning; a batch (several files or a
    folder) refuses unless ``--unsandboxed`` is given, and then warns on every run.
    """
    if sandbox.available() and not args.unsandboxed:
        return True
    batch = len(paths) > 1 or any(Path(p).is_dir() for p in args.paths)
    why = "--unsandboxed given" if args.unsandboxed else "bwrap (bubblewrap) is not available"
    if batch and not args.unsandboxed:
        print(
            f"refusing to grade a batch without a sandbox: {why}; install bubblewrap "
            "(Linux) or pass --unsandboxed to run every submission with your permissions",
            file=sys.stderr,
        )
        return None
    print(
        f"warning: grading WITHOUT a sandbox ({why}): the notebook runs with your permissions",
        file=sys.stderr,
    )
    return False


def _grade_safely(path: str, grade_one) -> Submission:
    """``grade_one(path)``; an unexpected crash becomes that file's error entry."""
    try:
        return grade_one(path)
    except Exception as exc:  # never lose a batch to one file
        return Submission(
            path, error=f"the grader failed on this file: {type(exc).__name__}: {exc}"
        )


def grade(args: argparse.Namespace) -> int:
    paths = _expand(args.paths)
    if not paths:
        print("no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    sandboxed = _sandbox_policy(args, paths)
    if sandboxed is None:
        return 2
    if len(paths) > 1 and args.assignment is None:
        print(
            "warning: no --assignment for this batch: each notebook is graded as the "
            "assignment it appears to answer",
            file=sys.stderr,
        )
    folders = sorted(
        {str(Path(p).resolve().parent) for p in paths}
        | {str(Path(p).resolve()) for p in args.paths if Path(p).is_dir()}
    )
    setup = GradingSetup(
        submission_timeout=args.submission_timeout,
        instructor_dir=args.instructor,
        sandboxed=sandboxed,
        memory=int(args.memory * 2**20),
        hide=tuple(folders),
    )
    folder = instructor.resolve(args.instructor)
    if instructor.load(folder) is None:
        print(f"warning: no instructor secrets in {folder}: public cases only", file=sys.stderr)
    grade_one = partial(
        _grade_safely,
        grade_one=partial(
            grade_submission, timeout=args.timeout, assignment=args.assignment, setup=setup
        ),
    )
    if len(paths) == 1 or args.jobs == 1:
        results = [grade_one(p) for p in paths]
    else:
        # "spawn": forking a process that may already run torch's thread pools can hang.
        context = multiprocessing.get_context("spawn")
        workers = min(args.jobs, len(paths))
        results = _pool_map(grade_one, paths, workers, context)
    for r in results:
        if r.error:
            print(f"{r.path}\n  could not grade: {r.error}\n")
        else:
            errors = capped_cell_errors(r.cell_errors)[:5]
            notes = "".join(f"\n  cell error: {cell_error_feedback(e)}" for e in errors)
            print(format_table(r.path, r.questions) + notes + "\n")
    submissions = [r.as_dict() for r in results]
    try:
        export_batch(results, submissions, args.assignment, args.csv, args.review, args.manual)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(results) > 1:
        print(format_summary(submissions))
    if args.json:
        Path(args.json).write_text(json.dumps({"submissions": submissions}, indent=2) + "\n")
    if any(r.error for r in results):
        return 2
    return 0 if all(q.status == "passed" for r in results for q in r.questions) else 1


def generate(args: argparse.Namespace) -> int:
    from course_tools.generate import generate as generate_one

    solutions = [Path(p) for p in args.solutions] or sorted(
        (ROOT / "homework" / "solutions").glob("hw*.ipynb")
    )
    stale = [p for s in solutions for p in generate_one(s, ROOT, write=not args.check)]
    for path in stale:
        print(("stale: " if args.check else "wrote: ") + str(path))
    if args.check and stale:
        print("run: python -m course_tools generate", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade submitted notebooks")
    g.add_argument("paths", nargs="+", metavar="PATH", help="a notebook or a folder of them")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    g.add_argument("--json", metavar="FILE", help="also write the scores as JSON to FILE")
    g.add_argument("--csv", metavar="FILE", help="write a gradebook, one row per student")
    g.add_argument(
        "--review", metavar="FILE", help="collect the written answers (.md, or .html) in FILE"
    )
    g.add_argument(
        "--manual", metavar="FILE", help="merge manual scores (CSV: student, question, points)"
    )
    g.add_argument("--assignment", help="hw01, ...; by default read from the notebook")
    g.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="submissions graded in parallel (default: up to 4)",
    )
    g.add_argument(
        "--submission-timeout",
        type=float,
        default=SUBMISSION_TIMEOUT,
        help=f"wall-clock seconds for a whole submission (default {SUBMISSION_TIMEOUT:g})",
    )
    g.add_argument(
        "--memory", type=float, default=4096, help="MB of memory per process (default 4096)"
    )
    g.add_argument(
        "--instructor",
        metavar="DIR",
        help="the instructor folder with the secret seed (default: $COURSE_INSTRUCTOR_DIR, "
        "else <repo>/instructor)",
    )
    g.add_argument(
        "--unsandboxed",
        action="store_true",
        help="grade without bubblewrap (every submission runs with your permissions)",
    )
    s = commands.add_parser("generate", help="write student notebooks from the solutions")
    s.add_argument("solutions", nargs="*", metavar="SOLUTION", help="default: all of them")
    s.add_argument("--check", action="store_true", help="only report stale student notebooks")
    args = parser.parse_args(argv)
    if args.command == "grade" and (
        args.timeout <= 0 or args.jobs < 1 or args.submission_timeout <= 0 or args.memory <= 0
    ):
        parser.error("--timeout, --submission-timeout, --memory must be > 0 and --jobs >= 1")
    return grade(args) if args.command == "grade" else generate(args)


if __name__ == "__main__":
    sys.exit(main())
