"""``History``: the record of every epoch's logs that ``fit`` returns."""

from __future__ import annotations

from treino.callbacks.base import Callback


class History(Callback):
    """Record the logs of each epoch; ``fit`` adds one and returns it.

    Attributes:
        history: ``{'loss': [...], 'accuracy': [...], 'val_loss': [...], ...}``,
            one value per epoch for each key of the logs.
        epoch: the indices of the recorded epochs (0-based).

    As Keras 3, ``on_train_begin`` resets :attr:`epoch` only; :attr:`history`
    keeps growing if the same ``History`` is passed to several ``fit`` calls
    (``fit`` creates a new one each time unless you pass yours).

    Example:
        >>> h = History()
        >>> h.on_train_begin()
        >>> for epoca, perda in enumerate([0.9, 0.5]):
        ...     h.on_epoch_end(epoca, {"loss": perda})
        >>> h.history, h.epoch
        ({'loss': [0.9, 0.5]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self  # the latest state, as Keras
