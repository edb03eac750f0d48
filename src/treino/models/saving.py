"""Saving and loading models: one zip file, JSON and ``.npz`` inside, never pickle.

A model file (``model.save("modelo.treino")``) is a zip archive holding

* ``config.json`` — the architecture (each layer's ``get_config``), the
  arguments of ``compile`` and the input shape the model was built for;
* ``model.weights.npz`` — the weights, in ``model.weights`` order;
* ``optimizer.npz`` — the optimizer's state (moments, step counts), so
  training continues exactly where it stopped.

Reading uses ``json`` and ``numpy.load(allow_pickle=False)`` only: a file
cannot make treino execute code. Writing goes to a temporary file that is
renamed over the target at the end, so an interrupted save never leaves a
half-written model behind.
"""

from __future__ import annotations

import io as _io
import json
import os
import zipfile

import numpy as np

from treino import __version__
from treino import io as treino_io
from treino import layers as layers_module
from treino import losses as losses_module
from treino import metrics as metrics_module
from treino import optimizers as optimizers_module

FORMAT = "treino.model"
FORMAT_VERSION = 1
CONFIG, WEIGHTS, OPTIMIZER = "config.json", "model.weights.npz", "optimizer.npz"


# ------------------------------------------------------------------ helpers
def _npz_bytes(arrays: dict) -> bytes:
    treino_io.check_no_objects(arrays, "save")
    buffer = _io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _read_npz(data: bytes, source: str) -> dict:
    return treino_io.read_npz(_io.BytesIO(data), source)


def _check_overwrite(path, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' exists; pass overwrite=True to replace it")


def weight_arrays(model) -> dict:
    """The weights as named arrays: ``"0"``, ``"1"``, … plus their paths (as JSON text)."""
    weights = model.weights
    arrays = {str(i): np.array(w.data, order="C") for i, w in enumerate(weights)}
    arrays["paths"] = np.array(json.dumps([w.path for w in weights]))
    return arrays


def set_weight_arrays(model, arrays: dict, source: str) -> None:
    """Load :func:`weight_arrays`'s output into ``model`` (by order; shapes checked first)."""
    try:
        paths = json.loads(str(arrays["paths"]))
        values = [arrays[str(i)] for i in range(len(paths))]
    except (KeyError, ValueError):
        raise ValueError(f"{source} does not hold treino weights") from None
    own = model.weights
    if len(values) != len(own):
        raise ValueError(
            f"{source} holds {len(values)} weights ({paths}); model '{model.name}' has "
            f"{len(own)} ({[w.path for w in own]}). Build the same architecture first."
        )
    for w, value, saved_path in zip(own, values, paths, strict=True):
        if value.shape != w.shape:
            raise ValueError(
                f"{source}: weight '{saved_path}' has shape {value.shape}, but the model's "
                f"'{w.path}' has shape {w.shape}"
            )
    model.set_weights(values)


# --------------------------------------------------------------------- weights
def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Write ``model``'s weights to an ``.npz`` file, atomically."""
    _check_overwrite(filepath, overwrite)
    if not model.built:
        raise ValueError(f"Model '{model.name}' has no weights yet: build or fit it first")
    treino_io.save_npz(filepath, weight_arrays(model))


def load_weights(model, filepath) -> None:
    """Read weights written by :func:`save_weights` or inside a model file."""
    filepath = os.fspath(filepath)
    members = _read_model_members(filepath) if _is_model_file(filepath) else None
    if members is not None:
        arrays = _read_npz(members[WEIGHTS], f"'{filepath}'")
        _ensure_built(model, json.loads(members[CONFIG]).get("build_input_shape"))
    else:
        arrays = treino_io.load_npz(filepath)
    set_weight_arrays(model, arrays, f"'{filepath}'")


def _ensure_built(model, input_shape) -> None:
    if not model.built and input_shape is not None:
        model.build(input_shape)


# ----------------------------------------------------------------------- model
def compile_config(model) -> dict | None:
    """The arguments of ``compile`` as JSON (None if the model was not compiled)."""
    if not model.compiled:
        return None
    args = model._compile_args

    def loss_entry(loss):
        if isinstance(loss, dict):
            return {k: loss_entry(v) for k, v in loss.items()}
        if isinstance(loss, list | tuple):
            return [loss_entry(v) for v in loss]
        return loss if loss is None or isinstance(loss, str) else losses_module.serialize(loss)

    def metric_entry(metric):
        if isinstance(metric, dict):
            return {k: metric_entry(v) for k, v in metric.items()}
        if isinstance(metric, list | tuple):
            return [metric_entry(v) for v in metric]
        return metric if isinstance(metric, str) else metrics_module.serialize(metric)

    return {
        "optimizer": optimizers_module.serialize(model.optimizer),
        "loss": loss_entry(args["loss"]),
        "loss_weights": args["loss_weights"],
        "metrics": None if args["metrics"] is None else metric_entry(args["metrics"]),
    }


def model_config(model) -> dict:
    """Everything but the arrays: format, architecture, compile arguments, input shape."""
    try:
        architecture = model.get_config()
    except NotImplementedError as error:
        raise NotImplementedError(f"Cannot save model '{model.name}': {error}") from None
    shape = model._build_input_shape
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "treino_version": __version__,
        "class_name": type(model).__name__,
        "config": architecture,
        "compile_config": compile_config(model),
        "build_input_shape": _jsonable_shape(shape),
    }


