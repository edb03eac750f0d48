"""Differentiable image ops behind the augmentation layers: pixel resampling and noise.

Every geometric augmentation (flip, shift, rotation, zoom) *moves* pixels. It is
computed by inverse mapping: for each output pixel p of image n we ask where
it comes from, a source position s(p) in the input. With nearest interpolation
that is one pixel; with bilinear, the four neighbours of a fractional position,
weighted by closeness. Either way the output is a weighted gather,

    z[n, p, c] = Σₖ w[n, p, k] · x[n, s(n, p, k), c]   (+ the fill value where s is outside)

which is linear in x, so the backward pass is a scatter-add of the output
gradient into the pixels that were read:

    ∂L/∂x[n, q, c] = Σ over (p, k) with s(n, p, k) = q of  w[n, p, k] · G[n, p, c]

A pixel read twice (reflect fill, zoom in) receives both contributions.

Images are channels-last, ``(N, H, W, C)``; ``(N, H, W)`` is a batch of
grayscale images (as Fashion-MNIST arrives). Positions are pixel indices, row
0 at the top; affine maps order them (column, row), i.e. (x, y), as Keras.
"""

from __future__ import annotations

import math
import numbers

from treino import backend
from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor

FILL_MODES = ("constant", "reflect", "wrap", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


class Resample(Function):
    """z[n, p] = Σₖ w[n, p, k] · x[n, s[n, p, k]] + f[n, p]  (a weighted gather; f is the fill).

    ``index`` holds the flat source pixel s of each output pixel and neighbour
    k, ``weights`` their weights w (0 where the neighbour is outside the
    image), ``fill`` the constant added where it is (or None).

    ∂L/∂x[n, q] = Σ over (p, k) with s[n, p, k] = q of w[n, p, k] · G[n, p]
    (a scatter-add, ``xp.add.at``, so repeated sources accumulate).
    """

    def forward(self, x, index, weights, fill):
        channels = math.prod(x.shape[3:])  # 1 for grayscale (N, H, W)
        self.shape = x.shape
        self.save_for_backward(index, weights)
        pixels = x.reshape(-1, channels)[index]  # (N, H', W', K, C)
        out = xp.einsum("nhwk,nhwkc->nhwc", weights, pixels)
        if fill is not None:
            out += fill[..., None]
        return out.reshape(index.shape[:3] + x.shape[3:])

    def backward(self, g):
        index, weights = self.saved
        channels = math.prod(self.shape[3:])
        contribution = weights[..., None] * g.reshape(index.shape[:3] + (1, channels))
        target = index[..., None] * channels + xp.arange(channels)  # one flat slot per value
        grad = xp.zeros(self.shape, dtype=g.dtype)
        xp.add.at(grad.reshape(-1), target.reshape(-1), contribution.reshape(-1))
        return grad


class GaussianNoise(Function):
    """z = x + σ·ε with ε ~ N(0, 1) drawn once per call.  ∂L/∂x = G (the noise is a constant)."""

    def forward(self, x, noise):
        self.save_for_backward()
        return x + noise

    def backward(self, g):
        return g


def _border(index, size: int, fill_mode: str) -> tuple:
    """Map integer positions outside ``[0, size)`` by ``fill_mode``; also say which were inside.

    ``"constant"`` clips like ``"nearest"``: its outside positions are read
    with weight 0 and replaced by the fill value (see :func:`_resample`).

    >>> _border(xp.arange(-3, 7), 4, "reflect")[0]
    array([2, 1, 0, 0, 1, 2, 3, 3, 2, 1])
    >>> _border(xp.arange(-3, 7), 4, "wrap")[0]
    array([1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
    """
    inside = (index >= 0) & (index < size)
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a: period 2·size
        index = index % (2 * size)
        index = xp.where(index >= size, 2 * size - 1 - index, index)
    elif fill_mode == "wrap":  # a b c d | a b c d | a b c d
        index = index % size
    else:  # "nearest" and "constant"
        index = xp.clip(index, 0, size - 1)
    return index, inside


def _check_images(op: str, x: Tensor) -> None:
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected images of shape (N, H, W, C) or (N, H, W); received shape {x.shape}"
        )
    if not backend.is_float(x.dtype):
        raise TypeError(f"{op}: expected a float tensor; received dtype {x.dtype}")


def check_choice(op: str, name: str, value, choices: tuple) -> None:
    """A ValueError naming ``op``, the argument and the choices unless ``value`` is one of them."""
    if value not in choices:
        raise ValueError(f"{op}: {name} must be one of {choices}; received {name}={value!r}")


