"""Adagrad: a learning rate per parameter, shrinking with its gradient history."""

from __future__ import annotations

import numpy as np

from treino.optimizers.base import Optimizer


def adagrad_update(param, grad, accumulator, *, lr, epsilon) -> None:
    """One Adagrad step on one parameter, in place (``torch.optim.Adagrad``'s rule).

        G ← G + g²
        w ← w − η·g / (√G + ε)

    Example:
        >>> w, acc = np.array([1.0]), np.zeros(1)
        >>> adagrad_update(w, np.array([2.0]), acc, lr=0.5, epsilon=0.0); w
        array([0.5])
    """
    accumulator += grad * grad
    param -= lr * grad / (np.sqrt(accumulator) + epsilon)


class Adagrad(Optimizer):
    """Adagrad: each parameter's step is divided by the root of its summed squared gradients.

    Parameters with large gradients so far get small steps and rare ones
    (sparse features) large steps. As G only grows, the steps shrink for
    ever — the problem RMSprop and Adadelta fix.

    Algorithm (G₀ = ``initial_accumulator_value``)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled)
            G ← G + g²
            w ← w − η·g / (√G + ε)

    ε convention: added *outside* the root, as PyTorch (Keras adds it inside,
    √(G + ε)). PyTorch's ``lr_decay`` is not offered: use a schedule.

    Args:
        learning_rate: η. Defaults to 0.001.
        initial_accumulator_value: G₀ ≥ 0. Defaults to 0.1.
        epsilon: ε ≥ 0. Defaults to 1e-7.
        name: defaults to ``"adagrad"``.
        **kwargs: the shared arguments of :class:`Optimizer`.

    Reference: Duchi, Hazan & Singer (2011), "Adaptive Subgradient Methods".

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = Adagrad(learning_rate=1.0)
        >>> for _ in range(100):
        ...     w.grad = None
        ...     (w * w).sum().backward()
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.01)
        True
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="adagrad", **kwargs):  # fmt: skip
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = self._nonnegative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = self._nonnegative("epsilon", epsilon)

    def init_state(self, param):
        return {"accumulator": np.full_like(param, self.initial_accumulator_value)}

    def update_step(self, param, grad, state, lr):
        adagrad_update(param, grad, state["accumulator"], lr=lr, epsilon=self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
