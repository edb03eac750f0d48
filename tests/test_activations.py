"""treino.activations: names, (de)serialization, values, the Keras relu options, gradients."""

import math

import numpy as np
import pytest
from scipy.special import erf

import treino
from treino import activations, ops

X = np.linspace(-4.5, 4.5, 19) + 0.013  # no point exactly on a kink

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# NumPy references, straight from each one-line formula.
REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "exponential": np.exp,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
}
NAMES = sorted(REFERENCE)


# ------------------------------------------------------------- names, get
@pytest.mark.parametrize("name", NAMES)
def test_every_name_resolves_and_matches_its_formula(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    x = X.reshape(1, -1)
    y = fn(treino.tensor(x))
    assert isinstance(y, treino.Tensor)
    np.testing.assert_allclose(y.data, REFERENCE[name](x), rtol=1e-12, atol=1e-12)
    y32 = fn(treino.tensor(x.astype(np.float32)))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.data, REFERENCE[name](x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "op"),
    [
        ("relu", ops.relu), ("relu6", ops.relu6), ("leaky_relu", ops.leaky_relu),
        ("elu", ops.elu), ("selu", ops.selu), ("gelu", ops.gelu), ("sigmoid", ops.sigmoid),
        ("hard_sigmoid", ops.hard_sigmoid), ("tanh", ops.tanh), ("softplus", ops.softplus),
        ("softsign", ops.softsign), ("silu", ops.silu), ("softmax", ops.softmax),
        ("log_softmax", ops.log_softmax), ("exponential", ops.exp), ("mish", ops.mish),
        ("linear", ops.linear_activation),
    ],
)  # fmt: skip
def test_values_equal_the_ops(name, op):
    x = treino.tensor(np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32))
    np.testing.assert_array_equal(activations.get(name)(x).data, op(x).data)


def test_get_other_identifiers():
    assert activations.get(None) is activations.linear
    x = treino.tensor([1.0, -2.0])
    assert activations.get(None)(x) is x  # the identity returns its input

    def custom(t):
        return t * 2

    assert activations.get(custom) is custom
    assert activations.get(ops.relu) is ops.relu
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(42)


def test_aliases():
    assert activations.swish is activations.silu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'rleu'.*elu.*relu.*tanh"):
        activations.get("rleu")


# ------------------------------------------------------- (de)serialization
@pytest.mark.parametrize("name", NAMES)
def test_serialize_round_trip(name):
    fn = activations.get(name)
    saved = activations.serialize(fn)
    assert isinstance(saved, str)
    assert activations.deserialize(saved) is fn
    canonical = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert saved == canonical


def test_serialize_ops_and_names():
    assert activations.serialize(ops.relu) == "relu"
    assert activations.serialize(ops.exp) == "exponential"
    assert activations.serialize(ops.linear_activation) == "linear"
    assert activations.serialize("swish") == "silu"


def test_serialize_rejects_unnamed_functions():
    with pytest.raises(ValueError, match="Cannot serialize the activation '<lambda>'"):
        activations.serialize(lambda x: x * 2)

    def my_act(x):
        return x

    with pytest.raises(ValueError, match="'my_act'.*relu"):
        activations.serialize(my_act)
    with pytest.raises(ValueError, match="Unknown activation"):
        activations.serialize("nope")
    with pytest.raises(ValueError, match="must be a name"):
        activations.deserialize(3)


