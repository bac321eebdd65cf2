"""Run one submission's driver and kernel inside a bubblewrap sandbox (Linux).

:func:`run_job` starts ``python driver.py /tmp/job`` (see :mod:`course_lib.homework.driver`)
under ``bwrap``. Nothing of the grader is inside:

- bwrap itself starts with a minimal environment (``PATH`` and ``LANG``) and runs the driver
  as the sandbox's PID 1 (``--as-pid-1``): no process inside can read the grader's
  environment or command line (``/proc/1/environ`` is the driver's own, set by ``--setenv``);
- an **allow-list** of read-only binds instead of the host's ``/``: the system's libraries
  (``/usr``, and ``/lib*`` as links), the base interpreter, the virtual environment (in its
  ``site-packages``, each of the assignment's forbidden packages and any installed
  ``course_lib`` covered by a stand-in whose import raises ``ModuleNotFoundError``), and the
  job. Folders that are not bound do not exist:
  the repository and its solutions, the instructor folder, the submissions, home folders,
  other clones, ``/var/tmp`` and every host unix socket in the file system;
- ``course_lib`` is a fresh copy made for the job (``JOB/lib``): its sources without the
  assignment's forbidden modules, compiled by the grader (no stale bytecode), so importing a
  forbidden one raises ``ImportError``;
- the job folder has a random name under a private root (see
  :mod:`course_lib.homework.runner`) that is never bound; inside it appears as ``/tmp/job``
  (read-only) with ``out/`` (the recorder's results) writable and ``work/`` (the kernel's
  working folder and ``HOME``) an empty tmpfs. Bind sources may show in ``/proc/self/
  mountinfo``; they name the interpreter, the environment and ``job-XXXXXXXX`` only;
- ``/dev`` is bwrap's minimal one, read-only, with a ``/dev/shm`` of :data:`SHM_BYTES`;
  ``/tmp`` and ``work/`` hold at most :data:`TMPFS_BYTES` each; no file may exceed
  :data:`MAX_FILE_BYTES` (``RLIMIT_FSIZE``);
- no network (``--unshare-net``: its own loopback; abstract unix sockets are per network
  namespace), its own process namespace (when the driver ends, every process it started is
  killed), also ``--unshare-ipc --unshare-uts``, no capabilities (``--cap-drop ALL``), a new
  terminal session, and ``--die-with-parent``;
- limits for the whole sandbox (:mod:`course_lib.homework.limits`): where the grading
  account can create a cgroup (root; a delegated cgroup v2), a total memory limit and a
  process count limit shared by every process in it, tmpfs pages included; elsewhere the
  fallback, a per process address-space limit (``RLIMIT_AS``) and, for an unprivileged
  account, a process count (``RLIMIT_NPROC``). Every process also gets ``RLIMIT_AS``
  (:func:`address_space`), so that one huge allocation fails with ``MemoryError``. A
  wall-clock cap for the whole submission kills the sandbox.

The driver sends its report (cell runs, the record of imports) on its standard output, a file
outside the sandbox (:attr:`JobRun.report`); the kernel never holds that descriptor.

What it does not protect against: a bug in the Linux kernel or in bwrap (this is namespaces
on the grader's kernel, not a virtual machine); using every CPU core until the time limits
hit (no CPU share); with the fallback, memory beyond the cap by several processes, and (as
root, whom ``RLIMIT_NPROC`` does not bind) a fork bomb; many small files in ``out/`` on the
grader's disk, up to the time limit; a submission that solves the questions by other means
the sandbox cannot see (copying a classmate's code before submitting, say).

Without bwrap (macOS, Windows, or not installed), :func:`run_job` with ``sandboxed=False``
runs the same driver as a plain child process in its own session with the same per process
caps where the platform has them; that protects nothing (see the grader's docstring).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from course_lib.homework import limits, safe_files

#: The ``course_lib`` package the kernel imports (a fresh copy of it goes into each job).
PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parent
DRIVER = Path(__file__).with_name("driver.py")
#: Where the job folder appears inside the sandbox, and the copy of ``course_lib`` in it.
JOB = "/tmp/job"
LIB = f"{JOB}/lib"
#: Environment variables passed into the sandbox besides PATH, HOME, LANG and TMPDIR.
PASSED_ON = (
    "ATEN_CPU_CAPABILITY",
    "NPY_DISABLE_CPU_FEATURES",
    "OPENBLAS_CORETYPE",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
)
#: Default memory for one submission (``--memory``): the whole sandbox with a cgroup, each
#: process with the fallback.
DEFAULT_MEMORY = 4 * 2**30
#: Bytes of RAM the sandbox's /tmp and the kernel's working folder may fill (tmpfs).
TMPFS_BYTES = 512 * 2**20
#: Bytes of RAM the sandbox's /dev/shm may fill (bwrap's /dev would give half the machine's).
SHM_BYTES = 64 * 2**20
#: Largest file a sandboxed process may write (RLIMIT_FSIZE), e.g. into the results folder.
MAX_FILE_BYTES = 64 * 2**20
#: Largest report the driver may send back.
MAX_REPORT_BYTES = 5_000_000
#: What bwrap itself sees of the grader's environment.
BWRAP_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass
class JobRun:
    """How the sandboxed run ended: exit status, whether the wall-clock cap hit, the driver's
    report (bytes, at most :data:`MAX_REPORT_BYTES`), whether the memory limit of the whole
    sandbox was reached (None: no cgroup, so not known), and the last line the driver or
    bwrap wrote to stderr (why a run failed to start)."""

    returncode: int
    timed_out: bool
    report: bytes = b""
    memory_exhausted: bool | None = None
    stderr: str = ""


def bwrap() -> str | None:
    """The ``bwrap`` executable, or None off Linux or when it is not installed."""
    return shutil.which("bwrap") if sys.platform.startswith("linux") else None


@cache
def _has_size_option() -> bool:
    """True when this bwrap knows ``--size`` (a cap on a tmpfs)."""
    exe = bwrap()
    try:
        done = subprocess.run(
            [exe, "--help"], capture_output=True, text=True, timeout=30, env=BWRAP_ENVIRONMENT
        )
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
    probe = [exe, *_system(), "--unshare-net", "--unshare-pid", "--as-pid-1", "--proc", "/proc"]
    try:
        done = subprocess.run(
            [*probe, "true"], capture_output=True, timeout=30, env=BWRAP_ENVIRONMENT
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _system() -> list[str]:
    """Read-only binds of the system's programs and libraries (``/usr``; ``/lib*`` and
    ``/bin`` as the links they are on a merged-/usr system, else bound)."""
    command = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        command += ["--ro-bind-try", path, path]
    command += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    return command


def _prefixes() -> list[Path]:
    """The interpreter's folders outside /usr: the base installation and the virtual
    environment (deduplicated, outermost first)."""
    found: list[Path] = []
    for p in (Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parents[1]):
        p = Path(os.path.realpath(p))
        outside_usr = p.exists() and not p.is_relative_to(Path("/usr"))
        if outside_usr and not any(p.is_relative_to(q) for q in found):
            found = [q for q in found if not q.is_relative_to(p)] + [p]
    return found


def _site_packages() -> list[Path]:
    """Every ``site-packages`` folder of the interpreter that exists."""
    import site

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    folders = [Path(p) for p in site.getsitepackages()]
    folders += [Path(sys.base_prefix) / "lib" / version / "site-packages"]
    unique = []
    for folder in folders:
        real = Path(os.path.realpath(folder))
        if real.is_dir() and real not in unique:
            unique.append(real)
    return unique


def _covered(entry: str, forbidden: tuple[str, ...]) -> bool:
    """True for a ``site-packages`` entry that must not import in the sandbox: a forbidden
    top-level package or module (``torch``, ``torch.py``, ``torch.cpython-311-….so``), or an
    installed ``course_lib`` (the job brings its own copy)."""
    if entry.endswith((".dist-info", ".egg-info", ".pth", ".libs")):
        return False
    top = {name.split(".")[0] for name in forbidden} | {"course_lib"}
    return entry.split(".")[0] in top


#: What stands in for a forbidden package: importing it raises ``ModuleNotFoundError``.
MISSING = (
    "raise ModuleNotFoundError(f'No module named {__name__!r} (not available while grading)',"
    " name=__name__)\n"
)


def _interpreter(forbidden: tuple[str, ...], missing: Path) -> list[str]:
    """Read-only binds of the interpreter and its environment, with each forbidden package
    in their ``site-packages`` covered by ``missing`` (a folder whose ``__init__.py`` raises
    ``ModuleNotFoundError``; a module file by that ``__init__.py``): its files, bytecode
    included, are not visible, and importing it fails."""
    command: list[str] = []
    for prefix in _prefixes():
        command += ["--ro-bind", str(prefix), str(prefix)]
    for folder in _site_packages():
        for entry in sorted(os.listdir(folder)):
            if _covered(entry, forbidden):
                path = folder / entry
                source = missing if path.is_dir() else missing / "__init__.py"
                command += ["--ro-bind", str(source), str(path)]
    return command


def copy_course_lib(destination: Path, forbidden: tuple[str, ...] = ()) -> None:
    """Copy ``course_lib`` into ``destination/course_lib``: source and data files only (no
    ``__pycache__``, no ``.pyc``), without the files of the ``course_lib.*`` modules in
    ``forbidden`` (``"course_lib.layers"`` -> no ``layers.py``)."""
    skipped = {
        PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py")
        for name in forbidden
        if name.startswith("course_lib.")
    }

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [
            n
            for n in names
            if n == "__pycache__" or n.endswith((".pyc", ".pyo")) or Path(folder, n) in skipped
        ]

    shutil.copytree(PACKAGE, destination / "course_lib", ignore=ignore)


def _compiled_course_lib(folder: Path, forbidden: tuple[str, ...]) -> Path:
    """A copy of ``course_lib`` without ``forbidden`` (:func:`copy_course_lib`), compiled to
    bytecode here, made once per ``folder`` (a private folder of the grader) and set of
    forbidden modules: the bytecode is of exactly the sources copied, never a stale file,
    and no kernel has to compile the library again for each question."""
    import compileall
    import hashlib

    tag = hashlib.sha256(repr(sorted(forbidden)).encode()).hexdigest()[:12]
    prepared = folder / f"lib-{tag}"
    if not (prepared / "course_lib").is_dir():
        partial = Path(tempfile.mkdtemp(prefix=".lib-", dir=folder))
        copy_course_lib(partial, forbidden)
        compileall.compile_dir(partial, quiet=2, workers=1)
        try:
            partial.rename(prepared)
        except OSError:  # another job of this process made it first
            safe_files.remove_tree(partial)
    return prepared


def _hidden_inside(sources: list[str], hide: list[Path]) -> list[str]:
    """Empty stand-ins for hidden folders that lie inside a bound source (none, normally)."""
    command: list[str] = []
    for folder in sorted({Path(os.path.realpath(p)) for p in hide if Path(p).exists()}):
        if any(folder.is_relative_to(s) for s in map(Path, sources)):
            if folder.is_dir():
                command += [*_tmpfs(str(folder), 2**20), "--remount-ro", str(folder)]
            else:
                command += ["--ro-bind", "/dev/null", str(folder)]
    return command


def bwrap_command(
    job: Path,
    hide: list[Path],
    forbidden: tuple[str, ...] = (),
    program: list[str] | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs the driver on ``job`` (mounted at :data:`JOB`), or
    ``program`` in the same sandbox."""
    exe = bwrap()
    if exe is None:
        raise RuntimeError("bwrap is not available")
    command = [exe, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    command += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--as-pid-1"]
    command += _system()
    command += ["--proc", "/proc", "--dev", "/dev", *_tmpfs("/dev/shm", SHM_BYTES)]
    command += ["--remount-ro", "/dev", *_tmpfs("/tmp", TMPFS_BYTES)]
    command += _interpreter(forbidden, job / "missing")  # after /tmp: an environment may live there
    command += _hidden_inside([str(p) for p in _prefixes()], hide)
    command += ["--ro-bind", str(job), JOB]
    command += ["--bind", str(job / "out"), f"{JOB}/out", *_tmpfs(f"{JOB}/work", TMPFS_BYTES)]
    command += ["--chdir", f"{JOB}/work", "--clearenv"]
    for name, value in _environment(f"{JOB}/work", LIB).items():
        command += ["--setenv", name, value]
    return [*command, *(program or [sys.executable, f"{JOB}/driver.py", JOB])]


def _environment(home: str, lib: str) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": lib,
        "MPLBACKEND": "Agg",
    }
    env.update({k: os.environ[k] for k in PASSED_ON if k in os.environ})
    return env


