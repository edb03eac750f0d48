"""``Model``: a trainable layer — the base of Sequential, functional and subclassed models.

There are three ways to make one, as in Keras:

* ``Sequential([...])`` — a stack of layers (:mod:`treino.models.sequential`);
* ``Model(inputs, outputs)`` — the functional API, a graph of layers wired on
  symbolic :func:`~treino.layers.Input` tensors (:mod:`treino.models.functional`);
* a subclass of ``Model`` that creates layers in ``__init__`` and writes the
  forward pass in ``call`` (its layers are tracked automatically).

All three share one training loop, :class:`~treino.models.trainer.Trainer`
(``compile`` / ``fit`` / ``evaluate`` / ``predict``), and one file format
(:mod:`treino.models.saving`).
"""

from __future__ import annotations

import numpy as np

from treino.autograd import Tensor
from treino.layers.base import Layer
from treino.models.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable stack or graph of layers.

    ``Model(inputs, outputs)`` builds a functional model; subclass ``Model``
    and override ``call`` for full control of the forward pass.

    Example:
        >>> import numpy as np
        >>> from treino import layers, models
        >>> class TwoLayers(models.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = layers.Dense(8, activation="relu")
        ...         self.out = layers.Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> model = TwoLayers()
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0)
        >>> len(history.history["loss"]), model.count_params()
        (2, 41)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from treino.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, **kwargs):
        trainer_args = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype") if k in kwargs}
        Layer.__init__(self, **trainer_args, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self) -> list:
        """The model's direct sublayers, in the order they were assigned."""
        return list(self._sublayers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in :attr:`layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"Model '{self.name}' has {len(self.layers)} layers; "
                    f"received index={index}"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: '{name}'. Model '{self.name}' has the layers "
            f"{[layer.name for layer in self.layers]}"
        )

    def build(self, input_shape) -> None:
        """Create the weights by running the model once on zeros of ``input_shape``.

        ``input_shape`` includes the batch axis (``(None, 784)``); a list of
        shapes for a model with several inputs.
        """
        from treino.models.trainer import build_by_calling

        build_by_calling(self, input_shape)

    def _build_from(self, input_shape) -> None:
        # Called on the first real call: the forward pass that follows creates
        # the sublayers' weights, so nothing else is needed here.
        self._build_input_shape = input_shape
        self.built = True

    def _convert_input(self, x):
        """Integer data (ids for an ``Embedding``) stays integer: the model's input layers cast.

        A float input layer turns the ids into floats itself; an
        ``Input(dtype="int64")`` receives them untouched.
        """
        if not isinstance(x, Tensor) and np.asarray(x).dtype.kind in "iu":
            return Tensor(np.asarray(x))
        return super()._convert_input(x)

    def summary(self, line_length: int = 80, print_fn=None) -> None:
        """Print a table: each layer, its output shape and its number of parameters.

        The totals split trainable from non-trainable parameters (BatchNorm's
        moving statistics, frozen layers). Pass ``print_fn`` to capture the
        lines instead of printing them.
        """
        from treino.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn)

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite: bool = True) -> None:
        """Save architecture, weights, compile arguments and optimizer state to one file.

        The file is a zip of ``config.json``, ``model.weights.npz`` and
        ``optimizer.npz`` — no pickle — written atomically. Load it with
        :func:`treino.models.load_model`.
        """
        from treino.models.saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Save only the weights (an ``.npz`` file keyed by weight path), atomically."""
        from treino.models.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath) -> None:
        """Load weights saved by :meth:`save_weights` (or a full model file)."""
        from treino.models.saving import load_weights

        load_weights(self, filepath)

    def get_config(self) -> dict:
        config = Layer.get_config(self)
        if type(self).get_config is Model.get_config and _has_own_init(type(self)):
            raise NotImplementedError(
                f"{type(self).__name__} is a subclassed model whose __init__ takes its own "
                "arguments; implement get_config() returning them (and from_config if needed) "
                "to save the whole model, or use save_weights() to save only the weights"
            )
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """A model from :meth:`get_config`'s dict.

        As ``keras.Model.from_config``: ``Model.from_config`` of a functional
        model's config (it holds ``layers``, ``nodes``, ``inputs`` and
        ``outputs``) rebuilds the graph and returns a functional model; any
        other config goes to the constructor, ``cls(**config)`` (a subclassed
        model). A ``Sequential`` config goes to ``Sequential.from_config``.

        Example:
            >>> from treino import layers
            >>> x = layers.Input((2,))
            >>> clone = Model.from_config(Model(x, layers.Dense(1)(x)).get_config())
            >>> type(clone).__name__, clone.output_shape
            ('Functional', (None, 1))
        """
        from treino.models.functional import functional_from_config, is_functional_config

        if cls is Model and is_functional_config(config):
            return functional_from_config(cls, config, custom_objects)
        return super().from_config(config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _has_own_init(cls) -> bool:
    """Whether a subclass takes constructor arguments beyond the base's ``name`` & co."""
    import inspect

    parameters = inspect.signature(cls.__init__).parameters
    own = [p for p in parameters if p not in ("self", "args", "kwargs", "name", "trainable",
                                              "dtype")]  # fmt: skip
    return bool(own)
