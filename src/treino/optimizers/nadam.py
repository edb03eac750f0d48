"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

import numpy as np

from treino.optimizers.adam import AdamFamily

MOMENTUM_DECAY = 0.004
"""ψ in Dozat's momentum schedule μₜ = β₁·(1 − ½·0.96^(t·ψ)) (Keras and PyTorch's default)."""


def nadam_update(param, grad, m, v, mu_product, t, *, lr, beta_1, beta_2, epsilon,
                 momentum_decay=MOMENTUM_DECAY) -> None:  # fmt: skip
    """One Nadam step on one parameter, in place (``torch.optim.NAdam``'s rule).

        μₜ ← β₁·(1 − ½·0.96^(t·ψ));   μₜ₊₁ ← β₁·(1 − ½·0.96^((t+1)·ψ))
        Πₜ ← Πₜ₋₁·μₜ                  (``mu_product``, a 0-d array, starts at 1)
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
        s ← √(v / (1 − β₂ᵗ)) + ε
        w ← w − η·(1 − μₜ)/(1 − Πₜ) · g/s − η·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/s

    Example:
        >>> w, m, v, prod = np.array([1.0]), np.zeros(1), np.zeros(1), np.ones(())
        >>> nadam_update(w, np.array([2.0]), m, v, prod, 1, lr=0.1, beta_1=0.9,
        ...              beta_2=0.999, epsilon=0.0)
        >>> w.round(6)  # the first step has size η, like Adam's
        array([0.9])
    """
    mu = beta_1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta_1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product *= mu
    m *= beta_1
    m += (1.0 - beta_1) * grad
    v *= beta_2
    v += (1.0 - beta_2) * grad * grad
    denom = np.sqrt(v / (1.0 - beta_2**t)) + epsilon
    product = float(mu_product)
    param -= (lr * (1.0 - mu) / (1.0 - product)) * grad / denom
    param -= (lr * mu_next / (1.0 - product * mu_next)) * m / denom


class Nadam(AdamFamily):
    """Nadam (Dozat, 2016): Adam whose momentum looks ahead, as Nesterov's does.

    Adam's step uses the current m; Nadam mixes the current gradient and the
    *next* momentum term, the same trick Nesterov applies to SGD, with a slowly
    warming momentum schedule μₜ.

    Algorithm (m₀ = v₀ = 0, Π₀ = 1, ψ = 0.004)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled)
            μₜ ← β₁·(1 − ½·0.96^(tψ));   μₜ₊₁ ← β₁·(1 − ½·0.96^((t+1)ψ));   Πₜ ← Πₜ₋₁·μₜ
            m ← β₁·m + (1 − β₁)·g
            v ← β₂·v + (1 − β₂)·g²
            v̂ ← v / (1 − β₂ᵗ)
            w ← w − η·[(1 − μₜ)/(1 − Πₜ)·g + μₜ₊₁/(1 − Πₜμₜ₊₁)·m] / (√v̂ + ε)

    ε convention: added to the bias-corrected root, as PyTorch (and Keras here).

    Args:
        learning_rate: η. Defaults to 0.001.
        beta_1: β₁ in [0, 1). Defaults to 0.9.
        beta_2: β₂ in [0, 1). Defaults to 0.999.
        epsilon: ε ≥ 0. Defaults to 1e-7.
        name: defaults to ``"nadam"``.
        **kwargs: the shared arguments of :class:`Optimizer`.

    Reference: Dozat (2016), "Incorporating Nesterov Momentum into Adam".

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = Nadam(learning_rate=0.1)
        >>> for _ in range(200):
        ...     w.grad = None
        ...     (w * w).sum().backward()
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.05)
        True
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="nadam", **kwargs):  # fmt: skip
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def init_state(self, param):
        return {"m": np.zeros_like(param), "v": np.zeros_like(param),
                "mu_product": np.ones((), dtype=np.float64)}  # fmt: skip

    def update_step(self, param, grad, state, lr):
        nadam_update(param, grad, state["m"], state["v"], state["mu_product"],
                     int(state["step"]), lr=lr, beta_1=self.beta_1, beta_2=self.beta_2,
                     epsilon=self.epsilon)  # fmt: skip
