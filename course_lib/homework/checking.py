"""Questions, test cases and scoring: the machinery behind every homework check.

A homework question asks for one function. The assignment module (``hw01`` …) describes it
as a :class:`Question`: the function's name, its points, a case maker (``inputs(seed)``:
the public cases for ``seed=None``, hidden cases of the same kinds for the instructor's
seeds), how to call the function and the ids of the mistakes it knows. The student's side
holds **no reference solution**: every case carries its :class:`Answer` -- the expected
output and the output of each known mistake -- computed by the instructor's references
(``course_tools.grading.references``). For the public cases the answers are package data
(:mod:`~course_lib.homework.stored`); for hidden cases the grader computes them. Open-ended
questions have a ``judge`` instead (a threshold, a property), which may use the answer too.

Checking happens in two halves, so that the grader can keep them apart:

1. :func:`run_student` calls the student's function on every case and records what came
   back (or which exception it raised, which arguments it changed in place, and which
   earlier answers it took from the student rather than from a stand-in, see
   :mod:`~course_lib.homework.standins`). It runs wherever the student's code lives.
2. :func:`score` compares those outcomes with the answers and returns a
   :class:`QuestionResult`. It runs in the checker's own process.

Scoring: a question's points are split across its cases (equal shares, or in proportion to
each case's ``weight``) and the student earns the share of every case that matches -- unless
some case shows a **mistake the check knows** (one of the question's own, a generic slip such
as a sign or a factor 2, or an argument changed in place): then the question earns nothing,
whatever the other cases say. The status is ``passed`` only when every case matches. An
open-ended question is scored by its worst case. Every text comes from the message catalogue
(:mod:`~course_lib.homework.messages`).

A hidden case (``seed`` set) is reported by its kind, its verdict and the mistake recognised,
never with its input, the expected or actual output, or text the student's code produced.
"""

from __future__ import annotations

import builtins
import copy
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.homework import standins
from course_lib.homework.messages import say

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
class Answer:
    """What the checker knows about one case, never sent to the student's code.

    Attributes:
        expected: the right output.
        mistakes: mistake id -> the output that mistake produces on this case.
    """

    expected: Any = None
    mistakes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One input to a student's function.

    Attributes:
        label: the kind of case, shown in reports, e.g. ``"2 examples, 3 -> 4 features"``
            (for a hidden case it must not depend on the seed: it is all a student sees).
        args: the positional arguments (NumPy arrays, floats, dicts of arrays).
        arg_names: the argument names, used to show the input when the case fails.
        weight: the case's share of the question's points relative to the other cases.
        secret: data only the checker sees (e.g. the labels a ``judge`` scores against).
        answer: the expected output and the known mistakes' outputs (:class:`Answer`).
        seed: the instructor's seed this hidden case was made from; None for a public case.
        standins: tables of the earlier answers this case's call may use, by function
            name (:mod:`~course_lib.homework.standins`); sent into the kernel with ``args``.
    """

    label: str
    args: tuple
    arg_names: tuple[str, ...]
    weight: float = 1.0
    secret: Any = None
    answer: Answer | None = None
    seed: int | None = None
    standins: Mapping[str, Any] | None = None

    @property
    def hidden(self) -> bool:
        """True for a case made from the instructor's seed."""
        return self.seed is not None

    def kernel_input(self) -> Any:
        """What crosses into the student's kernel: the arguments, and the stand-ins if any."""
        if not self.standins:
            return list(self.args)
        return {"args": list(self.args), "standins": dict(self.standins)}


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
class Question:
    """One graded question: the student writes ``function``; the cases check it.

    Attributes:
        assignment: ``"hw01"`` …; with ``key`` the prefix of the question's message ids.
        key: ``"q1"``, ``"q2"`` … (what ``check("q1", fn)`` refers to).
        function: the name the student's notebook defines, e.g. ``"affine_backward"``.
        points: the question's value.
        inputs: ``inputs(seed=None) -> [Case]``: the public cases, or with an integer seed
            hidden cases of the same kinds; deterministic, without answers.
        output_names: names of the output's parts, e.g. ``("dx", "dW", "db")`` for a
            tuple, or ``("loss",)`` for a single value; dict outputs use their keys.
        call: ``(fn, args) -> output`` exercising the student's function; it runs next to
            the student's code, so it only builds and returns plain data.
        judge: for open-ended questions, ``(case, output) -> (fraction, message)`` used
            instead of comparing with ``case.answer.expected``.
        interpret: ``(case, observations) -> output``, turning what ``call`` recorded into
            the output compared with the answer, in the checker's process.
        rtol, atol: tolerances for comparing floats, as in ``np.allclose``.
        mistakes: the ids of the question's own known mistakes (the message of mistake
            ``m`` is ``"<assignment>.<key>.<m>"`` in the catalogue), tried in order on a
            failing case before the generic slips of :func:`generic_diagnosis`.
        uses: keys of the earlier questions whose answers this function calls.
        standins: names the grader replaces by stand-ins while it runs this question.
        may_change: argument names the function may update in place (a running average).
    """

    assignment: str
    key: str
    function: str
    points: float
    inputs: Callable[..., list[Case]]
    output_names: tuple[str, ...]
    call: Callable[[Callable, tuple], Any] = call_directly
    judge: Callable[[Case, Any], tuple[float, str]] | None = None
    interpret: Callable[[Case, Any], Any] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    mistakes: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    standins: tuple[str, ...] = ()
    may_change: tuple[str, ...] = ()

    def message_id(self, name: str) -> str:
        """The catalogue id of this question's message ``name`` (``"hint"``, a mistake)."""
        return f"{self.assignment}.{self.key}.{name}"

    @property
    def hint(self) -> str:
        """One or two sentences pointing at the idea or the lecture section, never at code."""
        return say(self.message_id("hint"))

    def make_cases(self) -> list[Case]:
        """The public cases with their answers (stored package data)."""
        from course_lib.homework import stored

        return stored.with_answers(self, self.inputs())


