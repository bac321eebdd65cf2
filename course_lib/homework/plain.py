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

#: Bytes a reader accepts for one ``STEM.json`` + ``STEM.npz`` pair (20 MB).
MAX_BYTES = 20_000_000

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


def decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of :func:`encode`; ``ValueError`` for anything it would not have written."""
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is list:
        return [decode(x, arrays) for x in tree]
    if type(tree) is dict and len(tree) == 1:
        ((tag, body),) = tree.items()
        if tag == "array" and type(body) is str and body in arrays:
            return arrays[body]
        if tag == "tuple" and type(body) is list:
            return tuple(decode(x, arrays) for x in body)
        if tag == "dict" and type(body) is list:
            out = {}
            for item in body:
                if type(item) is not list or len(item) != 2 or type(item[0]) not in (str, int):
                    raise ValueError("a malformed dict entry")
                out[item[0]] = decode(item[1], arrays)
            return out
        if tag == "generator" and type(body) is dict and body.get("bit_generator") == "PCG64":
            bit_generator = np.random.PCG64()
            bit_generator.state = body
            return np.random.Generator(bit_generator)
    raise ValueError(f"unexpected data of type {type(tree).__name__}")


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


def load(stem: str | Path, max_bytes: int = MAX_BYTES) -> Any:
    """Read what :func:`dump` wrote to ``STEM.json`` / ``STEM.npz``, never unpickling.

    Raises:
        FileNotFoundError: when ``STEM.json`` is missing.
        ValueError: when the files are larger than ``max_bytes`` together, or malformed.
    """
    stem = Path(stem)
    json_path, npz_path = Path(f"{stem}.json"), Path(f"{stem}.npz")
    total = json_path.stat().st_size + (npz_path.stat().st_size if npz_path.exists() else 0)
    if total > max_bytes:
        raise ValueError(f"{total / 1e6:.1f} MB of data, more than the {max_bytes / 1e6:g} MB cap")
    tree = json.loads(json_path.read_text(encoding="utf-8"))
    arrays: dict[str, np.ndarray] = {}
    if npz_path.exists():
        try:
            with np.load(npz_path, allow_pickle=False) as npz:
                # The uncompressed size can exceed the file's: check before reading.
                with zipfile.ZipFile(npz_path) as archive:
                    unpacked = sum(info.file_size for info in archive.infolist())
                if unpacked > max_bytes:
                    raise ValueError(f"arrays of {unpacked / 1e6:.1f} MB, more than the cap")
                arrays = {name: npz[name] for name in npz.files}
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"unreadable arrays ({type(exc).__name__})") from exc
    return decode(tree, arrays)
