"""treino.losses: values against NumPy formulas, gradients, reductions, configs and errors."""

import json
import math
import warnings

import numpy as np
import pytest

import treino
from treino import losses, ops

N, D, C = 4, 3, 3


def _rng(seed=0):
    return np.random.default_rng(seed)


def _one_hot(labels, n_classes=C):
    return np.eye(n_classes)[labels]


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------ the loss table
# Each case: the class with its arguments, the function form with its arguments,
# float64 inputs (y_true, y_pred), and the per-sample loss by the textbook
# formula in NumPy. Inputs keep clear of kinks (|e| = δ, y·ŷ = 1) and of the
# clipping bounds, so finite differences and formulas agree.
def _regression(seed):
    rng = _rng(seed)
    return rng.normal(size=(N, D)), rng.normal(size=(N, D))


def _away_from_zero(seed):
    rng = _rng(seed)
    y = rng.uniform(0.5, 2.0, size=(N, D)) * rng.choice([-1.0, 1.0], size=(N, D))
    return y, rng.normal(size=(N, D))


def _positive(seed):
    rng = _rng(seed)
    return rng.uniform(0.1, 2.0, size=(N, D)), rng.uniform(0.1, 2.0, size=(N, D))


def _binary(seed):
    rng = _rng(seed)
    return rng.integers(0, 2, size=(N, D)).astype(float), rng.uniform(0.05, 0.95, size=(N, D))


def _binary_logits(seed):
    rng = _rng(seed)
    return rng.uniform(0, 1, size=(N, D)), 3 * rng.normal(size=(N, D))


def _categorical(seed):
    rng = _rng(seed)
    y = _one_hot(rng.integers(0, C, size=N))
    return y, rng.uniform(0.1, 1.0, size=(N, C))  # rows not normalised on purpose


def _categorical_logits(seed):
    rng = _rng(seed)
    return _softmax(rng.normal(size=(N, C))), 2 * rng.normal(size=(N, C))


def _sparse(seed):
    rng = _rng(seed)
    return rng.integers(0, C, size=N), rng.uniform(0.1, 1.0, size=(N, C))


def _sparse_logits(seed):
    rng = _rng(seed)
    return rng.integers(0, C, size=N), 2 * rng.normal(size=(N, C))


def _distributions(seed):
    rng = _rng(seed)
    return _softmax(rng.normal(size=(N, C))), _softmax(rng.normal(size=(N, C)))


def _counts(seed):
    rng = _rng(seed)
    return rng.integers(0, 5, size=(N, D)).astype(float), rng.uniform(0.5, 3.0, size=(N, D))


def _signed(seed):
    rng = _rng(seed)
    y = rng.choice([-1.0, 1.0], size=(N, D))
    p = rng.normal(size=(N, D))
    p[np.abs(1 - y * p) < 0.05] += 0.2  # keep clear of the kink
    return y, p


def _zero_one_signed(seed):
    y, p = _signed(seed)
    return (y + 1) / 2, p


def _categorical_scores(seed):
    rng = _rng(seed)
    return _one_hot(rng.integers(0, C, size=N)), rng.normal(size=(N, C))


def _huber_ref(delta):
    def ref(y, p):
        e = p - y
        return np.where(np.abs(e) <= delta, 0.5 * e**2, delta * np.abs(e) - 0.5 * delta**2).mean(-1)

    return ref


def _bce_ref(y, p):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)


def _bce_logits_ref(y, z):
    return _bce_ref(y, 1 / (1 + np.exp(-z)))


def _cce_ref(y, p):
    return -(y * np.log(p / p.sum(-1, keepdims=True))).sum(-1)


def _cosine_ref(y, p):
    cos = (y * p).sum(-1) / (np.linalg.norm(y, axis=-1) * np.linalg.norm(p, axis=-1))
    return -cos


