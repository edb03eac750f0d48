"""Weight regularizers: penalties on the size of the weights, added to the loss.

The course's *Regularização L1 e L2*: both add a penalty on the size of the
weights to the cost function, nudging the network to use small weights and to
spread the information among them.

* **L1** penalises the sum of the absolute values, ``Ω(w) = λ₁ Σ|wᵢ|``. Its
  gradient ``λ₁·sign(w)`` pulls every weight toward zero by the same amount,
  so many end exactly at zero: sparse models.
* **L2** penalises the sum of the squares, ``Ω(w) = λ₂ Σwᵢ²``. Its gradient
  ``2λ₂·w`` shrinks each weight in proportion to its size: weights uniformly
  small.

A regularizer is a callable ``reg(weight) -> scalar Tensor`` built from
:mod:`treino.ops`, so ``loss + reg(w)`` is differentiated like any other
expression. Layers take them as ``kernel_regularizer=...`` and expose the
penalties in ``layer.losses``.

Example:
    >>> import treino
    >>> from treino import regularizers
    >>> w = treino.tensor([[1.0, -2.0], [0.5, 0.0]], requires_grad=True)
    >>> penalty = regularizers.get("l2")(w)  # 0.01 · (1 + 4 + 0.25)
    >>> round(penalty.item(), 6)
    0.0525
    >>> penalty.backward()
    >>> w.grad  # 2 · 0.01 · w
    array([[ 0.02, -0.04],
           [ 0.01,  0.  ]], dtype=float32)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from treino import ops
from treino.autograd import Tensor, as_tensor

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "serialize",
]


def _check_factor(name: str, value) -> float:
    """A regularization factor: a finite, non-negative number (None means the default)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number; received: {name}={value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative number; received: {name}={value}")
    return float(value)


def _weight(x) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"regularizers expect float weights; received dtype {x.dtype}")
    return x


