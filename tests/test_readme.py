"""The README is the students' page: short, every link works, every lecture in its table.

It is what ``make lab`` opens, in the repository and in a student's copy (where the part
between ``<!-- instructor -->`` and ``<!-- /instructor -->`` is left out: the links there
point at guides the copy does not have).
"""

from __future__ import annotations

import re
import tomllib
from urllib.parse import unquote

from course_lib.manifest import load
from tests.notebook_files import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAX_LINES = 200
LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(text: str) -> list[str]:
    """The Markdown link targets that are paths in this repository (not URLs or anchors)."""
    return [
        unquote(t.split("#")[0])
        for t in LINK.findall(text)
        if not re.match(r"[a-z]+:", t) and not t.startswith("#")
    ]


def test_readme_is_short_enough_to_read_first():
    assert README.count("\n") <= MAX_LINES


def test_every_relative_link_of_the_readme_resolves():
    links = relative_links(README)
    assert len(links) >= 30
    broken = [t for t in links if not (ROOT / t).exists()]
    assert not broken, f"README links to missing files: {broken}"


def test_every_anchor_of_the_contents_line_is_a_heading():
    headings = {h.strip().lower().replace(" ", "-") for h in re.findall(r"^## (.+)$", README, re.M)}
    anchors = [t[1:] for t in LINK.findall(README) if t.startswith("#")]
    assert anchors and all(unquote(a) in headings for a in anchors), (anchors, headings)


def test_the_table_links_each_lecture_and_homework_of_the_manifest_in_every_language():
    """One row per lecture of ``course_lib/course.toml``, in its order: the lecture and its
    homework in the source language, then in each translation (those files must exist)."""
    course = load()
    rows = {m[1]: m[0] for m in re.finditer(r"^\| (\d\d) \|.*$", README, re.M)}
    assert list(rows) == [lecture.number for lecture in course.lectures], (
        "README's lecture table must have one row per lecture of course_lib/course.toml"
    )
    for lecture in course.lectures:
        editions = ["", *(f"{lang.code}/" for lang in course.translations)]
        expected = [f"notebooks/{e}{lecture.notebook}.ipynb" for e in editions]
        expected += [f"homework/{e}{lecture.homework}.ipynb" for e in editions]
        links = relative_links(rows[lecture.number])
        assert sorted(links) == sorted(expected), rows[lecture.number]


def test_the_instructor_part_is_marked_once_and_the_rest_needs_no_instructor_file():
    """In the repository the part is there once; a student's copy has none."""
    assert README.count("<!-- instructor -->") == README.count("<!-- /instructor -->") <= 1
    student_part = re.sub(r"<!-- instructor -->.*?<!-- /instructor -->", "", README, flags=re.S)
    for target in relative_links(student_part):
        assert not target.startswith(("docs/", "CONTRIBUTING", "course_tools", "instructor")), (
            target
        )
    assert "course_tools" not in student_part


def test_the_launch_badges_point_at_the_repository_of_pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        repository = tomllib.load(f)["project"]["urls"]["Repository"]
    slug = repository.removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{slug}/blob/main/notebooks/01_backprop" in README
    assert f"mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/README.md" in README
