"""course_lib.plots: every function draws what it promises into the Axes it returns."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from course_lib import plots
from course_lib.surfaces import Rosenbrock, Saddle


@pytest.fixture(autouse=True)
def no_show_and_close_figures(monkeypatch):
    def forbidden_show(*args, **kwargs):
        raise AssertionError("library code must not call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden_show)
    yield
    plt.close("all")


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_use_style_applies_the_course_settings():
    with matplotlib.rc_context():
        plots.use_style()
        for key, value in plots.STYLE.items():
            assert plt.rcParams[key] == (list(value) if isinstance(value, tuple) else value)


def descent_path(surface, lr: float, steps: int) -> np.ndarray:
    points = [surface.start.copy()]
    for _ in range(steps):
        points.append(points[-1] - lr * surface.grad(points[-1]))
    return np.array(points)


def test_contour_with_paths_draws_each_path_with_start_and_end_markers():
    surface = Rosenbrock()
    paths = {"gd": descent_path(surface, 1e-3, 50), "gd small lr": descent_path(surface, 2e-4, 50)}
    ax = plots.contour_with_paths(surface, paths)
    assert isinstance(ax, Axes)
    assert len(ax.collections) == 1  # the contour set
    assert len(ax.lines) == 4 * len(paths) + 1  # halo, line, start, end per path + minimum
    assert legend_texts(ax) == ["gd", "gd small lr", "minimum"]
    halos = [line for line in ax.lines if line.get_gid() == "halo"]
    assert len(halos) == len(paths) and ax.lines[: len(paths)] == halos  # under every path
    np.testing.assert_array_equal(ax.lines[len(paths)].get_xydata(), paths["gd"])
    assert ax.get_title() == surface.name
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_xlim() == pytest.approx(surface.default_xlim)
    assert ax.get_ylim() == pytest.approx(surface.default_ylim)


def test_contour_levels_are_geometric_above_the_minimum_or_linear():
    surface = Rosenbrock()
    log_ax = plots.contour_with_paths(surface, levels=12)
    lin_ax = plots.contour_with_paths(surface, levels=12, log_levels=False)
    log_levels = log_ax.collections[0].levels
    lin_levels = lin_ax.collections[0].levels
    assert len(log_levels) == len(lin_levels) == 12
    ratios = np.diff(np.log(log_levels - lin_levels[0]))
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)
    np.testing.assert_allclose(np.diff(lin_levels), np.diff(lin_levels)[0], rtol=1e-6)


def test_contour_colour_bar_is_labelled_and_its_ticks_are_distinct():
    fig, ax = plt.subplots()
    plots.contour_with_paths(
        Rosenbrock(), xlim=(-2, 2), ylim=(-3.5, 3), colorbar_label="f(x, y)", ax=ax
    )
    fig.canvas.draw()
    bar = fig.axes[-1]
    assert bar.get_ylabel() == "f(x, y)"
    ticks = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert len(ticks) > 3 and len(set(ticks)) == len(ticks), ticks


def test_contour_without_paths_or_minimum_has_no_legend_and_honours_limits():
    ax = plt.subplots()[1]
    out = plots.contour_with_paths(Saddle(), xlim=(-1, 3), ylim=(-0.5, 0.5), ax=ax)
    assert out is ax
    assert ax.get_legend() is None and not ax.lines
    assert ax.get_xlim() == pytest.approx((-1, 3))


def test_contour_accepts_a_diverging_path():
    path = np.array([[0.5, 0.5], [3.0, -4.0], [np.inf, np.nan]])
    ax = plots.contour_with_paths(Saddle(), {"lr too large": path})
    assert legend_texts(ax) == ["lr too large"]


class ShallowBowl:
    """A bowl whose loss barely rises above its minimum 0.0099 (like a regression's noise)."""

    name, default_xlim, default_ylim = "shallow bowl", (-1.0, 1.0), (-1.0, 1.0)

    def value(self, p):
        return 0.0099 + 0.01 * (np.asarray(p) ** 2).sum(axis=-1)


def test_contour_colour_bar_labels_are_distinct_even_near_the_minimum():
    ax = plots.contour_with_paths(ShallowBowl())
    bar_ax = ax.figure.axes[-1]
    labels = [t.get_text() for t in bar_ax.get_yticklabels()]
    assert len(labels) >= 4 and len(set(labels)) == len(labels), labels


def test_compact_png_keeps_the_size_and_uses_a_palette_of_at_most_256_colours():
    from IPython.core.pylabtools import print_figure
    from PIL import Image

    fig, ax = plt.subplots(dpi=90)
    plots.contour_with_paths(Rosenbrock(), {"gd": descent_path(Rosenbrock(), 1e-3, 50)}, ax=ax)
    compact, full = plots.compact_png(fig), print_figure(fig, "png")
    small, large = Image.open(io.BytesIO(compact)), Image.open(io.BytesIO(full))
    assert small.mode == "P" and len(small.getcolors(256)) <= 256
    assert small.size == large.size
    assert len(compact) < 0.6 * len(full)
    difference = np.abs(
        np.asarray(small.convert("RGB"), float) - np.asarray(large.convert("RGB"), float)
    )
    assert difference.mean() < 2  # out of 255: the palette loses only faint shades


def test_compact_png_draws_a_constrained_figure_once_and_keeps_it_whole():
    from PIL import Image

    fig, ax = plt.subplots(figsize=(4, 3), dpi=50, layout="constrained")
    ax.plot([1, 2, 3], [1, 10, 100], label="sgd")
    ax.set(yscale="log", title="title", xlabel="x")
    ax.legend()
    drawn = []
    fig.canvas.mpl_connect("draw_event", drawn.append)
    small = Image.open(io.BytesIO(plots.compact_png(fig)))
    assert len(drawn) == 1 and small.size == (200, 150)  # figsize * dpi
    full = io.BytesIO()
    fig.savefig(full, format="png", dpi=50)  # the whole figure, through matplotlib's own path
    large = Image.open(full)
    assert large.size == small.size
    difference = np.abs(
        np.asarray(small.convert("RGB"), float) - np.asarray(large.convert("RGB"), float)
    )
    assert difference.mean() < 2


def test_use_style_makes_a_jupyter_kernel_store_figures_as_compact_png(monkeypatch):
    import IPython
    from IPython.core.formatters import PNGFormatter
    from matplotlib.figure import Figure

    png = PNGFormatter()
    shell = type("Shell", (), {})()
    shell.display_formatter = type("Display", (), {"formatters": {"image/png": png}})()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    loaded = []  # the backend is loaded first, so that its own PNG printer cannot replace ours
    monkeypatch.setattr(plt, "switch_backend", loaded.append)
    with matplotlib.rc_context():
        plots.use_style()
    assert png.lookup_by_type(Figure) is plots._notebook_png
    assert loaded == [plt.get_backend()]


def test_compact_png_skips_empty_figures_and_rejects_non_figures():
    assert plots.compact_png(plt.figure()) is None
    with pytest.raises(TypeError, match="fig"):
        plots.compact_png("figure")


class Bowl:
    """A surface-like object with only a value method."""

    def value(self, p):
        return (np.asarray(p) ** 2).sum(axis=-1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"surface": Bowl()}, ValueError, "xlim"),
        ({"surface": Bowl(), "xlim": (1, -1), "ylim": (0, 1)}, ValueError, "xlim"),
        ({"surface": object(), "xlim": (0, 1), "ylim": (0, 1)}, TypeError, "surface"),
        ({"surface": Saddle(), "paths": {"gd": np.ones((4, 3))}}, ValueError, "paths\\['gd'\\]"),
        ({"surface": Saddle(), "paths": {"gd": np.ones(4)}}, ValueError, "paths\\['gd'\\]"),
        ({"surface": Saddle(), "paths": [np.ones((4, 2))]}, TypeError, "paths"),
        ({"surface": Saddle(), "levels": 1}, ValueError, "levels"),
        ({"surface": Saddle(), "colorbar_label": 1}, TypeError, "colorbar_label"),
        ({"surface": Saddle(), "ax": "axes"}, TypeError, "ax"),
    ],
)
def test_contour_with_paths_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.contour_with_paths(**kwargs)


