"""hw07 q3 is a pipeline: the check names each pipeline mistake, planted in a copy of the
solution and run through the real check (the self-check's public case and the grader's
hidden one), and a named mistake earns nothing.

Each planted copy edits one line or two of the solution's ``run_pipeline`` (or of its
helper cell) the way a student would get it wrong, and trains for a few epochs only
(``MAX_EPOCHS``, ``PATIENCE``): the mistakes show in any run, the accuracy does not matter.
About 30 s of CPU for the module.
"""

from __future__ import annotations

import tempfile
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.homework import hw07, load_assignment
from course_lib.homework.messages import say
from tests.instructor.planted import assert_named, graded, hidden_cases
from tests.instructor.test_homework_checks import solution_namespace

HW07 = load_assignment("hw07")
#: A short training run: enough for every mistake to show, cheap enough for a test.
SHORT = {"MAX_EPOCHS": 6, "PATIENCE": 1}


def _solution_cells() -> dict[str, str]:
    """The source of the solution's cell that defines each of ``moved``/``run_pipeline``."""
    import jupytext

    from tests.notebook_files import ROOT

    notebook = HW07.notebook
    nb = jupytext.read(ROOT / "homework" / "solutions" / f"{notebook}.ipynb")
    cells = {}
    for cell in nb.cells:
        for name in ("def moved", "def run_pipeline"):
            if cell.cell_type == "code" and name in cell.source:
                cells[name] = cell.source
    return cells


def planted(*edits: tuple[str, str, str]) -> types.FunctionType:
    """The solution's ``run_pipeline`` with ``edits`` applied: (cell, old text, new text),
    each old text present in the solution; run in a copy of the solution's namespace with a
    short training run."""
    cells = _solution_cells()
    for cell, old, new in edits:
        assert old in cells[cell], (cell, old)
        cells[cell] = cells[cell].replace(old, new)
    namespace = dict(solution_namespace("hw07"))
    for source in cells.values():
        exec(compile(source, "<planted hw07>", "exec"), namespace)
    namespace.update(SHORT)  # after the cell that sets them
    return namespace["run_pipeline"]


RELOAD = "    model.load_state_dict(torch.load(checkpoint, weights_only=True))\n"
PLANTED = {
    "not-reloaded": [("def run_pipeline", RELOAD, "")],
    "no-eval": [("def run_pipeline", "model.eval()", "pass  # no model.eval()")],
    "probabilities-to-loss": [
        ("def run_pipeline", "DigitsCNN())", "DigitsCNN(), nn.Softmax(dim=1))"),
    ],
    "normalised-with-more": [
        (
            "def run_pipeline",
            "mean, std = X_train[train_rows].mean(), X_train[train_rows].std()",
            "everything = np.vstack([X_train, X_test])\n"
            "    mean, std = everything.mean(), everything.std()",
        ),
    ],
    "not-reproducible": [
        ("def run_pipeline", "rng = np.random.default_rng(seed)", "rng = np.random.default_rng()"),
    ],
}


@pytest.mark.parametrize("mistake", [m for m in PLANTED if m != "not-reloaded"])
def test_a_planted_pipeline_mistake_gets_its_message_and_no_points(mistake):
    assert_named(HW07, "q3", planted(*PLANTED[mistake]), say(f"hw07.q3.{mistake}"))


def test_predicting_with_the_last_weights_instead_of_the_reloaded_best_is_named():
    """On the grader's case the short run stops early (its best epoch is not its last), so
    predicting without reloading uses other weights than the checkpoint's. (On the public
    case the last epoch of the short run is its best: there the missing reload changes
    nothing, and nothing is named.)"""
    run_pipeline = planted(*PLANTED["not-reloaded"])
    result = graded("hw07", "q3", run_pipeline)
    assert result.score == 0 and say("hw07.q3.not-reloaded") in result.message, result.message
    (case,) = hidden_cases("hw07", "q3")
    run = run_pipeline(*case.args)
    saved = torch.load(run["checkpoint"], weights_only=True)
    final = run["model"].state_dict()
    assert any(not torch.equal(saved[k], final[k]) for k in saved)


