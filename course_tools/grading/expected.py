"""``python -m course_tools expected [--check] [hwNN ...]``: the public answers as package data.

For every compared question of every assignment, the references
(:mod:`course_tools.grading.references`) compute the expected output and each known
mistake's output on the public cases; this command writes them to
``course_lib/homework/expected/hwNN.json`` + ``.npz`` (:mod:`course_lib.homework.stored`),
the only answers the students' package holds. ``--check`` writes nothing and exits 1 when
the stored data differ from what the references give now (stale): the test
``tests/instructor/test_homework_stored.py`` runs the same comparison.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.homework import REGISTRY, load_assignment, plain, stored
from course_tools.grading.references import prepare, reference

#: Tolerances of the staleness check: the stored floats may differ from a fresh computation
#: only in their last bits (another CPU, another BLAS).
RTOL, ATOL = 1e-9, 1e-12


def public_answers(assignment: str) -> dict[str, Any]:
    """What :mod:`course_lib.homework.stored` holds for ``assignment``, computed afresh."""
    data = {}
    for question in load_assignment(assignment).questions:
        if reference(question).expected is None:
            continue
        cases = prepare(question, question.inputs())
        data[question.key] = {
            "labels": [case.label for case in cases],
            "answers": [
                {"expected": c.answer.expected, "mistakes": dict(c.answer.mistakes)} for c in cases
            ],
        }
    return data


def differences(stored_value: Any, fresh: Any, where: str = "") -> list[str]:
    """Where two stored structures differ (floats within :data:`RTOL`, :data:`ATOL`)."""
    if isinstance(fresh, dict):
        if not isinstance(stored_value, dict) or set(stored_value) != set(fresh):
            return [f"{where}: keys differ"]
        return [d for k in fresh for d in differences(stored_value[k], fresh[k], f"{where}/{k}")]
    if isinstance(fresh, tuple | list):
        if not isinstance(stored_value, tuple | list) or len(stored_value) != len(fresh):
            return [f"{where}: lengths differ"]
        pairs = zip(stored_value, fresh, strict=True)
        return [d for i, (s, f) in enumerate(pairs) for d in differences(s, f, f"{where}[{i}]")]
    if isinstance(fresh, str) or isinstance(stored_value, str):
        return [] if stored_value == fresh else [f"{where}: {stored_value!r} != {fresh!r}"]
    a, b = np.asarray(stored_value, dtype=float), np.asarray(fresh, dtype=float)
    if a.shape != b.shape or not np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True):
        return [f"{where}: values differ"]
    return []


def stale(assignment: str) -> list[str]:
    """How the stored answers of ``assignment`` differ from fresh ones (empty: up to date)."""
    stem = stored.folder() / assignment
    fresh = public_answers(assignment)
    if not Path(f"{stem}.json").is_file():
        return [f"{assignment}: no stored answers"] if fresh else []
    return differences(plain.load(stem), fresh, assignment)


def write(assignment: str) -> int:
    """Write the public answers of ``assignment``; returns the bytes written."""
    stem = stored.folder() / assignment
    data = public_answers(assignment)
    if not data:
        for suffix in (".json", ".npz"):
            Path(f"{stem}{suffix}").unlink(missing_ok=True)
        return 0
    return plain.dump(data, stem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools expected", description=__doc__)
    parser.add_argument("command", choices=["expected"])
    parser.add_argument("assignments", nargs="*", help="hw01 ... (default: all)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the data are stale")
    args = parser.parse_args(argv)
    names = args.assignments or sorted(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown assignment(s): {', '.join(unknown)}")
    status = 0
    for name in names:
        if args.check:
            problems = stale(name)
            for problem in problems[:10]:
                print(f"stale: {problem}")
            status = max(status, 1 if problems else 0)
        else:
            print(f"{name}: {write(name) / 1e3:.1f} kB")
    stored.load.cache_clear()
    return status


if __name__ == "__main__":
    sys.exit(main())
