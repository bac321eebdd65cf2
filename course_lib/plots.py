"""The course's figures in one visual style (used from lecture 01 onwards).

Every function draws into the ``ax`` it is given (or a new figure), sets a title, axis
labels and a legend, and returns the Axes. Nothing here calls ``plt.show()`` or reads a
notebook's variables.

Public names:
    STYLE, use_style: the course's matplotlib settings; notebooks call ``use_style()`` once,
        which also stores a notebook's figures as compact PNGs (see ``compact_png``).
    compact_png: a figure as a PNG of at most 256 colours, a third of the usual size.
    PALETTE, color, color_of, shades: the course's one colour per method and per role;
        every figure takes its colours from here (a test rejects colour literals in the
        notebooks), so Adam is the same colour in lecture 02, 03, 04 and 07.
    contour_with_paths: contours of a 2-D loss surface with optimizer trajectories (02-04).
    loss_curves: loss (or any metric) against epoch or step (03-07).
    history_curves: training loss and validation accuracy of several fit() runs (04, 06).
    lr_curves: learning-rate schedules against the step (04).
    eigenvalue_spectrum: sorted Hessian eigenvalues, coloured by sign (02).
    decision_boundary: a classifier's regions in the plane with the data on top (05-06).
    computational_graph: boxes, operation circles and arrows; used by autograd.draw_graph (01).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from course_lib._validation import as_float_array, check_int, check_real

# A notebook shows a figure at its pixel size, shrunk to the width of the page: a single
# panel of 6.4 in at 110 dpi is 704 px wide and keeps 11 pt text at about 17 px. Wider
# figures are shrunk, so a figure of several panels should stay within about 12 in.
STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.4),
    "figure.dpi": 110,
    "savefig.dpi": "figure",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 11,
    "axes.titlesize": 12.5,
    "axes.labelsize": 11.5,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "legend.fontsize": 10,
    "figure.titlesize": 13,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
}

#: One colour per method or role, the same in every figure of the course. Keys are lower
#: case; a legend label that starts with a key (``"Adam, lr 0.1"``) gets that key's colour.
PALETTE: dict[str, str] = {
    # optimizers (lectures 02-04, 07)
    "gd": "tab:blue",
    "sgd": "tab:blue",
    "momentum": "tab:orange",
    "nesterov": "tab:brown",
    "adagrad": "tab:purple",
    "rmsprop": "tab:olive",
    "adam": "tab:red",
    "adamw": "tab:pink",
    # learning-rate schedules (04)
    "constant": "tab:gray",
    "warm-up": "tab:cyan",
    "no warm-up": "tab:red",
    "cosine": "tab:purple",
    "step decay": "tab:olive",
    "transformer": "tab:brown",
    # normalization (06)
    "bn": "tab:green",
    "no bn": "tab:gray",
    # losses (05)
    "cross-entropy": "tab:blue",
    "mse": "tab:orange",
    "hinge": "tab:purple",
    # data splits (03, 05-07)
    "train": "tab:blue",
    "validation": "tab:orange",
    "test": "tab:green",
    # roles
    "reference": "tab:gray",
    "highlight": "tab:red",
    "minimum": "tab:green",
    "positive": "tab:blue",
    "negative": "tab:red",
    "zero": "tab:gray",
    "axis": "black",
}

# Colours for series that are no method (say, three seeds), in order, after the palette's.
_SERIES = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan")
_CONTOUR = {"cmap": "Greys_r", "linewidths": 0.7, "alpha": 0.55}
_MINIMUM = {
    "marker": "P",
    "color": PALETTE["minimum"],
    "markersize": 9,
    "markeredgecolor": "white",
}
_FRAMED_LEGEND = {"frameon": True, "framealpha": 0.85}
_SCATTER = {"s": 14, "edgecolor": "black", "linewidth": 0.4}


def color(name: str) -> str:
    """The palette's colour for a method or role, e.g. ``color("adam")``.

    Args:
        name: a key of :data:`PALETTE` (case does not matter).

    Raises:
        ValueError: for a name the palette does not know (the message lists the keys).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in PALETTE:
        raise ValueError(f"name {name!r} is not in the palette; known: {', '.join(PALETTE)}")
    return PALETTE[key]


