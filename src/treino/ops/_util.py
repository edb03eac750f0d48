"""Small helpers shared by the op modules (operand conversion, axis handling)."""

from __future__ import annotations

from treino import backend
from treino.autograd import Tensor
from treino.backend import xp  # the array namespace: every op computes through it


def constant_like(value, like: Tensor, op: str = "tensor"):
    """A non-tensor operand, converted so it cannot change ``like``'s dtype.

    Python scalars stay Python scalars (NumPy keeps the array's dtype for them);
    arrays and NumPy scalars are cast to ``like``'s float dtype, so a float64
    NumPy constant (``xp.float64(2)`` is also a Python ``float``!) never upcasts
    a float32 computation.
    """
    if isinstance(value, bool | int | float) and not isinstance(value, xp.generic):
        return value
    array = xp.asarray(value)
    if array.dtype.kind in "OUSc":
        raise TypeError(f"{op}: expected numbers; received dtype {array.dtype}")
    if like.dtype.kind == "f" and array.dtype.kind in "fiub":
        array = array.astype(like.dtype, copy=False)
    return array


def common_float(op: str, values) -> list:
    """The operands of one op as tensors of one float dtype (see the dtype policy).

    Two float tensors of different widths raise a TypeError naming ``op``.
    Constants (anything not a Tensor) take the tensors' float dtype, as in the
    binary ops. Integer and bool tensors (never differentiable) are converted
    to the float dtype of the others, because NumPy would compute
    int64 ⊕ float32 in float64.
    """
    values = list(values)
    first = values[0] if values else None
    if isinstance(first, Tensor) and first.data.dtype.kind == "f":  # fast path: one float dtype
        dtype = first.data.dtype
        if all(isinstance(v, Tensor) and v.data.dtype == dtype for v in values):
            return values
    like = next((v for v in values if isinstance(v, Tensor) and v.dtype.kind == "f"), None)
    tensors = [
        v if isinstance(v, Tensor) else Tensor(v if like is None else constant_like(v, like, op))
        for v in values
    ]
    dtypes = [t.dtype for t in tensors]
    if like is None or all(d == like.dtype for d in dtypes):  # the common case, cheaply
        return tensors
    target = backend.result_float_dtype(op, *dtypes)
    return [t if t.dtype.kind == "f" else Tensor(t.data.astype(target)) for t in tensors]


def binary_operands(op: str, x, y) -> tuple:
    """Check and convert the two operands of a binary op (see the dtype policy)."""
    if isinstance(x, Tensor):
        if not isinstance(y, Tensor):
            return x, constant_like(y, x, op)
        if x.dtype == y.dtype:
            return x, y
        x, y = common_float(op, (x, y))
        return x, y
    if isinstance(y, Tensor):
        return constant_like(x, y, op), y
    x, y = common_float(op, (Tensor(x), Tensor(y)))
    return x, y


def check_broadcast(op: str, *shapes) -> tuple:
    """The broadcast shape of ``shapes``, or a ValueError naming ``op`` and the shapes."""
    try:
        return xp.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{op}: shapes {listed} cannot be broadcast together") from None


def apply_elementwise(function, op: str, *operands) -> Tensor:
    """``function.apply(*operands)``, turning NumPy's broadcasting error into one naming ``op``.

    The shapes are checked only when the forward fails, so the common case pays
    nothing; nothing has been recorded at that point.
    """
    try:
        return function.apply(*operands)
    except ValueError:
        check_broadcast(op, *(xp.shape(o) for o in operands))
        raise


def as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def normalize_axis(axis, ndim: int, op: str = "axis") -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints.

    A 0-d tensor accepts axis 0 or −1 (as PyTorch) and has no axes to reduce.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | xp.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def expand_reduced(grad, shape: tuple, axes: tuple, keepdims: bool):
    """Broadcast the gradient of a reduction back to the input's ``shape``."""
    if not keepdims and axes:  # a 1 back in each reduced axis (reshape: cheaper than expand_dims)
        grad = xp.reshape(grad, tuple(1 if a in axes else n for a, n in enumerate(shape)))
    return xp.broadcast_to(grad, shape)


SHORT_AXIS = 16
"""A reduced axis at most this long, last in memory, is reduced through a transposed copy."""


def reduce_keepdims(ufunc, x, axis: int):
    """``ufunc.reduce(x, axis, keepdims=True)``, fast also when ``axis`` is short and last.

    NumPy reduces a C-ordered (N, C) array along its last axis one row at a
    time: N calls of its inner loop, each over only C values. For the logits
    of a classifier (C = 10, N = 512) that costs 3–4 times as much as the
    arithmetic. Copying the array transposed, (C, N), and reducing along the
    first axis instead makes it C vectorised passes over rows of N values
    (measured at 512 × 10: max 23 → 7 µs, sum 16 → 6 µs). A maximum is the
    same to the bit; a sum may differ in the last bit (another order of the
    additions).
    """
    axis = axis % x.ndim
    if (axis != x.ndim - 1 or x.ndim < 2 or x.shape[axis] > SHORT_AXIS
            or x.size < 64 * x.shape[axis] or not x.flags.c_contiguous):  # fmt: skip
        return ufunc.reduce(x, axis=axis, keepdims=True)
    columns = xp.ascontiguousarray(x.reshape(-1, x.shape[-1]).T)  # (C, rows)
    return ufunc.reduce(columns, axis=0).reshape(*x.shape[:-1], 1)


ZERO_ROW_SIZE = 1 << 14
"""Length of the row of zeros :func:`relu_into` compares against (64 KiB in float32)."""

_zero_rows: dict = {}


def relu_into(x, out=None):
    """out = max(x, 0) elementwise, returned; ``out`` defaults to ``x`` (in place).

    Against the scalar 0, NumPy 2's ``maximum`` runs an element-by-element
    loop; its vector loop runs only when both operands step through memory.
    So 0 is given as a row of zeros, and x as rows of that length: its
    memory, flat, cut into rows (any order, C or Fortran, as long as ``out``
    is laid out the same). Measured on 2 cores in float32: 300k values
    112 → 31 µs, a 128×128 batch 9.1 → 4.8 µs. Arrays that are not one
    block of memory take the plain call.
    """
    out = x if out is None else out
    same_layout = (x.flags.c_contiguous and out.flags.c_contiguous) or (
        x.flags.f_contiguous and out.flags.f_contiguous
    )
    if not same_layout or x.size == 0 or x.dtype != out.dtype:
        return xp.maximum(x, 0, out=out)
    zeros = _zero_rows.get(x.dtype)
    if zeros is None:
        zeros = _zero_rows[x.dtype] = xp.zeros(ZERO_ROW_SIZE, dtype=x.dtype)
    order = "C" if x.flags.c_contiguous else "F"
    flat_x, flat_out = x.reshape(-1, order=order), out.reshape(-1, order=order)  # views
    width = min(x.size, ZERO_ROW_SIZE)
    rows = x.size // width
    body = slice(0, rows * width)
    xp.maximum(flat_x[body].reshape(rows, width), zeros[:width],
               out=flat_out[body].reshape(rows, width))  # fmt: skip
    tail = slice(rows * width, x.size)
    xp.maximum(flat_x[tail], zeros[: x.size - rows * width], out=flat_out[tail])
    return out
