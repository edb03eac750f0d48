"""treino.io: atomic .npz writes; loading never unpickles."""

import os

import numpy as np
import pytest

from treino import io


def test_round_trip_and_text(tmp_path):
    path = tmp_path / "a.npz"
    io.save_npz(path, {"x/0": np.arange(3.0), "config": np.array('{"a": 1}')})
    loaded = io.load_npz(path)
    np.testing.assert_array_equal(loaded["x/0"], np.arange(3.0))
    assert str(loaded["config"]) == '{"a": 1}'


def test_pickled_content_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled objects, which treino never loads"):
        io.load_npz(path)


def test_object_arrays_are_not_written(tmp_path):
    with pytest.raises(TypeError, match="object array"):
        io.save_npz(tmp_path / "x.npz", {"obj": np.array([None], dtype=object)})
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    io.save_npz(path, {"a": np.ones(2)})

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        io.save_npz(path, {"a": np.zeros(2)})
    np.testing.assert_array_equal(io.load_npz(path)["a"], np.ones(2))
    assert os.listdir(tmp_path) == ["state.npz"]  # no temporary file left behind


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        io.load_npz(tmp_path / "nothing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match="not a readable .npz"):
        io.load_npz(bad)
