"""Callbacks that change the learning rate between epochs.

* :class:`LearningRateScheduler` — η of each epoch from your function;
* :class:`ReduceLROnPlateau` — η × ``factor`` when the monitored metric stalls.

Both set ``model.optimizer.learning_rate``, which must then be a number: an
optimizer created with a schedule (``ExponentialDecay`` …) refuses a float with
a TypeError — use one mechanism or the other, not both.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers

import numpy as np

from treino.callbacks.base import Callback, print_msg
from treino.callbacks.monitor import MonitorCallback, _count, _number


def _optimizer(callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{type(callback).__name__}: the model needs an optimizer with a "
                         "learning_rate (compile the model first)")  # fmt: skip
    return optimizer


def current_learning_rate(callback) -> float:
    """The learning rate of ``callback.model``'s optimizer, as a float."""
    return float(_optimizer(callback).learning_rate)


def _wants_lr(schedule) -> bool | None:
    """True for ``schedule(epoch, lr)``, False for ``schedule(epoch)``, None when unknown."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):  # some builtins have no signature
        return None
    for args in ((0, 0.1), (0,)):
        try:
            signature.bind(*args)
            return len(args) == 2
        except TypeError:
            continue
    name = getattr(schedule, "__name__", type(schedule).__name__)
    raise TypeError("LearningRateScheduler: schedule must accept (epoch, lr) or (epoch); "
                    f"received {name}{signature}")  # fmt: skip


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    Args:
        schedule: a function of the epoch index (0-based) and the current
            learning rate returning the new one (a float). A one-argument
            ``schedule(epoch)`` is accepted too (Keras's older form).
        verbose: 1 prints the new rate at each epoch. Defaults to 0.

    At the end of each epoch ``logs['learning_rate']`` holds the rate used.

    Example:
        The course's schedule (from the Keras documentation): constant for 10
        epochs, then decaying by e^(−0.1) per epoch.

        >>> import math
        >>> def scheduler(epoch, lr):
        ...     if epoch < 10:
        ...         return lr
        ...     else:
        ...         return lr * math.exp(-0.1)
        >>> callback = LearningRateScheduler(scheduler)
        >>> lr = 0.01
        >>> for epoch in range(12):
        ...     lr = scheduler(epoch, lr)
        >>> round(lr, 6)  # 0.01 · e^(−0.2)
        0.008187
        >>> # history = model.fit(x, y, epochs=15, callbacks=[callback])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be a function "
                            f"schedule(epoch, lr). Received: {schedule!r}")  # fmt: skip
        self.schedule = schedule
        self.verbose = verbose
        self._wants_lr = _wants_lr(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer(self)
        lr = float(optimizer.learning_rate)
        if self._wants_lr is None:  # unknown signature: Keras's fallback
            try:
                new_lr = self.schedule(epoch, lr)
            except TypeError:
                new_lr = self.schedule(epoch)
        else:
            new_lr = self.schedule(epoch, lr) if self._wants_lr else self.schedule(epoch)
        new_lr = self._checked(new_lr, epoch, lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{new_lr}.")  # fmt: skip

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self)

    def _checked(self, value, epoch: int, lr: float) -> float:
        item = getattr(value, "item", None)
        if not isinstance(value, numbers.Real) and callable(item):
            with contextlib.suppress(TypeError, ValueError):  # a 0-d array, a 1-element tensor
                value = item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                "LearningRateScheduler: the schedule must return a number, the new learning "
                f"rate; schedule(epoch={epoch}, lr={lr}) returned {value!r} "
                f"({type(value).__name__}). Did the function forget to return?"
            )
        if not math.isfinite(value):
            raise ValueError(f"LearningRateScheduler: the schedule returned {value} at "
                             f"epoch {epoch}; the learning rate must be finite")  # fmt: skip
        return float(value)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    Keras 3's rules: at each epoch end ``logs['learning_rate']`` is set to the
    rate of that epoch; if ``logs[monitor]`` did not improve (by more than
    ``min_delta``) for ``patience`` epochs, η ← max(η·factor, min_lr), then
    ``cooldown`` epochs pass before the waiting starts again.

    Args:
        monitor: the quantity to watch. Defaults to ``"val_loss"``.
        factor: η ← η·factor; must be in [0, 1). Defaults to 0.1.
        patience: epochs without improvement before reducing. Defaults to 10.
        verbose: 1 prints a message at each reduction. Defaults to 0.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Defaults to ``"auto"``.
        min_delta: the smallest change that counts as an improvement.
            Defaults to 1e-4.
        cooldown: epochs to wait after a reduction before counting again.
            Defaults to 0.
        min_lr: the lowest learning rate allowed. Defaults to 0.0.

    Example:
        >>> reduzir = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5,
        ...                             min_lr=0.001)
        >>> # model.fit(x_train, y_train, validation_split=0.2, callbacks=[reduzir])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):  # fmt: skip
        super().__init__(monitor, mode, min_delta=min_delta)
        factor = _number(self, "factor", factor)
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received: factor={factor}")  # fmt: skip
        if factor < 0:
            raise ValueError(f"ReduceLROnPlateau: factor must be >= 0. Received: factor={factor}")
        self.factor = factor
        self.patience = _count(self, "patience", patience)
        self.verbose = verbose
        self.cooldown = _count(self, "cooldown", cooldown)
        self.min_lr = _number(self, "min_lr", min_lr)
        if self.min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0. Received: min_lr={min_lr}")
        self._reset()

    def _reset(self) -> None:
        self.cooldown_counter = 0
        self.wait = 0
        self.best = None

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        logs["learning_rate"] = current_learning_rate(self)
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch: int) -> None:
        old_lr = current_learning_rate(self)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            _optimizer(self).learning_rate = new_lr
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                          f"{new_lr}.")  # fmt: skip
            self.cooldown_counter = self.cooldown
            self.wait = 0
