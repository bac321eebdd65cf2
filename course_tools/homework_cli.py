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
import multiprocessing
import multiprocessing.util
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from course_lib.homework import safe_files, sandbox
from course_lib.homework.checking import cell_error_feedback
from course_lib.homework.messages import say
from course_lib.homework.report import format_summary, format_table
from course_lib.language import speaking
from course_tools.course import ROOT
from course_tools.grading import instructor
from course_tools.grading.gradebook import BatchRecord, capped_cell_errors, export_batch
from course_tools.grading.grader import (
    SUBMISSION_TIMEOUT,
    GradingSetup,
    Submission,
    grade_submission,
)


def _ignore_interrupts() -> None:
    """Pool workers leave Ctrl-C to the main process, which ends them itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_map(grade_one, paths: list[str], workers: int, context) -> Iterator[Submission]:
    """Grade ``paths`` in a process pool, yielding each result as soon as it is known; a
    worker that dies costs only its own file.

    When a worker dies, the pool is broken for every file still in it: those are graded
    again, each in a pool of its own, so only the file that kills its worker gets an error.
    """
    done: set[str] = set()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts)
    try:
        futures = {pool.submit(grade_one, p): p for p in paths}
        for future in as_completed(futures):
            with contextlib.suppress(Exception):  # BrokenProcessPool: retried alone below
                result = future.result()
                done.add(futures[future])
                yield result
        pool.shutdown()
    finally:
        _stop(pool)
    for path in [p for p in paths if p not in done]:
        alone = ProcessPoolExecutor(1, mp_context=context, initializer=_ignore_interrupts)
        try:
            yield alone.submit(grade_one, path).result()
            alone.shutdown()
        except Exception as exc:
            error = f"the grading worker crashed on this file ({type(exc).__name__})"
            yield Submission(path, error=error)
        finally:
            _stop(alone)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down now (after an interruption; a no-op once it was shut down): pending
    files are cancelled and running workers ended (their sandboxes die with them: bwrap runs
    with ``--die-with-parent``)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            if process.is_alive():
                process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(10)


def _expand(paths: list[str]) -> tuple[list[str], list[str]]:
    """The notebooks to grade, and a note for each entry skipped.

    A folder is searched for ``*.ipynb`` files (sorted, without following links or entering
    ``.ipynb_checkpoints``); only regular files that can be read are kept: a link, FIFO,
    device, folder or unreadable file named ``*.ipynb`` is skipped with a note saying what
    it is. A file named on the command line is graded as given (a link to a notebook too).

    Raises:
        FileNotFoundError: a path that does not exist (a typo must not become a zero row).
    """
    found: list[str] = []
    skipped: list[str] = []
    for p in paths:
        if not os.path.lexists(p):
            raise FileNotFoundError(f"no such file or folder: {p}")
        if not Path(p).is_dir():
            found.append(p)
            continue
        for path, mode in safe_files.walk(p):
            if path.suffix != ".ipynb" or ".ipynb_checkpoints" in path.parts:
                continue
            if not stat.S_ISREG(mode):
                skipped.append(f"{path}: skipped, it is {safe_files.kind(mode)}")
            elif not os.access(path, os.R_OK):
                skipped.append(f"{path}: skipped, it cannot be read")
            else:
                found.append(str(path))
    return sorted(found, key=lambda p: Path(p).parts), skipped


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
    """``python -m course_tools grade``: find the notebooks, grade each (in parallel with
    ``--jobs``), print and record the results; 0 all passed, 1 some failed, 2 an error, 130
    interrupted (with a partial gradebook)."""
    paths = _submissions(args)
    if paths is None:
        return 2
    setup = _setup(args, paths)
    if setup is None:
        return 2
    grade_one = partial(
        _grade_safely,
        grade_one=partial(
            grade_submission, timeout=args.timeout, assignment=args.assignment, setup=setup
        ),
    )
    record = BatchRecord(args.json, args.csv, args.review, args.assignment)
    results: dict[str, Submission] = {}
    try:
        _grade_batch(paths, grade_one, args.jobs, record, results)
    except KeyboardInterrupt:
        ordered = [results[p] for p in paths if p in results]
        record.interrupted([r.as_dict() for r in ordered], [p for p in paths if p not in results])
        print(
            f"interrupted: {len(ordered)} of {len(paths)} notebooks graded; "
            + (record.partial_note() or "nothing was written"),
            file=sys.stderr,
        )
        return 130
    return _finish(args, [results[p] for p in paths], record)


def _submissions(args: argparse.Namespace) -> list[str] | None:
    """The notebooks to grade (folders expanded, odd entries skipped with a warning), or None
    after printing why there is nothing to grade."""
    try:
        paths, skipped = _expand(args.paths)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    for note in skipped:
        print(f"warning: {note}", file=sys.stderr)
    if not paths:
        print("no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return None
    if len(paths) > 1 and args.assignment is None:
        print(
            "warning: no --assignment for this batch: each notebook is graded as the "
            "assignment it appears to answer",
            file=sys.stderr,
        )
    return paths


def _setup(args: argparse.Namespace, paths: list[str]) -> GradingSetup | None:
    """The batch's grading setup (sandbox policy, limits, the folders to hide), or None when
    the sandbox policy refuses the batch."""
    sandboxed = _sandbox_policy(args, paths)
    if sandboxed is None:
        return None
    folders = sorted(
        {str(Path(os.path.abspath(p)).parent) for p in paths}
        | {os.path.abspath(p) for p in args.paths if Path(p).is_dir()}
    )
    folder = instructor.resolve(args.instructor)
    if instructor.load(folder) is None:
        print(f"warning: no instructor secrets in {folder}: public cases only", file=sys.stderr)
    return GradingSetup(
        submission_timeout=args.submission_timeout,
        instructor_dir=args.instructor,
        sandboxed=sandboxed,
        memory=int(args.memory * 2**20),
        hide=tuple(folders),
    )


def _grade_batch(paths, grade_one, jobs: int, record: BatchRecord, results: dict) -> None:
    """Grade ``paths`` into ``results`` (path -> Submission), recording and printing each as it
    arrives, so that an interruption keeps everything graded so far."""
    with _interrupted_by_sigterm(), _batch_folder():
        if len(paths) == 1 or jobs == 1:
            found = (grade_one(p) for p in paths)
        else:
            # "spawn": forking a process that may already run torch's thread pools can hang.
            context = multiprocessing.get_context("spawn")
            found = _pool_map(grade_one, paths, min(jobs, len(paths)), context)
        for r in found:
            results[r.path] = r
            record.add(r.as_dict())
            _print_result(r)


def _finish(args: argparse.Namespace, ordered: list[Submission], record: BatchRecord) -> int:
    """Write the gradebook's exports and summary; the batch's exit status."""
    submissions = [r.as_dict() for r in ordered]
    try:
        export_batch(ordered, submissions, args.assignment, args.csv, args.review, args.manual)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if len(ordered) > 1:
        print(format_summary(submissions))
    record.finish(submissions)
    if any(r.error for r in ordered):
        return 2
    return 0 if all(q.status == "passed" for r in ordered for q in r.questions) else 1


def _print_result(r: Submission) -> None:
    if r.error:
        print(f"{r.path}\n  could not grade: {r.error}\n", flush=True)
    else:
        with speaking(r.language):  # the student's language, as the questions' messages
            notes = "".join(
                "\n  " + say("grade.cell-error", error=cell_error_feedback(e))
                for e in capped_cell_errors(r.cell_errors)[:5]
            )
            print(format_table(r.path, r.questions) + notes + "\n", flush=True)


@contextlib.contextmanager
def _batch_folder():
    """Inside, the temporary folder (``TMPDIR``, inherited by the workers) is a fresh private
    folder of the batch, where each worker makes its job folders; it is removed at the end,
    with whatever a stopped worker left in it."""
    multiprocessing.util.get_temp_dir()  # this process's own stays where it is (and is removed)
    folder = tempfile.mkdtemp(prefix="course-grader-batch-")
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = folder, None
    try:
        yield
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]
        safe_files.remove_tree(folder)


@contextlib.contextmanager
def _interrupted_by_sigterm():
    """Inside, SIGTERM ends the batch like Ctrl-C (a partial gradebook, nothing stale)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        "--memory",
        type=float,
        default=sandbox.DEFAULT_MEMORY / 2**20,
        help="MB of memory for each submission's sandbox (default 4096)",
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
