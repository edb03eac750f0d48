"""treino.initializers: shapes, dtypes, the variance formulas, fans, seeding, config."""

import json
import math

import numpy as np
import pytest

import treino
from treino import backend, initializers
from treino.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)

ALL = [
    Zeros(),
    Ones(),
    Constant(0.3),
    Identity(gain=2.0),
    RandomNormal(mean=0.1, stddev=0.2, seed=1),
    RandomUniform(minval=-0.2, maxval=0.3, seed=2),
    TruncatedNormal(mean=-0.1, stddev=0.3, seed=3),
    VarianceScaling(scale=0.5, mode="fan_out", distribution="uniform", seed=4),
    GlorotNormal(seed=5),
    GlorotUniform(seed=6),
    HeNormal(seed=7),
    HeUniform(seed=8),
    LecunNormal(seed=9),
    LecunUniform(seed=10),
    Orthogonal(gain=0.5, seed=11),
]
RANDOM = [init for init in ALL if isinstance(init, initializers.RandomInitializer)]


def _id(init):
    return type(init).__name__


# ----------------------------------------------------------- shapes, dtypes
@pytest.mark.parametrize("init", ALL, ids=_id)
def test_shape_and_default_dtype(init):
    w = init((6, 4))
    assert isinstance(w, np.ndarray)
    assert w.shape == (6, 4)
    assert w.dtype == np.float32
    assert np.all(np.isfinite(w))


@pytest.mark.parametrize("init", ALL, ids=_id)
def test_float64_on_request_and_via_floatx(init):
    assert init((5, 5), dtype="float64").dtype == np.float64
    assert init((5, 5), dtype=np.dtype("float64")).dtype == np.float64
    backend.set_floatx("float64")
    try:
        assert init((5, 5)).dtype == np.float64
    finally:
        backend.set_floatx("float32")


@pytest.mark.parametrize(
    "init", [i for i in ALL if not isinstance(i, Orthogonal | Identity)], ids=_id
)
def test_other_ranks(init):
    assert init((3, 3, 2, 4)).shape == (3, 3, 2, 4)
    assert init((7,)).shape == (7,)
    assert init(7).shape == (7,)
    scalar = init(())
    assert isinstance(scalar, np.ndarray) and scalar.shape == ()


def test_float32_and_float64_draw_the_same_numbers():
    w32 = HeNormal(seed=3)((20, 10))
    w64 = HeNormal(seed=3)((20, 10), dtype="float64")
    np.testing.assert_array_equal(w32, w64.astype(np.float32))


def test_constants_accept_integer_dtypes_random_ones_do_not():
    np.testing.assert_array_equal(Zeros()((2,), dtype="int64"), [0, 0])
    np.testing.assert_array_equal(Ones()((2,), dtype="int32"), [1, 1])
    for init in RANDOM:
        with pytest.raises(TypeError, match="float dtype"):
            init((4, 4), dtype="int32")


def test_constant_values():
    np.testing.assert_array_equal(Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(Ones()((2, 3)), np.ones((2, 3)))
    np.testing.assert_allclose(Constant(0.25)((3,)), [0.25] * 3)
    np.testing.assert_array_equal(Constant([1, 2, 3])((2, 3)), [[1, 2, 3], [1, 2, 3]])
    w = Constant(1.5)((2,))
    w[0] = 9.0  # the result is a writable array of its own
    np.testing.assert_array_equal(Constant(1.5)((2,)), [1.5, 1.5])


def test_identity():
    np.testing.assert_array_equal(Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(Identity(gain=3.0)((2, 4)), 3.0 * np.eye(2, 4))


# -------------------------------------------------------------------- fans
@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((), (1, 1)),
        ((10,), (10, 10)),
        ((784, 128), (784, 128)),  # Dense kernel (in, out)
        ((5, 3, 8), (15, 40)),  # Conv1D (k, c_in, c_out)
        ((3, 3, 16, 32), (144, 288)),  # Conv2D (kh, kw, c_in, c_out)
        ((2, 3, 4, 5, 6), (24 * 5, 24 * 6)),  # Conv3D
    ],
)
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


# -------------------------------------------------------------- statistics
SHAPE = (400, 1000)  # fan_in 400, fan_out 1000: the three modes differ
CONV = (3, 3, 40, 100)  # fan_in 360, fan_out 900


def _n(mode, shape):
    fan_in, fan_out = compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


