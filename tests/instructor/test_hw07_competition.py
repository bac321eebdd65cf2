"""hw07 as a competition: the tiers are earned by the models named, and the mistakes named.

The tier test re-trains every tier model (``course_tools.grading.hidden.tier_predictions``,
seeds 0, 1 and 2, one thread) on both boards, the self-check's stratified validation split of
the public pool and the grader's hidden split for the demonstration instructor seed, and
checks that each model lands in its own tier on both boards (about 40 s of CPU: the boss, a
CNN trained for 20 epochs, takes 4 s a run). The planted mistakes of q1 and q2 are written
the way a student would write them (PyTorch, not the references' variants) and earn nothing;
a correct q2 keeps its points when q1 is wrong. q3's planted pipeline mistakes are in
``test_hw07_pipeline.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from course_lib.data import load_digits
from course_lib.homework import hw07, load_assignment
from course_lib.homework.messages import say
from course_tools.grading import hidden, instructor
from tests.instructor.planted import assert_named, graded, with_globals
from tests.instructor.test_homework_checks import solution_namespace

HW07 = load_assignment("hw07")
NAMES = [t.name for t in hw07.TIERS]


SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def accuracies() -> dict[tuple[str, str], list[float]]:
    """(tier, board) -> accuracy of the tier's model for seeds 0, 1, 2."""
    boards = hidden.tier_boards(instructor.load(instructor.default_dir()).seed)
    found = {}
    for name in NAMES:
        for board, (X_train, y_train, X_test, y_test) in boards.items():
            found[name, board] = [
                float(np.mean(hidden.tier_predictions(name, X_train, y_train, X_test, s) == y_test))
                for s in SEEDS
            ]
    return found


def test_tiers_are_ordered_and_q3_is_worth_the_top_tier():
    for board in ("validation", "test"):
        thresholds = [getattr(t, board) for t in hw07.TIERS]
        assert thresholds == sorted(thresholds) and len(set(thresholds)) == len(thresholds)
    points = [t.points for t in hw07.TIERS]
    assert points == sorted(points) and HW07.question("q3").points == points[-1]
    assert NAMES == ["simple", "medium", "strong", "boss"]


@pytest.mark.parametrize("index", range(4), ids=NAMES)
def test_each_tier_model_lands_in_its_own_tier_on_both_boards_for_every_seed(accuracies, index):
    tier = hw07.TIERS[index]
    for board in ("validation", "test"):
        for seed, accuracy in zip(SEEDS, accuracies[tier.name, board], strict=True):
            assert hw07.tier_reached(accuracy, board) == tier, (board, seed, accuracy)


@pytest.mark.parametrize("board", ["validation", "test"])
@pytest.mark.parametrize("index", range(4), ids=NAMES)
def test_the_measured_table_is_current(accuracies, index, board):
    name = NAMES[index]
    found = accuracies[name, board]
    stated = hw07.MEASURED[name][board]
    now = (found[0], min(found), max(found))
    assert np.allclose(now, stated, atol=0.02), (name, board, now, stated)


def observed_run(predictions, n_train: int) -> tuple:
    """What the check records of a sound pipeline run that predicts ``predictions``: the same
    labels however asked, logits whose largest entry is the label, a normalisation that
    leaves pixels as they are, two validation rows, two equal small runs."""
    predictions = np.asarray(predictions)
    labels = predictions.reshape(-1) if predictions.ndim == 1 else predictions.argmax(-1)
    logits = 5.0 * np.eye(10)[labels % 10]
    small = np.zeros(hw07.PROBE_TEST, dtype=np.int64)
    return (predictions, labels, labels, labels, logits, np.zeros(64), np.ones(64),
            np.array([0, n_train - 1]), small, small)  # fmt: skip


def _judged(predictions_for, board: str = "validation"):
    """The judge's verdict on predictions made from the true labels by ``predictions_for``."""
    (case,) = HW07.question("q3").make_cases()
    labels, _ = case.secret
    case = type(case)(case.label, case.args, case.arg_names, secret=(labels, board))
    return hw07._judge_pipeline(case, observed_run(predictions_for(labels), len(case.args[0])))


def _with_accuracy(accuracy: float):
    def make(labels):
        wrong = np.random.default_rng(0).permutation(len(labels))[
            : round((1 - accuracy) * len(labels))
        ]
        out = labels.copy()
        out[wrong] = (out[wrong] + 1) % 10
        return out

    return make


@pytest.mark.parametrize("board", ["validation", "test"])
def test_the_judge_names_the_tier_reached_and_the_next(board):
    strong, boss = hw07.TIERS[2], hw07.TIERS[3]
    between = (getattr(strong, board) + getattr(boss, board)) / 2
    fraction, message = _judged(_with_accuracy(between), board)
    assert fraction == pytest.approx(strong.points / boss.points)
    assert "tier strong" in message and "next: boss" in message
    assert f"at {getattr(boss, board):.3f}" in message  # the threshold as it is used
    assert ("public board" in message) == (board == "validation")
    fraction, message = _judged(lambda labels: labels, board)
    assert fraction == 1 and "tier boss" in message and "top tier" in message
    fraction, message = _judged(lambda labels: (labels + 1) % 10, board)
    assert fraction == 0 and "below the simple tier" in message


