"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

import numpy as np

from treino.optimizers.base import Optimizer


def sgd_update(param, grad, velocity=None, *, lr, momentum=0.0, nesterov=False) -> None:
    """One SGD step on one parameter, in place (PyTorch's ``torch.optim.SGD`` rule).

    Without momentum: w ← w − η·g. With momentum μ (``velocity`` b starts at 0):

        b ← μ·b + g
        d ← g + μ·b   (Nesterov)   or   d ← b
        w ← w − η·d

    Example:
        >>> w, b = np.array([1.0]), np.zeros(1)
        >>> for _ in range(2):
        ...     sgd_update(w, np.array([1.0]), b, lr=0.1, momentum=0.9)
        >>> w  # 1 − 0.1·1 − 0.1·(0.9 + 1)
        array([0.71])
    """
    if momentum == 0.0:
        param -= lr * grad
        return
    velocity *= momentum
    velocity += grad
    direction = grad + momentum * velocity if nesterov else velocity
    param -= lr * direction


class SGD(Optimizer):
    r"""Gradient descent: w ← w − η·∇L(w), optionally with (Nesterov) momentum.

    The course's three forms of gradient descent (batch, stochastic,
    mini-batch) are this one rule applied to gradients averaged over the
    whole set, one example, or a mini-batch; the batch size is chosen in
    ``fit``.

    Algorithm (PyTorch's, with b₀ = 0, μ = ``momentum``, η = ``learning_rate``)::

        for t = 1, 2, …:
            g ← ∇L(w)                       (clipped, if asked)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled)
            if μ = 0:   w ← w − η·g
            else:
                b ← μ·b + g
                d ← g + μ·b  if nesterov  else  b
                w ← w − η·d

    **The course's form** ``v ← γ·v − η·∇L(w); w ← w + v`` (γ = μ) is the same
    trajectory whenever η is constant: by induction v = −η·b, since
    −η·b ← γ·(−η·b) − η·g. (Keras writes momentum that way; with a changing η
    the two differ slightly: here a new η also rescales the accumulated b.)
    Nesterov's look-ahead gradient becomes, in the same variables,
    w ← w − η·(g + μ·b) (Sutskever et al., 2013).

    No ε is involved. ``weight_decay`` is decoupled (Keras 3), which equals
    PyTorch's coupled L2 ``weight_decay`` only without momentum.

    Args:
        learning_rate: η, float, schedule or callable. Defaults to 0.01.
        momentum: μ in [0, 1]. Defaults to 0.0.
        nesterov: use Nesterov momentum. Defaults to False.
        name: defaults to ``"SGD"``.
        **kwargs: the shared arguments of :class:`Optimizer` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``lr_multipliers``).

    Reference: Polyak (1964), Sutskever et al. (2013) "On the importance of
    initialization and momentum in deep learning".

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(50):
        ...     w.grad = None
        ...     (w * w).sum().backward()          # L = ‖w‖², minimum at 0
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.1)
        True
    """

    elementwise = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.momentum = self._in_range("momentum", momentum, 0.0, 1.0, high_inclusive=True)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0.0:
            self._fail("nesterov=True needs a momentum > 0. Received: momentum=0.0")

    def init_state(self, param):
        return {"velocity": np.zeros_like(param)} if self.momentum else {}

    def update_step(self, param, grad, state, lr):
        sgd_update(param, grad, state.get("velocity"), lr=lr, momentum=self.momentum,
                   nesterov=self.nesterov)  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
