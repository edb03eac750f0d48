"""Models: Sequential, the functional ``Model(inputs, outputs)``, subclassed models — and saving.

>>> import numpy as np
>>> import treino
>>> from treino.models import Sequential
>>> from treino.layers import Dense
>>> treino.seed(0)
>>> model = Sequential([Dense(8, activation="tanh", input_shape=(2,)),
...                     Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
>>> history = model.fit(x, np.array([0, 1, 1, 0]), epochs=3, batch_size=None, verbose=0)
>>> sorted(history.history)
['accuracy', 'learning_rate', 'loss']
"""

from treino.models.functional import Functional
from treino.models.model import Model
from treino.models.saving import load_model, save_model
from treino.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "load_model", "save_model"]
