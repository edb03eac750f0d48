"""Experiment configs: a TOML file that says everything a training run needs, checked key by key.

A config has seven sections; every key has a default, so an empty file (or
none at all) is the course's MLP on the embedded Fashion-MNIST sample::

    name = "mlp-curso"
    seed = 42

    [data]
    dataset = "fashion_mnist"   # fashion_mnist, mnist, xor, moons, circles, spirals, blobs,
                                # sine, linear, csv, npz
    sample = true               # the embedded sample (fashion_mnist only): no download
    scaling = "divide_255"      # none, divide_255, standard, minmax
    flatten = true              # images → vectors of 784 for an MLP
    validation_split = 0.2      # the last 20% of the training set
    limit = 0                   # use only the first N training samples (0: all)

    [model]
    layers = [
      { type = "Dense", units = 128, activation = "relu" },
      { type = "Dropout", rate = 0.2 },
      { type = "Dense", units = 64, activation = "relu" },
      { type = "Dropout", rate = 0.2 },
      { type = "Dense", units = 10, activation = "softmax" },
    ]

    [compile]
    optimizer = "adam"          # sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw …
    learning_rate = 1e-3
    loss = "sparse_categorical_crossentropy"
    metrics = ["accuracy"]

    [fit]
    epochs = 8
    batch_size = 32
    mode = "minibatch"          # minibatch, batch (one update per epoch), sgd (batch_size = 1)

    [schedule]                  # optional: a learning-rate schedule (treino.optimizers.schedules)
    type = "CosineDecay"
    decay_steps = 1000

    [callbacks]
    doctor = true               # the training doctor's report at the end
    early_stopping = { monitor = "val_loss", patience = 3, restore_best_weights = true }

:func:`load_config` reads a file, applies ``--set`` overrides (``fit.epochs=3``),
fills the defaults and checks every key and type: a mistake raises
:class:`ConfigError` with one line naming the key. :func:`build_model`,
:func:`load_dataset` and :func:`train` turn a config into a trained model.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

OPTIMIZERS = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adadelta": ("Adadelta", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
    "adamax": ("Adamax", {}),
    "nadam": ("Nadam", {}),
}
"""The optimizer names a config accepts: the course's, momentum and Nesterov as SGD variants."""

DATASETS = ("fashion_mnist", "mnist", "xor", "moons", "circles", "spirals", "blobs", "sine",
            "linear", "csv", "npz")  # fmt: skip
SCALINGS = ("none", "divide_255", "standard", "minmax")
MODES = ("minibatch", "batch", "sgd")

DEFAULTS: dict = {
    "name": "mlp-curso",
    "seed": 42,
    "data": {
        "dataset": "fashion_mnist", "sample": True, "scaling": "divide_255", "flatten": True,
        "validation_split": 0.2, "test_split": 0.2, "limit": 0, "n_samples": 400,
        "noise": 0.1, "path": "", "target": "", "x_key": "x", "y_key": "y",
    },
    "model": {
        "layers": [
            {"type": "Dense", "units": 128, "activation": "relu"},
            {"type": "Dropout", "rate": 0.2},
            {"type": "Dense", "units": 64, "activation": "relu"},
            {"type": "Dropout", "rate": 0.2},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ],
    },
    "compile": {
        "optimizer": "adam", "learning_rate": 1e-3, "optimizer_args": {},
        "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
    },
    "schedule": {},
    "fit": {"epochs": 8, "batch_size": 32, "mode": "minibatch", "shuffle": True},
    "callbacks": {
        "doctor": True, "gradient_monitor": False, "early_stopping": {}, "reduce_lr": {},
        "tensorboard": False,
    },
}  # fmt: skip
"""Every key a config may hold, with its default: the course's MLP on the Fashion-MNIST sample."""

_NUMBER = (int, float)
TYPES: dict = {
    "name": str, "seed": int,
    "data.dataset": str, "data.sample": bool, "data.scaling": str, "data.flatten": bool,
    "data.validation_split": _NUMBER, "data.test_split": _NUMBER, "data.limit": int,
    "data.n_samples": int, "data.noise": _NUMBER, "data.path": str, "data.target": str,
    "data.x_key": str, "data.y_key": str,
    "model.layers": list,
    "compile.optimizer": str, "compile.learning_rate": _NUMBER, "compile.optimizer_args": dict,
    "compile.loss": str, "compile.metrics": list,
    "schedule": dict,
    "fit.epochs": int, "fit.batch_size": int, "fit.mode": str, "fit.shuffle": bool,
    "callbacks.doctor": bool, "callbacks.gradient_monitor": bool,
    "callbacks.early_stopping": dict, "callbacks.reduce_lr": dict,
    "callbacks.tensorboard": bool,
}  # fmt: skip
"""The type of each key (dotted path); ``schedule`` and the callback tables are free-form."""


