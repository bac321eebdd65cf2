"""Execute notebooks in fresh kernels and compare their run time with the course budget.

Command line: ``python -m course_tools time [--check] [NOTEBOOK ...]`` (default: every lecture
and solution notebook). Notebooks are executed in memory; the files are never modified.

Besides the wall-clock seconds (what the budget is about), each row shows the CPU seconds
the kernel used: with one thread per kernel they are close to the wall-clock time on an idle
machine and, unlike it, hardly change when other processes compete for the cores.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_tools.kernelspec import current_kernel_manager


@dataclass(frozen=True)
class Timing:
    """Seconds one notebook took (wall clock and the kernel's CPU), and the seconds it is
    allowed."""

    name: str
    seconds: float
    budget: float
    cpu: float = float("nan")

    @property
    def over(self) -> bool:
        return self.seconds > self.budget


def execute(path: Path, timeout: float = 600.0) -> nbformat.NotebookNode:
    """Run ``path`` top to bottom in a fresh kernel of this interpreter, working directory
    the notebook's folder, and return the executed notebook (the file is not touched)."""
    return run(nbformat.read(path, as_version=4), path.parent, timeout)


def run(
    nb: nbformat.NotebookNode,
    folder: Path,
    timeout: float = 600.0,
    environment: dict[str, str] | None = None,
) -> nbformat.NotebookNode:
    """Execute ``nb`` in place in a fresh kernel of this interpreter, working directory
    ``folder``, with extra ``environment`` variables for the kernel; returns ``nb``."""
    with tempfile.TemporaryDirectory() as sockets:
        # IPC sockets in a private folder: no TCP ports, no "unencrypted TCP" warning.
        km = current_kernel_manager(transport="ipc")
        km.ip = str(Path(sockets, "kernel"))
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            record_timing=False,
            resources={"metadata": {"path": str(folder)}},
        )
        try:
            client.execute(env={**os.environ, **(environment or {})})
        finally:
            # nbclient shuts down only kernels it created itself; this one is ours.
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return nb


def time_notebook(path: Path, allowed: float, name: str | None = None) -> Timing:
    """Wall-clock seconds to execute ``path`` (kernel start-up included), against ``allowed``,
    with the CPU seconds of the kernel (a child process, counted once it has been reaped)."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    execute(path)
    wall = time.perf_counter() - start
    return Timing(name or path.name, wall, allowed, _children_cpu() - cpu_before)


def _children_cpu() -> float:
    """User + system seconds of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def format_row(name: str, seconds: float, allowed: float, cpu: float = float("nan")) -> str:
    flag = "  OVER BUDGET" if seconds > allowed else ""
    return f"{name:<48} {seconds:8.1f} {cpu:6.1f} {allowed:7.0f}{flag}"


def header() -> str:
    return f"{'notebook':<48} {'seconds':>8} {'cpu':>6} {'budget':>7}"


def total_row(timings: list[Timing], allowed: float) -> str:
    cpu = sum(t.cpu for t in timings)
    return format_row("total", sum(t.seconds for t in timings), allowed, cpu)


def over_budget(timings: list[Timing], allowed: float) -> bool:
    """True when a notebook exceeds its budget or all of them ``allowed`` seconds."""
    return any(t.over for t in timings) or sum(t.seconds for t in timings) > allowed
