"""The translated edition's figures: drawn once, by executing the translated notebook.

A translated notebook is the English one with its markdown translated; its code and text
outputs are the English ones. Its figures are drawn again in its language: ``build``
executes the translated notebook with ``COURSE_LANGUAGE`` set (the notebook's own language
cell, where it has one, says the same) and keeps only the PNGs of that run, output by output;
every other output stays the English one, so the editions' text outputs are equal by
construction. The notebook's metadata records a stamp of what its figures were drawn from
(the English code and figures, and ``course_lib/figures``: catalogues, font, translating
code); while the stamp is current, ``build`` reuses the stored figures instead of executing.

A figure label without a catalogue entry stays English and is listed in its output's
metadata (``untranslated``); :func:`untranslated` reads those lists back.
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path

import nbformat

from course_lib.figures import catalogue
from course_lib.language import ENVIRONMENT_VARIABLE

PNG = "image/png"
#: Key of the stamp in the notebook's ``course_edition`` metadata.
STAMP = "figures_drawn_from"


def _images(nb: nbformat.NotebookNode) -> list[tuple[int, int]]:
    """(cell index, output index) of every output holding a PNG, in order."""
    return [
        (i, j)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for j, output in enumerate(cell.get("outputs", []))
        if PNG in output.get("data", {})
    ]


def stamp(english: nbformat.NotebookNode) -> str:
    """What the translated figures of ``english`` depend on, hashed: its code cells, its
    figures and every file of ``course_lib/figures``."""
    digest = hashlib.sha256()
    for cell in english.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    for i, j in _images(english):
        digest.update(str(english.cells[i].outputs[j].data[PNG]).encode() + b"\0")
    for path in sorted(catalogue.FOLDER.iterdir()):
        if path.is_file() and path.suffix in (".py", ".toml", ".otf"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _per_cell(positions: list[tuple[int, int]]) -> dict[int, list[int]]:
    cells: dict[int, list[int]] = {}
    for i, j in positions:
        cells.setdefault(i, []).append(j)
    return cells


def _transplant(target: nbformat.NotebookNode, drawn: nbformat.NotebookNode) -> None:
    """Copy ``drawn``'s PNGs (with their output metadata) into ``target``'s PNG outputs:
    the k-th figure of a cell replaces that cell's k-th figure.

    Raises:
        ValueError: a cell drew a different number of figures in the two notebooks.
    """
    wanted, have = _per_cell(_images(target)), _per_cell(_images(drawn))
    if set(wanted) != set(have) or any(len(wanted[i]) != len(have[i]) for i in wanted):
        differ = sorted(i for i in set(wanted) | set(have) if wanted.get(i) != have.get(i))
        raise ValueError(f"cells {differ} drew a different number of figures than in English")
    for i, outputs in wanted.items():
        for j, k in zip(outputs, have[i], strict=True):
            source = drawn.cells[i].outputs[k]
            output = target.cells[i].outputs[j]
            output.data[PNG] = source.data[PNG]
            output.metadata = copy.deepcopy(source.get("metadata", {}))


def draw(
    translated: nbformat.NotebookNode,
    english: nbformat.NotebookNode,
    stored: nbformat.NotebookNode | None,
    folder: Path,
    lang: str,
    execute: bool = True,
) -> nbformat.NotebookNode:
    """``translated`` (a copy of ``english`` with translated markdown) with its figures in
    ``lang``.

    Args:
        translated: the notebook to fill; changed in place and returned.
        english: the English notebook it was made from.
        stored: the translated notebook as last built (its figures are reused while its stamp
            is current), or None.
        folder: the working directory to execute in (the English notebook's folder).
        lang: the language code.
        execute: execute when the stored figures are not current; when False, such a notebook
            keeps its English figures and no stamp (so it reads as out of date).
    """
    if not _images(english):
        return translated
    current = stamp(english)
    edition = translated.metadata.setdefault("course_edition", {})
    if stored is not None and stored.metadata.get("course_edition", {}).get(STAMP) == current:
        try:
            _transplant(translated, stored)
            edition[STAMP] = current
            return translated
        except ValueError:
            pass  # the stored notebook has other cells: draw again
    if not execute:
        return translated
    from course_tools.course import find_root
    from course_tools.timing import run

    # The kernel imports the course_lib of the checkout being built (its manifest, its
    # catalogues), not whichever one this interpreter has installed.
    library = str(find_root(folder))
    path = os.pathsep.join(p for p in (library, os.environ.get("PYTHONPATH", "")) if p)
    environment = {ENVIRONMENT_VARIABLE: lang, "PYTHONPATH": path}
    executed = run(copy.deepcopy(translated), folder, environment=environment)
    _transplant(translated, executed)
    edition[STAMP] = current
    return translated


def untranslated(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, English label) for every figure label drawn without a translation."""
    found = []
    for i, j in _images(nb):
        metadata = nb.cells[i].outputs[j].get("metadata", {}).get(PNG, {})
        for label in metadata.get("untranslated", []):
            if (i, label) not in found:
                found.append((i, label))
    return found