@dataclass(frozen=True)
class Outcome:
    """What happened when the student's function ran on one case.

    ``kind`` is ``"returned"`` (``value`` holds the output), ``"not implemented"`` or
    ``"raised"`` (``value`` holds a one-line description of the exception); ``changed``
    the positions of the arguments the call changed in place; ``own`` the names of the
    earlier answers the call took from the student although a stand-in was offered.
    """

    kind: str
    value: Any = None
    changed: tuple[int, ...] = ()
    own: tuple[str, ...] = ()


@dataclass
class QuestionResult:
    """The verdict on one question, ready for a report or for JSON.

    Attributes:
        name: the question key, e.g. ``"q1"``.
        function: the function the question asks for.
        score, max_score: points earned and available.
        status: one of :data:`STATUSES`.
        message: one line saying what happened.
        details: further lines for the first failing case (for a public case: input,
            expected, actual, hint; for a hidden case: its kind, verdict, mistake, hint).
        cases_passed, cases_total: how many of the question's cases matched, when it was
            scored case by case (``cases_total`` is 0 otherwise).
        seed: the instructor's seed of the hidden cases; None for public cases.
        mistake: the id of the known mistake the cases showed, if any.
        cases: one dict per case for the instructor's JSON (``case``, ``verdict``,
            ``mistake`` and, for appeals, ``detail``).
        used_own: earlier answers the function took from the student (no stand-in matched).
        summary: the first part of ``message`` ("1 of 3 cases failed"), for the self-check.
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
    seed: int | None = None
    mistake: str | None = None
    cases: list[dict[str, Any]] = field(default_factory=list)
    used_own: tuple[str, ...] = ()
    summary: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: name, score, max_score, status, message (capped: :func:`truncate`),
        the seed of the cases, the known mistake, and a line per case (for appeals)."""
        return {
            "name": self.name,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "status": self.status,
            "message": truncate(self.message),
            "seed": self.seed,
            "mistake": self.mistake,
            "cases": [{k: truncate(v, 500) if isinstance(v, str) else v for k, v in c.items()}
                      for c in self.cases[:20]],
        }  # fmt: skip


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
        text += say("check.line-of-cell", line=notebook_frames[-1].lineno)
    return text


