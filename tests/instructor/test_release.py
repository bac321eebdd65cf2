"""The students' copy (``python -m course_tools release``) is cut exactly along the wall.

These are the quick checks of the copy's contents; ``make test-release`` (in CI, not in
``make test``) installs a copy in a fresh venv and runs it (:mod:`course_tools.release_test`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from course_tools.grading import instructor
from course_tools.release import release, released_files, student_readme, without_answers
from tests.notebook_files import ROOT
from tests.test_readme import relative_links


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release") / "course"
    return dest, release(dest)


def test_the_copy_holds_the_student_side_and_nothing_of_the_instructors(copy):
    dest, files = copy
    for kept in (
        "README.md",
        "Makefile",
        "requirements-lock.txt",
        "course_lib/homework/selfgrade.py",
        "course_lib/homework/sandbox.py",
        "notebooks/01_backprop.ipynb",
        "notebooks/zh/01_backprop.ipynb",
        "homework/hw01_backprop.ipynb",
        "homework/zh/hw01_backprop.ipynb",
        "tests/test_walls.py",
    ):
        assert kept in files, kept
    for gone in (
        "course_tools",
        "homework/solutions",
        "instructor",
        "tests/instructor",
        "translations",
        "docs",
        "instructor.mk",
        "requirements-instructor.txt",
        "CONTRIBUTING.md",
        ".ci",
        ".github",
    ):
        assert not (dest / gone).exists(), gone
    assert set(files) == {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}


def test_the_copy_holds_no_secret_and_no_line_of_a_solution(copy):
    dest, _ = copy
    seed = str(instructor.load(instructor.default_dir()).seed)
    solution = (ROOT / "homework/solutions/hw01_backprop.py").read_text(encoding="utf-8")
    answer = solution[solution.index("def affine_backward") :][:400]
    for path in dest.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert seed not in text, path
            assert answer not in text, path


def test_the_copys_readme_has_no_instructor_part_and_every_link_resolves_there(copy):
    dest, _ = copy
    readme = (dest / "README.md").read_text(encoding="utf-8")
    assert "<!-- instructor -->" not in readme and "course_tools" not in readme
    assert "make lab" in readme and "python -m course_lib.homework grade" in readme
    broken = [t for t in relative_links(readme) if not (dest / t).exists()]
    assert not broken, broken
    assert student_readme("a\n<!-- instructor -->\nb\n<!-- /instructor -->\nc\n") == "a\nc\n"


def test_the_copys_pyproject_installs_only_course_lib(copy):
    dest, _ = copy
    listed = subprocess.run(
        [sys.executable, "-c", "import setuptools; print(setuptools.find_packages())"],
        cwd=dest,
        capture_output=True,
        text=True,
    ).stdout
    packages = set(re.findall(r"'([\w.]+)'", listed))
    assert "course_lib" in packages and not any(p.startswith("course_tools") for p in packages)


def test_the_copys_makefile_offers_no_instructor_target(copy):
    dest, _ = copy
    targets = subprocess.run(["make", "-s", "help"], cwd=dest, capture_output=True, text=True)
    assert "make lab" in targets.stdout and "make test" in targets.stdout
    assert "instructor" not in targets.stdout and "book" not in targets.stdout


def test_without_answers_drops_exactly_the_cells_tagged_answer():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("1. Predict, then run."),
        nbformat.v4.new_code_cell("print(2 + 2)", metadata={"tags": ["answer"]}),
        nbformat.v4.new_markdown_cell(
            "<details><summary>Answer</summary>\n\n4\n</details>", metadata={"tags": ["answer"]}
        ),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["raises-exception"]}),
    ]
    kept = without_answers(nb)
    assert [c.source for c in kept.cells] == ["1. Predict, then run.", "x = 1"]
    assert len(nb.cells) == 4, "the original notebook is not changed"


def test_release_without_answers_leaves_no_answer_cell_in_any_notebook(tmp_path):
    dest = tmp_path / "course"
    files = release(dest, answers=False)
    with_answers = [
        name
        for name in files
        if name.endswith(".ipynb")
        and any(
            "answer" in c["metadata"].get("tags", [])
            for c in json.loads((ROOT / name).read_text(encoding="utf-8"))["cells"]
        )
    ]
    assert len(with_answers) >= 7, with_answers  # the lectures' exercises (en and zh) have some
    for name in files:
        if name.endswith(".ipynb"):
            cells = json.loads((dest / name).read_text(encoding="utf-8"))["cells"]
            assert not any("answer" in c["metadata"].get("tags", []) for c in cells), name
            twin = (dest / name).with_suffix(".py")
            if twin.exists():
                assert 'tags=["answer"]' not in twin.read_text(encoding="utf-8"), twin


def test_release_refuses_a_folder_in_use_or_inside_the_repository(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    with pytest.raises(FileExistsError, match="dest"):
        release(tmp_path / "used")
    with pytest.raises(ValueError, match="dest must be outside"):
        release(ROOT / "_build" / "release-here")


def test_released_files_are_tracked_files_only():
    tracked = set(
        subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    )
    assert set(released_files()) <= tracked


def test_nothing_the_copy_ships_under_the_self_check_answers_a_question(copy):
    """Every callable under ``course_lib.homework`` in the copy, called on each question's
    public cases with the question's argument names, reproduces no expected output
    (issue 28: the self-check holds no reference solution and no near-solution)."""
    dest, files = copy
    assert any(f.startswith("course_lib/homework/expected/") for f in files)
    assert not any("references" in f for f in files)
    script = ROOT / "tests" / "instructor" / "answers_in_release.py"
    env = {**os.environ, "PYTHONPATH": str(dest)}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=dest, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(dest)), found["package"]
    assert found["calls"] > 20  # the test called something
    assert found["reproduced"] == [], found["reproduced"]


def test_the_answer_search_finds_a_planted_answer(monkeypatch, capsys):
    import numpy as np

    from course_lib.homework import hw02
    from tests.instructor import answers_in_release

    monkeypatch.setattr(hw02, "_step", lambda x, g, H: x - np.linalg.solve(H, g), raising=False)
    answers_in_release.main(["hw02"])
    found = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert any(
        r.startswith("course_lib.homework.hw02._step answers hw02 q5") for r in found["reproduced"]
    )
