"""Pooling ops: max and average pooling (1-D and 2-D) and global pooling, channels-last.

A pooling layer replaces each window of p_h × p_w pixels (per channel) by one
number, its maximum or its mean; windows start every (s_h, s_w) pixels.

    max:      y[n, h, w, c] = max_{i, j} x_pad[n, h·s_h + i, w·s_w + j, c]
    average:  y[n, h, w, c] = (1 / count[h, w]) Σ_{i, j} x_pad[n, h·s_h + i, w·s_w + j, c]

Backward:

    max:      ∂L/∂x = G at the maximum of each window (the *first* one in row-major
              order when several tie, as PyTorch), 0 elsewhere
    average:  ∂L/∂x[p] = Σ over the windows containing p of G / count

Both are **separable**: the maximum (or sum) of a window is the maximum (or
sum) over its rows of the maximum (or sum) over each row. So a 2-D pool is
two 1-D passes — along the width, then along the height — and each pass is
a loop over the p taps of a window, every step one vectorised operation on
all windows at once (never a loop over pixels). The first maximum in
row-major order is the first row's-maximum among the rows, taken at its
first column: the width pass keeps the first column of each row's maximum,
the height pass the first row.

When windows do not overlap (stride = pool size, the common 2×2 pool),
each input element belongs to exactly one window — tap k of the width pass
is the slice ``x.reshape(N, H, W/p, p, C)[:, :, :, k]`` — and the backward
writes each tap's slice once into an uninitialised array instead of
accumulating into zeros: the fast path. (Measured on LeNet's shapes, these
two passes beat reducing the (N, H/p, p, W/p, p, C) reshape over its two
window axes, and ``max`` there would still need a tie-breaking pass.)

**Memory format.** A few-channel convolution hands on its output stored
channels first (see :mod:`treino.ops.conv`): each channel's pixels lie side
by side, so a width tap of a 2×2 pool is one long run with stride 2, instead
of 25,000 runs of C numbers (6 for LeNet's first layer) when channels are
last in memory. Both passes run on whichever of the two orders the input is
stored in — they take the axis as an argument — and the output and the
gradient keep that order (channels-last views, no copy).

Padding ``"same"`` follows TensorFlow's rule (output ⌈n / s⌉, see
:func:`treino.ops.conv.padding_amounts`). Max pooling pads with −∞, so padding
is never the maximum; average pooling counts only the real elements of each
window (Keras/TensorFlow, PyTorch's ``count_include_pad=False``).
"""

from __future__ import annotations

from treino import backend
from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor
from treino.ops.conv import (
    conv_output_length,
    normalize_padding,
    normalize_tuple,
    pad_spatial,
    padding_amounts,
    taps,
)
from treino.ops.reduce import mean

PADDINGS = ("valid", "same")


# ------------------------------------------------------------- 1-D passes
def _tap(axis: int, offset: int, stride: int, count: int) -> tuple:
    """Index selecting tap ``offset`` of ``count`` windows along ``axis``."""
    return (slice(None),) * axis + (taps(offset, stride, count),)


def _by_phases(x, axis: int, size: int, stride: int) -> bool:
    """Whether the taps along ``axis`` are read as contiguous phases (see :func:`_tap_reader`)."""
    return stride == size > 1 and axis == x.ndim - 1 and x.strides[axis] == x.itemsize


def _tap_reader(x, axis: int, size: int, stride: int, count: int):
    """A function k ↦ tap k of the ``count`` windows along ``axis``.

    Usually tap k is the view ``x[…, k::stride]``. When ``axis`` is the
    innermost in memory (a channels-first image's width), that view skips
    every other number, and NumPy's loops over such views run element by
    element: measured in float32 on 150k values, a maximum of two of them
    takes 113 µs and a comparison 83 µs, against 20 and 16 µs on contiguous
    arrays. So, for disjoint windows (stride = size, the usual 2×2 pool),
    one copy (about 90 µs for 300k values) splits the axis into its
    ``size`` phases, each contiguous: phase k holds positions ≡ k (mod
    stride), which is tap k.
    """
    if not _by_phases(x, axis, size, stride):
        return lambda k: x[_tap(axis, k, stride, count)]
    used = x[(slice(None),) * axis + (slice(0, stride * count),)]  # padding past the last window
    windows = used.reshape(x.shape[:axis] + (count, stride) + x.shape[axis + 1 :])
    phases = xp.ascontiguousarray(xp.moveaxis(windows, axis + 1, 0))
    return phases.__getitem__


