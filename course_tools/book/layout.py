"""The book's page frame: sidebar contents, language switch, linked section lists and the
front page. Works without scripts; on a narrow screen the contents follow the page."""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup

from course_tools.book.strings import Words

SECTION_NUMBER = re.compile(r"^\s*(\d+)\.\s")


def link_section_list(soup: BeautifulSoup) -> None:
    """Give each numbered ``h2`` ("3. Momentum") the id ``section-3``, and link the items of
    the page's first ordered list (the lecture's section list) to those headings."""
    numbered = {}
    for heading in soup.find_all("h2"):
        found = SECTION_NUMBER.match(heading.get_text())
        if found:
            heading["id"] = f"section-{found[1]}"
            anchor = heading.find("a", class_="anchor-link")
            if anchor:
                anchor["href"] = f"#section-{found[1]}"
            numbered[int(found[1])] = heading["id"]
    first = soup.find("ol")
    if not first or not numbered or first.find_parent(class_="code_cell"):
        return
    for number, item in enumerate(first.find_all("li", recursive=False), start=1):
        if number in numbered and not item.find("a"):
            link = soup.new_tag("a", href=f"#{numbered[number]}")
            link.extend(list(item.contents))
            item.append(link)


def front_page(pages, said: Words, lectures, prefix: str) -> str:
    """The front page: what the course is, then one card per lecture (title, homework, what
    you learn, the notebook of this edition), then the glossary and notation links."""
    files = {page.file.removesuffix(".html"): page.file for page in pages}
    folder = "notebooks/" + ("" if not prefix else f"{said.language.code}/")
    cards = []
    for lecture in lectures:
        title = html.escape(said.lecture_title(lecture))
        if lecture.notebook in files:
            title = f'<a href="{files[lecture.notebook]}">{title}</a>'
        homework = files.get(lecture.homework)
        links = (
            f'<a href="{homework}">{said.text("Homework")} {lecture.number}</a>' if homework else ""
        )
        solution = files.get(f"{lecture.homework}_solution")
        if solution:
            links += f' · <a href="{solution}">{said.text("Solution")}</a>'
        cards.append(
            f'<li class="lecture-card"><span class="number">{lecture.number}</span>'
            f"<h2>{title}</h2><p>{html.escape(said.lecture_summary(lecture))}</p>"
            f'<p class="card-links">{links} · {said.text("notebook")} '
            f"<code>{folder}{lecture.notebook}.ipynb</code></p></li>"
        )
    extra = "".join(
        f"<p>{said.text(key + '-line')}</p>" for key in ("glossary", "notation") if key in files
    )
    return (
        f"<h1>{html.escape(said.text('Deep-learning fundamentals'))}</h1>"
        f"<p>{said.text('intro')}</p>"
        f'<ol class="lecture-map">{"".join(cards)}</ol>{extra}'
    )


def shell(page, pages, index, soup, said: Words, prefix, other) -> str:
    """The whole HTML document of ``page`` around the placeholder ``<!--BODY-->``.

    ``other`` lists each other edition as (its language, the files it has, its folder below
    the book's root: ``""`` or ``"zh/"``); the language switch links the same page there (its
    front page when it lacks the page)."""
    code = said.language.html
    title = said.text("Deep-learning fundamentals")
    previous = pages[index - 1] if index else None
    following = pages[index + 1] if index + 1 < len(pages) else None

    def step(target, arrow):
        if target is None:
            return '<span class="nav-empty"></span>'
        rel = "prev" if arrow == "←" else "next"
        return f'<a href="{target.file}" rel="{rel}">{arrow} {html.escape(target.title)}</a>'

    switch = ""
    for language, other_files, folder in other:
        target = page.file if page.file in other_files else "index.html"
        href = f"{prefix}{folder}{target}"
        switch += (
            f'<a class="language" href="{href}" hreflang="{language.html}" '
            f'lang="{language.html}">{language.name}</a>'
        )
    top = (
        '<nav class="book-nav" aria-label="pages">'
        f'<a class="home" href="index.html">{html.escape(title)}</a>'
        + step(previous, "←")
        + step(following, "→")
        + f'<a class="to-contents" href="#contents">{said.text("Contents")}</a>'
        + f'<a href="search.html">{said.text("Search")}</a>{switch}</nav>'
    )
    bottom = top.replace('class="book-nav"', 'class="book-nav bottom"').replace(
        'aria-label="pages"', 'aria-label="pages, end"'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(page.title)} — {html.escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{prefix}style.css">\n</head>\n<body>\n{top}\n'
        f'<div class="layout">\n<main class="{page.kind}">\n<!--BODY-->\n</main>\n'
        f"{_sidebar(page, pages, soup, said)}\n</div>\n{bottom}\n"
        + (_search_scripts(prefix, other) if page.kind == "search" else "")
        + "</body>\n</html>\n"
    )


def _search_scripts(prefix, other) -> str:
    """The search page's scripts: every edition's index, this one's first, then the search."""
    indexes = ["search-index.js"] + [f"{prefix}{folder}search-index.js" for _, _, folder in other]
    return "".join(f'<script src="{src}"></script>\n' for src in indexes) + (
        f'<script src="{prefix}search.js"></script>\n'
    )


def _sidebar(page, pages, soup, said: Words) -> str:
    """Search box, every page of the edition (the current one marked, with its sections)."""
    items, open_lecture = [], None
    for other in pages:
        if other.kind in ("index", "search"):
            continue
        current = ' aria-current="page"' if other.file == page.file else ""
        entry = f'<a href="{other.file}"{current}>{html.escape(other.title)}</a>'
        if other.file == page.file:
            entry += _sections(soup, said)
        nested = other.kind in ("homework", "solution")
        if nested and open_lecture is not None:
            items[-1] = items[-1].removesuffix("</li>") + f"<ul><li>{entry}</li></ul></li>"
            continue
        items.append(f"<li>{entry}</li>")
        open_lecture = other.lecture if other.kind == "lecture" else None
    search_box = (
        '<form class="search" action="search.html" role="search">'
        f'<input type="search" name="q" placeholder="{said.text("Search the book")}" '
        f'aria-label="{said.text("Search the book")}"></form>'
    )
    return (
        f'<nav class="toc" id="contents" aria-label="{said.text("Contents")}">{search_box}'
        f'<p class="toc-title">{said.text("Contents")}</p><ul>{"".join(items)}</ul></nav>'
    )


def _sections(soup: BeautifulSoup, said: Words) -> str:
    headings = [h for h in soup.find_all("h2") if h.get("id")]
    if not headings:
        return ""
    links = "".join(
        f'<li><a href="#{h["id"]}">{html.escape(_heading_text(h))}</a></li>' for h in headings
    )
    return f'<ul class="on-this-page" aria-label="{said.text("On this page")}">{links}</ul>'


def _heading_text(heading) -> str:
    """A heading's words without nbconvert's "¶" anchor."""
    return heading.get_text(" ", strip=True).rstrip("¶").strip()
