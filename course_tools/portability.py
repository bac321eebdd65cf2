"""Portability check: the stored notebook outputs must hold on every CPU, not just this one.

    python -m course_tools portability [--only NAME] [--workers N] [-- PYTEST_ARGS...]

Runs nbval on every lecture and solution notebook once per **configuration**: a named set of
environment variables that makes the numerical libraries take other code paths than on the
machine that executed the notebooks:

- ``threads-1``: the machine's own kernels, but one BLAS / OpenMP thread, so that sums are
  split (and rounded) differently wherever a notebook does not pin its thread count;
- ``generic-kernels``: torch on its portable kernels (``ATEN_CPU_CAPABILITY=default``), NumPy
  without its run-time dispatched SIMD loops (``NPY_DISABLE_CPU_FEATURES``), OpenBLAS and MKL
  on an older core type (unless the environment already chooses one);
- ``avx2``: torch forced onto its AVX2 kernels (``ATEN_CPU_CAPABILITY=avx2``).

A configuration that changes nothing on this machine is skipped, and the run says so: on a CPU
without AVX-512, torch's native kernels are its AVX2 kernels, so ``avx2`` equals the run
``make test`` already made. It prints a line per notebook as it finishes, then one line per
configuration (pass, FAIL or skipped, seconds), and exits 1 if any failed. Each configuration
is a full nbval run (about 1-2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from course_tools.course import find_root

#: the pytest run of every configuration (the project's addopts add nbval and its sanitizer),
#: quiet but for a line per notebook (:mod:`course_tools.pytest_progress`).
PYTEST = [
    "-m",
    "pytest",
    "notebooks",
    "homework/solutions",
    "-p",
    "no:cacheprovider",
    "-p",
    "course_tools.pytest_progress",
    "-q",
    "--no-header",
    "--no-summary",
]


def native_capability() -> str:
    """The CPU kernels torch picks on this machine: ``"AVX512"``, ``"AVX2"``, ``"DEFAULT"``…"""
    import torch

    return str(torch.backends.cpu.get_cpu_capability()).upper()


def same_as_native(env_vars: Mapping[str, str], native: str) -> bool:
    """True when a configuration only asks torch for the kernels it uses anyway."""
    return dict(env_vars) == {"ATEN_CPU_CAPABILITY": "avx2"} and native == "AVX2"


def numpy_dispatch_targets() -> list[str]:
    """The CPU features NumPy dispatches to at run time (the names NPY_DISABLE_CPU_FEATURES takes).

    NumPy 2.x names x86 levels (``X86_V3``, ``X86_V4``, ...), NumPy 1.26 single features
    (``AVX2``, ``AVX512F``, ...); the list is read from the installed build, since a name it
    does not know is an error or ignored, depending on the version.
    """
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # NumPy < 2
        from numpy.core import _multiarray_umath as umath
    return list(umath.__cpu_dispatch__)


def configurations(environ: Mapping[str, str], dispatch: list[str]) -> dict[str, dict[str, str]]:
    """The named configurations: each a dict of environment variables to set on top of ``environ``.

    Args:
        environ: the current environment; a core type it already sets is left alone.
        dispatch: NumPy's run-time dispatch targets (see ``numpy_dispatch_targets``).
    """
    one_thread = {
        name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    generic = {"ATEN_CPU_CAPABILITY": "default"}
    if dispatch:
        generic["NPY_DISABLE_CPU_FEATURES"] = " ".join(dispatch)
    if "OPENBLAS_CORETYPE" not in environ:
        generic["OPENBLAS_CORETYPE"] = "Sandybridge"  # AVX without AVX2 or FMA in NumPy's BLAS
    if "MKL_ENABLE_INSTRUCTIONS" not in environ:
        generic["MKL_ENABLE_INSTRUCTIONS"] = "SSE4_2"  # torch's BLAS on x86
    return {
        "threads-1": one_thread,
        "generic-kernels": generic,
        "avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    }


def command(workers: int, extra: list[str]) -> list[str]:
    """The pytest command line of one configuration (``workers`` xdist processes)."""
    if workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    return [sys.executable, *PYTEST, "-n", str(workers), "--dist", "loadfile", *extra]


def run(name: str, env_vars: Mapping[str, str], cmd: list[str], root: Path) -> tuple[bool, float]:
    """Run ``cmd`` in ``root`` with ``env_vars`` added to the environment: (passed, seconds)."""
    env = {**os.environ, **env_vars}
    print(f"--- {name}: {' '.join(f'{k}={v!r}' for k, v in env_vars.items())}", flush=True)
    start = time.perf_counter()
    passed = subprocess.run(cmd, cwd=root, env=env, check=False).returncode == 0
    return passed, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "portability":
        argv = argv[1:]
    extra: list[str] = []
    if "--" in argv:
        extra, argv = argv[argv.index("--") + 1 :], argv[: argv.index("--")]
    configs = configurations(os.environ, numpy_dispatch_targets())
    parser = argparse.ArgumentParser(prog="python -m course_tools portability", description=__doc__)
    parser.add_argument("--only", choices=sorted(configs), help="run one configuration")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    args = parser.parse_args(argv)
    chosen = {args.only: configs[args.only]} if args.only else configs
    root, cmd = find_root(), command(args.workers, extra)
    native = native_capability()
    results: dict[str, tuple[bool, float] | None] = {}
    for name, env_vars in chosen.items():
        if same_as_native(env_vars, native):
            print(f"--- {name}: skipped, torch already runs its {native} kernels here", flush=True)
            results[name] = None
        else:
            results[name] = run(name, env_vars, cmd, root)
    print("portability check:")
    for name, result in results.items():
        if result is None:
            print(f"  {name:<16} skipped (the same as make test on this {native} machine)")
        else:
            passed, seconds = result
            print(f"  {name:<16} {'pass' if passed else 'FAIL'}  {seconds:6.0f} s")
    return 0 if all(r is None or r[0] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
