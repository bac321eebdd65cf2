"""Run one submission's driver and kernel inside a bubblewrap sandbox (Linux).

:func:`run_job` starts ``python driver.py /tmp/job`` (see
:mod:`course_lib.homework.driver`) under ``bwrap`` with:

- a read-only view of the system (``--ro-bind / /``), a fresh ``/dev``, ``/proc`` and an
  empty ``/tmp``;
- empty folders (``--tmpfs``) over the repository, the grader's ``$HOME``, the instructor
  folder, the submissions' folders and the folder holding the jobs; then, read-only again,
  only what the kernel needs: ``course_lib/`` (the editable install imports it from the
  repository), the virtual environment and the base interpreter its ``python`` links to;
- the job folder (with a copy of the driver) at ``/tmp/job`` read-only, with ``out/``
  (results, on the grader's disk) writable and ``work/`` (the kernel's working folder and
  ``HOME``) an empty tmpfs; ``/tmp`` and ``work/`` hold at most 512 MB each, the hidden
  folders' empty stand-ins 1 MB, and no file may exceed 64 MB (``RLIMIT_FSIZE``);
- no network (``--unshare-net``: only its own loopback), its own process namespace
  (``--unshare-pid``: when the driver ends, every process it started is killed), also
  ``--unshare-ipc --unshare-uts``, no capabilities (``--cap-drop ALL``), a new terminal
  session, and ``--die-with-parent``;
- a clean environment (``--clearenv``: only ``PATH``, ``HOME``, ``LANG``, ``TMPDIR`` and the
  CPU-kernel switches such as ``ATEN_CPU_CAPABILITY`` are passed on);
- the assignment's forbidden modules hidden: an empty folder over a package (``torch``), an
  empty file over a module (``course_lib/layers.py``), so importing them fails;
- a memory cap: ``RLIMIT_AS`` (address space per process, via ``prlimit``, or ``setrlimit``
  in the child when ``prlimit`` is missing; bwrap has no memory option), and a wall-clock
  cap for the whole submission after which the sandbox is killed.

What it does not protect against: a bug in the Linux kernel or in bwrap (this is namespaces
on the grader's kernel, not a virtual machine); reading files that the grading account may
read outside the hidden folders (the system, other projects on the machine; as root that
includes root-only files, so grade as an unprivileged user); using every CPU core until the
time limits hit (no CPU share); memory beyond the cap by many processes (the cap is per
process, not a cgroup total), or a fork bomb (no process-count limit); many files up to the
cap in ``out/`` on the grader's disk; a submission that solves the questions by other means
the sandbox cannot see (copying a classmate's code before submitting, say).

Without bwrap (macOS, Windows, or not installed), :func:`run_job` with ``sandboxed=False``
runs the same driver as a plain child process in its own session with the same caps where
the platform has them; that protects nothing (see the grader's docstring).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: The ``course_lib`` package the kernel imports, and the folder holding it (the checkout,
#: for an editable install: hidden, since it holds the solutions).
PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parent
DRIVER = Path(__file__).with_name("driver.py")
#: Where the job folder appears inside the sandbox.
JOB = "/tmp/job"
#: Environment variables passed into the sandbox besides PATH, HOME, LANG and TMPDIR.
PASSED_ON = (
    "ATEN_CPU_CAPABILITY",
    "NPY_DISABLE_CPU_FEATURES",
    "OPENBLAS_CORETYPE",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
)
DEFAULT_MEMORY = 4 * 2**30
#: Bytes of RAM the sandbox's /tmp and the kernel's working folder may fill (tmpfs).
TMPFS_BYTES = 512 * 2**20
#: Largest file a sandboxed process may write (RLIMIT_FSIZE), e.g. into the results folder.
MAX_FILE_BYTES = 64 * 2**20


@dataclass
class JobRun:
    """How the sandboxed run ended: exit status, whether the wall-clock cap hit, stderr tail."""

    returncode: int
    timed_out: bool
    stderr: str


def bwrap() -> str | None:
    """The ``bwrap`` executable, or None off Linux or when it is not installed."""
    return shutil.which("bwrap") if sys.platform.startswith("linux") else None


@cache
def _has_size_option() -> bool:
    """True when this bwrap knows ``--size`` (a cap on a tmpfs)."""
    exe = bwrap()
    try:
        done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired, TypeError):
        return False
    return "--size" in done.stdout + done.stderr


def _tmpfs(path: str, size: int) -> list[str]:
    """``--tmpfs path``, capped at ``size`` bytes when bwrap can."""
    return (["--size", str(size)] if _has_size_option() else []) + ["--tmpfs", path]


@cache
def available() -> bool:
    """True when ``bwrap`` exists and can create the namespaces the sandbox uses."""
    exe = bwrap()
    if exe is None:
        return False
    probe = [exe, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--proc", "/proc"]
    try:
        done = subprocess.run([*probe, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _needed() -> list[Path]:
    """What the kernel must see even when it lies inside a hidden folder."""
    paths = [PACKAGE, Path(sys.prefix), Path(sys.base_prefix)]
    paths.append(Path(sys.executable).resolve().parent.parent)
    unique: list[Path] = []
    for p in paths:
        if p.exists() and p not in unique:
            unique.append(p)
    return unique


def _hidden(hide: list[Path]) -> list[Path]:
    """The folders to cover, ancestors first; never ``/`` itself."""
    folders = {ROOT, Path.home(), *hide}
    found = {Path(os.path.realpath(p)) for p in folders if Path(p).exists()}
    return sorted((p for p in found if p != Path("/")), key=lambda p: len(p.parts))


def forbidden_paths(modules: tuple[str, ...]) -> list[Path]:
    """The files or package folders of ``modules`` (``"torch"``, ``"course_lib.layers"``)."""
    import importlib.util

    paths = []
    for name in modules:
        if name.startswith("course_lib."):
            paths.append(PACKAGE / (name.split(".", 1)[1].replace(".", "/") + ".py"))
            continue
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            paths.extend(Path(p) for p in spec.submodule_search_locations)
        elif spec is not None and spec.origin:
            paths.append(Path(spec.origin))
    return [p for p in paths if p.exists()]


def bwrap_command(job: Path, hide: list[Path], forbidden: tuple[str, ...] = ()) -> list[str]:
    """The ``bwrap`` command line that runs the driver on ``job`` (mounted at :data:`JOB`)."""
    exe = bwrap()
    if exe is None:
        raise RuntimeError("bwrap is not available")
    command = [exe, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    command += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    command += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    command += _tmpfs("/tmp", TMPFS_BYTES)
    for folder in _hidden(hide):
        if folder.is_dir():
            command += _tmpfs(str(folder), 2**20)
        else:
            command += ["--ro-bind", "/dev/null", str(folder)]
    for path in _needed():
        command += ["--ro-bind", str(path), str(path)]
    for path in forbidden_paths(forbidden):  # the assignment's forbidden modules: gone
        command += (
            ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
        )
    command += ["--ro-bind", str(job), JOB]
    command += ["--bind", str(job / "out"), f"{JOB}/out", *_tmpfs(f"{JOB}/work", TMPFS_BYTES)]
    command += ["--chdir", f"{JOB}/work"]
    command += ["--clearenv"]
    for name, value in _environment(f"{JOB}/work").items():
        command += ["--setenv", name, value]
    return [*command, sys.executable, f"{JOB}/driver.py", JOB]


def _environment(home: str) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        # the kernel imports the course_lib this process runs (an editable install may
        # point elsewhere: another checkout of the same package)
        "PYTHONPATH": str(ROOT),
    }
    env.update({k: os.environ[k] for k in PASSED_ON if k in os.environ})
    return env


def _limit_memory(memory: int) -> list[str]:
    """A ``prlimit`` prefix capping the address space, or [] (then ``setrlimit`` is used)."""
    exe = shutil.which("prlimit")
    if not exe or not sys.platform.startswith("linux"):
        return []
    return [exe, f"--as={memory}", f"--fsize={MAX_FILE_BYTES}", "--"]


def _setrlimit(memory: int):
    def apply() -> None:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        except (ImportError, ValueError, OSError):
            pass

    return apply


def run_job(
    job: Path,
    *,
    timeout: float,
    hide: list[Path],
    memory: int = DEFAULT_MEMORY,
    sandboxed: bool = True,
    forbidden: tuple[str, ...] = (),
) -> JobRun:
    """Run the driver on ``job`` and wait at most ``timeout`` seconds for it.

    Args:
        job: the job folder (``job.json``, ``in/``, empty ``out/`` and ``work/``).
        timeout: wall-clock seconds for the whole submission; then everything is killed.
        hide: folders the sandbox must not show (submissions' folders, instructor folder).
        memory: bytes of address space per process.
        sandboxed: False runs the driver without bwrap (no protection).
        forbidden: modules hidden from the kernel (``"torch"``, ``"course_lib.layers"``).
    """
    shutil.copyfile(DRIVER, job / "driver.py")
    if sandboxed:
        command = bwrap_command(job, hide, forbidden)
        cwd, env = None, None
    else:
        command = [sys.executable, str(job / "driver.py"), str(job)]
        cwd = str(job / "work")
        env = {**os.environ, **_environment(cwd)}
        env.pop("COURSE_INSTRUCTOR_DIR", None)
    prefix = _limit_memory(memory)
    stderr_path = job / "driver-stderr.txt"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            [*prefix, *command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_setrlimit(memory) if not prefix and os.name == "posix" else None,
        )
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
    with open(stderr_path, "rb") as f:
        f.seek(max(0, stderr_path.stat().st_size - 2000))
        tail = f.read().decode("utf-8", "replace")
    return JobRun(process.returncode if not timed_out else -9, timed_out, tail)


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the driver's whole process group (inside bwrap, the pid namespace goes with it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
