"""Ops for the course's advanced regularisers: the Shake-Shake combination of two branches.

Shake-Shake (Gastaldi, 2017, "Shake-Shake regularization", arXiv:1705.07485)
regularises a residual block with two branches b₁ and b₂. Instead of adding
them, it mixes them with a random convex combination — and, the surprising
part, uses a *different* random mix for the gradient:

    forward:   y = α·b₁ + (1 − α)·b₂                 α ~ U(0, 1)
    backward:  ∂L/∂b₁ = β·G ;  ∂L/∂b₂ = (1 − β)·G    β ~ U(0, 1), independent of α

with G = ∂L/∂y and one α and one β per sample ("Shake-Shake-Image"). At
inference both are replaced by their expectation E[α] = E[β] = ½:
y = ½(b₁ + b₂), an ordinary deterministic (and differentiable) average.

(DropConnect needs no op of its own: it is :func:`treino.ops.dropout` applied
to a kernel, see :class:`treino.layers.regularization.DropConnect`.)
"""

from __future__ import annotations

import numpy as np

from treino import backend
from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, common_float, constant_like


class ShakeShake(Function):
    """y = α·b₁ + (1 − α)·b₂ forward; ∂L/∂b₁ = β·G, ∂L/∂b₂ = (1 − β)·G backward.

    ``α`` and ``β`` are constants (no gradient) that broadcast against the
    branches, e.g. of shape ``(N, 1, …, 1)``: one coefficient per sample.

    The backward pass is deliberately **not** the derivative of the forward
    pass: the true derivative is ∂y/∂b₁ = α, and the op returns β instead. A
    numerical gradient check therefore fails whenever β ≠ α — by design; it
    passes for α = β (in particular at inference, α = β = ½).
    """

    def forward(self, branch_1, branch_2, alpha, beta):
        self.save_for_backward(beta)
        return alpha * branch_1 + (1 - alpha) * branch_2

    def backward(self, g):
        (beta,) = self.saved
        need_1, need_2 = self.needs_input_grad[:2]
        grad_1 = g * beta if need_1 else None
        grad_2 = g * (1 - beta) if need_2 else None
        return grad_1, grad_2, None, None


def _coefficient(name: str, value, like: Tensor):
    """``value`` as a constant in ``like``'s dtype that broadcasts to ``like``'s shape."""
    if isinstance(value, Tensor):
        value = value.data
    coefficient = constant_like(value, like, "shake_shake")
    shape = xp.shape(coefficient)
    try:
        broadcast = xp.broadcast_shapes(shape, like.shape)
    except ValueError:
        broadcast = None
    if broadcast != like.shape:
        raise ValueError(
            f"shake_shake: {name} must broadcast to the branches' shape {like.shape} without "
            f"changing it (e.g. shape {(like.shape[0],) + (1,) * (like.ndim - 1)}: one value "
            f"per sample); received {name} of shape {shape}"
        )
    return coefficient


def shake_shake(branch_1, branch_2, alpha, beta) -> Tensor:
    """Combine two residual branches with α forward and β backward (Shake-Shake).

    Forward ``y = α·b₁ + (1 − α)·b₂``; backward ``∂L/∂b₁ = β·G``,
    ``∂L/∂b₂ = (1 − β)·G``. With ``alpha = beta`` this is an ordinary
    differentiable convex combination (``alpha = beta = 0.5``: the inference
    rule ``½(b₁ + b₂)``).

    Args:
        branch_1: the first branch's output b₁, shape ``(N, …)``.
        branch_2: the second branch's output b₂, the same shape and float dtype.
        alpha: the forward coefficient: a number, or an array broadcasting to
            the branches' shape (``(N, 1, …, 1)`` for one per sample).
        beta: the backward coefficient, like ``alpha``.

    Returns:
        ``α·b₁ + (1 − α)·b₂``, shape of the branches.

    Example:
        >>> import treino
        >>> b1 = treino.tensor([[1.0, 1.0]], requires_grad=True)
        >>> b2 = treino.tensor([[3.0, 5.0]], requires_grad=True)
        >>> y = shake_shake(b1, b2, alpha=0.25, beta=0.75)
        >>> y.data  # 0.25·b₁ + 0.75·b₂
        array([[2.5, 4. ]], dtype=float32)
        >>> y.sum().backward()
        >>> b1.grad, b2.grad  # β·G and (1 − β)·G, not α and 1 − α
        (array([[0.75, 0.75]], dtype=float32), array([[0.25, 0.25]], dtype=float32))
    """
    branch_1, branch_2 = common_float("shake_shake", (as_tensor(branch_1), as_tensor(branch_2)))
    if not backend.is_float(branch_1.dtype):
        raise TypeError(f"shake_shake: expected float branches; received dtype {branch_1.dtype}")
    if branch_1.shape != branch_2.shape:
        raise ValueError(
            "shake_shake: the two branches must have the same shape; received "
            f"{branch_1.shape} and {branch_2.shape}"
        )
    alpha = _coefficient("alpha", alpha, branch_1)
    beta = _coefficient("beta", beta, branch_1)
    return ShakeShake.apply(branch_1, branch_2, alpha, beta)


def shake_coefficients(shape, dtype=None, seed=None) -> tuple:
    """Draw Shake-Shake's per-sample coefficients α, β ~ U(0, 1), independently.

    Both have shape ``(N, 1, …, 1)`` (one value per sample, broadcasting over
    the other axes of a branch of shape ``shape``). They are drawn in this
    order — first α, then β, each with ``rng.random(…, dtype=dtype)`` — so a
    generator seeded the same way reproduces them exactly.

    Args:
        shape: the shape of a branch, ``(N, …)``.
        dtype: the float dtype of the coefficients; defaults to floatx.
        seed: an int or ``numpy.random.Generator``; defaults to the generator
            of ``treino.seed``.

    Returns:
        ``(alpha, beta)``, two arrays of shape ``(N, 1, …, 1)``.

    Example:
        >>> alpha, beta = shake_coefficients((3, 4, 4, 2), seed=0)
        >>> alpha.shape, beta.shape, alpha.dtype.name
        ((3, 1, 1, 1), (3, 1, 1, 1), 'float32')
        >>> bool(((0 <= alpha) & (alpha < 1)).all() and (alpha != beta).all())
        True
    """
    shape = tuple(shape)
    if len(shape) == 0:
        raise ValueError("shake_coefficients: the branches need a batch axis; received shape ()")
    dtype = np.dtype(dtype or backend.floatx())
    if dtype not in (np.dtype("float32"), np.dtype("float64")):
        raise TypeError(f"shake_coefficients: dtype must be float32 or float64; received {dtype}")
    per_sample = (shape[0],) + (1,) * (len(shape) - 1)
    rng = backend.make_rng(seed)
    alpha = rng.random(per_sample, dtype=dtype)
    beta = rng.random(per_sample, dtype=dtype)
    return alpha, beta
