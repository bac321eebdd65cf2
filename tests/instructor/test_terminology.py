"""One term per concept in the Chinese edition (notebooks/terminology.toml), formulas whose
words may be translated, and one translation for identical English (the translation memory)."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from course_tools.translation import edition, entries, lint, terminology
from tests.notebook_files import ROOT

TERMS = terminology.load_terms(ROOT)


def test_the_chinese_edition_uses_one_term_per_concept():
    """README's Chinese parts, every translation file, the book's strings, the glossary."""
    found = terminology.problems(ROOT, "zh")
    assert not found, "\n".join(found)


def test_the_terms_the_lead_chose_are_in_the_table():
    chosen = {term.zh for term in TERMS}
    for form in ("海森矩阵", "批次标准化", "小批次", "单元格", "用例", "第 N 节", "合页损失"):
        assert form in chosen, form
    assert {"批量规范化", "暂退法", "迭代周期", "小批量"} <= {a for t in TERMS for a in t.aliases}


def test_every_alias_is_shown_in_the_glossary_after_yicheng():
    """Students coming from d2l-zh find its terms in the glossary (the book's search reads
    the aliases too)."""
    glossary = (ROOT / "notebooks" / "glossary.md").read_text(encoding="utf-8")
    listed = " ".join(re.findall(r"亦称[^）|]*", glossary))
    for term in TERMS:
        for alias in term.aliases:
            assert alias in listed, f"{term.en}: alias {alias} is not listed after 亦称"


def _copy(tmp_path: Path) -> Path:
    for relative in ("notebooks/terminology.toml", "notebooks/glossary.md"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    return tmp_path


def test_the_lint_finds_variants_in_every_kind_of_source_but_not_in_code(tmp_path):
    root = _copy(tmp_path)
    lecture = root / "translations" / "zh" / "notebooks" / "02_x.md"
    lecture.parent.mkdir(parents=True)
    lecture.write_text(
        "=== en · cell 1\nThe Hessian.\n=== zh\n**黑塞矩阵**（Hessian）。\n\n"
        "=== en · cell 2\nCode.\n=== zh\n调用 `hessian_黑塞()`，见 [链接](https://x/黑塞)，"
        "公式 $\\text{小批量}$。\n",
        encoding="utf-8",
    )
    (root / "translations" / "zh" / "book.toml").write_text(
        '[strings]\n"intro" = "<code>铰链</code> 不算"\n[lectures."05"]\nsummary = "铰链损失"\n',
        encoding="utf-8",
    )
    messages = root / "course_lib" / "homework" / "messages" / "zh.toml"
    messages.parent.mkdir(parents=True)
    messages.write_text('[check]\npassed = "全部 {n} 个情形通过"\n', encoding="utf-8")
    (root / "README.md").write_text(
        "# Course\n\nA notebook about mini-batches.\n\n## 中文简介\n\n每个小批量……\n\n"
        "## Quick start\n\nnotebook\n\n| a | 批量归一化 |\n",
        encoding="utf-8",
    )
    found = terminology.problems(root, "zh")
    where = Counter(": ".join(p.split(": ")[:2]) for p in found)
    assert where == {
        "README.md: line 7 (中文简介)": 1,  # 小批量
        "README.md: line 13": 3,  # 批量归一化: batch, batch normalization, normalization
        "translations/zh/book.toml: [lectures.05] summary": 1,
        "course_lib/homework/messages/zh.toml: check.passed": 1,
        "translations/zh/notebooks/02_x.md: cell 1": 1,
    }, found
    assert any("'黑塞'" in p and "海森矩阵" in p for p in found)
    assert not any("cell 2" in p for p in found), "code, links and formulas are not prose"
    assert not any("intro" in p for p in found), "an HTML <code> span is not prose"
    assert not any("line 3" in p or "line 11" in p for p in found), "English parts are skipped"


def test_aliases_are_allowed_in_the_glossary_only(tmp_path):
    root = _copy(tmp_path)
    path = root / "translations" / "zh" / "notebooks" / "glossary.md"
    path.parent.mkdir(parents=True)
    text = "=== en · block 1\n| dropout |\n=== zh\n| dropout | 丢弃法（亦称 暂退法） |\n"
    path.write_text(text, encoding="utf-8")
    assert terminology.problems(root, "zh") == []
    path.with_name("07_x.md").write_text(text.replace("（亦称 暂退法）", "（暂退法）"))
    assert [p.split(": ")[0] for p in terminology.problems(root, "zh")] == [
        "translations/zh/notebooks/07_x.md"
    ]


def test_a_rule_limited_to_some_files_applies_only_there(tmp_path):
    root = _copy(tmp_path)
    folder = root / "translations" / "zh" / "notebooks"
    folder.mkdir(parents=True)
    entry = "=== en · cell 1\nmomentum\n=== zh\n动量为 0.1\n"
    (folder / "03_batch_and_momentum.md").write_text(entry, encoding="utf-8")
    (folder / "06_batchnorm.md").write_text(entry, encoding="utf-8")
    found = terminology.problems(root, "zh")
    assert len(found) == 1 and found[0].startswith("translations/zh/notebooks/06_batchnorm.md")
    assert "滑动平均系数" in found[0]


def test_a_bad_terms_file_is_a_clear_error(tmp_path):
    root = _copy(tmp_path)
    path = root / "notebooks" / "terminology.toml"
    path.write_text('language = "zh"\n[[term]]\nen = "x"\nzh = "甲"\navoid = ["("]\n')
    with pytest.raises(ValueError, match="bad avoid pattern"):
        terminology.load_terms(root)
    path.write_text('language = "zh"\n[[term]]\nen = "x"\nzh = "甲乙"\navoid = ["甲"]\n')
    with pytest.raises(ValueError, match="forbids 甲乙"):
        terminology.load_terms(root)


def test_words_in_text_may_be_translated_but_symbols_must_stay():
    english = r"$$\text{minimum ratio} = \frac{\#\{\text{eigenvalues of } H > \text{tol}\}}{n}$$"
    chinese = (
        r"$$\text{最小值比率} = \frac{\#\{H \text{ 的特征值中} > \text{tol} \text{ 的}\}}{n}$$"
    )
    assert lint.invariants(english)["math"] == lint.invariants(chinese)["math"]
    changed = chinese.replace("> ", "< ")
    assert lint.invariants(english)["math"] != lint.invariants(changed)["math"]
    assert lint.structure(r"\ln x") != lint.structure(r"\lnx"), "a space between letters counts"


def test_no_english_phrase_is_left_in_a_chinese_formula():
    """Labels (D_train, L_MSE, tol, fan-in, …) may stay; a phrase of English words may not."""
    phrases = []
    for source in edition.sources(ROOT, "zh"):
        for entry in entries.read_entries(ROOT, source, "zh"):
            for formula in lint.MATH.findall(lint.CODE.sub(" ", entry.translated)):
                for words in re.findall(r"\\text\{([^{}]*)\}", formula):
                    if re.search(r"[A-Za-z]+[ ,:'][A-Za-z]", words) or re.search(
                        r"^\s*(is|at|then|in|steps|the)\b", words
                    ):
                        phrases.append(f"{source.translation}: {entry.label}: {words!r}")
    assert not phrases, "\n".join(phrases)


def test_update_fills_identical_english_from_the_translation_memory(tmp_path):
    manifest = Path("course_lib", "course.toml")
    sources = [s for s in edition.sources(ROOT, "zh") if s.english.name.startswith("hw0")][:2]
    for relative in [manifest, Path("notebooks/glossary.md")] + [
        p for s in sources for p in (s.english, s.translation)
    ]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    first, second = sources
    done = next(e for e in entries.read_entries(ROOT, first, "zh") if "**Done?**" in e.english)
    path = tmp_path / second.translation
    kept = [
        e
        for e in entries.parse(path.read_text(encoding="utf-8"), "zh")
        if "**Done?**" not in e.english
    ]
    path.write_text(entries.render(kept, second, "zh"), encoding="utf-8")
    assert edition.status(tmp_path, second, "zh").missing, "the Done? cell lost its entry"

    edition.update(tmp_path, "zh")
    refilled = next(
        e for e in entries.read_entries(tmp_path, second, "zh") if e.english == done.english
    )
    assert refilled.translated == done.translated and not refilled.stale
    assert not edition.status(tmp_path, second, "zh").missing
    assert edition.memory_conflicts(tmp_path, "zh") == []

    refilled.translated = "**完成了？** 另一种说法。"
    found = [
        refilled if e.english == done.english else e
        for e in entries.read_entries(tmp_path, second, "zh")
    ]
    path.write_text(entries.render(found, second, "zh"), encoding="utf-8")
    conflicts = edition.memory_conflicts(tmp_path, "zh")
    assert len(conflicts) == 1 and str(second.translation) in conflicts[0]
