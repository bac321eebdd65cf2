"""Plain data across the sandbox wall: JSON plus ``.npz``, never pickle.

The grader sends each question's inputs into the submission's kernel, and the kernel sends
the student's outputs back, as a pair of files ``STEM.json`` and ``STEM.npz``:

- the JSON holds the structure: ``None``, ``bool``, ``int``, ``float`` (NaN and inf
  allowed), ``str`` and lists as themselves, and tagged objects for the rest:
  ``{"array": "a0"}`` (the array called ``a0`` in the ``.npz``), ``{"tuple": [...]}``,
  ``{"dict": [[key, value], ...]}`` (keys are str or int), ``{"generator": state}`` (a
  NumPy ``Generator`` on ``PCG64``, by its state);
- the ``.npz`` holds the arrays (numeric, bool or str dtypes only), loaded with
  ``allow_pickle=False``.

Reading either file can only build those types, so nothing a submission writes can run code
in the reader. :func:`encode` refuses anything else with :class:`NotPlain` (an object of a
class defined in the notebook, a generator function, an object array ...).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.homework import safe_files

#: Bytes a reader accepts for one ``STEM.json`` + ``STEM.npz`` pair (20 MB).
MAX_BYTES = 20_000_000
#: Parts (numbers, strings, lists, array references …) a decoded value may have.
MAX_NODES = 2_000_000

_ARRAY_KINDS = "biufcU"  # bool, int, uint, float, complex, unicode


class NotPlain(ValueError):
    """A value that cannot cross the sandbox wall as plain data."""


def _to_plain(value: Any) -> Any:
    """Tensors, array scalars and subclasses of the plain types turned into the plain types."""
    if hasattr(value, "detach") and hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.generic):
        value = value.item()
    return value


def encode(value: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """``value`` as (a JSON-ready structure, the arrays it refers to by name).

    Raises:
        NotPlain: for any type outside the module docstring's list.
    """
    arrays: dict[str, np.ndarray] = {}

    def walk(v: Any) -> Any:
        v = _to_plain(v)
        if v is None or type(v) in (bool, str):
            return v
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return float(v)
        if isinstance(v, str):
            return str(v)
        if isinstance(v, np.ndarray):
            array = np.array(v, copy=True, subok=False)
            if array.dtype.kind not in _ARRAY_KINDS:
                raise NotPlain(f"an array of dtype {array.dtype} (only numbers, bools, strings)")
            name = f"a{len(arrays)}"
            arrays[name] = array
            return {"array": name}
        if isinstance(v, np.random.Generator):
            state = v.bit_generator.state
            if state.get("bit_generator") != "PCG64":
                raise NotPlain(f"a Generator on {state.get('bit_generator')} (only PCG64)")
            return {"generator": json.loads(json.dumps(state))}
        if isinstance(v, tuple):
            return {"tuple": [walk(x) for x in v]}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            items = []
            for key, x in v.items():
                key = _to_plain(key)
                if type(key) not in (str, int):
                    raise NotPlain(f"a dict key of type {type(key).__name__} (only str, int)")
                items.append([key, walk(x)])
            return {"dict": items}
        raise NotPlain(f"a {type(v).__name__}")

    return walk(value), arrays


class _Budget:
    """What decoding may still build: bytes of arrays (every reference to an array counts,
    since the scorer handles each one on its own) and structure nodes."""

    def __init__(self, max_bytes: int, max_nodes: int) -> None:
        self.bytes, self.nodes = max_bytes, max_nodes

    def take(self, nbytes: int = 0) -> None:
        self.bytes -= nbytes
        self.nodes -= 1
        if self.bytes < 0:
            raise ValueError("the data decodes to more than the cap (each use of an array counts)")
        if self.nodes < 0:
            raise ValueError("the data has more parts than the cap")


def decode(
    tree: Any,
    arrays: dict[str, np.ndarray],
    max_bytes: int = MAX_BYTES,
    max_nodes: int = MAX_NODES,
) -> Any:
    """The inverse of :func:`encode`; ``ValueError`` for anything it would not have written,
    or for a result larger than ``max_bytes`` of arrays (each reference to an array counts
    again) or ``max_nodes`` parts."""
    budget = _Budget(max_bytes, max_nodes)

    def walk(tree: Any) -> Any:
        budget.take()
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is list:
            return [walk(x) for x in tree]
        if type(tree) is dict and len(tree) == 1:
            ((tag, body),) = tree.items()
            if tag == "array" and type(body) is str and body in arrays:
                budget.take(arrays[body].nbytes)
                return arrays[body]
            if tag == "tuple" and type(body) is list:
                return tuple(walk(x) for x in body)
            if tag == "dict" and type(body) is list:
                out = {}
                for item in body:
                    if type(item) is not list or len(item) != 2 or type(item[0]) not in (str, int):
                        raise ValueError("a malformed dict entry")
                    out[item[0]] = walk(item[1])
                return out
            if tag == "generator" and type(body) is dict and body.get("bit_generator") == "PCG64":
                bit_generator = np.random.PCG64()
                bit_generator.state = body
                return np.random.Generator(bit_generator)
        raise ValueError(f"unexpected data of type {type(tree).__name__}")

    return walk(tree)


def dump(value: Any, stem: str | Path) -> int:
    """Write ``value`` to ``STEM.json`` and ``STEM.npz``; returns the bytes written.

    Raises:
        NotPlain: when ``value`` is not plain data (nothing is written then).
    """
    tree, arrays = encode(value)
    text = json.dumps(tree)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    stem = Path(stem)
    Path(f"{stem}.npz").write_bytes(buffer.getvalue())
    Path(f"{stem}.json").write_text(text, encoding="utf-8")
    return len(text) + buffer.tell()


def size(value: Any) -> int:
    """Bytes :func:`dump` would write for ``value`` (``NotPlain`` if it is not plain)."""
    tree, arrays = encode(value)
    return len(json.dumps(tree)) + sum(a.nbytes for a in arrays.values())


def _read_npy(data: bytes, name: str) -> np.ndarray:
    """One ``.npy`` member: its header checked against its length before anything is
    allocated, numbers, bools and strings only (never an object array, never unpickled)."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"version {version}")
    except ValueError as exc:
        raise ValueError(f"array {name} has a malformed header ({exc})") from None
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
        raise ValueError(f"array {name} has dtype {dtype} (only numbers, bools, strings)")
    count = 1
    for n in shape:
        count *= n
    body = data[stream.tell() :]
    if count * dtype.itemsize != len(body):
        raise ValueError(f"array {name} claims shape {shape} but holds {len(body)} bytes")
    array = np.frombuffer(body, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C").copy()


def _read_npz(data: bytes, max_bytes: int) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` held in ``data``, at most ``max_bytes`` unpacked."""
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            unpacked = sum(info.file_size for info in members)
            if unpacked > max_bytes:
                raise ValueError(f"arrays of {unpacked / 1e6:.1f} MB, more than the cap")
            for info in members:
                if not info.filename.endswith(".npy") or info.filename[:-4] in arrays:
                    raise ValueError(f"an unexpected member {info.filename[:60]!r}")
                with archive.open(info) as member:
                    raw = member.read(info.file_size + 1)
                if len(raw) != info.file_size:
                    raise ValueError(f"member {info.filename[:60]!r} is not the size it claims")
                arrays[info.filename[:-4]] = _read_npy(raw, info.filename[:60])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ValueError(f"unreadable arrays ({type(exc).__name__})") from exc
    return arrays


def load(stem: str | Path, max_bytes: int = MAX_BYTES) -> Any:
    """Read what :func:`dump` wrote to ``STEM.json`` / ``STEM.npz``, never unpickling.

    Both files must be regular files (never followed through a link, never a FIFO or a
    device: :func:`course_lib.homework.safe_files.read_bytes`); at most ``max_bytes`` are
    read from them together, and the decoded value may hold at most ``max_bytes`` of arrays
    (each use of an array counted) and :data:`MAX_NODES` parts.

    Raises:
        FileNotFoundError: when ``STEM.json`` is missing.
        ValueError: when the files are not regular files, larger than ``max_bytes``
            together, malformed, or decode to more than the caps (the message says which).
    """
    stem = Path(stem)
    text = safe_files.read_bytes(f"{stem}.json", max_bytes)
    try:
        tree = json.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError("the data is not UTF-8 text") from exc
    try:
        packed = safe_files.read_bytes(f"{stem}.npz", max_bytes - len(text))
    except FileNotFoundError:
        packed = None
    except safe_files.TooLarge as exc:
        raise ValueError(f"{exc} (together more than the {max_bytes / 1e6:g} MB cap)") from None
    except safe_files.NotRegular as exc:
        raise ValueError(str(exc)) from None
    arrays = _read_npz(packed, max_bytes) if packed is not None else {}
    return decode(tree, arrays, max_bytes)
