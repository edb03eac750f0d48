"""From what the user passes to ``fit`` / ``evaluate`` / ``predict`` to batches ``(x, y, w)``.

Three kinds of input, one result — an :class:`EpochSource` that yields the
batches of an epoch:

* NumPy arrays (or lists / dicts of them, for several inputs) become a
  :class:`treino.data.Dataset`: shuffled each epoch from the seed, cut into
  batches of ``batch_size`` (``None`` = the whole set, the course's *batch*
  gradient descent; 1 = *stochastic*; 32 = *mini-batch*);
* a :class:`treino.data.Dataset` is used as it is (it batches itself);
* any other iterable or generator of batches ``x``, ``(x, y)`` or
  ``(x, y, sample_weight)``.

With ``steps_per_epoch`` an epoch is that many batches, drawn from one
iterator that carries on across epochs (restarted when it runs out, if the
source can be iterated again).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from treino.data import Dataset, unpack


def is_array_like(x) -> bool:
    """Arrays, or lists / tuples / dicts of arrays (the inputs of a multi-input model)."""
    if isinstance(x, np.ndarray):
        return True
    if isinstance(x, dict):
        return bool(x) and all(isinstance(v, np.ndarray) for v in x.values())
    if isinstance(x, list | tuple):
        return bool(x) and all(isinstance(v, np.ndarray) for v in x)
    return False


def as_arrays(x):
    """Nested Python lists of numbers become one array; anything else passes through.

    A list of arrays stays a list (the inputs of a multi-input model); a list
    of ``(x, y)`` tuples stays an iterable of batches.
    """
    if x is None or is_array_like(x) or isinstance(x, Dataset) or not isinstance(x, list | tuple):
        return x
    try:
        array = np.asarray(x)
    except ValueError:  # ragged: batches, not one array
        return x
    return array if array.dtype.kind in "fiub" else x


class EpochSource:
    """The batches of each epoch, unpacked to ``(x, y, sample_weight)``.

    Args:
        source: a :class:`~treino.data.Dataset`, or an iterable of batches.
        steps_per_epoch: batches per epoch; None = one full pass of ``source``.
    """

    def __init__(self, source, steps_per_epoch=None):
        if steps_per_epoch is not None and (
            isinstance(steps_per_epoch, bool)
            or not isinstance(steps_per_epoch, numbers.Integral)
            or steps_per_epoch < 1
        ):
            raise ValueError(f"steps_per_epoch must be a positive integer; received "
                             f"{steps_per_epoch!r}")  # fmt: skip
        self.source = source
        self.steps_per_epoch = steps_per_epoch
        self._iterator = None
        self._passes = 0
        self.exhausted = False
        self.reiterable = isinstance(source, Dataset) or (
            iter(source) is not source if hasattr(source, "__iter__") else False
        )

    @property
    def steps(self) -> int | None:
        """Batches per epoch, when known (for the progress bar)."""
        if self.steps_per_epoch is not None:
            return int(self.steps_per_epoch)
        if isinstance(self.source, Dataset) or hasattr(self.source, "__len__"):
            return len(self.source)
        return None

    def _new_pass(self):
        if isinstance(self.source, Dataset):
            self.source.set_epoch(self._passes)
        self._passes += 1
        return iter(self.source)

    def epoch(self, epoch: int):
        """Yield the batches of ``epoch`` as ``(x, y, sample_weight)`` triples."""
        if self.steps_per_epoch is None:
            if isinstance(self.source, Dataset):
                self.source.set_epoch(epoch)
                iterator = iter(self.source)
            elif self.reiterable or epoch == 0 or self._iterator is None:
                iterator = self._iterator = iter(self.source)
            else:
                iterator = self._iterator
            count = 0
            for batch in iterator:
                count += 1
                yield unpack(batch)
            if count == 0:
                self._ran_out()
            return
        for _ in range(self.steps_per_epoch):
            batch = self._next()
            if batch is None:
                return
            yield unpack(batch)

    def _next(self):
        if self._iterator is None:
            self._iterator = self._new_pass()
        try:
            return next(self._iterator)
        except StopIteration:
            if not self.reiterable:
                self._ran_out()
                return None
            self._iterator = self._new_pass()
            try:
                return next(self._iterator)
            except StopIteration:
                self._ran_out()
                return None

    def _ran_out(self) -> None:
        self.exhausted = True
        warnings.warn(
            "Your input ran out of data; training stops here. A generator can be read only "
            "once: pass steps_per_epoch × epochs batches, an endless generator with "
            "steps_per_epoch, or a treino.data.Dataset / arrays (read again every epoch).",
            stacklevel=4,
        )


def make_source(x, y=None, sample_weight=None, *, batch_size=32, shuffle=True,
                steps=None, what="fit") -> EpochSource:  # fmt: skip
    """Wrap what the user passed into an :class:`EpochSource` (see the module docstring)."""
    x = as_arrays(x)
    if isinstance(x, Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError(
                f"{what}: x is a treino.data.Dataset, which carries its own targets and "
                "weights; do not pass y or sample_weight"
            )
        return EpochSource(x, steps)
    if is_array_like(x):
        dataset = Dataset(x, as_arrays(y), sample_weight, batch_size=batch_size,
                          shuffle=shuffle)  # fmt: skip
        return EpochSource(dataset, steps)
    if x is None:
        raise ValueError(f"{what}: x is required (arrays, a Dataset, or an iterable of batches)")
    if hasattr(x, "__iter__") or hasattr(x, "__next__"):
        if y is not None:
            raise ValueError(
                f"{what}: x is an iterable of batches, which must yield (x, y) itself; "
                "do not pass y"
            )
        return EpochSource(x, steps)
    raise TypeError(
        f"{what}: cannot read x of type {type(x).__name__}; pass NumPy arrays, a "
        "treino.data.Dataset, or an iterable of (x, y) batches"
    )


def class_weights_for(y, class_weight: dict) -> np.ndarray:
    """One weight per sample from a ``{class: weight}`` dict (labels or one-hot rows)."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype(np.int64)
    known = np.array(sorted(class_weight), dtype=np.int64)
    missing = np.setdiff1d(np.unique(labels), known)
    if missing.size:
        raise ValueError(
            f"class_weight has no weight for class(es) {missing.tolist()}; it gives weights "
            f"for {known.tolist()}"
        )
    table = np.zeros(int(max(known.max(), labels.max())) + 1)
    for label, weight in class_weight.items():
        table[int(label)] = float(weight)
    return table[labels]
