"""``Variable``: a layer's weight — a leaf :class:`~treino.Tensor` with a name and a role.

A variable is what an optimizer updates. ``trainable`` says whether it is
learned by gradient descent (a kernel) or maintained by its layer (the moving
mean of BatchNormalization); ``regularizer`` is the penalty its layer adds to
the loss.
"""

from __future__ import annotations

import numpy as np

from treino.autograd import Tensor


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

    __slots__ = ("trainable", "path", "regularizer")

    def __init__(self, value, name: str, trainable: bool = True, path: str | None = None,
                 regularizer=None, dtype=None):  # fmt: skip
        array = np.array(value, dtype=dtype, copy=True)
        super().__init__(array, requires_grad=trainable, name=name)
        self.trainable = bool(trainable)
        self.path = path or name
        self.regularizer = regularizer

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
