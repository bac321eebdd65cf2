"""course_lib.hessian against torch.autograd, finite differences and numpy.linalg."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.hessian import (
    classify_critical_point,
    finite_difference_hessian,
    hessian,
    hessian_vector_product,
    minimum_ratio,
    top_eigenvalue,
)

torch.set_num_threads(1)


def rosenbrock_nd(t: torch.Tensor) -> torch.Tensor:
    return ((1 - t[:-1]) ** 2 + 100 * (t[1:] - t[:-1] ** 2) ** 2).sum()


def products_exp_sin(t: torch.Tensor) -> torch.Tensor:
    return (t[:-1] * t[1:]).sum() + torch.exp(0.3 * t).sum() + torch.sin(t).prod()


def mixed_smooth(t: torch.Tensor) -> torch.Tensor:
    return torch.log1p(t**2).sum() * torch.cos(t[0]) + (t**3).sum() / 6


SMOOTH_FUNCTIONS = {
    "rosenbrock": rosenbrock_nd,
    "products_exp_sin": products_exp_sin,
    "mixed": mixed_smooth,
}


def random_point(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=n)


def oracle_hessian(f, x: np.ndarray) -> np.ndarray:
    """Row i = gradient of the i-th gradient entry, with plain torch.autograd.grad calls."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(xt), xt, create_graph=True)
    rows = [torch.autograd.grad(g[i], xt, retain_graph=True)[0] for i in range(x.size)]
    return torch.stack(rows).detach().numpy()


def rotated(eigenvalues, seed: int) -> np.ndarray:
    """Symmetric matrix with the given eigenvalues along random orthonormal axes."""
    n = len(eigenvalues)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return Q @ np.diag(eigenvalues) @ Q.T


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_of_quadratic_form_is_a_plus_a_transpose(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    At = torch.tensor(A)
    H = hessian(lambda t: t @ At @ t, rng.standard_normal(n))
    assert H.dtype == np.float64 and H.shape == (n, n)
    np.testing.assert_allclose(H, A + A.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SMOOTH_FUNCTIONS))
@pytest.mark.parametrize(("n", "seed"), [(2, 0), (3, 1), (6, 2)])
def test_hessian_matches_double_backward_and_finite_differences(name, n, seed):
    f, x = SMOOTH_FUNCTIONS[name], random_point(n, seed)
    H = hessian(f, x)
    np.testing.assert_allclose(H, oracle_hessian(f, x), rtol=1e-10, atol=1e-10)
    H_fd = finite_difference_hessian(f, x)
    np.testing.assert_array_equal(H_fd, H_fd.T)
    scale = max(1.0, np.abs(H).max())
    np.testing.assert_allclose(H_fd, H, atol=1e-5 * scale)


def test_hessian_accepts_a_list_and_a_function_returning_shape_one():
    H = hessian(lambda t: (t**2).sum().reshape(1), [1.0, 2.0])
    np.testing.assert_allclose(H, 2 * np.eye(2))


def test_finite_difference_step_size_controls_the_error():
    x = random_point(3, 5)
    exact = hessian(products_exp_sin, x)
    err_coarse = np.abs(finite_difference_hessian(products_exp_sin, x, h=1e-2) - exact).max()
    err_fine = np.abs(finite_difference_hessian(products_exp_sin, x, h=1e-3) - exact).max()
    assert err_fine < err_coarse / 50  # O(h²): ten times smaller h, ~100 times smaller error


