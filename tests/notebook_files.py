"""Where the course's notebooks live, shared by the notebook tests and scripts/time_notebooks.py."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Executed with outputs and compared by nbval: lectures and homework solutions.
EXECUTED_DIRS = (ROOT / "notebooks", ROOT / "homework" / "solutions")
#: Generated student notebooks: stored without outputs.
STUDENT_DIR = ROOT / "homework"


def executed_notebooks() -> list[Path]:
    """Lecture and solution notebooks, sorted."""
    return sorted(p for d in EXECUTED_DIRS if d.is_dir() for p in d.glob("*.ipynb"))


def student_notebooks() -> list[Path]:
    """Student homework notebooks (generated from the solutions), sorted."""
    return sorted(STUDENT_DIR.glob("*.ipynb")) if STUDENT_DIR.is_dir() else []


def all_notebooks() -> list[Path]:
    return executed_notebooks() + student_notebooks()


def notebook_id(path: Path) -> str:
    """The path relative to the repository root (absolute when outside it)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