def color_of(label: str, index: int = 0) -> str:
    """The colour of a legend entry: the palette key the label starts with, else a series
    colour chosen by ``index`` (its position among the figure's curves).

    The longest matching key wins and must end at a word boundary, so ``"AdamW (wd
    0.01)"`` is AdamW's colour, ``"Adam, lr 1e-3"`` Adam's and ``"no BN"`` not BN's.

    Args:
        label: the legend text.
        index: the curve's position, used only when no key matches.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    index = check_int(index, "index", low=0)
    text = label.strip().lower()
    for key in sorted(PALETTE, key=len, reverse=True):
        if text.startswith(key) and (len(text) == len(key) or not text[len(key)].isalnum()):
            return PALETTE[key]
    return _SERIES[index % len(_SERIES)]


def shades(n: int, cmap: str = "viridis") -> list:
    """``n`` colours along a sequential colour map, for an ordered series (batch sizes,
    learning rates, seeds): darker is smaller.

    Args:
        n: number of colours (>= 1).
        cmap: a matplotlib colour map name.

    Returns:
        list of n RGBA tuples.
    """
    n = check_int(n, "n", low=1)
    if not isinstance(cmap, str):
        raise TypeError(f"cmap must be a str, got {type(cmap).__name__}")
    return [plt.get_cmap(cmap)(v) for v in np.linspace(0.0, 0.85, n)]


def use_style() -> None:
    """Apply ``STYLE`` to matplotlib's settings (call once in a notebook's setup cell).

    In a Jupyter kernel it also makes the notebook store each figure as ``compact_png``
    renders it, so that a lecture with a dozen figures stays small. Outside IPython only the
    settings change. For a temporary change use ``with matplotlib.rc_context(STYLE): ...``.
    """
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing displays figures
        return
    shell = get_ipython()
    if shell is not None and "image/png" in shell.display_formatter.formatters:
        # Load the backend now: Jupyter's inline backend registers its own PNG printer when
        # it is first imported, which would otherwise happen at the first figure and undo ours.
        plt.switch_backend(plt.get_backend())
        shell.display_formatter.formatters["image/png"].for_type(Figure, _notebook_png)


def _notebook_png(fig: Figure) -> bytes | tuple[bytes, dict] | None:
    """What a notebook stores for a figure: :func:`compact_png`, and when labels had no
    translation in the notebook's language, their list in the output's metadata
    (``{"untranslated": [...]}``, read by ``python -m course_tools translate figures``)."""
    untranslated: list[str] = []
    png = compact_png(fig, untranslated=untranslated)
    return (png, {"untranslated": untranslated}) if png and untranslated else png


def compact_png(fig: Figure, *, untranslated: list[str] | None = None) -> bytes | None:
    """The figure as a PNG with a palette of at most 256 colours, in the notebook's language.

    Rendered like Jupyter's inline backend does (the figure's dpi and colours, cropped to
    the drawn area; a figure with a constrained layout, which fills it, is drawn once and
    kept whole), then reduced to 256 colours without dithering. Line plots and contour
    maps look the same and take about a third of the bytes of a full-colour PNG, because
    their antialiased edges need hundreds of nearly equal shades. When the language
    (``course_lib.language.get_language()``) is not English, the labels are drawn translated
    (``course_lib.figures``); the figure itself keeps its English labels.

    Args:
        fig: a matplotlib Figure.
        untranslated: a list that receives the labels without a translation (optional).

    Returns:
        the PNG file's bytes, or None for a figure with nothing drawn (as Jupyter does).
    """
    from PIL import Image  # a dependency of matplotlib

    from course_lib.figures.translated import translated
    from course_lib.language import get_language

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if untranslated is not None and not isinstance(untranslated, list):
        raise TypeError(f"untranslated must be a list or None, got {type(untranslated).__name__}")
    if not fig.axes and not fig.lines:
        return None
    with translated(fig, get_language()) as missing:
        if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) and hasattr(
            fig.canvas, "buffer_rgba"
        ):
            # The layout already fills the figure, so nothing needs cropping: one draw lays it
            # out and renders it (saving a PNG would take a layout pass, then a second draw).
            fig.canvas.draw()
            image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
        else:
            full = io.BytesIO()
            colours = {"facecolor": fig.get_facecolor(), "edgecolor": fig.get_edgecolor()}
            fig.canvas.print_figure(full, format="png", dpi=fig.dpi, bbox_inches="tight", **colours)
            full.seek(0)
            image = Image.open(full).convert("RGB")
    if untranslated is not None:
        untranslated.extend(missing)
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    compact = io.BytesIO()
    palette.save(compact, format="PNG", optimize=True)
    return compact.getvalue()


def _get_ax(ax: Axes | None) -> Axes:
    if ax is None:
        return plt.subplots()[1]
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _check_mapping(x: Any, name: str) -> Mapping:
    if not isinstance(x, Mapping):
        raise TypeError(f"{name} must be a dict from a name to its data, got {type(x).__name__}")
    return x


def _limits(lim: Any, name: str) -> tuple[float, float]:
    arr = as_float_array(lim, name, ndim=1)
    if arr.shape != (2,) or not arr[0] < arr[1]:
        raise ValueError(f"{name} must be (low, high) with low < high, got {lim!r}")
    return float(arr[0]), float(arr[1])


def _default(lim: Any, surface: Any, attribute: str, name: str) -> Any:
    if lim is not None:
        return lim
    if getattr(surface, attribute, None) is None:
        raise ValueError(f"{name} must be given: the surface has no {attribute}")
    return getattr(surface, attribute)


def _contour_levels(Z: np.ndarray, levels: int, log_levels: bool) -> np.ndarray:
    low, high = float(np.min(Z)), float(np.max(Z))
    span = max(high - low, 1e-12)
    if log_levels:
        # Geometric spacing above the lowest value: many levels in the valley, where the
        # optimizers spend their time, and few on the steep walls.
        return low + np.geomspace(span * 1e-4, span, levels)
    return np.linspace(low, high, levels)


def _distinct_tick_labels(bar: Any) -> None:
    """Relabel a colour bar's ticks with just enough significant digits to tell them apart
    (geometric contour levels crowd near the minimum, where two decimals repeat)."""
    ticks = np.asarray(bar.get_ticks(), dtype=float)
    labels = list(bar.formatter.format_ticks(ticks))
    digits = 2
    while len(set(labels)) < len(labels) and digits <= 8:
        labels = [
            np.format_float_positional(t, precision=digits, fractional=False, trim="-")
            for t in ticks
        ]
        digits += 1
    bar.set_ticks(ticks, labels=labels)


def contour_with_paths(
    surface: Any,
    paths: Mapping[str, np.ndarray] | None = None,
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int = 30,
    log_levels: bool = True,
    colorbar: bool = True,
    colorbar_label: str = "loss",
    ax: Axes | None = None,
) -> Axes:
    """Contour lines of a 2-D surface with optimizer trajectories drawn on top.

    Args:
        surface: anything with ``value(P)`` mapping points of shape (..., 2) to values of
            shape (...), e.g. a ``course_lib.surfaces`` object. Its optional attributes
            ``default_xlim``, ``default_ylim``, ``minimum``, ``name`` and ``axis_labels``
            are used when present.
        paths: dict from a legend name to an array of shape (T, 2), the points visited.
            Each gets a line, a hollow circle at its start and a star at its end, in
            the colour :func:`color_of` gives its name; earlier paths are drawn wider.
        xlim, ylim: (low, high) of the plotted region; default the surface's own.
        levels: number of contour levels (>= 2).
        log_levels: space the levels geometrically above the minimum (good for valleys).
        colorbar: add a colour bar for the contour levels.
        colorbar_label: what the colour bar shows (``"loss"``; say ``"f(x, y)"`` for a
            function that is no loss). Its tick labels keep two significant digits below
            10, so neighbouring levels such as 0.6 and 1.4 are not both printed as "1".
        ax: Axes to draw into; a new figure when None.

    Returns:
        the Axes.
    """
    paths = {} if paths is None else _check_mapping(paths, "paths")
    checked = {}
    for name, path in paths.items():
        arr = as_float_array(path, f"paths[{name!r}]", ndim=2, finite=False)
        if arr.shape[1] != 2 or arr.shape[0] == 0:
            raise ValueError(f"paths[{name!r}] must have shape (T, 2), got {arr.shape}")
        checked[name] = arr
    levels = check_int(levels, "levels", low=2)
    if not isinstance(colorbar_label, str):
        raise TypeError(f"colorbar_label must be a str, got {type(colorbar_label).__name__}")
    if not callable(getattr(surface, "value", None)):
        raise TypeError(f"surface must have a value(p) method, got {type(surface).__name__}")
    xlim = _limits(_default(xlim, surface, "default_xlim", "xlim"), "xlim")
    ylim = _limits(_default(ylim, surface, "default_ylim", "ylim"), "ylim")

    ax = _get_ax(ax)
    X, Y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    Z = np.asarray(surface.value(np.stack([X, Y], axis=-1)), dtype=np.float64)
    if Z.shape != X.shape:
        raise ValueError(f"surface.value returned shape {Z.shape} for points {(*X.shape, 2)}")
    contours = ax.contour(X, Y, Z, levels=_contour_levels(Z, levels, log_levels), **_CONTOUR)
    if colorbar:
        bar = ax.figure.colorbar(contours, ax=ax, label=colorbar_label, shrink=0.85)
        _distinct_tick_labels(bar)
    # Paths drawn first are drawn widest, so a later path lying on top of an earlier one
    # leaves the earlier one visible as a rim around it. Under all of them runs a white band
    # per path (no legend entry) that lifts the paths off dense contour lines.
    widths = np.linspace(3.2, 1.2, max(len(checked), 2))
    for i, path in enumerate(checked.values()):
        ax.plot(path[:, 0], path[:, 1], color="white", lw=widths[i] + 2.0, alpha=0.8, gid="halo")
    for i, (name, path) in enumerate(checked.items()):
        c = color_of(name, i)
        ax.plot(path[:, 0], path[:, 1], color=c, lw=widths[i], marker=".", ms=3, label=name)
        ax.plot(*path[0], "o", color=c, markerfacecolor="none", markersize=8)
        ax.plot(*path[-1], "*", color=c, markersize=11)
    minimum = getattr(surface, "minimum", None)
    if minimum is not None:
        ax.plot(*np.asarray(minimum, dtype=float), linestyle="none", label="minimum", **_MINIMUM)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    xlabel, ylabel = getattr(surface, "axis_labels", ("x", "y"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(getattr(surface, "name", type(surface).__name__))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", **_FRAMED_LEGEND)
    return ax


def loss_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    xlabel: str = "epoch",
    ylabel: str = "loss",
    logy: bool = False,
    title: str = "training curves",
    ax: Axes | None = None,
) -> Axes:
    """One line per curve, against its index 0, 1, 2, ...

    Args:
        curves: dict from a legend name to a sequence of T values (T may differ per
            curve; NaN or inf from a diverging run are allowed and simply not drawn).
        xlabel, ylabel, title: axis labels and title.
        logy: logarithmic y axis.
        ax: Axes to draw into; a new figure when None.

    Returns:
        the Axes.
    """
    curves = _check_mapping(curves, "curves")
    ax = _get_ax(ax)
    for i, (name, values) in enumerate(curves.items()):
        arr = as_float_array(values, f"curves[{name!r}]", ndim=1, finite=False)
        ax.plot(np.arange(arr.size), arr, color=color_of(name, i), label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if curves:
        ax.legend()
    return ax


def history_curves(
    histories: Mapping[str, Any], *, title: str = "training", figsize: tuple = (11, 4)
) -> tuple[Axes, Axes]:
    """Compare runs of ``course_lib.training.fit``: training loss (log scale) on the left,
    validation accuracy on the right (validation loss when a run recorded no accuracy).

    Args:
        histories: dict from a legend name to a ``training.History`` (E epochs each; NaN
            from a diverging run is not drawn).
        title: prefix of both panel titles, e.g. the data set's name.
        figsize: size of the new figure.

    Returns:
        the two Axes (left, right).
    """
    histories = _check_mapping(histories, "histories")
    for name, history in histories.items():
        if not all(hasattr(history, a) for a in ("train_loss", "val_loss", "val_accuracy")):
            raise TypeError(
                f"histories[{name!r}] must be a training.History, got {type(history).__name__}"
            )
    accuracy = all(h.val_accuracy for h in histories.values())
    right = "val_accuracy" if accuracy else "val_loss"
    label = "validation accuracy" if accuracy else "validation loss"
    _, (left_ax, right_ax) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    loss_curves(
        {name: h.train_loss for name, h in histories.items()},
        ylabel="training loss",
        logy=True,
        title=f"{title}: training loss",
        ax=left_ax,
    )
    loss_curves(
        {name: getattr(h, right) for name, h in histories.items()},
        ylabel=label,
        title=f"{title}: {label}",
        ax=right_ax,
    )
    return left_ax, right_ax


def lr_curves(
    schedules: Mapping[str, Callable[[int], float]],
    steps: int,
    *,
    title: str = "learning-rate schedules",
    ax: Axes | None = None,
) -> Axes:
    """The learning rate each schedule returns for steps 0, 1, ..., steps - 1.

    Args:
        schedules: dict from a legend name to a function ``f(step) -> lr`` (e.g. from
            ``course_lib.schedules``).
        steps: number of steps to draw (>= 1).
        title: the title.
        ax: Axes to draw into; a new figure when None.

    Returns:
        the Axes.
    """
    schedules = _check_mapping(schedules, "schedules")
    steps = check_int(steps, "steps", low=1)
    ax = _get_ax(ax)
    for i, (name, schedule) in enumerate(schedules.items()):
        if not callable(schedule):
            raise TypeError(f"schedules[{name!r}] must be callable, got {type(schedule).__name__}")
        lrs = [check_real(schedule(k), f"schedules[{name!r}]({k})") for k in range(steps)]
        ax.plot(np.arange(steps), lrs, color=color_of(name, i), label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(title)
    if schedules:
        ax.legend()
    return ax


def eigenvalue_spectrum(
    eigenvalues: Sequence[float] | np.ndarray,
    *,
    tol: float | None = None,
    title: str = "Hessian eigenvalues",
    ax: Axes | None = None,
) -> Axes:
    """Stem plot of the eigenvalues sorted ascending: positive, negative and ~zero coloured.

    Args:
        eigenvalues: array of shape (n,), e.g. from ``numpy.linalg.eigvalsh(H)``.
        tol: eigenvalues with |λ| <= tol count as zero and a shaded band marks ±tol;
            when None only exact zeros count as zero and no band is drawn.
        title: the title.
        ax: Axes to draw into; a new figure when None.

    Returns:
        the Axes; one stem container per non-empty sign group (a stem shows even an
        eigenvalue of exactly zero, as a dot on the axis).
    """
    lam = np.sort(as_float_array(eigenvalues, "eigenvalues", ndim=1))
    if lam.size == 0:
        raise ValueError("eigenvalues must hold at least one value")
    band = 0.0 if tol is None else check_real(tol, "tol")
    if band < 0:
        raise ValueError(f"tol must be >= 0, got {band:g}")
    ax = _get_ax(ax)
    index = np.arange(lam.size)
    groups = [
        (lam > band, PALETTE["positive"], "positive"),
        (lam < -band, PALETTE["negative"], "negative"),
        (np.abs(lam) <= band, PALETTE["zero"], "≈ 0" if tol is not None else "zero"),
    ]
    for mask, color, label in groups:
        if mask.any():
            stems = ax.stem(index[mask], lam[mask], basefmt=" ", label=label)
            stems.markerline.set_color(color)
            stems.stemlines.set_color(color)
    ax.axhline(0.0, color=PALETTE["axis"], linewidth=0.8)
    if tol is not None:
        ax.axhspan(-band, band, color=PALETTE["zero"], alpha=0.2, label=f"|λ| ≤ {band:g}")
    ax.set_xlabel("index (sorted ascending)")
    ax.set_ylabel("eigenvalue")
    ax.set_title(title)
    ax.legend()
    return ax


def decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    resolution: int = 200,
    title: str = "decision regions",
    ax: Axes | None = None,
) -> Axes:
    """A classifier's predicted class over the plane, with the labelled points on top.

    Args:
        predict: function mapping points of shape (M, 2) to class ids of shape (M,).
        X: inputs of shape (N, 2).
        y: integer class labels of shape (N,).
        resolution: grid points per axis (>= 2).
        title: the title.
        ax: Axes to draw into; a new figure when None.

    Returns:
        the Axes; one scatter collection and legend entry per class present in ``y``.
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer) or y.shape != (X.shape[0],):
        raise ValueError(
            f"y must hold integer labels of shape ({X.shape[0]},), got {y.dtype} of shape {y.shape}"
        )
    if not callable(predict):
        raise TypeError(f"predict must be callable, got {type(predict).__name__}")
    resolution = check_int(resolution, "resolution", low=2)

    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    G1, G2 = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([G1.ravel(), G2.ravel()])
    pred = np.asarray(predict(grid))
    if pred.shape != (grid.shape[0],):
        raise ValueError(
            f"predict must return shape ({grid.shape[0]},) for input {grid.shape}, got {pred.shape}"
        )
    num_classes = int(max(y.max(), pred.max())) + 1
    colors = plt.get_cmap("tab10").colors[:num_classes]

    ax = _get_ax(ax)
    regions = pred.reshape(G1.shape)
    ax.contourf(G1, G2, regions, levels=np.arange(num_classes + 1) - 0.5, colors=colors, alpha=0.25)
    for k in np.unique(y):
        ax.scatter(*X[y == k].T, color=colors[k], label=f"class {k}", **_SCATTER)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(**_FRAMED_LEGEND)
    return ax