class ConfigError(ValueError):
    """A config that cannot be used: ``key`` names where, the message says what was expected.

    >>> str(ConfigError("fit.epochs", "expected an integer >= 1, received 0"))
    "config key 'fit.epochs': expected an integer >= 1, received 0"
    """

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(f"config key '{key}': {message}")


# ----------------------------------------------------------------- reading
def read_toml(path) -> dict:
    """The TOML file at ``path`` as a dict; a missing or malformed file is a ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file", f"no config file at {str(path)!r}") from None
    except OSError as error:
        raise ConfigError("file", f"cannot read {str(path)!r}: {error.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("file", f"{path.name} is not valid TOML: {error}") from None


def parse_override(text: str) -> tuple[str, object]:
    """``"fit.epochs=3"`` → ``("fit.epochs", 3)``: the value is read as TOML, else as a string.

    >>> parse_override("compile.learning_rate=1e-2"), parse_override("data.dataset=moons")
    (('compile.learning_rate', 0.01), ('data.dataset', 'moons'))
    >>> parse_override("compile.metrics=['accuracy', 'auc']")
    ('compile.metrics', ['accuracy', 'auc'])
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(text, "an override must read key=value, e.g. fit.epochs=3")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def set_key(config: dict, key: str, value) -> dict:
    """A copy of ``config`` with the dotted ``key`` set to ``value`` (the sections are created)."""
    config = copy.deepcopy(config)
    parts = key.split(".")
    node = config
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(key, f"'{part}' is not a section")
        node = child
    node[parts[-1]] = value
    return config


def load_config(path=None, overrides=()) -> dict:
    """Read ``path`` (None: the defaults only), apply ``key=value`` overrides, fill and check.

    Returns:
        The fully resolved config: every key present, every value checked.

    >>> config = load_config(overrides=["fit.epochs=2", "data.dataset='moons'"])
    >>> config["fit"]["epochs"], config["data"]["dataset"], config["compile"]["optimizer"]
    (2, 'moons', 'adam')
    """
    given = read_toml(path) if path is not None else {}
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        given = set_key(given, key, value)
    return resolve(given)


def resolve(given: dict) -> dict:
    """Defaults filled in and every key checked (unknown keys are errors, with a suggestion)."""
    if not isinstance(given, dict):
        raise ConfigError("config", f"expected a table, received {type(given).__name__}")
    config = copy.deepcopy(DEFAULTS)
    _merge(config, given, prefix="")
    _check(config)
    return config


def _merge(base: dict, given: dict, prefix: str) -> None:
    for key, value in given.items():
        path = f"{prefix}{key}"
        if path in ("schedule", "compile.optimizer_args") or path.startswith("callbacks.") \
                and isinstance(value, dict):  # fmt: skip
            base[key] = value
            continue
        if key not in base:
            known = [f"{prefix}{k}" for k in base]
            close = difflib.get_close_matches(path, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known keys: {known}"
            raise ConfigError(path, f"unknown key{hint}")
        if isinstance(base[key], dict) and path not in TYPES:
            if not isinstance(value, dict):
                raise ConfigError(path, f"expected a table, received {value!r}")
            _merge(base[key], value, prefix=f"{path}.")
        else:
            base[key] = value


def _check(config: dict) -> None:
    for key, kind in TYPES.items():
        value = _get(config, key)
        ok = isinstance(value, kind) and not (kind in (int, _NUMBER) and isinstance(value, bool))
        if kind is _NUMBER and isinstance(value, bool):
            ok = False
        if not ok:
            expected = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
                        dict: "a table"}.get(kind, "a number")  # fmt: skip
            raise ConfigError(key, f"expected {expected}, received {value!r}")
    data, fit, compiled = config["data"], config["fit"], config["compile"]
    _choice("data.dataset", data["dataset"], DATASETS)
    _choice("data.scaling", data["scaling"], SCALINGS)
    _choice("fit.mode", fit["mode"], MODES)
    _choice("compile.optimizer", compiled["optimizer"].lower(), tuple(OPTIMIZERS))
    for key, value in (("data.validation_split", data["validation_split"]),
                       ("data.test_split", data["test_split"])):  # fmt: skip
        if not 0 <= value < 1:
            raise ConfigError(key, f"expected a fraction in [0, 1), received {value!r}")
    for key, value, low in (("fit.epochs", fit["epochs"], 1), ("fit.batch_size",
                            fit["batch_size"], 1), ("data.limit", data["limit"], 0),
                            ("data.n_samples", data["n_samples"], 2)):  # fmt: skip
        if value < low:
            raise ConfigError(key, f"expected an integer >= {low}, received {value!r}")
    if not (compiled["learning_rate"] > 0 and math.isfinite(compiled["learning_rate"])):
        raise ConfigError("compile.learning_rate",
                          f"expected a positive number, received {compiled['learning_rate']!r}")
    if data["dataset"] in ("csv", "npz") and not data["path"]:
        raise ConfigError("data.path", f"dataset '{data['dataset']}' needs the file's path")
    if data["dataset"] == "csv" and not data["target"]:
        raise ConfigError("data.target", "a csv dataset needs the target column's name")
    if not config["model"]["layers"]:
        raise ConfigError("model.layers", "expected at least one layer")
    for index, layer in enumerate(config["model"]["layers"]):
        if not isinstance(layer, dict) or not isinstance(layer.get("type"), str):
            raise ConfigError(f"model.layers[{index}]",
                              f"expected a table with a 'type', received {layer!r}")


