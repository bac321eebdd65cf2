"""Interactive optimizer explorers for the optimizer lectures (03, 04).

``OptimizerExplorer`` shows sliders for the learning rate, β₁ (momentum, Adam's first
moment), β₂ (RMSProp's α, Adam's second moment) and the number of steps, a choice of surface
and of methods, and redraws the trajectories on the contour plot whenever a control moves.
It needs a live kernel (JupyterLab); in a static page only its text stands in. Trajectories
come from ``trajectory``, which runs the NumPy optimizers of ``course_lib.optim``.

Introduced in lectures 03 and 04.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course_lib import optim
from course_lib._validation import as_float_array, check_int, check_range
from course_lib.surfaces import IllConditionedQuadratic, Rosenbrock

#: The method names ``make_optimizer`` knows.
METHODS = ("SGD", "momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")


def make_optimizer(
    method: str, params: list[np.ndarray], lr: float, beta1: float = 0.9, beta2: float = 0.999
) -> optim.Optimizer:
    """The ``course_lib.optim`` optimizer behind a method name.

    ``beta1`` is the momentum of "momentum" / "Nesterov" and Adam's β₁; ``beta2`` is
    RMSProp's α and Adam's β₂; each method ignores the β's it has no use for.
    """
    if method == "SGD":
        return optim.SGD(params, lr=lr)
    if method in ("momentum", "Nesterov"):
        return optim.SGD(params, lr=lr, momentum=beta1, nesterov=method == "Nesterov")
    if method == "AdaGrad":
        return optim.Adagrad(params, lr=lr)
    if method == "RMSProp":
        return optim.RMSprop(params, lr=lr, alpha=beta2)
    if method == "Adam":
        return optim.Adam(params, lr=lr, betas=(beta1, beta2))
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def trajectory(
    method: str,
    surface: Any,
    steps: int,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    start: Any = None,
) -> np.ndarray:
    """The points a method visits on a 2-D surface, shape (steps + 1, 2).

    Args:
        method: one of ``METHODS``.
        surface: anything with ``grad(p)`` and a ``start`` point (``course_lib.surfaces``).
        steps: number of updates, >= 0.
        lr: learning rate, > 0.
        beta1, beta2: see ``make_optimizer``; each in [0, 1).
        start: the first point, shape (2,); default ``surface.start``.

    A run that overflows stops where it left the finite numbers (the rest is not drawn).
    """
    steps = check_int(steps, "steps", low=0)
    check_range(lr, "lr", low=0.0, low_inclusive=False)
    check_range(beta1, "beta1", low=0.0, high=1.0, high_inclusive=False)
    check_range(beta2, "beta2", low=0.0, high=1.0, high_inclusive=False)
    point = as_float_array(surface.start if start is None else start, "start", ndim=1).copy()
    opt = make_optimizer(method, [point], lr, beta1, beta2)
    points = [point.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            grad = np.asarray(surface.grad(point), dtype=float)
            if not np.all(np.isfinite(grad)):
                break
            opt.step([grad])
            if not np.all(np.isfinite(point)):
                break
            points.append(point.copy())
    return np.array(points)


def default_surfaces() -> dict[str, Any]:
    """The surfaces the lectures use: a narrow valley (κ = 50) and Rosenbrock."""
    return {
        "valley, condition number 50": IllConditionedQuadratic(50.0, angle=np.pi / 6),
        "Rosenbrock": Rosenbrock(),
    }


class OptimizerExplorer:
    """Sliders and a contour plot of optimizer trajectories, redrawn on every change.

    Args:
        methods: the methods offered (a subset of ``METHODS``); all are drawn at first.
        surfaces: ``{name: surface}``; default ``default_surfaces()``.
        lr: initial learning rate (the slider is logarithmic, 1e-4 to 1).
        beta1, beta2: initial β₁ and β₂.
        steps: initial number of steps (slider 0 to 500).

    Attributes:
        widget: the ``ipywidgets.HBox`` of the controls and the output area holding the
            figure; displaying the explorer displays it.
        figure: the matplotlib figure as last drawn.
        paths: ``{method: (T, 2) array}`` as last drawn.
    """

    def __init__(
        self,
        methods: Sequence[str] = METHODS,
        surfaces: Mapping[str, Any] | None = None,
        *,
        lr: float = 0.01,
        beta1: float = 0.9,
        beta2: float = 0.999,
        steps: int = 150,
    ) -> None:
        import ipywidgets as w

        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods:
            raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {methods!r}")
        self.surfaces = dict(surfaces) if surfaces is not None else default_surfaces()
        if not self.surfaces:
            raise ValueError("surfaces must not be empty")
        self.surface = w.Dropdown(options=list(self.surfaces), description="surface")
        self.methods = w.SelectMultiple(
            options=list(methods), value=tuple(methods), description="methods", rows=len(methods)
        )
        self.lr = w.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.05, description="η")
        self.beta1 = w.FloatSlider(value=beta1, min=0, max=0.99, step=0.01, description="β₁")
        self.beta2 = w.FloatSlider(
            value=beta2, min=0.5, max=0.999, step=0.001, readout_format=".3f", description="β₂"
        )
        self.steps = w.IntSlider(value=steps, min=0, max=500, step=10, description="steps")
        controls = [self.surface, self.methods, self.lr, self.beta1, self.beta2, self.steps]
        for control in controls:
            control.observe(self._on_change, names="value")
        self.output = w.Output()
        self.widget = w.HBox([w.VBox(controls), self.output])
        self.paths: dict[str, np.ndarray] = {}
        self.redraw()

    def compute_paths(self) -> dict[str, np.ndarray]:
        """The trajectories for the current control values."""
        surface = self.surfaces[self.surface.value]
        return {
            method: trajectory(
                method,
                surface,
                self.steps.value,
                lr=self.lr.value,
                beta1=self.beta1.value,
                beta2=self.beta2.value,
            )
            for method in self.methods.value
        }

    def redraw(self) -> None:
        """Recompute the trajectories and redraw the figure in the output area."""
        import matplotlib.pyplot as plt
        from IPython.display import clear_output, display

        from course_lib.plots import contour_with_paths

        self.paths = self.compute_paths()
        self.figure, ax = plt.subplots(figsize=(6, 4.8))
        contour_with_paths(self.surfaces[self.surface.value], self.paths, ax=ax)
        ax.set_title(f"{self.surface.value}: η = {self.lr.value:.2g}")
        plt.close(self.figure)  # shown in the output area only, never by the backend
        with self.output:
            clear_output(wait=True)
            display(self.figure)

    def _on_change(self, change: dict) -> None:
        self.redraw()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
