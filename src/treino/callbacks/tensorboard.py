"""``TensorBoard``: write the training curves and the weight histograms for TensorBoard.

TensorBoard (the TensorFlow project's viewer, usable without TensorFlow) reads
*event files* and draws them in the browser. This callback writes those files
with the optional package `tensorboardX <https://github.com/lanpa/tensorboardX>`_::

    pip install "treino[tensorboard]"        # ou / or: pip install tensorboardX tensorboard

    from treino.callbacks import GradientMonitor, TensorBoard

    tb = TensorBoard(log_dir="logs/mlp", histogram_freq=1)
    # o GradientMonitor antes: o TensorBoard lê as chaves que ele põe nos logs
    model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[GradientMonitor(), tb])

Depois, num terminal / then, in a terminal::

    tensorboard --logdir logs                  # e abra / and open http://localhost:6006

Pointing ``--logdir`` at the parent folder (``logs``) shows every run beneath
it side by side (``logs/mlp``, ``logs/cnn``…): one folder per experiment.

What is written, as Keras 3's ``keras.callbacks.TensorBoard`` does
==================================================================

Two *runs* per ``log_dir``, so that TensorBoard overlays training and validation
in the same chart (same tag, two colours):

============================================ ============== ================================
tag                                          run            step
============================================ ============== ================================
``epoch_loss``, ``epoch_accuracy``, …        ``train``      the epoch
``epoch_loss``, … (from ``val_loss``, …)     ``validation`` the epoch
``epoch_learning_rate``                      ``train``      the epoch
``grad_norm/dense``, … (keys with a ``/``)   ``train``      the epoch
``batch_loss``, … (``update_freq=k``)        ``train``      optimizer update t (every k)
``evaluation_loss_vs_iterations``, …         ``validation`` optimizer update t
``dense/kernel``, ``dense/bias``, …          ``train``      the epoch (histogram)
``dense/kernel/gradient``, …                 ``train``      the epoch (histogram)
============================================ ============== ================================

* **Escalares / scalars.** Every entry of the epoch's ``logs`` whose value is a
  real number is written: ``loss`` as ``epoch_loss``; ``val_loss`` goes to the
  ``validation`` run as ``epoch_loss`` (the ``val_`` prefix removed, so the two
  curves share one chart); a key that already holds a ``/`` — the
  ``"<stat>/<layer>"`` keys of :class:`~treino.callbacks.GradientMonitor` — keeps
  its own name, since TensorBoard groups the charts by the part before the
  first ``/`` (one section ``grad_norm`` with a chart per layer). Lists, strings
  and booleans are skipped. Callbacks run in list order and share one ``logs``
  dict, so put the callbacks whose entries should be drawn *before* this one.
* **Histogramas / histograms** (``histogram_freq=k``: every k epochs). For each
  weight ``W`` (its ``variable.path``, e.g. ``dense/kernel``) the distribution of
  its values, and under ``<path>/gradient`` the distribution of ∂L/∂W of the
  *last training batch* of that epoch. A histogram of a tensor with n elements
  counts how many of the n values fall into each bucket (``num = n``); the
  "Distributions" tab draws the same data as percentile bands over the epochs.
  NaN/inf values cannot be drawn: they are left out of the histogram.
* **Por batch / per batch** (``update_freq=k``): the running means of the
  epoch (what the progress bar shows) as ``batch_<name>``, every k optimizer
  updates, at step t = ``model.optimizer.iterations``.

O que procurar / what to look for
=================================

* ``epoch_loss``: train and validation falling together is learning; validation
  turning up while train still falls is **overfitting** (the gap between the two
  curves is the generalization gap).
* ``epoch_learning_rate``: checks that a schedule or ``ReduceLROnPlateau`` did
  what you meant.
* Weight histograms should move slowly and stay spread out. All mass collapsing
  to 0 (or ReLU layers with many weights pushed negative) suggests dying units;
  ever-widening ones suggest a learning rate that is too big.
* Gradient histograms of the first layers much narrower than the last ones,
  epoch after epoch, is the **vanishing gradient** of the chain rule
  (∂L/∂W¹ = ∂L/∂a^L · ∏ ∂a^l/∂a^{l-1} · ∂a¹/∂W¹: a product of many factors
  < 1); ever-widening ones, **exploding** gradients (try clipping).

Steps across several ``fit`` calls
==================================

The callback can be passed to several ``fit`` calls; the steps **continue**:

* the epoch axis continues where this callback stopped: ``fit(epochs=3)`` then
  ``fit(epochs=2)`` writes epochs 0, 1, 2 then 3, 4 (a resumed run with
  ``initial_epoch=k`` keeps its own numbers when they do not go backwards);
* the batch axis is the optimizer's update count ``optimizer.iterations``,
  which continues by itself (and is saved with the model).

Each ``fit`` writes new event files in the same folders (TensorBoard reads them
all as one run). The writers are flushed at the end of each epoch (the charts
update while training) and closed by ``on_train_end``; a ``fit`` that ended with
an exception leaves them open until the next ``fit`` closes them. ``evaluate``
alone writes its results as ``evaluation_<name>_vs_iterations`` in the
``validation`` run, at the current update count.
"""