def _choice(key: str, value, choices) -> None:
    if value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(key, f"unknown value {value!r}{hint}; expected one of {list(choices)}")


def _get(config: dict, key: str):
    node = config
    for part in key.split("."):
        node = node[part]
    return node


# -------------------------------------------------------------------- data
@dataclass
class Data:
    """The arrays of a run, split, with where they came from and their SHA-256."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    source: str = ""
    files: dict = field(default_factory=dict)
    scaler: object = None  # the fitted StandardScaler / MinMaxScaler, for new inputs

    def sha256(self) -> str:
        """One digest of every array (shape, dtype and bytes): the data a run saw."""
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test):
            if array is not None:
                array = np.ascontiguousarray(array)
                digest.update(f"{array.shape}{array.dtype}".encode())
                digest.update(array.tobytes())
        return digest.hexdigest()


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_dataset(config: dict) -> Data:
    """The config's data: loaded, scaled, limited, and split into train / validation / test.

    Fashion-MNIST and MNIST keep their own test set; the toy sets, CSV and NPZ
    files hold out ``test_split`` of the samples (stratified for labels) as the
    test set. Scaling statistics (standard, minmax) come from the training
    samples only. The validation set is the last ``validation_split`` of the
    training samples, as ``fit(validation_split=…)`` does.
    """
    from treino import datasets, preprocessing

    data = config["data"]
    name = data["dataset"]
    files: dict = {}
    if name == "mnist" and data["sample"]:
        raise ConfigError("data.sample", "mnist has no embedded sample (fashion_mnist has one); "
                                         "set data.sample=false to read the MNIST files "
                                         "(local, cached or downloaded)")  # fmt: skip
    if name in ("fashion_mnist", "mnist"):
        module = getattr(datasets, name)
        (x, y), (x_test, y_test) = (module.load_data(sample=True) if data["sample"]
                                    else module.load_data())  # fmt: skip
        source = f"{name}{' (sample)' if data['sample'] else ''}"
    else:
        if name == "csv":
            table = _load_file(datasets.load_csv, data["path"], target=data["target"])
            x, y = table.x_numeric, table.y
            files[data["path"]] = file_sha256(data["path"])
        elif name == "npz":
            x, y = _load_npz(data)
            files[data["path"]] = file_sha256(data["path"])
        else:
            maker = getattr(datasets.toy, name)
            x, y = maker(n_samples=data["n_samples"], noise=data["noise"], seed=config["seed"])
        source = name if name not in ("csv", "npz") else f"{name}: {data['path']}"
        stratify = y is not None and np.asarray(y).dtype.kind in "iu"
        (x, y), (x_test, y_test) = preprocessing.train_test_split(
            x, y, test=data["test_split"], stratify=stratify, seed=config["seed"])
    if data["limit"]:
        x, y = x[: data["limit"]], y[: data["limit"]]
    x_val = y_val = None
    if data["validation_split"]:
        cut = len(x) - int(round(len(x) * data["validation_split"]))
        x, x_val, y, y_val = x[:cut], x[cut:], y[:cut], y[cut:]
    # the scaler learns from the training samples only: validation and test stay unseen
    scaler, (x, x_val, x_test) = _scale(data["scaling"], x, x_val, x_test)
    if data["flatten"] and x.ndim > 2:
        x, x_val, x_test = (None if a is None else a.reshape(len(a), -1)
                            for a in (x, x_val, x_test))  # fmt: skip
    return Data(x, y, x_val, y_val, x_test, y_test, source=source, files=files, scaler=scaler)


def _load_file(reader, path, **kwargs):
    try:
        return reader(path, **kwargs)
    except FileNotFoundError:
        raise ConfigError("data.path", f"no data file at {str(path)!r}") from None
    except (ValueError, KeyError) as error:
        raise ConfigError("data.path", f"cannot read {str(path)!r}: {error}") from None


def _load_npz(data: dict):
    from treino.io import load_npz

    arrays = _load_file(load_npz, data["path"])
    for key in ("x_key", "y_key"):
        if data[key] not in arrays:
            raise ConfigError(f"data.{key}", f"{data['path']} has no array {data[key]!r}; "
                                             f"it holds {sorted(arrays)}")  # fmt: skip
    return arrays[data["x_key"]], arrays[data["y_key"]]


def _scale(scaling: str, x, *others):
    """(scaler or None, [x, *others] scaled): the scaler is fitted on ``x`` alone.

    ``others`` (validation, test) are transformed with ``x``'s statistics;
    None entries stay None.
    """
    from treino import preprocessing

    arrays = [None if a is None else np.asarray(a, dtype="float32") for a in (x, *others)]
    if scaling == "divide_255":
        return None, [None if a is None else a / 255.0 for a in arrays]
    if scaling in ("standard", "minmax"):
        scaler = (preprocessing.StandardScaler() if scaling == "standard"
                  else preprocessing.MinMaxScaler())  # fmt: skip
        scaler.fit(arrays[0].reshape(len(arrays[0]), -1))
        return scaler, [None if a is None else
                        scaler.transform(a.reshape(len(a), -1)).reshape(a.shape).astype("float32")
                        for a in arrays]  # fmt: skip
    return None, arrays


def scale_inputs(config: dict, x, scaler=None) -> np.ndarray:
    """New inputs prepared as the run's training inputs were (scaling, then flattening)."""
    x = np.asarray(x, dtype="float32")
    scaling = config["data"]["scaling"]
    if scaling == "divide_255":
        x = x / 255.0
    elif scaling in ("standard", "minmax"):
        if scaler is None:
            raise ValueError(f"inputs scaled with '{scaling}' need the run's fitted scaler")
        x = scaler.transform(x.reshape(len(x), -1)).reshape(x.shape).astype("float32")
    if config["data"]["flatten"] and x.ndim > 2:
        x = x.reshape(len(x), -1)
    return x


