"""Activation functions φ(x), each with its derivative φ'(x) next to it.

The backward of every activation is ``∂L/∂x = G · φ'(x)``; most are cheapest
written with the saved output ``y = φ(x)`` (σ' = y(1 − y), tanh' = 1 − y²).
``softmax`` and ``sigmoid`` also remember their input on the output
(``y._logits``) so a cross-entropy loss can use the logits directly, as Keras
does: the fused loss is exact where log(softmax) would underflow.
"""

from __future__ import annotations

import math

from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, reduce_keepdims, relu_into

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ), evaluated without overflow for large |x|."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _erf(x):
    try:
        from scipy.special import erf
    except ImportError:  # exact to float64 all the same, only slower
        erf = xp.frompyfunc(math.erf, 1, 1)
    return xp.asarray(erf(x), dtype=x.dtype)


class ReLU(Function):
    """φ(x) = max(0, x).  φ'(x) = 1 if x > 0 else 0."""

    def forward(self, x):
        y = relu_into(x, xp.empty_like(x))
        self.save_for_backward(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * (y > 0)


class ReLU6(Function):
    """φ(x) = min(max(0, x), 6).  φ'(x) = 1 if 0 < x < 6 else 0."""

    def forward(self, x):
        self.save_for_backward((x > 0) & (x < 6))
        return xp.clip(x, 0, 6)

    def backward(self, g):
        (inside,) = self.saved
        return g * inside


class LeakyReLU(Function):
    """φ(x) = x if x > 0 else α·x.  φ'(x) = 1 if x > 0 else α."""

    def forward(self, x, alpha):
        self.save_for_backward(x > 0)
        self.alpha = alpha
        return xp.where(x > 0, x, x * alpha).astype(x.dtype, copy=False)

    def backward(self, g):
        (positive,) = self.saved
        return xp.where(positive, g, g * self.alpha).astype(g.dtype, copy=False), None


class ELU(Function):
    """φ(x) = x if x > 0 else α(eˣ − 1).  φ'(x) = 1 if x > 0 else φ(x) + α."""

    def forward(self, x, alpha):
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)
        self.save_for_backward(x > 0, y)
        self.alpha = alpha
        return y

    def backward(self, g):
        positive, y = self.saved
        return xp.where(positive, g, g * (y + self.alpha)).astype(g.dtype, copy=False), None


class SELU(Function):
    """φ(x) = λ·x if x > 0 else λα(eˣ − 1), with λ ≈ 1.0507, α ≈ 1.6733 (self-normalising).

    φ'(x) = λ if x > 0 else φ(x) + λα.
    """

    def forward(self, x):
        neg = SELU_SCALE * SELU_ALPHA * xp.expm1(xp.minimum(x, 0))
        y = xp.where(x > 0, SELU_SCALE * x, neg).astype(x.dtype, copy=False)
        self.save_for_backward(x > 0, y)
        return y

    def backward(self, g):
        positive, y = self.saved
        slope = xp.where(positive, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA)
        return (g * slope).astype(g.dtype, copy=False)


class GELU(Function):
    """φ(x) = x·Φ(x), Φ the standard normal CDF.  φ'(x) = Φ(x) + x·ϕ(x).

    With ``approximate=True``: φ(x) = ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³),
    φ'(x) = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
    """

    def forward(self, x, approximate):
        self.approximate = approximate
        if approximate:
            c = math.sqrt(2 / math.pi)
            t = xp.tanh(c * (x + 0.044715 * x**3))
            self.save_for_backward(x, t)
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        self.save_for_backward(x, cdf)
        return x * cdf

    def backward(self, g):
        x, s = self.saved
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            slope = 0.5 * (1 + s) + 0.5 * x * (1 - s * s) * c * (1 + 3 * 0.044715 * x * x)
        else:
            pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
            slope = s + x * pdf
        return g * slope, None


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e⁻ˣ).  σ'(x) = σ(x)(1 − σ(x))."""

    def forward(self, x):
        y = _sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * y * (1 - y)


class HardSigmoid(Function):
    """φ(x) = relu6(x + 3) / 6 (Keras 3).  φ'(x) = 1/6 if −3 < x < 3 else 0."""

    def forward(self, x):
        self.save_for_backward((x > -3) & (x < 3))
        return xp.clip(x + 3, 0, 6) / 6

    def backward(self, g):
        (inside,) = self.saved
        return g * inside / 6


class Tanh(Function):
    """tanh(x).  tanh'(x) = 1 − tanh²(x)."""

    def forward(self, x):
        y = xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, g):
        (y,) = self.saved
        return g * (1 - y * y)


