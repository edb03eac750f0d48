"""``EarlyStopping``: stop when the monitored quantity stops improving."""

from __future__ import annotations

from treino.callbacks.base import print_msg
from treino.callbacks.monitor import MonitorCallback, _count, _number


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving (Keras 3's rules).

    At each epoch end from ``start_from_epoch`` on, ``wait`` counts the epochs
    since the last improvement of ``logs[monitor]`` (see
    :class:`~treino.callbacks.monitor.MonitorCallback` for ``mode`` and
    ``min_delta``); once ``wait >= patience`` the callback sets
    ``model.stop_training``.

    Args:
        monitor: the quantity to watch. Defaults to ``"val_loss"``.
        min_delta: the smallest change that counts as an improvement. Defaults to 0.
        patience: epochs without improvement before stopping. Defaults to 0.
        verbose: 1 prints a message when stopping and restoring. Defaults to 0.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Defaults to ``"auto"``.
        baseline: a value the metric must beat: epochs that improve on the
            best so far but not on the baseline still count towards
            ``patience``. Defaults to None.
        restore_best_weights: at the end of training, put back the weights of
            the best epoch — also when training ran to the last epoch without
            stopping early (as Keras 3). Defaults to False.
        start_from_epoch: epochs of warm-up ignored before watching. Defaults to 0.

    Attributes:
        best: the best value seen. best_epoch: its epoch (0-based).
        wait: epochs since the last improvement. stopped_epoch: the epoch at
            which training was stopped (0 if it was not).

    All of these are reset at the start of each ``fit``, so one object can be reused.

    Example:
        >>> parada = EarlyStopping(monitor="val_loss", patience=3,
        ...                        restore_best_weights=True)
        >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[parada])
        >>> parada.patience
        3
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):  # fmt: skip
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = _count(self, "patience", patience)
        self.verbose = verbose
        self.baseline = None if baseline is None else _number(self, "baseline", baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _count(self, "start_from_epoch", start_from_epoch)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()  # here, once the model's metrics exist
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # the first watched epoch
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # the wait restarts only when the value beats the baseline too
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)
