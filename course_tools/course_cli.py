"""The contributor's course commands.

    python -m course_tools book [--out DIR] [--solutions] [--execute]
    python -m course_tools time [--check] [NOTEBOOK ...]
    python -m course_tools execute NOTEBOOK [...]

``book`` builds the static HTML book of the executed course (default ``_build/book``);
``time`` executes notebooks in fresh kernels and prints seconds against the budget;
``execute`` re-executes edited notebooks in place and re-pairs them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from course_tools.course import budget, course_of, executed_notebooks, find_root


def time_command(args: argparse.Namespace) -> int:
    from course_tools import timing

    root = find_root()
    paths = [p.resolve() for p in args.notebooks] or executed_notebooks(root)
    if not paths:
        print("no notebooks to time")
        return 0
    print(timing.header())
    timings = []
    for path in paths:
        name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        timings.append(timing.time_notebook(path, budget(root, path), name))
        t = timings[-1]
        print(timing.format_row(t.name, t.seconds, t.budget, t.cpu), flush=True)
    allowed = course_of(root).course_budget
    print(timing.total_row(timings, allowed))
    return 1 if (args.check and timing.over_budget(timings, allowed)) else 0


def execute_command(args: argparse.Namespace) -> int:
    from course_tools.rerun import rerun

    for path in args.notebooks:
        seconds = rerun(path)
        print(f"executed {path.with_suffix('.ipynb')} in {seconds:.1f} s", flush=True)
    return 0


def book_command(args: argparse.Namespace) -> int:
    from course_tools.book import build_book

    root = find_root()
    out = args.out if args.out is not None else root / "_build" / "book"
    start = time.perf_counter()
    pages = build_book(
        root,
        out,
        solutions=args.solutions,
        execute=args.execute,
        progress=lambda page: print(f"  {page}", flush=True),
    )
    seconds = time.perf_counter() - start
    print(f"built {len(pages)} pages in {seconds:.1f} s: open {out / 'index.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    book = commands.add_parser("book", help="build the offline HTML book")
    book.add_argument("--out", type=Path, help="output folder (default: _build/book)")
    book.add_argument(
        "--solutions",
        action="store_true",
        help="instructor edition: also include the executed homework solutions",
    )
    book.add_argument(
        "--execute", action="store_true", help="re-execute the notebooks first (slow)"
    )
    book.set_defaults(run=book_command)

    timer = commands.add_parser("time", help="seconds per notebook against the budget")
    timer.add_argument("notebooks", nargs="*", type=Path, help="default: lectures and solutions")
    timer.add_argument("--check", action="store_true", help="exit 1 when over budget")
    timer.set_defaults(run=time_command)

    runner = commands.add_parser("execute", help="re-execute edited notebooks in place")
    runner.add_argument("notebooks", nargs="+", type=Path, help=".ipynb or its .py twin")
    runner.set_defaults(run=execute_command)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
