"""Augmentation layers and treino.ops.image: identity at inference, exact small cases,
statistics, gradients, torch parity, config round trips, seeding and errors."""

import json

import numpy as np
import pytest

import treino
from treino.layers import Dense, Flatten, Input, KerasTensor
from treino.layers.augmentation import (
    GaussianNoise,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from treino.ops.image import affine_transform, gather_pixels, gaussian_noise

F64 = {"dtype": "float64"}


def images(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# Every layer, configured so that a training call changes the images.
LAYERS = {
    "flip": lambda **kw: RandomFlip(**kw),
    "translation": lambda **kw: RandomTranslation(0.3, 0.3, **kw),
    "rotation": lambda **kw: RandomRotation(0.1, **kw),
    "zoom": lambda **kw: RandomZoom(0.3, **kw),
    "noise": lambda **kw: GaussianNoise(0.1, **kw),
}
IMAGE_LAYERS = [name for name in LAYERS if name != "noise"]


# ------------------------------------------------------------------ inference / training
@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("training", [None, False])
def test_inference_is_exact_identity(name, training):
    x = images(4, 6, 5, 3)
    y = LAYERS[name](seed=0)(x, training=training)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), x)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", [(8, 6, 5, 3), (8, 6, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_changes_images_and_keeps_shape_and_dtype(name, shape, dtype):
    x = images(*shape, dtype=dtype)
    y = LAYERS[name](seed=0, dtype=dtype)(x, training=True)
    assert y.shape == x.shape and y.dtype == np.dtype(dtype)
    assert not np.allclose(y.numpy(), x)


@pytest.mark.parametrize("name", LAYERS)
def test_integer_images_become_floats(name):
    x = np.random.default_rng(0).integers(0, 256, size=(3, 4, 4, 1), dtype=np.uint8)
    layer = LAYERS[name](seed=0)
    assert layer(x).dtype == np.float32
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert layer(x, training=True).dtype == np.float32


@pytest.mark.parametrize("name", IMAGE_LAYERS)
def test_grayscale_3d_input_equals_one_channel(name):
    x = images(5, 6, 7)
    y3 = LAYERS[name](seed=3)(x, training=True).numpy()
    y4 = LAYERS[name](seed=3)(x[..., None], training=True).numpy()
    assert y3.shape == x.shape
    np.testing.assert_array_equal(y3, y4[..., 0])


