"""``CallbackList``: the loop's single entry point to all its callbacks."""

from __future__ import annotations

from treino.callbacks.base import Callback
from treino.callbacks.history import History
from treino.callbacks.progbar import ProgbarLogger


class CallbackList(Callback):
    """Call every callback's hook, in order, through one object (Keras 3's interface).

    Args:
        callbacks: a :class:`Callback`, a list of them, or None. Defaults to None.
        add_history: add a :class:`History` unless one is in ``callbacks``;
            ``model.history`` is set to it. Defaults to False.
        add_progbar: add a :class:`ProgbarLogger` unless one is in ``callbacks``.
            Defaults to False.
        model: the model, given to each callback's ``set_model``. Defaults to None.
        **params: ``verbose``, ``epochs``, ``steps``, given to each callback's
            ``set_params``.

    The user's callbacks run first, then the progress bar, then the History:
    both see the logs after every other callback has added its entries.
    Every callback receives the *same* ``logs`` dict at the end of an epoch,
    so an entry added by one is seen by those after it.

    Example:
        >>> from treino.callbacks import LambdaCallback
        >>> vistos = []
        >>> cbs = CallbackList([LambdaCallback(on_epoch_end=lambda e, logs: vistos.append(e))],
        ...                    add_history=True)
        >>> cbs.on_train_begin(); cbs.on_epoch_end(0, {"loss": 0.3})
        >>> vistos, cbs.history.history
        ([0], {'loss': [0.3]})
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):  # fmt: skip
        super().__init__()
        self.callbacks = _as_callback_list(callbacks)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        self.set_model(model)
        self.set_params(params)

    @property
    def history(self):
        """The :class:`History` of this list (None when there is none)."""
        return self._history

    def set_params(self, params) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def append(self, callback) -> None:
        """Add a callback (or a list): it gets the model and the params already set."""
        for item in _as_callback_list(callback):
            self.callbacks.append(item)
            if self.model is not None:
                item.set_model(self.model)
            if self.params:
                item.set_params(self.params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def needs_batch_hooks(self, mode: str) -> bool:
        """Whether any callback acts on each batch of ``mode`` ('train', 'test', 'predict').

        The loops skip the batch hooks, and computing the batch logs, when none
        does (Keras does the same): at batch 32 the metrics' results cost as
        much as a small layer's forward pass.
        """
        return any(_overrides(callback, hook) for callback in self.callbacks
                   for hook in _BATCH_HOOKS[mode])  # fmt: skip

    # ------------------------------------------------------------------ hooks
    def _call(self, hook: str, *args, logs=None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs=_floats(logs))

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=_floats(logs))

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=_floats(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)


def _as_callback_list(callbacks) -> list:
    if callbacks is None:
        return []
    items = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
    for item in items:
        if isinstance(item, type) and issubclass(item, Callback):
            raise TypeError(
                f"callbacks must be Callback instances; received the class {item.__name__} "
                f"(write {item.__name__}(...), with parentheses)"
            )
        if not isinstance(item, Callback):
            raise TypeError(
                "callbacks must be instances of treino.callbacks.Callback; received "
                f"{item!r} ({type(item).__name__}). Wrap a function in LambdaCallback."
            )
    return items


_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def _overrides(callback, hook: str) -> bool:
    """Whether ``callback`` has its own ``hook`` (a method or a function set on it)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", method) is not getattr(Callback, hook)


def _floats(logs):
    """A copy of batch logs with NumPy scalars and 0-d arrays as Python floats (as Keras)."""
    if not logs:
        return logs
    return {key: _float_or_same(value) for key, value in logs.items()}


def _float_or_same(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
