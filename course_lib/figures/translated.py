"""A figure drawn in another language: its labels swapped for one rendering, then put back.

``course_lib.plots`` renders every notebook figure inside :func:`translated`, so lecture code
builds its figures with English labels in every edition::

    with translated(fig, "zh") as untranslated:
        fig.savefig(buffer, format="png")   # titles, axes, legends ... in Chinese
    untranslated                            # English labels that had no catalogue entry

Every text of the figure is looked up in the language's catalogue (titles, axis and colour-bar
labels, legend entries and titles, suptitles, annotations, tables); tick labels are
translated as matplotlib formats them, so word ticks follow too while numbers stay as they
are. Translated texts get the shipped CJK font as a fallback for the characters the course's
font lacks (for a label with a formula, the words in the shipped font and the formula as
usual). Afterwards the figure is as it was, so code that reads a label back gets English.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter

from course_lib.figures import catalogue, font
from course_lib.language import source_language


class _TranslatedTicks(Formatter):
    """A tick formatter whose labels are another formatter's, translated."""

    def __init__(self, inner: Formatter, translate: catalogue.Catalogue, missing: list[str]):
        self.inner, self.catalogue, self.missing = inner, translate, missing

    def _translate(self, label: str) -> str:
        result = self.catalogue.translate(label)
        self.missing.extend(m for m in result.missing if m not in self.missing)
        return result.text

    def __call__(self, x, pos=None):
        return self._translate(self.inner(x, pos))

    def format_ticks(self, values):
        return [self._translate(label) for label in self.inner.format_ticks(values)]

    def set_locs(self, locs):
        self.inner.set_locs(locs)

    def get_offset(self):
        return self.inner.get_offset()

    def set_axis(self, axis):
        self.inner.set_axis(axis)


def _axes_of(fig: Figure) -> list[Axis]:
    return [axis for ax in fig.get_axes() for axis in ax._axis_map.values()]


def _tick_texts(axes: list[Axis]) -> set[int]:
    """ids of the tick labels' Text objects (their text comes from the formatters)."""
    ticks = [tick for axis in axes for tick in (*axis.majorTicks, *axis.minorTicks)]
    return {id(text) for tick in ticks for text in (tick.label1, tick.label2)}


def _with_font(text: str, families: list[str], family: str) -> list[str]:
    """The family list that draws ``text``: the course's font with the shipped one as the
    fallback, or, for a label with a formula, the shipped one first (matplotlib sets the
    words around a formula in one font, the first of the list, without falling back)."""
    return [family, *families] if "$" in text else [*families, family]


@contextmanager
def translated(fig: Figure, language: str) -> Iterator[list[str]]:
    """Show ``fig`` in ``language`` until the ``with`` block ends.

    Args:
        fig: a matplotlib Figure.
        language: a course language code (``"zh"``); the source language changes nothing.

    Yields:
        the list of English labels without a translation, filled as the figure is drawn
        (complete once the block has rendered the figure), each once.

    Raises:
        TypeError: ``fig`` is not a Figure.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    missing: list[str] = []
    if language == source_language():
        yield missing
        return
    labels = catalogue.load(language)
    family = font.register()
    axes = _axes_of(fig)
    ticks = _tick_texts(axes)
    texts = [t for t in fig.findobj(Text) if id(t) not in ticks]
    saved_texts = [(t, t.get_text(), t.get_fontfamily()) for t in texts]
    saved_formatters = [(axis, axis.major.formatter, axis.minor.formatter) for axis in axes]
    try:
        for text, english, _ in saved_texts:
            result = labels.translate(english)
            missing.extend(m for m in result.missing if m not in missing)
            if result.text != english:
                text.set_text(result.text)
        for text, _, families in saved_texts:
            text.set_fontfamily(_with_font(text.get_text(), families, family))
        for axis, major, minor in saved_formatters:
            axis.major.formatter = _TranslatedTicks(major, labels, missing)
            axis.minor.formatter = _TranslatedTicks(minor, labels, missing)
        for axis in axes:
            for tick in (*axis.majorTicks, *axis.minorTicks):
                for text in (tick.label1, tick.label2):
                    text.set_fontfamily([*text.get_fontfamily(), family])
        yield missing
    finally:
        for text, english, families in saved_texts:
            text.set_text(english)
            text.set_fontfamily(families)
        for axis, major, minor in saved_formatters:
            axis.major.formatter, axis.minor.formatter = major, minor
