"""DropConnect, ShakeShake, SpatialDropout1D/2D and the Shake-Shake op.

Gradient checks (float64) and config round trips run over the module-level
``GRAD_CASES`` and ``CONFIG_CASES`` (shaped like tests/test_layers.py's, so
the lead can merge them). Random layers in ``GRAD_CASES`` are unseeded: the
helper reseeds ``treino.seed`` before every evaluation, so each finite
difference sees the same mask (or the same α, β).
"""

import json

import numpy as np
import pytest
from layer_checks import call, check_layer_gradients

import treino
from treino import datasets, layers, regularizers
from treino.layers import Activation, Add, Dense, Dropout, Input
from treino.layers.regularization import (
    DropConnect,
    ShakeShake,
    SpatialDropout1D,
    SpatialDropout2D,
)
from treino.models import Model, Sequential
from treino.ops.regularization import shake_coefficients, shake_shake

try:  # written at the same time by another engineer
    from treino.layers.convolutional import Conv1D, Conv2D
except ImportError:
    Conv1D = Conv2D = None

F64 = {"dtype": "float64"}


def data(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# ------------------------------------------------------------------ gradients
# (id, layer factory, inputs, call kwargs, number of trainable weights)
GRAD_CASES = [
    (
        "drop_connect_dense_training",
        lambda: DropConnect(Dense(4, **F64), rate=0.4),
        data(3, 5),
        {"training": True},
        2,
    ),
    (
        "drop_connect_dense_inference",
        lambda: DropConnect(Dense(4, **F64), rate=0.4),
        data(3, 5),
        {},
        2,
    ),
    (
        "drop_connect_dense_batch_1",
        lambda: DropConnect(Dense(3, "tanh", **F64), rate=0.3),
        data(1, 4),
        {"training": True},
        2,
    ),
    (
        "drop_connect_dense_nd_no_bias",
        lambda: DropConnect(Dense(3, use_bias=False, **F64), rate=0.5),
        data(2, 3, 4),
        {"training": True},
        1,
    ),
    (
        "spatial_dropout1d_training",
        lambda: SpatialDropout1D(0.4, **F64),
        data(3, 4, 5),
        {"training": True},
        0,
    ),
    ("spatial_dropout1d_inference", lambda: SpatialDropout1D(0.4, **F64), data(3, 4, 5), {}, 0),
    (
        "spatial_dropout2d_training",
        lambda: SpatialDropout2D(0.5, **F64),
        data(2, 3, 3, 4),
        {"training": True},
        0,
    ),
    ("spatial_dropout2d_inference", lambda: SpatialDropout2D(0.5, **F64), data(2, 3, 3, 4), {}, 0),
    ("shake_shake_inference", lambda: ShakeShake(**F64), [data(3, 4), data(3, 4, seed=1)], {}, 0),
    (
        "shake_shake_inference_nhwc",
        lambda: ShakeShake(**F64),
        [data(2, 3, 3, 2), data(2, 3, 3, 2, seed=1)],
        {"training": False},
        0,
    ),
]
if Conv2D is not None:
    GRAD_CASES += [
        (
            "drop_connect_conv2d_training",
            lambda: DropConnect(Conv2D(2, 3, **F64), rate=0.3),
            data(2, 5, 5, 2),
            {"training": True},
            2,
        ),
        (
            "drop_connect_conv1d_training",
            lambda: DropConnect(Conv1D(2, 3, **F64), rate=0.3),
            data(2, 6, 2),
            {"training": True},
            2,
        ),
        (
            "drop_connect_conv2d_inference",
            lambda: DropConnect(Conv2D(2, 3, **F64), rate=0.3),
            data(2, 5, 5, 2),
            {},
            2,
        ),
    ]


@pytest.mark.parametrize(
    "make, inputs, kwargs, n_weights",
    [case[1:] for case in GRAD_CASES],
    ids=[case[0] for case in GRAD_CASES],
)
def test_gradients_wrt_inputs_and_weights(make, inputs, kwargs, n_weights):
    layer = make()
    weights = check_layer_gradients(layer, inputs, reseed=0, **kwargs)
    assert len(weights) == n_weights


def test_drop_connect_on_conv2d_gradients():
    conv = pytest.importorskip("treino.layers.convolutional")
    layer = DropConnect(conv.Conv2D(3, (2, 2), **F64), rate=0.4)
    weights = check_layer_gradients(layer, data(2, 4, 4, 2), reseed=1, training=True)
    assert [w.name for w in weights] == ["kernel", "bias"]


def test_a_seeded_drop_connect_draws_a_new_mask_per_call_so_gradcheck_sees_it():
    """The gradcheck above is meaningful: without reseeding, masks differ per call."""
    layer = DropConnect(Dense(3, **F64), rate=0.5, seed=0)
    with pytest.raises(treino.GradcheckError):
        check_layer_gradients(layer, data(2, 4), training=True)


# ---------------------------------------------------------------- config
# (id, layer factory, inputs)
CONFIG_CASES = [
    (
        "drop_connect",
        lambda: DropConnect(
            Dense(3, activation="relu", kernel_regularizer="l2"), rate=0.3, seed=2, name="dc"
        ),
        data(2, 4),
    ),
    ("drop_connect_frozen", lambda: DropConnect(Dense(2), trainable=False), data(2, 3)),
    (
        "drop_connect_input_shape",
        lambda: DropConnect(Dense(2, input_shape=(3,)), rate=0.1),
        data(2, 3),
    ),
    ("shake_shake", lambda: ShakeShake(seed=4), [data(2, 3), data(2, 3, seed=1)]),
    ("spatial_dropout1d", lambda: SpatialDropout1D(0.3, seed=1), data(2, 4, 3)),
    ("spatial_dropout2d", lambda: SpatialDropout2D(0.2, seed=1), data(2, 3, 3, 2)),
]


@pytest.mark.parametrize(
    "make, inputs", [case[1:] for case in CONFIG_CASES], ids=[case[0] for case in CONFIG_CASES]
)
def test_config_round_trip(make, inputs):
    layer = make()
    # A seeded random layer: the clone's first training call repeats the original's.
    kwargs = {"training": True} if layer.seed is not None else {}
    original = call(layer, inputs, **kwargs)
    config = layer.get_config()
    text = json.dumps(config)
    assert json.loads(text) == config

    clone = type(layer).from_config(json.loads(text))
    assert clone.get_config() == config
    if hasattr(layers, type(layer).__name__):  # once exported from treino.layers
        assert layers.deserialize(layers.serialize(layer)).get_config() == config
    call(clone, inputs)  # build, in inference (no random draw)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(call(clone, inputs, **kwargs).numpy(), original.numpy())


def test_config_defaults_match_keras():
    assert DropConnect(Dense(2)).get_config()["rate"] == 0.5
    config = SpatialDropout2D(0.1).get_config()
    assert (config["rate"], config["seed"], config["data_format"]) == (0.1, None, "channels_last")
    assert "noise_shape" not in config and "noise_shape" not in SpatialDropout1D(0.1).get_config()
    assert ShakeShake().get_config()["seed"] is None


def test_drop_connect_config_nests_the_wrapped_layer():
    inner = Dense(3, activation="tanh", kernel_regularizer=regularizers.L2(0.05))
    config = DropConnect(inner, rate=0.25).get_config()
    assert config["layer"] == layers.serialize(inner)
    clone = DropConnect.from_config(config)
    assert isinstance(clone.layer, Dense) and clone.layer is not inner
    assert clone.layer.get_config() == inner.get_config()
    assert clone.layer.kernel_regularizer.l2 == 0.05


# ------------------------------------------------------------- DropConnect
def test_drop_connect_inference_is_the_wrapped_layer_with_w():
    layer = DropConnect(Dense(3, bias_initializer="random_normal", **F64), rate=0.5)
    x = data(4, 5)
    y = layer(x).numpy()
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=1e-12)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), y)  # deterministic


