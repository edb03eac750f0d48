"""The input pipeline: a :class:`Dataset` cuts arrays into the batches of each epoch.

``Model.fit`` turns NumPy arrays into a :class:`Dataset`; pass one yourself to
control batching, shuffling or sharding. The course's three flavours of gradient
descent are three batch sizes:

* ``batch_size=None`` — the whole set in one batch (*batch* gradient descent);
* ``batch_size=1`` — one sample per step (*stochastic*);
* ``batch_size=32`` — *mini-batch* (the default).

Arrays are never copied as a whole: a batch gathers just its rows, so
``np.memmap`` / ``np.load(path, mmap_mode="r")`` arrays larger than RAM work.
Subsets (:meth:`Dataset.take`, :meth:`Dataset.split`, :meth:`Dataset.shard`)
keep row indices, not copies.

Each epoch's order is a function of ``(seed, epoch)`` only, so a resumed run
(``set_epoch``) sees the same orders as an uninterrupted one.
"""

from __future__ import annotations

import copy
import math
import mmap
import numbers
import os

import numpy as np

from treino.backend import make_rng

__all__ = ["Dataset", "unpack"]

_KEEP = object()
"""Sentinel of :meth:`Dataset.with_options`: keep the current value."""


def unpack(batch):
    """Split a batch into ``(x, y, sample_weight)``, ``None`` for what is missing.

    Like Keras's ``unpack_x_y_sample_weight``, except that only a *tuple* packs
    ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``: a list or a dict is one
    multi-input ``x``, so ``[x1, x2]`` is never mistaken for ``(x, y)``.

    Args:
        batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Returns:
        The triple ``(x, y, sample_weight)``.

    Example:
        >>> unpack(("x", "y"))
        ('x', 'y', None)
        >>> unpack(["x1", "x2"])
        (['x1', 'x2'], None, None)
    """
    if not isinstance(batch, tuple):
        return batch, None, None
    if 1 <= len(batch) <= 3:
        return tuple(batch) + (None,) * (3 - len(batch))
    raise ValueError(
        "a batch must be x, (x,), (x, y) or (x, y, sample_weight); received a tuple of "
        f"{len(batch)} elements"
    )


def _is_array_like(value) -> bool:
    """NumPy arrays (memmaps included) and lazy arrays with shape/dtype/indexing (h5py)."""
    if isinstance(value, np.generic):
        return False
    return isinstance(value, np.ndarray) or (
        hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "__getitem__")
    )


def _structure(value, name: str):
    """An array, or a list / tuple / dict of arrays; nested Python lists become one array."""
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"{name} is an empty dict; expected name → array")
        return dict(value)
    if isinstance(value, list | tuple) and value and all(_is_array_like(v) for v in value):
        return type(value)(value)
    if _is_array_like(value):
        return value
    return np.asarray(value)  # Python numbers: already in memory


def _named_leaves(struct, name: str) -> list[tuple[str, object]]:
    if isinstance(struct, dict):
        return [(f"{name}[{key!r}]", leaf) for key, leaf in struct.items()]
    if isinstance(struct, list | tuple):
        return [(f"{name}[{i}]", leaf) for i, leaf in enumerate(struct)]
    return [(name, struct)]


def _map(struct, fn):
    if isinstance(struct, dict):
        return {key: fn(leaf) for key, leaf in struct.items()}
    if isinstance(struct, list | tuple):
        return type(struct)(fn(leaf) for leaf in struct)
    return fn(struct)


