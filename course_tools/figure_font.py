"""``python -m course_tools figure-font SOURCE [--face N]``: regenerate the figures' CJK font.

The translated figures draw their Chinese characters in ``course_lib/figures/course-sans-sc.otf``,
a subset of Noto Sans CJK SC Regular (SIL Open Font License 1.1) holding printable ASCII and
every character of the figure catalogues' translations. Run this after adding catalogue
entries with new characters (``tests/test_figures.py`` fails until then). SOURCE is the
original font, for instance Debian's package ``fonts-noto-cjk``:
``/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc`` (face 2 is Simplified Chinese)
or the upstream ``NotoSansCJKsc-Regular.otf``.

The OFL lets a modified font be shipped under another name only: the subset is renamed
"Course Sans SC" (no Reserved Font Name in it) and ships with the licence, ``OFL.txt``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from course_lib.figures import catalogue, font

#: Punctuation a translated label may gain around a number or a name.
EXTRA = "（），：；、。·–—−×≈≤≥→←"
#: The names of the family in the subset (name table id -> text).
NAMES = {
    1: font.FAMILY,
    2: "Regular",
    4: f"{font.FAMILY} Regular",
    6: font.FAMILY.replace(" ", "") + "-Regular",
}
#: Name records a renamed font must not keep (typographic and WWS family names, which still
#: name the original).
DROPPED_NAMES = (16, 17, 21, 22)


def wanted_characters() -> str:
    """Printable ASCII, ``EXTRA`` and every character of every catalogue's translations."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | set(EXTRA)
    for path in sorted(catalogue.FOLDER.glob("*.toml")):
        labels = catalogue.parse(path.read_text(encoding="utf-8"), path.name).labels
        for translated in labels.values():
            chars |= set(translated.replace(catalogue.PLACEHOLDER, ""))
    return "".join(sorted(chars))


def subset(source: Path, face: int, out: Path) -> tuple[int, int]:
    """Write the renamed subset of ``source`` (face ``face`` of a collection) to ``out``.

    Returns:
        (characters the subset has glyphs for, the wanted characters ``source`` lacks: those
        are drawn in the course's usual font, DejaVu Sans, or nowhere -- the test says).
    """
    from fontTools import subset as fontsubset
    from fontTools.ttLib import TTFont

    source_font = TTFont(str(source), fontNumber=face)
    cmap = source_font.getBestCmap()
    text = "".join(c for c in wanted_characters() if ord(c) in cmap)
    lacking = "".join(c for c in wanted_characters() if ord(c) not in cmap)
    options = fontsubset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = fontsubset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(source_font)
    _rename(source_font)
    source_font.save(str(out))
    return len(TTFont(str(out)).getBestCmap()), lacking


def _rename(ttfont) -> None:
    """Give the subset its own family name everywhere a name is stored."""
    table = ttfont["name"]
    table.names = [n for n in table.names if n.nameID not in DROPPED_NAMES]
    for name_id, text in {**NAMES, 3: f"{NAMES[6]}; subset"}.items():
        table.removeNames(nameID=name_id)
        table.setName(text, name_id, 3, 1, 0x409)
        table.setName(text, name_id, 1, 0, 0)
    if "CFF " in ttfont:
        cff = ttfont["CFF "].cff
        cff.fontNames = [NAMES[6]]
        top = cff.topDictIndex[0]
        for attribute, value in (("FullName", NAMES[4]), ("FamilyName", NAMES[1])):
            if hasattr(top, attribute):
                setattr(top, attribute, value)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools figure-font", description=__doc__)
    parser.add_argument("source", type=Path, help="Noto Sans CJK SC (.otf) or Noto Sans CJK (.ttc)")
    parser.add_argument("--face", type=int, default=None, help="face of a .ttc (default: SC)")
    parser.add_argument("--out", type=Path, default=font.FILE)
    args = parser.parse_args(argv[1:] if argv[:1] == ["figure-font"] else argv)
    face = args.face if args.face is not None else _simplified_chinese_face(args.source)
    has, lacking = subset(args.source, face, args.out)
    print(f"wrote {args.out}: {has} characters, {args.out.stat().st_size} bytes")
    if lacking:
        print(f"not in {args.source.name} (left to the course's usual font): {lacking}")
    return 0


def _simplified_chinese_face(source: Path) -> int:
    """The face of a collection whose family ends in "SC"; 0 for a single font."""
    if source.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    for index, face in enumerate(TTCollection(str(source)).fonts):
        if face["name"].getDebugName(1).endswith(" SC"):
            return index
    raise ValueError(f"{source} has no face whose family ends in 'SC'; give --face")
