"""The array namespace, the dtype policy and the random generator.

Every op in :mod:`treino.ops` does its array math through ``xp`` (NumPy today).
Keeping that one seam means a CuPy backend can later replace ``xp`` without
touching a single op.

dtype policy
    Tensors created from Python numbers or lists take ``floatx()`` (float32 by
    default; ``set_floatx("float64")`` for gradient checks or precision
    studies). Float arrays keep their dtype. No op silently upcasts float32 to
    float64: mixing the two is an error that names the op (see
    :func:`result_float_dtype`).

randomness
    ``treino.seed(n)`` seeds one :class:`numpy.random.Generator`. Initializers,
    dropout and shuffling draw from it (or from their own ``seed=`` argument);
    nothing in treino touches NumPy's global ``np.random`` state.
"""

from __future__ import annotations

import os

import numpy

xp = numpy
"""The array module used by every op (NumPy now; CuPy later)."""

_FLOAT_DTYPES = ("float32", "float64")
_floatx = "float32"
_rng = numpy.random.default_rng()


def floatx() -> str:
    """The default float dtype as a string: ``"float32"`` unless changed."""
    return _floatx


def set_floatx(dtype: str) -> None:
    """Set the default float dtype (``"float32"`` or ``"float64"``).

    Example:
        >>> import treino
        >>> treino.backend.set_floatx("float64")
        >>> treino.tensor([1.0]).dtype
        dtype('float64')
        >>> treino.backend.set_floatx("float32")
    """
    global _floatx
    name = numpy.dtype(dtype).name
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"floatx must be one of {_FLOAT_DTYPES}; received: {dtype!r}")
    _floatx = name


def is_float(dtype) -> bool:
    """True for the floating dtypes treino computes in (float16/32/64)."""
    return numpy.issubdtype(numpy.dtype(dtype), numpy.floating)


def result_float_dtype(op: str, *dtypes) -> numpy.dtype:
    """The float dtype an op computes in, refusing a silent float32 → float64 upcast.

    Integer and bool operands follow the float operand; two different float
    widths are an error naming ``op``, because NumPy would quietly promote the
    whole computation to float64 (twice the memory, half the speed).
    """
    floats = {numpy.dtype(d) for d in dtypes if is_float(d)}
    if len(floats) > 1:
        names = " and ".join(sorted(d.name for d in floats))
        raise TypeError(
            f"{op}: operands have different float dtypes ({names}); "
            "convert one with .astype(...) so nothing is silently upcast"
        )
    if floats:
        return floats.pop()
    return numpy.dtype(_floatx)


def seed(n: int) -> None:
    """Seed treino's random generator (initializers, dropout, shuffling).

    One call makes a whole run reproducible on the same machine:

    >>> import treino
    >>> treino.seed(0); a = treino.backend.get_rng().random()
    >>> treino.seed(0); b = treino.backend.get_rng().random()
    >>> a == b
    True
    """
    global _rng
    if not isinstance(n, (int, numpy.integer)) or isinstance(n, bool):
        raise TypeError(f"seed must be an integer; received: {n!r}")
    _rng = numpy.random.default_rng(int(n))


def get_rng() -> numpy.random.Generator:
    """The generator seeded by :func:`seed` (shared by everything unseeded)."""
    return _rng


def make_rng(seed: int | numpy.random.Generator | None = None) -> numpy.random.Generator:
    """A generator for one component: its own when ``seed`` is given, else the shared one."""
    if seed is None:
        return _rng
    if isinstance(seed, numpy.random.Generator):
        return seed
    return numpy.random.default_rng(int(seed))


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_num_threads = available_cores()


def num_threads() -> int:
    """How many threads treino's own parallel loops may use (see :func:`set_num_threads`)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Let treino use ``n`` threads: NumPy's BLAS (through threadpoolctl) and its own loops.

    As ``torch.set_num_threads``. Today treino's own parallel loop is the
    optimizer update of a large parameter (two halves at once); with ``n = 1``
    everything runs on one thread. Defaults to the cores this process may run on.
    """
    global _num_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int; received {n!r}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")
    _num_threads = n


MMAP_THRESHOLD = 32 << 20
"""Blocks at least this large come straight from the kernel (glibc's own upper limit)."""

TRIM_THRESHOLD = 128 << 20
"""Free memory at the top of the heap is returned to the kernel beyond this much."""

_allocator_tuned: list = []  # [True] once keep_freed_memory has run in this process


def keep_freed_memory() -> bool:
    """Let the C allocator keep freed memory for the next batch (Linux, glibc): once per process.

    A training step allocates the same large temporaries every batch: an
    LSTM's gates and states, a convolution's patch matrix, megabytes each.
    glibc's malloc gives blocks above its mmap threshold (128 KiB at first,
    raised on the fly up to 32 MiB) fresh pages from the kernel and returns
    them on free; it also trims more than 128 KiB of free heap top. The next
    batch then page-faults all that memory in again, each 4 KiB page zeroed
    by the kernel. Measured on 2 cores, an LSTM(128) step on a batch of 128
    rows-as-sequences: 49–57 ms before, 38–45 ms after; the MLP's is
    unchanged. Here the mmap threshold becomes :data:`MMAP_THRESHOLD` and
    the trim threshold :data:`TRIM_THRESHOLD`: blocks up to 32 MiB are
    recycled inside the process, larger ones (datasets) still go back to the
    kernel when freed, and at most 128 MiB of free heap is kept. ``fit``
    calls this; elsewhere than glibc it does nothing.

    Returns:
        Whether the allocator is tuned (now or by an earlier call).
    """
    if not _allocator_tuned:
        import ctypes
        import platform

        tuned = False
        if platform.libc_ver()[0] == "glibc":
            mallopt = ctypes.CDLL(None).mallopt
            m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
            tuned = bool(mallopt(m_mmap_threshold, MMAP_THRESHOLD)) and \
                bool(mallopt(m_trim_threshold, TRIM_THRESHOLD))  # fmt: skip
        _allocator_tuned.append(tuned)
    return _allocator_tuned[0]


def clear_session() -> None:
    """Forget the layer names handed out so far, as ``keras.backend.clear_session()``.

    Layers are named ``dense``, ``dense_1``, ``dense_2`` … in creation order
    across the whole process; after this the next ``Dense`` is ``dense`` again.
    A run builds its model after clearing, so its layer names (in the summary,
    the doctor's report, the saved model) do not depend on what was built before.

    >>> from treino.layers import Dense
    >>> clear_session(); _ = Dense(1); clear_session()
    >>> Dense(1).name
    'dense'
    """
    from treino.layers import base  # the layers import this module: import on use

    base._name_counts.clear()
