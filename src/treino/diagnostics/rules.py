"""The doctor's rules: each reads the epoch telemetry and returns the findings it sees.

The telemetry is the History's ``history`` dict: ``'loss'``, ``'val_loss'``
… and, when a :class:`~treino.callbacks.GradientMonitor` ran, the per-layer
``'<stat>/<layer>'`` series. Every threshold is a named constant with the
reasoning next to it; the rules are deliberately simple and conservative — a
healthy run must raise nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from treino.diagnostics.findings import Finding

DIVERGENCE_FACTOR = 2.0
"""An epoch's mean loss above twice the loss at the start: the steps make things worse."""

RISING_FACTOR = 1.5
"""Or three epochs rising in a row, to 1.5× the best loss so far and above half the loss at the
start (half the progress undone): a slower divergence. Noise near a small loss is not one."""

STALL_CHANGE = 0.01
"""Less than 1% relative change of the loss from the first epoch to the last (≥ 2 epochs), and
less than 10% from the start: no progress."""

LOW_UPDATE_RATIO = 1e-5
"""‖ΔW‖/‖W‖ below 1e-5 (healthy: ~1e-3): the steps are too small to matter."""

DEAD_GRADIENT = 1e-8
"""Every layer's ‖∂L/∂W‖ below this: no error signal reaches the weights."""

VANISHING_RATIO, EXPLODING_RATIO = 1e-3, 1e4
"""‖∂L/∂W‖ of the first weight layer over the last one's, outside [1e-3, 1e4]."""

EXPLODING_NORM = 1e3
"""‖∂L/∂W‖ > 1000·max(1, ‖W‖) in a layer, or not finite, while the loss is still finite: one
step of η = 0.01 would multiply the weights by ten."""

DEAD_FRACTION, SATURATED_FRACTION = 0.5, 0.5
"""Half the units of a hidden layer dead (ReLU) or in the flat zone (sigmoid/tanh)."""

OVERFIT_RISE, OVERFIT_OF_PROGRESS = 0.10, 0.03
"""Validation loss (3-epoch moving average) 10% above its best, ≥ 2 epochs after it, with the
training loss still falling and the train–validation gap wider than at the best epoch; the rise
must also undo 3% of the way validation came down (a bounce at the noise floor is not a trend)."""

UNDERFIT_FRACTION, PLATEAU_CHANGE = 0.6, 0.02
"""Training loss ≥ 60% of a constant guess's and changing < 2% per epoch for two epochs."""

OSCILLATION_UPS, OSCILLATION_SWING, OSCILLATION_FLOOR = 1 / 6, 0.10, 0.05
"""After the first epoch, the loss rising by > 10% of its level in ≥ 2 and ≥ 1/6 of the epochs,
its second half no lower than 95% of the first, at a level above 5% of the start."""

CAUSES = {
    "divergence": ("exploding_gradients", "bad_init_scale", "unscaled_inputs"),
    "exploding_gradients": ("bad_init_scale", "unscaled_inputs"),
    "vanishing_gradients": ("symmetric_init", "dead_relu", "bad_init_scale", "saturation"),
    "saturation": ("unscaled_inputs", "bad_init_scale"),
    "dead_relu": ("symmetric_init", "divergence", "bad_init_scale", "unscaled_inputs"),
    "no_progress": ("symmetric_init", "dead_relu", "vanishing_gradients", "saturation",
                    "bad_init_scale"),
    "oscillation": ("divergence", "unscaled_inputs"),
    "overfitting": ("divergence",),  # a diverged run's loss gap says nothing of overfitting
    "underfitting": ("learning_rate_too_low", "no_progress", "symmetric_init", "divergence",
                     "vanishing_gradients", "dead_relu", "saturation", "oscillation",
                     "bad_init_scale", "unscaled_inputs"),
}  # fmt: skip
"""For a symptom, the findings that would explain it, the likeliest first."""