def _signed_labels(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def _categorical_hinge_ref(y, p):
    return np.maximum(0, 1 + ((1 - y) * p).max(-1) - (y * p).sum(-1))


CASES = {
    "mse": (losses.MeanSquaredError, {}, losses.mean_squared_error, {}, _regression,
            lambda y, p: ((p - y) ** 2).mean(-1)),
    "mae": (losses.MeanAbsoluteError, {}, losses.mean_absolute_error, {}, _regression,
            lambda y, p: np.abs(p - y).mean(-1)),
    "mape": (losses.MeanAbsolutePercentageError, {}, losses.mean_absolute_percentage_error, {},
             _away_from_zero, lambda y, p: 100 * np.abs((y - p) / np.abs(y)).mean(-1)),
    "msle": (losses.MeanSquaredLogarithmicError, {}, losses.mean_squared_logarithmic_error, {},
             _positive, lambda y, p: ((np.log(1 + p) - np.log(1 + y)) ** 2).mean(-1)),
    "huber": (losses.Huber, {}, losses.huber, {}, _regression, _huber_ref(1.0)),
    "huber_delta": (losses.Huber, {"delta": 0.5}, losses.huber, {"delta": 0.5}, _regression,
                    _huber_ref(0.5)),
    "log_cosh": (losses.LogCosh, {}, losses.log_cosh, {}, _regression,
                 lambda y, p: np.log(np.cosh(p - y)).mean(-1)),
    "cosine": (losses.CosineSimilarity, {}, losses.cosine_similarity, {}, _regression,
               _cosine_ref),
    "bce": (losses.BinaryCrossentropy, {}, losses.binary_crossentropy, {}, _binary, _bce_ref),
    "bce_logits": (losses.BinaryCrossentropy, {"from_logits": True}, losses.binary_crossentropy,
                   {"from_logits": True}, _binary_logits, _bce_logits_ref),
    "bce_smoothing": (losses.BinaryCrossentropy, {"label_smoothing": 0.2},
                      losses.binary_crossentropy, {"label_smoothing": 0.2}, _binary,
                      lambda y, p: _bce_ref(0.8 * y + 0.1, p)),
    "cce": (losses.CategoricalCrossentropy, {}, losses.categorical_crossentropy, {}, _categorical,
            _cce_ref),
    "cce_logits": (losses.CategoricalCrossentropy, {"from_logits": True},
                   losses.categorical_crossentropy, {"from_logits": True}, _categorical_logits,
                   lambda y, z: _cce_ref(y, _softmax(z))),
    "cce_smoothing": (losses.CategoricalCrossentropy, {"label_smoothing": 0.1},
                      losses.categorical_crossentropy, {"label_smoothing": 0.1}, _categorical,
                      lambda y, p: _cce_ref(0.9 * y + 0.1 / C, p)),
    "scce": (losses.SparseCategoricalCrossentropy, {}, losses.sparse_categorical_crossentropy, {},
             _sparse, lambda y, p: _cce_ref(_one_hot(y), p)),
    "scce_logits": (losses.SparseCategoricalCrossentropy, {"from_logits": True},
                    losses.sparse_categorical_crossentropy, {"from_logits": True}, _sparse_logits,
                    lambda y, z: _cce_ref(_one_hot(y), _softmax(z))),
    "kld": (losses.KLDivergence, {}, losses.kl_divergence, {}, _distributions,
            lambda y, p: (y * np.log(y / p)).sum(-1)),
    "poisson": (losses.Poisson, {}, losses.poisson, {}, _counts,
                lambda y, p: (p - y * np.log(p + 1e-7)).mean(-1)),
    "hinge": (losses.Hinge, {}, losses.hinge, {}, _signed,
              lambda y, p: np.maximum(0, 1 - y * p).mean(-1)),
    "hinge_01": (losses.Hinge, {}, losses.hinge, {}, _zero_one_signed,
                 lambda y, p: np.maximum(0, 1 - _signed_labels(y) * p).mean(-1)),
    "squared_hinge": (losses.SquaredHinge, {}, losses.squared_hinge, {}, _zero_one_signed,
                      lambda y, p: (np.maximum(0, 1 - _signed_labels(y) * p) ** 2).mean(-1)),
    "categorical_hinge": (losses.CategoricalHinge, {}, losses.categorical_hinge, {},
                          _categorical_scores, _categorical_hinge_ref),
}  # fmt: skip

CLASSES = [
    losses.MeanSquaredError, losses.MeanAbsoluteError, losses.MeanAbsolutePercentageError,
    losses.MeanSquaredLogarithmicError, losses.Huber, losses.LogCosh, losses.CosineSimilarity,
    losses.BinaryCrossentropy, losses.CategoricalCrossentropy,
    losses.SparseCategoricalCrossentropy, losses.KLDivergence, losses.Poisson, losses.Hinge,
    losses.SquaredHinge, losses.CategoricalHinge,
]  # fmt: skip


def test_the_table_covers_every_loss_class():
    assert {case[0] for case in CASES.values()} == set(CLASSES)


def _case(key, seed=0):
    cls, kwargs, fn, fn_kwargs, data, ref = CASES[key]
    y_true, y_pred = data(seed)
    return cls, kwargs, fn, fn_kwargs, y_true, y_pred, ref


# ------------------------------------------------------------- known values
@pytest.mark.parametrize("key", CASES)
def test_per_sample_values_match_the_numpy_formula(key):
    cls, kwargs, fn, fn_kwargs, y_true, y_pred, ref = _case(key)
    expected = ref(y_true, y_pred)
    per_sample = cls(reduction=None, **kwargs)(y_true, treino.tensor(y_pred))
    assert per_sample.shape == (N,)
    assert per_sample.dtype == np.float64
    np.testing.assert_allclose(per_sample.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        fn(y_true, y_pred, **fn_kwargs).data, expected, rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        cls(**kwargs).call(y_true, y_pred).data, expected, rtol=1e-10, atol=1e-12
    )
    mean = cls(**kwargs)(y_true, y_pred)
    assert mean.shape == ()
    np.testing.assert_allclose(mean.item(), expected.mean(), rtol=1e-10)


@pytest.mark.parametrize("key", CASES)
def test_float32_values(key):
    cls, kwargs, _, _, y_true, y_pred, ref = _case(key, seed=1)
    y_pred32 = treino.tensor(y_pred.astype(np.float32))
    loss = cls(**kwargs)(y_true, y_pred32)  # float64 targets do not upcast float32 predictions
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), ref(y_true, y_pred).mean(), rtol=2e-5, atol=1e-6)


