"""The references: every question's right answer and known mistakes, on the instructor's side.

The student's package judges against data, never against code that answers a question
(:mod:`course_lib.homework.stored`). Everything that computes an answer lives here, in
``course_tools`` (which ``release`` leaves out): for each question a :class:`Reference` --
the right output, the output of each known mistake (by the ids ``Question.mistakes`` lists)
and, for a question that calls earlier answers, a composed reference that calls them by
name, so that the calls can be recorded as stand-in tables
(:mod:`course_lib.homework.standins`). One module per assignment (``hw01`` …) defines
``REFERENCES = {key: Reference}``.

:func:`prepare` turns cases (public or hidden) into cases with their answers and stand-ins;
:mod:`course_tools.grading.expected` writes the public ones as the package's data.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.homework.checking import Answer, Case, Question
from course_lib.homework.standins import bind, call_key


@dataclass(frozen=True)
class Reference:
    """What the instructor's side knows about one question.

    Attributes:
        expected: ``(*args) -> output``, the right output of a case (PyTorch where it can
            be); None for a question judged without one.
        mistakes: mistake id -> ``(*args) -> output``, what that mistake gives.
        composed: for a question that calls earlier answers: ``(*args, use) -> output``,
            the answer written with ``use[name](...)`` for each earlier answer it calls.
        upstream: name -> the function ``use[name]`` stands for (its parameter names and
            defaults are the stand-in's); the names the grader replaces by stand-ins.
    """

    expected: Callable[..., Any] | None
    mistakes: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    composed: Callable[..., Any] | None = None
    upstream: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


def references(assignment: str) -> dict[str, Reference]:
    """The :class:`Reference` of every question of ``assignment``, by key."""
    return importlib.import_module(f"course_tools.grading.references.{assignment}").REFERENCES


def reference(question: Question) -> Reference:
    """The :class:`Reference` of ``question``."""
    return references(question.assignment)[question.key]


class Recording:
    """``function`` wrapped so that every call and its output are kept as a stand-in table."""

    def __init__(self, function: Callable[..., Any]):
        self.function = function
        signature = inspect.signature(function)
        self.params = list(signature.parameters)
        self.defaults = {
            n: p.default for n, p in signature.parameters.items() if p.default is not p.empty
        }
        self.calls: list[list] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values = bind(self.params, self.defaults, args, kwargs)
        key = call_key(values)
        result = self.function(*args, **kwargs)
        iterate = inspect.isgenerator(result)
        if iterate:
            result = list(result)
        after = {
            name: _copy_generator(value)
            for name, value in zip(self.params, values, strict=True)
            if isinstance(value, np.random.Generator)
        }
        output = {"iterate": copy.deepcopy(result)} if iterate else copy.deepcopy(result)
        self.calls.append([key, output, after])
        return iter(result) if iterate else result

    def table(self) -> dict[str, Any]:
        """The plain-data table of the calls so far."""
        return {"params": self.params, "defaults": dict(self.defaults), "calls": self.calls}


def _copy_generator(generator: np.random.Generator) -> np.random.Generator:
    bit_generator = np.random.PCG64()
    bit_generator.state = generator.bit_generator.state
    return np.random.Generator(bit_generator)


class LazyMistakes(Mapping):
    """The outputs of a case's known mistakes, each computed when first looked up (the
    grader needs them only for a case that fails); a mistake that does not apply to the
    case (it raises) is left out."""

    def __init__(self, mistakes: Mapping[str, Callable[..., Any]], args: tuple):
        self._mistakes, self._args, self._found = mistakes, args, {}

    def _compute(self, name: str) -> Any:
        if name not in self._found:
            with np.errstate(all="ignore"):
                try:
                    self._found[name] = self._mistakes[name](*copy.deepcopy(self._args))
                except Exception:  # a mistake that does not apply to this case
                    self._found[name] = _MISSING
        return self._found[name]

    def __getitem__(self, name: str) -> Any:
        if name not in self._mistakes or self._compute(name) is _MISSING:
            raise KeyError(name)
        return self._found[name]

    def __iter__(self):
        return (name for name in self._mistakes if self._compute(name) is not _MISSING)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __reduce__(self):
        """Pickled (for the scoring child, which starts from a fork server) as the plain
        dict of the outputs: the mistakes themselves may be local functions."""
        return (dict, (dict(self),))


_MISSING = object()


def answer(ref: Reference, case: Case, lazy: bool = False) -> Answer:
    """The :class:`Answer` of ``case``: the expected output and each mistake's output (all
    at once, or ``lazy``: when first looked up)."""
    expected = ref.expected(*copy.deepcopy(case.args)) if ref.expected is not None else None
    mistakes = LazyMistakes(ref.mistakes, case.args)
    return Answer(expected, mistakes if lazy else dict(mistakes))


def standin_tables(ref: Reference, case: Case) -> dict[str, Any] | None:
    """The stand-in tables of ``case``: the composed reference run on it, its calls of the
    earlier answers recorded."""
    if ref.composed is None or not ref.upstream:
        return None
    use = {name: Recording(function) for name, function in ref.upstream.items()}
    ref.composed(*copy.deepcopy(case.args), use=use)
    return {name: recording.table() for name, recording in use.items()}


def prepare(question: Question, cases: list[Case], seed: int | None = None) -> list[Case]:
    """``cases`` with their answers (and, for hidden cases, stand-ins) and ``seed``."""
    ref = reference(question)
    prepared = []
    for case in cases:
        tables = standin_tables(ref, case) if seed is not None else None
        prepared.append(
            dataclasses.replace(
                case, answer=answer(ref, case, lazy=seed is not None), seed=seed, standins=tables
            )
        )
    return prepared
