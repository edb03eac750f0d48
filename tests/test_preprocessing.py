"""treino.preprocessing: scalers, label encoders, serialization and stratified splits."""

import json

import numpy as np
import pytest

import treino
from treino import io, preprocessing
from treino.preprocessing import (
    LabelEncoder,
    MinMaxScaler,
    NotFittedError,
    OneHotEncoder,
    StandardScaler,
    to_categorical,
    train_test_split,
    train_val_test_split,
)

SCALERS = [StandardScaler, MinMaxScaler]


def offset_data(dtype, n=200, seed=0):
    """Features with large offsets and very different spreads."""
    rng = np.random.default_rng(seed)
    offsets = np.array([1e4, -3e3, 0.0, 250.0])
    spreads = np.array([1e3, 1e-2, 1.0, 50.0])
    return (offsets + spreads * rng.standard_normal((n, 4))).astype(dtype)


# -- scalers ------------------------------------------------------------------


@pytest.mark.parametrize("cls", SCALERS)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-6)])
def test_inverse_transform_undoes_transform(cls, dtype, tolerance):
    x = offset_data(dtype)
    scaler = cls().fit(x)
    z = scaler.transform(x)
    assert z.dtype == x.dtype
    back = scaler.inverse_transform(z)
    assert back.dtype == x.dtype
    # relative to each feature's magnitude (float32 resolves ~1e-7 of the feature's scale)
    error = np.abs(back.astype(np.float64) - x) / np.abs(x).max(axis=0)
    assert error.max() < tolerance


def test_output_dtype_follows_floatx_for_integers():
    x = np.arange(12).reshape(6, 2)
    assert StandardScaler().fit_transform(x).dtype == np.float32
    treino.backend.set_floatx("float64")
    try:
        assert MinMaxScaler().fit_transform(x).dtype == np.float64
    finally:
        treino.backend.set_floatx("float32")


def test_standard_scaler_gives_zero_mean_unit_std_in_float64():
    x = offset_data("float32")
    scaler = StandardScaler().fit(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(scaler.mean_, x64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, x64.var(axis=0), rtol=1e-10)
    np.testing.assert_allclose(scaler.scale_, x64.std(axis=0), rtol=1e-10)
    assert scaler.n_samples_seen_ == len(x)
    z = scaler.transform(x).astype(np.float64)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("cls", SCALERS)
def test_test_set_uses_the_training_statistics(cls):
    train, test = offset_data("float64", seed=1), offset_data("float64", n=50, seed=2) + 7.0
    scaler = cls().fit(train)
    if cls is StandardScaler:
        expected = (test - train.mean(axis=0)) / train.std(axis=0)
    else:
        expected = (test - train.min(axis=0)) / (train.max(axis=0) - train.min(axis=0))
    np.testing.assert_allclose(scaler.transform(test), expected, rtol=1e-12, atol=1e-12)
    # and not the test set's own statistics
    assert not np.allclose(scaler.transform(test), cls().fit_transform(test))


@pytest.mark.parametrize("value", [0.1, 5.0, 1e6 + 0.3])
def test_constant_columns_never_divide_by_zero(value):
    x = np.column_stack([np.full(1000, value), np.linspace(-1, 1, 1000)])
    standard = StandardScaler().fit(x)
    assert standard.scale_[0] == 1.0 and standard.var_[0] == 0.0
    z = standard.transform(x)
    assert np.isfinite(z).all()
    np.testing.assert_array_equal(z[:, 0], 0.0)
    minmax = MinMaxScaler(feature_range=(-1, 1)).fit(x)
    m = minmax.transform(x)
    assert np.isfinite(m).all()
    np.testing.assert_array_equal(m[:, 0], -1.0)
    np.testing.assert_allclose(standard.inverse_transform(z), x)
    np.testing.assert_allclose(minmax.inverse_transform(m), x)


def test_images_are_scaled_per_feature():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 5, 4, 3)).astype("float32")
    scaler = StandardScaler().fit(x)
    assert scaler.mean_.shape == (5, 4, 3)
    z = scaler.transform(x)
    assert z.shape == x.shape
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    with pytest.raises(ValueError, match=r"expected samples of shape \(5, 4, 3\)"):
        scaler.transform(x[:, :4])


def test_with_mean_and_with_std_flags():
    x = offset_data("float64")
    only_std = StandardScaler(with_mean=False).fit(x)
    np.testing.assert_allclose(only_std.transform(x), x / x.std(axis=0))
    only_mean = StandardScaler(with_std=False).fit(x)
    np.testing.assert_allclose(only_mean.transform(x), x - x.mean(axis=0), atol=1e-9)
    eps = StandardScaler(epsilon=1.0).fit(x)
    np.testing.assert_allclose(eps.scale_, np.sqrt(x.var(axis=0) + 1.0))


