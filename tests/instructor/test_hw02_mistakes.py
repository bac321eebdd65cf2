"""hw02: planted mistakes, written the way a student would, get their named message and 0.

The cascade tests plant a wrong q3 or q5 under a correct q6: the grader still gives q6 its
points (stand-ins answer its calls of ``newton_step`` and ``classify``).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from course_lib.homework import load_assignment
from tests.instructor.planted import assert_cascade, assert_named, graded
from tests.instructor.test_homework_checks import solution_namespace

HW02 = load_assignment("hw02")


_named = functools.partial(assert_named, HW02)


def _true_hessian(p):
    x, y = p
    return np.array(
        [[12 * x**2 + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 12 * y**2 + 4 * x - 26]]
    )


# q1 hessian_of_f
def hessian_sign_off_diagonal(p):
    H = _true_hessian(p)
    return np.array([[H[0, 0], -H[0, 1]], [-H[1, 0], H[1, 1]]])


def hessian_without_cross_terms(p):
    return np.diag(np.diag(_true_hessian(p)))


def hessian_negated(p):
    return -_true_hessian(p)


def hessian_f_xx_without_2(p):
    H = _true_hessian(p)
    H[0, 0] -= 2.0  # d/dx of 2 (x + y^2 - 7) forgotten
    return H


# q2 autograd_hessian
def _grad(f, x):
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(f(x), x, create_graph=True)[0], x


def hessian_outer(f, x):
    g, _ = _grad(f, x)
    return torch.outer(g, g).detach()


def hessian_summed(f, x):
    g, x = _grad(f, x)
    return torch.autograd.grad(g.sum(), x)[0].detach()


def hessian_diagonal(f, x):
    g, x = _grad(f, x)
    rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(len(x))]
    return torch.diag(torch.diag(torch.stack(rows))).detach()


# q3 classify
def classify_without_tol(H, tol=1e-6):
    lam = np.linalg.eigvalsh(H)
    if np.all(lam > 0):
        return "local minimum"
    if np.all(lam < 0):
        return "local maximum"
    if np.any(lam > 0) and np.any(lam < 0):
        return "saddle point"
    return "degenerate"


def classify_zero_as_minimum(H, tol=1e-6):
    lam = np.linalg.eigvalsh(H)
    if np.all(lam >= -tol):
        return "local minimum"
    if np.all(lam < -tol):
        return "local maximum"
    if np.any(lam > tol) and np.any(lam < -tol):
        return "saddle point"
    return "degenerate"


# q4 escape_direction
def escape_largest(H):
    lam, v = np.linalg.eigh(H)
    return lam[-1], v[:, -1]


def escape_row(H):
    lam, v = np.linalg.eigh(H)
    return lam[0], v[0]


# q5 newton_step
def newton_plus(x, g, H):
    return x + np.linalg.inv(H) @ g


def newton_times_H(x, g, H):
    return x - H @ g


def newton_gradient_step(x, g, H):
    return x - g


# q6 find_critical_points: a student's search with one slip each
def _search(grad, hess, starts, tol, steps=50, dedupe=True, kinds=None, first_only=False):
    classify = solution_namespace("hw02")["classify"]
    found = []
    for start in np.asarray(starts)[:1] if first_only else np.asarray(starts):
        p = start
        for _ in range(steps):
            if np.linalg.norm(grad(p)) < tol:
                break
            try:
                p = p - np.linalg.solve(hess(p), grad(p))
            except np.linalg.LinAlgError:
                break
            if np.abs(p).max() > 1e6:
                break
        kept = steps == 1 or np.linalg.norm(grad(p)) < tol
        if kept and (not dedupe or all(np.linalg.norm(p - q) > 1e-6 for q in found)):
            found.append(p)
    return np.array(found), [kinds or classify(hess(p)) for p in found]


PLANTED = [
    ("q1", hessian_sign_off_diagonal, "off-diagonal entries have the wrong sign"),
    ("q1", hessian_without_cross_terms, "your off-diagonal entries are zero"),
    ("q1", hessian_negated, "H is exactly -(expected)"),
    ("q1", hessian_f_xx_without_2, "your d2f/dx2 is 2 too small"),
    ("q2", hessian_outer, "the outer product of the gradient"),
    ("q2", hessian_summed, "summed over axis"),
    ("q2", hessian_diagonal, "your H has only its diagonal"),
    ("q3", classify_without_tol, "within tol of zero as nonzero"),
    ("q3", classify_zero_as_minimum, "calls a Hessian with a zero eigenvalue"),
    ("q4", escape_largest, "your lambda_min is the largest eigenvalue"),
    ("q4", escape_row, "your u is a row of the eigenvector matrix"),
    ("q5", newton_plus, "moves by +H^-1 g"),
    ("q5", newton_times_H, "uses H g instead of H^-1 g"),
    ("q5", newton_gradient_step, "a plain gradient step"),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, dedupe=False), "is listed twice"),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, steps=1), "is not a critical point"),
    (
        "q6",
        lambda g, h, s, tol: _search(g, h, s, tol, kinds="saddle point"),
        "not a saddle point: classify it by its Hessian",
    ),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, first_only=True), "missed the"),
    ("q6", lambda g, h, s, tol: np.linalg.solve(np.zeros((2, 2)), s[0]), "your function raised"),
]


@pytest.mark.parametrize(
    "key, fn, named", PLANTED, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(PLANTED)]
)
@pytest.mark.usefixtures("each_language")
def test_planted_mistake_gets_its_named_message_and_no_points(key, fn, named):
    _named(key, fn, named)


@pytest.mark.parametrize(
    "upstream, wrong", [("newton_step", newton_times_H), ("classify", classify_zero_as_minimum)]
)
def test_q6_keeps_its_points_in_the_grader_when_an_earlier_answer_is_wrong(upstream, wrong):
    assert_cascade(
        "hw02", "q6", solution_namespace("hw02")["find_critical_points"], upstream, wrong
    )


def test_a_hidden_q6_report_shows_no_coordinates():
    wrong = lambda g, h, s, tol: _search(g, h, s, tol, kinds="saddle point")  # noqa: E731
    result = graded("hw02", "q6", wrong)
    assert result.score == 0 and "a point is a" in result.message
    assert "[" not in result.message  # no coordinates of the hidden critical points


def test_the_solution_earns_full_marks_on_every_question():
    for question in HW02.questions:
        function = solution_namespace("hw02")[question.function]
        for result in (
            HW02.evaluate(question.key, function),
            graded("hw02", question.key, function),
        ):
            assert result.score == question.points, result.message
