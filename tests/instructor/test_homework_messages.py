"""Every text of the checks comes from one catalogue per language, keyed by message id.

The checks hold no sentence of their own: every id the code names exists in English; the
Chinese catalogue has every id, with the same parameters, the glossary's terms and the
Chinese lectures' way of naming a section (第 N 节); the language the notebook chose picks
the catalogue, and an id a language lacks falls back to English.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from course_lib import language
from course_lib.homework import messages
from course_lib.homework.messages import catalogue, known, say
from tests.notebook_files import ROOT

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
        catalogue("xx")


@pytest.fixture
def chinese(monkeypatch):
    """The notebook chose Chinese (its language cell ran); restored afterwards."""
    monkeypatch.setattr(language, "_chosen", None)
    monkeypatch.delenv(language.ENVIRONMENT_VARIABLE, raising=False)
    language.set_language("zh")


def test_the_chosen_language_picks_the_catalogue(chinese):
    assert say("check.passed", n=3) == "全部 3 个用例都通过了"
    with language.speaking("en"):
        assert say("check.passed", n=3) == "all 3 cases passed"
    assert say("report.column-score") == "得分"


def test_an_id_the_language_lacks_falls_back_to_english(chinese, monkeypatch):
    english = catalogue("en")
    monkeypatch.setattr(
        messages,
        "catalogue",
        lambda code="en": {"check.passed": "全部 {n} 个用例都通过了"} if code == "zh" else english,
    )
    assert say("check.passed", n=3) == "全部 3 个用例都通过了"
    assert say("check.failed", failed=1, total=3) == "1 of 3 cases failed"


def _parameters(text: str) -> Counter:
    return Counter(
        (name, spec, conversion)
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def test_every_message_has_a_chinese_text_with_the_same_parameters():
    english, chinese = catalogue("en"), catalogue("zh")
    missing = sorted(set(english) - set(chinese))
    assert not missing, f"no Chinese text in zh.toml for: {missing}"
    assert not set(chinese) - set(english), "zh.toml has ids English does not"
    differ = [k for k in english if _parameters(english[k]) != _parameters(chinese[k])]
    assert not differ, f"parameters differ from en.toml: {differ}"
    english_left = [
        k for k in english if chinese[k] == english[k] and re.search(r"\w{3} \w{3}", english[k])
    ]
    assert not english_left, f"still English in zh.toml: {english_left}"


def _references(text: str, lecture: str, section: str) -> tuple[Counter, Counter]:
    sections = [n for m in re.finditer(section, text) for n in m.groups() if n]
    return Counter(re.findall(lecture, text)), Counter(sections)


def test_chinese_texts_name_the_same_sections_the_way_the_chinese_lectures_do():
    english, chinese = catalogue("en"), catalogue("zh")
    for key, text in english.items():
        said = _references(text, r"lecture (\d\d)", r"(?:§|sections? )(\d+)(?: and (\d+))?")
        assert said == _references(chinese[key], r"第 (\d\d) 讲", r"第 (\d+) 节()"), key
        assert "§" not in chinese[key] and "lecture" not in chinese[key], key


#: Terms the course does not use in Chinese, and the ones it uses instead (common.md).
AVOIDED = {"黑塞": "海森矩阵", "逻辑值": "logits", "小批量": "小批次", "§": "第 N 节"}


def test_chinese_texts_use_the_course_terms():
    chinese = catalogue("zh")
    for key, text in chinese.items():
        for avoided, used in AVOIDED.items():
            assert avoided not in text, f"{key}: write {used}, not {avoided}"
        if key.startswith("hw06."):  # batch normalization is 标准化, never 归一化
            assert "归一化" not in text, key
    everything = "".join(chinese.values())
    for term in ("海森矩阵", "小批次", "单元格", "用例", "logits", "分叉相加", "形状匹配"):
        assert term in everything, term


def test_every_catalogue_ships_as_package_data():
    folder = Path(messages.__file__).parent / "messages"
    files = {path.name for path in folder.glob("*.toml")}
    assert files == {f"{code}.toml" for code in language.codes()}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]["course_lib.homework"]
    assert "messages/*.toml" in data
    from course_tools.release import released_files

    released = set(released_files(ROOT))
    assert {f"course_lib/homework/messages/{name}" for name in files} <= released
