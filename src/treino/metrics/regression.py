"""Regression metrics: weighted means of the per-sample errors of :mod:`treino.losses`.

``MeanSquaredError`` reports Σᵢ wᵢ·MSEᵢ / Σᵢ wᵢ with MSEᵢ = mean over the
outputs of (ŷ − y)², and likewise for the others; ``RootMeanSquaredError`` is
the square root of the weighted mean of the squared errors. The per-sample
functions are those of :mod:`treino.losses` (one formula, one place).

A 1-D batch ``(N,)`` counts as N samples of one output each (Keras would
average it into one value per batch, so its epoch result would be a mean of
batch means).
"""

from __future__ import annotations

import numpy as np

from treino import losses
from treino.autograd import no_grad
from treino.metrics.base import same_shape
from treino.metrics.reduction import CHECKED, Mean, MeanMetricWrapper


def as_columns(y_true: np.ndarray, y_pred: np.ndarray) -> tuple:
    """A batch of scalars ``(N,)`` (or one scalar) as ``(N, 1)``: one sample per entry."""
    if y_pred.ndim < 2:
        return y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
    return y_true, y_pred


def _per_sample_loss(loss_fn):
    """The checked implementation of a per-sample loss of :mod:`treino.losses`, in float64."""

    def implementation(owner, y_true, y_pred):
        y_true, y_pred = as_columns(*same_shape(owner, y_true, y_pred))
        with no_grad():
            return loss_fn(y_true.astype(np.float64), y_pred.astype(np.float64)).data

    return implementation


for _fn in (
    losses.mean_squared_error,
    losses.mean_absolute_error,
    losses.mean_absolute_percentage_error,
    losses.mean_squared_logarithmic_error,
):
    CHECKED[_fn] = _per_sample_loss(_fn)


class MeanSquaredError(MeanMetricWrapper):
    """Weighted mean of the per-sample squared error: Σᵢ wᵢ·(1/D)Σⱼ(ŷᵢⱼ − yᵢⱼ)² / Σᵢ wᵢ.

    Args:
        name: defaults to ``"mean_squared_error"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.25
        >>> m.reset_state()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
        >>> m.result()
        0.5
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Weighted mean of the per-sample absolute error: Σᵢ wᵢ·(1/D)Σⱼ|ŷᵢⱼ − yᵢⱼ| / Σᵢ wᵢ.

    Args:
        name: defaults to ``"mean_absolute_error"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = MeanAbsoluteError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.25
        >>> m.reset_state()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
        >>> m.result()
        0.5
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Weighted mean of the per-sample 100·(1/D)Σⱼ|yᵢⱼ − ŷᵢⱼ| / max(|yᵢⱼ|, ε).

    Args:
        name: defaults to ``"mean_absolute_percentage_error"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = MeanAbsolutePercentageError()
        >>> m.update_state([[1.0, 2.0]], [[1.5, 1.0]])
        >>> m.result()
        50.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Weighted mean of the per-sample (1/D)Σⱼ(ln(1 + ŷᵢⱼ) − ln(1 + yᵢⱼ))².

    Args:
        name: defaults to ``"mean_squared_logarithmic_error"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
        >>> m.result()
        0.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """√(weighted mean of the squared errors): √(Σᵢ wᵢ·(1/D)Σⱼ(ŷᵢⱼ − yᵢⱼ)² / Σᵢ wᵢ).

    The state is that of a :class:`~treino.metrics.reduction.Mean` of the
    squared errors, so the root is taken only at the end (the RMSE of the whole
    data, not a mean of batch RMSEs).

    Args:
        name: defaults to ``"root_mean_squared_error"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.5
        >>> m.reset_state()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
        >>> round(m.result(), 7)
        0.7071068
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add the batch's squared errors (y_pred − y_true)², averaged per sample."""
        y_true, y_pred = same_shape(type(self).__name__, y_true, y_pred)
        y_true, y_pred = as_columns(y_true, y_pred)
        error = y_pred.astype(np.float64) - y_true.astype(np.float64)
        super().update_state(error * error, sample_weight=sample_weight)

    def result(self) -> float:
        return float(np.sqrt(super().result()))