def _max_pass(x, axis: int, size: int, stride: int, count: int) -> tuple:
    """Running maximum over the ``size`` taps of each window along ``axis``.

    Returns the maxima and, for each, the tap that holds it (the first on a
    tie: a later tap replaces the best only when strictly greater), or None
    when a window has a single tap.
    """
    if size == 1:
        return x[_tap(axis, 0, stride, count)], None
    tap = _tap_reader(x, axis, size, stride, count)
    first, second = tap(0), tap(1)
    best = xp.maximum(first, second)
    index = second > first  # a bool is enough for two taps (True == 1)
    if size > 2:
        index = index.astype(xp.min_scalar_type(size - 1))
    for k in range(2, size):
        candidate = tap(k)
        xp.copyto(index, k, where=candidate > best)
        xp.maximum(best, candidate, out=best)
    return best, index


def _sum_pass(x, axis: int, size: int, stride: int, count: int):
    """Σ over the ``size`` taps of each window along ``axis``."""
    tap = _tap_reader(x, axis, size, stride, count)
    total = tap(0) + tap(1) if size > 1 else tap(0).copy()  # a new array, summed into in place
    for k in range(2, size):
        total += tap(k)
    return total


def _route_pass(g, index, axis: int, size: int, stride: int, length: int):
    """The adjoint of a pass: send each window's gradient back to its taps along ``axis``.

    With ``index`` (max pooling) tap k receives G where it held the maximum;
    without (average pooling) every tap receives G. ``length`` is the
    (padded) input's size along ``axis``.
    """
    count = g.shape[axis]
    shape = g.shape[:axis] + (length,) + g.shape[axis + 1 :]
    disjoint = stride >= size  # no element is in two windows
    covered = stride == size and length == size * count  # … and every element is in one
    if covered and _by_phases(g, axis, size, stride):
        return _route_by_phases(g, index, size, shape)
    grad = (xp.empty if covered else xp.zeros)(shape, dtype=g.dtype)
    for k in range(size):
        target = grad[_tap(axis, k, stride, count)]
        if not disjoint:
            target += g if index is None else g * _holds(index, k)
        elif index is None:  # the fast path: each element is written once, no temporary
            target[...] = g
        else:
            xp.multiply(g, _holds(index, k), out=target)
    return grad


def _holds(index, k: int):
    """Where tap ``k`` held the maximum: ``index == k``, with k in ``index``'s dtype.

    Compared with the Python int k, a bool index is first converted to
    int64: 49 µs instead of 6 µs on 150k values.
    """
    return index == index.dtype.type(k)


def _route_by_phases(g, index, size: int, shape: tuple):
    """:func:`_route_pass` along the innermost axis of memory, for disjoint windows covering it.

    Each tap's share (G where it held the maximum, or G itself) is computed
    contiguous, then copied into every ``size``-th place of ∂L/∂x: a
    multiply writing straight into places that far apart takes twice as
    long (148 µs against 27 + 48 µs on 150k values).
    """
    grad = xp.empty(shape, dtype=g.dtype)
    windows = grad.reshape(g.shape + (size,))  # (…, count, size): tap k is [..., k]
    share = xp.empty_like(g) if index is not None else g
    for k in range(size):
        if index is not None:
            xp.multiply(g, _holds(index, k), out=share)
        windows[..., k] = share
    return grad


def _crop(grad_pad, x_shape: tuple, padding: tuple):
    (top, _), (left, _) = padding
    _, h, w, _ = x_shape
    return grad_pad[:, top : top + h, left : left + w]


def _stored_channels_first(x) -> bool:
    """Whether x (N, H, W, C) is a channels-last view of channels-first (C, N, H, W) memory."""
    return x.shape[-1] > 1 and x.transpose(3, 0, 1, 2).flags.c_contiguous


def _in_memory_order(x, channels_first: bool) -> tuple:
    """(x viewed in its memory order, its height axis, its width axis).

    (C, N, H, W) when stored channels first, else (N, H, W, C) as it is: a view either way.
    """
    if channels_first:
        return x.transpose(3, 0, 1, 2), 2, 3
    return x, 1, 2


def _channels_last(x, channels_first: bool):
    """The inverse of :func:`_in_memory_order`: back to (N, H, W, C), still a view."""
    return x.transpose(1, 2, 3, 0) if channels_first else x