@pytest.mark.parametrize("logy", [False, True])
def test_loss_curves_draws_one_labelled_line_per_curve(logy):
    curves = {"train": [2.0, 1.0, 0.5, 0.3], "val": np.array([2.1, 1.3, 0.9]), "sgd": [1.0, 0.1]}
    ax = plots.loss_curves(curves, logy=logy, xlabel="step", ylabel="cross-entropy")
    assert len(ax.lines) == 3
    assert legend_texts(ax) == list(curves)
    for line, values in zip(ax.lines, curves.values(), strict=True):
        np.testing.assert_array_equal(line.get_ydata(), values)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(values)))
    assert ax.get_yscale() == ("log" if logy else "linear")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "cross-entropy")
    assert ax.get_title()


def test_loss_curves_rejects_bad_input():
    with pytest.raises(TypeError, match="curves"):
        plots.loss_curves([[1.0, 2.0]])
    with pytest.raises(ValueError, match="curves\\['train'\\]"):
        plots.loss_curves({"train": [[1.0], [2.0]]})


def test_history_curves_draws_training_loss_and_validation_accuracy_per_run():
    from course_lib.training import History

    runs = {
        "a": History(
            train_loss=[2.0, 1.0, 0.5], val_loss=[2.1, 1.2, 0.9], val_accuracy=[0.3, 0.6, 0.8]
        ),
        "b": History(train_loss=[2.0, float("nan")], val_loss=[2.2, 3.0], val_accuracy=[0.2, 0.1]),
    }
    left, right = plots.history_curves(runs, title="digits")
    assert left.figure is right.figure
    assert left.get_yscale() == "log" and right.get_yscale() == "linear"
    assert legend_texts(left) == legend_texts(right) == ["a", "b"]
    np.testing.assert_array_equal(left.lines[0].get_ydata(), runs["a"].train_loss)
    np.testing.assert_array_equal(right.lines[1].get_ydata(), runs["b"].val_accuracy)
    assert right.get_ylabel() == "validation accuracy" and left.get_title().startswith("digits")


