"""Homework hw07 (lecture 07, PyTorch tutorial): a complete pipeline, judged like a competition.

The task: classify 8 x 8 handwritten digits (scikit-learn's, each image moved by a small
random warp: :func:`warp_digits`). The student writes, in
``homework/hw07_pytorch_pipeline.ipynb``:

====  ==========================================================  ======  ======================
key   function                                                    points  public cases on
====  ==========================================================  ======  ======================
q1    ``DigitsDataset(X, y)``                                          2  stored observations
q2    ``make_loaders(X_train, y_train, X_val, y_val, batch, seed)``    2  stored observations
q3    ``run_pipeline(X_train, y_train, X_test, seed)``                 8  accuracy tiers
====  ==========================================================  ======  ======================

q3 is a pipeline, judged like a small competition in the way of Hung-yi Lee's homeworks.
``run_pipeline`` holds out validation rows of its training data, trains with early stopping
on them (the student's ``DigitsDataset`` and ``make_loaders`` of q1 and q2), saves the best
``state_dict``, reloads it and returns a dict (:data:`RUN_KEYS`): ``predict`` (digits ->
labels, with the reloaded model), ``model`` (that model, returning logits), ``normalise``
(digits -> the model's inputs, with the training split's statistics), ``checkpoint`` (the
saved file) and ``val_rows``. The check (:func:`_call_pipeline`, :func:`pipeline_mistake`)
names each pipeline mistake it sees, and a named mistake earns nothing: predictions that
change with the batch size or order (no ``eval()``), two runs with the same seed that differ
(two small runs, not the whole one again), no hold-out, predictions that are not the reloaded
checkpoint's, probabilities fed to ``CrossEntropyLoss``, a normalisation fitted on more than
the training split.

The student's data (:func:`split`) are a training pool of 1437 labelled digits and 360 test
digits without labels. The self-check (the *public leaderboard*) trains ``run_pipeline`` on
1077 rows of the pool and scores its predictions for the other 360 (:func:`check_rows`:
stratified, 36 of each digit), whose labels the pool holds: a validation score. The grader
(the *private leaderboard*) trains it on the graded training digits and scores the graded
test digits, both made from the instructor's secret seed
(:mod:`course_tools.grading.hidden`); the student never sees their labels, and the graded
images are warped copies that match no row of scikit-learn's data.

Each tier is set by a model the course trains, all in PyTorch on one CPU thread
(``course_tools.grading.hidden.tier_predictions``; ``tests/instructor/test_hw07_competition.py``
re-trains them over seeds 0, 1 and 2 and checks that each lands in its own tier on both
boards). All four train on every training row with AdamW in batches of 64 under a warm-up
and cosine learning-rate schedule (``OneCycleLR``, lecture 04); the boss is built only from
lecture 07's parts:

=======  ==================================================  ===========  ===========  ======
tier     model that sets it                                  measured     threshold    points
                                                             val   test   val   test
=======  ==================================================  ===========  ===========  ======
simple   logistic regression, 5 epochs                       0.722 0.767  0.695 0.745       2
medium   an MLP, one hidden layer of 64, 10 epochs           0.800 0.850  0.755 0.830       4
strong   an MLP, two hidden layers of 256, dropout, weight   0.875 0.919  0.855 0.890       6
         decay, 8 epochs
boss     lecture 07's small CNN with BatchNorm2d             0.961 0.967  0.940 0.945       8
         (``course_lib.project.model.DigitsCNN``), digits
         moved by one pixel, 20 epochs
=======  ==================================================  ===========  ===========  ======

The thresholds are accuracies (validation: the self-check's 360 rows; test: the grader's
360 for the demonstration instructor seed), each at least 0.018 (6 digits) below its model's
lowest accuracy over seeds 0, 1 and 2, and at least 0.015 above the highest of the model one
tier below (:data:`MEASURED`). Reaching a tier earns its points, and the messages print the
thresholds as they are used (3 decimals). The validation thresholds sit lower because the
self-check trains on 1077 digits, not 1437.

The case makers of q1 and q2 take a ``seed``: None gives the public cases, the grader's
hidden cases come from the instructor's secret seed (other rows, batch size and loader
seed). Their expected observations and the known mistakes' are stored data
(:mod:`~course_lib.homework.stored`), computed by the instructor's references.

Forbidden modules (:data:`FORBIDDEN`): ``course_lib.training`` (it holds most of the answer
to q3); PyTorch is what the assignment is about.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.data import load_digits
from course_lib.homework.assignment import Assignment
from course_lib.homework.checking import Case, Question
from course_lib.homework.digits import warp_digits
from course_lib.homework.messages import say
from course_lib.homework.unanswered import quiet_unanswered

TEST_SIZE = 360
#: The self-check of q3 scores this many digits of each kind (:func:`check_rows`) and
#: trains on the other 1077 rows of the pool.
CHECK_PER_DIGIT = 36
#: The seed of the public warp (the student's data); the graded data use the secret one.
PUBLIC_SEED = 2026


@functools.cache
def split_indices() -> tuple[np.ndarray, np.ndarray]:
    """Row indices into ``load_digits()`` of the training pool (1437) and the test rows (360)."""
    order = np.random.default_rng(7).permutation(len(load_digits()[0]))
    return order[TEST_SIZE:], order[:TEST_SIZE]


@functools.cache
def _public() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_digits()
    pool, test = split_indices()
    rng = np.random.default_rng(PUBLIC_SEED)
    X_train = warp_digits(X[pool], rng)
    X_test = warp_digits(X[test], rng)
    for array in (X_train, X_test):
        array.flags.writeable = False
    return X_train, y[pool], X_test


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The student's data: (X_train (1437, 64), y_train (1437,), X_test (360, 64)).

    Warped digits (:func:`warp_digits`, public seed) with pixel values k / 16, k = 0..16.
    The test labels are nowhere on the student's side; the grader grades on other warped
    copies, made from the instructor's secret seed.
    """
    X_train, y_train, X_test = _public()
    return X_train.copy(), y_train.copy(), X_test.copy()


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


