"""treino.layers.preprocessing: Normalization (adapt, invert, from_scaler) and Rescaling."""

import json

import numpy as np
import pytest

import treino
from treino import layers, models
from treino.data import Dataset
from treino.layers import Dense, Input
from treino.layers.preprocessing import EPSILON, Normalization, Rescaling
from treino.preprocessing import MinMaxScaler, NotFittedError, StandardScaler

F64 = {"dtype": "float64"}
CUSTOM = {"Normalization": Normalization, "Rescaling": Rescaling}


def data(*shape, seed=0, loc=3.0, scale=2.0):
    """Features far from mean 0 / std 1 (each column its own), so normalising shows."""
    rng = np.random.default_rng(seed)
    return loc * np.arange(1, shape[-1] + 1) + scale * rng.normal(size=shape)


def adapted(x, **kwargs):
    layer = Normalization(**{**F64, **kwargs})
    layer.adapt(x)
    return layer


# ------------------------------------------------------------------- adapt
def test_adapt_equals_numpy_and_standardises_each_feature():
    x = data(200, 4)
    layer = adapted(x)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.variance.numpy(), x.var(axis=0), rtol=1e-12)
    assert int(layer.count.numpy()) == 200
    y = layer(x).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(y, (x - x.mean(0)) / x.std(0), rtol=1e-12)


def test_weights_are_non_trainable_in_keras_order():
    layer = adapted(data(10, 3))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == []
    assert [w.shape for w in layer.weights] == [(3,), (3,), ()]
    assert layer.count.dtype == np.int64


def test_axis_none_gives_one_scalar_mean_and_variance():
    x = data(50, 3)
    layer = adapted(x, axis=None)
    assert layer.mean.shape == () and layer.variance.shape == ()
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(), rtol=1e-12)
    np.testing.assert_allclose(layer.variance.numpy(), x.var(), rtol=1e-12)
    np.testing.assert_allclose(layer(x).numpy(), (x - x.mean()) / x.std(), rtol=1e-12)
    one_d = data(30, 1)[:, 0]  # 1-D data: axis=None
    np.testing.assert_allclose(adapted(one_d, axis=None)(one_d).numpy().std(), 1, rtol=1e-12)


def test_images_get_one_statistic_per_channel():
    x = data(6, 5, 4, 3)  # (N, H, W, C)
    layer = adapted(x)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(layer.variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-12)
    y = layer(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1, rtol=1e-12)
    assert int(layer.count.numpy()) == 6 * 5 * 4


