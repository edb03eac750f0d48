"""Normalisation layers: BatchNormalization and LayerNormalization.

Both standardise activations and then rescale them with learned parameters:

    x̂ = (x − μ) / √(σ² + ε)        y = γ · x̂ + β

They differ in *which* values μ and σ² are taken over: BatchNormalization
over the batch (and spatial) axes, one statistic per channel; LayerNormalization
over the features of each sample, independent of the batch.
"""

from __future__ import annotations

from treino import initializers, ops, regularizers
from treino.layers.base import InputSpec, Layer


def _normalize(x, mean, variance, gamma, beta, epsilon):
    """y = γ · (x − μ) / √(σ² + ε) + β, differentiable in every argument."""
    y = (x - mean) / ops.sqrt(variance + epsilon)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


class _Normalization(Layer):
    """Shared arguments, γ/β creation and config of the two normalisation layers."""

    supports_masking = True

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else tuple(int(a) for a in axis)
        if not epsilon > 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be > 0; received {epsilon}")
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _axes(self, ndim: int) -> tuple:
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"{type(self).__name__} '{self.name}': axis {a} is out of range "
                                 f"for inputs with {ndim} dimensions")  # fmt: skip
        return tuple(sorted(a % ndim for a in axes))

    def _param_shape(self, input_shape) -> tuple:
        """Shape of γ and β: the sizes of the normalised-feature axes."""
        return tuple(input_shape[a] for a in self._axes(len(input_shape)))

    def _broadcast(self, param, ndim: int):
        """Reshape a per-feature parameter so it broadcasts against the input."""
        axes = self._axes(ndim)
        shape = [1] * ndim
        for a in axes:
            shape[a] = param.shape[axes.index(a)]
        return ops.reshape(param, shape) if tuple(shape) != param.shape else param

    def _build_affine(self, input_shape, center: bool, scale: bool) -> None:
        """Create γ (when ``scale``) and β (when ``center``) over the normalised axes."""
        shape = self._param_shape(input_shape)
        if any(d is None for d in shape):
            raise ValueError(f"{type(self).__name__} '{self.name}': the normalised axes must have "
                             f"a known size; received input shape {input_shape}")  # fmt: skip
        self.gamma = (self.add_weight("gamma", shape, self.gamma_initializer,
                                      regularizer=self.gamma_regularizer)
                      if scale else None)  # fmt: skip
        self.beta = (self.add_weight("beta", shape, self.beta_initializer,
                                     regularizer=self.beta_regularizer)
                     if center else None)  # fmt: skip
        axes = self._axes(len(input_shape))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={a: input_shape[a] for a in axes})

    def _affine(self, ndim: int):
        gamma = None if self.gamma is None else self._broadcast(self.gamma, ndim)
        beta = None if self.beta is None else self._broadcast(self.beta, ndim)
        return gamma, beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis if isinstance(self.axis, int) else list(self.axis),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
        }


