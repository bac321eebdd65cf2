"""``python -m course_tools release DEST [--without-answers]``: the students' copy of the course.

The copy is cut along the wall between the two packages: it holds exactly the student side --
the teaching library and self-check (``course_lib``), the lecture notebooks (both editions),
the glossary, the homework notebooks as students get them, the tests that need nothing of the
instructor's, and the files that install and run it (``Makefile``, ``pyproject.toml``, the
students' lock, ``environment.yml``, ``jupytext.toml``). It leaves out ``course_tools``, the
solutions, the instructor folder, the instructor's tests, the translations' sources, the
instructor's and contributor's guides, ``instructor.mk`` and the instructor's lock, and CI.

Its README is this repository's, without the part between ``<!-- instructor -->`` and
``<!-- /instructor -->`` (the pointers to those guides). ``make lab``, the self-grade and
``make test`` work in the copy; ``make test-release`` proves it in a fresh venv
(:mod:`course_tools.release_test`). With ``--without-answers`` every notebook cell tagged
``answer`` (the folded answers to the lectures' exercises) is left out, for a course that
grades the exercises.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.config import load_jupytext_config

from course_tools.course import ROOT

#: Tracked files and folders (prefixes) that make up the students' copy.
STUDENT_SIDE = (
    "README.md",
    "conftest.py",
    "LICENSE",
    "LICENSE-CONTENT.md",
    "Makefile",
    "pyproject.toml",
    "requirements-lock.txt",
    "environment.yml",
    "jupytext.toml",
    ".gitignore",
    "course_lib/",
    "notebooks/",
    "homework/",
    "tests/",
)
#: Prefixes inside the student side that are the instructor's all the same.
INSTRUCTOR_SIDE = ("homework/solutions/", "tests/instructor/")

#: The README's instructor part, left out of the copy.
_INSTRUCTOR_PART = re.compile(r"<!-- instructor -->.*?<!-- /instructor -->\n?", re.S)

ANSWER_TAG = "answer"


def released_files(root: Path = ROOT) -> list[str]:
    """The tracked files that go into the students' copy, relative to ``root``."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [
        f
        for f in listed
        if f.startswith(STUDENT_SIDE) and not f.startswith(INSTRUCTOR_SIDE) and (root / f).is_file()
    ]


def student_readme(text: str) -> str:
    """The README without its instructor part."""
    return _INSTRUCTOR_PART.sub("", text)


def without_answers(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without the cells tagged ``answer``."""
    kept = [c for c in nb.cells if ANSWER_TAG not in c.get("metadata", {}).get("tags", [])]
    return nbformat.from_dict({**nb, "cells": kept})


def _strip_answers(dest: Path, files: list[str]) -> None:
    """Drop answer cells from every notebook in ``dest`` and re-pair its ``.py`` twin."""
    config = load_jupytext_config(str(dest / "jupytext.toml"))
    for name in files:
        if not name.endswith(".ipynb"):
            continue
        path = dest / name
        nb = nbformat.read(path, as_version=4)
        stripped = without_answers(nb)
        if len(stripped.cells) == len(nb.cells):
            continue
        nbformat.write(stripped, path)
        twin = path.with_suffix(".py")
        if twin.exists():
            jupytext.write(stripped, twin, fmt="py:percent", config=config)


def release(dest: Path, root: Path = ROOT, answers: bool = True) -> list[str]:
    """Copy the student side of ``root`` into ``dest``; returns the files, relative to it.

    Args:
        dest: a new (or empty) folder outside the repository.
        root: the repository.
        answers: False leaves out every notebook cell tagged ``answer``.

    Raises:
        FileExistsError: when ``dest`` exists and is not an empty folder.
        ValueError: when ``dest`` lies inside the repository.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"dest {dest} exists and is not empty")
    if dest.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"dest must be outside the repository, got {dest}")
    files = released_files(root)
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    readme = dest / "README.md"
    readme.write_text(student_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    if not answers:
        _strip_answers(dest, files)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools release", description=__doc__)
    parser.add_argument("command", choices=["release"])
    parser.add_argument("dest", help="a new (or empty) folder outside the repository")
    parser.add_argument(
        "--without-answers",
        action="store_true",
        help="leave out the folded answers to the lectures' exercises (cells tagged answer)",
    )
    args = parser.parse_args(argv)
    try:
        files = release(Path(args.dest), answers=not args.without_answers)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {args.dest}")
    return 0
