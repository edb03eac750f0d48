"""The multi-class confusion matrix: a function, and a metric that accumulates it.

``cm[i, j]`` is the (weighted) number of samples whose **true** class is i
(rows) and whose **predicted** class is j (columns), as
``tf.math.confusion_matrix`` and ``sklearn.metrics.confusion_matrix``. So the
diagonal holds the hits, row i sums to the support of class i, and
accuracy = trace(cm) / Σ cm.

Labels may be given as integer classes, shape ``(N,)`` or ``(N, 1)``, or as
rows of scores, shape ``(N, K)`` (one-hot targets, probabilities or logits),
turned into classes by argmax. With two classes, a single column of
probabilities is thresholded: ŷ > 0.5 is class 1.
"""

from __future__ import annotations

import numpy as np

from treino.metrics.base import (
    Metric,
    broadcast_weights,
    check_inputs,
    check_labels,
    check_positive_int,
)


def _classes(owner: str, which: str, y: np.ndarray, num_classes: int, threshold) -> np.ndarray:
    """``y`` as integer classes of shape (N,), checked against ``num_classes``."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2:
        if y.shape[1] != num_classes:
            raise ValueError(
                f"{owner}: {which} has {y.shape[1]} columns; expected {num_classes} (one per "
                f"class) or class labels of shape (N,); received {which}.shape={y.shape}"
            )
        return np.argmax(y, axis=1)
    if y.ndim != 1:
        raise ValueError(
            f"{owner}: expected {which} of shape (N,), (N, 1) or (N, {num_classes}); received "
            f"{which}.shape={y.shape}"
        )
    if threshold is not None and num_classes == 2 and y.dtype.kind == "f":
        return (y > threshold).astype(np.int64)
    return check_labels(owner, which, y, num_classes)


def _count(owner, y_true, y_pred, num_classes, sample_weight, threshold) -> np.ndarray:
    """The (K, K) matrix of weighted counts of one batch (float64)."""
    y_true, y_pred = check_inputs(owner, y_true, y_pred)
    true = _classes(owner, "y_true", y_true, num_classes, None)
    pred = _classes(owner, "y_pred", y_pred, num_classes, threshold)
    if true.shape != pred.shape:
        raise ValueError(
            f"{owner}: expected one label per sample in both; received y_true.shape="
            f"{y_true.shape} and y_pred.shape={y_pred.shape}"
        )
    weights = None
    if sample_weight is not None:
        weights = broadcast_weights(owner, sample_weight, true.shape, np.float64)
    cells = true * num_classes + pred
    counts = np.bincount(cells, weights=weights, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.float64)


def _infer_num_classes(y_true: np.ndarray, y_pred: np.ndarray) -> int:
    """Widest score row, else 1 + the largest label (2 for a column of probabilities)."""
    num = 1
    for y in (y_true, y_pred):
        if y.ndim == 2 and y.shape[1] > 1:
            num = max(num, y.shape[1])
        elif y.size:
            flat = y.reshape(-1)
            if flat.dtype.kind == "f" and not np.all(flat == np.round(flat)):
                num = max(num, 2)  # binary probabilities
            else:
                num = max(num, int(flat.max()) + 1)
    return num


def confusion_matrix(y_true, y_pred, num_classes=None, sample_weight=None) -> np.ndarray:
    """The confusion matrix: ``cm[i, j]`` = number of samples of true class i predicted as j.

    Rows are the true classes, columns the predicted ones (see the module doc
    for the accepted label formats).

    Args:
        y_true: integer labels ``(N,)`` / ``(N, 1)``, or one-hot rows ``(N, K)``.
        y_pred: integer labels, or rows of scores ``(N, K)`` (argmax), or for
            two classes one column of probabilities (ŷ > 0.5 is class 1).
        num_classes: K. Defaults to None (inferred: the width of score rows, or
            1 + the largest label).
        sample_weight: one weight per sample (or a scalar). Defaults to None.

    Returns:
        A (K, K) array: int64 counts, or float64 weighted sums when
        ``sample_weight`` is given.

    Example:
        >>> confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1])
        array([[1, 0, 0],
               [0, 0, 1],
               [0, 1, 1]])
        >>> confusion_matrix([1, 0, 1], [[0.2, 0.8], [0.9, 0.1], [0.6, 0.4]])
        array([[1, 0],
               [1, 1]])
    """
    owner = "confusion_matrix"
    if num_classes is None:
        arrays = check_inputs(owner, y_true, y_pred)
        num_classes = _infer_num_classes(*arrays)
    num_classes = check_positive_int(owner, "num_classes", num_classes)
    counts = _count(owner, y_true, y_pred, num_classes, sample_weight, threshold=0.5)
    return counts if sample_weight is not None else counts.astype(np.int64)


class ConfusionMatrix(Metric):
    """The confusion matrix accumulated over batches (rows = true class, columns = predicted).

    ``result()`` is the (K, K) array of weighted counts (float); accuracy,
    per-class precision (column-normalised diagonal) and recall
    (row-normalised diagonal) all follow from it. Its state is the matrix
    itself, a sum.

    Args:
        num_classes: K, the number of classes.
        threshold: for two classes given as one column of probabilities,
            ŷ > threshold is class 1. Defaults to 0.5.
        name: defaults to ``"confusion_matrix"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = ConfusionMatrix(num_classes=3)
        >>> m.update_state([0, 1, 2], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.2, 0.2, 0.6]])
        >>> m.update_state([2], [1])
        >>> m.result()
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 1.]])
    """

    state_names = ("matrix",)

    def __init__(self, num_classes, threshold=0.5, name=None, dtype=None):
        self.num_classes = check_positive_int(type(self).__name__, "num_classes", num_classes)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
            raise ValueError(
                f"{type(self).__name__}: threshold must be a number; received {threshold!r}"
            )
        self.threshold = float(threshold)
        self._state_shape = (self.num_classes, self.num_classes)
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add the batch's (weighted) counts."""
        counts = _count(type(self).__name__, y_true, y_pred, self.num_classes, sample_weight,
                        self.threshold)  # fmt: skip
        self.matrix = self.matrix + counts.astype(self.state_dtype)

    def result(self) -> np.ndarray:
        """The (K, K) matrix of counts so far (a copy)."""
        return np.array(self.matrix)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes,
                "threshold": self.threshold}  # fmt: skip
