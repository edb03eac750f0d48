"""Keras's namespace, served by treino: port Keras code by changing only the import.

``import tensorflow as tf`` → ``import treino as tf`` makes ``tf.keras.layers.Dense``,
``tf.keras.callbacks.LearningRateScheduler`` and ``tf.math.exp`` resolve to
treino's own classes and ops (``treino.math`` is :mod:`treino.ops`); and
``from tensorflow import keras`` → ``from treino import keras``:

>>> from treino import keras
>>> model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
>>> model.count_params()
8
"""

from treino import (
    activations,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
)
from treino.layers import Input
from treino.models import Model, Sequential

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "callbacks",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
]
