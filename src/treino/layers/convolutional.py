"""Convolution layers: ``Conv1D`` and ``Conv2D`` (channels-last, Keras weight layout).

A convolution is a Dense layer applied to every window of the input with the
*same* weights: each of the ``filters`` kernels looks at a small receptive
field (``kernel_size``) and slides over the image (or sequence) with a step
of ``strides``. Weight sharing is what makes CNNs small and translation
equivariant. The math and its gradients live in :mod:`treino.ops.conv`.
"""

from __future__ import annotations

import numbers

from treino import activations, initializers, regularizers
from treino.layers.base import InputSpec, Layer
from treino.ops.conv import (
    PADDINGS_1D,
    PADDINGS_2D,
    conv1d,
    conv2d,
    conv_output_length,
    normalize_padding,
    normalize_tuple,
)


def check_data_format(data_format, owner: str):
    """Only channels-last data is supported: ``None`` or ``"channels_last"``."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{owner}: only data_format='channels_last' (inputs (batch, …, channels)) is "
            f"supported; received data_format={data_format!r}"
        )
    return "channels_last"


class _Conv(Layer):
    """The shared body of ``Conv1D`` and ``Conv2D`` (``rank`` spatial axes)."""

    rank: int = 2
    paddings: tuple = PADDINGS_2D
    convolution = staticmethod(conv2d)  # the op: conv1d or conv2d

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):  # fmt: skip
        cls = type(self).__name__
        super().__init__(**kwargs)
        if not isinstance(filters, numbers.Integral) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{cls}: filters must be a positive integer; received filters={filters!r}"
            )
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = normalize_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(padding, self.paddings, cls)
        self.data_format = check_data_format(data_format, cls)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: strides > 1 is not supported together with dilation_rate > 1 "
                f"(as Keras); received strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    # ------------------------------------------------------------------ shapes
    def _output_spatial(self, input_shape) -> tuple:
        """Output size of each spatial axis; a clear error when the input is too small."""
        sizes = tuple(
            conv_output_length(n, k, self.padding, s, d)
            for n, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides,
                                  self.dilation_rate, strict=True)
        )  # fmt: skip
        if any(size is not None and size < 1 for size in sizes):
            field = tuple((k - 1) * d + 1 for k, d in
                          zip(self.kernel_size, self.dilation_rate, strict=True))  # fmt: skip
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input of shape {tuple(input_shape)} is too "
                f"small for kernel_size={self.kernel_size} with dilation_rate="
                f"{self.dilation_rate} (receptive field {field}) and padding='{self.padding}'"
            )
        return sizes

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._output_spatial(input_shape), self.filters)

    # ------------------------------------------------------------- build/call
    def build(self, input_shape) -> None:
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the channel axis (last) of the input "
                f"must be known; received input shape {tuple(input_shape)}"
            )
        self._output_spatial(input_shape)  # too small an input fails before any weight exists
        self.kernel = self.add_weight(
            "kernel", (*self.kernel_size, channels, self.filters), self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )  # fmt: skip
        self.bias = (
            self.add_weight(
                "bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer
            )  # fmt: skip
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})

    def call(self, inputs):
        self._output_spatial(inputs.shape)
        kernel, bias = self.kernel, self.bias  # each read once (a wrapper may substitute them)
        if self.activation is activations.relu:  # the common case, fused into one op
            return self.convolution(inputs, kernel, bias, self.strides, self.padding,
                                    self.dilation_rate, relu=True)  # fmt: skip
        y = self.convolution(inputs, kernel, bias, self.strides, self.padding, self.dilation_rate)
        return self.activation(y)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


class Conv2D(_Conv):
    """2-D convolution: ``y = φ(conv(x, W) + b)`` over channels-last images.

    Each output pixel of filter o is the weighted sum of the kh × kw × C input
    values under the kernel, plus b[o]:

        y[n, h, w, o] = φ(b[o] + Σ_{i,j,c} x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c]·W[i, j, c, o])

    Args:
        filters: number of kernels (output channels).
        kernel_size: int or ``(kh, kw)``.
        strides: int or ``(s_h, s_w)``. Defaults to 1.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size
            ⌈input / stride⌉, zeros split as TensorFlow does). Defaults to ``"valid"``.
        data_format: only ``"channels_last"`` (the default) is supported.
        dilation_rate: int or ``(d_h, d_w)``, the spacing of the kernel taps.
            Defaults to 1. Cannot be combined with strides > 1.
        activation: activation φ or its name; defaults to None (linear).
        use_bias: add the bias. Defaults to True.
        kernel_initializer: defaults to ``"glorot_uniform"``.
        bias_initializer: defaults to ``"zeros"``.
        kernel_regularizer, bias_regularizer: penalties added to :attr:`losses`. Default None.
        activity_regularizer: penalty on the output (any layer accepts it).

    Input shape: ``(batch, height, width, channels)``. Output shape:
    ``(batch, new_height, new_width, filters)``. Weights: ``kernel``
    ``(kh, kw, channels, filters)`` and ``bias`` ``(filters,)`` (Keras layout).

    Example:
        >>> import numpy as np, treino
        >>> treino.seed(0)
        >>> layer = Conv2D(6, 5, padding="same", activation="relu")
        >>> layer(np.zeros((2, 28, 28, 1))).shape
        (2, 28, 28, 6)
        >>> [w.shape for w in layer.weights]
        [(5, 5, 1, 6), (6,)]
        >>> Conv2D(16, 5).compute_output_shape((None, 14, 14, 6))
        (None, 10, 10, 16)
    """

    rank = 2
    paddings = PADDINGS_2D
    convolution = staticmethod(conv2d)


class Conv1D(_Conv):
    """1-D convolution over channels-last sequences: ``y = φ(conv(x, W) + b)``.

        y[n, t, o] = φ(b[o] + Σ_{i,c} x_pad[n, t·s + i·d, c] · W[i, c, o])

    Args:
        filters: number of kernels (output channels).
        kernel_size: int (or a 1-tuple).
        strides: int. Defaults to 1.
        padding: ``"valid"``, ``"same"`` or ``"causal"`` ((k − 1)·d zeros in
            front, so step t sees only steps ≤ t — for sequence models).
            Defaults to ``"valid"``.
        data_format: only ``"channels_last"`` (the default) is supported.
        dilation_rate: int, the spacing of the kernel taps. Defaults to 1.
            Cannot be combined with strides > 1.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer: as :class:`Conv2D`.

    Input shape: ``(batch, steps, channels)``. Output shape:
    ``(batch, new_steps, filters)``. Weights: ``kernel`` ``(k, channels,
    filters)`` and ``bias`` ``(filters,)`` (Keras layout).

    Example:
        >>> import numpy as np
        >>> layer = Conv1D(4, 3, padding="causal", dilation_rate=2)
        >>> layer(np.zeros((2, 10, 3))).shape
        (2, 10, 4)
        >>> layer.kernel.shape
        (3, 3, 4)
    """

    rank = 1
    paddings = PADDINGS_1D
    convolution = staticmethod(conv1d)
