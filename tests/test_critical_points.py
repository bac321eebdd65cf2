"""course_lib.critical_points: batched derivatives against torch.autograd.functional, and
Newton's method against critical points known in closed form."""

from __future__ import annotations

import pytest
import torch

from course_lib.critical_points import (
    batched_gradients,
    batched_hessians,
    newton_critical_points,
)


def cubic(theta):
    """f = x³ - 3xy + y³ per row: critical points (0, 0) (saddle) and (1, 1) (minimum)."""
    x, y = theta[:, 0], theta[:, 1]
    return x**3 - 3 * x * y + y**3


def rosenbrock(theta):
    x, y = theta[:, 0], theta[:, 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def tanh_net(theta):
    """A 1-3-1 tanh net's MSE on five points plus weight decay; theta (S, 10) -> (S,)."""
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    W1, b1, w2 = (theta[:, None, 3 * k : 3 * k + 3] for k in range(3))
    out = (w2 * torch.tanh(W1 * x[:, None] + b1)).sum(-1) + theta[:, -1:]
    return ((out - torch.sin(2 * x)) ** 2).mean(-1) + 0.01 * (theta**2).sum(-1)


def rows(n_rows: int, n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(
        n_rows, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )


@pytest.mark.parametrize(("loss", "n"), [(cubic, 2), (rosenbrock, 2), (tanh_net, 10)])
def test_gradients_and_hessians_match_torch_row_by_row(loss, n):
    theta = rows(4, n)
    grads, hessians = batched_gradients(loss, theta), batched_hessians(loss, theta)
    assert grads.shape == (4, n) and hessians.shape == (4, n, n)
    for r in range(4):

        def one(t):
            return loss(t[None])[0]

        want_g = torch.func.grad(one)(theta[r])
        want_h = torch.autograd.functional.hessian(one, theta[r])
        torch.testing.assert_close(grads[r], want_g, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(hessians[r], want_h, rtol=1e-12, atol=1e-12)


def test_newton_finds_the_saddle_and_the_minimum_of_the_cubic():
    starts = torch.tensor([[0.2, -0.1], [-0.15, 0.1], [1.3, 0.8], [0.7, 1.2]], dtype=torch.float64)
    found, grad_norm = newton_critical_points(cubic, starts, iters=30)
    want = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(found, want, rtol=0, atol=1e-12)
    assert (grad_norm < 1e-12).all()
    x, y = found[:, 0], found[:, 1]  # the analytic gradient vanishes there too
    assert torch.stack([3 * x**2 - 3 * y, 3 * y**2 - 3 * x], 1).abs().max() < 1e-12


def double_wells(theta):
    """Σ x_i⁴/4 - x_i²/2 per row: a critical point at every corner of {-1, 0, 1}^n."""
    return (theta**4 / 4 - theta**2 / 2).sum(dim=1)


def test_newton_reaches_the_nearest_critical_point_and_rows_are_independent():
    corners = torch.tensor([[-1, 0, 1], [0, 0, 0], [1, 1, -1], [0, -1, 1]], dtype=torch.float64)
    starts = corners + 0.15 * rows(4, 3, seed=1).clamp(-1, 1)
    found, grad_norm = newton_critical_points(double_wells, starts, iters=20)
    torch.testing.assert_close(found, corners, rtol=0, atol=1e-12)
    assert (grad_norm < 1e-12).all()
    alone, _ = newton_critical_points(double_wells, starts[2:3], iters=20)
    torch.testing.assert_close(alone[0], found[2], rtol=0, atol=0)


def test_a_row_with_a_singular_hessian_stays_put():
    def flat_in_y(theta):  # no curvature at all along y: H is singular everywhere
        return (theta[:, 0] - 2.0) ** 2 + 0.0 * theta[:, 1]

    found, grad_norm = newton_critical_points(
        flat_in_y, torch.tensor([[0.0, 5.0]], dtype=torch.float64)
    )
    torch.testing.assert_close(found, torch.tensor([[0.0, 5.0]], dtype=torch.float64))
    assert grad_norm[0] == pytest.approx(4.0)


def test_zero_iterations_return_the_starts_and_their_gradient_norms():
    starts = rows(3, 10)
    found, grad_norm = newton_critical_points(tanh_net, starts, iters=0)
    torch.testing.assert_close(found, starts, rtol=0, atol=0)
    torch.testing.assert_close(grad_norm, batched_gradients(tanh_net, starts).norm(dim=1))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((cubic, torch.zeros(2, dtype=torch.float64)), ValueError, "theta must have shape"),
        ((cubic, torch.zeros(2, 2)), TypeError, "float64"),
        ((cubic, [[0.0, 0.0]]), TypeError, "theta must be a torch.Tensor"),
        (("cubic", torch.zeros(1, 2, dtype=torch.float64)), TypeError, "loss must be callable"),
        ((lambda t: t.sum(), torch.zeros(3, 2, dtype=torch.float64)), ValueError, r"shape \(3,\)"),
        ((cubic, torch.full((1, 2), float("nan"), dtype=torch.float64)), ValueError, "finite"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(args, error, match):
    for fn in (batched_gradients, batched_hessians, newton_critical_points):
        with pytest.raises(error, match=match):
            fn(*args)


def test_bad_iteration_counts_are_rejected():
    theta = torch.zeros(1, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="iters"):
        newton_critical_points(cubic, theta, iters=-1)
    with pytest.raises(ValueError, match="halvings"):
        newton_critical_points(cubic, theta, halvings=-2)