@dataclass
class Telemetry:
    """What the rules read.

    Attributes:
        history: ``{'loss': [...], 'val_loss': [...], 'grad_norm/dense': [...], ...}``.
        initial_loss: the loss of the very first batch (before any update), if known.
        activations: ``{layer: 'relu' | 'sigmoid' | …}`` for the monitored layers.
        output_layers: the names of the model's output layers (their saturation is fine).
        learning_rate: the optimizer's η, if known.
        baseline_loss: the loss of the best constant prediction, if known.
        start: ``{layer: {'grad_norm', 'weight_norm'}}`` measured on the first
            batch, before any update, if known.
    """

    history: dict
    initial_loss: float | None = None
    activations: dict = field(default_factory=dict)
    output_layers: set = field(default_factory=set)
    learning_rate: float | None = None
    baseline_loss: float | None = None
    start: dict = field(default_factory=dict)

    @property
    def losses(self) -> list[float]:
        return [float(v) for v in self.history.get("loss", [])]

    @property
    def start_loss(self) -> float | None:
        if self.initial_loss is not None and math.isfinite(self.initial_loss):
            return self.initial_loss
        losses = self.losses
        return losses[0] if losses else None

    def layers(self, stat: str) -> list[str]:
        """The layers with a ``stat`` series, in recording order (input → output)."""
        prefix = f"{stat}/"
        return [key[len(prefix):] for key in self.history if key.startswith(prefix)]

    def series(self, stat: str, layer: str) -> list[float]:
        return [float("nan") if v is None else float(v)
                for v in self.history.get(f"{stat}/{layer}", [])]  # fmt: skip

    def hidden(self, layer: str) -> bool:
        names = self.layers("activation_mean") or self.layers("grad_norm")
        outputs = self.output_layers or ({names[-1]} if names else set())
        return layer not in outputs


def _first(values: list):
    return values[0] if values else None


def divergence(t: Telemetry) -> list[Finding]:
    losses, start = t.losses, t.start_loss
    for epoch, loss in enumerate(losses):
        rising = epoch >= 2 and losses[epoch] > losses[epoch - 1] > losses[epoch - 2] \
            and loss > RISING_FACTOR * min(losses[:epoch]) \
            and (start is None or loss > start / 2)  # fmt: skip
        above_start = start is not None and start > 0 and loss > DIVERGENCE_FACTOR * start
        if not math.isfinite(loss) or above_start or rising:
            return [Finding("divergence", "critical", {"initial": start, "loss": loss},
                            epoch=epoch)]  # fmt: skip
    return []


def gradient_flow(t: Telemetry) -> list[Finding]:
    """Vanishing or exploding gradients, from the per-layer ‖∂L/∂W‖ (GradientMonitor).

    Judged on the first batch's gradients when they are known (``t.start``):
    gradients that blow up only *after* the loss diverged are a consequence of
    a learning rate too high (reported as the divergence), not of the network.
    """
    layers = t.layers("grad_norm")
    if not layers:
        return []
    start = {layer: t.start.get(layer) or {"grad_norm": _first(t.series("grad_norm", layer)),
                                           "weight_norm": _first(t.series("weight_norm", layer))}
             for layer in layers}  # fmt: skip
    diverged_at = next((f.epoch for f in divergence(t)), None)
    for layer in layers:
        points = [(None, start[layer]["grad_norm"], start[layer]["weight_norm"])]
        points += [(epoch, g, w) for epoch, (g, w) in enumerate(zip(
            t.series("grad_norm", layer), t.series("weight_norm", layer), strict=False))
            if diverged_at is None or epoch < diverged_at]  # fmt: skip
        for epoch, g, w in points:
            if g is None or w is None or not math.isfinite(w):
                continue
            if not math.isfinite(g) or g > EXPLODING_NORM * max(1.0, w):
                return [Finding("exploding_gradients", "critical", {
                    "grad_norm": g, "detail": f"‖W‖ = {w:.3g}",
                }, epoch=epoch or 0, layer=layer)]  # fmt: skip
    if len(layers) < 3:
        return []
    g_first, g_last = start[layers[0]]["grad_norm"], start[layers[-1]]["grad_norm"]
    if g_first is None or g_last is None or not (math.isfinite(g_first) and math.isfinite(g_last)):
        return []
    if g_last <= DEAD_GRADIENT:
        return []
    ratio = g_first / g_last
    if ratio < VANISHING_RATIO:
        return [Finding("vanishing_gradients", "critical", {
            "ratio": ratio, "first": g_first, "last": g_last,
        }, epoch=0, layer=layers[0])]  # fmt: skip
    if ratio > EXPLODING_RATIO:
        return [Finding("exploding_gradients", "critical", {
            "grad_norm": g_first,
            "detail": f"{ratio:.3g}× ‖∂L/∂W‖ da última camada / of the last layer",
        }, epoch=0, layer=layers[0])]  # fmt: skip
    return []


