"""The training doctor, live in ``fit`` (:class:`TrainingDoctor`) or after it (:func:`diagnose`)."""

from __future__ import annotations

import math

import numpy as np

from treino.callbacks.base import Callback, print_msg
from treino.callbacks.gradient_monitor import GradientMonitor, activation_name
from treino.diagnostics.data import DataStats, initialization_findings
from treino.diagnostics.findings import Finding, Report
from treino.diagnostics.rules import RULES, TRENDS, Telemetry, link_causes
from treino.language import resolve_lang

_RESOLVED = {"pt": "[resolvido] {title}: não se confirma ao fim do treino.",
             "en": "[resolved] {title}: no longer holds at the end of training."}

START_SAMPLES = 32
"""The loss "at the start" is the mean over the first batches covering 32 samples (one batch of
32): a single batch of 4 is too noisy a reference for the divergence rule."""

_TASKS = {
    "SparseCategoricalCrossentropy": "classification",
    "CategoricalCrossentropy": "classification",
    "BinaryCrossentropy": "binary",
    "MeanSquaredError": "regression",
}


def _task(model) -> tuple[str | None, str | None]:
    """(task, loss short name) of a compiled single-output model, else (None, None)."""
    compiled = getattr(model, "_compiled_loss", None)
    if compiled is None or len(compiled.losses) != 1 or compiled.losses[0] is None:
        return None, None
    name = type(compiled.losses[0]).__name__
    return _TASKS.get(name), ("mse" if name == "MeanSquaredError" else name)


def _scales_own_inputs(model) -> bool:
    """True when the model normalises its inputs itself or reads token ids."""
    names = {type(layer).__name__ for layer in model._all_layers()}
    return bool(names & {"Rescaling", "Normalization", "Embedding"})


def _output_layers(model) -> set:
    try:
        outputs = list(getattr(model, "outputs", None) or [])
    except (AttributeError, ValueError):
        outputs = []
    names = {t.layer.name for t in outputs if getattr(t, "layer", None) is not None}
    return names or _last_layer(model)


def _last_layer(model) -> set:
    layers = [layer for layer in model._all_layers()[1:] if layer._own_weights
              or activation_name(layer) is not None]  # fmt: skip
    return {layers[-1].name} if layers else set()


def _learning_rate(model) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    try:
        return float(optimizer.learning_rate)
    except (AttributeError, TypeError, ValueError):
        return None


def _telemetry(history: dict, model=None, initial_loss=None, data: DataStats | None = None,
               start=None):  # fmt: skip
    activations, outputs, lr, baseline = {}, set(), None, None
    if model is not None:
        activations = {layer.name: activation_name(layer) for layer in model._all_layers()[1:]}
        outputs = _output_layers(model)
        lr = _learning_rate(model)
    if data is not None:
        baseline = data.baseline_loss(_task(model)[1] if model is not None else None)
    return Telemetry(history=history, initial_loss=initial_loss, activations=activations,
                     output_layers=outputs, learning_rate=lr, baseline_loss=baseline,
                     start=start or {})  # fmt: skip


def run_rules(telemetry: Telemetry) -> list[Finding]:
    """Every rule's findings over ``telemetry``."""
    return [finding for rule in RULES for finding in rule(telemetry)]


def diagnose(history, model=None, x=None, y=None, lang: str | None = None) -> Report:
    """Diagnose a finished run: the doctor's :class:`Report` from its History (and more, if given).

    Args:
        history: the History ``fit`` returned (or its ``.history`` dict). Its
            per-layer rules need the keys a :class:`~treino.callbacks.GradientMonitor`
            adds (pass one to ``fit``, or train with :class:`TrainingDoctor`).
        model: the trained model: adds the symmetric-initialisation check (a
            symmetric kernel stays symmetric; the scale check needs the weights
            as initialised, so it runs only when the history is empty), each
            layer's activation and the learning rate.
        x, y: the training data: adds the input-scale and class-balance checks,
            and the constant-guess baseline the underfitting rule needs.
        lang: ``'pt'`` or ``'en'`` for the report's text (None: the locale).

    Example:
        >>> relatorio = diagnose({"loss": [2.3, 2.3, 2.3], "grad_norm/a": [1e-12] * 3,
        ...                       "grad_norm/b": [1e-12] * 3}, lang="en")
        >>> relatorio.codes
        ['no_progress']
    """
    records = history.history if hasattr(history, "history") else history
    if not isinstance(records, dict):
        raise TypeError(f"diagnose: history must be a History or a dict of lists; "
                        f"received {type(history).__name__}")  # fmt: skip
    findings = []
    data = None
    if x is not None:
        task = _task(model)[0] if model is not None else None
        check = model is None or not _scales_own_inputs(model)
        data = DataStats(task=task if y is not None else None, check_inputs=check)
        x_array, y_array = np.asarray(x), None if y is None else np.asarray(y)
        for start in range(0, len(x_array), 4096):
            data.update(x_array[start:start + 4096],
                        None if y_array is None else y_array[start:start + 4096])  # fmt: skip
        findings += data.findings()
    if model is not None and model.built:
        trained = any(len(v) for k, v in records.items() if k == "loss")
        findings += initialization_findings(model, scale=not trained)
    findings += run_rules(_telemetry(dict(records), model, data=data))
    return Report(link_causes(_unique(findings)), lang=lang)


