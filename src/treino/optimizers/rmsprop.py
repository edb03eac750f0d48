"""RMSprop: divide by a moving root-mean-square of the recent gradients."""

from __future__ import annotations

import numpy as np

from treino.optimizers.base import Optimizer


def rmsprop_update(param, grad, square_avg, *, lr, rho, epsilon, momentum=0.0,
                   momentum_buffer=None, grad_avg=None) -> None:  # fmt: skip
    """One RMSprop step on one parameter, in place (``torch.optim.RMSprop``'s rule).

        v ← ρ·v + (1 − ρ)·g²
        centered (``grad_avg`` ḡ given):  ḡ ← ρ·ḡ + (1 − ρ)·g;  s ← √(v − ḡ²) + ε
        otherwise:                                              s ← √v + ε
        with momentum μ:  b ← μ·b + g/s;  w ← w − η·b
        otherwise:                        w ← w − η·g/s

    Example:
        >>> w, v = np.array([1.0]), np.zeros(1)
        >>> rmsprop_update(w, np.array([2.0]), v, lr=0.1, rho=0.75, epsilon=0.0); w
        array([0.8])
    """
    square_avg *= rho
    square_avg += (1.0 - rho) * grad * grad
    if grad_avg is not None:
        grad_avg *= rho
        grad_avg += (1.0 - rho) * grad
        denom = np.sqrt(square_avg - grad_avg * grad_avg) + epsilon
    else:
        denom = np.sqrt(square_avg) + epsilon
    if momentum > 0.0:
        momentum_buffer *= momentum
        momentum_buffer += grad / denom
        param -= lr * momentum_buffer
    else:
        param -= lr * grad / denom


class RMSprop(Optimizer):
    """RMSprop (Hinton): Adagrad with a moving average instead of a sum.

    The squared gradients are averaged with decay ρ, so old history fades and
    the steps do not shrink for ever. ``centered`` divides by an estimate of
    the gradient's standard deviation instead of its RMS.

    Algorithm (v₀ = 0, ḡ₀ = 0, b₀ = 0)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled)
            v ← ρ·v + (1 − ρ)·g²
            if centered:  ḡ ← ρ·ḡ + (1 − ρ)·g;   s ← √(v − ḡ²) + ε
            else:                                 s ← √v + ε
            if μ > 0:     b ← μ·b + g/s;         w ← w − η·b
            else:                                 w ← w − η·g/s

    ε convention: outside the root, as PyTorch (Keras: √(v + ε)). Keras names
    the decay ``rho``; PyTorch calls it ``alpha`` (default 0.99; Keras 0.9).

    Args:
        learning_rate: η. Defaults to 0.001.
        rho: ρ in [0, 1). Defaults to 0.9.
        momentum: μ in [0, 1]. Defaults to 0.0.
        epsilon: ε ≥ 0. Defaults to 1e-7.
        centered: normalise by the centred second moment. Defaults to False.
        name: defaults to ``"rmsprop"``.
        **kwargs: the shared arguments of :class:`Optimizer`.

    Reference: Hinton, Lecture 6e of "Neural Networks for Machine Learning" (2012);
    Graves (2013) for the centred form.

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = RMSprop(learning_rate=0.05)
        >>> for _ in range(150):
        ...     w.grad = None
        ...     (w * w).sum().backward()
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.05)
        True
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="rmsprop", **kwargs):  # fmt: skip
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = self._in_range("rho", rho, 0.0, 1.0)
        self.momentum = self._in_range("momentum", momentum, 0.0, 1.0, high_inclusive=True)
        self.epsilon = self._nonnegative("epsilon", epsilon)
        self.centered = bool(centered)

    def init_state(self, param):
        state = {"square_avg": np.zeros_like(param)}
        if self.momentum:
            state["momentum_buffer"] = np.zeros_like(param)
        if self.centered:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def update_step(self, param, grad, state, lr):
        rmsprop_update(param, grad, state["square_avg"], lr=lr, rho=self.rho,
                       epsilon=self.epsilon, momentum=self.momentum,
                       momentum_buffer=state.get("momentum_buffer"),
                       grad_avg=state.get("grad_avg"))  # fmt: skip

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