def test_history_curves_falls_back_to_validation_loss_without_accuracy():
    from course_lib.training import History

    _, right = plots.history_curves({"mse": History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.7])})
    assert right.get_ylabel() == "validation loss"
    np.testing.assert_array_equal(right.lines[0].get_ydata(), [1.1, 0.7])


def test_history_curves_rejects_bad_input():
    with pytest.raises(TypeError, match="histories"):
        plots.history_curves([1.0])
    with pytest.raises(TypeError, match="histories\\['a'\\]"):
        plots.history_curves({"a": [1.0, 0.5]})


def test_lr_curves_evaluates_each_schedule_at_every_step():
    schedules = {"constant": lambda k: 0.1, "decay": lambda k: 0.1 * 0.9**k}
    ax = plots.lr_curves(schedules, steps=20)
    assert len(ax.lines) == 2
    assert legend_texts(ax) == ["constant", "decay"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.1 * 0.9**k for k in range(20)])
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"


@pytest.mark.parametrize(
    ("schedules", "steps", "error", "match"),
    [
        ({"a": lambda k: 0.1}, 0, ValueError, "steps"),
        ({"a": lambda k: 0.1}, 2.5, TypeError, "steps"),
        ({"a": 0.1}, 5, TypeError, "schedules\\['a'\\]"),
        ({"a": lambda k: float("nan")}, 5, ValueError, "schedules\\['a'\\]"),
    ],
)
def test_lr_curves_rejects_bad_input(schedules, steps, error, match):
    with pytest.raises(error, match=match):
        plots.lr_curves(schedules, steps)


