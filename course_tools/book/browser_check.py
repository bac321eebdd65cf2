"""Look at the built book in a real headless browser: ``python -m course_tools.book.browser_check
BOOK OUT``.

Opens the front page, a lecture and a homework page in each edition (and the Chinese front
page at phone width), runs a search for "saddle" and "鞍点" and loads the search page with
scripts off; saves a screenshot of each into ``OUT`` and prints what it found. Needs
``pip install playwright`` and a Chromium (``--chromium``, default ``/usr/bin/chromium``,
Debian's package); playwright's own browser download is not used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: (file name, page, viewport width, height, scripts on)
VIEWS = (
    ("front-en.png", "index.html", 1280, 900, True),
    ("front-zh.png", "zh/index.html", 1280, 900, True),
    ("front-zh-phone.png", "zh/index.html", 390, 844, True),
    ("lecture-en-04.png", "04_adaptive_lr.html", 1280, 900, True),
    ("lecture-zh-02.png", "zh/02_critical_points.html#section-4", 1280, 900, True),
    ("homework-en-01.png", "hw01_backprop.html", 1280, 900, True),
    ("homework-zh-05.png", "zh/hw05_classification.html", 1280, 900, True),
    ("search-en-saddle.png", "search.html?q=saddle", 1280, 900, True),
    ("search-zh-saddle.png", "zh/search.html?q=鞍点", 1280, 900, True),
    ("search-en-scripts-off.png", "search.html?q=saddle", 1280, 900, False),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.book.browser_check")
    parser.add_argument("book", type=Path, help="the built book (python -m course_tools book)")
    parser.add_argument("out", type=Path, help="folder for the screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    book = args.book.resolve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium)
        for name, page_name, width, height, scripts in VIEWS:
            context = browser.new_context(
                viewport={"width": width, "height": height}, java_script_enabled=scripts
            )
            page = context.new_page()
            requests = []
            page.on("request", lambda r, seen=requests: seen.append(r.url))
            page.goto(f"file://{book}/{page_name}")
            page.screenshot(path=str(args.out / name))
            remote = [url for url in requests if not url.startswith("file://")]
            found = ""
            if page_name.startswith(("search", "zh/search")):
                hits = page.locator("#search-results li").count()
                listed = page.locator("#all-sections li:visible").count()
                found = f"  results {hits}, sections listed {listed}"
            print(
                f"{name:28s} {page_name:40s} requests {len(requests)}, remote {len(remote)}" + found
            )
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