@pytest.mark.parametrize("name", IMAGE_LAYERS)
def test_all_channels_move_together(name):
    base = images(4, 6, 6)
    x = np.stack([base, 2 * base, -base], axis=-1)
    out = LAYERS[name](seed=1)(x, training=True).numpy()
    np.testing.assert_allclose(out[..., 1], 2 * out[..., 0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out[..., 2], -out[..., 0], rtol=1e-6, atol=1e-6)


def test_new_draw_on_every_training_call():
    layer = RandomRotation(0.2, seed=0)
    x = images(4, 5, 5)
    assert not np.array_equal(layer(x, training=True).numpy(), layer(x, training=True).numpy())


# ---------------------------------------------------------------------------- RandomFlip
def _per_image(y, x, candidates):
    """Which candidate transform of x each image of y equals (−1 when none)."""
    match = [[np.array_equal(yi, f(xi)) for f in candidates] for yi, xi in zip(y, x, strict=True)]
    return np.array([row.index(True) if any(row) else -1 for row in match])


def test_flip_horizontal_is_per_image_with_probability_half():
    x = images(2000, 3, 4)
    y = RandomFlip("horizontal", seed=0)(x, training=True).numpy()
    which = _per_image(y, x, [lambda a: a, lambda a: a[:, ::-1]])
    assert np.all(which >= 0)  # each image is itself or exactly x[:, :, ::-1]
    assert 0.45 < which.mean() < 0.55


def test_flip_vertical_and_both():
    x = images(2000, 3, 4, 2)
    y = RandomFlip("vertical", seed=0)(x, training=True).numpy()
    which = _per_image(y, x, [lambda a: a, lambda a: a[::-1]])
    assert np.all(which >= 0) and 0.45 < which.mean() < 0.55
    y = RandomFlip("horizontal_and_vertical", seed=0)(x, training=True).numpy()
    variants = [lambda a: a, lambda a: a[:, ::-1], lambda a: a[::-1], lambda a: a[::-1, ::-1]]
    counts = np.bincount(_per_image(y, x, variants) + 1, minlength=5)
    assert counts[0] == 0  # nothing else than the four variants
    assert np.all(np.abs(counts[1:] / len(x) - 0.25) < 0.04)  # independent coins


def test_flip_default_mode_is_keras_default():
    assert RandomFlip().mode == "horizontal_and_vertical"


# --------------------------------------------------------------------- RandomTranslation
PAD_MODE = {"constant": "constant", "reflect": "symmetric", "wrap": "wrap", "nearest": "edge"}


def _shifted(x, dy, dx, fill_mode, fill_value=0.0):
    """Reference: pad with NumPy, then cut the window that a (dy, dx) shift shows."""
    n, h, w = x.shape[:3]
    pad = [(0, 0), (abs(dy), abs(dy)), (abs(dx), abs(dx))] + [(0, 0)] * (x.ndim - 3)
    kwargs = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(x, pad, mode=PAD_MODE[fill_mode], **kwargs)
    top, left = abs(dy) - dy, abs(dx) - dx
    return padded[:, top : top + h, left : left + w]


def test_translation_by_one_pixel_down_with_constant_fill():
    x = np.arange(1.0, 17.0).reshape(1, 4, 4)
    layer = RandomTranslation((0.25, 0.25), 0, fill_mode="constant", fill_value=-1.0)
    expected = np.concatenate([np.full((1, 1, 4), -1.0), x[:, :3]], axis=1)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), expected)


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap", "nearest"])
@pytest.mark.parametrize(("dy", "dx"), [(2, -3), (-1, 4), (0, 1), (-5, -5)])
def test_translation_matches_padding_reference(fill_mode, dy, dx):
    x = images(2, 5, 6, 2)
    layer = RandomTranslation(
        (dy / 5, dy / 5), (dx / 6, dx / 6), fill_mode=fill_mode, fill_value=0.5
    )
    expected = _shifted(x, dy, dx, fill_mode, fill_value=0.5)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), expected)


def test_translation_shifts_are_whole_pixels_in_range():
    x = np.zeros((500, 10, 10), np.float32)
    x[:, 5, 5] = 1.0  # a single bright pixel shows the shift of each image
    y = RandomTranslation(0.2, (0.0, 0.3), fill_mode="constant", seed=0)(x, training=True).numpy()
    assert np.all(y.reshape(500, -1).sum(axis=1) == 1)  # each image keeps its one bright pixel
    rows, cols = np.divmod(y.reshape(500, -1).argmax(axis=1), 10)
    assert set(np.unique(rows - 5)) == set(range(-2, 3))
    assert set(np.unique(cols - 5)) == set(range(0, 4))


# ------------------------------------------------------------------------ RandomRotation
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_quarter_turn_is_rot90_counter_clockwise(interpolation):
    x = images(3, 5, 5, 2)
    turn = RandomRotation((0.25, 0.25), interpolation=interpolation, fill_mode="constant")
    np.testing.assert_allclose(
        turn(x, training=True).numpy(), np.rot90(x, 1, axes=(1, 2)), atol=1e-6
    )
    back = RandomRotation((-0.25, -0.25), interpolation=interpolation)
    np.testing.assert_allclose(
        back(x, training=True).numpy(), np.rot90(x, -1, axes=(1, 2)), atol=1e-6
    )
    half = RandomRotation((0.5, 0.5), interpolation=interpolation)
    np.testing.assert_allclose(half(x, training=True).numpy(), x[:, ::-1, ::-1], atol=1e-6)


def test_quarter_turn_of_a_marked_image():
    x = np.zeros((1, 4, 4), np.float32)
    x[0, 0, 3] = 1.0  # top-right corner
    y = RandomRotation((0.25, 0.25), interpolation="nearest")(x, training=True).numpy()
    assert y[0, 0, 0] == 1.0 and y.sum() == 1.0  # counter-clockwise: top-right → top-left


def test_rotation_keeps_the_centre_and_fills_corners():
    x = np.ones((1, 7, 7), np.float32)
    x[0, 3, 3] = 5.0
    layer = RandomRotation(
        (0.125, 0.125), fill_mode="constant", fill_value=-1.0, interpolation="nearest"
    )
    y = layer(x, training=True).numpy()[0]
    assert y[3, 3] == 5.0  # the centre pixel stays
    assert y[0, 0] == y[0, 6] == y[6, 0] == y[6, 6] == -1.0  # 45°: corners come from outside


