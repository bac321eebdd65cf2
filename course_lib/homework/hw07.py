"""Homework hw07 (lecture 07, PyTorch tutorial): a complete pipeline that must beat baselines.

The task: classify the 8 x 8 handwritten digits that ship with scikit-learn. The student
gets a training pool and the test inputs (never the test labels) and writes, in
``homework/hw07_pytorch_pipeline.ipynb``:

====  ==========================================================  ======  =====================
key   function                                                    points  checked against
====  ==========================================================  ======  =====================
q1    ``DigitsDataset(X, y)``                                          2  items, length, dtypes
q2    ``make_loaders(X_train, y_train, X_val, y_val, batch, seed)``    2  batches and order
q3    ``run_pipeline(X_train, y_train, X_test, seed)``                 6  test accuracy
====  ==========================================================  ======  =====================

q3 earns 2 points for beating the simple baseline (always the most frequent class) and all
6 for beating the strong one (nearest class mean on standardised pixels); both numbers are
computed on the same split and printed by the check.

The test labels are not here. The self-check of q3 trains on the first 1077 rows of the
training pool and scores the predictions for the other 360, whose labels the pool holds
anyway. The grader scores ``run_pipeline`` on digits it makes with the instructor's secret
seed (every image moved by a small random affine warp plus noise, requantised to 0..16, the
test rows in a secret order), so matching rows against scikit-learn's copy of the digits
recovers no labels (see ``course_tools.grading.hidden``).

The case makers of q1 and q2 take a ``seed``: the grader adds cases made from the
instructor's secret seed (other rows, batch size and loader seed).

Forbidden modules: none (the assignment is about PyTorch).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.data import load_digits
from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question

TEST_SIZE = 360
#: Rows of the training pool the self-check of q3 trains on; it scores the rest.
CHECK_TRAIN = 1077


@functools.cache
def split_indices() -> tuple[np.ndarray, np.ndarray]:
    """Row indices into ``load_digits()`` of the training pool (1437) and the test rows (360)."""
    order = np.random.default_rng(7).permutation(len(load_digits()[0]))
    return order[TEST_SIZE:], order[:TEST_SIZE]


@functools.cache
def split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The public split of the digits: (X_train, y_train, X_test), 1437 / 360 rows.

    The test labels stay with the grader, which grades on transformed copies (module
    docstring)."""
    X, y = load_digits()
    pool, test = split_indices()
    return X[pool], y[pool], X[test]


def baselines(X_train, y_train, X_test, y_test) -> dict[str, float]:
    """Accuracy on (X_test, y_test) of the simple (majority class) and strong (nearest class
    mean on standardised pixels) baselines fitted on (X_train, y_train): arrays (N, 64), (N,)."""
    majority = np.bincount(y_train).argmax()
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8
    centroids = np.stack([((X_train - mean) / std)[y_train == c].mean(axis=0) for c in range(10)])
    distances = (((X_test - mean) / std)[:, None, :] - centroids[None]) ** 2
    return {
        "simple": float(np.mean(y_test == majority)),
        "strong": float(np.mean(distances.sum(axis=2).argmin(axis=1) == y_test)),
    }


# ----- q1 the Dataset -------------------------------------------------------------------


def _dataset_cases(seed: int | None = None) -> list[Case]:
    X_train, y_train, _ = split()
    if seed is not None:  # other rows of the pool, in another order
        rows = np.random.default_rng(seed).permutation(len(X_train))
        X, y = X_train[rows[:77]], y_train[rows[:77]]
        return [Case("77 training digits in a shuffled order", (X, y), ("X", "y"))]
    return [
        Case("the first 100 training digits", (X_train[:100], y_train[:100]), ("X", "y")),
        Case("a single digit", (X_train[5:6], y_train[5:6]), ("X", "y")),
    ]


def _call_dataset(cls: Callable, args: tuple) -> tuple:
    dataset = cls(*args)
    x0, y0 = dataset[0]
    x_last, _ = dataset[len(dataset) - 1]
    return (len(dataset), x0.numpy(), int(y0), str(x0.dtype), str(y0.dtype), x_last.numpy())


def _dataset_reference(X, y) -> tuple:
    return (len(X), X[0], int(y[0]), "torch.float32", "torch.int64", X[-1])


# ----- q2 the DataLoaders ---------------------------------------------------------------


def _loader_cases(seed: int | None = None) -> list[Case]:
    X_train, y_train, _ = split()
    names = ("X_train", "y_train", "X_val", "y_val", "batch_size", "seed")
    if seed is not None:  # other rows, batch size and loader seed
        rng = np.random.default_rng(seed)
        rows = rng.permutation(len(X_train))
        n, m, batch, s = (
            int(rng.integers(40, 120)),
            25,
            int(rng.integers(8, 40)),
            int(rng.integers(99)),
        )
        t, v = rows[:n], rows[n : n + m]
        label = f"{n} training and {m} validation digits, batch_size {batch}, seed {s}"
        return [Case(label, (X_train[t], y_train[t], X_train[v], y_train[v], batch, s), names)]
    return [
        Case(
            "100 training and 30 validation digits, batch_size 32, seed 0",
            (X_train[:100], y_train[:100], X_train[100:130], y_train[100:130], 32, 0),
            names,
        ),
        Case(
            "50 and 50, batch_size 50, seed 3",
            (X_train[:50], y_train[:50], X_train[50:100], y_train[50:100], 50, 3),
            names,
        ),
    ]


