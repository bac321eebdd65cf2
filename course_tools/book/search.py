"""The book's offline search: an index written at build time and a small local script.

Each edition gets ``search-index.js``: its sections (page, anchor, title, the page as a result
line names it, and the section's prose in chunks of about :data:`CHUNK` characters -- whole,
without code cells or code blocks), the glossary and notation one entry per table row, and
synonym groups read from the glossary (each row's English and Chinese terms, the short forms in
brackets and any aliases column). ``search.html`` loads every edition's index and shares
``search.js``: it reads ``?q=``, widens each word (or the whole query) by its synonym groups,
and lists the sections that contain every word, its own edition first and then the other
editions' pages, with the matched words highlighted (substring match, so Chinese needs no word
splitting). The index is a script, not JSON fetched at run time, so search works from
``file://`` too. Without scripts the search page lists every section instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

#: Characters a chunk of a section's text aims at (a longer paragraph stays whole).
CHUNK = 600
#: Where the text of a page is prose: headings, paragraphs, list items, table cells, quotes.
PROSE = ["h1", "h2", "h3", "h4", "p", "li", "th", "td", "blockquote"]
#: A block inside one of these is part of its ancestor's text.
HOLDERS = ("li", "th", "td", "p", "blockquote")
#: Headers of a glossary table's description columns (the others name the term).
DESCRIPTIONS = {"definition", "meaning", "定义", "含义", "释义", "说明"}
#: What separates two names in a term cell: "批次 (批量)", "dropout, 暂退法".
NAME_SEPARATORS = re.compile(r"[()（）,，、;；/]")
#: "亦称 批量规范化", "d2l: 批量规范化", "also: batch norm": the word before an alias.
LABEL = re.compile(
    r"^(?:(?:亦称|又称|也称|或称|也叫|又叫|also called|also|aka)\s*|[\w\-. ]{1,12}[:：]\s*)"
)
#: The loader line around each edition's index (the JSON between is data only).
INDEX_PREFIX = "(window.BOOK_INDEXES = window.BOOK_INDEXES || []).push("
INDEX_SUFFIX = ");\n"


@dataclass(frozen=True)
class Section:
    """A searchable piece of a page: ``page`` file, heading ``anchor`` ("" for the top),
    ``title`` (of the section or glossary entry), its prose in ``chunks`` and ``where``: the
    page as a result line names it ("Lecture 02: Critical points…", "第 02 讲：临界点…")."""

    page: str
    anchor: str
    title: str
    chunks: tuple[str, ...]
    where: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.chunks)


def sections(page: str, where: str, body: BeautifulSoup, tables: bool = True) -> list[Section]:
    """The page cut at its ``h2`` headings (the text before the first one belongs to the page
    itself), prose only: code cells (their code and outputs) and code blocks are left out,
    and so are tables when ``tables`` is false."""
    found: list[Section] = []
    anchor, title, blocks = "", where, []
    for element in body.find_all(PROSE):
        if _in_code(element) or element.find_parent(HOLDERS) is not None:
            continue
        if not tables and element.find_parent("table") is not None:
            continue
        if element.name == "h2":
            found.append(Section(page, anchor, title, chunked(blocks), where))
            anchor = element.get("id", "")
            title = _words(element)
            blocks = []
        elif element.name != "h1":
            blocks.append(_words(element))
    found.append(Section(page, anchor, title, chunked(blocks), where))
    return [s for s in found if s.chunks or s.anchor]


def table_entries(page: str, where: str, body: BeautifulSoup) -> list[Section]:
    """One entry per row of the page's tables (the glossary, the notation), each row given the
    id ``term-<slug of its first cell>`` to link to; the title is the row's name columns
    ("saddle point — 鞍点"), the text its description columns. The prose around the tables is
    indexed as :func:`sections` does."""
    entries, taken = [], set()
    for table in body.find_all("table"):
        headers = [_words(th).lower() for th in table.find_all("th")]
        for row in table.find_all("tr"):
            cells = row.find_all("td")
            if not cells:
                continue
            names, described = [], []
            for header, cell in zip(headers, cells, strict=False):
                if _only_links(cell):
                    continue
                (described if header in DESCRIPTIONS else names).append(_words(cell))
            row["id"] = _unique(f"term-{_slug(_words(cells[0]))}", taken)
            entries.append(
                Section(page, row["id"], " — ".join(names), tuple(filter(None, described)), where)
            )
    return sections(page, where, body, tables=False) + entries


def synonyms(body: BeautifulSoup) -> list[list[str]]:
    """The glossary's synonym groups: per row, every name in its term columns (every column
    but the descriptions and the lecture links), split at brackets, commas and slashes, the
    word before an alias ("亦称", "d2l:") dropped, each name once whatever its case;
    names of one character are left out."""
    groups = []
    for table in body.find_all("table"):
        headers = [_words(th).lower() for th in table.find_all("th")]
        for row in table.find_all("tr"):
            names: list[str] = []
            for header, cell in zip(headers, row.find_all("td"), strict=False):
                if header in DESCRIPTIONS or _only_links(cell):
                    continue
                for name in NAME_SEPARATORS.split(cell.get_text(" ", strip=True)):
                    name = LABEL.sub("", " ".join(name.split()))
                    if len(name) > 1 and name.lower() not in {n.lower() for n in names}:
                        names.append(name)
            if len(names) > 1:
                groups.append(names)
    return groups


def chunked(blocks: list[str]) -> tuple[str, ...]:
    """Consecutive blocks joined into chunks of about :data:`CHUNK` characters, nothing cut."""
    chunks: list[str] = []
    for block in filter(None, blocks):
        if chunks and len(chunks[-1]) + len(block) < CHUNK:
            chunks[-1] += " " + block
        else:
            chunks.append(block)
    return tuple(chunks)


def index_script(language, folder: str, found, groups) -> str:
    """``search-index.js`` of one edition: its ``language`` (code, name and HTML code), its
    ``folder`` below the book's root ("" or "zh/"), the sections and the synonym groups."""
    data = {
        "lang": language.code,
        "html": language.html,
        "name": language.name,
        "folder": folder,
        "synonyms": groups,
        "sections": [
            {"p": s.page, "a": s.anchor, "t": s.title, "g": s.where, "x": list(s.chunks)}
            for s in found
        ],
    }
    return INDEX_PREFIX + json.dumps(data, ensure_ascii=False) + INDEX_SUFFIX


