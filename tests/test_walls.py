"""The wall between the student's package and the instructor's: ``course_lib`` never imports
``course_tools``.

Every import statement counts, wherever it is: at module level, inside a function, under
``if TYPE_CHECKING:``, and ``importlib.import_module("course_tools…")`` / ``__import__`` with
a literal name. A student's copy has no ``course_tools`` at all, so such an import would fail
there the first time the code path runs; ``make test-release`` runs the copy's own tests in a
venv where ``course_tools`` cannot be imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import course_lib

PACKAGE = Path(course_lib.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
INSTRUCTOR = "course_tools"
DYNAMIC_IMPORTS = {"import_module", "__import__", "find_spec"}


def instructor_imports(source: str) -> list[str]:
    """``"line N: import X"`` for every import of the instructor's package in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            called = getattr(function, "attr", getattr(function, "id", ""))
            first = node.args[0]
            if called in DYNAMIC_IMPORTS and isinstance(first, ast.Constant):
                names = [str(first.value)]
        for name in names:
            if name == INSTRUCTOR or name.startswith(INSTRUCTOR + "."):
                found.append(f"line {node.lineno}: {name}")
    return found


def test_the_walk_finds_imports_at_every_depth():
    source = """
import course_tools
from course_tools.grading import grader
def later():
    from course_tools import release
if TYPE_CHECKING:
    import course_tools.book as book
importlib.import_module("course_tools.translate")
__import__("course_tools")
import course_toolsmith, course_lib.homework
print("python -m course_tools grade")
"""
    assert [f.split(": ")[1] for f in instructor_imports(source)] == [
        "course_tools",
        "course_tools.grading",
        "course_tools",
        "course_tools.book",
        "course_tools.translate",
        "course_tools",
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_course_lib_imports_nothing_from_course_tools(path):
    found = instructor_imports(path.read_text(encoding="utf-8"))
    where = path.relative_to(PACKAGE.parent)
    assert not found, f"{where} imports the instructor's package: {found}"
