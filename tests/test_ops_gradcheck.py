"""Every public op in treino.ops against central differences in float64, plus stability.

Each case is one line: ``check_op(fn, *shapes)`` draws float64 inputs of the
given shapes and runs :func:`treino.gradcheck` on them.
"""

import numpy as np
import pytest

import treino
from treino import ops
from treino.gradcheck import GradcheckError


def inputs(*shapes, positive=False, seed=0):
    rng = np.random.default_rng(seed)
    if positive:
        return [rng.uniform(0.5, 2.0, size=s) for s in shapes]
    return [rng.normal(size=s) for s in shapes]


def check_op(fn, *shapes, positive=False, **tolerances):
    """Gradcheck ``fn`` on random float64 inputs of ``shapes``."""
    assert treino.gradcheck(fn, *inputs(*shapes, positive=positive), **tolerances)


def strided(shape, seed=0):
    """A float64 tensor whose data is a non-contiguous view (every other column)."""
    base = np.random.default_rng(seed).normal(size=shape[:-1] + (2 * shape[-1],))
    view = base[..., ::2]
    assert not view.flags.c_contiguous
    return treino.tensor(view, requires_grad=True)


def transposed(shape, seed=0):
    """A float64 array of ``shape`` laid out in Fortran order (non-C-contiguous)."""
    array = np.random.default_rng(seed).normal(size=shape[::-1]).T
    assert not array.flags.c_contiguous
    return array


TESTED = set()


def covers(*names):
    TESTED.update(names)


# ---------------------------------------------------------------- unary ops

UNARY = {
    "negative": (ops.negative, False),
    "exp": (ops.exp, False),
    "log": (ops.log, True),
    "log1p": (ops.log1p, True),
    "sqrt": (ops.sqrt, True),
    "square": (ops.square, False),
    "abs": (ops.abs, False),
    "clip": (lambda t: ops.clip(t, -0.5, 0.8), False),
    "clip_min_only": (lambda t: ops.clip(t, min=0.0), False),
    "relu": (ops.relu, False),
    "relu6": (lambda t: ops.relu6(t * 4.0), False),
    "leaky_relu": (lambda t: ops.leaky_relu(t, 0.1), False),
    "leaky_relu_default": (ops.leaky_relu, False),
    "elu": (lambda t: ops.elu(t, alpha=0.7), False),
    "selu": (ops.selu, False),
    "gelu": (ops.gelu, False),
    "gelu_tanh": (lambda t: ops.gelu(t, approximate=True), False),
    "sigmoid": (ops.sigmoid, False),
    "hard_sigmoid": (lambda t: ops.hard_sigmoid(t * 3.0), False),
    "tanh": (ops.tanh, False),
    "softplus": (ops.softplus, False),
    "softsign": (ops.softsign, False),
    "silu": (ops.silu, False),
    "mish": (ops.mish, False),
    "linear_activation": (ops.linear_activation, False),
    "softmax": (ops.softmax, False),
    "softmax_axis0": (lambda t: ops.softmax(t, axis=0), False),
    "log_softmax": (ops.log_softmax, False),
    "log_softmax_axis0": (lambda t: ops.log_softmax(t, axis=0), False),
}
covers(*UNARY)


