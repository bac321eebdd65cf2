"""course_lib.layers against torch.nn (forward, backward) and numerical gradients.

For a layer with output y = layer(x), backward(dout) must return d/dx of sum(y * dout), and
grads[k] must be d/dparams[k] of the same scalar. Both are checked against torch.autograd
and against course_lib.gradcheck.numerical_gradient. Everything runs in float64.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from course_lib import layers
from course_lib.gradcheck import numerical_gradient

torch.set_num_threads(1)

BATCH_SIZES = [2, 5, 16]
TOL = 1e-12  # ours vs torch: the same float64 arithmetic up to ordering
# ours vs centered differences (h = 1e-5): their error is about 1e-10 in absolute terms.
NUM_RTOL, NUM_ATOL = 1e-6, 1e-9


def to_torch(x: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad)


def torch_forward_backward(module, x: np.ndarray, dout: np.ndarray):
    """Run a torch module; return (out, dx) with the same upstream gradient ``dout``."""
    xt = to_torch(x, requires_grad=True)
    out = module(xt)
    out.backward(to_torch(dout))
    return out.detach().numpy(), xt.grad.numpy()


def check_numerical_gradients(layer, x: np.ndarray, dout: np.ndarray) -> None:
    """backward's dx and every grads[k] agree with centered differences of sum(out * dout)."""

    def scalar(_):
        return float(np.sum(layer.forward(x) * dout))

    num_dx = numerical_gradient(scalar, x)
    num_params = {k: numerical_gradient(scalar, p) for k, p in layer.params.items()}
    layer.forward(x)
    dx = layer.backward(dout)
    # An absolute floor is needed: some exact gradients vanish (a bias right before
    # BatchNorm), and there both sides hold only rounding noise.
    np.testing.assert_allclose(dx, num_dx, rtol=NUM_RTOL, atol=NUM_ATOL)
    for key, num in num_params.items():
        np.testing.assert_allclose(
            layer.grads[key], num, rtol=NUM_RTOL, atol=NUM_ATOL, err_msg=f"grads[{key!r}]"
        )


def assert_close(actual, expected, rtol: float) -> None:
    """Entries agree to rtol relative to the largest |expected| (tiny entries: absolutely)."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.max(np.abs(expected)))


def random_data(shape, seed):
    """An input x and an upstream gradient dout of the same shape."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape)


# ---------------------------------------------------------------- Linear


def linear_pair(d_in, d_out, seed):
    ours = layers.Linear(d_in, d_out, rng=seed)
    theirs = torch.nn.Linear(d_in, d_out).double()
    with torch.no_grad():
        theirs.weight.copy_(to_torch(ours.params["W"].T))  # torch stores (out, in)
        theirs.bias.copy_(to_torch(ours.params["b"]))
    return ours, theirs


@pytest.mark.parametrize(("d_in", "d_out"), [(1, 1), (4, 3), (7, 10)])
@pytest.mark.parametrize("n", BATCH_SIZES)
def test_linear_matches_torch_forward_and_backward(n, d_in, d_out):
    ours, theirs = linear_pair(d_in, d_out, seed=n)
    rng = np.random.default_rng(n + d_in)
    x, dout = rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out))
    out_t, dx_t = torch_forward_backward(theirs, x, dout)
    out = ours.forward(x)
    dx = ours.backward(dout)
    assert_close(out, out_t, TOL)
    assert_close(dx, dx_t, TOL)
    assert_close(ours.grads["W"], theirs.weight.grad.numpy().T, TOL)
    assert_close(ours.grads["b"], theirs.bias.grad.numpy(), TOL)


@pytest.mark.parametrize(("n", "d_in", "d_out"), [(3, 4, 2), (6, 2, 5)])
def test_linear_gradients_match_numerical_gradient(n, d_in, d_out):
    rng = np.random.default_rng(d_in)
    layer = layers.Linear(d_in, d_out, rng=rng)
    check_numerical_gradients(layer, rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out)))