def test_drop_connect_training_uses_the_masked_kernel_and_restores_it():
    layer = DropConnect(Dense(40, use_bias=False, **F64), rate=0.3, seed=0)
    x = treino.tensor(data(1, 50), requires_grad=True)
    y = layer(x, training=True)
    kernel = layer.layer.kernel
    assert kernel is layer.weights[0]  # the real Variable is back
    g = data(1, 40, seed=1)
    y.backward(g)
    # ∂L/∂W = (M / (1 − p)) ⊙ (xᵀ G): its zeros are the dropped connections
    mask = layer.layer.kernel.grad != 0
    scaled = mask / 0.7
    np.testing.assert_allclose(layer.layer.kernel.grad, scaled * (x.numpy().T @ g), rtol=1e-12)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ (kernel.numpy() * scaled), rtol=1e-12)
    np.testing.assert_allclose(x.grad, g @ (kernel.numpy() * scaled).T, rtol=1e-12)
    assert mask.mean() == pytest.approx(0.7, abs=0.04)
    # connections, not units: no column (unit) or row (input) is dropped whole
    assert mask.any(axis=0).all() and mask.any(axis=1).all()
    assert not mask.all(axis=0).any()


def test_drop_connect_restores_the_kernel_when_the_call_raises():
    layer = DropConnect(Dense(2), rate=0.5)
    layer(np.ones((1, 3)))
    kernel = layer.layer.kernel
    with pytest.raises(ValueError, match=r"expected axis -1 of the input to have size 3"):
        layer(np.ones((1, 4)), training=True)
    assert layer.layer.kernel is kernel