# ------------------------------------------------------------------- model
def make_optimizer(name: str, learning_rate, **args):
    """An optimizer from a course name: ``make_optimizer("nesterov", 0.01)`` = SGD(0.01, 0.9, True).

    >>> make_optimizer("momentum", 0.05).get_config()["momentum"]
    0.9
    """
    from treino import optimizers

    key = name.lower()
    if key not in OPTIMIZERS:
        _choice("compile.optimizer", key, tuple(OPTIMIZERS))
    class_name, preset = OPTIMIZERS[key]
    try:
        return getattr(optimizers, class_name)(learning_rate=learning_rate, **{**preset, **args})
    except (TypeError, ValueError) as error:
        raise ConfigError("compile.optimizer_args", str(error)) from None


def _schedule(config: dict, learning_rate: float):
    from treino.optimizers import schedules

    spec = dict(config["schedule"])
    if not spec:
        return learning_rate
    kind = spec.pop("type", None)
    cls = getattr(schedules, str(kind), None)
    if not isinstance(cls, type) or not issubclass(cls, schedules.LearningRateSchedule):
        known = sorted(n for n in dir(schedules) if isinstance(getattr(schedules, n), type)
                       and issubclass(getattr(schedules, n), schedules.LearningRateSchedule)
                       and n != "LearningRateSchedule")  # fmt: skip
        raise ConfigError("schedule.type", f"unknown schedule {kind!r}; expected one of {known}")
    first = "boundaries" if kind == "PiecewiseConstantDecay" else "initial_learning_rate"
    if first == "initial_learning_rate":
        spec.setdefault(first, learning_rate)
    try:
        return cls(**spec)
    except (TypeError, ValueError) as error:
        raise ConfigError("schedule", str(error)) from None