class Softplus(Function):
    """φ(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|).  φ'(x) = σ(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, g):
        (x,) = self.saved
        return g * _sigmoid(x)


class Softsign(Function):
    """φ(x) = x / (1 + |x|).  φ'(x) = 1 / (1 + |x|)²."""

    def forward(self, x):
        self.save_for_backward(x)
        return x / (1 + xp.abs(x))

    def backward(self, g):
        (x,) = self.saved
        d = 1 + xp.abs(x)
        return g / (d * d)


class SiLU(Function):
    """φ(x) = x·σ(x) (a.k.a. swish).  φ'(x) = σ(x)(1 + x(1 − σ(x)))."""

    def forward(self, x):
        s = _sigmoid(x)
        self.save_for_backward(x, s)
        return x * s

    def backward(self, g):
        x, s = self.saved
        return g * s * (1 + x * (1 - s))


class Softmax(Function):
    """yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} (shifted by max x for stability).

    Jacobian ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), applied without building it:
    ∂L/∂x = y ⊙ (G − Σⱼ Gⱼ yⱼ).
    """

    def forward(self, x, axis):
        y = x - reduce_keepdims(xp.maximum, x, axis)
        xp.exp(y, out=y)
        y /= reduce_keepdims(xp.add, y, axis)
        self.save_for_backward(y)
        self.axis = axis
        return y

    def backward(self, g):
        (y,) = self.saved
        return y * (g - xp.sum(g * y, axis=self.axis, keepdims=True)), None


class LogSoftmax(Function):
    """yᵢ = xᵢ − ln Σⱼ e^{xⱼ} (log-sum-exp with the max subtracted).

    ∂L/∂x = G − softmax(x) · Σⱼ Gⱼ.
    """

    def forward(self, x, axis):
        shifted = x - reduce_keepdims(xp.maximum, x, axis)
        y = shifted - xp.log(reduce_keepdims(xp.add, xp.exp(shifted), axis))
        self.save_for_backward(y)
        self.axis = axis
        return y

    def backward(self, g):
        (y,) = self.saved
        return g - xp.exp(y) * xp.sum(g, axis=self.axis, keepdims=True), None


def relu(x) -> Tensor:
    """Rectified linear unit ``max(0, x)``."""
    return ReLU.apply(as_tensor(x))


def relu6(x) -> Tensor:
    """ReLU capped at 6."""
    return ReLU6.apply(as_tensor(x))


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` if positive else ``negative_slope · x`` (Keras default slope 0.2)."""
    return LeakyReLU.apply(as_tensor(x), float(negative_slope))


def elu(x, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit."""
    return ELU.apply(as_tensor(x), float(alpha))


def selu(x) -> Tensor:
    """Scaled ELU (self-normalising networks; pair with LecunNormal)."""
    return SELU.apply(as_tensor(x))


def gelu(x, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit (exact erf form unless ``approximate``)."""
    return GELU.apply(as_tensor(x), bool(approximate))


def sigmoid(x) -> Tensor:
    """Logistic sigmoid; the output remembers its logits for a fused BCE loss."""
    x = as_tensor(x)
    y = Sigmoid.apply(x)
    y._logits = x
    return y


def hard_sigmoid(x) -> Tensor:
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6``."""
    return HardSigmoid.apply(as_tensor(x))


def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(as_tensor(x))


def softplus(x) -> Tensor:
    """``ln(1 + eˣ)``, computed without overflow."""
    return Softplus.apply(as_tensor(x))


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``."""
    return Softsign.apply(as_tensor(x))


def silu(x) -> Tensor:
    """``x · σ(x)`` (swish)."""
    return SiLU.apply(as_tensor(x))


def softmax(x, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``; the output remembers its logits for a fused CE loss."""
    x = as_tensor(x)
    y = Softmax.apply(x, int(axis))
    y._logits = x
    return y


def log_softmax(x, axis: int = -1) -> Tensor:
    """``ln softmax(x)`` computed directly (never ``log`` of a rounded-to-zero probability)."""
    return LogSoftmax.apply(as_tensor(x), int(axis))


def mish(x) -> Tensor:
    """``x · tanh(softplus(x))`` (composed from the ops above)."""
    from treino.ops.elementwise import multiply

    x = as_tensor(x)
    return multiply(x, tanh(softplus(x)))


def linear_activation(x) -> Tensor:
    """The identity ``φ(x) = x`` (Keras's ``'linear'``)."""
    return as_tensor(x)
