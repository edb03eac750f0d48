"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` run at fixed moments (Keras 3).

Pass them to ``fit``; each one reads the ``logs`` of a batch or an epoch and
may act on the model::

    from treino.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau

    callbacks = [
        EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
        ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
        ModelCheckpoint("ckpt/melhor.treino", save_best_only=True),
    ]
    history = model.fit(x, y, validation_split=0.2, epochs=100, callbacks=callbacks)

Each callback resets its state when a ``fit`` begins, so the same objects can
be passed to several ``fit`` calls. Write your own by subclassing
:class:`Callback` (override the hooks you need) or with :class:`LambdaCallback`.

>>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(f"época {epoch}: {logs}"))
>>> lista = CallbackList([cb], add_history=True)
>>> lista.on_train_begin(); lista.on_epoch_end(0, {"loss": 0.5})
época 0: {'loss': 0.5}
>>> lista.history.history
{'loss': [0.5]}
"""

from treino.callbacks.adaptive_regularization import AdaptiveRegularization
from treino.callbacks.base import Callback
from treino.callbacks.callback_list import CallbackList
from treino.callbacks.checkpoint import ModelCheckpoint
from treino.callbacks.csv_logger import CSVLogger
from treino.callbacks.early_stopping import EarlyStopping
from treino.callbacks.gradient_monitor import GradientMonitor
from treino.callbacks.history import History
from treino.callbacks.lr import LearningRateScheduler, ReduceLROnPlateau
from treino.callbacks.misc import LambdaCallback, TerminateOnNaN
from treino.callbacks.progbar import ProgbarLogger, resolve_verbose
from treino.callbacks.tensorboard import TensorBoard

__all__ = [
    "AdaptiveRegularization",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "GradientMonitor",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
    "resolve_verbose",
]
