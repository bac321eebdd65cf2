"""The font the translated figures are drawn in, shipped with the library.

``course-sans-sc.otf`` is a subset of Noto Sans CJK SC (SIL Open Font License 1.1, see
``OFL.txt`` beside it) holding ASCII and the characters of the catalogues' translations, renamed
"Course Sans SC" as the licence asks of a modified font. The instructor regenerates it after
the catalogue changes: ``python -m course_tools figure-font SOURCE.ttc`` (``tests/test_figures.py``
fails while a catalogue character is missing from it).

Matplotlib draws each character in the first font of a text's family list that has it, so a
label's Latin letters and digits stay in the course's usual font and only the Chinese
characters come from this one.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib import font_manager

#: The shipped font file and the family name it declares.
FILE = Path(__file__).resolve().parent / "course-sans-sc.otf"
FAMILY = "Course Sans SC"

_registered: list[str] = []


def register() -> str:
    """Add the shipped font to matplotlib's font manager (once per process); its family name.

    Raises:
        FileNotFoundError: the font file is missing from the installed library.
    """
    if not _registered:
        if not FILE.is_file():
            raise FileNotFoundError(f"{FILE} is missing: reinstall course_lib")
        font_manager.fontManager.addfont(str(FILE))
        _registered.append(FAMILY)
    return FAMILY


def characters() -> set[str]:
    """Every character the shipped font has a glyph for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FILE), lazy=True) as font:
        return {chr(code) for code in font.getBestCmap()}
