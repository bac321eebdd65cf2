"""The book's offline search: an index written at build time and a small local script.

Each edition gets ``search-index.js`` (one record per section: page, anchor, title, text)
and shares ``search.js``; ``search.html`` reads ``?q=`` and lists the sections that contain
every word of the query (substring match, so Chinese needs no word splitting). The index is
a script, not JSON fetched at run time, so search works from ``file://`` too. Without
scripts the search page lists every section instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bs4 import BeautifulSoup

MAX_TEXT = 4000


@dataclass(frozen=True)
class Section:
    """A searchable piece of a page: ``page`` file, heading ``anchor`` ("" for the top),
    ``title`` (of the section), plain ``text`` and the ``page_title``."""

    page: str
    anchor: str
    title: str
    text: str
    page_title: str = ""


def sections(page: str, page_title: str, body: BeautifulSoup) -> list[Section]:
    """The page cut at its ``h2`` headings: the text before the first heading belongs to the
    page title."""
    found: list[Section] = []
    anchor, title, words = "", page_title, []
    for element in body.find_all(["h1", "h2", "p", "li", "td", "pre", "h3"]):
        if element.name == "h2":
            found.append(Section(page, anchor, title, " ".join(words)[:MAX_TEXT], page_title))
            anchor = element.get("id", "")
            title = element.get_text(" ", strip=True).rstrip("¶").strip()
            words = []
        elif element.find_parent(["li", "td", "pre"]) is None or element.name in ("li", "td"):
            words.append(element.get_text(" ", strip=True))
    found.append(Section(page, anchor, title, " ".join(words)[:MAX_TEXT], page_title))
    return [s for s in found if s.text or s.anchor]


def index_script(found: list[Section]) -> str:
    """``search-index.js``: the sections as a JavaScript array."""
    records = [
        {"p": s.page, "a": s.anchor, "t": s.title, "x": s.text, "g": s.page_title} for s in found
    ]
    return "window.BOOK_INDEX = " + json.dumps(records, ensure_ascii=False) + ";\n"


def search_page_body(found: list[Section], strings: dict[str, str]) -> str:
    """The body of ``search.html``: a form, a results list filled by ``search.js`` and, for
    readers without scripts, every section as a link."""
    links = "".join(
        f'<li><a href="{s.page}{"#" + s.anchor if s.anchor else ""}">'
        f"{_escape(s.page_title + ' › ' + s.title if s.anchor else s.title)}</a></li>"
        for s in found
    )
    return (
        f"<h1>{strings['title']}</h1>"
        '<form class="search" action="search.html" role="search">'
        f'<input type="search" name="q" aria-label="{strings["title"]}" '
        f'placeholder="{strings["title"]}"> <button type="submit">{strings["button"]}</button>'
        "</form>"
        f'<p id="search-status" data-none="{strings["none"]}"></p><ol id="search-results"></ol>'
        f"<noscript><p>{strings['noscript']}</p></noscript>"
        f'<ul id="all-sections">{links}</ul>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SCRIPT = """\
// Offline search of the course book: filters window.BOOK_INDEX (search-index.js).
(function () {
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim();
  var box = document.querySelector("form.search input[name=q]");
  if (box) { box.value = query; }
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var all = document.getElementById("all-sections");
  if (!list || !query) { return; }
  if (all) { all.hidden = true; }
  var words = query.toLowerCase().split(/\\s+/);
  var hits = [];
  window.BOOK_INDEX.forEach(function (s) {
    var title = s.t.toLowerCase(), text = s.x.toLowerCase(), score = 0;
    for (var i = 0; i < words.length; i++) {
      var inTitle = title.indexOf(words[i]) >= 0, inText = text.indexOf(words[i]) >= 0;
      if (!inTitle && !inText) { return; }
      score += (inTitle ? 10 : 0) + text.split(words[i]).length - 1;
    }
    hits.push({ s: s, score: score });
  });
  hits.sort(function (a, b) { return b.score - a.score; });
  status.textContent = hits.length ? hits.length + " \u2192 " + query : status.dataset.none;
  hits.slice(0, 50).forEach(function (hit) {
    var s = hit.s, item = document.createElement("li"), link = document.createElement("a");
    link.href = s.p + (s.a ? "#" + s.a : "");
    link.textContent = s.a ? s.g + " \u203a " + s.t : s.t;
    var at = s.x.toLowerCase().indexOf(words[0]);
    var snippet = document.createElement("p");
    var start = Math.max(0, at - 60);
    snippet.textContent = (start ? "\u2026" : "") + s.x.slice(start, at + 140) + "\u2026";
    item.appendChild(link);
    item.appendChild(snippet);
    list.appendChild(item);
  });
})();
"""
