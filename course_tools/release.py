"""``python -m course_tools release DEST``: the student-facing copy of the course.

Copies what students need from the repository's tracked files (``git ls-files``) into
``DEST``: the lecture notebooks, ``course_lib`` (the teaching library and the self-check with
its public cases only), the student homework notebooks, README, licences, the environment
files (pyproject, lock, environment.yml, jupytext.toml). Left out: ``homework/solutions``,
the instructor folder, the grader (``course_tools/grading``), the tests that read any of
those, and CI. DEST must not exist yet, or be empty.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Tracked paths (prefixes) that never reach students.
EXCLUDED = (
    "homework/solutions/",
    "instructor/",
    "course_tools/grading/",
    ".ci/",
    ".github/",
    ".pre-commit-config.yaml",
    "Makefile",
)


def released_files(root: Path = ROOT) -> list[str]:
    """The tracked files that go into the student copy, relative to ``root``."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [
        f
        for f in listed
        if not f.startswith(EXCLUDED) and (root / f).is_file() and not _needs_hidden(root / f)
    ]


def _needs_hidden(path: Path) -> bool:
    """A test that reads the solutions, the instructor folder or the grader."""
    if not path.name.startswith("test_") or path.suffix != ".py":
        return False
    text = path.read_text(encoding="utf-8")
    return any(w in text for w in ("solutions", "instructor", "course_tools.grading", "grade"))


def release(dest: Path, root: Path = ROOT) -> list[str]:
    """Copy the student-facing files into ``dest``; returns them.

    Raises:
        FileExistsError: when ``dest`` exists and is not an empty folder.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not empty")
    if dest.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"dest must be outside the repository, got {dest}")
    files = released_files(root)
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    pyproject = dest / "pyproject.toml"
    if pyproject.exists():  # the grader's package is not in the copy
        text = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(text.replace(', "course_tools.grading"', ""), encoding="utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools release", description=__doc__)
    parser.add_argument("command", choices=["release"])
    parser.add_argument("dest", help="a new (or empty) folder outside the repository")
    args = parser.parse_args(argv)
    try:
        files = release(Path(args.dest))
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {args.dest}")
    return 0
