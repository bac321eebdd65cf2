"""The student's command ``python -m course_lib lab``: JupyterLab opens the README."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from course_lib import lab
from tests.notebook_files import ROOT


def test_lab_adds_allow_root_only_for_root_and_only_once():
    as_root = lab.lab_command(["--no-browser", "--port", "8890"], is_root=True)
    assert as_root[:3] == [sys.executable, "-m", "jupyterlab"]
    assert as_root.count("--allow-root") == 1
    assert "--LabApp.default_url=/lab/tree/README.md" in as_root
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


def test_lab_finds_the_course_folder_from_inside_it_and_names_a_folder_outside(tmp_path):
    course = tmp_path / "course"
    (course / "notebooks" / "zh").mkdir(parents=True)
    (course / "README.md").write_text("# course\n")
    assert lab.course_folder(course / "notebooks" / "zh") == course
    with pytest.raises(FileNotFoundError, match="is not inside the course"):
        lab.course_folder(tmp_path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_headless_lab_prints_the_readme_url_with_its_token():
    """``make lab LAB_ARGS="--no-browser --port P"``: the link it prints opens the README."""
    port = _free_port()
    command = [sys.executable, "-m", "course_lib", "lab", "--no-browser", f"--port={port}"]
    command += ["--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1"]
    lab_process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = lab_process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if f":{port}/" in line and "token=" in line:
                break
    finally:
        lab_process.terminate()
        lab_process.wait(timeout=30)
    urls = [line for line in seen if f":{port}/" in line and "token=" in line]
    assert urls, "".join(seen[-20:])
    assert f"127.0.0.1:{port}/lab/tree/README.md?token=" in urls[0], urls[0]
