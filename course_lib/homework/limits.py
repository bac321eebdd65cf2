"""Limits for a whole sandbox: memory and process count through a cgroup, else per process.

Two paths, chosen per run by :func:`create_group`:

1. **cgroup** (Linux, where the grading account may create a child of its own cgroup: root,
   or a delegated cgroup v2 subtree): a fresh child group with a total memory limit
   (cgroup v2 ``memory.max`` with ``memory.swap.max = 0``; v1 ``memory.limit_in_bytes`` and
   ``memory.memsw.limit_in_bytes``) and a process count limit (``pids.max``) that every process
   of the sandbox shares, tmpfs pages included. The sandbox's first process joins it before it
   starts bwrap; the group is removed afterwards, and :meth:`Group.memory_exhausted` says
   whether the limit was hit.
2. **fallback** (no controller can be used: an unprivileged account without delegation,
   macOS): per process limits only: the address space of each process (``RLIMIT_AS``) and,
   for an unprivileged account, the number of processes of that account
   (``RLIMIT_NPROC``: the ones it runs already plus :data:`PROCESSES`; Linux does not apply
   this limit to root). Several processes may then hold the memory cap each.

Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Processes (threads count) a sandbox may run at once: the kernel and its threads, NumPy's and
#: torch's thread pools, a few helpers.
PROCESSES = 512
#: Folder that holds the cgroup file systems.
CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class Group:
    """A child cgroup made for one sandbox: its folder in each hierarchy used, and which
    version it is (``"v1"``: separate ``memory`` and ``pids`` hierarchies, ``"v2"``)."""

    folders: list[Path]
    version: str

    def join(self) -> None:
        """Move the calling process into the group (run in the child before it starts bwrap)."""
        for folder in self.folders:
            with open(folder / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def memory_exhausted(self) -> bool:
        """True when the memory limit was reached (a process was refused memory or killed)."""
        for folder in self.folders:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                with contextlib.suppress(OSError, ValueError):
                    fields = dict(line.split() for line in (folder / name).read_text().splitlines())
                    if int(fields.get(key, 0)) > 0:
                        return True
            with contextlib.suppress(OSError, ValueError):
                if int((folder / "memory.failcnt").read_text()) > 0:
                    return True
        return False

    def remove(self) -> None:
        """Kill whatever is left in the group and delete it."""
        for folder in self.folders:
            for _ in range(50):
                with contextlib.suppress(OSError, ValueError):
                    for pid in (folder / "cgroup.procs").read_text().split():
                        with contextlib.suppress(OSError):
                            os.kill(int(pid), 9)
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup in each hierarchy: ``{"memory": "/a/b", "pids": ..., "": v2}``."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                found[name] = path
    return found


def _mounts() -> dict[str, Path]:
    """Where each cgroup hierarchy is mounted: ``{"memory": Path, "pids": Path, "": v2}``."""
    found: dict[str, Path] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            before, _, after = line.partition(" - ")
            fields, tail = before.split(), after.split()
            if len(fields) < 5 or len(tail) < 3:
                continue
            mountpoint, fstype, options = Path(fields[4]), tail[0], tail[2].split(",")
            if fstype == "cgroup2":
                found.setdefault("", mountpoint)
            elif fstype == "cgroup":
                for name in ("memory", "pids"):
                    if name in options:
                        found.setdefault(name, mountpoint)
    return found


def _make(parent: Path) -> Path:
    folder = parent / f"course-grader-{secrets.token_hex(6)}"
    folder.mkdir()
    return folder


def _v1(memory: int, processes: int) -> Group | None:
    own, mounts = _own_cgroups(), _mounts()
    if "memory" not in own or "memory" not in mounts or "pids" not in own or "pids" not in mounts:
        return None
    folders: list[Path] = []
    try:
        memory_folder = _make(mounts["memory"] / own["memory"].lstrip("/"))
        folders.append(memory_folder)
        (memory_folder / "memory.limit_in_bytes").write_text(str(memory))
        with contextlib.suppress(FileNotFoundError):  # swap accounting may be off
            (memory_folder / "memory.memsw.limit_in_bytes").write_text(str(memory))
        pids_folder = _make(mounts["pids"] / own["pids"].lstrip("/"))
        folders.append(pids_folder)
        (pids_folder / "pids.max").write_text(str(processes))
    except OSError:
        Group(folders, "v1").remove()
        return None
    return Group(folders, "v1")


def _v2(memory: int, processes: int) -> Group | None:
    own, mounts = _own_cgroups(), _mounts()
    if "" not in own or "" not in mounts:
        return None
    folder = None
    try:
        folder = _make(mounts[""] / own[""].lstrip("/"))
        controllers = (folder / "cgroup.controllers").read_text().split()
        if "memory" not in controllers or "pids" not in controllers:
            raise OSError("no memory or pids controller delegated here")
        (folder / "memory.max").write_text(str(memory))
        with contextlib.suppress(FileNotFoundError):
            (folder / "memory.swap.max").write_text("0")
        (folder / "pids.max").write_text(str(processes))
    except OSError:
        if folder is not None:
            Group([folder], "v2").remove()
        return None
    return Group([folder], "v2")


def create_group(memory: int, processes: int | None = None) -> Group | None:
    """A fresh cgroup limiting its members to ``memory`` bytes and ``processes`` processes
    (default :data:`PROCESSES`) together, or None where no controller can be used (then
    only :func:`rlimits` apply)."""
    if not sys.platform.startswith("linux"):
        return None
    processes = PROCESSES if processes is None else processes
    return _v2(memory, processes) or _v1(memory, processes)


def _processes_of_this_account() -> int:
    """Threads the calling account runs now (what ``RLIMIT_NPROC`` counts), roughly."""
    uid, count = os.getuid(), 0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def rlimits(address_space: int, file_size: int, fallback: bool) -> dict[str, int]:
    """The per process limits of a sandbox: ``RLIMIT_AS`` and ``RLIMIT_FSIZE`` always; with
    ``fallback`` (no cgroup) also ``RLIMIT_NPROC`` (the account's processes now plus
    :data:`PROCESSES`; not for root, whom Linux exempts)."""
    found = {"RLIMIT_AS": address_space, "RLIMIT_FSIZE": file_size}
    if fallback and hasattr(os, "getuid") and os.getuid() != 0:
        found["RLIMIT_NPROC"] = _processes_of_this_account() + PROCESSES
    return found


def apply_rlimits(limits: dict[str, int]) -> None:
    """Set each named limit (soft and hard) in the calling process; missing ones are skipped."""
    try:
        import resource
    except ImportError:
        return
    for name, value in limits.items():
        with contextlib.suppress(AttributeError, ValueError, OSError):
            resource.setrlimit(getattr(resource, name), (value, value))
