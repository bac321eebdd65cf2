"""The offline HTML book (``python -m course_tools book``) and the course timer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tests.instructor import require

require("latex2mathml")

from course_lib.manifest import load
from course_tools import course_cli
from course_tools.book import build_book, plan_pages
from course_tools.book.browser_check import CHROMIUM, look
from course_tools.book.build import dunders_as_code
from course_tools.book.mathml import MathError, render_math, tex_to_mathml, unrendered_math
from course_tools.book.search import read_index, synonyms
from course_tools.course import budget, find_root
from course_tools.timing import Timing, over_budget
from tests.notebook_files import ROOT

OFF = "search-en-scripts-off.png"
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def instructor_book(tmp_path_factory):
    """The instructor's edition, built once: (its folder, the pages written, the pages reported
    as read, in order)."""
    out = tmp_path_factory.mktemp("book")
    read = []
    pages = build_book(ROOT, out, solutions=True, progress=read.append)
    return out, pages, read


@pytest.fixture(scope="module")
def soups(instructor_book):
    """Every page of the book parsed once: ``{path: BeautifulSoup}``."""
    _, pages, _ = instructor_book
    return {page: BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser") for page in pages}


def run_course_tools(*args):
    """``python -m course_tools ARGS`` from the repository root; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "course_tools", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def index_of(folder):
    """The data of an edition's ``search-index.js``."""
    return read_index((folder / "search-index.js").read_text(encoding="utf-8"))


def test_the_book_has_every_existing_lecture_homework_and_solution(instructor_book, soups):
    out, pages, _ = instructor_book
    names = {p.name for p in pages if p.parent == out}
    assert {"index.html", "glossary.html", "notation.html", "search.html"} <= names
    for lecture in load().lectures:
        if (ROOT / "notebooks" / f"{lecture.notebook}.ipynb").exists():
            assert f"{lecture.notebook}.html" in names
        assert f"{lecture.homework}.html" in names
        assert f"{lecture.homework}_solution.html" in names
    linked = {a["href"] for a in soups[out / "index.html"].find_all("a", href=True)}
    assert names - {"index.html"} <= linked, "the front page links every page"


def test_the_chinese_edition_has_every_lecture_homework_and_page(instructor_book, soups):
    out, pages, _ = instructor_book
    chinese = {p.name for p in pages if p.parent == out / "zh"}
    english = {p.name for p in pages if p.parent == out}
    assert chinese == {n for n in english if not n.endswith("_solution.html")}
    for name in chinese:
        soup = soups[out / "zh" / name]
        assert soup.html["lang"] == "zh-CN"
        assert CJK.search(soup.find("main").get_text()), f"zh/{name} has no Chinese text"


def test_each_page_is_reported_as_it_is_read(instructor_book):
    out, pages, read = instructor_book
    made = [str(p.relative_to(out)) for p in pages if p.name not in ("index.html", "search.html")]
    assert read == made, "one progress line per page, in the order they are built"


def test_front_page_cards_name_the_notebook_of_their_edition(instructor_book, soups):
    out, _, _ = instructor_book
    for folder, label, path in (
        (out, "notebook", "notebooks/"),
        (out / "zh", "笔记本", "notebooks/zh/"),
    ):
        for card in soups[folder / "index.html"].select(".lecture-card .card-links"):
            code = card.find("code").get_text()
            assert code.startswith(path) and code.count("/") == path.count("/"), code
            assert f" {label} " in card.get_text(), card.get_text()


def test_every_page_links_its_counterpart_in_the_other_edition(soups):
    for page, soup in soups.items():
        switch = soup.select("a.language")
        assert len(switch) == 2, f"{page}: one switch at the top, one at the bottom"
        target = (page.parent / switch[0]["href"]).resolve()
        assert target.exists(), f"{page}: {switch[0]['href']}"
        if not page.name.endswith("_solution.html"):
            assert target.name == page.name, f"{page} switches to {target}"


def test_every_page_has_the_contents_and_a_search_box(soups):
    for page, soup in soups.items():
        toc = soup.find("nav", class_="toc")
        assert toc and toc.find("form", class_="search"), page
        current = toc.find("a", attrs={"aria-current": "page"})
        if page.name not in ("index.html", "search.html"):
            assert current and current["href"] == page.name, page
        assert len(toc.find_all("a")) >= 16, f"{page}: the contents list every page"