def activations(t: Telemetry) -> list[Finding]:
    """Dead ReLUs and saturated sigmoid/tanh units in hidden layers (last epoch)."""
    found = []
    for layer in t.layers("dead_fraction"):
        values = t.series("dead_fraction", layer)
        if values and t.hidden(layer) and values[-1] >= DEAD_FRACTION:
            severity = "critical" if values[-1] >= 0.9 else "warning"
            found.append(Finding("dead_relu", severity, {"fraction": f"{values[-1]:.0%}"},
                                 epoch=len(values) - 1, layer=layer))  # fmt: skip
    for layer in t.layers("saturated_fraction"):
        values = t.series("saturated_fraction", layer)
        if values and t.hidden(layer) and values[-1] >= SATURATED_FRACTION:
            found.append(Finding("saturation", "warning", {
                "fraction": f"{values[-1]:.0%}", "activation": t.activations.get(layer, "σ/tanh"),
            }, epoch=len(values) - 1, layer=layer))  # fmt: skip
    return found


def stall(t: Telemetry) -> list[Finding]:
    """No progress from the start: a learning rate far too low, or a dead network."""
    losses, start = t.losses, t.start_loss
    if len(losses) < 2 or start is None or not all(math.isfinite(v) for v in losses) or start == 0:
        return []
    if divergence(t):
        return []  # flat after diverging: the divergence is the finding
    if t.initial_loss is None and len(losses) < 3:
        return []  # without the first batches' loss, the first epoch's mean is the start
    change = (start - losses[-1]) / abs(start)
    moved = abs(losses[0] - losses[-1]) >= STALL_CHANGE * abs(losses[0])
    if moved or abs(change) >= 0.1:  # the start is a noisy estimate: 10% is surely progress
        return []
    grads = [g for layer in t.layers("grad_norm") for g in t.series("grad_norm", layer)]
    ratios = [r for layer in t.layers("update_ratio")  # layers that do receive a gradient
              for r, g in zip(t.series("update_ratio", layer), t.series("grad_norm", layer),
                              strict=False)
              if math.isfinite(r) and g > DEAD_GRADIENT]  # fmt: skip
    largest = max(grads) if grads else None
    update = float(np.median(ratios)) if ratios else None
    evidence = {"change": f"{-change:+.2%}", "epochs": len(losses), "grad_norm": largest,
                "learning_rate": t.learning_rate, "update_ratio": update}  # fmt: skip
    if largest is not None and largest < DEAD_GRADIENT:
        return [Finding("no_progress", "critical", evidence, epoch=len(losses) - 1)]
    too_small = (update is not None and update < LOW_UPDATE_RATIO) or (
        update is None and t.learning_rate is not None and t.learning_rate < 1e-5)
    if too_small:
        return [Finding("learning_rate_too_low", "critical", evidence, epoch=len(losses) - 1)]
    return [Finding("no_progress", "warning", evidence, epoch=len(losses) - 1)]


