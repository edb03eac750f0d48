"""The ``Callback`` base class: hooks that ``fit``, ``evaluate`` and ``predict`` call.

A callback watches the training loop from the outside. The loop calls its
hooks at fixed moments (Keras 3's names and order)::

    on_train_begin
        on_epoch_begin(epoch)
            on_train_batch_begin(batch) … on_train_batch_end(batch, logs)   # each batch
            on_test_begin … on_test_end                                     # validation
        on_epoch_end(epoch, logs)
    on_train_end

and a callback talks back only through ``logs`` (it may add entries, as
``ReduceLROnPlateau`` adds ``'learning_rate'``) and ``model.stop_training``.
"""

from __future__ import annotations

import sys

from tqdm import tqdm  # the text class: its write() also clears notebook bars

HOOKS = (
    "on_batch_begin", "on_batch_end",
    "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
    "on_train_begin", "on_train_end",
    "on_test_begin", "on_test_end",
    "on_predict_begin", "on_predict_end",
)  # fmt: skip
"""The names of every hook a :class:`Callback` has."""


class Callback:
    """Base class of the callbacks: every hook is a no-op; override the ones you need.

    The loop calls :meth:`set_model` and :meth:`set_params` before training;
    ``self.params`` then holds ``{'verbose', 'epochs', 'steps'}`` and
    ``self.model`` the model being trained.

    ``on_batch_begin`` / ``on_batch_end`` are the old names of the training
    batch hooks (as in Keras): override either, not both.

    Example:
        >>> class ContaEpocas(Callback):
        ...     def on_train_begin(self, logs=None):
        ...         self.epocas = 0
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         self.epocas += 1
        >>> cb = ContaEpocas()
        >>> cb.on_train_begin(); cb.on_epoch_end(0, {"loss": 0.5}); cb.epocas
        1
    """

    #: True for a callback that writes files or prints: in a data-parallel run
    #: (:mod:`treino.distributed`) only rank 0 runs it.
    chief_only = False

    def __init__(self):
        self.params: dict = {}
        self._model = None

    def set_params(self, params) -> None:
        """Receive the loop's parameters: ``{'verbose', 'epochs', 'steps'}``."""
        self.params = params

    def set_model(self, model) -> None:
        """Receive the model being trained (or evaluated)."""
        self._model = model

    @property
    def model(self):
        """The model these hooks act on (None until :meth:`set_model`)."""
        return self._model

    # ------------------------------------------------------------ batch hooks
    def on_batch_begin(self, batch, logs=None):
        """Alias of :meth:`on_train_batch_begin` kept for compatibility."""

    def on_batch_end(self, batch, logs=None):
        """Alias of :meth:`on_train_batch_end` kept for compatibility."""

    def on_train_batch_begin(self, batch, logs=None):
        """Before training batch ``batch`` (0-based, within the epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """After training batch ``batch``; ``logs`` are the running means of the epoch."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Before an evaluation batch (in ``evaluate`` and in ``fit``'s validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """After an evaluation batch; ``logs`` are the running means so far."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Before a ``predict`` batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """After a ``predict`` batch; ``logs = {'outputs': [...]}``."""

    # ------------------------------------------------------------ epoch hooks
    def on_epoch_begin(self, epoch, logs=None):
        """At the start of epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """At the end of an epoch: ``logs`` hold the epoch's metrics, the ``val_*``
        ones and ``'learning_rate'``; a callback may add entries."""

    # ----------------------------------------------------------- whole calls
    def on_train_begin(self, logs=None):
        """At the start of ``fit``: reset any state here so the callback can be reused."""

    def on_train_end(self, logs=None):
        """At the end of ``fit`` (also after an early stop or a Ctrl-C)."""

    def on_test_begin(self, logs=None):
        """At the start of ``evaluate`` (or of a validation pass)."""

    def on_test_end(self, logs=None):
        """At the end of ``evaluate``; ``logs`` hold its results."""

    def on_predict_begin(self, logs=None):
        """At the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """At the end of ``predict``."""


def print_msg(message: str) -> None:
    """Print a callback's message on stdout without breaking a live progress bar."""
    tqdm.write(message, file=sys.stdout)
    sys.stdout.flush()
