"""AUC: the area under the ROC or the precision-recall curve, from thresholded counts."""

from __future__ import annotations

import numpy as np

from treino.metrics.base import as_result, check_positive_int, divide_no_nan, to_array
from treino.metrics.confusion import (
    COUNT_NAMES,
    ThresholdedCounts,
    parse_thresholds,
)

EPSILON = 1e-7
_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


def _choice(owner: str, arg: str, value, options: tuple) -> str:
    for option in options:
        if isinstance(value, str) and value.lower() == option.lower():
            return option
    raise ValueError(f"{owner}: {arg} must be one of {options}; received {arg}={value!r}")


class AUC(ThresholdedCounts):
    """Area under the ROC curve (or the precision-recall curve), as Keras computes it.

    The predictions are compared with ``num_thresholds`` thresholds
    t₀ = −ε < t₁ < … < t_{T−1} = 1 + ε (evenly spaced in between); at each the
    metric keeps the weighted counts TP, FP, TN, FN (sums, so the value over
    many batches is exactly the value over all the data). At the end, with

        recall (TPR) = TP / (TP + FN),  FPR = FP / (FP + TN),
        precision = TP / (TP + FP),

    ``curve="ROC"`` sums Σᵢ (FPRᵢ − FPRᵢ₊₁)·hᵢ and ``curve="PR"`` sums
    Σᵢ (recallᵢ − recallᵢ₊₁)·hᵢ, the heights hᵢ being the mean of the two ends
    (``"interpolation"``), the smaller (``"minoring"``) or the larger
    (``"majoring"``). PR with interpolation uses Davis & Goadrich's
    interpolation of precision instead of the trapezoid. The exact AUC is
    approached as ``num_thresholds`` grows (the ROC AUC equals the
    Mann-Whitney U statistic, the probability that a random positive is scored
    above a random negative).

    ``y_pred`` are probabilities (clipped to [0, 1]); for logits pass
    ``from_logits=True``. Labels are cast to bool (non-zero is positive).

    Args:
        num_thresholds: number of thresholds T (> 1). Defaults to 200.
        curve: ``"ROC"`` or ``"PR"``. Defaults to ``"ROC"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or
            ``"majoring"``. Defaults to ``"interpolation"``.
        name: defaults to ``"auc"``.
        dtype: state dtype. Defaults to None (float64).
        thresholds: explicit thresholds in [0, 1] (replaces ``num_thresholds``;
            −ε and 1 + ε are added). Defaults to None.
        multi_label: score each column of ``(N, L)`` predictions separately and
            average the L AUCs; otherwise everything is flattened into one
            curve. Defaults to False.
        num_labels: L, with ``multi_label`` (else taken from the first batch).
            Defaults to None.
        label_weights: one non-negative weight per label: with ``multi_label``
            the weights of the average of the label AUCs, otherwise weights of
            the entries of each column. Defaults to None.
        from_logits: apply a sigmoid to ``y_pred`` first. Defaults to False.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> # thresholds [-1e-7, 0.5, 1 + 1e-7]: tp = [2, 1, 0], fp = [2, 0, 0],
        >>> # fn = [0, 1, 2], tn = [0, 2, 2]; TPR = [1, 0.5, 0], FPR = [1, 0, 0]
        >>> m.result()  # (1 + 0.5)/2 · (1 − 0) + (0.5 + 0)/2 · (0 − 0)
        0.75
        >>> m.reset_state()
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
        >>> m.result()
        1.0
    """

    state_names = COUNT_NAMES

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        owner = type(self).__name__
        self.curve = _choice(owner, "curve", curve, _CURVES)
        self.summation_method = _choice(owner, "summation_method", summation_method, _SUMMATIONS)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds(owner, thresholds, default=None))
        else:
            if (
                isinstance(num_thresholds, bool)
                or not isinstance(num_thresholds, int)
                or (num_thresholds <= 1)
            ):
                raise ValueError(
                    f"{owner}: num_thresholds must be an integer > 1; received "
                    f"num_thresholds={num_thresholds!r}"
                )
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        self.multi_label = bool(multi_label)
        if num_labels is not None:
            if not self.multi_label:
                raise ValueError(f"{owner}: num_labels is needed only when multi_label=True")
            num_labels = check_positive_int(owner, "num_labels", num_labels)
        self.num_labels = num_labels
        self.label_weights = None
        if label_weights is not None:
            weights = to_array(owner, "label_weights", label_weights).astype(np.float64)
            if weights.ndim != 1 or (weights < 0).any():
                raise ValueError(
                    f"{owner}: label_weights must be a 1-D list of non-negative numbers; "
                    f"received label_weights={label_weights!r}"
                )
            self.label_weights = weights
        self.from_logits = bool(from_logits)
        super().__init__([-EPSILON, *inner, 1.0 + EPSILON], name=name, dtype=dtype)
        if self.multi_label:
            self._state_shape = None if num_labels is None else (self.num_thresholds, num_labels)
            self.reset_state()

    def _prepare(self, y_true, y_pred, sample_weight):
        owner = type(self).__name__
        labels, preds, weights = self._align(y_true, y_pred, sample_weight)
        if self.from_logits:
            preds = 0.5 * (1.0 + np.tanh(0.5 * preds))  # σ(x), without overflow
        preds = np.clip(preds, 0.0, 1.0)
        if self.multi_label:
            if preds.ndim != 2:
                raise ValueError(
                    f"{owner}: y_pred must have shape (num_samples, num_labels) when "
                    f"multi_label=True; received y_pred.shape={preds.shape}"
                )
            expected = self.num_labels or (self._state_shape or (None, None))[1]
            if expected is not None and preds.shape[1] != expected:
                raise ValueError(
                    f"{owner}: expected y_pred with {expected} labels (columns); received "
                    f"y_pred.shape={preds.shape}"
                )
            if self.label_weights is not None and len(self.label_weights) != preds.shape[1]:
                raise ValueError(
                    f"{owner}: {len(self.label_weights)} label_weights for y_pred of shape "
                    f"{preds.shape}; expected one weight per label (column)"
                )
            return labels, preds, weights
        if self.label_weights is not None:
            if preds.ndim < 1 or preds.shape[-1] != len(self.label_weights):
                raise ValueError(
                    f"{owner}: {len(self.label_weights)} label_weights for y_pred of shape "
                    f"{preds.shape}; expected one weight per column"
                )
            weights = weights * self.label_weights
        return labels.reshape(-1, 1), preds.reshape(-1, 1), weights.reshape(-1, 1)

    # ------------------------------------------------------------------ result
    def _interpolate_pr_auc(self):
        """Davis & Goadrich: precision interpolated between thresholds, integrated exactly."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both_positive, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return divide_no_nan(
            slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)
        )

    def _riemann_terms(self):
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)  # fmt: skip
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return (x[:-1] - x[1:]) * heights

    def result(self) -> float:
        """The area (for ``multi_label``, the (weighted) mean of the label areas)."""
        if np.ndim(self.true_positives) == 0:  # multi_label, no batch seen yet
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr_auc()
        else:
            terms = self._riemann_terms()
        by_label = np.sum(terms, axis=0)
        if not self.multi_label:
            return as_result(by_label)
        if self.label_weights is None:
            return as_result(np.mean(by_label))
        return as_result(
            divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights))
        )

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
