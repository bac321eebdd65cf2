"""``python -m course_tools test-release``: the students' copy works on its own.

In a new temporary folder it:

1. writes the release (:func:`course_tools.release.release`);
2. installs it with its own ``make install``, from its own files, into a fresh ``.venv`` that has
   never had this repository installed (no ``PYTHONPATH``, no active venv);
3. self-grades the blank hw01 (expects ``total 0/14``) and the solved hw01 from this repository
   (expects full marks), with the copy's ``python -m course_lib.homework grade``, and checks that
   the tables say they are a preview on public cases;
4. runs the copy's own ``make test``;
5. checks that ``course_tools`` cannot be imported there and that the copy's ``make help``
   offers no instructor target.

It prints one line per step with its time, removes the folder at the end (``--keep`` keeps it)
and exits 1 at the first step that fails, with that step's output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from course_tools.course import ROOT
from course_tools.release import release

BLANK = Path("homework") / "hw01_backprop.ipynb"
SOLVED = ROOT / "homework" / "solutions" / "hw01_backprop.ipynb"


class StepFailed(Exception):
    """A step of the release test failed; the message holds its output."""


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that points at this repository's venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def run(
    command: list[str], cwd: Path, expect: int | None = 0, extra_env: dict[str, str] | None = None
) -> str:
    """Run ``command`` in ``cwd`` with :func:`clean_environment` (plus ``extra_env``); its output.

    Raises:
        StepFailed: when the exit status is not ``expect`` (None: any status).
    """
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**clean_environment(), **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if expect is not None and done.returncode != expect:
        tail = "\n".join(done.stdout.splitlines()[-60:])
        raise StepFailed(f"`{' '.join(command)}` exited {done.returncode}, not {expect}:\n{tail}")
    return done.stdout


def expect_in(text: str, *needles: str) -> None:
    missing = [n for n in needles if n not in text]
    if missing:
        raise StepFailed(f"expected {missing} in:\n{text[-3000:]}")


def steps(copy: Path, python: str) -> list[tuple[str, Callable[[], None]]]:
    """The steps, in order, each a name and a function that raises :class:`StepFailed`."""
    venv_python = str(copy / ".venv" / "bin" / "python")
    grade = [venv_python, "-m", "course_lib.homework", "grade"]

    def write() -> None:
        release(copy)

    def install() -> None:
        # Bytecode is compiled at first import instead of at install: the same files, minutes
        # less on a busy CI machine.
        run(["make", "install", f"PYTHON={python}"], copy, extra_env={"PIP_NO_COMPILE": "1"})

    def blank() -> None:
        out = run([*grade, str(BLANK)], copy, expect=1)
        expect_in(out, "preview on public cases", "total 0/14", "not implemented yet")

    def solved() -> None:
        with tempfile.TemporaryDirectory(prefix="course-release-solved-") as folder:
            shutil.copy(SOLVED, folder)
            out = run([*grade, str(Path(folder) / SOLVED.name)], copy, expect=0)
        expect_in(out, "preview on public cases", "total 14/14")

    def tests() -> None:
        run(["make", "test"], copy)

    def walls() -> None:
        out = run([venv_python, "-c", "import course_tools"], copy, expect=1)
        expect_in(out, "ModuleNotFoundError")
        targets = run(["make", "help"], copy)
        for target in ("make lab", "make test"):
            expect_in(targets, target)
        if "instructor" in targets or "book" in targets:
            raise StepFailed(f"the copy's make help offers instructor targets:\n{targets}")

    return [
        ("write the release", write),
        ("install it from its own files into a fresh .venv", install),
        ("self-grade the blank hw01: 0 points", blank),
        ("self-grade the solved hw01: full marks", solved),
        ("run the copy's own tests (make test)", tests),
        ("no course_tools, no instructor target", walls),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools test-release", description=__doc__
    )
    parser.add_argument("command", choices=["test-release"])
    parser.add_argument("--python", default="python3", help="the Python that creates the venv")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="course-release-"))
    copy = folder / "course"
    status = 0
    try:
        for name, step in steps(copy, args.python):
            start = time.perf_counter()
            try:
                step()
            except StepFailed as exc:
                print(f"FAILED  {name}\n{exc}", flush=True)
                status = 1
                break
            print(f"ok      {name} ({time.perf_counter() - start:.0f} s)", flush=True)
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return status
