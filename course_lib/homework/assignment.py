"""An assignment: its questions and points, and the self-check students call in the notebook."""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.homework.checking import (
    Question,
    QuestionResult,
    case_points,
    run_student,
    score,
)
from course_lib.homework.messages import say
from course_lib.homework.report import format_result
from course_lib.manifest import load

#: Every assignment the course has, from the manifest (``course_lib/course.toml``): name ->
#: the module defining its ``ASSIGNMENT`` (``"hw01"`` -> ``"course_lib.homework.hw01"``).
REGISTRY = load().assignments


@dataclass(frozen=True)
class WrittenQuestion:
    """A question answered in prose, in a markdown cell, and graded by hand.

    Attributes:
        key: the gradebook column and the ``question`` of a manual score, e.g. ``"w1"``.
        grade_id: the ``grade_id`` of the markdown answer cell in the student notebook
            (``"hw05-answer-5"``: the generator numbers answer cells in order).
        points: the question's value.
        prompt: the question, as shown in the review file.
    """

    key: str
    grade_id: str
    points: float
    prompt: str


@dataclass(frozen=True)
class Assignment:
    """One homework: the source of truth for its questions and points.

    Attributes:
        name: ``"hw01"`` …; also the prefix of every answer cell's ``grade_id``.
        title: e.g. ``"Backpropagation"``.
        notebook: the notebook's file stem, e.g. ``"hw01_backprop"``: the solution is
            ``homework/solutions/<stem>.ipynb``, the student version ``homework/<stem>.ipynb``.
        questions: the :class:`~course_lib.homework.checking.Question` objects, in order.
        written: the :class:`WrittenQuestion` objects (graded by hand), in order.
    """

    name: str
    title: str
    notebook: str
    questions: tuple[Question, ...]
    written: tuple[WrittenQuestion, ...] = ()

    @property
    def max_score(self) -> float:
        """Total points of the auto-graded questions (written questions not included)."""
        return sum(q.points for q in self.questions)

    def written_question(self, key: str) -> WrittenQuestion:
        """The written question called ``key``; ``ValueError`` for an unknown key."""
        for w in self.written:
            if w.key == key:
                return w
        keys = ", ".join(repr(w.key) for w in self.written) or "none"
        raise ValueError(f"written question must be one of {keys}, got {key!r}")

    def question(self, key: str) -> Question:
        """The question called ``key`` (``"q1"`` …); ``ValueError`` for an unknown key."""
        for q in self.questions:
            if q.key == key:
                return q
        keys = ", ".join(repr(q.key) for q in self.questions)
        raise ValueError(f"question must be one of {keys}, got {key!r}")

    def evaluate(self, key: str, fn: Any, cases: list | None = None) -> QuestionResult:
        """Run question ``key`` on the function ``fn`` in this process and score it.

        ``cases`` (with their answers) default to the public ones; hidden cases with stand-in
        tables use ``fn``'s globals as the namespace the stand-ins go into.
        """
        question = self.question(key)
        if not callable(fn):
            found = say("check.not-a-function", function=question.function, got=type(fn).__name__)
            return QuestionResult(key, question.function, 0.0, question.points, "missing", found)
        cases = question.make_cases() if cases is None else cases
        namespace = getattr(fn, "__globals__", None)
        return score(question, cases, run_student(question, fn, cases, namespace))

    def check(self, key: str, fn: Any) -> None:
        """Self-check for students: run question ``key`` on ``fn`` and print a report.

        Prints what passed and, for a failing case, its input, the expected and the
        actual output (rounded), the mistake it looks like and a hint. When the question
        calls earlier answers and one of them fails its own check, the report says so
        first ("Q4 uses your Q1, which fails its check: fix Q1 first"). Returns nothing:
        the report is the output.

        Example: ``check("q1", affine_backward)``.
        """
        result = self.evaluate(key, fn)
        if result.status in ("failed", "error"):
            failing = self._failing_upstream(self.question(key), fn)
            if failing:
                _blame_upstream(self.question(key), result, failing, self)
        print(format_result(result))

    def _failing_upstream(self, question: Question, fn: Any) -> list[str]:
        """The keys of the earlier questions ``question`` uses whose answer (found next to
        ``fn``, in the notebook) fails its own public cases."""
        namespace = getattr(fn, "__globals__", None)
        if namespace is None:
            namespace = getattr(sys.modules.get(getattr(fn, "__module__", "")), "__dict__", {})
        failing = []
        for key in question.uses:
            upstream = namespace.get(self.question(key).function)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if self.evaluate(key, upstream).status != "passed":
                    failing.append(key)
        return failing

    def conclude(
        self, results: list[QuestionResult], cases: dict[str, list] | None = None
    ) -> list[QuestionResult]:
        """``results`` (one per question, in order) made whole: each records the seed of its
        ``cases`` (even one that never ran), and every failing question that used the
        student's own version of a failing earlier answer says so first
        (:meth:`explain_cascades`)."""
        for result in results:
            seeds = {c.seed for c in (cases or {}).get(result.name, [])}
            if result.seed is None and len(seeds) == 1:
                result.seed = seeds.pop()
        return self.explain_cascades(results)

    def explain_cascades(self, results: list[QuestionResult]) -> list[QuestionResult]:
        """``results`` (one per question) with every failing question that used the
        student's own version of a failing earlier answer saying so first.

        A question judged with stand-ins for its earlier answers (the grader's hidden cases)
        is not blamed on them, unless it called one in a way the stand-in did not cover.
        """
        by_key = {r.name: r for r in results}
        for question in self.questions:
            result = by_key.get(question.key)
            if result is None or result.status not in ("failed", "error"):
                continue
            failing = [k for k in question.uses if k in by_key and by_key[k].status != "passed"]
            with_standins = result.seed is not None and question.standins
            if failing and (not with_standins or result.used_own):
                _blame_upstream(question, result, failing, self)
        return results

    def assert_case(self, key: str, index: int, fn: Any) -> float | None:
        """nbgrader's test for case ``index`` of question ``key``: raise unless it passes.

        Each autograded test cell of the nbgrader export (``python -m course_tools
        export-nbgrader``) calls this for one case, so nbgrader's score is the sum of the
        shares of the cases that pass, as in the grader. Warnings are silenced: nbgrader
        gives 0 to a test cell that writes to stderr.

        Returns:
            None when the case passes; for an open-ended question (``judge``), the points
            earned on this case (nbgrader reads a number as partial credit).

        Raises:
            AssertionError: the case fails, with the diagnosis as the message.
        """
        question = self.question(key)
        cases = question.make_cases()
        if not 0 <= index < len(cases):
            raise ValueError(f"index must be in [0, {len(cases)}) for {key}, got {index}")
        if not callable(fn):
            got = type(fn).__name__
            raise AssertionError(say("check.not-a-function", function=question.function, got=got))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case = cases[index]
            result = score(question, [case], run_student(question, fn, [case]))
        share = case_points(question.points, cases)[index]
        if question.judge is not None and result.score > 0:
            return share * result.score / question.points
        if result.status != "passed":
            raise AssertionError("\n".join([f"{case.label}: {result.message}", *result.details]))
        return None