def test_linear_initialisation_is_uniform_with_torch_bound_and_seeded():
    layer = layers.Linear(16, 400, rng=0)
    bound = 1 / np.sqrt(16)
    for key, shape in [("W", (16, 400)), ("b", (400,))]:
        p = layer.params[key]
        assert p.shape == shape and p.dtype == np.float64
        assert np.all(np.abs(p) <= bound)
        assert layer.grads[key].shape == shape and not layer.grads[key].any()
    # U(-a, a) has standard deviation a / sqrt(3); from 6400 draws the sample standard
    # deviation has a relative spread of about 0.6%, so 5% cannot fail by chance.
    assert layer.params["W"].std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    same = layers.Linear(16, 400, rng=0)
    other = layers.Linear(16, 400, rng=np.random.default_rng(1))
    assert np.array_equal(layer.params["W"], same.params["W"])
    assert not np.array_equal(layer.params["W"], other.params["W"])


def test_linear_backward_overwrites_the_same_grad_arrays():
    layer = layers.Linear(3, 2, rng=0)
    dW = layer.grads["W"]
    x = np.ones((4, 3))
    layer.forward(x)
    layer.backward(np.ones((4, 2)))
    first = dW.copy()
    layer.backward(np.ones((4, 2)))  # no accumulation: same result again
    assert layer.grads["W"] is dW
    np.testing.assert_array_equal(dW, first)
    np.testing.assert_array_equal(first, x.T @ np.ones((4, 2)))


# ---------------------------------------------------------------- activations

ACTIVATIONS = {
    "ReLU": (layers.ReLU, torch.nn.ReLU),
    "Sigmoid": (layers.Sigmoid, torch.nn.Sigmoid),
    "Tanh": (layers.Tanh, torch.nn.Tanh),
}


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch_and_numerical_gradient(name, shape):
    ours_cls, theirs_cls = ACTIVATIONS[name]
    x, dout = random_data(shape, seed=len(shape))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU's kink away from the finite differences
    layer = ours_cls()
    out_t, dx_t = torch_forward_backward(theirs_cls(), x, dout)
    assert_close(layer.forward(x), out_t, TOL)
    assert_close(layer.backward(dout), dx_t, TOL)
    assert layer.params == {} and layer.grads == {}
    check_numerical_gradients(layer, x, dout)


def test_sigmoid_is_finite_and_silent_for_huge_inputs():
    x = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    layer = layers.Sigmoid()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = layer.forward(x)
    np.testing.assert_allclose(out, torch.sigmoid(to_torch(x)).numpy(), rtol=1e-15, atol=0)


def test_relu_derivative_at_zero_is_zero_like_torch():
    x = np.array([[-1.0, 0.0, 2.0]])
    layer = layers.ReLU()
    layer.forward(x)
    _, dx_t = torch_forward_backward(torch.nn.ReLU(), x, np.ones_like(x))
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), dx_t)


# ---------------------------------------------------------------- Dropout


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9])
def test_dropout_in_eval_mode_is_the_identity(p):
    x, dout = random_data((6, 5), seed=1)
    layer = layers.Dropout(p, rng=0).eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(dout), dout)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(400, 500))  # no zeros in x
    out = layers.Dropout(p, rng=1).forward(x)
    dropped = out == 0
    # 200 000 Bernoulli(p) draws: the fraction is within 5 standard deviations of p.
    assert abs(dropped.mean() - p) < 5 * np.sqrt(p * (1 - p) / x.size)
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - p), rtol=1e-15)


