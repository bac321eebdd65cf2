"""The record of what a submission's kernel imports, kept by the driver outside the kernel.

The driver (:mod:`course_lib.homework.driver`) runs :func:`install` in the kernel before any
cell of the submission. From then on, every module the kernel tries to import (an ``import``
statement, ``__import__``, ``importlib.import_module``: found or not) and every file it opens
whose path mentions ``course_lib`` is sent, as one JSON line, down a FIFO whose only reader is
the driver; the FIFO's name is gone before the first cell runs. The grader flags forbidden
modules from that record (``course_tools.grading.grader``), outside the kernel, whatever the
source looks like: strings, ``getattr`` and ``importlib`` leave the same trace.

Two mechanisms feed it: an audit hook (:func:`sys.addaudithook`, events ``import`` and
``open``; a hook cannot be removed) and a finder first on ``sys.meta_path`` (it records the
name and finds nothing). A submission that sets out to tamper with its own record (removes the
finder, reads its own end of the FIFO) can hide an attempt; it still cannot import a forbidden
module, which the sandbox leaves out.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

#: Most distinct entries one kernel sends.
MAX_ENTRIES = 10_000


def install(fifo: str) -> None:
    """Start recording into ``fifo`` (opened for writing here; the driver reads it)."""
    fd = os.open(fifo, os.O_WRONLY)
    sent: set[tuple[str, str]] = set()

    def send(kind: str, name: str) -> None:
        if (kind, name) in sent or len(sent) >= MAX_ENTRIES:
            return
        sent.add((kind, name))
        with contextlib.suppress(OSError):
            os.write(fd, (json.dumps([kind, name[:300]]) + "\n").encode())

    def hook(event: str, args: tuple) -> None:
        if event == "import" and args:
            send("import", str(args[0]))
        elif event == "open" and args and isinstance(args[0], str | bytes):
            path = os.fsdecode(args[0])
            if "course_lib" in path:
                send("open", path)

    class Recorder:
        """First on ``sys.meta_path``: records each module looked up, finds nothing."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            send("import", name)

    sys.addaudithook(hook)
    sys.meta_path.insert(0, Recorder)
