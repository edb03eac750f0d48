"""F-scores: the (weighted) harmonic mean of precision and recall, per class (Keras 3)."""

from __future__ import annotations

import numpy as np

from treino.metrics.base import Metric, as_result, broadcast_weights, same_shape

EPSILON = 1e-7
_AVERAGES = (None, "micro", "macro", "weighted")


def _check_unit_float(owner: str, arg: str, value, low_open: float, high) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.number)
        or not (low_open < value and (high is None or value <= high))
    ):
        bound = "> 0" if high is None else f"in ]{low_open}, {high}]"
        raise ValueError(f"{owner}: {arg} must be a number {bound}; received {arg}={value!r}")
    return float(value)


class FBetaScore(Metric):
    """F-β score of each class, or their average, from per-class TP, FP and FN.

    A prediction counts as class c when ŷ_c > ``threshold`` (multi-label), or,
    with ``threshold=None``, when ŷ_c is the row's maximum (and non-zero). Then
    per class (ε = 1e-7, as Keras)

        precision = TP / (TP + FP + ε),  recall = TP / (TP + FN + ε)
        F_β = (1 + β²) · precision · recall / (β² · precision + recall + ε)

    ``average=None`` gives the array of per-class scores; ``"macro"`` their
    mean; ``"weighted"`` their mean weighted by each class's support (Σ y);
    ``"micro"`` pools the counts of all classes first.

    Inputs are ``(N, C)``: one-hot or multi-hot targets and the predictions.

    Args:
        average: None, ``"micro"``, ``"macro"`` or ``"weighted"``. Defaults to None.
        beta: β > 0, the weight of recall (β = 1 gives F1). Defaults to 1.0.
        threshold: ŷ > threshold predicts the class (in ]0, 1]). Defaults to None
            (the argmax of each row).
        name: defaults to ``"fbeta_score"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().round(6)
        array([0.384615, 0.909091, 0.833333])
    """

    state_names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        owner = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{owner}: average must be one of {_AVERAGES}; received {average!r}")
        self.average = average
        self.beta = _check_unit_float(owner, "beta", beta, 0.0, None)
        self.threshold = (
            None
            if threshold is None
            else _check_unit_float(owner, "threshold", threshold, 0.0, 1.0)
        )
        self._state_shape = () if average == "micro" else None
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add the batch's weighted per-class TP, FP, FN and support (Σ w·y)."""
        owner = type(self).__name__
        y_true, y_pred = same_shape(owner, y_true, y_pred)
        if y_pred.ndim != 2:
            raise ValueError(
                f"{owner}: expected inputs of shape (num_samples, num_classes); received "
                f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}"
            )
        built = self._state_shape not in (None, ())
        if built and self._state_shape != y_pred.shape[1:]:
            raise ValueError(
                f"{owner}: this metric has counted {self._state_shape[0]} classes; received "
                f"y_pred with {y_pred.shape[1]}"
            )
        dtype = self.state_dtype
        y_true = y_true.astype(dtype)
        if self.threshold is None:
            predicted = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(dtype)
        weights = 1.0
        if sample_weight is not None:
            weights = broadcast_weights(owner, sample_weight, y_pred.shape, dtype)
        axis = None if self.average == "micro" else 0
        sums = {
            "true_positives": predicted * y_true,
            "false_positives": predicted * (1 - y_true),
            "false_negatives": (1 - predicted) * y_true,
            "intermediate_weights": y_true,
        }
        sums = {key: np.sum(value * weights, axis=axis) for key, value in sums.items()}
        if self._state_shape is None:
            self._build_state(y_pred.shape[1:])
        for key, value in sums.items():
            setattr(self, key, getattr(self, key) + value)

    def result(self):
        """The per-class scores (an array), or their average (a float)."""
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta**2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            support = self.intermediate_weights
            score = np.sum(score * support / (np.sum(support) + EPSILON))
        elif self.average is not None:
            score = np.mean(score)
        return as_result(score)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score: the harmonic mean of precision and recall, F1 = 2·P·R / (P + R).

    :class:`FBetaScore` with β = 1 (see it for ``average`` and ``threshold``).

    Args:
        average: None (one score per class), ``"micro"``, ``"macro"`` or
            ``"weighted"``. Defaults to None.
        threshold: ŷ > threshold predicts the class. Defaults to None (argmax).
        name: defaults to ``"f1_score"``.
        dtype: state dtype. Defaults to None (float64).

    Example:
        >>> m = F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> m.result().round(6)
        array([0.5     , 0.8     , 0.666667])
        >>> m = F1Score(average="macro")  # argmax of each row
        >>> m.update_state([[0, 1], [1, 0], [1, 0]], [[0.3, 0.7], [0.6, 0.4], [0.2, 0.8]])
        >>> round(m.result(), 4)  # class 0: P=1, R=1/2; class 1: P=1/2, R=1
        0.6667
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
