"""Convolution ops: ``conv1d`` and ``conv2d`` (channels-last, Keras kernel layout).

A 2-D convolution slides a kernel W of shape (kh, kw, C, O) over a padded
image x_pad of shape (N, H', W', C). With strides (s_h, s_w) and dilation
(d_h, d_w), output pixel (n, h, w) of filter o is a weighted sum over its
receptive field:

    y[n, h, w, o] = b[o] + Σ_{i, j, c} x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c] · W[i, j, c, o]

**im2col** turns that into one matrix product. Each receptive field becomes
one row of a matrix X_col of shape (N·Ho·Wo, kh·kw·C),

    X_col[(n, h, w), (i, j, c)] = x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c]

so that, with W_mat = W reshaped to (kh·kw·C, O),

    Y = X_col · W_mat + b                      (a Dense layer on the patches)

and the backward pass is the Dense layer's, plus the way back to the image:

    ∂L/∂W_mat = X_colᵀ · G        ∂L/∂b = Σ_{n,h,w} G        ∂L/∂X_col = G · W_matᵀ

    ∂L/∂x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c] += ∂L/∂X_col[(n, h, w), (i, j, c)]   (col2im)

A pixel inside several receptive fields receives the sum of its gradients;
``col2im`` does that with one vectorised addition per kernel tap (i, j) —
kh·kw additions in all, never a loop over pixels or images. Cropping the
padding off ∂L/∂x_pad gives ∂L/∂x.

For speed: X_col is made by one copy, in the memory order that streams the
longest runs of numbers (see :func:`im2col`), and kept for ∂L/∂W — never
recomputed; ∂L/∂X_col is computed channels-first on a frame of the padded
image, so that each of col2im's additions is one long contiguous run (see
:func:`col2im_matmul`).

**Memory format.** An array is its numbers plus strides that say where each
index lives, so the same (N, H, W, C) array can be *stored* channels last
(each pixel's C numbers side by side) or channels first (each channel's
pixels side by side, a transposed view of a (C, N, H, W) block). Values and
shapes are the same; only speed differs. Y = X_col · W_mat is computed in
X_col's own order: with few input channels im2col builds X_col column by
column, the product comes out as Yᵀ = W_matᵀ · X_colᵀ, one row of N·Ho·Wo
pixels per filter, and the output is handed on stored channels first — no
copy. Bias, ReLU and ∂L/∂b then run along those long rows, and the pooling
that usually follows finds each channel's pixels side by side
(:mod:`treino.ops.pooling`). The input gradient comes back channels first
too. Ops that need channels-last memory make the copy themselves
(``im2col`` does, ``reshape`` does).

Padding (TensorFlow's rule, as Keras):

* ``"valid"``: none; Ho = ⌊(H − (kh − 1)·d_h − 1) / s_h⌋ + 1.
* ``"same"``: Ho = ⌈H / s_h⌉; total = max((Ho − 1)·s_h + (kh − 1)·d_h + 1 − H, 0),
  before = ⌊total / 2⌋, after = total − before (the extra one goes after).
* ``"causal"`` (``conv1d`` only): (k − 1)·d zeros before the sequence, none after,
  so output step t sees only inputs ≤ t.
"""

from __future__ import annotations

import math
import numbers

from treino import backend
from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, common_float, relu_into

PADDINGS_2D = ("valid", "same")
PADDINGS_1D = ("valid", "same", "causal")


