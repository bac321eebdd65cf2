"""The driver that runs one submission's kernel inside the sandbox: ``driver.py JOB``.

The runner (:mod:`course_lib.homework.runner`, outside) writes the job folder and reads back
plain data; this script and the kernel it starts run together inside one ``bwrap`` (see
:mod:`course_lib.homework.sandbox`), so the kernel's loopback sockets live in the sandbox's own
network namespace. The script is copied into the job and imports only ``jupyter_client`` and
``course_lib.homework.in_kernel``. The student's self-grade and the instructor's grader both
run submissions through it.

Job folder layout::

    JOB/job.json        {"assignment": "hw01", "cells": [source, ...], "timeout": s,
                         "questions": ["q1", ...]}
    JOB/in/KEY.json|npz the inputs of question KEY (plain data, see course_lib.homework.plain)
    JOB/lib/course_lib  the copy of course_lib the kernel imports
    JOB/out/            written here: KEY.json|npz by the in-kernel recorder
    JOB/work/           the kernel's empty working folder (and HOME)

Its report goes to its standard output (a file outside the sandbox), one JSON line per event
(:class:`Report`): each cell's and each question's run, and the record of
:mod:`course_lib.homework.audit` (installed in every kernel before the submission's first
cell) as it grows. The kernel gets ``/dev/null`` for its output and cannot reach the
driver's (the driver makes itself non-dumpable, so its ``/proc/PID/fd`` is closed to the
kernel).

A cell that raises, has a syntax error or runs past the time limit is recorded and skipped
over; a kernel that ignores the interrupt or dies is restarted (with a new record) and the
cells that worked are replayed.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager

from course_lib.homework.in_kernel import fresh_import_line

STARTUP_TIMEOUT = 60.0
#: Seconds a kernel gets to answer after an interrupt before it is restarted.
RECOVERY_TIMEOUT = 10.0
#: Characters kept of one error message.
MAX_ERROR = 2000


@dataclass
class CellRun:
    """How one cell went: ``status`` is ``"ok"``, ``"error"``, ``"timeout"`` or ``"dead"``."""

    status: str
    error: str = ""


class _ThisPython(KernelSpecManager):
    """Kernel specs that all resolve to this interpreter's ipykernel."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python",
            language="python",
        )