def test_drop_connect_inference_equals_the_monte_carlo_mean_of_training():
    """E[x·(W ⊙ M)/(1 − p) + b] = x·W + b, checked within 5 standard errors."""
    p, draws = 0.4, 4000
    layer = DropConnect(Dense(3, bias_initializer="random_normal", **F64), rate=p, seed=3)
    x = data(2, 6)
    inference = layer(x).numpy()
    total = np.zeros_like(inference)
    for _ in range(draws):
        total += layer(x, training=True).numpy()
    kernel = layer.layer.kernel.numpy()
    # Var[zⱼ] = Σᵢ xᵢ² Wᵢⱼ² · p/(1 − p) (independent Bernoulli masks)
    std_error = np.sqrt((x**2) @ (kernel**2) * p / (1 - p) / draws)
    assert np.all(np.abs(total / draws - inference) <= 5 * std_error)


def test_drop_connect_training_differs_across_seeds_and_repeats_with_a_seed():
    x = data(3, 5, dtype=np.float32)

    def outputs(seed, calls=2):
        treino.seed(11)  # the same initial weights every time
        layer = DropConnect(Dense(4), rate=0.5, seed=seed)
        return [layer(x, training=True).numpy() for _ in range(calls)]

    first, second = outputs(1)
    np.testing.assert_array_equal(outputs(1)[0], first)
    np.testing.assert_array_equal(outputs(1)[1], second)
    assert not np.array_equal(first, second)  # a fresh mask per call
    assert not np.array_equal(outputs(2)[0], first)
    layer = DropConnect(Dense(4), rate=0.5)
    layer(x)  # built (its initial kernel drawn) before seeding the masks
    treino.seed(5)  # unseeded layers follow treino.seed
    a = layer(x, training=True).numpy()
    treino.seed(5)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), a)


def test_drop_connect_weights_trainability_and_penalties_are_the_wrapped_layers():
    inner = Dense(3, kernel_regularizer=regularizers.L2(0.1), **F64)
    layer = DropConnect(inner, rate=0.2)
    layer(data(2, 4))
    assert layer.weights == inner.weights
    assert [w.path for w in layer.weights] == [f"{inner.name}/kernel", f"{inner.name}/bias"]
    assert layer.losses[0].item() == pytest.approx(0.1 * np.sum(inner.kernel.numpy() ** 2))
    layer.trainable = False
    assert not inner.trainable and layer.trainable_weights == [] and layer.losses == []
    assert not any(w.requires_grad for w in layer.weights)
    layer.trainable = True
    assert inner.trainable and len(layer.trainable_weights) == 2
    frozen = DropConnect(Dense(2), trainable=False)
    assert not frozen.layer.trainable


