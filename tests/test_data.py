"""course_lib.data: synthetic sets, bundled loaders (oracle: scikit-learn), splits, batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn import datasets as sk_datasets
from sklearn.preprocessing import StandardScaler

from course_lib import data

torch.set_num_threads(1)

GENERATORS = {
    "moons": lambda seed: data.make_moons(n_samples=101, noise=0.1, seed=seed),
    "spirals": lambda seed: data.make_spirals(n_per_class=40, n_classes=4, seed=seed),
    "blobs": lambda seed: data.make_blobs(n_samples=90, centers=3, seed=seed),
    "regression": lambda seed: data.make_regression(n_samples=50, n_features=3, seed=seed),
}
EXPECTED_SHAPES = {
    "moons": ((101, 2), (101,)),
    "spirals": ((160, 2), (160,)),
    "blobs": ((90, 2), (90,)),
    "regression": ((50, 3), (50,)),
}


def leave_one_out_1nn_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of predicting each point's label from its nearest other point."""
    dist = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(dist, np.inf)
    return float(np.mean(y[np.argmin(dist, axis=1)] == y))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_shapes_and_dtypes(name):
    X, y = GENERATORS[name](0)[:2]
    assert (X.shape, y.shape) == EXPECTED_SHAPES[name]
    assert X.dtype == np.float64 and np.all(np.isfinite(X))
    assert y.dtype == (np.float64 if name == "regression" else np.int64)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_same_seed_same_data_other_seed_other_data(name):
    first, again, other = GENERATORS[name](3), GENERATORS[name](3), GENERATORS[name](4)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("n_samples", [1, 2, 7, 200])
def test_moons_label_balance(n_samples):
    _, y = data.make_moons(n_samples=n_samples, seed=1)
    counts = np.bincount(y, minlength=2)
    assert counts.sum() == n_samples and abs(counts[0] - counts[1]) <= 1


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = data.make_moons(n_samples=300, noise=0.0, seed=2)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5)


def test_moons_are_not_linearly_separable_but_learnable_by_nearest_neighbour():
    X, y = data.make_moons(n_samples=300, noise=0.1, seed=0)
    assert leave_one_out_1nn_accuracy(X, y) > 0.95
    # The best linear separator on the least-squares fit of ±1 labels misclassifies some.
    A = np.column_stack([X, np.ones(len(X))])
    w = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)[0]
    assert np.mean((A @ w > 0) == (y == 1)) < 0.95


@pytest.mark.parametrize(("n_per_class", "n_classes"), [(1, 2), (50, 3), (30, 5)])
def test_spirals_have_equal_classes_inside_the_unit_disc(n_per_class, n_classes):
    X, y = data.make_spirals(n_per_class=n_per_class, n_classes=n_classes, seed=0)
    np.testing.assert_array_equal(np.bincount(y), np.full(n_classes, n_per_class))
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1 + 1e-12)


def test_spirals_are_learnable_by_nearest_neighbour_and_noise_blurs_them():
    clean = leave_one_out_1nn_accuracy(*data.make_spirals(100, 3, noise=0.05, seed=0))
    noisy = leave_one_out_1nn_accuracy(*data.make_spirals(100, 3, noise=0.6, seed=0))
    assert clean > 0.95 and noisy < clean


def test_spirals_defeat_a_linear_classifier():
    X, y = data.make_spirals(100, 3, noise=0.05, seed=0)
    A = np.column_stack([X, np.ones(len(X))])
    W = np.linalg.lstsq(A, np.eye(3)[y], rcond=None)[0]  # least squares on one-hot labels
    assert np.mean((A @ W).argmax(axis=1) == y) < 0.7


def test_blobs_with_given_centers_have_those_means_and_std():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, -5.0, 2.0]])
    X, y = data.make_blobs(n_samples=4000, centers=centers, std=0.5, seed=0)
    assert X.shape == (4000, 3)
    for k in range(2):
        # Standard error of each mean is 0.5 / sqrt(2000) ≈ 0.011.
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.05)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, rtol=0.05)