def run_student(
    question: Question,
    fn: Any,
    cases: Sequence[Case],
    namespace: dict[str, Any] | None = None,
) -> list[Outcome]:
    """Call the student's function on every case and record what happened.

    Each call gets its own deep copy of the inputs, so a function that modifies its
    arguments cannot change later cases; the copies are fingerprinted before and after,
    so that the change is noticed. When a case carries stand-in tables and ``namespace``
    (the notebook's globals) is given, the earlier answers the function calls are replaced
    by stand-ins for the duration of the call.

    Returns:
        list of :class:`Outcome`, one per case.
    """
    outcomes = []
    for case in cases:
        args = copy.deepcopy(case.args)
        before = [standins.fingerprint(a) for a in args]
        with standins.standing_in(namespace, case.standins) as used_own:
            try:
                value = question.call(fn, args)
            except NotImplementedError:
                outcome = Outcome("not implemented")
            except Exception as exc:  # the student's code may raise anything
                outcome = Outcome("raised", _describe_exception(exc))
            else:
                outcome = Outcome("returned", _plain(value))
        changed = standins.changed_arguments(before, args)
        outcomes.append(Outcome(outcome.kind, outcome.value, changed, tuple(sorted(used_own))))
    return outcomes


def _names_for(expected: Any, names: tuple[str, ...]) -> list[str]:
    """Names of the parts of a tuple output (falls back to ``output[i]``)."""
    return [names[i] if i < len(names) else f"output[{i}]" for i in range(len(expected))]


@dataclass(frozen=True)
class Mismatch:
    """Where an output differs from the answer: the part's name, both values, and why
    (a message id of the ``compare`` table and its parameters)."""

    name: str
    actual: Any
    expected: Any
    problem_id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def problem(self) -> str:
        """The problem with the values (public cases, and the instructor's JSON)."""
        return say(f"compare.{self.problem_id}", name=self.name, **self.params)

    @property
    def hidden_problem(self) -> str:
        """The problem without any value (hidden cases)."""
        return say(f"compare.{self.problem_id}-hidden", name=self.name)


