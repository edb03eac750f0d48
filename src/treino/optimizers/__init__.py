"""Optimizers: the rules that turn gradients into weight updates.

Keras-shaped classes (``SGD(learning_rate=0.01, momentum=0.9, nesterov=True)``,
``Adam(learning_rate=0.001)``, or a string name in ``compile``) whose update
rules are PyTorch's ``torch.optim`` (the papers'), verified step by step
against it. Each algorithm is also a plain single-tensor function
(``sgd_update``, ``adam_update`` …) to call by hand in a notebook.

>>> import treino
>>> w = treino.tensor([1.0, -1.0], requires_grad=True)
>>> opt = get("sgd")
>>> (w * w).sum().backward()
>>> opt.apply_gradients([(w.grad, w)])     # w ← w − 0.01·2w
>>> w.data
array([ 0.98, -0.98], dtype=float32)
"""

from __future__ import annotations

from treino.optimizers import clipping, schedules
from treino.optimizers.adadelta import Adadelta, adadelta_update
from treino.optimizers.adagrad import Adagrad, adagrad_update
from treino.optimizers.adam import Adam, adam_update
from treino.optimizers.adamax import Adamax, adamax_update
from treino.optimizers.adamw import AdamW, adamw_update
from treino.optimizers.base import Optimizer, decay_weights
from treino.optimizers.nadam import Nadam, nadam_update
from treino.optimizers.per_layer import AdaptivePerLayer, LayerwiseOptimizer, PerLayer
from treino.optimizers.rmsprop import RMSprop, rmsprop_update
from treino.optimizers.sgd import SGD, sgd_update

_CLASSES = (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, Nadam)
ALL_OBJECTS_DICT = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{cls.__name__.lower(): cls for cls in _CLASSES},
    "PerLayer": PerLayer,
    "AdaptivePerLayer": AdaptivePerLayer,
    "adaptive_per_layer": AdaptivePerLayer,
}
"""Every name an optimizer identifier may use (``"adam"``, ``"Adam"`` …)."""


def _lookup(name: str, custom_objects: dict | None = None) -> type:
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    try:
        return ALL_OBJECTS_DICT[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(n for n in ALL_OBJECTS_DICT if n.islower()))
        raise ValueError(f"Unknown optimizer: {name!r}. Valid names: {valid}") from None


def serialize(optimizer) -> dict:
    """``{"class_name": ..., "config": ...}`` for an optimizer.

    Example:
        >>> serialize(SGD(momentum=0.9))["config"]["momentum"]
        0.9
    """
    if not isinstance(optimizer, Optimizer | LayerwiseOptimizer):
        raise ValueError(f"Cannot serialize {optimizer!r}: not a treino optimizer")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects: dict | None = None):
    """Rebuild an optimizer from :func:`serialize`'s dict or from a name.

    Example:
        >>> deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}}).learning_rate
        0.01
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "optimizer config must be a name or a dict with 'class_name' and 'config'; "
            f"received: {config!r}"
        )
    cls = _lookup(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """Resolve an optimizer identifier, as ``keras.optimizers.get``.

    Args:
        identifier: a name (``"sgd"``, ``"adam"``, ``"rmsprop"``, ``"adagrad"``,
            ``"adadelta"``, ``"adamw"``, ``"adamax"``, ``"nadam"`` or the class
            name), a config dict, an :class:`Optimizer` class or instance.

    Returns:
        An optimizer (a new one with Keras's defaults for names and classes;
        the same object for instances).

    Example:
        >>> get("adam").learning_rate
        0.001
    """
    if isinstance(identifier, Optimizer | LayerwiseOptimizer):
        return identifier
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


__all__ = [
    "ALL_OBJECTS_DICT", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "AdaptivePerLayer",
    "LayerwiseOptimizer", "Nadam", "Optimizer", "PerLayer", "RMSprop", "SGD", "adadelta_update",
    "adagrad_update", "adam_update", "adamax_update", "adamw_update", "clipping", "decay_weights",
    "deserialize", "get", "nadam_update", "rmsprop_update", "schedules", "serialize", "sgd_update",
]  # fmt: skip