# ----- q2 the DataLoaders ---------------------------------------------------------------


def _loader_cases(seed: int | None = None) -> list[Case]:
    X_train, y_train, _ = split()
    names = ("X_train", "y_train", "X_val", "y_val", "batch_size", "seed")
    if seed is not None:  # other rows, batch size and loader seed
        rng = np.random.default_rng(seed)
        rows = rng.permutation(len(X_train))
        batch, s = int(rng.integers(8, 25)), int(rng.integers(99))
        n, m = int(rng.integers(40, 120)), 25  # more validation digits than one batch
        n += n % batch == 0  # a smaller last batch, so that dropping it shows
        t, v = rows[:n], rows[n : n + m]
        label = "random training and validation digits, batch size and seed"
        return [Case(label, (X_train[t], y_train[t], X_train[v], y_train[v], batch, s), names)]
    return [
        Case(
            "100 training and 30 validation digits, batch_size 16, seed 0",
            (X_train[:100], y_train[:100], X_train[100:130], y_train[100:130], 16, 0),
            names,
        ),
        Case(
            "50 and 50, batch_size 20, seed 3",
            (X_train[:50], y_train[:50], X_train[50:100], y_train[50:100], 20, 3),
            names,
        ),
    ]


def _epoch_labels(loader) -> tuple[list[int], np.ndarray]:
    sizes, labels = [], []
    for _, yb in loader:
        sizes.append(len(yb))
        labels.append(np.asarray(yb).reshape(-1))
    return sizes, np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)


def _call_loaders(fn: Callable, args: tuple) -> tuple:
    """Raw observations only: batch sizes and label orders of two epochs and of a rebuilt
    loader; :func:`interpret_loaders` judges them in the checker's process."""
    train, val = fn(*args)
    sizes, first = _epoch_labels(train)
    _, second = _epoch_labels(train)
    _, again = _epoch_labels(fn(*args)[0])
    val_sizes, val_labels = _epoch_labels(val)
    return (sizes, first, second, again, val_sizes, val_labels)


