"""Keras-shaped layers. Each builds its weights on first call and runs on treino ops.

Weight layouts follow Keras (Dense kernel ``(in, out)``; BatchNormalization
gamma, beta, moving_mean, moving_variance) so weights move between the two.
"""

from treino.layers.augmentation import (
    GaussianNoise,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from treino.layers.base import Input, InputLayer, InputSpec, KerasTensor, Layer
from treino.layers.convolutional import Conv1D, Conv2D
from treino.layers.core import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Masking,
    Reshape,
)
from treino.layers.merge import Add, Concatenate
from treino.layers.normalization import BatchNormalization, LayerNormalization
from treino.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from treino.layers.preprocessing import Normalization, Rescaling
from treino.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN
from treino.layers.regularization import (
    DropConnect,
    ShakeShake,
    SpatialDropout1D,
    SpatialDropout2D,
)

__all__ = [
    "MaxPooling2D",
    "MaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling1D",
    "AveragePooling2D",
    "AveragePooling1D",
    "Conv2D",
    "Conv1D",
    "SimpleRNN",
    "Bidirectional",
    "LSTM",
    "GRU",
    "SpatialDropout2D",
    "SpatialDropout1D",
    "ShakeShake",
    "DropConnect",
    "Activation",
    "Add",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianNoise",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "LayerNormalization",
    "Masking",
    "Normalization",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Reshape",
]


def get(identifier):
    """A layer class by name (``"Dense"``) or from a ``{"class_name", "config"}`` dict."""
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        cls = get(identifier["class_name"])
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = globals().get(identifier)
        if isinstance(cls, type) and issubclass(cls, Layer):
            return cls
        raise ValueError(f"Unknown layer {identifier!r}; known layers: {sorted(__all__)}")
    raise TypeError(f"Cannot interpret {identifier!r} as a layer")


def serialize(layer: Layer) -> dict:
    """``{"class_name": "Dense", "config": {...}}`` — JSON, no code."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict) -> Layer:
    """Rebuild a layer from :func:`serialize`'s output."""
    return get(config)