# --------------------------------------------------------------- gradients
@pytest.mark.parametrize("key", CASES)
def test_gradcheck_wrt_y_pred(key):
    cls, kwargs, _, _, y_true, y_pred, _ = _case(key, seed=2)
    loss = cls(**kwargs)
    assert treino.gradcheck(lambda p: loss(y_true, p), y_pred)
    per_sample = cls(reduction="none", **kwargs)
    assert treino.gradcheck(lambda p: per_sample(y_true, p), y_pred)


@pytest.mark.parametrize("key", CASES)
def test_gradcheck_batch_of_one(key):
    cls, kwargs, _, _, y_true, y_pred, _ = _case(key, seed=3)
    loss = cls(**kwargs)
    assert treino.gradcheck(lambda p: loss(y_true[:1], p), y_pred[:1])


def test_gradcheck_through_softmax_and_sigmoid_outputs():
    rng = _rng(4)
    z = rng.normal(size=(N, C))
    labels = rng.integers(0, C, size=N)
    cce, scce, bce = (
        losses.CategoricalCrossentropy(),
        losses.SparseCategoricalCrossentropy(),
        losses.BinaryCrossentropy(),
    )
    assert treino.gradcheck(lambda t: cce(_one_hot(labels), ops.softmax(t)), z)
    assert treino.gradcheck(lambda t: scce(labels, ops.softmax(t)), z)
    assert treino.gradcheck(lambda t: bce(_one_hot(labels), ops.sigmoid(t)), z)


def test_gradcheck_wrt_a_differentiable_target():
    rng = _rng(5)
    y_true, y_pred = _softmax(rng.normal(size=(N, C))), _softmax(rng.normal(size=(N, C)))
    kld = losses.KLDivergence()
    assert treino.gradcheck(lambda t, p: kld(t, p), y_true, y_pred)


# -------------------------------------------------------------- reductions
@pytest.mark.parametrize("key", CASES)
def test_every_reduction_and_sample_weight(key):
    cls, kwargs, _, _, y_true, y_pred, ref = _case(key, seed=6)
    per = ref(y_true, y_pred)
    w = np.array([0.5, 2.0, 0.0, 1.5])

    def run(reduction, sample_weight=None):
        return cls(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sample_weight)

    close = dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run("sum").item(), per.sum(), **close)
    np.testing.assert_allclose(run("sum_over_batch_size").item(), per.mean(), **close)
    np.testing.assert_allclose(run("mean").item(), per.mean(), **close)
    np.testing.assert_allclose(run("mean_with_sample_weight").item(), per.mean(), **close)
    np.testing.assert_allclose(run("none").data, per, **close)
    np.testing.assert_allclose(run(None).data, per, **close)
    np.testing.assert_allclose(run("sum", w).item(), (w * per).sum(), **close)
    np.testing.assert_allclose(run("sum_over_batch_size", w).item(), (w * per).mean(), **close)
    np.testing.assert_allclose(
        run("mean_with_sample_weight", w).item(), (w * per).sum() / w.sum(), **close
    )
    np.testing.assert_allclose(run("none", w).data, w * per, **close)