class BatchNormalization(_Normalization):
    """Normalises each channel over the batch: the course's "normalização por lotes".

    Training (``training=True``): μ and σ² are the mean and (biased) variance of
    the current batch over every axis except ``axis``, and the moving averages
    are updated as Keras does::

        moving_mean     ← momentum · moving_mean     + (1 − momentum) · μ
        moving_variance ← momentum · moving_variance + (1 − momentum) · σ²

    Inference (``training`` falsy, or the layer frozen with ``trainable=False``,
    as Keras 3 does for fine-tuning): the moving averages are used instead.

    Note PyTorch's convention differs: its ``momentum`` is our ``1 − momentum``
    and it stores the *unbiased* batch variance in ``running_var``; we follow
    Keras (biased), so moving statistics are comparable only up to n/(n−1).

    Args:
        axis: the channel axis (the one *not* averaged). Defaults to -1.
        momentum: moving-average momentum. Defaults to 0.99.
        epsilon: added to σ² for stability. Defaults to 1e-3.
        center, scale: learn β and γ. Default True.
        beta_initializer, gamma_initializer: default ``"zeros"`` and ``"ones"``.
        moving_mean_initializer, moving_variance_initializer: default ``"zeros"``, ``"ones"``.
        beta_regularizer, gamma_regularizer: optional penalties.

    Weights (in order): gamma, beta, moving_mean, moving_variance.

    Example:
        >>> import numpy as np
        >>> layer = BatchNormalization(dtype="float64")
        >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
        >>> layer(x, training=True).numpy().round(4)  # (x − μ) / √(σ² + ε), per column
        array([[-0.9995, -1.    ],
               [ 0.9995,  1.    ]])
        >>> layer.moving_mean.numpy()  # 0.99 · 0 + 0.01 · μ
        array([0.02, 0.2 ])
    """

    def __init__(self, axis=-1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs):  # fmt: skip
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)  # fmt: skip
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1]; received {momentum}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape) -> None:
        self._build_affine(input_shape, self.center, self.scale)
        shape = self._param_shape(input_shape)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)  # fmt: skip
        self.moving_variance = self.add_weight(
            "moving_variance", shape, self.moving_variance_initializer, trainable=False
        )

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        gamma, beta = self._affine(ndim)
        if training and self.trainable:
            reduce_axes = tuple(a for a in range(ndim) if a not in self._axes(ndim))
            mean = ops.mean(inputs, axis=reduce_axes, keepdims=True)
            variance = ops.var(inputs, axis=reduce_axes, keepdims=True)
            m = self.momentum
            self.moving_mean.data[...] = m * self.moving_mean.data + (1 - m) * mean.data.reshape(
                self.moving_mean.shape
            )
            self.moving_variance.data[...] = (
                m * self.moving_variance.data
                + (1 - m) * variance.data.reshape(self.moving_variance.shape)
            )
        else:
            mean = self._broadcast(self.moving_mean, ndim)
            variance = self._broadcast(self.moving_variance, ndim)
        return _normalize(inputs, mean, variance, gamma, beta, self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer
            ),
        }


class LayerNormalization(_Normalization):
    """Normalises each sample over its features (``axis``), the same in training and inference.

    μ and σ² are the mean and biased variance of each sample over ``axis``; γ
    and β have the shape of those axes.

    Args:
        axis: axis or axes to normalise over. Defaults to -1.
        epsilon: added to σ². Defaults to 1e-3 (PyTorch's LayerNorm uses 1e-5).
        center, scale: learn β and γ. Default True.
        beta_initializer, gamma_initializer: default ``"zeros"`` and ``"ones"``.
        beta_regularizer, gamma_regularizer: optional penalties.
        rms_scaling: RMSNorm instead: ``y = γ · x / √(mean(x²) + ε)`` — no centring,
            so ``center`` and ``scale`` are ignored (γ is always learned, β never),
            as in Keras. Defaults to False. This is the documented formula, the
            same as ``torch.nn.RMSNorm``; Keras 3's own code divides by the
            variance instead (keras-team/keras#21234).

    Weights (in order): gamma, beta (each only when used).
    """

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 rms_scaling: bool = False, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):  # fmt: skip
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)  # fmt: skip
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape) -> None:
        rms = self.rms_scaling
        self._build_affine(input_shape, center=self.center and not rms, scale=self.scale or rms)

    def call(self, inputs):
        ndim = inputs.ndim
        axes = self._axes(ndim)
        gamma, beta = self._affine(ndim)
        if self.rms_scaling:  # x / √(mean(x²) + ε), the mean square taken as the "variance"
            mean_square = ops.mean(ops.square(inputs), axis=axes, keepdims=True)
            return inputs / ops.sqrt(mean_square + self.epsilon) * gamma
        mean = ops.mean(inputs, axis=axes, keepdims=True)
        variance = ops.var(inputs, axis=axes, keepdims=True)
        return _normalize(inputs, mean, variance, gamma, beta, self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "rms_scaling": self.rms_scaling}
