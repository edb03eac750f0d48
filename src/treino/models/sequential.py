"""``Sequential``: a plain stack of layers, each feeding the next — the course's first model.

The course's MLP for Fashion-MNIST, written as in Keras:

>>> from treino.models import Sequential
>>> from treino.layers import Dense, Dropout
>>> modelo = Sequential([
...     Dense(128, activation="relu", input_shape=(784,)),
...     Dropout(0.2),
...     Dense(64, activation="relu"),
...     Dropout(0.2),
...     Dense(10, activation="softmax"),
... ])
>>> modelo.count_params()    # 784·128+128 + 128·64+64 + 64·10+10
109386
"""

from __future__ import annotations

from treino import layers as layers_module
from treino.layers.base import InputLayer, KerasTensor, Layer
from treino.models.model import Model
from treino.variables import Structure


class Sequential(Model):
    """A linear stack of layers: ``y = fₙ(… f₂(f₁(x)))``.

    Args:
        layers: the layers, first to last (``Input(shape)`` or an
            ``InputLayer`` may come first). More can be appended with :meth:`add`.
        name: the model's name.

    The model is built as soon as the input shape is known — from an
    ``Input``, or ``input_shape=`` / ``input_dim=`` on the first layer — so
    :meth:`summary` works before training; otherwise on the first batch.
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._input_layer: InputLayer | None = None
        self._stack: list[Layer] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input``) to the top of the stack."""
        if isinstance(layer, KerasTensor):  # Sequential([Input(shape=...), ...])
            layer = layer.history[0]
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a layer; received {layer!r} of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("Sequential: an Input can only be the first layer")
            self._input_layer = layer
        else:
            if any(existing is layer for existing in self._stack):
                raise ValueError(f"Sequential: layer '{layer.name}' is already in the model")
            if not self._stack and self._input_layer is None and layer.batch_input_shape:
                self._input_layer = InputLayer(batch_shape=layer.batch_input_shape,
                                               dtype=layer.dtype)  # fmt: skip
            self._stack.append(layer)
            self._sublayers.append(layer)
            Structure.changed()
        self._build_if_shape_known()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("Sequential.pop: the model has no layers")
        layer = self._stack.pop()
        self._sublayers.remove(layer)
        Structure.changed()
        return layer

    @property
    def layers(self) -> list:
        """The layers of the stack (without the input layer, as Keras)."""
        return list(self._stack)

    @property
    def inputs(self) -> list:
        """``[the Input tensor]`` once the input shape is known (as a functional model's)."""
        return [] if self._input_layer is None else [self._input_layer.output]

    @property
    def outputs(self) -> list:
        """``[the last layer's symbolic output]`` once the model is built."""
        if self._input_layer is None or not self._stack:
            return []
        return [self._stack[-1].output]

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self):
        return self._symbolic_output().shape if self._input_layer is not None else None

    def _symbolic_output(self):
        x = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
        return x

    def _build_if_shape_known(self) -> None:
        if self._input_layer is not None and self._stack:
            self._symbolic_output()  # builds every layer from the known shapes
            self.built = True

    def build(self, input_shape) -> None:
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=(None, *tuple(input_shape)[1:]))
        self._build_if_shape_known()
        self.built = True

    def call(self, inputs, training=None):
        if self._input_layer is not None:
            inputs = self._input_layer(inputs)  # checks the shape with a clear message
        for layer in self._stack:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self) -> dict:
        entries = [layers_module.serialize(layer) for layer in self._stack]
        if self._input_layer is not None:
            entries.insert(0, layers_module.serialize(self._input_layer))
        return {"name": self.name, "trainable": self.trainable, "layers": entries}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        from treino.models.saving import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            model.add(deserialize_layer(entry, custom_objects))
        return model
