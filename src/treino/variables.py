"""``Variable``: a layer's weight — a leaf :class:`~treino.Tensor` with a name and a role.

A variable is what an optimizer updates. ``trainable`` says whether it is
learned by gradient descent (a kernel) or maintained by its layer (the moving
mean of BatchNormalization); ``regularizer`` is the penalty its layer adds to
the loss.
"""

from __future__ import annotations

import numpy as np

from treino.autograd import Tensor


class Structure:
    """A counter of changes to what a model trains, so that lists derived from it can be cached.

    Training asks every step for the trainable variables and the penalties of
    a model; walking its layers for them costs more than some of the layers'
    arithmetic. ``Structure.version`` goes up whenever that answer can change:
    a layer attribute set to (or replacing) a layer or variable, ``trainable``
    switched, an activity regularizer set, a weight added, a variable's
    ``trainable`` or ``regularizer`` changed, a layer added to or removed from
    a Sequential. Other attributes (the training loop's ``current_batch``,
    ``diverged`` …) leave it alone.
    A list computed at one version is still right while the version is the same.
    """

    version = 0

    @classmethod
    def changed(cls) -> None:
        cls.version += 1


class Variable(Tensor):
    """A named, optionally trainable leaf tensor owned by a layer.

    Args:
        value: initial array (copied).
        name: short name, e.g. ``"kernel"``.
        trainable: learned by the optimizer. Defaults to True.
        path: full name, e.g. ``"dense_1/kernel"``; defaults to ``name``.
        regularizer: optional callable ``w -> scalar Tensor`` added to the loss.

    Example:
        >>> import numpy as np
        >>> v = Variable(np.zeros(2, dtype="float32"), name="bias")
        >>> v.assign([1.0, 2.0]); v.numpy()
        array([1., 2.], dtype=float32)
    """

    __slots__ = ("_trainable", "path", "_regularizer")

    def __init__(self, value, name: str, trainable: bool = True, path: str | None = None,
                 regularizer=None, dtype=None):  # fmt: skip
        array = np.array(value, dtype=dtype, copy=True)
        super().__init__(array, requires_grad=trainable, name=name)
        self.trainable = bool(trainable)
        self.path = path or name
        self.regularizer = regularizer

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        Structure.changed()

    @property
    def regularizer(self):
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value) -> None:
        self._regularizer = value
        Structure.changed()

    def assign(self, value) -> None:
        """Overwrite the values in place (shape must match; dtype is converted)."""
        value = np.asarray(value.data if isinstance(value, Tensor) else value)
        if value.shape != self.shape:
            raise ValueError(
                f"Variable '{self.path}': cannot assign a value of shape {value.shape} "
                f"to a variable of shape {self.shape}"
            )
        self.data[...] = value

    def __repr__(self) -> str:
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"trainable={self.trainable}>"
        )
