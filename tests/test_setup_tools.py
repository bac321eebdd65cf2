"""The student's setup commands: ``python -m course_lib lab`` and the oldest-versions check."""

from __future__ import annotations

import json
import sys

import pytest

from course_tools import lab, oldest
from tests.notebook_files import ROOT


def test_lab_adds_allow_root_only_for_root_and_only_once():
    as_root = lab.lab_command(["--no-browser", "--port", "8890"], is_root=True)
    assert as_root[:3] == [sys.executable, "-m", "jupyterlab"]
    assert as_root.count("--allow-root") == 1 and as_root[-1] == "README.md"
    assert "--port" in as_root and "8890" in as_root
    assert "--allow-root" not in lab.lab_command([], is_root=False)
    assert lab.lab_command(["--allow-root"], is_root=True).count("--allow-root") == 1


def test_lab_settings_open_markdown_rendered_and_keep_other_settings(tmp_path):
    path = tmp_path / "settings" / "overrides.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {
                "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"csv": "CSVTable"}},
            }
        )
    )
    lab.write_overrides(path)
    lab.write_overrides(path)  # idempotent
    settings = json.loads(path.read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers == {"csv": "CSVTable", "markdown": "Markdown Preview"}
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert settings["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false"}


def test_lab_settings_refuse_a_file_that_is_not_an_object(tmp_path):
    path = tmp_path / "overrides.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"overrides\.json"):
        lab.write_overrides(path)


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
