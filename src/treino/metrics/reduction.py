"""Running sums and means: ``Sum``, ``Mean`` and ``MeanMetricWrapper``.

``Mean`` keeps two sums, total = Σ wᵢ·vᵢ and count = Σ wᵢ, and reports
total / count. The training loop tracks the loss with it: after
``update_state(loss_of_batch, sample_weight=batch_size)`` for every batch the
result is the exact per-sample mean over the epoch, even when the last batch is
smaller.
"""

from __future__ import annotations

import numpy as np

from treino.autograd import Tensor
from treino.metrics.base import (
    Metric,
    check_inputs,
    divide_no_nan,
    squeeze_or_expand,
    to_array,
    weights_array,
)


def reduce_to_samplewise(owner: str, values, sample_weight, reduce_fn, dtype) -> tuple:
    """Keras's ``reduce_to_samplewise_values``: one value (and one weight) per sample.

    The weights are aligned with the values (a trailing axis of size 1 squeezed
    or expanded); values with more axes than the weights are first reduced over
    the extra axes; then values become vᵢ·wᵢ, and both are reduced over every
    axis but the first.

    Returns:
        ``(values, weights)``; ``weights`` is None when ``sample_weight`` is.
    """
    if sample_weight is None and type(values) is np.ndarray and values.ndim == 1 \
            and values.dtype.kind == "f":  # fmt: skip
        return values.astype(dtype, copy=False), None  # the common case: nothing to align
    values = to_array(owner, "values", values, allow_nan=True).astype(dtype, copy=False)
    weights = None
    if sample_weight is not None:
        weights = weights_array(owner, sample_weight, dtype)
        given = weights.shape
        values, weights = squeeze_or_expand(values, weights)
        if values.ndim > weights.ndim:
            values = reduce_fn(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                f"{owner}: sample_weight of shape {given} does not match the values of shape "
                f"{values.shape}; expected a scalar or one weight per sample"
            ) from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce_fn(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """The (weighted) sum of the values: total = Σᵢ wᵢ·vᵢ.

    Args:
        name: defaults to ``"sum"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = Sum()
        >>> m.update_state([1, 3, 5, 7])
        >>> m.result()
        16.0
        >>> m.update_state([1, 1], sample_weight=[2, 0])
        >>> m.result()
        18.0
    """

    state_names = ("total",)

    def update_state(self, values, sample_weight=None) -> None:
        """Add Σ wᵢ·vᵢ (values of any shape; per-sample weights broadcast as in Keras)."""
        values, _ = reduce_to_samplewise(
            type(self).__name__, values, sample_weight, np.sum, self.state_dtype
        )
        self.total = self.total + np.sum(values)

    def result(self) -> float:
        return float(self.total)


class Mean(Metric):
    """The weighted running mean: Σᵢ wᵢ·vᵢ / Σᵢ wᵢ (0 before any value).

    The state is the two sums ``total`` and ``count``. Values with several axes
    are first averaged per sample (over all axes but the first), as Keras does.
    Weights align with the leading axes of the values: with one weight per
    sample each sample counts wᵢ; with a scalar weight w the batch's mean
    counts once, with weight w — which is how the training loop feeds the
    loss (the batch's mean loss, weighted by the batch size).

    Args:
        name: defaults to ``"mean"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = Mean(name="loss")
        >>> m.update_state(0.5, sample_weight=32)  # mean loss of a batch of 32
        >>> m.update_state(2.0, sample_weight=8)   # a last, smaller batch
        >>> m.result()  # (0.5·32 + 2·8) / 40
        0.8
        >>> m.reset_state(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    state_names = ("total", "count")

    def update_state(self, values, sample_weight=None) -> None:
        """Add Σ wᵢ·vᵢ to total and Σ wᵢ (the number of samples if unweighted) to count."""
        if type(values) is float and type(sample_weight) is int:  # the loop's loss of a batch
            self.total = self.total + values * sample_weight
            self.count = self.count + sample_weight
            return
        values, weights = reduce_to_samplewise(
            type(self).__name__, values, sample_weight, np.mean, self.state_dtype
        )
        unweighted = values.shape[0] if values.ndim else 1
        count = unweighted if weights is None else np.sum(weights)
        self.total = self.total + np.sum(values)
        self.count = self.count + count

    def result(self) -> float:
        return float(divide_no_nan(self.total, self.count))


class MeanMetricWrapper(Mean):
    """The weighted mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    ``fn`` returns one value per sample (or per entry, averaged per sample);
    the metric is Σᵢ wᵢ·fn(yᵢ, ŷᵢ) / Σᵢ wᵢ over everything seen. ``fn``
    receives NumPy arrays (a Tensor's ``.data``), already checked: numbers, no
    NaN, the same number of samples. Any function of ``treino.metrics`` or
    ``treino.losses`` works, as does your own.

    Args:
        fn: the per-sample function.
        name: defaults to ``fn.__name__``.
        dtype: state dtype. Defaults to None (float64).
        **kwargs: passed to ``fn`` on every call (and kept in the config).

    Example:
        >>> import numpy as np
        >>> def within_one(y_true, y_pred):
        ...     return np.mean(np.abs(y_true - y_pred) <= 1.0, axis=-1)
        >>> m = MeanMetricWrapper(within_one)
        >>> m.update_state([[1.0], [2.0], [3.0]], [[1.5], [4.0], [3.0]])
        >>> m.name, round(m.result(), 4)
        ('within_one', 0.6667)
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: fn must be callable; received {fn!r}")
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    @property
    def fn(self):
        """The per-sample function."""
        return self._fn

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add the batch's per-sample values of ``fn`` (weighted by ``sample_weight``)."""
        owner = type(self).__name__
        checked = CHECKED.get(self._fn)
        if checked is not None:  # a function of this package: errors name this metric
            values = checked(owner, y_true, y_pred, **self._fn_kwargs)
        else:
            y_true, y_pred = check_inputs(owner, y_true, y_pred)
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if isinstance(values, Tensor):
            values = values.data
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            from treino.metrics import serialize_function  # the registry lives in __init__

            config["fn"] = serialize_function(self._fn)
        return {**config, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if cls is MeanMetricWrapper:
            from treino.metrics import deserialize_function

            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)


CHECKED: dict = {}
"""``{public function: implementation(owner, y_true, y_pred, **kwargs)}``.

:class:`MeanMetricWrapper` calls the implementation with the metric's class
name, so an error raised while computing ``BinaryAccuracy`` names
``BinaryAccuracy``, while the function called directly names itself.
"""


def checked_by(implementation):
    """Decorator: register ``implementation`` for the decorated public function in ``CHECKED``."""

    def register(fn):
        CHECKED[fn] = implementation
        return fn

    return register