# ----------------------------------------------------- relu's Keras options
def keras_relu_reference(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's documented piecewise formula (for max_value > threshold)."""
    cap = np.inf if max_value is None else max_value
    return np.where(x >= cap, cap, np.where(x > threshold, x, negative_slope * (x - threshold)))


RELU_OPTIONS = [
    {},
    {"negative_slope": 0.5},
    {"max_value": 6.0},
    {"max_value": 2.5},
    {"threshold": 1.0},
    {"negative_slope": 0.1, "max_value": 6.0},
    {"negative_slope": 0.3, "max_value": 3.0},
    {"negative_slope": 0.2, "threshold": 1.5},
    {"max_value": 4.0, "threshold": 0.5},
    {"negative_slope": 0.25, "max_value": 3.5, "threshold": 1.0},
]


@pytest.mark.parametrize("options", RELU_OPTIONS, ids=str)
def test_relu_options_match_the_keras_formula(options):
    y = activations.relu(treino.tensor(X), **options)
    np.testing.assert_allclose(y.data, keras_relu_reference(X, **options), atol=1e-15)
    y32 = activations.relu(treino.tensor(X.astype(np.float32)), **options)
    assert y32.dtype == np.float32


def test_relu_keras_docstring_examples():
    x = treino.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])

    def relu(**kw):
        return activations.relu(x, **kw).data.tolist()

    assert relu() == [0, 0, 0, 5, 10]
    assert relu(negative_slope=0.5) == [-5, -2.5, 0, 5, 10]
    assert relu(max_value=5.0) == [0, 0, 0, 5, 5]
    assert relu(threshold=5.0) == [0, 0, 0, 0, 10]
    assert relu(max_value=10.0, negative_slope=0.5) == [-5, -2.5, 0, 5, 10]


@pytest.mark.parametrize("options", RELU_OPTIONS, ids=str)
def test_relu_options_gradcheck(options):
    kinks = [0.0, options.get("threshold", 0.0), options.get("max_value", np.inf)]
    x = np.random.default_rng(0).uniform(-5, 8, size=60)
    x = x[np.min(np.abs(x[:, None] - np.array(kinks)), axis=1) > 1e-3]
    assert treino.gradcheck(lambda t: activations.relu(t, **options), x)


def test_relu_gradient_values():
    x = treino.tensor([-2.0, 0.5, 2.0, 5.0], requires_grad=True)
    activations.relu(x, negative_slope=0.1, max_value=4.0, threshold=1.0).sum().backward()
    np.testing.assert_allclose(x.grad, [0.1, 0.1, 1.0, 0.0])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"negative_slope": -0.1}, "negative_slope=-0.1"),
        ({"max_value": -1.0}, "max_value=-1.0"),
        ({"threshold": float("nan")}, "threshold=nan"),
        ({"max_value": "6"}, "max_value='6'"),
    ],
)
def test_relu_bad_options(options, match):
    with pytest.raises((ValueError, TypeError), match=match):
        activations.relu(treino.tensor([1.0]), **options)


# ---------------------------------------------------------------- the rest
@pytest.mark.parametrize(
    "fn",
    [
        activations.mish,
        activations.hard_silu,
        activations.exponential,
        lambda t: activations.leaky_relu(t, negative_slope=0.3),
        lambda t: activations.elu(t, alpha=0.7),
        lambda t: activations.gelu(t, approximate=True),
        lambda t: activations.softmax(t, axis=0),
        lambda t: activations.log_softmax(t, axis=0),
    ],
    ids=["mish", "hard_silu", "exponential", "leaky_relu", "elu", "gelu_tanh", "softmax0",
         "log_softmax0"],
)  # fmt: skip
def test_gradcheck(fn):
    x = np.random.default_rng(0).normal(scale=2.0, size=(4, 3))
    assert treino.gradcheck(fn, x)


def test_arguments_are_passed_through():
    x = np.random.default_rng(0).normal(size=(3, 4))
    t = treino.tensor(x)
    np.testing.assert_allclose(activations.softmax(t, axis=0).data.sum(axis=0), np.ones(4))
    np.testing.assert_allclose(activations.leaky_relu(t, 0.5).data, np.where(x > 0, x, 0.5 * x))
    np.testing.assert_allclose(
        activations.elu(t, alpha=2.0).data, np.where(x > 0, x, 2.0 * np.expm1(x))
    )
    c = math.sqrt(2 / math.pi)
    np.testing.assert_allclose(
        activations.gelu(t, approximate=True).data,
        0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3))),
    )


def test_accepts_arrays():
    y = activations.get("sigmoid")(np.zeros(3, dtype=np.float32))
    assert isinstance(y, treino.Tensor)
    np.testing.assert_array_equal(y.data, [0.5, 0.5, 0.5])
