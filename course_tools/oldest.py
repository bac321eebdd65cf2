"""Run every notebook against the oldest versions ``pyproject.toml`` says the course supports.

Command line: ``python -m course_tools oldest [--python PY]`` (``make test-oldest``). It builds
a venv with each runtime dependency at its lower bound (``numpy>=1.26`` becomes
``numpy==1.26``; torch stays at the lock's version, the only CPU build the course pins), then
executes every distinct notebook -- lectures, solutions and student notebooks, not the Chinese
copies, whose code is the English code -- top to bottom in a kernel of that environment, with
the checkout on ``PYTHONPATH``. Outputs are not compared (older libraries print other digits);
a notebook fails when a cell raises that is not tagged ``raises-exception``. This is what a
Colab-like environment with older preinstalled packages meets, so a bound that is not true
fails here.

The venv holds only the pinned packages, never the checkout, so it is kept outside the clone
and reused while the pins and the interpreter are the same: ``$XDG_CACHE_HOME`` (default
``~/.cache``) ``/dl-fundamentals/oldest-<hash>``. A fresh clone in CI builds it once per pin set.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from course_tools.course import find_root

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


def cache_dir(pins: list[str], python: str) -> Path:
    """Where the venv of ``pins`` built with ``python`` lives: outside any checkout."""
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout
    key = hashlib.sha256("\n".join([version, *pins]).encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dl-fundamentals" / f"oldest-{key}"


def build(root: Path, python: str) -> Path:
    """Create (or reuse, while the pins are unchanged) the oldest-versions venv; its python."""
    pins = [
        locked_torch(root / "requirements-lock.txt"),
        *oldest_requirements(root / "pyproject.toml"),
    ]
    venv = cache_dir(pins, python)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    venv_python = bin_dir / "python"
    stamp = venv / ".pins"
    if venv_python.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins):
        print(f"reusing {venv}", flush=True)
        return venv_python
    print(f"building {venv}", flush=True)
    subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv_python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "--extra-index-url", TORCH_INDEX, pins[0]], check=True)
    # torch's own dependencies, then the lower bounds; pip picks what fits them.
    subprocess.run([*pip, pins[0], *pins[1:]], check=True)
    stamp.write_text("\n".join(pins))
    return venv_python


def distinct_notebooks(root: Path) -> list[Path]:
    """Lectures, solutions and student notebooks; not ``zh/``, whose code is the English code."""
    notebooks = sorted(root.glob("notebooks/*.ipynb")) + sorted(root.glob("homework/**/hw*.ipynb"))
    return [p for p in notebooks if "zh" not in p.relative_to(root).parts]


def run_all(root: Path) -> int:
    """Execute every notebook in a kernel of this interpreter; 1 if any fails."""
    from nbclient.exceptions import CellExecutionError

    from course_tools.timing import execute

    notebooks = distinct_notebooks(root)
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
    env = {**os.environ, "PYTHONPATH": str(root)}  # the checkout itself, not an installed copy
    command = [str(venv_python), "-m", "course_tools", "oldest", "--run"]
    return subprocess.run(command, cwd=root, env=env).returncode