def test_eigenvalue_spectrum_sorts_and_colours_by_sign_with_a_tolerance_band():
    eigenvalues = [3.0, -1.0, 2e-9, 5.0, -0.5, 0.0]
    ax = plots.eigenvalue_spectrum(eigenvalues, tol=1e-6)
    assert len(ax.containers) == 3  # positive, negative, ~zero
    points = np.concatenate([c.markerline.get_xydata() for c in ax.containers])
    points = points[np.argsort(points[:, 0])]
    np.testing.assert_array_equal(points[:, 0], np.arange(len(eigenvalues)))
    np.testing.assert_allclose(points[:, 1], np.sort(eigenvalues))
    heights = {label: c.markerline.get_ydata() for c in ax.containers for label in [c.get_label()]}
    np.testing.assert_allclose(heights["≈ 0"], [0.0, 2e-9])
    np.testing.assert_allclose(heights["negative"], [-1.0, -0.5])
    assert sorted(legend_texts(ax)) == sorted(["positive", "negative", "≈ 0", "|λ| ≤ 1e-06"])
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_eigenvalue_spectrum_without_tol_has_no_band():
    ax = plots.eigenvalue_spectrum(np.array([1.0, 2.0]))
    assert legend_texts(ax) == ["positive"]
    assert len(ax.containers) == 1


@pytest.mark.parametrize(
    ("eigenvalues", "tol", "error", "match"),
    [
        ([1.0, np.nan], None, ValueError, "eigenvalues"),
        ([], None, ValueError, "eigenvalues"),
        ([[1.0]], None, ValueError, "eigenvalues"),
        ([1.0], -1.0, ValueError, "tol"),
    ],
)
def test_eigenvalue_spectrum_rejects_bad_input(eigenvalues, tol, error, match):
    with pytest.raises(error, match=match):
        plots.eigenvalue_spectrum(eigenvalues, tol=tol)


def three_class_predict(P: np.ndarray) -> np.ndarray:
    return (P[:, 0] > 0).astype(int) + (P[:, 1] > 1).astype(int)


def test_decision_boundary_shades_regions_and_scatters_each_class():
    X = np.random.default_rng(0).uniform(-2, 2, size=(60, 2))
    y = three_class_predict(X)
    ax = plots.decision_boundary(three_class_predict, X, y, resolution=50)
    assert len(ax.collections) == 1 + 3  # filled regions + one scatter per class
    assert legend_texts(ax) == ["class 0", "class 1", "class 2"]
    scattered = np.concatenate([c.get_offsets() for c in ax.collections[1:]])
    assert scattered.shape == X.shape
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@pytest.mark.parametrize(
    ("predict", "X", "y", "error", "match"),
    [
        (three_class_predict, np.ones((5, 3)), np.zeros(5, int), ValueError, "X"),
        (three_class_predict, np.ones((5, 2)), np.zeros(5), ValueError, "y"),
        (three_class_predict, np.ones((5, 2)), np.zeros(4, int), ValueError, "y"),
        (lambda P: P, np.ones((5, 2)), np.zeros(5, int), ValueError, "predict"),
        ("predict", np.ones((5, 2)), np.zeros(5, int), TypeError, "predict"),
    ],
)
def test_decision_boundary_rejects_bad_input(predict, X, y, error, match):
    with pytest.raises(error, match=match):
        plots.decision_boundary(predict, X, y)


def test_computational_graph_draws_one_patch_per_box_circle_and_arrow():
    boxes = [(0.0, 0.5, "a"), (0.0, -0.5, "b"), (3.0, 0.0, "a+b")]
    circles = [(1.5, 0.0, "+")]
    arrows = [
        (0.0, 0.5, 1.5, 0.0, "box->op"),
        (0.0, -0.5, 1.5, 0.0, "box->op"),
        (1.5, 0.0, 3.0, 0.0, "op->box"),
    ]
    ax = plots.computational_graph(boxes, circles, arrows)
    assert len(ax.patches) == len(boxes) + len(circles) + len(arrows)
    assert [t.get_text() for t in ax.texts if t.get_gid() == "value"] == ["a", "b", "a+b"]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "op"] == ["+"]


def test_computational_graph_rejects_bad_input():
    with pytest.raises(ValueError, match="boxes"):
        plots.computational_graph([], [], [])
    with pytest.raises(ValueError, match="arrow kind"):
        plots.computational_graph([(0.0, 0.0, "a")], [], [(0, 0, 1, 1, "sideways")])
