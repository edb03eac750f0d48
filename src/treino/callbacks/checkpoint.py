"""``ModelCheckpoint``: save the model (or its weights) while it trains."""

from __future__ import annotations

import os
import warnings

import numpy as np

from treino.callbacks.base import print_msg
from treino.callbacks.monitor import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at the end of each epoch, or every N batches.

    Args:
        filepath: where to save; may hold ``str.format`` fields filled with
            ``epoch`` (1-based, as Keras), ``batch`` (1-based, when saving by
            batches) and the keys of the logs, e.g.
            ``"ckpt/modelo-{epoch:02d}-{val_loss:.2f}.treino"``. Missing
            folders are created.
        monitor: the quantity ``save_best_only`` compares. Defaults to ``"val_loss"``.
        verbose: 1 prints a message at each save. Defaults to 0.
        save_best_only: save only when ``monitor`` improves on the best so far
            (without ``{}`` fields in ``filepath``: one file, always the best
            model). Defaults to False.
        save_weights_only: ``model.save_weights(path)`` instead of
            ``model.save(path)``. Defaults to False.
        mode: ``"auto"``, ``"min"`` or ``"max"``, for ``save_best_only``.
            Defaults to ``"auto"``.
        save_freq: ``"epoch"``, or an integer N: save after every N training
            batches (counted across epochs; the logs are then the running
            means of the current epoch). Defaults to ``"epoch"``.
        initial_value_threshold: the value the first saved model must beat
            with ``save_best_only``. Defaults to None.

    The files are written by the model's own (atomic) ``save`` /
    ``save_weights``: an interrupted save never leaves a half-written file.
    The best value is reset to ``initial_value_threshold`` at the start of
    each ``fit``.

    Example:
        >>> checkpoint = ModelCheckpoint("ckpt/melhor.treino", monitor="val_accuracy",
        ...                              save_best_only=True)
        >>> # model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[checkpoint])
        >>> # melhor = treino.models.load_model("ckpt/melhor.treino")
    """

    chief_only = True  # it writes files: under treino.distributed, rank 0 alone runs it

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):  # fmt: skip
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        valid_freq = save_freq == "epoch" or (
            isinstance(save_freq, int | np.integer) and not isinstance(save_freq, bool)
            and save_freq > 0
        )  # fmt: skip
        if not valid_freq:
            raise ValueError(
                "ModelCheckpoint: save_freq must be 'epoch' or an integer > 0 (a number of "
                f"batches). Received: save_freq={save_freq!r}"
            )
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self._reset()

    def _reset(self) -> None:
        self.best = self.initial_value_threshold
        self._batches_since_save = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    # ------------------------------------------------------------- internals
    def _save(self, epoch: int, batch, logs) -> None:
        logs = logs or {}
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"ModelCheckpoint: filepath '{filepath}' is an existing "
                                    "folder; give a file name")  # fmt: skip
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    def _should_save(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ModelCheckpoint: can save the best model only with '{self.monitor}' "
                f"available, so the model is saved anyway. Available metrics are: "
                f"{', '.join(logs) or 'none'}.",
                stacklevel=4,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {filepath}")  # fmt: skip
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _file_path(self, epoch: int, batch, logs: dict) -> str:
        fields = {**logs, "epoch": epoch + 1}
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            key = error.args[0]
            hint = ""
            if isinstance(key, str) and key.startswith("val_"):
                hint = " (the 'val_' metrics need validation_data or validation_split in fit)"
            elif key == "batch":
                hint = " ({batch} exists only with an integer save_freq)"
            raise KeyError(
                f"ModelCheckpoint: filepath '{self.filepath}' uses {{{key}}}, which is not in "
                f"the logs{hint}. Available fields: {', '.join(fields)}."
            ) from None
        except (IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint: cannot format filepath '{self.filepath}' with the fields "
                f"{fields}: {error}. Use named fields such as {{epoch:02d}} or {{val_loss:.2f}}."
            ) from None