def test_sample_weight_shapes_broadcast_as_keras():
    y_true, y_pred = _regression(7)
    mse = losses.MeanSquaredError()
    per = ((y_pred - y_true) ** 2).mean(-1)
    w = np.array([1.0, 2.0, 3.0, 4.0])
    expected = (w * per).mean()
    assert mse(y_true, y_pred, sample_weight=w).item() == pytest.approx(expected)
    assert mse(y_true, y_pred, sample_weight=w[:, None]).item() == pytest.approx(expected)
    assert mse(y_true, y_pred, sample_weight=treino.tensor(w)).item() == pytest.approx(expected)
    assert mse(y_true, y_pred, sample_weight=2.0).item() == pytest.approx(2 * per.mean())
    # (N,) weights on (N, T) losses apply per sample (aligned on the batch axis).
    seq_true, seq_pred = _rng(8).normal(size=(2, N, D)), _rng(9).normal(size=(2, N, D))
    seq_per = ((seq_pred - seq_true) ** 2).mean(-1)
    weighted = mse(seq_true, seq_pred, sample_weight=np.array([1.0, 3.0]))
    assert weighted.item() == pytest.approx((seq_per * np.array([[1.0], [3.0]])).mean())


def test_weights_summing_to_zero_give_zero_not_nan():
    y_true, y_pred = _regression(10)
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(y_true, y_pred, sample_weight=np.zeros(N)).item() == 0.0


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


# ---------------------------------------------------------- configurations
CONFIGURED = [
    losses.MeanSquaredError(reduction="sum", name="my_mse"),
    losses.MeanAbsoluteError(dtype="float64"),
    losses.MeanAbsolutePercentageError(reduction=None),
    losses.MeanSquaredLogarithmicError(reduction="mean_with_sample_weight"),
    losses.Huber(delta=0.5),
    losses.LogCosh(name="lc"),
    losses.CosineSimilarity(axis=0),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
    losses.KLDivergence(reduction="sum"),
    losses.Poisson(),
    losses.Hinge(),
    losses.SquaredHinge(reduction="none"),
    losses.CategoricalHinge(name="ch"),
]


def test_configured_instances_cover_every_class():
    assert {type(loss) for loss in CONFIGURED} == set(CLASSES)


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_config_round_trip(loss):
    config = loss.get_config()
    json.dumps(config)  # configs are plain JSON
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    via_serialize = losses.deserialize(json.loads(json.dumps(losses.serialize(loss))))
    assert type(via_serialize) is type(loss)
    assert via_serialize.get_config() == config
    key = next(k for k, case in CASES.items() if case[0] is type(loss))
    _, _, _, _, y_true, y_pred, _ = _case(key)
    if isinstance(loss, losses.CosineSimilarity):
        y_true, y_pred = y_true.T, y_pred.T  # axis=0
    if isinstance(loss, losses.BinaryCrossentropy | losses.CategoricalCrossentropy):
        y_pred = np.log(y_pred)  # from_logits=True
    np.testing.assert_array_equal(loss(y_true, y_pred).data, clone(y_true, y_pred).data)


def test_default_names_match_keras():
    names = {cls.__name__: cls().name for cls in CLASSES}
    assert names["MeanSquaredError"] == "mean_squared_error"
    assert names["Huber"] == "huber_loss"
    assert names["KLDivergence"] == "kl_divergence"
    assert names["SparseCategoricalCrossentropy"] == "sparse_categorical_crossentropy"
    assert names["LogCosh"] == "log_cosh"


