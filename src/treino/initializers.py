"""Weight initializers: the starting point of gradient descent.

Every initializer is a callable ``init(shape, dtype=None) -> numpy.ndarray``
(``dtype`` defaults to ``treino.backend.floatx()``), with ``get_config()`` and
``from_config(config)`` so a layer can save it by name, as in Keras.

Why the starting point matters (the course's *Inicialização dos Pesos*):

* **Random, small values** break the symmetry: if every weight started equal,
  every neuron of a layer would compute — and learn — the same thing. But a
  fixed scale such as ``0.01`` makes the signal shrink (or grow) layer after
  layer in a deep network, so training is slow or never starts.
* **Xavier/Glorot** (for sigmoid and tanh) scales the variance of the weights
  by the number of connections in and out, ``Var(w) = 2 / (fan_in + fan_out)``,
  so the variance of the signal stays roughly constant forward *and* backward
  through the layers, inside the region where those activations are not
  saturated.
* **He** (for ReLU) doubles it, ``Var(w) = 2 / fan_in``, to compensate for ReLU
  zeroing every negative input: half the signal's variance is lost at each
  layer, and the factor 2 gives it back.

All the scaled recipes are :class:`VarianceScaling` with one ``scale``, one
``mode`` (which fan) and one ``distribution``; :func:`compute_fans` says what
``fan_in`` and ``fan_out`` are for Dense and convolution kernels.

Randomness: with ``seed=None`` an initializer draws from the generator seeded
by ``treino.seed(n)`` (so one seed makes a whole model reproducible); with an
integer ``seed`` it returns the same values on every call (Keras 3 semantics).
Values are drawn in float64 and then converted, so a seed gives the same
numbers (up to rounding) in float32 and float64.

Example:
    >>> import treino
    >>> from treino import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> treino.seed(0)
    >>> w = init((784, 128))
    >>> w.shape, w.dtype
    ((784, 128), dtype('float32'))
    >>> bool(abs(w).max() <= (6 / (784 + 128)) ** 0.5)
    True
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from treino import backend
from treino.naming import snake_case

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "deserialize",
    "get",
    "serialize",
]

# Standard deviation of a standard normal truncated to [-2, 2]: dividing by it
# makes the *truncated* draw have the intended standard deviation (as Keras).
TRUNCATED_STDDEV = 0.87962566103423978


# ------------------------------------------------------------------ helpers
def compute_fans(shape) -> tuple[int, int]:
    """The number of input and output connections of one unit, for a weight shape.

    * Dense kernel ``(in, out)``: ``fan_in = in``, ``fan_out = out``.
    * Convolution kernel ``(kh, kw, c_in, c_out)`` (any number of spatial
      axes first): each output sees a receptive field of ``kh·kw`` positions
      on each input channel, so ``fan_in = kh·kw·c_in`` and
      ``fan_out = kh·kw·c_out``.
    * A vector ``(n,)``: ``fan_in = fan_out = n``; a scalar: 1 and 1.

    Args:
        shape: the weight's shape (tuple of ints).

    Returns:
        ``(fan_in, fan_out)``.

    Example:
        >>> compute_fans((784, 128))
        (784, 128)
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _normalize_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        out = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise TypeError(f"shape must be a tuple of integers; received: shape={shape!r}") from None
    if any(n < 0 for n in out):
        raise ValueError(f"shape must have non-negative dimensions; received: shape={shape!r}")
    return out


def _resolve_dtype(dtype, float_only: bool, name: str) -> np.dtype:
    dtype = np.dtype(backend.floatx() if dtype is None else dtype)
    if float_only and not backend.is_float(dtype):
        raise TypeError(f"{name} draws real numbers; expected a float dtype, received: {dtype}")
    return dtype