def test_min_max_scaler_formula_and_range():
    x = offset_data("float64")
    a, b = -2.0, 3.0
    scaler = MinMaxScaler(feature_range=(a, b)).fit(x)
    lo, hi = x.min(axis=0), x.max(axis=0)
    np.testing.assert_allclose(scaler.transform(x), (x - lo) / (hi - lo) * (b - a) + a,
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(scaler.transform(x).min(axis=0), a)
    np.testing.assert_allclose(scaler.transform(x).max(axis=0), b)
    np.testing.assert_allclose(x * scaler.scale_ + scaler.min_, scaler.transform(x), atol=1e-9)


@pytest.mark.parametrize("feature_range", [(1, 1), (2, 0), (0,), "01", (0, float("inf"))])
def test_min_max_scaler_validates_the_range(feature_range):
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler(feature_range=feature_range)


@pytest.mark.parametrize("cls", SCALERS)
def test_scaler_errors(cls):
    x = offset_data("float64")
    scaler = cls()
    with pytest.raises(NotFittedError, match=r"call fit\(x_train\) first"):
        scaler.transform(x)
    scaler.fit(x)
    with pytest.raises(ValueError, match=r"expected samples of shape \(4,\).*received x of "
                                         r"shape \(200, 3\)"):  # fmt: skip
        scaler.transform(x[:, :3])
    bad = x.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"non-finite values, e.g. x\[5, 2\] = nan"):
        scaler.transform(bad)
    with pytest.raises(TypeError, match="must hold numbers"):
        scaler.transform(np.array([["a"] * 4]))
    with pytest.raises(ValueError, match="no samples"):
        cls().fit(np.zeros((0, 4)))


@pytest.mark.parametrize("cls", SCALERS)
def test_failed_fit_keeps_the_previous_statistics(cls):
    x = offset_data("float64")
    scaler = cls().fit(x)
    before = scaler.get_state()
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        scaler.fit(bad)
    for name, value in scaler.get_state().items():
        np.testing.assert_array_equal(value, before[name])


# -- saving -------------------------------------------------------------------


def fitted_preprocessors():
    x = offset_data("float32")
    labels = np.array(["gato", "cão", "peixe", "cão"])
    columns = np.array([["a", "x"], ["b", "y"], ["a", "z"]])
    return [
        (StandardScaler(with_std=False, epsilon=1e-3).fit(x), x),
        (MinMaxScaler(feature_range=(-1, 1)).fit(x), x),
        (LabelEncoder().fit(labels), labels),
        (LabelEncoder().fit([3, 1, 7]), np.array([7, 1])),
        (OneHotEncoder(handle_unknown="ignore").fit(columns), columns),
        (OneHotEncoder(categories=[[2, 0, 1]]).fit([0, 1, 2, 1]), np.array([1, 2, 0])),
    ]


@pytest.mark.parametrize("obj, x", fitted_preprocessors())
def test_save_and_load_round_trip(tmp_path, obj, x):
    path = tmp_path / "prep.npz"
    obj.save(path)
    loaded = preprocessing.load(path)
    assert type(loaded) is type(obj)
    assert loaded.get_config() == obj.get_config()
    np.testing.assert_array_equal(loaded.transform(x), obj.transform(x))
    assert type(obj).load(path).get_config() == obj.get_config()
    # the file holds numbers and text only, readable without pickle
    raw = io.load_npz(path)
    assert all(a.dtype != object for a in raw.values())
    assert json.loads(str(raw[preprocessing.CONFIG_KEY]))["class_name"] == type(obj).__name__


@pytest.mark.parametrize("obj, x", fitted_preprocessors())
def test_serialize_round_trip_through_json(obj, x):
    config, arrays = preprocessing.serialize(obj)
    text = json.dumps(config)
    rebuilt = preprocessing.deserialize(text, {k: np.array(v) for k, v in arrays.items()})
    np.testing.assert_array_equal(rebuilt.transform(x), obj.transform(x))
    fresh = type(obj).from_config(obj.get_config())
    fresh.set_state(obj.get_state())
    np.testing.assert_array_equal(fresh.transform(x), obj.transform(x))


def test_unfitted_save_and_load_errors(tmp_path):
    StandardScaler().save(tmp_path / "empty.npz")
    assert not preprocessing.load(tmp_path / "empty.npz").fitted
    with pytest.raises(TypeError, match="holds a StandardScaler, not a MinMaxScaler"):
        MinMaxScaler.load(tmp_path / "empty.npz")
    io.save_npz(tmp_path / "other.npz", {"a": np.zeros(2)})
    with pytest.raises(ValueError, match="not a saved treino preprocessor"):
        preprocessing.load(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="Unknown preprocessor 'Nope'"):
        preprocessing.deserialize({"class_name": "Nope", "config": {}})