# ------------------------------------------------------------------- get()
FUNCTION_NAMES = {
    "mean_squared_error": losses.mean_squared_error, "mse": losses.mean_squared_error,
    "MSE": losses.mean_squared_error,
    "mean_absolute_error": losses.mean_absolute_error, "mae": losses.mean_absolute_error,
    "mean_absolute_percentage_error": losses.mean_absolute_percentage_error,
    "mape": losses.mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": losses.mean_squared_logarithmic_error,
    "msle": losses.mean_squared_logarithmic_error,
    "binary_crossentropy": losses.binary_crossentropy, "bce": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
    "kl_divergence": losses.kl_divergence, "kld": losses.kl_divergence,
    "KLD": losses.kl_divergence, "kullback_leibler_divergence": losses.kl_divergence,
    "huber": losses.huber, "log_cosh": losses.log_cosh, "logcosh": losses.log_cosh,
    "poisson": losses.poisson, "hinge": losses.hinge, "squared_hinge": losses.squared_hinge,
    "categorical_hinge": losses.categorical_hinge,
    "cosine_similarity": losses.cosine_similarity,
}  # fmt: skip


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_get_resolves_function_names(name):
    assert losses.get(name) is FUNCTION_NAMES[name]
    assert losses.deserialize(losses.serialize(losses.get(name))) is FUNCTION_NAMES[name]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_get_resolves_class_names(cls):
    assert type(losses.get(cls.__name__)) is cls
    assert type(losses.get(cls)) is cls
    loss = cls()
    assert losses.get(loss) is loss


def test_get_accepts_none_dicts_and_callables():
    assert losses.get(None) is None
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits

    def custom(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)

    assert losses.get(custom) is custom


def test_get_rejects_unknown_names_listing_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown loss: 'mean_sqared_error'.*mean_squared_error"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)


def test_serialize_refuses_unregistered_functions():
    with pytest.raises(ValueError, match="Cannot serialize"):
        losses.serialize(lambda y_true, y_pred: y_pred)


# ---------------------------------------------- softmax / sigmoid outputs
def test_softmax_output_is_scored_through_its_logits():
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]], dtype=np.float32)
    y = _one_hot(np.array([2, 1, 0]))
    z1, z2 = treino.tensor(z, requires_grad=True), treino.tensor(z, requires_grad=True)
    via_softmax = losses.CategoricalCrossentropy()(y, ops.softmax(z1))
    via_logits = losses.CategoricalCrossentropy(from_logits=True)(y, z2)
    assert np.isfinite(via_softmax.item())
    assert via_softmax.item() == via_logits.item() == pytest.approx((2e4 + 0 + 1e4) / 3)
    via_softmax.backward()
    via_logits.backward()
    assert np.all(np.isfinite(z1.grad))
    np.testing.assert_array_equal(z1.grad, z2.grad)
    sparse = losses.SparseCategoricalCrossentropy()(np.array([2, 1, 0]), ops.softmax(z))
    assert sparse.item() == via_logits.item()
    with treino.no_grad():  # no graph recorded: recognised by value
        assert losses.CategoricalCrossentropy()(y, ops.softmax(z)).item() == via_logits.item()


def test_sigmoid_output_is_scored_through_its_logits():
    z = np.array([[1e4, -1e4], [-30.0, 30.0]], dtype=np.float32)
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    via_sigmoid = losses.BinaryCrossentropy()(y, ops.sigmoid(z))
    via_logits = losses.BinaryCrossentropy(from_logits=True)(y, z)
    assert via_sigmoid.item() == via_logits.item() == pytest.approx((2e4 + 60) / 4)
    clipped = losses.BinaryCrossentropy()(y, ops.sigmoid(z).detach())  # plain probabilities
    assert clipped.item() == pytest.approx(-math.log(1e-7), rel=1e-2)


def test_trailing_axis_alignment_keeps_the_logits():
    z = np.array([[3.0], [-2.0]], dtype=np.float32)
    labels = np.array([1.0, 1.0])
    expected = losses.BinaryCrossentropy(from_logits=True)(labels[:, None], z).item()
    assert losses.BinaryCrossentropy()(labels, ops.sigmoid(z)).item() == expected
    flat = ops.sigmoid(z[:, 0])  # (N,) predictions against (N, 1) targets
    assert losses.BinaryCrossentropy()(labels[:, None], flat).item() == pytest.approx(expected)


