"""``GradientMonitor``: per-layer telemetry of training — gradients, weights, updates, activations.

The course asks for "callbacks personalizados para monitorar e registrar
gradientes". This one measures, for every layer that has weights (and every
``Activation`` layer), during real training steps:

==================== ===========================================================
``grad_norm``        ‖∂L/∂W‖, the Euclidean norm over all the layer's trainable
                     weights (kernel and bias together)
``weight_norm``      ‖W‖ before the update
``update_ratio``     ‖ΔW‖ / ‖W‖ — how much one step changes the layer; about
                     1e-3 is the classic healthy value, ≪ 1e-5 means learning
                     is frozen, ≫ 1e-1 means the step is too big
``dead_fraction``    (ReLU layers) the fraction of units that output 0 for
                     every sample: a dead unit passes no gradient (per record:
                     0 on every sample of every measured batch of the epoch, or
                     of the batch for per-batch records)
``saturated_fraction`` (sigmoid / tanh layers) the fraction of outputs where
                     the activation's derivative is below 5% of its peak:
                     σ(1−σ) < 0.0125 (σ < 0.0127 or σ > 0.9873), 1 − tanh² < 0.05
                     (|tanh| > 0.9747); there the chain rule multiplies by ≈ 0
``activation_mean``  mean and standard deviation of the layer's outputs
``activation_std``
==================== ===========================================================

The activations are read during the training forward pass itself (through
:func:`treino.layers.base.observe_outputs`), so monitoring costs no extra
forward pass; the update is the difference of the weights around the
optimizer's step.

``freq="epoch"`` (the default) measures every batch and keeps the epoch's
mean; ``freq=k`` measures every k-th batch (counting across epochs) and keeps
each measurement. Either way the epoch means go into the epoch's logs as
``"<stat>/<layer>"`` (``"grad_norm/dense"``), so the :class:`History` holds
them, ``treino.plot.gradient_flow`` draws them and the training doctor
(:mod:`treino.diagnostics`) reads them. Keys with a ``/`` are not printed on
the progress line.

Example::

    monitor = GradientMonitor()
    history = model.fit(x, y, epochs=5, callbacks=[monitor])
    history.history["grad_norm/dense"]       # one value per epoch
    monitor.records[0]                       # {'epoch': 0, 'step': None, 'layer': 'dense', …}
    monitor.to_csv("gradientes.csv")         # or .to_json(path)
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from treino import activations
from treino.callbacks.base import Callback
from treino.io import atomic_write
from treino.layers import base as layer_base

STATS = ("grad_norm", "weight_norm", "update_ratio", "dead_fraction", "saturated_fraction",
         "activation_mean", "activation_std")  # fmt: skip
"""The quantities measured, in the order of the records' columns."""

SATURATION = {"sigmoid": 0.0125, "tanh": 0.05}
"""φ'(net) below which a unit counts as saturated: 5% of the derivative's peak (¼ and 1)."""


def activation_name(layer) -> str | None:
    """The Keras name of ``layer``'s activation (``'relu'``), or None if it has none we know."""
    function = getattr(layer, "activation", None)
    if not callable(function):
        return None
    try:
        return activations.serialize(function)
    except ValueError:
        return None


def activation_stats(outputs: np.ndarray, activation: str | None) -> dict:
    """Mean, std, and the dead / saturated fractions of one layer's outputs.

    A unit is a position of the last axis (a neuron of a Dense layer, a channel
    of a convolution); it is *dead* when it is 0 for every sample (and every
    position) of the batch.

    >>> out = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    >>> activation_stats(out, "relu")["dead_fraction"]
    0.3333333333333333
    >>> activation_stats(np.array([0.999, 0.5, -0.99, 0.1]), "tanh")["saturated_fraction"]
    0.5
    """
    values = np.asarray(outputs)
    with np.errstate(invalid="ignore", over="ignore"):  # a diverged layer: its stats are NaN
        return _stats(values, activation)


def _stats(values: np.ndarray, activation: str | None) -> dict:
    stats = {"activation_mean": float(values.mean(dtype=np.float64)),
             "activation_std": float(values.std(dtype=np.float64))}  # fmt: skip
    if activation == "relu" and values.ndim >= 1:
        per_unit = np.abs(values).reshape(-1, values.shape[-1]).max(axis=0)
        stats["dead_fraction"] = float(np.mean(per_unit == 0.0))
    elif activation == "sigmoid":
        slope = values * (1.0 - values)  # σ' = σ(1 − σ)
        stats["saturated_fraction"] = float(np.mean(slope < SATURATION[activation]))
    elif activation == "tanh":
        stats["saturated_fraction"] = float(np.mean(1.0 - values**2 < SATURATION[activation]))
    return stats


def _norm(arrays) -> float:
    """√(Σ ‖a‖²) over the arrays: one BLAS dot product each."""
    total = 0.0
    for a in arrays:
        flat = np.ravel(a)
        total += float(np.dot(flat, flat))
    return math.sqrt(total)