@pytest.mark.parametrize("shape", [(3, 4), (1, 5), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, shape):
    fn, positive = UNARY[name]
    check_op(fn, shape, positive=positive)


@pytest.mark.parametrize("name", sorted(n for n in UNARY if "softmax" not in n))
def test_unary_on_a_scalar(name):
    fn, positive = UNARY[name]
    check_op(fn, (), positive=positive)


@pytest.mark.parametrize("name", ["exp", "tanh", "gelu", "softmax", "log_softmax", "mish"])
def test_unary_on_non_contiguous_input(name):
    fn, _ = UNARY[name]
    assert treino.gradcheck(fn, strided((3, 4)))
    assert treino.gradcheck(fn, transposed((3, 4)))


covers("cast")


def test_cast_roundtrip():
    # float64 → float32 → float64: the derivative is 1 up to float32 rounding,
    # so the step is larger and the tolerance float32's.
    fn = lambda t: ops.cast(ops.cast(t, "float32"), "float64")  # noqa: E731
    check_op(fn, (3, 4), eps=1e-2, atol=1e-4, rtol=1e-4)
    x = treino.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ops.cast(x, "float32")
    assert y.dtype == np.float32
    y.backward(np.array([3.0, 4.0], dtype=np.float32))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# --------------------------------------------------------------- binary ops

BINARY = {
    "add": (ops.add, False),
    "subtract": (ops.subtract, False),
    "multiply": (ops.multiply, False),
    "divide": (ops.divide, True),
    "power": (ops.power, True),
    "maximum": (ops.maximum, False),
    "minimum": (ops.minimum, False),
    "where": (lambda x, y: ops.where(np.arange(4) % 3 == 0, x, y), False),
}
covers(*BINARY)
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((3, 4), ()),
    ((), (3, 4)),
    ((2, 3, 4), (3, 1)),
    ((1, 4), (1, 4)),
]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_broadcasting(name, shapes):
    fn, positive = BINARY[name]
    check_op(fn, *shapes, positive=positive)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_the_same_input_twice(name):
    fn, positive = BINARY[name]
    # op(x, x): both paths flow into one tensor (maximum/minimum: a tie on
    # every element, each side gets G/2, so the total is G).
    check_op(lambda t: fn(t, t), (3, 4), positive=positive)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_on_non_contiguous_inputs(name):
    fn, positive = BINARY[name]
    x = strided((3, 4))
    y = transposed((3, 4))
    if positive:
        x.data[...] = np.abs(x.data) + 0.5
        y = np.abs(y) + 0.5
    assert treino.gradcheck(fn, x, y)


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t * t + t,
        lambda t: (t * 2.0).tanh() * t - t / (t * t + 1.0),
        lambda t: ops.exp(t) * ops.sum(t, axis=0) + ops.mean(t * t, axis=1, keepdims=True),
        lambda t: ops.matmul(t, t.T) + ops.softmax(t, axis=0) @ t.T,
    ],
    ids=["x*x+x", "mixed", "reductions", "matmul"],
)
def test_reused_subexpressions(fn):
    check_op(fn, (3, 4))


@pytest.mark.parametrize(
    "fn",
    [lambda t: t**3, lambda t: t**2.0, lambda t: 2.0**t, lambda t: ops.power(t, -1)],
    ids=["cube", "square", "rpow", "inverse"],
)
def test_power_with_constant_exponent_or_base(fn):
    check_op(fn, (3, 4), positive=True)


def test_where_with_broadcast_condition():
    condition = np.array([[True], [False], [True]])
    check_op(lambda x, y: ops.where(condition, x, y), (4,), (3, 4))


# ---------------------------------------------------------------- reductions

REDUCTIONS = {
    "sum": ops.sum,
    "mean": ops.mean,
    "max": ops.max,
    "min": ops.min,
    "var": ops.var,
    "var_ddof1": lambda t, **kw: ops.var(t, ddof=1, **kw),
    "std": ops.std,
    "std_ddof1": lambda t, **kw: ops.std(t, ddof=1, **kw),
    "logsumexp": ops.logsumexp,
}
covers(*REDUCTIONS)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, 1, (0, 2), (1, 2), (0, 1, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction(name, axis, keepdims):
    fn = REDUCTIONS[name]
    check_op(lambda t: fn(t, axis=axis, keepdims=keepdims), (2, 3, 4))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_batch_of_one_and_non_contiguous(name):
    fn = REDUCTIONS[name]
    if name not in ("std", "var_ddof1", "std_ddof1"):  # one sample: std = √0, n − 1 = 0
        check_op(lambda t: fn(t, axis=0), (1, 5))
    check_op(lambda t: fn(t, axis=-1), (1, 5))
    assert treino.gradcheck(lambda t: fn(t, axis=0), strided((3, 4)))


def test_reduction_shapes():
    x = treino.tensor(np.zeros((2, 3, 4)))
    assert ops.sum(x).shape == ()
    assert ops.mean(x, axis=(0, 2)).shape == (3,)
    assert ops.max(x, axis=(0, 2), keepdims=True).shape == (1, 3, 1)
    assert ops.var(x, axis=-1).shape == (2, 3)
    assert ops.logsumexp(x, axis=1, keepdims=True).shape == (2, 1, 4)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_ties_share_the_gradient(name):
    fn = ops.max if name == "max" else ops.min
    v = 3.0 if name == "max" else -3.0
    x = treino.tensor(np.array([[1.0, v, v, 0.0], [v, v, v, 0.5]]), requires_grad=True)
    fn(x, axis=1).backward(np.array([1.0, 6.0]))
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5, 0], [2.0, 2.0, 2.0, 0]])


def test_maximum_minimum_ties_split_evenly():
    x = treino.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = treino.tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    ops.maximum(x, y).backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])
    x.grad = y.grad = None
    ops.minimum(x, y).backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(y.grad, [0.5, 0.0, 1.0])