def check_fill(op: str, fill_mode, fill_value) -> None:
    """Check ``fill_mode`` (one of :data:`FILL_MODES`) and ``fill_value`` (a number)."""
    check_choice(op, "fill_mode", fill_mode, FILL_MODES)
    if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
        raise ValueError(f"{op}: fill_value must be a number; received fill_value={fill_value!r}")


def gather_pixels(x, rows, cols, fill_mode: str = "constant", fill_value: float = 0.0) -> Tensor:
    """Output pixel ``(n, i, j)`` is input pixel ``(n, rows[n, i, j], cols[n, i, j])``.

    The building block of flips and shifts: ``rows`` and ``cols`` say where
    each output pixel comes from. Positions outside the image are resolved by
    ``fill_mode``.

    Args:
        x: images, ``(N, H, W, C)`` or ``(N, H, W)``.
        rows, cols: integer source positions, broadcast together (and with
            ``(N, 1, 1)``) to the output grid ``(N, H', W')``; e.g. ``rows`` of
            shape ``(N, H', 1)`` and ``cols`` of shape ``(N, 1, W')``.
        fill_mode: ``"constant"`` (``k k | a b c d | k k`` with k = ``fill_value``),
            ``"reflect"`` (``b a | a b c d | d c``), ``"wrap"`` (``c d | a b c d | a b``)
            or ``"nearest"`` (``a a | a b c d | d d``). Defaults to ``"constant"``.
        fill_value: the value read outside the image in ``"constant"`` mode.
            Defaults to 0.0.

    Returns:
        Images of shape ``(N, H', W') + x.shape[3:]``, differentiable with respect to ``x``.

    Example:
        >>> import numpy as np, treino
        >>> x = treino.tensor(np.arange(4.0).reshape(1, 1, 4))  # one 1×4 image
        >>> gather_pixels(x, np.zeros((1, 1, 1), int), np.array([[[-1, 0, 1, 2]]]))
        tensor([[[0., 0., 1., 2.]]], dtype=float64)
    """
    op = "gather_pixels"
    x = as_tensor(x)
    _check_images(op, x)
    check_fill(op, fill_mode, fill_value)
    rows, cols = xp.asarray(rows), xp.asarray(cols)
    if rows.dtype.kind not in "iu" or cols.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: rows and cols must be integer arrays; received {rows.dtype} and {cols.dtype}"
        )
    try:
        grid = xp.broadcast_shapes((x.shape[0], 1, 1), rows.shape, cols.shape)
    except ValueError:
        grid = ()
    if len(grid) != 3:
        raise ValueError(
            f"{op}: rows and cols must broadcast to an output grid (N, H', W') with "
            f"N={x.shape[0]}; received shapes {rows.shape} and {cols.shape}"
        )
    return _resample(x, [(rows, 1)], [(cols, 1)], fill_mode, float(fill_value))


def _resample(x: Tensor, row_taps: list, col_taps: list, fill_mode: str,
              fill_value: float) -> Tensor:  # fmt: skip
    """Apply :class:`Resample`, reading every (row tap) × (column tap) pair of sources.

    A tap is ``(positions, weight)`` with arrays broadcastable to the output
    grid ``(N, H', W')``: one tap per axis is a plain gather, two per axis
    (the floor and the next pixel) is bilinear interpolation, whose weight
    factorises as (weight along rows) × (weight along columns). The border
    is resolved on each tap before broadcasting, which is cheap for flips
    and shifts, whose rows and columns are separate.
    """
    n, h, w = x.shape[:3]
    first_row = xp.arange(n).reshape(n, 1, 1) * h  # image n starts at flat pixel row n·H
    row_taps = [(*_border(rows, h, fill_mode), weight) for rows, weight in row_taps]
    col_taps = [(*_border(cols, w, fill_mode), weight) for cols, weight in col_taps]
    indices, weights, fill = [], [], None
    for rows, row_inside, row_weight in row_taps:
        for cols, col_inside, col_weight in col_taps:
            index = (first_row + rows) * w + cols
            weight = xp.asarray(row_weight * col_weight, dtype=x.dtype)
            weight = xp.broadcast_to(weight, index.shape)
            outside = ~(row_inside & col_inside)
            if fill_mode == "constant" and outside.any():
                fill = (0 if fill is None else fill) + fill_value * weight * outside
                weight = weight * ~outside
            indices.append(index)
            weights.append(weight)
    index, weights = xp.stack(indices, axis=-1), xp.stack(weights, axis=-1)
    if fill is not None:
        fill = xp.broadcast_to(fill.astype(x.dtype, copy=False), index.shape[:3])
    return Resample.apply(x, index=index, weights=weights, fill=fill)