def test_rotation_angles_are_uniform_in_the_factor_range():
    # Rotate images whose value is the column index: bilinear interpolation of a linear
    # function is exact, so next to the centre c the output reads the source column
    # c + cos θ (one pixel right) and c − sin θ (one pixel down): θ can be read back.
    n, size, centre = 4000, 9, 4
    columns = np.broadcast_to(np.arange(size, dtype=np.float64), (n, size, size))
    y = RandomRotation((-0.1, 0.2), seed=0, **F64)(columns, training=True).numpy()
    cos, sin = y[:, centre, centre + 1] - centre, centre - y[:, centre + 1, centre]
    np.testing.assert_allclose(cos**2 + sin**2, 1.0)
    turns = np.arctan2(sin, cos) / (2 * np.pi)
    assert turns.min() >= -0.1 - 1e-9 and turns.max() <= 0.2 + 1e-9
    expected_quantiles = -0.1 + 0.3 * np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    np.testing.assert_allclose(
        np.quantile(turns, [0.1, 0.25, 0.5, 0.75, 0.9]), expected_quantiles, atol=0.01
    )


# ----------------------------------------------------------------------------- RandomZoom
def test_zoom_out_and_in_exact():
    x = np.arange(1.0, 6.0).reshape(1, 1, 5)
    out = RandomZoom(0, (1.0, 1.0), fill_mode="constant", interpolation="nearest")
    np.testing.assert_array_equal(out(x, training=True).numpy(), [[[0, 1, 3, 5, 0]]])
    zoom_in = RandomZoom(0, (-0.5, -0.5))  # bilinear: the middle half, stretched
    np.testing.assert_allclose(zoom_in(x, training=True).numpy(), [[[2, 2.5, 3, 3.5, 4]]])
    same = RandomZoom((0.0, 0.0))
    x = images(2, 5, 4, 3)
    np.testing.assert_allclose(same(x, training=True).numpy(), x, atol=1e-6)


def _zooms(layer_factory, n=500, size=9):
    """The (row, column) zoom of each image, read from images holding their own coordinates."""
    centre = size // 2
    grid = np.arange(size, dtype=np.float64)
    rows = np.broadcast_to(grid[:, None], (n, size, size))
    cols = np.broadcast_to(grid, (n, size, size))
    # The same seed draws the same zooms for both; bilinear is exact on a linear image.
    zoom_rows = layer_factory()(rows, training=True).numpy()[:, centre + 1, centre] - centre
    zoom_cols = layer_factory()(cols, training=True).numpy()[:, centre, centre + 1] - centre
    return zoom_rows, zoom_cols


def test_zoom_factors_per_axis():
    zoom_rows, zoom_cols = _zooms(lambda: RandomZoom((-0.2, 0.4), seed=0, **F64))
    np.testing.assert_allclose(zoom_rows, zoom_cols)  # width_factor=None keeps the aspect ratio
    assert zoom_rows.min() >= 0.8 - 1e-9 and zoom_rows.max() <= 1.4 + 1e-9
    assert zoom_rows.min() < 0.85 and zoom_rows.max() > 1.35
    zoom_rows, zoom_cols = _zooms(lambda: RandomZoom(0.1, (-0.5, -0.3), seed=0, **F64))
    assert np.all(np.abs(zoom_rows - 1.0) <= 0.1 + 1e-9)
    assert np.all(np.abs(zoom_cols - 0.6) <= 0.1 + 1e-9)


# ---------------------------------------------------------------------------- GaussianNoise
def test_gaussian_noise_statistics():
    x = np.full((1000, 1000), 3.0, np.float32)
    y = GaussianNoise(0.25, seed=0)(x, training=True).numpy()
    noise = y - x
    assert abs(noise.mean()) < 2e-3
    assert abs(noise.std() - 0.25) < 2e-3
    assert abs(np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]) < 5e-3


def test_gaussian_noise_any_rank_and_zero_stddev():
    x = images(3, 4)
    assert GaussianNoise(0.5, seed=0)(x, training=True).shape == (3, 4)
    np.testing.assert_array_equal(GaussianNoise(0.0)(x, training=True).numpy(), x)