def _unique(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for finding in findings:
        if finding.key not in seen:
            seen.add(finding.key)
            out.append(finding)
    return out


class TrainingDoctor(Callback):
    """Watch training live and say what is going wrong, once per problem, with a suggestion.

    The course describes "ferramentas de diagnóstico automático que monitoram o
    comportamento do treinamento e alertam sobre potenciais problemas,
    sugerindo correções". Add this callback to ``fit``::

        doctor = TrainingDoctor(lang="pt")
        model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[doctor])
        print(doctor.report)            # the findings of the whole run
        doctor.report.codes             # ['overfitting']

    It checks the data it trains on (input scale, class balance) during the
    first epoch, the initial weights (symmetry, scale) before the first update,
    every batch's loss (NaN/inf → divergence at once, and training stops:
    nothing can be learned from a NaN loss), and the epoch telemetry
    — losses and, through an internal :class:`~treino.callbacks.GradientMonitor`,
    per-layer gradients and activations — at every epoch end. Each finding is
    printed when first seen (``verbose=1``) and kept in :attr:`report`.

    Args:
        lang: ``'pt'`` or ``'en'`` (None: from the locale).
        verbose: 1 prints each finding when first seen; 0 only records them.
        monitor: run a GradientMonitor (per-layer rules); its keys go into the
            History. ``False`` keeps only the loss and data rules (no overhead).
        stop_on_critical: stop training at the first critical finding. Defaults to False.

    Attributes:
        report: the :class:`~treino.diagnostics.Report` so far. At the end of
            ``fit`` the findings about the course of training (no progress,
            underfitting, overfitting, oscillation, dead or saturated units) are
            checked again on the whole run, and those that no longer hold — a
            slow start that later took off — are dropped (``verbose`` says so).
        findings: its findings, in the order they were seen.
    """

    def __init__(self, lang: str | None = None, verbose: int = 1, monitor: bool = True,
                 stop_on_critical: bool = False):  # fmt: skip
        super().__init__()
        self.lang = resolve_lang(lang)
        self.verbose = int(verbose)
        self.monitor = GradientMonitor() if monitor else None
        self.stop_on_critical = bool(stop_on_critical)
        self.findings: list[Finding] = []
        self._reset()

    def _reset(self) -> None:
        self.findings = []
        self._seen: set = set()
        self._history: dict = {}
        self._initial_loss = None
        self._start_samples = 0
        self._start: dict = {}
        self._data: DataStats | None = None
        self._init_checked = False
        self._current_epoch = None

    def set_model(self, model) -> None:
        super().set_model(model)
        if self.monitor is not None:
            self.monitor.set_model(model)

    def set_params(self, params) -> None:
        super().set_params(params)
        if self.monitor is not None:
            self.monitor.set_params(params)

    @property
    def report(self) -> Report:
        return Report(link_causes(list(self.findings)), lang=self.lang)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._reset()
        if self.monitor is not None:
            self.monitor.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        if self.monitor is not None:
            self.monitor.on_epoch_begin(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        if not self._init_checked and self.model.built:
            self._init_checked = True
            self._add(initialization_findings(self.model))
        if self.monitor is not None:
            self.monitor.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self.monitor is not None:
            self.monitor.on_train_batch_end(batch, logs)
            if not self._start and self.monitor._epoch_measures:
                self._start = self.monitor._epoch_measures[0]  # the first batch, before updating
        if not self._init_checked and self.model.built:  # built by the first step
            self._init_checked = True
            self._add(initialization_findings(self.model))
        loss = (logs or {}).get("loss")
        if self._initial_loss is None and loss is not None and self._current_epoch is not None:
            batch_x = (self.model.current_batch or (None,))[0]
            self._start_samples += len(batch_x) if isinstance(batch_x, np.ndarray) else 32
            if self._start_samples >= START_SAMPLES or not math.isfinite(loss):
                self._initial_loss = float(loss)  # the running mean of the first batches
        if self._data is None:
            task, _ = _task(self.model)
            self._data = DataStats(task, check_inputs=not _scales_own_inputs(self.model))
        if self.model._compiled_loss is not None and self._epoch_is_first():
            x, y, _ = self.model.current_batch or (None, None, None)
            self._data.update(x, y)
        if loss is not None and not math.isfinite(loss):  # no update can follow a NaN loss
            self._add([Finding("divergence", "critical",
                               {"initial": self._initial_loss, "loss": float(loss)},
                               epoch=self._current_epoch)])  # fmt: skip
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor is not None:
            self.monitor.on_epoch_end(epoch, logs)
        if self._epoch_is_first() and self._data is not None:
            self._add(self._data.findings())
        for key, value in (logs or {}).items():
            self._history.setdefault(key, []).append(value)
        telemetry = _telemetry(self._history, self.model, self._initial_loss, self._data,
                               self._start)  # fmt: skip
        self._add(run_rules(telemetry))

    def on_train_end(self, logs=None):
        if self.monitor is not None:
            self.monitor.on_train_end(logs)
        if not self._history:
            return
        telemetry = _telemetry(self._history, self.model, self._initial_loss, self._data,
                               self._start)  # fmt: skip
        holding = {f.key for f in run_rules(telemetry)}
        for finding in list(self.findings):  # a slow start is not "no progress" any more
            if finding.code in TRENDS and finding.key not in holding:
                self.findings.remove(finding)
                self._seen.discard(finding.key)
                if self.verbose:
                    print_msg(_RESOLVED[self.lang].format(title=finding.title(self.lang)))
        for finding in self.findings:
            finding.caused_by = None
        link_causes(self.findings)

    # ------------------------------------------------------------- internals
    def _epoch_is_first(self) -> bool:
        return not self._history  # no epoch has ended yet

    def _add(self, findings) -> None:
        for finding in findings:
            if finding.key in self._seen:
                continue
            self._seen.add(finding.key)
            self.findings.append(finding)
            link_causes(self.findings)
            if self.verbose:
                print_msg(finding.text(self.lang))
            if self.stop_on_critical and finding.severity == "critical":
                self.model.stop_training = True
