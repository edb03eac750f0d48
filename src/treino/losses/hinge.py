"""Hinge losses (the margin losses of support vector machines).

Notation: y is the target, ŷ the prediction (a score, not a probability), N the
number of samples. ``hinge`` and ``squared_hinge`` expect y ∈ {−1, 1}; labels
given as {0, 1} are converted with y ← 2y − 1, as Keras does (only when every
label is 0 or 1).
"""

from __future__ import annotations

import numpy as np

from treino import ops
from treino.autograd import Tensor
from treino.losses.base import BuiltinLoss, prepare

# ------------------------------------------------------------------ kernels


def _signed_labels(y_true):
    """{0, 1} labels become {−1, 1}; labels already in {−1, 1} (or others) stay as they are."""
    data = y_true.data
    if np.all((data == 0) | (data == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _hinge(y_true, y_pred):
    return ops.mean(ops.relu(1.0 - _signed_labels(y_true) * y_pred), axis=-1)


def _squared_hinge(y_true, y_pred):
    return ops.mean(ops.square(ops.relu(1.0 - _signed_labels(y_true) * y_pred)), axis=-1)


def _categorical_hinge(y_true, y_pred):
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(negative - positive + 1.0)


# ---------------------------------------------------------------- functions
def hinge(y_true, y_pred) -> Tensor:
    """Hinge loss of each sample: Lₙ = (1/D) Σⱼ max(0, 1 − yₙⱼ·ŷₙⱼ).

    Zero once a score is on the right side with margin 1 (y·ŷ ≥ 1).

    Args:
        y_true: labels in {−1, 1} (or {0, 1}, converted), shape ``(N, ..., D)``.
        y_pred: scores, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> hinge([[1.0, -1.0]], [[0.5, -2.0]])
        tensor([0.25], dtype=float32)
    """
    y_true, y_pred, _ = prepare("hinge", y_true, y_pred)
    return _hinge(y_true, y_pred)


def squared_hinge(y_true, y_pred) -> Tensor:
    """Squared hinge loss of each sample: Lₙ = (1/D) Σⱼ max(0, 1 − yₙⱼ·ŷₙⱼ)².

    Args:
        y_true: labels in {−1, 1} (or {0, 1}, converted), shape ``(N, ..., D)``.
        y_pred: scores, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> squared_hinge([[1.0, 0.0]], [[0.5, 1.0]])
        tensor([2.125], dtype=float32)
    """
    y_true, y_pred, _ = prepare("squared_hinge", y_true, y_pred)
    return _squared_hinge(y_true, y_pred)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """Categorical hinge loss of each sample, for one-hot targets.

    Lₙ = max(0, 1 + max_c (1 − yₙc)·ŷₙc − Σ_c yₙc·ŷₙc): the best wrong-class score
    must trail the true-class score by a margin of 1.

    Args:
        y_true: one-hot targets, shape ``(N, C)``.
        y_pred: scores, same shape.

    Returns:
        The per-sample losses, shape ``(N,)``.

    Example:
        >>> categorical_hinge([[0.0, 1.0, 0.0]], [[0.3, 0.8, 0.6]])
        tensor([0.8], dtype=float32)
    """
    y_true, y_pred, _ = prepare("categorical_hinge", y_true, y_pred)
    return _categorical_hinge(y_true, y_pred)


# ------------------------------------------------------------------ classes
class Hinge(BuiltinLoss):
    """Hinge loss (``'hinge'``): L = (1/N) Σₙ (1/D) Σⱼ max(0, 1 − yₙⱼ·ŷₙⱼ).

    Labels in {−1, 1}; {0, 1} labels are converted (y ← 2y − 1). The gradient is
    −y/(N·D) where the margin is violated (y·ŷ < 1) and 0 elsewhere.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"hinge"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> Hinge()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).item()
        1.3
    """

    default_name = "hinge"
    function = staticmethod(_hinge)


class SquaredHinge(BuiltinLoss):
    """Squared hinge loss (``'squared_hinge'``): L = (1/N) Σₙ (1/D) Σⱼ max(0, 1 − yₙⱼ·ŷₙⱼ)².

    Labels in {−1, 1}; {0, 1} labels are converted (y ← 2y − 1). Smooth at the
    margin, and it punishes large violations more than :class:`Hinge`.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"squared_hinge"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> round(SquaredHinge()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).item(), 2)
        1.86
    """

    default_name = "squared_hinge"
    function = staticmethod(_squared_hinge)


class CategoricalHinge(BuiltinLoss):
    """Categorical hinge loss (``'categorical_hinge'``), for one-hot targets.

    L = (1/N) Σₙ max(0, 1 + max_c (1 − yₙc)·ŷₙc − Σ_c yₙc·ŷₙc).

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"categorical_hinge"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> round(CategoricalHinge()([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]).item(), 2)
        1.4
    """

    default_name = "categorical_hinge"
    function = staticmethod(_categorical_hinge)