def test_var_values():
    x = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    np.testing.assert_allclose(ops.var(x, axis=1).data, np.var(x, axis=1))
    np.testing.assert_allclose(ops.var(x, axis=1, ddof=1).data, np.var(x, axis=1, ddof=1))
    np.testing.assert_allclose(ops.std(x).data, np.std(x))


# ---------------------------------------------------------------- shape ops


SHAPE_CASES = [
    ("reshape", lambda t: ops.reshape(t, (4, 3)), (3, 4)),
    ("reshape", lambda t: t.reshape(2, -1), (3, 4)),
    ("reshape", lambda t: ops.reshape(t, -1), (3, 4)),
    ("transpose", ops.transpose, (3, 4)),
    ("transpose", lambda t: ops.transpose(t, (1, 0, 2)), (2, 3, 4)),
    ("transpose", lambda t: ops.transpose(t, (0, -1, -2)), (2, 3, 4)),
    ("transpose", lambda t: t.transpose(2, 0, 1), (2, 3, 4)),
    ("broadcast_to", lambda t: ops.broadcast_to(t, (2, 3, 4)), (3, 1)),
    ("broadcast_to", lambda t: ops.broadcast_to(t, (5, 4)), (4,)),
    ("expand_dims", lambda t: ops.expand_dims(t, 1), (3, 4)),
    ("expand_dims", lambda t: ops.expand_dims(t, -1), (3, 4)),
    ("squeeze", ops.squeeze, (1, 3, 1)),
    ("squeeze", lambda t: ops.squeeze(t, axis=0), (1, 3, 1)),
    ("flatten", ops.flatten, (2, 3, 4)),
    ("flatten", lambda t: ops.flatten(t, start_axis=0), (2, 3)),
    ("pad", lambda t: ops.pad(t, ((1, 2), (0, 1))), (3, 4)),
    ("pad", lambda t: ops.pad(t, ((0, 0), (2, 2), (1, 0)), value=1.5), (1, 2, 3)),
]
covers(*(name for name, _, _ in SHAPE_CASES))


@pytest.mark.parametrize(
    ("name", "fn", "shape"),
    SHAPE_CASES,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SHAPE_CASES)],
)
def test_shape_op(name, fn, shape):
    check_op(fn, shape)
    assert treino.gradcheck(fn, strided(shape))


covers("concatenate", "stack", "getitem", "matmul", "linear")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis):
    shapes = {0: [(1, 3), (2, 3), (3, 3)], 1: [(2, 1), (2, 4), (2, 2)], -1: [(2, 2)] * 3}[axis]
    check_op(lambda a, b, c: ops.concatenate([a, b, c], axis=axis), *shapes)
    check_op(lambda t: ops.concatenate([t, t * 2.0, t], axis=axis), shapes[1])


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_stack(axis):
    check_op(lambda a, b: ops.stack([a, b, a * b], axis=axis), (2, 3), (2, 3))


def test_concatenate_and_stack_with_a_constant():
    check_op(lambda a: ops.concatenate([a, np.ones((2, 3))]), (1, 3))
    check_op(lambda a: ops.stack([np.ones(3), a]), (3,))


BOOL_MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
INDICES = [
    np.s_[1],
    np.s_[-1, 2],
    np.s_[1:],
    np.s_[::2, 1:3],
    np.s_[..., ::-1],
    np.s_[:, None, 2],
    np.s_[[0, 0, 2]],
    np.s_[[2, 0, 2, 2], 1:],
    np.s_[np.array([[0, 1], [1, 1]])],
    np.s_[[0, 2, 2], [1, 1, 3]],
    np.s_[:, [3, 3, 0]],
    BOOL_MASK,
    np.s_[BOOL_MASK[:, 0]],
    np.s_[:, BOOL_MASK[0]],
]


@pytest.mark.parametrize("index", INDICES, ids=lambda i: repr(i).replace(" ", "")[:40])
def test_getitem(index):
    check_op(lambda t: ops.getitem(t, index), (3, 4))
    assert treino.gradcheck(lambda t: t[index], strided((3, 4)))


def test_getitem_repeated_indices_accumulate():
    x = treino.tensor(np.zeros(3), requires_grad=True)
    x[[0, 0, 2, 0]].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [7.0, 0.0, 3.0])


def test_getitem_with_a_tensor_index():
    index = treino.tensor(np.array([2, 2, 1]))
    check_op(lambda t: t[index], (4,))
    check_op(lambda t: t[index, 1:], (4, 2))


