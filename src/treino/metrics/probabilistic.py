"""Cross-entropy metrics: weighted means of the per-sample cross-entropies of :mod:`treino.losses`.

They report the same number as the loss of the same name (without the
regularization penalties), averaged exactly over the epoch:
Σᵢ wᵢ·Lᵢ / Σᵢ wᵢ. Computed in float64, outside the autograd graph.
"""

from __future__ import annotations

import numpy as np

from treino import losses
from treino.autograd import no_grad
from treino.metrics.accuracy import sparse_labels
from treino.metrics.base import check_inputs, same_shape
from treino.metrics.reduction import CHECKED, MeanMetricWrapper
from treino.metrics.regression import as_columns


def _binary(owner, y_true, y_pred, **kwargs):
    y_true, y_pred = as_columns(*same_shape(owner, y_true, y_pred))
    with no_grad():
        return losses.binary_crossentropy(y_true, y_pred.astype(np.float64), **kwargs).data


def _categorical(owner, y_true, y_pred, **kwargs):
    y_true, y_pred = check_inputs(owner, y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{owner}: expected one-hot y_true of the shape of y_pred; received "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}; for integer class "
            "labels use SparseCategoricalCrossentropy"
        )
    with no_grad():
        return losses.categorical_crossentropy(y_true, y_pred.astype(np.float64), **kwargs).data


def _sparse(owner, y_true, y_pred, **kwargs):
    if kwargs.get("axis", -1) == -1:
        y_true, y_pred = sparse_labels(owner, y_true, y_pred)
    else:
        y_true, y_pred = check_inputs(owner, y_true, y_pred)
    with no_grad():
        return losses.sparse_categorical_crossentropy(
            y_true, y_pred.astype(np.float64), **kwargs
        ).data


CHECKED[losses.binary_crossentropy] = _binary
CHECKED[losses.categorical_crossentropy] = _categorical
CHECKED[losses.sparse_categorical_crossentropy] = _sparse


class BinaryCrossentropy(MeanMetricWrapper):
    """Weighted mean of the binary cross-entropy −(1/D)Σⱼ[y ln ŷ + (1 − y) ln(1 − ŷ)].

    Args:
        name: defaults to ``"binary_crossentropy"``.
        dtype: state dtype. Defaults to None (float64).
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; targets become y(1 − s) + s/2. Defaults to 0.

    Example:
        >>> m = BinaryCrossentropy()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(m.result(), 4)
        0.8149
    """

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0
    ):
        super().__init__(
            losses.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """Weighted mean of the categorical cross-entropy −Σ_c y_c ln ŷ_c (one-hot targets).

    Args:
        name: defaults to ``"categorical_crossentropy"``.
        dtype: state dtype. Defaults to None (float64).
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; targets become y(1 − s) + s/C. Defaults to 0.
        axis: the class axis. Defaults to -1.

    Example:
        >>> m = CategoricalCrossentropy()
        >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(m.result(), 4)
        1.1769
    """

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    ):
        super().__init__(
            losses.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=int(axis),
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Weighted mean of the sparse categorical cross-entropy −ln ŷ_y (integer targets).

    Args:
        name: defaults to ``"sparse_categorical_crossentropy"``.
        dtype: state dtype. Defaults to None (float64).
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        axis: the class axis. Defaults to -1.

    Example:
        >>> m = SparseCategoricalCrossentropy()
        >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(m.result(), 4)
        1.1769
    """

    def __init__(
        self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1
    ):
        super().__init__(
            losses.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            axis=int(axis),
        )