# ----------------------------------------------------------------- geometry
def normalize_tuple(value, n: int, name: str, owner: str) -> tuple:
    """``value`` (an int, or a sequence of ``n`` ints) as a tuple of ``n`` positive ints.

    Example:
        >>> normalize_tuple(3, 2, "kernel_size", "conv2d")
        (3, 3)
        >>> normalize_tuple([1, 2], 2, "strides", "conv2d")
        (1, 2)
    """
    items = (value,) * n if _is_int(value) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != n or not all(_is_int(v) and v > 0 for v in items):
        raise ValueError(
            f"{owner}: {name} must be a positive integer or a tuple of {n} positive integers; "
            f"received {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def normalize_padding(padding, allowed: tuple, owner: str) -> str:
    """``padding`` lower-cased, or a ValueError listing the ``allowed`` modes."""
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(f"{owner}: padding must be one of {allowed}; received padding={padding!r}")
    return mode


def padding_amounts(padding: str, size: int, kernel: int, stride: int = 1,
                    dilation: int = 1) -> tuple:  # fmt: skip
    """(before, after): how many zeros to add on each side of one spatial axis.

    Args:
        padding: ``"valid"``, ``"same"`` or ``"causal"``.
        size: the input's length along the axis.
        kernel: the kernel (or pool) size along the axis.
        stride: the step between windows. Defaults to 1.
        dilation: the step between kernel taps. Defaults to 1.

    Example:
        >>> padding_amounts("same", 28, 5)          # total 4: 2 before, 2 after
        (2, 2)
        >>> padding_amounts("same", 28, 4, stride=2)  # TensorFlow puts the odd one after
        (1, 1)
        >>> padding_amounts("same", 5, 2, stride=2)
        (0, 1)
        >>> padding_amounts("causal", 10, 3, dilation=2)
        (4, 0)
    """
    field = (kernel - 1) * dilation + 1  # the receptive field along this axis
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return field - 1, 0
    total = max((math.ceil(size / stride) - 1) * stride + field - size, 0)
    return total // 2, total - total // 2


def conv_output_length(size, kernel: int, padding: str, stride: int = 1, dilation: int = 1):
    """Length of the output along one axis (``None`` for an unknown ``size``).

    ⌈size / stride⌉ for ``"same"`` and ``"causal"``; for ``"valid"``
    ⌊(size − field) / stride⌋ + 1 with field = (kernel − 1)·dilation + 1,
    which is ≤ 0 when the input is smaller than the receptive field.

    Example:
        >>> conv_output_length(28, 5, "valid"), conv_output_length(28, 5, "same", stride=2)
        (24, 14)
    """
    if size is None:
        return None
    if padding in ("same", "causal"):
        return math.ceil(size / stride)
    field = (kernel - 1) * dilation + 1
    return (size - field) // stride + 1 if size >= field else size - field + 1


def taps(offset: int, stride: int, count: int) -> slice:
    """The slice of a padded axis read by kernel tap ``offset`` of ``count`` windows.

    Window k starts at k·stride, so its tap lands on offset + k·stride for
    k = 0 … count − 1.
    """
    return slice(offset, offset + stride * (count - 1) + 1, stride)


# ------------------------------------------------------------------ im2col
def pad_spatial(x, pads: tuple, value: float = 0.0):
    """x (N, H, W, C) with ``value`` around the image: pads = ((top, bottom), (left, right)).

    Returns ``x`` itself when there is nothing to add (no copy).
    """
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    padded = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    padded[:, top : top + h, left : left + w] = x
    return padded


def im2col(x_pad, kernel_hw: tuple, out_hw: tuple, strides: tuple, dilation: tuple):
    """X_col, shape (N·Ho·Wo, kh·kw·C): one row per receptive field of the padded image.

    The image is first made channels-last in memory (a copy only when it is
    stored otherwise, as a convolution's output is). A strided view
    (N, Ho, Wo, kh, kw, C) names every tap of every window without copying
    (entry [n, h, w, i, j, c] is x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c]);
    one ``reshape`` makes the copy. The copy streams the
    longer of two runs of numbers: a window row (kw·C adjacent numbers) gives
    a C-ordered matrix; with few channels (a grayscale first layer, kw·C = 5)
    whole output rows are longer, so the same matrix is built in Fortran
    order (column by column). Matrix products accept either.
    """
    (kh, kw), (ho, wo) = kernel_hw, out_hw
    (sh, sw), (dh, dw) = strides, dilation
    x_pad = xp.ascontiguousarray(x_pad)  # channels-last memory: runs of C numbers per pixel
    n, _, _, c = x_pad.shape
    st_n, st_h, st_w, st_c = x_pad.strides
    windows = xp.lib.stride_tricks.as_strided(
        x_pad,
        shape=(n, ho, wo, kh, kw, c),
        strides=(st_n, st_h * sh, st_w * sw, st_h * dh, st_w * dw, st_c),
        writeable=False,
    )
    rows, taps_per_row = n * ho * wo, kh * kw * c
    window_run = kw * c if dw == 1 else c
    if wo > window_run:
        return windows.transpose(3, 4, 5, 0, 1, 2).reshape(taps_per_row, rows).T
    return windows.reshape(rows, taps_per_row)


def zeros_channels_last(shape: tuple, dtype, channels_first: bool):
    """Zeros of shape (N, H, W, C), stored channels first if asked (see *memory format*)."""
    if not channels_first:
        return xp.zeros(shape, dtype=dtype)
    n, h, w, c = shape
    return xp.zeros((c, n, h, w), dtype=dtype).transpose(1, 2, 3, 0)


def add_bias(y_mat, bias, wo: int) -> None:
    """y_mat (N·Ho·Wo, O) += b, in place, along whichever axis is long in memory.

    Stored channels first, each column is one long run; stored channels last,
    rows are short (O numbers), so b is repeated along whole image rows
    (N·Ho, Wo·O) instead: long rows add about 5× faster.
    """
    if y_mat.flags.f_contiguous:
        y_mat += bias
    else:
        image_rows = y_mat.reshape(-1, wo * y_mat.shape[1])  # a view of the same numbers
        image_rows += xp.tile(bias, wo)


def bias_gradient(g_mat, wo: int):
    """∂L/∂b = Σ over the rows of G (N·Ho·Wo, O), summed along the long runs (see add_bias)."""
    if g_mat.flags.f_contiguous:
        return g_mat.sum(axis=0)
    c_out = g_mat.shape[1]
    return g_mat.reshape(-1, wo * c_out).sum(axis=0).reshape(wo, c_out).sum(axis=0)


def col2im_matmul(g_mat, w_mat, x_shape: tuple, out_hw: tuple, kernel_hw: tuple, pads: tuple,
                  strides: tuple, dilation: tuple):  # fmt: skip
    """∂L/∂x from G (N·Ho·Wo, O): col2im of ∂L/∂X_col = G · W_matᵀ, as kh·kw long additions.

    Tap (i, j) of window (h, w) reads padded pixel (h·s_h + i·d_h, w·s_w + j·d_w).
    Split the padded image into s_h·s_w *phases* by (row mod s_h, column mod
    s_w) — one phase when the stride is 1. Writing i·d_h = q_i·s_h + r_i
    (and likewise j·d_w = q_j·s_w + r_j), tap (i, j) of window (h, w) is
    pixel (h + q_i, w + q_j) of phase (r_i, r_j): every tap sees the whole
    grid of windows, shifted by (q_i, q_j). So:

    1. lay G on a zero frame the size of one phase, (N, H_q, W_q, O), stored
       in G's memory order;
    2. one matrix product W_mat · Gᵀ gives every tap's contribution at every
       window, channels first: shape (kh·kw·C, N·H_q·W_q);
    3. in the flattened frame a shift by (q_i, q_j) is a shift by
       q_i·W_q + q_j, so tap (i, j) is one contiguous addition into its
       phase — windows that overlap accumulate;
    4. interleave the phases into the padded image and crop the padding off.

    The result is stored channels first, like the convolution's output, and
    returned as a channels-last view (with stride 1: the phase *is* the image).
    """
    n, h, w, c = x_shape
    (ho, wo), (kh, kw) = out_hw, kernel_hw
    (sh, sw), (dh, dw) = strides, dilation
    (top, bottom), (left, right) = pads
    hq, wq = -(-(h + top + bottom) // sh), -(-(w + left + right) // sw)  # one phase's size
    c_out = g_mat.shape[-1]
    frame = zeros_channels_last((n, hq, wq, c_out), g_mat.dtype, g_mat.flags.f_contiguous)
    frame[:, :ho, :wo] = g_mat.reshape(n, ho, wo, c_out)
    pixels = n * hq * wq
    contributions = (w_mat @ frame.reshape(pixels, c_out).T).reshape(kh, kw, c, pixels)
    reach = ((kh - 1) * dh // sh) * wq + (kw - 1) * dw // sw  # the largest shift
    phases = xp.zeros((sh, sw, c, pixels + reach), dtype=g_mat.dtype)
    for i in range(kh):
        q_i, r_i = divmod(i * dh, sh)
        for j in range(kw):
            q_j, r_j = divmod(j * dw, sw)
            shift = q_i * wq + q_j
            phases[r_i, r_j, :, shift : shift + pixels] += contributions[i, j]
    # pixel (q·s_h + r_i, q'·s_w + r_j) of the padded image is pixel (q, q') of phase (r_i, r_j)
    grad = phases[..., :pixels].reshape(sh, sw, c, n, hq, wq).transpose(3, 4, 0, 5, 1, 2)
    return grad.reshape(n, hq * sh, wq * sw, c)[:, top : top + h, left : left + w]


# --------------------------------------------------------------------- ops
class Conv2D(Function):
    """y = conv(x, W) + b, by im2col: Y = X_col · W_mat + b.

    ∂L/∂W_mat = X_colᵀ · G ;  ∂L/∂b = Σ_{n,h,w} G ;  ∂L/∂X_col = G · W_matᵀ, then
    col2im (∂L/∂x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c] += ∂L/∂X_col[(n,h,w), (i,j,c)])
    and crop the padding. ``padding`` holds the explicit amounts ((top, bottom), (left, right)).
    Y keeps X_col's memory order (the module docstring's *memory format*).
    """

    def forward(self, x, kernel, bias, strides, padding, dilation, relu=False):
        n, h, w, _ = x.shape
        kh, kw, c_in, c_out = kernel.shape
        (top, bottom), (left, right) = padding
        ho = (h + top + bottom - (kh - 1) * dilation[0] - 1) // strides[0] + 1
        wo = (w + left + right - (kw - 1) * dilation[1] - 1) // strides[1] + 1
        cols = im2col(pad_spatial(x, padding), (kh, kw), (ho, wo), strides, dilation)
        w_mat = kernel.reshape(kh * kw * c_in, c_out)
        # the product in X_col's memory order: built column by column, Yᵀ = W_matᵀ · X_colᵀ
        y = (w_mat.T @ cols.T).T if cols.flags.f_contiguous else cols @ w_mat
        if bias is not None:
            add_bias(y, bias, wo)
        if relu:  # the fused Conv2D(activation="relu"): in place, G masked in backward
            relu_into(y)
        need_x, need_w = self.needs_input_grad[:2]
        self.geometry = (x.shape, kernel.shape, (ho, wo), strides, padding, dilation)
        self.save_for_backward(cols if need_w else None, w_mat if need_x else None,
                               y if relu else None)  # fmt: skip
        return y.reshape(n, ho, wo, c_out)  # a view in either memory order

    def backward(self, g):
        cols, w_mat, relu_out = self.saved
        x_shape, kernel_shape, out_hw, strides, padding, dilation = self.geometry
        need_x, need_w, need_b = self.needs_input_grad[:3]
        g_mat = g.reshape(-1, kernel_shape[-1])  # G as (N·Ho·Wo, O): a view in either order
        if relu_out is not None:
            g_mat = g_mat * (relu_out > 0)
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = col2im_matmul(g_mat, w_mat, x_shape, out_hw, kernel_shape[:2], padding,
                                   strides, dilation)  # fmt: skip
        if need_w:
            grad_w = (cols.T @ g_mat).reshape(kernel_shape)
        if need_b:
            grad_b = bias_gradient(g_mat, out_hw[1])
        return grad_x, grad_w, grad_b, None, None, None


class Conv1D(Conv2D):
    """The 1-D convolution as a 2-D one on images of height 1.

    y[n, t, o] = b[o] + Σ_{i, c} x_pad[n, t·s + i·d, c] · W[i, c, o]; the
    gradients are :class:`Conv2D`'s, with the height axis dropped again.
    ``padding`` holds the explicit amounts (before, after).
    """

    def forward(self, x, kernel, bias, stride, padding, dilation, relu=False):
        y = super().forward(x[:, None], kernel[None], bias, (1, stride), ((0, 0), padding),
                            (1, dilation), relu)  # fmt: skip
        return y[:, 0]

    def backward(self, g):
        grad_x, grad_w, grad_b, *_ = super().backward(g[:, None])
        if grad_x is not None:
            grad_x = grad_x[:, 0]
        if grad_w is not None:
            grad_w = grad_w[0]
        return grad_x, grad_w, grad_b, None, None, None


# --------------------------------------------------------------- functions
def _operands(op: str, x, kernel, bias, rank: int) -> tuple:
    """Check and convert the tensors of a convolution (shapes, dtypes), naming ``op``."""
    x, kernel = as_tensor(x), as_tensor(kernel)
    tensors = common_float(op, (x, kernel) if bias is None else (x, kernel, as_tensor(bias)))
    x, kernel = tensors[:2]
    bias = tensors[2] if bias is not None else None
    if not backend.is_float(x.dtype):
        raise TypeError(f"{op}: expected float tensors; received dtype {x.dtype}")
    layout = "(batch, steps, channels)" if rank == 1 else "(batch, height, width, channels)"
    kernel_layout = "(k, c_in, c_out)" if rank == 1 else "(kh, kw, c_in, c_out)"
    if x.ndim != rank + 2:
        raise ValueError(f"{op}: expected input of shape {layout}; received shape {x.shape}")
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"{op}: expected a kernel of shape {kernel_layout}; received shape {kernel.shape}"
        )
    if kernel.shape[-2] != x.shape[-1]:
        raise ValueError(
            f"{op}: the kernel {kernel.shape} expects {kernel.shape[-2]} input channels; "
            f"received input of shape {x.shape} with {x.shape[-1]}"
        )
    if bias is not None and bias.shape != (kernel.shape[-1],):
        raise ValueError(
            f"{op}: bias must have shape ({kernel.shape[-1]},) to match the kernel "
            f"{kernel.shape}; received {bias.shape}"
        )
    return x, kernel, bias


def _check_output_size(op: str, x_shape, kernel_size, padding, strides, dilation) -> None:
    """A ValueError naming ``op`` when the input is smaller than one receptive field."""
    spatial = x_shape[1:-1]
    geometry = zip(spatial, kernel_size, strides, dilation, strict=True)
    sizes = [conv_output_length(n, k, padding, s, d) for n, k, s, d in geometry]
    if min(sizes) < 1:
        field = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation, strict=True))
        raise ValueError(
            f"{op}: input of shape {tuple(x_shape)} is too small for kernel_size "
            f"{tuple(kernel_size)} with dilation_rate {tuple(dilation)} (receptive field "
            f"{field}) and padding='{padding}'"
        )