def _check_leaf(name: str, leaf) -> int:
    """The number of samples of one array, after checking its dtype (never its values)."""
    if not _is_array_like(leaf):
        raise TypeError(f"Dataset: {name} must be an array; received {type(leaf).__name__}")
    if len(leaf.shape) == 0:
        raise ValueError(f"Dataset: {name} is a scalar; expected an array of samples "
                         "(first axis = samples)")  # fmt: skip
    kind = np.dtype(leaf.dtype).kind
    if kind not in "biuf":
        raise TypeError(
            f"Dataset: {name} has dtype {np.dtype(leaf.dtype)}; expected numbers or bool. "
            "Encode text or categories first (treino.preprocessing.LabelEncoder, "
            "OneHotEncoder)"
        )
    return int(leaf.shape[0])


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"Dataset: {name} must be True or False; received {value!r}")
    return bool(value)


def _check_batch_size(batch_size):
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or (
        batch_size < 1
    ):
        raise ValueError(
            "Dataset: batch_size must be a positive integer (1 = stochastic, 32 = mini-batch) "
            f"or None (the whole set in one batch); received {batch_size!r}"
        )
    return int(batch_size)


def _base_seed(seed) -> int:
    """The seed every epoch's order derives from; None draws it from ``treino.seed``'s generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return int(make_rng(seed).integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"Dataset: seed must be a non-negative integer or None; received "
                         f"{seed!r}")  # fmt: skip
    return int(seed)


def _compose(rows, positions):
    """The underlying rows at ``positions`` of ``rows`` (ranges stay ranges: no index array)."""
    if isinstance(positions, range):
        return rows[positions.start:positions.stop:positions.step]
    if isinstance(rows, range):
        return rows.start + rows.step * np.asarray(positions, dtype=np.int64)
    return rows[positions]


def _gather(leaf, rows) -> np.ndarray:
    """Copy just ``rows`` of ``leaf`` into memory.

    In-memory arrays are indexed directly. Rows of a file memory map are read
    from the file (see :func:`read_rows`), so the process never keeps the
    file's pages mapped; other lazy arrays (h5py) are indexed in increasing
    order (sequential disk access), then put back in the requested order.
    """
    if isinstance(leaf, np.ndarray) and not isinstance(leaf, np.memmap):
        return leaf[rows.start:rows.stop:rows.step] if isinstance(rows, range) else leaf[rows]
    if isinstance(rows, range):
        rows = np.arange(rows.start, rows.stop, rows.step, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    block = read_rows(leaf, rows[order])
    if block is None:
        block = np.asarray(leaf[rows[order]])
    out = np.empty_like(block)
    out[order] = block
    return out


def read_rows(leaf, rows) -> np.ndarray | None:
    """Rows of an ``np.memmap`` read with ``pread`` from its file; None where that cannot work.

    Why not index the memory map? Every page a process touches in a file
    mapping stays in its resident memory (RSS) — and recent kernels map whole
    multi-page blocks at each touch — so one shuffled epoch over a 2 GB file
    would grow the process to about 2 GB. Reading the rows into a fresh buffer
    copies only what the batch needs; the OS page cache does the caching.
    """
    filename, handle = getattr(leaf, "filename", None), getattr(leaf, "_mmap", None)
    row_shape = leaf.shape[1:]
    if filename is None or handle is None or not hasattr(os, "preadv") or (
        leaf.strides[1:] != np.empty(row_shape, leaf.dtype).strides or leaf.strides[0] <= 0
    ):
        return None
    mapped = np.frombuffer(handle, dtype=np.uint8, count=1)
    mapping_start = leaf.offset - leaf.offset % mmap.ALLOCATIONGRANULARITY
    first = mapping_start + leaf.__array_interface__["data"][0] - mapped.__array_interface__[
        "data"][0]  # fmt: skip
    del mapped  # release the buffer export at once (the map can then be closed)
    out = np.empty((len(rows), *row_shape), dtype=leaf.dtype)
    buffers = out.reshape(len(rows), -1).view(np.uint8)
    with open(filename, "rb", buffering=0) as f:
        for buffer, row in zip(buffers, rows.tolist(), strict=True):
            position = first + row * leaf.strides[0]
            if os.preadv(f.fileno(), [buffer], position) != buffer.nbytes:
                raise OSError(f"{filename}: could not read row {row} (the file is shorter "
                              "than the memory map's shape says)")  # fmt: skip
    return out


class Dataset:
    """Arrays cut into the batches of each epoch, shuffled from a seed.

    Iterating yields one epoch: ``(x, y)`` batches, ``(x, y, sample_weight)``
    when weights are given, or ``x`` alone without targets (``(x,)`` when ``x``
    is a tuple, so :func:`unpack` cannot read it as ``(x, y)``). Each batch is
    an in-memory copy of its rows, with the structure of ``x`` / ``y`` kept
    (array, list, tuple or dict).

    With ``n`` samples and batch size ``B`` an epoch has :math:`\\lceil n/B \\rceil`
    batches (:math:`\\lfloor n/B \\rfloor` with ``drop_remainder``). Epoch ``e``
    visits the samples in the order ``np.random.default_rng([seed, e]).permutation(n)``
    (``shuffle=True``) or ``0, 1, …, n-1``.

    Args:
        x: inputs: an array (``np.memmap`` included), or a list / tuple / dict of
            arrays for a multi-input model. The first axis indexes samples.
        y: targets, structured like ``x``, or None. Defaults to None.
        sample_weight: one weight per sample (1-D), or None. Defaults to None.
        batch_size: samples per batch; None puts the whole set in one batch.
            Defaults to 32.
        shuffle: visit the samples in a new order each epoch. Defaults to True.
        seed: base of the per-epoch orders; None draws one from the generator
            seeded by :func:`treino.seed`. Defaults to None.
        drop_remainder: drop the last batch when it is smaller than
            ``batch_size``. Defaults to False.

    Example:
        >>> import numpy as np
        >>> x = np.arange(10.0).reshape(5, 2)
        >>> y = np.array([0, 1, 0, 1, 1])
        >>> ds = Dataset(x, y, batch_size=2, shuffle=False)
        >>> len(ds)
        3
        >>> [yb.tolist() for xb, yb in ds]
        [[0, 1], [0, 1], [1]]
        >>> train, val = ds.split(0.2)   # Keras's validation_split: the last 20 %
        >>> train.num_samples, val.num_samples
        (4, 1)
        >>> [xb.shape for xb, yb in Dataset(x, y, batch_size=None)]  # full batch
        [(5, 2)]
    """

    def __init__(self, x, y=None, sample_weight=None, *, batch_size=32, shuffle=True,
                 seed=None, drop_remainder=False):  # fmt: skip
        x = _structure(x, "x")
        y = None if y is None else _structure(y, "y")
        if sample_weight is not None:
            sample_weight = _structure(sample_weight, "sample_weight")
            if not _is_array_like(sample_weight) or len(sample_weight.shape) != 1:
                shape = getattr(sample_weight, "shape", type(sample_weight).__name__)
                raise ValueError(f"Dataset: sample_weight must be 1-D (one weight per sample); "
                                 f"received {shape}")  # fmt: skip
        leaves = _named_leaves(x, "x")
        for struct, name in ((y, "y"), (sample_weight, "sample_weight")):
            if struct is not None:
                leaves += _named_leaves(struct, name)
        lengths = {name: _check_leaf(name, leaf) for name, leaf in leaves}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
            raise ValueError(f"Dataset: every array must have the same number of samples "
                             f"(first axis); received {listed}")  # fmt: skip
        self._x, self._y, self._sample_weight = x, y, sample_weight
        self._rows = range(next(iter(lengths.values())))
        self._shard = None
        self._batch_size = _check_batch_size(batch_size)
        self._shuffle = _check_flag("shuffle", shuffle)
        self._drop_remainder = _check_flag("drop_remainder", drop_remainder)
        self._seed = _base_seed(seed)
        self._epoch = 0
        self._next_epoch = None

    # -- properties ---------------------------------------------------------

    @property
    def num_samples(self) -> int:
        """Samples per epoch (this shard's, after :meth:`shard`)."""
        if self._shard is None:
            return len(self._rows)
        num_shards, index = self._shard
        return len(range(index, len(self._rows), num_shards))

    @property
    def batch_size(self) -> int | None:
        """Samples per batch; None = the whole set in one batch."""
        return self._batch_size

    @property
    def shuffle(self) -> bool:
        return self._shuffle

    @property
    def drop_remainder(self) -> bool:
        return self._drop_remainder

    @property
    def seed(self) -> int:
        """The base seed of the per-epoch orders (drawn once when None was passed)."""
        return self._seed

    @property
    def has_targets(self) -> bool:
        return self._y is not None

    @property
    def has_sample_weight(self) -> bool:
        return self._sample_weight is not None

    def __len__(self) -> int:
        """Batches per epoch: ⌈n/B⌉, ⌊n/B⌋ with ``drop_remainder``, 1 for a full batch."""
        n = self.num_samples
        if n == 0:
            return 0
        if self._batch_size is None:
            return 1
        if self._drop_remainder:
            return n // self._batch_size
        return -(-n // self._batch_size)

    def __repr__(self) -> str:
        return (f"Dataset(num_samples={self.num_samples}, batch_size={self._batch_size}, "
                f"shuffle={self._shuffle}, batches={len(self)})")  # fmt: skip

    # -- epochs ---------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration visit epoch ``epoch``'s order (then ``epoch + 1``, …).

        The trainer calls it each epoch, so training resumed at epoch 7 sees
        the same orders as one that never stopped (like PyTorch's
        ``DistributedSampler.set_epoch``).
        """
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"set_epoch: epoch must be a non-negative integer; received "
                             f"{epoch!r}")  # fmt: skip
        self._next_epoch = int(epoch)

    def epoch_order(self, epoch: int):
        """The positions (0 … n-1 of this dataset) visited in ``epoch``, in order.

        A shard takes every ``num_shards``-th position of the *global* order,
        starting at its index (see :meth:`shard`).
        """
        n = len(self._rows)
        if self._shuffle:
            order = np.random.default_rng([self._seed, int(epoch)]).permutation(n)
        else:
            order = range(n)
        if self._shard is not None:
            num_shards, index = self._shard
            order = order[index::num_shards]
        return order

    def __iter__(self):
        epoch = self._epoch if self._next_epoch is None else self._next_epoch
        self._next_epoch, self._epoch = None, epoch + 1
        return self._batches(self.epoch_order(epoch))

    def _batches(self, order):
        n = len(order)
        size = n if self._batch_size is None else self._batch_size
        for b in range(len(self)):
            rows = _compose(self._rows, order[b * size:min((b + 1) * size, n)])
            yield self._batch(rows)

    def _batch(self, rows):
        def take(struct):
            return _map(struct, lambda leaf: _gather(leaf, rows))

        x = take(self._x)
        if self._sample_weight is not None:
            y = None if self._y is None else take(self._y)
            return x, y, _gather(self._sample_weight, rows)
        if self._y is not None:
            return x, take(self._y)
        return (x,) if isinstance(x, tuple) else x

    # -- new datasets over the same arrays ------------------------------------

    def _derive(self, **attributes) -> Dataset:
        new = copy.copy(self)  # shares the arrays
        new._epoch, new._next_epoch = 0, None
        for name, value in attributes.items():
            setattr(new, name, value)
        return new

    def _unsharded(self, method: str) -> None:
        if self._shard is not None:
            raise ValueError(f"{method}: this Dataset is already a shard; call {method} "
                             "before shard()")  # fmt: skip

    def take(self, indices) -> Dataset:
        """A Dataset over the samples at ``indices`` (an index array, a boolean mask, a slice
        or a range), sharing the arrays: only indices are stored, never rows.

        Same options (batch size, shuffle, seed) as this one; its epochs start at 0.
        """
        self._unsharded("take")
        n = len(self._rows)
        if isinstance(indices, slice):
            indices = range(n)[indices]
        if not isinstance(indices, range):
            indices = np.asarray(indices)
            if indices.dtype == bool:
                if indices.shape != (n,):
                    raise ValueError(f"take: a boolean mask must have shape ({n},); received "
                                     f"{indices.shape}")  # fmt: skip
                indices = np.flatnonzero(indices)
            if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
                raise ValueError(f"take: indices must be a 1-D array of integers; received "
                                 f"shape {indices.shape}, dtype {indices.dtype}")  # fmt: skip
            indices = indices.astype(np.int64)
            bad = indices[(indices < 0) | (indices >= n)]
            if bad.size:
                raise ValueError(f"take: index {int(bad[0])} is out of range for {n} samples "
                                 f"(valid: 0 … {n - 1})")  # fmt: skip
        return self._derive(_rows=_compose(self._rows, indices))

    subset = take

    def split(self, fraction: float) -> tuple[Dataset, Dataset]:
        """``(train, val)`` with Keras's ``validation_split`` semantics.

        ``split_at = ceil(n · (1 − fraction))``; train is samples ``[:split_at]``
        and val ``[split_at:]``: the *last* samples, taken before any shuffling.
        val is not shuffled.

        Args:
            fraction: the share kept for validation, in (0, 1).

        Returns:
            The pair ``(train_ds, val_ds)``.
        """
        self._unsharded("split")
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not (
            0.0 < fraction < 1.0
        ):
            raise ValueError(f"split: fraction must be a number in (0, 1); received "
                             f"{fraction!r}")  # fmt: skip
        n = len(self._rows)
        split_at = int(math.ceil(n * (1.0 - fraction)))
        if split_at in (0, n):
            raise ValueError(
                f"split: {n} samples are not enough to split with fraction={fraction} "
                f"({'no training' if split_at == 0 else 'no validation'} samples would be left)"
            )
        train = self.take(range(0, split_at))
        return train, self.take(range(split_at, n))._derive(_shuffle=False)

    def shard(self, num_shards: int, index: int) -> Dataset:
        """The part of each epoch that worker ``index`` of ``num_shards`` sees.

        Every epoch the *global* order is computed (the same on every worker,
        from the shared seed), and shard ``index`` takes its positions
        ``index, index + num_shards, index + 2·num_shards, …`` (strided, as
        PyTorch's ``DistributedSampler``). The shards are disjoint and their
        union is exactly the epoch; their sizes differ by at most one sample.
        Pass the same ``seed`` on every worker.
        """
        self._unsharded("shard")
        for name, value in (("num_shards", num_shards), ("index", index)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"shard: {name} must be an integer; received {value!r}")
        if num_shards < 1 or not 0 <= index < num_shards:
            raise ValueError(f"shard: expected num_shards >= 1 and 0 <= index < num_shards; "
                             f"received num_shards={num_shards}, index={index}")  # fmt: skip
        return self._derive(_shard=(int(num_shards), int(index)))

    def with_options(self, *, batch_size=_KEEP, shuffle=_KEEP, drop_remainder=_KEEP,
                     seed=_KEEP) -> Dataset:  # fmt: skip
        """A Dataset over the same arrays with other options (those not passed are kept)."""
        changes = {}
        if batch_size is not _KEEP:
            changes["_batch_size"] = _check_batch_size(batch_size)
        if shuffle is not _KEEP:
            changes["_shuffle"] = _check_flag("shuffle", shuffle)
        if drop_remainder is not _KEEP:
            changes["_drop_remainder"] = _check_flag("drop_remainder", drop_remainder)
        if seed is not _KEEP:
            changes["_seed"] = _base_seed(seed)
        return self._derive(**changes)

    def rebatch(self, batch_size) -> Dataset:
        """``with_options(batch_size=batch_size)``."""
        return self.with_options(batch_size=batch_size)
