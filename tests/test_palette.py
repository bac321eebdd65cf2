"""Every figure takes its colours from ``course_lib.plots``: no colour literal in a notebook.

Lecture 17's review found the same optimizer drawn in three colours across lectures 03 and
04. The palette (``plots.PALETTE``, ``plots.color``, ``plots.color_of``, ``plots.shades``)
fixes one colour per method and role; this test fails when a notebook's code passes a
colour by hand, so the drift cannot come back.
"""

from __future__ import annotations

import re

import jupytext
import pytest

from course_lib import plots
from tests.notebook_files import executed_notebooks, notebook_id

# A colour written out: a named tab: colour, a hex colour, a colour keyword argument given a
# string, or a matplotlib format string that starts with a colour letter ("r--", "k:").
COLOUR_LITERAL = re.compile(
    r"""(?x)
    ["']tab:[a-z]+["']
  | ["']\#[0-9a-fA-F]{3,8}["']
  | \b(?:color|colors|c|facecolor|edgecolor|markerfacecolor|markeredgecolor|mfc|mec)
      \s*=\s*["'](?!none["'])[^"']+["']
  | \.(?:plot|semilogy|loglog|semilogx)\([^()]*,\s*["'][rgbcmykw](?:--|-\.|-|:|\.|o|\*|s|\^)?["']
    """
)


def colour_literals(source: str) -> list[str]:
    """The lines of ``source`` that write a colour out instead of asking the palette."""
    return [line.strip() for line in source.splitlines() if COLOUR_LITERAL.search(line)]


@pytest.mark.parametrize(
    "line",
    [
        'ax.plot(x, y, color="tab:red")',
        "ax.axhline(0, color='gray')",
        'ax.scatter(x, y, c="#1f77b4")',
        'ax.plot(x, y, "r--", label="theory")',
        'ax.fill_between(x, a, b, facecolor="lightblue")',
    ],
)
def test_the_scan_catches_a_hand_picked_colour(line):
    assert colour_literals(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        'ax.plot(x, y, color=plots.color("adam"))',
        'ax.plot(x, y, color=color_of(name, i), label="SGD")',
        'ax.plot(*p, "o", color=c, markerfacecolor="none")',
        'ax.plot(x, y, "o-", label="run")',
        'print("colour: red")',
    ],
)
def test_the_scan_passes_palette_colours(line):
    assert colour_literals(line) == []


@pytest.mark.parametrize("path", executed_notebooks(), ids=notebook_id)
def test_no_notebook_passes_a_colour_by_hand(path):
    notebook = jupytext.read(path)
    found = [
        f"cell {i}: {line}"
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for line in colour_literals(cell.source)
    ]
    assert not found, "take colours from course_lib.plots (color, color_of, shades):\n" + "\n".join(
        found
    )


def test_every_palette_key_is_a_colour_matplotlib_knows():
    from matplotlib.colors import is_color_like

    assert all(is_color_like(value) for value in plots.PALETTE.values())


def test_methods_shown_together_get_different_colours():
    groups = [
        ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"),
        ("constant", "warm-up", "cosine", "step decay", "transformer"),
        ("cross-entropy", "mse", "hinge"),
        ("train", "validation", "test"),
        ("bn", "no bn"),
        ("positive", "negative", "zero"),
    ]
    for group in groups:
        colours = [plots.color(key) for key in group]
        assert len(set(colours)) == len(colours), group


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Adam, lr 0.1", "adam"),
        ("AdamW (wd 0.01)", "adamw"),
        ("adam", "adam"),
        ("no BN, lr 1.0", "no bn"),
        ("BN lr 1.0", "bn"),
        ("SGD + momentum", "sgd"),
        ("momentum 0.9", "momentum"),
    ],
)
def test_color_of_matches_the_longest_key_at_a_word_boundary(label, key):
    assert plots.color_of(label) == plots.PALETTE[key]


def test_color_of_falls_back_to_series_colours_in_order():
    first, second = plots.color_of("seed 0", 0), plots.color_of("seed 1", 1)
    assert first != second
    assert plots.color_of("seed 0", 0) == first  # deterministic
    assert plots.color_of("Adamant", 1) == second  # "adam" must end at a word boundary


def test_color_rejects_unknown_names_and_non_strings():
    with pytest.raises(ValueError, match="name 'lion' is not in the palette"):
        plots.color("lion")
    with pytest.raises(TypeError, match="name must be a str"):
        plots.color(3)
    with pytest.raises(TypeError, match="label must be a str"):
        plots.color_of(None)


def test_shades_are_distinct_and_ordered():
    colours = plots.shades(4)
    assert len(colours) == 4 and len(set(colours)) == 4
    with pytest.raises(ValueError, match="n"):
        plots.shades(0)
