"""hw07's references: what a right ``DigitsDataset`` and ``make_loaders`` show the check
(length, items, dtypes; batch sizes and orders), and the observations of every known
mistake."""

from __future__ import annotations

import functools
from collections.abc import Callable

from course_tools.grading.references import Reference


def _dataset_reference(X, y) -> tuple:
    return (len(X), X[0], int(y[0]), "torch.float32", "torch.int64", X[-1])


def _dataset_observed(X, y, *, x_dtype: str, y_dtype: str, shape) -> tuple:
    first, last = (X[0], X[-1]) if shape is None else (X[0].reshape(shape), X[-1].reshape(shape))
    return (len(X), first, int(y[0]), x_dtype, y_dtype, last)


def _dataset_with(x_dtype: str = "torch.float32", y_dtype: str = "torch.int64", shape=None):
    """The observations of a dataset with these dtypes (and items of this shape): a
    module-level function with its settings bound, so that the grader can send it to its
    scoring process (a closure does not pickle)."""
    return functools.partial(_dataset_observed, x_dtype=x_dtype, y_dtype=y_dtype, shape=shape)


def _batch_sizes(n: int, batch_size: int, drop_last: bool = False) -> list[int]:
    if drop_last:
        return [batch_size] * (n // batch_size)
    return [min(batch_size, n - i) for i in range(0, n, batch_size)]


def _loaders_with(
    *,
    drop_last: bool = False,
    drop_last_val: bool = False,
    shuffles: bool = True,
    seeded: bool = True,
    val_in_order: bool = True,
    val_one_batch: bool = False,
) -> Callable:
    """The interpreted observations of a pair of loaders built this way (a partial of a
    module-level function, which pickles)."""
    return functools.partial(
        _loader_observations, drop_last=drop_last, drop_last_val=drop_last_val,
        shuffles=shuffles, seeded=seeded, val_in_order=val_in_order, val_one_batch=val_one_batch,
    )  # fmt: skip


def _loader_observations(
    X_train, y_train, X_val, y_val, batch_size, seed, *, drop_last, drop_last_val, shuffles,
    seeded, val_in_order, val_one_batch,
) -> tuple:  # fmt: skip
    n, m = len(y_train), len(y_val)
    val_sizes = [m] if val_one_batch else _batch_sizes(m, batch_size, drop_last_val)
    return (
        _batch_sizes(n, batch_size, drop_last),
        not drop_last or n % batch_size == 0,
        shuffles,
        seeded,
        val_sizes,
        val_in_order and (not drop_last_val or m % batch_size == 0),
    )


def _loaders_reference(X_train, y_train, X_val, y_val, batch_size, seed) -> tuple:
    return _loaders_with()(X_train, y_train, X_val, y_val, batch_size, seed)


REFERENCES = {
    "q1": Reference(
        _dataset_reference,
        {
            "pixels-float64": _dataset_with(x_dtype="torch.float64"),
            "labels-float32": _dataset_with(y_dtype="torch.float32"),
            "labels-float64": _dataset_with(y_dtype="torch.float64"),
            "labels-int32": _dataset_with(y_dtype="torch.int32"),
            "items-as-images": _dataset_with(shape=(8, 8)),
        },
    ),
    "q2": Reference(
        _loaders_reference,
        {
            "validation-shuffled": _loaders_with(val_in_order=False),
            "generator-not-seeded": _loaders_with(seeded=False),
            "training-not-shuffled": _loaders_with(shuffles=False),
            "drop-last": _loaders_with(drop_last=True),
            "drop-last-on-both": _loaders_with(drop_last=True, drop_last_val=True),
            "validation-in-one-batch": _loaders_with(val_one_batch=True),
        },
    ),
    "q3": Reference(None),
}
