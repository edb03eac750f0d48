"""Loss functions, Keras 3-shaped: ``treino.losses`` mirrors ``keras.losses``.

Each loss comes as a class (``MeanSquaredError()``, configurable, with a
reduction) and as a function (``mean_squared_error(y_true, y_pred)``, one loss
per sample). Strings resolve as in Keras: ``losses.get("mse")`` is the
function, ``losses.get("MeanSquaredError")`` an instance.

=================================  =====================================  ==========================
class                              function                               other names
=================================  =====================================  ==========================
``MeanSquaredError``               ``mean_squared_error``                 ``mse``
``MeanAbsoluteError``              ``mean_absolute_error``                ``mae``
``MeanAbsolutePercentageError``    ``mean_absolute_percentage_error``     ``mape``
``MeanSquaredLogarithmicError``    ``mean_squared_logarithmic_error``     ``msle``
``Huber``                          ``huber``                              ``huber_loss``
``LogCosh``                        ``log_cosh``                           ``logcosh``
``CosineSimilarity``               ``cosine_similarity``
``BinaryCrossentropy``             ``binary_crossentropy``                ``bce``
``CategoricalCrossentropy``        ``categorical_crossentropy``
``SparseCategoricalCrossentropy``  ``sparse_categorical_crossentropy``
``KLDivergence``                   ``kl_divergence``                      ``kld``
``Poisson``                        ``poisson``
``Hinge``                          ``hinge``
``SquaredHinge``                   ``squared_hinge``
``CategoricalHinge``               ``categorical_hinge``
=================================  =====================================  ==========================

Example:
    >>> from treino import losses
    >>> loss = losses.get("categorical_crossentropy")
    >>> [round(v, 4) for v in loss([[0.0, 1.0]], [[0.2, 0.8]]).tolist()]
    [0.2231]
"""

from __future__ import annotations

import inspect

from treino.autograd import Tensor
from treino.losses.base import (
    EPSILON,
    REDUCTIONS,
    Loss,
    as_loss_tensor,
    convert_inputs,
    squeeze_or_expand,
)
from treino.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from treino.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from treino.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a function ``fn(y_true, y_pred, **kwargs)`` of per-sample losses.

    This is how a function (``"mse"``, or your own) gets a reduction and
    ``sample_weight``. A function of this package runs through its class
    (``huber`` through ``Huber(delta=...)``: the same checks, and
    ``ignore_class`` leaves entries out of the mean); any other receives a float
    Tensor ``y_pred`` and ``y_true`` converted alike (a trailing axis of size 1
    squeezed or expanded to match, as Keras does).

    Args:
        fn: the per-sample loss function.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``fn.__name__``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).
        **kwargs: passed to ``fn`` on every call (e.g. ``delta=2.0`` for ``huber``).

    Example:
        >>> loss = LossFunctionWrapper(huber, delta=2.0, reduction="sum")
        >>> loss([[0.0, 0.0], [0.0, 0.0]], [[0.5, 3.0], [0.0, 0.0]]).item()
        2.0625
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable; received {fn!r}")
        super().__init__(
            name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype
        )
        self.fn = fn
        self._fn_kwargs = kwargs
        builtin = _CLASS_OF_FUNCTION.get(fn)
        self._builtin = None if builtin is None else builtin(dtype=dtype, **kwargs)

    def _per_sample(self, y_true, y_pred):
        if self._builtin is not None:
            return self._builtin._per_sample(y_true, y_pred)
        label = f"{type(self).__name__}({getattr(self.fn, '__name__', 'fn')})"
        y_true, y_pred = convert_inputs(label, y_true, y_pred, self.dtype)
        y_true, y_pred, _ = squeeze_or_expand(y_true, y_pred)
        return as_loss_tensor(self.call(y_true, y_pred), y_pred), None

    def call(self, y_true, y_pred) -> Tensor:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        fn = config.pop("fn")
        return cls(deserialize(fn) if isinstance(fn, str | dict) else fn, **config)


# ------------------------------------------------------------------ registry
_CLASSES = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, CosineSimilarity, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    SquaredHinge, CategoricalHinge, Loss, LossFunctionWrapper,
)  # fmt: skip
_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, cosine_similarity, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, kl_divergence, poisson, hinge,
    squared_hinge, categorical_hinge,
)  # fmt: skip
_FUNCTION_NAMES = {fn: fn.__name__ for fn in _FUNCTIONS}
_CLASS_OF_FUNCTION = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber,
    log_cosh: LogCosh, cosine_similarity: CosineSimilarity,
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    kl_divergence: KLDivergence, poisson: Poisson, hinge: Hinge, squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
}  # fmt: skip
# Keras 3's short names, plus the tf.keras 2 spellings the course's snippets may use.
_ALIASES = {
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh, "huber_loss": huber,
}  # fmt: skip
ALL_OBJECTS_DICT = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{fn.__name__: fn for fn in _FUNCTIONS},
    **_ALIASES,
}
"""Every name a string identifier may use, mapped to its class or function."""


