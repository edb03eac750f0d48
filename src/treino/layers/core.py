"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Embedding, Masking."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from treino import activations, initializers, ops, regularizers
from treino.autograd import Tensor
from treino.layers.base import InputSpec, Layer


class Dense(Layer):
    """A fully connected layer: ``y = φ(x · W + b)``.

    Each of the ``units`` neurons computes the course's weighted sum of all
    inputs plus a bias, then applies the activation φ. The kernel has the
    Keras layout ``(input_dim, units)``; inputs of shape ``(…, input_dim)``
    are accepted (the product runs over the last axis).

    Args:
        units: number of neurons (output size).
        activation: activation function or its name; defaults to None (linear).
        use_bias: add the bias ``b``. Defaults to True.
        kernel_initializer: defaults to ``"glorot_uniform"``.
        bias_initializer: defaults to ``"zeros"``.
        kernel_regularizer, bias_regularizer: penalties on the weights (added to
            :attr:`losses`). Default None.
        activity_regularizer: penalty on the layer's output (any layer accepts it).

    Input shape: ``(batch, …, input_dim)``. Output shape: ``(batch, …, units)``.

    Example:
        >>> import numpy as np, treino
        >>> treino.seed(0)
        >>> layer = Dense(3, activation="relu")
        >>> layer(np.ones((2, 4))).shape
        (2, 3)
        >>> [w.shape for w in layer.weights]
        [(4, 3), (3,)]
    """

    supports_masking = True

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer; received units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense '{self.name}': the last axis of the input must be known; "
                             f"received input shape {input_shape}")  # fmt: skip
        self.kernel = self.add_weight("kernel", (input_dim, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)  # fmt: skip
        self.bias = (
            self.add_weight("bias", (self.units,), self.bias_initializer,
                            regularizer=self.bias_regularizer)  # fmt: skip
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        if self.activation is activations.relu:  # the common case, fused into one op
            return ops.linear(inputs, self.kernel, self.bias, relu=True)
        return self.activation(ops.linear(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


class Activation(Layer):
    """Applies an activation function: ``y = φ(x)``.

    Args:
        activation: a function or its Keras name (``"relu"``, ``"softmax"`` …).
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Inverted dropout: during training each input is zeroed with probability ``rate``.

    The survivors are scaled by 1/(1 − rate) so the expected activation is the
    same in training and inference; at inference (``training`` falsy, the
    default outside ``fit``) the layer is the identity.

    Args:
        rate: fraction of units to drop, in [0, 1).
        noise_shape: shape of the mask, ``None`` entries taken from the input
            (``(None, 1, 1, None)`` drops whole channels).
        seed: int for a reproducible mask sequence; defaults to ``treino.seed``'s generator.
    """

    supports_masking = True

    def __init__(self, rate: float, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1); received rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=None):
        return ops.dropout(inputs, self.rate, training=bool(training),
                           seed=self._rng, noise_shape=self.noise_shape)  # fmt: skip

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise,
                "seed": self.seed}  # fmt: skip


class Flatten(Layer):
    """Flattens each sample to a vector: ``(batch, d1, d2, …) → (batch, d1·d2·…)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"Flatten: only data_format='channels_last' is supported; received {data_format!r}"
            )
        self.data_format = data_format

    def call(self, inputs):
        return ops.flatten(inputs) if inputs.ndim > 1 else ops.reshape(inputs, (-1, 1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(math.prod(rest))
        return (input_shape[0], size if rest else 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (batch axis kept; one ``-1`` allowed).

    Args:
        target_shape: the new shape of one sample, e.g. ``(28, 28, 1)``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = (target_shape,) if isinstance(target_shape, int) else tuple(target_shape)
        if (
            any(isinstance(d, bool) or not isinstance(d, int | np.integer) for d in target)
            or any(d == 0 or d < -1 for d in target)
            or sum(d == -1 for d in target) > 1
        ):
            raise ValueError(
                "Reshape: target_shape must hold positive integers and at most one -1; "
                f"received target_shape={target_shape!r}"
            )
        self.target_shape = tuple(int(d) for d in target)

    def _resolved(self, input_shape) -> tuple:
        known = math.prod(d for d in self.target_shape if d != -1)
        if any(d is None for d in input_shape[1:]):  # symbolic: the -1 size is not known yet
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(input_shape[1:])
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape input of shape "
                                 f"{input_shape} to {self.target_shape}")  # fmt: skip
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(
                f"Reshape '{self.name}': input of shape {input_shape} has {size} values per "
                f"sample; target_shape {self.target_shape} holds {known}"
            )
        return self.target_shape

    def build(self, input_shape) -> None:
        self._resolved(input_shape)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0], *self._resolved(inputs.shape)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolved(input_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Embedding(Layer):
    """Maps integer ids to vectors: ``y = E[ids]``, with ``E`` of shape ``(input_dim, output_dim)``.

    A lookup is a one-hot vector times ``E``, so ``∂L/∂E`` adds each output's
    gradient into the row it came from (rows used twice get both). The course
    uses embeddings for the categorical columns of tabular data.

    Args:
        input_dim: vocabulary size (ids are in ``[0, input_dim)``).
        output_dim: size of each vector.
        embeddings_initializer: defaults to ``"uniform"`` (U(−0.05, 0.05), as Keras).
        embeddings_regularizer: optional penalty on ``E``.
        mask_zero: id 0 is padding; :meth:`compute_mask` marks it.

    Input shape: integer ids of any shape ``(batch, …)``. Output shape:
    ``(batch, …, output_dim)``. Ids outside ``[0, input_dim)`` raise (they would
    otherwise wrap around silently, as NumPy indexing does for negatives).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, mask_zero: bool = False, **kwargs):  # fmt: skip
        if kwargs.pop("input_length", None) is not None:  # Keras 2 argument, ignored by Keras 3
            warnings.warn("Embedding: the argument `input_length` is deprecated; remove it")
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"Embedding: {arg} must be a positive integer; received {value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
        )  # fmt: skip

    def _convert_input(self, x):
        ids = np.asarray(x.data if isinstance(x, Tensor) else x)
        if ids.dtype.kind == "f":
            if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)):
                raise ValueError(f"Embedding '{self.name}': expected integer ids; received "
                                 f"{ids.dtype} values with a fractional part or NaN")  # fmt: skip
            ids = ids.astype(np.int64)
        elif ids.dtype.kind not in "iu":
            raise TypeError(
                f"Embedding '{self.name}': expected integer ids; received dtype {ids.dtype}"
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise ValueError(
                f"Embedding '{self.name}': ids must be in [0, {self.input_dim - 1}] "
                f"(input_dim={self.input_dim}); received id {bad}"
            )
        return ids

    def call(self, inputs):
        return ops.getitem(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        """Boolean mask, False where the id is the padding id 0 (None without ``mask_zero``)."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs) != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "mask_zero": self.mask_zero,
        }



class Masking(Layer):
    """Marks the padded time steps of a sequence for the layers that follow.

    A step whose features all equal ``mask_value`` is padding: its output is
    zeroed and the mask (``True`` = a real step) travels on the output tensor,
    so a recurrent layer after it carries its state across the padding
    instead of reading it. ``Embedding(mask_zero=True)`` does the same for ids.

    Args:
        mask_value: the padding value. Defaults to 0.0.

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> y = Masking()(x)
        >>> y._keras_mask
        array([[ True, False,  True]])
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self.input_spec = InputSpec(min_ndim=3)

    def _real_steps(self, inputs) -> np.ndarray:
        return np.any(inputs.data != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = self._real_steps(inputs)[..., None].astype(inputs.dtype)
        return inputs * keep

    def compute_mask(self, inputs, mask=None):
        return self._real_steps(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
