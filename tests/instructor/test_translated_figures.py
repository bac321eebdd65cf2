"""The Chinese edition's figures: drawn in Chinese by `translate build`, every label
translated, redrawn only when what they were drawn from changes
(course_tools/translation/figures.py, course_lib/figures/)."""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_tools.timing import run
from course_tools.translation import edition, figures
from tests.notebook_files import ROOT

LECTURES = [
    s for s in edition.sources(ROOT, "zh") if s.is_notebook and s.english.parts[0] == "notebooks"
]


@pytest.mark.parametrize("source", LECTURES, ids=lambda s: s.english.stem)
def test_every_figure_of_a_chinese_lecture_is_drawn_again_from_the_current_english(source):
    english = nbformat.read(ROOT / source.english, as_version=4)
    chinese = nbformat.read(ROOT / source.output, as_version=4)
    chinese.cells = [  # the language cell (set_language) is the Chinese edition's own
        c for c in chinese.cells if edition.LANGUAGE_TAG not in c.metadata.get("tags", [])
    ]
    places = figures._images(english)
    assert places, "every lecture has figures"
    assert figures._images(chinese) == places
    assert chinese.metadata.course_edition[figures.STAMP] == figures.stamp(english)
    for i, j in places:
        drawn = chinese.cells[i].outputs[j].data[figures.PNG]
        assert drawn != english.cells[i].outputs[j].data[figures.PNG], f"cell {i}: English"


def test_every_label_the_chinese_notebooks_drew_has_a_translation():
    missing = edition.untranslated_labels(ROOT, "zh")
    assert not missing, (
        "add them to course_lib/figures/zh.toml (python -m course_tools translate figures), "
        f"then run translate build: {missing[:10]}"
    )


def _notebook(*pngs_per_cell: list[str]) -> nbformat.NotebookNode:
    cells = []
    for pngs in pngs_per_cell:
        cell = new_code_cell("plot()")
        cell.outputs = [new_output("stream", name="stdout", text="printed\n")] + [
            new_output("display_data", data={figures.PNG: png, "text/plain": "<Figure>"})
            for png in pngs
        ]
        cells.append(cell)
    return new_notebook(cells=cells)


def test_stored_figures_are_reused_while_current_and_stale_once_the_english_changes(tmp_path):
    english = _notebook(["en-a", "en-b"], [], ["en-c"])
    stored = _notebook(["zh-a", "zh-b"], [], ["zh-c"])
    stored.metadata["course_edition"] = {figures.STAMP: figures.stamp(english)}
    drawn = figures.draw(copy.deepcopy(english), english, stored, tmp_path, "zh", execute=False)
    assert [o.data[figures.PNG] for c in drawn.cells for o in c.outputs if "data" in o] == [
        "zh-a",
        "zh-b",
        "zh-c",
    ]
    assert drawn.cells[0].outputs[0].text == "printed\n"
    assert drawn.metadata.course_edition[figures.STAMP] == figures.stamp(english)

    changed = _notebook(["en-a", "en-b2"], [], ["en-c"])
    assert figures.stamp(changed) != figures.stamp(english)
    stale = figures.draw(copy.deepcopy(changed), changed, stored, tmp_path, "zh", execute=False)
    assert figures.STAMP not in stale.metadata.get("course_edition", {})
    assert stale.cells[0].outputs[2].data[figures.PNG] == "en-b2"


def test_a_cell_that_drew_another_number_of_figures_is_a_clear_error():
    with pytest.raises(ValueError, match=r"cells \[0\] drew a different number of figures"):
        figures._transplant(_notebook(["a", "b"]), _notebook(["a"]))


@pytest.fixture(scope="module")
def drawn_in_chinese(tmp_path_factory):
    """A small notebook executed in English, then drawn in Chinese as `build` does."""
    folder = tmp_path_factory.mktemp("figures")
    code = (
        "import matplotlib.pyplot as plt\nfrom course_lib import plots\nplots.use_style()\n"
        "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0], label='Adam, lr 0.1')\n"
        "ax.set(title='training curves', xlabel='zebra crossing', ylabel='loss')\n"
        "ax.legend()\nprint('drawn')\nplt.show()"
    )
    english = run(new_notebook(cells=[new_code_cell(code)]), folder)
    chinese = figures.draw(copy.deepcopy(english), english, None, folder, "zh")
    return english, chinese


def test_build_draws_the_figures_in_the_notebooks_language_and_keeps_the_text(
    drawn_in_chinese,
):
    english, chinese = drawn_in_chinese
    (i, j), *_ = figures._images(english)
    en_output, zh_output = english.cells[i].outputs[j], chinese.cells[i].outputs[j]
    assert zh_output.data[figures.PNG] != en_output.data[figures.PNG]
    assert zh_output.metadata[figures.PNG] == {"untranslated": ["zebra crossing"]}
    assert figures.untranslated(chinese) == [(0, "zebra crossing")]
    assert [o for o in chinese.cells[0].outputs if "text" in o] == [
        o for o in english.cells[0].outputs if "text" in o
    ]
    assert chinese.metadata.course_edition[figures.STAMP] == figures.stamp(english)
