"""Small callbacks: ``TerminateOnNaN`` and ``LambdaCallback``."""

from __future__ import annotations

import numpy as np

from treino.callbacks.base import HOOKS, Callback, print_msg


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    ``fit`` makes no update from a NaN or infinite loss (the weights stay as
    the last finite batch left them); training stops before the next batch,
    and ``fit`` returns the History so far.

    Example:
        >>> class Modelo:
        ...     stop_training = False
        >>> cb = TerminateOnNaN(); cb.set_model(Modelo())
        >>> cb.on_train_batch_end(7, {"loss": float("nan")})
        Batch 7: Invalid loss, terminating training
        >>> cb.model.stop_training
        True
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.all(np.isfinite(loss)):
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of functions, for quick one-off hooks.

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``. Defaults to None.
        on_train_begin, on_train_end: ``f(logs)``. Defaults to None.
        on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``. Defaults to None.
        **kwargs: any other hook by name (``on_test_end=f``, ``on_batch_end=f`` …).

    Example:
        >>> perdas = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: perdas.append(logs["loss"]))
        >>> cb.on_epoch_end(0, {"loss": 0.25}); perdas
        [0.25]
        >>> # model.fit(x, y, callbacks=[cb])
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):  # fmt: skip
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; the hooks are "
                            f"{', '.join(HOOKS)}")  # fmt: skip
        hooks = {
            "on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin, "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end, **kwargs,
        }  # fmt: skip
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function. "
                                f"Received: {function!r}")  # fmt: skip
            setattr(self, name, function)
