"""``AdaptiveRegularization``: tune dropout and L2 from the generalisation gap, epoch by epoch."""

from __future__ import annotations

import math

from treino.callbacks.base import Callback, print_msg
from treino.callbacks.monitor import _count, _number

KINDS = ("dropout", "l2")
GAPS = ("relative", "absolute")


class AdaptiveRegularization(Callback):
    """Raise or lower the regularisation during training from the validation gap.

    The course speaks of "técnicas de regularização adaptativa que ajustam sua
    intensidade durante o treinamento com base no desempenho da validação".
    This callback is one such technique. At the end of each epoch it measures
    the generalisation gap from the logs — by default the relative gap

        gap = (val_loss − loss) / |loss|

    (both losses include the weight penalties, as in Keras) — and compares it
    with a target band ``target_gap ± tolerance``:

    * gap > target_gap + tolerance: the model fits the training set much better
      than the validation set (overfitting) → **raise** the regularisation;
    * gap < target_gap − tolerance: the training loss (measured *with* dropout
      active) is close to or above the validation loss, a sign of too much
      regularisation (underfitting) → **lower** it;
    * otherwise → keep it.

    What it adjusts (``adjust``):

    * ``"dropout"`` — the ``rate`` of every ``Dropout``, ``SpatialDropout1D`` /
      ``SpatialDropout2D`` and ``DropConnect`` layer of the model (nested ones
      too): p ← p ± ``rate_step``, clipped to [``min_rate``, ``max_rate``];
    * ``"l2"`` — the strength λ of every L2 weight regularizer (and the ``l2``
      of every ``L1L2`` whose l2 > 0): λ ← λ·``l2_factor`` to raise,
      λ / ``l2_factor`` to lower, clipped to [``min_l2``, ``max_l2``]. A
      regularizer shared by several weights is changed once.

    A step never moves a value in the wrong direction (a rate above
    ``max_rate`` is not lowered by a "raise"). Both changes act from the next
    batch on: layers read ``rate`` and regularizers read λ at every call.

    The values in effect during the epoch go into its logs — ``'dropout_rate'``
    (the mean over the dropout layers), ``'l2'`` (the mean over the L2
    regularizers) and ``'generalization_gap'`` — so the ``History`` records
    them; every change is also appended to :attr:`history`.

    Args:
        target_gap: the gap aimed at. Defaults to 0.1 (validation loss 10% above
            the training loss).
        tolerance: half-width of the band where nothing changes. Defaults to 0.05.
        adjust: which regularisers to adjust: ``"dropout"``, ``"l2"`` or both.
            Defaults to ``("dropout", "l2")``.
        rate_step: the additive step of the dropout rates. Defaults to 0.05.
        min_rate, max_rate: the range of the rates, 0 ≤ min ≤ max < 1.
            Defaults to 0.0 and 0.5.
        l2_factor: the multiplicative step of the L2 strengths, > 1. Defaults to 2.0.
        min_l2, max_l2: the range of the L2 strengths. Defaults to 1e-6 and 0.1.
        gap: ``"relative"`` ((val_loss − loss)/|loss|), ``"absolute"``
            (val_loss − loss), or a function ``gap(logs) -> float``.
            Defaults to ``"relative"``.
        patience: consecutive epochs out of the band (on the same side) before a
            change. Defaults to 1 (change at once).
        cooldown: epochs after a change during which nothing changes (the
            change needs time to show in the losses). Defaults to 0.
        verbose: 1 prints each change, and once when there is nothing to
            adjust. Defaults to 0.

    Attributes:
        history: one dict per change — ``{'epoch', 'gap', 'kind' ('dropout' or
            'l2'), 'target' (the layer name or the weight paths), 'from', 'to'}``.
            Reset at the start of each ``fit``, with the patience and cooldown
            counters (the adjusted values themselves stay: they are the model's).

    Needs validation data (``validation_data`` or ``validation_split`` in ``fit``):
    an epoch without ``val_loss`` before any validated epoch is an error; with
    ``validation_freq > 1`` the epochs between validations are skipped.

    Example:
        >>> import numpy as np
        >>> from treino import layers, models, regularizers
        >>> model = models.Sequential([
        ...     layers.Dense(8, activation="relu", input_shape=(4,),
        ...                  kernel_regularizer=regularizers.L2(0.001)),
        ...     layers.Dropout(0.2),
        ...     layers.Dense(1),
        ... ])
        >>> adaptive = AdaptiveRegularization(target_gap=0.1, tolerance=0.05)
        >>> adaptive.set_model(model)
        >>> adaptive.on_train_begin()
        >>> logs = {"loss": 0.20, "val_loss": 0.40}  # gap = 1.0: overfitting
        >>> adaptive.on_epoch_end(0, logs)
        >>> round(model.layers[1].rate, 2), round(model.layers[0].kernel_regularizer.l2, 6)
        (0.25, 0.002)
        >>> logs["dropout_rate"], logs["l2"]  # the values in effect during the epoch
        (0.2, 0.001)
        >>> # model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[adaptive])
    """

    def __init__(self, target_gap=0.1, tolerance=0.05, adjust=KINDS, rate_step=0.05,
                 min_rate=0.0, max_rate=0.5, l2_factor=2.0, min_l2=1e-6, max_l2=0.1,
                 gap="relative", patience=1, cooldown=0, verbose=0):  # fmt: skip
        super().__init__()
        self.target_gap = _number(self, "target_gap", target_gap)
        self.tolerance = _non_negative(self, "tolerance", tolerance)
        self.adjust = _kinds(adjust)
        self.rate_step = _non_negative(self, "rate_step", rate_step)
        self.min_rate = _non_negative(self, "min_rate", min_rate)
        self.max_rate = _number(self, "max_rate", max_rate)
        if not self.min_rate <= self.max_rate < 1:
            raise ValueError("AdaptiveRegularization: need 0 <= min_rate <= max_rate < 1. "
                             f"Received: min_rate={min_rate}, max_rate={max_rate}")  # fmt: skip
        self.l2_factor = _number(self, "l2_factor", l2_factor)
        if self.l2_factor <= 1:
            raise ValueError("AdaptiveRegularization: l2_factor must be > 1 (λ·factor raises, "
                             f"λ/factor lowers). Received: l2_factor={l2_factor}")  # fmt: skip
        self.min_l2 = _non_negative(self, "min_l2", min_l2)
        self.max_l2 = _number(self, "max_l2", max_l2)
        if self.max_l2 < self.min_l2:
            raise ValueError("AdaptiveRegularization: need 0 <= min_l2 <= max_l2. "
                             f"Received: min_l2={min_l2}, max_l2={max_l2}")  # fmt: skip
        if not (callable(gap) or gap in GAPS):
            raise ValueError(f"AdaptiveRegularization: gap must be one of {GAPS} or a function "
                             f"gap(logs) -> float. Received: gap={gap!r}")  # fmt: skip
        self.gap = gap
        self.patience = _count(self, "patience", patience)
        if self.patience < 1:
            raise ValueError("AdaptiveRegularization: patience must be an integer >= 1. "
                             f"Received: patience={patience!r}")  # fmt: skip
        self.cooldown = _count(self, "cooldown", cooldown)
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.history: list[dict] = []
        self.wait = 0
        self.cooldown_counter = 0
        self._side = 0
        self._validated = False
        self._told: set[str] = set()

    def on_train_begin(self, logs=None):
        self._reset()

    # ------------------------------------------------------------------ rule
    def measure_gap(self, logs: dict, epoch: int = 0) -> float | None:
        """The generalisation gap of an epoch's logs (None: an epoch between validations)."""
        if callable(self.gap):
            return float(self.gap(logs))
        if logs.get("val_loss") is None:
            if self._validated:
                return None
            raise ValueError(
                "AdaptiveRegularization measures the generalisation gap between 'val_loss' "
                "and 'loss', so fit needs validation data: pass validation_data=(x_val, y_val) "
                f"or validation_split=0.2. The logs of epoch {epoch + 1} hold only: "
                f"{', '.join(logs) or 'nothing'}"
            )
        self._validated = True
        loss, val_loss = float(logs["loss"]), float(logs["val_loss"])
        if self.gap == "absolute":
            return val_loss - loss
        return (val_loss - loss) / max(abs(loss), 1e-12)

    def _decide(self, gap: float) -> int:
        """+1 raise, −1 lower, 0 keep — after ``patience`` epochs on one side, outside cooldown."""
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
            return 0
        side = 0
        if gap > self.target_gap + self.tolerance:
            side = 1
        elif gap < self.target_gap - self.tolerance:
            side = -1
        if side != self._side:
            self._side, self.wait = side, 0
        if side == 0:
            return 0
        self.wait += 1
        if self.wait < self.patience:
            return 0
        self.wait = 0
        self.cooldown_counter = self.cooldown
        return side

    # --------------------------------------------------------------- targets
    def dropout_layers(self) -> list:
        """The model's Dropout, SpatialDropout and DropConnect layers (nested ones too)."""
        from treino.layers.core import Dropout
        from treino.layers.regularization import DropConnect

        return [layer for layer in _all_layers(self.model)
                if isinstance(layer, Dropout | DropConnect)]  # fmt: skip

    def l2_regularizers(self) -> list:
        """``[(regularizer, [weight paths])]``: the distinct L2 / L1L2 (l2 > 0) weight penalties."""
        from treino.regularizers import L1L2, L2

        found: dict[int, tuple] = {}
        for layer in _all_layers(self.model):
            for weight in layer._own_weights:
                reg = weight.regularizer
                if isinstance(reg, L2 | L1L2) and reg.l2 > 0:
                    found.setdefault(id(reg), (reg, []))[1].append(weight.path)
        return list(found.values())

    # ----------------------------------------------------------------- hooks
    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        gap = self.measure_gap(logs, epoch)
        if gap is None:
            return
        logs["generalization_gap"] = gap
        dropouts = self.dropout_layers() if "dropout" in self.adjust else []
        l2s = self.l2_regularizers() if "l2" in self.adjust else []
        self._tell_what_is_missing(dropouts, l2s)
        if dropouts:
            logs["dropout_rate"] = sum(layer.rate for layer in dropouts) / len(dropouts)
        if l2s:
            logs["l2"] = sum(reg.l2 for reg, _ in l2s) / len(l2s)
        if not (dropouts or l2s) or not math.isfinite(gap):
            return
        side = self._decide(gap)
        if side == 0:
            return
        changes = [self._step_rate(layer, side) for layer in dropouts]
        changes += [self._step_l2(reg, paths, side) for reg, paths in l2s]
        changes = [{"epoch": epoch, "gap": gap, **c} for c in changes if c["from"] != c["to"]]
        self.history.extend(changes)
        if self.verbose > 0:
            self._report(epoch, gap, side, changes)

    def _step_rate(self, layer, side: int) -> dict:
        old = layer.rate
        if side > 0:
            new = max(old, min(old + self.rate_step, self.max_rate))
        else:
            new = min(old, max(old - self.rate_step, self.min_rate))
        layer.rate = round(new, 12)  # no 0.15000000000000002 drift after many steps
        return {"kind": "dropout", "target": layer.name, "from": old, "to": layer.rate}

    def _step_l2(self, regularizer, paths: list, side: int) -> dict:
        old = regularizer.l2
        if side > 0:
            new = max(old, min(old * self.l2_factor, self.max_l2))
        else:
            new = min(old, max(old / self.l2_factor, self.min_l2))
        regularizer.l2 = new
        return {"kind": "l2", "target": ", ".join(paths), "from": old, "to": new}

    # -------------------------------------------------------------- messages
    def _tell_what_is_missing(self, dropouts: list, l2s: list) -> None:
        if self.verbose <= 0:
            return
        if not dropouts and not l2s:
            self._tell_once(
                "nothing",
                "AdaptiveRegularization: nothing to adjust — the model "
                f"has {_missing(self.adjust)}; the regularisation stays as it is",
            )
        elif "dropout" in self.adjust and not dropouts:
            self._tell_once(
                "dropout",
                "AdaptiveRegularization: the model has no Dropout, "
                "SpatialDropout or DropConnect layer; adjusting L2 only",
            )
        elif "l2" in self.adjust and not l2s:
            self._tell_once(
                "l2",
                "AdaptiveRegularization: the model has no L2 weight "
                "regularizer; adjusting dropout rates only",
            )

    def _tell_once(self, key: str, message: str) -> None:
        if key not in self._told:
            self._told.add(key)
            print_msg(message)

    def _report(self, epoch: int, gap: float, side: int, changes: list) -> None:
        band = f"{self.target_gap:g} ± {self.tolerance:g}"
        where, verb = ("above", "raising") if side > 0 else ("below", "lowering")
        if not changes:
            print_msg(f"Epoch {epoch + 1}: AdaptiveRegularization: gap {gap:.4g} {where} "
                      f"{band}, but every value is already at its limit")  # fmt: skip
            return
        parts = [f"{c['kind']} {c['target']}: {c['from']:.4g} → {c['to']:.4g}" for c in changes]
        print_msg(f"Epoch {epoch + 1}: AdaptiveRegularization: gap {gap:.4g} {where} {band}, "
                  f"{verb} regularisation: " + "; ".join(parts))  # fmt: skip


def _all_layers(model) -> list:
    return [] if model is None else model._all_layers()


def _missing(kinds: tuple) -> str:
    names = {"dropout": "no Dropout, SpatialDropout or DropConnect layer",
             "l2": "no L2 weight regularizer"}  # fmt: skip
    return " and ".join(names[k] for k in kinds)


def _non_negative(owner, name: str, value) -> float:
    value = _number(owner, name, value)
    if value < 0:
        raise ValueError(f"{type(owner).__name__}: {name} must be >= 0. Received: {name}={value}")
    return value


def _kinds(adjust) -> tuple:
    kinds = (adjust,) if isinstance(adjust, str) else tuple(adjust)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"AdaptiveRegularization: adjust must name one or both of {KINDS}. "
                         f"Received: adjust={adjust!r}")  # fmt: skip
    return tuple(dict.fromkeys(kinds))
