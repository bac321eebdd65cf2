"""Hidden grading material the student side never holds: hw07's graded digits and tier models.

:func:`cases` returns, for a question with hidden data, the whole list of cases the grader
runs instead of the public ones; None for every other question.

hw07 q3 is graded on digits made from the instructor's seed: every image of the public
training pool and of the 360 test rows (:func:`course_lib.homework.hw07.split_indices`) gets
a small random affine warp (rotation up to 12 degrees, scale within 10 %, shift up to 0.8
pixel, bilinear), Gaussian noise (0.5 of the 0..16 grey levels) and is requantised to the
integers 0..16 (then divided by 16, like ``course_lib.data.load_digits``): the same
:func:`~course_lib.homework.digits.warp_digits` that makes the student's data from the public
seed, so the self-check's validation score estimates the graded one. The test rows come in a
secret order. No graded image equals a row of scikit-learn's digits, so looking rows up
recovers no labels: a nearest-row lookup scores below an honest nearest-neighbour model
trained on the graded training split (``tests/test_grader_hidden.py``). Warping every public
digit many times and matching nearest neighbours does recover most labels, though: an
instructor who needs a private board nobody can game grades on digits of their own
(:mod:`course_tools.grading.hw07_digits`), which :func:`cases` then uses.

:func:`tier_predictions` trains the models that set hw07's leaderboard tiers
(:data:`course_lib.homework.hw07.TIERS`); they live here, with the instructor, because the
best of them is a full-marks answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_lib.data import load_digits
from course_lib.homework.checking import Case
from course_lib.homework.digits import WARP, warp_digits
from course_lib.homework.hw07 import split, split_indices
from course_tools.grading import hw07_digits

__all__ = [
    "WARP",
    "cases",
    "hw07_graded",
    "hw07_indices",
    "moved_by_one_pixel",
    "tier_predictions",
    "warp_digits",
]


def hw07_graded(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test) of hw07's graded split for the secret ``seed``."""
    X, y = load_digits()
    pool, test = hw07_indices()
    rng = np.random.default_rng(seed)
    test = test[rng.permutation(len(test))]
    return warp_digits(X[pool], rng), y[pool], warp_digits(X[test], rng), y[test]


def hw07_indices() -> tuple[np.ndarray, np.ndarray]:
    return split_indices()


def cases(assignment: str, key: str, seed: int, folder: Path | None = None) -> list[Case] | None:
    """The grader's cases for ``assignment``'s question ``key``, or None (no hidden data).

    hw07 q3 is graded on the instructor's own digits when ``folder`` holds them
    (:mod:`course_tools.grading.hw07_digits`), against the thresholds measured on them;
    else on the secret warps of :func:`hw07_graded`."""
    if (assignment, key) != ("hw07", "q3"):
        return None
    X_train, y_train, X_test, y_test = hw07_graded(seed)
    names = ("X_train", "y_train", "X_test", "seed")
    own = hw07_digits.load_test(folder) if folder is not None else None
    if own is not None:
        thresholds = hw07_digits.load_thresholds(folder)
        order = np.random.default_rng(seed).permutation(len(own[0]))
        X_test, y_test = own[0][order], own[1][order]
        label = f"{len(X_train)} training digits, {len(X_test)} of the instructor's own digits"
        secret = (y_test, "test", thresholds)
    else:
        label = f"{len(X_train)} training digits, {len(X_test)} graded test digits"
        secret = (y_test, "test")
    return [Case(label, (X_train, y_train, X_test, 0), names, secret=secret)]


# ----- hw07's tier models -----------------------------------------------------------------

