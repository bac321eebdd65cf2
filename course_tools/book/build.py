"""Build the static HTML book of the executed course.

``build_book(root, out)`` writes one page per lecture and homework, a front page with the
lecture map and the glossary into ``out``. Pages need only files next to them (the shared
``style.css`` and ``figures/``): math is pre-rendered to MathML, and nothing is loaded from
the network. The stored notebooks are exported as they are (seconds); ``execute=True``
runs lectures and solutions first.
"""

from __future__ import annotations

import html
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

from course_tools.book.mathml import render_math
from course_tools.course import LECTURES

COURSE_TITLE = "Deep-learning fundamentals"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    '<p class="widget-note">An interactive explorer is shown here when the notebook runs '
    "in JupyterLab (sliders need a live kernel); the static figure next to it shows the same "
    "picture.</p>"
)


@dataclass(frozen=True)
class Page:
    """One page of the book: ``file`` (e.g. ``01_backprop.html``), its ``title``, the
    ``source`` it is made from (None for the front page) and its ``kind``: "index",
    "lecture", "homework", "solution" or "glossary"."""

    file: str
    title: str
    source: Path | None
    kind: str


def plan_pages(root: Path, solutions: bool = False) -> list[Page]:
    """Every page in reading order: front page, then per lecture the lecture and its
    homework (and, with ``solutions``, the executed solution), then the glossary. Lectures
    whose notebook does not exist yet are left out."""
    pages = [Page("index.html", COURSE_TITLE, None, "index")]
    for lecture in LECTURES:
        notebook = root / "notebooks" / f"{lecture.notebook}.ipynb"
        if notebook.exists():
            pages.append(
                Page(
                    f"{lecture.notebook}.html",
                    f"{lecture.number} {lecture.title}",
                    notebook,
                    "lecture",
                )
            )
        homework = root / "homework" / f"{lecture.homework}.ipynb"
        if homework.exists():
            title = f"Homework {lecture.number}: {lecture.title}"
            pages.append(Page(f"{lecture.homework}.html", title, homework, "homework"))
        solution = root / "homework" / "solutions" / f"{lecture.homework}.ipynb"
        if solutions and solution.exists():
            title = f"Solution {lecture.number}: {lecture.title}"
            pages.append(Page(f"{lecture.homework}_solution.html", title, solution, "solution"))
    for stem, title in (("glossary", "Glossary"), ("notation", "Notation")):
        source = root / "notebooks" / f"{stem}.md"
        if source.exists():
            pages.append(Page(f"{stem}.html", title, source, "glossary"))
    return pages


def build_book(
    root: Path, out: Path, *, solutions: bool = False, execute: bool = False
) -> list[Path]:
    """Write the book of the course at ``root`` into ``out`` (emptied first).

    Args:
        root: the course checkout (holds ``notebooks/`` and ``homework/``).
        out: the output folder; its previous content is removed.
        solutions: include the executed homework solutions (the instructor's edition).
        execute: re-execute lectures and solutions before exporting them.

    Returns:
        The paths of the pages written, in reading order.
    """
    root, out = Path(root), Path(out)
    pages = plan_pages(root, solutions)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "style.css").write_text(_stylesheet(), encoding="utf-8")
    links = {page.source.stem: page.file for page in pages if page.kind in ("lecture", "homework")}
    links.update(glossary="glossary.html", notation="notation.html")
    written = []
    for index, page in enumerate(pages):
        soup = _page_body(page, pages, execute, out)
        _link_pages(soup, links)
        shell = _shell(page, pages[index - 1] if index else None, pages[index + 1 : index + 2])
        path = out / page.file
        path.write_text(shell.replace("<!--BODY-->", str(soup)), encoding="utf-8")
        written.append(path)
    return written