def test_the_judge_names_scores_returned_instead_of_labels():
    fraction, message = _judged(lambda labels: np.eye(10)[labels])
    assert fraction == 0 and "one score per class" in message
    fraction, message = _judged(lambda labels: labels[:10])
    assert fraction == 0 and "expected 360 predictions" in message


def test_the_judge_names_predictions_made_for_the_training_rows():
    (case,) = HW07.question("q3").make_cases()
    X_train, y_train = case.args[0], case.args[1]
    fraction, message = _judged(lambda labels: y_train.copy())
    assert len(X_train) != len(case.secret[0])
    assert fraction == 0 and "one per training row: predict X_test" in message


def test_the_self_check_scores_validation_rows_and_the_grader_hidden_test_rows():
    (public,) = HW07.question("q3").make_cases()
    assert public.secret[1] == "validation"
    assert len(public.args[0]) == 1077 and len(public.args[2]) == 360
    assert np.array_equal(np.bincount(public.secret[0]), [36] * 10)  # stratified
    train, scored = hw07.check_rows()
    assert not set(train) & set(scored) and len(train) + len(scored) == 1437
    seed = instructor.case_seed(instructor.Secrets(20261201), "hw07", "q3")
    (graded,) = hidden.cases("hw07", "q3", seed)
    assert graded.secret[1] == "test" and len(graded.args[0]) == 1437
    assert not np.array_equal(graded.args[0], hw07.split()[0])  # other warps than the public ones


def test_the_public_digits_are_warped_copies_and_split_has_no_test_labels():
    X, _ = load_digits()
    X_train, y_train, X_test = hw07.split()
    pool, _ = hw07.split_indices()
    assert len(hw07.split()) == 3 and np.array_equal(y_train, load_digits()[1][pool])
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert not np.any(np.all(X_train == X[pool], axis=1))
    assert np.array_equal(np.round(X_train * 16), X_train * 16)  # 17 grey levels
    assert np.array_equal(hw07.split()[0], X_train)  # the same every call


# ----- planted mistakes of q1 and q2 -----------------------------------------------------


def _dataset(x_of, y_of):
    class Digits(Dataset):
        def __init__(self, X, y):
            self.X, self.y = x_of(X), y_of(y)

        def __len__(self):
            return len(self.X)

        def __getitem__(self, i):
            return self.X[i], self.y[i]

    return Digits


DATASETS = {
    "pixels-float64": _dataset(torch.from_numpy, torch.from_numpy),
    "labels-float32": _dataset(
        lambda X: torch.tensor(X, dtype=torch.float32),
        lambda y: torch.tensor(y, dtype=torch.float32),
    ),
    "labels-int32": _dataset(
        lambda X: torch.tensor(X, dtype=torch.float32),
        lambda y: torch.tensor(y, dtype=torch.int32),
    ),
    "items-as-images": _dataset(
        lambda X: torch.tensor(X, dtype=torch.float32).reshape(-1, 8, 8),
        torch.from_numpy,
    ),
}


@pytest.mark.parametrize("name", DATASETS)
def test_a_planted_dataset_mistake_gets_its_message_and_no_points(name):
    assert_named(HW07, "q1", DATASETS[name], say(f"hw07.q1.{name}"))


def _loaders(train_kwargs, val_kwargs, seeded=True):
    def make_loaders(X_train, y_train, X_val, y_val, batch_size, seed):
        train_set = hw07_dataset(X_train, y_train)
        if seeded:
            train_kwargs["generator"] = torch.Generator().manual_seed(seed)
        train = DataLoader(train_set, batch_size, **train_kwargs)
        return train, DataLoader(hw07_dataset(X_val, y_val), batch_size, **val_kwargs)

    return make_loaders


def hw07_dataset(X, y):
    return torch.utils.data.TensorDataset(
        torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    )


LOADERS = {
    "validation-shuffled": _loaders({"shuffle": True}, {"shuffle": True}),
    "generator-not-seeded": _loaders({"shuffle": True}, {}, seeded=False),
    "training-not-shuffled": _loaders({"shuffle": False}, {}),
    "drop-last": _loaders({"shuffle": True, "drop_last": True}, {}),
    "drop-last-on-both": _loaders({"shuffle": True, "drop_last": True}, {"drop_last": True}),
}


@pytest.mark.parametrize("name", LOADERS)
def test_a_planted_loader_mistake_gets_its_message_and_no_points(name):
    assert_named(HW07, "q2", LOADERS[name], say(f"hw07.q2.{name}"))


def test_drop_last_earns_nothing_on_any_case():
    result = HW07.evaluate("q2", LOADERS["drop-last"])
    assert result.score == 0 and result.cases_passed == 0  # every case has a smaller last batch


def test_q2_keeps_its_points_in_the_grader_when_q1_is_wrong():
    loaders = solution_namespace("hw07")["make_loaders"]
    planted = with_globals(loaders, DigitsDataset=DATASETS["pixels-float64"])
    assert graded("hw07", "q2", planted).score == 2


def test_a_correct_dataset_and_loaders_pass():
    dataset = _dataset(lambda X: torch.tensor(X, dtype=torch.float32), lambda y: torch.tensor(y))
    assert HW07.evaluate("q1", dataset).status == "passed"
    assert HW07.evaluate("q2", _loaders({"shuffle": True}, {})).status == "passed"
