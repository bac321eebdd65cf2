"""No prompt or hint gives the answer away: none contains a line of the solution code.

What the student reads (markdown cells, the comments and docstrings of the code they are
given, every message of the assignment in the catalogue: hints, named mistakes, the judges'
verdicts; the written questions) is compared, with
whitespace normalised, against every line between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` in the solution notebook. Lines too short to give anything away
(``return out``, ``)``) are not compared.
"""

from __future__ import annotations

import re

import jupytext
import pytest

from course_lib.homework.assignment import REGISTRY, load_assignment
from course_lib.homework.messages import catalogue
from tests.notebook_files import ROOT

#: A solution line shorter than this (after normalising) is too generic to count.
MIN_CHARS = 14


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_lines(source: str) -> list[str]:
    """The normalised lines inside the solution blocks of one cell."""
    lines, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside:
            code = normalise(line.split("#", 1)[0])
            if len(code) >= MIN_CHARS:
                lines.append(code)
    return lines


def student_text(source: str) -> str:
    """What a code cell shows the student outside its solution blocks: comments, docstrings."""
    kept, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def leaks(solution: list[str], texts: dict[str, str]) -> list[str]:
    found = []
    for where, text in texts.items():
        flat = normalise(text)
        found += [f"{where}: {line}" for line in solution if line in flat]
    return found


def test_the_scan_finds_a_leaked_line():
    cell = (
        "def f(x):\n    ### BEGIN SOLUTION\n"
        "    return np.maximum(x, 0) * scale\n    ### END SOLUTION\n"
    )
    texts = {"hint": "write return np.maximum( x, 0 ) * scale and you are done"}
    assert leaks(solution_lines(cell), texts) == ["hint: returnnp.maximum(x,0)*scale"]
    assert leaks(solution_lines(cell), {"hint": "clip negative values to zero"}) == []


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_no_prompt_or_hint_contains_a_solution_line(name):
    assignment = load_assignment(name)
    notebook = jupytext.read(ROOT / "homework" / "solutions" / f"{assignment.notebook}.py")
    solution = [
        line for c in notebook.cells if c.cell_type == "code" for line in solution_lines(c.source)
    ]
    assert solution, f"{name}: no solution block found"
    texts = {}
    for i, cell in enumerate(notebook.cells):
        source = cell.source if cell.cell_type == "markdown" else student_text(cell.source)
        texts[f"cell {i}"] = source
    for message_id, text in catalogue().items():  # hints, mistakes, judges' messages
        if message_id.startswith(f"{name}."):
            texts[message_id] = text
    for w in assignment.written:
        texts[f"{w.key} prompt"] = w.prompt
    found = leaks(solution, texts)
    assert not found, "these texts give a solution line away:\n" + "\n".join(found)


def forbidden_in_rules(markdown: str) -> set[str]:
    """The modules a notebook's **Rules.** paragraph says not to use: every backticked name
    after its first "not", as a module (a function's module when it names a function;
    a name that is no module, such as a function in parentheses, is left out)."""
    import importlib.util

    paragraph = markdown.split("**Rules.**", 1)[1].split("\n\n", 1)[0]
    banned = paragraph.split(" not ", 1)[1].split("(they contain", 1)[0]
    modules = set()
    for name in re.findall(r"`([\w.]+)`", banned):
        while name:
            try:
                if importlib.util.find_spec(name) is not None:
                    modules.add(name)
                    break
            except (ImportError, ValueError):
                pass
            name = name.rpartition(".")[0]
    return modules


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_the_forbidden_modules_are_the_ones_the_notebook_says_not_to_use(name):
    from course_lib.homework.assignment import forbidden_modules

    assignment = load_assignment(name)
    notebook = jupytext.read(ROOT / "homework" / f"{assignment.notebook}.ipynb")
    intro = "\n\n".join(c.source for c in notebook.cells[:3] if c.cell_type == "markdown")
    said = forbidden_in_rules(intro)
    # a function of torch (torch.autograd.functional.hessian) cannot be hidden without torch
    said = {m for m in said if m.startswith("course_lib.") or "." not in m}
    assert said == set(forbidden_modules(name)), (said, forbidden_modules(name))


def test_the_rules_reader_finds_modules_behind_functions():
    rules = (
        "**Rules.** Use NumPy, not `course_lib.data` (its `minibatches`) or `torch` (they contain"
    )
    assert forbidden_in_rules(rules) == {"course_lib.data", "torch"}
