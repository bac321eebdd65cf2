"""course_lib.losses against torch.nn.functional (values) and torch.autograd (gradients).

Everything runs in float64, so losses and gradients must agree to rounding error. Huge
logits (1e3 to 1e4) must give finite results without a single floating-point warning.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import losses

torch.set_num_threads(1)

SHAPES_NC = [(1, 2), (4, 3), (8, 10), (16, 1)]
SCALES = [1.0, 1e3, 1e4]  # logit magnitudes; the large ones overflow a naive exp


@contextmanager
def no_floating_point_warnings():
    """Turn every warning, and every NumPy overflow / invalid / divide event, into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def torch_value_and_grad(fn, first: np.ndarray, *rest):
    t = torch.tensor(first, dtype=torch.float64, requires_grad=True)
    value = fn(t, *rest)
    value.backward()
    return value.item(), t.grad.numpy()


def random_problem(shape, scale, seed):
    rng = np.random.default_rng(seed)
    logits = scale * rng.normal(size=shape)
    labels = rng.integers(0, shape[1], size=shape[0])
    return logits, labels


# ---------------------------------------------------------------- softmax / log_softmax


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("shape", "axis"), [((5,), 0), ((4, 6), -1), ((4, 6), 0), ((2, 3, 4), 1)])
def test_softmax_and_log_softmax_match_torch(shape, axis, scale):
    z = scale * np.random.default_rng(0).normal(size=shape)
    with no_floating_point_warnings():
        p = losses.softmax(z, axis=axis)
        log_p = losses.log_softmax(z, axis=axis)
    zt = torch.tensor(z)
    np.testing.assert_allclose(p, torch.softmax(zt, dim=axis).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_p, torch.log_softmax(zt, dim=axis).numpy(), rtol=1e-12)
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)


def test_softmax_default_axis_is_the_last():
    z = np.random.default_rng(1).normal(size=(3, 5))
    np.testing.assert_allclose(losses.softmax(z).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(losses.log_softmax(z), losses.log_softmax(z, axis=1))


def test_softmax_is_shift_invariant_and_does_not_change_its_input():
    z = np.random.default_rng(2).normal(size=(3, 4))
    before = z.copy()
    np.testing.assert_allclose(losses.softmax(z), losses.softmax(z + 1e4), rtol=1e-9)
    np.testing.assert_array_equal(z, before)


@pytest.mark.parametrize("fn", [losses.softmax, losses.log_softmax])
def test_softmax_functions_reject_bad_input(fn):
    with pytest.raises(ValueError, match="z must have at least one dimension"):
        fn(3.0)
    with pytest.raises(ValueError, match="axis must be in"):
        fn(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="z contains NaN"):
        fn(np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match="axis must be an integer"):
        fn(np.ones(3), axis=0.5)


# ---------------------------------------------------------------- mse


@pytest.mark.parametrize("shape", [(1,), (7,), (4, 3), (2, 3, 5)])
def test_mse_matches_torch_mse_loss_and_autograd(shape):
    rng = np.random.default_rng(len(shape))
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, grad = losses.mse(pred, target)
    expected, expected_grad = torch_value_and_grad(F.mse_loss, pred, torch.tensor(target))
    assert loss == pytest.approx(expected, rel=1e-13)
    assert grad.shape == pred.shape
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_mse_rejects_bad_input():
    with pytest.raises(ValueError, match=r"target has shape \(3,\), expected \(4,\)"):
        losses.mse(np.ones(4), np.ones(3))
    with pytest.raises(ValueError, match="pred contains NaN"):
        losses.mse(np.array([np.nan]), np.ones(1))
    with pytest.raises(ValueError, match="pred must hold at least one element"):
        losses.mse(np.ones(0), np.ones(0))
    with pytest.raises(TypeError, match="target must be an array"):
        losses.mse(np.ones(2), "ab")


# ---------------------------------------------------------------- cross_entropy


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("shape", SHAPES_NC, ids=str)
def test_cross_entropy_matches_torch_including_label_smoothing(shape, scale, label_smoothing):
    logits, labels = random_problem(shape, scale, seed=shape[0] * shape[1])
    with no_floating_point_warnings():
        loss, grad = losses.cross_entropy(logits, labels, label_smoothing=label_smoothing)
    expected, expected_grad = torch_value_and_grad(
        lambda t: F.cross_entropy(t, torch.tensor(labels), label_smoothing=label_smoothing),
        logits,
    )
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert grad.shape == logits.shape
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)


