"""Command line of the homework system.

    python -m course_lib.homework grade PATH [PATH ...] [--timeout S] [--json FILE]
                                        [--assignment hwNN] [--jobs N]
    python -m course_lib.homework generate [SOLUTION ...] [--check]

``grade`` exits with 0 when every check of every submission passed, 1 when some check
failed, and 2 when some path could not be graded (missing, not a notebook, unknown
assignment). ``generate`` writes the student notebooks from the solutions; with
``--check`` it only reports stale ones and exits 1 if there are any.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from course_tools.grading.grader import grade_submission
from course_lib.homework.report import format_summary, format_table

ROOT = Path(__file__).resolve().parents[1]


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


def grade(args: argparse.Namespace) -> int:
    paths = _expand(args.paths)
    if not paths:
        print("no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    grade_one = partial(grade_submission, timeout=args.timeout, assignment=args.assignment)
    if len(paths) == 1 or args.jobs == 1:
        results = [grade_one(p) for p in paths]
    else:
        # "spawn": forking a process that may already run torch's thread pools can hang.
        context = multiprocessing.get_context("spawn")
        workers = min(args.jobs, len(paths))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = list(pool.map(grade_one, paths))
    for r in results:
        if r.error:
            print(f"{r.path}\n  could not grade: {r.error}\n")
        else:
            notes = "".join(f"\n  cell error: {e}" for e in r.cell_errors[:5])
            print(format_table(r.path, r.questions) + notes + "\n")
    submissions = [r.as_dict() for r in results]
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
        print("run: python -m course_lib.homework generate", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.homework",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade submitted notebooks")
    g.add_argument("paths", nargs="+", metavar="PATH", help="a notebook or a folder of them")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    g.add_argument("--json", metavar="FILE", help="also write the scores as JSON to FILE")
    g.add_argument("--assignment", help="hw01, ...; by default read from the notebook")
    g.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="submissions graded in parallel (default: up to 4)",
    )
    s = commands.add_parser("generate", help="write student notebooks from the solutions")
    s.add_argument("solutions", nargs="*", metavar="SOLUTION", help="default: all of them")
    s.add_argument("--check", action="store_true", help="only report stale student notebooks")
    args = parser.parse_args(argv)
    if args.command == "grade" and (args.timeout <= 0 or args.jobs < 1):
        parser.error("--timeout must be > 0 and --jobs >= 1")
    return grade(args) if args.command == "grade" else generate(args)


if __name__ == "__main__":
    sys.exit(main())
