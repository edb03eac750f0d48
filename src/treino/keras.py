"""Keras's namespace, served by treino: port Keras code by changing only the import.

``import tensorflow as tf`` → ``import treino as tf`` makes ``tf.keras.layers.Dense``,
``tf.keras.callbacks.LearningRateScheduler`` and ``tf.math.exp`` resolve to
treino's own classes and ops (``treino.math`` is :mod:`treino.ops`); and
``from tensorflow import keras`` → ``from treino import keras``:

>>> from treino import keras
>>> model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
>>> model.count_params()
8

``keras.utils`` holds the two helpers the course's Keras code calls:

>>> keras.utils.to_categorical([0, 2], num_classes=3)
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""

from types import SimpleNamespace

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
from treino.backend import clear_session, seed
from treino.layers import Input
from treino.models import Model, Sequential

#: ``keras.utils``: ``set_random_seed(n)`` is :func:`treino.seed` (one generator for
#: initialisation, dropout and shuffling); ``to_categorical`` is treino.preprocessing's;
#: ``clear_session`` restarts the layer names (:func:`treino.backend.clear_session`).
utils = SimpleNamespace(set_random_seed=seed, to_categorical=preprocessing.to_categorical,
                        clear_session=clear_session)

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
    "utils",
]