def read_index(script: str) -> dict:
    """The data of a ``search-index.js`` (ValueError if it is anything but the loader line
    around one JSON object)."""
    if not (script.startswith(INDEX_PREFIX) and script.endswith(INDEX_SUFFIX)):
        raise ValueError("script is not a search index: it must be the loader line around JSON")
    data = json.loads(script.removeprefix(INDEX_PREFIX).removesuffix(INDEX_SUFFIX))
    if not isinstance(data, dict):
        raise ValueError("script is not a search index: its data is not a JSON object")
    return data


def search_page_body(found: list[Section], strings: dict[str, str], lang: str, prefix: str) -> str:
    """The body of ``search.html``: a form, a results list filled by ``search.js`` (its words
    in ``strings``: "title", "button", "none", "results", "other", "noscript") and, for
    readers without scripts, every section as a link. ``lang`` is this edition's code,
    ``prefix`` leads from its folder to the book's root ("" or "../")."""
    links = "".join(
        f'<li><a href="{s.page}{"#" + s.anchor if s.anchor else ""}">'
        f"{_escape(s.where + ' › ' + s.title if s.anchor else s.title)}</a></li>"
        for s in found
    )
    data = " ".join(
        f'data-{key}="{_escape(strings[key], quote=True)}"' for key in ("none", "results", "other")
    )
    return (
        f"<h1>{strings['title']}</h1>"
        '<form class="search" action="search.html" role="search">'
        f'<input type="search" name="q" aria-label="{strings["title"]}" '
        f'placeholder="{strings["title"]}"> <button type="submit">{strings["button"]}</button>'
        "</form>"
        f'<p id="search-status" {data} data-lang="{lang}" data-prefix="{prefix}"></p>'
        '<ol id="search-results"></ol>'
        '<div id="search-other"></div>'
        f"<noscript><p>{strings['noscript']}</p></noscript>"
        f'<ul id="all-sections">{links}</ul>'
    )


def _in_code(element: Tag) -> bool:
    return element.find_parent(["pre", "code"]) is not None or (
        element.find_parent(class_=["code_cell", "input_area", "output_area"]) is not None
    )


def _words(element: Tag) -> str:
    """An element's text without nbconvert's "¶" anchors, code blocks left out."""
    pieces = []
    for piece in element.find_all(string=True):
        if piece.find_parent("pre") is None and piece.find_parent(class_="anchor-link") is None:
            pieces.append(piece)
    return " ".join("".join(pieces).split()).replace(" ¶", "").strip("¶ ")


def _only_links(cell: Tag) -> bool:
    links = cell.find_all("a")
    return bool(links) and _words(cell) == " ".join(_words(a) for a in links)


def _slug(text: str) -> str:
    return "-".join(re.findall(r"\w+", text.lower())) or "row"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


