"""Metrics, Keras 3-shaped: ``treino.metrics`` mirrors ``keras.metrics``.

A metric watches training without being trained on: ``update_state(y_true,
y_pred, sample_weight=None)`` adds a batch, ``result()`` reads the value so
far, ``reset_state()`` starts over. ``y_pred`` are the model's outputs
(probabilities; for logits use ``threshold=0``/``thresholds=0``, or
``from_logits=True`` where the metric has it). Every state is a set of sums
(see :mod:`treino.metrics.base`), so a metric streamed over batches of any
sizes, with sample weights, equals the metric of all the data at once, and the
states of several workers add up to the global one.

=================================  =====================================  ===========
class                              name (and string identifier)           other names
=================================  =====================================  ===========
``Accuracy``                       ``accuracy``                           ``acc``
``BinaryAccuracy``                 ``binary_accuracy``
``CategoricalAccuracy``            ``categorical_accuracy``
``SparseCategoricalAccuracy``      ``sparse_categorical_accuracy``
``TopKCategoricalAccuracy``        ``top_k_categorical_accuracy``
``SparseTopKCategoricalAccuracy``  ``sparse_top_k_categorical_accuracy``
``Precision`` / ``Recall``         ``precision`` / ``recall``
``F1Score`` / ``FBetaScore``       ``f1_score`` / ``fbeta_score``
``AUC``                            ``auc``
``TruePositives`` (… 4 counts)     ``true_positives`` …
``ConfusionMatrix(num_classes)``   ``confusion_matrix``
``MeanSquaredError``               ``mean_squared_error``                 ``mse``
``MeanAbsoluteError``              ``mean_absolute_error``                ``mae``
``RootMeanSquaredError``           ``root_mean_squared_error``            ``rmse``
``MeanAbsolutePercentageError``    ``mean_absolute_percentage_error``     ``mape``
``MeanSquaredLogarithmicError``    ``mean_squared_logarithmic_error``     ``msle``
``BinaryCrossentropy`` …           ``binary_crossentropy`` …
``Mean`` / ``Sum``                 ``mean`` / ``sum``
``MeanMetricWrapper(fn)``          ``fn.__name__``
=================================  =====================================  ===========

In ``compile(metrics=[...])`` the strings ``"accuracy"``/``"acc"`` and
``"crossentropy"``/``"ce"`` are resolved from the loss and the output shape
(:func:`resolve`), and every metric given by a string reports under that very
string (``history.history["acc"]``).

Example:
    >>> from treino import metrics
    >>> m = metrics.get("precision")
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 4)
    0.6667
    >>> type(metrics.resolve("accuracy", loss="sparse_categorical_crossentropy")).__name__
    'SparseCategoricalAccuracy'
"""

from __future__ import annotations

import inspect

from treino import losses as losses_module

# The per-sample functions of treino.losses, re-exported as keras.metrics does.
from treino.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    sparse_categorical_crossentropy,
)
from treino.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from treino.metrics.auc import AUC
from treino.metrics.base import Metric
from treino.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from treino.metrics.confusion_matrix import ConfusionMatrix, confusion_matrix
from treino.metrics.f_score import F1Score, FBetaScore
from treino.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from treino.metrics.reduction import Mean, MeanMetricWrapper, Sum
from treino.metrics.regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)
from treino.naming import snake_case

# ------------------------------------------------------------------ registry
_CLASSES = (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, F1Score,
    FBetaScore, AUC, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    ConfusionMatrix, MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, Mean, Sum, MeanMetricWrapper,
)  # fmt: skip
_ALIASES = {
    "acc": Accuracy, "fbeta_score": FBetaScore,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "rmse": RootMeanSquaredError, "RMSE": RootMeanSquaredError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
}  # fmt: skip
ALL_OBJECTS_DICT = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{snake_case(cls.__name__): cls for cls in _CLASSES},
    **_ALIASES,
}
"""Every name a string identifier may use, mapped to its metric class."""

_METRIC_FUNCTIONS = (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
)  # fmt: skip
FUNCTIONS = {
    **{
        name: obj
        for name, obj in losses_module.ALL_OBJECTS_DICT.items()
        if inspect.isfunction(obj) and name == obj.__name__
    },
    **{fn.__name__: fn for fn in _METRIC_FUNCTIONS},
}
"""The per-sample functions a ``MeanMetricWrapper`` config may name."""
_FUNCTION_NAMES = {fn: name for name, fn in FUNCTIONS.items()}


