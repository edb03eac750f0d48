"""The ``Metric`` base class and the input checks every metric runs.

A metric is *stateful*: ``update_state(y_true, y_pred, sample_weight)`` adds a
batch to its state, ``result()`` reads the value so far, ``reset_state()``
starts over (the training loop resets at the start of each epoch).

The state of every metric in :mod:`treino.metrics` is a set of **sums** (a
weighted total and a weighted count, or confusion counts). So

* streaming over batches of any sizes gives exactly the metric of the
  concatenated data (up to float rounding), and
* summing the states of several metrics of the same configuration (e.g. one per
  worker, or the two halves of a data set) gives the state of the whole:
  ``m.set_state({k: a[k] + b[k] for k in a})`` with ``a, b`` from
  :meth:`Metric.get_state` — or simply ``m.merge_state([m_a, m_b])``.

State arrays are float64 unless ``dtype="float32"`` is asked for (Keras keeps
float32; the wider sums keep counts exact up to 2⁵³).

Inputs are NumPy arrays, array-likes or treino ``Tensor`` s (their ``.data``)
of any int, bool or float dtype. They are checked before the state changes:
each error names the metric and says what was expected and what was received.
"""

from __future__ import annotations

import numpy as np

from treino import backend
from treino.autograd import Tensor
from treino.naming import snake_case


class Metric:
    """Base class of the metrics: a state of sums, updated batch by batch.

    Subclasses list their state arrays in ``state_names``, give their shape in
    ``_state_shape`` (``None`` while unknown, i.e. until the first batch shows
    the number of classes) and implement ``update_state`` and ``result``.

    Args:
        name: the name reported in logs (``history.history[name]``). Defaults to
            the class name in snake_case (``BinaryAccuracy`` → ``"binary_accuracy"``).
        dtype: dtype of the state, ``"float32"`` or ``"float64"``. Defaults to
            None (float64).

    Example:
        >>> import numpy as np
        >>> class CountPositives(Metric):
        ...     state_names = ("count",)
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.count = self.count + np.sum(np.asarray(y_pred) > 0)
        ...     def result(self):
        ...         return float(self.count)
        >>> m = CountPositives()
        >>> m.update_state(None, [1.0, -2.0, 3.0])
        >>> m.name, m.result(), m.get_state()
        ('count_positives', 2.0, {'count': array(2.)})
    """

    state_names: tuple = ()
    _state_shape: tuple | None = ()

    def __init__(self, name: str | None = None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string; received {name!r}")
        self.name = name or snake_case(type(self).__name__)
        if dtype is not None:
            if not backend.is_float(dtype) or np.dtype(dtype).itemsize < 4:
                raise ValueError(
                    f"{type(self).__name__}: dtype must be 'float32' or 'float64'; "
                    f"received dtype={dtype!r}"
                )
            dtype = np.dtype(dtype).name
        self.dtype = dtype
        self.reset_state()

    @property
    def state_dtype(self) -> np.dtype:
        """The dtype of the state arrays (float64 unless ``dtype`` says otherwise)."""
        return np.dtype(self.dtype or "float64")

    # ------------------------------------------------------------------ state
    def reset_state(self) -> None:
        """Set every state array back to zeros (the shape, once known, is kept)."""
        for key in self.state_names:
            setattr(self, key, np.zeros(self._state_shape or (), self.state_dtype))

    @property
    def variables(self) -> list:
        """The state arrays, in ``state_names`` order."""
        return [getattr(self, key) for key in self.state_names]

    def get_state(self) -> dict:
        """A copy of the state: ``{name: array}``. Every entry is a sum (see the module doc).

        A metric whose shape is not known yet (no batch seen) has 0-d zeros,
        which broadcast when added to a built state.
        """
        return {
            key: np.array(getattr(self, key), dtype=self.state_dtype) for key in self.state_names
        }

    def set_state(self, state: dict) -> None:
        """Replace the state by ``state`` (as :meth:`get_state` returns it).

        Raises:
            ValueError: missing or unexpected names, or arrays of the wrong shape.
        """
        label = type(self).__name__
        if not isinstance(state, dict) or set(state) != set(self.state_names):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(
                f"{label}.set_state: expected a dict with keys {list(self.state_names)}; "
                f"received {got}"
            )
        arrays = {key: _to_array(value).astype(self.state_dtype) for key, value in state.items()}
        shapes = {a.shape for a in arrays.values()}
        expected = self._state_shape
        if len(shapes) > 1 or (expected is not None and shapes != {expected}):
            want = "one common shape" if expected is None else f"shape {expected}"
            raise ValueError(
                f"{label}.set_state: expected arrays of {want}; received shapes "
                f"{ {k: a.shape for k, a in arrays.items()} }"
            )
        shape = shapes.pop() if shapes else ()
        if expected is None and shape != ():
            self._build_state(shape)
        elif expected is None and any(np.any(a) for a in arrays.values()):
            raise ValueError(
                f"{label}.set_state: this metric has not seen a batch, so its state must be "
                "0-d zeros or full arrays; received non-zero 0-d values"
            )
        for key, value in arrays.items():
            setattr(self, key, value)

    def merge_state(self, metrics) -> None:
        """Add the states of other metrics of the same class and configuration to this one."""
        total = self.get_state()
        for other in metrics:
            if type(other) is not type(self):
                raise ValueError(
                    f"{type(self).__name__}.merge_state: can only merge metrics of the same "
                    f"class; received {type(other).__name__}"
                )
            total = {key: total[key] + value for key, value in other.get_state().items()}
        self.set_state(total)

    def _build_state(self, shape: tuple) -> None:
        """Fix the state shape (first batch of a metric that counts per class) and zero it."""
        self._state_shape = tuple(shape)
        self.reset_state()

    # -------------------------------------------------------------- interface
    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add a batch to the state. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self):
        """The metric so far: a Python float (an array for per-class or per-threshold values)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)``, then ``result()`` (as Keras 3)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable (``cls(**config)`` rebuilds the metric)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild a metric from :meth:`get_config`'s dict (the state starts at zero)."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


# ------------------------------------------------------------------ helpers
def as_result(value):
    """A 0-d value as a Python float, anything else as a NumPy array."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


