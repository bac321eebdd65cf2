"""The portability check's configurations (the notebook runs themselves are not repeated here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course_tools import __main__ as cli
from course_tools import portability

DISPATCH = ["X86_V3", "X86_V4"]


def test_three_configurations_change_threads_torch_kernels_and_numpy_dispatch():
    configs = portability.configurations({}, DISPATCH)
    assert set(configs) == {"threads-1", "generic-kernels", "avx2"}
    assert configs["threads-1"]["OMP_NUM_THREADS"] == "1"
    assert configs["threads-1"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "ATEN_CPU_CAPABILITY" not in configs["threads-1"]  # the machine's own kernels
    generic = configs["generic-kernels"]
    assert generic["ATEN_CPU_CAPABILITY"] == "default"
    assert generic["NPY_DISABLE_CPU_FEATURES"] == "X86_V3 X86_V4"
    assert generic["OPENBLAS_CORETYPE"] == "Sandybridge"
    assert configs["avx2"] == {"ATEN_CPU_CAPABILITY": "avx2"}
    for env in configs.values():
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())


def test_a_core_type_the_environment_sets_is_left_alone():
    generic = portability.configurations({"OPENBLAS_CORETYPE": "Zen"}, DISPATCH)["generic-kernels"]
    assert "OPENBLAS_CORETYPE" not in generic


def test_no_dispatch_targets_means_no_numpy_variable():
    assert "NPY_DISABLE_CPU_FEATURES" not in portability.configurations({}, [])["generic-kernels"]


def test_the_numpy_names_are_ones_this_numpy_accepts():
    targets = portability.numpy_dispatch_targets()
    code = "import numpy; print(numpy.ones(3).sum())"
    env = {"NPY_DISABLE_CPU_FEATURES": " ".join(targets), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.0"
    assert "warn" not in result.stderr.lower(), result.stderr


def test_the_command_runs_nbval_on_lectures_and_solutions_with_loadfile():
    cmd = portability.command(2, ["-x"])
    assert cmd[0] == sys.executable
    assert cmd[1:3] == ["-m", "pytest"]
    assert "notebooks" in cmd and "homework/solutions" in cmd
    assert cmd[cmd.index("-n") + 1] == "2" and cmd[cmd.index("--dist") + 1] == "loadfile"
    assert cmd[-1] == "-x"
    with pytest.raises(ValueError, match="workers"):
        portability.command(-1, [])


def test_main_runs_only_the_chosen_configuration_and_fails_when_it_fails(monkeypatch, capsys):
    calls = []

    def fake_run(name, env_vars, cmd, root):
        calls.append((name, dict(env_vars)))
        return name != "avx2", 1.0

    monkeypatch.setattr(portability, "run", fake_run)
    monkeypatch.setattr(portability, "native_capability", lambda: "AVX512")
    assert portability.main(["portability", "--only", "threads-1"]) == 0
    assert [name for name, _ in calls] == ["threads-1"]
    assert portability.main(["--only", "avx2"]) == 1
    out = capsys.readouterr().out
    assert "threads-1" in out and "pass" in out and "FAIL" in out
    calls.clear()
    assert portability.main([]) == 1
    assert [name for name, _ in calls] == ["threads-1", "generic-kernels", "avx2"]


def test_registered_as_a_course_tools_command():
    assert cli.COMMANDS["portability"] == "course_tools.portability"


def test_a_configuration_equal_to_the_native_run_is_skipped_and_said(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(portability, "run", lambda name, *_: (ran.append(name), (True, 1.0))[1])
    monkeypatch.setattr(portability, "native_capability", lambda: "AVX2")
    assert portability.main([]) == 0
    assert ran == ["threads-1", "generic-kernels"]
    out = capsys.readouterr().out
    assert "avx2             skipped (the same as make test on this AVX2 machine)" in out
    assert portability.same_as_native({"ATEN_CPU_CAPABILITY": "avx2"}, "AVX512") is False
    assert portability.same_as_native({"ATEN_CPU_CAPABILITY": "default"}, "DEFAULT") is False


def test_the_progress_plugin_prints_a_line_per_file_as_it_finishes(tmp_path):
    (tmp_path / "test_one.py").write_text("def test_a():\n    pass\ndef test_b():\n    pass\n")
    (tmp_path / "test_two.py").write_text("def test_c():\n    assert False\n")
    pytest = [sys.executable, "-m", "pytest", "-p", "course_tools.pytest_progress", "-q"]
    for workers in ("0", "2"):
        done = subprocess.run(
            [*pytest, "-n", workers, "-p", "no:cacheprovider", "-o", "addopts=", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        lines = [line for line in done.stdout.splitlines() if "cells" in line]
        assert sorted(lines) == [
            "test_one.py  passed  2 cells",
            "test_two.py  FAILED 1 of  1 cells",
        ]
