"""``ProgbarLogger``: the progress bar and the per-epoch lines of ``fit``.

Three levels, as Keras's ``verbose``:

* ``0`` — silent;
* ``1`` — a live bar per epoch (``tqdm``: a widget in a notebook, a text bar
  in a terminal) whose postfix shows the running loss and metrics, redrawn at
  most every :attr:`ProgbarLogger.mininterval` seconds; at the end of the
  epoch the bar is replaced by one line with every log, ``val_*`` included;
* ``2`` — just that line, once per epoch (for log files and CI)::

      Epoch 3/10 - 1.2s - loss: 0.4213 - accuracy: 0.8512 - val_loss: 0.4410 - …

``evaluate`` and ``predict`` get the same treatment ("Evaluate …",
"Predict …"). Everything goes to stdout.
"""

from __future__ import annotations

import numbers
import sys
import time

from treino.callbacks.base import Callback


def resolve_verbose(verbose="auto") -> int:
    """Turn ``fit``'s ``verbose`` argument into 0, 1 or 2.

    Args:
        verbose: 0, 1, 2 or ``"auto"``: 1 (a live bar) when stdout is a
            terminal or in a Jupyter notebook, else 2 (one line per epoch, for
            logs and CI). Defaults to ``"auto"``.

    Example:
        >>> resolve_verbose(0), resolve_verbose(2)
        (0, 2)
    """
    if isinstance(verbose, str):
        if verbose == "auto":
            return 1 if _stdout_is_interactive() else 2
    elif isinstance(verbose, numbers.Integral) and 0 <= int(verbose) <= 2:
        return int(verbose)  # True/False count as 1/0
    raise ValueError(f"verbose must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")


def _stdout_is_interactive() -> bool:
    try:
        if sys.stdout.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    return _in_notebook()


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (notebook, JupyterLab, Colab), without importing IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an unusual or broken IPython: behave as a plain script
        return False


def format_value(value) -> str:
    """A log value as Keras prints it: 4 decimals, or 4 significant digits when tiny.

    Example:
        >>> format_value(0.42131), format_value(0.00012345), format_value(3)
        ('0.4213', '1.2345e-04', '3.0000')
    """
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def format_logs(logs) -> str:
    """``"loss: 0.4213 - accuracy: 0.8512"``, in the order of ``logs``.

    Per-layer telemetry (keys with a ``/``, such as ``"grad_norm/dense"`` from
    :class:`~treino.callbacks.GradientMonitor`) stays in the History but is not
    printed: one line per epoch must stay readable.

    Example:
        >>> format_logs({"loss": 0.42131, "val_loss": 0.5, "grad_norm/dense": 0.1})
        'loss: 0.4213 - val_loss: 0.5000'
    """
    shown = {key: value for key, value in (logs or {}).items() if "/" not in key}
    return " - ".join(f"{key}: {format_value(value)}" for key, value in shown.items())


def format_time(seconds: float) -> str:
    """``"850ms"``, ``"1.2s"``, ``"2m 05s"``.

    Example:
        >>> format_time(0.85), format_time(1.234), format_time(125)
        ('850ms', '1.2s', '2m 05s')
    """
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m {seconds:02d}s"


class ProgbarLogger(Callback):
    """Print the progress of ``fit``, ``evaluate`` and ``predict`` (see the module).

    ``fit`` adds one itself when ``verbose`` is not 0; the level, the number
    of epochs and the steps per epoch come from :meth:`set_params`
    (``{'verbose', 'epochs', 'steps'}``; ``steps`` None when unknown, e.g. a
    generator). Inside ``fit`` the validation pass shows no bar: its results
    appear in the epoch's line.
    """

    mininterval = 0.1
    """Seconds between two redraws of the live bar (tqdm's ``mininterval``)."""

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self._bar = None
        self._title = ""
        self._start = 0.0
        self._in_fit = False

    def set_params(self, params) -> None:
        super().set_params(params)
        self.verbose = resolve_verbose(params.get("verbose", 1))
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    # ------------------------------------------------------------------ fit
    def on_train_begin(self, logs=None):
        self._in_fit = True  # the validation passes stay silent

    def on_epoch_begin(self, epoch, logs=None):
        self._begin(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_train_end(self, logs=None):
        self._close_bar()  # an interrupted epoch leaves its bar open
        self._in_fit = False

    # ------------------------------------------------------------- evaluate
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._begin("Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    # -------------------------------------------------------------- predict
    def on_predict_begin(self, logs=None):
        self._begin("Predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)  # the outputs are not for printing

    def on_predict_end(self, logs=None):
        self._finish(None)

    # ------------------------------------------------------------- internals
    def _begin(self, title: str) -> None:
        self._close_bar()
        self._title = title
        self._start = time.perf_counter()
        if self.verbose == 1:
            # Imported here: in a Jupyter kernel without ipywidgets, tqdm.auto warns
            # on import, and most notebook code trains with verbose=0.
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.target, desc=title, unit="step", file=sys.stdout, leave=False,
                mininterval=self.mininterval, dynamic_ncols=True,
            )  # fmt: skip

    def _update(self, batch: int, logs) -> None:
        bar = self._bar
        if bar is None:
            return
        if logs:
            bar.set_postfix_str(format_logs(logs), refresh=False)  # drawn by the update
        bar.update(batch + 1 - bar.n)  # redraws at most every `mininterval` seconds

    def _finish(self, logs) -> None:
        self._close_bar()
        if self.verbose == 0:
            return
        parts = [self._title, format_time(time.perf_counter() - self._start)]
        if logs:
            parts.append(format_logs(logs))
        print(" - ".join(parts), file=sys.stdout, flush=True)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