def divide_no_nan(a, b):
    """a / b, with 0 where b == 0 (Keras's ``divide_no_nan``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, 0.0, a / safe)


def _to_array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def to_array(owner: str, which: str, x, allow_nan: bool = False) -> np.ndarray:
    """``x`` (array-like or Tensor) as a NumPy array of numbers, refusing NaN.

    Raises:
        TypeError: ``x`` does not hold numbers.
        ValueError: ``x`` holds NaN (unless ``allow_nan``).
    """
    if x is None:
        raise ValueError(f"{owner}: {which} is None; expected an array")
    array = _to_array(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{owner}: {which} must hold numbers (float, int or bool); received dtype {array.dtype}"
        )
    if not allow_nan and array.dtype.kind == "f" and np.isnan(array).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f"{owner}: {which} contains NaN (first at index {where})")
    return array


def check_inputs(owner: str, y_true, y_pred) -> tuple:
    """Both as arrays of numbers without NaN, with the same number of samples."""
    y_true = to_array(owner, "y_true", y_true)
    y_pred = to_array(owner, "y_pred", y_pred)
    if y_true.ndim and y_pred.ndim and y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"{owner}: y_true and y_pred must have the same number of samples (first axis); "
            f"received y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}"
        )
    return y_true, y_pred


def squeeze_or_expand(x1: np.ndarray, x2: np.ndarray, expand_rank_1: bool = True) -> tuple:
    """Keras's ``squeeze_or_expand_to_same_rank``: align a trailing axis of size 1.

    ``(N,)`` against ``(N, 1)`` becomes ``(N, 1)`` against ``(N, 1)``
    (``(N,)`` with ``expand_rank_1=False``); ``(N, T)`` against ``(N, T, 1)``
    drops the size-1 axis.
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def same_shape(owner: str, y_true, y_pred, hint: str = "") -> tuple:
    """Align a trailing axis of size 1, then require equal shapes (entry-by-entry metrics)."""
    y_true, y_pred = check_inputs(owner, y_true, y_pred)
    aligned_true, aligned_pred = squeeze_or_expand(y_true, y_pred)
    if aligned_true.shape != aligned_pred.shape:
        raise ValueError(
            f"{owner}: expected y_true and y_pred of the same shape; received "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}{hint}"
        )
    return aligned_true, aligned_pred


def weights_array(owner: str, sample_weight, dtype) -> np.ndarray:
    """``sample_weight`` as a finite float array of ``dtype``."""
    w = to_array(owner, "sample_weight", sample_weight, allow_nan=True)
    if w.dtype.kind == "f" and not np.isfinite(w).all():
        raise ValueError(f"{owner}: sample_weight must be finite; received NaN or inf")
    return w.astype(dtype, copy=False)


def broadcast_weights(owner: str, sample_weight, shape: tuple, dtype) -> np.ndarray:
    """Per-sample weights spread over an array of ``shape``, aligned on the leading axes.

    As Keras: ``(N,)`` (or ``(N, 1)``) weights apply to every entry of sample n
    of an ``(N, K)`` array; a scalar applies to all; full-shape weights apply
    entry by entry.
    """
    w = weights_array(owner, sample_weight, dtype)
    given = w.shape
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.ndim <= len(shape):
        w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
        if all(a in (1, b) for a, b in zip(w.shape, shape, strict=True)):
            return np.broadcast_to(w, shape)
    expected = f"one weight per sample {shape[:1]}"
    if len(shape) > 1:
        expected += f" or the full shape {shape}"
    raise ValueError(
        f"{owner}: sample_weight of shape {given} does not match the data of shape {shape}; "
        f"expected a scalar or {expected}"
    )


def check_labels(owner: str, which: str, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer class labels in [0, num_classes), as int64."""
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels) | (labels != np.round(labels))
        if bad.any():
            raise ValueError(
                f"{owner}: {which} must hold integer class labels; received non-integer values "
                f"such as {labels[bad].flat[0]!r}"
            )
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(
            f"{owner}: {which} holds the label {int(bad)}, out of range: expected labels in "
            f"[0, {num_classes - 1}] for {num_classes} classes"
        )
    return labels


def check_positive_int(owner: str, arg: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{owner}: {arg} must be a positive integer; received {arg}={value!r}")
    return int(value)
