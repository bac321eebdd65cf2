"""Stand-ins: a question judged on its own when it calls an earlier answer.

hw01's Q4 (``two_layer_loss``) calls the student's Q1 to Q3; with a slip in Q1 a correct Q4
would fail too. So while the grader runs Q4, each earlier answer it calls is replaced in the
notebook's namespace by a **stand-in** that holds no solution code: a lookup table of the
outputs the reference gives for the exact calls the question's reference makes (recorded on
the instructor's side, :mod:`course_tools.grading.references`). A call whose arguments match
a recorded call within tolerance gets the recorded output; any other call goes to the
student's own function, and the result notes it (so the report can say "Q4 uses your Q1,
which fails its check").

A table is plain data (it crosses the sandbox wall like the inputs)::

    {"params": [name, ...], "defaults": {name: value}, "calls": [[key, output, after], ...]}

``key`` is :func:`call_key` of the arguments bound to ``params``; ``output`` what the
reference returned (``{"iterate": [...]}`` for a generator such as ``minibatches``);
``after`` the state of every ``numpy.random.Generator`` argument after the reference's call
(a stand-in leaves them as the reference did), by parameter name.

Arrays are matched by a summary (shape, sums, a few entries; whole when small), so that a
table of a long training run stays small; the student's own code cannot use a table for
anything but the calls it records.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

#: Arrays with at most this many entries are keyed whole; larger ones by a summary.
WHOLE = 64
#: Tolerances of a match (float keys): as ``np.isclose``.
RTOL, ATOL = 1e-6, 1e-9


def call_key(value: Any) -> Any:
    """A plain-data key of an argument, for matching calls (see the module docstring)."""
    if isinstance(value, np.random.Generator):
        return {"generator": _state_text(value)}
    if callable(value):
        return "<function>"
    if isinstance(value, dict):
        return {"dict": [[str(k), call_key(v)] for k, v in sorted(value.items(), key=str)]}
    if isinstance(value, tuple | list):
        return [call_key(v) for v in value]
    if isinstance(value, str | bool) or value is None:
        return value
    if isinstance(value, int | float | np.generic):
        return float(value)
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return f"<{type(value).__name__}>"
    if array.size <= WHOLE:
        return {"shape": list(array.shape), "whole": array.reshape(-1).tolist()}
    flat = array.reshape(-1)
    picks = flat[np.linspace(0, flat.size - 1, 5).astype(int)]
    summary = [flat.sum(), np.abs(flat).sum(), (flat**2).sum(), *picks]
    return {"shape": list(array.shape), "summary": [float(s) for s in summary]}


def _state_text(generator: np.random.Generator) -> str:
    return repr(sorted(generator.bit_generator.state["state"].items()))


def keys_match(a: Any, b: Any) -> bool:
    """True when two :func:`call_key` values agree (floats within the tolerances)."""
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=RTOL, atol=ATOL))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(keys_match(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        if "whole" in a or "summary" in a:
            kind = "whole" if "whole" in a else "summary"
            return a["shape"] == b["shape"] and kind in b and _close(a[kind], b[kind])
        return all(keys_match(a[k], b[k]) for k in a)
    return a == b


def _close(a: list, b: list) -> bool:
    return len(a) == len(b) and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def bind(params: list[str], defaults: Mapping[str, Any], args: tuple, kwargs: dict) -> list:
    """The arguments of a call in the order of ``params``, defaults filled in.

    Raises:
        TypeError: arguments that do not fit ``params`` (the caller then uses its own function).
    """
    signature = inspect.Signature(
        [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=defaults.get(name, inspect.Parameter.empty),
            )
            for name in params
        ]
    )
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return [bound.arguments[name] for name in params]


class StandIn:
    """A function replaced by a lookup table (see the module docstring).

    Args:
        name: the function's name in the notebook.
        table: the plain-data table.
        own: the student's own function, called for any call the table does not hold
            (None: the name was not defined).
        used_own: a set the stand-in adds ``name`` to whenever it calls ``own``.
    """

    def __init__(self, name: str, table: Mapping[str, Any], own: Any, used_own: set[str]):
        self.name, self.own, self.used_own = name, own, used_own
        self.params = list(table["params"])
        self.defaults = dict(table.get("defaults", {}))
        self.calls = list(table["calls"])
        self.next = 0

    def _find(self, key: list) -> int | None:
        order = [*range(self.next, len(self.calls)), *range(self.next)]
        for index in order:
            if keys_match(self.calls[index][0], key):
                return index
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            values = bind(self.params, self.defaults, args, kwargs)
        except TypeError:
            index = None
        else:
            index = self._find(call_key(values))
        if index is None:
            return self._own(*args, **kwargs)
        self.next = index + 1
        _, output, after = self.calls[index]
        for name, state in (after or {}).items():
            generator = values[self.params.index(name)]
            if isinstance(generator, np.random.Generator) and isinstance(
                state, np.random.Generator
            ):
                generator.bit_generator.state = state.bit_generator.state
        output = copy.deepcopy(output)
        if isinstance(output, dict) and set(output) == {"iterate"}:
            return iter(output["iterate"])
        return output

    def _own(self, *args: Any, **kwargs: Any) -> Any:
        self.used_own.add(self.name)
        if not callable(self.own):
            raise NameError(f"name {self.name!r} is not defined")
        return self.own(*args, **kwargs)


@contextlib.contextmanager
def standing_in(
    namespace: dict[str, Any] | None, tables: Mapping[str, Any] | None
) -> Iterator[set[str]]:
    """Replace ``namespace[name]`` by a :class:`StandIn` for every table, then restore it.

    Yields the set of names for which the student's own function was called.
    """
    used_own: set[str] = set()
    if namespace is None or not tables:
        yield used_own
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in tables}
    try:
        for name, table in tables.items():
            own = saved[name] if saved[name] is not missing else None
            namespace[name] = StandIn(name, table, own, used_own)
        yield used_own
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def fingerprint(value: Any) -> str:
    """A digest of every array inside ``value`` (generators and functions left out): equal
    before and after a call unless the call changed an array in place."""
    digest = hashlib.sha256()

    def walk(v: Any) -> None:
        if isinstance(v, np.ndarray):
            digest.update(repr((v.shape, v.dtype.str)).encode())
            digest.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, dict):
            for k in v:
                digest.update(repr(k).encode())
                walk(v[k])
        elif isinstance(v, tuple | list):
            digest.update(b"[")
            for x in v:
                walk(x)
            digest.update(b"]")
        elif isinstance(v, int | float | str | bool):
            digest.update(repr(v).encode())

    walk(value)
    return digest.hexdigest()


def changed_arguments(before: list[str], args: tuple) -> tuple[int, ...]:
    """Positions of the arguments whose :func:`fingerprint` differs from ``before``."""
    return tuple(
        i for i, (b, a) in enumerate(zip(before, args, strict=True)) if b != fingerprint(a)
    )
