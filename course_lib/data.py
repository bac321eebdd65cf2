"""Offline data sets, splits, standardization and mini-batches (lectures 03-07).

Everything here works without a network: the synthetic sets are generated in NumPy from a
``seed``, and the two real sets are the copies that ship inside scikit-learn. Every
generator returns its rows in random order, so the classes are interleaved.

Public names:
    make_moons: two interleaving half circles, 2 classes (lecture 03 onwards).
    make_spirals: K spiral arms, one class per arm; no line separates them.
    make_blobs: Gaussian clusters, one class per cluster.
    make_regression: a linear target y = X·w + bias + noise, for ŷ = w·x + b.
    load_digits: 1797 handwritten 8×8 digits (pixels scaled to [0, 1]).
    load_diabetes: 442 patients, 10 raw features, a disease-progression target.
    train_val_test_split: a shuffled (optionally stratified) three-way split.
    standardize: z-scores with statistics from the training set only.
    minibatches: one epoch of (X_batch, y_batch), reshuffled on every call.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from course_lib._validation import as_float_array, check_int, check_range, check_real


def _check_seed(seed: Any) -> int:
    return check_int(seed, "seed", low=0)


def _shuffled(
    rng: np.random.Generator, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(X))
    return X[order], y[order]


def make_moons(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: a 2-class set that no straight line separates.

    Class 0 lies on the upper half of the unit circle around (0, 0); class 1 on the lower
    half of the unit circle around (1, 0.5). Angles are drawn uniformly, then Gaussian noise
    of standard deviation ``noise`` is added to both coordinates.

    Args:
        n_samples: total number of points N >= 1; class 0 gets ceil(N/2), class 1 floor(N/2).
        noise: standard deviation of the added Gaussian noise, >= 0.
        seed: seed of the NumPy generator; the same seed gives the same data.

    Returns:
        ``(X, y)``: X float64 of shape (N, 2), y int64 of shape (N,) with values in {0, 1}.

    scikit-learn counterpart: ``sklearn.datasets.make_moons`` (evenly spaced angles instead).
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    noise = check_range(noise, "noise", low=0.0)
    rng = np.random.default_rng(_check_seed(seed))
    n_upper = (n_samples + 1) // 2
    angle = rng.uniform(0.0, np.pi, size=n_samples)
    upper = np.column_stack([np.cos(angle[:n_upper]), np.sin(angle[:n_upper])])
    lower = np.column_stack([1 - np.cos(angle[n_upper:]), 0.5 - np.sin(angle[n_upper:])])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_upper, n_samples - n_upper])
    return _shuffled(rng, X, y)


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Spiral arms starting at the origin, one class per arm (the CS231n toy problem).

    Along arm k the radius grows evenly from 0 to 1 while the angle turns by 4 radians,
    starting at 2πk / n_classes so the arms are evenly spread. Gaussian noise of standard
    deviation ``noise`` (in radians) is added to each point's angle, so noise blurs the arms
    sideways; the outer ends, far from the origin, move the most.

    Args:
        n_per_class: points per arm, >= 1.
        n_classes: number of arms K, >= 2.
        noise: standard deviation of the angle noise in radians, >= 0.
        seed: seed of the NumPy generator.

    Returns:
        ``(X, y)``: X float64 of shape (K·n_per_class, 2) inside the unit disc, y int64 of
        shape (K·n_per_class,) with exactly n_per_class points of each class 0..K-1.
    """
    n_per_class = check_int(n_per_class, "n_per_class", low=1)
    n_classes = check_int(n_classes, "n_classes", low=2)
    noise = check_range(noise, "noise", low=0.0)
    rng = np.random.default_rng(_check_seed(seed))
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    angle = 2 * np.pi * y / n_classes + 4.0 * radius
    angle = angle + noise * rng.standard_normal(angle.shape)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _shuffled(rng, X, y)


