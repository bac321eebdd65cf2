"""The plain-data format between the grader and a submission's kernel: no pickle, bounded."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from course_lib.homework import plain


def test_round_trip_of_every_plain_type(tmp_path):
    value = {
        "a": (1, 2.5, float("nan"), None, True, "text"),
        3: [np.arange(6).reshape(2, 3), np.array([True, False]), np.array(["x", "yz"])],
        "rng": np.random.default_rng(4),
        "scalar": np.float32(1.5),
    }
    plain.dump(value, tmp_path / "v")
    back = plain.load(tmp_path / "v")
    assert (
        back["a"][:2] == (1, 2.5)
        and np.isnan(back["a"][2])
        and back["a"][3:] == (None, True, "text")
    )
    assert isinstance(back["a"], tuple) and isinstance(back[3], list)
    np.testing.assert_array_equal(back[3][0], value[3][0])
    assert back["rng"].integers(1000) == np.random.default_rng(4).integers(1000)
    assert back["scalar"] == 1.5 and type(back["scalar"]) is float


class Payload:
    def __reduce__(self):
        return (print, ("ran",))


@pytest.mark.parametrize(
    "value",
    [Payload(), np.array([Payload()], dtype=object), (x for x in []), {(1, 2): 3}, print],
)
def test_anything_else_is_refused(tmp_path, value):
    with pytest.raises(plain.NotPlain):
        plain.dump(value, tmp_path / "v")
    assert not (tmp_path / "v.json").exists()


def test_a_pickled_array_in_the_npz_is_never_unpickled(tmp_path, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # np.save of an object array = a pickle
        inner = io.BytesIO()
        np.save(inner, np.array([Payload()], dtype=object), allow_pickle=True)
        archive.writestr("a0.npy", inner.getvalue())
    (tmp_path / "v.npz").write_bytes(buffer.getvalue())
    (tmp_path / "v.json").write_text(json.dumps({"array": "a0"}))
    with pytest.raises(ValueError):
        plain.load(tmp_path / "v")
    assert "ran" not in capsys.readouterr().out


@pytest.mark.parametrize("tree", [{"object": "x"}, {"array": "missing"}, {"dict": [[1.5, 2]]}])
def test_unknown_or_malformed_structures_are_refused(tmp_path, tree):
    (tmp_path / "v.json").write_text(json.dumps(tree))
    with pytest.raises(ValueError):
        plain.load(tmp_path / "v")


def test_size_cap(tmp_path):
    plain.dump(np.zeros(300_000), tmp_path / "v")  # 2.4 MB
    with pytest.raises(ValueError, match="cap"):
        plain.load(tmp_path / "v", max_bytes=1_000_000)


def _arrays_file(path, **arrays) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "link to a file", "folder"])
def test_only_regular_files_are_read(tmp_path, kind):
    stem = tmp_path / "v"
    target = tmp_path / "elsewhere.json"
    target.write_text("[1, 2]")
    json_path = tmp_path / "v.json"
    if kind == "fifo":
        os.mkfifo(json_path)  # opening it for reading without O_NONBLOCK would block forever
    elif kind == "folder":
        json_path.mkdir()
    else:
        json_path.symlink_to("/dev/zero" if kind == "link to /dev/zero" else target)
    with pytest.raises(ValueError, match="not a regular file"):
        plain.load(stem)


def test_a_linked_npz_is_refused_not_followed(tmp_path):
    _arrays_file(tmp_path / "secret.npz", a0=np.arange(6))
    (tmp_path / "v.json").write_text(json.dumps({"array": "a0"}))
    (tmp_path / "v.npz").symlink_to(tmp_path / "secret.npz")
    with pytest.raises(ValueError, match=r"v\.npz is a symbolic link"):
        plain.load(tmp_path / "v")


def test_every_use_of_an_array_counts_towards_the_cap(tmp_path):
    _arrays_file(tmp_path / "v.npz", a0=np.zeros(131_072))  # 1 MB, once on disk
    (tmp_path / "v.json").write_text(json.dumps([{"array": "a0"}] * 30))
    with pytest.raises(ValueError, match="decodes to more than the cap"):
        plain.load(tmp_path / "v")
    assert len(plain.load(tmp_path / "v", max_bytes=40_000_000)) == 30


def test_an_array_header_that_lies_about_its_shape_is_refused_before_allocating(tmp_path):
    inner = io.BytesIO()
    np.save(inner, np.zeros(4))
    raw = inner.getvalue().replace(b"(4,)", b"(10000000000,)".ljust(4)[:14])
    with zipfile.ZipFile(tmp_path / "v.npz", "w") as archive:
        archive.writestr("a0.npy", raw)
    (tmp_path / "v.json").write_text(json.dumps({"array": "a0"}))
    with pytest.raises(ValueError, match="claims shape"):
        plain.load(tmp_path / "v")
