"""Fused neural-network ops: cross-entropy on logits, and inverted dropout.

Fusing the activation into the loss is both faster and exact. With
p = softmax(z) and labels y, the loss is L = −Σᵢ yᵢ ln pᵢ and

    ∂L/∂z = p · Σᵢ yᵢ − y        (= p − y for one-hot or probability labels)

so the backward never divides by a probability that rounded to 0, and logits
of ±1e4 give finite losses and gradients.
"""

from __future__ import annotations

import math

from treino import backend
from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, common_float, reduce_keepdims


class SoftmaxCrossEntropy(Function):
    """Lₙ = −Σᵢ yₙᵢ · log_softmax(zₙ)ᵢ, per sample (no reduction).

    Labels are either integer class indices (sparse) or a distribution with
    the logits' shape. ∂L/∂z = G · (softmax(z) · Σᵢyᵢ − y); ∂L/∂y = −G · log_softmax(z).
    """

    def forward(self, logits, labels, axis, sparse):
        log_p = logits - reduce_keepdims(xp.maximum, logits, axis)
        log_p -= xp.log(reduce_keepdims(xp.add, xp.exp(log_p), axis))
        self.axis, self.sparse = axis, sparse
        if sparse:
            self.save_for_backward(log_p, labels)
            if log_p.ndim == 2 and axis == 1:  # (N, C): pick log_p[n, yₙ] directly
                return -log_p[xp.arange(len(labels)), labels]
            picked = xp.take_along_axis(log_p, xp.expand_dims(labels, axis), axis=axis)
            return -xp.squeeze(picked, axis=axis)
        self.save_for_backward(log_p, labels)
        # A class with zero probability mass contributes 0 even when its logit
        # is −inf (0 · −∞ would be NaN).
        return -xp.sum(labels * xp.where(labels == 0, 0, log_p), axis=axis)

    def backward(self, g):
        log_p, labels = self.saved
        g = xp.expand_dims(g, self.axis)
        need_z, need_y = self.needs_input_grad[:2]
        grad_z = grad_y = None
        if need_z:
            p = xp.exp(log_p)
            if self.sparse and p.ndim == 2 and self.axis == 1:  # p − onehot(y), in place
                p[xp.arange(len(labels)), labels] -= 1
                grad_z = p
                grad_z *= g
            elif self.sparse:  # p − onehot(y), without building the one-hot matrix
                index = xp.expand_dims(labels, self.axis)
                picked = xp.take_along_axis(p, index, axis=self.axis)
                xp.put_along_axis(p, index, picked - 1, axis=self.axis)
                grad_z = g * p
            else:
                grad_z = g * (p * xp.sum(labels, axis=self.axis, keepdims=True) - labels)
        if need_y and not self.sparse:
            grad_y = -g * log_p
        return grad_z, grad_y, None, None


class SigmoidBinaryCrossEntropy(Function):
    """L = −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = max(z, 0) − z·y + ln(1 + e^−|z|), elementwise.

    ∂L/∂z = G · (σ(z) − y) ;  ∂L/∂y = −G · z.
    """

    def forward(self, logits, labels):
        self.save_for_backward(logits, labels)
        return xp.maximum(logits, 0) - logits * labels + xp.log1p(xp.exp(-xp.abs(logits)))

    def backward(self, g):
        z, y = self.saved
        need_z, need_y = self.needs_input_grad
        grad_z = None
        if need_z:
            e = xp.exp(-xp.abs(z))
            sig = xp.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)
            grad_z = g * (sig - y)
        grad_y = -g * z if need_y else None
        return grad_z, grad_y


MASK_LEVELS = 65536  # a dropout mask compares 16-bit random integers