#: Each tier's recipe: epochs, peak learning rate, weight decay (AdamW, batch 64, a warm-up
#: and cosine schedule: OneCycleLR), and whether each training batch is moved by one pixel
#: (the boss, as lecture 07 trains its CNN; its pixels stay in [0, 1], the others are
#: standardised).
TIER_RECIPES = {
    "simple": {"epochs": 5, "lr": 1e-2, "weight_decay": 0.0, "augment": False},
    "medium": {"epochs": 10, "lr": 3e-3, "weight_decay": 0.0, "augment": False},
    "strong": {"epochs": 8, "lr": 3e-3, "weight_decay": 1e-2, "augment": False},
    "boss": {"epochs": 20, "lr": 1e-2, "weight_decay": 1e-4, "augment": True},
}


def _tier_network(tier: str):
    from torch import nn

    from course_lib.project.model import DigitsCNN

    if tier == "simple":
        return nn.Linear(64, 10)
    if tier == "medium":
        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    if tier == "strong":
        return nn.Sequential(
            nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(256, 10),
        )  # fmt: skip
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), DigitsCNN())  # lecture 07's CNN


def moved_by_one_pixel(images, generator):
    """Each of ``images`` (B, 64) moved by dy, dx drawn uniformly from {-1, 0, 1} (one of
    nine moves, zeros entering; ``course_lib.project.dataset.shift``): (B, 64)."""
    import torch

    from course_lib.project.dataset import shift

    squares = images.reshape(-1, 8, 8)
    moves = torch.randint(0, 9, (len(images),), generator=generator)
    out = torch.empty_like(squares)
    for move in range(9):
        dy, dx = divmod(move, 3)
        rows = moves == move
        out[rows] = shift(squares[rows], dy - 1, dx - 1)
    return out.reshape(-1, 64)


def tier_predictions(
    tier: str, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Train the model of hw07's ``tier`` on (X_train (N, 64), y_train (N,)) and predict the
    labels of X_test (M, 64): shape (M,).

    Pixels are standardised with the training statistics (a floor of 0.05 on each
    pixel's standard deviation), except the boss's, which stay in [0, 1] (its batch
    normalization scales them) and are moved by one pixel in training; training is seeded
    by ``seed`` and runs on one thread (the caller's thread count is restored).
    """
    import torch
    from torch import nn

    if tier not in TIER_RECIPES:
        raise ValueError(f"tier must be one of {', '.join(TIER_RECIPES)}, got {tier!r}")
    recipe = TIER_RECIPES[tier]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        if recipe["augment"]:
            mean, std = 0.0, 1.0
        else:
            mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 0.05

        def tensor(X: np.ndarray) -> torch.Tensor:
            return torch.tensor((X - mean) / std, dtype=torch.float32)

        x, y = tensor(X_train), torch.tensor(y_train, dtype=torch.int64)
        model = _tier_network(tier)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"]
        )
        batches = -(-len(x) // 64)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, recipe["lr"], total_steps=recipe["epochs"] * batches
        )
        generator = torch.Generator().manual_seed(seed)
        model.train()
        for _ in range(recipe["epochs"]):
            for rows in torch.randperm(len(x), generator=generator).split(64):
                inputs = moved_by_one_pixel(x[rows], generator) if recipe["augment"] else x[rows]
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(inputs), y[rows]).backward()
                optimizer.step()
                schedule.step()
        model.eval()
        with torch.no_grad():
            return model(tensor(X_test)).argmax(dim=1).numpy()
    finally:
        torch.set_num_threads(threads)


def tier_boards(instructor_seed: int) -> dict[str, tuple[np.ndarray, ...]]:
    """hw07's two boards as (X_train, y_train, X_test, y_test): ``"validation"`` (the
    self-check's split of the public pool) and ``"test"`` (the grader's split for the
    instructor folder whose master seed is ``instructor_seed``)."""
    from course_lib.homework.hw07 import check_rows
    from course_tools.grading.instructor import Secrets, case_seed

    X, y, _ = split()
    train, scored = check_rows()
    graded = hw07_graded(case_seed(Secrets(instructor_seed), "hw07", "q3"))
    return {"validation": (X[train], y[train], X[scored], y[scored]), "test": graded}