def test_statistics_of_the_whole_pool_are_more_than_the_training_split():
    with_validation_rows = (
        "def run_pipeline",
        "mean, std = X_train[train_rows].mean(), X_train[train_rows].std()",
        "mean, std = X_train.mean(), X_train.std()",
    )
    result = HW07.evaluate("q3", planted(with_validation_rows))
    assert result.score == 0 and say("hw07.q3.normalised-with-more") in result.message


def test_the_short_solution_names_no_mistake_and_keeps_its_tier():
    run_pipeline = planted()
    for result in (HW07.evaluate("q3", run_pipeline), graded("hw07", "q3", run_pipeline)):
        assert result.score > 0, result.message
        assert not any(say(f"hw07.q3.{m}") in result.message for m in hw07.PIPELINE_MISTAKES)


# ----- the judge on recorded observations ------------------------------------------------


class Lookup(nn.Module):
    """Logits that name, for each digit, the label given for the nearest of ``rows``."""

    def __init__(self, rows: np.ndarray, labels: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("rows", torch.tensor(rows, dtype=torch.float32))
        self.register_buffer("labels", torch.tensor(labels, dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nearest = torch.cdist(x, self.rows).argmin(dim=1)
        return 5.0 * nn.functional.one_hot(self.labels[nearest] % 10, 10).float()


def pipeline_answering(labels: np.ndarray):
    """A sound ``run_pipeline`` whose model predicts ``labels`` for the rows of ``X_test``
    (checkpoint saved and reloaded, eval mode, reproducible, pixels left as they are)."""

    def run_pipeline(X_train, y_train, X_test, seed):
        model = Lookup(X_test, labels[: len(X_test)])
        checkpoint = Path(tempfile.mkdtemp()) / "best.pt"
        torch.save(model.state_dict(), checkpoint)
        model.eval()

        def normalise(X):
            return torch.as_tensor(X, dtype=torch.float32)

        def predict(X):
            return model(normalise(X)).argmax(dim=1).numpy()

        return {"predict": predict, "model": model, "normalise": normalise,
                "checkpoint": checkpoint, "val_rows": np.arange(10)}  # fmt: skip

    return run_pipeline


def test_a_pipeline_that_returns_no_dict_is_told_what_to_return():
    (case,) = HW07.question("q3").make_cases()
    result = HW07.evaluate("q3", lambda X_train, y_train, X_test, seed: case.secret[0])
    shown = " ".join([result.message, *result.details])
    assert result.score == 0 and "must return a dict with the keys predict, model" in shown


def test_the_normalisation_check_tells_training_statistics_from_leaked_ones():
    (case,) = HW07.question("q3").make_cases()
    X_train, X_test = case.args[0], case.args[2]
    rows = np.arange(100)
    training = X_train[100:]

    def mistake(mean, std=0.3):
        labels = np.zeros(len(X_test), dtype=np.int64)
        logits = 5.0 * np.eye(10)[labels]
        zeros, ones = (np.zeros(64) - mean) / std, (np.ones(64) - mean) / std
        small = np.zeros(hw07.PROBE_TEST, dtype=np.int64)
        observed = (labels, labels, labels, labels, logits, zeros, ones, rows, small, small)
        return hw07.pipeline_mistake(case, observed)

    assert mistake(training.mean(axis=0)) is None
    assert mistake(training.mean()) is None
    assert mistake(0.0) is None  # no normalisation at all
    assert mistake(X_train.mean(axis=0)) == "normalised-with-more"  # with the validation rows
    assert mistake(X_train.mean()) == "normalised-with-more"
    assert mistake(np.vstack([X_train, X_test]).mean()) == "normalised-with-more"
    assert mistake(np.vstack([training, X_test]).mean(axis=0)) == "normalised-with-more"