def _route_back(g, geometry: tuple, row_index=None, column_index=None):
    """∂L/∂x of a pool: G back through the height pass, then the width pass, padding cropped.

    With the indices (max pooling) each window's gradient goes to its
    maximum; without (average pooling, G already divided by the counts) to
    every tap. The passes run in the memory order the forward ran in.
    """
    x_shape, padded_shape, (ph, pw), (sh, sw), padding, channels_first = geometry
    g, h_axis, w_axis = _in_memory_order(g, channels_first)
    g_rows = _route_pass(g, row_index, h_axis, ph, sh, padded_shape[1])
    g_pad = _route_pass(g_rows, column_index, w_axis, pw, sw, padded_shape[2])
    return _crop(_channels_last(g_pad, channels_first), x_shape, padding)


def _valid_counts(length: int, size: int, stride: int, before: int, count: int):
    """How many taps of each window along one axis fall on the image (not on padding)."""
    starts = xp.arange(count) * stride - before
    return xp.clip(starts + size, 0, length) - xp.clip(starts, 0, length)


# ---------------------------------------------------------------------- ops
class MaxPool2D(Function):
    """y = max over each window.  ∂L/∂x = G at each window's (first) maximum, 0 elsewhere.

    Computed as a width pass then a height pass (see the module docstring);
    the backward routes G back through the height pass, then the width pass.
    ``padding`` holds the explicit amounts ((top, bottom), (left, right)).
    """

    def forward(self, x, pool_size, strides, padding):
        x_pad = pad_spatial(x, padding, value=-xp.inf)
        (ph, pw), (sh, sw) = pool_size, strides
        ho, wo = (x_pad.shape[1] - ph) // sh + 1, (x_pad.shape[2] - pw) // sw + 1
        channels_first = _stored_channels_first(x_pad)
        work, h_axis, w_axis = _in_memory_order(x_pad, channels_first)
        row_max, column_index = _max_pass(work, w_axis, pw, sw, wo)  # width pooled
        y, row_index = _max_pass(row_max, h_axis, ph, sh, ho)  # and height: (Ho, Wo)
        self.geometry = (x.shape, x_pad.shape, pool_size, strides, padding, channels_first)
        self.save_for_backward(column_index, row_index)
        return _channels_last(y, channels_first)

    def backward(self, g):
        column_index, row_index = self.saved
        return _route_back(g, self.geometry, row_index, column_index), None, None, None


class AvgPool2D(Function):
    """y = Σ(window) / count, count = the window's elements on the image (padding excluded).

    ∂L/∂x[p] = Σ over the windows containing p of G / count: G / count is
    sent to every tap of its window, through the height pass then the width
    pass. ``padding`` holds the explicit amounts ((top, bottom), (left, right)).
    """

    def forward(self, x, pool_size, strides, padding):
        x_pad = pad_spatial(x, padding)
        (ph, pw), (sh, sw) = pool_size, strides
        ho, wo = (x_pad.shape[1] - ph) // sh + 1, (x_pad.shape[2] - pw) // sw + 1
        channels_first = _stored_channels_first(x_pad)
        work, h_axis, w_axis = _in_memory_order(x_pad, channels_first)
        total = _sum_pass(_sum_pass(work, w_axis, pw, sw, wo), h_axis, ph, sh, ho)
        total = _channels_last(total, channels_first)
        self.scale = self._inverse_counts(x, pool_size, strides, padding, (ho, wo))
        self.geometry = (x.shape, x_pad.shape, pool_size, strides, padding, channels_first)
        return total * self.scale

    @staticmethod
    def _inverse_counts(x, pool_size, strides, padding, out_hw):
        """1 / count: a number without padding, else an (Ho, Wo, 1) array in x's dtype."""
        if not any(any(pair) for pair in padding):
            return 1.0 / (pool_size[0] * pool_size[1])
        rows, cols = (
            _valid_counts(n, p, s, before, count)
            for n, p, s, (before, _), count in zip(
                x.shape[1:3], pool_size, strides, padding, out_hw, strict=True
            )
        )
        return (1.0 / (rows[:, None, None] * cols[None, :, None])).astype(x.dtype)

    def backward(self, g):
        return _route_back(g * self.scale, self.geometry), None, None, None


