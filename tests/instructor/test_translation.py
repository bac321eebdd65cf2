"""The Chinese edition: complete, faithful where it must be, generated, and stale when the
English changes (course_tools/translation/, translations/README.md)."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_lib.manifest import load
from course_tools.translation import code_text, edition, entries, figures, lint
from tests.notebook_files import ROOT

ZH = load().language("zh")
SOURCES = edition.sources(ROOT, "zh")
NOTEBOOKS = [s for s in SOURCES if s.is_notebook]


def test_every_lecture_homework_and_page_has_a_chinese_edition():
    names = {s.english.as_posix() for s in SOURCES}
    assert len([n for n in names if n.startswith("notebooks/0")]) == 7
    assert len([n for n in names if n.startswith("homework/hw")]) == 7
    assert {"notebooks/glossary.md", "notebooks/notation.md"} <= names
    for source in SOURCES:
        assert (ROOT / source.translation).exists(), source.translation
        assert (ROOT / source.output).exists(), f"{source.output}: run translate build"


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.english.stem)
def test_every_cell_is_translated_and_none_is_stale(source):
    status = edition.status(ROOT, source, "zh")
    assert status.total > 0
    assert not status.problems(), "\n".join(status.problems())


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.english.stem)
def test_translations_keep_math_code_links_headings_and_glossary_terms(source):
    problems = lint.lint(ROOT, source, ZH)
    assert not problems, "\n".join(problems)


def test_the_books_own_words_are_translated():
    from course_tools.book.strings import missing, words

    assert missing(ROOT, "zh") == []
    said = words(ROOT, "zh")
    assert said.text("Contents") == "目录" and said.language.html == "zh-CN"
    lecture = load().lecture("02")
    assert said.page_title("homework", lecture).startswith("作业 02：")


def test_generated_files_are_what_build_writes():
    stale = edition.out_of_date(ROOT, "zh")
    assert not stale, f"run `python -m course_tools translate build`: {stale}"


def _without_figures(outputs: list) -> list:
    """The outputs with each PNG and its metadata left out (the editions draw their own)."""
    kept = []
    for output in outputs:
        output = copy.deepcopy(output)
        if figures.PNG in output.get("data", {}):
            output["data"][figures.PNG] = "(figure)"
            output["metadata"] = {}
        kept.append(output)
    return kept


def _without_language_cell(nb: nbformat.NotebookNode) -> list:
    """The notebook's cells but the language cell, which must be the one right after the
    Colab set-up cell and choose Chinese."""
    tagged = [
        i for i, c in enumerate(nb.cells) if edition.LANGUAGE_TAG in c.metadata.get("tags", [])
    ]
    colab = [i for i, c in enumerate(nb.cells) if "google.colab" in c.source]
    assert tagged == [colab[0] + 1], f"language cell at {tagged}, Colab cell at {colab}"
    cell = nb.cells[tagged[0]]
    assert cell.cell_type == "code" and not cell.get("outputs")
    assert cell.source == 'from course_lib.language import set_language\n\nset_language("zh")'
    return nb.cells[: tagged[0]] + nb.cells[tagged[0] + 1 :]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda s: s.english.stem)
def test_code_cells_and_outputs_equal_the_english(source):
    english = nbformat.read(ROOT / source.english, as_version=4)
    chinese = nbformat.read(ROOT / source.output, as_version=4)
    chinese.cells = _without_language_cell(chinese)
    assert [c.cell_type for c in chinese.cells] == [c.cell_type for c in english.cells]
    for en, zh in zip(english.cells, chinese.cells, strict=True):
        if en.cell_type == "code":
            if zh.source != en.source:  # a homework's docstrings and comments, translated
                assert source.translates_code, "a lecture's code cells stay as they are"
                assert not code_text.code_problems(en.source, zh.source)
            assert _without_figures(zh.get("outputs", [])) == _without_figures(
                en.get("outputs", [])
            )
            assert zh.metadata == en.metadata
        elif en.metadata.get("nbgrader", {}).get("solution"):
            assert zh.source == en.source, "an answer cell keeps the grader's placeholder"
        else:
            assert zh.source != en.source or not entries.normalize(en.source)
    assert chinese.metadata.kernelspec == english.metadata.kernelspec
    assert chinese.metadata.course_edition["language"] == "zh-CN"
    assert chinese.metadata.course_edition["code"] == "zh"  # the grader's report follows it


HOMEWORK = [s for s in NOTEBOOKS if s.translates_code]


def _code_without_prose(source: str) -> str:
    """The cell's syntax tree with its docstrings removed (comments are not in the tree)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str):
            node.body = body[1:]
    return ast.dump(tree)


