"""The instructor's install: the [instructor] extra is pinned in requirements-instructor.txt,
on top of the students' lock and apart from it, and the local pre-commit hooks are valid."""

from __future__ import annotations

import subprocess
import sys

from tests.instructor import require
from tests.test_packaging import (
    INSTRUCTOR_EXTRA,
    LOCK,
    PYPROJECT,
    REQUIREMENT_NAME,
    ROOT,
    canonical,
    pins,
)

INSTRUCTOR_LOCK = pins((ROOT / "requirements-instructor.txt").read_text().splitlines())


def test_every_instructor_package_is_pinned_once_in_one_of_the_two_locks():
    for name in INSTRUCTOR_EXTRA:
        assert (name in INSTRUCTOR_LOCK) != (name in LOCK), f"{name}: pinned in exactly one lock"
    assert not set(INSTRUCTOR_LOCK) & set(LOCK), "a package pinned in both locks"
    assert "nbgrader" in INSTRUCTOR_LOCK


def test_the_instructor_extra_keeps_lower_bounds():
    for req in PYPROJECT["project"]["optional-dependencies"]["instructor"]:
        assert ">=" in req and "==" not in req, req
        assert canonical(REQUIREMENT_NAME.match(req).group(1)) in INSTRUCTOR_EXTRA


def test_pre_commit_hooks_are_local_and_valid():
    import yaml

    require("pre_commit")

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "no hook may be downloaded"
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {"ruff", "ruff-format", "jupytext-sync", "student-notebooks"} <= set(hooks)
    assert all(hook["language"] in ("system", "unsupported") for hook in hooks.values())
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