def _lookup(name: str, custom_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    try:
        return ALL_OBJECTS_DICT[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(n for n in ALL_OBJECTS_DICT if n.islower()))
        raise ValueError(
            f"Unknown metric: {name!r}. Valid names: {valid} (or a class name, e.g. "
            "'BinaryAccuracy'; in compile also 'crossentropy' / 'ce')"
        ) from None


def _instantiate(cls, name: str | None = None):
    try:
        return cls() if name is None else cls(name=name)
    except TypeError as error:
        raise ValueError(
            f"The metric {cls.__name__} needs arguments ({error}); pass an instance, e.g. "
            f"{cls.__name__}(...), instead of a string"
        ) from None


# ------------------------------------------------------------ serialization
def serialize_function(fn) -> str:
    """The registered name of a per-sample function (for ``MeanMetricWrapper.get_config``)."""
    if fn in _FUNCTION_NAMES:
        return _FUNCTION_NAMES[fn]
    label = getattr(fn, "__name__", None) or repr(fn)
    raise ValueError(
        f"Cannot serialize the metric function {label!r}: only treino.metrics and treino.losses "
        "functions have a name to restore them by. Subclass treino.metrics.Metric (with "
        "get_config) instead."
    )


def deserialize_function(name, custom_objects: dict | None = None):
    """The per-sample function registered under ``name`` (inverse of :func:`serialize_function`)."""
    if callable(name):
        return name
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name not in FUNCTIONS:
        raise ValueError(
            f"Unknown metric function: {name!r}. Valid names: {', '.join(sorted(FUNCTIONS))}"
        )
    return FUNCTIONS[name]


def serialize(metric) -> dict | str | None:
    """A JSON-serialisable description of a metric (None and strings stay as they are).

    A :class:`Metric` gives ``{"class_name": ..., "config": ...}``; a function
    of this package or of :mod:`treino.losses` gives ``{"class_name":
    "function", "config": its name}``. A lambda or an unregistered function
    raises (nothing is pickled, ever).

    Example:
        >>> serialize(BinaryAccuracy(threshold=0.3))
        {'class_name': 'BinaryAccuracy',
         'config': {'name': 'binary_accuracy', 'dtype': None, 'threshold': 0.3}}
        >>> serialize(binary_accuracy)
        {'class_name': 'function', 'config': 'binary_accuracy'}
    """
    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if callable(metric):
        return {"class_name": "function", "config": serialize_function(metric)}
    raise ValueError(f"Cannot serialize the metric {metric!r}: not a Metric nor a function")


def deserialize(config, custom_objects: dict | None = None):
    """Rebuild a metric from :func:`serialize`'s output, or from a name.

    Args:
        config: a name (``"auc"``, ``"Precision"``) or a dict ``{"class_name":
            ..., "config": ...}``.
        custom_objects: optional ``{name: class or function}`` for your own metrics.

    Returns:
        A :class:`Metric` (the state starts at zero), or a per-sample function
        for ``{"class_name": "function", ...}``.

    Example:
        >>> m = deserialize({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}})
        >>> m.name, m.get_config()["threshold"]
        ('binary_accuracy', 0.3)
    """
    if isinstance(config, str):
        return _instantiate(_lookup(config, custom_objects))
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "metric config must be a name or a dict with 'class_name' and 'config'; "
            f"received: {config!r}"
        )
    inner = config.get("config")
    if config["class_name"] == "function":
        return deserialize_function(inner, custom_objects)
    cls = _lookup(config["class_name"], custom_objects)
    if not (inspect.isclass(cls) and issubclass(cls, Metric)):
        raise ValueError(f"{config['class_name']!r} is not a Metric class")
    inner = dict(inner or {})
    if cls is MeanMetricWrapper and isinstance(inner.get("fn"), str):
        inner["fn"] = deserialize_function(inner["fn"], custom_objects)
    return cls.from_config(inner)


