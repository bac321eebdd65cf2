"""hw02: planted mistakes, written the way a student would, each get their named message."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from course_lib.homework import hw02, load_assignment
from tests.instructor.planted import failure_message
from tests.instructor.test_homework_checks import solution_namespace

HW02 = load_assignment("hw02")


_message = functools.partial(failure_message, HW02)


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
    ("q2", hessian_outer, "the outer product of the gradient"),
    ("q2", hessian_summed, "summed over axis"),
    ("q3", classify_without_tol, "within tol of zero as nonzero"),
    ("q3", classify_zero_as_minimum, "calls a Hessian with a zero eigenvalue"),
    ("q4", escape_largest, "your lambda_min is the largest eigenvalue"),
    ("q4", escape_row, "your u is a row of the eigenvector matrix"),
    ("q5", newton_plus, "moves by +H^-1 g"),
    ("q5", newton_times_H, "uses H g instead of H^-1 g"),
    ("q5", newton_gradient_step, "a plain gradient step"),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, dedupe=False), "is listed twice"),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, steps=1), "is not a critical point"),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, kinds="saddle point"), "not a saddle point"),
    ("q6", lambda g, h, s, tol: _search(g, h, s, tol, first_only=True), "missed the"),
    ("q6", lambda g, h, s, tol: np.linalg.solve(np.zeros((2, 2)), s[0]), "your function raised"),
]


@pytest.mark.parametrize(
    "key, fn, named", PLANTED, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(PLANTED)]
)
def test_planted_mistake_gets_its_named_message(key, fn, named):
    assert named in _message(key, fn)


@pytest.mark.parametrize("name", ["Himmelblau", "f_xy", "tanh net"])
def test_closed_form_gradients_and_hessians_match_torch(name):
    data = hw02.tanh_net_data(3)
    grad, hess = hw02._surface(name, data)
    f = {"Himmelblau": hw02.himmelblau, "f_xy": hw02.f_xy, "tanh net": hw02.tanh_net(data)[0]}
    for p in np.random.default_rng(0).uniform(-3, 3, (4, 2)):
        point = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f[name](point), point)
        H = torch.autograd.functional.hessian(f[name], point.detach())
        np.testing.assert_allclose(grad(p), g.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(hess(p), H.numpy(), rtol=1e-10, atol=1e-10)


def test_the_solution_earns_full_marks_on_every_question():
    for question in HW02.questions:
        result = HW02.evaluate(question.key, solution_namespace("hw02")[question.function])
        assert result.score == question.points, result.message
