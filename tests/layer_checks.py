"""Shared helpers of the layer test files: calling a layer, its gradient check, loading examples."""

import importlib.util
from pathlib import Path

import numpy as np

import treino

ROOT = Path(__file__).resolve().parents[1]


def call(layer, inputs, **kwargs):
    """Call ``layer`` on one array or on a list of arrays (merge layers)."""
    return layer(list(inputs) if isinstance(inputs, list) else inputs, **kwargs)


def check_layer_gradients(layer, inputs, reseed=None, **call_kwargs):
    """gradcheck ``layer(inputs)`` in float64 w.r.t. its float inputs and trainable weights.

    The layer's own variables go to :func:`treino.gradcheck` as extra inputs:
    gradcheck perturbs float64 tensors in place, so the layer computes with
    the perturbed weights, and ``backward()`` fills the variables' ``.grad``.
    Integer inputs (Embedding ids) are passed as constant tensors. ``reseed``
    reseeds treino before every call, so a random layer (Dropout, DropConnect,
    Shake-Shake) draws the same mask for every finite difference.
    """
    multi = isinstance(inputs, list)
    xs = [
        x if np.asarray(x).dtype.kind == "f" else treino.tensor(x)
        for x in (inputs if multi else [inputs])
    ]

    def fn(*tensors):
        if reseed is not None:
            treino.seed(reseed)
        args = list(tensors[: len(xs)])
        return layer(args if multi else args[0], **call_kwargs)

    fn(*[treino.tensor(x) if isinstance(x, np.ndarray) else x for x in xs])  # builds the layer
    weights = layer.trainable_weights
    assert all(w.dtype == np.float64 for w in weights)
    assert treino.gradcheck(fn, *xs, *weights)
    return weights


def load_example(name: str):
    """Import ``examples/<name>.py`` as a module (the examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