def test_drop_connect_takes_the_wrapped_layers_dtype_and_shapes():
    layer = DropConnect(Dense(3, **F64))
    assert layer.dtype == "float64"
    out = layer(Input(shape=(5, 4)))
    assert out.shape == (None, 5, 3)
    model = Sequential([DropConnect(Dense(8, activation="relu", input_shape=(2,))), Dense(1)])
    assert model.built and model.count_params() == 2 * 8 + 8 + 8 + 1


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: DropConnect("dense"), TypeError, r"layer must be a treino layer.*str"),
        (lambda: DropConnect(Dense(2), rate=1.0), ValueError, r"DropConnect: rate .*rate=1.0"),
        (lambda: DropConnect(Dense(2), rate=-0.1), ValueError, r"\[0, 1\)"),
        (lambda: DropConnect(Dense(2), seed=-1), ValueError, r"seed=-1"),
        (lambda: DropConnect(Dense(2), dtype="float64"), ValueError, r"float64.*float32"),
    ],
)
def test_drop_connect_argument_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_drop_connect_needs_a_layer_with_a_kernel():
    built = Activation("relu")
    built(np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"'activation\w*' \(Activation\) has no kernel"):
        DropConnect(built)
    layer = DropConnect(Activation("relu"), name="dc_relu")
    with pytest.raises(TypeError, match=r"DropConnect 'dc_relu'.*no kernel weight"):
        layer(np.ones((1, 2)))


def test_drop_connect_bad_input_raises_before_any_weight_exists():
    layer = DropConnect(Dense(3))
    with pytest.raises(ValueError, match=r"dense\w*' \(Dense\).*min_ndim=2"):
        layer(np.ones(4))
    assert not layer.layer.built and layer.weights == []


def test_drop_connect_model_trains_on_moons():
    treino.seed(0)
    x, y = datasets.moons(300, noise=0.1, seed=0)
    model = Sequential([
        Input(shape=(2,)),
        DropConnect(Dense(32, activation="relu"), rate=0.2),
        DropConnect(Dense(32, activation="relu"), rate=0.2),
        Dense(2),
    ])  # fmt: skip
    model.compile(optimizer=treino.optimizers.Adam(0.01),
                  loss=treino.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(x[:200], y[:200], validation_data=(x[200:], y[200:]), epochs=40,
                        batch_size=32, verbose=0)  # fmt: skip
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    _, accuracy = model.evaluate(x[200:], y[200:], verbose=0)
    assert accuracy >= 0.9  # held-out (0.92–1.0 over treino.seed 0–5)


# ---------------------------------------------------------------- in models
def test_a_model_with_every_layer_trains_saves_and_loads(tmp_path):
    treino.seed(0)
    x = Input(shape=(4,))
    h = DropConnect(Dense(6, activation="relu", kernel_regularizer="l2"), rate=0.3, seed=1)(x)
    residual = Add()([h, ShakeShake(seed=2)([Dense(6)(h), Dense(6)(h)])])
    sequence = SpatialDropout1D(0.2, seed=3)(layers.Reshape((3, 2))(residual))
    model = Model(x, Dense(2)(layers.Flatten()(sequence)))
    model.compile(optimizer=treino.optimizers.Adam(0.01), loss="mse")
    xs, ys = data(32, 4, dtype=np.float32), data(32, 2, seed=1, dtype=np.float32)
    history = model.fit(xs, ys, epochs=20, batch_size=8, verbose=0)
    # three noisy layers: compare the last epochs' mean (0.6–0.8) with the first (1.2–3.5)
    assert np.mean(history.history["loss"][-3:]) < 0.7 * history.history["loss"][0]
    model.save(tmp_path / "model.treino")
    custom = {c.__name__: c for c in (DropConnect, ShakeShake, SpatialDropout1D)}
    loaded = treino.models.load_model(tmp_path / "model.treino", custom_objects=custom)
    np.testing.assert_array_equal(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0))
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]