class _HeightOne:
    """Mixin making a 2-D pooling Function the 1-D one: sequences are images of height 1."""

    def forward(self, x, pool_size, stride, padding):
        y = super().forward(x[:, None], (1, pool_size), (1, stride), ((0, 0), padding))
        return y[:, 0]

    def backward(self, g):
        grad, *_ = super().backward(g[:, None])
        return grad[:, 0], None, None, None


class MaxPool1D(_HeightOne, MaxPool2D):
    """y[n, t, c] = max_i x_pad[n, t·s + i, c]: :class:`MaxPool2D` on sequences of height 1."""


class AvgPool1D(_HeightOne, AvgPool2D):
    """y[n, t, c] = mean of the window's real elements: :class:`AvgPool2D` at height 1."""


class GlobalMaxPool(Function):
    """y[n, c] = max over all positions p of x[n, p, c].  ∂L/∂x = G at the (first) argmax.

    The spatial axes are flattened into one; ``argmax`` returns the first
    maximum, as PyTorch's adaptive max pooling routes the gradient.
    """

    def forward(self, x, keepdims):
        flat = x.reshape(x.shape[0], -1, x.shape[-1])  # (N, positions, C)
        index = xp.argmax(flat, axis=1)[:, None]  # (N, 1, C)
        self.shapes = (x.shape, flat.shape)
        self.save_for_backward(index)
        y = xp.take_along_axis(flat, index, axis=1)
        if not keepdims:
            return y[:, 0]
        return y.reshape((x.shape[0],) + (1,) * (x.ndim - 2) + (x.shape[-1],))

    def backward(self, g):
        (index,) = self.saved
        x_shape, flat_shape = self.shapes
        grad = xp.zeros(flat_shape, dtype=g.dtype)
        xp.put_along_axis(grad, index, g.reshape(flat_shape[0], 1, flat_shape[2]), axis=1)
        return grad.reshape(x_shape), None


# ---------------------------------------------------------------- functions
def _pool_input(op: str, x, rank: int) -> Tensor:
    x = as_tensor(x)
    if not backend.is_float(x.dtype):
        raise TypeError(f"{op}: expected a float tensor; received dtype {x.dtype}")
    layout = "(batch, steps, channels)" if rank == 1 else "(batch, height, width, channels)"
    if x.ndim != rank + 2:
        raise ValueError(f"{op}: expected input of shape {layout}; received shape {x.shape}")
    return x


def _pool_geometry(op: str, x, rank: int, pool_size, strides, padding) -> tuple:
    """Check the arguments; return pool size, strides and the explicit padding amounts."""
    pool = normalize_tuple(pool_size, rank, "pool_size", op)
    steps = pool if strides is None else normalize_tuple(strides, rank, "strides", op)
    mode = normalize_padding(padding, PADDINGS, op)
    axes = list(zip(x.shape[1:-1], pool, steps, strict=True))  # (size, pool, stride) per axis
    if any(conv_output_length(n, p, mode, s) < 1 for n, p, s in axes):
        raise ValueError(
            f"{op}: input of shape {x.shape} is smaller than the pool_size {pool} "
            f"with padding='{mode}'"
        )
    return pool, steps, tuple(padding_amounts(mode, n, p, s) for n, p, s in axes)


def max_pool2d(x, pool_size=(2, 2), strides=None, padding: str = "valid") -> Tensor:
    """2-D max pooling of channels-last images (the forward pass of ``MaxPooling2D``).

    Args:
        x: images of shape ``(batch, height, width, channels)``.
        pool_size: window size, an int or ``(p_h, p_w)``. Defaults to ``(2, 2)``.
        strides: step between windows; defaults to ``pool_size`` (no overlap).
        padding: ``"valid"`` or ``"same"`` (pads with −∞). Defaults to ``"valid"``.

    Example:
        >>> import numpy as np, treino
        >>> x = treino.tensor([[[[1.0], [2], [5], [0]], [[3], [0], [1], [1]]]], requires_grad=True)
        >>> y = max_pool2d(x)
        >>> y.data[0, :, :, 0]
        array([[3., 5.]], dtype=float32)
        >>> y.sum().backward()
        >>> x.grad[0, :, :, 0]        # the gradient goes to each window's maximum
        array([[0., 0., 1., 0.],
               [1., 0., 0., 0.]], dtype=float32)
    """
    x = _pool_input("max_pool2d", x, 2)
    pool, steps, pads = _pool_geometry("max_pool2d", x, 2, pool_size, strides, padding)
    return MaxPool2D.apply(x, pool, steps, pads)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding: str = "valid") -> Tensor:
    """2-D average pooling of channels-last images (the forward pass of ``AveragePooling2D``).

    Args:
        x: images of shape ``(batch, height, width, channels)``.
        pool_size: window size, an int or ``(p_h, p_w)``. Defaults to ``(2, 2)``.
        strides: step between windows; defaults to ``pool_size`` (no overlap).
        padding: ``"valid"`` or ``"same"``; with ``"same"`` each window is
            averaged over its real (unpadded) elements only. Defaults to ``"valid"``.

    Example:
        >>> import numpy as np, treino
        >>> x = treino.tensor(np.arange(6.0).reshape(1, 1, 6, 1), dtype="float32")
        >>> avg_pool2d(x, (1, 4), padding="same").data[0, 0, :, 0]  # windows [0..2] and [3..5]
        array([1., 4.], dtype=float32)
    """
    x = _pool_input("avg_pool2d", x, 2)
    pool, steps, pads = _pool_geometry("avg_pool2d", x, 2, pool_size, strides, padding)
    return AvgPool2D.apply(x, pool, steps, pads)


