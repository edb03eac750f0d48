"""Accuracy metrics: the fraction of samples predicted right (Keras 3 semantics).

Each comes as a per-sample function (1.0 for a hit, 0.0 for a miss) and as a
:class:`~treino.metrics.reduction.MeanMetricWrapper` class that averages it,
weighted by ``sample_weight``: accuracy = Σᵢ wᵢ·hitᵢ / Σᵢ wᵢ.

=================================  =================================================
class                              a hit when
=================================  =================================================
``Accuracy``                       y == ŷ exactly (labels against labels)
``BinaryAccuracy``                 y == [ŷ > threshold] (probabilities, threshold 0.5)
``CategoricalAccuracy``            argmax y == argmax ŷ (one-hot targets)
``SparseCategoricalAccuracy``      y == argmax ŷ (integer targets)
``TopKCategoricalAccuracy``        argmax y is among the k largest ŷ
``SparseTopKCategoricalAccuracy``  y is among the k largest ŷ
=================================  =================================================

``y_pred`` are the model's outputs. For logits, move the threshold (logit 0 is
probability 0.5: ``BinaryAccuracy(threshold=0.0)``); the argmax-based metrics
give the same answer for logits and probabilities.
"""

from __future__ import annotations

import numpy as np

from treino.metrics.base import check_inputs, check_labels, check_positive_int, same_shape
from treino.metrics.reduction import MeanMetricWrapper, checked_by

_ONE_HOT_HINT = "; for integer class labels use the Sparse* variant"


# ------------------------------------------------------------ implementations
def _per_sample_hits(hits):
    """The fraction of hits over the last axis; 1-D input is one entry per sample.

    (Keras averages a 1-D batch into a single value, so its epoch result is a
    mean of batch means; here each entry counts, so batches of any size add up.)
    """
    return np.mean(hits, axis=-1) if hits.ndim >= 2 else hits * 1.0


def _accuracy(owner, y_true, y_pred):
    y_true, y_pred = same_shape(owner, y_true, y_pred)
    return _per_sample_hits(y_true == y_pred)


def _binary_accuracy(owner, y_true, y_pred, threshold=0.5):
    y_true, y_pred = same_shape(owner, y_true, y_pred)
    return _per_sample_hits(y_true == (y_pred > threshold))


def sparse_labels(owner, y_true, y_pred):
    """Integer labels of shape ``y_pred.shape[:-1]`` (a trailing axis of size 1 dropped)."""
    y_true, y_pred = check_inputs(owner, y_true, y_pred)
    if y_pred.ndim < 1:
        raise ValueError(f"{owner}: y_pred must have a class axis; received a scalar")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"{owner}: expected integer labels y_true of shape {y_pred.shape[:-1]} (or "
            f"{(*y_pred.shape[:-1], 1)}) for y_pred of shape {y_pred.shape}; received "
            f"y_true.shape={y_true.shape}"
        )
    return check_labels(owner, "y_true", y_true, y_pred.shape[-1]), y_pred


def _one_hot_labels(owner, y_true, y_pred):
    y_true, y_pred = check_inputs(owner, y_true, y_pred)
    if y_true.shape != y_pred.shape or y_pred.ndim < 1:
        raise ValueError(
            f"{owner}: expected one-hot y_true of the shape of y_pred; received "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}{_ONE_HOT_HINT}"
        )
    return np.argmax(y_true, axis=-1), y_pred


def _categorical_accuracy(owner, y_true, y_pred):
    labels, y_pred = _one_hot_labels(owner, y_true, y_pred)
    return (labels == np.argmax(y_pred, axis=-1)) * 1.0


def _sparse_categorical_accuracy(owner, y_true, y_pred):
    labels, y_pred = sparse_labels(owner, y_true, y_pred)
    return (labels == np.argmax(y_pred, axis=-1)) * 1.0


def in_top_k(labels, y_pred, k):
    """Whether each label is among the k largest scores (ties at the boundary count in).

    As Keras: label c is in the top k when fewer than k scores are strictly
    greater than ŷ_c.
    """
    at_label = np.take_along_axis(y_pred, labels[..., None], axis=-1)
    return np.sum(y_pred > at_label, axis=-1) < k


def _top_k_categorical_accuracy(owner, y_true, y_pred, k=5):
    labels, y_pred = _one_hot_labels(owner, y_true, y_pred)
    return in_top_k(labels, y_pred, check_positive_int(owner, "k", k)) * 1.0


def _sparse_top_k_categorical_accuracy(owner, y_true, y_pred, k=5):
    labels, y_pred = sparse_labels(owner, y_true, y_pred)
    return in_top_k(labels, y_pred, check_positive_int(owner, "k", k)) * 1.0