def test_an_activation_paired_with_the_wrong_loss_uses_the_probabilities():
    z = np.array([[2.0, -1.0, 0.5]])
    p = _softmax(z)
    y = np.array([[1.0, 0.0, 0.0]])
    expected = _bce_ref(y, p).mean()
    assert losses.BinaryCrossentropy()(y, ops.softmax(z)).item() == pytest.approx(expected)
    with treino.no_grad():
        assert losses.BinaryCrossentropy()(y, ops.softmax(z)).item() == pytest.approx(expected)
    q = 1 / (1 + np.exp(-z))
    assert losses.CategoricalCrossentropy()(y, ops.sigmoid(z)).item() == pytest.approx(
        _cce_ref(y, q).item()
    )
    softmax_rows = ops.softmax(np.array([[1.0, 2.0], [0.0, 1.0]]), axis=0)  # over the batch axis
    y2 = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert losses.CategoricalCrossentropy()(y2, softmax_rows).item() == pytest.approx(
        _cce_ref(y2, softmax_rows.data).mean()
    )


def test_from_logits_on_probabilities_warns_once():
    z = _rng(11).normal(size=(N, C))
    y = _one_hot(np.arange(N) % C)
    with pytest.warns(UserWarning, match="probabilities, not logits") as record:
        loss = losses.CategoricalCrossentropy(from_logits=True)(y, ops.softmax(z))
    assert len(record) == 1
    assert "CategoricalCrossentropy" in str(record[0].message)
    assert loss.item() == pytest.approx(_cce_ref(y, _softmax(z)).mean())  # the logits are used
    with pytest.warns(UserWarning, match="probabilities, not logits"):
        losses.BinaryCrossentropy(from_logits=True)(y, ops.sigmoid(z))
    with pytest.warns(UserWarning, match="probabilities, not logits"):
        losses.sparse_categorical_crossentropy(np.arange(N) % C, ops.softmax(z), from_logits=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # logits as logits, probabilities as probabilities: quiet
        losses.CategoricalCrossentropy(from_logits=True)(y, z)
        losses.CategoricalCrossentropy()(y, ops.softmax(z))
        losses.BinaryCrossentropy()(y, ops.sigmoid(z))


def test_a_single_class_categorical_crossentropy_warns():
    with pytest.warns(UserWarning, match="single class"):
        losses.CategoricalCrossentropy()(np.ones((N, 1)), np.ones((N, 1)))


# --------------------------------------------------------- specific values
def test_sparse_and_one_hot_agree():
    labels, p = _sparse(12)
    sparse = losses.SparseCategoricalCrossentropy()(labels, p)
    dense = losses.CategoricalCrossentropy()(_one_hot(labels), p)
    assert sparse.item() == pytest.approx(dense.item(), rel=1e-12)
    assert losses.SparseCategoricalCrossentropy()(labels[:, None], p).item() == sparse.item()
    assert losses.SparseCategoricalCrossentropy()(labels.astype(float), p).item() == sparse.item()


def test_class_axis_other_than_last():
    labels, z = _sparse_logits(13)
    expected = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z).item()
    assert losses.SparseCategoricalCrossentropy(from_logits=True, axis=0)(
        labels, z.T
    ).item() == pytest.approx(expected)
    assert losses.CategoricalCrossentropy(from_logits=True, axis=0)(
        _one_hot(labels).T, z.T
    ).item() == pytest.approx(expected)


def test_ignore_class_leaves_entries_out_of_the_mean():
    rng = _rng(14)
    z = rng.normal(size=(N, C))
    labels = np.array([0, 255, 2, 255])
    per = _cce_ref(_one_hot(np.array([0, 0, 2, 0])), _softmax(z))
    zt = treino.tensor(z, requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    value = loss(labels, zt)
    assert value.item() == pytest.approx((per[0] + per[2]) / 2)
    value.backward()
    np.testing.assert_array_equal(zt.grad[[1, 3]], 0.0)
    none = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction=None)
    np.testing.assert_allclose(none(labels, z).data, [per[0], 0.0, per[2], 0.0])
    function = losses.sparse_categorical_crossentropy(labels, z, from_logits=True, ignore_class=255)
    np.testing.assert_allclose(function.data, [per[0], 0.0, per[2], 0.0])


def test_hinge_converts_zero_one_labels():
    y, p = _signed(15)
    for cls in (losses.Hinge, losses.SquaredHinge):
        assert cls()((y + 1) / 2, p).item() == pytest.approx(cls()(y, p).item())


