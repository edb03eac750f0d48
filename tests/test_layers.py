"""treino.layers: gradients, config round trips, the layer contract and error messages."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest
from layer_checks import call, check_layer_gradients

import treino
from treino import initializers, layers, regularizers
from treino.layers import (
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GaussianNoise,
    Input,
    InputLayer,
    KerasTensor,
    Layer,
    LayerNormalization,
    Masking,
    Normalization,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Reshape,
)

F64 = {"dtype": "float64"}


def data(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def ids(*shape, high=7, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape)


# ----------------------------------------------------------------- gradcheck
def _bn(**kwargs):
    """A BatchNormalization whose γ and β are not 1 and 0 (so both matter)."""
    return BatchNormalization(
        gamma_initializer=initializers.RandomUniform(0.5, 1.5, seed=1),
        beta_initializer=initializers.RandomNormal(seed=2),
        **kwargs,
        **F64,
    )


def _ln(**kwargs):
    return LayerNormalization(
        gamma_initializer=initializers.RandomUniform(0.5, 1.5, seed=1),
        beta_initializer=initializers.RandomNormal(seed=2),
        **kwargs,
        **F64,
    )


def _bn_inference():
    layer = _bn()
    layer(data(6, 3))
    layer.moving_mean.assign([0.3, -0.2, 1.0])
    layer.moving_variance.assign([0.5, 2.0, 1.5])
    return layer


# (id, layer factory, inputs, call kwargs, number of trainable weights)
def _adapted_norm(shape, **kwargs):
    """A Normalization adapted on other data, so μ ≠ 0 and σ² ≠ 1 both matter."""
    layer = Normalization(**{**F64, **kwargs})
    layer.adapt(data(*shape, seed=5) * 2.0 + 1.0)
    return layer


GRAD_CASES = [
    ("input_layer", lambda: InputLayer(shape=(3,), **F64), data(2, 3), {}, 0),
    ("dense", lambda: Dense(4, **F64), data(3, 5), {}, 2),
    ("dense_batch_1", lambda: Dense(4, **F64), data(1, 5), {}, 2),
    ("dense_nd", lambda: Dense(3, **F64), data(2, 3, 4), {}, 2),
    ("dense_tanh_no_bias", lambda: Dense(3, "tanh", use_bias=False, **F64), data(3, 4), {}, 1),
    ("dense_softmax", lambda: Dense(4, "softmax", **F64), data(2, 3), {}, 2),
    ("activation_sigmoid", lambda: Activation("sigmoid", **F64), data(3, 4), {}, 0),
    ("activation_softmax", lambda: Activation("softmax", **F64), data(2, 5), {}, 0),
    ("dropout_training", lambda: Dropout(0.4, **F64), data(4, 5), {"training": True}, 0),
    ("dropout_inference", lambda: Dropout(0.4, **F64), data(4, 5), {}, 0),
    ("flatten", lambda: Flatten(**F64), data(2, 3, 2), {}, 0),
    ("flatten_batch_1", lambda: Flatten(**F64), data(1, 2, 2, 2), {}, 0),
    ("reshape", lambda: Reshape((3, 4), **F64), data(2, 12), {}, 0),
    ("reshape_minus_1", lambda: Reshape((-1, 2), **F64), data(2, 3, 4), {}, 0),
    ("bn_training", lambda: _bn(), data(6, 3), {"training": True}, 2),
    ("bn_training_nhwc", lambda: _bn(), data(2, 3, 3, 4), {"training": True}, 2),
    ("bn_training_axis1", lambda: _bn(axis=1), data(2, 3, 3, 2), {"training": True}, 2),
    ("bn_training_batch_1", lambda: _bn(), data(1, 3, 2, 2), {"training": True}, 2),
    ("bn_inference", _bn_inference, data(4, 3), {"training": False}, 2),
    ("bn_no_affine", lambda: _bn(center=False, scale=False), data(5, 2), {"training": True}, 0),
    ("layer_norm", lambda: _ln(), data(3, 5), {}, 2),
    ("layer_norm_batch_1", lambda: _ln(), data(1, 4), {}, 2),
    ("layer_norm_axes_1_2", lambda: _ln(axis=[1, 2]), data(2, 3, 4), {}, 2),
    ("layer_norm_axes_1_3", lambda: _ln(axis=(1, 3)), data(2, 2, 3, 2), {}, 2),
    ("layer_norm_axis_1", lambda: _ln(axis=1), data(2, 3, 4), {}, 2),
    ("layer_norm_rms", lambda: _ln(rms_scaling=True), data(3, 4), {}, 1),
    ("masking", lambda: Masking(**F64), data(2, 4, 3), {}, 0),
    ("embedding", lambda: Embedding(7, 3, **F64), np.array([[0, 3, 3], [6, 0, 3]]), {}, 1),
    ("embedding_1d_ids", lambda: Embedding(5, 2, **F64), np.array([4, 4, 1]), {}, 1),
    ("add", lambda: Add(**F64), [data(2, 3), data(2, 3, seed=1), data(2, 3, seed=2)], {}, 0),
    ("add_broadcast", lambda: Add(**F64), [data(2, 3), data(1, 3, seed=1)], {}, 0),
    ("concatenate", lambda: Concatenate(**F64), [data(2, 3), data(2, 2, seed=1)], {}, 0),
    (
        "concatenate_axis1",
        lambda: Concatenate(axis=1, **F64),
        [data(2, 1, 3), data(2, 2, 3, seed=1)],
        {},
        0,
    ),
    ("random_flip", lambda: RandomFlip(**F64), data(4, 3, 3, 2), {"training": True}, 0),
    ("random_translation", lambda: RandomTranslation(0.3, 0.3, fill_mode="constant", **F64),
     data(3, 4, 4, 1), {"training": True}, 0),  # fmt: skip
    ("random_rotation", lambda: RandomRotation(0.1, **F64), data(2, 5, 5, 1),
     {"training": True}, 0),  # fmt: skip
    ("random_zoom", lambda: RandomZoom(0.2, **F64), data(2, 4, 4, 2), {"training": True}, 0),
    ("gaussian_noise", lambda: GaussianNoise(0.1, **F64), data(3, 4), {"training": True}, 0),
    ("normalization", lambda: _adapted_norm((20, 3)), data(4, 3), {}, 0),
    ("normalization_invert", lambda: _adapted_norm((20, 3), invert=True), data(4, 3), {}, 0),
    ("normalization_nhwc", lambda: _adapted_norm((5, 3, 3, 2)), data(2, 3, 3, 2), {}, 0),
    ("normalization_axis_none", lambda: _adapted_norm((20, 3), axis=None), data(4, 3), {}, 0),
    ("normalization_given", lambda: Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 1.0],
                                                  **F64), data(4, 3), {}, 0),  # fmt: skip
    ("rescaling", lambda: Rescaling(1 / 255, offset=-0.5, **F64), data(3, 4), {}, 0),
    ("rescaling_per_channel", lambda: Rescaling([0.5, 2.0], offset=[1.0, 0.0], **F64),
     data(2, 3, 3, 2), {}, 0),  # fmt: skip
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


def test_gradcheck_helper_catches_a_wrong_weight_gradient():
    class BadDense(Dense):
        def call(self, inputs):  # the kernel enters the graph only as a constant
            return treino.ops.linear(inputs, self.kernel.detach() * 2.0, self.bias)

    with pytest.raises(treino.GradcheckError, match="input 1"):
        check_layer_gradients(BadDense(2, **F64), data(3, 2))


# ---------------------------------------------------------------- config
def _frozen_dense():
    return Dense(2, trainable=False)


# (id, layer factory, inputs)
CONFIG_CASES = [
    ("input_layer", lambda: InputLayer(shape=(3,)), data(2, 3)),
    ("input_layer_batch", lambda: InputLayer(batch_shape=(2, None, 3)), data(2, 4, 3)),
    (
        "dense",
        lambda: Dense(
            3, activation="relu", kernel_initializer="he_normal", kernel_regularizer="l2",
            bias_regularizer=regularizers.L1(0.1), activity_regularizer="l1", input_shape=(4,),
        ),
        data(2, 4),
    ),  # fmt: skip
    ("dense_no_bias", lambda: Dense(2, use_bias=False, activation="softmax"), data(2, 4)),
    ("dense_frozen", _frozen_dense, data(2, 4)),
    ("activation", lambda: Activation("gelu"), data(2, 3)),
    ("dropout", lambda: Dropout(0.3, noise_shape=(None, 1), seed=5), data(4, 3)),
    ("flatten", lambda: Flatten(), data(2, 3, 2)),
    ("reshape", lambda: Reshape((-1, 3)), data(2, 6)),
    (
        "batch_norm",
        lambda: BatchNormalization(axis=1, momentum=0.9, epsilon=1e-2, gamma_regularizer="l2"),
        data(4, 3, 2),
    ),
    ("layer_norm", lambda: LayerNormalization(axis=[-2, -1], center=False), data(2, 3, 4)),
    ("layer_norm_rms", lambda: LayerNormalization(rms_scaling=True), data(2, 4)),
    ("masking", lambda: Masking(mask_value=-1.0), data(2, 4, 3)),
    ("embedding", lambda: Embedding(9, 4, mask_zero=True, embeddings_regularizer="l1"),
     ids(3, 5, high=9)),  # fmt: skip
    ("add", lambda: Add(), [data(2, 3), data(2, 3, seed=1)]),
    ("concatenate", lambda: Concatenate(axis=1), [data(2, 3), data(2, 1, seed=1)]),
    ("random_flip", lambda: RandomFlip("vertical", seed=3), data(2, 3, 3, 1)),
    ("random_translation", lambda: RandomTranslation((-0.2, 0.1), 0.2, fill_mode="wrap",
                                                     seed=1), data(2, 4, 4, 1)),  # fmt: skip
    ("random_rotation", lambda: RandomRotation(0.05, interpolation="nearest", seed=2),
     data(2, 4, 4, 1)),  # fmt: skip
    ("random_zoom", lambda: RandomZoom(0.1, (-0.2, 0.2), seed=4), data(2, 4, 4, 1)),
    ("gaussian_noise", lambda: GaussianNoise(0.5, seed=0), data(2, 3)),
    ("normalization_given", lambda: Normalization(axis=(1, 2), mean=[[0.0, 1.0, 2.0]],
                                                  variance=[[1.0, 2.0, 3.0]], invert=True),
     data(2, 1, 3)),  # fmt: skip
    ("normalization_adapted", lambda: _adapted_norm((20, 3), dtype="float32"), data(2, 3)),
    ("rescaling", lambda: Rescaling([0.5, 1.0, 2.0], offset=-1.0), data(2, 4, 4, 3)),
]


@pytest.mark.parametrize(
    "make, inputs", [case[1:] for case in CONFIG_CASES], ids=[case[0] for case in CONFIG_CASES]
)
def test_config_round_trip(make, inputs):
    layer = make()
    kwargs = {"training": True} if isinstance(layer, Dropout | BatchNormalization) else {}
    original = call(layer, inputs, **kwargs)
    config = layer.get_config()
    text = json.dumps(config)  # JSON, no code
    assert json.loads(text) == config  # and nothing JSON would change (tuples, numpy scalars)

    clone = type(layer).from_config(json.loads(text))
    assert clone.get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config

    if isinstance(layer, BatchNormalization):  # compare in inference (moving stats copied)
        kwargs = {}
        original = call(layer, inputs)
    if isinstance(layer, Normalization):  # adapted statistics travel as weights: build, then load
        clone.build(np.shape(inputs))
    else:
        call(clone, inputs)  # build (in inference: a seeded Dropout keeps its first mask)
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(call(clone, inputs, **kwargs).numpy(), original.numpy())


# the layer families with their own test files keep their suites there
FAMILY_SUITES = ["test_conv.py", "test_recurrent.py", "test_advanced_regularization.py"]


def _family_cases(name: str):
    path = pathlib.Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"_suite_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GRAD_CASES, module.CONFIG_CASES


def test_every_layer_is_covered_by_the_suites():
    exported = {n for n in layers.__all__ if isinstance(getattr(layers, n), type)}
    exported -= {"Layer", "InputSpec", "KerasTensor"}
    grad_cases, config_cases = list(GRAD_CASES), list(CONFIG_CASES)
    for name in FAMILY_SUITES:
        grad, config = _family_cases(name)
        grad_cases += grad
        config_cases += config
    grad_covered = {type(case[1]()).__name__ for case in grad_cases}
    config_covered = {type(case[1]()).__name__ for case in config_cases}
    assert exported == grad_covered == config_covered


def test_config_defaults_match_keras():
    bn = BatchNormalization().get_config()
    assert (bn["axis"], bn["momentum"], bn["epsilon"], bn["center"], bn["scale"]) == (
        -1, 0.99, 1e-3, True, True,
    )  # fmt: skip
    assert bn["moving_mean_initializer"]["class_name"] == "Zeros"
    assert bn["moving_variance_initializer"]["class_name"] == "Ones"
    ln = LayerNormalization().get_config()
    assert (ln["axis"], ln["epsilon"], ln["rms_scaling"]) == (-1, 1e-3, False)
    dense = Dense(2).get_config()
    assert dense["activation"] == "linear"
    assert dense["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert dense["bias_initializer"]["class_name"] == "Zeros"
    assert Embedding(3, 2).get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"


# ---------------------------------------------------------- layer contract
def test_dense_builds_on_first_call_with_keras_layout():
    layer = Dense(3)
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 5), dtype=np.float32))
    assert layer.built and out.shape == (2, 3) and out.dtype == np.float32
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(5, 3), (3,)]
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.trainable_weights == layer.weights and layer.non_trainable_weights == []
    assert all(w.requires_grad for w in layer.weights)
    np.testing.assert_allclose(out.numpy(), np.ones((2, 5)) @ layer.kernel.numpy(), rtol=1e-6)


def test_dense_nd_input_uses_the_last_axis():
    layer = Dense(2)
    x = data(2, 3, 4, dtype=np.float32)
    out = layer(x).numpy()
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 2)


def test_batch_normalization_weights_order_and_roles():
    layer = BatchNormalization()
    layer(np.ones((4, 2, 3)))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert all(w.shape == (3,) for w in layer.weights)
    assert not layer.moving_mean.requires_grad and not layer.moving_variance.requires_grad
    np.testing.assert_array_equal(layer.get_weights()[3], np.ones(3))


def test_batch_normalization_channels_axis_1():
    layer = BatchNormalization(axis=1)
    layer(np.ones((2, 5, 3, 3)))
    assert all(w.shape == (5,) for w in layer.weights)


def test_layer_normalization_weights_over_several_axes():
    layer = LayerNormalization(axis=[1, 2])
    layer(np.ones((2, 3, 4)))
    assert [(w.name, w.shape) for w in layer.weights] == [("gamma", (3, 4)), ("beta", (3, 4))]
    rms = LayerNormalization(rms_scaling=True, scale=False)  # as Keras: γ always, β never
    rms(np.ones((2, 3)))
    assert [w.name for w in rms.weights] == ["gamma"]


def test_weightless_layers_have_no_weights():
    for layer, x in [
        (Activation("relu"), data(2, 3)), (Dropout(0.5), data(2, 3)), (Flatten(), data(2, 3, 1)),
        (Reshape((3,)), data(2, 3)), (Add(), [data(2, 3), data(2, 3)]),
        (Concatenate(), [data(2, 3), data(2, 3)]),
    ]:  # fmt: skip
        call(layer, x)
        assert layer.built and layer.weights == [] and layer.count_params() == 0


def test_trainable_false_freezes_the_weights():
    layer = Dense(2, trainable=False)
    layer(np.ones((1, 3)))
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 2
    assert not any(w.requires_grad for w in layer.weights)
    assert not layer(np.ones((1, 3))).requires_grad
    layer.trainable = True
    assert len(layer.trainable_weights) == 2 and all(w.requires_grad for w in layer.weights)
    layer.trainable = False
    assert layer.trainable_weights == [] and not any(w.requires_grad for w in layer.weights)
    # freezing does not change the order of the weights (get/set_weights stay compatible)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


def test_frozen_batch_normalization_uses_moving_statistics_in_training():
    layer = BatchNormalization(trainable=False, dtype="float64")
    x = data(8, 3)
    layer(x)
    layer.moving_mean.assign([1.0, 2.0, 3.0])
    layer.moving_variance.assign([4.0, 1.0, 0.25])
    before = layer.get_weights()
    out = layer(x, training=True).numpy()
    expected = (x - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 1.0, 0.25]) + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)  # moving statistics untouched
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_batch_normalization_training_normalises_with_batch_statistics():
    layer = BatchNormalization(dtype="float64")
    x = data(2, 4, 4, 3) * 3 + 5
    out = layer(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10, atol=1e-12)
    # inference (the default) uses the moving statistics instead
    inference = layer(x).numpy()
    mm, mv = layer.moving_mean.numpy(), layer.moving_variance.numpy()
    np.testing.assert_allclose(inference, (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-12)


@pytest.mark.parametrize("axis, reduce", [(-1, (0, 1, 2)), (1, (0, 2, 3))])
def test_batch_normalization_moving_statistics_update(axis, reduce):
    layer = BatchNormalization(axis=axis, dtype="float64")
    batches = [data(3, 2, 2, 2, seed=s) * (s + 1) + s for s in range(3)]
    mean, variance = np.zeros(2), np.ones(2)
    for x in batches:
        layer(x, training=True)
        # Keras: m ← 0.99·m + 0.01·μ_B, v ← 0.99·v + 0.01·σ²_B with the *biased* σ²_B
        mean = 0.99 * mean + 0.01 * x.mean(axis=reduce)
        variance = 0.99 * variance + 0.01 * x.var(axis=reduce)
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-12)
    layer(batches[0])  # inference: no update
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-12)


def test_batch_normalization_momentum_argument():
    layer = BatchNormalization(momentum=0.5, dtype="float64")
    x = data(4, 2)
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.5 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + 0.5 * x.var(axis=0))


def test_layer_normalization_values():
    x = data(2, 3, 4) * 2 + 1
    out = LayerNormalization(axis=[1, 2], dtype="float64")(x).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-10)
    rms = LayerNormalization(rms_scaling=True, dtype="float64")(x).numpy()
    np.testing.assert_allclose(rms, x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + 1e-3))
    # the same in training and inference
    layer = LayerNormalization(dtype="float64")
    np.testing.assert_array_equal(layer(x, training=True).numpy(), layer(x).numpy())


def test_get_and_set_weights_round_trip():
    layer = Dense(3)
    layer(np.ones((1, 2)))
    new = [data(2, 3, dtype=np.float32), data(3, dtype=np.float32)]
    layer.set_weights(new)
    got = layer.get_weights()
    for a, b in zip(got, new, strict=True):
        np.testing.assert_array_equal(a, b)
    got[0][...] = 0  # get_weights returns copies
    np.testing.assert_array_equal(layer.kernel.numpy(), new[0])
    layer.set_weights([data(2, 3), data(3)])  # float64 arrays are converted to the weights' dtype
    assert layer.kernel.dtype == np.float32


@pytest.mark.parametrize(
    "bad, error, match",
    [
        ([np.zeros((2, 3))], ValueError, r"expected 2 arrays .*received 1"),
        ([np.zeros((2, 3)), np.zeros(3), np.zeros(3)], ValueError, "expected 2 arrays"),
        ([np.zeros((2, 3)), np.zeros(4)], ValueError, r"'dense\w*/bias' has shape \(3,\)"),
        ([np.zeros((3, 2)), np.zeros(3)], ValueError, r"shape \(2, 3\).*\(3, 2\)"),
        ([np.zeros((2, 3)), np.array(["a", "b", "c"])], TypeError, "dtype <U1"),
    ],
)
def test_set_weights_errors_change_nothing(bad, error, match):
    layer = Dense(3)
    layer(np.ones((1, 2)))
    before = layer.get_weights()
    with pytest.raises(error, match=match):
        layer.set_weights(bad)
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_count_params():
    dense = Dense(3)
    with pytest.raises(ValueError, match=r"'dense\w*' is not built"):
        dense.count_params()
    dense(np.ones((1, 4)))
    assert dense.count_params() == 4 * 3 + 3
    bn = BatchNormalization()
    bn(np.ones((2, 5)))
    assert bn.count_params() == 4 * 5  # moving statistics count, as in Keras
    emb = Embedding(10, 4)
    emb(np.array([[1, 2]]))
    assert emb.count_params() == 40


def test_weight_regularizers_in_losses():
    layer = Dense(2, kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1",
                  bias_initializer="ones", dtype="float64")  # fmt: skip
    assert layer.losses == []
    layer(data(3, 4))
    kernel, bias = layer.get_weights()
    values = [loss.item() for loss in layer.losses]
    np.testing.assert_allclose(values, [0.1 * np.sum(kernel**2), 0.01 * np.sum(np.abs(bias))])
    # the penalty is differentiable w.r.t. the weight
    layer.losses[0].backward()
    np.testing.assert_allclose(layer.kernel.grad, 0.2 * kernel)


def test_frozen_layers_add_no_weight_penalty():
    layer = Dense(2, kernel_regularizer="l2", activity_regularizer="l1", trainable=False)
    layer(np.ones((3, 4)))
    assert len(layer.losses) == 1  # the activity term only, as in Keras
    layer.trainable = True
    assert len(layer.losses) == 2


def test_regularizers_of_other_layers():
    emb = Embedding(5, 2, embeddings_regularizer=regularizers.L1(0.5), dtype="float64")
    emb(np.array([[1, 2]]))
    assert emb.losses[0].item() == pytest.approx(0.5 * np.abs(emb.embeddings.numpy()).sum())
    bn = BatchNormalization(gamma_regularizer=regularizers.L2(1.0), beta_regularizer="l2")
    bn(np.ones((2, 3)))
    assert [loss.item() for loss in bn.losses] == pytest.approx([3.0, 0.0])


def test_activity_regularizer_is_divided_by_the_batch_size():
    layer = Activation("linear", activity_regularizer=regularizers.L1(0.1), dtype="float64")
    x = data(4, 3)
    layer(x)
    assert len(layer.losses) == 1
    assert layer.losses[0].item() == pytest.approx(0.1 * np.abs(x).sum() / 4)
    layer(x[:2])  # each call replaces the previous call's activity penalty
    assert len(layer.losses) == 1
    assert layer.losses[0].item() == pytest.approx(0.1 * np.abs(x[:2]).sum() / 2)
    dense = Dense(2, activity_regularizer="l2", kernel_regularizer="l2")
    dense(np.ones((5, 3)))
    assert len(dense.losses) == 2


def test_dropout_is_the_identity_at_inference():
    layer = Dropout(0.5)
    x = treino.tensor(data(4, 6, dtype=np.float32))
    assert layer(x) is x
    assert layer(x, training=False) is x
    np.testing.assert_array_equal(Dropout(0.0)(x, training=True).numpy(), x.numpy())


def test_dropout_scales_the_survivors_in_training():
    x = np.ones((200, 50), dtype=np.float32)
    out = Dropout(0.25, seed=1)(x, training=True).numpy()
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert np.mean(out == 0) == pytest.approx(0.25, abs=0.02)
    assert out.mean() == pytest.approx(1.0, abs=0.03)  # E[y] = x


def test_dropout_seed_reproducibility():
    x = np.ones((8, 10))
    a = Dropout(0.5, seed=3)
    b = Dropout(0.5, seed=3)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())
    second = a(x, training=True).numpy()
    assert not np.array_equal(first, second)  # a sequence of masks, not one mask
    np.testing.assert_array_equal(second, b(x, training=True).numpy())
    treino.seed(7)
    c = Dropout(0.5)(x, training=True).numpy()
    treino.seed(7)
    np.testing.assert_array_equal(c, Dropout(0.5)(x, training=True).numpy())


def test_dropout_noise_shape_drops_whole_features():
    out = Dropout(0.5, noise_shape=(1, None), seed=0)(np.ones((6, 20)), training=True).numpy()
    assert np.all(out == out[0])  # the same mask for every sample


def test_dropout_gradient_uses_the_mask():
    x = treino.tensor(np.ones((5, 8)), requires_grad=True)
    y = Dropout(0.5, seed=2, dtype="float64")(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # ∂L/∂x = m / (1 − p)


# (id, layer factory, symbolic input shapes (without batch), expected output shape)
SYMBOLIC_CASES = [
    ("dense", lambda: Dense(4), [(3,)], (None, 4)),
    ("dense_nd", lambda: Dense(4), [(5, 3)], (None, 5, 4)),
    ("activation", lambda: Activation("relu"), [(3, 2)], (None, 3, 2)),
    ("dropout", lambda: Dropout(0.5), [(7,)], (None, 7)),
    ("flatten", lambda: Flatten(), [(4, 5, 2)], (None, 40)),
    ("flatten_unknown", lambda: Flatten(), [(None, 5)], (None, None)),
    ("reshape", lambda: Reshape((2, -1)), [(3, 4)], (None, 2, 6)),
    ("reshape_unknown", lambda: Reshape((-1, 2)), [(None, 4)], (None, None, 2)),
    ("batch_norm", lambda: BatchNormalization(), [(4, 4, 3)], (None, 4, 4, 3)),
    ("layer_norm", lambda: LayerNormalization(axis=[1, 2]), [(4, 3)], (None, 4, 3)),
    ("embedding", lambda: Embedding(10, 6), [(5,)], (None, 5, 6)),
    ("add", lambda: Add(), [(3,), (3,)], (None, 3)),
    ("add_broadcast", lambda: Add(), [(1, 3), (4, 1)], (None, 4, 3)),
    ("concatenate", lambda: Concatenate(), [(3,), (5,)], (None, 8)),
    ("concatenate_axis1", lambda: Concatenate(axis=1), [(2, 4), (3, 4)], (None, 5, 4)),
]


@pytest.mark.parametrize(
    "make, shapes, expected",
    [case[1:] for case in SYMBOLIC_CASES],
    ids=[case[0] for case in SYMBOLIC_CASES],
)
def test_symbolic_call_gives_keras_tensors(make, shapes, expected):
    layer = make()
    inputs = [Input(shape=s) for s in shapes]
    out = layer(inputs if len(inputs) > 1 else inputs[0])
    assert isinstance(out, KerasTensor)
    assert out.shape == expected
    assert out.history[0] is layer
    assert layer.built
    # and the real call agrees
    concrete = [np.zeros((2, *(3 if d is None else d for d in s))) for s in shapes]
    if isinstance(layer, Embedding):
        concrete = [c.astype(int) for c in concrete]
    real = layer(concrete if len(concrete) > 1 else concrete[0])
    assert real.shape[0] == 2
    assert all(e is None or e == r for e, r in zip(expected[1:], real.shape[1:], strict=True))


def test_input_and_input_layer():
    x = Input(shape=(784,))
    assert isinstance(x, KerasTensor) and x.shape == (None, 784) and x.dtype == np.float32
    layer = x.history[0]
    assert isinstance(layer, InputLayer) and layer.built
    assert Input(shape=5).shape == (None, 5)
    assert Input(batch_shape=(8, 3)).shape == (8, 3)
    assert Input(shape=(3,), batch_size=4).shape == (4, 3)
    assert Input(shape=(2,), dtype="int32").dtype == np.int32
    assert InputLayer(input_shape=(28, 28)).batch_shape == (None, 28, 28)  # Keras 2 spelling
    with pytest.raises(ValueError, match="shape="):
        InputLayer()
    with pytest.raises(ValueError, match="sparse"):
        InputLayer(shape=(3,), sparse=True)
    # as a layer: the identity, and it checks the declared shape
    out = layer(np.ones((2, 784)))
    assert out.shape == (2, 784)
    with pytest.raises(ValueError, match=r"expected axis 1 of the input to have size 784"):
        layer(np.ones((2, 783)))


def test_unique_automatic_names():
    class MyProbe(Layer):
        def call(self, inputs):
            return inputs

    names = [MyProbe().name for _ in range(3)]
    assert names == ["my_probe", "my_probe_1", "my_probe_2"]
    first, second = Dense(1).name, Dense(1).name
    assert first.startswith("dense") and second.startswith("dense_") and first != second
    assert BatchNormalization().name.startswith("batch_normalization")
    assert Dense(1, name="output").name == "output"


def test_input_shape_argument_is_accepted():
    layer = Dense(64, activation="relu", input_shape=(784,))
    assert layer.batch_input_shape == (None, 784)
    assert layer.get_config()["batch_input_shape"] == [None, 784]
    assert Dense(64, input_dim=784).batch_input_shape == (None, 784)
    assert Dense(2, input_shape=(3,), batch_size=16).batch_input_shape == (16, 3)
    assert Dense.from_config(layer.get_config()).batch_input_shape == (None, 784)


def test_arrays_are_cast_to_the_layer_dtype_and_integers_accepted():
    layer = Dense(2)
    assert layer(np.ones((1, 3))).dtype == np.float32  # float64 array: autocast, as Keras
    assert layer(np.ones((1, 3), dtype=np.int64)).dtype == np.float32
    assert layer(treino.tensor(np.ones((1, 3), dtype=np.int32))).dtype == np.float32
    assert layer([[1.0, 2.0, 3.0]]).shape == (1, 2)


def test_gradients_flow_to_input_and_weights():
    layer = Dense(2, dtype="float64")
    x = treino.tensor(data(3, 4), requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.tile(layer.kernel.numpy().sum(axis=1), (3, 1)))
    np.testing.assert_allclose(layer.kernel.grad, np.tile(x.numpy().sum(axis=0)[:, None], (1, 2)))
    np.testing.assert_allclose(layer.bias.grad, [3.0, 3.0])


def test_embedding_gradient_accumulates_repeated_ids():
    layer = Embedding(4, 2, dtype="float64")
    out = layer(np.array([[1, 1, 3], [1, 0, 3]]))
    out.sum().backward()
    np.testing.assert_array_equal(layer.embeddings.grad, [[1, 1], [3, 3], [0, 0], [2, 2]])
    np.testing.assert_array_equal(out.numpy()[0, 0], layer.embeddings.numpy()[1])


def test_embedding_accepts_integer_valued_floats_and_masks():
    layer = Embedding(5, 2, mask_zero=True)
    np.testing.assert_array_equal(
        layer(np.array([[0.0, 4.0]])).numpy(), layer(np.array([[0, 4]])).numpy()
    )
    np.testing.assert_array_equal(layer.compute_mask(np.array([[0, 2, 0]])), [[False, True, False]])
    assert Embedding(5, 2).compute_mask(np.array([[0, 1]])) is None
    with pytest.warns(UserWarning, match="input_length"):
        Embedding(5, 2, input_length=10)


def test_flatten_and_reshape_values():
    x = data(2, 3, 4)
    np.testing.assert_array_equal(Flatten(dtype="float64")(x).numpy(), x.reshape(2, 12))
    np.testing.assert_array_equal(Flatten(dtype="float64")(x[:, 0, 0]).numpy(), x[:, :1, 0])
    np.testing.assert_array_equal(
        Reshape((4, -1), dtype="float64")(x).numpy(), x.reshape(2, 4, 3)
    )


def test_merge_values():
    a, b = data(2, 3), data(2, 3, seed=1)
    np.testing.assert_array_equal(Add(dtype="float64")([a, b]).numpy(), a + b)
    np.testing.assert_array_equal(
        Concatenate(axis=0, dtype="float64")([a, b]).numpy(), np.concatenate([a, b])
    )


# ------------------------------------------------------------ error messages
def test_dense_wrong_last_dimension_after_build():
    layer = Dense(2, name="classifier")
    layer(np.ones((1, 4)))
    before = layer.get_weights()
    with pytest.raises(ValueError) as info:
        layer(np.ones((3, 5)))
    message = str(info.value)
    assert "'classifier'" in message and "size 4" in message and "(3, 5)" in message
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="'classifier'"):  # symbolically too
        layer(Input(shape=(5,)))


def test_dense_needs_a_known_last_axis():
    layer = Dense(2, name="d_unknown")
    with pytest.raises(ValueError, match=r"'d_unknown'.*last axis.*\(None, None\)"):
        layer(Input(shape=(None,)))
    assert not layer.built and layer.weights == []


def test_dense_on_1d_input_raises_before_building():
    layer = Dense(3, name="hidden")
    with pytest.raises(ValueError, match=r"'hidden'.*min_ndim=2.*ndim=1.*\(4,\)"):
        layer(np.ones(4))
    assert not layer.built and layer.weights == []
    assert layer(np.ones((2, 6))).shape == (2, 3)  # still usable, built for the right size


@pytest.mark.parametrize(
    "bad", [np.array([["a", "b"]]), np.ones((1, 2), dtype=complex), [[object(), object()]]],
    ids=["strings", "complex", "objects"],
)  # fmt: skip
def test_non_numeric_input_is_a_type_error(bad):
    layer = Dense(2, name="dense_strings")
    with pytest.raises(TypeError, match=r"'dense_strings'.*expected numeric input"):
        layer(bad)
    assert not layer.built


def test_float64_tensor_into_float32_layer_names_the_fix():
    layer = Dense(2, name="f32")
    with pytest.raises(TypeError, match=r"'f32'.*float32.*float64.*astype\('float32'\)"):
        layer(treino.tensor(np.ones((1, 3))))
    assert not layer.built
    x = treino.tensor(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(TypeError, match="astype"):
        Dense(2, dtype="float64")(x)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.array([[1, 7]]), ValueError, r"'emb'.*\[0, 6\].*input_dim=7.*received id 7"),
        (np.array([[-1, 2]]), ValueError, r"'emb'.*received id -1"),
        (np.array([[0.5, 2.0]]), ValueError, r"'emb'.*fractional"),
        (np.array([[np.nan, 2.0]]), ValueError, r"'emb'.*NaN"),
        (np.array([["a"]]), TypeError, r"'emb'.*integer ids.*<U1"),
        (np.array([[True]]), TypeError, r"'emb'.*integer ids.*bool"),
    ],
)
def test_embedding_bad_ids(bad, error, match):
    layer = Embedding(7, 2, name="emb")
    with pytest.raises(error, match=match):
        layer(bad)
    assert not layer.built


def test_reshape_incompatible_size():
    layer = Reshape((4,), name="to4")
    with pytest.raises(ValueError, match=r"'to4'.*\(2, 6\).*6 values.*\(4,\).*4"):
        layer(np.ones((2, 6)))
    with pytest.raises(ValueError, match=r"'to5'.*cannot reshape"):
        Reshape((-1, 5), name="to5")(np.ones((2, 6)))
    with pytest.raises(ValueError, match="'to4'"):
        layer(Input(shape=(3, 3)))


@pytest.mark.parametrize(
    "make, inputs, match",
    [
        (Add, [np.ones((2, 3)), np.ones((2, 4))], r"Add 'm'.*\[\(2, 3\), \(2, 4\)\]"),
        (Add, [np.ones((2, 3))], r"Add 'm' expects a list of at least 2.*a list of 1"),
        (Add, np.ones((2, 3)), r"Add 'm' expects a list.*one tensor"),
        (Concatenate, [np.ones((2, 3)), np.ones((3, 3))], r"'m'.*axis=-1.*\(2, 3\), \(3, 3\)"),
        (Concatenate, [np.ones((2, 3)), np.ones((2, 3, 1))], r"Concatenate 'm'"),
        (Concatenate, [np.ones((2, 3))], r"Concatenate 'm' expects a list of at least 2"),
    ],
)
def test_merge_errors(make, inputs, match):
    layer = make(name="m")
    with pytest.raises(ValueError, match=match):
        layer(inputs)
    assert not layer.built


def test_merge_errors_symbolic():
    with pytest.raises(ValueError, match="Concatenate"):
        Concatenate()([Input(shape=(2, 3)), Input(shape=(3, 3))])
    with pytest.raises(ValueError, match="Add"):
        Add()([Input(shape=(3,)), Input(shape=(4,))])


def test_normalization_errors():
    bn = BatchNormalization(name="bn")
    bn(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'bn'.*size 3.*\(2, 4\)"):
        bn(np.ones((2, 4)), training=True)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))  # nothing updated
    with pytest.raises(ValueError, match=r"'bn2'.*axis 3 is out of range"):
        BatchNormalization(axis=3, name="bn2")(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'ln'.*axis -4"):
        LayerNormalization(axis=-4, name="ln")(np.ones((2, 3, 4)))


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: Dense(0), ValueError, r"units=0"),
        (lambda: Dense(-3), ValueError, r"units=-3"),
        (lambda: Dense(2.5), ValueError, r"units=2.5"),
        (lambda: Dense(True), ValueError, r"units=True"),
        (lambda: Dense(2, activation="nope"), ValueError, "Unknown activation"),
        (lambda: Dense(2, kernel_initializer="nope"), ValueError, "Unknown initializer"),
        (lambda: Dense(2, kernel_regularizer="nope"), ValueError, "Unknown regularizer"),
        (lambda: Dense(2, unit=3), TypeError, r"Dense: unrecognized keyword arguments: \['unit'\]"),
        (lambda: Dropout(1.5), ValueError, r"rate=1.5"),
        (lambda: Dropout(1.0), ValueError, r"rate=1.0"),
        (lambda: Dropout(-0.1), ValueError, r"rate=-0.1"),
        (lambda: BatchNormalization(momentum=2), ValueError, r"momentum.*received 2"),
        (lambda: BatchNormalization(epsilon=0), ValueError, r"epsilon must be > 0"),
        (lambda: LayerNormalization(epsilon=-1.0), ValueError, r"epsilon"),
        (lambda: Embedding(0, 3), ValueError, r"input_dim.*0"),
        (lambda: Embedding(3, -1), ValueError, r"output_dim.*-1"),
        (lambda: Reshape((2, -1, -1)), ValueError, r"at most one -1"),
        (lambda: Reshape((0, 2)), ValueError, r"positive integers"),
        (lambda: Flatten(data_format="channels_first"), ValueError, "channels_last"),
        (lambda: Activation("nope"), ValueError, "Unknown activation"),
        (lambda: Concatenate(foo=1), TypeError, r"Concatenate: unrecognized.*\['foo'\]"),
    ],
)
def test_invalid_constructor_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_layer_get_by_name_and_dict():
    assert layers.get("Dense") is Dense
    layer = layers.get({"class_name": "Dropout", "config": {"rate": 0.2}})
    assert isinstance(layer, Dropout) and layer.rate == 0.2
    with pytest.raises(ValueError, match="Unknown layer 'Danse'"):
        layers.get("Danse")


# ---------------------------------------------------------------- masking
def test_embedding_mask_travels_through_layers_that_support_masking():
    ids_ = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    x = Embedding(6, 3, mask_zero=True)(ids_)
    np.testing.assert_array_equal(x._keras_mask, ids_ != 0)
    y = Dropout(0.5)(Dense(2)(x), training=True)
    np.testing.assert_array_equal(y._keras_mask, ids_ != 0)
    assert getattr(Flatten()(y), "_keras_mask", None) is None  # Flatten drops the time axis


def test_masking_zeroes_and_marks_padded_steps():
    x = data(2, 3, 2, dtype=np.float32)
    x[0, 1] = 0.0
    y = Masking()(x)
    np.testing.assert_array_equal(y._keras_mask, [[True, False, True], [True, True, True]])
    np.testing.assert_array_equal(y.numpy()[0, 1], [0.0, 0.0])


def test_a_layer_with_a_mask_argument_receives_the_mask():
    seen = {}

    class Probe(Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs

    Probe()(Masking()(np.array([[[1.0], [0.0]]], dtype=np.float32)))
    np.testing.assert_array_equal(seen["mask"], [[True, False]])
    Probe()(np.ones((1, 2, 1), dtype=np.float32))
    assert seen["mask"] is None


def test_merge_layers_combine_masks():
    a = Masking()(np.array([[[1.0], [0.0], [2.0]]], dtype=np.float32))
    b = Masking()(np.array([[[1.0], [3.0], [0.0]]], dtype=np.float32))
    np.testing.assert_array_equal(Add()([a, b])._keras_mask, [[True, False, False]])
    np.testing.assert_array_equal(Concatenate()([a, b])._keras_mask, [[True, False, False]])
    joined = Concatenate(axis=1)([a, np.ones((1, 2, 1), dtype=np.float32)])
    np.testing.assert_array_equal(joined._keras_mask, [[True, False, True, True, True]])
    assert getattr(Add()([np.ones((1, 2)), np.ones((1, 2))]), "_keras_mask", None) is None


def test_keras3_variable_aliases_name_the_same_objects():
    from treino.layers import BatchNormalization, Dense, Input
    from treino.models import Sequential

    model = Sequential([Input((3,)), Dense(4), BatchNormalization()])
    assert [id(v) for v in model.trainable_variables] == [id(v) for v in model.trainable_weights]
    assert [id(v) for v in model.non_trainable_variables] == [
        id(v) for v in model.non_trainable_weights]
    assert [id(v) for v in model.variables] == [id(v) for v in model.weights]
    assert len(model.trainable_variables) == 4 and len(model.non_trainable_variables) == 2


def test_build_called_directly_marks_the_layer_built():
    # Keras: build(shape) then set_weights, and the first call keeps those weights.
    from treino.layers import Dense

    layer = Dense(2)
    layer.build((None, 3))
    assert layer.built
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(layer(np.ones((1, 3))).numpy(), [[3.0, 3.0]])
    assert len(layer.weights) == 2
