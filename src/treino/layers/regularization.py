"""The course's advanced regularisers: DropConnect, Shake-Shake and spatial dropout.

* :class:`DropConnect` — dropout on the *weights* of a wrapped layer: "variação
  do dropout que desativa conexões em vez de neurônios".
* :class:`ShakeShake` — random mixing of the two branches of a residual block:
  "introduz perturbações estocásticas durante o treinamento de redes residuais".
* :class:`SpatialDropout1D` / :class:`SpatialDropout2D` — dropout of whole
  channels (feature maps) instead of single values (Keras's layers).

All of them are random only in training (``training`` truthy, as inside
``fit``); at inference they are deterministic and compute the expectation of
their training-time output.
"""

from __future__ import annotations

import numbers

import numpy as np

from treino import ops
from treino.autograd import Tensor
from treino.layers.base import InputSpec, Layer
from treino.layers.core import Dropout
from treino.layers.merge import _Merge
from treino.ops.regularization import shake_coefficients, shake_shake


def _check_rate(owner: str, rate) -> float:
    """A dropout probability in [0, 1), or a ValueError naming ``owner``."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"{owner}: rate must be a number in [0, 1); received rate={rate!r}")
    return float(rate)


def _check_seed(owner: str, seed) -> int | None:
    """None or a non-negative integer, or a ValueError naming ``owner``."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"{owner}: seed must be None or a non-negative integer; received seed={seed!r}"
        )
    return int(seed)


