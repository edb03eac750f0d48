"""What ``compile`` sets up: the loss of each output, their weights, and the metrics to track.

For a model with outputs ŷ₁ … ŷₖ, losses L₁ … Lₖ and ``loss_weights``
λ₁ … λₖ, the number that training minimises is

    L = Σᵢ λᵢ·Lᵢ(yᵢ, ŷᵢ) + Σ (the layers' regularization penalties)

(one output: L = L₁ + penalties). Metrics are tracked per output and named,
as in Keras, ``accuracy`` for one output and ``<output>_accuracy`` for several.
"""

from __future__ import annotations

import numbers

import numpy as np

from treino import losses as losses_module
from treino import metrics as metrics_module


def _per_output(value, names: list[str], what: str) -> list:
    """Spread ``value`` (one for all, a list in output order, or a dict by name) over outputs."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(
                f"compile: {what} names outputs {unknown}, but the model's outputs are {names}"
            )
        return [value.get(name) for name in names]
    if isinstance(value, list | tuple) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(
                f"compile: the model has {len(names)} outputs {names}; {what} has "
                f"{len(value)} entries"
            )
        return list(value)
    return [value] * len(names)


class CompiledLoss:
    """The weighted sum of the per-output losses (see the module docstring)."""

    def __init__(self, loss, loss_weights, output_names: list[str]):
        self.output_names = output_names
        self.losses = [
            losses_module.as_loss(item)
            for item in _per_output(loss, output_names, "loss")
        ]
        if all(item is None for item in self.losses):
            raise ValueError("compile: pass a loss, e.g. loss='sparse_categorical_crossentropy'")
        weights = _per_output(1.0 if loss_weights is None else loss_weights, output_names,
                              "loss_weights")  # fmt: skip
        if not all(w is None or isinstance(w, numbers.Real) for w in weights):
            raise TypeError(
                f"compile: loss_weights must be numbers (one per output); received "
                f"{loss_weights!r}. As in Keras, compile's third positional argument is "
                "loss_weights: pass metrics by name, compile(..., metrics=['accuracy'])"
            )
        self.weights = [1.0 if w is None else float(w) for w in weights]

    def __call__(self, y_true: list, y_pred: list, sample_weight=None):
        """``(total loss Tensor, {"<output>_loss": value} when there are several outputs)``."""
        total, parts = None, {}
        for name, loss, weight, target, prediction in zip(
            self.output_names, self.losses, self.weights, y_true, y_pred, strict=True
        ):
            if loss is None:
                continue
            if target is None:
                raise ValueError(f"The loss of output '{name}' needs targets; y has none for it")
            value = loss(target, prediction, sample_weight=sample_weight)
            if len(self.output_names) > 1:
                parts[f"{name}_loss"] = value.item()
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, parts


class CompiledMetrics:
    """The metrics of each output, resolved as Keras resolves ``'accuracy'``."""

    def __init__(self, metrics, compiled_loss: CompiledLoss, output_shapes: list):
        names = compiled_loss.output_names
        if metrics is not None and not isinstance(metrics, list | tuple | dict):
            raise TypeError(
                f"compile: metrics must be a list (or a dict by output); received {metrics!r}"
            )
        self.output_shapes = output_shapes
        per_output = self._per_output(metrics, names)
        self.metrics: list[list] = []
        for name, items, loss, shape in zip(names, per_output, compiled_loss.losses,
                                            output_shapes, strict=True):  # fmt: skip
            resolved = [metrics_module.resolve(item, loss=loss, output_shape=shape)
                        for item in items]  # fmt: skip
            if len(names) > 1:
                for metric in resolved:
                    metric.name = f"{name}_{metric.name}"
            self.metrics.append(resolved)

    @staticmethod
    def _per_output(metrics, names: list[str]) -> list[list]:
        if metrics is None:
            return [[] for _ in names]
        if isinstance(metrics, dict):
            return [list(_as_list(m)) for m in _per_output(metrics, names, "metrics")]
        if len(names) > 1 and metrics and all(isinstance(m, list | tuple) for m in metrics):
            return [list(m) for m in _per_output(list(metrics), names, "metrics")]
        return [list(metrics) for _ in names]

    @property
    def flat(self) -> list:
        return [metric for group in self.metrics for metric in group]

    def update_state(self, y_true: list, y_pred: list, sample_weight=None) -> None:
        for group, target, prediction in zip(self.metrics, y_true, y_pred, strict=True):
            if not group or target is None:
                continue
            values = prediction.data if hasattr(prediction, "data") else np.asarray(prediction)
            for metric in group:
                metric.update_state(target, values, sample_weight=sample_weight)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def regularization_penalty(model):
    """Σ of the layers' penalties (weight regularizers, activity regularizers), or None."""
    penalties = model.losses
    if not penalties:
        return None
    total = penalties[0]
    for penalty in penalties[1:]:
        total = total + penalty
    return total
