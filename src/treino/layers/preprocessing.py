"""Preprocessing layers: the scaling of the inputs, inside the model.

The course scales the features before training (``X' = (X − μ)/σ``, with μ
and σ from ``x_train`` only). Done with :class:`treino.preprocessing.StandardScaler`
the statistics live outside the model, and every user of the saved model
must remember to scale its inputs the same way. As layers they travel with
the model:

* :class:`Normalization` — ``y = (x − μ)/√σ²``; μ and σ² are computed by
  :meth:`Normalization.adapt` from the training set *before* ``fit`` and kept
  as non-trainable weights, so ``model.save`` stores them and ``fit`` never
  changes them;
* :class:`Rescaling` — ``y = x · scale + offset`` with fixed numbers, e.g.
  ``Rescaling(1/255)`` for pixels in [0, 255].

Both are affine in their input, so gradients flow through them to the input.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from treino import ops
from treino.autograd import Tensor
from treino.data import _is_array_like, unpack
from treino.layers.base import InputSpec, Layer

EPSILON = 1e-7
"""Smallest standard deviation divided by (Keras's ``backend.epsilon()``): a constant
feature (σ² = 0) gives ``(x − μ)/1e-7`` instead of a division by zero."""


def _finite_numbers(who: str, name: str, value) -> np.ndarray:
    """``value`` as a float64 array of finite numbers (a clear error otherwise)."""
    try:
        array = np.asarray(value.numpy() if isinstance(value, Tensor) else value)
    except ValueError:  # ragged nested lists
        array = np.asarray(None)
    if array.dtype.kind not in "fiub" or isinstance(value, bool):
        raise TypeError(f"{who}: {name} must be a number or an array of numbers; "
                        f"received {name}={value!r}")  # fmt: skip
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{who}: {name} must be finite; received {name}={value!r}")
    return array


def _jsonable(array: np.ndarray):
    """A float for a 0-d array, nested lists otherwise (what a JSON config can hold)."""
    return float(array) if array.ndim == 0 else array.tolist()


class Normalization(Layer):
    """Standardizes each feature with the statistics of the training set.

    .. math::

        y = \\frac{x - \\mu}{\\sqrt{\\sigma^2}}

    the course's ``X' = (X − μ)/σ``: μ and σ² are the mean and (biased)
    variance of the training data, computed once by :meth:`adapt` (or passed
    as ``mean`` / ``variance``) and fixed afterwards. They are the
    non-trainable weights ``mean`` and ``variance``, so they are saved with
    the model and ``fit`` never changes them. With ``invert=True`` the layer
    maps back: ``x = y · √σ² + μ``.

    ``axis`` names the axes that keep their own statistics (Keras semantics);
    the other axes, the batch axis included, are averaged over. The default
    ``-1`` gives one μ and σ² per feature of ``(batch, features)`` data and
    one per channel of ``(batch, height, width, channels)`` images;
    ``axis=(1, 2, 3)`` gives one per pixel and channel (as ``StandardScaler``);
    ``axis=None`` gives a single scalar μ and σ².

    A constant feature (σ² = 0) is divided by ``max(√σ², 1e-7)``, as in Keras:
    never by zero.

    Args:
        axis: int, tuple of ints or None: the axes with their own statistics.
            The batch axis 0 cannot be one of them. Defaults to -1.
        mean: the means, instead of :meth:`adapt` (with ``variance``): a
            number or an array that broadcasts to the kept axes (e.g. ``(C,)``
            or ``(1, 1, C)`` for images). Defaults to None.
        variance: the variances, given with ``mean``. Defaults to None.
        invert: apply the inverse map ``x · √σ² + μ``. Defaults to False.

    Weights (in order, all non-trainable, Keras's layout): ``mean`` and
    ``variance`` (shape: the sizes of the kept axes) and ``count`` (int64: the
    number of values per feature :meth:`adapt` saw; 0 = not adapted).

    Input shape: any, with the kept axes of a known size. Output shape: as the input.

    Example:
        >>> import numpy as np
        >>> x_train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
        >>> norm = Normalization(dtype="float64")
        >>> norm.adapt(x_train)
        >>> norm.mean.numpy(), norm.variance.numpy()
        (array([ 3., 10.]), array([2.66666667, 0.        ]))
        >>> norm(np.array([[3.0, 10.0], [5.0, 10.0]])).numpy().round(4)  # constant column → 0
        array([[0.    , 0.    ],
               [1.2247, 0.    ]])
        >>> Normalization(mean=[3.0], variance=[4.0], invert=True)(np.array([[1.0]])).numpy()
        array([[5.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis is None or isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            self.axis = None if axis is None else int(axis)
        elif isinstance(axis, list | tuple) and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
        ):
            self.axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"Normalization: axis must be an int, a tuple of ints or None; "
                            f"received axis={axis!r}")  # fmt: skip
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: pass both mean and variance, or neither (and call adapt); "
                f"received mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            mean = _finite_numbers("Normalization", "mean", mean)
            variance = _finite_numbers("Normalization", "variance", variance)
            if (variance < 0).any():
                raise ValueError(f"Normalization: variance must be >= 0; received "
                                 f"variance={variance.tolist()}")  # fmt: skip
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    @classmethod
    def from_scaler(cls, scaler, invert: bool = False, **kwargs) -> Normalization:
        """A Normalization that computes what a fitted ``StandardScaler`` computes.

        The scaler's statistics (per feature over axis 0, from ``x_train``)
        become the layer's ``mean`` / ``variance``, so a scaler fitted outside
        the model goes into it. The variance is ``scale_²`` — the σ the scaler
        divides by — so its ``epsilon`` and its σ := 1 for constant features
        carry over; ``with_mean=False`` gives μ = 0, ``with_std=False`` σ² = 1.
        The axes follow the scaler: ``(n, features)`` data gives ``axis=-1``,
        ``(n, h, w, c)`` data ``axis=(1, 2, 3)``, 1-D data ``axis=None``.

        Args:
            scaler: a fitted :class:`treino.preprocessing.StandardScaler`.
            invert: build the inverse map (``scaler.inverse_transform``). Defaults to False.
            **kwargs: other layer arguments (``name``, ``dtype``).

        Example:
            >>> import numpy as np
            >>> from treino.preprocessing import StandardScaler
            >>> scaler = StandardScaler().fit(np.array([[1.0, 10.0], [3.0, 10.0]]))
            >>> norm = Normalization.from_scaler(scaler, dtype="float64")
            >>> norm(np.array([[5.0, 12.0]])).numpy(), scaler.transform(np.array([[5.0, 12.0]]))
            (array([[3., 2.]]), array([[3., 2.]]))
        """
        from treino.preprocessing import MinMaxScaler, NotFittedError, StandardScaler

        if not isinstance(scaler, StandardScaler):
            hint = (" (a MinMaxScaler is Rescaling(scale=scaler.scale_.tolist(), "
                    "offset=scaler.min_.tolist()))" if isinstance(scaler, MinMaxScaler)
                    else "")  # fmt: skip
            raise TypeError(f"Normalization.from_scaler expects a treino.preprocessing."
                            f"StandardScaler; received {type(scaler).__name__}{hint}")  # fmt: skip
        if not scaler.fitted:
            raise NotFittedError("This StandardScaler is not fitted yet: call scaler.fit(x_train) "
                                 "first, then Normalization.from_scaler(scaler)")  # fmt: skip
        mean = np.asarray(scaler.mean_, dtype=np.float64)
        scale = np.asarray(scaler.scale_, dtype=np.float64)
        mean = mean if scaler.with_mean else np.zeros_like(mean)
        scale = scale if scaler.with_std else np.ones_like(scale)
        ndim = mean.ndim
        axis = None if ndim == 0 else -1 if ndim == 1 else tuple(range(1, ndim + 1))
        return cls(axis=axis, mean=_jsonable(mean), variance=_jsonable(np.square(scale)),
                   invert=invert, **kwargs)  # fmt: skip

    # -------------------------------------------------------------------- axes
    def _axes(self, ndim: int) -> tuple[tuple, tuple]:
        """(kept axes, reduced axes) for inputs of ``ndim`` dimensions, non-negative, sorted."""
        if self.axis is None:
            axes = ()
        elif isinstance(self.axis, int):
            axes = (self.axis,)
        else:
            axes = self.axis
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"Normalization '{self.name}': axis {a} is out of range for "
                                 f"inputs with {ndim} dimensions")  # fmt: skip
        keep = tuple(sorted({a % ndim for a in axes}))
        if 0 in keep:
            raise ValueError(
                f"Normalization '{self.name}': axis={self.axis} on {ndim}-D inputs keeps the batch "
                "axis 0, which must be averaged over. For 1-D data use axis=None (one mean and "
                "variance) or reshape it to (n, 1)"
            )
        return keep, tuple(d for d in range(ndim) if d not in keep)

    def _broadcast_shape(self, ndim: int) -> tuple:
        """The statistics' shape for broadcasting: kept axes at their size, the others 1."""
        keep, _ = self._axes(ndim)
        return tuple(self.mean.shape[keep.index(d)] if d in keep else 1 for d in range(ndim))

    def _given(self, name: str, value: np.ndarray, input_shape, keep) -> np.ndarray:
        """A constructor ``mean`` / ``variance`` broadcast to the kept axes' shape."""
        target = tuple(input_shape[d] if d in keep else 1 for d in range(len(input_shape)))
        try:
            out = np.broadcast_to(value, target)
        except ValueError:
            raise ValueError(
                f"Normalization '{self.name}': {name} of shape {value.shape} does not broadcast "
                f"to the kept axes {keep} of inputs of shape {tuple(input_shape)} (expected "
                f"shape {tuple(input_shape[d] for d in keep)}, a scalar, or {target[1:]})"
            ) from None
        return out.reshape(tuple(input_shape[d] for d in keep))

    # ---------------------------------------------------------------- weights
    def build(self, input_shape) -> None:
        input_shape = tuple(input_shape)
        keep, _ = self._axes(len(input_shape))
        shape = tuple(input_shape[d] for d in keep)
        if any(d is None for d in shape):
            raise ValueError(f"Normalization '{self.name}': the kept axes {keep} must have a "
                             f"known size; received input shape {input_shape}")  # fmt: skip
        given = None
        if self.input_mean is not None:  # checked before any weight exists
            given = (self._given("mean", self.input_mean, input_shape, keep),
                     self._given("variance", self.input_variance, input_shape, keep))  # fmt: skip
        self.mean = self.add_weight("mean", shape, "zeros", trainable=False)
        self.variance = self.add_weight("variance", shape, "ones", trainable=False)
        self.count = self.add_weight("count", (), "zeros", dtype="int64", trainable=False)
        if given is not None:
            self.mean.assign(given[0])
            self.variance.assign(given[1])
        if keep:  # axis=None: one scalar μ and σ² fit inputs of any shape
            self.input_spec = InputSpec(ndim=len(input_shape),
                                        axes={d: input_shape[d] for d in keep})  # fmt: skip
        self.built = True

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, batch_size=None) -> None:
        """Compute μ and σ² from the training data (call it once, before ``fit``).

        The data is read batch by batch and the batches' statistics are merged
        exactly (Chan et al.'s parallel formula, in float64), so a dataset that
        does not fit in memory gives the same μ and σ² as the whole array.
        ``adapt`` starts afresh each time; nothing changes if it raises.

        Args:
            data: the training inputs: an array (``(n, …)``), a
                :class:`treino.data.Dataset` (its ``x``; ``(x, y)`` batches are
                fine) or any iterable of batches.
            batch_size: for an array, read it this many samples at a time
                (None: all at once). Not for datasets / iterables, which are
                already batched. Defaults to None.

        Raises:
            ValueError: NaN or inf in the data, no samples, data whose kept
                axes differ from what the layer was built for, or a layer
                given ``mean`` / ``variance``.
        """
        who = f"Normalization '{self.name}'.adapt"
        if self.input_mean is not None:
            raise ValueError(f"{who}: this layer was given mean and variance in its constructor; "
                             "create it without them to adapt it")  # fmt: skip
        count, mean, m2, first = 0, None, None, None
        for batch, where in self._adapt_batches(data, batch_size, who):
            x = self._adapt_array(batch, where, who)
            if first is None:
                first = x.shape
                keep, reduce_axes = self._axes(x.ndim)
                self._check_adapt_shape(x.shape, keep, who)
            elif x.ndim != len(first) or any(x.shape[d] != first[d] for d in keep):
                raise ValueError(f"{who}: every batch must have the shape of the first on the "
                                 f"kept axes {keep}; the first was {first}, {where} is "
                                 f"{x.shape}")  # fmt: skip
            n = math.prod(x.shape[d] for d in reduce_axes)
            if n == 0:
                continue
            batch_mean = x.mean(axis=reduce_axes)
            shape = tuple(x.shape[d] if d in keep else 1 for d in range(x.ndim))
            batch_m2 = np.square(x - batch_mean.reshape(shape)).sum(axis=reduce_axes)
            if count == 0:
                count, mean, m2 = n, batch_mean, batch_m2
            else:  # Chan, Golub & LeVeque: merge two (count, mean, sum of squared deviations)
                total = count + n
                delta = batch_mean - mean
                mean = mean + delta * (n / total)
                m2 = m2 + batch_m2 + np.square(delta) * (count * n / total)
                count = total
        if count == 0:
            raise ValueError(f"{who}: the data has no samples")
        if not self.built:
            self._build_from(tuple(first[d] if d in keep else None for d in range(len(first))))
        self.mean.assign(mean)
        self.variance.assign(m2 / count)
        self.count.assign(count)

    def _adapt_batches(self, data, batch_size, who):
        """``(batch, where)`` pairs: ``where`` names the batch in error messages."""
        if isinstance(data, Tensor):
            data = data.numpy()
        if isinstance(data, list | tuple) and data and not any(
            _is_array_like(b) or isinstance(b, Tensor) for b in data
        ):  # nested Python numbers: one array
            data = np.asarray(data)
        if _is_array_like(data):
            if batch_size is None or np.ndim(data) == 0:
                return [(data, 0)]
            if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or (
                batch_size <= 0
            ):
                raise ValueError(f"{who}: batch_size must be a positive integer or None; "
                                 f"received batch_size={batch_size!r}")  # fmt: skip
            return ((data[i:i + batch_size], i) for i in range(0, len(data), batch_size))
        if batch_size is not None:
            raise ValueError(
                f"{who}: batch_size is for arrays; a Dataset or an iterable of batches is "
                f"already batched (received batch_size={batch_size})"
            )
        if isinstance(data, dict) or not hasattr(data, "__iter__"):
            raise TypeError(f"{who}: expected an array, a Dataset or an iterable of batches; "
                            f"received {type(data).__name__}")  # fmt: skip
        return ((unpack(b)[0] if isinstance(b, tuple) else b, f"batch {i}")
                for i, b in enumerate(data))  # fmt: skip

    @staticmethod
    def _adapt_array(batch, where, who) -> np.ndarray:
        """One batch as a float64 array of finite numbers."""
        if isinstance(batch, Tensor):
            batch = batch.numpy()
        if isinstance(batch, dict) or (
            isinstance(batch, list) and any(_is_array_like(b) for b in batch)
        ):
            name = where if isinstance(where, str) else "the data"
            raise TypeError(f"{who}: Normalization takes one input array; {name} is a "
                            f"{type(batch).__name__} of arrays")  # fmt: skip
        x = np.asarray(batch)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"{who}: the data must hold numbers; received dtype {x.dtype}")
        if x.ndim == 0:
            raise ValueError(f"{who}: the data must be an array of samples (first axis = "
                             "samples); received a scalar")  # fmt: skip
        x = x.astype(np.float64, copy=False)
        if not np.isfinite(x).all():
            bad = np.argwhere(~np.isfinite(x))[0]
            if isinstance(where, int):  # a slice of one array: the index in the whole array
                place = f"data[{', '.join(str(int(i)) for i in (bad[0] + where, *bad[1:]))}]"
            else:
                place = f"{where}, index [{', '.join(str(int(i)) for i in bad)}]"
            raise ValueError(f"{who}: the data holds non-finite values, e.g. {place} = "
                             f"{x[tuple(bad)]}; clean or impute the data first")  # fmt: skip
        return x

    def _check_adapt_shape(self, shape, keep, who) -> None:
        """Data for a built layer must match it on the kept axes (the features)."""
        if not self.built or self.input_spec is None:  # axis=None: any shape
            return
        built_ndim = self.input_spec.ndim
        expected = self.mean.shape
        received = tuple(shape[d] for d in keep)
        if len(shape) != built_ndim or received != expected:
            raise ValueError(
                f"{who}: the layer was built for inputs with {built_ndim} dimensions and "
                f"statistics of shape {expected} (axis={self.axis}); received data of shape "
                f"{tuple(shape)}, which gives {received}"
            )

    # ------------------------------------------------------------------- call
    def call(self, inputs):
        if self.input_mean is None and int(self.count.data) == 0:
            raise ValueError(
                f"Normalization '{self.name}' has no statistics yet: call "
                f"{self.name}.adapt(x_train) first (or pass mean= and variance=)"
            )
        shape = self._broadcast_shape(inputs.ndim)
        mean = ops.reshape(self.mean, shape)
        std = ops.maximum(ops.sqrt(ops.reshape(self.variance, shape)), EPSILON)
        if self.invert:
            return inputs * std + mean
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        """Keras's config; ``mean`` / ``variance`` are lists only when given to the constructor
        (adapted statistics travel as weights)."""
        given = self.input_mean is not None
        return {
            **super().get_config(),
            "axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis,
            "invert": self.invert,
            "mean": _jsonable(self.input_mean) if given else None,
            "variance": _jsonable(self.input_variance) if given else None,
        }