def address_space(memory: int) -> int:
    """The address space (``RLIMIT_AS``) each sandboxed process gets for a ``memory`` cap:
    ``memory`` plus what the installed PyTorch maps without using it (its shared libraries:
    a few hundred MB for the CPU build, several GB for the CUDA build), measured by
    :func:`mapped_libraries`."""
    return memory + mapped_libraries()


@cache
def mapped_libraries() -> int:
    """Bytes of shared libraries that importing torch maps (``torch/lib`` and the
    ``nvidia`` packages next to it): address space that is reserved, not used. 0 without
    torch."""
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return 0
    torch = Path(next(iter(spec.submodule_search_locations)))
    total = 0
    for folder in (torch / "lib", torch.parent / "nvidia"):
        for path, mode in safe_files.walk(folder) if folder.is_dir() else ():
            if stat.S_ISREG(mode) and ".so" in path.name:
                total += path.stat().st_size
    return total


def run_job(
    job: Path,
    *,
    timeout: float,
    hide: list[Path],
    memory: int = DEFAULT_MEMORY,
    sandboxed: bool = True,
    forbidden: tuple[str, ...] = (),
    whole_sandbox_limits: bool = True,
    program: list[str] | None = None,
) -> JobRun:
    """Run the driver on ``job`` and wait at most ``timeout`` seconds for it.

    Args:
        job: the job folder (``job.json``, ``in/``, empty ``out/`` and ``work/``); its parent
            must be a private folder: the driver's report is written next to it.
        timeout: wall-clock seconds for the whole submission; then everything is killed.
        hide: folders the sandbox must not show even inside a bound folder.
        memory: bytes for the whole sandbox (a cgroup), else for each process (the fallback).
        sandboxed: False runs the driver without bwrap (no protection).
        forbidden: modules missing in the kernel (``"torch"``, ``"course_lib.layers"``).
        whole_sandbox_limits: False skips the cgroup and uses the fallback.
        program: a command to run in the sandbox instead of the driver (its standard output
            is the report); for the tests of the sandbox itself.
    """
    shutil.copyfile(DRIVER, job / "driver.py")
    shutil.copytree(_compiled_course_lib(job.parent, forbidden), job / "lib")
    (job / "missing").mkdir()
    (job / "missing" / "__init__.py").write_text(MISSING, encoding="utf-8")
    group = limits.create_group(memory) if whole_sandbox_limits and sandboxed else None
    rlimits = limits.rlimits(address_space(memory), MAX_FILE_BYTES, fallback=group is None)
    if sandboxed:
        command, cwd = bwrap_command(job, hide, forbidden, program), None
        env = BWRAP_ENVIRONMENT
    else:
        command = program or [sys.executable, str(job / "driver.py"), str(job)]
        cwd = str(job / "work")
        env = {**os.environ, **_environment(cwd, str(job / "lib"))}
        env.pop("COURSE_INSTRUCTOR_DIR", None)

    def prepare() -> None:  # in the child, before bwrap starts
        if group is not None:
            group.join()
        limits.apply_rlimits(rlimits)

    report_path = job.parent / f"{job.name}.report"
    stderr_path = job.parent / f"{job.name}.stderr"
    try:
        with open(report_path, "wb") as report, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=report,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=prepare if os.name == "posix" else None,
            )
            timed_out = False
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(process)
        exhausted = group.memory_exhausted() if group is not None else None
    finally:
        if group is not None:
            group.remove()
    output, errors = _read_and_remove(report_path, MAX_REPORT_BYTES), b""
    with contextlib.suppress(OSError), open(stderr_path, "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
        errors = f.read()
    with contextlib.suppress(OSError):
        stderr_path.unlink()
    last = (errors.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:300]
    returncode = process.returncode if not timed_out else -9
    return JobRun(returncode, timed_out, output, exhausted, last)


def _read_and_remove(path: Path, limit: int) -> bytes:
    """The bytes of the file at ``path`` (at most ``limit``; b"" if unreadable), then delete it."""
    try:
        return safe_files.read_bytes(path, limit)
    except (OSError, ValueError):
        return b""
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the driver's whole process group (inside bwrap, the pid namespace goes with it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