def oscillation(t: Telemetry) -> list[Finding]:
    """The loss bounces instead of settling: judged after the first epoch's descent."""
    losses, start = t.losses, t.start_loss
    if len(losses) < 6 or not all(math.isfinite(v) for v in losses):
        return []
    window = np.array(losses[1:])
    level = float(window.mean())
    if start and level < OSCILLATION_FLOOR * start:
        return []  # swings of a loss already near zero are noise, not a learning-rate problem
    steps = np.diff(window)
    ups = int(np.sum(steps > OSCILLATION_SWING * level))
    half = len(window) // 2
    stuck = window[half:].mean() >= 0.95 * window[:half].mean()
    if ups >= max(2, OSCILLATION_UPS * len(steps)) and stuck:
        swing = float(np.max(np.abs(steps)) / level)
        return [Finding("oscillation", "warning", {
            "ups": ups, "steps": len(steps), "swing": f"{swing:.0%}", "first": losses[1],
            "last": losses[-1],
        }, epoch=len(losses) - 1)]  # fmt: skip
    return []


def overfitting(t: Telemetry) -> list[Finding]:
    """The validation loss turns up while the training loss keeps falling.

    Judged on the 3-epoch moving average of the validation loss: the minimum
    of a noisy series is biased low, and one bad epoch is not a trend.
    """
    losses = t.losses
    val = [float(v) for v in t.history.get("val_loss", [])]
    if len(val) < 5 or len(losses) != len(val) or not all(map(math.isfinite, val + losses)):
        return []
    smooth = np.convolve(val, np.ones(3) / 3, mode="valid")  # smooth[i] = mean(val[i:i+3])
    best_s = int(np.argmin(smooth))
    rise = (smooth[-1] - smooth[best_s]) / abs(smooth[best_s]) if smooth[best_s] else 0.0
    best = best_s + int(np.argmin(val[best_s:best_s + 3]))
    last = len(val) - 1
    gap_best, gap = val[best] - losses[best], val[last] - losses[last]
    start = t.start_loss if t.start_loss is not None else losses[0]
    progress = start - smooth[best_s]  # how far validation came down at its best
    significant = progress <= 0 or smooth[-1] - smooth[best_s] > OVERFIT_OF_PROGRESS * progress
    if len(smooth) - 1 - best_s >= 2 and rise > OVERFIT_RISE and significant \
            and losses[last] < losses[best] and gap > gap_best:  # fmt: skip
        return [Finding("overfitting", "warning", {
            "best_val": val[best], "best_epoch": best + 1, "val_loss": val[last],
            "loss": losses[last], "gap_best": gap_best, "gap": gap,
        }, epoch=last)]  # fmt: skip
    return []


def underfitting(t: Telemetry) -> list[Finding]:
    losses, baseline = t.losses, t.baseline_loss
    if len(losses) < 3 or not baseline or not all(map(math.isfinite, losses[-3:])):
        return []
    flat = all(abs(losses[i] - losses[i - 1]) <= PLATEAU_CHANGE * abs(losses[i - 1])
               for i in (-1, -2))  # fmt: skip
    if flat and losses[-1] >= UNDERFIT_FRACTION * baseline:
        return [Finding("underfitting", "warning", {
            "loss": losses[-1], "baseline": baseline, "fraction": f"{losses[-1] / baseline:.0%}",
        }, epoch=len(losses) - 1)]  # fmt: skip
    return []


TRENDS = ("learning_rate_too_low", "no_progress", "dead_relu", "saturation", "oscillation",
          "overfitting", "underfitting")  # fmt: skip
"""Findings about the course of training: the live doctor may see one early (a slow start looks
like no progress) that no longer holds at the end; the final report keeps only those that do."""

RULES = (divergence, gradient_flow, activations, stall, oscillation, overfitting, underfitting)
"""Every rule over the telemetry, in the order they run."""


def link_causes(findings: list[Finding]) -> list[Finding]:
    """Set ``caused_by`` on each symptom that another finding of the list explains."""
    present = {f.code for f in findings}
    for finding in findings:
        for cause in CAUSES.get(finding.code, ()):
            if cause in present and cause != finding.code:
                finding.caused_by = cause
                break
    return findings