class Rescaling(Layer):
    """Multiplies by ``scale`` and adds ``offset``: ``y = x · scale + offset``.

    The usual first layer for images: ``Rescaling(1/255)`` maps pixels from
    [0, 255] to [0, 1], ``Rescaling(1/127.5, offset=-1)`` to [-1, 1]. Integer
    inputs (``uint8`` pixels) are converted to the layer's dtype first. The
    numbers are fixed (no weights, nothing to adapt).

    Args:
        scale: a number, or one per channel (an array that broadcasts
            against the input, e.g. ``(C,)`` for ``(N, H, W, C)`` images).
        offset: a number or an array, as ``scale``. Defaults to 0.0.

    Input shape: any. Output shape: as the input.

    Example:
        >>> import numpy as np
        >>> Rescaling(1 / 255)(np.array([[0, 51, 255]], dtype=np.uint8)).numpy()
        array([[0. , 0.2, 1. ]], dtype=float32)
        >>> Rescaling(2.0, offset=-1.0)(np.array([[0.0, 0.5, 1.0]])).numpy()
        array([[-1.,  0.,  1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _jsonable(_finite_numbers("Rescaling", "scale", scale))
        self.offset = _jsonable(_finite_numbers("Rescaling", "offset", offset))

    def build(self, input_shape) -> None:
        for name in ("scale", "offset"):
            shape = np.shape(getattr(self, name))
            trailing = zip(shape[::-1], input_shape[::-1], strict=False)  # as broadcasting
            fits = len(shape) <= len(input_shape) and all(
                s == 1 or d is None or s == d for s, d in trailing
            )
            if not fits:
                raise ValueError(
                    f"Rescaling '{self.name}': {name} of shape {shape} does not broadcast "
                    f"against inputs of shape {tuple(input_shape)}"
                )
        self.built = True

    def call(self, inputs):
        scale = np.asarray(self.scale, dtype=self.dtype)
        offset = np.asarray(self.offset, dtype=self.dtype)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