def interpret_loaders(case: Case, observed: tuple) -> tuple:
    y_train, y_val = case.args[1], case.args[3]
    sizes, first, second, again, val_sizes, val_labels = observed
    first, second, again = (np.asarray(a).reshape(-1) for a in (first, second, again))
    val_labels = np.asarray(val_labels).reshape(-1)
    return (
        list(sizes),
        bool(np.array_equal(np.sort(first), np.sort(y_train))),
        bool(first.shape != second.shape or not np.array_equal(first, second)),
        bool(np.array_equal(first, again)),
        list(val_sizes),
        bool(np.array_equal(val_labels, y_val)),
    )


# ----- q3 the pipeline and the competition -----------------------------------------------


@functools.cache
def check_rows() -> tuple[np.ndarray, np.ndarray]:
    """Rows of the training pool the self-check of q3 trains on (1077) and scores (360).

    The scored rows are stratified: :data:`CHECK_PER_DIGIT` of each digit, drawn with a fixed
    seed, so that the public board holds every digit as often as the graded test digits
    nearly do and its tier predicts the private one.
    """
    _, y, _ = _public()
    order = np.random.default_rng(11).permutation(len(y))
    scored = np.concatenate([order[y[order] == d][:CHECK_PER_DIGIT] for d in range(10)])
    scored = np.sort(scored)
    return np.setdiff1d(np.arange(len(y)), scored), scored


@dataclass(frozen=True)
class Tier:
    """One rung of q3's leaderboard.

    Attributes:
        name: ``"simple"``, ``"medium"``, ``"strong"`` or ``"boss"``.
        model: the model that sets it (trained by ``course_tools.grading.hidden``).
        validation: the accuracy to reach on the self-check's validation rows.
        test: the accuracy to reach on the grader's hidden test rows.
        points: q3's points for reaching it.
        idea: what the model of this tier does that the one below does not (a pointer for
            the student, never code).
    """

    name: str
    model: str
    validation: float
    test: float
    points: float
    idea: str


TIERS = (
    Tier(
        "simple",
        "logistic regression, 5 epochs",
        0.695,
        0.745,
        2,
        "a linear model on standardised pixels, trained with cross-entropy (lecture 07, "
        "sections 3 and 4)",
    ),
    Tier(
        "medium",
        "an MLP with one hidden layer of 64 ReLU units, 10 epochs",
        0.755,
        0.830,
        4,
        "a hidden layer (lecture 07, section 4)",
    ),
    Tier(
        "strong",
        "an MLP with two hidden layers of 256, dropout 0.2, weight decay, 8 epochs",
        0.855,
        0.890,
        6,
        "width and depth, regularised by dropout (lecture 07, section 6) and weight decay",
    ),
    Tier(
        "boss",
        "lecture 07's small CNN (two 3 x 3 convolutions with BatchNorm2d, max pooling), "
        "trained on digits moved by one pixel, 20 epochs",
        0.940,
        0.945,
        8,
        "lecture 07's small CNN with BatchNorm2d (course_lib.project.model.DigitsCNN) and "
        "one-pixel shifts of the training digits (lecture 07, section 9)",
    ),
)

#: Accuracies of the tier models measured when the thresholds were set (one thread, the
#: demonstration instructor seed), over training seeds 0, 1, 2: tier -> board -> (seed 0,
#: lowest, highest).
MEASURED: dict[str, dict[str, tuple[float, float, float]]] = {
    "simple": {"validation": (0.722, 0.717, 0.736), "test": (0.767, 0.764, 0.767)},
    "medium": {"validation": (0.800, 0.775, 0.806), "test": (0.850, 0.850, 0.853)},
    "strong": {"validation": (0.875, 0.875, 0.886), "test": (0.919, 0.911, 0.919)},
    "boss": {"validation": (0.961, 0.961, 0.972), "test": (0.967, 0.964, 0.972)},
}

#: q3's points: the points of the highest tier reached.
PIPELINE_POINTS = TIERS[-1].points