from __future__ import annotations

import itertools
import numbers
import os

import numpy as np

from treino.callbacks.base import Callback

INSTALL_MESSAGE = (
    "O callback TensorBoard precisa do pacote opcional tensorboardX: "
    'pip install "treino[tensorboard]" (ou pip install tensorboardX). / '
    "The TensorBoard callback needs the optional package tensorboardX: "
    'pip install "treino[tensorboard]" (or pip install tensorboardX).'
)
"""The message of the ImportError raised when tensorboardX is missing."""

_WRITER_IDS = itertools.count()
"""Numbers the event files: two writers opened in the same second of the same
process would otherwise get the same file name (tensorboardX names them by the
second and the host) and the second would overwrite the first."""


def summary_writer_class():
    """``tensorboardX.SummaryWriter``, imported on demand (tensorboardX is an optional extra).

    Raises:
        ImportError: tensorboardX is not installed; the message says how to install it.
    """
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError(INSTALL_MESSAGE) from error
    return SummaryWriter


def scalar_tag(key: str, prefix: str) -> str:
    """The TensorBoard tag of a log entry: ``prefix_key``, or ``key`` itself when it holds a ``/``.

    Keys such as ``grad_norm/dense`` are already grouped by their first part.

    Example:
        >>> scalar_tag("loss", "epoch"), scalar_tag("grad_norm/dense", "epoch")
        ('epoch_loss', 'grad_norm/dense')
    """
    return key if "/" in key else f"{prefix}_{key}"


def as_scalar(value) -> float | None:
    """``value`` as a float when it is one real number, else None (lists, strings, booleans).

    Example:
        >>> as_scalar(np.float32(0.5)), as_scalar(3), as_scalar([1.0, 2.0]), as_scalar(True)
        (0.5, 3.0, None, None)
    """
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
        return float(value)
    return None


