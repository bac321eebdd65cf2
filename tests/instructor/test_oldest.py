"""The oldest-versions check (``make test-oldest``): its pins come from pyproject's bounds."""

from __future__ import annotations

import sys

import pytest

from course_tools import oldest
from tests.notebook_files import ROOT


def test_oldest_requirements_are_the_lower_bounds_of_pyproject_without_torch(tmp_path):
    pins = oldest.oldest_requirements(ROOT / "pyproject.toml")
    assert "numpy==1.26" in pins and "scikit-learn==1.3" in pins and "jupyterlab==4.0" in pins
    assert not any(p.startswith("torch") for p in pins)
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project]\ndependencies = ["numpy>=1.26", "scipy"]\n')
    with pytest.raises(ValueError, match="'scipy'"):
        oldest.oldest_requirements(bad)


def test_oldest_environment_keeps_the_locked_torch():
    assert oldest.locked_torch(ROOT / "requirements-lock.txt") == "torch==2.13.0"


def test_the_venv_is_cached_outside_the_checkout_keyed_by_the_pins(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    pins = ["torch==2.13.0", "numpy==1.26"]
    first = oldest.cache_dir(pins, sys.executable)
    assert first.parent == tmp_path / "dl-fundamentals"
    assert not first.is_relative_to(ROOT)
    assert oldest.cache_dir(list(pins), sys.executable) == first
    assert oldest.cache_dir([*pins[:1], "numpy==2.0"], sys.executable) != first


def test_each_distinct_notebook_runs_once_and_the_chinese_copies_not_again():
    notebooks = [str(p.relative_to(ROOT)) for p in oldest.distinct_notebooks(ROOT)]
    assert "notebooks/01_backprop.ipynb" in notebooks
    assert "homework/hw01_backprop.ipynb" in notebooks
    assert not any("/zh/" in n for n in notebooks)
    assert len(notebooks) == len(set(notebooks))