def make_blobs(
    n_samples: int = 200, centers: int | np.ndarray = 3, std: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one class per cluster.

    Args:
        n_samples: total number of points N >= 1, shared as evenly as possible (the first
            N mod K clusters get one extra point).
        centers: an int K >= 1, placing K centers evenly on a circle of radius 5 around the
            origin; or an array of shape (K, D) giving the centers (D = number of features).
        std: standard deviation of every cluster along every axis, >= 0.
        seed: seed of the NumPy generator.

    Returns:
        ``(X, y)``: X float64 of shape (N, D) (D = 2 for an int ``centers``), y int64 of
        shape (N,): the index of the cluster each point was drawn from.

    scikit-learn counterpart: ``sklearn.datasets.make_blobs`` (random centers instead).
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    std = check_range(std, "std", low=0.0)
    rng = np.random.default_rng(_check_seed(seed))
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = check_int(centers, "centers", low=1)
        theta = 2 * np.pi * np.arange(k) / k
        centers = 5.0 * np.column_stack([np.cos(theta), np.sin(theta)])
    elif np.ndim(centers) != 2:
        raise TypeError(f"centers must be an int or an array of shape (K, D), got {centers!r}")
    centers = as_float_array(centers, "centers", ndim=2)
    if centers.shape[0] < 1 or centers.shape[1] < 1:
        raise ValueError(f"centers must have shape (K, D) with K, D >= 1, got {centers.shape}")
    k = centers.shape[0]
    counts = np.full(k, n_samples // k) + (np.arange(k) < n_samples % k)
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    X = centers[y] + std * rng.standard_normal((n_samples, centers.shape[1]))
    return _shuffled(rng, X, y)


def make_regression(
    n_samples: int = 200,
    n_features: int = 1,
    noise: float = 0.1,
    seed: int = 0,
    *,
    bias: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear regression problem with known true weights: y = X·true_w + bias + noise.

    Features are standard normal. Each true weight has a magnitude drawn uniformly from
    [1, 3] and a random sign, so every feature visibly matters. Fitting ŷ = w·x + b by least
    squares should recover ``true_w`` and ``bias`` up to an error that shrinks with the noise.

    Args:
        n_samples: number of examples N >= 1.
        n_features: number of features D >= 1.
        noise: standard deviation of the Gaussian noise added to y, >= 0.
        seed: seed of the NumPy generator.
        bias: the true intercept b (keyword only).

    Returns:
        ``(X, y, true_w)``: X float64 (N, D), y float64 (N,), true_w float64 (D,).
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_features = check_int(n_features, "n_features", low=1)
    noise = check_range(noise, "noise", low=0.0)
    bias = check_real(bias, "bias")
    rng = np.random.default_rng(_check_seed(seed))
    true_w = rng.uniform(1.0, 3.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ true_w + bias + noise * rng.standard_normal(n_samples)
    return X, y, true_w


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten 8×8 digits bundled with scikit-learn (no download).

    Returns:
        ``(X, y)``: X float64 of shape (1797, 64), each row an 8×8 image flattened row by
        row, pixel intensities divided by 16 so they lie in [0, 1]; y int64 of shape (1797,),
        the digit 0-9. Use ``X.reshape(-1, 8, 8)`` to view the images.
    """
    table = _sklearn_table("digits.csv.gz", delimiter=",")
    if table is None:
        from sklearn.datasets import load_digits as sklearn_load_digits

        digits = sklearn_load_digits()
        return digits.data.astype(np.float64) / 16.0, digits.target.astype(np.int64)
    return table[:, :64] / 16.0, table[:, 64].astype(np.int64)


_DIABETES_FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


@functools.cache
def _sklearn_file(name: str) -> Path | None:
    """A data file that ships inside scikit-learn, found without importing scikit-learn
    (its import takes seconds; the data sets are small text files); None if absent."""
    spec = importlib.util.find_spec("sklearn")
    folders = spec.submodule_search_locations if spec is not None else None
    path = Path(folders[0]) / "datasets" / "data" / name if folders else None
    return path if path is not None and path.is_file() else None


def _sklearn_table(name: str, delimiter: str | None = None) -> np.ndarray | None:
    path = _sklearn_file(name)
    return None if path is None else np.loadtxt(path, delimiter=delimiter, dtype=np.float64)


def load_diabetes() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The diabetes regression set bundled with scikit-learn, in its original units.

    The features are NOT rescaled (scikit-learn's default pre-scales them): age in years,
    sex coded 1/2, body-mass index, blood pressure and six blood serum measurements, each
    on its own scale. That makes it the example for ``standardize``.

    Returns:
        ``(X, y, feature_names)``: X float64 of shape (442, 10), y float64 of shape (442,)
        (disease progression one year after baseline), feature_names a list of 10 str.
    """
    X, y = _sklearn_table("diabetes_data_raw.csv.gz"), _sklearn_table("diabetes_target.csv.gz")
    if X is None or y is None:
        from sklearn.datasets import load_diabetes as sklearn_load_diabetes

        diabetes = sklearn_load_diabetes(scaled=False)
        X, y = diabetes.data.astype(np.float64), diabetes.target.astype(np.float64)
    return X, y, list(_DIABETES_FEATURES)


class Split(NamedTuple):
    """The six arrays of a train / validation / test split (unpacks in this order)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _check_pair(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim < 1 or y.ndim < 1:
        raise ValueError(f"X and y must have a first (example) axis, got {X.shape}, {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}: expected one y per row")
    return X, y


def train_val_test_split(
    X: Any,
    y: Any,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    stratify: bool = False,
) -> Split:
    """Shuffle the examples and split them into training, validation and test sets.

    The validation set gets round(N·val_fraction) examples, the test set
    round(N·test_fraction), the training set the rest. With ``stratify=True`` the rounding
    is done per class, so each class keeps its proportion in every part to within one
    example (the part sizes may then differ by a few from the unstratified ones).

    Args:
        X: array of shape (N, ...): one row per example.
        y: array of shape (N, ...): targets; integer class labels of shape (N,) when
            ``stratify`` is True.
        val_fraction: fraction for validation, in [0, 1).
        test_fraction: fraction for testing, in [0, 1); val_fraction + test_fraction < 1.
        seed: seed of the shuffle.
        stratify: split each class separately.

    Returns:
        ``Split(X_train, y_train, X_val, y_val, X_test, y_test)``, a NamedTuple that unpacks
        like a tuple; each part in random order, rows of X and y still aligned.

    scikit-learn counterpart: two calls of ``sklearn.model_selection.train_test_split``.
    """
    X, y = _check_pair(X, y)
    val_fraction = check_range(
        val_fraction, "val_fraction", low=0.0, high=1.0, high_inclusive=False
    )
    test_fraction = check_range(
        test_fraction, "test_fraction", low=0.0, high=1.0, high_inclusive=False
    )
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1 to leave training data, "
            f"got {val_fraction:g} + {test_fraction:g}"
        )
    rng = np.random.default_rng(_check_seed(seed))
    if stratify:
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise TypeError(
                f"y must be integer class labels of shape (N,) when stratify=True, "
                f"got dtype {y.dtype} and shape {y.shape}"
            )
        groups = [np.flatnonzero(y == label) for label in np.unique(y)]
    else:
        groups = [np.arange(len(X))]
    parts: list[list[np.ndarray]] = [[], [], []]
    for group in groups:
        group = rng.permutation(group)
        n_val, n_test = round(len(group) * val_fraction), round(len(group) * test_fraction)
        parts[0].append(group[n_val + n_test :])
        parts[1].append(group[:n_val])
        parts[2].append(group[n_val : n_val + n_test])
    # Concatenating per-class pieces sorts a part by class; shuffle to interleave again.
    train, val, test = (rng.permutation(np.concatenate(p)) for p in parts)
    if len(train) == 0:
        raise ValueError(f"X has {len(X)} rows: too few to leave any for training")
    return Split(X[train], y[train], X[val], y[val], X[test], y[test])


def standardize(X_train: Any, *others: Any) -> tuple[np.ndarray, ...]:
    """Rescale every feature to mean 0 and standard deviation 1 using the training set only.

    The statistics come from ``X_train`` alone and are applied unchanged to ``others``
    (validation, test data): computing them on all data would leak information about the
    held-out sets into training. A constant feature (standard deviation 0) is only centered:
    its divisor is set to 1, so it becomes all zeros instead of a division by zero.

    Args:
        X_train: float array of shape (N, D) (or (N,) for one feature), N >= 1.
        *others: any number of arrays of shape (M, D) (or (M,)), standardized the same way.

    Returns:
        A flat tuple ``(X_train_std, *others_std, mean, std)``: the standardized arrays in
        the order given, then ``mean`` and ``std``, each of shape (D,) (a 0-d array for 1-D
        input). ``std`` is the divisor actually used (population standard deviation, ddof=0,
        with zeros replaced by 1), so ``X_std * std + mean`` undoes the transform.

    scikit-learn counterpart: ``sklearn.preprocessing.StandardScaler``.
    """
    X_train = as_float_array(X_train, "X_train", ndim=(1, 2))
    if len(X_train) == 0:
        raise ValueError("X_train must have at least one row, got shape (0, ...)")
    arrays = [as_float_array(x, f"others[{i}]", ndim=X_train.ndim) for i, x in enumerate(others)]
    for i, x in enumerate(arrays):
        if x.shape[1:] != X_train.shape[1:]:
            raise ValueError(
                f"others[{i}] has shape {x.shape}, expected {X_train.shape[1:]} features "
                f"per row to match X_train"
            )
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    # Test constancy exactly (max == min): a rounding-level std of a constant column
    # would otherwise blow its values up to about +-1.
    constant = X_train.max(axis=0) == X_train.min(axis=0)
    mean = np.where(constant, X_train[0], mean)
    std = np.where(constant, 1.0, std)
    return (*((x - mean) / std for x in (X_train, *arrays)), mean, std)


def minibatches(
    X: Any, y: Any, batch_size: int, shuffle: bool = True, rng: Any = None
) -> Iterator[tuple[Any, Any]]:
    """One epoch of mini-batches: every example appears exactly once.

    Call it once per epoch. With ``shuffle`` each call draws a new permutation from ``rng``:
        * a ``numpy.random.Generator`` created once before the loop: a new order every epoch,
          and the whole run is reproducible (the recommended use);
        * an int: a fresh generator seeded with it, so every call gives the SAME order;
        * None: a fresh unseeded generator, a new and unreproducible order every call.

    Args:
        X: array (or torch tensor) of shape (N, ...).
        y: array (or torch tensor) of shape (N, ...), aligned with X.
        batch_size: examples per batch B >= 1; the last batch has N mod B if that is not 0.
        shuffle: visit the examples in random order (False: in order 0..N-1).
        rng: the randomness, as above; ignored when ``shuffle`` is False.

    Returns:
        A generator of ``(X_batch, y_batch)`` of shapes (B, ...) and (B, ...), indexed from
        X and y (same array type).

    PyTorch counterpart: ``DataLoader(TensorDataset(X, y), batch_size, shuffle=True)``.
    """
    if not hasattr(X, "shape"):
        X = np.asarray(X)
    if not hasattr(y, "shape"):
        y = np.asarray(y)
    if len(X.shape) < 1 or len(y.shape) < 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X has shape {tuple(X.shape)} and y {tuple(y.shape)}: expected the same number of rows"
        )
    batch_size = check_int(batch_size, "batch_size", low=1)
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__}")
    if not (rng is None or isinstance(rng, np.random.Generator)):
        if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
            raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {rng!r}")
        rng = check_int(rng, "rng", low=0)
    n = X.shape[0]
    # Drawn now, not at the first next(), so the order is fixed when the call returns.
    order = np.random.default_rng(rng).permutation(n) if shuffle else np.arange(n)
    return _batches(X, y, order, batch_size)


def _batches(X: Any, y: Any, order: np.ndarray, batch_size: int) -> Iterator[tuple[Any, Any]]:
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