def test_several_kept_axes():
    x = data(8, 5, 4, 3)
    per_pixel = adapted(x, axis=(1, 2, 3))  # as StandardScaler: one per pixel and channel
    np.testing.assert_allclose(per_pixel.mean.numpy(), x.mean(axis=0), rtol=1e-12)
    rows = adapted(x, axis=[1, -1])
    assert rows.mean.shape == (5, 3)
    np.testing.assert_allclose(rows.variance.numpy(), x.var(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(rows(x).numpy().std(axis=(0, 2)), 1, rtol=1e-12)


def test_adapt_accepts_nested_lists_and_integers():
    layer = adapted([[1, 10], [3, 10]])
    np.testing.assert_array_equal(layer.mean.numpy(), [2.0, 10.0])
    np.testing.assert_array_equal(layer.variance.numpy(), [1.0, 0.0])


def test_adapt_again_starts_afresh():
    layer = adapted(data(20, 2))
    x = data(30, 2, seed=1)
    layer.adapt(x)
    np.testing.assert_allclose(layer.mean.numpy(), x.mean(0), rtol=1e-12)
    assert int(layer.count.numpy()) == 30


# --------------------------------------------------------------- streaming
def _streamed(batches, whole, **kwargs):
    layer = Normalization(**F64, **kwargs)
    layer.adapt(batches)
    reference = adapted(whole, **kwargs)
    np.testing.assert_allclose(layer.mean.numpy(), reference.mean.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(layer.variance.numpy(), reference.variance.numpy(), rtol=0,
                               atol=1e-10)  # fmt: skip
    np.testing.assert_allclose(layer.variance.numpy(), np.var(whole, axis=0), rtol=1e-10)
    assert layer.count.numpy() == reference.count.numpy()
    return layer


def test_streaming_over_a_list_of_uneven_batches_equals_the_concatenation():
    x = data(103, 4, loc=1e3)  # a large mean: the naive Σx² − n·μ² would lose digits
    batches = [x[:1], x[1:40], x[40:40], x[40:97], x[97:]]
    _streamed(batches, x)


def test_streaming_over_a_dataset_with_targets_and_shuffling():
    x, y = data(77, 3), np.arange(77)
    ds = Dataset(x, y, batch_size=10, shuffle=True, seed=3)
    _streamed(ds, x)
    _streamed(Dataset(x, batch_size=None), x)  # one full batch, no targets


def test_streaming_over_a_generator_and_array_batch_size():
    x = data(50, 2, 3)
    _streamed((x[i:i + 7] for i in range(0, 50, 7)), x, axis=(1, 2))
    chunked = Normalization(**F64)
    chunked.adapt(x, batch_size=8)
    np.testing.assert_allclose(chunked.mean.numpy(), x.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(chunked.variance.numpy(), x.var(axis=(0, 1)), rtol=1e-10)


def test_streaming_images_with_variable_spatial_size():
    a, b = data(3, 4, 4, 2), data(2, 6, 5, 2, seed=1)
    layer = Normalization(**F64)
    layer.adapt([a, b])
    flat = np.concatenate([a.reshape(-1, 2), b.reshape(-1, 2)])
    np.testing.assert_allclose(layer.mean.numpy(), flat.mean(0), rtol=1e-12)
    np.testing.assert_allclose(layer.variance.numpy(), flat.var(0), rtol=1e-10)
    assert layer(b).shape == b.shape  # the spatial axes are free


# ------------------------------------------------------------ invert, edge
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_invert_round_trip(dtype):
    x = data(40, 3, scale=0.5)
    forward = Normalization(dtype=dtype)
    forward.adapt(x)
    inverse = Normalization(invert=True, dtype=dtype)
    inverse.adapt(x)
    back = inverse(forward(x)).numpy()
    assert back.dtype == dtype
    np.testing.assert_allclose(back, x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(inverse(np.zeros((1, 3))).numpy()[0], x.mean(0), rtol=1e-6)


def test_constant_feature_gives_finite_output():
    x = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    layer = adapted(x)
    assert layer.variance.numpy()[1] == 0
    out = layer(np.array([[2.0, 7.0], [2.0, 7.5]])).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 1], [0.0, 0.5 / EPSILON])  # Keras: max(σ, 1e-7)
    for dtype in ("float32", "float64"):
        inverse = Normalization(invert=True, dtype=dtype)
        inverse.adapt(x)
        assert np.isfinite(inverse(out.astype(dtype)).numpy()).all()


def test_mean_and_variance_given_instead_of_adapt():
    layer = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25], **F64)
    np.testing.assert_allclose(layer(np.array([[3.0, 3.0]])).numpy(), [[1.0, 2.0]])
    assert int(layer.count.numpy()) == 0  # no adapt, none needed
    scalar = Normalization(mean=2.0, variance=4.0, **F64)  # broadcast to every feature
    np.testing.assert_allclose(scalar(np.array([[4.0, 0.0]])).numpy(), [[1.0, -1.0]])
    channels = Normalization(mean=[[[0.0, 10.0]]], variance=[[[1.0, 4.0]]], **F64)  # (1, 1, C)
    y = channels(np.full((2, 3, 3, 2), 12.0)).numpy()
    assert channels.mean.shape == (2,)
    np.testing.assert_allclose(y[..., 0], 12.0)
    np.testing.assert_allclose(y[..., 1], 1.0)


def test_dtype_follows_the_layer():
    x = data(10, 3)
    assert Normalization().dtype == "float32"
    layer = Normalization()
    layer.adapt(x)
    assert layer.mean.dtype == np.float32 and layer(x).dtype == np.float32
    assert adapted(x)(x).dtype == np.float64
    assert Rescaling(0.5)(x).dtype == np.float32
    assert Rescaling(0.5, **F64)(x).dtype == np.float64


# -------------------------------------------------------------- from_scaler
@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((30, 4), {}),
        ((30, 4), {"with_mean": False}),
        ((30, 4), {"with_std": False}),
        ((30, 4), {"epsilon": 0.5}),
        ((12, 3, 2, 2), {}),  # images: one statistic per pixel and channel
        ((25,), {}),  # 1-D data: one scalar mean and variance
    ],
)
def test_from_scaler_gives_the_scaler_numbers(shape, kwargs):
    x_train = data(*shape)
    if len(shape) == 2:
        x_train[:, 2] = 5.0  # a constant feature: the scaler takes σ = 1
    x_test = data(*shape, seed=1)
    scaler = StandardScaler(**kwargs).fit(x_train)
    layer = Normalization.from_scaler(scaler, **F64)
    np.testing.assert_allclose(layer(x_test).numpy(), scaler.transform(x_test), rtol=1e-12,
                               atol=1e-12)  # fmt: skip
    inverse = Normalization.from_scaler(scaler, invert=True, **F64)
    np.testing.assert_allclose(inverse(x_test).numpy(), scaler.inverse_transform(x_test),
                               rtol=1e-12)  # fmt: skip
    config = layer.get_config()  # the statistics are in the config: the layer is self-contained
    clone = Normalization.from_config(json.loads(json.dumps(config)))
    np.testing.assert_array_equal(clone(x_test).numpy(), layer(x_test).numpy())


