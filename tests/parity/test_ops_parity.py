"""treino.ops against PyTorch: float32 forward values and input gradients.

Each case runs the same float32 inputs through the treino op and its torch
counterpart, then backpropagates the same random upstream gradient through
both. Conventions that differ are passed explicitly (leaky_relu's slope, var's
ddof / correction, the Dense kernel layout (in, out) vs torch's (out, in)).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import treino  # noqa: E402
from treino import ops  # noqa: E402
from treino.ops.nn import keep_mask  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6


def randn(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(np.float32)


def positive(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(np.float32)


def parity(tr_fn, th_fn, *arrays, rtol=RTOL, atol=ATOL, dtype=np.float32):
    """Compare forward values and the gradient of every float input."""
    arrays = [np.asarray(a) for a in arrays]
    needs = [a.dtype.kind == "f" for a in arrays]
    tr_in = [treino.tensor(a, requires_grad=n) for a, n in zip(arrays, needs, strict=True)]
    th_in = [torch.tensor(a, requires_grad=n) for a, n in zip(arrays, needs, strict=True)]
    out = tr_fn(*tr_in)
    ref = th_fn(*th_in)
    assert out.dtype == dtype
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(99).normal(size=out.shape).astype(out.dtype)
    out.backward(g)
    ref.backward(torch.from_numpy(g))
    for k, (a, b, n) in enumerate(zip(tr_in, th_in, needs, strict=True)):
        if n:
            assert a.grad is not None, f"input {k} got no gradient"
            assert a.grad.dtype == np.float32
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------ elementwise

UNARY = {
    "negative": (ops.negative, torch.neg, False),
    "exp": (ops.exp, torch.exp, False),
    "log": (ops.log, torch.log, True),
    "log1p": (ops.log1p, torch.log1p, True),
    "sqrt": (ops.sqrt, torch.sqrt, True),
    "square": (ops.square, torch.square, False),
    "abs": (ops.abs, torch.abs, False),
    "clip": (lambda t: ops.clip(t, -0.5, 0.8), lambda t: torch.clamp(t, -0.5, 0.8), False),
    "relu": (ops.relu, F.relu, False),
    "relu6": (lambda t: ops.relu6(t * 4), lambda t: F.relu6(t * 4), False),
    "leaky_relu": (
        lambda t: ops.leaky_relu(t, negative_slope=0.2),
        lambda t: F.leaky_relu(t, negative_slope=0.2),
        False,
    ),
    "leaky_relu_default_is_0.2": (ops.leaky_relu, lambda t: F.leaky_relu(t, 0.2), False),
    "elu": (lambda t: ops.elu(t, 0.7), lambda t: F.elu(t, 0.7), False),
    "selu": (ops.selu, F.selu, False),
    "gelu": (ops.gelu, F.gelu, False),
    "gelu_tanh": (
        lambda t: ops.gelu(t, approximate=True),
        lambda t: F.gelu(t, approximate="tanh"),
        False,
    ),
    "sigmoid": (ops.sigmoid, torch.sigmoid, False),
    "hard_sigmoid": (lambda t: ops.hard_sigmoid(t * 3), lambda t: F.hardsigmoid(t * 3), False),
    "tanh": (ops.tanh, torch.tanh, False),
    "softplus": (ops.softplus, F.softplus, False),
    "softsign": (ops.softsign, F.softsign, False),
    "silu": (ops.silu, F.silu, False),
    "mish": (ops.mish, F.mish, False),
    "linear_activation": (ops.linear_activation, lambda t: t, False),
    "softmax": (ops.softmax, lambda t: F.softmax(t, dim=-1), False),
    "softmax_axis0": (lambda t: ops.softmax(t, axis=0), lambda t: F.softmax(t, dim=0), False),
    "log_softmax": (ops.log_softmax, lambda t: F.log_softmax(t, dim=-1), False),
    "log_softmax_axis0": (
        lambda t: ops.log_softmax(t, axis=0),
        lambda t: F.log_softmax(t, dim=0),
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    tr_fn, th_fn, pos = UNARY[name]
    x = positive(4, 5) if pos else randn(4, 5)
    parity(tr_fn, th_fn, x)


KINKS = np.array([-3.0, -1.0, -0.5, 0.0, 0.8, 1.0, 3.0, 6.0, 7.0], dtype=np.float32)


@pytest.mark.parametrize(
    "name",
    ["abs", "relu", "leaky_relu", "elu", "selu", "softplus", "softsign", "silu", "gelu"],
)
def test_unary_at_kinks(name):
    tr_fn, th_fn, _ = UNARY[name]
    parity(tr_fn, th_fn, KINKS)


@pytest.mark.parametrize(
    ("tr_fn", "th_fn"),
    [
        (ops.relu6, F.relu6),
        (ops.hard_sigmoid, F.hardsigmoid),
        (lambda t: ops.clip(t, -0.5, 0.8), lambda t: torch.clamp(t, -0.5, 0.8)),
        (lambda t: ops.clip(t, min=1.0), lambda t: torch.clamp(t, min=1.0)),
    ],
    ids=["relu6", "hard_sigmoid", "clip", "clip_min"],
)
def test_piecewise_ops_at_their_boundaries(tr_fn, th_fn):
    parity(tr_fn, th_fn, KINKS)


def test_cast():
    parity(
        lambda t: ops.cast(t, "float64"),
        lambda t: t.to(torch.float64),
        randn(3, 4),
        dtype=np.float64,
    )


BINARY = {
    "add": (ops.add, torch.add, False),
    "subtract": (ops.subtract, torch.sub, False),
    "multiply": (ops.multiply, torch.mul, False),
    "divide": (ops.divide, torch.div, True),
    "power": (ops.power, torch.pow, True),
    "maximum": (ops.maximum, torch.maximum, False),
    "minimum": (ops.minimum, torch.minimum, False),
}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((1, 4), ())]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, shapes):
    tr_fn, th_fn, pos = BINARY[name]
    make = positive if pos else randn
    parity(tr_fn, th_fn, make(*shapes[0], seed=1), make(*shapes[1], seed=2))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_with_ties(name):
    tr_fn, th_fn, _ = BINARY[name]
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]], dtype=np.float32)
    y = np.array([[1.0, 0.0, 3.0], [0.0, 4.0, 5.0]], dtype=np.float32)
    parity(tr_fn, th_fn, x, y)


def test_power_with_constant_exponent_and_base():
    parity(lambda t: t**3, lambda t: t**3, randn(3, 4))
    parity(lambda t: t**0.5, lambda t: t**0.5, positive(3, 4))
    parity(lambda t: 2.0**t, lambda t: 2.0**t, randn(3, 4))


def test_power_with_a_zero_exponent_at_zero():
    # x⁰ is constant: the gradient is 0 even at x = 0 (not 0 · 0⁻¹ = NaN).
    x = np.array([0.0, 1.5, 0.0, 2.0], dtype=np.float32)
    p = np.array([0.0, 0.0, 2.0, 3.0], dtype=np.float32)
    parity(lambda t: t**0, lambda t: t**0, x)
    parity(lambda t: ops.power(t, p), lambda t: torch.pow(t, torch.from_numpy(p)), x)


def test_where():
    condition = np.random.default_rng(5).uniform(size=(3, 4)) > 0.5
    parity(
        lambda x, y: ops.where(condition, x, y),
        lambda x, y: torch.where(torch.from_numpy(condition), x, y),
        randn(3, 4, seed=1),
        randn(4, seed=2),
    )


# --------------------------------------------------------------- reductions


def _dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return axis


REDUCTIONS = {
    "sum": (ops.sum, lambda t, dim, keepdim: torch.sum(t, dim=dim, keepdim=keepdim)),
    "mean": (ops.mean, lambda t, dim, keepdim: torch.mean(t, dim=dim, keepdim=keepdim)),
    "max": (ops.max, lambda t, dim, keepdim: torch.amax(t, dim=dim, keepdim=keepdim)),
    "min": (ops.min, lambda t, dim, keepdim: torch.amin(t, dim=dim, keepdim=keepdim)),
    "var": (
        ops.var,
        lambda t, dim, keepdim: torch.var(t, dim=dim, keepdim=keepdim, correction=0),
    ),
    "var_ddof1": (
        lambda t, **kw: ops.var(t, ddof=1, **kw),
        lambda t, dim, keepdim: torch.var(t, dim=dim, keepdim=keepdim, correction=1),
    ),
    "std": (
        ops.std,
        lambda t, dim, keepdim: torch.std(t, dim=dim, keepdim=keepdim, correction=0),
    ),
    "std_ddof1": (
        lambda t, **kw: ops.std(t, ddof=1, **kw),
        lambda t, dim, keepdim: torch.std(t, dim=dim, keepdim=keepdim, correction=1),
    ),
    "logsumexp": (
        ops.logsumexp,
        lambda t, dim, keepdim: torch.logsumexp(t, dim=dim, keepdim=keepdim),
    ),
}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction(name, axis, keepdims):
    tr_fn, th_fn = REDUCTIONS[name]
    parity(
        lambda t: tr_fn(t, axis=axis, keepdims=keepdims),
        lambda t: th_fn(t, _dims(axis, 3), keepdims),
        randn(2, 3, 4),
    )


def test_var_default_is_biased_unlike_torch():
    x = randn(5, 3)
    biased = ops.var(treino.tensor(x), axis=0).data
    expected = torch.var(torch.from_numpy(x), dim=0, correction=0).numpy()
    np.testing.assert_allclose(biased, expected, rtol=1e-6)
    unbiased = torch.var(torch.from_numpy(x), dim=0).numpy()  # torch's default: correction=1
    np.testing.assert_allclose(biased * 5 / 4, unbiased, rtol=1e-5)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 1, (0, 1)], ids=str)
def test_max_min_ties_split_like_amax(name, axis):
    tr_fn, th_fn = REDUCTIONS[name]
    x = np.random.default_rng(4).integers(0, 3, size=(4, 5)).astype(np.float32)  # many ties
    parity(lambda t: tr_fn(t, axis=axis), lambda t: th_fn(t, _dims(axis, 2), False), x)


# ------------------------------------------------------------ linear algebra

MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((3, 4), (4, 2)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    parity(ops.matmul, torch.matmul, randn(*shapes[0], seed=1), randn(*shapes[1], seed=2))


@pytest.mark.parametrize("x_shape", [(5, 3), (1, 3), (2, 4, 3), (3,)], ids=str)
def test_linear(x_shape):
    # Keras layout: kernel (in, out); torch's weight is its transpose.
    x, w, b = randn(*x_shape, seed=1), randn(3, 6, seed=2), randn(6, seed=3)
    parity(ops.linear, lambda x, w, b: F.linear(x, w.T, b), x, w, b)
    parity(ops.linear, lambda x, w: F.linear(x, w.T), x, w)


# ----------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("tr_fn", "th_fn", "shape"),
    [
        (lambda t: ops.reshape(t, (4, -1)), lambda t: t.reshape(4, -1), (2, 3, 2)),
        (ops.transpose, lambda t: t.permute(2, 1, 0), (2, 3, 4)),
        (lambda t: ops.transpose(t, (1, 0, 2)), lambda t: t.permute(1, 0, 2), (2, 3, 4)),
        (lambda t: ops.transpose(t, (0, -1, -2)), lambda t: t.permute(0, 2, 1), (2, 3, 4)),
        (
            lambda t: ops.broadcast_to(t, (2, 3, 4)),
            lambda t: torch.broadcast_to(t, (2, 3, 4)),
            (3, 1),
        ),
        (lambda t: ops.expand_dims(t, 1), lambda t: torch.unsqueeze(t, 1), (3, 4)),
        (ops.squeeze, torch.squeeze, (1, 3, 1)),
        (lambda t: ops.squeeze(t, axis=2), lambda t: torch.squeeze(t, 2), (1, 3, 1)),
        (ops.flatten, lambda t: torch.flatten(t, 1), (2, 3, 4)),
        (
            lambda t: ops.pad(t, ((1, 2), (0, 3)), value=0.5),
            lambda t: F.pad(t, (0, 3, 1, 2), value=0.5),  # torch: last axis first
            (3, 4),
        ),
    ],
    ids=[
        "reshape",
        "transpose",
        "transpose_axes",
        "transpose_negative",
        "broadcast_to",
        "expand_dims",
        "squeeze",
        "squeeze_axis",
        "flatten",
        "pad",
    ],
)
def test_shape_ops(tr_fn, th_fn, shape):
    parity(tr_fn, th_fn, randn(*shape))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis):
    a, b = randn(2, 3, seed=1), randn(2, 3, seed=2)
    parity(
        lambda x, y: ops.concatenate([x, y, x], axis=axis),
        lambda x, y: torch.cat([x, y, x], dim=axis),
        a,
        b,
    )
    parity(
        lambda x, y: ops.stack([x, y, y], axis=axis),
        lambda x, y: torch.stack([x, y, y], dim=axis),
        a,
        b,
    )


MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
INDICES = [
    np.s_[1],
    np.s_[1:, ::2],
    np.s_[..., 2],
    np.s_[:, None, 1:3],
    np.s_[[0, 0, 2]],
    np.s_[[2, 0, 2, 2], 1:],
    np.s_[[0, 2, 2], [1, 1, 3]],
    MASK,
    np.s_[:, MASK[0]],
]


def _torch_index(index):
    def convert(i):
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    if isinstance(index, tuple):
        return tuple(convert(i) for i in index)
    return convert(index)


@pytest.mark.parametrize("index", INDICES, ids=lambda i: repr(i).replace(" ", "")[:40])
def test_getitem(index):
    parity(lambda t: t[index], lambda t: t[_torch_index(index)], randn(3, 4))


# -------------------------------------------------------------------- losses


def test_softmax_cross_entropy_sparse():
    labels = np.array([0, 3, 1, 1, 2])
    parity(
        lambda z: ops.softmax_cross_entropy(z, labels),
        lambda z: F.cross_entropy(z, torch.from_numpy(labels), reduction="none"),
        randn(5, 4),
    )


def test_softmax_cross_entropy_sparse_class_axis_1():
    labels = np.random.default_rng(2).integers(0, 3, size=(2, 4))
    parity(
        lambda z: ops.softmax_cross_entropy(z, labels, axis=1),
        lambda z: F.cross_entropy(z, torch.from_numpy(labels), reduction="none"),
        randn(2, 3, 4),
    )


def test_softmax_cross_entropy_dense_soft_labels():
    p = np.random.default_rng(3).uniform(0.1, 1.0, size=(5, 4)).astype(np.float32)
    soft = p / p.sum(axis=1, keepdims=True)
    parity(
        ops.softmax_cross_entropy,
        lambda z, y: F.cross_entropy(z, y, reduction="none"),
        randn(5, 4),
        soft,
    )


def test_softmax_cross_entropy_huge_logits():
    z = (np.array([[1, -1, 0], [-1, -1, 1], [0.5, 0, -0.5]]) * 1e4).astype(np.float32)
    labels = np.array([0, 1, 2])
    parity(
        lambda z: ops.softmax_cross_entropy(z, labels),
        lambda z: F.cross_entropy(z, torch.from_numpy(labels), reduction="none"),
        z,
    )


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_sigmoid_binary_cross_entropy(scale):
    z = randn(4, 3, scale=scale)
    y = np.random.default_rng(7).uniform(size=(4, 3)).astype(np.float32)
    parity(
        ops.sigmoid_binary_cross_entropy,
        lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="none"),
        z,
        y,
    )


def test_dropout_with_the_same_mask():
    # torch draws its own random numbers, so the reference applies treino's
    # mask (the same generator, the same draw) the way torch's dropout does.
    rate, seed = 0.4, 123
    x = randn(6, 7)
    keep, _ = keep_mask(np.random.default_rng(seed), x.shape, rate)
    scale = torch.from_numpy(keep.astype(np.float32) / np.float32(1 - rate))
    parity(lambda t: ops.dropout(t, rate, seed=seed), lambda t: t * scale, x)


def test_every_op_with_a_torch_counterpart_is_compared():
    compared = (
        set(UNARY)
        | set(BINARY)
        | set(REDUCTIONS)
        | {"cast", "where", "matmul", "linear", "reshape", "transpose", "broadcast_to"}
        | {"expand_dims", "squeeze", "flatten", "pad", "concatenate", "stack", "getitem"}
        | {"softmax_cross_entropy", "sigmoid_binary_cross_entropy", "dropout"}
        # compared beside their layers: test_conv_parity.py, test_recurrent_parity.py and
        # test_advanced_regularization.py (Shake-Shake against torch's detach formulation)
        | {"conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"}
        | {"global_avg_pool", "global_max_pool", "simple_rnn", "lstm", "gru", "shake_shake"}
    )
    base = {name.split("_axis")[0].split("_default")[0] for name in compared}
    assert set(ops.__all__) - base == set()
