"""Data augmentation layers: random flips, shifts, rotations, zooms and noise, only in training.

Why augmentation is a regulariser
    A network overfits when it memorises the particular training images rather
    than what makes a sneaker a sneaker. Showing it every image slightly
    shifted, mirrored or rotated, differently at each epoch, changes the
    pixels but not the label: the training set becomes effectively much larger,
    and the network is taught that these changes do not matter (invariance).
    Like dropout and weight decay it costs a little training accuracy and
    shrinks the gap between training and validation. Pick changes that keep
    the label true: a horizontal flip is harmless for Fashion-MNIST clothing,
    while an upside-down digit 6 is a 9.

Why only in training
    At inference we want the model's answer for *this* image, the same every
    time. So, as :class:`~treino.layers.Dropout`, these layers are the
    identity unless called with ``training=True`` (what ``fit`` does); each
    training call draws new random transformations, one per image.

Usage: put them first, right after the input, so they change the data and
not the learned features::

    Input((28, 28)) → RandomFlip("horizontal") → RandomTranslation(0.1, 0.1) → Flatten() → Dense(…)

Images are channels-last, ``(N, H, W, C)``. A 3-D input ``(N, H, W)`` is read
as a batch of grayscale images, the way Fashion-MNIST arrives (Keras reads a
3-D input as one unbatched ``(H, W, C)`` image instead). ``data_format`` is
accepted only as ``"channels_last"`` (or None).

Randomness follows :class:`~treino.layers.Dropout`: ``seed=None`` draws from
the generator of ``treino.seed(n)``, an integer gives the layer its own
generator; either way the same seed gives the same sequence of augmentations.

For a given draw every layer is linear in its input (a gather of pixels, or
adding a constant), so gradients flow back to the input through the ops of
:mod:`treino.ops.image`. Angles follow Keras: a positive rotation is
counter-clockwise as displayed (row 0 at the top), like ``np.rot90``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from treino import backend
from treino.layers.base import Layer
from treino.ops import image

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _factor_range(layer: str, name: str, factor) -> tuple:
    """Keras's reading of a factor: ``f`` → ``(−|f|, |f|)``; ``(a, b)`` → ``(min, max)``.

    Returns the value to keep in the config and the ``(lower, upper)`` range;
    every number must lie in [−1, 1].
    """
    pair = isinstance(factor, list | tuple)
    values = list(factor) if pair else [factor]
    if (pair and len(values) != 2) or not all(_is_number(v) and -1 <= v <= 1 for v in values):
        raise ValueError(
            f"{layer}: {name} must be a number or a pair (lower, upper) of numbers in "
            f"[-1, 1]; received {name}={factor!r}"
        )
    values = [float(v) for v in values]
    if pair:
        return values, (min(values), max(values))
    return values[0], (-abs(values[0]), abs(values[0]))


def _about_centre(linear, height: int, width: int):
    """Output → input maps ``(N, 2, 3)`` that apply ``linear`` ``(N, 2, 2)`` about the centre.

    Positions are (column, row); the centre ``c = ((W−1)/2, (H−1)/2)`` stays
    put: ``source = A · (p − c) + c``.
    """
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    offset = centre - linear @ centre
    return np.concatenate([linear, offset[:, :, None]], axis=2)


class _RandomLayer(Layer):
    """Identity at inference; in training, ``_augment(inputs, rng)`` with a fresh random draw."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(
                f"{type(self).__name__}: seed must be None or a non-negative integer; "
                f"received seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self._rng = None if seed is None else np.random.default_rng(self.seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        return self._augment(inputs, backend.make_rng(self._rng))

    def _augment(self, inputs, rng):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