def keep_mask(rng, shape: tuple, rate: float) -> tuple:
    """A dropout mask: ``(keep, scale)``, ``keep`` boolean with P(True) ≈ 1 − rate.

    The mask costs a quarter of a random draw per value: each raw 64-bit word
    of the generator gives four uniform 16-bit integers u, and a value is kept
    when u ≥ round(65536·rate). The rate is realised to within 1/131072, so
    with ``scale`` = 1/(1 − rate) (as Keras and PyTorch) E[keep·scale] is 1
    to within 2⁻¹⁶. One float draw per value costs about four times as much.
    """
    size = math.prod(shape)
    threshold = min(round(rate * MASK_LEVELS), MASK_LEVELS - 1)
    words = rng.bit_generator.random_raw(-(-size // 4))  # ⌈size/4⌉ 64-bit words
    keep = words.view(xp.uint16)[:size].reshape(shape) >= threshold
    return keep, 1.0 / (1.0 - rate)


class Dropout(Function):
    """Inverted dropout: y = x · m / (1 − p), m ~ Bernoulli(1 − p).  ∂L/∂x = G · m / (1 − p).

    Scaling at training time keeps E[y] = x, so inference is the identity.
    The mask (see :func:`keep_mask`) is kept as booleans and the scale applied
    in place.
    """

    def forward(self, x, rate, rng, noise_shape):
        keep, scale = keep_mask(rng, x.shape if noise_shape is None else noise_shape, rate)
        self.scale = x.dtype.type(scale)
        self.save_for_backward(keep)
        y = x * keep
        y *= self.scale
        return y

    def backward(self, g):
        (keep,) = self.saved
        gx = g * keep
        gx *= self.scale
        return gx, None, None, None


def _numeric_labels(op: str, labels):
    """``labels`` as a Tensor or an array of numbers, or a TypeError naming ``op``."""
    if isinstance(labels, Tensor):
        return labels
    array = xp.asarray(labels)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{op}: expected integer class labels or float probabilities; received dtype "
            f"{array.dtype}"
        )
    return array


def _sparse_labels(op: str, labels, logits: Tensor, axis: int) -> xp.ndarray:
    labels = xp.asarray(labels.data if isinstance(labels, Tensor) else labels)
    expected = logits.shape[: axis % logits.ndim] + logits.shape[axis % logits.ndim + 1 :]
    if labels.shape != expected:
        if labels.shape == expected + (1,):
            labels = labels[..., 0]
        else:
            raise ValueError(
                f"{op}: expected integer labels of shape {expected} for logits of shape "
                f"{logits.shape}; received labels of shape {labels.shape}"
            )
    if labels.dtype.kind == "f":
        if not xp.all(xp.isfinite(labels)) or xp.any(labels != xp.round(labels)):
            raise ValueError(
                f"{op}: class labels must be whole numbers; received {labels.dtype} "
                "values with a fractional part or NaN"
            )
        labels = labels.astype(xp.int64)
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class labels; received dtype {labels.dtype}")
    n_classes = logits.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels.min() if labels.min() < 0 else labels.max()
        raise ValueError(
            f"{op}: labels must be in [0, {n_classes - 1}] for {n_classes} classes; "
            f"received label {bad}"
        )
    return labels


def softmax_cross_entropy(logits, labels, axis: int = -1) -> Tensor:
    """Cross-entropy between ``softmax(logits)`` and ``labels``, per sample.

    Args:
        logits: unnormalised scores, e.g. shape ``(N, C)``.
        labels: integer classes of shape ``(N,)`` (sparse), or a distribution of
            shape ``(N, C)`` (one-hot or soft labels).
        axis: the class axis. Defaults to ``-1``.

    Returns:
        The loss of each sample, shape ``(N,)``.
    """
    op = "softmax_cross_entropy"
    logits = as_tensor(logits)
    if not backend.is_float(logits.dtype):
        raise TypeError(f"{op}: expected float logits; received dtype {logits.dtype}")
    if logits.ndim == 0:
        raise ValueError(f"{op}: expected logits with a class axis; received shape ()")
    if not -logits.ndim <= axis < logits.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for logits of shape {logits.shape}")
    axis = int(axis) % logits.ndim
    labels = _numeric_labels(op, labels)
    if labels.shape == logits.shape:  # one-hot or soft labels
        if not isinstance(labels, Tensor):
            labels = Tensor(labels, dtype=logits.dtype)
        logits, labels = common_float(op, (logits, labels))
        return SoftmaxCrossEntropy.apply(logits, labels, axis, False)
    sparse = _sparse_labels(op, labels, logits, axis)
    return SoftmaxCrossEntropy.apply(logits, sparse, axis, True)


def sigmoid_binary_cross_entropy(logits, labels) -> Tensor:
    """Binary cross-entropy between ``sigmoid(logits)`` and ``labels`` in [0, 1], elementwise."""
    op = "sigmoid_binary_cross_entropy"
    logits = as_tensor(logits)
    if not backend.is_float(logits.dtype):
        raise TypeError(f"{op}: expected float logits; received dtype {logits.dtype}")
    labels = _numeric_labels(op, labels)
    if not isinstance(labels, Tensor):
        labels = Tensor(labels, dtype=logits.dtype)
    if labels.shape != logits.shape:
        raise ValueError(
            f"{op}: labels shape {labels.shape} does not match logits shape {logits.shape}"
        )
    logits, labels = common_float(op, (logits, labels))
    return SigmoidBinaryCrossEntropy.apply(logits, labels)


def dropout(x, rate: float, training: bool = True, seed=None, noise_shape=None) -> Tensor:
    """Inverted dropout: zero each value with probability ``rate``, scale the rest by 1/(1−rate).

    Args:
        x: input tensor.
        rate: probability of dropping a unit, in [0, 1).
        training: when False (inference) this is the identity.
        seed: an int or ``numpy.random.Generator``; defaults to the generator of
            ``treino.seed``.
        noise_shape: shape of the mask, broadcast against ``x`` (e.g. ``(N, 1, 1, C)``
            drops whole channels).
    """
    x = as_tensor(x)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1); received rate={rate}")
    shape = None
    if noise_shape is not None:
        noise_shape = tuple(noise_shape)
        if len(noise_shape) != x.ndim or any(
            n is not None and n not in (1, d) for n, d in zip(noise_shape, x.shape, strict=True)
        ):
            raise ValueError(
                f"dropout: noise_shape {noise_shape} must have one entry per axis of the "
                f"input {x.shape}, each None, 1 or the axis' size"
            )
        shape = tuple(d if n is None else int(n) for n, d in zip(noise_shape, x.shape, strict=True))
    if not training or rate == 0:
        return x
    if not backend.is_float(x.dtype):
        raise TypeError(f"dropout: expected a float tensor; received dtype {x.dtype}")
    return Dropout.apply(x, float(rate), backend.make_rng(seed), shape)