def test_the_section_list_of_each_lecture_links_its_headings(instructor_book, soups):
    out, _, _ = instructor_book
    for folder in (out, out / "zh"):
        for lecture in load().lectures:
            soup = soups[folder / f"{lecture.notebook}.html"]
            items = soup.find("main").find("ol").find_all("li", recursive=False)
            assert len(items) >= 5, f"{lecture.notebook}: no section list"
            for number, item in enumerate(items, start=1):
                link = item.find("a")
                assert link and link["href"] == f"#section-{number}", (folder, item)
                heading = soup.find(id=f"section-{number}")
                assert heading and heading.name == "h2"
                assert heading.get_text().strip().startswith(f"{number}.")


def test_figures_have_alt_text_from_their_titles(instructor_book, soups):
    out, _, _ = instructor_book
    images = soups[out / "04_adaptive_lr.html"].find("main").find_all("img")
    alts = [image["alt"] for image in images]
    assert all(alt.startswith("Figure: ") and len(alt) > len("Figure: ") for alt in alts)
    assert any("decay; warm-up; Transformer" in alt for alt in alts), alts
    chinese = soups[out / "zh" / "04_adaptive_lr.html"].find("main").find_all("img")
    assert [image["alt"].split(":", 1)[1] for image in chinese] == [
        alt.split(":", 1)[1] for alt in alts
    ]
    for soup in soups.values():
        assert "No description has been provided" not in soup.get_text()


def test_search_finds_saddle_in_english_and_in_chinese(instructor_book, soups):
    out, _, _ = instructor_book
    for folder, word in ((out, "saddle"), (out / "zh", "鞍点")):
        records = index_of(folder)["sections"]
        hits = [r for r in records if word in (r["t"] + " ".join(r["x"])).lower()]
        assert any(r["p"] == "02_critical_points.html" for r in hits), word
        assert any(r["p"] == "glossary.html" and r["a"] == "term-saddle-point" for r in hits)
        for record in hits:
            if record["a"]:
                assert soups[folder / record["p"]].find(id=record["a"]), record
        search_page = soups[folder / "search.html"]
        listed = search_page.find(id="all-sections").find_all("a")
        assert len(listed) == len(records), "without scripts the search page lists every section"


def test_search_index_holds_every_section_whole_without_code(instructor_book, soups):
    out, _, _ = instructor_book
    longest = 0
    for folder in (out, out / "zh"):
        records = index_of(folder)["sections"]
        text = {(r["p"], r["a"]): " ".join(r["x"]) for r in records}
        longest = max(longest, *map(len, text.values()))
        for lecture in load().lectures:
            page = f"{lecture.notebook}.html"
            main = soups[folder / page].find("main")
            code = {
                line.strip()
                for area in main.select(".input_area, .output_area")
                for line in area.get_text().splitlines()
                if len(line.strip()) >= 30
            }
            indexed = " ".join(t for (p, _), t in text.items() if p == page)
            assert code and not [line for line in code if line in indexed], page
            last = {}  # each section's last paragraph outside code cells, in one pass
            heading = None
            for element in main.find_all(["p", "h2"]):
                if element.name == "h2":
                    heading = element.get("id")
                elif heading and element.find_parent(class_="code_cell") is None:
                    last[heading] = element if element.get_text(strip=True) else last.get(heading)
            for anchor, paragraph in last.items():  # compared without spaces, as indexed
                if paragraph is None:
                    continue
                words = "".join(paragraph.get_text().split())
                assert words[-20:] in "".join(text[(page, anchor)].split()), (folder, page, anchor)
    assert longest > 4000, "sections longer than the old index's cut are whole"


def test_glossary_is_indexed_one_entry_per_row_with_its_synonyms(instructor_book, soups):
    out, _, _ = instructor_book
    for folder, sub in ((out, ""), (out / "zh", "zh/")):
        source = (ROOT / "notebooks" / sub / "glossary.md").read_text(encoding="utf-8")
        rows = [line for line in source.splitlines() if line.startswith("| ")][1:]
        index = index_of(folder)
        entries = [r for r in index["sections"] if r["p"] == "glossary.html" and r["a"]]
        entries = [r for r in entries if r["a"].startswith("term-")]
        assert len(entries) == len(rows)
        page = soups[folder / "glossary.html"]
        assert all(page.find("tr", id=r["a"]) for r in entries)
        saddle = next(r for r in entries if r["a"] == "term-saddle-point")
        assert "鞍点" in saddle["t"] and saddle["x"], saddle
        hessian = next(g for g in index["synonyms"] if "Hessian" in g)
        assert {"Hessian", "黑塞矩阵", "海森矩阵"} <= set(hessian), hessian
        batch_norm = next(g for g in index["synonyms"] if "BN" in g)
        assert {"batch normalization", "BN", "批次标准化"} <= set(batch_norm), batch_norm


