"""Run every notebook against the oldest versions ``pyproject.toml`` says the course supports.

Command line: ``python -m course_tools oldest [--python PY]`` (``make test-oldest``). It builds
``.venv-oldest`` with each runtime dependency at its lower bound (``numpy>=1.26`` becomes
``numpy==1.26``; torch stays at the lock's version, the only CPU build the course pins), then
executes every lecture, solution and student notebook top to bottom in a kernel of that
environment. Outputs are not compared (older libraries print other digits); a notebook fails
when a cell raises that is not tagged ``raises-exception``. This is what a Colab-like
environment with older preinstalled packages meets, so a bound that is not true fails here.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from course_tools.course import find_root

VENV = ".venv-oldest"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
_LOWER_BOUND = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*>=\s*([^\s,;]+)\s*$")


def oldest_requirements(pyproject: Path) -> list[str]:
    """``name==lower_bound`` for every runtime dependency but torch, in pyproject order.

    Raises ``ValueError`` naming the requirement when one is not a plain ``name>=version``
    (the course states a lower bound for every dependency and nothing else).
    """
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = []
    for requirement in deps:
        match = _LOWER_BOUND.match(requirement)
        if match is None:
            raise ValueError(f"dependency {requirement!r} is not of the form 'name>=version'")
        name, version = match.groups()
        if name.lower() != "torch":
            pins.append(f"{name}=={version}")
    return pins


def locked_torch(lock: Path) -> str:
    """``torch==X`` as pinned in the lock file."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith("torch=="):
            return line.strip()
    raise ValueError(f"{lock} pins no torch version")


def build(root: Path, python: str) -> Path:
    """Create (or reuse, when the pins are unchanged) ``.venv-oldest``; return its python."""
    venv = root / VENV
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    venv_python = bin_dir / "python"
    pins = [
        locked_torch(root / "requirements-lock.txt"),
        *oldest_requirements(root / "pyproject.toml"),
    ]
    stamp = venv / ".pins"
    if venv_python.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins):
        return venv_python
    subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv_python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "--extra-index-url", TORCH_INDEX, pins[0]], check=True)
    # torch's own dependencies, then the lower bounds; pip picks what fits them.
    subprocess.run([*pip, pins[0], *pins[1:]], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(root)], check=True)
    stamp.write_text("\n".join(pins))
    return venv_python


def run_all(root: Path) -> int:
    """Execute every notebook in a kernel of this interpreter; 1 if any fails."""
    from nbclient.exceptions import CellExecutionError

    from course_tools.timing import execute

    notebooks = sorted(root.glob("notebooks/*.ipynb")) + sorted(root.glob("homework/**/hw*.ipynb"))
    failed = 0
    for path in notebooks:
        start = time.perf_counter()
        try:
            execute(path)
            verdict = "ok"
        except CellExecutionError as exc:
            failed += 1
            verdict = "FAILED\n    " + "\n    ".join(str(exc).strip().splitlines()[-3:])
        print(
            f"{path.relative_to(root)}  {time.perf_counter() - start:5.1f} s  {verdict}", flush=True
        )
    print(f"{len(notebooks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools oldest", description=__doc__)
    parser.add_argument("command", choices=["oldest"])
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venv")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = find_root()
    if args.run:
        return run_all(root)
    venv_python = build(root, args.python)
    versions = subprocess.run(
        [
            str(venv_python),
            "-c",
            "import numpy, matplotlib, sklearn, jupyterlab, ipykernel, torch;"
            "print('oldest environment:', *(f'{m.__name__} {m.__version__}' for m in "
            "(numpy, matplotlib, sklearn, jupyterlab, ipykernel, torch)), sep='  ')",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    print(versions.stdout.strip(), flush=True)
    return subprocess.run([str(venv_python), "-m", "course_tools", "oldest", "--run"]).returncode