# ---------------------------------------------------------------- Shake-Shake
def test_shake_shake_op_forward_and_backward_use_alpha_and_beta_exactly():
    b1, b2 = data(4, 3, 2), data(4, 3, 2, seed=1)
    alpha, beta = shake_coefficients(b1.shape, "float64", seed=7)
    rng = np.random.default_rng(7)  # the documented order: α, then β
    expected_alpha = rng.random((4, 1, 1), dtype=np.float64)
    expected_beta = rng.random((4, 1, 1), dtype=np.float64)
    np.testing.assert_array_equal(alpha, expected_alpha)
    np.testing.assert_array_equal(beta, expected_beta)
    t1, t2 = treino.tensor(b1, requires_grad=True), treino.tensor(b2, requires_grad=True)
    y = shake_shake(t1, t2, alpha, beta)
    g = data(4, 3, 2, seed=2)
    y.backward(g)
    np.testing.assert_array_equal(y.numpy(), alpha * b1 + (1 - alpha) * b2)
    np.testing.assert_array_equal(t1.grad, g * beta)  # β, not α
    np.testing.assert_array_equal(t2.grad, g * (1 - beta))
    assert not np.allclose(t1.grad, g * alpha)


def test_shake_shake_layer_training_draws_alpha_and_beta_from_its_seed():
    b1, b2 = data(5, 3), data(5, 3, seed=1)
    t1, t2 = treino.tensor(b1, requires_grad=True), treino.tensor(b2, requires_grad=True)
    y = ShakeShake(seed=3, **F64)([t1, t2], training=True)
    g = data(5, 3, seed=2)
    y.backward(g)
    rng = np.random.default_rng(3)
    alpha = rng.random((5, 1), dtype=np.float64)
    beta = rng.random((5, 1), dtype=np.float64)
    np.testing.assert_array_equal(y.numpy(), alpha * b1 + (1 - alpha) * b2)
    np.testing.assert_array_equal(t1.grad, g * beta)
    np.testing.assert_array_equal(t2.grad, g * (1 - beta))


def test_shake_shake_training_fails_gradcheck_by_design_and_alpha_equal_beta_passes():
    b1, b2 = data(3, 4), data(3, 4, seed=1)
    with pytest.raises(treino.GradcheckError, match="input 0"):
        check_layer_gradients(ShakeShake(**F64), [b1, b2], reseed=0, training=True)
    same = np.random.default_rng(0).random((3, 1))
    assert treino.gradcheck(lambda a, b: shake_shake(a, b, same, same), b1, b2)


def test_shake_shake_float32_has_no_hidden_upcast():
    b1, b2 = data(4, 3, dtype=np.float32), data(4, 3, seed=1, dtype=np.float32)
    t1 = treino.tensor(b1, requires_grad=True)
    y = ShakeShake(seed=0)([t1, b2], training=True)
    y.sum().backward()
    assert y.dtype == np.float32 and t1.grad.dtype == np.float32
    assert ShakeShake()([b1, b2]).dtype == np.float32


def test_shake_shake_inference_equals_the_monte_carlo_mean_of_training():
    """E[α·b₁ + (1 − α)·b₂] = ½(b₁ + b₂), checked within 5 standard errors."""
    draws = 4000
    b1, b2 = data(3, 4), data(3, 4, seed=1)
    layer = ShakeShake(seed=5, **F64)
    inference = layer([b1, b2]).numpy()
    np.testing.assert_array_equal(inference, 0.5 * (b1 + b2))
    np.testing.assert_array_equal(layer([b1, b2], training=False).numpy(), inference)
    total = np.zeros_like(inference)
    for _ in range(draws):
        total += layer([b1, b2], training=True).numpy()
    std_error = np.abs(b1 - b2) * np.sqrt(1 / 12 / draws)  # Var[α] = 1/12
    assert np.all(np.abs(total / draws - inference) <= 5 * std_error)


def test_shake_shake_training_differs_across_seeds_and_repeats_with_a_seed():
    b = [data(4, 3), data(4, 3, seed=1)]
    first = ShakeShake(seed=1)(b, training=True).numpy()
    np.testing.assert_array_equal(ShakeShake(seed=1)(b, training=True).numpy(), first)
    assert not np.allclose(ShakeShake(seed=2)(b, training=True).numpy(), first)
    layer = ShakeShake(seed=1)
    layer(b, training=True)
    assert not np.allclose(layer(b, training=True).numpy(), first)  # fresh α per call


def test_shake_shake_draws_one_alpha_per_sample():
    b1, b2 = np.zeros((6, 2, 2, 3)), np.ones((6, 2, 2, 3))
    y = ShakeShake(seed=0)([b1, b2], training=True).numpy()  # y = 1 − α
    assert np.all(y == y[:, :1, :1, :1])
    assert len(np.unique(y[:, 0, 0, 0])) == 6


