"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from treino.optimizers.adam import Adam, adam_update
from treino.optimizers.base import decay_weights


def adamw_update(param, grad, m, v, t, *, lr, beta_1, beta_2, epsilon, weight_decay,
                 v_max=None, out=None) -> None:  # fmt: skip
    """One AdamW step on one parameter, in place (``torch.optim.AdamW``'s rule).

        w ← w − η·λ·w            decoupled weight decay, on the weights only
        then Adam's step (see :func:`~treino.optimizers.adam.adam_update`)

    Example:
        >>> import numpy as np
        >>> w, m, v = np.array([1.0]), np.zeros(1), np.zeros(1)
        >>> adamw_update(w, np.array([0.0]), m, v, 1, lr=0.1, beta_1=0.9, beta_2=0.999,
        ...              epsilon=1e-8, weight_decay=0.5)
        >>> w  # no gradient: only the decay, w·(1 − 0.1·0.5)
        array([0.95])
    """
    decay_weights(param, lr * weight_decay)
    adam_update(param, grad, m, v, t, lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                v_max=v_max, out=out)  # fmt: skip


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam whose weight decay is not a gradient term.

    With an L2 penalty (λ/2)‖w‖² in the loss, Adam divides the decay λw by √v̂
    like any gradient, so weights with large gradients are barely decayed.
    AdamW shrinks the weights directly, outside the adaptive step — which
    regularises as intended. In treino every optimizer's ``weight_decay`` is
    this decoupled rule (Keras 3); AdamW is Adam with it on by default.

    Algorithm (m₀ = v₀ = 0)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   decoupled weight decay
            m ← β₁·m + (1 − β₁)·g
            v ← β₂·v + (1 − β₂)·g²
            m̂ ← m / (1 − β₁ᵗ);   v̂ ← v / (1 − β₂ᵗ)    (amsgrad: v̂ from max(v̂ₘₐₓ, v))
            w ← w − η·m̂ / (√v̂ + ε)

    ε convention: as :class:`Adam` (added to the bias-corrected root, as PyTorch).
    The decay is scaled by η (PyTorch and Keras do so too), so a schedule
    that lowers η also lowers the decay.

    Args:
        learning_rate: η. Defaults to 0.001.
        weight_decay: λ ≥ 0. Defaults to 0.004 (Keras; PyTorch: 0.01).
        beta_1: β₁ in [0, 1). Defaults to 0.9.
        beta_2: β₂ in [0, 1). Defaults to 0.999.
        epsilon: ε ≥ 0. Defaults to 1e-7.
        amsgrad: Defaults to False.
        name: defaults to ``"adamw"``.
        **kwargs: the other shared arguments of :class:`Optimizer`.

    Reference: Loshchilov & Hutter (2019), "Decoupled Weight Decay Regularization".

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = AdamW(learning_rate=0.1, weight_decay=0.01)
        >>> for _ in range(200):
        ...     w.grad = None
        ...     (w * w).sum().backward()
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.05)
        True
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="adamw", **kwargs):  # fmt: skip
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)  # fmt: skip
        if self.weight_decay is None:
            self._fail("weight_decay must be a number >= 0. Received: weight_decay=None")