@pytest.mark.parametrize("source", HOMEWORK, ids=lambda s: s.english.stem)
def test_chinese_homework_code_has_chinese_prose_and_the_same_syntax_trees(source):
    english = nbformat.read(ROOT / source.english, as_version=4)
    chinese = nbformat.read(ROOT / source.output, as_version=4)
    pairs = [
        (en.source, zh.source)
        for en, zh in zip(english.cells, _without_language_cell(chinese), strict=True)
        if en.cell_type == "code"
    ]
    for en, zh in pairs:
        assert _code_without_prose(zh) == _code_without_prose(en)
    prose = [zh for en, zh in pairs if code_text.has_prose(en) and "google.colab" not in en]
    assert prose and all(re.search("[\u4e00-\u9fff]", zh) for zh in prose)
    assert not any("Args:" in zh or "Returns:" in zh for zh in prose)
    answers = [c.source for c in chinese.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert all("# YOUR CODE HERE" in a for a in answers if "NotImplementedError" in a)


def test_a_translation_that_changes_code_is_reported():
    english = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    assert (
        code_text.code_problems(
            english, 'def f(x):\n    """x 的两倍。"""\n    return 2 * x  # 翻倍\n'
        )
        == []
    )
    changed = code_text.code_problems(
        english, 'def f(x):\n    """x 的两倍。"""\n    return 3 * x\n'
    )
    assert changed == ["the code differs from the English (not only docstrings/comments)"]
    kept = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n"
    lost = kept.replace("# YOUR CODE HERE", "# 在这里写代码")
    assert code_text.code_problems(kept, lost)[0].startswith("the comments a tool reads")
    assert "does not parse" in code_text.code_problems(kept, "def f(x) return")[0]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.english.stem)
