"""hw07 graded on the instructor's own digits (course_tools/grading/hw07_digits.py): the file
is checked, the grader scores on it against thresholds measured on it, and a look-up attack
with every public digit gains nothing there, while it does on the demonstration's warps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from course_lib.data import load_digits
from course_lib.homework import hw07
from course_lib.homework.assignment import load_assignment
from course_tools.grading import hidden, hw07_digits, instructor
from tests.instructor.stroke_digits import stroke_digits
from tests.instructor.test_hw07_competition import observed_run

THRESHOLDS = {"simple": 0.3, "medium": 0.4, "strong": 0.5, "boss": 0.6}


def _folder(tmp_path, digits=None, thresholds=THRESHOLDS):
    folder = tmp_path / "instructor"
    folder.mkdir()
    (folder / "secrets.json").write_text(json.dumps({"seed": 12345}))
    X, y = stroke_digits(200, seed=5) if digits is None else digits
    np.savez(folder / hw07_digits.TEST_FILE, X=X, y=y)
    if thresholds is not None:
        (folder / hw07_digits.TIERS_FILE).write_text(json.dumps(thresholds))
    return folder


def _graded_case(folder):
    spec = load_assignment("hw07")
    question = next(q for q in spec.questions if q.key == "q3")
    (case,) = instructor.grading_cases(spec, question, instructor.load(folder))
    return question, case


def _augmented(X: np.ndarray, copies: int = 10) -> np.ndarray:
    """``X`` and ``copies`` warped versions of every row (the look-up attack's pool)."""
    rng = np.random.default_rng(0)
    return np.vstack([X] + [hw07.warp_digits(X, rng) for _ in range(copies)])


def _near_copies(X_test: np.ndarray) -> float:
    """The fraction of ``X_test`` whose nearest image among the augmented public digits is
    much nearer (< 0.8 x the distance) than among the augmented training pool alone: the
    test images the public data set holds near-copies of."""
    X, _ = load_digits()
    pool, _ = hw07.split_indices()
    distance = {}
    for name, source in (("all", X), ("pool", X[pool])):
        index = NearestNeighbors(n_neighbors=1).fit(_augmented(source))
        distance[name] = index.kneighbors(X_test)[0].ravel()
    return float(np.mean(distance["all"] < 0.8 * distance["pool"]))


def test_the_grader_scores_the_instructors_digits_against_their_thresholds(tmp_path):
    folder = _folder(tmp_path)
    X, y = stroke_digits(200, seed=5)
    question, case = _graded_case(folder)
    X_test = case.args[2]
    assert len(X_test) == 200 and "instructor's own digits" in case.label
    labels, board, thresholds = case.secret
    order = [int(np.flatnonzero((row == X).all(axis=1))[0]) for row in X_test]
    assert sorted(order) == list(range(200)) and np.array_equal(labels, y[order])
    assert thresholds == THRESHOLDS and board == "test"

    n_train = len(case.args[0])
    perfect, message = question.judge(case, observed_run(labels, n_train))
    assert perfect == 1.0 and "tier boss (needs 0.600)" in message
    wrong = labels.copy()
    wrong[:110] = (wrong[:110] + 1) % 10  # accuracy 0.45: medium (0.40), not strong (0.50)
    score, message = question.judge(case, observed_run(wrong, n_train))
    assert score == 4 / 8 and "tier medium (needs 0.400)" in message
    assert "strong at 0.500" in message


def test_without_measured_thresholds_the_grader_refuses(tmp_path):
    folder = _folder(tmp_path, thresholds=None)
    with pytest.raises(ValueError, match="hw07-tiers"):
        _graded_case(folder)


@pytest.mark.parametrize(
    "arrays, problem",
    [
        ({"X": np.zeros((150, 64))}, "needs an array 'y'"),
        ({"X": np.zeros((150, 63)), "y": np.zeros(150, int)}, "shape"),
        ({"X": np.full((150, 64), 16.0), "y": np.zeros(150, int)}, r"\[0, 1\]"),
        ({"X": np.zeros((150, 64)), "y": np.full(150, 10)}, "labels 0..9"),
        ({"X": np.zeros((150, 64)), "y": np.zeros(150)}, "integer labels"),
        ({"X": np.zeros((20, 64)), "y": np.zeros(20, int)}, "n >= 100"),
        ({"X": np.array([{"a": 1}] * 150, dtype=object), "y": np.zeros(150, int)}, "plain"),
    ],
)
def test_a_bad_digits_file_is_rejected_with_its_name(tmp_path, arrays, problem):
    np.savez(tmp_path / hw07_digits.TEST_FILE, **arrays)
    with pytest.raises(ValueError, match=problem) as error:
        hw07_digits.load_test(tmp_path)
    assert hw07_digits.TEST_FILE in str(error.value)


def test_thresholds_must_cover_every_tier_and_rise(tmp_path):
    (tmp_path / hw07_digits.TIERS_FILE).write_text(json.dumps({"simple": 0.5, "boss": 0.9}))
    with pytest.raises(ValueError, match="each of"):
        hw07_digits.load_thresholds(tmp_path)
    falling = {"simple": 0.5, "medium": 0.4, "strong": 0.6, "boss": 0.7}
    (tmp_path / hw07_digits.TIERS_FILE).write_text(json.dumps(falling))
    with pytest.raises(ValueError, match="rise by tier"):
        hw07_digits.load_thresholds(tmp_path)


def test_thresholds_sit_a_margin_below_the_worst_seed_and_never_fall():
    measured = {
        "simple": [0.60, 0.62],
        "medium": [0.70, 0.71],
        "strong": [0.69, 0.75],  # a seed below medium's: its tier is not made easier
        "boss": [0.90, 0.88],
    }
    assert hw07_digits.thresholds_from(measured) == {
        "simple": 0.58, "medium": 0.68, "strong": 0.68, "boss": 0.86,
    }  # fmt: skip


def test_init_instructor_takes_the_digits_and_checks_them(tmp_path):
    X, y = stroke_digits(120, seed=2)
    good, bad = tmp_path / "digits.npz", tmp_path / "bad.npz"
    np.savez(good, X=X, y=y)
    np.savez(bad, X=X * 16, y=y)
    assert instructor.main(["init-instructor", str(tmp_path / "a"), "--hw07-test", str(good)]) == 0
    loaded = hw07_digits.load_test(tmp_path / "a")
    assert np.array_equal(loaded[0], X) and np.array_equal(loaded[1], y)
    assert instructor.main(["init-instructor", str(tmp_path / "b"), "--hw07-test", str(bad)]) == 2
    assert not (tmp_path / "b" / hw07_digits.TEST_FILE).exists()


def test_public_digits_hold_near_copies_of_the_demo_warps_but_not_of_own_digits():
    """The look-up attack's signal: the demonstration grades on warps of public digits, so
    adding the public originals brings many graded images a near-copy; digits from another
    hand gain no more than any extra data would give."""
    _, _, X_warped, _ = hidden.hw07_graded(seed=99)
    X_own, _ = stroke_digits(200, seed=7)
    assert _near_copies(X_warped) > 0.10, "the demonstration's graded digits can be matched"
    assert _near_copies(X_own) < 0.05, "the instructor's own digits cannot"


def test_hw07_tiers_measures_and_writes_thresholds(tmp_path, capsys):
    folder = _folder(tmp_path, thresholds=None)
    assert hw07_digits.main(["hw07-tiers", str(folder), "--seeds", "0"]) == 0
    thresholds = hw07_digits.load_thresholds(folder)
    assert list(thresholds.values()) == sorted(thresholds.values())
    table = capsys.readouterr().out
    for tier in hw07.TIERS:
        assert tier.name in table
    _, case = _graded_case(folder)
    assert case.secret[2] == thresholds
