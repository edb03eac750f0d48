"""Files without pickle: ``.npz`` archives written atomically and read safely.

Everything treino saves (optimizer state now; models and checkpoints later)
goes through these two functions:

* :func:`save_npz` writes to a temporary file beside the target and renames it
  into place, so a crash mid-write never leaves a half-written file where a good
  one stood;
* :func:`load_npz` reads with ``allow_pickle=False`` (loading never executes
  code) and turns a missing or corrupt file into one clear error.

Text (a JSON config) is stored as a 0-d unicode array, which needs no pickle.
"""

from __future__ import annotations

import os
import tempfile
import zipfile

import numpy as np

ZIP_MAGIC = b"PK\x03\x04"
"""The first bytes of every zip archive, hence of every ``.npz`` file."""


def atomic_write(path, write) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it into place.

    The rename is atomic: ``path`` holds either the old file or the whole new
    one, never half of it; on any error the temporary file is removed.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def check_no_objects(arrays: dict, owner: str) -> None:
    """Refuse object arrays: writing them would need pickle."""
    for name, value in arrays.items():
        if np.asarray(value).dtype == object:
            raise TypeError(f"{owner}: '{name}' is an object array; only numbers and text")


def save_npz(path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (an ``.npz`` file) atomically.

    Args:
        path: destination file name; ``.npz`` is *not* appended.
        arrays: name → array. Names may contain ``/``.

    Example:
        >>> import os, tempfile
        >>> f = os.path.join(tempfile.mkdtemp(), "state.npz")
        >>> save_npz(f, {"step": np.array(3), "m/0": np.zeros(2)})
        >>> sorted(load_npz(f))
        ['m/0', 'step']
    """
    check_no_objects(arrays, "save_npz")
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load_npz(path) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file written by :func:`save_npz`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a readable ``.npz`` archive, or holds
            pickled objects (never loaded).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'")
    with open(path, "rb") as f:
        if f.read(4) != ZIP_MAGIC:
            raise ValueError(f"'{path}' is not a readable .npz file (not a zip archive)")
    return read_npz(path, f"'{path}'")


def read_npz(file, source: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file or file object, read with ``allow_pickle=False``.

    ``source`` names it in the errors: a corrupt archive, or pickled objects
    (which are never loaded).
    """
    try:
        with np.load(file, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{source} is not a readable .npz file ({error})") from None
    except ValueError as error:  # numpy refuses object arrays without pickle
        raise ValueError(f"{source} holds pickled objects, which treino never loads "
                         f"({error})") from None  # fmt: skip