def test_relative_links_of_the_chinese_edition_resolve(source):
    text = (ROOT / source.output).read_text(encoding="utf-8")
    if source.is_notebook:
        nb = nbformat.reads(text, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for _, target in entries.LINK.findall(text):
        if target.startswith(("http", "#", "mailto:")):
            continue
        path = (ROOT / source.output).parent / target.split("#")[0]
        assert path.exists(), f"{source.output}: link {target} points at nothing"


def _course_copy(tmp_path: Path, source: entries.Source) -> Path:
    manifest = Path("course_lib", "course.toml")
    for relative in (source.english, source.translation, Path("notebooks/glossary.md"), manifest):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    return tmp_path


def test_changing_one_english_cell_makes_exactly_that_cell_stale(tmp_path):
    source = next(s for s in SOURCES if s.english.name == "01_backprop.ipynb")
    root = _course_copy(tmp_path, source)
    nb = nbformat.read(root / source.english, as_version=4)
    index = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"][3]
    before = edition.status(root, source, "zh")
    assert not before.stale and not before.missing
    nb.cells[index].source += "\n\nOne more sentence the translator has not seen."
    nbformat.write(nb, root / source.english)

    after = edition.status(root, source, "zh")
    assert [u.label for u in after.stale] == [f"cell {index}"]
    assert after.problems() == [
        f"{source.english}: cell {index} is stale: the English changed since it was translated"
    ]
    generated = edition.translated_text(root, source, "zh")
    stays = _without_language_cell(generated)[index].source
    assert stays == nb.cells[index].source, "a stale cell stays English"

    edition.update(root, "zh")
    found = entries.read_entries(root, source, "zh")
    changed = [e for e in found if e.stale]
    assert len(changed) == 1 and changed[0].english == entries.normalize(nb.cells[index].source)
    assert changed[0].translated, "update keeps the old translation for the translator"
    assert [u.label for u in edition.status(root, source, "zh").stale] == [f"cell {index}"]


def test_a_new_cell_is_missing_and_a_deleted_cell_drops_its_entry(tmp_path):
    source = next(s for s in SOURCES if s.english.name == "notation.md")
    root = _course_copy(tmp_path, source)
    page = root / source.english
    page.write_text(
        page.read_text(encoding="utf-8") + "\nA brand-new closing paragraph.\n", encoding="utf-8"
    )
    status = edition.status(root, source, "zh")
    assert [u.text for u in status.missing] == ["A brand-new closing paragraph."]


def test_parse_and_render_round_trip():
    written = [
        entries.Entry("## 1. Loss\n\n$L = x^2$", "## 1. 损失\n\n$L = x^2$", False, "cell 2"),
        entries.Entry("New text", "", False, "cell 4"),
        entries.Entry("Old", "旧", True, "cell 5"),
    ]
    source = SOURCES[0]
    again = entries.parse(entries.render(written, source, "zh"), "zh")
    assert again == written


def test_lint_catches_a_changed_formula_code_link_and_heading_number():
    english = "## 2. The step\n\nUse `lr` with $\\eta < 2/\\lambda$, see [notes](glossary.md)."
    good = "## 2. 步长\n\n用 `lr`，取 $\\eta < 2/\\lambda$，见[术语表](glossary.md)。"
    bad = "## 3. 步长\n\n用 `学习率`，取 $\\eta < 1/\\lambda$，见[术语表](glossary.html)。"
    assert lint.invariants(english) == lint.invariants(good)
    differ = [k for k, v in lint.invariants(english).items() if lint.invariants(bad)[k] != v]
    assert differ == ["math", "code", "links", "headings"]


def test_an_unknown_language_or_the_source_language_is_a_clear_error():
    with pytest.raises(ValueError, match="lang must be one of 'zh', got 'fr'"):
        edition.sources(ROOT, "fr")
    with pytest.raises(ValueError, match="got 'en'"):
        edition.sources(ROOT, "en")


def test_a_bold_term_translated_without_its_glossary_chinese_is_reported(tmp_path):
    source = next(s for s in SOURCES if s.english.name == "02_critical_points.ipynb")
    root = _course_copy(tmp_path, source)
    nb = nbformat.read(root / source.english, as_version=4)
    index, cell = next(
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and "**saddle point**" in c.source
    )
    path = root / source.translation
    found = entries.parse(path.read_text(encoding="utf-8"), "zh")
    entry = next(e for e in found if e.english == entries.normalize(cell.source))
    assert "鞍点" in entry.translated
    assert not lint.term_problems(root, source, ZH)
    entry.translated = entry.translated.replace("鞍点", "马鞍形的点")
    path.write_text(entries.render(found, source, "zh"), encoding="utf-8")
    problems = lint.term_problems(root, source, ZH)
    assert any(f"cell {index}" in p and "'saddle point'" in p and "鞍点" in p for p in problems)


def test_wrapped_chinese_lines_are_joined_but_markdown_blocks_are_not():
    text = "## 8. 函数库\n第一行中文，\n第二行。\n- 列表\n- 项目\n$$x$$\n中文\n```\n注释\n代码\n```"
    joined = edition.join_lines(text, ZH.join_lines)
    assert "第一行中文，第二行。" in joined, "a wrapped Chinese sentence shows no stray space"
    assert joined.startswith("## 8. 函数库\n第一行"), "a heading stays on its own line"
    assert "- 列表\n- 项目\n$$x$$\n中文" in joined and "注释\n代码" in joined
