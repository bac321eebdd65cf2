"""Look at the built book in a real headless browser: ``python -m course_tools.book.browser_check
BOOK OUT``.

Opens the front page, a lecture and a homework page in each edition (and the Chinese front
page at phone width), runs the searches of :data:`SEARCHES` in each edition and loads the
search page with scripts off; saves a screenshot of each into ``OUT`` and prints what it found
(for a search: the results in the edition, those in the other edition, the first few result
lines). Needs ``pip install playwright`` and a Chromium or Chrome (``--chromium``, default
``$BOOK_CHROMIUM`` or ``/usr/bin/chromium``, Debian's package); playwright's own browser
download is not used.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

#: The browser: ``$BOOK_CHROMIUM``, else Debian's Chromium.
CHROMIUM = os.environ.get("BOOK_CHROMIUM", "/usr/bin/chromium")
#: The number of lines the text of each element takes on screen.
LINES = """elements => elements.map(element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set(Array.from(range.getClientRects(), rect => Math.round(rect.top))).size;
})"""
#: The terms a reader looks up in both editions: English, Chinese, the Hessian under the name
#: Lee's course uses, batch normalization under d2l-zh's name, and a term only the glossary has.
SEARCHES = ("saddle", "鞍点", "海森矩阵", "批量规范化", "瑞利商")
#: (file name, page, viewport width, height, scripts on)
VIEWS = (
    ("front-en.png", "index.html", 1280, 900, True),
    ("front-zh.png", "zh/index.html", 1280, 900, True),
    ("front-zh-phone.png", "zh/index.html", 390, 844, True),
    ("lecture-en-04.png", "04_adaptive_lr.html", 1280, 900, True),
    ("lecture-zh-02.png", "zh/02_critical_points.html#section-4", 1280, 900, True),
    ("homework-en-01.png", "hw01_backprop.html", 1280, 900, True),
    ("homework-zh-05.png", "zh/hw05_classification.html", 1280, 900, True),
    ("glossary-zh.png", "zh/glossary.html", 1280, 900, True),
    *(
        (f"search-{edition}-{n}.png", f"{folder}search.html?q={term}", 1280, 900, True)
        for n, term in enumerate(SEARCHES, start=1)
        for edition, folder in (("en", ""), ("zh", "zh/"))
    ),
    ("search-en-scripts-off.png", "search.html?q=saddle", 1280, 900, False),
)


@dataclass(frozen=True)
class Seen:
    """What one view showed: its ``name`` and ``page``, the ``requests`` it made (and how many
    were ``remote``); on a search page the result lines of this edition (``results``), those
    of the other edition (``other``), and how many sections the scripts-off list shows
    (``listed``); on other pages the most lines any table header wraps to (``header_lines``)."""

    name: str
    page: str
    requests: int
    remote: int
    results: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    listed: int = 0
    header_lines: int = 0


def look(book: Path, out: Path, chromium: str = CHROMIUM) -> list[Seen]:
    """Every view of :data:`VIEWS` of the built ``book``, a screenshot of each in ``out``."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    book = book.resolve()
    seen = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for name, page_name, width, height, scripts in VIEWS:
            context = browser.new_context(
                viewport={"width": width, "height": height}, java_script_enabled=scripts
            )
            page = context.new_page()
            requests = []
            page.on("request", lambda r, made=requests: made.append(r.url))
            page.goto(f"file://{book}/{page_name}")
            page.screenshot(path=str(out / name))
            remote = sum(not url.startswith("file://") for url in requests)
            found = {}
            if "search.html" not in page_name and page.locator("th").count():
                found["header_lines"] = max(page.locator("th").evaluate_all(LINES))
            if "search.html" in page_name:
                found = {
                    "results": tuple(page.locator("#search-results > li > a").all_inner_texts()),
                    "other": tuple(page.locator("#search-other li > a").all_inner_texts()),
                    "listed": page.locator("#all-sections li:visible").count(),
                }
            seen.append(Seen(name, page_name, len(requests), remote, **found))
            context.close()
        browser.close()
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.book.browser_check")
    parser.add_argument("book", type=Path, help="the built book (python -m course_tools book)")
    parser.add_argument("out", type=Path, help="folder for the screenshots")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    for view in look(args.book, args.out, args.chromium):
        print(f"{view.name:28s} {view.page:40s} requests {view.requests}, remote {view.remote}")
        if "search.html" in view.page:
            print(
                f"    results {len(view.results)}, other edition {len(view.other)}, "
                f"sections listed {view.listed}"
            )
            for line in view.results[:3] + view.other[:2]:
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
