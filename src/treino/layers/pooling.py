"""Pooling layers: max / average pooling (1-D, 2-D) and global pooling, channels-last.

Pooling summarises each window of a feature map by one number — its maximum
(the strongest response of a filter there) or its mean — shrinking the map
and making the network tolerant to small shifts. It has no weights. The math
and its gradients live in :mod:`treino.ops.pooling`.
"""

from __future__ import annotations

import numpy as np

from treino import ops
from treino.layers.base import InputSpec, Layer
from treino.layers.convolutional import check_data_format
from treino.ops.conv import conv_output_length, normalize_padding, normalize_tuple
from treino.ops.pooling import (
    PADDINGS,
    avg_pool1d,
    avg_pool2d,
    global_avg_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
)


class _Pooling(Layer):
    """The shared body of the windowed pooling layers (``rank`` spatial axes)."""

    rank: int = 2
    pool = staticmethod(max_pool2d)  # the op

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):  # fmt: skip
        cls = type(self).__name__
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", cls)
        self.strides = (
            self.pool_size if strides is None
            else normalize_tuple(strides, self.rank, "strides", cls)
        )  # fmt: skip
        self.padding = normalize_padding(padding, PADDINGS, cls)
        self.data_format = check_data_format(data_format, cls)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _output_spatial(self, input_shape) -> tuple:
        sizes = tuple(
            conv_output_length(n, p, self.padding, s)
            for n, p, s in zip(input_shape[1:-1], self.pool_size, self.strides, strict=True)
        )
        if any(size is not None and size < 1 for size in sizes):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input of shape {tuple(input_shape)} is "
                f"smaller than pool_size={self.pool_size} with padding='{self.padding}'"
            )
        return sizes

    def build(self, input_shape) -> None:
        self._output_spatial(input_shape)

    def call(self, inputs):
        self._output_spatial(inputs.shape)
        return self.pool(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._output_spatial(input_shape), input_shape[-1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling2D(_Pooling):
    """Max pooling over 2-D windows: ``y[n, h, w, c] = max of the window at (h, w)``.

    The gradient flows only to each window's maximum (the first one on ties).

    Args:
        pool_size: window size, an int or ``(p_h, p_w)``. Defaults to ``(2, 2)``.
        strides: step between windows, an int or ``(s_h, s_w)``; defaults to
            ``pool_size`` (windows side by side, no overlap).
        padding: ``"valid"`` (windows inside the image) or ``"same"`` (output
            size ⌈input / stride⌉, padded with −∞). Defaults to ``"valid"``.
        data_format: only ``"channels_last"`` (the default) is supported.

    Input shape: ``(batch, height, width, channels)``. Output shape:
    ``(batch, pooled_height, pooled_width, channels)``.

    Example:
        >>> import numpy as np
        >>> MaxPooling2D()(np.zeros((1, 28, 28, 6))).shape
        (1, 14, 14, 6)
        >>> MaxPooling2D(3, strides=2, padding="same").compute_output_shape((None, 7, 7, 4))
        (None, 4, 4, 4)
    """

    rank = 2
    pool = staticmethod(max_pool2d)


class AveragePooling2D(_Pooling):
    """Average pooling over 2-D windows: ``y[n, h, w, c] = mean of the window at (h, w)``.

    With ``padding="same"`` a border window is averaged over its real pixels
    only (the padding is not counted), as Keras.

    Args:
        pool_size: window size, an int or ``(p_h, p_w)``. Defaults to ``(2, 2)``.
        strides: step between windows, an int or ``(s_h, s_w)``; defaults to
            ``pool_size``.
        padding: ``"valid"`` or ``"same"``. Defaults to ``"valid"``.
        data_format: only ``"channels_last"`` (the default) is supported.

    Input shape: ``(batch, height, width, channels)``. Output shape:
    ``(batch, pooled_height, pooled_width, channels)``.

    Example:
        >>> import numpy as np
        >>> AveragePooling2D()(np.ones((1, 4, 4, 1))).numpy()[0, :, :, 0]
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    rank = 2
    pool = staticmethod(avg_pool2d)


class MaxPooling1D(_Pooling):
    """Max pooling over windows of steps: ``y[n, t, c] = max_i x[n, t·s + i, c]``.

    Args:
        pool_size: window length. Defaults to 2.
        strides: step between windows; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"``. Defaults to ``"valid"``.
        data_format: only ``"channels_last"`` (the default) is supported.

    Input shape: ``(batch, steps, channels)``. Output shape:
    ``(batch, pooled_steps, channels)``.

    Example:
        >>> import numpy as np
        >>> MaxPooling1D(3, strides=1)(np.zeros((2, 10, 4))).shape
        (2, 8, 4)
    """

    rank = 1
    pool = staticmethod(max_pool1d)


class AveragePooling1D(_Pooling):
    """Average pooling over windows of steps: ``y[n, t, c] = mean of the window at t``.

    Args:
        pool_size: window length. Defaults to 2.
        strides: step between windows; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (border windows averaged over their
            real steps). Defaults to ``"valid"``.
        data_format: only ``"channels_last"`` (the default) is supported.

    Input shape: ``(batch, steps, channels)``. Output shape:
    ``(batch, pooled_steps, channels)``.

    Example:
        >>> import numpy as np
        >>> AveragePooling1D(padding="same")(np.arange(3.0).reshape(1, 3, 1)).numpy()[0, :, 0]
        array([0.5, 2. ], dtype=float32)
    """

    rank = 1
    pool = staticmethod(avg_pool1d)


class _GlobalPooling(Layer):
    """The shared body of the global pooling layers (``rank`` spatial axes)."""

    rank: int = 2
    pool = staticmethod(global_avg_pool)  # the op

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return self.pool(inputs, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *(1,) * self.rank, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean of each channel over the whole image: ``(N, H, W, C) → (N, C)``.

    Args:
        data_format: only ``"channels_last"`` (the default) is supported.
        keepdims: keep the spatial axes with size 1, ``(N, 1, 1, C)``. Defaults to False.

    Example:
        >>> import numpy as np
        >>> GlobalAveragePooling2D()(np.ones((2, 5, 5, 3))).shape
        (2, 3)
    """

    rank = 2
    pool = staticmethod(global_avg_pool)


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum of each channel over the whole image: ``(N, H, W, C) → (N, C)``.

    Args:
        data_format: only ``"channels_last"`` (the default) is supported.
        keepdims: keep the spatial axes with size 1, ``(N, 1, 1, C)``. Defaults to False.

    Example:
        >>> import numpy as np
        >>> GlobalMaxPooling2D(keepdims=True)(np.ones((2, 5, 5, 3))).shape
        (2, 1, 1, 3)
    """

    rank = 2
    pool = staticmethod(global_max_pool)


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum of each channel over all steps: ``(N, T, C) → (N, C)``.

    Args:
        data_format: only ``"channels_last"`` (the default) is supported.
        keepdims: keep the step axis with size 1, ``(N, 1, C)``. Defaults to False.

    Example:
        >>> import numpy as np
        >>> GlobalMaxPooling1D()(np.arange(6.0).reshape(1, 3, 2)).numpy()
        array([[4., 5.]], dtype=float32)
    """

    rank = 1
    pool = staticmethod(global_max_pool)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean of each channel over the steps: ``(N, T, C) → (N, C)``.

    With a mask (after ``Embedding(mask_zero=True)`` or ``Masking``) only the
    real steps are averaged, ``y = Σₜ mₜ·xₜ / Σₜ mₜ``, as Keras.

    Args:
        data_format: only ``"channels_last"`` (the default) is supported.
        keepdims: keep the step axis with size 1, ``(N, 1, C)``. Defaults to False.

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0], [3.0], [8.0]]])
        >>> GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]])).numpy()
        array([[2.]], dtype=float32)
    """

    rank = 1
    pool = staticmethod(global_avg_pool)

    def call(self, inputs, mask=None):
        if mask is None:
            return global_avg_pool(inputs, keepdims=self.keepdims)
        mask = np.asarray(mask, dtype=inputs.dtype)
        if mask.shape != inputs.shape[:2]:
            raise ValueError(
                f"GlobalAveragePooling1D '{self.name}': the mask must have shape (batch, steps) "
                f"= {inputs.shape[:2]}; received {mask.shape}"
            )
        weights = mask[..., None]
        total = ops.sum(inputs * weights, axis=1, keepdims=self.keepdims)
        return total / np.maximum(weights.sum(axis=1, keepdims=self.keepdims), 1)
