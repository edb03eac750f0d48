"""Preparing data: scaling features, encoding labels, splitting train / val / test.

The course's rule: **fit on the training set only**. Statistics (mean, standard
deviation, min, max, the list of classes) come from ``x_train``; validation and
test data are transformed with those same statistics, never refitted — otherwise
information from the test set leaks into training.

* :class:`StandardScaler` — :math:`X' = (X - \\mu)/\\sigma`;
* :class:`MinMaxScaler` — :math:`X' = (X - \\min)/(\\max - \\min)\\cdot(b - a) + a`;
* :func:`to_categorical`, :class:`OneHotEncoder`, :class:`LabelEncoder` — labels;
* :func:`train_val_test_split` — the course's 70 / 15 / 15, stratified per class.

Every preprocessor is saved without pickle: :meth:`Preprocessor.save` writes one
``.npz`` (the fitted statistics plus a JSON config) and :func:`load` reads it
back; :func:`serialize` / :func:`deserialize` give the ``(config, arrays)`` pair
a model can store beside its weights.
"""

from __future__ import annotations

import json
import math
import numbers

import numpy as np

from treino import io
from treino.backend import floatx, make_rng
from treino.data import _map, _named_leaves, _structure

__all__ = [
    "LabelEncoder",
    "MinMaxScaler",
    "NotFittedError",
    "OneHotEncoder",
    "Preprocessor",
    "StandardScaler",
    "deserialize",
    "load",
    "serialize",
    "to_categorical",
    "train_test_split",
    "train_val_test_split",
]

CONFIG_KEY = "__config__"
"""Name of the JSON config inside a saved preprocessor's ``.npz``."""


class NotFittedError(ValueError, AttributeError):
    """``transform`` (or ``get_state``…) called before ``fit``."""


# -- input checks -------------------------------------------------------------


