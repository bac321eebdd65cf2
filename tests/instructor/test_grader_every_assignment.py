"""Every assignment, graded for real: in the sandbox, with its hidden cases and forbidden modules.

The grader hides each assignment's forbidden modules from the kernel. That must not break
the assignment's own kernel-side code (a regression once gave every hw03, hw04 and hw05
solution 0/10), and a remark in a comment must not count as using a module (the Colab
cell's comment once flagged every student notebook as "uses torch").
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient
from course_lib.homework import REGISTRY
from course_lib.homework.hw05 import squared_error
from course_tools.__main__ import main
from course_tools.grading.grader import without_comments_and_strings
from tests.notebook_files import ROOT


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every solution and every blank student notebook, graded in one sandboxed batch."""
    out = tmp_path_factory.mktemp("every") / "scores.json"
    paths = sorted(str(p) for p in (ROOT / "homework").glob("hw0*.ipynb"))
    paths += sorted(str(p) for p in (ROOT / "homework" / "solutions").glob("hw0*.ipynb"))
    assert len(paths) == 2 * len(REGISTRY)
    main(["grade", *paths, "--jobs", "2", "--json", str(out)])
    return {s["path"]: s for s in json.loads(out.read_text())["submissions"]}


def test_every_solution_earns_full_marks_in_the_sandbox_with_no_flag_or_cell_error(graded):
    solutions = {p: s for p, s in graded.items() if "/solutions/" in p}
    assert len(solutions) == len(REGISTRY)
    for path, s in solutions.items():
        assert s["score"] == s["max_score"] > 0, (path, [q["message"] for q in s["questions"]])
        assert s["flags"] == [] and s["cell_errors"] == [], path


def test_every_blank_student_notebook_scores_zero_as_not_implemented_and_unflagged(graded):
    blanks = {p: s for p, s in graded.items() if "/solutions/" not in p}
    assert len(blanks) == len(REGISTRY)
    for path, s in blanks.items():
        assert s["score"] == 0, path
        assert {q["status"] for q in s["questions"]} == {"not implemented"}, path
        assert s["flags"] == [], path


def test_hw05_q4s_training_loss_has_the_gradient_it_claims():
    rng = np.random.default_rng(5)
    logits, labels = rng.standard_normal((7, 4)) * 3, rng.integers(0, 4, 7)
    _, grad = squared_error(logits, labels)
    numeric = numerical_gradient(lambda z: squared_error(z, labels)[0], logits.copy())
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_comments_and_strings_are_not_code_but_code_still_is():
    cell = 'import sys  # torch stays\nprint("torch")\ndoc = """\ntorch\n"""; import torch\n'
    code = without_comments_and_strings(cell)
    assert code.count("torch") == 1 and code.rstrip().endswith("import torch")
    assert code.count("\n") == cell.count("\n"), "line numbers are kept"