@pytest.mark.parametrize(
    ("eigenvalues", "expected"),
    [
        ([1.0, 2.0, 30.0], "local minimum"),
        ([-0.5, -4.0], "local maximum"),
        ([3.0, -1.0, 2.0], "saddle point"),
        ([3.0, -1.0, 0.0], "saddle point"),
        ([2.0, 0.0, 5.0], "degenerate"),
        ([-2.0, 0.0], "degenerate"),
        ([0.0, 0.0], "degenerate"),
        ([1.0, 1e-8], "degenerate"),  # below the default tol: counts as zero
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_from_chosen_eigenvalues(eigenvalues, expected, seed):
    assert classify_critical_point(rotated(eigenvalues, seed)) == expected


def test_tolerance_decides_what_counts_as_zero():
    H = np.diag([1.0, 1e-8])
    assert classify_critical_point(H, tol=1e-10) == "local minimum"
    assert classify_critical_point(H, tol=1e-6) == "degenerate"


CRITICAL_POINTS = [
    ("x² + y²", lambda t: t[0] ** 2 + t[1] ** 2, "local minimum"),
    ("-x² - y²", lambda t: -(t[0] ** 2) - t[1] ** 2, "local maximum"),
    ("x² - y²", lambda t: t[0] ** 2 - t[1] ** 2, "saddle point"),
    ("x⁴ + y²", lambda t: t[0] ** 4 + t[1] ** 2, "degenerate"),
    ("x² - y⁴", lambda t: t[0] ** 2 - t[1] ** 4, "degenerate"),
    ("monkey saddle", lambda t: t[0] ** 3 - 3 * t[0] * t[1] ** 2, "degenerate"),
]


@pytest.mark.parametrize(
    ("f", "expected"), [c[1:] for c in CRITICAL_POINTS], ids=[c[0] for c in CRITICAL_POINTS]
)
def test_classification_of_known_functions_at_the_origin(f, expected):
    assert classify_critical_point(hessian(f, np.zeros(2))) == expected


@pytest.mark.parametrize(
    ("eigenvalues", "ratio"),
    [
        ([1.0, 2.0], 1.0),
        ([-1.0, -2.0], 0.0),
        ([3.0, 1.0, -2.0, 0.0], 0.5),
        ([1.0, 1e-9, -1.0], 1 / 3),
    ],
)
def test_minimum_ratio_counts_positive_eigenvalues(eigenvalues, ratio):
    assert minimum_ratio(rotated(eigenvalues, seed=3)) == pytest.approx(ratio)


@pytest.mark.parametrize("name", sorted(SMOOTH_FUNCTIONS))
@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_vector_product_matches_h_times_v(name, seed):
    f, x = SMOOTH_FUNCTIONS[name], random_point(5, seed)
    v = np.random.default_rng(seed + 10).standard_normal(5)
    hv = hessian_vector_product(f, x, v)
    np.testing.assert_allclose(hv, oracle_hessian(f, x) @ v, rtol=1e-10, atol=1e-10)
    _, ref = torch.autograd.functional.hvp(f, torch.tensor(x), torch.tensor(v, dtype=torch.float64))
    np.testing.assert_allclose(hv, ref.numpy(), rtol=1e-10, atol=1e-10)


def test_hessian_vector_product_of_a_linear_function_is_zero():
    hv = hessian_vector_product(lambda t: 3 * t.sum(), [1.0, 2.0], [1.0, -1.0])
    np.testing.assert_array_equal(hv, np.zeros(2))


def mlp_loss_and_point(seed: int = 0):
    """MSE of a 3-6-1 tanh network on a fixed batch, as a function of its 31 flat params."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(20, 3, generator=g, dtype=torch.float64)
    y = torch.sin(X.sum(dim=1, keepdim=True))
    sizes = [(3, 6), (6,), (6, 1), (1,)]
    counts = [int(np.prod(s)) for s in sizes]

    def loss(theta: torch.Tensor) -> torch.Tensor:
        W1, b1, W2, b2 = (c.reshape(s) for c, s in zip(theta.split(counts), sizes, strict=True))
        return ((torch.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2).mean()

    theta = torch.randn(sum(counts), generator=g, dtype=torch.float64).numpy()
    return loss, theta


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_top_eigenvalue_of_an_mlp_loss_matches_eigvalsh(seed):
    loss, theta = mlp_loss_and_point(seed)
    H = torch.autograd.functional.hessian(loss, torch.tensor(theta)).numpy()
    lam, U = np.linalg.eigh(H)
    by_magnitude = np.argsort(-np.abs(lam))
    # A clear gap between the two largest magnitudes lets 100 iterations converge.
    assert abs(lam[by_magnitude[1]]) < 0.6 * abs(lam[by_magnitude[0]])
    value, vector = top_eigenvalue(loss, theta)
    assert value == pytest.approx(lam[by_magnitude[0]], rel=1e-10)
    assert np.linalg.norm(vector) == pytest.approx(1.0)
    assert abs(vector @ U[:, by_magnitude[0]]) == pytest.approx(1.0, abs=1e-9)


def test_top_eigenvalue_finds_the_largest_magnitude_even_when_negative():
    A = torch.tensor(rotated([1.0, -6.0, 2.5], seed=4))
    value, vector = top_eigenvalue(lambda t: 0.5 * t @ A @ t, np.ones(3))
    assert value == pytest.approx(-6.0, rel=1e-10)
    np.testing.assert_allclose(A.numpy() @ vector, -6.0 * vector, atol=1e-9)


def test_top_eigenvalue_is_zero_for_a_linear_function():
    value, vector = top_eigenvalue(lambda t: t.sum(), np.ones(4))
    assert value == 0.0 and vector.shape == (4,)


def square_norm(t: torch.Tensor) -> torch.Tensor:
    return (t**2).sum()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: hessian(square_norm, [[1.0, 2.0]]), ValueError, "x must be 1-D"),
        (lambda: hessian(square_norm, [1.0, np.nan]), ValueError, "x contains NaN"),
        (lambda: hessian(square_norm, []), ValueError, "x must hold"),
        (lambda: hessian("f", [1.0]), TypeError, "f must be callable"),
        (lambda: hessian(lambda t: t * 2, [1.0, 2.0]), ValueError, "f must return a scalar"),
        (lambda: hessian(lambda t: 1.0, [1.0]), ValueError, "f must return a scalar"),
        (lambda: finite_difference_hessian(square_norm, [1.0], h=0.0), ValueError, "h must"),
        (lambda: finite_difference_hessian(square_norm, "ab"), TypeError, "x must be"),
        (lambda: classify_critical_point(np.ones((2, 3))), ValueError, "H must be"),
        (lambda: classify_critical_point(np.ones(3)), ValueError, "H must be 2-D"),
        (lambda: classify_critical_point([[1.0, 2.0], [0.0, 1.0]]), ValueError, "H must be sym"),
        (lambda: classify_critical_point([[1.0, np.inf], [np.inf, 1.0]]), ValueError, "H contains"),
        (lambda: classify_critical_point(np.eye(2), tol=-1.0), ValueError, "tol must be >= 0"),
        (lambda: minimum_ratio(np.zeros((0, 0))), ValueError, "H must be a non-empty"),
        (lambda: hessian_vector_product(square_norm, [1.0, 2.0], [1.0]), ValueError, "v has shape"),
        (lambda: top_eigenvalue(square_norm, [1.0], num_iters=0), ValueError, "num_iters"),
        (lambda: top_eigenvalue(square_norm, [1.0], tol=-1e-3), ValueError, "tol must"),
    ],
)
def test_bad_input_is_rejected_with_a_message_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
