"""Thresholded confusion counts, and the metrics built on them: Precision, Recall, TP/FP/TN/FN.

For a threshold t, every entry (yⱼ, ŷⱼ) with weight wⱼ is counted as

=================  ==========================  =====================
count              label yⱼ (cast to bool)     prediction
=================  ==========================  =====================
true positives     yⱼ ≠ 0                      ŷⱼ > t
false positives    yⱼ = 0                      ŷⱼ > t
true negatives     yⱼ = 0                      ŷⱼ ≤ t
false negatives    yⱼ ≠ 0                      ŷⱼ ≤ t
=================  ==========================  =====================

each count being Σ wⱼ over its entries, one count per threshold (Keras's
``update_confusion_matrix_variables``). Counts are sums, so they add up exactly
over batches; Precision, Recall and AUC are computed from them at the end.
"""

from __future__ import annotations

import numpy as np

from treino.metrics.base import (
    Metric,
    as_result,
    broadcast_weights,
    check_positive_int,
    divide_no_nan,
    same_shape,
)

NEG_INF = -1e10
"""The threshold Keras uses with ``top_k`` (every kept prediction is above it)."""

COUNT_NAMES = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def parse_thresholds(owner: str, thresholds, default) -> list:
    """``thresholds`` (a number or a list of numbers in [0, 1]) as a list of floats."""
    if thresholds is None:
        return [float(default)]
    values = list(thresholds) if isinstance(thresholds, list | tuple | np.ndarray) else [thresholds]
    if not values or any(
        isinstance(t, bool) or not isinstance(t, int | float | np.number) or not 0 <= t <= 1
        for t in values
    ):
        raise ValueError(
            f"{owner}: thresholds must be a number or a list of numbers in [0, 1]; "
            f"received thresholds={thresholds!r}"
        )
    return [float(t) for t in values]


def confusion_counts(labels, preds, weights, thresholds) -> dict:
    """Weighted TP, FP, TN, FN for every threshold and every column.

    Args:
        labels: booleans, shape ``(N, L)`` (L columns counted separately).
        preds: predictions, shape ``(N, L)``.
        weights: weights, shape ``(N, L)``.
        thresholds: shape ``(T,)``.

    Returns:
        ``{"true_positives": (T, L), ...}``. Sorting each column once, the
        entries above threshold t are the last ones, found with a binary
        search: O(N log N + T log N), not the O(T·N) of comparing all pairs.
    """
    order = np.argsort(preds, axis=0, kind="stable")
    sorted_preds = np.take_along_axis(preds, order, axis=0)
    pos = np.take_along_axis(weights * labels, order, axis=0)
    neg = np.take_along_axis(weights * ~labels, order, axis=0)
    zero = np.zeros((1, preds.shape[1]))
    # *_below[i] = Σ of the weights of the i smallest predictions.
    pos_below = np.concatenate([zero, np.cumsum(pos, axis=0)])
    neg_below = np.concatenate([zero, np.cumsum(neg, axis=0)])
    # For each threshold, how many predictions are ≤ it (those are predicted negative).
    at_or_below = np.stack(
        [np.searchsorted(column, thresholds, side="right") for column in sorted_preds.T], axis=1
    )
    columns = np.arange(preds.shape[1])
    false_negatives = pos_below[at_or_below, columns]
    true_negatives = neg_below[at_or_below, columns]
    return {
        "true_positives": pos_below[-1] - false_negatives,
        "false_positives": neg_below[-1] - true_negatives,
        "true_negatives": true_negatives,
        "false_negatives": false_negatives,
    }


