"""Count the numbers nbval compares in the stored outputs, after the sanitize rules.

    python -m course_tools compared-numbers

A number nbval compares must be true on every machine; one below 1e-10 is rounding noise
(the sanitize rule ``tests/nbval_sanitize.cfg`` maps those in scientific notation to
``TINY``). This prints, per notebook, how many numeric tokens nbval still compares and how
many of them are below 1e-10 (nonzero), and exits 1 if any is.
"""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

import nbformat

from course_tools.course import executed_notebooks, find_root

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
#: output keys nbval does not compare (it skips PNG and JPEG; execution counts are not outputs)
SKIPPED = ("image/png", "image/jpeg")


def sanitize_rules(cfg: Path) -> list[tuple[re.Pattern[str], str]]:
    """The (pattern, replacement) pairs of an nbval sanitize file, in file order."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(cfg, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def _ignored(cell: nbformat.NotebookNode) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    markers = {line.strip().lstrip("#").strip() for line in cell.source.splitlines()}
    return bool(
        tags & {"nbval-ignore-output", "nbval-skip"}
        or markers & {"NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP"}
    )


def compared_texts(nb: nbformat.NotebookNode) -> list[str]:
    """The stored output texts of ``nb`` that nbval compares (before sanitizing)."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code" or _ignored(cell):
            continue
        for out in cell.get("outputs", []):
            if "text" in out:
                texts.append(out["text"])
            for key, value in out.get("data", {}).items():
                if key not in SKIPPED and isinstance(value, str):
                    texts.append(value)
    return texts


def compared_numbers(nb: nbformat.NotebookNode, rules) -> list[str]:
    """Numeric tokens nbval compares in ``nb`` after the sanitize ``rules``."""
    tokens = []
    for text in compared_texts(nb):
        for pattern, replace in rules:
            text = pattern.sub(replace, text)
        for _, replace in rules:  # a placeholder such as "TINY" is not a compared figure
            text = text.replace(replace, " ")
        tokens += NUMBER.findall(text)
    return tokens


def tiny(tokens: list[str], bound: float = 1e-10) -> list[str]:
    """The tokens that are nonzero numbers of magnitude below ``bound``."""
    return [t for t in tokens if 0 < abs(float(t)) < bound]


def main(argv: list[str] | None = None) -> int:
    root = find_root()
    rules = sanitize_rules(root / "tests" / "nbval_sanitize.cfg")
    total, bad = 0, 0
    for path in executed_notebooks(root):
        tokens = compared_numbers(nbformat.read(path, as_version=4), rules)
        small = tiny(tokens)
        total, bad = total + len(tokens), bad + len(small)
        print(
            f"{path.relative_to(root)!s:<45} {len(tokens):5d} numbers compared, "
            f"{len(small)} below 1e-10 {small[:3] if small else ''}"
        )
    print(f"total: {total} numbers compared, {bad} below 1e-10")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