# --------------------------------------------------------------- functions
@checked_by(_accuracy)
def accuracy(y_true, y_pred):
    """Per sample, the fraction of entries where y == ŷ exactly.

    Example:
        >>> accuracy([[1], [2], [3], [4]], [[0], [2], [3], [4]]).tolist()
        [0.0, 1.0, 1.0, 1.0]
    """
    return _accuracy("accuracy", y_true, y_pred)


@checked_by(_binary_accuracy)
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per sample, the fraction of entries where y == [ŷ > threshold].

    Example:
        >>> binary_accuracy([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]).tolist()
        [1.0, 1.0, 1.0, 0.0]
    """
    return _binary_accuracy("binary_accuracy", y_true, y_pred, threshold)


@checked_by(_categorical_accuracy)
def categorical_accuracy(y_true, y_pred):
    """Per sample, 1.0 where argmax y == argmax ŷ (one-hot y; ties go to the first).

    Example:
        >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        array([0., 1.])
    """
    return _categorical_accuracy("categorical_accuracy", y_true, y_pred)


@checked_by(_sparse_categorical_accuracy)
def sparse_categorical_accuracy(y_true, y_pred):
    """Per sample, 1.0 where the integer label y == argmax ŷ.

    Example:
        >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        array([0., 1.])
    """
    return _sparse_categorical_accuracy("sparse_categorical_accuracy", y_true, y_pred)


@checked_by(_top_k_categorical_accuracy)
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample, 1.0 where argmax y (one-hot y) is among the k largest ŷ.

    Example:
        >>> y_true, y_pred = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
        >>> top_k_categorical_accuracy(y_true, y_pred, k=1)
        array([0., 1.])
    """
    return _top_k_categorical_accuracy("top_k_categorical_accuracy", y_true, y_pred, k)


@checked_by(_sparse_top_k_categorical_accuracy)
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample, 1.0 where the integer label y is among the k largest ŷ.

    Example:
        >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=2)
        array([1., 1.])
    """
    return _sparse_top_k_categorical_accuracy(
        "sparse_top_k_categorical_accuracy", y_true, y_pred, k
    )


# ----------------------------------------------------------------- classes
class Accuracy(MeanMetricWrapper):
    """How often the predictions equal the labels exactly: Σᵢ wᵢ·[yᵢ = ŷᵢ] / Σᵢ wᵢ.

    For labels against labels (e.g. already thresholded predictions). Compiling
    with ``metrics=["accuracy"]`` picks a better-suited variant from the loss
    (see :func:`treino.metrics.resolve`).

    Args:
        name: defaults to ``"accuracy"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> m.result()
        0.75
        >>> m.reset_state()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        0.5
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``ŷ > threshold`` matches the 0/1 label: Σᵢ wᵢ·[yᵢ = [ŷᵢ > t]] / Σᵢ wᵢ.

    With several outputs per sample (multi-label), each sample counts the
    fraction of its outputs that are right.

    Args:
        name: defaults to ``"binary_accuracy"``.
        dtype: state dtype. Defaults to None (float64).
        threshold: ŷ > threshold predicts 1. Defaults to 0.5 (for probabilities;
            use 0.0 when the model outputs logits).

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> m.result()
        0.75
        >>> m.reset_state()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
        ...                sample_weight=[1, 0, 0, 1])
        >>> m.result()
        0.5
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
            raise ValueError(
                f"BinaryAccuracy: threshold must be a number; received threshold={threshold!r}"
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax ŷ is the class of the one-hot target: Σᵢ wᵢ·[argmax yᵢ = argmax ŷᵢ] / Σᵢ wᵢ.

    Args:
        name: defaults to ``"categorical_accuracy"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
        >>> m.reset_state()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        ...                sample_weight=[0.7, 0.3])
        >>> m.result()
        0.3
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax ŷ is the integer label: Σᵢ wᵢ·[yᵢ = argmax ŷᵢ] / Σᵢ wᵢ.

    ``y_true`` has shape ``(N,)`` or ``(N, 1)``; labels outside [0, C) raise.

    Args:
        name: defaults to ``"sparse_categorical_accuracy"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
        >>> m.reset_state()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
        >>> m.result()
        0.3
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target's class is among the k largest predictions.

    top-k accuracy = Σᵢ wᵢ·[#{c : ŷᵢc > ŷᵢ,yᵢ} < k] / Σᵢ wᵢ (ties at the
    boundary count as in the top k, as in Keras).

    Args:
        k: how many of the largest predictions count. Defaults to 5.
        name: defaults to ``"top_k_categorical_accuracy"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = check_positive_int(type(self).__name__, "k", k)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the k largest predictions (see TopKCategoricalAccuracy).

    Args:
        k: how many of the largest predictions count. Defaults to 5.
        name: defaults to ``"sparse_top_k_categorical_accuracy"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
        >>> m.reset_state()
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
        >>> m.result()
        0.3
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        k = check_positive_int(type(self).__name__, "k", k)
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