def conv2d(x, kernel, bias=None, strides=(1, 1), padding: str = "valid",
           dilation_rate=(1, 1), relu: bool = False) -> Tensor:  # fmt: skip
    """2-D convolution of channels-last images (the forward pass of ``Conv2D``).

    Args:
        x: images of shape ``(batch, height, width, channels)``.
        kernel: weights of shape ``(kh, kw, c_in, c_out)`` (the Keras layout).
        bias: optional ``(c_out,)``. Defaults to None.
        strides: step between windows, an int or ``(s_h, s_w)``. Defaults to ``(1, 1)``.
        padding: ``"valid"`` (none) or ``"same"`` (output size ⌈input / stride⌉,
            TensorFlow's split). Defaults to ``"valid"``.
        dilation_rate: step between kernel taps, an int or ``(d_h, d_w)``.
            Defaults to ``(1, 1)``.
        relu: apply ``max(0, ·)`` inside the same op (the fused
            ``Conv2D(activation="relu")``). Defaults to False.

    Returns:
        Shape ``(batch, Ho, Wo, c_out)``.

    Example:
        >>> import numpy as np, treino
        >>> image = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> x = treino.tensor(image, requires_grad=True)
        >>> k = treino.tensor(np.ones((2, 2, 1, 1)), dtype="float32")
        >>> y = conv2d(x, k)      # each output: the sum of a 2×2 block
        >>> y.data[0, :, :, 0]
        array([[10., 14., 18.],
               [26., 30., 34.],
               [42., 46., 50.]], dtype=float32)
        >>> y.sum().backward()    # ∂L/∂x counts the windows each pixel is in
        >>> x.grad[0, :, :, 0]
        array([[1., 2., 2., 1.],
               [2., 4., 4., 2.],
               [2., 4., 4., 2.],
               [1., 2., 2., 1.]], dtype=float32)
    """
    op = "conv2d"
    x, kernel, bias = _operands(op, x, kernel, bias, rank=2)
    strides = normalize_tuple(strides, 2, "strides", op)
    dilation = normalize_tuple(dilation_rate, 2, "dilation_rate", op)
    padding = normalize_padding(padding, PADDINGS_2D, op)
    kernel_size = kernel.shape[:2]
    _check_output_size(op, x.shape, kernel_size, padding, strides, dilation)
    pads = tuple(padding_amounts(padding, n, k, s, d) for n, k, s, d in
                 zip(x.shape[1:3], kernel_size, strides, dilation, strict=True))  # fmt: skip
    return Conv2D.apply(x, kernel, bias, strides, pads, dilation, relu=bool(relu))


