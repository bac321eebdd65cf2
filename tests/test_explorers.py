"""The optimizer explorer of lectures 03/04: its trajectories match torch.optim, and moving a
control recomputes them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.explorers import METHODS, OptimizerExplorer, trajectory
from course_lib.optim import torch_path
from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock

VALLEY = IllConditionedQuadratic(20.0, angle=0.3)
TORCH = {
    "SGD": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.8}),
    "Nesterov": ("SGD", {"momentum": 0.8, "nesterov": True}),
    "AdaGrad": ("Adagrad", {}),
    "RMSProp": ("RMSprop", {"alpha": 0.95}),
    "Adam": ("Adam", {"betas": (0.8, 0.95)}),
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("method", METHODS)
def test_trajectory_matches_torch_optim(method):
    ours = trajectory(method, VALLEY, 60, lr=0.04, beta1=0.8, beta2=0.95)
    name, hyper = TORCH[method]
    reference = torch_path(name, VALLEY, 60, lr=0.04, **hyper)
    assert ours.shape == (61, 2)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-12)


def test_a_diverging_run_stops_at_the_last_finite_point():
    path = trajectory("SGD", IllConditionedQuadratic(50.0), 3000, lr=1.0)
    assert np.all(np.isfinite(path))
    assert 2 < len(path) < 3001


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "LBFGS"}, ValueError, "method"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"beta1": 1.0}, ValueError, "beta1"),
        ({"beta2": -0.1}, ValueError, "beta2"),
        ({"steps": 2.5}, TypeError, "steps"),
    ],
)
def test_trajectory_rejects_bad_arguments(kwargs, error, match):
    args = {"method": "Adam", "surface": VALLEY, "steps": 5, "lr": 0.1} | kwargs
    with pytest.raises(error, match=match):
        trajectory(**args)


def test_moving_a_control_recomputes_the_paths():
    explorer = OptimizerExplorer(("SGD", "Adam"), {"valley": VALLEY, "Rosenbrock": Rosenbrock()})
    assert set(explorer.paths) == {"SGD", "Adam"}
    np.testing.assert_array_equal(
        explorer.paths["Adam"], trajectory("Adam", VALLEY, explorer.steps.value, lr=0.01)
    )
    explorer.lr.value = 0.1
    np.testing.assert_array_equal(explorer.paths["SGD"], trajectory("SGD", VALLEY, 150, lr=0.1))
    explorer.steps.value = 20
    assert len(explorer.paths["Adam"]) == 21
    explorer.methods.value = ("Adam",)
    assert set(explorer.paths) == {"Adam"}
    explorer.surface.value = "Rosenbrock"
    np.testing.assert_array_equal(explorer.paths["Adam"][0], Rosenbrock().start)
    assert explorer.figure.axes[0].get_title() == "Rosenbrock: η = 0.1"


def test_explorer_rejects_unknown_methods_and_empty_surfaces():
    with pytest.raises(ValueError, match="methods"):
        OptimizerExplorer(("SGD", "LBFGS"))
    with pytest.raises(ValueError, match="surfaces"):
        OptimizerExplorer(("SGD",), {})