def tier_reached(
    accuracy: float, board: str, thresholds: dict[str, float] | None = None
) -> Tier | None:
    """The highest tier whose ``board`` threshold (``"validation"`` or ``"test"``) the
    accuracy reaches, or None below the simple tier. ``thresholds`` (tier name -> accuracy)
    replaces the board's, for test digits the instructor supplied."""
    if board not in ("validation", "test"):
        raise ValueError(f"board must be 'validation' or 'test', got {board!r}")
    reached = [t for t in TIERS if accuracy >= _threshold(t, board, thresholds)]
    return reached[-1] if reached else None


def _threshold(tier: Tier, board: str, thresholds: dict[str, float] | None) -> float:
    return thresholds[tier.name] if thresholds else getattr(tier, board)


def _pipeline_cases(seed: int | None = None) -> list[Case]:
    if seed is not None:
        raise ValueError("hw07 q3's graded cases come from course_tools.grading.hidden")
    X, y, _ = split()
    train, scored = check_rows()
    names = ("X_train", "y_train", "X_test", "seed")
    label = (
        f"{len(train)} training digits, {len(scored)} other digits of the pool "
        f"({CHECK_PER_DIGIT} of each) as validation digits"
    )
    args = (X[train], y[train], X[scored], 0)
    return [Case(label, args, names, secret=(y[scored], "validation"))]


#: What ``run_pipeline`` returns: a dict with these keys.
RUN_KEYS = ("predict", "model", "normalise", "checkpoint", "val_rows")
#: The reproducibility probe: two runs with the same seed on the first training rows, each
#: predicting the first test rows.
PROBE_TRAIN, PROBE_TEST = 120, 60
#: The probe of the missing ``eval()``: the test digits predicted in small batches.
SMALL_BATCH = 5


def _call_pipeline(fn: Callable, args: tuple) -> tuple:
    """Run the student's pipeline once and record, as plain arrays, what the checker judges
    (:func:`_judge_pipeline`): the predictions for ``X_test``, again, in reversed order and
    in batches of :data:`SMALL_BATCH`; the logits of a fresh copy of the model with the saved
    checkpoint loaded; the normalisation of an all-zeros and an all-ones image; the
    validation rows; and the predictions of two small runs with the same seed."""
    import copy

    import torch

    X_train, y_train, X_test, seed = args
    run = _run_of(fn, args)
    predict = run["predict"]
    labels = _labels(predict(X_test))
    again = _labels(predict(X_test))
    backwards = _labels(predict(X_test[::-1].copy()))[::-1]
    batches = [
        _labels(predict(X_test[i : i + SMALL_BATCH])) for i in range(0, len(X_test), SMALL_BATCH)
    ]
    reloaded = copy.deepcopy(run["model"])
    reloaded.load_state_dict(torch.load(run["checkpoint"], map_location="cpu", weights_only=True))
    reloaded.eval()
    with torch.no_grad():
        logits = reloaded(_tensor(run["normalise"](X_test))).numpy()
        probes = [_tensor(run["normalise"](np.full((1, 64), v))).numpy() for v in (0.0, 1.0)]
    small = (X_train[:PROBE_TRAIN], y_train[:PROBE_TRAIN], X_test[:PROBE_TEST], seed)
    repeats = [_labels(_run_of(fn, small)["predict"](small[2])) for _ in range(2)]
    rows = np.asarray(run["val_rows"]).reshape(-1)
    return (labels, again, backwards, np.concatenate(batches), logits, *probes, rows, *repeats)


def _run_of(fn: Callable, args: tuple) -> dict:
    run = fn(*args)
    if not isinstance(run, dict) or any(key not in run for key in RUN_KEYS):
        got = sorted(run) if isinstance(run, dict) else type(run).__name__
        raise TypeError(say("hw07.q3.contract", keys=", ".join(RUN_KEYS), got=got))
    return run


def _labels(predictions: Any) -> np.ndarray:
    if hasattr(predictions, "detach"):
        predictions = predictions.detach().cpu().numpy()
    return np.asarray(predictions)


def _tensor(inputs: Any):
    import torch

    if isinstance(inputs, torch.Tensor):
        return inputs.detach().float()
    return torch.tensor(np.asarray(inputs), dtype=torch.float32)


