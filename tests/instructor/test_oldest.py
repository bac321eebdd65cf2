"""The oldest-versions check (``make test-oldest``): its pins come from pyproject's bounds."""

from __future__ import annotations

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