def max_pool1d(x, pool_size: int = 2, strides=None, padding: str = "valid") -> Tensor:
    """1-D max pooling of channels-last sequences ``(batch, steps, channels)``.

    Args as :func:`max_pool2d`, with ints: ``pool_size`` defaults to 2,
    ``strides`` to ``pool_size``.

    Example:
        >>> import treino
        >>> max_pool1d(treino.tensor([[[1.0], [4.0], [2.0], [3.0], [9.0]]])).data[0, :, 0]
        array([4., 3.], dtype=float32)
    """
    x = _pool_input("max_pool1d", x, 1)
    (pool,), (step,), (pads,) = _pool_geometry("max_pool1d", x, 1, pool_size, strides, padding)
    return MaxPool1D.apply(x, pool, step, pads)


def avg_pool1d(x, pool_size: int = 2, strides=None, padding: str = "valid") -> Tensor:
    """1-D average pooling of channels-last sequences ``(batch, steps, channels)``.

    Args as :func:`avg_pool2d`, with ints: ``pool_size`` defaults to 2,
    ``strides`` to ``pool_size``.

    Example:
        >>> import treino
        >>> avg_pool1d(treino.tensor([[[1.0], [3.0], [5.0]]]), padding="same").data[0, :, 0]
        array([2., 5.], dtype=float32)
    """
    x = _pool_input("avg_pool1d", x, 1)
    (pool,), (step,), (pads,) = _pool_geometry("avg_pool1d", x, 1, pool_size, strides, padding)
    return AvgPool1D.apply(x, pool, step, pads)


def _global_input(op: str, x) -> Tensor:
    x = as_tensor(x)
    if not backend.is_float(x.dtype):
        raise TypeError(f"{op}: expected a float tensor; received dtype {x.dtype}")
    if x.ndim < 3:
        raise ValueError(
            f"{op}: expected input of shape (batch, *spatial, channels) with at least one "
            f"spatial axis; received shape {x.shape}"
        )
    return x


def global_avg_pool(x, keepdims: bool = False) -> Tensor:
    """The mean over every spatial axis: ``(N, …, C) → (N, C)``.  ∂L/∂x = G / (number of positions).

    Args:
        x: channels-last input with at least one spatial axis.
        keepdims: keep the spatial axes with size 1. Defaults to False.

    Example:
        >>> import numpy as np, treino
        >>> global_avg_pool(treino.tensor(np.arange(8.0).reshape(1, 2, 2, 2), dtype="float32")).data
        array([[3., 4.]], dtype=float32)
    """
    x = _global_input("global_avg_pool", x)
    return mean(x, axis=tuple(range(1, x.ndim - 1)), keepdims=keepdims)


def global_max_pool(x, keepdims: bool = False) -> Tensor:
    """The maximum over every spatial axis: ``(N, …, C) → (N, C)``; G goes to the (first) argmax.

    Args:
        x: channels-last input with at least one spatial axis.
        keepdims: keep the spatial axes with size 1. Defaults to False.

    Example:
        >>> import numpy as np, treino
        >>> global_max_pool(treino.tensor(np.arange(8.0).reshape(1, 2, 2, 2)), keepdims=True).shape
        (1, 1, 1, 2)
    """
    x = _global_input("global_max_pool", x)
    return GlobalMaxPool.apply(x, bool(keepdims))