def test_cross_entropy_default_has_no_label_smoothing():
    logits, labels = random_problem((5, 4), 1.0, seed=3)
    assert losses.cross_entropy(logits, labels)[0] == losses.cross_entropy(logits, labels, 0.0)[0]


def test_cross_entropy_accepts_lists_and_int32_labels():
    logits, labels = random_problem((3, 4), 1.0, seed=4)
    a = losses.cross_entropy(logits.tolist(), labels.astype(np.int32))
    b = losses.cross_entropy(logits, labels)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize(
    ("logits", "labels", "kwargs", "error", "match"),
    [
        (np.ones(3), np.array([0]), {}, ValueError, "logits must be 2-D"),
        (np.ones((2, 3)), np.array([0.0, 1.0]), {}, TypeError, "labels must hold integer"),
        (np.ones((2, 3)), np.array([0, 3]), {}, ValueError, r"labels must be in \[0, 3\)"),
        (np.ones((2, 3)), np.array([-1, 0]), {}, ValueError, r"labels must be in \[0, 3\)"),
        (np.ones((2, 3)), np.array([0, 1, 2]), {}, ValueError, r"labels has shape \(3,\)"),
        (np.full((2, 3), np.nan), np.array([0, 1]), {}, ValueError, "logits contains NaN"),
        (np.ones((0, 3)), np.array([], dtype=int), {}, ValueError, "logits must hold"),
        (np.ones((2, 3)), np.array([0, 1]), {"label_smoothing": 1.5}, ValueError, "label_sm"),
        (np.ones((2, 3)), np.array([0, 1]), {"label_smoothing": -0.1}, ValueError, "label_sm"),
        (np.ones((2, 3)), np.array([0, 1]), {"label_smoothing": "0.1"}, TypeError, "label_sm"),
    ],
    ids=[
        "1d_logits",
        "float_labels",
        "label_too_large",
        "negative_label",
        "label_count",
        "nan_logits",
        "empty",
        "smoothing_above_1",
        "negative_smoothing",
        "smoothing_string",
    ],
)
def test_cross_entropy_rejects_bad_input(logits, labels, kwargs, error, match):
    with pytest.raises(error, match=match):
        losses.cross_entropy(logits, labels, **kwargs)


# ---------------------------------------------------------------- binary cross-entropy


@pytest.mark.parametrize("hard_targets", [False, True])
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("shape", [(1,), (9,), (4, 3), (2, 3, 2)], ids=str)
def test_bce_with_logits_matches_torch(shape, scale, hard_targets):
    rng = np.random.default_rng(sum(shape))
    logits = scale * rng.normal(size=shape)
    targets = rng.integers(0, 2, size=shape) * 1.0 if hard_targets else rng.uniform(size=shape)
    with no_floating_point_warnings():
        loss, grad = losses.binary_cross_entropy_with_logits(logits, targets)
    expected, expected_grad = torch_value_and_grad(
        F.binary_cross_entropy_with_logits, logits, torch.tensor(targets)
    )
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert grad.shape == logits.shape
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-15)


def test_bce_with_logits_is_log_2_at_zero_logits():
    loss, grad = losses.binary_cross_entropy_with_logits(np.zeros(4), np.array([0, 1, 0, 1.0]))
    assert loss == pytest.approx(np.log(2.0), rel=1e-14)
    np.testing.assert_allclose(grad, np.array([0.5, -0.5, 0.5, -0.5]) / 4)