@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_output_is_unbiased_in_expectation(p):
    x = np.random.default_rng(2).normal(size=(3, 4))
    layer = layers.Dropout(p, rng=3)
    draws = 20_000
    mean = sum(layer.forward(x) for _ in range(draws)) / draws
    # Each entry averages x_i * Bernoulli(1-p) / (1-p): standard deviation below.
    sd = np.abs(x) * np.sqrt(p / (1 - p) / draws)
    assert np.all(np.abs(mean - x) < 5 * sd + 1e-12)


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_dropout_backward_uses_the_forward_mask(p):
    x, dout = random_data((5, 6), seed=4)
    layer = layers.Dropout(p, rng=7)
    out = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dx == 0, out == 0)
    # A fresh layer with the same seed draws the same mask, so f below is deterministic.
    num = numerical_gradient(lambda a: float(np.sum(layers.Dropout(p, rng=7).forward(a) * dout)), x)
    np.testing.assert_allclose(dx, num, rtol=NUM_RTOL, atol=NUM_ATOL)


def test_dropout_draws_a_new_mask_each_forward():
    layer = layers.Dropout(0.5, rng=0)
    x = np.ones((10, 10))
    assert not np.array_equal(layer.forward(x), layer.forward(x))


# ---------------------------------------------------------------- BatchNorm1d


def batchnorm_pair(d, eps, momentum, seed):
    ours = layers.BatchNorm1d(d, eps=eps, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum).double()
    rng = np.random.default_rng(seed)  # non-trivial gamma and beta, the same on both sides
    ours.params["gamma"][...] = rng.uniform(0.5, 2.0, size=d)
    ours.params["beta"][...] = rng.normal(size=d)
    with torch.no_grad():
        theirs.weight.copy_(to_torch(ours.params["gamma"]))
        theirs.bias.copy_(to_torch(ours.params["beta"]))
    return ours, theirs


def assert_batchnorm_close(ours, theirs, out, out_t, dx, dx_t):
    assert_close(out, out_t, 1e-10)
    assert_close(dx, dx_t, 1e-10)
    assert_close(ours.grads["gamma"], theirs.weight.grad.numpy(), 1e-10)
    assert_close(ours.grads["beta"], theirs.bias.grad.numpy(), 1e-10)


@pytest.mark.parametrize("eps", [1e-5, 1e-1])
@pytest.mark.parametrize(("n", "d"), [(2, 3), (8, 4), (32, 1)])
def test_batchnorm_train_mode_matches_torch(n, d, eps):
    ours, theirs = batchnorm_pair(d, eps, 0.1, seed=n)
    x, dout = random_data((n, d), seed=n + d)
    x = 3.0 * x + 2.0
    out_t, dx_t = torch_forward_backward(theirs.train(), x, dout)
    out = ours.train().forward(x)
    dx = ours.backward(dout)
    assert_batchnorm_close(ours, theirs, out, out_t, dx, dx_t)


@pytest.mark.parametrize("momentum", [0.0, 0.1, 0.5, 1.0])
def test_batchnorm_running_stats_and_eval_mode_match_torch_after_several_batches(momentum):
    ours, theirs = batchnorm_pair(4, 1e-5, momentum, seed=0)
    rng = np.random.default_rng(1)
    for n in [5, 8, 3, 12]:
        x = rng.normal(loc=2.0, scale=3.0, size=(n, 4))
        ours.forward(x)
        theirs(to_torch(x))
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    theirs.weight.grad = theirs.bias.grad = None
    x, dout = random_data((6, 4), seed=2)
    out_t, dx_t = torch_forward_backward(theirs.eval(), x, dout)
    mean_before = ours.running_mean.copy()
    out = ours.eval().forward(x)
    dx = ours.backward(dout)
    assert_batchnorm_close(ours, theirs, out, out_t, dx, dx_t)
    np.testing.assert_array_equal(ours.running_mean, mean_before)  # eval does not update


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients_match_numerical_gradient(training):
    layer, _ = batchnorm_pair(3, 1e-5, 0.1, seed=5)
    layer.running_mean[...] = [0.5, -1.0, 2.0]
    layer.running_var[...] = [0.5, 2.0, 1.5]
    layer.train(training)
    x, dout = random_data((7, 3), seed=6)
    check_numerical_gradients(layer, x, dout)