def compare(
    actual: Any, expected: Any, name: str, rtol: float, atol: float, nonfinite: bool = False
) -> Mismatch | None:
    """Find where ``actual`` differs from ``expected``, or return None when they match.

    Handles floats, arrays, tuples and lists (part by part, named ``name[i]``) and dicts
    (key by key); floats are compared with ``np.allclose(actual, expected, rtol, atol)``,
    and a wrong array reports its error relative to the size of the expected one. NaN and
    inf never match, unless ``nonfinite`` (used to recognise a mistake whose output has
    them, such as an overflow): then they match where ``expected`` has the same.
    """

    def mismatch(problem_id: str, **params: Any) -> Mismatch:
        return Mismatch(name, actual, expected, problem_id, params)

    def part(a: Any, e: Any, part_name: str) -> Mismatch | None:
        return compare(a, e, part_name, rtol, atol, nonfinite)

    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return mismatch("dict", keys=sorted(expected))
        missing = sorted(set(expected) - set(actual))
        if missing:
            return mismatch("keys", missing=missing)
        for key in expected:
            found = part(actual[key], expected[key], f"{name}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(expected, tuple | list):
        if not isinstance(actual, tuple | list) or len(actual) != len(expected):
            return mismatch("tuple", n=len(expected))
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            found = part(a, e, f"{name}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, str):
        return None if actual == expected else mismatch("string", actual=actual, expected=expected)
    try:
        actual_array = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return mismatch("number", type=type(actual).__name__)
    expected_array = np.asarray(expected, dtype=float)
    if actual_array.shape != expected_array.shape:
        return mismatch("shape", actual=actual_array.shape, expected=expected_array.shape)
    if nonfinite:
        same = np.allclose(actual_array, expected_array, rtol=rtol, atol=atol, equal_nan=True)
        return None if same else mismatch("nan")
    if not np.all(np.isfinite(actual_array)):
        return mismatch("nan")
    if not np.allclose(actual_array, expected_array, rtol=rtol, atol=atol):
        error = float(np.max(np.abs(actual_array - expected_array)))
        size = float(np.max(np.abs(expected_array))) if expected_array.size else 0.0
        if size == 0.0:
            return mismatch("wrong-zero", error=f"{error:.1e}")
        return mismatch(
            "wrong", percent=f"{100 * error / size:.2g} %", error=f"{error:.1e}", size=f"{size:.1e}"
        )
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
    """Name a slip that shows in the numbers alone: the id of its message, or None.

    Recognised, for the part ``name`` of an output: exactly ``-expected`` (a sign), ``2x``
    or ``x/2`` the expected value (a factor 2), the transpose, the expected value summed
    over an axis the answer kept (or kept where it should be summed), and a sequence one
    element too long or too short that otherwise matches (a step too many or too few).
    The message is ``say("generic." + id, name=..., axis=...)`` (:func:`generic_message`).
    """
    return None if (found := _generic(mismatch, rtol, atol)) is None else found[0]


def generic_message(mismatch: Mismatch, rtol: float = 1e-6, atol: float = 1e-8) -> str | None:
    """The message of :func:`generic_diagnosis` (no values in it: hidden cases use it too)."""
    found = _generic(mismatch, rtol, atol)
    return None if found is None else say(f"generic.{found[0]}", name=mismatch.name, **found[1])


def _generic(mismatch: Mismatch, rtol: float, atol: float) -> tuple[str, dict] | None:
    actual, expected = _as_floats(mismatch.actual), _as_floats(mismatch.expected)
    if actual is None or expected is None:
        return None
    nonzero = bool(np.any(np.abs(expected) > atol))
    if nonzero and _close(actual, -expected, rtol, atol):
        return "sign", {}
    for factor, kind in ((2.0, "twice"), (0.5, "half")):
        if nonzero and _close(actual, factor * expected, rtol, atol):
            return kind, {}
    transposed = actual.ndim == 2 and actual.shape != expected.shape
    if transposed and _close(actual.T, expected, rtol, atol):
        return "transpose", {}
    if actual.ndim == expected.ndim + 1:
        for axis in range(actual.ndim):
            if _close(actual.sum(axis=axis), expected, rtol, atol):
                return "axis-kept", {"axis": axis}
    if expected.ndim == actual.ndim + 1:
        for axis in range(expected.ndim):
            if _close(expected.sum(axis=axis), actual, rtol, atol):
                return "axis-summed", {"axis": axis}
    if actual.ndim == expected.ndim == 1 and abs(actual.size - expected.size) == 1:
        n = min(actual.size, expected.size)
        for a, e in ((actual[:n], expected[:n]), (actual[-n:], expected[-n:])):
            if _close(a, e, rtol, atol):
                return ("one-more" if actual.size > expected.size else "one-fewer"), {}
    return None


def compare_output(
    question: Question, actual: Any, expected: Any, nonfinite: bool = False
) -> Mismatch | None:
    """:func:`compare` for a whole output, naming tuple parts after ``output_names``."""
    rtol, atol = question.rtol, question.atol
    if not isinstance(expected, tuple):
        name = question.output_names[0] if question.output_names else say("compare.the-output")
        return compare(actual, expected, name, rtol, atol, nonfinite)
    whole = say("compare.the-result", function=question.function)
    if not isinstance(actual, tuple | list) or len(actual) != len(expected):
        names = ", ".join(_names_for(expected, question.output_names))
        return Mismatch(whole, actual, expected, "tuple-of", {"names": names})
    parts = zip(_names_for(expected, question.output_names), actual, expected, strict=True)
    for part_name, a, e in parts:
        found = compare(a, e, part_name, rtol, atol, nonfinite)
        if found:
            return found
    return None


def known_mistake(question: Question, case: Case, actual: Any) -> str | None:
    """The id of the question's own mistake whose output ``actual`` matches on ``case``."""
    mistakes = case.answer.mistakes if case.answer is not None else {}
    for name in question.mistakes:
        if name in mistakes and compare_output(question, actual, mistakes[name], True) is None:
            return name
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
            value = question.interpret(case, outcome.value)
        except Exception as exc:  # observations of the wrong shape, or failing a check
            message = truncate(f"{type(exc).__name__}: {exc}".rstrip(": "))
            interpreted.append(Outcome("raised", message, outcome.changed, outcome.own))
        else:
            interpreted.append(Outcome("returned", value, outcome.changed, outcome.own))
    return interpreted


def exception_kind(description: str) -> str:
    """The exception's type from a description ``"ValueError: ..."``, if it is a built-in
    one; else ``"an exception"`` (a class the student named could carry any text)."""
    name = str(description).split(":", 1)[0].strip()
    kind = getattr(builtins, name, None)
    is_builtin = isinstance(kind, type) and issubclass(kind, BaseException)
    return name if is_builtin else say("check.an-exception")


def cell_error_feedback(line: str) -> str:
    """A cell error as the grader's printed report shows it: the exception's built-in type
    and the cell it came from, never the text the student's code raised (which could carry
    what the cell read while it ran); the instructor's JSON keeps the whole line."""
    if str(line).startswith("…"):  # "… and 3 more"
        return str(line)
    error, _, where = str(line).rpartition(" at `")
    kind = exception_kind(error) if error else exception_kind(line)
    return f"{kind} at `{where}" if error else kind


@dataclass(frozen=True)
class Verdict:
    """How one case went: ``verdict`` is ``"passed"``, ``"failed"`` or ``"raised"``;
    ``problem`` the text shown for it; ``mistake`` the id of a known mistake (own ids are
    relative to the question, generic ones start with ``generic.``, ``check.changed``);
    ``detail`` the problem with its values (for the instructor's JSON)."""

    case: Case
    verdict: str
    problem: str = ""
    mistake: str | None = None
    mismatch: Mismatch | None = None
    detail: str = ""
    raised: str = ""


def judge_case(question: Question, case: Case, outcome: Outcome) -> Verdict:
    """The :class:`Verdict` of one case of a compared question."""
    if outcome.kind == "raised":
        shown = exception_kind(outcome.value) if case.hidden else truncate(outcome.value)
        problem = say("check.raised-case", exception=shown)
        return Verdict(case, "raised", problem, detail=truncate(outcome.value), raised=shown)
    if case.answer is None:
        raise ValueError(f"{question.assignment} {question.key}: case {case.label!r} has no answer")
    found = compare_output(question, outcome.value, case.answer.expected)
    changed = _changed_names(question, case, outcome)
    if found is None and not changed:
        return Verdict(case, "passed")
    shown = "" if found is None else (found.hidden_problem if case.hidden else found.problem)
    if changed:  # the root cause even when the output is wrong too
        named = say("check.changed", function=question.function, names=", ".join(changed))
        problem = say("check.named", named=named, problem=shown) if shown else named
        detail = say("check.named", named=named, problem=found.problem) if found else named
        return Verdict(case, "failed", problem, "check.changed", found, detail)
    own = known_mistake(question, case, outcome.value)
    if own is not None:
        named, mistake = say(question.message_id(own)), own
    elif (generic := generic_diagnosis(found, question.rtol, question.atol)) is not None:
        named, mistake = generic_message(found, question.rtol, question.atol), f"generic.{generic}"
    elif found.problem_id == "nan" and _overflows(case.args):
        named, mistake = say("generic.overflow", name=found.name), "generic.overflow"
    else:
        named, mistake = None, None
    problem = say("check.named", named=named, problem=shown) if named else shown
    detail = say("check.named", named=named, problem=found.problem) if named else found.problem
    return Verdict(case, "failed", problem, mistake, found, detail)


#: Inputs beyond this overflow ``np.exp`` (float64: exp(709.8) is the largest finite).
OVERFLOW = 700.0


def _overflows(args: tuple) -> bool:
    """True when some input array has entries large enough to overflow an exponential."""
    for arg in args:
        try:
            array = np.asarray(arg, dtype=float)
        except (TypeError, ValueError):
            continue
        if array.size and np.all(np.isfinite(array)) and np.abs(array).max() > OVERFLOW:
            return True
    return False


def _changed_names(question: Question, case: Case, outcome: Outcome) -> list[str]:
    names = case.arg_names
    changed = [names[i] if i < len(names) else f"argument {i + 1}" for i in outcome.changed]
    return [n for n in changed if n not in question.may_change]


def score(question: Question, cases: Sequence[Case], outcomes: Sequence[Outcome]) -> QuestionResult:
    """Compare the student's outcomes with the answers and decide the question.

    Args:
        question: the question.
        cases: its cases, in order, each with its :class:`Answer` (or a ``judge``).
        outcomes: what :func:`run_student` recorded, aligned with ``cases``.

    Returns:
        a :class:`QuestionResult` earning the points of every case that matches (see
        :func:`case_points`), or nothing when a case shows a known mistake; ``passed`` only
        when every case matches.
    """
    from course_lib.homework.report import failure_details

    outcomes = interpret_outcomes(question, cases, outcomes)
    seeds = {case.seed for case in cases}
    seed = seeds.pop() if len(seeds) == 1 else None
    used_own = tuple(sorted({name for o in outcomes for name in o.own}))

    def result(status: str, message: str, details=None, points=0.0, **more) -> QuestionResult:
        return QuestionResult(
            question.key, question.function, points, question.points, status, message,
            details or [], seed=seed, used_own=used_own, **more,
        )  # fmt: skip

    if len(outcomes) != len(cases):
        return result("error", say("check.not-every-case"))
    if any(o.kind == "not implemented" for o in outcomes):
        return result("not implemented", say("check.not-implemented"))
    if question.judge is not None:
        return _judged(question, cases, outcomes, result)
    verdicts = [judge_case(question, c, o) for c, o in zip(cases, outcomes, strict=True)]
    shares = case_points(question.points, cases)
    earned = sum(s for v, s in zip(verdicts, shares, strict=True) if v.verdict == "passed")
    reports = [
        {"case": v.case.label, "verdict": v.verdict, "mistake": v.mistake, "detail": v.detail}
        for v in verdicts
    ]
    failures = [v for v in verdicts if v.verdict != "passed"]
    if not failures:
        return result(
            "passed", say("check.passed", n=len(cases)), points=question.points, cases=reports
        )
    known = next((v for v in failures if v.mistake is not None), None)
    first = known or failures[0]
    status = "error" if first.verdict == "raised" else "failed"
    verb = "check.raised" if status == "error" else "check.failed"
    summary = say(verb, failed=len(failures), total=len(cases))
    if known is not None:
        earned = 0.0
        summary += say("check.known-earns-nothing")
    message = say("check.then", summary=summary, first=first.case.label, problem=first.problem)
    found = result(
        status, message, failure_details(question, first, failures), points=earned,
        mistake=known.mistake if known else None, cases=reports, summary=summary,
    )  # fmt: skip
    found.cases_passed, found.cases_total = len(cases) - len(failures), len(cases)
    return found


def _judged(question: Question, cases, outcomes, result) -> QuestionResult:
    """Score an open-ended question by its judge: the lowest fraction over the cases."""
    raised = [(c, o) for c, o in zip(cases, outcomes, strict=True) if o.kind == "raised"]
    if raised:
        # A case that raised has no output to judge: the question earns nothing and says
        # which case raised (and, for a public case, what).
        case, outcome = raised[0]
        shown = exception_kind(outcome.value) if case.hidden else truncate(outcome.value)
        summary = say("check.raised", failed=len(raised), total=len(cases))
        message = say("check.then-raised", summary=summary, first=case.label)
        details = [say("report.raised", exception=shown), say("report.hint", hint=question.hint)]
        return result("error", message, details, summary=summary)
    verdicts = [question.judge(c, o.value) for c, o in zip(cases, outcomes, strict=True)]
    fraction = min(max(0.0, min(1.0, f)) for f, _ in verdicts)
    message = "; ".join(m for _, m in verdicts)
    status = "passed" if fraction == 1.0 else "failed"
    details = [] if status == "passed" else [say("report.hint", hint=question.hint)]
    reports = [
        {"case": c.label, "verdict": "passed" if f >= 1.0 else "failed", "mistake": None,
         "detail": m}
        for c, (f, m) in zip(cases, verdicts, strict=True)
    ]  # fmt: skip
    return result(status, message, details, points=question.points * fraction, cases=reports)
