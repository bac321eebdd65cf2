"""The homework self-checks and the student-notebook generator, without starting kernels.

The correct functions come from executing the hw01 solution notebook's code; the wrong ones
are written here, each with the mistake a student is likely to make.
"""

from __future__ import annotations

import functools
import math

import jupytext
import nbformat
import numpy as np
import pytest

from course_lib.autograd import Value
from course_lib.homework import REGISTRY, load_assignment
from course_tools.generate import (
    generate,
    solution_regions,
    strip_solutions,
    student_notebook,
)
from tests.notebook_files import ROOT

SOLUTIONS = sorted((ROOT / "homework" / "solutions").glob("hw*.ipynb"))
HW01 = load_assignment("hw01")


@functools.cache
def solution_namespace(name: str) -> dict:
    """An assignment solution's namespace after running its code cells (no kernel needed)."""
    notebook = load_assignment(name).notebook
    nb = jupytext.read(ROOT / "homework" / "solutions" / f"{notebook}.ipynb")
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.source.startswith("check("):
            exec(compile(cell.source, f"<{notebook}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def solution_functions() -> dict:
    return solution_namespace("hw01")


ALL_QUESTIONS = [(name, q) for name in REGISTRY for q in load_assignment(name).questions]


@pytest.mark.parametrize("name, question", ALL_QUESTIONS, ids=lambda x: getattr(x, "key", x))
def test_solution_passes_every_question(name, question):
    function = solution_namespace(name)[question.function]
    result = load_assignment(name).evaluate(question.key, function)
    assert result.status == "passed", result.message
    assert result.score == question.points


@functools.cache
def student_namespace(name: str) -> dict:
    """An unfilled student notebook's namespace (cells raising NotImplementedError skipped)."""
    notebook = load_assignment(name).notebook
    nb = nbformat.read(ROOT / "homework" / f"{notebook}.ipynb", as_version=4)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.source.startswith("check("):
            try:
                exec(compile(cell.source, f"<{notebook}>", "exec"), namespace)
            except NotImplementedError:
                assert "raises-exception" in cell.metadata.get("tags", []), cell.source
    return namespace


@pytest.mark.parametrize("name, question", ALL_QUESTIONS, ids=lambda x: getattr(x, "key", x))
def test_unfilled_student_notebook_is_not_implemented_for_every_question(name, question):
    function = student_namespace(name).get(question.function)
    result = load_assignment(name).evaluate(question.key, function)
    assert result.status == "not implemented", result.message
    assert result.score == 0


def test_eigenvector_questions_accept_either_sign():
    def flipped(H):
        lam, u = solution_namespace("hw02")["escape_direction"](H)
        return lam, -u

    assert load_assignment("hw02").evaluate("q4", flipped).status == "passed"


def test_string_answers_are_compared_exactly():
    result = load_assignment("hw02").evaluate("q3", lambda H, tol=1e-6: "saddle")
    assert result.status == "failed"
    assert "kind is 'saddle', expected" in result.message


def test_report_for_a_wrong_gradient_shows_input_expected_actual_and_hint(capsys):
    def transposed_dW(dout, x, W):
        return dout @ W.T, dout.T @ x, dout.sum(axis=0)

    HW01.check("q1", transposed_dW)
    report = capsys.readouterr().out
    assert report.startswith("Q1 affine_backward: FAILED")
    assert "dW has shape (4, 3), expected (3, 4)" in report
    for part in ("input    dout", "input    x", "expected dW", "actual   dW", "hint:"):
        assert part in report
    assert "[0/2 points]" in report


def test_relu_gradient_at_zero_must_be_zero_as_in_torch():
    result = HW01.evaluate("q2", lambda dout, x: dout * (x >= 0))
    assert result.status == "failed"
    assert "exactly 0" in result.message


def test_softmax_without_the_max_trick_fails_on_huge_scores():
    def naive(scores, y):
        p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        d = p.copy()
        d[np.arange(len(y)), y] -= 1
        return -np.log(p[np.arange(len(y)), y]).mean(), d / len(y)

    with np.errstate(all="ignore"):
        result = HW01.evaluate("q3", naive)
    assert result.status == "failed" and result.score == 0
    assert "2 of 3 cases failed" in result.message
    assert "huge scores" in result.message and "exp(1000) overflows" in result.message


def test_two_layer_loss_missing_the_regularisation_gradient_fails(solution_functions):
    full = solution_functions["two_layer_loss"]

    def without_reg_grad(params, X, y, reg):
        loss, grads = full(params, X, y, reg)
        grads["W1"] = grads["W1"] - 2 * reg * params["W1"]
        return loss, grads

    result = HW01.evaluate("q4", without_reg_grad)
    assert result.status == "failed"
    assert "grads['W1'] is wrong" in result.message


def test_value_op_that_forgets_its_parents_gets_zero_gradient_reported():
    result = HW01.evaluate("q5", lambda x: Value(math.sin(x.data)))
    assert result.status == "failed"
    assert "df/dx is wrong" in result.message


def test_power_using_the_constant_exponent_op_reports_the_exception():
    result = HW01.evaluate("q6", lambda a, b: a**b)
    assert result.status == "error"
    assert "TypeError" in result.message


def test_unimplemented_question_says_not_implemented_yet(capsys):
    def stub(*args):
        raise NotImplementedError

    HW01.check("q4", stub)
    report = capsys.readouterr().out
    assert "not implemented yet" in report
    assert "Traceback" not in report


def test_check_of_something_that_is_not_a_function_is_reported_not_raised():
    result = HW01.evaluate("q1", None)
    assert result.status == "missing"
    assert result.score == 0


def test_function_that_modifies_its_inputs_is_named_and_cannot_change_later_cases(
    solution_functions,
):
    def vandal(dout, x, W):
        out = solution_functions["affine_backward"](dout, x, W)
        dout[...] = 0.0
        x[...] = 0.0
        W[...] = 0.0
        return out

    result = HW01.evaluate("q1", vandal)
    assert result.score == 0 and "changed its argument dout, x, W in place" in result.message
    assert HW01.question("q1").make_cases()[0].args[0].any()  # the cases are intact


def test_unknown_question_and_assignment_names_raise_value_error():
    with pytest.raises(ValueError, match="question must be one of"):
        HW01.question("q9")
    with pytest.raises(ValueError, match="assignment must be one of"):
        load_assignment("hw99")
    with pytest.raises(TypeError, match="assignment must be a str"):
        load_assignment(1)


def test_points_add_up_and_every_registered_assignment_has_a_solution():
    assert HW01.max_score == 14
    assert sorted(REGISTRY) == [p.name[:4] for p in SOLUTIONS]
    for name in REGISTRY:
        assignment = load_assignment(name)
        assert (ROOT / "homework" / "solutions" / f"{assignment.notebook}.ipynb").exists()


# ----- the generator --------------------------------------------------------------------


def test_strip_solutions_keeps_indentation_and_the_lines_outside():
    source = (
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    )
    assert strip_solutions(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError"
    )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without a matching"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_raise_value_error(source, problem):
    with pytest.raises(ValueError, match=problem):
        solution_regions(source)


def test_solution_without_regions_cannot_make_a_student_notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="no '### BEGIN SOLUTION' regions"):
        student_notebook(nb, "hw01")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_committed_student_notebook_is_what_the_generator_produces(solution):
    stale = generate(solution, ROOT, write=False)
    assert not stale, f"stale: {stale}; run `python -m course_tools generate`"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_student_notebook_contains_no_line_of_solution_code(solution):
    solution_nb = nbformat.read(solution, as_version=4)
    student_text = "\n".join(
        (solution.parent.parent / solution.name).with_suffix(ext).read_text()
        for ext in (".ipynb", ".py")
    )
    student_lines = {line.strip().strip('",').strip() for line in student_text.splitlines()}
    answer_lines = [
        line.strip()
        for cell in solution_nb.cells
        for region in solution_regions(cell.source)
        for line in region
        if line.strip()
    ]
    assert answer_lines, "the solution marks no answer lines"
    leaked = [line for line in answer_lines if line in student_lines]
    assert not leaked, f"solution lines in the student notebook: {leaked}"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_student_notebook_has_stubs_ids_and_no_outputs(solution):
    student = nbformat.read(solution.parent.parent / solution.name, as_version=4)
    answers = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers
    for cell in answers:
        if cell.cell_type == "code":
            assert (
                "# YOUR CODE HERE\n" in cell.source and "raise NotImplementedError" in cell.source
            )
        else:
            assert "YOUR ANSWER HERE" in cell.source
        assert cell.metadata["nbgrader"]["grade_id"].startswith(solution.name[:4] + "-answer-")
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_cells_that_call_answers_are_tagged_so_run_all_continues():
    student = nbformat.read(ROOT / "homework" / "hw02_critical_points.ipynb", as_version=4)
    tagged = [c for c in student.cells if "raises-exception" in c.metadata.get("tags", [])]
    assert tagged and all(
        "newton_step" in c.source
        or "classify" in c.source
        or "hessian_of_f" in c.source
        or "escape_direction" in c.source
        or "find_critical_points" in c.source
        or "autograd_hessian" in c.source
        for c in tagged
    )
    assert not any(c.source.startswith("check(") for c in tagged)
    assert not any("nbgrader" in c.metadata for c in tagged)


def test_pipeline_question_gives_partial_points_by_tier():
    from course_lib.homework.hw07 import TIERS
    from tests.instructor.test_hw07_pipeline import pipeline_answering

    hw07 = load_assignment("hw07")
    (case,) = hw07.question("q3").make_cases()
    y_val, board = case.secret  # the self-check's held-out labels, from the public training pool
    assert board == "validation"
    guesses = y_val.copy()
    guesses[::2] = (guesses[::2] + 1) % 10  # every other prediction wrong: accuracy 0.5

    result = hw07.evaluate("q3", pipeline_answering(guesses))
    assert TIERS[0].validation > 0.5
    assert result.score == 0 and result.status == "failed"
    assert "below the simple tier" in result.message
    right = hw07.evaluate("q3", pipeline_answering(y_val))
    assert right.score == TIERS[-1].points and "tier boss" in right.message