def test_log_cosh_is_stable_for_large_errors():
    loss = losses.log_cosh([[0.0, 0.0]], [[1e4, -1e4]])
    assert loss.item() == pytest.approx(1e4 - math.log(2))


def test_cosine_similarity_of_a_zero_vector_is_zero_with_a_finite_gradient():
    p = treino.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    loss = losses.CosineSimilarity(reduction=None)([[1.0, 0.0], [1.0, 1.0]], p)
    np.testing.assert_allclose(loss.data, [0.0, -1.0], atol=1e-6)
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))


def test_probabilities_are_clipped_like_keras():
    assert losses.binary_crossentropy([[1.0]], [[0.0]]).item() == pytest.approx(
        -math.log(1e-7), rel=1e-3
    )
    assert losses.categorical_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]).item() == pytest.approx(
        -math.log(1e-7), rel=1e-3
    )


def test_known_keras_values():
    y_true, y_pred = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    assert losses.CategoricalCrossentropy()(y_true, y_pred).item() == pytest.approx(1.1769392)
    assert losses.BinaryCrossentropy()(
        [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    ).item() == pytest.approx(0.81492424)
    assert losses.Huber()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).item() == pytest.approx(0.155)
    assert losses.LogCosh()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).item() == (
        pytest.approx(0.10844523)
    )


# ------------------------------------------------------------------ dtypes
def test_dtype_policy():
    y_true, y_pred = _regression(16)
    mse = losses.MeanSquaredError()
    assert mse(y_true, y_pred.astype(np.float32)).dtype == np.float32  # never upcast
    assert mse(y_true.astype(np.float32), y_pred).dtype == np.float64
    assert mse(y_true, np.round(y_pred).astype(np.int64)).dtype == np.float32  # ints → floatx
    assert mse(y_true.tolist(), y_pred.tolist()).dtype == np.float32  # lists → floatx
    p = treino.tensor(y_pred.astype(np.float32), requires_grad=True)
    loss = losses.MeanSquaredError(dtype="float64")(y_true, p)
    assert loss.dtype == np.float64
    loss.backward()
    assert p.grad.dtype == np.float32
    with pytest.raises(ValueError, match="float dtype"):
        losses.MeanSquaredError(dtype="int32")


# -------------------------------------------------------- custom losses
def test_custom_loss_subclass():
    class MeanCubedError(losses.Loss):
        def call(self, y_true, y_pred):
            assert isinstance(y_true, treino.Tensor) and y_true.dtype == y_pred.dtype
            return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)

    loss = MeanCubedError(reduction="sum")
    assert loss.name == "mean_cubed_error"
    assert loss([[0, 0]], [[1.0, 2.0]]).item() == 4.5
    with pytest.raises(ValueError, match="MeanCubedError: y_pred contains NaN"):
        loss([[0, 0]], [[1.0, np.nan]])
    assert MeanCubedError.from_config(loss.get_config()).get_config() == loss.get_config()


def test_loss_function_wrapper():
    y_true, y_pred = _regression(17)
    wrapped = losses.LossFunctionWrapper(losses.huber, delta=0.5)
    assert wrapped.name == "huber"
    assert wrapped(y_true, y_pred).item() == pytest.approx(
        losses.Huber(delta=0.5)(y_true, y_pred).item()
    )
    clone = losses.LossFunctionWrapper.from_config(json.loads(json.dumps(wrapped.get_config())))
    assert clone.fn is losses.huber and clone.get_config() == wrapped.get_config()
    labels, z = np.array([0, 255, 2, 1]), _rng(18).normal(size=(N, C))
    sparse = losses.LossFunctionWrapper(
        losses.sparse_categorical_crossentropy, from_logits=True, ignore_class=255
    )
    expected = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    assert sparse(labels, z).item() == expected(labels, z).item()  # the mean skips 255
    with pytest.raises(TypeError):
        losses.LossFunctionWrapper(losses.huber, delta_typo=0.5)

    def cubed(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)

    custom = losses.LossFunctionWrapper(cubed, reduction="sum")
    assert custom([0.0, 1.0], treino.tensor([[1.0], [1.0]])).item() == 1.0  # (N,) vs (N, 1)
    with pytest.raises(ValueError, match="Cannot serialize"):
        custom.get_config()