class _ImageLayer(_RandomLayer):
    """A random layer on images ``(N, H, W, C)`` or ``(N, H, W)``."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"{type(self).__name__}: only data_format='channels_last' is supported; "
                f"received data_format={data_format!r}"
            )
        self.data_format = data_format

    def build(self, input_shape) -> None:
        self._check_rank(input_shape)

    def call(self, inputs, training=None):
        self._check_rank(inputs.shape)
        return super().call(inputs, training=training)

    def _check_rank(self, shape) -> None:
        if len(shape) not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected images of shape (N, H, W, C) "
                f"or (N, H, W); received input shape {tuple(shape)}"
            )

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class _FilledImageLayer(_ImageLayer):
    """An image layer that moves pixels and fills the uncovered border by ``fill_mode``."""

    def __init__(self, fill_mode="reflect", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        image.check_fill(type(self).__name__, fill_mode, fill_value)
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)

    def get_config(self) -> dict:
        return {**super().get_config(), "fill_mode": self.fill_mode, "fill_value": self.fill_value}


class RandomFlip(_ImageLayer):
    """Randomly mirrors each image, left-right and/or top-bottom, during training.

    Each image is flipped independently with probability 0.5. With
    ``"horizontal_and_vertical"`` the two flips are drawn independently, so an
    image comes out as is, mirrored, upside down or both, 1/4 each (Keras 3
    draws one coin for both: as is or rotated 180°).

    Args:
        mode: ``"horizontal"`` (left-right, along the width), ``"vertical"``
            (top-bottom, along the height) or ``"horizontal_and_vertical"``.
            Defaults to ``"horizontal_and_vertical"``, as Keras.
        seed: integer for a reproducible sequence of flips. Defaults to None
            (the generator of ``treino.seed``).
        **kwargs: base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        ``(N, H, W, C)``, or ``(N, H, W)`` for grayscale images.

    Output shape:
        Same as the input.

    Example:
        >>> import numpy as np
        >>> images = np.arange(6.0).reshape(2, 1, 3)  # two 1×3 grayscale images
        >>> layer = RandomFlip("horizontal", seed=1)
        >>> layer(images).numpy()  # inference: unchanged
        array([[[0., 1., 2.]],
               [[3., 4., 5.]]], dtype=float32)
        >>> layer(images, training=True).numpy()  # each image flipped or not
        array([[[0., 1., 2.]],
               [[5., 4., 3.]]], dtype=float32)
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        image.check_choice("RandomFlip", "mode", mode, FLIP_MODES)
        self.mode = mode

    def _augment(self, x, rng):
        n, height, width = x.shape[:3]
        coins = rng.random((n, 2)) < 0.5
        flip_cols = coins[:, 0] & (self.mode != "vertical")  # horizontal: left ↔ right
        flip_rows = coins[:, 1] & (self.mode != "horizontal")  # vertical: top ↔ bottom

        def source(size, flip):  # (n, size): position i reads size − 1 − i where flipped
            positions = np.arange(size)
            return np.where(flip[:, None], size - 1 - positions, positions)

        rows, cols = source(height, flip_rows), source(width, flip_cols)
        return image.gather_pixels(x, rows[:, :, None], cols[:, None, :])

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class RandomTranslation(_FilledImageLayer):
    """Randomly shifts each image by a whole number of pixels during training.

    Each image gets its own shift: a fraction drawn uniformly from the factor's
    range, times the height (or width), rounded to the nearest pixel. Keras
    shifts by fractional pixels and interpolates; whole pixels keep the image
    sharp, so there is no ``interpolation`` argument. The uncovered border is
    filled according to ``fill_mode``.

    Args:
        height_factor: vertical shift as a fraction of the height: a number
            ``f`` for the range ``[-|f|, |f|]``, or a pair ``(lower, upper)``;
            numbers in [-1, 1]. Positive shifts move the image down.
        width_factor: the same for the horizontal shift; positive moves right.
        fill_mode: how the uncovered pixels are filled: ``"reflect"``
            (``d c b a | a b c d | d c b a``), ``"constant"`` (``k k | a b c d | k k``
            with ``k = fill_value``), ``"wrap"`` (``a b c d | a b c d | a b c d``)
            or ``"nearest"`` (``a a a a | a b c d | d d d d``). Defaults to
            ``"reflect"``, as Keras.
        seed: integer for a reproducible sequence of shifts. Defaults to None
            (the generator of ``treino.seed``).
        fill_value: the value used with ``fill_mode="constant"``. Defaults to 0.0.
        **kwargs: base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        ``(N, H, W, C)``, or ``(N, H, W)`` for grayscale images.

    Output shape:
        Same as the input.

    Example:
        >>> import numpy as np
        >>> images = np.arange(1.0, 5.0).reshape(1, 1, 4)  # one 1×4 image
        >>> shift_right_1 = RandomTranslation(0, (0.25, 0.25), fill_mode="constant")
        >>> shift_right_1(images, training=True).numpy()
        array([[[0., 1., 2., 3.]]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode: str = "reflect", seed=None,
                 fill_value: float = 0.0, **kwargs):  # fmt: skip
        super().__init__(seed=seed, fill_mode=fill_mode, fill_value=fill_value, **kwargs)
        name = type(self).__name__
        self.height_factor, self._height = _factor_range(name, "height_factor", height_factor)
        self.width_factor, self._width = _factor_range(name, "width_factor", width_factor)

    def _augment(self, x, rng):
        n, height, width = x.shape[:3]
        shift_rows = np.rint(rng.uniform(*self._height, size=n) * height).astype(np.int64)
        shift_cols = np.rint(rng.uniform(*self._width, size=n) * width).astype(np.int64)
        rows = np.arange(height) - shift_rows[:, None]  # output row i reads input row i − shift
        cols = np.arange(width) - shift_cols[:, None]
        fill = {"fill_mode": self.fill_mode, "fill_value": self.fill_value}
        return image.gather_pixels(x, rows[:, :, None], cols[:, None, :], **fill)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}  # fmt: skip


class _AffineLayer(_FilledImageLayer):
    """Rotation and zoom: a random linear map per image, applied about the image centre."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 **kwargs):  # fmt: skip
        super().__init__(seed=seed, fill_mode=fill_mode, fill_value=fill_value, **kwargs)
        layer, choices = type(self).__name__, image.INTERPOLATIONS
        image.check_choice(layer, "interpolation", interpolation, choices)
        self.interpolation = interpolation

    def _linear_maps(self, n: int, rng):
        """``(n, 2, 2)`` maps from output to input offsets (column, row) from the centre."""
        raise NotImplementedError

    def _augment(self, x, rng):
        n, height, width = x.shape[:3]
        matrices = _about_centre(self._linear_maps(n, rng), height, width)
        fill = {"fill_mode": self.fill_mode, "fill_value": self.fill_value}
        return image.affine_transform(x, matrices, interpolation=self.interpolation, **fill)

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation}