@pytest.mark.parametrize(("n_samples", "centers"), [(10, 3), (7, 7), (5, 1), (200, 4)])
def test_blobs_with_int_centers_are_balanced_and_separated(n_samples, centers):
    X, y = data.make_blobs(n_samples=n_samples, centers=centers, std=0.0, seed=0)
    counts = np.bincount(y, minlength=centers)
    assert counts.sum() == n_samples and counts.max() - counts.min() <= 1
    # std = 0: every point sits on its own center, and different clusters never coincide.
    means = np.array([X[y == k][0] for k in np.unique(y)])
    assert all(np.allclose(X[y == k], means[i]) for i, k in enumerate(np.unique(y)))
    assert len(np.unique(means.round(9), axis=0)) == len(means)


@pytest.mark.parametrize(("n_features", "bias"), [(1, 1.0), (4, -2.5), (2, 0.0)])
def test_regression_without_noise_is_exactly_linear(n_features, bias):
    X, y, true_w = data.make_regression(n_samples=30, n_features=n_features, noise=0.0, bias=bias)
    assert true_w.shape == (n_features,)
    assert np.all((np.abs(true_w) >= 1) & (np.abs(true_w) <= 3))
    np.testing.assert_allclose(y, X @ true_w + bias, atol=1e-12)