def test_shake_shake_in_a_functional_residual_block():
    x = Input(shape=(4,))
    b1 = Dense(4, activation="relu")(x)
    b2 = Dense(4, activation="relu")(x)
    shake = ShakeShake(seed=0)
    model = Model(x, Add()([x, shake([b1, b2])]))
    data_x = data(3, 4, dtype=np.float32)
    out = model.predict(data_x, verbose=0)
    branch_1 = model.layers[1](data_x).numpy()
    branch_2 = model.layers[2](data_x).numpy()
    np.testing.assert_allclose(out, data_x + 0.5 * (branch_1 + branch_2), rtol=1e-6)
    symbolic = ShakeShake()([Input(shape=(None, 4)), Input(shape=(5, 4))])
    assert symbolic.shape == (None, 5, 4)


@pytest.mark.parametrize(
    "inputs, match",
    [
        ([data(2, 3)] * 3, r"exactly 2 branches; received 3"),
        ([data(2, 3), data(2, 4)], r"same shape.*\(2, 3\) and \(2, 4\)"),
        ([data(2, 3), data(3, 3)], r"same shape"),
        (data(2, 3), r"list of at least 2 inputs"),
    ],
)
def test_shake_shake_input_errors(inputs, match):
    with pytest.raises(ValueError, match=match):
        ShakeShake()(inputs)


def test_shake_shake_op_errors():
    b = treino.tensor(data(2, 3))
    with pytest.raises(ValueError, match=r"same shape"):
        shake_shake(b, treino.tensor(data(2, 4)), 0.5, 0.5)
    with pytest.raises(ValueError, match=r"alpha must broadcast .*\(2, 1\).*\(3, 1\)"):
        shake_shake(b, b, np.ones((3, 1)), 0.5)
    with pytest.raises(ValueError, match=r"beta must broadcast.*\(2, 3, 1\)"):
        shake_shake(b, b, 0.5, np.ones((2, 3, 1)))
    with pytest.raises(TypeError, match="float branches"):
        shake_shake(treino.tensor(np.ones((2, 3), dtype=int)), np.ones((2, 3), dtype=int), 0.5,
                    0.5)  # fmt: skip
    with pytest.raises(TypeError, match="different float dtypes"):
        shake_shake(b, treino.tensor(data(2, 3, dtype=np.float32)), 0.5, 0.5)
    with pytest.raises(ValueError, match="batch axis"):
        shake_coefficients(())
    with pytest.raises(TypeError, match="float32 or float64"):
        shake_coefficients((2, 3), dtype="int32")
    with pytest.raises(ValueError, match=r"ShakeShake: seed"):
        ShakeShake(seed="a")


# ------------------------------------------------------------ SpatialDropout
@pytest.mark.parametrize(
    "layer, shape, axes",
    [
        (SpatialDropout1D(0.3, seed=0), (300, 5, 4), (1,)),
        (SpatialDropout2D(0.3, seed=0), (300, 3, 4, 4), (1, 2)),
    ],
    ids=["1d", "2d"],
)
def test_spatial_dropout_drops_whole_channels(layer, shape, axes):
    out = layer(np.ones(shape), training=True).numpy()
    first = out[(slice(None),) + (slice(0, 1),) * len(axes)]
    assert np.all(out == first)  # each (sample, channel) is one draw
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.7)}
    assert np.mean(first == 0) == pytest.approx(0.3, abs=0.04)
    # the channels of one sample are drawn independently: some samples mix kept and dropped
    per_sample = first.reshape(shape[0], -1)
    assert np.any(per_sample.min(axis=1) != per_sample.max(axis=1))


def test_spatial_dropout_is_the_identity_at_inference_and_its_gradient_is_the_mask():
    x = treino.tensor(data(2, 3, 3, 4, dtype=np.float32))
    assert SpatialDropout2D(0.5)(x) is x
    t = treino.tensor(np.ones((4, 6, 5)), requires_grad=True)
    y = SpatialDropout1D(0.5, seed=2, **F64)(t, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, y.numpy())  # ∂L/∂x = m / (1 − p)


