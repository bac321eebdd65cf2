"""Where a course checkout keeps its notebooks, read from its manifest.

The map itself -- lectures, homework, languages, budgets -- is the data file
``course_lib/course.toml`` (:mod:`course_lib.manifest`). The instructor's tools work on a
checkout (``root``) and read *that checkout's* manifest, so a copy of the repository with a
lecture added is timed, built and translated with the lecture, whatever ``course_lib`` the
tools were imported from::

    notebooks/NN_topic.ipynb            lecture NN, executed, with outputs
    homework/hwNN_topic.ipynb           its homework as students get it (no outputs)
    homework/solutions/hwNN_topic.ipynb the executed solution
    notebooks/<lang>/, homework/<lang>/ the generated editions in other languages
"""

from __future__ import annotations

from pathlib import Path

from course_lib.manifest import Course, read

#: The checkout this package was imported from.
ROOT = Path(__file__).resolve().parents[1]
MANIFEST = Path("course_lib", "course.toml")


def find_root(start: Path | str | None = None) -> Path:
    """The course checkout: the first of ``start`` (default: the working directory) and its
    parents that holds both ``notebooks/`` and the manifest, else the checkout this package
    was imported from.

    Raises:
        FileNotFoundError: when neither is a course checkout.
    """
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    for candidate in (here, *here.parents, ROOT):
        if (candidate / "notebooks").is_dir() and (candidate / MANIFEST).is_file():
            return candidate
    raise FileNotFoundError(
        f"start={str(here)!r} is not inside a course checkout (no notebooks/ and {MANIFEST})"
    )


def course_of(root: Path) -> Course:
    """The manifest of the checkout at ``root``."""
    return read(Path(root) / MANIFEST)


def lecture_notebooks(root: Path) -> list[Path]:
    """The lectures' notebooks that exist, in the manifest's order."""
    paths = (Path(root) / "notebooks" / f"{lec.notebook}.ipynb" for lec in course_of(root).lectures)
    return [p for p in paths if p.exists()]


def solution_notebooks(root: Path) -> list[Path]:
    """The homework solutions that exist, in the manifest's order."""
    folder = Path(root) / "homework" / "solutions"
    paths = (folder / f"{lec.homework}.ipynb" for lec in course_of(root).lectures)
    return [p for p in paths if p.exists()]


def student_notebooks(root: Path) -> list[Path]:
    """The homework notebooks as students get them, in the manifest's order."""
    paths = (Path(root) / "homework" / f"{lec.homework}.ipynb" for lec in course_of(root).lectures)
    return [p for p in paths if p.exists()]


def executed_notebooks(root: Path) -> list[Path]:
    """Notebooks stored with outputs: lectures, then solutions."""
    return lecture_notebooks(root) + solution_notebooks(root)


def budget(root: Path, path: Path) -> float:
    """Seconds allowed to execute the notebook at ``path``: its lecture's or homework's budget
    in the manifest (any edition), else the default lecture budget."""
    course = course_of(root)
    for lecture in course.lectures:
        if Path(path).stem == lecture.notebook:
            return lecture.budget
        if Path(path).stem == lecture.homework:
            return lecture.homework_budget
    return course.lecture_budget
