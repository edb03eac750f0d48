"""Reductions over axes: sum, mean, max, min, var, std, logsumexp.

A reduction maps many inputs to one output, so its backward *broadcasts* the
incoming gradient ``G`` back over the reduced axes (the mirror image of
``unbroadcast``).
"""

from __future__ import annotations

import math

from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, expand_reduced, normalize_axis


class Sum(Function):
    """z = Σᵢ xᵢ over ``axis``.  ∂L/∂xᵢ = G (copied to every summed position)."""

    def forward(self, x, axes, keepdims):
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        return xp.sum(x, axis=axes, keepdims=keepdims)

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axes, self.keepdims), None, None


class Mean(Function):
    """z = (1/n) Σᵢ xᵢ over ``axis``.  ∂L/∂xᵢ = G / n."""

    def forward(self, x, axes, keepdims):
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        self.count = math.prod(x.shape[a] for a in axes)
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4 and self.count:
            # NumPy's mean without its Python wrapper: the same float32/64 sum, / n
            return xp.add.reduce(x, axis=axes, keepdims=keepdims) / x.dtype.type(self.count)
        return xp.mean(x, axis=axes, keepdims=keepdims)

    def backward(self, g):
        g = g / g.dtype.type(self.count)
        return expand_reduced(g, self.shape, self.axes, self.keepdims), None, None


class Max(Function):
    """z = maxᵢ xᵢ.  ∂L/∂xᵢ = G · [xᵢ = z] / (number of ties)  (ties share evenly, as PyTorch)."""

    def forward(self, x, axes, keepdims, largest=True):
        z = (xp.max if largest else xp.min)(x, axis=axes, keepdims=True)
        winners = x == z
        self.save_for_backward(winners / winners.sum(axis=axes, keepdims=True).astype(x.dtype))
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        return z if keepdims else xp.squeeze(z, axis=axes)

    def backward(self, g):
        (share,) = self.saved
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
        return (g * share).astype(g.dtype, copy=False), None, None, None


class Var(Function):
    """z = (1/(n − ddof)) Σᵢ (xᵢ − x̄)².  ∂L/∂xᵢ = G · 2(xᵢ − x̄) / (n − ddof).

    ``ddof=0`` (the default, as NumPy and Keras) is the biased variance;
    ``ddof=1`` is PyTorch's default unbiased estimate.
    """

    def forward(self, x, axes, keepdims, ddof):
        centered = x - xp.mean(x, axis=axes, keepdims=True)
        n = int(xp.prod([x.shape[a] for a in axes])) if axes else 1
        self.save_for_backward(centered)
        self.shape, self.axes, self.keepdims, self.denominator = x.shape, axes, keepdims, n - ddof
        return xp.sum(centered * centered, axis=axes, keepdims=keepdims) / xp.asarray(
            n - ddof, dtype=x.dtype
        )

    def backward(self, g):
        (centered,) = self.saved
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
        return g * centered * xp.asarray(2 / self.denominator, dtype=g.dtype), None, None, None


class LogSumExp(Function):
    """z = ln Σᵢ e^{xᵢ}, computed as m + ln Σᵢ e^{xᵢ−m} with m = max x (no overflow).

    ∂L/∂xᵢ = G · e^{xᵢ−z} = G · softmax(x)ᵢ.
    """

    def forward(self, x, axes, keepdims):
        m = xp.max(x, axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):  # all −∞: ln 0 = −∞ is the right answer
            z = m + xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True))
        self.save_for_backward(x, z)
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        return z if keepdims else xp.squeeze(z, axis=axes)

    def backward(self, g):
        x, z = self.saved
        g = expand_reduced(g, self.shape, self.axes, self.keepdims)
        return g * xp.exp(x - z), None, None


def _reduce(fn, op, x, axis, keepdims, *extra):
    x = as_tensor(x)
    return fn.apply(x, normalize_axis(axis, x.ndim, op), bool(keepdims), *extra)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes when None)."""
    return _reduce(Sum, "sum", x, axis, keepdims)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (all axes when None)."""
    return _reduce(Mean, "mean", x, axis, keepdims)


def max(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    return _reduce(Max, "max", x, axis, keepdims, True)


def min(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient evenly."""
    return _reduce(Max, "min", x, axis, keepdims, False)


def var(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis``; ``ddof=0`` is biased (NumPy/Keras), ``ddof=1`` unbiased."""
    return _reduce(Var, "var", x, axis, keepdims, int(ddof))


def std(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation ``√var`` over ``axis``."""
    from treino.ops.elementwise import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """``ln Σ exp(x)`` over ``axis``, without overflow."""
    return _reduce(LogSumExp, "logsumexp", x, axis, keepdims)