def _epoch_labels(loader) -> tuple[list[int], np.ndarray]:
    sizes, labels = [], []
    for _, yb in loader:
        sizes.append(len(yb))
        labels.append(np.asarray(yb))
    return sizes, np.concatenate(labels)


def _call_loaders(fn: Callable, args: tuple) -> tuple:
    """Raw observations only: batch sizes and label orders of two epochs and of a rebuilt
    loader; :func:`_interpret_loaders` judges them in the checker's process."""
    train, val = fn(*args)
    sizes, first = _epoch_labels(train)
    _, second = _epoch_labels(train)
    _, again = _epoch_labels(fn(*args)[0])
    val_sizes, val_labels = _epoch_labels(val)
    return (sizes, first, second, again, val_sizes, val_labels)


def _interpret_loaders(case: Case, observed: tuple) -> tuple:
    y_train = case.args[1]
    sizes, first, second, again, val_sizes, val_labels = observed
    first, second, again = (np.asarray(a).reshape(-1) for a in (first, second, again))
    return (
        list(sizes),
        bool(np.array_equal(np.sort(first), np.sort(y_train))),
        bool(first.shape != second.shape or not np.array_equal(first, second)),
        bool(np.array_equal(first, again)),
        list(val_sizes),
        np.asarray(val_labels),
    )


def _loaders_reference(X_train, y_train, X_val, y_val, batch_size, seed) -> tuple:
    def sizes(n: int) -> list[int]:
        return [min(batch_size, n - i) for i in range(0, n, batch_size)]

    return (sizes(len(y_train)), True, True, True, sizes(len(y_val)), y_val)


# ----- q3 the whole pipeline ------------------------------------------------------------


def _pipeline_cases() -> list[Case]:
    X, y, _ = split()
    k = CHECK_TRAIN
    names = ("X_train", "y_train", "X_test", "seed")
    label = f"{k} training digits, the other {len(X) - k} of the pool as test digits"
    return [Case(label, (X[:k], y[:k], X[k:], 0), names, secret=y[k:])]


def _judge_pipeline(case: Case, predictions: Any) -> tuple[float, str]:
    """Score predictions against ``case.secret`` (the labels only the checker holds)."""
    y_test = np.asarray(case.secret)
    predictions = np.asarray(predictions).reshape(-1)
    if predictions.shape != y_test.shape:
        return 0.0, f"expected {len(y_test)} predictions, got shape {predictions.shape}"
    accuracy = float(np.mean(predictions == y_test))
    base = baselines(case.args[0], case.args[1], case.args[2], y_test)
    text = (
        f"test accuracy {accuracy:.3f} (simple baseline {base['simple']:.3f}, "
        f"strong baseline {base['strong']:.3f})"
    )
    if accuracy > base["strong"]:
        return 1.0, text + ": beats both"
    if accuracy > base["simple"]:
        return 1 / 3, text + ": beats the simple baseline only"
    return 0.0, text + ": beats neither"


#: Modules an answer may not use: none (the assignment is about PyTorch).
FORBIDDEN: tuple[str, ...] = ()

ASSIGNMENT = Assignment(
    name="hw07",
    title="A complete PyTorch pipeline",
    notebook="hw07_pytorch_pipeline",
    questions=(
        Question(
            "q1",
            "DigitsDataset",
            2,
            _dataset_cases,
            _dataset_reference,
            ("len", "x[0]", "y[0]", "x dtype", "y dtype", "x[-1]"),
            "__len__ returns the number of rows; __getitem__(i) returns (torch.tensor(X[i], "
            "dtype=torch.float32), torch.tensor(y[i], dtype=torch.int64)).",
            call=_call_dataset,
        ),
        Question(
            "q2",
            "make_loaders",
            2,
            _loader_cases,
            _loaders_reference,
            (
                "train batch sizes",
                "every training example once",
                "a new order each epoch",
                "same order for the same seed",
                "validation batch sizes",
                "validation labels",
            ),
            "train: DataLoader(DigitsDataset(X_train, y_train), batch_size, shuffle=True, "
            "generator=torch.Generator().manual_seed(seed)); validation: shuffle=False.",
            call=_call_loaders,
            interpret=_interpret_loaders,
        ),
        Question(
            "q3",
            "run_pipeline",
            6,
            _pipeline_cases,
            None,
            ("predictions",),
            "hold out part of X_train for validation, standardise with training "
            "statistics, train a small MLP with early stopping on the validation loss, "
            "then predict X_test in eval mode under torch.no_grad().",
            judge=_judge_pipeline,
        ),
    ),
)

#: The self-check students call after each question: ``check("q1", DigitsDataset)``.
check = ASSIGNMENT.check
