"""Every text of the checks comes from one catalogue, keyed by message id.

A later issue adds a Chinese catalogue as package data next to the English one; these tests
make sure the checks hold no sentence of their own: every id the code names exists, and a
second language replaces the texts it has while the others stay English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_lib.homework import messages
from course_lib.homework.messages import catalogue, known, say, use_language

PACKAGE = Path(messages.__file__).parent
#: ``say("some.id"`` with a literal id, anywhere in the self-check's code.
LITERAL = re.compile(r"""\bsay\(\s*["']([\w.-]+)["']\s*[,)]""")


def test_every_literal_message_id_in_the_code_exists():
    used = {m for path in PACKAGE.glob("*.py") for m in LITERAL.findall(path.read_text())}
    assert len(used) > 50
    missing = sorted(m for m in used if not known(m))
    assert not missing, missing


def test_the_english_catalogue_fills_its_parameters_and_names_unknown_ids():
    assert say("check.passed", n=3) == "all 3 cases passed"
    with pytest.raises(KeyError, match=r"no message 'check\.nothing'"):
        say("check.nothing")
    with pytest.raises(ValueError, match="language 'xx' has no message catalogue"):
        use_language("xx")


def test_a_second_language_replaces_what_it_has_and_falls_back_to_english(monkeypatch):
    english = catalogue("en")
    monkeypatch.setattr(
        messages,
        "catalogue",
        lambda language="en": (
            {"check.passed": "全部 {n} 个用例都通过了"} if language == "zh" else english
        ),
    )
    monkeypatch.setattr(messages, "_active", ["en"])
    use_language("zh")
    assert say("check.passed", n=3) == "全部 3 个用例都通过了"
    assert say("check.failed", failed=1, total=3) == "1 of 3 cases failed"