def test_synonyms_come_from_term_columns_brackets_and_an_aliases_column():
    glossary = BeautifulSoup(
        "<table><thead><tr><th>English</th><th>中文</th><th>定义</th><th>aliases</th>"
        "<th>讲次</th></tr></thead><tbody>"
        "<tr><td>batch normalization (BN)</td><td>批次标准化</td><td>按小批量（批次）标准化</td>"
        '<td>d2l: 批量规范化, batch norm</td><td><a href="06.html">06</a></td></tr>'
        "<tr><td>dropout</td><td>丢弃法（Dropout；亦称 暂退法）</td><td>随机置零</td><td></td>"
        '<td><a href="07.html">07</a></td></tr>'
        "<tr><td>x</td><td>埃</td><td>a letter</td><td></td><td></td></tr>"
        "</tbody></table>",
        "html.parser",
    )
    assert synonyms(glossary) == [
        ["batch normalization", "BN", "批次标准化", "批量规范化", "batch norm"],
        ["dropout", "丢弃法", "暂退法"],
    ]


def test_the_glossary_shows_dunder_names_as_code_and_keeps_its_brackets(instructor_book, soups):
    out, _, _ = instructor_book
    assert dunders_as_code("gives (__len__) and `x.__len__()`, not __a") == (
        "gives (`__len__`) and `x.__len__()`, not __a"
    )
    for folder, sub in ((out, ""), (out / "zh", "zh/")):
        page = soups[folder / "glossary.html"]
        row = page.find("tr", id="term-dataset")
        assert "__len__" in [code.get_text() for code in row.find_all("code")], row
        assert not page.find("strong", string=re.compile(r"^(len|getitem)$"))
        source = (ROOT / "notebooks" / sub / "glossary.md").read_text(encoding="utf-8")
        rendered = {td.get_text() for td in page.find_all("td")}
        for line in source.splitlines()[1:]:
            if line.startswith("| ") and not line.startswith("| English"):
                term = line.split("|")[2].strip()  # as written, brackets and all
                assert term in rendered, term


def test_search_page_loads_every_editions_index_then_the_script(instructor_book, soups):
    out, _, _ = instructor_book
    for folder, prefix, other in ((out, "", "zh/"), (out / "zh", "../", "")):
        scripts = [s["src"] for s in soups[folder / "search.html"].find_all("script")]
        assert scripts == [
            "search-index.js",
            f"{prefix}{other}search-index.js",
            f"{prefix}search.js",
        ]
        status = soups[folder / "search.html"].find(id="search-status")
        assert "{count}" in status["data-results"] and "{query}" in status["data-results"]
        assert status["data-prefix"] == prefix
        assert index_of(folder)["folder"] == ("" if folder == out else "zh/")
    chinese = soups[out / "zh" / "search.html"].find(id="search-status")
    assert CJK.search(chinese["data-results"]) and CJK.search(chinese["data-other"])
    lecture = next(
        r for r in index_of(out / "zh")["sections"] if r["p"] == "02_critical_points.html"
    )
    assert lecture["g"].startswith("第 02 讲："), lecture["g"]
    lecture = next(r for r in index_of(out)["sections"] if r["p"] == "02_critical_points.html")
    assert lecture["g"].startswith("Lecture 02: "), lecture["g"]


def test_browser_check_finds_the_terms_in_both_editions(instructor_book, tmp_path):
    """Runs the search in a real browser: when ``CI=true`` a missing Chromium or playwright
    fails the test; elsewhere it is skipped with the reason."""
    missing = []
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install playwright)")
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        reason = "the browser check needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    out, _, _ = instructor_book
    seen = {view.name: view for view in look(out, tmp_path / "screenshots")}
    searched = {v.page: v for v in seen.values() if "search.html" in v.page and v.name != OFF}
    assert all(view.remote == 0 for view in seen.values()), "nothing from the network"
    assert searched["search.html?q=saddle"].listed == 0 and searched["search.html?q=saddle"].results
    assert seen[OFF].listed > 100 and not seen[OFF].results, "without scripts: every section"
    lecture = {"": "Lecture 02: ", "zh/": "第 02 讲："}
    for folder in ("", "zh/"):
        for term in ("鞍点", "海森矩阵"):
            view = searched[f"{folder}search.html?q={term}"]
            found = view.results + view.other
            assert any(line.startswith(lecture[folder]) for line in view.results) or any(
                line.startswith("第 02 讲：") for line in view.other
            ), (folder, term, found)
        hessian = searched[f"{folder}search.html?q=海森矩阵"]
        assert any(line.startswith(lecture[folder]) for line in hessian.results), hessian
        rayleigh = searched[f"{folder}search.html?q=瑞利商"]
        assert any(line.startswith("第 02 讲：") for line in rayleigh.results + rayleigh.other)
    english = searched["search.html?q=鞍点"]
    assert any(line.startswith("Lecture 02: ") for line in english.results), english
    assert any(line.startswith("第 02 讲：") for line in english.other), english
    assert seen["glossary-zh.png"].header_lines == 1, "the glossary's headers stay on one line"


