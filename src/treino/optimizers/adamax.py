"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import numpy as np

from treino.optimizers.adam import AdamFamily


def adamax_update(param, grad, m, u, t, *, lr, beta_1, beta_2, epsilon) -> None:
    """One Adamax step on one parameter, in place (``torch.optim.Adamax``'s rule).

        m ← β₁·m + (1 − β₁)·g
        u ← max(β₂·u, |g| + ε)
        w ← w − η/(1 − β₁ᵗ) · m / u

    Example:
        >>> w, m, u = np.array([1.0]), np.zeros(1), np.zeros(1)
        >>> adamax_update(w, np.array([-4.0]), m, u, 1, lr=0.1, beta_1=0.9, beta_2=0.999,
        ...               epsilon=0.0)
        >>> w
        array([1.1])
    """
    m *= beta_1
    m += (1.0 - beta_1) * grad
    np.maximum(beta_2 * u, np.abs(grad) + epsilon, out=u)
    param -= (lr / (1.0 - beta_1**t)) * m / u


class Adamax(AdamFamily):
    """Adamax (Kingma & Ba, 2015, §7.1): Adam's v replaced by a decaying maximum of |g|.

    The Lᵖ generalisation of Adam's second moment, taken to p → ∞, becomes a
    running maximum u: no square roots, no bias correction for u, and steps
    bounded by η.

    Algorithm (m₀ = u₀ = 0)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled)
            m ← β₁·m + (1 − β₁)·g
            u ← max(β₂·u, |g| + ε)
            w ← w − η/(1 − β₁ᵗ) · m / u

    ε convention: inside the maximum, as PyTorch (Keras divides by u + ε).

    Args:
        learning_rate: η. Defaults to 0.001.
        beta_1: β₁ in [0, 1). Defaults to 0.9.
        beta_2: β₂ in [0, 1). Defaults to 0.999.
        epsilon: ε ≥ 0. Defaults to 1e-7.
        name: defaults to ``"adamax"``.
        **kwargs: the shared arguments of :class:`Optimizer`.

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = Adamax(learning_rate=0.1)
        >>> for _ in range(200):
        ...     w.grad = None
        ...     (w * w).sum().backward()
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.05)
        True
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="adamax", **kwargs):  # fmt: skip
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def init_state(self, param):
        return {"m": np.zeros_like(param), "u": np.zeros_like(param)}

    def update_step(self, param, grad, state, lr):
        adamax_update(param, grad, state["m"], state["u"], int(state["step"]), lr=lr,
                      beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)  # fmt: skip