def get(identifier):
    """Resolve a metric identifier to a :class:`Metric`, as ``keras.metrics.get``.

    Args:
        identifier: a :class:`Metric` (returned as is) or Metric class; a name
            (``"accuracy"``, ``"acc"``, ``"mse"``, ``"rmse"``, ``"auc"``,
            ``"precision"``, ``"f1_score"``, a class name …); a config dict;
            or a function ``fn(y_true, y_pred)`` of per-sample values (wrapped in
            :class:`MeanMetricWrapper`). None gives None.

    Example:
        >>> type(get("mse")).__name__, get("rmse").name
        ('MeanSquaredError', 'root_mean_squared_error')
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return _instantiate(identifier)
    if isinstance(identifier, str | dict):
        identifier = deserialize(identifier)
        if isinstance(identifier, Metric):
            return identifier
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


# ---------------------------------------------------------------- resolution
_ACCURACIES = {"sparse": SparseCategoricalAccuracy, "categorical": CategoricalAccuracy,
               "binary": BinaryAccuracy}  # fmt: skip
_CROSSENTROPIES = {"sparse": SparseCategoricalCrossentropy, "categorical": CategoricalCrossentropy,
                   "binary": BinaryCrossentropy}  # fmt: skip


def _loss_name(loss) -> str:
    """The snake_case name of a loss given as a string, a Loss, or a function."""
    if isinstance(loss, str):
        try:
            loss = losses_module.get(loss)
        except ValueError:
            return snake_case(loss)
    if isinstance(loss, losses_module.LossFunctionWrapper):
        loss = loss.fn
    if isinstance(loss, losses_module.Loss):
        return snake_case(type(loss).__name__)
    return getattr(loss, "__name__", "") or ""


def _from_logits(loss) -> bool:
    if isinstance(loss, losses_module.Loss):
        return bool(loss.get_config().get("from_logits", False))
    return False


def _kind(loss, output_shape) -> str:
    """``"sparse"``, ``"categorical"`` or ``"binary"``: the loss first, then the output shape."""
    name = _loss_name(loss) if loss is not None else ""
    if "sparse" in name:
        return "sparse"
    if "categorical" in name:
        return "categorical"
    if "binary" in name:
        return "binary"
    shape = tuple(output_shape) if output_shape is not None else None
    if shape is not None and (len(shape) < 2 or shape[-1] == 1):
        return "binary"
    return "categorical"


def resolve(identifier, loss=None, output_shape=None):
    """The metric ``compile(metrics=[identifier])`` tracks, as Keras resolves it.

    ``"accuracy"``/``"acc"`` (and ``"crossentropy"``/``"ce"``) depend on the task:

    1. a loss with ``sparse`` in its name (``sparse_categorical_crossentropy``)
       → ``SparseCategoricalAccuracy``;
    2. a ``categorical`` loss → ``CategoricalAccuracy``;
    3. a ``binary`` loss, or an output of last dimension 1 →
       ``BinaryAccuracy`` (threshold 0 when the loss has ``from_logits=True``,
       since logit 0 is probability ½);
    4. otherwise (outputs ``(N, K > 1)``) → ``CategoricalAccuracy``;

    and likewise the Binary / Categorical / SparseCategorical ``Crossentropy``
    metrics (with the loss's ``from_logits``). Any identifier given as a
    string reports under that string, exactly as written (``"acc"`` gives
    ``history["acc"]``); other identifiers go through :func:`get`.

    Args:
        identifier: what the user wrote in ``metrics=[...]``.
        loss: the output's loss: a name, a :class:`treino.losses.Loss` or a
            function. Defaults to None.
        output_shape: the output's shape, e.g. ``(None, 10)``. Defaults to None.

    Returns:
        A :class:`Metric` (None for None).

    Example:
        >>> m = resolve("acc", loss="binary_crossentropy")
        >>> type(m).__name__, m.name
        ('BinaryAccuracy', 'acc')
        >>> type(resolve("accuracy", loss="mse", output_shape=(None, 3))).__name__
        'CategoricalAccuracy'
    """
    if not isinstance(identifier, str):
        return get(identifier)
    key = identifier.lower()
    if key in ("accuracy", "acc", "crossentropy", "ce"):
        kind = _kind(loss, output_shape)
        logits = _from_logits(loss)
        if key in ("accuracy", "acc"):
            if kind == "binary" and logits:
                return BinaryAccuracy(name=identifier, threshold=0.0)
            return _ACCURACIES[kind](name=identifier)
        return _CROSSENTROPIES[kind](name=identifier, from_logits=logits)
    metric = get(identifier)
    metric.name = identifier
    return metric


__all__ = [
    "ALL_OBJECTS_DICT", "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy",
    "CategoricalAccuracy", "CategoricalCrossentropy", "ConfusionMatrix", "F1Score",
    "FBetaScore", "FUNCTIONS", "FalseNegatives", "FalsePositives", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "Precision", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives", "accuracy", "binary_accuracy", "binary_crossentropy",
    "categorical_accuracy", "categorical_crossentropy", "confusion_matrix", "deserialize",
    "deserialize_function", "get", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "resolve", "serialize",
    "serialize_function", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]  # fmt: skip