def _lookup(name: str, custom_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    try:
        return ALL_OBJECTS_DICT[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(n for n in ALL_OBJECTS_DICT if n.islower()))
        raise ValueError(
            f"Unknown loss: {name!r}. Valid names: {valid} (or a class name, e.g. "
            "'CategoricalCrossentropy')"
        ) from None


def serialize(loss) -> dict | str | None:
    """A JSON-serialisable description of a loss (None stays None).

    A :class:`Loss` gives ``{"class_name": ..., "config": ...}``; a function of
    this package gives ``{"class_name": "function", "config": its name}`` (as
    Keras 3). A lambda or an unregistered function has no name to restore it
    by, so it raises (nothing is pickled, ever).

    Example:
        >>> serialize(Huber(delta=2.0))["config"]["delta"]
        2.0
        >>> serialize(mean_squared_error)
        {'class_name': 'function', 'config': 'mean_squared_error'}
    """
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if loss in _FUNCTION_NAMES:
        return {"class_name": "function", "config": _FUNCTION_NAMES[loss]}
    label = getattr(loss, "__name__", None) or repr(loss)
    raise ValueError(
        f"Cannot serialize the loss {label!r}: only treino.losses functions and Loss "
        "instances have a config. Subclass treino.losses.Loss (with get_config) instead."
    )


def deserialize(config, custom_objects: dict | None = None):
    """Rebuild a loss from :func:`serialize`'s output or from a name.

    Args:
        config: a name (``"mse"``, ``"Huber"``), or a dict ``{"class_name": ...,
            "config": ...}``.
        custom_objects: optional ``{name: class or function}`` for your own losses.

    Returns:
        A :class:`Loss` instance (class names) or a function (function names).

    Example:
        >>> deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
        2.0
        >>> deserialize("mse") is mean_squared_error
        True
    """
    if isinstance(config, str):
        obj = _lookup(config, custom_objects)
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "loss config must be a name or a dict with 'class_name' and 'config'; "
            f"received: {config!r}"
        )
    inner = config.get("config")
    if config["class_name"] == "function":
        return _lookup(inner, custom_objects)
    cls = _lookup(config["class_name"], custom_objects)
    if not (inspect.isclass(cls) and issubclass(cls, Loss)):
        raise ValueError(f"{config['class_name']!r} is a loss function, not a Loss class")
    return cls.from_config(dict(inner or {}))


def get(identifier):
    """Resolve a loss identifier, as ``keras.losses.get``.

    Args:
        identifier: None; a Keras name (a class name such as
            ``"CategoricalCrossentropy"`` gives an instance, a function name or
            alias such as ``"categorical_crossentropy"`` or ``"mse"`` gives the
            function); a config dict; a :class:`Loss` instance or class; or any
            callable (returned as is).

    Returns:
        A :class:`Loss` instance or a per-sample loss function (None for None).

    Example:
        >>> get("mse") is mean_squared_error, type(get("Huber")).__name__
        (True, 'Huber')
    """
    if identifier is None:
        return None
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def as_loss(identifier) -> Loss:
    """A :class:`Loss` object for any identifier ``compile`` accepts.

    Names of this package's losses give their class (``"mse"`` →
    ``MeanSquaredError()``, so ``sample_weight`` and the reduction work as
    for the class); your own functions are wrapped in :class:`LossFunctionWrapper`.

    Example:
        >>> type(as_loss("sparse_categorical_crossentropy")).__name__
        'SparseCategoricalCrossentropy'
    """
    loss = get(identifier)
    if loss is None or isinstance(loss, Loss):
        return loss
    builtin = _CLASS_OF_FUNCTION.get(loss)
    return builtin() if builtin is not None else LossFunctionWrapper(loss)


__all__ = [
    "ALL_OBJECTS_DICT", "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge",
    "CosineSimilarity", "EPSILON", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "as_loss", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "REDUCTIONS",
    "SparseCategoricalCrossentropy", "SquaredHinge", "binary_crossentropy",
    "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "deserialize", "get",
    "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "serialize", "sparse_categorical_crossentropy", "squared_hinge",
]  # fmt: skip