# ----- computational graphs (lecture 01) -------------------------------------------------

# Sizes in data units, matched to autograd's layout grid (3 units between layers).
_BOX_WIDTH, _BOX_HEIGHT, _OP_RADIUS = 1.75, 1.0, 0.36
# Inches per data unit when this module makes the figure.
_INCHES_PER_UNIT = 0.5
_BOX = {"boxstyle": "round,pad=0.04", "facecolor": "#e8f0fb", "edgecolor": "#3a6ea5"}
_OP = {"facecolor": "#fdf1dc", "edgecolor": "#b7791f"}
_ARROW = {"arrowstyle": "-|>", "mutation_scale": 9, "color": "#555555", "linewidth": 0.9}


def _unit(dx: float, dy: float) -> np.ndarray:
    v = np.array([dx, dy])
    return v / max(np.hypot(dx, dy), 1e-12)


def computational_graph(
    boxes: Sequence[tuple[float, float, str]],
    circles: Sequence[tuple[float, float, str]],
    arrows: Sequence[tuple[float, float, float, float, str]],
    *,
    ax: Axes | None = None,
) -> Axes:
    """Draw a computational graph from precomputed positions (see ``autograd.graph_layout``).

    Args:
        boxes: ``(x, y, text)`` per value node; drawn as a rounded box with the text.
        circles: ``(x, y, symbol)`` per operation; drawn as a small circle.
        arrows: ``(x0, y0, x1, y1, kind)`` with kind ``"box->op"`` (from a box's right
            edge to a circle's rim) or ``"op->box"`` (from a circle to a box's left edge).
        ax: Axes to draw into; a new figure sized to the graph when None.

    Returns:
        the Axes. Box texts have gid ``"value"`` and circle texts gid ``"op"``.
    """
    if not boxes:
        raise ValueError("boxes must hold at least one node")
    xs = [b[0] for b in boxes]
    ys = [b[1] for b in boxes]
    xlim = (min(xs) - _BOX_WIDTH / 2 - 0.2, max(xs) + _BOX_WIDTH / 2 + 0.2)
    ylim = (min(ys) - _BOX_HEIGHT / 2 - 0.2, max(ys) + _BOX_HEIGHT / 2 + 0.2)
    if ax is None:
        width = (xlim[1] - xlim[0]) * _INCHES_PER_UNIT
        height = (ylim[1] - ylim[0]) * _INCHES_PER_UNIT + 0.5  # room for the title
        ax = plt.subplots(figsize=(width, height), layout="constrained")[1]
    ax = _get_ax(ax)

    for x, y, text in boxes:
        corner = (x - _BOX_WIDTH / 2, y - _BOX_HEIGHT / 2)
        ax.add_patch(FancyBboxPatch(corner, _BOX_WIDTH, _BOX_HEIGHT, **_BOX))
        ax.text(x, y, text, ha="center", va="center", fontsize=8, gid="value")
    for x, y, symbol in circles:
        ax.add_patch(Circle((x, y), _OP_RADIUS, **_OP))
        ax.text(x, y, symbol, ha="center", va="center", fontsize=8, gid="op")
    for x0, y0, x1, y1, kind in arrows:
        direction = _unit(x1 - x0, y1 - y0)
        if kind == "box->op":
            start, end = (x0 + _BOX_WIDTH / 2, y0), np.array([x1, y1]) - _OP_RADIUS * direction
        elif kind == "op->box":
            start, end = np.array([x0, y0]) + _OP_RADIUS * direction, (x1 - _BOX_WIDTH / 2, y1)
        else:
            raise ValueError(f"arrow kind must be 'box->op' or 'op->box', got {kind!r}")
        ax.add_patch(FancyArrowPatch(start, end, shrinkA=0, shrinkB=0, **_ARROW))
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