SCRIPT = """\
// Offline search of the course book: every edition's search-index.js pushes its data onto
// window.BOOK_INDEXES; this page's own edition is the one whose folder it is in.
(function () {
  var params = new URLSearchParams(window.location.search);
  var query = (params.get("q") || "").trim();
  var box = document.querySelector("form.search input[name=q]");
  if (box) { box.value = query; }
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var other = document.getElementById("search-other");
  var all = document.getElementById("all-sections");
  if (!list || !query) { return; }
  if (all) { all.hidden = true; }
  var prefix = status.dataset.prefix;
  var lang = status.dataset.lang;
  var indexes = window.BOOK_INDEXES || [];
  var needs = understand(query.toLowerCase(), indexes);
  var own = indexes.filter(function (i) { return i.lang === lang; });
  var rest = indexes.filter(function (i) { return i.lang !== lang; });
  var hits = own.length ? find(own[0]) : [];
  status.textContent = hits.length
    ? status.dataset.results.replace("{count}", hits.length).replace("{query}", query)
    : status.dataset.none;
  show(list, hits.slice(0, 50), own[0]);
  rest.forEach(function (index) {
    var found = find(index);
    if (!found.length) { return; }
    var heading = document.createElement("h2");
    heading.textContent = status.dataset.other.replace("{name}", index.name);
    var more = document.createElement("ol");
    more.lang = index.html;
    other.appendChild(heading);
    other.appendChild(more);
    show(more, found.slice(0, 20), index);
  });

  // Each need is a list of words any one of which must occur: a query that is a glossary
  // term as a whole is one need (the term and its synonyms), else one need per word.
  function understand(text, indexes) {
    var groups = [];
    indexes.forEach(function (i) { groups = groups.concat(i.synonyms); });
    function widen(word) {
      var words = [word];
      groups.forEach(function (group) {
        var names = group.map(function (n) { return n.toLowerCase(); });
        if (names.indexOf(word) >= 0) { words = words.concat(names); }
      });
      return words.filter(function (w, k) { return words.indexOf(w) === k; });
    }
    var whole = widen(text);
    if (whole.length > 1) { return [whole]; }
    return text.split(/\\s+/).map(widen);
  }

  function count(text, word) { return text.split(word).length - 1; }

  function find(index) {
    var found = [];
    index.sections.forEach(function (s) {
      var title = s.t.toLowerCase(), chunks = s.x.map(function (c) { return c.toLowerCase(); });
      var score = 0;
      for (var n = 0; n < needs.length; n++) {
        var got = 0;
        needs[n].forEach(function (word, k) {
          var weight = k === 0 ? 2 : 1;  // the word as typed counts more than its synonyms
          got += weight * (10 * count(title, word));
          chunks.forEach(function (c) { got += weight * count(c, word); });
        });
        if (!got) { return; }
        score += got;
      }
      found.push({ s: s, score: score, chunks: chunks });
    });
    found.sort(function (a, b) { return b.score - a.score; });
    return found;
  }

  function words() {
    var all = [];
    needs.forEach(function (need) { all = all.concat(need); });
    return all.sort(function (a, b) { return b.length - a.length; });
  }

  // Append text to parent with every matched word in a <mark>.
  function marked(parent, text) {
    var lower = text.toLowerCase(), wanted = words(), at = 0;
    while (at < text.length) {
      var next = -1, word = "";
      wanted.forEach(function (w) {
        var k = lower.indexOf(w, at);
        if (k >= 0 && (next < 0 || k < next)) { next = k; word = w; }
      });
      if (next < 0) { break; }
      parent.appendChild(document.createTextNode(text.slice(at, next)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(next, next + word.length);
      parent.appendChild(mark);
      at = next + word.length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function show(target, found, index) {
    var wanted = words();
    found.forEach(function (hit) {
      var s = hit.s, item = document.createElement("li"), link = document.createElement("a");
      var folder = index.lang === lang ? "" : prefix + index.folder;
      link.href = folder + s.p + (s.a ? "#" + s.a : "");
      marked(link, s.a ? s.g + " \\u203a " + s.t : s.t);
      item.appendChild(link);
      var best = hit.chunks.length ? 0 : -1, most = 0;  // a title match shows the start
      hit.chunks.forEach(function (c, k) {
        var n = 0;
        wanted.forEach(function (w) { n += count(c, w); });
        if (n > most) { most = n; best = k; }
      });
      if (best >= 0) {
        var chunk = s.x[best], lower = hit.chunks[best], at = -1;
        wanted.forEach(function (w) {
          var k = lower.indexOf(w);
          if (k >= 0 && (at < 0 || k < at)) { at = k; }
        });
        at = Math.max(at, 0);
        var start = Math.max(0, at - 60), end = Math.min(chunk.length, at + 160);
        var snippet = document.createElement("p");
        marked(snippet, (start ? "\\u2026" : "") + chunk.slice(start, end)
          + (end < chunk.length ? "\\u2026" : ""));
        item.appendChild(snippet);
      }
      target.appendChild(item);
    });
  }
})();
"""
