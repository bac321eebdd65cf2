"""Build the static HTML book of the executed course, in English and in Chinese.

``build_book(root, out)`` writes the English edition into ``out`` and the Chinese one into
``out/zh`` (from ``notebooks/zh`` and ``homework/zh``, see ``course_tools.translate``): one
page per lecture and homework, a front page with the lecture map, the glossary, the notation
table and a search page. Every page has a sidebar with the contents, a search box and a link
to the same page in the other edition. Pages need only files in the book (``style.css``,
``figures/``, the search scripts): math is pre-rendered to MathML and nothing is loaded from
the network; without scripts only the search results are missing. ``execute=True`` runs
lectures and solutions first.
"""

from __future__ import annotations

import re
import shutil
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
from course_tools.book.strings import EDITIONS, page_title, text
from course_tools.course import LECTURES

COURSE_TITLE = "Deep-learning fundamentals"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TITLE_CALL = re.compile(r"""(?:set_title|suptitle|\btitle\s*=)\s*\(?\s*f?(["'])(.+?)\1""")


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


def plan_pages(root: Path, solutions: bool = False, lang: str = "en") -> list[Page]:
    """Every page of edition ``lang`` in reading order: front page, then per lecture the
    lecture and its homework (and, with ``solutions``, the executed solution, English
    edition only), then the glossary, the notation table and the search page. Pages whose
    source does not exist are left out."""
    if lang not in EDITIONS:
        raise ValueError(f"lang must be one of {sorted(EDITIONS)}, got {lang!r}")
    sub = "" if lang == "en" else lang
    pages = [Page("index.html", text(COURSE_TITLE, lang), None, "index")]
    for lecture in LECTURES:
        notebook = root / "notebooks" / sub / f"{lecture.notebook}.ipynb"
        if notebook.exists():
            title = page_title("lecture", lecture, lang)
            pages.append(
                Page(f"{lecture.notebook}.html", title, notebook, "lecture", lecture.number)
            )
        homework = root / "homework" / sub / f"{lecture.homework}.ipynb"
        if homework.exists():
            title = page_title("homework", lecture, lang)
            pages.append(
                Page(f"{lecture.homework}.html", title, homework, "homework", lecture.number)
            )
        solution = root / "homework" / "solutions" / f"{lecture.homework}.ipynb"
        if solutions and lang == "en" and solution.exists():
            title = page_title("solution", lecture, lang)
            pages.append(
                Page(
                    f"{lecture.homework}_solution.html", title, solution, "solution", lecture.number
                )
            )
    for stem, title in (("glossary", "Glossary"), ("notation", "Notation")):
        source = root / "notebooks" / sub / f"{stem}.md"
        if source.exists():
            pages.append(Page(f"{stem}.html", text(title, lang), source, "glossary"))
    pages.append(Page("search.html", text("Search", lang), None, "search"))
    return pages


def build_book(
    root: Path, out: Path, *, solutions: bool = False, execute: bool = False
) -> list[Path]:
    """Write the book of the course at ``root`` into ``out`` (emptied first): the English
    edition in ``out``, the Chinese edition (when ``notebooks/zh`` exists) in ``out/zh``.

    Args:
        root: the course checkout (holds ``notebooks/`` and ``homework/``).
        out: the output folder; its previous content is removed.
        solutions: include the executed homework solutions (the instructor's edition).
        execute: re-execute lectures and solutions before exporting them.

    Returns:
        The paths of the pages written, English edition first, each in reading order.
    """
    root, out = Path(root), Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "style.css").write_text(_stylesheet(), encoding="utf-8")
    (out / "search.js").write_text(search.SCRIPT, encoding="utf-8")
    editions = {"en": plan_pages(root, solutions, "en")}
    if (root / "notebooks" / "zh").is_dir():
        editions["zh"] = plan_pages(root, False, "zh")
    written = []
    for lang, pages in editions.items():
        folder = out if lang == "en" else out / lang
        folder.mkdir(exist_ok=True)
        other = {code: {p.file for p in editions[code]} for code in editions if code != lang}
        written += _write_edition(lang, pages, folder, out, other, execute)
    return written


def _write_edition(lang, pages, folder, out, other, execute) -> list[Path]:
    prefix = "" if folder == out else "../"
    links = {page.source.stem: page.file for page in pages if page.kind in ("lecture", "homework")}
    links.update(glossary="glossary.html", notation="notation.html")
    bodies, found = {}, []
    for page in pages:
        if page.kind in ("index", "search"):
            continue
        soup = _page_body(page, execute, out, prefix)
        _link_pages(soup, links)
        layout.link_section_list(soup)
        if page.kind == "lecture" or page.kind == "homework" or page.kind == "solution":
            _describe_figures(soup, text("Figure", lang))
        bodies[page.file] = soup
        found += search.sections(page.file, page.title, soup)
    bodies["index.html"] = BeautifulSoup(layout.front_page(pages, lang), "html.parser")
    strings = {
        "title": text("Search the book", lang),
        "button": text("Search", lang),
        "none": text("no-results", lang),
        "noscript": text("noscript", lang),
    }
    bodies["search.html"] = BeautifulSoup(search.search_page_body(found, strings), "html.parser")
    (folder / "search-index.js").write_text(search.index_script(found), encoding="utf-8")
    written = []
    for index, page in enumerate(pages):
        soup = bodies[page.file]
        shell = layout.shell(page, pages, index, soup, lang, prefix, other)
        path = folder / page.file
        path.write_text(shell.replace("<!--BODY-->", str(soup)), encoding="utf-8")
        written.append(path)
    return written


def _page_body(page: Page, execute: bool, out: Path, prefix: str) -> BeautifulSoup:
    assert page.source is not None
    if page.kind == "glossary":
        markdown = markdown2html_mistune(page.source.read_text(encoding="utf-8"))
        soup = BeautifulSoup(f'<div class="rendered_html glossary">{markdown}</div>', "html.parser")
        render_math(soup)
        return soup
    stem = Path(page.file).stem
    soup, figures = notebook_html(
        page.source,
        execute=execute and page.kind not in ("homework",) and not prefix,
        figures=f"{prefix}figures/{stem}",
        widget_note=text("widget-note", "zh" if prefix else "en"),
    )
    if not prefix:  # the Chinese edition shows the same figures: its outputs are the English
        for name, data in figures.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_bytes(data)
    return soup


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
                note = widget_note or text("widget-note", "en")
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