# ------------------------------------------------------------------- matmul

MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((3, 4), (4, 2)),
    ((1, 4), (4, 2)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(ops.matmul, *shapes)
    check_op(lambda a, b: a @ b, *shapes)


def test_matmul_non_contiguous_and_same_input_twice():
    assert treino.gradcheck(ops.matmul, transposed((3, 4)), strided((4, 2)))
    check_op(lambda t: t @ t, (3, 3))
    check_op(lambda t: t.T @ t, (3, 2))


@pytest.mark.parametrize(
    ("x_shape", "bias"),
    [((5, 3), True), ((5, 3), False), ((1, 3), True), ((2, 4, 3), True), ((3,), True)],
    ids=str,
)
def test_linear(x_shape, bias):
    if bias:
        check_op(ops.linear, x_shape, (3, 2), (2,))
    else:
        check_op(ops.linear, x_shape, (3, 2))


def test_linear_non_contiguous_and_values():
    assert treino.gradcheck(ops.linear, strided((4, 3)), transposed((3, 2)), strided((2,)))
    x, w, b = inputs((2, 4, 3), (3, 2), (2,))
    np.testing.assert_allclose(ops.linear(x, w, b).data, x @ w + b, rtol=1e-12)


# ---------------------------------------------------------------- nn losses


covers("softmax_cross_entropy", "sigmoid_binary_cross_entropy", "dropout")


def _labels(n, classes, seed=1):
    return np.random.default_rng(seed).integers(0, classes, size=n)


def _soft_labels(shape, seed=1):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


def test_softmax_cross_entropy_sparse():
    labels = _labels(5, 4)
    check_op(lambda z: ops.softmax_cross_entropy(z, labels), (5, 4))
    check_op(lambda z: ops.softmax_cross_entropy(z, labels[:1]), (1, 4))
    check_op(lambda z: ops.softmax_cross_entropy(z, labels[:, None]), (5, 4))  # (N, 1) labels
    check_op(lambda z: ops.softmax_cross_entropy(z, 2), (4,))  # one sample, 0-d label
    assert treino.gradcheck(lambda z: ops.softmax_cross_entropy(z, labels), strided((5, 4)))


def test_softmax_cross_entropy_sparse_on_another_axis():
    labels = np.random.default_rng(2).integers(0, 3, size=(2, 4))
    check_op(lambda z: ops.softmax_cross_entropy(z, labels, axis=1), (2, 3, 4))


def test_softmax_cross_entropy_dense_soft_labels_with_label_grad():
    check_op(ops.softmax_cross_entropy, (5, 4), (5, 4))  # unnormalised labels: p·Σy − y
    soft = _soft_labels((5, 4))
    assert treino.gradcheck(ops.softmax_cross_entropy, inputs((5, 4))[0], soft)
    check_op(lambda z: ops.softmax_cross_entropy(z, soft), (5, 4))
    check_op(lambda z: ops.softmax_cross_entropy(z, soft[:, :3], axis=0), (5, 3))


def test_softmax_cross_entropy_values():
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = np.array([1, 2])
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -log_p[[0, 1], labels]
    np.testing.assert_allclose(ops.softmax_cross_entropy(z, labels).data, expected)
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(ops.softmax_cross_entropy(z, onehot).data, expected)
    # Float labels holding whole numbers are accepted as classes.
    np.testing.assert_allclose(ops.softmax_cross_entropy(z, labels.astype(float)).data, expected)


def test_sparse_and_one_hot_give_the_same_gradient():
    z = inputs((4, 3))[0]
    labels = np.array([0, 2, 1, 2])
    a = treino.tensor(z, requires_grad=True)
    ops.softmax_cross_entropy(a, labels).sum().backward()
    b = treino.tensor(z, requires_grad=True)
    ops.softmax_cross_entropy(b, np.eye(3)[labels]).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a.grad, p - np.eye(3)[labels], rtol=1e-12)


def test_sigmoid_binary_cross_entropy():
    y = np.random.default_rng(3).uniform(size=(4, 3))
    check_op(lambda z: ops.sigmoid_binary_cross_entropy(z, y), (4, 3))
    z = inputs((4, 3))[0]
    assert treino.gradcheck(ops.sigmoid_binary_cross_entropy, z, y)  # grad wrt labels too
    check_op(lambda z: ops.sigmoid_binary_cross_entropy(z, np.ones((1, 2))), (1, 2))
    s = 1 / (1 + np.exp(-z))
    expected = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(ops.sigmoid_binary_cross_entropy(z, y).data, expected, rtol=1e-10)