def conv1d(x, kernel, bias=None, strides=1, padding: str = "valid", dilation_rate=1,
           relu: bool = False) -> Tensor:  # fmt: skip
    """1-D convolution of channels-last sequences (the forward pass of ``Conv1D``).

    Args:
        x: sequences of shape ``(batch, steps, channels)``.
        kernel: weights of shape ``(k, c_in, c_out)`` (the Keras layout).
        bias: optional ``(c_out,)``. Defaults to None.
        strides: step between windows. Defaults to 1.
        padding: ``"valid"``, ``"same"`` or ``"causal"`` ((k − 1)·d zeros in
            front: step t sees only steps ≤ t). Defaults to ``"valid"``.
        dilation_rate: step between kernel taps. Defaults to 1.
        relu: apply ``max(0, ·)`` inside the same op. Defaults to False.

    Returns:
        Shape ``(batch, steps_out, c_out)``.

    Example:
        >>> import numpy as np, treino
        >>> x = treino.tensor([[[1.0], [2.0], [3.0], [4.0]]])
        >>> k = treino.tensor(np.ones((2, 1, 1), dtype="float32"))
        >>> conv1d(x, k, padding="causal").data[0, :, 0]   # x[t−1] + x[t]
        array([1., 3., 5., 7.], dtype=float32)
    """
    op = "conv1d"
    x, kernel, bias = _operands(op, x, kernel, bias, rank=1)
    (stride,) = normalize_tuple(strides, 1, "strides", op)
    (dilation,) = normalize_tuple(dilation_rate, 1, "dilation_rate", op)
    padding = normalize_padding(padding, PADDINGS_1D, op)
    _check_output_size(op, x.shape, kernel.shape[:1], padding, (stride,), (dilation,))
    pads = padding_amounts(padding, x.shape[1], kernel.shape[0], stride, dilation)
    return Conv1D.apply(x, kernel, bias, stride, pads, dilation, relu=bool(relu))
