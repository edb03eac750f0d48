"""Activation functions by their Keras names: ``Dense(64, activation="relu")``.

Each function here is a thin wrapper over the differentiable op in
:mod:`treino.ops` (where the derivative lives), so ``activations.get(name)(x)``
returns a :class:`~treino.Tensor` that backpropagates. The non-linearity is what
lets a stack of layers learn more than one linear map: without it, the
composition of layers would collapse into a single matrix.

Names (as Keras 3): relu, relu6, leaky_relu, elu, selu, gelu, sigmoid,
hard_sigmoid, hard_silu (hard_swish), tanh, softplus, softsign, silu (swish),
softmax, log_softmax, exponential, linear, mish.

Example:
    >>> import treino
    >>> from treino import activations
    >>> x = treino.tensor([-2.0, 0.0, 3.0])
    >>> activations.get("relu")(x)
    tensor([0., 0., 3.], dtype=float32)
    >>> activations.relu(x, max_value=2.0)
    tensor([0., 0., 2.], dtype=float32)
    >>> activations.serialize(activations.get("swish"))
    'silu'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from treino import ops
from treino.autograd import Tensor, as_tensor

__all__ = [
    "deserialize", "elu", "exponential", "gelu", "get", "hard_sigmoid", "hard_silu",
    "hard_swish", "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6", "selu",
    "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
]  # fmt: skip


def _check(name: str, value, *, non_negative: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"relu: {name} must be a number; received: {name}={value!r}")
    if not math.isfinite(value) or (non_negative and value < 0):
        raise ValueError(
            f"relu: {name} must be a finite, non-negative number; received: {name}={value}"
        )
    return float(value)


def relu(x, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:  # fmt: skip
    """Rectified linear unit: ``max(0, x)``; with options, as Keras 3:

        f(x) = max_value                      if x ≥ max_value
        f(x) = x                              if threshold < x < max_value
        f(x) = negative_slope · (x − threshold)   otherwise

    Composed from the ops, so every variant is differentiable (slope 0 or 1 or
    ``negative_slope`` on each piece).

    Args:
        x: input tensor.
        negative_slope: slope below the threshold (≥ 0). Defaults to 0.0.
        max_value: saturation value (≥ 0), or None for no cap. Defaults to None.
        threshold: values at or below it are damped (≥ 0). Defaults to 0.0.

    Example:
        >>> import treino
        >>> x = treino.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
        >>> relu(x, negative_slope=0.5)
        tensor([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
        >>> relu(x, threshold=5.0)
        tensor([ 0.,  0.,  0.,  0., 10.], dtype=float32)
    """
    x = as_tensor(x)
    negative_slope = _check("negative_slope", negative_slope)
    threshold = _check("threshold", threshold)
    if max_value is not None:
        max_value = _check("max_value", max_value)
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            return ops.relu(x)
        return ops.leaky_relu(x, negative_slope)
    clip_max = max_value is not None
    if threshold != 0:
        y = ops.where(x.data > threshold, x, 0.0)  # x above the threshold, else 0
    elif max_value == 6:
        y, clip_max = ops.relu6(x), False
    else:
        y = ops.relu(x)
    if clip_max:
        y = ops.clip(y, 0.0, max_value)
    if negative_slope != 0:
        y = y - ops.relu(threshold - x) * negative_slope
    return y


def relu6(x) -> Tensor:
    """``min(max(0, x), 6)``."""
    return ops.relu6(x)


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` if ``x > 0`` else ``negative_slope · x`` (Keras default slope 0.2)."""
    return ops.leaky_relu(x, negative_slope)


def elu(x, alpha: float = 1.0) -> Tensor:
    """``x`` if ``x > 0`` else ``α(eˣ − 1)``."""
    return ops.elu(x, alpha)


def selu(x) -> Tensor:
    """``λx`` if ``x > 0`` else ``λα(eˣ − 1)``, λ ≈ 1.0507, α ≈ 1.6733 (pair with LecunNormal)."""
    return ops.selu(x)


def gelu(x, approximate: bool = False) -> Tensor:
    """``x · Φ(x)`` (Φ the normal CDF); tanh approximation if ``approximate``."""
    return ops.gelu(x, approximate)


def sigmoid(x) -> Tensor:
    """``σ(x) = 1 / (1 + e⁻ˣ)``, in (0, 1)."""
    return ops.sigmoid(x)


def hard_sigmoid(x) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below −3, 1 above 3, linear in between (Keras 3, PyTorch)."""
    return ops.hard_sigmoid(x)


def hard_silu(x) -> Tensor:
    """``x · hard_sigmoid(x)`` (a.k.a. hard swish)."""
    x = as_tensor(x)
    return x * ops.hard_sigmoid(x)


def tanh(x) -> Tensor:
    """``tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)``, in (−1, 1)."""
    return ops.tanh(x)


def softplus(x) -> Tensor:
    """``ln(1 + eˣ)``, a smooth ReLU."""
    return ops.softplus(x)


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``."""
    return ops.softsign(x)


def silu(x) -> Tensor:
    """``x · σ(x)`` (a.k.a. swish)."""
    return ops.silu(x)


def softmax(x, axis: int = -1) -> Tensor:
    """``e^{xᵢ} / Σⱼ e^{xⱼ}`` along ``axis`` (probabilities that sum to 1)."""
    return ops.softmax(x, axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    """``xᵢ − ln Σⱼ e^{xⱼ}`` along ``axis``."""
    return ops.log_softmax(x, axis)


def exponential(x) -> Tensor:
    """``eˣ``."""
    return ops.exp(x)


def linear(x) -> Tensor:
    """The identity ``f(x) = x`` (no activation)."""
    return ops.linear_activation(x)


def mish(x) -> Tensor:
    """``x · tanh(softplus(x))``."""
    return ops.mish(x)


swish = silu
hard_swish = hard_silu

# ------------------------------------------------------------ (de)serialize
_FUNCTIONS = (
    elu, exponential, gelu, hard_sigmoid, hard_silu, leaky_relu, linear, log_softmax, mish,
    relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, tanh,
)  # fmt: skip

_REGISTRY: dict[str, Callable] = {fn.__name__: fn for fn in _FUNCTIONS}
_REGISTRY.update(swish=silu, hard_swish=hard_silu)

# Function → Keras name, for serialize(). The ops with the same defaults are
# the same activation, so a layer built with ``activation=treino.ops.relu``
# still saves as "relu".
_NAMES: dict[Callable, str] = {fn: fn.__name__ for fn in _FUNCTIONS}
_NAMES.update({
    ops.elu: "elu", ops.exp: "exponential", ops.gelu: "gelu", ops.hard_sigmoid: "hard_sigmoid",
    ops.leaky_relu: "leaky_relu", ops.linear_activation: "linear",
    ops.log_softmax: "log_softmax", ops.mish: "mish", ops.relu: "relu", ops.relu6: "relu6",
    ops.selu: "selu", ops.sigmoid: "sigmoid", ops.silu: "silu", ops.softmax: "softmax",
    ops.softplus: "softplus", ops.softsign: "softsign", ops.tanh: "tanh",
})  # fmt: skip


def _lookup(name: str) -> Callable:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation: {name!r}. Valid names: {', '.join(sorted(_REGISTRY))}"
        ) from None


def serialize(activation) -> str:
    """The Keras name of an activation function (what a layer's ``get_config`` stores).

    Only the functions of this module (and the equivalent ops of
    :mod:`treino.ops`) have names; a lambda or a custom function cannot be
    restored from a config, so it raises.

    Example:
        >>> import treino
        >>> serialize(relu), serialize(treino.ops.tanh), serialize("swish")
        ('relu', 'tanh', 'silu')
    """
    if isinstance(activation, str):
        activation = _lookup(activation)
    try:
        return _NAMES[activation]
    except (KeyError, TypeError):
        pass
    label = getattr(activation, "__name__", None) or repr(activation)
    raise ValueError(
        f"Cannot serialize the activation {label!r}: it is not one of treino.activations "
        f"({', '.join(sorted(_REGISTRY))}). Use one of those names, or apply a custom "
        "function in its own layer."
    )


def deserialize(config) -> Callable:
    """The activation function for a name (or a Keras function config ``{"config": name}``).

    Example:
        >>> deserialize("gelu") is gelu
        True
    """
    if isinstance(config, dict) and isinstance(config.get("config"), str):
        config = config["config"]
    if not isinstance(config, str):
        raise ValueError(f"activation config must be a name; received: {config!r}")
    return _lookup(config)


def get(identifier) -> Callable:
    """Resolve an activation identifier to a function ``Tensor -> Tensor``.

    Args:
        identifier: None (the identity, ``linear``), a Keras name (``"relu"``,
            ``"swish"``, …), a config dict, or any callable (returned as is).

    Returns:
        The activation function.

    Example:
        >>> get(None) is linear, get("swish") is silu
        (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation identifier: {identifier!r}")