def affine_transform(x, matrices, interpolation: str = "bilinear", fill_mode: str = "reflect",
                     fill_value: float = 0.0) -> Tensor:  # fmt: skip
    """Warp each image by an affine map from output to input coordinates (inverse mapping).

    Output pixel (row i, column j) of image n reads the input at

        column = a₀ j + a₁ i + a₂ ,   row = b₀ j + b₁ i + b₂

    with ``matrices[n] = [[a₀, a₁, a₂], [b₀, b₁, b₂]]`` (the first six entries
    of the transform of ``keras.ops.image.affine_transform``). A fractional
    position is rounded (``"nearest"``) or mixed from its four neighbours
    (``"bilinear"``); each neighbour outside the image is resolved by
    ``fill_mode`` as in :func:`gather_pixels`.

    Args:
        x: images, ``(N, H, W, C)`` or ``(N, H, W)``.
        matrices: array of shape ``(N, 2, 3)``, one map per image.
        interpolation: ``"nearest"`` or ``"bilinear"``. Defaults to ``"bilinear"``.
        fill_mode: see :func:`gather_pixels`. Defaults to ``"reflect"``.
        fill_value: see :func:`gather_pixels`. Defaults to 0.0.

    Returns:
        The warped images, same shape and dtype as ``x``; linear in ``x``.

    Example:
        >>> import numpy as np, treino
        >>> x = treino.tensor(np.arange(4.0).reshape(1, 2, 2))
        >>> mirror = np.array([[[-1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]])  # column = 1 − j
        >>> affine_transform(x, mirror, interpolation="nearest")
        tensor([[[1., 0.],
                 [3., 2.]]], dtype=float64)
    """
    op = "affine_transform"
    x = as_tensor(x)
    _check_images(op, x)
    check_choice(op, "interpolation", interpolation, INTERPOLATIONS)
    check_fill(op, fill_mode, fill_value)
    matrices = xp.asarray(matrices, dtype=xp.float64)
    if matrices.shape != (x.shape[0], 2, 3):
        raise ValueError(
            f"{op}: expected matrices of shape ({x.shape[0]}, 2, 3) for images of shape "
            f"{x.shape}; received shape {matrices.shape}"
        )
    i, j = xp.meshgrid(xp.arange(x.shape[1]), xp.arange(x.shape[2]), indexing="ij")
    a, b = matrices[:, 0, :, None, None], matrices[:, 1, :, None, None]
    col = a[:, 0] * j + a[:, 1] * i + a[:, 2]  # (N, H, W) source positions
    row = b[:, 0] * j + b[:, 1] * i + b[:, 2]
    if interpolation == "nearest":
        rows, cols = xp.floor(row + 0.5).astype(xp.int64), xp.floor(col + 0.5).astype(xp.int64)
        return _resample(x, [(rows, 1)], [(cols, 1)], fill_mode, float(fill_value))
    # bilinear: the pixel before and after along each axis, weighted by closeness
    top, left = xp.floor(row), xp.floor(col)
    dy, dx = row - top, col - left
    top, left = top.astype(xp.int64), left.astype(xp.int64)
    row_taps = [(top, 1 - dy), (top + 1, dy)]
    col_taps = [(left, 1 - dx), (left + 1, dx)]
    return _resample(x, row_taps, col_taps, fill_mode, float(fill_value))


def gaussian_noise(x, stddev: float, seed=None) -> Tensor:
    """``x + N(0, stddev²)`` noise, one draw per value; the gradient passes unchanged.

    Args:
        x: a float tensor of any shape.
        stddev: standard deviation of the noise, ≥ 0.
        seed: an int or ``numpy.random.Generator``; defaults to the generator of
            ``treino.seed``.

    Example:
        >>> import numpy as np, treino
        >>> y = gaussian_noise(np.zeros((1000, 100)), 0.5, seed=0)
        >>> round(float(y.data.std()), 2)
        0.5
    """
    x = as_tensor(x)
    if not backend.is_float(x.dtype):
        raise TypeError(f"gaussian_noise: expected a float tensor; received dtype {x.dtype}")
    if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or not 0 <= stddev < xp.inf:
        raise ValueError(
            f"gaussian_noise: stddev must be a finite number ≥ 0; received stddev={stddev!r}"
        )
    rng = backend.make_rng(seed)
    draw_dtype = x.dtype if x.dtype in (xp.float32, xp.float64) else xp.float64
    noise = rng.standard_normal(x.shape, dtype=draw_dtype).astype(x.dtype, copy=False)
    return GaussianNoise.apply(x, noise=noise * xp.asarray(stddev, dtype=x.dtype))