def test_spatial_dropout_is_a_dropout_whose_rate_can_change():
    layer = SpatialDropout1D(0.0, seed=0)
    assert isinstance(layer, Dropout)
    x = np.ones((400, 2, 3))
    assert np.all(layer(x, training=True).numpy() == 1)
    layer.rate = 0.5  # e.g. by AdaptiveRegularization: read at every call
    assert np.mean(layer(x, training=True).numpy() == 0) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize(
    "make, x, error, match",
    [
        (
            lambda: SpatialDropout1D(0.2),
            np.ones((2, 3)),
            ValueError,
            r"'spatial_dropout\w*' \(SpatialDropout1D\).*expected ndim=3, found ndim=2",
        ),
        (
            lambda: SpatialDropout2D(0.2),
            np.ones((2, 3, 3)),
            ValueError,
            r"\(SpatialDropout2D\).*expected ndim=4",
        ),
    ],
)
def test_spatial_dropout_input_errors(make, x, error, match):
    with pytest.raises(error, match=match):
        make()(x, training=True)


def test_spatial_dropout_argument_errors():
    with pytest.raises(ValueError, match=r"SpatialDropout1D: rate .*rate=1"):
        SpatialDropout1D(1)
    with pytest.raises(ValueError, match=r"SpatialDropout2D: rate"):
        SpatialDropout2D(-0.5)
    with pytest.raises(ValueError, match=r"channels_last.*'channels_first'"):
        SpatialDropout2D(0.1, data_format="channels_first")
    with pytest.raises(ValueError, match=r"SpatialDropout2D: seed"):
        SpatialDropout2D(0.1, seed=1.5)
    with pytest.raises(TypeError, match=r"SpatialDropout1D: the noise shape is fixed"):
        SpatialDropout1D(0.1, noise_shape=(None, 1, None))


# -------------------------------------------------------- PyTorch parity
RTOL, ATOL = 1e-5, 1e-6


def _torch():
    return pytest.importorskip("torch")


def test_drop_connect_vs_torch_linear_with_the_same_mask():
    """PyTorch has no DropConnect; given the mask, F.linear(x, (W ⊙ M / (1 − p))ᵀ, b) is it."""
    torch = _torch()
    p = 0.3
    layer = DropConnect(Dense(6, bias_initializer="random_normal"), rate=p, seed=4)
    x, g = data(5, 8, dtype=np.float32), data(5, 6, seed=1, dtype=np.float32)
    tx = treino.tensor(x, requires_grad=True)
    y = layer(tx, training=True)
    assert y.dtype == np.float32
    y.backward(g)
    kernel, bias = layer.layer.kernel, layer.layer.bias
    mask = torch.from_numpy((kernel.grad != 0).astype(np.float32))  # dropped ⇔ ∂L/∂Wᵢⱼ = 0

    px = torch.tensor(x, requires_grad=True)
    pw = torch.tensor(kernel.numpy(), requires_grad=True)
    pb = torch.tensor(bias.numpy(), requires_grad=True)
    py = torch.nn.functional.linear(px, (pw * mask / (1 - p)).T, pb)
    py.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.numpy(), py.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(kernel.grad, pw.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(bias.grad, pb.grad.numpy(), rtol=RTOL, atol=ATOL)
    assert tx.grad.dtype == kernel.grad.dtype == np.float32  # no hidden upcast


def test_drop_connect_on_conv2d_vs_torch_conv2d_with_the_same_mask():
    torch = _torch()
    conv = pytest.importorskip("treino.layers.convolutional")
    p = 0.4
    layer = DropConnect(conv.Conv2D(3, 2, bias_initializer="random_normal"), rate=p, seed=5)
    x, g = data(2, 5, 5, 2, dtype=np.float32), data(2, 4, 4, 3, seed=1, dtype=np.float32)
    tx = treino.tensor(x, requires_grad=True)
    y = layer(tx, training=True)
    y.backward(g)
    kernel, bias = layer.layer.kernel, layer.layer.bias
    mask = torch.from_numpy((kernel.grad != 0).astype(np.float32))  # (kh, kw, c_in, c_out)
    assert 0 < mask.mean() < 1

    px = torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)  # NHWC → NCHW
    pw = torch.tensor(kernel.numpy(), requires_grad=True)
    pb = torch.tensor(bias.numpy(), requires_grad=True)
    dropped = (pw * mask / (1 - p)).permute(3, 2, 0, 1)  # → (c_out, c_in, kh, kw)
    py = torch.nn.functional.conv2d(px, dropped, pb)
    py.backward(torch.from_numpy(g.transpose(0, 3, 1, 2).copy()))
    close = {"rtol": 1e-4, "atol": 1e-5}
    np.testing.assert_allclose(y.numpy(), py.detach().numpy().transpose(0, 2, 3, 1), **close)
    np.testing.assert_allclose(tx.grad, px.grad.numpy().transpose(0, 2, 3, 1), **close)
    np.testing.assert_allclose(kernel.grad, pw.grad.numpy(), **close)
    np.testing.assert_allclose(bias.grad, pb.grad.numpy(), **close)


