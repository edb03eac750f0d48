"""Adadelta: steps whose units match the weights, without a hand-set scale."""

from __future__ import annotations

import numpy as np

from treino.optimizers.base import Optimizer


def adadelta_update(param, grad, square_avg, acc_delta, *, lr, rho, epsilon) -> None:
    """One Adadelta step on one parameter, in place (``torch.optim.Adadelta``'s rule).

        v ← ρ·v + (1 − ρ)·g²
        Δ ← √(u + ε) / √(v + ε) · g
        u ← ρ·u + (1 − ρ)·Δ²
        w ← w − η·Δ

    Example:
        >>> w, v, u = np.array([1.0]), np.zeros(1), np.zeros(1)
        >>> adadelta_update(w, np.array([2.0]), v, u, lr=1.0, rho=0.0, epsilon=1.0)
        >>> w  # Δ = √1/√5 · 2
        array([0.10557281])
    """
    square_avg *= rho
    square_avg += (1.0 - rho) * grad * grad
    delta = np.sqrt(acc_delta + epsilon) / np.sqrt(square_avg + epsilon) * grad
    acc_delta *= rho
    acc_delta += (1.0 - rho) * delta * delta
    param -= lr * delta


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): RMSprop whose numerator is the RMS of past updates.

    It fixes Adagrad's ever-shrinking steps by averaging over a window (decay
    ρ) and replaces the global scale by √(u + ε), the RMS of recent updates,
    so the update has the units of w. Zeiler's algorithm has η = 1; Keras's
    default η is 0.001.

    Algorithm (v₀ = u₀ = 0)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled)
            v ← ρ·v + (1 − ρ)·g²
            Δ ← √(u + ε) / √(v + ε) · g
            u ← ρ·u + (1 − ρ)·Δ²
            w ← w − η·Δ

    ε convention: inside both roots, as in the paper, PyTorch and Keras.

    Args:
        learning_rate: η. Defaults to 0.001.
        rho: ρ in [0, 1). Defaults to 0.95.
        epsilon: ε ≥ 0. Defaults to 1e-7.
        name: defaults to ``"adadelta"``.
        **kwargs: the shared arguments of :class:`Optimizer`.

    Reference: Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method".

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = Adadelta(learning_rate=1.0, epsilon=1e-2)
        >>> losses = []
        >>> for _ in range(100):
        ...     w.grad = None
        ...     loss = (w * w).sum(); loss.backward(); losses.append(loss.item())
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(losses[-1] < losses[0] / 2)
        True
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = self._in_range("rho", rho, 0.0, 1.0)
        self.epsilon = self._nonnegative("epsilon", epsilon)

    def init_state(self, param):
        return {"square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def update_step(self, param, grad, state, lr):
        adadelta_update(param, grad, state["square_avg"], state["acc_delta"], lr=lr,
                        rho=self.rho, epsilon=self.epsilon)  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
