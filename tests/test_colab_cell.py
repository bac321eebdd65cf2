"""Every lecture, solution and student notebook opens with the same Colab setup cell."""

from __future__ import annotations

import ast
import tomllib

import nbformat
import pytest

from tests.notebook_files import ROOT, all_notebooks, notebook_id


def repository_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"]


def expected_cell() -> str:
    return (
        "import subprocess  # On Google Colab only: install course_lib "
        "(Colab's torch and numpy stay).\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", '
        f'"git+{repository_url()}"], check=True)  # fmt: skip'
    )


def test_the_cell_installs_from_the_repository_without_dependencies():
    tree = ast.parse(expected_cell())
    call = tree.body[-1].body[0].value
    args = [ast.literal_eval(a) for a in call.args[0].elts[1:]]
    assert args[:3] == ["-m", "pip", "install"]
    assert "--no-deps" in args  # Colab's torch and numpy are not touched
    assert args[-1] == "git+https://github.com/dl-fundamentals/course" == f"git+{repository_url()}"


@pytest.mark.parametrize("path", all_notebooks(), ids=notebook_id)
def test_notebook_has_the_colab_cell_right_after_its_title(path):
    nb = nbformat.read(path, as_version=4)
    colab = [i for i, c in enumerate(nb.cells) if "google.colab" in c.source]
    assert colab == [1], f"google.colab appears in cells {colab}"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    cell = nb.cells[1]
    assert cell.cell_type == "code"
    assert cell.source == expected_cell()
    assert len(cell.source.splitlines()) <= 5
    assert "!" not in cell.source and "%" not in cell.source  # plain Python, no magics