def _page_body(page: Page, pages: list[Page], execute: bool, out: Path) -> BeautifulSoup:
    if page.kind == "index":
        return BeautifulSoup(_front_page(pages), "html.parser")
    assert page.source is not None
    if page.kind == "glossary":
        markdown = markdown2html_mistune(page.source.read_text(encoding="utf-8"))
        soup = BeautifulSoup(f'<div class="rendered_html glossary">{markdown}</div>', "html.parser")
        render_math(soup)
        return soup
    soup, figures = notebook_html(
        page.source,
        execute=execute and page.kind != "homework",
        figures=f"figures/{Path(page.file).stem}",
    )
    for name, data in figures.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return soup


def notebook_html(
    path: Path, execute: bool = False, figures: str = "figures"
) -> tuple[BeautifulSoup, dict[str, bytes]]:
    """One notebook as HTML: cells and outputs, math as MathML, figures as separate files.

    Args:
        path: the ``.ipynb`` file.
        execute: run it in a fresh kernel first instead of using its stored outputs.
        figures: folder (relative to the page) the figures are referenced from.

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
                output["data"] = {"text/html": WIDGET_NOTE}
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


def _front_page(pages: list[Page]) -> str:
    files = {Path(page.file).stem: page.file for page in pages}
    rows = []
    for lecture in LECTURES:
        title = html.escape(lecture.title)
        if lecture.notebook in files:
            title = f'<a href="{files[lecture.notebook]}">{title}</a>'
        homework = files.get(lecture.homework)
        homework_cell = f'<a href="{homework}">{lecture.homework}</a>' if homework else "—"
        solution = files.get(f"{lecture.homework}_solution")
        if solution:
            homework_cell += f' (<a href="{solution}">solution</a>)'
        rows.append(
            f"<tr><td>{lecture.number}</td><td>{title}</td>"
            f"<td><code>notebooks/{lecture.notebook}.ipynb</code></td>"
            f"<td>{homework_cell}</td><td>{html.escape(lecture.summary)}</td></tr>"
        )
    glossary = (
        '<p>Key terms in English and Chinese: <a href="glossary.html">the glossary</a>.</p>'
        if "glossary" in files
        else ""
    )
    if "notation" in files:
        glossary += '<p>The symbols every lecture uses: <a href="notation.html">notation</a>.</p>'

    return (
        f"<h1>{COURSE_TITLE}</h1>"
        "<p>Seven lectures from the chain rule to a complete PyTorch project. Every idea is "
        "built from scratch in NumPy, checked against PyTorch, and then reused from the "
        "course's small library, <code>course_lib</code>. These pages show the notebooks as "
        "executed, with their outputs and figures; to run and change them, open the course "
        "in JupyterLab (<code>make lab</code>).</p>"
        '<table class="lecture-map"><thead><tr><th>#</th><th>lecture</th><th>notebook</th>'
        "<th>homework</th><th>what you learn</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + glossary
    )


def _shell(page: Page, previous: Page | None, following: list[Page]) -> str:
    def link(target: Page | None, label: str) -> str:
        if target is None:
            return '<span class="nav-empty"></span>'
        return f'<a href="{target.file}">{label} {html.escape(target.title)}</a>'

    nav = (
        '<nav class="book-nav">'
        f'<a class="home" href="index.html">{COURSE_TITLE}</a>'
        + link(previous, "←")
        + link(following[0] if following else None, "→")
        + '<a href="glossary.html">Glossary</a></nav>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(page.title)} — {COURSE_TITLE}</title>\n"
        '<link rel="stylesheet" href="style.css">\n</head>\n<body>\n'
        f'{nav}\n<main class="{page.kind}">\n<!--BODY-->\n</main>\n{nav}\n</body>\n</html>\n'
    )


def _stylesheet() -> str:
    own = files("course_tools.book").joinpath("style.css").read_text(encoding="utf-8")
    return (
        own
        + "\n/* code highlighting (Pygments) */\n"
        + HtmlFormatter().get_style_defs(".highlight")
    )