class GradientMonitor(Callback):
    """Record per-layer gradient, weight, update and activation statistics during ``fit``.

    Args:
        freq: ``"epoch"`` — measure every batch and record the epoch's mean —
            or an int k ≥ 1 — measure every k-th training batch and record each
            measurement. Defaults to ``"epoch"``.
        activations: also capture the layers' outputs (mean, std, dead and
            saturated fractions). Defaults to True.

    Attributes:
        records: one dict per measurement (epoch means for ``freq="epoch"``)
            and layer: ``{'epoch', 'step', 'layer', 'activation', <stats>}``;
            ``step`` is the global batch index (None for epoch means) and a stat
            that does not apply to the layer is None.
        layers: the names of the monitored layers, from input to output.
    """

    def __init__(self, freq="epoch", activations: bool = True):
        super().__init__()
        if freq != "epoch" and (isinstance(freq, bool) or not isinstance(freq, int) or freq < 1):
            raise ValueError(f"GradientMonitor: freq must be 'epoch' or an integer >= 1. "
                             f"Received: freq={freq!r}")  # fmt: skip
        self.freq = freq
        self.activations = bool(activations)
        self.records: list[dict] = []
        self.layers: list[str] = []
        self._targets: list = []
        self._step = 0
        self._before: dict = {}
        self._outputs: dict = {}
        self._epoch_measures: list[dict] = []
        self._fired: dict = {}
        self._measuring = False

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self.records = []
        self._keys: set = set()
        self._step = 0
        self._stop_observing()
        self._targets = [layer for layer in self.model._all_layers()[1:] if _monitored(layer)]
        self.layers = [layer.name for layer in self._targets]

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_measures = []
        self._fired = {}

    def on_train_batch_begin(self, batch, logs=None):
        self._measuring = self.freq == "epoch" or self._step % self.freq == 0
        if not self._measuring:
            return
        self._before = {id(layer): [w.data.copy() for w in _trainable(layer)]
                        for layer in self._targets}  # fmt: skip
        self._outputs = {}
        if self.activations and self._observe not in layer_base._output_observers:
            layer_base._output_observers.append(self._observe)

    def on_train_batch_end(self, batch, logs=None):
        if self._measuring:
            self._measuring = False
            measure = self._measure()
            self._epoch_measures.append(measure)
            if self.freq != "epoch":
                self._record(measure, step=self._step)
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        self._stop_observing()
        if not self._epoch_measures:
            return
        means = {name: {stat: _mean([m[name][stat] for m in self._epoch_measures])
                        for stat in STATS} for name in self.layers}  # fmt: skip
        for layer in self._targets:  # dead over the epoch: never fired in any measured batch
            if id(layer) in self._fired:
                means[layer.name]["dead_fraction"] = float(1.0 - self._fired[id(layer)].mean())
        if self.freq == "epoch":
            self._record(means, step=None)
        if logs is not None:
            for name in self.layers:
                for stat in STATS:
                    key = f"{stat}/{name}"
                    if means[name][stat] is not None:
                        logs[key] = means[name][stat]
                        self._keys.add(key)
                    elif key in self._keys:  # once a series exists, one value per epoch
                        logs[key] = math.nan

    def on_train_end(self, logs=None):
        self._stop_observing()

    # -------------------------------------------------------------- measuring
    def _observe(self, layer, outputs) -> None:
        if not self._measuring or all(layer is not t for t in self._targets):
            return
        first = layer_base._flatten(outputs)[0]
        stats = activation_stats(first.data, activation_name(layer))
        self._outputs.setdefault(id(layer), []).append(stats)
        if "dead_fraction" in stats:  # which units fired at least once this epoch
            values = np.asarray(first.data)
            fired = (values.reshape(-1, values.shape[-1]) != 0).any(axis=0)
            known = self._fired.get(id(layer))
            self._fired[id(layer)] = fired if known is None else known | fired

    def _measure(self) -> dict:
        measure = {}
        for layer in self._targets:
            weights = _trainable(layer)
            before = self._before.get(id(layer), [])
            grads = [w.grad for w in weights if w.grad is not None]
            weight_norm = _norm(before) if before else None
            stats = dict.fromkeys(STATS)
            if weights:
                stats["grad_norm"] = _norm(grads) if grads else 0.0
                stats["weight_norm"] = weight_norm
                change = _norm([w.data - b for w, b in zip(weights, before, strict=True)])
                stats["update_ratio"] = change / weight_norm if weight_norm else None
            calls = self._outputs.get(id(layer), [])
            for key in ("activation_mean", "activation_std", "dead_fraction", "saturated_fraction"):
                stats[key] = _mean([c.get(key) for c in calls])
            measure[layer.name] = stats
        return measure

    def _record(self, measure: dict, step) -> None:
        for layer in self._targets:
            self.records.append({"epoch": self._epoch, "step": step, "layer": layer.name,
                                 "activation": activation_name(layer),
                                 **measure[layer.name]})  # fmt: skip

    def _stop_observing(self) -> None:
        self._measuring = False
        while self._observe in layer_base._output_observers:
            layer_base._output_observers.remove(self._observe)

    # ---------------------------------------------------------------- export
    def history(self, stat: str = "grad_norm") -> dict[str, list]:
        """``{layer: [value per record]}`` for one stat (None where it does not apply)."""
        if stat not in STATS:
            raise ValueError(f"GradientMonitor: stat must be one of {STATS}; received {stat!r}")
        series: dict[str, list] = {name: [] for name in self.layers}
        for record in self.records:
            series.setdefault(record["layer"], []).append(record[stat])
        return series

    def to_json(self, path) -> None:
        """Write the records as JSON (``{"freq", "layers", "records"}``), atomically."""
        payload = {"freq": self.freq, "layers": self.layers, "records": self.records}
        text = json.dumps(payload, indent=1, default=_jsonable)
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))

    def to_csv(self, path) -> None:
        """Write the records as CSV (one row per measurement and layer), atomically."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["epoch", "step", "layer", "activation", *STATS])
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in self.records)
        atomic_write(path, lambda f: f.write(buffer.getvalue().encode("utf-8")))


def _monitored(layer) -> bool:
    from treino.models.model import Model

    if isinstance(layer, Model | layer_base.InputLayer):
        return False
    return bool(layer._own_weights) or activation_name(layer) is not None


def _trainable(layer) -> list:
    if not layer.trainable:
        return []
    return [w for w in layer._own_weights if w.trainable]


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
