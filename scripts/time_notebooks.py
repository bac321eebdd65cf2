"""Execute every lecture and solution notebook in a fresh kernel and print seconds per notebook.

Usage:
    python scripts/time_notebooks.py [--check] [NOTEBOOK ...]

The course budget on a 2-core CPU: 20 s per lecture, 10 s per homework solution (20 s for hw07),
2 minutes in all. Notebooks over budget are flagged; with ``--check`` the exit status is 1 when
anything is over. Notebooks are executed in memory: the files on disk are never modified.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.notebook_files import executed_notebooks, notebook_id  # noqa: E402

TOTAL_BUDGET = 120.0


def budget(path: Path) -> float:
    """Seconds allowed for one notebook."""
    if path.parent.name == "solutions" and not path.name.startswith("hw07"):
        return 10.0
    return 20.0


def execute_seconds(path: Path) -> float:
    """Wall-clock seconds to run ``path`` top to bottom in a fresh python3 kernel."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lecture/solution")
    parser.add_argument("--check", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or executed_notebooks()
    if not paths:
        print("no notebooks to time")
        return 0
    over = False
    total = 0.0
    print(f"{'notebook':<50} {'seconds':>8} {'budget':>7}")
    for path in paths:
        seconds = execute_seconds(path)
        total += seconds
        flag = "  OVER BUDGET" if seconds > budget(path) else ""
        over |= bool(flag)
        print(f"{notebook_id(path):<50} {seconds:8.1f} {budget(path):7.0f}{flag}", flush=True)
    flag = "  OVER BUDGET" if total > TOTAL_BUDGET else ""
    over |= bool(flag)
    print(f"{'total':<50} {total:8.1f} {TOTAL_BUDGET:7.0f}{flag}")
    return 1 if (over and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
