"""The self-check and the reports speak the notebook's language (issue 33).

The Chinese homework chooses Chinese in its language cell; its ``check`` cells then print the
named mistake and the hint in Chinese. A submission's report (self-grade and grader) follows
the language recorded in its metadata, read as untrusted data. The grader's tables for real
Chinese submissions are tested in ``test_homework_grader.py``.
"""

from __future__ import annotations

import nbformat
import pytest

from course_lib import language
from course_lib.homework.messages import catalogue
from course_lib.homework.notebook_file import submission_language
from course_lib.homework.report import format_result, format_table
from course_lib.homework.unanswered import message
from tests.notebook_files import ROOT

CHINESE = ROOT / "homework" / "zh" / "hw01_backprop.ipynb"
ZH, EN = catalogue("zh"), catalogue("en")


@pytest.fixture(autouse=True)
def _fresh_language(monkeypatch):
    monkeypatch.setattr(language, "_chosen", None)
    monkeypatch.delenv(language.ENVIRONMENT_VARIABLE, raising=False)


def affine_db_mean(dout, x, W):  # a student's slip: the shared bias averaged, not summed
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def _cell(nb: nbformat.NotebookNode, starts: str) -> str:
    return next(c.source for c in nb.cells if c.cell_type == "code" and starts in c.source)


def test_a_planted_mistake_in_the_chinese_notebook_is_named_and_hinted_in_chinese(capsys):
    nb = nbformat.read(CHINESE, as_version=4)
    namespace: dict = {}
    exec(_cell(nb, "set_language("), namespace)  # the notebook's language cell,
    exec("from course_lib.homework.hw01 import check", namespace)  # its set-up's import,
    namespace["affine_backward"] = affine_db_mean  # a wrong answer, and its check cell
    exec(_cell(nb, 'check("q1"'), namespace)
    printed = capsys.readouterr().out
    assert ZH["hw01.q1.db-averaged"] in printed  # the named mistake
    assert "提示：" + ZH["hw01.q1.hint"] in printed  # and its hint
    assert "未通过" in printed and "第 01 讲第 5 节：分叉相加" in printed
    assert EN["hw01.q1.db-averaged"] not in printed and "hint:" not in printed


def test_the_english_notebook_still_speaks_english(capsys):
    from course_lib.homework.hw01 import check

    check("q1", affine_db_mean)
    printed = capsys.readouterr().out
    assert EN["hw01.q1.db-averaged"] in printed and "hint: " + EN["hw01.q1.hint"] in printed


def test_the_unanswered_line_and_the_table_speak_the_chosen_language():
    from course_lib.homework.hw01 import ASSIGNMENT

    language.set_language("zh")
    assert (
        message("q1", "affine_backward") == "affine_backward 还没有写：先回答 Q1，再运行这个单元格"
    )
    result = ASSIGNMENT.evaluate("q1", affine_db_mean)
    table = format_table("alice.ipynb", [result]).splitlines()
    assert table[1].split() == ["题目", "函数", "得分", "状态", "说明"]
    assert table[2].split()[:4] == ["q1", "affine_backward", "0/2", "未通过"]
    assert format_result(result).startswith("Q1 affine_backward: 未通过 ✗")


def _with_metadata(metadata) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["course_edition"] = metadata
    return nb


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"code": "zh", "language": "zh-CN"}, "zh"),  # what translate build writes
        ({"code": "en"}, "en"),
        ({"code": "fr"}, "en"),  # not a course language
        ({"code": "zh" * 10_000}, "en"),
        ({"code": ["zh"]}, "en"),  # not text
        ({"code": None}, "en"),
        ({"language": "zh-CN"}, "en"),  # only the code counts
        ("zh", "en"),  # not an object
        ([{"code": "zh"}], "en"),
    ],
)
def test_the_submission_language_is_read_safely_from_its_metadata(metadata, expected):
    assert submission_language(_with_metadata(metadata)) == expected


def test_a_notebook_without_an_edition_is_in_the_source_language():
    assert submission_language(nbformat.v4.new_notebook()) == "en"
    assert submission_language(nbformat.read(CHINESE, as_version=4)) == "zh"