# ------------------------------------------------------------------ dropout


def test_dropout_gradcheck_with_a_fixed_seed():
    check_op(lambda t: ops.dropout(t, 0.3, seed=7), (4, 5))
    check_op(lambda t: ops.dropout(t, 0.5, seed=7, noise_shape=(4, 1)), (4, 5))


def test_dropout_gradient_equals_the_mask():
    x = treino.tensor(np.random.default_rng(0).uniform(1, 2, size=(50, 40)), requires_grad=True)
    y = ops.dropout(x, 0.25, seed=11)
    y.backward(np.ones(x.shape))
    mask = y.data / x.data
    assert set(np.unique(np.round(mask, 12))) == {0.0, round(1 / 0.75, 12)}
    np.testing.assert_allclose(x.grad, mask, rtol=1e-12)
    again = ops.dropout(x, 0.25, seed=11)  # the same seed gives the same mask
    np.testing.assert_array_equal(again.data, y.data)


def test_dropout_preserves_the_mean_and_drops_the_right_fraction():
    x = treino.tensor(np.ones((400, 500), dtype=np.float32))
    y = ops.dropout(x, 0.3, seed=0)
    dropped = np.mean(y.data == 0)
    assert abs(dropped - 0.3) < 0.005  # 200k draws: the std of the fraction is ~0.001
    assert abs(float(y.data.mean()) - 1.0) < 0.01
    np.testing.assert_allclose(y.data[y.data != 0], 1 / 0.7, rtol=1e-6)


def test_dropout_noise_shape_drops_whole_rows():
    x = treino.tensor(np.ones((64, 8)))
    y = ops.dropout(x, 0.5, seed=3, noise_shape=(None, 1))
    rows = y.data[:, 0]
    np.testing.assert_array_equal(y.data, np.repeat(rows[:, None], 8, axis=1))
    assert 0 < np.sum(rows == 0) < 64


def test_dropout_identity_cases():
    x = treino.tensor(np.ones((3, 4)), requires_grad=True)
    assert ops.dropout(x, 0.0) is x
    assert ops.dropout(x, 0.9, training=False) is x


def test_dropout_uses_the_global_seed():
    x = treino.tensor(np.ones((10, 10)))
    treino.seed(5)
    a = ops.dropout(x, 0.5).data
    treino.seed(5)
    b = ops.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)


# the layer families keep their op gradchecks beside their layers
covers("conv1d", "conv2d", "avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d",
       "global_avg_pool", "global_max_pool")  # tests/test_conv.py  # fmt: skip
covers("simple_rnn", "lstm", "gru")  # tests/test_recurrent.py
covers("shake_shake")  # tests/test_advanced_regularization.py (inference and exact backward)


def test_every_public_op_has_a_gradcheck():
    # Each section above registers the ops it checks with covers(...).
    assert sorted(set(ops.__all__) - {name.split("_axis")[0] for name in TESTED}) == []


# ----------------------------------------------------------------- stability

BIG = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 1.0, -1.0]])
STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}  # underflow to 0 is exact here


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_with_huge_logits(dtype):
    z = treino.tensor(BIG.astype(dtype), requires_grad=True)
    labels = np.array([0, 1, 2])
    with np.errstate(**STRICT):
        loss = ops.softmax_cross_entropy(z, labels)
        loss.backward(np.ones(3, dtype=dtype))
    log_p2 = BIG[2, 2] - np.log(np.exp(BIG[2]).sum())
    np.testing.assert_allclose(loss.data, [0.0, 2e4, -log_p2], rtol=1e-6)
    p2 = np.exp(BIG[2]) / np.exp(BIG[2]).sum()
    expected = np.array([[0, 0, 0], [0, -1, 1], p2 - [0, 0, 1]])
    np.testing.assert_allclose(z.grad, expected, rtol=1e-6, atol=1e-7)

    dense = treino.tensor(np.eye(3, dtype=dtype)[labels], requires_grad=True)
    z.grad = None
    with np.errstate(**STRICT):
        loss = ops.softmax_cross_entropy(z, dense)
        loss.backward(np.ones(3, dtype=dtype))
    np.testing.assert_allclose(loss.data, [0.0, 2e4, -log_p2], rtol=1e-6)
    np.testing.assert_allclose(z.grad, expected, rtol=1e-6, atol=1e-7)
    assert np.all(np.isfinite(dense.grad))


