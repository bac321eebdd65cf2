"""Build the static HTML book of the executed course, one edition per language.

``build_book(root, out)`` writes the source language's edition into ``out`` and each
translated one into ``out/<lang>`` (from ``notebooks/<lang>`` and ``homework/<lang>``, see
:mod:`course_tools.translation`), for every language of the manifest whose notebooks exist:
one page per lecture and homework, a front page with the lecture map, the glossary, the
notation table and a search page. Every page has a sidebar with the contents, a search box
and a link to the same page in the other editions. Pages need only files in the book (``style.css``,
``figures/``, the search scripts): math is pre-rendered to MathML and nothing is loaded from
the network; without scripts only the search results are missing. ``execute=True`` runs
lectures and solutions first.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import ExtractOutputPreprocessor
from pygments.formatters import HtmlFormatter

from course_tools.book import layout, search
from course_tools.book.mathml import render_math
from course_tools.book.strings import ENGLISH, Words, words
from course_tools.course import course_of

COURSE_TITLE = "Deep-learning fundamentals"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TITLE_CALL = re.compile(r"""(?:set_title|suptitle|\btitle\s*=)\s*\(?\s*f?(["'])(.+?)\1""")
#: A code span, or a Python dunder name outside one (``__len__``, which Markdown would embolden).
CODE_OR_DUNDER = re.compile(r"(`+)(?:.|\n)*?\1|(?<![\w`])(__\w+?__)(?![\w`])")


@dataclass(frozen=True)
class Page:
    """One page of the book: ``file`` (e.g. ``01_backprop.html``), its ``title``, the
    ``source`` it is made from (None for the front and search pages), its ``kind``
    ("index", "lecture", "homework", "solution", "glossary" or "search") and the ``lecture``
    number it belongs to ("" if none)."""

    file: str
    title: str
    source: Path | None
    kind: str
    lecture: str = ""


def plan_pages(root: Path, solutions: bool = False, lang: str | None = None) -> list[Page]:
    """Every page of edition ``lang`` (default: the source language) in reading order: front
    page, then per lecture the lecture and its homework (and, with ``solutions``, the executed
    solution, source-language edition only), then the glossary, the notation table and the
    search page. Pages whose source does not exist are left out."""
    course = course_of(root)
    lang = course.source_language.code if lang is None else lang
    said = words(root, lang)
    source = lang == course.source_language.code
    sub = "" if source else lang
    pages = [Page("index.html", said.text(COURSE_TITLE), None, "index")]
    for lecture in course.lectures:
        notebook = root / "notebooks" / sub / f"{lecture.notebook}.ipynb"
        if notebook.exists():
            title = said.page_title("lecture", lecture)
            pages.append(
                Page(f"{lecture.notebook}.html", title, notebook, "lecture", lecture.number)
            )
        homework = root / "homework" / sub / f"{lecture.homework}.ipynb"
        if homework.exists():
            title = said.page_title("homework", lecture)
            pages.append(
                Page(f"{lecture.homework}.html", title, homework, "homework", lecture.number)
            )
        solution = root / "homework" / "solutions" / f"{lecture.homework}.ipynb"
        if solutions and source and solution.exists():
            title = said.page_title("solution", lecture)
            pages.append(
                Page(
                    f"{lecture.homework}_solution.html", title, solution, "solution", lecture.number
                )
            )
    for stem, title in (("glossary", "Glossary"), ("notation", "Notation")):
        page_source = root / "notebooks" / sub / f"{stem}.md"
        if page_source.exists():
            pages.append(Page(f"{stem}.html", said.text(title), page_source, "glossary"))
    pages.append(Page("search.html", said.text("Search"), None, "search"))
    return pages


def build_book(
    root: Path,
    out: Path,
    *,
    solutions: bool = False,
    execute: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the book of the course at ``root`` into ``out`` (emptied first): the English
    edition in ``out``, the Chinese edition (when ``notebooks/zh`` exists) in ``out/zh``.

    Args:
        root: the course checkout (holds ``notebooks/`` and ``homework/``).
        out: the output folder; its previous content is removed.
        solutions: include the executed homework solutions (the instructor's edition).
        execute: re-execute lectures and solutions before exporting them.
        progress: called with each page's path below ``out`` (``zh/01_backprop.html``) as
            soon as the page is read.

    Returns:
        The paths of the pages written, English edition first, each in reading order.
    """
    root, out = Path(root), Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "style.css").write_text(_stylesheet(), encoding="utf-8")
    (out / "search.js").write_text(search.SCRIPT, encoding="utf-8")
    course = course_of(root)
    source = course.source_language
    editions = {source.code: plan_pages(root, solutions, source.code)}
    for language in course.translations:
        if (root / "notebooks" / language.code).is_dir():
            editions[language.code] = plan_pages(root, False, language.code)
    written = []
    for lang, pages in editions.items():
        folder = out if lang == source.code else out / lang
        folder.mkdir(exist_ok=True)
        other = [
            (course.language(code), {p.file for p in editions[code]}, _folder(code, source))
            for code in editions
            if code != lang
        ]
        said = words(root, lang)
        written += _write_edition(
            said, pages, folder, out, other, execute, course.lectures, progress or _quiet
        )
    return written


def _quiet(page: str) -> None:
    """The default progress report: none."""


def _folder(code: str, source) -> str:
    """An edition's folder below the book's root: ``""`` for the source language, else
    ``"zh/"``."""
    return "" if code == source.code else f"{code}/"


def _write_edition(
    said: Words, pages, folder, out, other, execute, lectures, progress
) -> list[Path]:
    prefix = "" if folder == out else "../"
    subfolder = "" if folder == out else f"{said.language.code}/"
    titles = {lecture.number: said.lecture_title(lecture) for lecture in lectures}
    links = {page.source.stem: page.file for page in pages if page.kind in ("lecture", "homework")}
    links.update(glossary="glossary.html", notation="notation.html")
    bodies, found, synonyms = {}, [], []
    for page in pages:
        if page.kind in ("index", "search"):
            continue
        soup = _page_body(page, execute, folder, prefix, said.text("widget-note"))
        _link_pages(soup, links)
        layout.link_section_list(soup)
        if page.kind == "lecture" or page.kind == "homework" or page.kind == "solution":
            _describe_figures(soup, said.text("Figure"))
        bodies[page.file] = soup
        where = page.title
        if page.kind == "lecture":
            where = said.text("lecture-label").format(
                number=page.lecture, title=titles[page.lecture]
            )
        if page.kind == "glossary":
            found += search.table_entries(page.file, where, soup)
        else:
            found += search.sections(page.file, where, soup)
        if page.source is not None and page.source.stem == "glossary":
            synonyms = search.synonyms(soup)
        progress(subfolder + page.file)
    front = layout.front_page(pages, said, lectures, prefix)
    bodies["index.html"] = BeautifulSoup(front, "html.parser")
    strings = {
        "title": said.text("Search the book"),
        "button": said.text("Search"),
        "none": said.text("no-results"),
        "results": said.text("results"),
        "other": said.text("other-edition"),
        "noscript": said.text("noscript"),
    }
    code = said.language.code
    page_body = search.search_page_body(found, strings, code, prefix)
    bodies["search.html"] = BeautifulSoup(page_body, "html.parser")
    index_js = search.index_script(said.language, subfolder, found, synonyms)
    (folder / "search-index.js").write_text(index_js, encoding="utf-8")
    written = []
    for index, page in enumerate(pages):
        soup = bodies[page.file]
        shell = layout.shell(page, pages, index, soup, said, prefix, other)
        path = folder / page.file
        path.write_text(shell.replace("<!--BODY-->", str(soup)), encoding="utf-8")
        written.append(path)
    return written


def _page_body(page: Page, execute: bool, folder: Path, prefix: str, note: str) -> BeautifulSoup:
    assert page.source is not None
    if page.kind == "glossary":
        markdown = markdown2html_mistune(dunders_as_code(page.source.read_text(encoding="utf-8")))
        soup = BeautifulSoup(f'<div class="rendered_html glossary">{markdown}</div>', "html.parser")
        render_math(soup)
        return soup
    stem = Path(page.file).stem
    soup, figures = notebook_html(
        page.source,
        execute=execute and page.kind not in ("homework",) and not prefix,
        figures=f"figures/{stem}",
        widget_note=note,
    )
    # Each edition keeps its own figures (a translated edition draws its labels in its
    # language: course_lib.figures), beside its pages.
    for name, data in figures.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return soup


def dunders_as_code(markdown: str) -> str:
    """``markdown`` with every Python dunder name outside a code span set as code
    (``__len__`` -> `` `__len__` ``), so that Markdown does not read its underscores as bold."""
    return CODE_OR_DUNDER.sub(lambda m: f"`{m[2]}`" if m[2] else m[0], markdown)


def notebook_html(
    path: Path, execute: bool = False, figures: str = "figures", widget_note: str = ""
) -> tuple[BeautifulSoup, dict[str, bytes]]:
    """One notebook as HTML: cells and outputs, math as MathML, figures as separate files.

    Args:
        path: the ``.ipynb`` file.
        execute: run it in a fresh kernel first instead of using its stored outputs.
        figures: folder (relative to the page) the figures are referenced from.
        widget_note: what a live widget's place says in the book (default: English).

    Returns:
        The parsed HTML body and the figures, ``{relative file name: bytes}``.
    """
    if execute:
        from course_tools.timing import execute as run_notebook

        nb = run_notebook(path)
    else:
        nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET_MIME in output.get("data", {}):
                note = widget_note or ENGLISH["widget-note"]
                output["data"] = {"text/html": f'<p class="widget-note">{note}</p>'}
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # The course's own notebooks are trusted; bleach-cleaning them takes most of the time.
        filters={"clean_html": _unchanged},
    )
    exporter.register_preprocessor(ExtractOutputPreprocessor(), enabled=True)
    body, resources = exporter.from_notebook_node(nb, resources={"output_files_dir": figures})
    soup = BeautifulSoup(body, "html.parser")
    for markdown in soup.select(".text_cell_render"):
        render_math(markdown)
    return soup, dict(resources.get("outputs", {}))


def _unchanged(html_text: str) -> str:
    return html_text


def _link_pages(soup: BeautifulSoup, links: dict[str, str]) -> None:
    """Point links to ``.../name.ipynb`` or ``glossary.md`` at the book's own pages."""
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"]
        if href.startswith(("http://", "https://", "#")):
            continue
        stem = Path(href.split("#")[0]).stem
        if stem in links and href.split("#")[0].endswith((".ipynb", ".md", ".py")):
            anchor["href"] = links[stem]


def _describe_figures(soup: BeautifulSoup, label: str) -> None:
    """Alt text for every figure: the titles its cell's code gives the plot (``set_title``,
    ``suptitle``, ``title=``), else the section it belongs to."""
    for image in soup.find_all("img"):
        cell = image.find_parent(class_="code_cell")
        code = cell.find(class_="input_area") if cell else None
        titles = [t for _, t in TITLE_CALL.findall(code.get_text() if code else "")]
        titles = [re.sub(r"\{[^}]*\}", "…", t) for t in titles]
        if not titles:
            heading = image.find_previous("h2")
            titles = [heading.get_text(" ", strip=True).rstrip("¶").strip()] if heading else []
        image["alt"] = f"{label}: " + "; ".join(titles) if titles else label


def _stylesheet() -> str:
    own = files("course_tools.book").joinpath("style.css").read_text(encoding="utf-8")
    return (
        own
        + "\n/* code highlighting (Pygments) */\n"
        + HtmlFormatter().get_style_defs(".highlight")
    )