def _jsonable_shape(shape):
    if shape is None:
        return None
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        return [list(s) for s in shape]
    return list(shape)


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Write ``model`` to one file (see the module docstring)."""
    _check_overwrite(filepath, overwrite)
    config = json.dumps(model_config(model), indent=1)  # fails before anything is written
    members = {CONFIG: config.encode("utf-8")}
    if model.built:
        members[WEIGHTS] = _npz_bytes(weight_arrays(model))
    optimizer = model.optimizer
    if optimizer is not None and getattr(optimizer, "iterations", 0) > 0:
        members[OPTIMIZER] = _npz_bytes(optimizer.state_arrays())

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)

    treino_io.atomic_write(filepath, write)


def _is_model_file(filepath: str) -> bool:
    try:
        with zipfile.ZipFile(filepath) as archive:
            return CONFIG in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _read_model_members(filepath: str) -> dict:
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: '{filepath}'")
    with open(filepath, "rb") as f:
        head = f.read(4)
    if head != treino_io.ZIP_MAGIC:
        raise ValueError(
            f"'{filepath}' is not a treino model file (it is not a zip archive; "
            "model.save writes a zip of config.json and .npz arrays)"
        )
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = archive.namelist()
            if CONFIG not in names:
                raise ValueError(f"'{filepath}' is a zip archive but not a treino model file "
                                 f"(no {CONFIG}; it holds {names[:5]})")  # fmt: skip
            return {n: archive.read(n) for n in (CONFIG, WEIGHTS, OPTIMIZER) if n in names}
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"'{filepath}' is corrupt or truncated ({error})") from None


def deserialize_layer(entry: dict, custom_objects: dict | None = None):
    """A layer (or nested model) from ``{"class_name", "config"}``; no code is run from the file.

    The class is looked up by name among treino's layers and models and the
    ``custom_objects`` the caller passes — never imported from the file.
    """
    from treino import models as models_module

    name = entry.get("class_name")
    config = dict(entry.get("config") or {})
    custom = dict(custom_objects or {})
    if name in custom:
        cls = custom[name]
    elif name in ("Sequential", "Functional", "Model"):
        cls = {"Sequential": models_module.Sequential,
               "Functional": models_module.Functional,
               "Model": models_module.Functional}[name]  # fmt: skip
    else:
        try:
            cls = layers_module.get(name)
        except ValueError:
            raise ValueError(
                f"Unknown layer or model class '{name}'. If it is your own class, pass it: "
                f"load_model(path, custom_objects={{'{name}': {name}}})"
            ) from None
    if hasattr(cls, "from_config") and "custom_objects" in _parameters(cls.from_config):
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def _parameters(fn) -> list[str]:
    import inspect

    return list(inspect.signature(fn).parameters)


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True):  # noqa: A002
    """Read a model written by ``model.save``: architecture, weights, compile state, optimizer.

    Args:
        filepath: the file.
        custom_objects: ``{"ClassName": cls}`` for your own layers or models.
        compile: restore the optimizer (and its state), loss and metrics. Defaults to True.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a treino model, is truncated or corrupt, or holds
            pickled data (never loaded).
    """
    filepath = os.fspath(filepath)
    members = _read_model_members(filepath)
    source = f"'{filepath}'"
    try:
        config = json.loads(members[CONFIG].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{source}: config.json is not valid JSON ({error})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{source} is not a treino model file (format marker missing)")
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"{source} was written by a newer treino "
                         f"({config.get('treino_version')}); upgrade treino")  # fmt: skip
    weights = _read_npz(members[WEIGHTS], source) if WEIGHTS in members else None
    optimizer_state = _read_npz(members[OPTIMIZER], source) if OPTIMIZER in members else None
    model = deserialize_layer({"class_name": config["class_name"], "config": config["config"]},
                              custom_objects)  # fmt: skip
    _ensure_built(model, config.get("build_input_shape"))
    if weights is not None:
        set_weight_arrays(model, weights, source)
    compiled = config.get("compile_config")
    if compile and compiled:
        model.compile(
            optimizer=optimizers_module.deserialize(compiled["optimizer"], custom_objects),
            loss=_deserialize_losses(compiled["loss"], custom_objects),
            loss_weights=compiled["loss_weights"],
            metrics=_deserialize_metrics(compiled["metrics"]),
        )
        if optimizer_state is not None:
            model.optimizer.load_state_arrays(optimizer_state, variables=model.trainable_weights,
                                              source=source)  # fmt: skip
    return model


def _deserialize_losses(entry, custom_objects):
    if isinstance(entry, dict) and "class_name" not in entry:
        return {k: _deserialize_losses(v, custom_objects) for k, v in entry.items()}
    if isinstance(entry, list):
        return [_deserialize_losses(v, custom_objects) for v in entry]
    if entry is None or isinstance(entry, str):
        return entry
    return losses_module.deserialize(entry, custom_objects)


def _deserialize_metrics(entry):
    if isinstance(entry, dict) and "class_name" not in entry:
        return {k: _deserialize_metrics(v) for k, v in entry.items()}
    if isinstance(entry, list):
        return [_deserialize_metrics(v) for v in entry]
    if entry is None or isinstance(entry, str):
        return entry
    return metrics_module.deserialize(entry)