def test_no_page_loads_anything_from_the_network(instructor_book, soups):
    out, _, _ = instructor_book
    css = (out / "style.css").read_text(encoding="utf-8")
    assert not re.search(r"https?:|@import|@font-face|url\(", css)
    assert "Noto Sans CJK SC" in css and "PingFang SC" in css, "a CJK font stack"
    code = (out / "search.js").read_text(encoding="utf-8")
    assert not re.search(r"https?:|fetch\(|XMLHttpRequest|import\(|\.src\b|innerHTML", code)
    for index in out.rglob("search-index.js"):  # data only: one JSON object in the loader line
        assert isinstance(read_index(index.read_text(encoding="utf-8")), dict), index
    for page, soup in soups.items():
        for tag in soup.find_all(["script", "link", "img", "iframe", "source", "video", "audio"]):
            for attribute in ("src", "href", "srcset"):
                value = tag.get(attribute)
                assert not (value and REMOTE.match(value)), f"{page.name}: {tag.name} {value}"
        for style in soup.find_all("style"):
            assert not re.search(r"https?:|@import|url\(", style.get_text()), page.name
        scripts = soup.find_all("script")
        if page.name == "search.html":
            assert scripts and all(s.get("src") and not s.string for s in scripts)
            for s in scripts:
                assert (page.parent / s["src"]).is_file()
        else:
            assert not scripts, f"{page.name} needs no scripts"


def test_math_is_rendered_on_every_page(soups):
    for page, soup in soups.items():
        main = soup.find("main")
        assert not unrendered_math(main), f"{page.name}: {unrendered_math(main)[:3]}"
        if page.name[:2].isdigit():
            assert len(main.find_all("math")) >= 20, f"{page.name} has little math"


def test_figures_are_files_in_the_book(soups):
    for page, soup in soups.items():
        images = soup.find_all("img")
        if page.name[:2].isdigit():
            assert images, f"{page.name} shows no figure"
        for image in images:
            assert (page.parent / image["src"]).is_file(), f"{page}: {image['src']}"


def test_navigation_links_resolve_and_notebook_links_point_into_the_book(soups):
    for page, soup in soups.items():
        for anchor in soup.find_all("a", href=True):
            href = anchor["href"].split("#")[0].split("?")[0]
            if not href or REMOTE.match(href) or href.startswith("mailto:"):
                continue
            assert not href.endswith(".ipynb"), f"{page} links a notebook file: {href}"
            assert (page.parent / href).exists(), f"{page}: broken link {href}"


def test_student_edition_has_no_solution_page_and_its_pages_hold_no_solution(
    instructor_book, soups
):
    """The student edition is the plan without solutions; every page it has is built from the
    same source as the instructor's page of that name, so checking those pages here holds
    for it without building it a second time."""
    out, _, _ = instructor_book
    solutions = ROOT / "homework" / "solutions"
    course = load()
    for language in course.languages:
        student = plan_pages(ROOT, lang=language.code)
        assert student, language.code
        assert not [p for p in student if p.kind == "solution" or "_solution" in p.file]
        assert not [p for p in student if p.source and p.source.is_relative_to(solutions)]
        folder = out if language.code == course.languages[0].code else out / language.code
        for page in student:
            text = soups[folder / page.file].find("main").get_text()
            assert "BEGIN SOLUTION" not in text, (language.code, page.file)
    assert "BEGIN SOLUTION" in soups[out / "hw01_backprop_solution.html"].get_text(), (
        "the marker this test looks for is what a solution page shows"
    )


