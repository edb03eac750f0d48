"""``CSVLogger``: one CSV row per epoch, readable by pandas or a spreadsheet."""

from __future__ import annotations

import collections.abc
import csv
import os
import warnings

import numpy as np

from treino.callbacks.base import Callback


class CSVLogger(Callback):
    """Write the logs of each epoch to a CSV file, as Keras 3.

    The header is ``epoch`` (0-based, as Keras) followed by the sorted keys of
    the first epoch's logs; when those hold no ``val_*`` key, the ``val_``
    twin of each metric is added (as Keras does, so that a later validation —
    ``validation_freq`` > 1 — has its columns; they read ``NA`` until then).
    Each row is flushed at once, so the file can be watched while training.

    Args:
        filename: the CSV file, e.g. ``"logs/treino.csv"`` (missing folders are created).
        separator: the column separator. Defaults to ``","``.
        append: add to an existing file (to continue a run) instead of
            overwriting it; the header is not repeated. Defaults to False.

    Example:
        >>> import os, tempfile
        >>> arquivo = os.path.join(tempfile.mkdtemp(), "treino.csv")
        >>> logger = CSVLogger(arquivo)
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
        >>> logger.on_train_end()
        >>> with open(arquivo) as f:
        ...     print(f.read().strip())
        epoch,loss,val_loss
        0,0.5,0.75
    """

    chief_only = True  # it writes files: under treino.distributed, rank 0 alone runs it

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True
        self._dropped: set[str] = set()

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as f:
                self.append_header = not f.readline()
        self._close()
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        mode = "a" if self.append else "w"
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.keys = None
        self.writer = None
        self._dropped = set()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None:  # used without on_train_begin
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{k}" for k in self.keys if k != "learning_rate"]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.sep)  # fmt: skip
            if self.append_header:
                self.writer.writeheader()
        new = set(logs) - set(self.keys) - self._dropped
        if new:
            warnings.warn(
                f"CSVLogger: {sorted(new)} appeared after the header of '{self.filename}' "
                "was written; they are not logged",
                stacklevel=2,
            )
            self._dropped |= new
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _cell(value):
    """A CSV cell: NumPy scalars as Python numbers, a sequence as ``"[1, 2]"``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, collections.abc.Iterable) and not isinstance(value, str):
        return f"[{', '.join(map(str, value))}]"
    return value
