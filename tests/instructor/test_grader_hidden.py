"""Hidden material: the instructor folder, hw07's graded digits, the hidden cases."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from course_lib.homework import load_assignment
from course_lib.homework.checking import Outcome, run_student, score
from course_tools.grading import instructor
from tests.notebook_files import ROOT


@pytest.fixture(scope="module")
def graded_split():
    secrets = instructor.load(instructor.default_dir())
    assert secrets is not None, "the demonstration instructor folder is part of the repository"
    (case,) = instructor.grading_cases(
        load_assignment("hw07"), load_assignment("hw07").question("q3"), secrets
    )
    return case


def test_public_hw07_module_holds_no_test_labels():
    from course_lib.homework import hw07

    assert len(hw07.split()) == 3  # (X_train, y_train, X_test): no y_test


def test_graded_digits_cannot_be_looked_up_in_scikit_learn(graded_split):
    from sklearn.datasets import load_digits

    X_train, y_train, X_test, _ = graded_split.args
    y_test, board = graded_split.secret
    assert board == "test"
    reference = load_digits()
    rows = reference.data / 16
    distances = ((X_test[:, None, :] - rows[None]) ** 2).sum(axis=2)
    assert distances.min() > 0  # no graded row is a row of the public data set
    lookup = np.mean(reference.target[distances.argmin(axis=1)] == y_test)
    honest = y_train[((X_test[:, None, :] - X_train[None]) ** 2).sum(axis=2).argmin(axis=1)]
    assert lookup < np.mean(honest == y_test)  # lookup does worse than 1-NN on the training split
    assert lookup < 0.95


def test_honest_solution_passes_the_graded_split(graded_split):
    from tests.instructor.test_homework_checks import solution_namespace

    question = load_assignment("hw07").question("q3")
    run_pipeline = solution_namespace("hw07")["run_pipeline"]
    outcomes = run_student(question, run_pipeline, [graded_split])
    result = score(question, [graded_split], outcomes)
    assert result.score == question.points, result.message


def test_the_grade_counts_hidden_cases_from_the_secret_seed_only(tmp_path):
    hw01 = load_assignment("hw01")
    q1 = hw01.question("q1")
    a = instructor.grading_cases(hw01, q1, instructor.Secrets(1))
    b = instructor.grading_cases(hw01, q1, instructor.Secrets(2))
    public = q1.make_cases()
    assert len(a) == len(public) and all(c.seed is not None for c in a)
    assert a[0].seed != b[0].seed and not np.allclose(a[-1].args[1], b[-1].args[1])
    for hidden, shown in zip(a, public, strict=True):  # none of the public inputs
        assert not np.allclose(hidden.args[1], shown.args[1])
    assert instructor.grading_cases(hw01, q1, None)[0].seed is None  # no secrets: public


def test_init_instructor_writes_fresh_secrets(tmp_path):
    command = [sys.executable, "-m", "course_tools", "init-instructor"]
    for name in ("a", "b"):
        done = subprocess.run([*command, str(tmp_path / name)], capture_output=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    seeds = [json.loads((tmp_path / n / "secrets.json").read_text())["seed"] for n in "ab"]
    assert seeds[0] != seeds[1]
    again = subprocess.run([*command, str(tmp_path / "a")], capture_output=True, cwd=ROOT)
    assert again.returncode == 2


SEEDED = [
    (name, q.key)
    for name in ("hw01", "hw02", "hw03", "hw04", "hw05", "hw06", "hw07")
    for q in load_assignment(name).questions
    if (name, q.key) != ("hw07", "q3")
]


@pytest.mark.parametrize("name, key", SEEDED)
def test_solution_passes_the_hidden_cases(name, key):
    from tests.instructor.test_homework_checks import solution_namespace

    spec = load_assignment(name)
    question = spec.question(key)
    cases = instructor.grading_cases(spec, question, instructor.Secrets(20261201))
    assert all(case.seed is not None for case in cases)
    function = solution_namespace(name)[question.function]
    result = score(question, cases, run_student(question, function, cases))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(("assignment", "key"), [("hw01", "q3"), ("hw01", "q5"), ("hw03", "q2")])
def test_hidden_cases_reach_the_scoring_process_with_their_known_mistakes(assignment, key):
    """The grader scores in a child of a fork server (course_lib.homework.isolated), so every
    hidden case is pickled on its way there; the lazily computed mistakes (functions of the
    references) travel by their question's name and still name a planted mistake there."""
    import pickle

    spec = load_assignment(assignment)
    question = spec.question(key)
    secrets = instructor.load(instructor.default_dir())
    cases = instructor.grading_cases(spec, question, secrets)
    sent = pickle.loads(pickle.dumps(cases))
    for case, there in zip(cases, sent, strict=True):
        assert there.answer.mistakes.keys() == case.answer.mistakes.keys() != set()
        named = set()
        for mistaken in there.answer.mistakes.values():  # computed on the receiving side
            outcome = Outcome("returned", mistaken)  # a student whose output is that mistake's
            named.add(score(question, [there], [outcome]).mistake)
        # (a mistake may coincide with the answer on a case: g = 1, a single example, ...)
        assert named - {None} and named <= {None, *there.answer.mistakes}