def _blame_upstream(
    question: Question, result: QuestionResult, failing: list[str], spec: Assignment
) -> None:
    """Put "Q4 uses your Q1 (affine_backward), which fails its check: fix Q1 first" in
    front of ``result``'s message (and summary)."""
    named = ", ".join(f"{k.upper()} ({spec.question(k).function})" for k in failing)
    note = say(
        "check.uses-failing",
        question=question.key.upper(),
        upstream=named,
        first=failing[0].upper(),
    )
    result.message = f"{note} {result.message}"
    result.summary = f"{note} {result.summary}" if result.summary else note


def load_assignment(name: str) -> Assignment:
    """The assignment called ``name`` (``"hw01"`` …) from :data:`REGISTRY`."""
    if not isinstance(name, str):
        raise TypeError(f"assignment must be a str, got {type(name).__name__}")
    if name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"assignment must be one of {known}, got {name!r}")
    return importlib.import_module(REGISTRY[name]).ASSIGNMENT


def forbidden_modules(assignment: str) -> tuple[str, ...]:
    """The modules ``assignment``'s answers may not use (its module's ``FORBIDDEN``): the
    runner hides them from the submission's kernel, so importing them fails."""
    load_assignment(assignment)  # validates the name
    return tuple(getattr(importlib.import_module(REGISTRY[assignment]), "FORBIDDEN", ()))


def assignment_from_filename(filename: str) -> str | None:
    """The assignment a file name mentions (``"alice_hw01 (2).ipynb"`` -> ``"hw01"``), if any."""
    found = {m for m in re.findall(r"hw\d\d", filename.lower()) if m in REGISTRY}
    return found.pop() if len(found) == 1 else None
