"""Files a submission may have touched, read and removed without trusting them.

The grader reads back what a submission's kernel wrote (``JOB/out``) and reads the submitted
notebooks themselves. Either may be anything: a symbolic link to ``/dev/zero`` or to the
instructor's files, a FIFO that blocks the reader forever, a folder where a file should be,
3000 nested folders. So:

- :func:`read_bytes` opens with ``O_NOFOLLOW | O_NONBLOCK``, requires a regular file
  (``S_ISREG`` on the open descriptor) and reads at most ``limit`` bytes, whatever ``stat``
  said; anything else is :class:`NotRegular` (a ``ValueError``) naming what was found;
- :func:`remove_tree` deletes a folder without following links and without recursion (a
  stack of names, each step relative to an open folder descriptor, so no path grows long);
- :func:`walk` lists a folder's entries the same way, each with what it is;
- :func:`write_atomically` writes a file so that a reader never sees a part of it.

Standard library only: the student's self-grade and the instructor's grader both use it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISREG, "a regular file"),
)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class NotRegular(ValueError):
    """A path that is not a regular file of an acceptable size."""


class TooLarge(NotRegular):
    """A regular file larger than the bytes a reader allows."""


def kind(mode: int) -> str:
    """What an ``st_mode`` is, in words: ``"a FIFO (named pipe)"``, ``"a folder"`` …"""
    return next((words for test, words in _KINDS if test(mode)), "an unknown kind of file")


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, never more than ``limit`` of them.

    Raises:
        FileNotFoundError: nothing at ``path``.
        NotRegular: ``path`` is a link, FIFO, device, folder …, or holds more than ``limit``
            bytes (the message names which).
        OSError: it could not be read (e.g. permission denied).
    """
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        with contextlib.suppress(OSError):
            found = os.lstat(path).st_mode
            if not stat.S_ISREG(found):
                raise NotRegular(f"{name} is {kind(found)}, not a regular file") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(f"{name} is {kind(mode)}, not a regular file")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise TooLarge(f"{name} holds more than {limit / 1e6:g} MB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _open_folder(name: str, dir_fd: int | None) -> int:
    flags = os.O_RDONLY | _NOFOLLOW | _DIRECTORY | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, dir_fd=dir_fd)


def walk(folder: str | Path) -> Iterator[tuple[Path, int]]:
    """Every entry under ``folder`` as ``(path, st_mode)``, links not followed, folders
    entered breadth-first without recursion (an entry that vanishes or cannot be read is
    skipped; a folder that cannot be listed is yielded but not entered)."""
    pending = [Path(folder)]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            path = current / entry.name
            yield path, mode
            if stat.S_ISDIR(mode):
                pending.append(path)


def remove_tree(folder: str | Path) -> None:
    """Delete ``folder`` and everything in it: links are removed, never followed; depth is
    unlimited (no recursion, and every step is relative to an open folder descriptor).
    Entries that cannot be removed are left; nothing outside ``folder`` is touched."""
    folder = Path(folder)
    if not os.path.lexists(folder):
        return
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        os.unlink(folder)
        return
    if os.rmdir not in os.supports_dir_fd or os.open not in os.supports_dir_fd:
        import shutil  # no descriptor-relative calls here (Windows): the best the OS offers

        shutil.rmtree(folder, ignore_errors=True)
        return
    names: list[str] = []  # the path from ``folder`` down to the current folder
    fd = _open_folder(str(folder), None)
    skipped: list[set[str]] = [set()]
    try:
        while True:
            child = None
            for entry in os.scandir(fd):
                if entry.name in skipped[-1]:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    child = entry.name
                    break
                try:
                    os.unlink(entry.name, dir_fd=fd)
                except OSError:
                    skipped[-1].add(entry.name)
            if child is not None:
                try:
                    inner = _open_folder(child, fd)
                except OSError:
                    skipped[-1].add(child)
                    continue
                os.close(fd)
                fd = inner
                names.append(child)
                skipped.append(set())
                continue
            if not names:
                break
            parent = _open_folder("..", fd)
            os.close(fd)
            fd, name = parent, names.pop()
            skipped.pop()
            try:
                os.rmdir(name, dir_fd=fd)
            except OSError:
                skipped[-1].add(name)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def write_atomically(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that a reader sees the old file or the whole new
    one, never a part: a temporary file in the same folder, flushed to disk, then renamed."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with open(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