def _position(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _numeric(x, who: str, name: str = "x") -> np.ndarray:
    """``x`` as a numeric array of at least one dimension, without NaN or inf."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {name} must hold numbers; received dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{who}: {name} must be an array of samples (first axis = samples); "
                         "received a scalar")  # fmt: skip
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        where = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"{who}: {name} holds non-finite values, e.g. {name}{_position(where)} "
                         f"= {x[tuple(where)]}; clean or impute the data first")  # fmt: skip
    return x


def _output_dtype(x: np.ndarray) -> np.dtype:
    """float64 stays float64; everything else comes out in ``floatx()``."""
    return np.dtype(np.float64) if x.dtype == np.float64 else np.dtype(floatx())


def _labels(values, who: str, name: str = "y") -> np.ndarray:
    """Labels as int64 or str (unicode) of the same shape; floats must be whole numbers."""
    a = np.asarray(values)
    if a.dtype.kind == "O":
        items = a.ravel().tolist()
        if all(isinstance(v, str) for v in items):
            a = a.astype(str)
        elif all(isinstance(v, numbers.Integral) for v in items):
            a = a.astype(np.int64)
        else:
            raise TypeError(f"{who}: {name} mixes types; labels must be all integers or all "
                            "strings")  # fmt: skip
    if a.dtype.kind == "S":
        a = a.astype(str)
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            where = np.argwhere(bad)[0]
            raise ValueError(f"{who}: labels must be integers or strings; received "
                             f"{name}{_position(where)} = {a[tuple(where)]}")  # fmt: skip
    if a.dtype.kind in "biuf":
        return a.astype(np.int64)
    if a.dtype.kind != "U":
        raise TypeError(f"{who}: labels must be integers or strings; received dtype {a.dtype}")
    return a


def _preview(values, limit: int = 20) -> str:
    items = values[:limit].tolist()
    more = f", … ({len(values)} in all)" if len(values) > limit else ""
    return str(items)[:-1] + more + "]"


def _lookup(categories: np.ndarray, values: np.ndarray, who: str, what: str):
    """Index of each value in ``categories`` (any order) and a mask of the known ones."""
    if (categories.dtype.kind == "U") != (values.dtype.kind == "U"):
        fitted = "strings" if categories.dtype.kind == "U" else "integers"
        received = "strings" if values.dtype.kind == "U" else "integers"
        raise TypeError(f"{who}: {what} was fitted on {fitted}; received {received}")
    sorter = np.argsort(categories, kind="stable")
    ordered = categories[sorter]
    pos = np.searchsorted(ordered, values).clip(max=len(ordered) - 1)
    return sorter[pos], ordered[pos] == values


def _unknown(who: str, what: str, values, known, categories) -> ValueError:
    first = values[np.argmin(known)]
    return ValueError(f"{who}: unknown {what} {first.item()!r}; known: {_preview(categories)}")


# -- the common base ----------------------------------------------------------


class Preprocessor:
    """Base class: ``fit`` on the training set, then ``transform`` any set.

    Subclasses list their fitted attributes in ``_state_names`` (the first one
    tells whether the object is fitted) and implement ``fit``, ``transform``
    and ``get_config``. Every subclass is registered by class name for
    :func:`deserialize` / :func:`load`.
    """

    _state_names: tuple[str, ...] = ()
    _registry: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Preprocessor._registry[cls.__name__] = cls

    def __init__(self):
        for name in self._state_names:
            setattr(self, name, None)

    def get_config(self) -> dict:
        """The constructor arguments, JSON-able."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    @property
    def fitted(self) -> bool:
        return getattr(self, self._state_names[0], None) is not None

    def _require_fitted(self, method: str) -> None:
        if not self.fitted:
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call "
                                 f"fit(x_train) first, then {method}(x)")  # fmt: skip

    def fit(self, x):
        raise NotImplementedError

    def transform(self, x):
        raise NotImplementedError

    def fit_transform(self, x):
        """``fit(x)`` then ``transform(x)`` — for the training set only."""
        return self.fit(x).transform(x)

    def get_state(self) -> dict[str, np.ndarray]:
        """The fitted statistics as arrays (empty when not fitted)."""
        if not self.fitted:
            return {}
        return {name: np.asarray(getattr(self, name)) for name in self._state_names}

    def set_state(self, arrays: dict) -> None:
        """Restore what :meth:`get_state` returned (checked before anything changes)."""
        missing = [name for name in self._state_names if name not in arrays]
        if missing:
            raise ValueError(f"{type(self).__name__}.set_state: missing {missing}; received "
                             f"{sorted(arrays)}")  # fmt: skip
        state = {name: np.array(arrays[name]) for name in self._state_names}
        self._check_state(state)
        for name, value in state.items():  # 0-d integers (counts) back to Python ints
            setattr(self, name, value.item() if value.ndim == 0 and value.dtype.kind in "iu"
                    else value)  # fmt: skip

    def _check_state(self, state: dict) -> None:
        """Subclasses check shapes here; raising leaves the object unchanged."""

    def save(self, path) -> None:
        """Write the config and fitted statistics to one ``.npz`` file (no pickle)."""
        config, arrays = serialize(self)
        io.save_npz(path, {**arrays, CONFIG_KEY: np.array(json.dumps(config))})

    @classmethod
    def load(cls, path):
        """Read a file written by :meth:`save` (must hold a ``cls``)."""
        obj = load(path)
        if not isinstance(obj, cls):
            raise TypeError(f"'{path}' holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def serialize(obj: Preprocessor) -> tuple[dict, dict[str, np.ndarray]]:
    """``({"class_name": ..., "config": ...}, state arrays)`` of a preprocessor.

    The config is JSON-able and the arrays hold numbers or text only, so both
    can be stored beside a model's weights without pickle.
    """
    if not isinstance(obj, Preprocessor):
        raise TypeError(f"serialize expects a treino preprocessor; received "
                        f"{type(obj).__name__}")  # fmt: skip
    return {"class_name": type(obj).__name__, "config": obj.get_config()}, obj.get_state()


def deserialize(config, arrays: dict | None = None) -> Preprocessor:
    """Rebuild a preprocessor from :func:`serialize`'s pair (``config`` may be JSON text)."""
    if isinstance(config, str):
        config = json.loads(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize expects {{'class_name': ..., 'config': ...}}; received "
                         f"{config!r}")  # fmt: skip
    cls = Preprocessor._registry.get(config["class_name"])
    if cls is None:
        raise ValueError(f"Unknown preprocessor {config['class_name']!r}; known: "
                         f"{sorted(Preprocessor._registry)}")  # fmt: skip
    obj = cls.from_config(config.get("config", {}))
    if arrays:
        obj.set_state(arrays)
    return obj


def load(path) -> Preprocessor:
    """Read a preprocessor saved with :meth:`Preprocessor.save`."""
    arrays = io.load_npz(path)
    if CONFIG_KEY not in arrays:
        raise ValueError(f"'{path}' is not a saved treino preprocessor (no {CONFIG_KEY!r})")
    config = str(arrays.pop(CONFIG_KEY))
    return deserialize(config, arrays)


# -- scalers ------------------------------------------------------------------


class _AffineScaler(Preprocessor):
    """A per-feature affine map :math:`X' = (X - c)/d + o` fitted over axis 0.

    Subclasses give the statistics (``_statistics``) and the coefficients
    ``(c, d, o)`` (``_affine``). Statistics are computed in float64; the output
    is float64 for float64 input and ``floatx()`` otherwise.
    """

    def _statistics(self, x: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _affine(self):
        raise NotImplementedError

    def fit(self, x):
        """Compute the per-feature statistics of ``x`` (the training set), over axis 0."""
        who = f"{type(self).__name__}.fit"
        x = _numeric(x, who)
        if len(x) == 0:
            raise ValueError(f"{who}: x has no samples (shape {x.shape})")
        state = {**self._statistics(x), "n_samples_seen_": len(x)}
        for name, value in state.items():  # nothing changes before everything is computed
            setattr(self, name, value)
        return self

    def _fitted_input(self, x, method: str) -> np.ndarray:
        self._require_fitted(method)
        who = f"{type(self).__name__}.{method}"
        x = _numeric(x, who)
        expected = np.shape(getattr(self, self._state_names[0]))
        if x.shape[1:] != expected:
            raise ValueError(
                f"{who}: expected samples of shape {expected} ({math.prod(expected)} features, "
                f"as in fit); received x of shape {x.shape}"
            )
        return x

    def transform(self, x) -> np.ndarray:
        """Scale ``x`` with the statistics of the training set."""
        x = self._fitted_input(x, "transform")
        center, divisor, offset = self._affine()
        return ((x.astype(np.float64) - center) / divisor + offset).astype(_output_dtype(x))

    def inverse_transform(self, x) -> np.ndarray:
        """Undo :meth:`transform`: back to the original units."""
        x = self._fitted_input(x, "inverse_transform")
        center, divisor, offset = self._affine()
        return ((x.astype(np.float64) - offset) * divisor + center).astype(_output_dtype(x))

    def _check_state(self, state):
        shapes = {name: np.shape(value) for name, value in state.items()
                  if name != "n_samples_seen_"}  # fmt: skip
        if len(set(shapes.values())) > 1 or np.ndim(state["n_samples_seen_"]) != 0:
            raise ValueError(f"{type(self).__name__}.set_state: inconsistent shapes {shapes}")


def _check_bool(who: str, name: str, value) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{who}: {name} must be True or False; received {value!r}")
    return bool(value)


class StandardScaler(_AffineScaler):
    """Standardize each feature: zero mean, unit variance on the training set.

    .. math::

        X' = \\frac{X - \\mu}{\\sigma}, \\qquad
        \\mu = \\frac{1}{n}\\sum_i x_i, \\qquad
        \\sigma = \\sqrt{\\frac{1}{n}\\sum_i (x_i - \\mu)^2 + \\varepsilon}

    computed per feature over axis 0 (for images ``(n, h, w, c)``: per pixel and
    channel), in float64. A constant feature has :math:`\\sigma` taken as 1 (as
    scikit-learn), so it becomes 0 — never a division by zero.

    Fitted attributes (scikit-learn names): ``mean_``, ``var_``, ``scale_``
    (:math:`\\sigma`) and ``n_samples_seen_``. They are computed even when
    ``with_mean`` / ``with_std`` is False; the flags only choose what
    ``transform`` applies.

    Args:
        with_mean: subtract :math:`\\mu`. Defaults to True.
        with_std: divide by :math:`\\sigma`. Defaults to True.
        epsilon: added to the variance before the square root. Defaults to 0.

    Example:
        >>> import numpy as np
        >>> x_train = np.array([[1.0, 10.0], [3.0, 10.0]])
        >>> scaler = StandardScaler().fit(x_train)
        >>> scaler.mean_, scaler.scale_   # the second column is constant: σ := 1
        (array([ 2., 10.]), array([1., 1.]))
        >>> scaler.transform(np.array([[5.0, 12.0]]))  # test data: the train statistics
        array([[3., 2.]])
        >>> scaler.inverse_transform(scaler.transform(x_train))
        array([[ 1., 10.],
               [ 3., 10.]])
    """

    _state_names = ("mean_", "var_", "scale_", "n_samples_seen_")

    def __init__(self, with_mean: bool = True, with_std: bool = True, epsilon: float = 0.0):
        super().__init__()
        self.with_mean = _check_bool("StandardScaler", "with_mean", with_mean)
        self.with_std = _check_bool("StandardScaler", "with_std", with_std)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not (
            math.isfinite(epsilon) and epsilon >= 0
        ):
            raise ValueError(f"StandardScaler: epsilon must be a finite number >= 0; received "
                             f"{epsilon!r}")  # fmt: skip
        self.epsilon = float(epsilon)

    def get_config(self) -> dict:
        return {"with_mean": self.with_mean, "with_std": self.with_std, "epsilon": self.epsilon}

    def _statistics(self, x):
        constant = x.min(axis=0) == x.max(axis=0)
        # A constant column's mean is its value exactly, so (X − μ) is exactly 0.
        mean = np.where(constant, x[0], x.mean(axis=0, dtype=np.float64))
        var = np.where(constant, 0.0, x.var(axis=0, dtype=np.float64))
        scale = np.where(constant, 1.0, np.sqrt(var + self.epsilon))
        return {"mean_": mean, "var_": var, "scale_": scale}

    def _affine(self):
        return (self.mean_ if self.with_mean else 0.0, self.scale_ if self.with_std else 1.0,
                0.0)  # fmt: skip


class MinMaxScaler(_AffineScaler):
    """Rescale each feature to ``feature_range = (a, b)`` using the training set's range.

    .. math::

        X' = \\frac{X - \\min}{\\max - \\min}\\,(b - a) + a

    per feature over axis 0. A constant feature (range 0) has its range taken
    as 1, so it maps to ``a``. Test values outside the training range land
    outside ``(a, b)`` — that is expected.

    Fitted attributes (scikit-learn names): ``data_min_``, ``data_max_``,
    ``data_range_``, ``scale_`` (:math:`(b-a)/(\\max-\\min)`), ``min_``
    (:math:`a - \\min\\cdot` ``scale_``) and ``n_samples_seen_``.

    Args:
        feature_range: the target interval ``(a, b)``, ``a < b``. Defaults to ``(0, 1)``.

    Example:
        >>> import numpy as np
        >>> MinMaxScaler().fit_transform(np.array([[0.0, 5.0], [10.0, 5.0], [5.0, 5.0]]))
        array([[0. , 0. ],
               [1. , 0. ],
               [0.5, 0. ]])
    """

    _state_names = ("data_min_", "data_max_", "data_range_", "scale_", "min_",
                    "n_samples_seen_")  # fmt: skip

    def __init__(self, feature_range=(0, 1)):
        super().__init__()
        if not isinstance(feature_range, tuple | list) or len(feature_range) != 2 or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
            for v in feature_range
        ):
            raise ValueError(f"MinMaxScaler: feature_range must be a pair of finite numbers "
                             f"(a, b); received {feature_range!r}")  # fmt: skip
        a, b = (float(v) for v in feature_range)
        if not a < b:
            raise ValueError(f"MinMaxScaler: feature_range (a, b) needs a < b; received {(a, b)}")
        self.feature_range = (a, b)

    def get_config(self) -> dict:
        return {"feature_range": list(self.feature_range)}

    def _statistics(self, x):
        a, b = self.feature_range
        data_min = x.min(axis=0).astype(np.float64)
        data_max = x.max(axis=0).astype(np.float64)
        data_range = data_max - data_min
        scale = (b - a) / np.where(data_range == 0, 1.0, data_range)
        return {"data_min_": data_min, "data_max_": data_max, "data_range_": data_range,
                "scale_": scale, "min_": a - data_min * scale}  # fmt: skip

    def _affine(self):
        a, b = self.feature_range
        return self.data_min_, np.where(self.data_range_ == 0, 1.0, self.data_range_) / (b - a), a


# -- labels -------------------------------------------------------------------


def to_categorical(y, num_classes: int | None = None, dtype=None) -> np.ndarray:
    """One-hot encode integer class labels, exactly as Keras.

    Labels of shape ``s`` give shape ``s + (num_classes,)``; a trailing axis of
    size 1 is dropped first, so ``(n, 1)`` and ``(n,)`` both give ``(n, num_classes)``.

    Args:
        y: integer labels in ``[0, num_classes)`` (whole-number floats accepted).
        num_classes: the number of classes; None uses ``max(y) + 1``. Defaults to None.
        dtype: dtype of the result; None uses ``floatx()``. Defaults to None.

    Returns:
        The one-hot array.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    who = "to_categorical"
    labels = _labels(y, who)
    if labels.dtype.kind == "U":
        raise TypeError(f"{who}: labels must be integers; received strings (encode them with "
                        "LabelEncoder first)")  # fmt: skip
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
        or num_classes < 1
    ):
        raise ValueError(f"{who}: num_classes must be a positive integer; received "
                         f"{num_classes!r}")  # fmt: skip
    if num_classes is None:
        if labels.size == 0:
            raise ValueError(f"{who}: cannot infer num_classes from empty labels; pass it")
        num_classes = int(labels.max()) + 1
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        raise ValueError(f"{who}: label {int(bad[0])} is out of range; labels must be in "
                         f"[0, {num_classes - 1}] for num_classes={num_classes}")  # fmt: skip
    out = np.zeros((labels.size, int(num_classes)), dtype=dtype or floatx())
    out[np.arange(labels.size), labels] = 1
    return out.reshape(shape + (int(num_classes),))


def _label_vector(y, who: str) -> np.ndarray:
    labels = _labels(y, who)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"{who}: expected one label per sample, shape (n,) or (n, 1); "
                         f"received shape {labels.shape}")  # fmt: skip
    return labels


class LabelEncoder(Preprocessor):
    """Map labels (integers or strings) to ``0 … k-1`` in sorted order, and back.

    Fitted attribute: ``classes_`` (the sorted distinct labels).

    Example:
        >>> enc = LabelEncoder().fit(["gato", "cão", "gato", "peixe"])
        >>> enc.classes_
        array(['cão', 'gato', 'peixe'], dtype='<U5')
        >>> enc.transform(["peixe", "cão"])
        array([2, 0])
        >>> enc.inverse_transform([1])
        array(['gato'], dtype='<U5')
    """

    _state_names = ("classes_",)

    def fit(self, y):
        labels = _label_vector(y, "LabelEncoder.fit")
        if labels.size == 0:
            raise ValueError("LabelEncoder.fit: y has no labels")
        self.classes_ = np.unique(labels)
        return self

    def transform(self, y) -> np.ndarray:
        """The index of each label in ``classes_`` (int64)."""
        self._require_fitted("transform")
        who = "LabelEncoder.transform"
        labels = _label_vector(y, who)
        index, known = _lookup(self.classes_, labels, who, "label")
        if not known.all():
            raise _unknown(who, "label", labels, known, self.classes_)
        return index.astype(np.int64)

    def inverse_transform(self, indices) -> np.ndarray:
        """The labels at ``indices`` of ``classes_``."""
        self._require_fitted("inverse_transform")
        who = "LabelEncoder.inverse_transform"
        indices = _label_vector(indices, who)
        if indices.dtype.kind == "U":
            raise TypeError(f"{who}: expected integer indices; received strings")
        k = len(self.classes_)
        bad = indices[(indices < 0) | (indices >= k)]
        if bad.size:
            raise ValueError(f"{who}: index {int(bad[0])} is out of range; expected integers "
                             f"in [0, {k - 1}]")  # fmt: skip
        return self.classes_[indices]

    def _check_state(self, state):
        if state["classes_"].ndim != 1 or state["classes_"].dtype.kind not in "iuU":
            raise ValueError("LabelEncoder.set_state: classes_ must be a 1-D array of integers "
                             f"or strings; received {state['classes_'].dtype} "
                             f"{state['classes_'].shape}")  # fmt: skip


class OneHotEncoder(Preprocessor):
    """One-hot encode categorical columns (integers or strings).

    Each column ``j`` with categories ``categories_[j]`` becomes
    ``len(categories_[j])`` output columns holding a single 1; the blocks are
    concatenated in column order. Input is 1-D (one column) or ``(n, c)``.

    Args:
        categories: ``"auto"`` (the sorted distinct values seen by ``fit``), or
            one list of categories per column (kept in the given order).
            Defaults to ``"auto"``.
        handle_unknown: ``"error"`` raises on a category not seen in ``fit``;
            ``"ignore"`` encodes it as all zeros. Defaults to ``"error"``.

    Example:
        >>> enc = OneHotEncoder().fit([["a", "x"], ["b", "y"], ["c", "x"]])
        >>> enc.transform([["b", "x"]])
        array([[0., 1., 0., 1., 0.]], dtype=float32)
    """

    _state_names = ("categories_",)

    def __init__(self, categories="auto", handle_unknown: str = "error"):
        super().__init__()
        if handle_unknown not in ("error", "ignore"):
            raise ValueError(f"OneHotEncoder: handle_unknown must be 'error' or 'ignore'; "
                             f"received {handle_unknown!r}")  # fmt: skip
        if isinstance(categories, str):
            if categories != "auto":
                raise ValueError(f"OneHotEncoder: categories must be 'auto' or one list of "
                                 f"categories per column; received {categories!r}")  # fmt: skip
        else:
            if not isinstance(categories, list | tuple) or not categories:
                raise ValueError("OneHotEncoder: categories must be 'auto' or one list of "
                                 f"categories per column; received {categories!r}")  # fmt: skip
            categories = [_labels(c, "OneHotEncoder", "categories").reshape(-1).tolist()
                          for c in categories]  # fmt: skip
            for j, column in enumerate(categories):
                if not column or len(set(column)) != len(column):
                    raise ValueError(f"OneHotEncoder: categories[{j}] must be a non-empty list "
                                     f"without repeats; received {column}")  # fmt: skip
        self.categories = categories
        self.handle_unknown = handle_unknown
        self._input_1d = False

    def get_config(self) -> dict:
        return {"categories": self.categories, "handle_unknown": self.handle_unknown}

    @property
    def n_features_in_(self) -> int:
        self._require_fitted("n_features_in_")
        return len(self.categories_)

    def _columns(self, x, who: str) -> tuple[list[np.ndarray], bool]:
        x = np.asarray(x)
        if x.ndim not in (1, 2):
            raise ValueError(f"{who}: expected shape (n,) or (n, columns); received {x.shape}")
        if x.ndim == 1:
            return [_labels(x, who, "x")], True
        return [_labels(x[:, j], who, f"x[:, {j}]") for j in range(x.shape[1])], False

    def fit(self, x):
        who = "OneHotEncoder.fit"
        columns, input_1d = self._columns(x, who)
        if len(columns[0]) == 0:
            raise ValueError(f"{who}: x has no samples")
        if self.categories == "auto":
            categories = [np.unique(column) for column in columns]
        else:
            if len(self.categories) != len(columns):
                raise ValueError(f"{who}: categories lists {len(self.categories)} columns; x "
                                 f"has {len(columns)}")  # fmt: skip
            categories = [np.array(c) for c in self.categories]
            if self.handle_unknown == "error":
                for j, (column, cats) in enumerate(zip(columns, categories, strict=True)):
                    known = _lookup(cats, column, who, f"column {j}")[1]
                    if not known.all():
                        raise _unknown(who, f"category in column {j}", column, known, cats)
        self.categories_, self._input_1d = categories, input_1d
        return self

    def transform(self, x) -> np.ndarray:
        """The one-hot array, ``(n, Σ_j len(categories_[j]))`` in ``floatx()``."""
        self._require_fitted("transform")
        who = "OneHotEncoder.transform"
        columns, _ = self._columns(x, who)
        if len(columns) != len(self.categories_):
            raise ValueError(f"{who}: expected {len(self.categories_)} columns, as in fit; "
                             f"received {len(columns)}")  # fmt: skip
        n = len(columns[0])
        out = np.zeros((n, sum(len(c) for c in self.categories_)), dtype=floatx())
        start = 0
        for j, (column, cats) in enumerate(zip(columns, self.categories_, strict=True)):
            index, known = _lookup(cats, column, who, f"column {j}")
            if not known.all() and self.handle_unknown == "error":
                raise _unknown(who, f"category in column {j}", column, known, cats)
            out[np.flatnonzero(known), start + index[known]] = 1
            start += len(cats)
        return out

    def inverse_transform(self, x) -> np.ndarray:
        """The categories back from one-hot rows (1-D if ``fit`` saw 1-D input)."""
        self._require_fitted("inverse_transform")
        who = "OneHotEncoder.inverse_transform"
        x = _numeric(x, who)
        width = sum(len(c) for c in self.categories_)
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(f"{who}: expected shape (n, {width}); received {x.shape}")
        columns, start = [], 0
        for j, cats in enumerate(self.categories_):
            block = x[:, start:start + len(cats)]
            empty = ~block.any(axis=1)
            if empty.any():
                raise ValueError(f"{who}: row {int(np.argmax(empty))} has no active category "
                                 f"in column {j} (all zeros)")  # fmt: skip
            columns.append(cats[block.argmax(axis=1)])
            start += len(cats)
        if self._input_1d:
            return columns[0]
        same = len({c.dtype.kind for c in columns}) == 1
        return np.stack(columns, axis=1) if same else np.array(columns, dtype=object).T

    def get_state(self) -> dict[str, np.ndarray]:
        if not self.fitted:
            return {}
        state = {f"categories/{j}": c for j, c in enumerate(self.categories_)}
        return {**state, "input_1d": np.array(self._input_1d)}

    def set_state(self, arrays: dict) -> None:
        count = sum(1 for name in arrays if name.startswith("categories/"))
        names = [f"categories/{j}" for j in range(count)]
        if count == 0 or any(name not in arrays for name in names):
            raise ValueError(f"OneHotEncoder.set_state: expected categories/0 … categories/k-1; "
                             f"received {sorted(arrays)}")  # fmt: skip
        categories = [np.array(arrays[name]) for name in names]
        if any(c.ndim != 1 or c.dtype.kind not in "iuU" for c in categories):
            raise ValueError("OneHotEncoder.set_state: categories must be 1-D arrays of "
                             "integers or strings")  # fmt: skip
        self.categories_ = categories
        self._input_1d = bool(arrays.get("input_1d", False))


# -- splits -------------------------------------------------------------------


def _check_fractions(**fractions) -> None:
    for name, value in fractions.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            0.0 <= value < 1.0
        ):
            raise ValueError(f"{name} must be a fraction in [0, 1); received {name}={value!r}")
    if sum(fractions.values()) >= 1.0:
        listed = " + ".join(f"{name}={value}" for name, value in fractions.items())
        raise ValueError(f"the held-out fractions must leave training samples: {listed} >= 1")


def _num_samples(x, y) -> int:
    lengths = {}
    for name, leaf in _named_leaves(x, "x") + _named_leaves(y, "y"):
        if not np.shape(leaf):
            raise ValueError(f"{name} must be an array of samples; received a scalar")
        lengths[name] = len(leaf)
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise ValueError(f"x and y must have the same number of samples; received {listed}")
    return next(iter(lengths.values()))


def _strata(y, n: int) -> np.ndarray:
    """A class id per sample: labels, or the argmax of one-hot rows."""
    if not isinstance(y, np.ndarray):
        raise ValueError("stratify=True needs y as one array of labels (or one-hot rows); "
                         "pass stratify=False for several outputs")  # fmt: skip
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"stratify=True needs one label per sample; y has shape {y.shape}")
    try:
        labels = _labels(y, "train_val_test_split")
    except (ValueError, TypeError) as error:
        raise ValueError(f"{error}. stratify=True needs class labels; pass stratify=False for "
                         "regression targets") from None  # fmt: skip
    return np.unique(labels, return_inverse=True)[1].reshape(n)


def _half_up(value: float) -> int:
    return math.floor(round(value, 9) + 0.5)


def _augment(c: int, alloc, base, remainder, room) -> bool:
    """Give class ``c`` one more rounded-up split, moving other classes along a chain of
    splits (an augmenting path, breadth first) until one with ``room`` takes the unit."""

    def open_splits(cls):  # splits where class ``cls`` may still round up
        return [s for s in range(alloc.shape[1])
                if remainder[cls, s] > 0 and alloc[cls, s] == base[cls, s]]  # fmt: skip

    parent = {s: (None, c) for s in open_splits(c)}
    queue = list(parent)
    while queue:
        s = queue.pop(0)
        if room[s] > 0:
            room[s] -= 1
            while s is not None:  # class ``cls`` leaves ``prev`` and enters ``s``
                prev, cls = parent[s]
                alloc[cls, s] += 1
                if prev is not None:
                    alloc[cls, prev] -= 1
                s = prev
            return True
        for other in np.flatnonzero(alloc[:, s] > base[:, s]):
            for s2 in open_splits(other):
                if s2 not in parent:
                    parent[s2] = (s, other)
                    queue.append(s2)
    return False


def _allocate(counts: np.ndarray, fractions: list[float], wanted: list[int]) -> np.ndarray:
    """Samples of each class (rows) per split (columns), by largest remainder.

    Every entry is the floor or the ceiling of ``count · fraction`` (so within
    one sample of it), every row sums to its class count, and the column sums
    are ``wanted`` — moved by the fewest samples needed when that is impossible.
    """
    ideal = np.round(np.outer(counts, fractions), 9)
    base = np.floor(ideal).astype(np.int64)
    remainder = ideal - base
    low, high = base.sum(axis=0), np.ceil(ideal).astype(np.int64).sum(axis=0)
    totals = np.clip(wanted, low, high)
    excess = totals - ideal.sum(axis=0)
    while totals.sum() != counts.sum():  # a direction at a time: keep the targets in [low, high]
        step = 1 if totals.sum() < counts.sum() else -1
        movable = (totals < high) if step > 0 else (totals > low)
        s = int(np.argmax(np.where(movable, -step * excess, -np.inf)))
        totals[s] += step
        excess[s] += step
    alloc = base.copy()
    room = totals - base.sum(axis=0)
    need = counts - base.sum(axis=1)
    for flat in np.argsort(-remainder, axis=None, kind="stable"):
        c, s = np.unravel_index(flat, remainder.shape)
        if remainder[c, s] > 0 and need[c] > 0 and room[s] > 0:
            alloc[c, s] += 1
            need[c] -= 1
            room[s] -= 1
    for c in np.flatnonzero(need):
        for _ in range(need[c]):
            if not _augment(c, alloc, base, remainder, room):  # cannot happen; stay within ±1
                open_ = np.where((remainder[c] > 0) & (alloc[c] == base[c]), remainder[c], -1)
                alloc[c, int(np.argmax(open_))] += 1
    return alloc


def _split_indices(y, n: int, fractions: list[float], stratify: bool, shuffle: bool, seed):
    """One index array per split (train first), each in the shuffled (or original) order."""
    order = make_rng(seed).permutation(n) if shuffle else np.arange(n)
    strata = _strata(y, n) if stratify else np.zeros(n, dtype=np.int64)
    counts = np.bincount(strata)
    wanted = [_half_up(n * f) for f in fractions[1:]]
    alloc = _allocate(counts, fractions, [n - sum(wanted), *wanted])
    by_class = order[np.argsort(strata[order], kind="stable")]  # classes, each in `order` order
    cls = strata[by_class]
    rank_in_class = np.arange(n) - np.concatenate([[0], np.cumsum(counts)[:-1]])[cls]
    bounds = np.cumsum(alloc, axis=1)[cls]  # per sample: where its class's splits end
    split_of = (rank_in_class[:, None] >= bounds[:, :-1]).sum(axis=1)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    parts = []
    for s in range(len(fractions)):
        members = by_class[split_of == s]
        parts.append(members[np.argsort(rank[members])])
    return parts


def _split(x, y, held_out: dict, stratify: bool, seed, shuffle: bool):
    _check_fractions(**held_out)
    _check_bool("train_val_test_split", "stratify", stratify)
    _check_bool("train_val_test_split", "shuffle", shuffle)
    x, y = _structure(x, "x"), _structure(y, "y")
    n = _num_samples(x, y)
    if n == 0:
        raise ValueError("cannot split an empty dataset (0 samples)")
    fractions = [1.0 - sum(held_out.values()), *held_out.values()]
    parts = _split_indices(y, n, fractions, stratify, shuffle, seed)

    def take(struct, index):
        return _map(struct, lambda leaf: np.asarray(leaf[index]))

    return tuple((take(x, index), take(y, index)) for index in parts)


def train_val_test_split(x, y, val: float = 0.15, test: float = 0.15, stratify: bool = True,
                         seed=None, shuffle: bool = True):  # fmt: skip
    """Split into train, validation and test sets (the course's 70 / 15 / 15).

    Sizes: ``round(n·val)`` and ``round(n·test)`` samples (rounded half up),
    the rest for training. With ``stratify`` each class is split on its own by
    largest remainder: its count in every split is the floor or the ceiling of
    ``fraction × class count`` (so within ±1 sample), and the totals above are
    kept whenever that allows (else moved by one sample).

    Args:
        x: inputs: an array, or a list / tuple / dict of arrays (multi-input).
        y: targets: integer or string labels, one-hot rows, or any array with
            ``stratify=False`` (regression).
        val: fraction for validation, in [0, 1); 0 gives empty val arrays.
            Defaults to 0.15.
        test: fraction for testing, in [0, 1). Defaults to 0.15.
        stratify: keep each class's share in every split (on the argmax for
            one-hot ``y``). Defaults to True.
        seed: an integer for a reproducible split; None draws from the
            generator seeded by :func:`treino.seed`. Defaults to None.
        shuffle: shuffle before splitting; False keeps the original order
            (train first, test last). Defaults to True.

    Returns:
        ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(40.0).reshape(20, 2)
        >>> y = np.array([0] * 10 + [1] * 10)
        >>> (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = train_val_test_split(x, y, seed=0)
        >>> len(y_tr), len(y_va), len(y_te)
        (14, 3, 3)
        >>> np.bincount(y_tr).tolist()   # 7 of each class: 70 % of 10
        [7, 7]
    """
    return _split(x, y, {"val": val, "test": test}, stratify, seed, shuffle)


def train_test_split(x, y, test: float = 0.2, stratify: bool = True, seed=None,
                     shuffle: bool = True):  # fmt: skip
    """Split into train and test sets; see :func:`train_val_test_split`.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``.
    """
    return _split(x, y, {"test": test}, stratify, seed, shuffle)
