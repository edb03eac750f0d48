"""``MonitorCallback``: watch one logged quantity and decide what counts as better.

Shared by :class:`~treino.callbacks.EarlyStopping`,
:class:`~treino.callbacks.ReduceLROnPlateau` and
:class:`~treino.callbacks.ModelCheckpoint` (as Keras 3's ``MonitorCallback``):

* ``mode='min'`` — lower is better; ``'max'`` — higher is better; ``'auto'`` —
  from the quantity: a loss is minimized; a metric object of the model that
  declares its direction (``direction``/``_direction`` = ``'up'``/``'down'``)
  is followed; otherwise the name decides (accuracy, AUC, precision, recall …
  up; errors and cross-entropies down), and an unknown name is an error;
* a value improves on the reference r when it beats it by more than
  ``min_delta`` δ: ``value < r − δ`` (min) or ``value > r + δ`` (max).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from treino.callbacks.base import Callback

MODES = ("auto", "min", "max")

_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "fmeasure", "iou", "r2",
             "score", "top_k", "similarity")  # fmt: skip
_DOWN_WORDS = ("loss", "error", "crossentropy", "hinge", "divergence", "mse", "mae", "mape",
               "msle", "rmse", "logcosh", "poisson", "huber")  # fmt: skip


def metric_direction(monitor: str, model=None) -> str | None:
    """``'min'``, ``'max'``, or None when the direction of ``monitor`` is unknown.

    Args:
        monitor: a logs key such as ``'val_loss'`` or ``'accuracy'``.
        model: the model whose ``metrics`` may declare their direction.
            Defaults to None.

    Example:
        >>> [metric_direction(m) for m in ("val_loss", "val_accuracy", "mae", "banana")]
        ['min', 'max', 'min', None]
    """
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in _model_metrics(model):
        if getattr(metric, "name", None) == name:
            direction = getattr(metric, "direction", getattr(metric, "_direction", None))
            if direction in ("up", "down"):
                return "max" if direction == "up" else "min"
    lowered = name.lower()
    if any(word in lowered for word in _DOWN_WORDS):
        return "min"
    if any(word in lowered for word in _UP_WORDS):
        return "max"
    return None


def _model_metrics(model) -> list:
    try:
        metrics = list(getattr(model, "metrics", None) or [])
    except Exception:  # a half-built model: fall back on the name
        return []
    flat = []
    for metric in metrics:  # a container of metrics (Keras's CompileMetrics) is opened
        inner = getattr(metric, "metrics", None)
        flat.extend(inner if isinstance(inner, list | tuple) else [metric])
    return flat


class MonitorCallback(Callback):
    """Base of the callbacks that watch ``logs[monitor]`` for improvements.

    Args:
        monitor: the logs key to watch. Defaults to ``"val_loss"``.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see the module). Defaults to ``"auto"``.
        baseline: the initial reference (:attr:`best`); None: the first
            value seen. Defaults to None.
        min_delta: the smallest change that counts as an improvement (its
            sign is ignored). Defaults to 0.

    Attributes:
        best: the best value seen so far (or the baseline), None before any.
        monitor_op: ``np.less`` or ``np.greater``, chosen at the first epoch end.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"{type(self).__name__}: monitor must be the name of a logs "
                            f"key (a string). Received: monitor={monitor!r}")  # fmt: skip
        if mode not in MODES:
            raise ValueError(f"{type(self).__name__}: mode must be one of {MODES}. "
                             f"Received: mode={mode!r}")  # fmt: skip
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(_number(self, "min_delta", min_delta))
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        mode = self.mode
        if mode == "auto":
            mode = metric_direction(self.monitor, self.model)
            if mode is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor!r}, but "
                    "treino can't tell whether that metric should be maximized or minimized. "
                    "Pass mode='max' to monitor the highest value, or mode='min' for the "
                    "lowest."
                )
        self.monitor_op = np.less if mode == "min" else np.greater

    def _is_improvement(self, value, reference) -> bool:
        """True when ``value`` beats ``reference`` (None: always) by more than ``min_delta``."""
        if reference is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.monitor_op is np.less:
            return bool(value + self.min_delta < reference)
        return bool(value - self.min_delta > reference)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or None with a warning naming the keys that are there."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            hint = ""
            if self.monitor.startswith("val_"):
                hint = " (the 'val_' metrics need validation_data or validation_split in fit)"
            warnings.warn(
                f"{type(self).__name__} is conditioned on metric '{self.monitor}', which is "
                f"not available{hint}. Available metrics are: {', '.join(logs) or 'none'}.",
                stacklevel=3,
            )
        return value


def _number(owner, name: str, value) -> float:
    """``value`` as a finite float, or a ValueError naming ``owner``'s argument."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{type(owner).__name__}: {name} must be a number. "
                         f"Received: {name}={value!r}")  # fmt: skip
    if not math.isfinite(value):
        raise ValueError(f"{type(owner).__name__}: {name} must be finite. "
                         f"Received: {name}={value}")  # fmt: skip
    return float(value)


def _count(owner, name: str, value) -> int:
    """``value`` as an int ≥ 0, or a ValueError naming ``owner``'s argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{type(owner).__name__}: {name} must be an integer >= 0. "
                         f"Received: {name}={value!r}")  # fmt: skip
    return int(value)