def _check_number(name: str, value, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; received: {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; received: {name}={value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive; received: {name}={value}")
    return float(value)


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer or None; received: seed={seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative; received: seed={seed}")
    return int(seed)


def _truncated_standard_normal(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Standard normal draws, each one outside [-2, 2] drawn again until it falls inside."""
    z = np.asarray(rng.standard_normal(shape))
    outside = np.abs(z) > 2
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return z


# --------------------------------------------------------------------- base
class Initializer:
    """Base class: a callable ``(shape, dtype=None) -> numpy.ndarray`` with a config.

    Subclasses implement ``__call__`` and, when they take arguments,
    ``get_config`` (``from_config`` is ``cls(**config)``).

    Example:
        >>> import numpy as np
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return np.full(shape, 0.5, dtype=dtype or "float32")
        >>> Halves()((2,))
        array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        """Rebuild the initializer from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------- constants
class Zeros(Initializer):
    """All zeros: the usual start for biases (the weights already break symmetry).

    w = 0

    Example:
        >>> Zeros()((2, 3))
        array([[0., 0., 0.],
               [0., 0., 0.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.zeros(_normalize_shape(shape), dtype=_resolve_dtype(dtype, False, "Zeros"))


class Ones(Initializer):
    """All ones: the usual start of a normalisation's scale γ.

    w = 1

    Example:
        >>> Ones()(3, dtype="float64")
        array([1., 1., 1.])
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        return np.ones(_normalize_shape(shape), dtype=_resolve_dtype(dtype, False, "Ones"))


class Constant(Initializer):
    """Every element equal to ``value`` (or ``value`` broadcast to the shape).

    w = value

    Args:
        value: a number, or an array broadcastable to the requested shape.
            Defaults to 0.0.

    Example:
        >>> Constant(0.1)((2,))
        array([0.1, 0.1], dtype=float32)
        >>> Constant([1.0, 2.0])((2, 2))
        array([[1., 2.],
               [1., 2.]], dtype=float32)
    """

    def __init__(self, value=0.0):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Constant value must be numeric; received: value={value!r}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"Constant value must be finite; received: value={value!r}")
        self.value = array.item() if array.ndim == 0 else array.tolist()

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        dtype = _resolve_dtype(dtype, False, "Constant")
        value = np.asarray(self.value, dtype=dtype)
        try:
            return np.array(np.broadcast_to(value, shape), dtype=dtype)
        except ValueError:
            raise ValueError(
                f"Constant: a value of shape {value.shape} cannot fill shape {shape}"
            ) from None

    def get_config(self) -> dict:
        return {"value": self.value}


class Identity(Initializer):
    """``gain · I``: the identity matrix (ones on the diagonal), for 2-D weights.

    A layer that starts as the identity passes its input through unchanged;
    useful for recurrent kernels and residual-style experiments. Non-square
    shapes get ones on the main diagonal.

    Args:
        gain: multiplier of the identity. Defaults to 1.0.

    Example:
        >>> Identity(gain=2.0)((2, 3))
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = _check_number("gain", gain)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer needs a 2-D shape; received: shape={shape} "
                f"of rank {len(shape)}"
            )
        dtype = _resolve_dtype(dtype, False, "Identity")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain}


# ------------------------------------------------------------------- random
class RandomInitializer(Initializer):
    """Base of the random initializers: resolves ``seed`` to a generator at each call.

    ``seed=None`` draws from ``treino.backend.get_rng()`` (seeded by
    ``treino.seed(n)``), so successive calls give different values; an integer
    seed starts a fresh generator on every call, so every call gives the same
    values.
    """

    def __init__(self, seed: int | None = None):
        self.seed = _check_seed(seed)

    def _rng(self) -> np.random.Generator:
        if self.seed is None:
            return backend.get_rng()
        return np.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Samples of a normal distribution ``N(mean, stddev²)``.

    w ~ N(mean, stddev²), each element independent (default: mean = 0, stddev = 0.05).

    The course's "inicialização aleatória": small random values break the
    symmetry between neurons, but a fixed ``stddev`` ignores the layer's size
    (prefer Glorot or He for deep networks).

    Args:
        mean: mean of the distribution. Defaults to 0.0.
        stddev: standard deviation (> 0). Defaults to 0.05.
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = RandomNormal(stddev=1.0, seed=0)((1000,))
        >>> round(float(w.std()), 1)
        1.0
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = _check_number("mean", mean)
        self.stddev = _check_number("stddev", stddev, positive=True)
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        dtype = _resolve_dtype(dtype, True, type(self).__name__)
        w = self._rng().normal(self.mean, self.stddev, size=shape)
        return np.asarray(w, dtype=dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Samples of a uniform distribution on ``[minval, maxval)``.

    w ~ U(minval, maxval), each element independent (default: minval = −0.05, maxval = 0.05).

    Args:
        minval: lower bound (inclusive). Defaults to -0.05.
        maxval: upper bound (exclusive), greater than ``minval``. Defaults to 0.05.
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = RandomUniform(-1.0, 1.0, seed=0)((1000,))
        >>> bool(w.min() >= -1.0 and w.max() < 1.0)
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = _check_number("minval", minval)
        self.maxval = _check_number("maxval", maxval)
        if self.maxval <= self.minval:
            raise ValueError(
                f"RandomUniform needs minval < maxval; received: minval={minval}, maxval={maxval}"
            )
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        dtype = _resolve_dtype(dtype, True, "RandomUniform")
        w = self._rng().uniform(self.minval, self.maxval, size=shape)
        return np.asarray(w, dtype=dtype)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Normal samples ``N(mean, stddev²)``, redrawn when more than 2·stddev from the mean.

    No weight starts far out in the tails. Cutting the tails narrows the
    distribution: the standard deviation of the values returned is
    ``0.8796·stddev`` (:class:`VarianceScaling` divides by that factor).

    Args:
        mean: mean of the distribution. Defaults to 0.0.
        stddev: standard deviation *before* truncation (> 0). Defaults to 0.05.
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
        >>> bool(abs(w).max() <= 2.0)
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = _check_number("mean", mean)
        self.stddev = _check_number("stddev", stddev, positive=True)
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        dtype = _resolve_dtype(dtype, True, "TruncatedNormal")
        z = _truncated_standard_normal(self._rng(), shape)
        return np.asarray(self.mean + self.stddev * z, dtype=dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """Random weights with variance ``scale / n``, ``n`` a fan of the weight's shape.

    The rule behind Glorot, He and LeCun. With ``n`` chosen by ``mode``
    (see :func:`compute_fans`):

    * ``"fan_in"``: ``n = fan_in`` — keeps the variance of the forward signal;
    * ``"fan_out"``: ``n = fan_out`` — keeps the variance of the gradients flowing back;
    * ``"fan_avg"``: ``n = (fan_in + fan_out) / 2`` — the compromise of Glorot.

    the target variance is ``σ² = scale / n`` and ``distribution`` draws it as

    * ``"truncated_normal"``: a normal cut at ±2 standard deviations, with
      ``stddev = √(scale / n) / 0.8796`` so that the values *after* the cut
      have standard deviation ``√(scale / n)``;
    * ``"untruncated_normal"``: ``N(0, scale / n)``;
    * ``"uniform"``: ``U(−limit, limit)`` with ``limit = √(3·scale / n)``
      (a uniform on ``[−a, a]`` has variance ``a²/3``).

    Args:
        scale: the variance numerator (> 0). Defaults to 1.0.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``. Defaults to ``"fan_in"``.
        distribution: ``"truncated_normal"`` (alias ``"normal"``),
            ``"untruncated_normal"`` or ``"uniform"``. Defaults to ``"truncated_normal"``.
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="untruncated_normal",
        ...                        seed=0)
        >>> w = init((500, 400))
        >>> round(float(w.var() * 500), 2)  # scale = Var(w) · fan_in
        2.0
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        self.scale = _check_number("scale", scale, positive=True)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}; received: mode={mode!r}")
        if isinstance(distribution, str):
            distribution = distribution.lower()
            if distribution == "normal":
                distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {_DISTRIBUTIONS}; "
                f"received: distribution={distribution!r}"
            )
        self.mode = mode
        self.distribution = distribution
        super().__init__(seed)

    def variance(self, shape) -> float:
        """The target variance ``scale / n`` for a weight of this ``shape``."""
        fan_in, fan_out = compute_fans(_normalize_shape(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        dtype = _resolve_dtype(dtype, True, type(self).__name__)
        variance = self.variance(shape)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / TRUNCATED_STDDEV
            w = stddev * _truncated_standard_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            w = math.sqrt(variance) * np.asarray(rng.standard_normal(shape))
        else:
            limit = math.sqrt(3.0 * variance)
            w = np.asarray(rng.uniform(-limit, limit, size=shape))
        return np.asarray(w, dtype=dtype)

    def get_config(self) -> dict:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class _Recipe(VarianceScaling):
    """A VarianceScaling with fixed scale/mode/distribution: only ``seed`` is configurable."""

    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(self, seed: int | None = None):
        super().__init__(self._scale, self._mode, self._distribution, seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_Recipe):
    """Xavier/Glorot uniform: ``U(−limit, limit)``, ``limit = √(6 / (fan_in + fan_out))``.

    Made for sigmoid and tanh networks: its variance
    ``Var(w) = 2 / (fan_in + fan_out)`` keeps the variance of the signal about
    the same going forward (which asks for ``1/fan_in``) and coming back
    (``1/fan_out``), so the units stay out of saturation and the gradients
    neither vanish nor explode. The default kernel initializer of Keras's
    Dense and Conv layers; equal to PyTorch's ``xavier_uniform_``.
    ``VarianceScaling(1.0, "fan_avg", "uniform")``.

    Args:
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Reference: Glorot & Bengio, 2010, "Understanding the difficulty of training
    deep feedforward neural networks".

    Example:
        >>> w = GlorotUniform(seed=0)((300, 200))
        >>> bool(abs(w).max() <= (6 / (300 + 200)) ** 0.5)
        True
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_Recipe):
    """Xavier/Glorot normal: truncated normal with std ``√(2 / (fan_in + fan_out))``.

    Same variance as :class:`GlorotUniform`, ``Var(w) = 2 / (fan_in + fan_out)``,
    drawn from a normal cut at two standard deviations — for sigmoid and tanh.
    ``VarianceScaling(1.0, "fan_avg", "truncated_normal")``.

    Args:
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = GlorotNormal(seed=0)((300, 200))
        >>> round(float(w.std() / (2 / (300 + 200)) ** 0.5), 1)
        1.0
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeNormal(_Recipe):
    """He (Kaiming) normal: truncated normal with std ``√(2 / fan_in)``.

    Made for ReLU: ReLU sets every negative input to zero, which halves the
    variance of the signal at each layer; ``Var(w) = 2 / fan_in`` — twice
    LeCun's ``1 / fan_in`` — compensates, so deep ReLU networks (and CNNs)
    keep a steady signal. ``VarianceScaling(2.0, "fan_in", "truncated_normal")``.

    Args:
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Reference: He et al., 2015, "Delving Deep into Rectifiers".

    Example:
        >>> w = HeNormal(seed=0)((3, 3, 32, 64))  # fan_in = 3·3·32 = 288
        >>> round(float(w.std() / (2 / 288) ** 0.5), 1)
        1.0
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_Recipe):
    """He (Kaiming) uniform: ``U(−limit, limit)``, ``limit = √(6 / fan_in)``.

    The ReLU variance ``Var(w) = 2 / fan_in`` (see :class:`HeNormal`) with a
    uniform distribution. ``VarianceScaling(2.0, "fan_in", "uniform")``.

    Args:
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = HeUniform(seed=0)((600, 100))
        >>> bool(abs(w).max() <= (6 / 600) ** 0.5)
        True
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class LecunNormal(_Recipe):
    """LeCun normal: truncated normal with std ``√(1 / fan_in)``.

    ``Var(w) = 1 / fan_in`` keeps the forward variance for activations that are
    linear around zero; the partner of SELU (self-normalising networks).
    ``VarianceScaling(1.0, "fan_in", "truncated_normal")``.

    Args:
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = LecunNormal(seed=0)((400, 300))
        >>> round(float(w.std() * 400 ** 0.5), 1)
        1.0
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_Recipe):
    """LeCun uniform: ``U(−limit, limit)``, ``limit = √(3 / fan_in)`` (``Var(w) = 1 / fan_in``).

    ``VarianceScaling(1.0, "fan_in", "uniform")``.

    Args:
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Example:
        >>> w = LecunUniform(seed=0)((300, 10))
        >>> bool(abs(w).max() <= (3 / 300) ** 0.5)
        True
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix (times ``gain``): ``WᵀW = gain²·I`` (or ``WWᵀ`` if wide).

    Draw ``A ~ N(0, 1)`` of shape ``(max(r, c), min(r, c))``, factor ``A = QR``
    and multiply each column of ``Q`` by the sign of ``R``'s diagonal (so ``Q``
    is uniformly distributed over orthogonal matrices, not biased by the QR
    convention). Orthogonal weights preserve the norm of the signal exactly,
    which helps recurrent kernels applied many times. A shape with more than two
    axes is treated as a matrix ``(shape[0]·…·shape[-2], shape[-1])``.

    Args:
        gain: multiplier of the orthogonal matrix. Defaults to 1.0.
        seed: integer for the same values on every call, or None to draw from
            the generator of ``treino.seed``. Defaults to None.

    Reference: Saxe et al., 2014, "Exact solutions to the nonlinear dynamics
    of learning in deep linear neural networks".

    Example:
        >>> import numpy as np
        >>> w = Orthogonal(seed=0)((4, 4), dtype="float64")
        >>> np.allclose(w.T @ w, np.eye(4))
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = _check_number("gain", gain)
        super().__init__(seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        shape = _normalize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of at least 2 dimensions; "
                f"received: shape={shape} of rank {len(shape)}"
            )
        dtype = _resolve_dtype(dtype, True, "Orthogonal")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


# ------------------------------------------------------------ (de)serialize
_CLASSES = (
    Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal,
    LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, Zeros,
)  # fmt: skip



_ALIASES = {
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "one": Ones,
    "zero": Zeros,
    "xavier_uniform": GlorotUniform,
    "xavier_normal": GlorotNormal,
    "kaiming_uniform": HeUniform,
    "kaiming_normal": HeNormal,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
}

_REGISTRY: dict[str, type] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{snake_case(cls.__name__): cls for cls in _CLASSES},
    **_ALIASES,
}


def _lookup(name: str) -> type:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(n for n in _REGISTRY if n.islower()))
        raise ValueError(
            f"Unknown initializer: {name!r}. Valid names: {valid} "
            "(or the class names, e.g. 'GlorotUniform')"
        ) from None


def serialize(initializer) -> dict | None:
    """``{"class_name": ..., "config": ...}`` for an initializer (None stays None).

    Example:
        >>> serialize(RandomNormal(stddev=0.1))
        {'class_name': 'RandomNormal', 'config': {'mean': 0.0, 'stddev': 0.1, 'seed': None}}
    """
    if initializer is None:
        return None
    if isinstance(initializer, str):
        initializer = get(initializer)
    if not isinstance(initializer, Initializer):
        raise ValueError(
            f"Cannot serialize {initializer!r}: only treino.initializers.Initializer "
            "instances have a config (subclass Initializer and implement get_config)"
        )
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config) -> Initializer:
    """Rebuild an initializer from :func:`serialize`'s dict or from a name.

    Example:
        >>> deserialize({"class_name": "HeNormal", "config": {"seed": 3}})
        HeNormal(seed=3)
        >>> deserialize("zeros")
        Zeros()
    """
    if isinstance(config, str):
        return _lookup(config)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "initializer config must be a name or a dict with 'class_name' and 'config'; "
            f"received: {config!r}"
        )
    cls = _lookup(config["class_name"])
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """Resolve anything that names an initializer to a callable ``(shape, dtype) -> array``.

    Args:
        identifier: None (returns None), a name (``"glorot_uniform"``,
            ``"GlorotUniform"``, ``"he_normal"``, the aliases
            ``"xavier_uniform"`` / ``"xavier_normal"`` and
            ``"kaiming_uniform"`` / ``"kaiming_normal"`` …), a config dict
            (``{"class_name": ..., "config": ...}``), an :class:`Initializer`
            class or instance, or any callable ``(shape, dtype=None)``.

    Returns:
        The initializer (a new instance for names, dicts and classes; the same
        object for instances and callables).

    Example:
        >>> get("he_uniform")
        HeUniform(seed=None)
        >>> get({"class_name": "Constant", "config": {"value": 0.5}})
        Constant(value=0.5)
    """
    if identifier is None:
        return None
    if isinstance(identifier, str | dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
