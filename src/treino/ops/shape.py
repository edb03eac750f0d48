"""Ops that move values around without changing them: reshape, transpose, join, index.

Their backward moves the gradient back the same way: reshape it back, apply
the inverse permutation, split it, or scatter it into the indexed positions.
"""

from __future__ import annotations

from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, common_float, normalize_axis


class Reshape(Function):
    """z = x viewed with a new shape.  ∂L/∂x = G reshaped to x's shape."""

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape), None


class Transpose(Function):
    """z = x with axes permuted by p.  ∂L/∂x = G permuted by p⁻¹."""

    def forward(self, x, axes):
        self.axes = axes
        return xp.transpose(x, axes)

    def backward(self, g):
        inverse = None if self.axes is None else tuple(xp.argsort(self.axes))
        return xp.transpose(g, inverse), None


class BroadcastTo(Function):
    """z = x repeated to ``shape``.  ∂L/∂x = G summed over the repeated axes."""

    def forward(self, x, shape):
        self.shape = x.shape
        return xp.broadcast_to(x, shape)

    def backward(self, g):
        from treino.autograd import unbroadcast

        return unbroadcast(g, self.shape), None


class Concatenate(Function):
    """z = [x₁, x₂, …] joined along ``axis``.  ∂L/∂xₖ = the slice of G that came from xₖ."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(arrays, axis=axis)

    def backward(self, g):
        cuts = xp.cumsum(self.sizes)[:-1]
        parts = xp.split(g, cuts, axis=self.axis)
        needs = self.needs_input_grad
        return tuple(p if need else None for p, need in zip(parts, needs, strict=True))


class Stack(Function):
    """z = [x₁, x₂, …] stacked on a new ``axis``.  ∂L/∂xₖ = G[…, k, …]."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        return xp.stack(arrays, axis=axis)

    def backward(self, g):
        parts = xp.moveaxis(g, self.axis, 0)
        needs = self.needs_input_grad
        return tuple(p if need else None for p, need in zip(parts, needs, strict=True))


class GetItem(Function):
    """z = x[index].  ∂L/∂x = zeros with G added at the indexed positions.

    Repeated indices (``x[[0, 0]]``, an Embedding lookup) each add their share,
    hence ``xp.add.at`` for advanced indexing.
    """

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {x.shape})") from None

    def backward(self, g):
        grad = xp.zeros(self.shape, dtype=self.dtype)
        if _is_basic_index(self.index):
            grad[self.index] = g
        else:
            xp.add.at(grad, self.index, g)
        return grad, None

    def release(self):
        super().release()
        self.index = None


class Pad(Function):
    """z = x with zeros around it.  ∂L/∂x = the central slice of G."""

    def forward(self, x, pad_width, value):
        pairs = zip(pad_width, x.shape, strict=True)
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in pairs)
        return xp.pad(x, pad_width, constant_values=value)

    def backward(self, g):
        return g[self.slices], None, None


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        item is None or item is Ellipsis or isinstance(item, slice | int | xp.integer)
        for item in items
    )


def _plain_index(index):
    """Indices may contain Tensors; use their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def reshape(x, shape) -> Tensor:
    """A tensor with the same values in a new ``shape`` (one ``-1`` allowed)."""
    x = as_tensor(x)
    shape = (shape,) if isinstance(shape, int | xp.integer) else tuple(shape)
    known = [int(n) for n in shape if n != -1]
    size = int(xp.prod(known))
    fits = (
        shape.count(-1) <= 1
        and all(n >= 0 for n in known)
        and (size == x.size if -1 not in shape else (size > 0 and x.size % size == 0))
    )
    if not fits:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} values) "
            f"into shape {shape}"
        )
    return Reshape.apply(x, shape)


def transpose(x, axes=None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None; negative axes allowed)."""
    x = as_tensor(x)
    if axes is not None:
        given = tuple(axes)
        axes = tuple(int(a) % x.ndim if -x.ndim <= a < x.ndim else None for a in given)
        if len(axes) != x.ndim or sorted(a for a in axes if a is not None) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes {given} are not a permutation of the {x.ndim} axes of a "
                f"tensor of shape {x.shape}"
            )
    return Transpose.apply(x, axes)


def broadcast_to(x, shape) -> Tensor:
    """Repeat ``x`` along broadcast axes to ``shape``."""
    x, shape = as_tensor(x), tuple(shape)
    try:
        fits = xp.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return BroadcastTo.apply(x, shape)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``."""
    tensors = common_float("concatenate", tensors)
    if not tensors:
        raise ValueError("concatenate: expected at least one tensor; received none")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: cannot join 0-d tensors along an axis; use stack")
    (axis,) = normalize_axis(axis, ndim, "concatenate")
    for t in tensors[1:]:
        others = [d for i, d in enumerate(t.shape) if i != axis]
        firsts = [d for i, d in enumerate(tensors[0].shape) if i != axis]
        if t.ndim != ndim or others != firsts:
            raise ValueError(
                f"concatenate: shapes must match except on axis {axis}; received "
                f"{[tuple(u.shape) for u in tensors]}"
            )
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Stack equally shaped tensors along a new ``axis``."""
    tensors = common_float("stack", tensors)
    if not tensors:
        raise ValueError("stack: expected at least one tensor; received none")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(
            f"stack: all tensors must have the same shape; received {[t.shape for t in tensors]}"
        )
    (axis,) = normalize_axis(axis, tensors[0].ndim + 1, "stack")
    return Stack.apply(*tensors, axis=axis)


def getitem(x, index) -> Tensor:
    """``x[index]`` with NumPy indexing (slices, integers, integer and boolean arrays)."""
    return GetItem.apply(as_tensor(x), _plain_index(index))


def pad(x, pad_width, value: float = 0.0) -> Tensor:
    """Pad with a constant; ``pad_width`` is ``((before, after), …)`` per axis."""
    x = as_tensor(x)
    pad_width = tuple((int(a), int(b)) for a, b in pad_width)
    if len(pad_width) != x.ndim:
        raise ValueError(f"pad: expected {x.ndim} (before, after) pairs; received {pad_width}")
    return Pad.apply(x, pad_width, value)


def expand_dims(x, axis: int) -> Tensor:
    """Insert a length-1 axis at ``axis``."""
    x = as_tensor(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(
            f"expand_dims: axis {axis} is out of range for a tensor of shape {x.shape} "
            f"(expected {-x.ndim - 1} ≤ axis ≤ {x.ndim})"
        )
    axis = int(axis) % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None) -> Tensor:
    """Remove length-1 axes (all of them, or those in ``axis``)."""
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "squeeze")
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    elif any(x.shape[a] != 1 for a in axes):
        raise ValueError(
            f"squeeze: axis {axis} of a tensor of shape {x.shape} does not have length 1"
        )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def flatten(x, start_axis: int = 1) -> Tensor:
    """Collapse the axes from ``start_axis`` on into one (``(N, H, W, C) → (N, H·W·C)``)."""
    x = as_tensor(x)
    return reshape(x, x.shape[:start_axis] + (int(xp.prod(x.shape[start_axis:])),))
