"""Questions, test cases and scoring: the machinery behind every homework check.

A homework question asks for one function. The assignment module (``hw01`` …) describes it
as a :class:`Question`: the function's name, its points, a list of :class:`Case` inputs, a
trusted ``reference`` that computes the expected output (PyTorch or a numerical gradient),
and a hint. Checking happens in two halves, so that the grader can keep them apart:

1. :func:`run_student` calls the student's function on every case and records what came
   back (or which exception it raised). It runs wherever the student's code lives: in the
   notebook for a self-check, inside the submission's kernel for the grader.
2. :func:`score` compares those outcomes with the reference outputs and returns a
   :class:`QuestionResult`. It runs in the checker's own process; the submission cannot
   reach it.

A question's points are split across its cases (equal shares, or in proportion to each
case's ``weight``): a student earns the share of every case that matches. The status is
``passed`` only when all of them match. A question whose function still raises
``NotImplementedError`` scores 0; an open-ended question (``judge``) scores the judge's
fraction.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Statuses a question can end with, best first.
STATUSES = ("passed", "failed", "error", "not implemented", "missing", "timeout")

#: Longest message (characters) a result carries: text from a submission is capped to it.
MESSAGE_LIMIT = 2000
TRUNCATED = "… (truncated)"


def truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "… (truncated)" when cut.

    Every string that comes from a submission (exception messages, cell errors) passes
    through here before it reaches a report: one exception can carry megabytes.
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(TRUNCATED))] + TRUNCATED


@dataclass(frozen=True)
class Case:
    """One input to a student's function.

    Attributes:
        label: a short description shown in reports, e.g. ``"2 examples, 3 -> 4 features"``.
        args: the positional arguments (NumPy arrays, floats, dicts of arrays).
        arg_names: the argument names, used to show the input when the case fails.
        weight: the case's share of the question's points relative to the other cases
            (all 1.0: equal shares).
        secret: data only the checker sees, never sent to the student's code (e.g. the
            labels an open-ended question's ``judge`` scores predictions against).
    """

    label: str
    args: tuple
    arg_names: tuple[str, ...]
    weight: float = 1.0
    secret: Any = None


def case_points(points: float, cases: Sequence[Case]) -> list[float]:
    """Each case's share of a question's ``points``, in proportion to the cases' weights.

    Raises:
        ValueError: no cases, or a weight that is not a positive number.
    """
    if not cases:
        raise ValueError("cases must not be empty")
    for case in cases:
        if not isinstance(case.weight, int | float) or not case.weight > 0:
            raise ValueError(f"case {case.label!r} has weight {case.weight!r}, expected > 0")
    total = sum(case.weight for case in cases)
    return [points * case.weight / total for case in cases]


def call_directly(fn: Callable, args: tuple) -> Any:
    """The default way to exercise a student's function: ``fn(*args)``."""
    return fn(*args)


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer the check recognises and names, instead of just "wrong".

    Attributes:
        name: a short id, e.g. ``"biased variance"``; tests plant each mistake by name.
        message: what the student reads when their output matches this wrong answer,
            naming the mistake and where to look (``"your dlogits is (softmax - y) / N
            without the smoothing: the target is not the one-hot vector"``), never code.
        wrong: ``(*case.args) -> output`` computing the output this mistake produces (like
            ``reference``: trusted code, run in the checker's process, never the
            student's); the student's output is compared with it at the question's
            tolerances.
    """

    name: str
    message: str
    wrong: Callable[..., Any]


@dataclass(frozen=True)
class Question:
    """One graded question: the student writes ``function``; the cases check it.

    Attributes:
        key: ``"q1"``, ``"q2"`` … (what ``check("q1", fn)`` refers to).
        function: the name the student's notebook defines, e.g. ``"affine_backward"``.
        points: the question's value.
        make_cases: callable returning the list of :class:`Case` (deterministic).
        reference: callable ``(*args) -> expected output``; trusted code, e.g. PyTorch.
        output_names: names of the output's parts, e.g. ``("dx", "dW", "db")`` for a
            tuple, or ``("loss",)`` for a single value; dict outputs use their keys.
        hint: one or two sentences shown when the question fails.
        call: callable ``(fn, args) -> output`` that exercises the student's function;
            runs next to the student's code, so it must only build and return plain
            data (floats, arrays, tuples, dicts).
        judge: for open-ended questions (beat a baseline), a callable ``(case, output) ->
            (fraction of the points, message)`` used instead of comparing with
            ``reference``, which may then be None.
        interpret: a callable ``(case, observations) -> output`` turning the raw
            observations ``call`` recorded (say, the label order of each epoch) into the
            output compared with ``reference``; it runs in the checker's process, so that
            no judgement is made next to the student's code.
        rtol, atol: tolerances for comparing floats, as in ``np.allclose``.
        mistakes: the question's common wrong answers (:class:`Mistake`), tried in order
            on a failing case before the generic diagnoses of :func:`diagnose` (sign
            flip, a factor 2 or 1/2, transposed, an axis not summed, off by one step).
    """

    key: str
    function: str
    points: float
    make_cases: Callable[[], list[Case]]
    reference: Callable[..., Any]
    output_names: tuple[str, ...]
    hint: str
    call: Callable[[Callable, tuple], Any] = call_directly
    judge: Callable[[Case, Any], tuple[float, str]] | None = None
    interpret: Callable[[Case, Any], Any] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    mistakes: tuple[Mistake, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What happened when the student's function ran on one case.

    ``kind`` is ``"returned"`` (``value`` holds the output), ``"not implemented"`` or
    ``"raised"`` (``value`` holds a one-line description of the exception).
    """

    kind: str
    value: Any = None


@dataclass
class QuestionResult:
    """The verdict on one question, ready for a report or for JSON.

    Attributes:
        name: the question key, e.g. ``"q1"``.
        function: the function the question asks for.
        score, max_score: points earned and available.
        status: one of :data:`STATUSES`.
        message: one line saying what happened.
        details: further lines for the first failing case (input, expected, actual, hint).
        cases_passed, cases_total: how many of the question's cases matched, when it was
            scored case by case (``cases_total`` is 0 otherwise).
    """

    name: str
    function: str
    score: float
    max_score: float
    status: str
    message: str
    details: list[str] = field(default_factory=list)
    cases_passed: int = 0
    cases_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: name, score, max_score, status, message (capped: :func:`truncate`)."""
        return {
            "name": self.name,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "status": self.status,
            "message": truncate(self.message),
        }


def _plain(value: Any) -> Any:
    """Turn tensors and array scalars into NumPy / Python values, recursively."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _describe_exception(exc: BaseException) -> str:
    """``"ValueError: shapes (2,3) and (2,4) not aligned (line 4 of your cell)"``."""
    text = truncate(f"{type(exc).__name__}: {exc}".strip().rstrip(":"))
    frames = traceback.extract_tb(exc.__traceback__)
    notebook_frames = [f for f in frames if "ipykernel" in f.filename or "<" in f.filename]
    if notebook_frames:
        text += f" (line {notebook_frames[-1].lineno} of your cell)"
    return text


def run_student(question: Question, fn: Any, cases: Sequence[Case]) -> list[Outcome]:
    """Call the student's function on every case and record what happened.

    Each call gets its own deep copy of the inputs, so a function that modifies its
    arguments in place cannot change later cases or the reference.

    Returns:
        list of :class:`Outcome`, one per case.
    """
    outcomes = []
    for case in cases:
        try:
            value = question.call(fn, copy.deepcopy(case.args))
        except NotImplementedError:
            outcomes.append(Outcome("not implemented"))
        except Exception as exc:  # the student's code may raise anything
            outcomes.append(Outcome("raised", _describe_exception(exc)))
        else:
            outcomes.append(Outcome("returned", _plain(value)))
    return outcomes


def _names_for(expected: Any, names: tuple[str, ...]) -> list[str]:
    """Names of the parts of a tuple output (falls back to ``output[i]``)."""
    return [names[i] if i < len(names) else f"output[{i}]" for i in range(len(expected))]


@dataclass(frozen=True)
class Mismatch:
    """Where an output differs from the reference: the part's name, both values, and why."""

    name: str
    actual: Any
    expected: Any
    problem: str


def compare(actual: Any, expected: Any, name: str, rtol: float, atol: float) -> Mismatch | None:
    """Find where ``actual`` differs from ``expected``, or return None when they match.

    Handles floats, arrays, tuples and lists (part by part, named ``name[i]``) and dicts
    (key by key); floats are compared with ``np.allclose(actual, expected, rtol, atol)``.
    """

    def mismatch(problem: str) -> Mismatch:
        return Mismatch(name, actual, expected, problem)

    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return mismatch(f"{name} should be a dict with keys {sorted(expected)}")
        missing = sorted(set(expected) - set(actual))
        if missing:
            return mismatch(f"{name} is missing the key(s) {missing}")
        for key in expected:
            found = compare(actual[key], expected[key], f"{name}[{key!r}]", rtol, atol)
            if found:
                return found
        return None
    if isinstance(expected, tuple | list):
        if not isinstance(actual, tuple | list) or len(actual) != len(expected):
            return mismatch(f"{name} should be a tuple of {len(expected)} values")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            found = compare(a, e, f"{name}[{i}]", rtol, atol)
            if found:
                return found
        return None
    if isinstance(expected, str):
        return (
            None if actual == expected else mismatch(f"{name} is {actual!r}, expected {expected!r}")
        )
    try:
        actual_array = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return mismatch(f"{name} should be a number or an array, got {type(actual).__name__}")
    expected_array = np.asarray(expected, dtype=float)
    if actual_array.shape != expected_array.shape:
        return mismatch(f"{name} has shape {actual_array.shape}, expected {expected_array.shape}")
    if not np.all(np.isfinite(actual_array)):
        return mismatch(f"{name} contains NaN or inf")
    if not np.allclose(actual_array, expected_array, rtol=rtol, atol=atol):
        error = float(np.max(np.abs(actual_array - expected_array)))
        return mismatch(f"{name} is wrong (max abs error {error:.1e})")
    return None


def _as_floats(value: Any) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if np.all(np.isfinite(array)) else None


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def generic_diagnosis(mismatch: Mismatch, rtol: float = 1e-6, atol: float = 1e-8) -> str | None:
    """Name a slip that shows in the numbers alone, or None.

    Recognised, for the part ``name`` of an output: exactly ``-expected`` (a sign), ``2x``
    or ``x/2`` the expected value (a factor 2), the transpose, the expected value summed
    over an axis the answer kept (or kept where it should be summed), and a sequence one
    element too long or too short that otherwise matches (a step too many or too few).
    """
    name = mismatch.name
    actual, expected = _as_floats(mismatch.actual), _as_floats(mismatch.expected)
    if actual is None or expected is None:
        return None
    nonzero = bool(np.any(np.abs(expected) > atol))
    if nonzero and _close(actual, -expected, rtol, atol):
        return f"your {name} is exactly -(expected): check the sign"
    for factor, words in ((2.0, "twice"), (0.5, "half")):
        if nonzero and _close(actual, factor * expected, rtol, atol):
            return (
                f"your {name} is {words} the expected value: look for a missing or extra factor 2"
            )
    transposed = actual.ndim == 2 and actual.shape != expected.shape
    if transposed and _close(actual.T, expected, rtol, atol):
        return f"your {name} is the transpose of the expected one: check the order of the axes"
    if actual.ndim == expected.ndim + 1:
        for axis in range(actual.ndim):
            if _close(actual.sum(axis=axis), expected, rtol, atol):
                return (
                    f"your {name} has shape {actual.shape}; summed over axis {axis} it is right: "
                    "each example contributes to it, add the contributions up"
                )
    if expected.ndim == actual.ndim + 1:
        for axis in range(expected.ndim):
            if _close(expected.sum(axis=axis), actual, rtol, atol):
                return (
                    f"your {name} is summed over axis {axis}; expected shape {expected.shape}: "
                    "keep that axis"
                )
    if actual.ndim == expected.ndim == 1 and abs(actual.size - expected.size) == 1:
        n = min(actual.size, expected.size)
        for a, e in ((actual[:n], expected[:n]), (actual[-n:], expected[-n:])):
            if _close(a, e, rtol, atol):
                more = "one more" if actual.size > expected.size else "one fewer"
                return f"your {name} has {more} entry than expected: check the number of steps"
    return None


def diagnose(question: Question, case: Case, actual: Any, mismatch: Mismatch | None) -> str | None:
    """Name the mistake behind a failing case: the question's own :class:`Mistake` whose
    output the student's matches, else a :func:`generic_diagnosis`, else None."""
    for mistake in question.mistakes:
        try:
            wrong = mistake.wrong(*copy.deepcopy(case.args))
        except Exception:  # a mistake that does not apply to this case
            continue
        if compare_output(question, actual, wrong) is None:
            return mistake.message
    if mismatch is None:
        return None
    return generic_diagnosis(mismatch, question.rtol, question.atol)


def compare_output(question: Question, actual: Any, expected: Any) -> Mismatch | None:
    """:func:`compare` for a whole output, naming tuple parts after ``output_names``."""
    rtol, atol = question.rtol, question.atol
    if not isinstance(expected, tuple):
        name = question.output_names[0] if question.output_names else "the output"
        return compare(actual, expected, name, rtol, atol)
    whole = f"the result of {question.function}"
    if not isinstance(actual, tuple | list) or len(actual) != len(expected):
        names = ", ".join(_names_for(expected, question.output_names))
        return Mismatch(whole, actual, expected, f"{whole} should be a tuple ({names})")
    parts = zip(_names_for(expected, question.output_names), actual, expected, strict=True)
    for part_name, a, e in parts:
        found = compare(a, e, part_name, rtol, atol)
        if found:
            return found
    return None


def interpret_outcomes(
    question: Question, cases: Sequence[Case], outcomes: Sequence[Outcome]
) -> list[Outcome]:
    """Apply ``question.interpret`` to every returned outcome (observations that make it
    raise become that case's failure); the outcomes unchanged when there is none."""
    if question.interpret is None or len(outcomes) != len(cases):
        return list(outcomes)
    interpreted = []
    for case, outcome in zip(cases, outcomes, strict=True):
        if outcome.kind != "returned":
            interpreted.append(outcome)
            continue
        try:
            interpreted.append(Outcome("returned", question.interpret(case, outcome.value)))
        except Exception as exc:  # observations of the wrong shape, or failing a check
            message = truncate(f"{type(exc).__name__}: {exc}".rstrip(": "))
            interpreted.append(Outcome("raised", message))
    return interpreted


def score(question: Question, cases: Sequence[Case], outcomes: Sequence[Outcome]) -> QuestionResult:
    """Compare the student's outcomes with the reference and decide the question.

    Args:
        question: the question.
        cases: its cases, in order.
        outcomes: what :func:`run_student` recorded, aligned with ``cases``.

    Returns:
        a :class:`QuestionResult` earning the points of every case that matches (see
        :func:`case_points`); ``passed`` only when all of them do.
    """
    from course_lib.homework.report import failure_details

    outcomes = interpret_outcomes(question, cases, outcomes)

    def result(
        status: str, message: str, details: list[str] | None = None, points: float = 0.0
    ) -> QuestionResult:
        return QuestionResult(
            question.key, question.function, points, question.points, status, message, details or []
        )

    if len(outcomes) != len(cases):
        return result("error", "the check did not run on every case")
    if any(o.kind == "not implemented" for o in outcomes):
        return result(
            "not implemented", "not implemented yet (it still raises NotImplementedError)"
        )
    if question.judge is not None:
        raised = [(c, o) for c, o in zip(cases, outcomes, strict=True) if o.kind == "raised"]
        if not raised:
            return _judged(question, cases, outcomes)
        # An open-ended question is judged by its worst case, and a case that raised has
        # no output to judge: the question earns nothing and says which case raised.
        case, outcome = raised[0]
        message = f"{len(raised)} of {len(cases)} cases raised an exception; first: {case.label}"
        return result(
            "error", message, [f"raised   {truncate(outcome.value)}", f"hint: {question.hint}"]
        )
    failures = []
    earned = 0.0
    shares = case_points(question.points, cases)
    for case, outcome, share in zip(cases, outcomes, shares, strict=True):
        if outcome.kind == "raised":
            failures.append((case, truncate(outcome.value), None))
            continue
        expected = question.reference(*copy.deepcopy(case.args))
        found = compare_output(question, outcome.value, expected)
        if found:
            named = diagnose(question, case, outcome.value, found)
            problem = f"{named} ({found.problem})" if named else found.problem
            failures.append((case, problem, found))
        else:
            earned += share
    if not failures:
        return result("passed", f"all {len(cases)} cases passed", points=question.points)
    passed = len(cases) - len(failures)
    status = "failed" if failures[0][2] is not None else "error"
    verb = "raised an exception" if status == "error" else "failed"
    case, problem, _ = failures[0]
    message = f"{len(failures)} of {len(cases)} cases {verb}; first: {case.label}: {problem}"
    found = result(status, message, failure_details(question, failures), points=earned)
    found.cases_passed, found.cases_total = passed, len(cases)
    return found


def _judged(
    question: Question, cases: Sequence[Case], outcomes: Sequence[Outcome]
) -> QuestionResult:
    """Score an open-ended question by its judge: the lowest fraction over the cases."""
    verdicts = [question.judge(c, o.value) for c, o in zip(cases, outcomes, strict=True)]
    fraction = min(max(0.0, min(1.0, f)) for f, _ in verdicts)
    message = "; ".join(m for _, m in verdicts)
    status = "passed" if fraction == 1.0 else "failed"
    details = [] if status == "passed" else [f"hint: {question.hint}"]
    return QuestionResult(
        question.key,
        question.function,
        question.points * fraction,
        question.points,
        status,
        message,
        details,
    )