class RandomRotation(_AffineLayer):
    """Randomly rotates each image about its centre during training.

    Each image gets its own angle, drawn uniformly from the factor's range
    times 2π (``factor=0.05`` is a "small rotation" of up to ±18°). Each output
    pixel is mapped back to the input by the inverse rotation and sampled
    there (nearest pixel or bilinear mix of the four neighbours); positions
    outside the image are filled according to ``fill_mode``.

    Args:
        factor: fraction of a full turn: a number ``f`` for the range
            ``[-|f|, |f|]``, or a pair ``(lower, upper)``; numbers in [-1, 1].
            Positive angles rotate counter-clockwise as displayed (row 0 at the
            top), as Keras and ``np.rot90``; negative ones clockwise.
        fill_mode: ``"reflect"``, ``"constant"``, ``"wrap"`` or ``"nearest"``,
            as in :class:`RandomTranslation`. Defaults to ``"reflect"``, as Keras.
        interpolation: ``"nearest"`` or ``"bilinear"``. Defaults to ``"bilinear"``.
        seed: integer for a reproducible sequence of angles. Defaults to None
            (the generator of ``treino.seed``).
        fill_value: the value used with ``fill_mode="constant"``. Defaults to 0.0.
        **kwargs: base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        ``(N, H, W, C)``, or ``(N, H, W)`` for grayscale images.

    Output shape:
        Same as the input.

    Example:
        >>> import numpy as np
        >>> images = np.array([[[1.0, 2.0], [3.0, 4.0]]])  # one 2×2 image
        >>> quarter_turn = RandomRotation((0.25, 0.25), interpolation="nearest")
        >>> quarter_turn(images, training=True).numpy()  # counter-clockwise, as np.rot90
        array([[[2., 4.],
                [1., 3.]]], dtype=float32)
    """

    def __init__(self, factor, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed=None, fill_value: float = 0.0, **kwargs):  # fmt: skip
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, **kwargs)  # fmt: skip
        self.factor, self._range = _factor_range("RandomRotation", "factor", factor)

    def _linear_maps(self, n, rng):
        angle = 2 * math.pi * rng.uniform(*self._range, size=n)
        cos, sin = np.cos(angle), np.sin(angle)
        # An output offset (x, y) comes from the input offset R(θ)·(x, y); with
        # rows growing downwards that turns the picture counter-clockwise.
        return np.stack([np.stack([cos, -sin], axis=-1), np.stack([sin, cos], axis=-1)], axis=-2)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    """Randomly zooms each image in or out about its centre during training.

    Each image gets its own zoom: ``1 + u`` with ``u`` drawn from the factor's
    range scales the part of the input that is shown, so a positive ``u``
    zooms *out* (the picture shrinks, the border is filled according to
    ``fill_mode``) and a negative one zooms *in*, as in Keras.

    Args:
        height_factor: vertical zoom: a number ``f`` for the range
            ``[-|f|, |f|]``, or a pair ``(lower, upper)``; numbers in [-1, 1].
        width_factor: horizontal zoom, the same way. Defaults to None: the
            vertical zoom is used, keeping the aspect ratio.
        fill_mode: ``"reflect"``, ``"constant"``, ``"wrap"`` or ``"nearest"``,
            as in :class:`RandomTranslation`. Defaults to ``"reflect"``, as Keras.
        interpolation: ``"nearest"`` or ``"bilinear"``. Defaults to ``"bilinear"``.
        seed: integer for a reproducible sequence of zooms. Defaults to None
            (the generator of ``treino.seed``).
        fill_value: the value used with ``fill_mode="constant"``. Defaults to 0.0.
        **kwargs: base layer arguments (``name``, ``dtype``, ``data_format``).

    Input shape:
        ``(N, H, W, C)``, or ``(N, H, W)`` for grayscale images.

    Output shape:
        Same as the input.

    Example:
        >>> import numpy as np
        >>> images = np.arange(1.0, 6.0).reshape(1, 1, 5)  # one 1×5 image
        >>> zoom_in_2x = RandomZoom(0, (-0.5, -0.5))  # shows the middle half, stretched
        >>> zoom_in_2x(images, training=True).numpy()
        array([[[2. , 2.5, 3. , 3.5, 4. ]]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed=None, fill_value: float = 0.0,
                 **kwargs):  # fmt: skip
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, **kwargs)  # fmt: skip
        self.height_factor, self._height = _factor_range("RandomZoom", "height_factor",
                                                         height_factor)  # fmt: skip
        self.width_factor, self._width = (None, None) if width_factor is None else (
            _factor_range("RandomZoom", "width_factor", width_factor)
        )  # fmt: skip

    def _linear_maps(self, n, rng):
        zoom_rows = 1 + rng.uniform(*self._height, size=n)
        zoom_cols = zoom_rows if self._width is None else 1 + rng.uniform(*self._width, size=n)
        maps = np.zeros((n, 2, 2))
        maps[:, 0, 0], maps[:, 1, 1] = zoom_cols, zoom_rows
        return maps

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}  # fmt: skip


class GaussianNoise(_RandomLayer):
    """Adds zero-mean Gaussian noise ``N(0, stddev²)`` to every value during training.

    A regulariser for real-valued inputs (it blurs what the network can
    memorise about each exact value), and a mild augmentation for images.
    The gradient passes through unchanged.

    Args:
        stddev: standard deviation of the noise, a finite number ≥ 0 (Keras 3
            also requires ≤ 1; treino allows more, e.g. for pixels in [0, 255]).
        seed: integer for a reproducible sequence of noise. Defaults to None
            (the generator of ``treino.seed``).
        **kwargs: base layer arguments (``name``, ``dtype``).

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import numpy as np
        >>> layer = GaussianNoise(0.1, seed=0)
        >>> x = np.zeros((1000, 100))
        >>> bool(np.all(layer(x).numpy() == 0))  # inference: unchanged
        True
        >>> round(float(layer(x, training=True).numpy().std()), 2)
        0.1
    """

    def __init__(self, stddev: float, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not _is_number(stddev) or not 0 <= stddev < math.inf:
            raise ValueError(
                f"GaussianNoise: stddev must be a finite number ≥ 0; received stddev={stddev!r}"
            )
        self.stddev = float(stddev)

    def _augment(self, x, rng):
        return image.gaussian_noise(x, self.stddev, seed=rng)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev}