# -------------------------------------------------------------- bad input
def _shape_mismatch_inputs(cls):
    if cls is losses.SparseCategoricalCrossentropy:
        return np.zeros((N, 2), dtype=int), np.full((N, C), 1 / C)
    return np.zeros((N, C)), np.full((N, C + 1), 0.5)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_shape_mismatch_names_the_loss_and_both_shapes(cls):
    y_true, y_pred = _shape_mismatch_inputs(cls)
    with pytest.raises(ValueError, match=f"^{cls.__name__}: ") as error:
        cls()(y_true, y_pred)
    assert str(y_true.shape) in str(error.value) and str(y_pred.shape) in str(error.value)


def test_no_silent_broadcast_of_n_against_n_by_one_columns():
    with pytest.raises(ValueError, match=r"MeanSquaredError.*\(4,\).*\(4, 3\)"):
        losses.MeanSquaredError()(np.zeros(4), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="mean_squared_error.*same shape"):
        losses.mean_squared_error(np.zeros((4, 2)), np.zeros((2, 4)))


def test_one_hot_and_sparse_mix_ups_get_a_hint():
    with pytest.raises(ValueError, match="use SparseCategoricalCrossentropy"):
        losses.CategoricalCrossentropy()(np.array([0, 1]), np.full((2, C), 1 / C))
    with pytest.raises(ValueError, match="use CategoricalCrossentropy"):
        losses.SparseCategoricalCrossentropy()(np.eye(C)[[0, 1]], np.full((2, C), 1 / C))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("which", ["y_true", "y_pred"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused(cls, which, bad):
    key = next(k for k, case in CASES.items() if case[0] is cls)
    _, kwargs, _, _, y_true, y_pred, _ = _case(key)
    y_true, y_pred = y_true.astype(float), y_pred.copy()
    (y_true if which == "y_true" else y_pred).flat[1] = bad
    word = "NaN" if np.isnan(bad) else "inf"
    with pytest.raises(ValueError, match=f"{cls.__name__}: {which} contains {word}"):
        cls(**kwargs)(y_true, y_pred)


def test_non_finite_sample_weight_is_refused():
    with pytest.raises(ValueError, match="MeanSquaredError: sample_weight contains NaN"):
        losses.MeanSquaredError()(np.zeros((2, 2)), np.zeros((2, 2)), sample_weight=[1, np.nan])


def test_sample_weight_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"MeanSquaredError: sample_weight of shape \(3,\)"):
        losses.MeanSquaredError()(np.zeros((2, 2)), np.zeros((2, 2)), sample_weight=[1, 2, 3])


def test_function_forms_name_themselves_in_errors():
    with pytest.raises(ValueError, match="huber: y_pred contains NaN"):
        losses.huber([[0.0]], [[np.nan]])


@pytest.mark.parametrize("labels, bad", [([0, 3], "3"), ([-1, 0], "-1"), ([0, 7], "7")])
def test_sparse_labels_out_of_range(labels, bad):
    with pytest.raises(
        ValueError,
        match=rf"labels must be in \[0, 2\] for 3 classes; "
        rf"received label {bad}",
    ):
        losses.SparseCategoricalCrossentropy()(labels, np.full((2, C), 1 / C))


def test_sparse_labels_must_be_whole_numbers():
    with pytest.raises(ValueError, match="whole numbers; received label 0.5"):
        losses.SparseCategoricalCrossentropy()([0.5, 1.0], np.full((2, C), 1 / C))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_strings_are_a_type_error(cls):
    with pytest.raises(TypeError, match=f"{cls.__name__}: y_true must hold numbers"):
        cls()(np.array([["a", "b", "c"]]), np.full((1, C), 1 / C))
    with pytest.raises(TypeError, match=f"{cls.__name__}: y_pred must hold numbers"):
        cls()(np.zeros((1, C)), [["a", "b", "c"]])


def test_sample_weight_strings_are_a_type_error():
    with pytest.raises(TypeError, match="sample_weight must hold numbers"):
        losses.MeanSquaredError()(np.zeros((2, 2)), np.zeros((2, 2)), sample_weight=["a", "b"])


def test_constructor_arguments_are_validated():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        losses.CategoricalCrossentropy(label_smoothing=-0.1)
    with pytest.raises(ValueError, match="delta must be positive"):
        losses.Huber(delta=0.0)
    with pytest.raises(TypeError, match="ignore_class must be an integer"):
        losses.SparseCategoricalCrossentropy(ignore_class="void")
