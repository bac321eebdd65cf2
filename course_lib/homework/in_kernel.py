"""The grader's half that runs inside a submission's kernel (see ``grader``).

The grader pickles each question's inputs to a file, then executes one line in the
submission's kernel that re-imports this module from disk (dropping any copy the submission
may have patched) and calls :func:`run_question`. It looks up the student's function in the
notebook's namespace, calls it on every input and pickles the outcomes back. Scoring
happens in the grader's own process, where the submission's code cannot reach.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

from course_lib.homework.checking import Outcome, run_student


def fresh_import_line(assignment: str, key: str, in_path: str, out_path: str) -> str:
    """The code the grader runs in the kernel for one question."""
    return (
        "import sys as __sys\n"
        "for __m in [m for m in __sys.modules if m.startswith('course_lib.homework')]:\n"
        "    del __sys.modules[__m]\n"
        "from course_lib.homework.in_kernel import run_question as __run_question\n"
        f"__run_question(globals(), {assignment!r}, {key!r}, {in_path!r}, {out_path!r})\n"
    )


def _picklable(outcome: Outcome) -> Outcome:
    try:
        pickle.dumps(outcome)
    except Exception:
        kind = type(outcome.value).__name__
        return Outcome("raised", f"returned a {kind}, which the grader cannot compare")
    return outcome


def run_question(
    namespace: dict[str, Any], assignment: str, key: str, in_path: str, out_path: str
) -> None:
    """Run the student's function for question ``key`` on the pickled cases.

    Writes to ``out_path`` a pickled dict: ``{"missing": str}`` when the notebook does not
    define a callable with the question's name, else ``{"outcomes": [Outcome, ...]}``.
    """
    from course_lib.homework.assignment import load_assignment

    question = load_assignment(assignment).question(key)
    with open(in_path, "rb") as f:
        cases = pickle.load(f)
    fn = namespace.get(question.function)
    if not callable(fn):
        found = "is not defined" if fn is None else f"is a {type(fn).__name__}, not a function"
        result: dict[str, Any] = {"missing": f"{question.function} {found}"}
    else:
        outcomes = run_student(question, fn, cases)
        result = {"outcomes": [_picklable(o) for o in outcomes]}
    with open(out_path, "wb") as f:
        pickle.dump(result, f)
    sys.stdout.flush()