@pytest.mark.parametrize("shape", [SHAPE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(shape, mode, distribution):
    scale = 1.7
    w = VarianceScaling(scale, mode, distribution, seed=0)(shape, dtype="float64")
    std = math.sqrt(scale / _n(mode, shape))
    assert abs(w.mean()) < 5 * std / math.sqrt(w.size)
    assert w.std() == pytest.approx(std, rel=0.01)
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / _n(mode, shape))
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.999 * limit
    elif distribution == "truncated_normal":
        cut = 2 * std / 0.87962566103423978
        assert np.abs(w).max() <= cut
        assert np.abs(w).max() > 0.99 * cut
    else:
        assert np.abs(w).max() > 4 * std  # the tails are there


def test_normal_is_an_alias_of_truncated_normal():
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert VarianceScaling(distribution="Uniform").distribution == "uniform"


RECIPES = [
    # class, scale, mode, distribution, the formula the docstring states
    (GlorotUniform, 1.0, "fan_avg", "uniform", lambda fi, fo: math.sqrt(6 / (fi + fo))),
    (GlorotNormal, 1.0, "fan_avg", "truncated_normal", lambda fi, fo: math.sqrt(2 / (fi + fo))),
    (HeUniform, 2.0, "fan_in", "uniform", lambda fi, fo: math.sqrt(6 / fi)),
    (HeNormal, 2.0, "fan_in", "truncated_normal", lambda fi, fo: math.sqrt(2 / fi)),
    (LecunUniform, 1.0, "fan_in", "uniform", lambda fi, fo: math.sqrt(3 / fi)),
    (LecunNormal, 1.0, "fan_in", "truncated_normal", lambda fi, fo: math.sqrt(1 / fi)),
]


@pytest.mark.parametrize(("cls", "scale", "mode", "distribution", "formula"), RECIPES,
                         ids=[r[0].__name__ for r in RECIPES])  # fmt: skip
@pytest.mark.parametrize("shape", [SHAPE, CONV], ids=["dense", "conv"])
def test_recipes(cls, scale, mode, distribution, formula, shape):
    init = cls(seed=0)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    w = init(shape, dtype="float64")
    value = formula(*compute_fans(shape))
    if distribution == "uniform":  # the formula is the limit
        assert np.abs(w).max() <= value
        assert np.abs(w).max() > 0.999 * value
        assert w.std() == pytest.approx(value / math.sqrt(3), rel=0.01)
    else:  # the formula is the standard deviation (after truncation)
        assert w.std() == pytest.approx(value, rel=0.01)
        assert np.abs(w).max() <= 2 * value / 0.87962566103423978


def test_random_normal_statistics():
    w = RandomNormal(mean=0.5, stddev=2.0, seed=0)((500, 500), dtype="float64")
    assert w.mean() == pytest.approx(0.5, abs=0.02)
    assert w.std() == pytest.approx(2.0, rel=0.01)


def test_random_uniform_statistics():
    w = RandomUniform(minval=-1.0, maxval=3.0, seed=0)((500, 500), dtype="float64")
    assert w.min() >= -1.0 and w.max() < 3.0
    assert w.mean() == pytest.approx(1.0, abs=0.02)
    assert w.std() == pytest.approx(4 / math.sqrt(12), rel=0.01)


def test_truncated_normal_within_two_stddev():
    w = TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((500, 500), dtype="float64")
    assert np.abs(w - 1.0).max() <= 2 * 0.5
    assert np.abs(w - 1.0).max() > 0.99
    assert w.mean() == pytest.approx(1.0, abs=0.01)
    # Cutting the tails at ±2σ leaves a standard deviation of 0.8796σ.
    assert w.std() == pytest.approx(0.87962566103423978 * 0.5, rel=0.01)


# ------------------------------------------------------------------ seeding
@pytest.mark.parametrize("init", RANDOM, ids=_id)
def test_int_seed_gives_the_same_values_every_call(init):
    np.testing.assert_array_equal(init((8, 8)), init((8, 8)))
    again = type(init).from_config(init.get_config())
    np.testing.assert_array_equal(init((8, 8)), again((8, 8)))


@pytest.mark.parametrize("init", RANDOM, ids=_id)
def test_different_seeds_differ(init):
    config = {**init.get_config(), "seed": init.seed + 100}
    assert not np.array_equal(init((8, 8)), type(init).from_config(config)((8, 8)))


@pytest.mark.parametrize("init", RANDOM, ids=_id)
def test_treino_seed_makes_unseeded_initializers_reproducible(init):
    unseeded = type(init).from_config({**init.get_config(), "seed": None})
    treino.seed(123)
    first = unseeded((8, 8))
    second = unseeded((8, 8))
    treino.seed(123)
    np.testing.assert_array_equal(unseeded((8, 8)), first)
    np.testing.assert_array_equal(unseeded((8, 8)), second)
    assert not np.array_equal(first, second)  # successive calls draw new values
    treino.seed(124)
    assert not np.array_equal(unseeded((8, 8)), first)


def test_int_seed_does_not_consume_the_shared_generator():
    treino.seed(5)
    expected = backend.get_rng().random()
    treino.seed(5)
    GlorotUniform(seed=1)((10, 10))
    assert backend.get_rng().random() == expected


# --------------------------------------------------------------- orthogonal
@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8)])
def test_orthogonal(shape):
    w = Orthogonal(seed=0)(shape, dtype="float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])
    rows, cols = m.shape
    if rows >= cols:  # orthonormal columns
        np.testing.assert_allclose(m.T @ m, np.eye(cols), atol=1e-12)
    else:  # orthonormal rows
        np.testing.assert_allclose(m @ m.T, np.eye(rows), atol=1e-12)


def test_orthogonal_gain_and_float32():
    w = Orthogonal(gain=3.0, seed=0)((5, 5))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.T @ w, 9.0 * np.eye(5), atol=1e-5)