def test_shake_shake_vs_torch_detach_trick():
    """The usual PyTorch Shake-Shake: y = β·b₁ + (1 − β)·b₂ + sg[(α − β)(b₁ − b₂)]."""
    torch = _torch()
    b1, b2 = data(4, 3, 3, 2, dtype=np.float32), data(4, 3, 3, 2, seed=1, dtype=np.float32)
    g = data(4, 3, 3, 2, seed=2, dtype=np.float32)
    t1, t2 = treino.tensor(b1, requires_grad=True), treino.tensor(b2, requires_grad=True)
    y = ShakeShake(seed=9)([t1, t2], training=True)
    y.backward(g)
    alpha, beta = (torch.from_numpy(c) for c in shake_coefficients(b1.shape, seed=9))
    p1, p2 = torch.tensor(b1, requires_grad=True), torch.tensor(b2, requires_grad=True)
    py = beta * p1 + (1 - beta) * p2 + ((alpha - beta) * (p1 - p2)).detach()
    py.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.numpy(), py.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(t1.grad, p1.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(t2.grad, p2.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("rank", [1, 2])
def test_spatial_dropout_follows_torch_channel_dropout_rule(rank):
    """PyTorch and treino draw different masks; given a channel mask, both compute
    y = x·m/(1 − p) and ∂L/∂x = G·m/(1 − p), with m shared over the spatial axes."""
    torch = _torch()
    p = 0.4
    shape = (6, 5, 4) if rank == 1 else (6, 3, 3, 4)
    layer = SpatialDropout1D(p, seed=1) if rank == 1 else SpatialDropout2D(p, seed=1)
    x = np.abs(data(*shape, dtype=np.float32)) + 0.1  # non-zero: the mask is read from y
    g = data(*shape, seed=1, dtype=np.float32)
    tx = treino.tensor(x, requires_grad=True)
    y = layer(tx, training=True)
    y.backward(g)
    mask = (y.numpy() != 0).astype(np.float32)
    np.testing.assert_allclose(y.numpy(), x * mask / (1 - p), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(tx.grad, g * mask / (1 - p), rtol=RTOL, atol=ATOL)

    # PyTorch's channel dropout (channels first) obeys the same rule with its own mask
    torch.manual_seed(0)
    to_first = (0, rank + 1, *range(1, rank + 1))  # (N, …, C) → (N, C, …)
    t = torch.tensor(x.transpose(to_first).copy(), requires_grad=True)
    dropout = torch.nn.functional.dropout1d if rank == 1 else torch.nn.functional.dropout2d
    out = dropout(t, p, training=True)
    out.backward(torch.from_numpy(g.transpose(to_first).copy()))
    torch_mask = (out != 0).float()
    spatial = tuple(range(2, 2 + rank))
    assert torch.all(torch_mask == torch_mask.amax(dim=spatial, keepdim=True))
    np.testing.assert_allclose(out.detach(), t.detach() * torch_mask / (1 - p), rtol=RTOL)
    np.testing.assert_allclose(t.grad, torch.from_numpy(g.transpose(to_first).copy())
                               * torch_mask / (1 - p), rtol=RTOL)  # fmt: skip
    ours = mask.transpose(to_first)
    assert np.all(ours == ours.max(axis=spatial, keepdims=True))
