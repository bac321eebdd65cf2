"""The catalogue of one language's figure labels: English label -> translated label.

A catalogue is a TOML file beside this module, ``<code>.toml``::

    keep = ["Adam", "SGD"]            # Latin words that stay as they are in this language

    [labels]
    "loss" = "损失"
    "batch size {}" = "批次大小 {}"   # "{}" stands for any text: a number, a method's name

A label is translated by its exact entry, else by the pattern it matches (the one with
the most fixed text wins); the text a ``{}`` stands for is translated in turn when it has
an entry and kept otherwise. A label with several lines is translated line by line. A
label that needs no translation -- numbers, formulas between ``$``, single letters, the
``keep`` words -- is left as it is; any other label without an entry stays English and is
reported as missing (``python -m course_tools translate figures`` lists them).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: The folder of the catalogues (package data of course_lib).
FOLDER = Path(__file__).resolve().parent
PLACEHOLDER = "{}"
_MATH = re.compile(r"\$[^$]*\$")
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Translation:
    """A label in the catalogue's language, and the (English) pieces that had no entry."""

    text: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """The labels of one language: exact entries, patterns and words kept as they are."""

    labels: dict[str, str] = field(default_factory=dict)
    keep: frozenset[str] = frozenset()

    @property
    def patterns(self) -> list[tuple[re.Pattern, str]]:
        """``(regular expression, translation)`` for every entry with a ``{}``, the one with
        the most fixed text first."""
        return _compiled(tuple(self.labels.items()))

    def needs_translation(self, text: str) -> bool:
        """Whether ``text`` holds a word to translate: two or more Latin letters in a row,
        outside ``$...$`` formulas, that are not one of the ``keep`` words."""
        words = _WORD.findall(_MATH.sub(" ", text))
        return any(word not in self.keep for word in words)

    def translate(self, text: str) -> Translation:
        """``text`` in the catalogue's language; untranslatable pieces stay English.

        Raises:
            TypeError: ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if "\n" in text:
            lines = [self.translate(line) for line in text.split("\n")]
            missing = tuple(m for line in lines for m in line.missing)
            return Translation("\n".join(line.text for line in lines), missing)
        stripped = text.strip()
        if stripped in self.labels:
            return Translation(text.replace(stripped, self.labels[stripped]))
        for pattern, translated in self.patterns:
            found = pattern.fullmatch(stripped)
            if found:
                parts = [self.translate(group) for group in found.groups()]
                filled = _fill(translated, [part.text for part in parts])
                missing = tuple(m for part in parts for m in part.missing)
                return Translation(text.replace(stripped, filled), missing)
        if self.needs_translation(stripped):
            return Translation(text, (stripped,))
        return Translation(text)


def _fill(template: str, values: list[str]) -> str:
    pieces = template.split(PLACEHOLDER)
    out = pieces[0]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += value + piece
    return out


@cache
def _compiled(items: tuple[tuple[str, str], ...]) -> list[tuple[re.Pattern, str]]:
    compiled = []
    for english, translated in items:
        if PLACEHOLDER not in english:
            continue
        fixed = [re.escape(piece) for piece in english.split(PLACEHOLDER)]
        compiled.append((len("".join(fixed)), re.compile("(.+?)".join(fixed)), translated))
    compiled.sort(key=lambda item: -item[0])
    return [(pattern, translated) for _, pattern, translated in compiled]


def parse(text: str, name: str = "catalogue") -> Catalogue:
    """A catalogue from the text of its TOML file; ``name`` for error messages.

    Raises:
        ValueError: the TOML is invalid, an entry is not text, or a translation does not
            have as many ``{}`` as its English label.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{name}: not valid TOML: {exc}") from exc
    labels = data.get("labels", {})
    keep = data.get("keep", [])
    if not isinstance(labels, dict) or not isinstance(keep, list):
        raise ValueError(f"{name}: expected a list `keep` and a table [labels]")
    for english, translated in labels.items():
        if not isinstance(translated, str):
            raise ValueError(f"{name}: the label {english!r} must map to text")
        if english.count(PLACEHOLDER) != translated.count(PLACEHOLDER):
            raise ValueError(
                f"{name}: {english!r} has {english.count(PLACEHOLDER)} '{{}}' but its "
                f"translation {translated!r} has {translated.count(PLACEHOLDER)}"
            )
    if not all(isinstance(word, str) for word in keep):
        raise ValueError(f"{name}: `keep` must list words")
    return Catalogue(dict(labels), frozenset(keep))


def path_of(language: str) -> Path:
    """The catalogue file of ``language`` (it may not exist)."""
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]+)?", language):
        raise ValueError(f"language must be a language code such as 'zh', got {language!r}")
    return FOLDER / f"{language}.toml"


@cache
def load(language: str) -> Catalogue:
    """The catalogue of ``language``; an empty one when the language has none.

    Raises:
        ValueError: ``language`` is no language code, or its file is invalid.
    """
    path = path_of(language)
    if not path.exists():
        return Catalogue()
    return parse(path.read_text(encoding="utf-8"), path.name)