def test_from_scaler_errors():
    with pytest.raises(NotFittedError, match=r"scaler.fit\(x_train\) first"):
        Normalization.from_scaler(StandardScaler())
    with pytest.raises(TypeError, match=r"received MinMaxScaler.*Rescaling\(scale=scaler.scale_"):
        Normalization.from_scaler(MinMaxScaler().fit(data(5, 2)))


def test_min_max_scaler_is_a_rescaling():  # the hint of from_scaler's error
    x = data(20, 3)
    scaler = MinMaxScaler((-1, 1)).fit(x)
    layer = Rescaling(scale=scaler.scale_.tolist(), offset=scaler.min_.tolist(), **F64)
    np.testing.assert_allclose(layer(x).numpy(), scaler.transform(x), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ errors
def test_using_the_layer_before_adapt_is_a_clear_error():
    layer = Normalization()
    with pytest.raises(ValueError, match=r"no statistics yet: call .*\.adapt\(x_train\) first"):
        layer(data(2, 3))
    model = models.Sequential([Input(shape=(3,)), Normalization(), Dense(1)])  # wiring is fine
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"adapt\(x_train\) first"):
        model.fit(data(4, 3), np.zeros((4, 1)), epochs=1, verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_adapt_data_changes_nothing(bad):
    x = data(10, 3)
    x[7, 1] = bad
    layer = Normalization(**F64)
    with pytest.raises(ValueError, match=r"non-finite values, e.g. data\[7, 1\]"):
        layer.adapt(x)
    assert not layer.built
    with pytest.raises(ValueError, match=r"data\[7, 1\]"):  # the row in the whole array
        layer.adapt(x, batch_size=3)
    good = adapted(data(10, 3))
    before = good.get_weights()
    with pytest.raises(ValueError, match=r"batch 1, index \[2, 1\]"):
        good.adapt([x[:5], x[5:]])
    for a, b in zip(good.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_adapt_with_the_wrong_width_after_build():
    layer = adapted(data(10, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"statistics of shape \(3,\).*shape \(10, 4\)"):
        layer.adapt(data(10, 4))
    with pytest.raises(ValueError, match=r"2 dimensions.*shape \(10, 2, 3\)"):
        layer.adapt(data(10, 2, 3))
    with pytest.raises(ValueError, match=r"the first was \(4, 3\), batch 1 is \(2, 5\)"):
        layer.adapt([data(4, 3), data(2, 5)])
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"expected axis 1 of the input to have size 3"):
        layer(data(2, 4))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Normalization(mean=[0.0]), "pass both mean and variance"),
        (lambda: Normalization(variance=[1.0]), "pass both mean and variance"),
        (lambda: Normalization(mean=[0.0], variance=[-1.0]), "variance must be >= 0"),
        (lambda: Normalization(mean=[np.nan], variance=[1.0]), "mean must be finite"),
        (lambda: Normalization(mean=["a"], variance=[1.0]), "mean must be a number"),
        (lambda: Normalization(axis=1.5), "axis must be an int"),
        (lambda: Rescaling("x"), "scale must be a number"),
        (lambda: Rescaling(1.0, offset=np.inf), "offset must be finite"),
    ],
)
def test_invalid_constructor_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_other_adapt_and_call_errors():
    with pytest.raises(ValueError, match="keeps the batch axis 0.*axis=None"):
        Normalization().adapt(np.arange(5.0))  # 1-D data with axis=-1
    with pytest.raises(ValueError, match="keeps the batch axis"):
        Normalization(axis=0).adapt(data(4, 2))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        Normalization(axis=3).adapt(data(4, 2))
    with pytest.raises(ValueError, match="no samples"):
        Normalization().adapt([])
    with pytest.raises(ValueError, match="no samples"):
        Normalization().adapt(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="batch_size is for arrays"):
        Normalization().adapt(Dataset(data(4, 2)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        Normalization().adapt(data(4, 2), batch_size=0)
    with pytest.raises(TypeError, match="must hold numbers"):
        Normalization().adapt(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="one input array"):
        Normalization().adapt(Dataset({"a": data(2, 2)}))  # a multi-input x
    with pytest.raises(ValueError, match="given mean and variance"):
        Normalization(mean=0.0, variance=1.0).adapt(data(4, 2))
    with pytest.raises(ValueError, match=r"mean of shape \(2,\) does not broadcast.*\(3,\)"):
        Normalization(mean=[0.0, 1.0], variance=[1.0, 1.0])(data(2, 3))
    with pytest.raises(ValueError, match=r"scale of shape \(2,\) does not broadcast"):
        Rescaling([1.0, 2.0])(data(2, 3))


# -------------------------------------------------------- in a model, saving
def test_inside_a_model_fit_save_load_predicts_identically(tmp_path):
    treino.seed(0)
    x = data(64, 3, loc=50.0, scale=10.0)
    y = (x @ np.array([[0.1], [-0.2], [0.05]]) + 1.0).astype("float32")
    norm = Normalization()
    norm.adapt(x)  # before training, on x_train only
    model = models.Sequential([Input(shape=(3,)), norm, Dense(4, activation="tanh"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    stats = norm.get_weights()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(norm.get_weights(), stats, strict=True):  # fit never changes them
        np.testing.assert_array_equal(a, b)

    path = tmp_path / "modelo.treino"
    model.save(path)
    loaded = models.load_model(path, custom_objects=CUSTOM)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    restored = loaded.layers[0]
    assert isinstance(restored, Normalization) and restored.get_config()["mean"] is None
    np.testing.assert_array_equal(restored.mean.numpy(), norm.mean.numpy())  # from the file
    assert int(restored.count.numpy()) == 64


def test_rescaling_and_given_statistics_in_a_saved_model(tmp_path):
    treino.seed(1)
    x = np.random.default_rng(0).integers(0, 256, size=(16, 4, 4, 1)).astype("uint8")
    model = models.Sequential([
        Input(shape=(4, 4, 1)),
        Rescaling(1 / 255),
        Normalization(mean=0.5, variance=0.25),
        layers.Flatten(),
        Dense(2),
    ])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((16, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "m.treino")
    loaded = models.load_model(tmp_path / "m.treino", custom_objects=CUSTOM)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_axis_none_statistics_are_saved(tmp_path):
    x = data(20, 3)
    norm = Normalization(axis=None)
    norm.adapt(x)
    model = models.Sequential([Input(shape=(3,)), norm])
    model.save(tmp_path / "m.treino")
    loaded = models.load_model(tmp_path / "m.treino", custom_objects=CUSTOM)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_symbolic_shapes_and_summary_before_adapt():
    model = models.Sequential([Input(shape=(5, 3)), Normalization(), Rescaling([1.0, 2.0, 3.0])])
    assert model.output_shape == (None, 5, 3)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("normalization" in line for line in lines)
    assert Normalization().compute_output_shape((None, 7)) == (None, 7)


# ----------------------------------------------------- config round trips
def _round_trip(layer, x, build_clone):
    original = layer(x)
    config = layer.get_config()
    text = json.dumps(config)
    assert json.loads(text) == config
    clone = type(layer).from_config(json.loads(text))
    assert clone.get_config() == config
    build_clone(clone)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).numpy(), original.numpy())
    return config


def test_config_round_trip_with_given_statistics():  # the layer suite's procedure, unchanged
    x = data(4, 3)
    layer = Normalization(axis=-1, mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], invert=True)
    config = _round_trip(layer, x, lambda clone: clone(x))
    assert (config["axis"], config["invert"]) == (-1, True)
    assert (config["mean"], config["variance"]) == ([1.0, 2.0, 3.0], [1.0, 4.0, 9.0])


def test_config_round_trip_of_an_adapted_layer():
    x = data(6, 2, 3)
    layer = Normalization(axis=(1, 2))
    layer.adapt(x)
    # An adapted layer's statistics travel as weights: the clone is built, then loaded.
    config = _round_trip(layer, x, lambda clone: clone.build(x.shape))
    assert (config["axis"], config["mean"], config["variance"]) == ([1, 2], None, None)


def test_rescaling_config_round_trip_and_values():
    x = data(2, 3, 3, 3)
    layer = Rescaling([0.5, 1.0, 2.0], offset=-1.0)
    config = _round_trip(layer, x, lambda clone: clone(x))
    assert (config["scale"], config["offset"]) == ([0.5, 1.0, 2.0], -1.0)
    np.testing.assert_allclose(layer(x).numpy(), x * [0.5, 1.0, 2.0] - 1.0, rtol=1e-6)
    assert Rescaling(1 / 255).get_config()["scale"] == 1 / 255


# --------------------------------------------------------------- gradients
def _gradcheck(layer, x):
    layer(x)  # builds
    assert layer.trainable_weights == []
    assert treino.gradcheck(layer, x)
    t = treino.tensor(x, requires_grad=True)
    layer(t).sum().backward()
    return t.grad


@pytest.mark.parametrize("invert", [False, True])
def test_normalization_gradient_flows_to_the_input(invert):
    x = data(5, 3)
    layer = Normalization(invert=invert, **F64)
    layer.adapt(data(20, 3, seed=1))
    grad = _gradcheck(layer, x)
    std = np.sqrt(layer.variance.numpy())  # d/dx of (x − μ)/σ is 1/σ; of x·σ + μ it is σ
    np.testing.assert_allclose(grad, np.broadcast_to(std if invert else 1 / std, x.shape))


def test_rescaling_gradient_flows_to_the_input():
    x = data(2, 3, 2, 2)
    grad = _gradcheck(Rescaling([0.5, -2.0], offset=[1.0, 0.0], **F64), x)
    np.testing.assert_allclose(grad, np.broadcast_to([0.5, -2.0], x.shape))
    _gradcheck(Rescaling(1 / 255, **F64), x)


def test_normalization_matches_a_torch_expression():
    torch = pytest.importorskip("torch")
    x_train, x = data(50, 4), data(6, 4, seed=1)
    layer = adapted(x_train)
    t = torch.tensor(x_train)
    mean, var = t.mean(dim=0), t.var(dim=0, unbiased=False)
    expected = ((torch.tensor(x) - mean) / torch.sqrt(var)).numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
