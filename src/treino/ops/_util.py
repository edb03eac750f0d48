"""Small helpers shared by the op modules (operand conversion, axis handling)."""

from __future__ import annotations

import numpy as np

from treino import backend
from treino.autograd import Tensor


def constant_like(value, like: Tensor):
    """A non-tensor operand, converted so it cannot change ``like``'s dtype.

    Python scalars stay Python scalars (NumPy keeps the array's dtype for them);
    arrays are cast to ``like``'s float dtype, so a float64 NumPy constant never
    upcasts a float32 computation.
    """
    if isinstance(value, bool | int | float):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "OUSc":
        raise TypeError(f"expected numbers; received dtype {array.dtype}")
    if backend.is_float(like.dtype) and array.dtype.kind in "fiub":
        array = array.astype(like.dtype, copy=False)
    return array


def binary_operands(op: str, x, y) -> tuple:
    """Check and convert the two operands of a binary op (see the dtype policy)."""
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            backend.result_float_dtype(op, x.dtype, y.dtype)
            return x, y
        return x, constant_like(y, x)
    if isinstance(y, Tensor):
        return constant_like(x, y), y
    return Tensor(x), Tensor(y)


def as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def normalize_axis(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


def expand_reduced(grad, shape: tuple, axes: tuple, keepdims: bool):
    """Broadcast the gradient of a reduction back to the input's ``shape``."""
    if not keepdims:
        grad = np.expand_dims(grad, axes) if axes else grad
    return np.broadcast_to(grad, shape)