def test_orthogonal_sign_correction_makes_it_unbiased():
    # Without multiplying Q by sign(diag R), LAPACK's QR gives a Q whose diagonal
    # averages about −0.5; with it, Q is uniform over orthogonal matrices.
    treino.seed(0)
    init = Orthogonal()
    diagonals = np.array([np.diag(init((3, 3), dtype="float64")) for _ in range(2000)])
    np.testing.assert_allclose(diagonals.mean(axis=0), 0.0, atol=0.05)


# -------------------------------------------------------------- get/config
NAMES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform, "he_normal": HeNormal,
    "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal, "variance_scaling": VarianceScaling, "identity": Identity,
    "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal, "uniform": RandomUniform,
    "normal": RandomNormal, "one": Ones, "zero": Zeros, "kaiming_uniform": HeUniform,
    "kaiming_normal": HeNormal,
}  # fmt: skip


@pytest.mark.parametrize(("name", "cls"), NAMES.items())
def test_get_by_name(name, cls):
    init = initializers.get(name)
    assert type(init) is cls
    assert init((3, 3)).shape == (3, 3)


@pytest.mark.parametrize("cls", sorted(set(NAMES.values()), key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)  # fmt: skip
def test_get_by_class_name(cls):
    assert type(initializers.get(cls.__name__)) is cls


def test_get_other_identifiers():
    assert initializers.get(None) is None
    init = HeNormal(seed=1)
    assert initializers.get(init) is init
    assert type(initializers.get(HeNormal)) is HeNormal

    def custom(shape, dtype=None):
        return np.full(shape, 7.0, dtype=dtype)

    assert initializers.get(custom) is custom
    got = initializers.get({"class_name": "RandomNormal", "config": {"stddev": 0.3, "seed": 2}})
    assert (got.stddev, got.seed) == (0.3, 2)
    with pytest.raises(ValueError, match="Could not interpret"):
        initializers.get(3.5)


@pytest.mark.parametrize("init", ALL, ids=_id)
def test_config_round_trip(init):
    config = initializers.serialize(init)
    assert config["class_name"] == type(init).__name__
    config = json.loads(json.dumps(config))  # JSON-serialisable
    rebuilt = initializers.deserialize(config)
    assert type(rebuilt) is type(init)
    assert rebuilt.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()
    np.testing.assert_array_equal(rebuilt((4, 4)), init((4, 4)))


def test_serialize_edge_cases():
    assert initializers.serialize(None) is None
    assert initializers.serialize("he_normal") == {
        "class_name": "HeNormal",
        "config": {"seed": None},
    }
    with pytest.raises(ValueError, match="Cannot serialize"):
        initializers.serialize(lambda shape, dtype=None: np.zeros(shape))


# ------------------------------------------------------------------ errors
def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'glorot_unifrom'.*glorot_uniform.*he_normal"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="class_name"):
        initializers.deserialize({"config": {}})


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: RandomNormal(stddev=0.0), ValueError, "stddev=0.0"),
        (lambda: RandomNormal(stddev=-1), ValueError, "stddev=-1"),
        (lambda: TruncatedNormal(stddev=float("nan")), ValueError, "stddev=nan"),
        (lambda: RandomNormal(mean="0"), TypeError, "mean='0'"),
        (lambda: RandomUniform(minval=1.0, maxval=1.0), ValueError, "minval=1.0, maxval=1.0"),
        (lambda: VarianceScaling(scale=0), ValueError, "scale=0"),
        (lambda: VarianceScaling(mode="fan_mean"), ValueError, "mode='fan_mean'"),
        (lambda: VarianceScaling(distribution="cauchy"), ValueError, "distribution='cauchy'"),
        (lambda: GlorotUniform(seed=1.5), TypeError, "seed=1.5"),
        (lambda: GlorotUniform(seed=True), TypeError, "seed=True"),
        (lambda: HeNormal(seed=-3), ValueError, "seed=-3"),
        (lambda: Orthogonal(gain=float("inf")), ValueError, "gain=inf"),
        (lambda: Constant("a"), TypeError, "value='a'"),
        (lambda: Constant(float("nan")), ValueError, "value=nan"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_shapes():
    with pytest.raises(ValueError, match="at least 2 dimensions.*rank 1"):
        Orthogonal()((5,))
    with pytest.raises(ValueError, match="2-D shape"):
        Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="non-negative"):
        GlorotUniform()((3, -1))
    with pytest.raises(TypeError, match="shape"):
        Zeros()("3x3")
    with pytest.raises(ValueError, match=r"shape \(3,\) cannot fill shape \(2, 2\)"):
        Constant([1.0, 2.0, 3.0])((2, 2))