def test_softmax_cross_entropy_with_minus_inf_logits():
    z = treino.tensor(np.array([[0.0, -np.inf, 1.0]]), requires_grad=True)
    with np.errstate(**STRICT):
        sparse = ops.softmax_cross_entropy(z, [2])
        dense = ops.softmax_cross_entropy(z, np.array([[0.5, 0.0, 0.5]]))
        dense.backward(np.ones(1))
    expected = np.log1p(np.exp(-1.0))
    np.testing.assert_allclose(sparse.data, [expected])
    assert np.isfinite(dense.data).all()
    assert np.isfinite(z.grad).all() and z.grad[0, 1] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_binary_cross_entropy_with_huge_logits(dtype):
    z = treino.tensor(np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    with np.errstate(**STRICT):
        loss = ops.sigmoid_binary_cross_entropy(z, y)
        loss.backward(np.ones(5, dtype=dtype))
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4, np.log(2.0)], rtol=1e-6)
    np.testing.assert_allclose(z.grad, [0.0, 0.0, 1.0, -1.0, -0.5], rtol=1e-6)


STABLE = {
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
    "sigmoid": ops.sigmoid,
    "softplus": ops.softplus,
    "logsumexp": lambda t: ops.logsumexp(t, axis=-1),
    "tanh": ops.tanh,
    "silu": ops.silu,
    "mish": ops.mish,
    "elu": ops.elu,
    "selu": ops.selu,
    "gelu": ops.gelu,
    "gelu_tanh": lambda t: ops.gelu(t, approximate=True),
    "softsign": ops.softsign,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(STABLE))
def test_no_overflow_at_large_inputs(name, dtype):
    x = treino.tensor(BIG.astype(dtype), requires_grad=True)
    with np.errstate(**STRICT):
        y = STABLE[name](x)
        y.backward(np.ones(y.shape, dtype=dtype))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_large_input_values():
    x = BIG.astype(np.float32)
    with np.errstate(**STRICT):
        np.testing.assert_array_equal(ops.softmax(x).data[1], [0, 0, 1])
        np.testing.assert_array_equal(ops.sigmoid(x).data[0], [1, 0, 0.5])
        np.testing.assert_allclose(ops.softplus(x).data[0], [1e4, 0, np.log(2)], rtol=1e-6)
        np.testing.assert_allclose(ops.logsumexp(x, axis=-1).data[:2], [1e4, 1e4])
        np.testing.assert_allclose(ops.log_softmax(x).data[0], [0, -2e4, -1e4])
    s = treino.tensor(x, requires_grad=True)
    ops.softplus(s).sum().backward()
    np.testing.assert_allclose(s.grad[0], [1.0, 0.0, 0.5])


def test_logsumexp_of_all_minus_inf_is_minus_inf():
    x = np.full((2, 3), -np.inf)
    with np.errstate(**STRICT):
        np.testing.assert_array_equal(ops.logsumexp(x, axis=1).data, [-np.inf, -np.inf])


# ----------------------------------------------------------- gradcheck itself


class _WrongBackward(treino.autograd.Function):
    """y = x² with a deliberately wrong backward (G·x instead of 2G·x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, g):
        (x,) = self.saved
        return g * x


def test_gradcheck_catches_a_wrong_backward():
    x = np.array([[1.0, 2.0], [3.0, -4.0]])
    expected = r"input 0 \(shape \(2, 2\)\).*worst element \(\d, \d\): analytic"
    with pytest.raises(GradcheckError, match=expected):
        treino.gradcheck(_WrongBackward.apply, x)
    assert treino.gradcheck(_WrongBackward.apply, x, raise_exception=False) is False


def test_gradcheck_fails_on_non_finite_gradients():
    with np.errstate(all="ignore"), pytest.raises(GradcheckError):
        treino.gradcheck(lambda t: ops.sqrt(t), np.array([0.0, 1.0]))  # √ at 0: ∞ slope


def test_gradcheck_leaves_the_callers_arrays_alone():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    treino.gradcheck(lambda a, b: a * b, x, x)  # the same array twice: two inputs
    np.testing.assert_array_equal(x, before)


def test_gradcheck_requires_a_tensor_output_that_depends_on_the_inputs():
    with pytest.raises(TypeError, match="must return a Tensor"):
        treino.gradcheck(lambda t: 1.0, np.ones(2))
    with pytest.raises(GradcheckError, match="does not depend"):
        treino.gradcheck(lambda t: treino.tensor(np.ones(2)), np.ones(2))
