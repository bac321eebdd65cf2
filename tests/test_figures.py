"""Figures in the reader's language (course_lib.figures): the catalogue, the swap of a
figure's labels while it is drawn, and the shipped CJK font."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager

from course_lib import plots
from course_lib.figures import catalogue, font
from course_lib.figures.translated import translated
from course_lib.language import set_language

SMALL = catalogue.parse(
    """
keep = ["Adam"]
[labels]
"loss" = "损失"
"epoch" = "轮次"
"lr {}" = "学习率 {}"
"{}, lr {}" = "{}，学习率 {}"
"momentum {}" = "动量 {}"
"slow" = "慢"
"{} (standardized)" = "{}（标准化后）"
"""
)


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")
    plt.close("all")


def test_a_label_is_translated_by_its_entry_or_by_a_pattern_that_keeps_its_numbers():
    assert SMALL.translate("loss").text == "损失"
    assert SMALL.translate("  loss ").text == "  损失 "
    assert SMALL.translate("lr 0.041").text == "学习率 0.041"
    assert SMALL.translate("loss\nepoch").text == "损失\n轮次"


def test_the_text_a_placeholder_stands_for_is_translated_by_its_own_entry():
    assert SMALL.translate("momentum 0.9, lr 0.035").text == "动量 0.9，学习率 0.035"
    assert SMALL.translate("Adam, lr 1e-3").text == "Adam，学习率 1e-3"
    result = SMALL.translate("zebra, lr 2")
    assert result.text == "zebra，学习率 2"
    assert result.missing == ("zebra",)


def test_numbers_formulas_letters_and_kept_words_need_no_translation():
    for label in ["0.5", "$\\eta \\lambda$", "x", "f(x, y)", "Adam", "|g| = 1", "κ = 50"]:
        assert not SMALL.needs_translation(label), label
        assert SMALL.translate(label) == catalogue.Translation(label)
    assert SMALL.needs_translation("Adam wins")
    assert SMALL.translate("$x_1$ (standardized)").text == "$x_1$（标准化后）"


def test_a_label_without_an_entry_stays_english_and_is_reported():
    assert SMALL.translate("validation accuracy") == catalogue.Translation(
        "validation accuracy", ("validation accuracy",)
    )


def test_a_bad_catalogue_is_a_clear_error():
    with pytest.raises(ValueError, match="has 1 '\\{\\}' but its translation"):
        catalogue.parse('[labels]\n"lr {}" = "学习率"')
    with pytest.raises(ValueError, match="not valid TOML"):
        catalogue.parse("[labels\n")
    with pytest.raises(ValueError, match="must map to text"):
        catalogue.parse('[labels]\n"loss" = 1')
    with pytest.raises(ValueError, match="language must be a language code"):
        catalogue.load("../zh")
    with pytest.raises(TypeError, match="text must be a str"):
        SMALL.translate(3)


def _figure():
    fig, (ax, bars) = plt.subplots(1, 2)
    contour = ax.contourf(*np.meshgrid(np.arange(3.0), np.arange(3.0)), np.eye(3))
    fig.colorbar(contour, ax=ax, label="loss")
    ax.plot([0, 1], [1, 0], label="Adam, lr 0.1")
    ax.set(title="training curves", xlabel="epoch", ylabel="loss")
    ax.legend()
    ax.annotate("minimum", (1, 0))
    bars.bar(["no warm-up", "warm-up"], [1.0, 2.0])
    bars.set_title("zebra crossing")
    fig.suptitle("learning rate")
    return fig, ax, bars


def _shown(fig):
    fig.canvas.draw()
    return {t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible()}


def test_a_figure_is_drawn_in_chinese_and_then_has_its_english_labels_again():
    fig, ax, bars = _figure()
    english = _shown(fig)
    with translated(fig, "zh") as missing:
        shown = _shown(fig)
    chinese = {"训练曲线", "轮次", "损失", "Adam，学习率 0.1", "最小值", "学习率", "无预热", "预热"}
    assert chinese <= shown
    assert not {"training curves", "epoch", "loss", "no warm-up", "minimum"} & shown
    assert "zebra crossing" in shown
    assert missing == ["zebra crossing"]
    assert _shown(fig) == english
    assert ax.get_title() == "training curves"
    assert [t.get_text() for t in bars.get_xticklabels()] == ["no warm-up", "warm-up"]


def test_the_source_language_changes_nothing():
    fig, _, _ = _figure()
    english = _shown(fig)
    with translated(fig, "en") as missing:
        assert _shown(fig) == english
    assert missing == []


def test_notebook_pngs_follow_the_language_and_list_untranslated_labels():
    fig, _, _ = _figure()
    english = plots.compact_png(fig)
    assert plots._notebook_png(fig) == english
    set_language("zh")
    png, metadata = plots._notebook_png(fig)
    assert png != english
    assert metadata == {"untranslated": ["zebra crossing"]}


def _translations() -> list[str]:
    return [t for t in catalogue.load("zh").labels.values() if t]


def test_every_chinese_label_is_drawn_without_a_missing_glyph():
    labels = _translations()
    fig = plt.figure(figsize=(4, 8), dpi=40)
    for i, label in enumerate(labels):
        fig.text(0.01, i / len(labels), label, fontsize=6)
    with warnings.catch_warnings(record=True) as caught, translated(fig, "zh"):
        warnings.simplefilter("always")
        fig.canvas.draw()
    missing_glyphs = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing_glyphs, missing_glyphs[:5]


def test_every_catalogue_character_is_in_the_shipped_font():
    """Words around a formula come from the first font only: the shipped one must have them;
    elsewhere the course's font (DejaVu Sans) may draw what the shipped one lacks."""
    shipped = font.characters()
    dejavu_path = font_manager.findfont("DejaVu Sans", fallback_to_default=False)
    dejavu = {chr(c) for c in TTFont(dejavu_path).getBestCmap()}
    for label in _translations():
        words = re.sub(r"\$[^$]*\$", "", label).replace("{}", "")
        lacking = set(words) - shipped if "$" in label else set(words) - shipped - dejavu
        assert not lacking, f"{label!r}: run python -m course_tools figure-font ({lacking})"
    chinese = {c for label in _translations() for c in label if ord(c) > 0x2E80}
    assert chinese <= shipped, "regenerate the font: python -m course_tools figure-font"


def test_the_shipped_font_is_small_renamed_and_ships_with_its_licence():
    assert font.FILE.stat().st_size < 400_000
    names = TTFont(str(font.FILE))["name"]
    assert names.getDebugName(1) == font.FAMILY
    for name_id in (1, 3, 4, 6, 16, 17):
        name = names.getDebugName(name_id) or ""
        assert "Noto" not in name and "Source" not in name, (name_id, name)
    licence = (font.FILE.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Reserved Font Name" in licence
    assert font.register() == font.FAMILY
    found = font_manager.findfont(font.FAMILY, fallback_to_default=False)
    assert found == str(font.FILE)