# ------------------------------------------------------------------------------- parity
def test_flip_parity_with_torch():
    torch = pytest.importorskip("torch")
    x = images(64, 5, 6, 3)
    y = RandomFlip("horizontal_and_vertical", seed=4)(x, training=True).numpy()
    t = torch.from_numpy(x)
    variants = {
        "none": t,
        "h": torch.flip(t, dims=[2]),
        "v": torch.flip(t, dims=[1]),
        "hv": torch.flip(t, dims=[1, 2]),
    }
    for i in range(len(x)):
        assert any(np.array_equal(y[i], v[i].numpy()) for v in variants.values())


@pytest.mark.parametrize("k", [1, -1, 2])
def test_rot90_parity_with_torch_values_and_gradients(k):
    torch = pytest.importorskip("torch")
    x = images(2, 6, 6, 2, dtype=np.float64)
    upstream = images(2, 6, 6, 2, seed=1, dtype=np.float64)
    ours_in = treino.tensor(x, requires_grad=True)
    ours = RandomRotation((k / 4, k / 4), interpolation="nearest", **F64)(ours_in, training=True)
    ours.backward(upstream)
    theirs_in = torch.tensor(x, requires_grad=True)
    theirs = torch.rot90(theirs_in, k, dims=(1, 2))
    theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    np.testing.assert_array_equal(ours_in.grad, theirs_in.grad.numpy())


# ---------------------------------------------------------------------------- gradients
def _rng_layer(factory):
    """gradcheck calls fn many times: a fresh layer with a fixed seed draws the same each time."""
    return lambda t: factory()(t, training=True)


GRAD_LAYERS = [
    ("flip", lambda: RandomFlip(seed=2, **F64)),
    ("translation_constant", lambda: RandomTranslation(0.5, 0.5, "constant", 2, 0.3, **F64)),
    ("translation_reflect", lambda: RandomTranslation(0.7, 0.7, "reflect", seed=2, **F64)),
    ("translation_wrap", lambda: RandomTranslation(0.5, 0.5, "wrap", seed=2, **F64)),
    ("translation_nearest", lambda: RandomTranslation(0.5, 0.5, "nearest", seed=2, **F64)),
    ("rotation_nearest", lambda: RandomRotation(0.3, interpolation="nearest", seed=2, **F64)),
    ("rotation_bilinear_reflect", lambda: RandomRotation(0.3, seed=2, **F64)),
    ("rotation_constant", lambda: RandomRotation(0.3, "constant", seed=2, fill_value=1, **F64)),
    ("zoom_bilinear_wrap", lambda: RandomZoom(0.5, (-0.6, 0.8), "wrap", seed=2, **F64)),
    ("zoom_nearest", lambda: RandomZoom(0.5, interpolation="nearest", seed=2, **F64)),
    ("noise", lambda: GaussianNoise(0.5, seed=2, **F64)),
]


@pytest.mark.parametrize("factory", [f for _, f in GRAD_LAYERS], ids=[n for n, _ in GRAD_LAYERS])
@pytest.mark.parametrize("shape", [(3, 4, 5, 2), (2, 5, 4)])
def test_layer_gradcheck(factory, shape):
    assert treino.gradcheck(_rng_layer(factory), images(*shape, dtype=np.float64))


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap", "nearest"])
def test_gather_pixels_gradcheck_with_repeated_and_outside_sources(fill_mode):
    rng = np.random.default_rng(0)
    rows = rng.integers(-4, 8, size=(2, 3, 5))  # outside positions and repeats
    cols = rng.integers(-4, 9, size=(2, 1, 5))
    fn = lambda t: gather_pixels(t, rows, cols, fill_mode, fill_value=0.7)  # noqa: E731
    assert treino.gradcheck(fn, images(2, 4, 5, 3, dtype=np.float64))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "reflect"])
def test_affine_transform_gradcheck(interpolation, fill_mode):
    matrices = np.random.default_rng(1).normal(size=(2, 2, 3)) + [[1, 0, 0], [0, 1, 0]]
    fn = lambda t: affine_transform(t, matrices, interpolation, fill_mode, 0.5)  # noqa: E731
    assert treino.gradcheck(fn, images(2, 5, 4, 2, dtype=np.float64))


