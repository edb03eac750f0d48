"""Adam: momentum plus RMSprop plus bias correction."""

from __future__ import annotations

import math

import numpy as np

from treino.optimizers.base import Optimizer


def adam_update(param, grad, m, v, t, *, lr, beta_1, beta_2, epsilon, v_max=None,
                out=None) -> None:  # fmt: skip
    """One Adam step on one parameter, in place (``torch.optim.Adam``'s rule).

        m ← β₁·m + (1 − β₁)·g = m + (1 − β₁)·(g − m)     first moment (momentum)
        v ← β₂·v + (1 − β₂)·g²                           second moment (RMSprop)
        AMSGrad (``v_max`` given): v̂ ← max(v̂, v), used in place of v below
        w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    Every line runs in place. The bias corrections are folded into two
    scalars, since √v/√(1 − β₂ᵗ) + ε = (√v + ε·√(1 − β₂ᵗ)) / √(1 − β₂ᵗ):

        w ← w − [η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)] · m / (√v + ε·√(1 − β₂ᵗ))

    the same update with 11 passes over the arrays instead of 13. ``out`` is
    a scratch array of ``param``'s shape and dtype (allocated when omitted):
    with it, a step allocates nothing — for a large parameter a fresh
    temporary costs more than the arithmetic, because the memory has to be
    mapped from the kernel each time.

    Example:
        >>> w, m, v = np.array([1.0]), np.zeros(1), np.zeros(1)
        >>> adam_update(w, np.array([5.0]), m, v, 1, lr=0.1, beta_1=0.9, beta_2=0.999,
        ...             epsilon=0.0)
        >>> w  # the first step has size η whatever the gradient's scale
        array([0.9])
    """
    buf = np.empty_like(param) if out is None else out
    np.subtract(grad, m, out=buf)
    buf *= 1.0 - beta_1
    m += buf
    np.multiply(grad, grad, out=buf)
    buf *= 1.0 - beta_2
    v *= beta_2
    v += buf
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max
    root_correction = math.sqrt(1.0 - beta_2**t)
    np.sqrt(v, out=buf)
    buf += epsilon * root_correction
    np.divide(m, buf, out=buf)
    buf *= lr * root_correction / (1.0 - beta_1**t)
    param -= buf


class AdamFamily(Optimizer):
    """What Adam, AdamW, Adamax and Nadam share: β₁, β₂, ε and their checks."""

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, name, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = self._in_range("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = self._in_range("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = self._nonnegative("epsilon", epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adam(AdamFamily):
    """Adam (Kingma & Ba, 2015): per-parameter steps from running moments of the gradient.

    The course's summary: momentum (m, the mean of the gradients) plus RMSprop
    (v, the mean of their squares) plus a bias correction, because m and v
    start at 0 and are too small in the first steps.

    Algorithm (m₀ = v₀ = 0; PyTorch's, the paper's Algorithm 1)::

        for t = 1, 2, …:
            g ← ∇L(w)
            w ← w − η·λ·w                   (only with weight_decay λ: decoupled, = AdamW)
            m ← β₁·m + (1 − β₁)·g
            v ← β₂·v + (1 − β₂)·g²
            m̂ ← m / (1 − β₁ᵗ);   v̂ ← v / (1 − β₂ᵗ)
            if amsgrad:  v̂ₘₐₓ ← max(v̂ₘₐₓ, v);  v̂ ← v̂ₘₐₓ / (1 − β₂ᵗ)
            w ← w − η·m̂ / (√v̂ + ε)

    ε convention: ε is added to √v̂, the *bias-corrected* root (Algorithm 1, as
    PyTorch and optax). Keras adds ε̂ to √v instead, folding the correction
    into η; the two differ while √v is near ε (see optax#571).

    Args:
        learning_rate: η. Defaults to 0.001.
        beta_1: β₁ in [0, 1). Defaults to 0.9.
        beta_2: β₂ in [0, 1). Defaults to 0.999.
        epsilon: ε ≥ 0. Defaults to 1e-7 (Keras; the course and PyTorch use 1e-8).
        amsgrad: use the running maximum of v (Reddi et al., 2018). Defaults to False.
        name: defaults to ``"adam"``.
        **kwargs: the shared arguments of :class:`Optimizer`.

    Reference: Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization".

    Example:
        >>> import treino
        >>> w = treino.tensor([3.0, -2.0], requires_grad=True)
        >>> opt = Adam(learning_rate=0.1)
        >>> for _ in range(200):
        ...     w.grad = None
        ...     (w * w).sum().backward()
        ...     opt.apply_gradients([(w.grad, w)])
        >>> bool(abs(w.data).max() < 0.05)
        True
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):  # fmt: skip
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self.amsgrad = bool(amsgrad)

    def init_state(self, param):
        state = {"m": np.zeros_like(param), "v": np.zeros_like(param)}
        if self.amsgrad:
            state["v_max"] = np.zeros_like(param)
        return state

    def update_step(self, param, grad, state, lr):
        adam_update(param, grad, state["m"], state["v"], int(state["step"]), lr=lr,
                    beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                    v_max=state.get("v_max"), out=self.workspace(param))  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "amsgrad": self.amsgrad}
