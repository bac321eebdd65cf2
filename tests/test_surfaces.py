"""course_lib.surfaces: analytic gradients and Hessians against torch.autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import hessian as hess
from course_lib.surfaces import (
    BumpyCurve,
    IllConditionedQuadratic,
    Rosenbrock,
    Saddle,
    TwoWeightNet,
    WindingValley,
)

torch.set_num_threads(1)

SURFACES = {
    "quadratic": lambda: IllConditionedQuadratic(),
    "quadratic_rotated": lambda: IllConditionedQuadratic(condition_number=50.0, angle=0.7),
    "rosenbrock": lambda: Rosenbrock(),
    "rosenbrock_custom": lambda: Rosenbrock(a=-0.5, b=20.0),
    "saddle": lambda: Saddle(),
    "two_weight_net": lambda: TwoWeightNet(),
    "bumpy": lambda: BumpyCurve(),
    "bumpy_high_hill": lambda: BumpyCurve(hill_height=4.0),
    "winding": lambda: WindingValley(),
    "winding_custom": lambda: WindingValley(a=2.0, b=3.0, c=-1.5),
}
NAMES = sorted(SURFACES)


def random_points(surface, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=(n, surface.dim))


def torch_gradient(surface, p: np.ndarray) -> np.ndarray:
    pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    surface.value(pt).backward()
    return pt.grad.numpy()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_grad_matches_torch_autograd_of_value(name, seed):
    surface = SURFACES[name]()
    for p in random_points(surface, 5, seed):
        np.testing.assert_allclose(surface.grad(p), torch_gradient(surface, p), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_matches_torch_autograd_of_value(name, seed):
    surface = SURFACES[name]()
    for p in random_points(surface, 5, seed):
        expected = hess.hessian(surface.value, p)
        np.testing.assert_allclose(surface.hessian(p), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batch", [(), (7,), (4, 3)])
def test_batches_of_points_give_one_value_and_gradient_per_point(name, batch):
    surface = SURFACES[name]()
    P = np.random.default_rng(2).uniform(-2, 2, size=(*batch, surface.dim))
    values, grads = surface.value(P), surface.grad(P)
    assert np.shape(values) == batch
    assert grads.shape == (*batch, surface.dim)
    flat_p = P.reshape(-1, surface.dim)
    np.testing.assert_allclose(np.reshape(values, -1), [surface.value(p) for p in flat_p])
    np.testing.assert_allclose(grads.reshape(-1, surface.dim), [surface.grad(p) for p in flat_p])


@pytest.mark.parametrize("name", NAMES)
def test_value_of_a_torch_tensor_is_a_tensor_equal_to_the_numpy_value(name):
    surface = SURFACES[name]()
    P = random_points(surface, 6, seed=3)
    out = surface.value(torch.tensor(P))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), surface.value(P), rtol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_critical_points_have_zero_gradient(name):
    surface = SURFACES[name]()
    assert surface.critical_points.shape[1] == surface.dim
    for p in surface.critical_points:
        np.testing.assert_allclose(torch_gradient(surface, p), 0.0, atol=1e-10)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "saddle"])
def test_minimum_is_lowest_on_a_grid_and_inside_the_plot_limits(name):
    surface = SURFACES[name]()
    lo, hi = surface.default_xlim
    axes = [np.linspace(lo, hi, 81)] * surface.dim
    grid = np.stack(np.meshgrid(*axes), axis=-1)
    assert surface.value(surface.minimum) <= surface.value(grid).min() + 1e-12
    assert lo < surface.minimum[0] < hi
    assert surface.value(surface.start) > surface.value(surface.minimum)


@pytest.mark.parametrize("name", NAMES)
def test_surface_has_a_name_and_a_start_point(name):
    surface = SURFACES[name]()
    assert isinstance(surface.name, str) and surface.name
    assert surface.start.shape == (surface.dim,)


@pytest.mark.parametrize("kappa", [1.0, 10.0, 250.0])
@pytest.mark.parametrize("angle", [0.0, 0.4, -1.2])
def test_quadratic_hessian_has_the_requested_condition_number_and_axes(kappa, angle):
    surface = IllConditionedQuadratic(condition_number=kappa, angle=angle)
    H = hess.hessian(surface.value, np.array([0.3, -0.7]))
    lam, U = np.linalg.eigh(H)
    np.testing.assert_allclose(lam, [1.0, kappa], rtol=1e-12)
    assert np.linalg.cond(H) == pytest.approx(kappa, rel=1e-10)
    if kappa > 1:  # the steep axis is the second axis turned by `angle`
        steep = np.array([-np.sin(angle), np.cos(angle)])
        assert abs(U[:, 1] @ steep) == pytest.approx(1.0, rel=1e-12)


def test_two_weight_net_origin_is_a_saddle_with_the_lecture_hessian():
    net = TwoWeightNet()
    H = net.hessian(np.zeros(2))
    np.testing.assert_array_equal(H, [[0.0, -2.0], [-2.0, 0.0]])
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [-2.0, 2.0])
    np.testing.assert_allclose(hess.hessian(net.value, np.zeros(2)), H)
    assert hess.classify_critical_point(H) == "saddle point"


@pytest.mark.parametrize("w1", [-2.0, -0.5, 0.3, 1.0, 4.0])
def test_two_weight_net_minimum_curve_is_flat_minima(w1):
    net = TwoWeightNet()
    p = np.array([w1, float(net.minimum_curve(w1))])
    assert net.value(p) == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(torch_gradient(net, p), 0.0, atol=1e-12)
    # Moving along the curve keeps the loss at 0: one zero eigenvalue, one positive.
    assert hess.classify_critical_point(hess.hessian(net.value, p)) == "degenerate"
    assert hess.minimum_ratio(hess.hessian(net.value, p)) == 0.5


def test_rosenbrock_minimum_is_at_a_comma_a_squared():
    surface = Rosenbrock(a=-0.5, b=20.0)
    np.testing.assert_array_equal(surface.minimum, [-0.5, 0.25])
    assert surface.value(surface.minimum) == 0.0
    H = hess.hessian(surface.value, surface.minimum)
    assert hess.classify_critical_point(H) == "local minimum"


def test_saddle_origin_is_a_saddle_point_and_has_no_minimum():
    surface = Saddle()
    assert surface.minimum is None
    H = hess.hessian(surface.value, surface.critical_points[0])
    assert hess.classify_critical_point(H) == "saddle point"


@pytest.mark.parametrize("hill_height", [1.5, 2.0, 4.0, 8.0])
def test_bumpy_curve_critical_points_are_local_min_hill_and_lower_global_min(hill_height):
    curve = BumpyCurve(hill_height=hill_height)
    kinds = [
        hess.classify_critical_point(hess.hessian(curve.value, p))
        for p in (curve.local_minimum, curve.hill_top, curve.global_minimum)
    ]
    assert kinds == ["local minimum", "local maximum", "local minimum"]
    assert curve.start[0] < curve.local_minimum[0] < curve.hill_top[0] < curve.global_minimum[0]
    assert curve.value(curve.global_minimum) < curve.value(curve.local_minimum)


def heavy_ball(surface, lr: float, momentum: float, steps: int = 1500) -> np.ndarray:
    """v <- momentum * v + grad(x); x <- x - lr * v (torch.optim.SGD's momentum form)."""
    x, v = surface.start.copy(), np.zeros_like(surface.start)
    for _ in range(steps):
        v = momentum * v + surface.grad(x)
        x = x - lr * v
    return x


@pytest.mark.parametrize("lr", [0.02, 0.03, 0.05])
def test_plain_gradient_descent_stops_in_the_local_minimum(lr):
    curve = BumpyCurve()
    np.testing.assert_allclose(heavy_ball(curve, lr, 0.0), curve.local_minimum, atol=1e-6)


@pytest.mark.parametrize("lr", [0.02, 0.03, 0.05])
def test_momentum_rolls_over_the_hill_into_the_global_minimum(lr):
    curve = BumpyCurve()
    np.testing.assert_allclose(heavy_ball(curve, lr, 0.9), curve.global_minimum, atol=1e-6)


@pytest.mark.parametrize("lr", [0.02, 0.03, 0.05])
def test_the_same_momentum_cannot_cross_a_higher_hill(lr):
    curve = BumpyCurve(hill_height=4.0)
    np.testing.assert_allclose(heavy_ball(curve, lr, 0.9), curve.local_minimum, atol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: Rosenbrock().value(np.ones(3)), ValueError, r"p must have shape \(\.\.\., 2\)"),
        (lambda: Rosenbrock().grad(np.ones((4, 1))), ValueError, "p must have shape"),
        (lambda: Saddle().value([np.nan, 1.0]), ValueError, "p contains NaN"),
        (lambda: Saddle().grad("ab"), TypeError, "p must be an array"),
        (lambda: Saddle().hessian(np.ones((3, 2))), ValueError, r"p must have shape \(2,\)"),
        (lambda: BumpyCurve().value(np.ones(2)), ValueError, r"p must have shape \(\.\.\., 1\)"),
        (lambda: Saddle().value(torch.ones(3)), ValueError, "p must have shape"),
        (lambda: IllConditionedQuadratic(0.5), ValueError, "condition_number must be >= 1"),
        (lambda: IllConditionedQuadratic("10"), TypeError, "condition_number"),
        (lambda: IllConditionedQuadratic(10.0, angle=np.inf), ValueError, "angle"),
        (lambda: Rosenbrock(b=-1.0), ValueError, "b must be > 0"),
        (lambda: BumpyCurve(hill_height=0.5), ValueError, "hill_height"),
        (lambda: TwoWeightNet().minimum_curve([1.0, 0.0]), ValueError, "w1"),
        (lambda: WindingValley(a=0.0), ValueError, "a must be > 0"),
        (lambda: WindingValley(b=-1.0), ValueError, "b must be > 0"),
        (lambda: WindingValley(c="1"), TypeError, "c must be a real number"),
    ],
)
def test_bad_input_is_rejected_with_a_message_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def naive_winding_value(surface, x, y):
    """The textbook formula a (√(1 + x²) − 1) + b/2 (y − c sin x)², cancellation and all."""
    return surface.a * (np.sqrt(1 + x * x) - 1) + surface.b / 2 * (y - surface.c * np.sin(x)) ** 2


