"""course_lib.gradcheck: numerical gradients against torch.autograd, and rel_error's definition."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib.gradcheck import numerical_gradient, rel_error

torch.set_num_threads(1)

# Each function is written once with operations that NumPy arrays and torch tensors share
# (the "lib" argument is np or torch), so the same formula feeds both sides.
FUNCTIONS = {
    "sin_times_x": lambda x, lib: (lib.sin(x) * x).sum(),
    "cubic": lambda x, lib: (x**3).sum() / 3 + (x**2).sum(),
    "log_sum_exp": lambda x, lib: lib.log(lib.exp(x).sum()),
    "tanh_of_sum": lambda x, lib: lib.tanh(x.sum() / 4) * (x**2).mean(),
    "log1p_squares_product": lambda x, lib: lib.log1p(x**2).sum() * lib.cos(x).sum(),
}
SHAPES = [(1,), (7,), (3, 4), (2, 3, 2)]


def autograd_gradient(name: str, x: np.ndarray) -> np.ndarray:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    FUNCTIONS[name](xt, torch).backward()
    return xt.grad.numpy()


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numerical_gradient_matches_torch_autograd(name, shape):
    rng = np.random.default_rng(len(shape) + 10 * sum(shape))
    x = rng.normal(size=shape)
    num = numerical_gradient(lambda a: float(FUNCTIONS[name](a, np)), x)
    exact = autograd_gradient(name, x)
    assert num.shape == x.shape
    np.testing.assert_allclose(num, exact, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_is_exact_enough_for_a_quadratic_with_any_step():
    # For a quadratic, centered differences have no truncation error: only rounding remains.
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    x = rng.normal(size=5)
    for h in (1e-3, 1e-1, 1.0):
        num = numerical_gradient(lambda v: float(v @ A @ v), x, h=h)
        np.testing.assert_allclose(num, (A + A.T) @ x, rtol=1e-9, atol=1e-9)


def test_numerical_gradient_evaluates_f_twice_per_entry_perturbing_one_entry_at_a_time():
    x = np.arange(6.0).reshape(2, 3)
    original = x.copy()
    changed_entries = []

    def f(a):
        changed_entries.append(np.argwhere(a != original).tolist())
        return float(a.sum())

    numerical_gradient(f, x)
    expected = [[list(idx)] for idx in np.ndindex(x.shape) for _ in range(2)]
    assert changed_entries == expected


def test_numerical_gradient_returns_float64_for_float32_input():
    x = np.array([0.5, -1.0], dtype=np.float32)
    num = numerical_gradient(lambda a: float(np.sum(a.astype(np.float64) ** 2)), x, h=1e-2)
    assert num.dtype == np.float64
    np.testing.assert_allclose(num, 2 * x.astype(np.float64), rtol=1e-5)


def values_that_do_not_round_trip(h: float) -> np.ndarray:
    """Random values for which x + h - 2h + h != x in floating point (the naive restore)."""
    x = np.random.default_rng(1).normal(size=(4, 5)) * 1e3
    naive = ((x + h) - 2 * h) + h
    assert np.any(naive != x), "the test needs values where arithmetic restoring is lossy"
    return x


def test_numerical_gradient_restores_x_bit_for_bit():
    h = 1e-5
    x = values_that_do_not_round_trip(h)
    before = x.copy()
    numerical_gradient(lambda a: float(np.sin(a).sum()), x, h=h)
    assert np.array_equal(x.view(np.uint64), before.view(np.uint64))


def test_numerical_gradient_restores_x_when_f_raises():
    x = values_that_do_not_round_trip(1e-5)
    before = x.copy()
    calls = []

    def f(a):
        calls.append(1)
        if len(calls) == 8:  # mid-way, right after an entry was perturbed by -h
            raise RuntimeError("boom")
        return float(a.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert np.array_equal(x.view(np.uint64), before.view(np.uint64))


def test_numerical_gradient_works_on_a_strided_view_and_leaves_the_base_intact():
    base = np.random.default_rng(2).normal(size=(4, 6))
    before = base.copy()
    view = base[:, ::2]
    num = numerical_gradient(lambda a: float((a**2).sum()), view)
    np.testing.assert_allclose(num, 2 * view, rtol=1e-8)
    assert np.array_equal(base, before)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([1.0, 2.0], TypeError, "x must be a NumPy ndarray"),
        (np.array([1, 2]), TypeError, "x must have a floating dtype"),
        (np.array([1.0, np.nan]), ValueError, "x contains NaN"),
    ],
    ids=["list", "int_array", "nan"],
)
def test_numerical_gradient_rejects_bad_x(x, error, match):
    with pytest.raises(error, match=match):
        numerical_gradient(lambda a: float(a.sum()), x)


def test_numerical_gradient_rejects_read_only_x():
    x = np.ones(3)
    x.setflags(write=False)
    with pytest.raises(ValueError, match="x is read-only"):
        numerical_gradient(lambda a: float(a.sum()), x)


@pytest.mark.parametrize("h", [0.0, -1e-5, float("nan")])
def test_numerical_gradient_rejects_non_positive_or_nan_step(h):
    with pytest.raises(ValueError, match="h must"):
        numerical_gradient(lambda a: float(a.sum()), np.ones(2), h=h)


@pytest.mark.parametrize(
    "returned",
    [np.ones(2), "1.0", None, 1 + 2j, True, torch.tensor(1.0)],
    ids=["vector", "string", "none", "complex", "bool", "tensor"],
)
def test_numerical_gradient_requires_f_to_return_a_real_scalar(returned):
    x = np.ones(2)
    with pytest.raises(TypeError, match="f must return a real scalar"):
        numerical_gradient(lambda a: returned, x)
    assert np.array_equal(x, np.ones(2))


@pytest.mark.parametrize("returned", [np.float32(2.0), np.array(2.0), 2, np.int64(2)])
def test_numerical_gradient_accepts_numpy_and_integer_scalars(returned):
    assert np.array_equal(numerical_gradient(lambda a: returned, np.ones(2)), np.zeros(2))


def test_numerical_gradient_rejects_non_callable_f():
    with pytest.raises(TypeError, match="f must be callable"):
        numerical_gradient(3.0, np.ones(2))


# ---------------------------------------------------------------- rel_error

finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=50)
@given(arrays(np.float64, st.integers(1, 6), elements=finite))
def test_rel_error_is_zero_for_equal_arrays(a):
    assert rel_error(a, a.copy()) == 0.0


@settings(max_examples=50)
@given(
    st.integers(1, 6).flatmap(lambda n: st.tuples(*[arrays(np.float64, n, elements=finite)] * 2))
)
def test_rel_error_is_symmetric_and_between_zero_and_one(pair):
    a, b = pair
    assert rel_error(a, b) == rel_error(b, a)
    assert 0.0 <= rel_error(a, b) <= 1.0


@pytest.mark.parametrize("scale", [1e-3, 0.5, 7.0, 1e4])
def test_rel_error_is_scale_invariant(scale):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 4))
    b = a + 1e-6 * rng.normal(size=(3, 4))
    assert rel_error(scale * a, scale * b) == pytest.approx(rel_error(a, b), rel=1e-9)


def test_rel_error_matches_a_hand_computed_example():
    a = np.array([1.0, -2.0, 0.5])
    b = np.array([1.5, -2.0, 0.25])
    # differences 0.5, 0, 0.25 -> 0.5; |a| + |b| = 2.5, 4, 0.75 -> 4
    assert rel_error(a, b) == pytest.approx(0.5 / 4, rel=1e-15)


def test_rel_error_is_global_not_elementwise_on_tiny_entries():
    a = np.array([1e-12, 100.0])
    b = np.array([2e-12, 100.0])
    # elementwise (CS231n) would give 1e-12 / 3e-12 = 1/3 for the first entry
    assert rel_error(a, b) == pytest.approx(1e-12 / 200.0, rel=1e-9)


def test_rel_error_floors_the_denominator_at_1e_minus_8():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([0.0], [1e-10]) == pytest.approx(1e-10 / 1e-8, rel=1e-12)


def test_rel_error_accepts_scalars_lists_and_torch_tensors():
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True) * 2
    assert rel_error(t, np.array([2.0, 4.0])) == 0.0
    assert rel_error(3.0, 1.0) == pytest.approx(2.0 / 4.0)
    assert rel_error([[1.0, 2.0]], np.array([[1.0, 2.0]])) == 0.0
    assert isinstance(rel_error(1.0, 1.0), float)


def test_rel_error_of_empty_arrays_is_zero():
    assert rel_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


@pytest.mark.parametrize(("a", "b"), [(np.ones(3), np.ones(4)), (np.ones((2, 3)), np.ones(6))])
def test_rel_error_rejects_different_shapes_naming_both_arguments(a, b):
    with pytest.raises(ValueError, match=r"a has shape .* but b has shape"):
        rel_error(a, b)


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        (np.array([np.nan]), np.ones(1), ValueError, "a contains NaN"),
        (np.ones(1), np.array([np.inf]), ValueError, "b contains NaN"),
        ("abc", np.ones(1), TypeError, "a must be an array"),
        (np.ones(1), None, TypeError, "b must be an array"),
    ],
    ids=["nan_a", "inf_b", "string_a", "none_b"],
)
def test_rel_error_rejects_bad_input(a, b, error, match):
    with pytest.raises(error, match=match):
        rel_error(a, b)


def test_format_bound_prints_the_bound_met_whatever_the_last_bits():
    from course_lib.gradcheck import format_bound

    texts = {format_bound(e, 1e-12) for e in (0.0, 1.1e-16, 2.1e-16, np.float64(5.6e-17), 9.9e-13)}
    assert texts == {"< 1e-12 ✓"}
    assert format_bound(3.2e-9, 1e-12) == "3.2e-09 ✗ (not < 1e-12)"
    assert format_bound(1e-12, 1e-12) == "1.0e-12 ✗ (not < 1e-12)"  # strict, like the assert
    assert format_bound(float("nan"), 1e-12) == "nan ✗ (not < 1e-12)"
    assert format_bound(2e-6, 1e-5) == "< 1e-05 ✓"


@pytest.mark.parametrize(
    ("error", "bound", "exc", "match"),
    [
        (1e-16, 0.0, ValueError, "bound"),
        (1e-16, float("nan"), ValueError, "bound"),
        (-1e-16, 1e-12, ValueError, "error"),
        ("1e-16", 1e-12, TypeError, "error"),
        (True, 1e-12, TypeError, "error"),
        (np.array([1e-16, 2e-16]), 1e-12, TypeError, "error"),
    ],
)
def test_format_bound_rejects_bad_arguments(error, bound, exc, match):
    from course_lib.gradcheck import format_bound

    with pytest.raises(exc, match=match):
        format_bound(error, bound)