def test_set_state_is_checked_before_anything_changes():
    scaler = StandardScaler().fit(offset_data("float64"))
    before = scaler.get_state()
    with pytest.raises(ValueError, match="missing"):
        scaler.set_state({"mean_": np.zeros(4)})
    with pytest.raises(ValueError, match="inconsistent shapes"):
        scaler.set_state({**before, "scale_": np.ones(3)})
    np.testing.assert_array_equal(scaler.mean_, before["mean_"])


# -- labels -------------------------------------------------------------------


def test_to_categorical_matches_keras():
    np.testing.assert_array_equal(to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    assert to_categorical([0, 2, 1]).dtype == np.float32
    assert to_categorical(np.array([[0], [3]])).shape == (2, 4)  # (n, 1) → (n, k)
    assert to_categorical(np.array([[0, 1], [1, 0]]), 3).shape == (2, 2, 3)
    assert to_categorical([1.0, 0.0], num_classes=5, dtype="int32").dtype == np.int32
    assert to_categorical(np.zeros(0, int), num_classes=3).shape == (0, 3)


@pytest.mark.parametrize("y, num_classes, message", [
    ([0, 3], 3, r"label 3 is out of range; labels must be in \[0, 2\]"),
    ([0, -1], None, r"label -1 is out of range"),
    ([0.0, 1.5], None, r"integers or strings; received y\[1\] = 1.5"),
    ([0.0, np.nan], None, r"y\[1\] = nan"),
    (["a"], None, "received strings"),
    ([0, 1], 0, "num_classes must be a positive integer"),
])  # fmt: skip
def test_to_categorical_errors(y, num_classes, message):
    with pytest.raises((ValueError, TypeError), match=message):
        to_categorical(y, num_classes)


def test_label_encoder():
    enc = LabelEncoder().fit(np.array([["b"], ["a"], ["c"], ["a"]]))  # (n, 1) is fine
    np.testing.assert_array_equal(enc.classes_, ["a", "b", "c"])
    codes = enc.transform(["c", "a"])
    assert codes.dtype == np.int64 and codes.tolist() == [2, 0]
    np.testing.assert_array_equal(enc.inverse_transform(codes), ["c", "a"])
    with pytest.raises(ValueError, match=r"unknown label 'z'; known: \['a', 'b', 'c'\]"):
        enc.transform(["a", "z"])
    with pytest.raises(ValueError, match=r"index 3 is out of range; expected integers in \[0, 2\]"):
        enc.inverse_transform([3])
    with pytest.raises(TypeError, match="fitted on strings; received integers"):
        enc.transform([1])
    with pytest.raises(NotFittedError, match=r"call fit\(x_train\) first"):
        LabelEncoder().transform([1])
    assert LabelEncoder().fit([10, 3, 10]).transform([10, 3]).tolist() == [1, 0]


def test_one_hot_encoder_columns_and_unknowns():
    x = np.array([["a", "x"], ["b", "y"], ["a", "z"]])
    enc = OneHotEncoder().fit(x)
    assert enc.n_features_in_ == 2
    onehot = enc.transform(x)
    assert onehot.shape == (3, 5) and onehot.dtype == np.float32
    np.testing.assert_array_equal(onehot.sum(axis=1), 2)
    np.testing.assert_array_equal(enc.inverse_transform(onehot), x)
    with pytest.raises(ValueError, match="unknown category in column 1 'w'"):
        enc.transform([["a", "w"]])
    with pytest.raises(ValueError, match="expected 2 columns, as in fit; received 1"):
        enc.transform([["a"]])
    ignore = OneHotEncoder(handle_unknown="ignore").fit(x)
    np.testing.assert_array_equal(ignore.transform([["c", "y"]]), [[0, 0, 0, 1, 0]])
    with pytest.raises(ValueError, match="no active category in column 0"):
        ignore.inverse_transform(ignore.transform([["c", "y"]]))


def test_one_hot_encoder_integers_and_given_categories():
    enc = OneHotEncoder(categories=[[2, 0, 1]]).fit(np.array([0, 1, 2]))
    np.testing.assert_array_equal(enc.transform([2, 0]), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(enc.inverse_transform(enc.transform([1, 2])), [1, 2])
    with pytest.raises(ValueError, match="unknown category in column 0 5"):
        OneHotEncoder(categories=[[0, 1]]).fit([0, 5])
    with pytest.raises(ValueError, match="without repeats"):
        OneHotEncoder(categories=[[0, 0]])
    with pytest.raises(ValueError, match="handle_unknown"):
        OneHotEncoder(handle_unknown="skip")


# -- splits -------------------------------------------------------------------


def labels_of_sizes(sizes):
    return np.repeat(np.arange(len(sizes)), sizes)


@pytest.mark.parametrize("sizes", [(7, 100, 333), (50, 50), (1, 2, 3, 500), (13,), (9, 1, 40)])
@pytest.mark.parametrize("val, test", [(0.15, 0.15), (0.1, 0.2), (0.0, 0.3), (0.25, 0.25)])
def test_split_is_stratified_to_one_sample_per_class(sizes, val, test):
    y = labels_of_sizes(sizes)
    n = len(y)
    x = np.arange(n)
    parts = train_val_test_split(x, y, val=val, test=test, seed=3)
    indices = np.concatenate([xs for xs, _ in parts])
    np.testing.assert_array_equal(np.sort(indices), x)  # disjoint and covering
    for (xs, ys), fraction in zip(parts, (1 - val - test, val, test), strict=True):
        np.testing.assert_array_equal(ys, y[xs])
        counts = np.bincount(ys, minlength=len(sizes))
        assert (np.abs(counts - fraction * np.array(sizes)) < 1 + 1e-9).all(), (counts, sizes)
    # sizes: n·fraction rounded (half up); when both n·val and n·test end in exactly .5,
    # only one can round up without breaking the per-class bound
    both_ties = (n * val) % 1 == 0.5 and (n * test) % 1 == 0.5
    for (xs, _), fraction in zip(parts[1:], (val, test), strict=True):
        assert abs(len(xs) - n * fraction) <= (1 if both_ties else 0.5)


def test_split_is_reproducible_from_the_seed():
    x, y = np.arange(300), labels_of_sizes((100, 200))
    a = train_val_test_split(x, y, seed=7)
    b = train_val_test_split(x, y, seed=7)
    c = train_val_test_split(x, y, seed=8)
    for (xa, _), (xb, _) in zip(a, b, strict=True):
        np.testing.assert_array_equal(xa, xb)
    assert not np.array_equal(a[0][0], c[0][0])
    treino.seed(5)
    d = train_val_test_split(x, y)
    treino.seed(5)
    np.testing.assert_array_equal(train_val_test_split(x, y)[0][0], d[0][0])


def test_split_one_hot_multi_input_and_empty_val():
    y = labels_of_sizes((20, 30, 50))
    onehot = to_categorical(y)
    x1, x2 = np.arange(100.0), np.arange(100.0).reshape(100, 1) * 2
    (tr, ytr), (va, yva), (te, yte) = train_val_test_split([x1, x2], onehot, val=0.0, test=0.2,
                                                           seed=0)  # fmt: skip
    assert isinstance(tr, list) and len(tr) == 2
    np.testing.assert_array_equal(tr[1][:, 0], tr[0] * 2)  # rows stay aligned across inputs
    assert va[0].shape == (0,) and va[1].shape == (0, 1) and yva.shape == (0, 3)
    np.testing.assert_array_equal(yte.sum(axis=0), [4, 6, 10])
    np.testing.assert_array_equal(ytr, onehot[tr[0].astype(int)])


def test_unshuffled_and_unstratified_split():
    x = np.arange(10)
    y = np.linspace(0.0, 1.0, 10)  # regression targets
    (x_tr, _), (x_va, _), (x_te, y_te) = train_val_test_split(
        x, y, val=0.2, test=0.2, stratify=False, shuffle=False)
    np.testing.assert_array_equal(x_tr, np.arange(6))
    np.testing.assert_array_equal(x_va, [6, 7])
    np.testing.assert_array_equal(x_te, [8, 9])
    np.testing.assert_array_equal(y_te, y[8:])
    with pytest.raises(ValueError, match="pass stratify=False for regression"):
        train_val_test_split(x, y)


def test_train_test_split():
    x, y = np.arange(100), labels_of_sizes((30, 70))
    (x_tr, y_tr), (x_te, y_te) = train_test_split(x, y, test=0.2, seed=1)
    assert len(x_te) == 20 and np.bincount(y_te).tolist() == [6, 14]
    assert set(x_tr).isdisjoint(x_te) and len(x_tr) + len(x_te) == 100


@pytest.mark.parametrize("kwargs, message", [
    ({"val": 1.0}, r"val must be a fraction in \[0, 1\)"),
    ({"test": -0.1}, r"test must be a fraction"),
    ({"val": 0.5, "test": 0.5}, "must leave training samples"),
])  # fmt: skip
def test_split_validates_fractions(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_val_test_split(np.arange(10), np.zeros(10, int), **kwargs)


def test_split_validates_lengths():
    with pytest.raises(ValueError, match=r"x\[1\]: 9, y: 10"):
        train_val_test_split([np.arange(10), np.arange(9)], np.zeros(10, int))
