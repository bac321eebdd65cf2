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
    JOB/out/            written here: KEY.json|npz by the in-kernel recorder, result.json by
                        this script: {"cells": [{"status", "error"}], "questions": {KEY:
                        {"status", "error"}}}
    JOB/work/           the kernel's empty working folder (and HOME)

A cell that raises, has a syntax error or runs past the time limit is recorded and skipped
over; a kernel that ignores the interrupt or dies is restarted and the cells that worked are
replayed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
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

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.sockets = tempfile.mkdtemp(prefix="kernel-")
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
        self.km.start_kernel(cwd=self.cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)

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
            return CellRun("timeout", f"ran longer than the {timeout:g} s limit")
        if not self.km.is_alive():
            return CellRun("dead", "the kernel died")
        if reply["content"]["status"] != "ok":
            name = str(reply["content"].get("ename", "error"))[:MAX_ERROR]
            return CellRun("error", errors[0] if errors else name)
        return CellRun("ok")

    def responsive(self, timeout: float) -> bool:
        """True when the kernel answers a trivial request within ``timeout`` seconds."""
        return self.km.is_alive() and self.run("pass", timeout).status == "ok"


def recover(kernel: Kernel, run: CellRun, cells: list[str], runs: list[CellRun], t: float) -> None:
    """After a timeout or a crash, restart a stuck kernel and replay the cells that worked."""
    if run.status not in ("timeout", "dead") or kernel.responsive(min(RECOVERY_TIMEOUT, t)):
        return
    kernel.restart()
    for code, earlier in zip(cells, runs, strict=False):
        if earlier.status in ("ok", "error"):
            kernel.run(code, t)


def main(job: str) -> int:
    spec = json.loads(Path(job, "job.json").read_text(encoding="utf-8"))
    cells, timeout = spec["cells"], float(spec["timeout"])
    result: dict[str, Any] = {"cells": [], "questions": {}}
    out = Path(job, "out", "result.json")
    kernel = Kernel(str(Path(job, "work")))
    try:
        runs: list[CellRun] = []
        for code in cells:
            run = kernel.run(code, timeout)
            recover(kernel, run, cells, runs, timeout)
            runs.append(run)
        result["cells"] = [asdict(r) for r in runs]
        for key in spec["questions"]:
            run = kernel.run(fresh_import_line(spec["assignment"], key, job), timeout)
            recover(kernel, run, cells, runs, timeout)
            result["questions"][key] = asdict(run)
    finally:
        kernel.shutdown()
        _write_replacing(out, json.dumps(result))
    return 0


def _write_replacing(path: Path, text: str) -> None:
    """Write ``text`` to a new file, then rename it over ``path``: whatever the kernel left at
    ``path`` (a FIFO, a link) is replaced, never opened."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".result-")
    with open(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
