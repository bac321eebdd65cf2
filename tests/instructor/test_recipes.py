"""The recipes of CONTRIBUTING.md ("Add a lecture", "Add a language"), followed in a copy of the
repository: one data file changes, no code, and every tool picks the change up."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.instructor import require

require("latex2mathml")

from course_tools.book import build_book, plan_pages
from course_tools.book.layout import front_page
from course_tools.book.strings import words
from course_tools.course import budget, course_of, executed_notebooks
from course_tools.translation import edition
from tests.notebook_files import ROOT

MANIFEST = Path("course_lib", "course.toml")


def copy_of_repository(tmp_path: Path) -> Path:
    """The tracked files of the repository, copied into ``tmp_path / "course"``."""
    copy = tmp_path / "course"
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


def only_lecture_01_in_english(copy: Path) -> None:
    """Trim the copy to its first lecture and its source language (a book of a few pages
    builds fast): the manifest's other lectures and the Chinese edition go."""
    text = (copy / MANIFEST).read_text(encoding="utf-8")
    first, *_ = re.split(r'\n(?=\[\[lectures\]\]\nnumber = "02")', text)
    (copy / MANIFEST).write_text(first + "\n", encoding="utf-8")
    shutil.rmtree(copy / "notebooks" / "zh")


@pytest.fixture
def copy(tmp_path):
    return copy_of_repository(tmp_path)


def test_add_a_lecture_a_notebook_and_one_manifest_entry(copy):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 08 The topic\n\n1. A first section"),
        nbformat.v4.new_markdown_cell("## 1. A first section\n\nSome prose."),
        nbformat.v4.new_code_cell("print(6 * 7)"),
    ]
    path = copy / "notebooks" / "08_topic.ipynb"
    nbformat.write(notebook, path)
    with open(copy / MANIFEST, "a", encoding="utf-8") as manifest:
        manifest.write(
            '\n[[lectures]]\nnumber = "08"\nslug = "topic"\ntitle = "The topic"\n'
            'summary = "what it teaches"\nhomework = "hw08_topic"\n'
        )
    # The book: a page and a front-page card.
    pages = plan_pages(copy)
    assert "08_topic.html" in {p.file for p in pages}
    card = front_page(pages, words(copy, "en"), course_of(copy).lectures, "")
    assert '<a href="08_topic.html">The topic</a>' in card and "what it teaches" in card
    # The timer: one more notebook, with the default lecture budget.
    assert path in executed_notebooks(copy)
    assert budget(copy, path) == course_of(copy).lecture_budget
    # Translation: a file to translate, and check names what is missing.
    edition.update(copy, "zh")
    assert (copy / "translations" / "zh" / "notebooks" / "08_topic.md").exists()
    problems = "\n".join(edition.check(copy, "zh"))
    assert "notebooks/08_topic.ipynb: cell 1 is not translated" in problems
    assert "lecture 08's title" in problems
    # The README check: the lecture table must get its row.
    pytest = [sys.executable, "-m", "pytest", "tests/test_readme.py", "-q", "-o", "addopts="]
    readme = subprocess.run(
        [*pytest, "-p", "no:cacheprovider", "-k", "manifest"],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert readme.returncode == 1, readme.stdout + readme.stderr
    assert "one row per lecture of course_lib/course.toml" in readme.stdout


def test_add_a_language_with_a_handful_of_entries_and_no_code(copy, tmp_path):
    only_lecture_01_in_english(copy)
    with open(copy / MANIFEST, "a", encoding="utf-8") as manifest:
        manifest.write('\n[[languages]]\ncode = "xx"\nname = "Xish"\nhtml = "x-test"\n')
    # A handful of entries: the lecture's title cell and two of the book's words.
    english = nbformat.read(copy / "notebooks" / "01_backprop.ipynb", as_version=4)
    title = english.cells[0].source.strip()
    (copy / "translations" / "xx" / "notebooks").mkdir(parents=True)
    (copy / "translations" / "xx" / "notebooks" / "01_backprop.md").write_text(
        f"=== en · cell 0\n{title}\n=== xx\n# XX BACKPROPAGATION XX\n", encoding="utf-8"
    )
    (copy / "translations" / "xx" / "book.toml").write_text(
        '[strings]\n"Contents" = "Xontents"\n"Search" = "Xearch"\n', encoding="utf-8"
    )
    edition.update(copy, "xx")
    edition.build(copy, "xx")
    built = nbformat.read(copy / "notebooks" / "xx" / "01_backprop.ipynb", as_version=4)
    assert built.cells[0].source == "# XX BACKPROPAGATION XX"
    assert built.cells[1].source == english.cells[1].source, "untranslated cells stay English"
    assert built.metadata.course_edition["language"] == "x-test"
    assert any("01_backprop.ipynb" in p for p in edition.check(copy, "xx"))
    out = tmp_path / "book"
    pages = build_book(copy, out)
    index = (out / "xx" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="x-test">' in index and "Xontents" in index and "Xearch" in index
    assert (out / "xx" / "01_backprop.html").exists()
    english_page = (out / "01_backprop.html").read_text(encoding="utf-8")
    assert 'href="xx/01_backprop.html" hreflang="x-test"' in english_page
    assert out / "xx" / "search.html" in pages
