"""The students' install stays consistent: every pin agrees between pyproject, lock and conda
file, and nothing of the instructor's is in it (``tests/instructor/test_instructor_packaging.py``
checks the instructor's lock)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines: list[str]) -> dict[str, str]:
    """Map canonical package name -> exact version for every `name==version` line."""
    found = {}
    for line in lines:
        match = re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


LOCK = pins((ROOT / "requirements-lock.txt").read_text().splitlines())
CONDA = pins((ROOT / "environment.yml").read_text().splitlines())
DIRECT = [
    canonical(REQUIREMENT_NAME.match(req).group(1))
    for req in PYPROJECT["project"]["dependencies"]
    + PYPROJECT["project"]["optional-dependencies"]["test"]
]
INSTRUCTOR_EXTRA = [
    canonical(REQUIREMENT_NAME.match(req).group(1))
    for req in PYPROJECT["project"]["optional-dependencies"]["instructor"]
]


@pytest.mark.parametrize("name", DIRECT)
def test_every_direct_dependency_is_pinned_identically_in_lock_and_conda_file(name):
    assert name in LOCK, f"{name} is not pinned in requirements-lock.txt"
    assert CONDA.get(name) == LOCK[name], f"environment.yml pins {name} differently from the lock"


def test_the_students_lock_and_conda_file_hold_no_instructor_package():
    """nbgrader's JupyterLab extension shows instructor menus to whoever has it installed."""
    only_instructor = [n for n in INSTRUCTOR_EXTRA if n not in ("beautifulsoup4",)]
    assert "nbgrader" in only_instructor
    for name in only_instructor:
        assert name not in LOCK, f"{name} is an instructor package, not for the students' lock"
        assert name not in CONDA, f"{name} is an instructor package, not for environment.yml"
    assert set(CONDA) <= set(LOCK), "environment.yml pins a package the lock does not"


def test_torch_is_pinned_to_the_cpu_build_version():
    assert LOCK["torch"] == "2.13.0"


def test_package_metadata_keeps_lower_bounds_not_exact_pins():
    for req in PYPROJECT["project"]["dependencies"]:
        assert ">=" in req and "==" not in req, f"{req}: users get a lower bound, CI the lock"


def test_installed_versions_are_the_locked_ones():
    from importlib.metadata import version

    for name in DIRECT:
        assert version(name).split("+")[0] == LOCK[name], f"installed {name} is not the lock's"


def test_ruff_is_clean_on_every_package_and_the_tests():
    packages = [p for p in ("course_lib", "course_tools", "tests") if (ROOT / p).is_dir()]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *packages],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