@pytest.mark.parametrize(
    ("logits", "targets", "error", "match"),
    [
        (np.ones(3), np.ones(4), ValueError, r"targets has shape \(4,\), expected \(3,\)"),
        (np.ones(2), np.array([0.5, 1.5]), ValueError, r"targets must be in \[0, 1\]"),
        (np.ones(2), np.array([-0.1, 1.0]), ValueError, r"targets must be in \[0, 1\]"),
        (np.array([np.inf, 0.0]), np.ones(2), ValueError, "logits contains NaN"),
        (np.ones(2), np.array([np.nan, 0.0]), ValueError, "targets contains NaN"),
        (np.ones(0), np.ones(0), ValueError, "logits must hold"),
    ],
    ids=["shape", "target_above_1", "negative_target", "inf_logit", "nan_target", "empty"],
)
def test_bce_with_logits_rejects_bad_input(logits, targets, error, match):
    with pytest.raises(error, match=match):
        losses.binary_cross_entropy_with_logits(logits, targets)


# ---------------------------------------------------------------- multiclass hinge


@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("scale", [1.0, 1e3])
@pytest.mark.parametrize("shape", SHAPES_NC, ids=str)
def test_multiclass_hinge_is_torch_multi_margin_loss_times_class_count(shape, scale, margin):
    scores, labels = random_problem(shape, scale, seed=7 + shape[0])
    c = shape[1]
    loss, grad = losses.multiclass_hinge(scores, labels, margin=margin)
    expected, expected_grad = torch_value_and_grad(
        lambda t: c * F.multi_margin_loss(t, torch.tensor(labels), p=1, margin=margin), scores
    )
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert grad.shape == scores.shape
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_multiclass_hinge_counts_only_strictly_positive_terms_at_the_kink():
    scores = np.array([[3.0, 2.0, 5.0], [1.0, 1.0, 0.0]])
    labels = np.array([0, 1])
    loss, grad = losses.multiclass_hinge(scores, labels, margin=1.0)
    # Row 0 (y=0): class 1 term max(0, 2 - 3 + 1) = 0 (at the kink), class 2 term 3.
    # Row 1 (y=1): class 0 term max(0, 1 - 1 + 1) = 1, class 2 term 0 (at the kink).
    assert loss == pytest.approx((3.0 + 1.0) / 2)
    expected = np.array([[-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]]) / 2
    np.testing.assert_array_equal(grad, expected)


def test_multiclass_hinge_is_zero_when_every_margin_is_met():
    scores = np.array([[5.0, 1.0, 2.0], [0.0, 9.0, 7.5]])
    loss, grad = losses.multiclass_hinge(scores, np.array([0, 1]), margin=1.0)
    assert loss == 0.0
    np.testing.assert_array_equal(grad, np.zeros_like(scores))


@pytest.mark.parametrize(
    ("scores", "labels", "kwargs", "error", "match"),
    [
        (np.ones((2, 3)), np.array([0, 1]), {"margin": -1.0}, ValueError, "margin must be in"),
        (np.ones((2, 3)), np.array([0, 1]), {"margin": np.nan}, ValueError, "margin must be"),
        (np.ones(3), np.array([0]), {}, ValueError, "scores must be 2-D"),
        (np.ones((2, 3)), np.array([0, 5]), {}, ValueError, r"labels must be in \[0, 3\)"),
        (np.ones((2, 3)), np.array([0.0, 1.0]), {}, TypeError, "labels must hold integer"),
        (np.array([[np.nan, 0.0]]), np.array([0]), {}, ValueError, "scores contains NaN"),
    ],
    ids=["negative_margin", "nan_margin", "1d_scores", "label_range", "float_labels", "nan"],
)
def test_multiclass_hinge_rejects_bad_input(scores, labels, kwargs, error, match):
    with pytest.raises(error, match=match):
        losses.multiclass_hinge(scores, labels, **kwargs)