def test_gaussian_noise_op_gradcheck():
    assert treino.gradcheck(
        lambda t: gaussian_noise(t, 0.3, seed=0), images(3, 4, dtype=np.float64)
    )


def test_gather_backward_accumulates_repeated_reads():
    x = treino.tensor(np.zeros((1, 1, 3)), requires_grad=True)
    y = gather_pixels(x, np.zeros((1, 1, 1), int), np.array([[[0, 0, 2, 5]]]), "nearest")
    y.backward(np.array([[[1.0, 2.0, 3.0, 4.0]]]))
    np.testing.assert_array_equal(x.grad, [[[3.0, 0.0, 7.0]]])  # column 2 read twice (5 → edge)


def test_constant_fill_sends_no_gradient_outside():
    x = treino.tensor(np.ones((1, 2, 2)), requires_grad=True)
    y = gather_pixels(x, np.array([[[-1], [0]]]), np.array([[[0, 1]]]), "constant", 9.0)
    np.testing.assert_array_equal(y.numpy(), [[[9.0, 9.0], [1.0, 1.0]]])
    y.backward(np.ones((1, 2, 2)))
    np.testing.assert_array_equal(x.grad, [[[1.0, 1.0], [0.0, 0.0]]])


# ------------------------------------------------------------------------ in a network
@pytest.mark.parametrize("name", LAYERS)
def test_layers_inside_a_small_network(name):
    treino.seed(0)
    augment, flatten, dense = LAYERS[name](), Flatten(), Dense(3)
    x = treino.tensor(images(8, 6, 6, 1), requires_grad=True)
    logits = dense(flatten(augment(x, training=True)))
    loss = treino.ops.mean(treino.ops.softmax_cross_entropy(logits, np.arange(8) % 3))
    loss.backward()
    assert dense.kernel.grad is not None and np.abs(dense.kernel.grad).sum() > 0
    assert x.grad is not None and x.grad.shape == x.shape and np.abs(x.grad).sum() > 0


@pytest.mark.parametrize("name", LAYERS)
def test_symbolic_call_and_output_shape(name):
    layer = LAYERS[name]()
    out = layer(Input(shape=(28, 28)))
    assert isinstance(out, KerasTensor) and out.shape == (None, 28, 28)
    assert layer.compute_output_shape((None, 32, 32, 3)) == (None, 32, 32, 3)


# --------------------------------------------------------------------- config / seeding
CONFIG_CASES = [
    lambda: RandomFlip("vertical", seed=7, name="flip"),
    lambda: RandomTranslation((-0.2, 0.1), 0.3, fill_mode="wrap", seed=7, fill_value=2.0),
    lambda: RandomRotation(0.05, fill_mode="constant", interpolation="nearest", seed=7),
    lambda: RandomZoom((0.1, 0.2), None, fill_mode="nearest", seed=7),
    lambda: RandomZoom(-0.3, (0.0, 0.4), seed=7),
    lambda: GaussianNoise(0.2, seed=7, dtype="float64"),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    text = json.dumps(config)
    assert json.loads(text) == config and config["seed"] == 7
    clone = type(layer).from_config(json.loads(text))
    assert clone.get_config() == config
    x = images(4, 6, 6, 2, dtype=np.dtype(layer.dtype))
    np.testing.assert_array_equal(make()(x, training=True).numpy(), clone(x, training=True).numpy())


def test_config_records_keras_defaults():
    config = RandomRotation(0.1).get_config()
    assert config["fill_mode"] == "reflect" and config["interpolation"] == "bilinear"
    assert config["fill_value"] == 0.0 and config["seed"] is None and config["factor"] == 0.1
    assert RandomTranslation(0.1, 0.2).get_config()["fill_mode"] == "reflect"
    assert RandomZoom(0.1).get_config()["width_factor"] is None


@pytest.mark.parametrize("name", LAYERS)
def test_same_seed_same_augmentations(name):
    x = images(6, 5, 5, 2)
    a, b = LAYERS[name](seed=11), LAYERS[name](seed=11)
    for _ in range(3):  # the whole sequence, not only the first draw
        np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    assert not np.array_equal(
        LAYERS[name](seed=12)(x, training=True).numpy(),
        LAYERS[name](seed=11)(x, training=True).numpy(),
    )


@pytest.mark.parametrize("name", LAYERS)
def test_treino_seed_drives_unseeded_layers(name):
    x = images(6, 5, 5, 2)
    layer = LAYERS[name]()
    treino.seed(5)
    first = [layer(x, training=True).numpy() for _ in range(2)]
    treino.seed(5)
    again = [layer(x, training=True).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], first[1])  # a new draw on each call
    treino.seed(5)
    np.testing.assert_array_equal(LAYERS[name]()(x, training=True).numpy(), first[0])


