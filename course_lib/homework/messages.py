"""Every text the homework checks show, by message id: the one place a translation replaces.

The checks never hold an English sentence. They name a message by its id and give its
parameters; :func:`say` looks the id up in the catalogue and fills the parameters in::

    say("check.passed", n=3)            # "all 3 cases passed"
    say("hw01.q1.db-averaged")          # the named mistake of hw01's Q1

The English catalogue is package data, ``course_lib/homework/messages/en.toml``: one table
per topic (``[check]``, ``[hw01.q1]`` …), one text per id, parameters written ``{name}``
(``str.format``). Another language is another file of the same ids in the same folder
(``zh.toml``); :func:`say` speaks the language the notebook chose
(:func:`course_lib.language.get_language`: the Chinese notebooks' language cell calls
``set_language("zh")``; the grader follows each submission's metadata), and an id that
language lacks falls back to English. ``tests/instructor/test_homework_messages.py`` checks
that every id the checks use exists and has a Chinese text with the same parameters.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any

from course_lib.language import get_language

#: The catalogue every text falls back to.
DEFAULT_LANGUAGE = "en"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise ValueError(f"message {name!r} must be a string, got {type(value).__name__}")
    return flat


@functools.cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The messages of ``language`` (``"en"`` …) by id; ``ValueError`` when there is no file."""
    if not isinstance(language, str) or not language.isalpha():
        raise ValueError(f"language must be a code such as 'en', got {language!r}")
    path = resources.files("course_lib.homework").joinpath("messages", f"{language}.toml")
    if not path.is_file():
        raise ValueError(f"language {language!r} has no message catalogue")
    return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def known(message_id: str) -> bool:
    """True when the English catalogue has ``message_id``."""
    return message_id in catalogue(DEFAULT_LANGUAGE)


def say(message_id: str, **params: Any) -> str:
    """The text of ``message_id`` in the chosen language (:func:`~course_lib.language.
    get_language`), with ``params`` filled in; English where that language has no text.

    Raises:
        KeyError: no catalogue has ``message_id`` (a bug in the check, not in the answer).
    """
    text = catalogue(get_language()).get(message_id)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(message_id)
    if text is None:
        raise KeyError(f"no message {message_id!r} in the catalogue")
    return text.format(**params) if params else text