def test_book_command_builds_the_student_edition_with_a_line_per_page(
    tmp_path, monkeypatch, capsys
):
    calls = []

    def recording_build(root, out, *, solutions, execute, progress):
        calls.append((root, out, solutions, execute))
        for page in ("01_backprop.html", "zh/01_backprop.html"):
            progress(page)
        return [out / "index.html"]

    monkeypatch.setattr("course_tools.book.build_book", recording_build)
    monkeypatch.chdir(ROOT)
    assert course_cli.main(["book", "--out", str(tmp_path / "book")]) == 0
    assert calls == [(ROOT, tmp_path / "book", False, False)], "the student edition by default"
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["  01_backprop.html", "  zh/01_backprop.html"]
    assert lines[2].startswith("built 1 pages in ")
    assert course_cli.main(["book", "--out", str(tmp_path / "b"), "--solutions"]) == 0
    assert calls[-1][2] is True


def test_tex_to_mathml():
    assert "<mfrac>" in tex_to_mathml(r"\frac{a}{b}", display=False)
    assert 'display="block"' in tex_to_mathml(r"\sum_i x_i", display=True)
    with pytest.raises(MathError, match="frac"):
        tex_to_mathml(r"\frac{a}{", display=False)


def test_render_math_leaves_code_alone():
    soup = BeautifulSoup("<p>cost $x^2$ and <code>$HOME</code></p><p>$$a+b$$</p>", "html.parser")
    assert render_math(soup) == 2
    assert soup.find("code").get_text() == "$HOME"
    assert not unrendered_math(soup)
    assert unrendered_math(BeautifulSoup(r"<p>left \frac{1}{2} alone</p>", "html.parser"))


def test_find_root_and_budgets_come_from_the_checkouts_manifest(tmp_path):
    assert find_root(ROOT / "notebooks") == ROOT
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "course_lib").mkdir()
    (tmp_path / "course_lib" / "course.toml").write_text(
        "[budgets]\nlecture = 5\nsolution = 3\ncourse = 9\n"
        '[[languages]]\ncode = "en"\nname = "English"\nhtml = "en"\n'
        '[[lectures]]\nnumber = "01"\nslug = "a"\ntitle = "A"\nsummary = "a"\n'
        'homework = "hw01_a"\nhomework_budget = 4\nbudget = 6\n'
    )
    assert find_root(tmp_path / "notebooks") == tmp_path
    assert budget(tmp_path, tmp_path / "notebooks" / "01_a.ipynb") == 6
    assert budget(tmp_path, tmp_path / "notebooks" / "zh" / "01_a.ipynb") == 6
    assert budget(tmp_path, tmp_path / "homework" / "solutions" / "hw01_a.ipynb") == 4
    assert budget(tmp_path, tmp_path / "elsewhere.ipynb") == 5, "the default lecture budget"
    assert not over_budget([Timing("a", 19.0, 20.0), Timing("b", 9.0, 10.0)], 30.0)
    assert over_budget([Timing("a", 21.0, 20.0)], 30.0)
    assert over_budget([Timing(str(i), 5.0, 20.0) for i in range(7)], 30.0), "total over 30 s"


def test_time_command_runs_a_notebook_in_a_fresh_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    result = run_course_tools("time", "--check", path)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["notebook", "seconds", "cpu", "budget"]
    assert rows[1].startswith(str(path)) and rows[-1].startswith("total")
    assert path.read_bytes() == before, "timing never writes to the notebook"
    # Each kernel is shut down after its notebook, not orphaned until the command exits.
    assert "Parent appears to have exited" not in result.stderr


def test_execute_command_reruns_a_paired_notebook_in_place(tmp_path):
    (tmp_path / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n')
    source = tmp_path / "tiny.py"
    source.write_text(
        "# %%\nimport sys\n\nfor i in range(5):\n    sys.stderr.write(f'\\\\repoch {i}')\n"
        "\n# %%\nprint(6 * 7)\n"
    )
    result = run_course_tools("execute", source)
    assert result.returncode == 0, result.stderr
    nb = nbformat.read(tmp_path / "tiny.ipynb", as_version=4)
    progress, answer = (cell.outputs for cell in nb.cells)
    assert len(progress) == 1 and progress[0].name == "stderr", "streams are merged"
    assert progress[0].text.endswith("epoch 4")
    assert answer[0].text == "42\n"
    assert "execution" not in nb.cells[0].metadata, "no timing metadata is stored"

    source.write_text(source.read_text().replace("6 * 7", "6 * 8"))
    assert run_course_tools("execute", tmp_path / "tiny.ipynb").returncode == 0
    nb = nbformat.read(tmp_path / "tiny.ipynb", as_version=4)
    assert nb.cells[1].outputs[0].text == "48\n", "the edited .py is picked up"


def test_execute_command_rejects_a_missing_notebook(tmp_path):
    result = run_course_tools("execute", tmp_path / "missing.ipynb")
    assert result.returncode != 0 and "neither an .ipynb nor a .py" in result.stderr
