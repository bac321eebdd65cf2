"""dataset.py of the digits project: the data, their augmentation and their loaders.

Lecture 07, section 9. Public names:
    shift: move images by whole pixels, filling with zeros.
    DigitsDataset: 8 x 8 digit images as (1, 8, 8) float32 tensors with their labels,
        optionally shifted by a random pixel in each direction every time they are read.
    digits_splits: the training, validation and test sets of the project.
    seed_worker: the ``worker_init_fn`` that gives each loader worker its own random draws.
    make_loader: a seeded ``DataLoader`` (``generator`` and ``worker_init_fn`` set).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info

from course_lib.data import load_digits, train_val_test_split


def shift(images, dy: int, dx: int):
    """Move images ``dy`` pixels down and ``dx`` pixels right; the pixels that enter are 0.

    Args:
        images: NumPy array or torch tensor of shape (..., H, W).
        dy, dx: integer shifts with |dy| < H and |dx| < W (negative: up, left).

    Returns:
        a new array or tensor of the same shape and type:
        ``out[..., i, j] = images[..., i - dy, j - dx]`` where that pixel exists, else 0.
    """
    if not isinstance(images, (np.ndarray, torch.Tensor)) or images.ndim < 2:
        raise TypeError(f"images must be an array or tensor of shape (..., H, W), got {images!r}")
    height, width = images.shape[-2:]
    for name, value, size in (("dy", dy, height), ("dx", dx, width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if abs(value) >= size:
            raise ValueError(f"{name} must be smaller than the image ({size} pixels), got {value}")
    zeros_like = torch.zeros_like if isinstance(images, torch.Tensor) else np.zeros_like
    out = zeros_like(images)
    rows_to, rows_from = (
        slice(max(dy, 0), height + min(dy, 0)),
        slice(max(-dy, 0), height - max(dy, 0)),
    )
    cols_to, cols_from = (
        slice(max(dx, 0), width + min(dx, 0)),
        slice(max(-dx, 0), width - max(dx, 0)),
    )
    out[..., rows_to, cols_to] = images[..., rows_from, cols_from]
    return out


class DigitsDataset(Dataset):
    """Handwritten 8 x 8 digits as (image, label) pairs, optionally augmented.

    Args:
        X: array of shape (N, 64), pixels in [0, 1] (``course_lib.data.load_digits``).
        y: int array of shape (N,), digits 0-9.
        augment: shift each image, every time it is read, by dy and dx drawn uniformly
            from {-1, 0, 1} (so 1 read in 9 leaves it in place).
        seed: seed of ``self.rng``, the generator of the shifts.

    Item i is (image, label): a float32 tensor of shape (1, 8, 8) and an int; a
    ``DataLoader`` stacks them into (B, 1, 8, 8) and an int64 tensor (B,).
    ``self.images`` (N, 1, 8, 8) and ``self.labels`` (N,) hold the unshifted data.
    """

    def __init__(self, X, y, augment: bool = False, seed: int = 0) -> None:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 64 or y.shape != (len(X),):
            raise ValueError(f"X must have shape (N, 64) and y (N,), got {X.shape} and {y.shape}")
        if not isinstance(augment, bool):
            raise TypeError(f"augment must be True or False, got {augment!r}")
        self.images = torch.tensor(X, dtype=torch.float32).reshape(-1, 1, 8, 8)
        self.labels = torch.tensor(y, dtype=torch.int64)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        # One item is read faster from a NumPy view of the images and a list of labels.
        self._pixels, self._digits = self.images.numpy(), self.labels.tolist()

    def __len__(self) -> int:
        return len(self._digits)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = self._pixels[i]
        if self.augment:
            dy, dx = divmod(int(self.rng.integers(9)), 3)  # one of the 9 moves, uniformly
            image = shift(image, dy - 1, dx - 1)
        return torch.from_numpy(image), self._digits[i]


#: The project's split is fixed: the same 1259 / 269 / 269 digits in every run.
SPLIT_SEED = 0


def digits_splits(
    augment: bool = False, seed: int = 0
) -> tuple[DigitsDataset, DigitsDataset, DigitsDataset]:
    """The project's data: 70 % training, 15 % validation, 15 % test, stratified by digit.

    Args:
        augment: augment the training set (never the validation and test sets).
        seed: seed of the training set's shifts (the split itself uses ``SPLIT_SEED``).

    Returns:
        ``(train_set, val_set, test_set)``: 1259, 269 and 269 of the 1797 digits of
        ``course_lib.data.load_digits``.
    """
    X_train, y_train, X_val, y_val, X_test, y_test = train_val_test_split(
        *load_digits(), val_fraction=0.15, test_fraction=0.15, seed=SPLIT_SEED, stratify=True
    )
    train_set = DigitsDataset(X_train, y_train, augment=augment, seed=seed)
    return train_set, DigitsDataset(X_val, y_val), DigitsDataset(X_test, y_test)


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for a ``DataLoader``: reseed the dataset's own generator.

    PyTorch seeds ``torch``, ``random`` and NumPy's global generator in every worker, from
    the loader's ``generator``; a generator held by the dataset (``self.rng``) is copied
    into each worker as it is, so without this every worker, in every epoch, would draw the
    same shifts. ``info.seed`` differs per worker and per epoch and repeats with the seed.
    """
    info = get_worker_info()
    if info is not None and hasattr(info.dataset, "rng"):
        info.dataset.rng = np.random.default_rng(info.seed)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    num_workers: int = 0,
    worker_init_fn=seed_worker,
) -> DataLoader:
    """A ``DataLoader`` whose order and worker seeds repeat from run to run.

    Args:
        dataset: e.g. a ``DigitsDataset``.
        batch_size: examples per batch; the last batch holds the rest.
        shuffle: a new order every epoch, drawn from ``generator`` (seeded with ``seed``).
        seed: seed of the loader's ``torch.Generator``.
        num_workers: processes that prepare batches (0: the main process does).
        worker_init_fn: run in each worker at its start; ``seed_worker`` by default.

    Returns:
        the ``DataLoader``; its generator is ``loader.generator`` (saved in checkpoints).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers must be an int >= 0, got {num_workers!r}")
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        worker_init_fn=worker_init_fn,
        generator=torch.Generator().manual_seed(seed),
    )
