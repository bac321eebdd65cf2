"""Figures in the reader's language: the labels of a figure translated as it is drawn.

The lecture code is the same in every edition: a figure is built with English labels and,
when the notebook's language (:mod:`course_lib.language`) is not the course's source
language, each label is looked up in that language's catalogue (``figures/<code>.toml``) just
before the figure is rendered, then put back. The font for the translated labels ships with
the library (``figures/font.py``), so no font needs installing.

Modules:
    catalogue: the English -> translated labels of one language, with patterns for labels
        that hold a number (``"batch size {}"``).
    font: the shipped CJK font, registered with matplotlib when a translated figure is drawn.
    translated: ``translated(fig, language)``, the context manager that swaps a figure's
        labels for the duration of one rendering and lists those without a translation.
"""