def test_batchnorm_initial_state_follows_torch():
    ours, theirs = layers.BatchNorm1d(5), torch.nn.BatchNorm1d(5)
    np.testing.assert_array_equal(ours.params["gamma"], theirs.weight.detach().numpy())
    np.testing.assert_array_equal(ours.params["beta"], theirs.bias.detach().numpy())
    np.testing.assert_array_equal(ours.running_mean, theirs.running_mean.numpy())
    np.testing.assert_array_equal(ours.running_var, theirs.running_var.numpy())
    assert (ours.eps, ours.momentum) == (theirs.eps, theirs.momentum)


def test_batchnorm_rejects_a_single_example_in_training_but_not_in_eval():
    layer = layers.BatchNorm1d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        layer.forward(np.ones((1, 3)))
    with pytest.raises(ValueError):  # torch agrees
        torch.nn.BatchNorm1d(3).double()(torch.ones(1, 3, dtype=torch.float64))
    assert layer.eval().forward(np.ones((1, 3))).shape == (1, 3)


# ---------------------------------------------------------------- BatchNorm2d


def batchnorm2d_pair(c, momentum=0.1, seed=0):
    ours = layers.BatchNorm2d(c, momentum=momentum)
    theirs = torch.nn.BatchNorm2d(c, momentum=momentum).double()
    rng = np.random.default_rng(seed)
    ours.params["gamma"][...] = rng.uniform(0.5, 2.0, size=c)
    ours.params["beta"][...] = rng.normal(size=c)
    with torch.no_grad():
        theirs.weight.copy_(to_torch(ours.params["gamma"]))
        theirs.bias.copy_(to_torch(ours.params["beta"]))
    return ours, theirs


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (1, 2, 3, 1), (2, 1, 1, 2), (6, 4, 2, 3)])
def test_batchnorm2d_matches_torch_forward_backward_and_running_stats(shape):
    ours, theirs = batchnorm2d_pair(shape[1], seed=shape[0])
    rng = np.random.default_rng(sum(shape))
    for k in range(3):  # three training batches, each with its own channel means and scales
        x = rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=(1, shape[1], 1, 1)) + k
        dout = rng.normal(size=shape)
        theirs.weight.grad = theirs.bias.grad = None
        out_t, dx_t = torch_forward_backward(theirs.train(), x, dout)
        out = ours.train().forward(x)
        dx = ours.backward(dout)
        assert_batchnorm_close(ours, theirs, out, out_t, dx, dx_t)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    x, dout = random_data((2, shape[1], 3, 2), seed=7)
    theirs.weight.grad = theirs.bias.grad = None
    out_t, dx_t = torch_forward_backward(theirs.eval(), x, dout)
    out = ours.eval().forward(x)
    dx = ours.backward(dout)
    assert_batchnorm_close(ours, theirs, out, out_t, dx, dx_t)


