"""Where the course's notebooks live, for the notebook tests (see ``course_tools.course``)."""

from __future__ import annotations

from pathlib import Path

from course_tools import course

ROOT = Path(__file__).resolve().parents[1]


def executed_notebooks() -> list[Path]:
    """Lecture and solution notebooks (stored with outputs, compared by nbval), sorted."""
    return course.executed_notebooks(ROOT)


def student_notebooks() -> list[Path]:
    """Student homework notebooks (generated from the solutions, no outputs), sorted."""
    return course.student_notebooks(ROOT)


def all_notebooks() -> list[Path]:
    return executed_notebooks() + student_notebooks()


def notebook_id(path: Path) -> str:
    """The path relative to the repository root (absolute when outside it)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
