"""Does a students' copy answer its own questions? ``python answers_in_release.py``.

Run with a released copy first on ``sys.path`` (``PYTHONPATH=DEST``): imports every module of
``course_lib.homework`` the copy ships, collects every callable in them (module-level
functions and classes, the callables inside module-level dicts, tuples and lists, and those a
question holds: ``inputs``, ``call``, ``judge``, ``interpret``), calls each one on every public
case of every question with the question's argument names, and compares what comes back with
the case's expected output, as the check compares a student's answer. Prints JSON: how many
calls were made and which callables reproduced an expected output (there must be none).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
import sys
import warnings
from typing import Any

import numpy as np


def callables_of(module: Any) -> dict[str, Any]:
    """Every callable a module holds at its top level, one level into containers."""
    found: dict[str, Any] = {}

    def add(name: str, value: Any) -> None:
        if callable(value) and not isinstance(value, type(sys)):
            found.setdefault(name, value)

    for name, value in vars(module).items():
        add(f"{module.__name__}.{name}", value)
        if isinstance(value, dict):
            for key, item in value.items():
                add(f"{module.__name__}.{name}[{key!r}]", item)
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                add(f"{module.__name__}.{name}[{i}]", item)
    return found


def main(assignments: list[str] | None = None) -> int:
    """Print the JSON report for ``assignments`` (default: all)."""
    import course_lib.homework as package
    from course_lib.homework import REGISTRY, load_assignment
    from course_lib.homework.checking import compare_output

    where = package.__path__[0]
    candidates: dict[str, Any] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "__main__":
            continue
        candidates.update(callables_of(importlib.import_module(f"course_lib.homework.{info.name}")))
    names = assignments or sorted(REGISTRY)
    questions = [q for name in names for q in load_assignment(name).questions]
    for q in questions:
        for part in ("inputs", "call", "judge", "interpret"):
            if getattr(q, part) is not None:
                candidates[f"{q.assignment}.{q.key}.{part}"] = getattr(q, part)
    signatures = {}
    for name, fn in candidates.items():
        try:
            signatures[name] = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin without one: it cannot take the names
            continue
    calls, reproduced = 0, []
    for q in questions:
        cases = [
            c for c in q.make_cases() if c.answer is not None and c.answer.expected is not None
        ]
        for case in cases:
            kwargs = dict(zip(case.arg_names, case.args, strict=True))
            for name, signature in signatures.items():
                try:
                    signature.bind(**kwargs)
                except TypeError:
                    continue
                fn = candidates[name]
                calls += 1
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    try:
                        output = fn(**copy.deepcopy(kwargs))
                    except Exception:  # a callable that does not apply: nothing reproduced
                        continue
                if compare_output(q, output, case.answer.expected) is None:
                    reproduced.append(f"{name} answers {q.assignment} {q.key} ({case.label})")
    print(json.dumps({"package": where, "calls": calls, "reproduced": reproduced}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
