"""The offline HTML book (``python -m course_tools book``) and the course timer."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup

from tests.instructor import require

require("latex2mathml")

from course_lib.manifest import load
from course_tools.book import build_book, plan_pages
from course_tools.book.mathml import MathError, render_math, tex_to_mathml, unrendered_math
from course_tools.course import budget, find_root
from course_tools.timing import Timing, over_budget
from tests.notebook_files import ROOT

REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def instructor_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    pages = build_book(ROOT, out, solutions=True)
    return out, pages


def run_course_tools(*args):
    """``python -m course_tools ARGS`` from the repository root; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "course_tools", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def soup_of(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_the_book_has_every_existing_lecture_homework_and_solution(instructor_book):
    out, pages = instructor_book
    names = {p.name for p in pages if p.parent == out}
    assert {"index.html", "glossary.html", "notation.html", "search.html"} <= names
    for lecture in load().lectures:
        if (ROOT / "notebooks" / f"{lecture.notebook}.ipynb").exists():
            assert f"{lecture.notebook}.html" in names
        assert f"{lecture.homework}.html" in names
        assert f"{lecture.homework}_solution.html" in names
    index = soup_of(out / "index.html")
    linked = {a["href"] for a in index.find_all("a", href=True)}
    assert names - {"index.html"} <= linked, "the front page links every page"


def test_the_chinese_edition_has_every_lecture_homework_and_page(instructor_book):
    out, pages = instructor_book
    chinese = {p.name for p in pages if p.parent == out / "zh"}
    english = {p.name for p in pages if p.parent == out}
    assert chinese == {n for n in english if not n.endswith("_solution.html")}
    for name in chinese:
        soup = soup_of(out / "zh" / name)
        assert soup.html["lang"] == "zh-CN"
        assert CJK.search(soup.find("main").get_text()), f"zh/{name} has no Chinese text"


def test_every_page_links_its_counterpart_in_the_other_edition(instructor_book):
    _, pages = instructor_book
    for page in pages:
        switch = soup_of(page).select("a.language")
        assert len(switch) == 2, f"{page}: one switch at the top, one at the bottom"
        target = (page.parent / switch[0]["href"]).resolve()
        assert target.exists(), f"{page}: {switch[0]['href']}"
        if not page.name.endswith("_solution.html"):
            assert target.name == page.name, f"{page} switches to {target}"


def test_every_page_has_the_contents_and_a_search_box(instructor_book):
    _, pages = instructor_book
    for page in pages:
        toc = soup_of(page).find("nav", class_="toc")
        assert toc and toc.find("form", class_="search"), page
        current = toc.find("a", attrs={"aria-current": "page"})
        if page.name not in ("index.html", "search.html"):
            assert current and current["href"] == page.name, page
        assert len(toc.find_all("a")) >= 16, f"{page}: the contents list every page"


def test_the_section_list_of_each_lecture_links_its_headings(instructor_book):
    out, _ = instructor_book
    for folder in (out, out / "zh"):
        for lecture in load().lectures:
            soup = soup_of(folder / f"{lecture.notebook}.html")
            items = soup.find("main").find("ol").find_all("li", recursive=False)
            assert len(items) >= 5, f"{lecture.notebook}: no section list"
            for number, item in enumerate(items, start=1):
                link = item.find("a")
                assert link and link["href"] == f"#section-{number}", (folder, item)
                heading = soup.find(id=f"section-{number}")
                assert heading and heading.name == "h2"
                assert heading.get_text().strip().startswith(f"{number}.")


def test_figures_have_alt_text_from_their_titles(instructor_book):
    out, _ = instructor_book
    images = soup_of(out / "04_adaptive_lr.html").find("main").find_all("img")
    alts = [image["alt"] for image in images]
    assert all(alt.startswith("Figure: ") and len(alt) > len("Figure: ") for alt in alts)
    assert any("with and without warm-up" in alt for alt in alts), alts
    chinese = soup_of(out / "zh" / "04_adaptive_lr.html").find("main").find_all("img")
    assert [image["alt"].split(":", 1)[1] for image in chinese] == [
        alt.split(":", 1)[1] for alt in alts
    ]
    for page in out.rglob("*.html"):
        assert "No description has been provided" not in page.read_text(encoding="utf-8")


def test_search_index_finds_saddle_in_english_and_in_chinese(instructor_book):
    out, _ = instructor_book
    for folder, word in ((out, "saddle"), (out / "zh", "鞍点")):
        script = (folder / "search-index.js").read_text(encoding="utf-8")
        records = json.loads(script.removeprefix("window.BOOK_INDEX = ").rstrip().rstrip(";"))
        hits = [r for r in records if word in (r["t"] + r["x"]).lower()]
        assert hits and any(r["p"] == "02_critical_points.html" for r in hits), word
        for record in hits:
            assert (folder / record["p"]).exists()
            if record["a"]:
                assert soup_of(folder / record["p"]).find(id=record["a"]), record
        search_page = soup_of(folder / "search.html")
        listed = search_page.find(id="all-sections").find_all("a")
        assert len(listed) == len(records), "without scripts the search page lists every section"


def test_no_page_loads_anything_from_the_network(instructor_book):
    out, pages = instructor_book
    css = (out / "style.css").read_text(encoding="utf-8")
    assert not re.search(r"https?:|@import|@font-face|url\(", css)
    assert "Noto Sans CJK SC" in css and "PingFang SC" in css, "a CJK font stack"
    code = (out / "search.js").read_text(encoding="utf-8")
    assert not re.search(r"https?:|fetch\(|XMLHttpRequest|import\(|\.src\b", code)
    for index in out.rglob("search-index.js"):  # data only: one JSON array, no code
        data = index.read_text(encoding="utf-8").removeprefix("window.BOOK_INDEX = ")
        assert isinstance(json.loads(data.rstrip().removesuffix(";")), list), index
    for page in pages:
        soup = soup_of(page)
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


def test_math_is_rendered_on_every_page(instructor_book):
    _, pages = instructor_book
    for page in pages:
        main = soup_of(page).find("main")
        assert not unrendered_math(main), f"{page.name}: {unrendered_math(main)[:3]}"
        if page.name[:2].isdigit():
            assert len(main.find_all("math")) >= 20, f"{page.name} has little math"


def test_figures_are_files_in_the_book(instructor_book):
    _, pages = instructor_book
    for page in pages:
        images = soup_of(page).find_all("img")
        if page.name[:2].isdigit():
            assert images, f"{page.name} shows no figure"
        for image in images:
            assert (page.parent / image["src"]).is_file(), f"{page}: {image['src']}"


def test_navigation_links_resolve_and_notebook_links_point_into_the_book(instructor_book):
    _, pages = instructor_book
    for page in pages:
        for anchor in soup_of(page).find_all("a", href=True):
            href = anchor["href"].split("#")[0].split("?")[0]
            if not href or REMOTE.match(href) or href.startswith("mailto:"):
                continue
            assert not href.endswith(".ipynb"), f"{page} links a notebook file: {href}"
            assert (page.parent / href).exists(), f"{page}: broken link {href}"


def test_student_edition_from_the_command_line_has_no_solutions(tmp_path):
    out = tmp_path / "book"
    result = run_course_tools("book", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "built" in result.stdout
    assert not list(out.rglob("*_solution.html"))
    for page in out.rglob("*.html"):
        assert "BEGIN SOLUTION" not in page.read_text(encoding="utf-8"), page.name
    assert {p.file for p in plan_pages(ROOT)} == {p.name for p in out.glob("*.html")}


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
    assert rows[0].split() == ["notebook", "seconds", "budget"]
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