def top_k_mask(y_pred: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest predictions of the last axis, set the others to ``NEG_INF``.

    Ties go to the lower index, as ``ops.top_k``.
    """
    k = min(k, y_pred.shape[-1])
    top = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(y_pred.shape, dtype=bool)
    np.put_along_axis(keep, top, True, axis=-1)
    return np.where(keep, y_pred, NEG_INF)


class ThresholdedCounts(Metric):
    """Base of the metrics that keep thresholded confusion counts (see the module doc).

    Subclasses name the counts they keep in ``state_names`` and compute their
    result from them. ``_prepare`` turns a batch into ``(labels, preds,
    weights)`` arrays of shape ``(N, L)``: here one column (everything
    flattened), as Keras does unless ``multi_label``.
    """

    def __init__(self, thresholds_array, name=None, dtype=None):
        self._thresholds = np.asarray(thresholds_array, dtype=np.float64)
        self._state_shape = (len(self._thresholds),)
        super().__init__(name=name, dtype=dtype)

    def _align(self, y_true, y_pred, sample_weight):
        """Shapes aligned (trailing axis of size 1), weights spread over every entry."""
        owner = type(self).__name__
        y_true, y_pred = same_shape(owner, y_true, y_pred)
        y_pred = y_pred.astype(np.float64, copy=False)
        if sample_weight is None:
            weights = np.ones(y_pred.shape)
        else:
            weights = broadcast_weights(owner, sample_weight, y_pred.shape, np.float64)
        return y_true != 0, y_pred, weights

    def _prepare(self, y_true, y_pred, sample_weight):
        labels, preds, weights = self._align(y_true, y_pred, sample_weight)
        return labels.reshape(-1, 1), preds.reshape(-1, 1), weights.reshape(-1, 1)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add the batch's weighted confusion counts at every threshold."""
        labels, preds, weights = self._prepare(y_true, y_pred, sample_weight)
        counts = confusion_counts(labels, preds, weights, self._thresholds)
        if self._state_shape is None:
            self._build_state((len(self._thresholds), preds.shape[1]))
        for key in self.state_names:
            counts_of_key = counts[key].reshape(self._state_shape)
            setattr(self, key, getattr(self, key) + counts_of_key.astype(self.state_dtype))

    @property
    def thresholds(self) -> list:
        """The thresholds, as a list of floats."""
        return self._thresholds.tolist()


class _SingleCount(ThresholdedCounts):
    """One confusion count (Keras's ``_ConfusionMatrixConditionCount``)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        parsed = parse_thresholds(type(self).__name__, thresholds, default=0.5)
        super().__init__(parsed, name=name, dtype=dtype)

    def result(self):
        """The weighted count (an array with one count per threshold when several)."""
        count = getattr(self, self.state_names[0])
        return as_result(count[0] if len(count) == 1 else count)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_SingleCount):
    """The (weighted) number of true positives: Σ w over entries with y ≠ 0 and ŷ > t.

    Args:
        thresholds: a number or a list of numbers in [0, 1]; ŷ > t predicts
            positive (one count per threshold). Defaults to None (0.5).
        name: defaults to ``"true_positives"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        2.0
    """

    state_names = ("true_positives",)


class FalsePositives(_SingleCount):
    """The (weighted) number of false positives: Σ w over entries with y = 0 and ŷ > t.

    Args:
        thresholds: a number or a list of numbers in [0, 1]. Defaults to None (0.5).
        name: defaults to ``"false_positives"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> m.result()
        1.0
    """

    state_names = ("false_positives",)


class TrueNegatives(_SingleCount):
    """The (weighted) number of true negatives: Σ w over entries with y = 0 and ŷ ≤ t.

    Args:
        thresholds: a number or a list of numbers in [0, 1]. Defaults to None (0.5).
        name: defaults to ``"true_negatives"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    state_names = ("true_negatives",)


class FalseNegatives(_SingleCount):
    """The (weighted) number of false negatives: Σ w over entries with y ≠ 0 and ŷ ≤ t.

    Args:
        thresholds: a number or a list of numbers in [0, 1]. Defaults to None (0.5).
        name: defaults to ``"false_negatives"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> m.result()
        2.0
    """

    state_names = ("false_negatives",)


class _PrecisionRecall(ThresholdedCounts):
    """Shared by Precision and Recall: thresholds, ``top_k`` and ``class_id``."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else check_positive_int(owner, "top_k", top_k)
        if class_id is not None and (
            isinstance(class_id, bool) or not isinstance(class_id, int | np.integer) or class_id < 0
        ):
            raise ValueError(
                f"{owner}: class_id must be a non-negative integer; received class_id={class_id!r}"
            )
        self.class_id = None if class_id is None else int(class_id)
        default = 0.5 if top_k is None else NEG_INF
        super().__init__(parse_thresholds(owner, thresholds, default), name=name, dtype=dtype)

    def _prepare(self, y_true, y_pred, sample_weight):
        labels, preds, weights = self._align(y_true, y_pred, sample_weight)
        if self.top_k is not None:
            preds = top_k_mask(preds, self.top_k)
        if self.class_id is not None:
            if preds.ndim < 2 or self.class_id >= preds.shape[-1]:
                raise ValueError(
                    f"{type(self).__name__}: class_id={self.class_id} needs y_pred of shape "
                    f"(num_samples, num_classes > {self.class_id}); received y_pred.shape="
                    f"{preds.shape}"
                )
            pick = (..., slice(self.class_id, self.class_id + 1))
            labels, preds, weights = labels[pick], preds[pick], weights[pick]
        return labels.reshape(-1, 1), preds.reshape(-1, 1), weights.reshape(-1, 1)

    def _ratio(self, numerator, other):
        value = divide_no_nan(numerator, numerator + other)
        return as_result(value[0] if len(value) == 1 else value)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """Of the entries predicted positive, the fraction that are: precision = TP / (TP + FP).

    A prediction is positive when ŷ > threshold (0 when nothing is predicted
    positive). With ``top_k``, only the k largest predictions of each sample
    count as positive; with ``class_id``, only that column is scored.

    Args:
        thresholds: a number or a list of numbers in [0, 1] (a list gives one
            precision per threshold, as an array). Use 0 for logits. Defaults to
            None (0.5, or no threshold with ``top_k``).
        top_k: score only each sample's k largest predictions. Defaults to None.
        class_id: score only this class (column of ``y_pred``). Defaults to None.
        name: defaults to ``"precision"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 7)
        0.6666667
        >>> m.reset_state()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> m.result()
        1.0
        >>> m = Precision(top_k=2)  # the two largest of [1, 1, 1, 1] are the first two
        >>> m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
        >>> m.result()
        0.0
    """

    state_names = ("true_positives", "false_positives")

    def result(self):
        """TP / (TP + FP): a float (an array with several thresholds)."""
        return self._ratio(self.true_positives, self.false_positives)


class Recall(_PrecisionRecall):
    """Of the positive entries, the fraction predicted positive: recall = TP / (TP + FN).

    Same arguments as :class:`Precision` (0 when there are no positives).

    Args:
        thresholds: a number or a list of numbers in [0, 1]. Defaults to None
            (0.5, or no threshold with ``top_k``).
        top_k: score only each sample's k largest predictions. Defaults to None.
        class_id: score only this class (column of ``y_pred``). Defaults to None.
        name: defaults to ``"recall"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 7)
        0.6666667
        >>> m.reset_state()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> m.result()
        1.0
    """

    state_names = ("true_positives", "false_negatives")

    def result(self):
        """TP / (TP + FN): a float (an array with several thresholds)."""
        return self._ratio(self.true_positives, self.false_negatives)
