"""hw07 graded on the instructor's own digits: test images no public data set holds.

The demonstration grades hw07 on secret warps of scikit-learn's 360 test digits, and those
originals are public: an attacker who augments all 1797 public digits and matches nearest
neighbours recovers almost every label. A course that wants a private leaderboard nobody can
look up puts its own labelled digits into the instructor folder (for example digits its
students wrote on paper, scanned and reduced to 8 x 8 like scikit-learn's: 32 x 32 bitmaps,
4 x 4 blocks counted, 0..16)::

    python -m course_tools init-instructor DIR --hw07-test my_digits.npz
    python -m course_tools hw07-tiers DIR      # measure the tier thresholds on them

``hw07_test.npz`` holds ``X`` (n, 64) with values in [0, 1] and ``y`` (n,) with labels
0..9; it is read with ``allow_pickle=False``. ``hw07_tiers.json`` holds the test threshold of
each tier, measured by :func:`measure_tiers`: each tier's model trained on the graded
training split (every seed of ``seeds``), scored on these digits, minus a margin. The grader
then scores hw07 q3 on these digits against these thresholds; without the thresholds it
refuses to grade rather than apply the demonstration's.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np

from course_lib.homework.hw07 import TIERS

TEST_FILE = "hw07_test.npz"
TIERS_FILE = "hw07_tiers.json"
MIN_DIGITS = 100
#: A tier's threshold sits this far below the lowest accuracy of its model over the seeds.
MARGIN = 0.018


def load_test(folder: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The instructor's graded digits ``(X (n, 64), y (n,))`` in ``folder``, or None.

    Raises:
        ValueError: naming the file and the array when ``X`` or ``y`` is missing, has the
            wrong shape or type, or holds values outside [0, 1] or labels outside 0..9.
    """
    path = Path(folder) / TEST_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a NumPy .npz of plain arrays ({exc})") from exc
    for key in ("X", "y"):
        if key not in arrays:
            raise ValueError(f"{path}: needs an array {key!r}; it has {sorted(arrays)}")
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2 or X.shape[1] != 64 or len(X) < MIN_DIGITS:
        raise ValueError(f"{path}: X must have shape (n, 64), n >= {MIN_DIGITS}; got {X.shape}")
    if not np.issubdtype(X.dtype, np.floating) or not np.isfinite(X).all():
        raise ValueError(f"{path}: X must hold finite floats, got dtype {X.dtype}")
    if X.min() < 0 or X.max() > 1:
        raise ValueError(f"{path}: X must hold pixels in [0, 1] (grey level / 16)")
    if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{path}: y must hold {len(X)} integer labels, got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() > 9:
        raise ValueError(f"{path}: y must hold labels 0..9")
    return X.astype(float), y.astype(np.int64)


def load_thresholds(folder: Path) -> dict[str, float]:
    """The test threshold of each tier measured for the instructor's digits.

    Raises:
        ValueError: when the file is missing or does not name a threshold in [0, 1] for
            every tier, in increasing order.
    """
    path = Path(folder) / TIERS_FILE
    if not path.is_file():
        raise ValueError(
            f"{Path(folder) / TEST_FILE} has no tier thresholds: run "
            f"`python -m course_tools hw07-tiers {folder}` first"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    names = [tier.name for tier in TIERS]
    if not isinstance(data, dict) or sorted(data) != sorted(names):
        raise ValueError(f"{path} must map each of {names} to a threshold, got {data!r}")
    values = [data[name] for name in names]
    if not all(isinstance(v, float | int) and 0 <= v <= 1 for v in values) or values != sorted(
        values
    ):
        raise ValueError(f"{path}: thresholds must lie in [0, 1] and rise by tier: {values}")
    return {name: float(data[name]) for name in names}


def thresholds_from(accuracies: dict[str, list[float]], margin: float = MARGIN) -> dict[str, float]:
    """Each tier's threshold: the lowest accuracy of its model minus ``margin``, rounded
    down to 0.005, and never below the tier beneath it (so a weaker model's tier is never
    harder to reach).

    Args:
        accuracies: tier name -> the accuracies of its model over the training seeds.
    """
    thresholds, floor = {}, 0.0
    for tier in TIERS:
        value = math.floor((min(accuracies[tier.name]) - margin) / 0.005) * 0.005
        thresholds[tier.name] = round(max(value, floor), 3)
        floor = thresholds[tier.name]
    return thresholds


def measure_tiers(folder: Path, seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, list[float]]:
    """Train every tier's model on the graded training split of ``folder``'s secret seed and
    score it on the instructor's digits: tier name -> accuracy per seed."""
    from course_tools.grading import hidden, instructor

    secrets = instructor.load(folder)
    test = load_test(folder)
    if secrets is None or test is None:
        raise ValueError(f"{folder} needs secrets.json and {TEST_FILE}")
    X_train, y_train, _, _ = hidden.hw07_graded(instructor.case_seed(secrets, "hw07", "q3"))
    X_test, y_test = test
    return {
        tier.name: [
            float(
                np.mean(hidden.tier_predictions(tier.name, X_train, y_train, X_test, s) == y_test)
            )
            for s in seeds
        ]
        for tier in TIERS
    }


def add_test(folder: Path, source: Path) -> Path:
    """Copy the digits file ``source`` into ``folder`` after checking it (see
    :func:`load_test`); any old thresholds are removed, since they measured other digits."""
    target = Path(folder) / TEST_FILE
    shutil.copyfile(source, target)
    try:
        load_test(folder)
    except ValueError:
        target.unlink()
        raise
    (Path(folder) / TIERS_FILE).unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m course_tools hw07-tiers DIR [--seeds 0 1 2]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_tools hw07-tiers")
    parser.add_argument("command", choices=["hw07-tiers"])
    parser.add_argument("dir", type=Path, help="the instructor folder with hw07_test.npz")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    try:
        accuracies = measure_tiers(args.dir, tuple(args.seeds))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    thresholds = thresholds_from(accuracies)
    print(f"{'tier':8s} {'accuracy per seed':30s} threshold")
    for name, values in accuracies.items():
        print(f"{name:8s} {' '.join(f'{v:.3f}' for v in values):30s} {thresholds[name]:.3f}")
    (args.dir / TIERS_FILE).write_text(json.dumps(thresholds, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.dir / TIERS_FILE}")
    return 0