def test_batchnorm2d_normalises_each_channel_over_batch_and_positions():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 3, 4, 4)) * np.array([1.0, 10.0, 0.1])[None, :, None, None] + 4.0
    out = layers.BatchNorm2d(3).forward(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm2d_gradients_match_numerical_gradient(training):
    layer, _ = batchnorm2d_pair(2, seed=4)
    layer.running_mean[...] = [0.5, -1.0]
    layer.running_var[...] = [0.5, 2.0]
    layer.train(training)
    x, dout = random_data((3, 2, 2, 3), seed=8)
    check_numerical_gradients(layer, x, dout)


def test_batchnorm2d_rejects_bad_shapes_and_a_single_value_per_channel():
    layer = layers.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\) for BatchNorm2d\(3\)"):
        layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\)"):
        layer.forward(np.ones((4, 2, 5, 5)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        layer.forward(np.ones((1, 3, 1, 1)))
    with pytest.raises(ValueError):  # torch agrees
        torch.nn.BatchNorm2d(3).double()(torch.ones(1, 3, 1, 1, dtype=torch.float64))
    assert layer.eval().forward(np.ones((1, 3, 1, 1))).shape == (1, 3, 1, 1)
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones((1, 3, 1, 2)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layers.BatchNorm2d(2).backward(np.ones((2, 2, 1, 1)))
    assert repr(layer) == "BatchNorm2d(3)"


# ---------------------------------------------------------------- Sequential


def mlp_pair(seed):
    ours = layers.Sequential(
        layers.Linear(4, 6, rng=seed),
        layers.BatchNorm1d(6, momentum=0.3),
        layers.ReLU(),
        layers.Linear(6, 3, rng=seed + 1),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6, momentum=0.3), torch.nn.ReLU(),
        torch.nn.Linear(6, 3),
    ).double()  # fmt: skip
    with torch.no_grad():
        for i in (0, 3):
            theirs[i].weight.copy_(to_torch(ours[i].params["W"].T))
            theirs[i].bias.copy_(to_torch(ours[i].params["b"]))
    return ours, theirs


OUR_NAMES = {
    torch.nn.Linear: {"weight": "W", "bias": "b"},
    torch.nn.BatchNorm1d: {"weight": "gamma", "bias": "beta"},
}


def torch_grads(theirs) -> dict[str, np.ndarray]:
    """torch's parameter gradients keyed like Sequential.grads ("0.W", "1.gamma", ...)."""
    out = {}
    for index, module in enumerate(theirs):
        for name, p in module.named_parameters():
            grad = p.grad.numpy()
            if isinstance(module, torch.nn.Linear) and name == "weight":
                grad = grad.T  # torch stores (out, in)
            out[f"{index}.{OUR_NAMES[type(module)][name]}"] = grad
    return out


def test_sequential_mlp_matches_torch_in_train_then_eval_mode():
    ours, theirs = mlp_pair(seed=0)
    rng = np.random.default_rng(0)
    for mode in ["train", "train", "eval"]:
        getattr(ours, mode)()
        getattr(theirs, mode)()
        theirs.zero_grad()
        x, dout = rng.normal(size=(10, 4)), rng.normal(size=(10, 3))
        out_t, dx_t = torch_forward_backward(theirs, x, dout)
        out = ours.forward(x)
        dx = ours.backward(dout)
        assert_close(out, out_t, 1e-10)
        assert_close(dx, dx_t, 1e-10)
        expected = torch_grads(theirs)
        assert (
            list(ours.grads) == list(expected) == ["0.W", "0.b", "1.gamma", "1.beta", "3.W", "3.b"]
        )
        for key, grad in expected.items():
            # atol: the gradient of "0.b" is exactly 0 in training mode (BatchNorm removes
            # any shift), so both sides hold only rounding noise there.
            np.testing.assert_allclose(
                ours.grads[key], grad, rtol=1e-10, atol=1e-13, err_msg=f"{mode} {key}"
            )
    np.testing.assert_allclose(ours[1].running_var, theirs[1].running_var.numpy(), rtol=1e-12)


def test_sequential_gradients_match_numerical_gradient():
    ours, _ = mlp_pair(seed=3)
    rng = np.random.default_rng(4)
    check_numerical_gradients(ours, rng.normal(size=(6, 4)), rng.normal(size=(6, 3)))


def test_sequential_params_and_grads_are_the_layers_own_arrays():
    ours, _ = mlp_pair(seed=1)
    assert list(ours.params) == list(ours.grads)
    for key, array in ours.params.items():
        index, name = key.split(".")
        assert array is ours[int(index)].params[name]
        assert ours.grads[key] is ours[int(index)].grads[name]
    x = np.random.default_rng(2).normal(size=(5, 4))
    before = ours.forward(x)
    ours.backward(np.ones((5, 3)))
    W_before = ours[3].params["W"].copy()
    for p, g in zip(ours.params.values(), ours.grads.values(), strict=True):
        p -= 0.1 * g  # an in-place optimizer step through the flat dict
    np.testing.assert_array_equal(ours[3].params["W"], W_before - 0.1 * ours[3].grads["W"])
    assert not np.allclose(ours.forward(x), before)


def test_sequential_train_and_eval_propagate_and_chain():
    ours, _ = mlp_pair(seed=0)
    assert ours.eval() is ours
    assert not ours.training and not any(layer.training for layer in ours)
    assert ours.train() is ours
    assert ours.training and all(layer.training for layer in ours)
    assert len(ours) == 4 and isinstance(ours[2], layers.ReLU)
    assert "BatchNorm1d(6)" in repr(ours)


@pytest.mark.parametrize(
    "layer", [layers.Linear(2, 2), layers.ReLU(), layers.Dropout(0.5), layers.BatchNorm1d(2)]
)
def test_train_and_eval_return_the_layer(layer):
    assert layer.eval() is layer and layer.training is False
    assert layer.train() is layer and layer.training is True


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("layer", "x", "match"),
    [
        (layers.Linear(4, 2), np.ones((5, 3)), r"x has shape \(5, 3\), expected \(N, 4\) for Lin"),
        (layers.Linear(4, 2), np.ones(4), r"x has shape \(4,\), expected \(N, 4\)"),
        (layers.BatchNorm1d(3), np.ones((5, 2)), r"expected \(N, 3\) for BatchNorm1d\(3\)"),
        (layers.ReLU(), np.array([1.0, np.nan]), "x contains NaN"),
        (layers.Sequential(layers.Linear(3, 2)), np.ones((2, 2)), r"for Linear\(3, 2\)"),
    ],
    ids=["linear_features", "linear_1d", "batchnorm_features", "nan", "sequential"],
)
def test_forward_rejects_bad_input_shapes_naming_the_layer(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer.forward(x)


@pytest.mark.parametrize(
    "layer",
    [
        layers.Linear(3, 2),
        layers.ReLU(),
        layers.Sigmoid(),
        layers.Tanh(),
        layers.Dropout(0.5),
        layers.BatchNorm1d(2),
        layers.Sequential(layers.Linear(3, 2), layers.Tanh()),
    ],
    ids=repr,
)
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((4, 2)))


@pytest.mark.parametrize(
    "layer",
    [layers.Linear(3, 2), layers.Tanh(), layers.Dropout(0.5), layers.BatchNorm1d(3)],
    ids=repr,
)
def test_backward_rejects_dout_of_the_wrong_shape(layer):
    out = layer.forward(np.random.default_rng(0).normal(size=(4, 3)))
    with pytest.raises(ValueError, match=re.escape(f"dout has shape (4, 5), expected {out.shape}")):
        layer.backward(np.ones((4, 5)))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.Linear(0, 2), ValueError, "in_features must be >= 1"),
        (lambda: layers.Linear(2, 2.5), TypeError, "out_features must be an integer"),
        (lambda: layers.Linear(2, 2, rng="seed"), TypeError, "rng must be"),
        (lambda: layers.Linear(2, 2, rng=-1), ValueError, "rng must be >= 0"),
        (lambda: layers.Dropout(1.0), ValueError, r"p must be in \[0, 1\)"),
        (lambda: layers.Dropout(-0.1), ValueError, r"p must be in \[0, 1\)"),
        (lambda: layers.Dropout("0.5"), TypeError, "p must be a real number"),
        (lambda: layers.BatchNorm1d(0), ValueError, "num_features must be >= 1"),
        (lambda: layers.BatchNorm1d(3, eps=0.0), ValueError, "eps must be in"),
        (lambda: layers.BatchNorm1d(3, momentum=1.5), ValueError, "momentum must be in"),
        (lambda: layers.Sequential(layers.ReLU(), np.tanh), TypeError, r"layers\[1\] must be"),
    ],
    ids=[
        "linear_in_zero",
        "linear_out_float",
        "rng_string",
        "rng_negative",
        "dropout_p_1",
        "dropout_p_negative",
        "dropout_p_string",
        "batchnorm_zero",
        "batchnorm_eps",
        "batchnorm_momentum",
        "sequential_non_layer",
    ],
)
def test_constructors_reject_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