# ---------------------------------------------------------------- DropConnect
class DropConnect(Layer):
    """DropConnect (Wan et al., 2013): dropout on the connections (weights) of a layer.

    The course: "DropConnect (variação do dropout que desativa conexões em vez
    de neurônios)". Dropout zeroes *units* — whole outputs of a layer, and so
    every connection leaving them. DropConnect zeroes single *connections*:
    each weight Wᵢⱼ of the wrapped layer's kernel is dropped independently,
    with a fresh mask at every training call:

        training:   y = f(x; W ⊙ M / (1 − p)),   Mᵢⱼ ~ Bernoulli(1 − p)
        inference:  y = f(x; W)

    For a Dense layer the pre-activation is z = x·(W ⊙ M)/(1 − p) + b, and
    since E[M / (1 − p)] = 1, E[z] = x·W + b: inference runs the layer with W
    itself, deterministic and equal to the expected pre-activation. The
    gradient reaches the real kernel through the mask,
    ∂L/∂W = (M / (1 − p)) ⊙ ∂L/∂W̃, where W̃ is the dropped-out kernel — a
    dropped connection learns nothing from that batch, as a dropped unit does
    with Dropout.

    It works with any layer whose ``call`` reads ``self.kernel`` once (Dense,
    Conv1D, Conv2D …): during a training call the wrapper puts the dropped-out
    kernel W̃ in ``layer.kernel``, calls the layer, and puts the real kernel
    back (also when the call raises). The weights are the wrapped layer's
    (same order, same paths, same regularizers), and ``trainable`` applies to it.

    Args:
        layer: the layer to wrap, with a ``kernel`` weight (built or not).
        rate: the probability p of dropping each connection, in [0, 1).
            Defaults to 0.5.
        seed: integer for a reproducible sequence of masks. Defaults to None
            (the generator of ``treino.seed``).
        **kwargs: base layer arguments (``name``, ``trainable``); ``dtype``
            defaults to the wrapped layer's.

    Input shape / output shape: those of the wrapped layer.

    Example:
        >>> import numpy as np, treino
        >>> from treino.layers import Dense
        >>> treino.seed(0)
        >>> layer = DropConnect(Dense(3, use_bias=False), rate=0.5, seed=1)
        >>> x = np.ones((1, 4), dtype="float32")
        >>> y = layer(x)  # inference: x · W
        >>> np.allclose(y.numpy(), x @ layer.layer.kernel.numpy())
        True
        >>> [w.name for w in layer.weights]
        ['kernel']
        >>> y_train = layer(x, training=True)  # x · (W ⊙ M) / 0.5
        >>> np.allclose(y_train.numpy(), y.numpy())
        False
    """

    def __init__(self, layer, rate: float = 0.5, seed=None, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(
                "DropConnect: layer must be a treino layer with a kernel (Dense, Conv2D …); "
                f"received {layer!r} of type {type(layer).__name__}"
            )
        rate = _check_rate("DropConnect", rate)
        seed = _check_seed("DropConnect", seed)
        if kwargs.get("dtype") is not None and np.dtype(kwargs["dtype"]).name != layer.dtype:
            raise ValueError(
                f"DropConnect: dtype={np.dtype(kwargs['dtype']).name!r} differs from the "
                f"wrapped layer '{layer.name}' ({layer.dtype}); leave dtype out to use the layer's"
            )
        kwargs["dtype"] = layer.dtype
        super().__init__(**kwargs)
        if layer.built:
            _kernel_of(self, layer)
        self.layer = layer  # tracked as a sublayer: its weights are this layer's weights
        self.rate = rate
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        if self.batch_input_shape is None and layer.batch_input_shape is not None:
            self.batch_input_shape = layer.batch_input_shape  # Sequential reads the first layer's
        if not self.trainable:
            self.trainable = False  # freeze the wrapped layer too

    def _check_before_and_build(self, leaves, input_shape) -> None:
        # The wrapped layer checks the input against its own spec and builds its
        # weights first, so its error messages and its weight paths are unchanged.
        self.layer._check_before_and_build(leaves, input_shape)
        if not self.built:
            _kernel_of(self, self.layer)
            self._build_from(input_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return self.layer(inputs, training=training)
        kernel = _kernel_of(self, self.layer)
        dropped = ops.dropout(kernel, self.rate, training=True, seed=self._rng)
        self.layer.kernel = dropped  # W̃ = W ⊙ M / (1 − p), in the graph of W
        try:
            return self.layer(inputs, training=training)
        finally:
            self.layer.kernel = kernel

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def compute_mask(self, inputs, mask=None):
        return self.layer.compute_mask(inputs, mask)

    def get_config(self) -> dict:
        from treino import layers as layers_module

        return {**super().get_config(), "layer": layers_module.serialize(self.layer),
                "rate": self.rate, "seed": self.seed}  # fmt: skip

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """Rebuild the wrapper and, from its nested config, the wrapped layer."""
        config = dict(config)
        entry = config.pop("layer")
        if isinstance(entry, Layer):
            inner = entry
        elif custom_objects:
            from treino.models.saving import deserialize_layer

            inner = deserialize_layer(entry, custom_objects)
        else:
            from treino import layers as layers_module

            inner = layers_module.deserialize(entry)
        return cls(inner, **config)


def _kernel_of(wrapper: DropConnect, layer: Layer) -> Tensor:
    """The wrapped layer's kernel, or a TypeError naming both layers."""
    kernel = getattr(layer, "kernel", None)
    if not isinstance(kernel, Tensor):
        raise TypeError(
            f"DropConnect '{wrapper.name}': the wrapped layer '{layer.name}' "
            f"({type(layer).__name__}) has no kernel weight; DropConnect drops the "
            "connections of a layer with a kernel (Dense, Conv1D, Conv2D …)"
        )
    return kernel


# ----------------------------------------------------------------- ShakeShake
class ShakeShake(_Merge):
    """Shake-Shake (Gastaldi, 2017): a random mix of the two branches of a residual block.

    The course: "Shake-Shake (introduz perturbações estocásticas durante o
    treinamento de redes residuais)". A residual block with two branches
    computes ``x + b₁(x) + b₂(x)``; Shake-Shake replaces the sum of the
    branches by a random convex combination, drawn per sample, with an
    *independent* random mix for the gradient ("Shake-Shake-Image"):

        training forward:   y = α·b₁ + (1 − α)·b₂            α ~ U(0, 1) per sample
        training backward:  ∂L/∂b₁ = β·G,  ∂L/∂b₂ = (1 − β)·G  β ~ U(0, 1) per sample
        inference:          y = ½(b₁ + b₂) = E[α·b₁ + (1 − α)·b₂]

    so neither branch can rely on the other's exact contribution. The block
    is then ``x + y``, i.e. ``Add()([x, ShakeShake()([b1, b2])])``, which is
    the paper's x + α·F₁(x) + (1 − α)·F₂(x). The op, with its backward, is
    :func:`treino.ops.regularization.shake_shake`.

    Args:
        seed: integer for a reproducible sequence of α, β. Defaults to None
            (the generator of ``treino.seed``).
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input: a list of the two branch outputs, of the same shape ``(N, …)``.
    Output: the same shape.

    Example:
        >>> import numpy as np
        >>> from treino.layers import Add, Dense, Input
        >>> from treino.models import Model
        >>> x = Input(shape=(4,))
        >>> b1 = Dense(4, activation="relu")(x)
        >>> b2 = Dense(4, activation="relu")(x)
        >>> y = Add()([x, ShakeShake()([b1, b2])])
        >>> model = Model(x, y)
        >>> model.predict(np.ones((2, 4)), verbose=0).shape
        (2, 4)
        >>> ShakeShake()([np.zeros((1, 2)), np.ones((1, 2))]).numpy()  # inference: the mean
        array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, seed=None, **kwargs):
        seed = _check_seed("ShakeShake", seed)
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _check_shapes(self, shapes) -> None:
        shapes = [tuple(s) for s in shapes]
        if len(shapes) != 2:
            raise ValueError(f"ShakeShake '{self.name}' combines exactly 2 branches; received "
                             f"{len(shapes)} inputs of shapes {shapes}")  # fmt: skip
        first, second = shapes
        same = len(first) == len(second) and all(
            a is None or b is None or a == b for a, b in zip(first, second, strict=True)
        )
        if not same or len(first) == 0:
            raise ValueError(
                f"ShakeShake '{self.name}': the two branches must have the same shape, with a "
                f"batch axis; received {first} and {second}"
            )

    def call(self, inputs, training=None):
        branch_1, branch_2 = inputs
        if not training:  # the expectation: E[α] = E[β] = ½
            return shake_shake(branch_1, branch_2, 0.5, 0.5)
        alpha, beta = shake_coefficients(branch_1.shape, branch_1.dtype, seed=self._rng)
        return shake_shake(branch_1, branch_2, alpha, beta)

    def compute_output_shape(self, input_shape):
        first, second = (tuple(s) for s in input_shape)
        return tuple(a if a is not None else b for a, b in zip(first, second, strict=True))

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


# ------------------------------------------------------------ SpatialDropout
class _SpatialDropout(Dropout):
    """Dropout of whole channels: one Bernoulli draw per (sample, channel), channels last."""

    _ndim = 0

    def __init__(self, rate: float, seed=None, **kwargs):
        name = type(self).__name__
        if "noise_shape" in kwargs:
            raise TypeError(f"{name}: the noise shape is fixed by the layer (N, 1, …, 1, C); "
                            f"received noise_shape={kwargs['noise_shape']!r}")  # fmt: skip
        super().__init__(_check_rate(name, rate), seed=_check_seed(name, seed), **kwargs)
        self.input_spec = InputSpec(ndim=self._ndim)

    def _noise_shape(self, shape) -> tuple:
        """``(N, 1, …, 1, C)``: the mask is shared along the spatial axes."""
        return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)

    def call(self, inputs, training=None):
        return ops.dropout(inputs, self.rate, training=bool(training), seed=self._rng,
                           noise_shape=self._noise_shape(inputs.shape))  # fmt: skip

    def get_config(self) -> dict:
        config = super().get_config()
        del config["noise_shape"]  # fixed by the layer, not an argument (as Keras)
        return config


class SpatialDropout1D(_SpatialDropout):
    """Spatial 1-D dropout: drops whole channels of a sequence ``(N, steps, C)``.

    In a sequence (or a 1-D convolution's feature maps) neighbouring steps are
    strongly correlated, so ordinary dropout barely regularises: a dropped
    value is recovered from its neighbours. SpatialDropout1D drops the *whole*
    channel c of sample n, at every step, with probability ``rate``, and
    scales the survivors by 1/(1 − rate):

        y[n, t, c] = x[n, t, c] · m[n, c] / (1 − p),   m[n, c] ~ Bernoulli(1 − p)

    — ``Dropout`` with ``noise_shape=(N, 1, C)``. The identity at inference.

    Args:
        rate: probability of dropping a channel, in [0, 1).
        seed: integer for a reproducible sequence of masks. Defaults to None
            (the generator of ``treino.seed``).

    Input shape / output shape: ``(N, steps, C)``.

    Example:
        >>> import numpy as np
        >>> y = SpatialDropout1D(0.5, seed=0)(np.ones((2, 3, 4)), training=True).numpy()
        >>> bool(np.all(y == y[:, :1, :]))  # each channel all kept or all dropped
        True
    """

    _ndim = 3


class SpatialDropout2D(_SpatialDropout):
    """Spatial 2-D dropout: drops whole feature maps of images ``(N, H, W, C)``.

    Adjacent pixels of a convolutional feature map are strongly correlated, so
    the course's Dropout on single values barely regularises a CNN.
    SpatialDropout2D (Tompson et al., 2015) drops the whole map c of sample n:

        y[n, h, w, c] = x[n, h, w, c] · m[n, c] / (1 − p),   m[n, c] ~ Bernoulli(1 − p)

    — ``Dropout`` with ``noise_shape=(N, 1, 1, C)`` (PyTorch's ``Dropout2d``
    on channels-first data). The identity at inference.

    Args:
        rate: probability of dropping a feature map, in [0, 1).
        data_format: ``"channels_last"`` (or None, meaning it); channels-first
            data is not supported. Defaults to None.
        seed: integer for a reproducible sequence of masks. Defaults to None
            (the generator of ``treino.seed``).

    Input shape / output shape: ``(N, H, W, C)``.

    Example:
        >>> import numpy as np
        >>> y = SpatialDropout2D(0.5, seed=0)(np.ones((2, 3, 3, 4)), training=True).numpy()
        >>> np.unique(y).tolist()  # whole maps: 0 or 1/(1 − 0.5)
        [0.0, 2.0]
    """

    _ndim = 4

    def __init__(self, rate: float, data_format=None, seed=None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError(
                "SpatialDropout2D: only data_format='channels_last' (N, H, W, C) is supported; "
                f"received data_format={data_format!r}"
            )
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = "channels_last"

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
