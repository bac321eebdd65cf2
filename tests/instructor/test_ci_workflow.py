"""The GitHub Actions workflow is valid and runs what the README promises.

GitHub's runners cannot be reached from here, so the workflow is checked offline: against
the GitHub-workflow JSON schema that check-jsonschema ships (no download), and for the jobs
the course relies on.
"""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.instructor import require
from tests.notebook_files import ROOT

require("check_jsonschema")

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps_of(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def lint(path) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored GitHub-workflow schema (no download)."""
    schema = ["--builtin-schema", "vendor.github-workflows"]
    command = [sys.executable, "-m", "check_jsonschema", *schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def test_workflow_matches_the_github_workflow_schema():
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: make test\n")
    assert lint(broken).returncode != 0, "a job without runs-on must fail the lint"


def test_linux_jobs_run_the_readme_test_command_portability_oldest_versions_and_release():
    jobs = load()["jobs"]
    linux = [
        job for job in jobs.values() if "ubuntu" in str(job["runs-on"]) + str(job.get("strategy"))
    ]
    assert linux, "no Linux job"
    commands = steps_of(linux[0])
    required = ("make instructor", "make test\n", "make test-portable", "make test-oldest")
    for command in (*required, "make test-release", "bubblewrap"):
        assert command in commands + "\n", f"the Linux job does not run {command.strip()!r}"
    assert len(linux[0]["strategy"]["matrix"]["runner"]) >= 2, "one Linux runner sees one CPU"


def test_macos_and_windows_install_with_the_cpu_index_and_run_library_tests():
    jobs = load()["jobs"]
    others = [job for job in jobs.values() if "matrix.os" in str(job["runs-on"])]
    assert others, "no macOS / Windows job"
    assert {"macos-latest", "windows-latest"} <= set(others[0]["strategy"]["matrix"]["os"])
    commands = steps_of(others[0])
    assert "--extra-index-url https://download.pytorch.org/whl/cpu torch==" in commands
    assert "requirements-lock.txt" in commands and "pytest" in commands