@pytest.mark.parametrize("seed", [0, 1])
def test_winding_valley_agrees_with_the_naive_formula_where_that_is_accurate(seed):
    surface = WindingValley()
    rng = np.random.default_rng(seed)
    # |x| >= 1e-2: the naive difference √(1 + x²) − 1 loses at most ~1e-11 of its value.
    x = rng.choice([-1.0, 1.0], 200) * 10 ** rng.uniform(-2, 1, 200)
    y = rng.uniform(-1.5, 1.5, 200)
    np.testing.assert_allclose(
        surface.value(np.stack([x, y], axis=-1)), naive_winding_value(surface, x, y), rtol=1e-10
    )


def exact_floor_term(a: float, x: float) -> float:
    """a (√(1 + x²) − 1) evaluated with 700 significant digits, enough for 1 + x² to keep
    x² far beyond float64 precision at every |x| >= 1e-150, then rounded to float."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 700
        return float(Decimal(a) * ((1 + Decimal(x) ** 2).sqrt() - 1))


@pytest.mark.parametrize("x", [3.0, 1e-3, -2e-6, 1.4e-8, 1e-8, -3e-12, 1e-30, 1e-150])
def test_winding_valley_value_keeps_full_precision_at_tiny_x(x):
    surface = WindingValley()
    on_floor = np.array([x, surface.c * np.sin(x)])  # y on the floor: the second term is 0
    expected = exact_floor_term(surface.a, x)
    assert expected > 0
    assert surface.value(on_floor) == pytest.approx(expected, rel=4e-16)


def test_naive_winding_formula_rounds_to_zero_where_the_library_does_not():
    surface = WindingValley()
    x = 1e-8
    assert naive_winding_value(surface, x, surface.c * np.sin(x)) == 0.0
    assert surface.value(np.array([x, surface.c * np.sin(x)])) == pytest.approx(0.25e-16, rel=1e-15)


def test_winding_valley_hessian_at_the_minimum_is_the_lecture_matrix():
    surface = WindingValley()
    np.testing.assert_allclose(surface.hessian(np.zeros(2)), [[3.0, -5.0], [-5.0, 10.0]])
    assert hess.classify_critical_point(surface.hessian(np.zeros(2))) == "local minimum"
