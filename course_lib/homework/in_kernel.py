"""The grader's recorder inside a submission's kernel (see ``course_tools.grading``).

The grader writes each question's inputs as plain data (:mod:`~course_lib.homework.plain`:
JSON + ``.npz``, no pickle) to ``JOB/in/KEY``, then executes one line in the submission's
kernel that re-imports this module from disk (dropping any copy the submission may have
patched) and calls :func:`run_question`. It looks up the student's function in the notebook's
namespace, calls it on every input through the question's ``call`` (which only records raw
observations: values, gradients, label orders), with the stand-ins of earlier answers a
hidden case brings (:mod:`~course_lib.homework.standins`) put into the namespace for the
call, and writes the outcomes back as plain data to ``JOB/out/KEY``: each with the positions
of the arguments the call changed in place and the earlier answers it took from the
student. Nothing is compared here: a value that is not plain data becomes that case's
failure, and every comparison and the scoring happen in the grader's own process.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from course_lib.homework import plain
from course_lib.homework.checking import Case, Outcome, run_student


def fresh_import_line(assignment: str, key: str, job: str) -> str:
    """The code the grader runs in the kernel for one question."""
    return (
        "import sys as __sys\n"
        "for __m in [m for m in __sys.modules if m.startswith('course_lib.homework')]:\n"
        "    del __sys.modules[__m]\n"
        "from course_lib.homework.in_kernel import run_question as __run_question\n"
        f"__run_question(globals(), {assignment!r}, {key!r}, {job!r})\n"
    )


def _plain_outcome(outcome: Outcome, budget: int) -> tuple[dict[str, Any], int]:
    """``outcome`` as a plain dict, and the bytes it uses; unplain values become failures."""
    entry, used = _plain_value(outcome, budget)
    entry["changed"] = [int(i) for i in outcome.changed]
    entry["own"] = [str(name) for name in outcome.own]
    return entry, used


def _plain_value(outcome: Outcome, budget: int) -> tuple[dict[str, Any], int]:
    if outcome.kind != "returned":
        return {"kind": outcome.kind, "value": str(outcome.value or "")[:2000]}, 0
    try:
        used = plain.size(outcome.value)
    except plain.NotPlain as exc:
        message = f"returned {exc}, which is not plain data (numbers, arrays, tuples, dicts)"
        return {"kind": "raised", "value": message}, 0
    except RecursionError:
        return {"kind": "raised", "value": "returned a structure nested too deeply"}, 0
    if used > budget:
        message = f"returned {used / 1e6:.1f} MB, more than the grader takes back"
        return {"kind": "raised", "value": message}, 0
    return {"kind": "returned", "value": outcome.value}, used


def _case(index: int, entry: Any) -> Case:
    """A case from what the runner wrote: its arguments, or ``{"args", "standins"}``."""
    if isinstance(entry, dict):
        return Case(f"case {index}", tuple(entry["args"]), (), standins=entry.get("standins"))
    return Case(f"case {index}", tuple(entry), ())


def run_question(namespace: dict[str, Any], assignment: str, key: str, job: str) -> None:
    """Run the student's function for question ``key`` on the inputs in ``job``.

    Writes ``JOB/out/KEY.json`` (+ ``.npz``): ``{"missing": str}`` when the notebook does not
    define a callable with the question's name (the type name of what it defines there, ``""``
    when nothing: the runner words the message), else
    ``{"outcomes": [{"kind", "value", "changed", "own"}, ...]}``.
    """
    from course_lib.homework.assignment import load_assignment

    question = load_assignment(assignment).question(key)
    inputs = plain.load(Path(job, "in", key))
    fn = namespace.get(question.function)
    out = Path(job, "out", key)
    if not callable(fn):
        plain.dump({"missing": "" if fn is None else type(fn).__name__}, out)
        return
    cases = [_case(i, entry) for i, entry in enumerate(inputs)]
    budget = int(plain.MAX_BYTES * 0.9)
    outcomes = []
    for outcome in run_student(question, fn, cases, namespace):
        entry, used = _plain_outcome(outcome, budget)
        budget -= used
        outcomes.append(entry)
    plain.dump({"outcomes": outcomes}, out)
    sys.stdout.flush()