def _judge_pipeline(case: Case, observed: Any) -> tuple[float, str]:
    """Score what :func:`_call_pipeline` recorded against ``case.secret``: (the labels only
    the checker holds, the board: ``"validation"`` for the self-check, ``"test"`` for the
    grader[, the tier thresholds measured for the instructor's own test digits]).

    A pipeline mistake the check knows (:func:`pipeline_mistake`) earns nothing, whatever
    the accuracy; else the points of the highest tier the accuracy reaches."""
    labels, board, *measured = case.secret
    thresholds = measured[0] if measured else None
    labels = np.asarray(labels)
    predictions = np.asarray(observed[0])
    if predictions.shape == (len(labels), 10):
        return 0.0, say("hw07.q3.scores", shape=predictions.shape, n=len(labels))
    predictions = predictions.reshape(-1)
    if predictions.size == len(case.args[0]) != len(labels):
        return 0.0, say("hw07.q3.training-rows", size=predictions.size, n=len(labels))
    if predictions.shape != labels.shape:
        return 0.0, say("hw07.q3.count", n=len(labels), shape=predictions.shape)
    accuracy = float(np.mean(predictions == labels))
    text = say("hw07.q3.accuracy", board=board, accuracy=f"{accuracy:.3f}")
    mistake = pipeline_mistake(case, observed)
    if mistake is not None:
        return 0.0, say(f"hw07.q3.{mistake}") + f" ({text})"
    tier = tier_reached(accuracy, board, thresholds)
    if tier is None:
        first = TIERS[0]
        needed = f"{_threshold(first, board, thresholds):.3f}"
        return 0.0, text + say("hw07.q3.below", needed=needed, idea=first.idea)
    needed, total = _threshold(tier, board, thresholds), PIPELINE_POINTS
    text += say(
        "hw07.q3.tier", tier=tier.name, needed=f"{needed:.3f}", points=f"{tier.points:g}",
        total=f"{total:g}",
    )  # fmt: skip
    index = TIERS.index(tier)
    if index + 1 < len(TIERS):
        up = TIERS[index + 1]
        at = f"{_threshold(up, board, thresholds):.3f}"
        text += say("hw07.q3.next", tier=up.name, at=at, idea=up.idea)
    else:
        text += say("hw07.q3.top")
    if board == "validation":
        text += say("hw07.q3.public-board")
    return tier.points / PIPELINE_POINTS, text


#: q3's named pipeline mistakes, in the order they are looked for (message ids
#: ``hw07.q3.<id>``).
PIPELINE_MISTAKES = (
    "no-eval",
    "not-reproducible",
    "no-hold-out",
    "not-reloaded",
    "probabilities-to-loss",
    "normalised-with-more",
)


def pipeline_mistake(case: Case, observed: Any) -> str | None:
    """The first of :data:`PIPELINE_MISTAKES` that the observations of one run show, or None.

    - ``no-eval``: the predictions change when the same digits are predicted again, in
      reversed order or in batches of :data:`SMALL_BATCH` (dropout or batch normalization
      left in training mode);
    - ``not-reproducible``: two small runs with the same seed predict differently;
    - ``no-hold-out``: ``val_rows`` is not a non-empty set of rows of ``X_train`` that
      leaves rows to train on;
    - ``not-reloaded``: the predictions are not those of the model with the saved
      checkpoint loaded (and put in eval mode);
    - ``probabilities-to-loss``: the model's outputs are probabilities (non-negative, rows
      summing to 1), which ``CrossEntropyLoss`` would treat as logits;
    - ``normalised-with-more``: the normalisation subtracts a mean (per pixel or over all
      pixels) of more rows than the training split: with the validation rows, or with
      ``X_test``.
    """
    labels, again, backwards, batches, logits, zeros, ones, rows, first, second = (
        np.asarray(part) for part in observed
    )
    labels = labels.reshape(-1)
    for other in (again, backwards, batches):
        if other.reshape(-1).shape != labels.shape or not np.array_equal(other.reshape(-1), labels):
            return "no-eval"
    if first.shape != second.shape or not np.array_equal(first, second):
        return "not-reproducible"
    X_train, X_test = np.asarray(case.args[0]), np.asarray(case.args[2])
    n = len(X_train)
    if rows.size == 0 or not np.issubdtype(rows.dtype, np.integer) or rows.min() < 0:
        return "no-hold-out"
    if rows.max() >= n or len(np.unique(rows)) != rows.size or rows.size >= n:
        return "no-hold-out"
    if logits.ndim != 2 or not np.array_equal(logits.argmax(axis=1), labels):
        return "not-reloaded"
    if np.all(logits >= 0) and np.allclose(logits.sum(axis=1), 1, atol=1e-4):
        return "probabilities-to-loss"
    training = np.setdiff1d(np.arange(n), rows)
    leaks = (X_train, np.vstack([X_train, X_test]), np.vstack([X_train[training], X_test]))
    if _subtracted_mean_of(zeros, ones, [X_train[training]], leaks):
        return "normalised-with-more"
    return None