class Regularizer:
    """Base class: ``reg(weight) -> scalar Tensor`` plus a config.

    Any callable that maps a weight tensor to a scalar tensor works as a
    regularizer; subclass this one to get ``get_config`` / ``from_config`` and
    serialization by name.

    Example:
        >>> import treino
        >>> class SumOfWeights(Regularizer):
        ...     def __call__(self, x):
        ...         return treino.ops.sum(x)
        >>> SumOfWeights()(treino.tensor([1.0, 2.0]))
        tensor(3., dtype=float32)
    """

    def __call__(self, x) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x)")

    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        """Rebuild the regularizer from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """L1 penalty ``Ω(w) = l1 · Σ|wᵢ|``;  ``∂Ω/∂w = l1 · sign(w)``.

    Pulls each weight toward zero by a constant step, whatever its size, so
    weights that matter little become exactly zero (a sparse model). The
    derivative at ``w = 0`` is taken as 0 (as PyTorch's ``abs``).

    Args:
        l1: the factor λ₁ (finite, ≥ 0). Defaults to 0.01.

    Example:
        >>> import treino
        >>> L1(0.1)(treino.tensor([1.0, -2.0, 3.0]))
        tensor(0.6, dtype=float32)
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = _check_factor("l1", 0.01 if l1 is None else l1)

    def __call__(self, x) -> Tensor:
        x = _weight(x)
        return ops.sum(ops.abs(x)) * self.l1

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty ``Ω(w) = l2 · Σwᵢ²``;  ``∂Ω/∂w = 2 · l2 · w``.

    Shrinks each weight in proportion to its size (weights uniformly small).
    As in Keras there is **no** ½ in front: the textbook ``(λ/2)·‖w‖²`` is
    ``L2(l2=λ/2)``.

    Relation to weight decay: a gradient-descent step on ``L + Ω`` is

        w ← w − η(∇L + 2·l2·w) = (1 − 2η·l2)·w − η∇L,

    exactly SGD's coupled ``weight_decay`` with ``λ = 2·l2`` (PyTorch's
    ``torch.optim.SGD(weight_decay=λ)`` adds ``λ·w`` to the gradient). So
    ``L2(l2=0.0005)`` ≡ ``weight_decay=0.001``. With adaptive optimizers
    (Adam) the equivalence holds for the coupled ``Adam(weight_decay=...)``, not
    for the decoupled ``AdamW``.

    Args:
        l2: the factor (finite, ≥ 0). Defaults to 0.01.

    Example:
        >>> import treino
        >>> w = treino.tensor([1.0, -2.0, 3.0], requires_grad=True)
        >>> penalty = L2(0.1)(w)  # 0.1 · (1 + 4 + 9)
        >>> penalty
        tensor(1.4, dtype=float32, requires_grad=True)
        >>> penalty.backward()
        >>> w.grad  # 2 · 0.1 · w
        array([ 0.2, -0.4,  0.6], dtype=float32)
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _check_factor("l2", 0.01 if l2 is None else l2)

    def __call__(self, x) -> Tensor:
        x = _weight(x)
        return ops.sum(ops.square(x)) * self.l2

    def get_config(self) -> dict:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Both penalties (elastic net): ``Ω(w) = l1 · Σ|wᵢ| + l2 · Σwᵢ²``.

    ``∂Ω/∂w = l1 · sign(w) + 2 · l2 · w``. A factor of 0 leaves its term out.
    The constructor's defaults are 0 (as Keras); the name ``"l1_l2"`` gives
    ``L1L2(l1=0.01, l2=0.01)``.

    Args:
        l1: the L1 factor (finite, ≥ 0). Defaults to 0.0.
        l2: the L2 factor (finite, ≥ 0). Defaults to 0.0.

    Example:
        >>> import treino
        >>> L1L2(l1=0.1, l2=0.1)(treino.tensor([1.0, -2.0]))  # 0.1·3 + 0.1·5
        tensor(0.8, dtype=float32)
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _check_factor("l1", 0.0 if l1 is None else l1)
        self.l2 = _check_factor("l2", 0.0 if l2 is None else l2)

    def __call__(self, x) -> Tensor:
        x = _weight(x)
        penalty = ops.sum(x * 0.0)  # a differentiable zero in x's dtype
        if self.l1:
            penalty = penalty + ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            penalty = penalty + ops.sum(ops.square(x)) * self.l2
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight toward mutual orthogonality.

    With ``v̂ᵢ = vᵢ / ‖vᵢ‖`` the L2-normalised rows (``mode="rows"``) or
    columns (``mode="columns"``) and ``k`` their number,

        Ω(W) = factor · ½ Σ_{i≠j} |v̂ᵢ · v̂ⱼ| / (k(k − 1)/2)

    — ``factor`` times the mean absolute cosine between distinct pairs (as
    Keras). It is zero exactly when the vectors are orthogonal.

    Args:
        factor: the factor (finite, ≥ 0). Defaults to 0.01.
        mode: ``"rows"`` or ``"columns"``. Defaults to ``"rows"``.

    Example:
        >>> import numpy as np, treino
        >>> reg = OrthogonalRegularizer(factor=1.0)
        >>> reg(treino.tensor(np.eye(3))).item()
        0.0
        >>> round(reg(treino.tensor([[1.0, 0.0], [1.0, 1.0]])).item(), 4)  # cos 45°
        0.7071
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _check_factor("factor", factor)
        if mode not in ("rows", "columns"):
            raise ValueError(f"mode must be 'rows' or 'columns'; received: mode={mode!r}")
        self.mode = mode

    def __call__(self, x) -> Tensor:
        x = _weight(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight; received shape {x.shape}")
        if self.mode == "columns":
            x = ops.transpose(x)
        k = x.shape[0]
        if k < 2:
            return ops.sum(x * 0.0)
        # Normalise each row (ε keeps an all-zero row finite, as Keras's normalize).
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12))
        unit = x / norms
        cosines = ops.matmul(unit, ops.transpose(unit))
        off_diagonal = 1.0 - np.eye(k, dtype=x.dtype)
        pairs = k * (k - 1) / 2.0
        return ops.sum(ops.abs(cosines * off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# ------------------------------------------------------------ (de)serialize
_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)

_REGISTRY: dict[str, type] = {
    **{cls.__name__: cls for cls in _CLASSES},
    "l1": L1,
    "l2": L2,
    "l1_l2": L1L2,
    "l1l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}

# Names whose defaults differ from the class's: Keras documents the name 'l1_l2'
# as L1L2(l1=0.01, l2=0.01), while L1L2() itself defaults to zero penalties.
_NAMED_DEFAULTS = {"l1_l2": {"l1": 0.01, "l2": 0.01}}


def _lookup(name: str) -> type:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"Unknown regularizer: {name!r}. Valid names: {valid}") from None


def serialize(regularizer) -> dict | None:
    """``{"class_name": ..., "config": ...}`` for a regularizer (None stays None).

    Example:
        >>> serialize(L2(0.001))
        {'class_name': 'L2', 'config': {'l2': 0.001}}
    """
    if regularizer is None:
        return None
    if isinstance(regularizer, str):
        regularizer = get(regularizer)
    if not isinstance(regularizer, Regularizer):
        raise ValueError(
            f"Cannot serialize {regularizer!r}: only treino.regularizers.Regularizer "
            "instances have a config (subclass Regularizer and implement get_config)"
        )
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config) -> Regularizer:
    """Rebuild a regularizer from :func:`serialize`'s dict or from a name.

    Example:
        >>> deserialize({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.5}})
        L1L2(l1=0.0, l2=0.5)
        >>> deserialize("l1")
        L1(l1=0.01)
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "regularizer config must be a name or a dict with 'class_name' and 'config'; "
            f"received: {config!r}"
        )
    name = config["class_name"]
    cls = _lookup(name)
    arguments = {**_NAMED_DEFAULTS.get(name, {}), **(config.get("config") or {})}
    return cls.from_config(arguments)


def get(identifier):
    """Resolve anything that names a regularizer to a callable ``(weight) -> scalar Tensor``.

    Args:
        identifier: None (returns None), a name (``"l1"``, ``"l2"``,
            ``"l1_l2"``, ``"L1"``, ``"L2"``, ``"L1L2"``,
            ``"orthogonal_regularizer"``), a config dict, a
            :class:`Regularizer` class or instance, or any callable.

    Returns:
        The regularizer (a new instance for names, dicts and classes; the same
        object for instances and callables).

    Example:
        >>> get("l1_l2")
        L1L2(l1=0.01, l2=0.01)
        >>> get(None) is None
        True
    """
    if identifier is None:
        return None
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