def test_empty_batch():
    for name in LAYERS:
        assert LAYERS[name](seed=0)(np.zeros((0, 4, 4, 3)), training=True).shape == (0, 4, 4, 3)


# ---------------------------------------------------------------------------- errors
BAD_ARGUMENTS = [
    (lambda: RandomFlip("diagonal"), r"mode must be one of .*received mode='diagonal'"),
    (lambda: RandomFlip(seed=-1), r"seed must be None or a non-negative integer; received seed=-1"),
    (lambda: RandomFlip(seed=1.5), r"received seed=1.5"),
    (lambda: RandomFlip(seed=True), r"received seed=True"),
    (lambda: RandomFlip(data_format="channels_first"), r"received data_format='channels_first'"),
    (lambda: RandomTranslation(1.5, 0.1), r"height_factor must be .*\[-1, 1\]; received .*=1.5"),
    (lambda: RandomTranslation(0.1, (0.1, 0.2, 0.3)), r"received width_factor=\(0.1, 0.2, 0.3\)"),
    (lambda: RandomTranslation(0.1, "0.2"), r"received width_factor='0.2'"),
    (lambda: RandomTranslation(True, 0.1), r"received height_factor=True"),
    (lambda: RandomTranslation(0.1, 0.1, "mirror"), r"fill_mode must be one of .*'mirror'"),
    (lambda: RandomTranslation(0.1, 0.1, fill_value="black"), r"received fill_value='black'"),
    (lambda: RandomRotation((-0.2, 1.2)), r"factor must be .*received factor=\(-0.2, 1.2\)"),
    (lambda: RandomRotation(float("nan")), r"received factor=nan"),
    (lambda: RandomRotation(0.1, "reflect", "bicubic"), r"interpolation must be .*'bicubic'"),
    (lambda: RandomZoom(0.1, width_factor=-2), r"received width_factor=-2"),
    (lambda: GaussianNoise(-0.1), r"stddev must be a finite number ≥ 0; received stddev=-0.1"),
    (lambda: GaussianNoise(float("inf")), r"received stddev=inf"),
    (lambda: GaussianNoise("0.1"), r"received stddev='0.1'"),
]


@pytest.mark.parametrize(("make", "message"), BAD_ARGUMENTS)
def test_argument_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_translation_has_no_interpolation_argument():
    with pytest.raises(TypeError, match="interpolation"):
        RandomTranslation(0.1, 0.1, interpolation="bilinear")


@pytest.mark.parametrize("name", IMAGE_LAYERS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 5, 6)])
def test_image_layers_reject_other_ranks(name, shape):
    with pytest.raises(ValueError, match=r"expected images of shape \(N, H, W, C\) or \(N, H, W\)"):
        LAYERS[name]()(np.zeros(shape), training=True)


def test_op_errors():
    x = treino.tensor(np.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match="rows and cols must be integer arrays"):
        gather_pixels(x, np.zeros((2, 3, 1)), np.zeros((2, 1, 4), int))
    with pytest.raises(ValueError, match=r"broadcast to an output grid \(N, H', W'\) with N=2"):
        gather_pixels(x, np.zeros((3, 3, 1), int), np.zeros((3, 1, 4), int))
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        gather_pixels(x, np.zeros((2, 3, 1), int), np.zeros((2, 1, 4), int), "mirror")
    with pytest.raises(ValueError, match=r"expected matrices of shape \(2, 2, 3\)"):
        affine_transform(x, np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"expected images of shape .* received shape \(2, 3\)"):
        affine_transform(treino.tensor(np.zeros((2, 3))), np.zeros((2, 2, 3)))
    with pytest.raises(TypeError, match="expected a float tensor"):
        gaussian_noise(treino.tensor(np.zeros((2, 3), int)), 0.1)
