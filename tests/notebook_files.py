"""Where the course's notebooks live, for the notebook tests.

The same layout as ``course_tools.course`` (which the instructor's tools read), spelled out here
so that the tests a student's copy ships do not import the instructor's package.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lecture_notebooks() -> list[Path]:
    """``notebooks/*.ipynb`` (English lectures), sorted."""
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def solution_notebooks() -> list[Path]:
    """``homework/solutions/*.ipynb``; none in a student's copy."""
    return sorted((ROOT / "homework" / "solutions").glob("*.ipynb"))


def executed_notebooks() -> list[Path]:
    """Lecture and solution notebooks (stored with outputs, compared by nbval), sorted."""
    return lecture_notebooks() + solution_notebooks()


def student_notebooks() -> list[Path]:
    """Student homework notebooks (generated from the solutions, no outputs), sorted."""
    return sorted((ROOT / "homework").glob("*.ipynb"))


def all_notebooks() -> list[Path]:
    return executed_notebooks() + student_notebooks()


def notebook_id(path: Path) -> str:
    """The path relative to the repository root (absolute when outside it)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
