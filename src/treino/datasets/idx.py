"""The IDX file format of MNIST and Fashion-MNIST: read and write.

An IDX file is a 4-byte magic number — two zero bytes, a type code (``0x08``
for unsigned bytes) and the number of dimensions — then one big-endian
``uint32`` per dimension, then the values, C order. The official files are
gzipped; :func:`read_idx` recognises gzip by its magic bytes (``1f 8b``), not by
the file name, so a gunzipped file keeps working whatever it is called.

A short, corrupt or foreign file gives one ``ValueError`` that names the file
and says what was expected and what was found.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import sys
import zlib

import numpy as np

from treino.io import atomic_write

__all__ = ["read_idx", "write_idx"]

GZIP_MAGIC = b"\x1f\x8b"

_CODE_TO_DTYPE = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(np.int16),
    0x0C: np.dtype(np.int32),
    0x0D: np.dtype(np.float32),
    0x0E: np.dtype(np.float64),
}
_DTYPE_TO_CODE = {dtype: code for code, dtype in _CODE_TO_DTYPE.items()}

# deflate never compresses better than about 1032:1, so a gzip file of c bytes
# cannot hold more than this many times c: a bound that rejects a corrupt
# header before allocating the (absurd) array it announces.
_MAX_DEFLATE_RATIO = 1100


def _open(path: str):
    """Open ``path`` for binary reading, through gzip when it starts with ``1f 8b``."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, closed there
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw, True
    raw.seek(0)
    return raw, raw, False


def _read_exactly(f, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``f``; the number of bytes read (short only at end of file)."""
    filled = 0
    while filled < len(buffer):
        n = f.readinto(buffer[filled:])
        if not n:
            break
        filled += n
    return filled


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a NumPy array.

    Args:
        path: the file; gzip is detected from its first two bytes.

    Returns:
        A writeable array with the file's shape and dtype (``uint8`` for the
        MNIST images and labels), in native byte order.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: wrong magic number, unknown type code, a file shorter or
            longer than its header announces, or a corrupt gzip stream.

    Example:
        >>> import os, tempfile
        >>> f = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
        >>> write_idx(f, np.array([3, 1, 4], dtype=np.uint8))
        >>> read_idx(f)
        array([3, 1, 4], dtype=uint8)
    """
    path = os.fspath(path)
    f, raw, compressed = _open(path)
    kind = "gzipped IDX file" if compressed else "IDX file"
    try:
        with raw, f:
            magic = f.read(4)
            if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _CODE_TO_DTYPE:
                codes = ", ".join(f"0x{c:02X}" for c in _CODE_TO_DTYPE)
                raise ValueError(
                    f"'{path}' is not an IDX file: expected the magic bytes 00 00 <type> <ndim> "
                    f"with <type> one of {codes}; found {magic.hex(' ') or 'an empty file'}"
                )
            dtype, ndim = _CODE_TO_DTYPE[magic[2]], magic[3]
            header = f.read(4 * ndim)
            if len(header) < 4 * ndim:
                raise ValueError(
                    f"'{path}' is truncated: the IDX header announces {ndim} dimensions "
                    f"({4 * ndim} bytes of sizes) but only {len(header)} bytes follow"
                )
            shape = struct.unpack(f">{ndim}I", header)
            expected = math.prod(shape) * dtype.itemsize
            available = os.fstat(raw.fileno()).st_size - (0 if compressed else 4 + 4 * ndim)
            if expected > available * (_MAX_DEFLATE_RATIO if compressed else 1):
                raise ValueError(
                    f"'{path}' is truncated: its IDX header announces shape {shape} "
                    f"({expected} bytes of {dtype.name}) but the {kind} is only "
                    f"{os.fstat(raw.fileno()).st_size} bytes long"
                )
            out = np.empty(shape, dtype=dtype)
            found = _read_exactly(f, memoryview(out.reshape(-1).view(np.uint8)))
            extra = len(f.read()) if found == expected else 0
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(f"'{path}' is not a readable {kind} ({error})") from None
    if found != expected or extra:
        raise ValueError(
            f"'{path}': the IDX header announces shape {shape} ({expected} bytes of "
            f"{dtype.name}) but the file holds {found + extra} bytes of data"
            + (" (truncated)" if found < expected else " (trailing bytes)")
        )
    if dtype.itemsize > 1 and sys.byteorder == "little":
        out.byteswap(inplace=True)  # IDX stores big-endian
    return out


def write_idx(path, array) -> None:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``.

    The write is atomic (a temporary file beside ``path``, then a rename), and
    the gzip header carries no timestamp, so equal arrays give equal files.

    Args:
        path: destination file.
        array: a NumPy array of dtype uint8, int8, int16, int32, float32 or
            float64, with 1 to 255 dimensions.
    """
    path = os.fspath(path)
    array = np.asarray(array)
    code = _DTYPE_TO_CODE.get(array.dtype.newbyteorder("="))
    if code is None or not 1 <= array.ndim <= 255:
        raise ValueError(
            f"write_idx: expected an array of dtype {[d.name for d in _DTYPE_TO_CODE]} "
            f"with 1 to 255 dimensions; received dtype {array.dtype}, shape {array.shape}"
        )
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")).tobytes()

    def write(f):
        if path.endswith(".gz"):
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
                g.write(header + body)
        else:
            f.write(header + body)

    atomic_write(path, write)


MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
"""The four files of MNIST and of the datasets that copy its layout (Fashion-MNIST)."""


def read_mnist_files(paths: dict) -> tuple[tuple[np.ndarray, np.ndarray], tuple]:
    """Read the four MNIST-layout files into Keras's ``(x_train, y_train), (x_test, y_test)``.

    Args:
        paths: each name of :data:`MNIST_FILES` → the file to read.

    Returns:
        Images of shape ``(n, rows, cols)`` and labels of shape ``(n,)``, as stored
        (``uint8`` for MNIST and Fashion-MNIST).

    Raises:
        ValueError: a file is unreadable, or images and labels disagree.
    """
    splits = []
    for images_name, labels_name in (MNIST_FILES[:2], MNIST_FILES[2:]):
        x, y = read_idx(paths[images_name]), read_idx(paths[labels_name])
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"'{paths[images_name]}' and '{paths[labels_name]}' do not match: expected "
                f"images of shape (n, rows, cols) and labels of shape (n,); found "
                f"{x.shape} and {y.shape}"
            )
        splits.append((x, y))
    return splits[0], splits[1]