def build_model(config: dict, input_shape: tuple):
    """The config's Sequential model, built for ``input_shape`` and compiled."""
    from treino import layers
    from treino.models import Sequential

    stack = [layers.Input(tuple(input_shape))]
    for index, spec in enumerate(config["model"]["layers"]):
        spec = dict(spec)
        kind = spec.pop("type")
        cls = getattr(layers, kind, None)
        if not isinstance(cls, type) or not issubclass(cls, layers.Layer):
            known = [n for n in layers.__all__ if isinstance(getattr(layers, n), type)]
            close = difflib.get_close_matches(kind, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"model.layers[{index}].type", f"unknown layer {kind!r}{hint}")
        try:
            stack.append(cls(**spec))
        except (TypeError, ValueError) as error:
            raise ConfigError(f"model.layers[{index}]", f"{kind}: {error}") from None
    try:
        model = Sequential(stack, name=config["name"].replace("-", "_"))
    except (TypeError, ValueError) as error:
        raise ConfigError("model.layers", str(error)) from None
    compiled = config["compile"]
    optimizer = make_optimizer(compiled["optimizer"], _schedule(config, compiled["learning_rate"]),
                               **compiled["optimizer_args"])  # fmt: skip
    try:
        model.compile(optimizer, loss=compiled["loss"], metrics=compiled["metrics"])
    except (TypeError, ValueError) as error:
        raise ConfigError("compile.loss", str(error)) from None
    return model


def build_callbacks(config: dict, run_dir=None) -> list:
    """The callbacks the config asks for (the doctor is added by :func:`train`)."""
    from treino import callbacks

    table = config["callbacks"]
    out = []
    for key, cls in (("early_stopping", callbacks.EarlyStopping),
                     ("reduce_lr", callbacks.ReduceLROnPlateau)):  # fmt: skip
        if table[key]:
            try:
                out.append(cls(**table[key]))
            except (TypeError, ValueError) as error:
                raise ConfigError(f"callbacks.{key}", str(error)) from None
    if table["gradient_monitor"] and not table["doctor"]:
        out.append(callbacks.GradientMonitor())
    if table["tensorboard"]:
        out.append(callbacks.TensorBoard(str(Path(run_dir or ".") / "tensorboard")))
    return out


# ------------------------------------------------------------------ train
@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: object
    history: dict
    test: dict
    seconds: float
    interrupted: bool
    data: Data
    report: object = None


def batch_size_of(config: dict, samples: int):
    """The batch size that ``fit.mode`` means: all samples, 1, or ``fit.batch_size``."""
    mode = config["fit"]["mode"]
    return None if mode == "batch" else 1 if mode == "sgd" else config["fit"]["batch_size"]


def train(config: dict, callbacks=(), verbose=2, data: Data | None = None,
          run_dir=None, strategy=None) -> TrainResult:
    """Train the config's model from its seed and evaluate it on the test set.

    Args:
        config: a resolved config (:func:`load_config`).
        callbacks: more callbacks (e.g. a tuner's pruning hook), run before the config's.
        verbose: ``fit``'s verbosity (0 silent, 1 progress bar, 2 a line per epoch).
        data: the loaded data, to reuse it across runs of one sweep.
        run_dir: the run folder, where callbacks that write files (TensorBoard) write.
        strategy: a :class:`treino.distributed.DataParallel` when this process is one
            rank of an MPI job (``fit.batch_size`` is then per rank).
    """
    import treino
    from treino.diagnostics import TrainingDoctor

    treino.seed(config["seed"])
    data = data if data is not None else load_dataset(config)
    treino.backend.clear_session()  # layer names dense, dense_1 … whatever was built before
    model = build_model(config, data.x_train.shape[1:])
    extra = list(callbacks) + build_callbacks(config, run_dir)
    doctor = None
    if config["callbacks"]["doctor"]:
        doctor = TrainingDoctor(verbose=0)
        extra.append(doctor)
    validation = (data.x_val, data.y_val) if data.x_val is not None else None
    start = time.perf_counter()
    history = model.fit(data.x_train, data.y_train, epochs=config["fit"]["epochs"],
                        batch_size=batch_size_of(config, len(data.x_train)),
                        shuffle=config["fit"]["shuffle"], validation_data=validation,
                        verbose=verbose, callbacks=extra, strategy=strategy)  # fmt: skip
    seconds = time.perf_counter() - start
    interrupted = bool(model._interrupted)
    test = {}
    if data.x_test is not None and len(data.x_test) and not model.diverged:
        test = model.evaluate(data.x_test, data.y_test, verbose=0, return_dict=True)
    return TrainResult(model=model, history=dict(history.history), test=test, seconds=seconds,
                       interrupted=interrupted, data=data,
                       report=doctor.report if doctor else None)  # fmt: skip