class Kernel:
    """A Python kernel on this interpreter, started in ``cwd``.

    It talks over IPC sockets in a private folder (no TCP ports to collide when grading in
    parallel); Windows has no IPC transport in ZeroMQ, so there it uses loopback TCP.
    """

    def __init__(self, cwd: str, record: Record | None = None) -> None:
        self.cwd = cwd
        self.sockets = tempfile.mkdtemp(prefix="kernel-")
        self.record = record
        self.km: KernelManager | None = None
        self.kc: Any = None
        self.start()

    def start(self) -> None:
        ipc = sys.platform != "win32"
        self.km = KernelManager(
            kernel_name="python3",
            kernel_spec_manager=_ThisPython(),
            transport="ipc" if ipc else "tcp",
        )
        if ipc:
            self.km.ip = str(Path(self.sockets, "kernel"))
        self.km.start_kernel(cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        if self.record is not None:
            self.record.attach(self)

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def run(self, code: str, timeout: float) -> CellRun:
        """Execute ``code``; on a timeout, interrupt the kernel."""
        errors: list[str] = []

        def on_output(msg: dict) -> None:  # everything but the first error is dropped
            if msg["header"]["msg_type"] == "error" and not errors:
                content = msg["content"]
                text = f"{content.get('ename', '')}: {content.get('evalue', '')}".rstrip(": ")
                errors.append(text[:MAX_ERROR])

        try:
            reply = self.kc.execute_interactive(
                code, timeout=timeout, output_hook=on_output, store_history=False
            )
        except TimeoutError:
            if not self.km.is_alive():
                return CellRun("dead", "the kernel died")
            self.km.interrupt_kernel()
            return CellRun(
                "timeout", f"ran longer than the {timeout:g} s limit per cell (--timeout)"
            )
        if not self.km.is_alive():
            return CellRun("dead", "the kernel died")
        if reply["content"]["status"] != "ok":
            name = str(reply["content"].get("ename", "error"))[:MAX_ERROR]
            return CellRun("error", errors[0] if errors else name)
        return CellRun("ok")

    def responsive(self, timeout: float) -> bool:
        """True when the kernel answers a trivial request within ``timeout`` seconds."""
        return self.km.is_alive() and self.run("pass", timeout).status == "ok"


class Record:
    """The imports and ``course_lib`` files each kernel asks for, read by the driver from a
    FIFO that only the kernel's audit hook writes to (see :mod:`course_lib.homework.audit`)."""

    def __init__(self) -> None:
        self.entries: set[tuple[str, str]] = set()
        self.sent: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def attach(self, kernel: Kernel) -> None:
        """Install the audit hook in ``kernel`` (before any cell of the submission)."""
        folder = tempfile.mkdtemp(prefix="record-")
        fifo = os.path.join(folder, "fifo")
        os.mkfifo(fifo, 0o600)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        line = f"from course_lib.homework.audit import install as __i\n__i({fifo!r})\ndel __i\n"
        kernel.run(line, STARTUP_TIMEOUT)
        os.unlink(fifo)
        os.rmdir(folder)
        os.set_blocking(reader, True)
        threading.Thread(target=self._read, args=(reader,), daemon=True).start()

    def _read(self, reader: int) -> None:
        with open(reader, encoding="utf-8", errors="replace") as stream:
            for line in stream:
                with contextlib.suppress(ValueError, TypeError):
                    kind, name = json.loads(line)
                    with self.lock:
                        if len(self.entries) < 20_000:
                            self.entries.add((str(kind), str(name)[:300]))

    def news(self) -> dict[str, list[str]]:
        """The entries recorded since the last call, as ``{"imports": [...], "opened": [...]}``."""
        with self.lock:
            entries = sorted(self.entries - self.sent)
            self.sent |= self.entries
        return {
            "imports": [name for kind, name in entries if kind == "import"],
            "opened": [name for kind, name in entries if kind == "open"],
        }


def _not_dumpable() -> None:
    """Close this process's ``/proc/PID/fd``, ``mem`` and ``environ`` to the kernel (same
    account, no capabilities): ``prctl(PR_SET_DUMPABLE, 0)`` on Linux."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)


def recover(kernel: Kernel, run: CellRun, cells: list[str], runs: list[CellRun], t: float) -> None:
    """After a timeout or a crash, restart a stuck kernel and replay the cells that worked."""
    if run.status not in ("timeout", "dead") or kernel.responsive(min(RECOVERY_TIMEOUT, t)):
        return
    kernel.restart()
    for code, earlier in zip(cells, runs, strict=False):
        if earlier.status in ("ok", "error"):
            kernel.run(code, t)


class Report:
    """The driver's report, one JSON line per event, flushed at once, so that a run killed at
    the submission's time limit still says how each cell went: ``{"cell": {"status",
    "error"}}``, ``{"question": [KEY, {"status", "error"}]}``, and ``{"imports": [...],
    "opened": [...]}`` with what the record gained since the line before."""

    def __init__(self, stream: Any, record: Record) -> None:
        self.stream, self.record = stream, record

    def write(self, event: dict[str, Any]) -> None:
        news = self.record.news()
        lines = [event] + ([news] if news["imports"] or news["opened"] else [])
        self.stream.write("".join(json.dumps(line) + "\n" for line in lines))
        self.stream.flush()


def main(job: str) -> int:
    _not_dumpable()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing else may write to the report
    spec = json.loads(Path(job, "job.json").read_text(encoding="utf-8"))
    cells, timeout = spec["cells"], float(spec["timeout"])
    record = Record()
    report = Report(stream, record)
    kernel = Kernel(str(Path(job, "work")), record)
    try:
        runs: list[CellRun] = []
        for code in cells:
            run = kernel.run(code, timeout)
            report.write({"cell": asdict(run)})  # before a recovery that may take a while
            recover(kernel, run, cells, runs, timeout)
            runs.append(run)
        for key in spec["questions"]:
            run = kernel.run(fresh_import_line(spec["assignment"], key, job), timeout)
            report.write({"question": [key, asdict(run)]})
            recover(kernel, run, cells, runs, timeout)
    finally:
        kernel.shutdown()
        report.write({"end": True})
        stream.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