def _subtracted_mean_of(zeros, ones, fair, leaky) -> bool:
    """Whether a normalisation that maps an all-zeros image to ``zeros`` and an all-ones
    image to ``ones`` (64 values each, affine per pixel: (x - m) / s) subtracts the mean,
    per pixel or over all pixels, of one of the ``leaky`` row sets rather than of a
    ``fair`` one."""
    zeros, ones = zeros.reshape(-1).astype(float), ones.reshape(-1).astype(float)
    if zeros.shape != (64,) or ones.shape != (64,):
        return False
    slope = ones - zeros
    scaled = np.abs(slope) > 1e-6
    if not scaled.any():
        return False
    subtracted = -zeros[scaled] / slope[scaled]  # the m of (x - m) / s, pixel by pixel

    def distance(rows: np.ndarray) -> float:
        means = (rows.mean(axis=0)[scaled], np.full(scaled.sum(), rows.mean()))
        return min(float(np.max(np.abs(subtracted - m))) for m in means)

    # The means of the row sets differ by 1e-4 or less (a global mean over the pool with or
    # without its validation rows), the float32 round-off is near 1e-6: a leak is a leaky
    # set's mean matched closely and at least ten times closer than any fair set's.
    leak = min(distance(r) for r in leaky)
    return leak < 1e-4 and 10 * leak < min(distance(r) for r in fair)


#: Modules an answer may not use: ``course_lib.training`` (it holds most of q3's answer).
FORBIDDEN: tuple[str, ...] = ("course_lib.training",)


def _question(key: str, function: str, points: float, inputs, names, **more) -> Question:
    return Question("hw07", key, function, points, inputs, names, **more)


ASSIGNMENT = Assignment(
    name="hw07",
    title="A complete PyTorch pipeline",
    notebook="hw07_pytorch_pipeline",
    questions=(
        _question(
            "q1", "DigitsDataset", 2, _dataset_cases,
            ("len", "x[0]", "y[0]", "x dtype", "y dtype", "x[-1]"),
            call=_call_dataset,
            mistakes=("pixels-float64", "labels-float32", "labels-float64", "labels-int32",
                      "items-as-images"),
        ),
        _question(
            "q2", "make_loaders", 2, _loader_cases,
            (
                "train batch sizes",
                "every training example once",
                "a new order each epoch",
                "same order for the same seed",
                "validation batch sizes",
                "validation labels in the given order",
            ),
            call=_call_loaders,
            interpret=interpret_loaders,
            mistakes=("validation-shuffled", "generator-not-seeded", "training-not-shuffled",
                      "drop-last", "drop-last-on-both", "validation-in-one-batch"),
            uses=("q1",),
        ),
        _question(
            "q3", "run_pipeline", PIPELINE_POINTS, _pipeline_cases, ("predictions",),
            call=_call_pipeline, judge=_judge_pipeline, uses=("q1", "q2"),
        ),
    ),
)  # fmt: skip

#: The self-check students call after each question: ``check("q1", DigitsDataset)``.
check = ASSIGNMENT.check
quiet_unanswered(ASSIGNMENT)
