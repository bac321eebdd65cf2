"""Run a function of ours in a child process with its own time and memory limits.

The runner decodes and scores what a submission's kernel wrote back in such a child
(:func:`call`): data built to exhaust memory or time ends that child, never the grader, and
costs only the submission that sent it. The child is forked from a *fork server* that has
imported NumPy and the checks once (``multiprocessing``'s ``forkserver`` where the platform
has it, else ``spawn``), so a call costs milliseconds, not an interpreter start.

The function runs our code on plain data: it returns JSON text, which the parent parses (the
parent never unpickles anything the child sends).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

#: Modules the fork server imports once, so that each child starts with them loaded (the
#: assignments, and torch initialised: :mod:`course_lib.homework.warm`).
PRELOAD = ["numpy", "course_lib.homework.runner", "course_lib.homework.warm"]
#: Largest answer (bytes of JSON) a child may send back.
MAX_ANSWER = 20_000_000


@dataclass(frozen=True)
class Failure:
    """Why a child gave no answer: ``"timeout"``, ``"memory"`` or ``"died"``, and a sentence."""

    reason: str
    message: str


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _address_space() -> int:
    """Bytes of address space this process maps now (0 where that cannot be read)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return 0


def _child(connection, fn: Callable[..., str], args: tuple, memory: int, seconds: float) -> None:
    try:
        import resource

        cap = _address_space() + memory
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    except (ImportError, ValueError, OSError):
        pass
    try:
        answer = fn(*args).encode("utf-8")
    except MemoryError:
        answer = b"\0memory"
    except Exception as exc:  # a bug of ours on odd data: that submission's failure, said so
        answer = f"\0failed ({type(exc).__name__}: {str(exc)[:200]})".encode()
    connection.send_bytes(answer[: MAX_ANSWER + 1])
    connection.close()


def warm_up() -> None:
    """Start the fork server now, so that its imports overlap other work (the sandboxed run)
    instead of delaying the first :func:`call`."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def call(fn: Callable[..., str], args: tuple, timeout: float, memory: int) -> str | Failure:
    """``fn(*args)`` (which returns text) in a child process; its text, or a :class:`Failure`.

    Args:
        fn: a module-level function (the child imports it by name).
        args: its arguments (sent to the child; they come from the grader, not a submission).
        timeout: wall-clock seconds the child may take (also its CPU-time limit).
        memory: bytes of address space the child may add to what the fork server maps.
    """
    context = _context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, fn, args, memory, timeout), daemon=True)
    for attempt in (1, 2):  # a fork server that died is started again on the second try
        try:
            process.start()
            break
        except (OSError, EOFError) as exc:
            if attempt == 2:
                receive.close()
                send.close()
                return Failure("died", f"could not be started ({type(exc).__name__})")
            process = context.Process(
                target=_child, args=(send, fn, args, memory, timeout), daemon=True
            )
    send.close()
    try:
        if not receive.poll(timeout):
            return Failure("timeout", f"took longer than {timeout:g} s")
        try:
            answer = receive.recv_bytes(MAX_ANSWER)
        except (EOFError, OSError):
            process.join(5)
            if (
                process.exitcode is not None
                and process.exitcode < 0
                and -process.exitcode
                in (
                    9,
                    24,
                )
            ):
                return Failure("memory", "was killed (out of memory or CPU time)")
            return Failure("died", f"ended without an answer (exit status {process.exitcode})")
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if answer == b"\0memory":
        return Failure("memory", "ran out of memory")
    if answer.startswith(b"\0failed"):
        return Failure("died", answer[1:].decode("utf-8", "replace"))
    return answer.decode("utf-8", "replace")


if sys.platform == "win32":  # pragma: no cover - nothing to tune there
    PRELOAD = []