def test_regression_least_squares_recovers_weights_and_noise_level():
    X, y, true_w = data.make_regression(n_samples=5000, n_features=3, noise=0.3, bias=0.7)
    A = np.column_stack([X, np.ones(len(X))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(coef[:3], true_w, atol=0.03)
    assert abs(coef[3] - 0.7) < 0.03
    assert abs(np.std(y - A @ coef) - 0.3) < 0.02


def test_load_digits_matches_sklearn_scaled_to_unit_interval():
    X, y = data.load_digits()
    reference = sk_datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X * 16, reference.data)
    np.testing.assert_array_equal(y, reference.target)
    assert X.min() == 0.0 and X.max() == 1.0


def test_without_the_data_files_the_loaders_fall_back_to_scikit_learn(monkeypatch):
    fast = data.load_digits(), data.load_diabetes()
    monkeypatch.setattr(data, "_sklearn_file", lambda name: None)
    slow = data.load_digits(), data.load_diabetes()
    for a, b in zip(fast[0] + fast[1][:2], slow[0] + slow[1][:2], strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert fast[1][2] == slow[1][2]


def test_load_diabetes_matches_sklearn_raw_units():
    X, y, names = data.load_diabetes()
    reference = sk_datasets.load_diabetes(scaled=False)
    assert X.shape == (442, 10) and y.shape == (442,) and X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)
    assert names == list(reference.feature_names) and all(isinstance(n, str) for n in names)


def split_indices(n, **kwargs):
    """Split row ids 0..n-1 so the parts reveal which rows went where."""
    ids = np.arange(n)
    labels = kwargs.pop("labels", ids % 3)
    parts = data.train_val_test_split(ids[:, None] * 10, labels, **kwargs)
    for X_part, y_part in zip(parts[::2], parts[1::2], strict=True):
        np.testing.assert_array_equal(y_part, labels[X_part[:, 0] // 10])  # rows stay aligned
    return [p[:, 0] // 10 for p in parts[::2]], parts


@pytest.mark.parametrize("stratify", [False, True])
@pytest.mark.parametrize(("n", "val", "test"), [(100, 0.15, 0.15), (37, 0.2, 0.1), (10, 0, 0.5)])
def test_split_partitions_the_rows_exactly(n, val, test, stratify):
    (train, val_ids, test_ids), parts = split_indices(
        n, val_fraction=val, test_fraction=test, seed=1, stratify=stratify
    )
    everything = np.concatenate([train, val_ids, test_ids])
    np.testing.assert_array_equal(np.sort(everything), np.arange(n))
    if not stratify:
        assert (len(val_ids), len(test_ids)) == (round(n * val), round(n * test))
    assert parts._fields == ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")


@pytest.mark.parametrize("stratify", [False, True])
def test_split_is_deterministic_and_shuffled(stratify):
    first, parts = split_indices(60, seed=5, stratify=stratify)
    again, _ = split_indices(60, seed=5, stratify=stratify)
    other, _ = split_indices(60, seed=6, stratify=stratify)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], np.sort(first[0]))
    # Every part interleaves the classes instead of listing them class by class.
    assert all(np.any(np.diff(y_part) < 0) for y_part in parts[1::2])


@settings(max_examples=40)
@example(counts=[3, 15], val=0.3, test=0.3, seed=0)  # 1 + 9e-16 off: once a flaky failure
@given(
    counts=st.lists(st.integers(3, 40), min_size=2, max_size=5),
    val=st.floats(0.0, 0.3),
    test=st.floats(0.0, 0.3),
    seed=st.integers(0, 1000),
)
def test_stratified_split_keeps_class_proportions_within_one_example(counts, val, test, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    rows, _ = split_indices(
        len(labels), labels=labels, val_fraction=val, test_fraction=test, seed=seed, stratify=True
    )
    for part, fraction in zip(rows, (1 - val - test, val, test), strict=True):
        for k, count in enumerate(counts):
            # "within one example", up to the rounding of count * fraction itself: counts
            # [3, 15] at val = test = 0.3 give a difference of 1 + 9e-16.
            assert abs(np.sum(labels[part] == k) - count * fraction) <= 1 + 1e-9


def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(50, 4))
    X_val, X_test = rng.normal(-1.0, 5.0, size=(20, 4)), rng.normal(size=(7, 4))
    train_s, val_s, test_s, mean, std = data.standardize(X_train, X_val, X_test)
    scaler = StandardScaler().fit(X_train)
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(std, scaler.scale_, rtol=1e-12)
    for ours, raw in ((train_s, X_train), (val_s, X_val), (test_s, X_test)):
        np.testing.assert_allclose(ours, scaler.transform(raw), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(train_s.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(train_s.std(axis=0), 1.0, rtol=1e-12)
    assert abs(val_s.mean()) > 0.5  # held-out data is NOT re-centered on its own mean
    np.testing.assert_allclose(val_s * std + mean, X_val, rtol=1e-12)


@pytest.mark.parametrize("constant", [0.0, 0.1, -7.3])
def test_standardize_constant_feature_becomes_zero_without_warnings(constant):
    X_train = np.column_stack([np.full(6, constant), np.arange(6.0)])
    X_test = np.array([[constant, 1.0], [constant + 1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train_s, test_s, mean, std = data.standardize(X_train, X_test)
    np.testing.assert_array_equal(train_s[:, 0], 0.0)
    np.testing.assert_allclose(test_s[:, 0], [0.0, 1.0])
    assert std[0] == 1.0 and mean[0] == constant


def test_standardize_one_dimensional_input():
    y_train, y_test = np.array([1.0, 2.0, 3.0, 6.0]), np.array([4.0])
    _, test_s, mean, std = data.standardize(y_train, y_test)
    assert mean.shape == std.shape == ()
    np.testing.assert_allclose(test_s, (4.0 - y_train.mean()) / y_train.std())


def batch_ids(batches):
    return [np.asarray(xb)[:, 0] for xb, _ in batches]


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (10, 10), (10, 1), (7, 20), (64, 16)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_minibatches_cover_every_example_once(n, batch_size, shuffle):
    X, y = np.arange(n)[:, None] * np.ones((1, 3)), np.arange(n) * 2
    batches = list(data.minibatches(X, y, batch_size, shuffle=shuffle, rng=0))
    sizes = [len(xb) for xb, _ in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    ids = np.concatenate(batch_ids(batches)).astype(int)
    np.testing.assert_array_equal(np.sort(ids), np.arange(n))
    if not shuffle:
        np.testing.assert_array_equal(ids, np.arange(n))
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb[:, 0] * 2)


def test_minibatches_reshuffle_every_epoch_and_repeat_with_the_same_generator():
    X, y = np.arange(50)[:, None], np.arange(50)

    def two_epochs(rng):
        return [np.concatenate(batch_ids(data.minibatches(X, y, 8, rng=rng))) for _ in range(2)]

    first, second = two_epochs(np.random.default_rng(7))
    again = two_epochs(np.random.default_rng(7))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, again[0])
    np.testing.assert_array_equal(second, again[1])


def test_minibatches_int_seed_gives_the_same_order_every_call():
    X, y = np.arange(30)[:, None], np.arange(30)
    orders = [np.concatenate(batch_ids(data.minibatches(X, y, 4, rng=3))) for _ in range(2)]
    np.testing.assert_array_equal(*orders)


def test_minibatches_keep_torch_tensors_as_tensors():
    X, y = torch.arange(12.0).reshape(6, 2), torch.arange(6)
    xb, yb = next(iter(data.minibatches(X, y, 4, rng=0)))
    assert isinstance(xb, torch.Tensor) and isinstance(yb, torch.Tensor)
    torch.testing.assert_close(xb[:, 0] / 2, yb.float())


BAD_INPUTS = [
    (lambda: data.make_moons(n_samples=0), ValueError, "n_samples"),
    (lambda: data.make_moons(noise=-0.1), ValueError, "noise"),
    (lambda: data.make_moons(noise=float("nan")), ValueError, "noise"),
    (lambda: data.make_moons(seed=-1), ValueError, "seed"),
    (lambda: data.make_moons(seed=1.5), TypeError, "seed"),
    (lambda: data.make_spirals(n_per_class=0), ValueError, "n_per_class"),
    (lambda: data.make_spirals(n_classes=1), ValueError, "n_classes"),
    (lambda: data.make_spirals(noise=-1), ValueError, "noise"),
    (lambda: data.make_blobs(centers=0), ValueError, "centers"),
    (lambda: data.make_blobs(centers=2.5), TypeError, "centers"),
    (lambda: data.make_blobs(centers=np.zeros((0, 2))), ValueError, "centers"),
    (lambda: data.make_blobs(centers=[[0.0, np.nan]]), ValueError, "centers"),
    (lambda: data.make_blobs(std=-1.0), ValueError, "std"),
    (lambda: data.make_regression(n_features=0), ValueError, "n_features"),
    (lambda: data.make_regression(noise=-1.0), ValueError, "noise"),
    (lambda: data.make_regression(bias=np.inf), ValueError, "bias"),
    (lambda: data.train_val_test_split(np.ones((5, 2)), np.ones(4)), ValueError, "y has 4"),
    (
        lambda: data.train_val_test_split(np.ones(5), np.ones(5), val_fraction=1.0),
        ValueError,
        "val_fraction",
    ),
    (
        lambda: data.train_val_test_split(np.ones(5), np.ones(5), test_fraction=-0.1),
        ValueError,
        "test_fraction",
    ),
    (
        lambda: data.train_val_test_split(np.ones(9), np.ones(9), 0.5, 0.5),
        ValueError,
        "val_fraction \\+ test_fraction",
    ),
    (lambda: data.train_val_test_split(np.ones(4), np.ones(4), stratify=True), TypeError, "y must"),
    (lambda: data.train_val_test_split(np.ones(2), np.ones(2), 0.5, 0.4), ValueError, "too few"),
    (lambda: data.standardize(np.ones((0, 2))), ValueError, "X_train"),
    (lambda: data.standardize(np.ones((3, 2, 2))), ValueError, "X_train"),
    (lambda: data.standardize([[1.0, np.nan]]), ValueError, "X_train"),
    (
        lambda: data.standardize(np.ones((3, 2)), np.ones((3, 2)), np.ones((3, 3))),
        ValueError,
        "others\\[1\\]",
    ),
    (lambda: data.minibatches(np.ones((5, 2)), np.ones(4), 2), ValueError, "same number"),
    (lambda: data.minibatches(np.ones(5), np.ones(5), 0), ValueError, "batch_size"),
    (lambda: data.minibatches(np.ones(5), np.ones(5), 2.0), TypeError, "batch_size"),
    (lambda: data.minibatches(np.ones(5), np.ones(5), 2, shuffle="yes"), TypeError, "shuffle"),
    (lambda: data.minibatches(np.ones(5), np.ones(5), 2, rng="seed"), TypeError, "rng"),
    (lambda: data.minibatches(np.ones(5), np.ones(5), 2, rng=-3), ValueError, "rng"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUTS, ids=[m for _, _, m in BAD_INPUTS])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