class TensorBoard(Callback):
    """Write the logs and the weight/gradient histograms as TensorBoard event files.

    See the module's documentation for the tags written and how to read them.

    Args:
        log_dir: the folder of this run; the event files go to
            ``log_dir/train`` and ``log_dir/validation`` (created when first
            written to). Defaults to ``"logs"``.
        histogram_freq: every how many epochs to write the histograms of the
            weights and of their gradients (epochs 0, k, 2k, …); 0 = never.
            Defaults to 0.
        update_freq: ``"epoch"`` — only the epoch's scalars — or an integer
            k ≥ 1: also the batch logs every k optimizer updates (``"batch"``
            is k = 1). Small k slows training down and makes big files.
            Defaults to ``"epoch"``.

    Raises:
        ImportError: tensorboardX is not installed (``pip install "treino[tensorboard]"``).
        TypeError / ValueError: a bad argument, before anything is written.

    Example::

        tb = TensorBoard("logs/exp1", histogram_freq=1, update_freq=50)
        model.fit(x, y, validation_data=(x_val, y_val), epochs=10, callbacks=[tb])
        # terminal: tensorboard --logdir logs
    """

    chief_only = True  # it writes files: under treino.distributed, rank 0 alone runs it

    def __init__(self, log_dir="logs", histogram_freq: int = 0, update_freq="epoch"):
        super().__init__()
        if not isinstance(log_dir, str | os.PathLike):
            raise TypeError(f"TensorBoard: log_dir must be a folder path (str or os.PathLike). "
                            f"Received: log_dir={log_dir!r}")  # fmt: skip
        log_dir = os.fspath(log_dir)
        if not log_dir:
            raise ValueError("TensorBoard: log_dir must not be empty. Received: log_dir=''")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, numbers.Integral):
            raise TypeError(f"TensorBoard: histogram_freq must be an integer >= 0 (0 = never). "
                            f"Received: histogram_freq={histogram_freq!r}")  # fmt: skip
        if histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an integer >= 0 (0 = never). "
                             f"Received: histogram_freq={histogram_freq!r}")  # fmt: skip
        self.log_dir = log_dir
        self.histogram_freq = int(histogram_freq)
        self.update_freq = _check_update_freq(update_freq)
        self._writer_class = summary_writer_class()  # falha já aqui se faltar o tensorboardX
        self._writers: dict = {}
        self._in_fit = False
        self._last_epoch = -1  # o último passo de época escrito (persiste entre fits)
        self._epoch_offset: int | None = None
        self._capturing = False  # histogramas nesta época: guardar os gradientes
        self._gradients: dict[str, np.ndarray] = {}
        self._batches_seen = 0  # contagem própria, se o otimizador não tiver ``iterations``

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._close_writers()  # de um fit anterior interrompido por uma exceção
        self._in_fit = True
        self._epoch_offset = None
        self._capturing = False
        self._gradients = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._capturing = self._histograms_due(self._epoch_step(epoch))
        self._gradients = {}

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self._capturing:  # só a cópia do último batch fica
            self._gradients = {
                _path(v): np.array(v.grad, copy=True)
                for v in self.model.trainable_weights
                if v.grad is not None
            }
        if self.update_freq == "epoch" or not logs:
            return
        step = self._iteration()
        if step % self.update_freq == 0:
            self._write_scalars("train", logs, "batch", step)

    def on_epoch_end(self, epoch, logs=None):
        step = self._epoch_step(epoch)
        logs = dict(logs or {})
        if "learning_rate" not in logs:
            learning_rate = self._learning_rate()
            if learning_rate is not None:
                logs["learning_rate"] = learning_rate
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        self._write_scalars("train", train, "epoch", step)
        self._write_scalars("validation", validation, "epoch", step)
        if self._histograms_due(step):
            self._write_histograms(step)
        self._capturing = False
        self._gradients = {}
        self._last_epoch = max(self._last_epoch, step)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        if not logs:
            return
        tags = {f"evaluation_{k}_vs_iterations": v for k, v in logs.items() if "/" not in k}
        self._write_scalars("validation", tags, None, self._iteration())
        if not self._in_fit:  # evaluate sozinho: nada mais virá, feche já
            self._close_writers()

    def on_train_end(self, logs=None):
        self._close_writers()
        self._in_fit = False
        self._capturing = False
        self._gradients = {}

    # -------------------------------------------------------------- internals
    def _writer(self, run: str):
        """The writer of ``log_dir/run``, opened on first use."""
        writer = self._writers.get(run)
        if writer is None:
            suffix = f".{os.getpid()}.{next(_WRITER_IDS):06d}.treino"
            writer = self._writer_class(logdir=os.path.join(self.log_dir, run),
                                        filename_suffix=suffix)  # fmt: skip
            self._writers[run] = writer
        return writer

    def _close_writers(self) -> None:
        writers, self._writers = self._writers, {}
        for writer in writers.values():
            writer.close()  # close() flushes first

    def _write_scalars(self, run: str, logs: dict, prefix: str | None, step: int) -> None:
        for key, value in logs.items():
            number = as_scalar(value)
            if number is None:
                continue
            tag = key if prefix is None else scalar_tag(key, prefix)
            self._writer(run).add_scalar(tag, number, global_step=step)

    def _write_histograms(self, step: int) -> None:
        model = self.model
        for variable in getattr(model, "weights", []) if model is not None else []:
            _add_histogram(self._writer("train"), _path(variable), variable.data, step)
        for path, grad in self._gradients.items():
            _add_histogram(self._writer("train"), f"{path}/gradient", grad, step)

    def _epoch_step(self, epoch: int) -> int:
        """The epoch's step: ``epoch``, shifted so that a new ``fit`` continues after the last."""
        if self._epoch_offset is None:
            self._epoch_offset = max(0, self._last_epoch + 1 - epoch)
        return epoch + self._epoch_offset

    def _histograms_due(self, step: int) -> bool:
        return self.histogram_freq > 0 and step % self.histogram_freq == 0

    def _iteration(self) -> int:
        """The optimizer's update count t (this callback's batch count if it has none)."""
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if isinstance(iterations, numbers.Integral) and not isinstance(iterations, bool):
            return int(iterations)
        return self._batches_seen

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        try:
            return float(optimizer.learning_rate)
        except (AttributeError, TypeError, ValueError):
            return None


def _check_update_freq(update_freq):
    """``"epoch"`` or a positive int (``"batch"`` → 1), else a clear error."""
    message = ("TensorBoard: update_freq must be 'epoch', 'batch' or an integer >= 1 "
               "(write the batch logs every k updates). "
               f"Received: update_freq={update_freq!r}")  # fmt: skip
    if isinstance(update_freq, str):
        if update_freq not in ("epoch", "batch"):
            raise ValueError(message)
        return 1 if update_freq == "batch" else "epoch"
    if isinstance(update_freq, bool) or not isinstance(update_freq, numbers.Integral):
        raise TypeError(message)
    if update_freq < 1:
        raise ValueError(message)
    return int(update_freq)


def _path(variable) -> str:
    """A weight's tag: its full path (``dense/kernel``), else its name."""
    return getattr(variable, "path", None) or getattr(variable, "name", None) or "weight"


def _add_histogram(writer, tag: str, values, step: int) -> None:
    """One histogram of the finite values of ``values`` (TensorBoard cannot bin NaN/inf)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    finite = flat[np.isfinite(flat)]
    if finite.size:
        writer.add_histogram(tag, finite, global_step=step)
