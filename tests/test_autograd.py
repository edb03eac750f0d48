"""Engine semantics of treino.autograd: what accumulates, what is freed, grad modes, dtypes."""

import threading

import numpy as np
import pytest

import treino
from treino import backend, ops
from treino.autograd import Function, Tensor, _topological_order, unbroadcast


def t32(values, requires_grad=True):
    return treino.tensor(np.asarray(values, dtype=np.float32), requires_grad=requires_grad)


# --------------------------------------------------------------- accumulation


def test_leaf_grads_accumulate_across_backward_calls():
    w = t32([1.0, -2.0, 3.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, -4.0, 6.0])
    (w * 3.0).sum().backward()  # a second graph, same leaf: +=
    np.testing.assert_array_equal(w.grad, [5.0, -1.0, 9.0])


def test_zero_grad_resets_and_next_backward_starts_fresh():
    w = t32([1.0, 2.0])
    (w * 2.0).sum().backward()
    w.zero_grad()
    assert w.grad is None
    (w * 5.0).sum().backward()
    np.testing.assert_array_equal(w.grad, [5.0, 5.0])


def test_leaf_grad_is_a_copy_the_leaf_owns():
    # Add passes G straight through; the leaf must not alias it (or a later +=
    # would write into another tensor's gradient).
    a, b = t32([1.0, 2.0]), t32([3.0, 4.0])
    s = a + b
    s.backward(np.ones(2, dtype=np.float32))
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_node_used_twice_gets_the_sum_of_both_paths():
    x = t32([3.0, -2.0])
    (x * x).sum().backward()  # ∂(x²)/∂x = 2x, one x per path
    np.testing.assert_array_equal(x.grad, [6.0, -4.0])

    a, b = t32([2.0]), t32([5.0])
    z = a * b + a  # ∂z/∂a = b + 1, ∂z/∂b = a
    z.backward()
    np.testing.assert_array_equal(a.grad, [6.0])
    np.testing.assert_array_equal(b.grad, [2.0])


def test_shared_intermediate_diamond():
    x = t32([1.5])
    h = x * 2.0  # reused by three consumers
    z = h * h + h.exp() - h
    z.backward()
    h_val = 3.0
    expected = (2 * h_val + np.exp(h_val) - 1) * 2.0
    np.testing.assert_allclose(x.grad, [expected], rtol=1e-6)


def test_input_without_requires_grad_gets_no_grad():
    x = t32([1.0, 2.0], requires_grad=False)
    w = t32([3.0, 4.0])
    (x * w).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])


def test_backward_on_a_leaf_itself():
    w = t32([1.0, 2.0])
    w.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    assert w.grad.dtype == np.float32


# -------------------------------------------------------------- intermediates


def test_intermediates_have_no_grad_by_default():
    x = t32([1.0, 2.0])
    h = x * 3.0
    h.sum().backward()
    assert h.grad is None
    assert not h.is_leaf and x.is_leaf


def test_retain_grad_is_overwritten_not_accumulated():
    x = t32([1.0, 2.0])
    h = (x * 3.0).retain_grad()
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad, [6.0, 12.0])  # 2h
    loss.backward()
    np.testing.assert_array_equal(h.grad, [6.0, 12.0])  # same, not doubled
    np.testing.assert_array_equal(x.grad, [36.0, 72.0])  # the leaf does accumulate


def test_retained_grad_is_a_writable_array_of_the_node_dtype():
    x = t32(np.ones((2, 3)))
    h = x.sum(axis=0).retain_grad()
    s = h.sum().retain_grad()
    s.backward()
    assert isinstance(h.grad, np.ndarray) and h.grad.flags.writeable
    assert h.grad.dtype == np.float32
    h.grad[...] = 0  # must not corrupt anything else
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


# ------------------------------------------------------------- graph freeing


def test_second_backward_through_freed_graph_raises():
    x = t32([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_freed_graph_error_names_the_op():
    x = t32([1.0, 2.0])
    loss = x.exp().sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="'sum'"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = t32([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # 2 · 2x
    with pytest.raises(RuntimeError, match="freed"):
        loss.backward()


def test_backward_frees_saved_buffers():
    x = t32([1.0, 2.0])
    y = x.exp()
    y.sum().backward()
    assert y._ctx.saved is None


# ------------------------------------------------------------- deep graphs


def test_chain_of_5000_ops_backprops_without_recursion():
    x = t32([1.0])
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0001**5000], rtol=1e-3)


def test_5000_parallel_branches_with_a_shared_leaf():
    x = t32([2.0])
    total = x * 0.0
    for _ in range(5000):
        total = total + x
    total.backward()
    np.testing.assert_array_equal(x.grad, [5000.0])


# ------------------------------------------------------------------ grad modes


def test_no_grad_context_records_nothing():
    w = t32([1.0, 2.0])
    with treino.no_grad():
        y = (w * 2.0).exp().sum()
        assert not treino.is_grad_enabled()
    assert treino.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


@pytest.mark.parametrize("decorator", [treino.no_grad, treino.no_grad()], ids=["bare", "called"])
def test_no_grad_decorator_records_nothing(decorator):
    w = t32([1.0, 2.0])

    @decorator
    def predict(v):
        return v * 2.0

    y = predict(w)
    assert not y.requires_grad and y._ctx is None
    assert treino.is_grad_enabled()
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


def test_no_grad_decorator_is_reentrant_and_restores_on_error():
    @treino.no_grad()
    def recurse(n):
        assert not treino.is_grad_enabled()
        return recurse(n - 1) if n else 0

    recurse(3)
    assert treino.is_grad_enabled()

    @treino.no_grad
    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fail()
    assert treino.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with treino.no_grad():
        worker = threading.Thread(target=lambda: seen.append(treino.is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


def test_enable_grad_inside_no_grad():
    w = t32([1.0, 2.0])
    with treino.no_grad():
        with treino.enable_grad():
            y = (w * w).sum()
        z = w * 2.0
    assert y.requires_grad and not z.requires_grad
    y.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])

    @treino.enable_grad
    def square_sum(v):
        return (v * v).sum()

    with treino.no_grad():
        assert square_sum(w).requires_grad


def test_detach_cuts_the_graph():
    w = t32([1.0, 2.0])
    d = (w * 2.0).detach()
    assert not d.requires_grad and d.is_leaf
    (w * d).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])  # d is a constant


# ------------------------------------------------------------- backward errors


def test_backward_on_non_scalar_without_grad_raises():
    x = t32([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*grad="):
        (x * 2.0).backward()


def test_backward_grad_of_wrong_shape_raises():
    x = t32([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_on_a_single_element_non_scalar_seeds_ones():
    x = t32([[3.0]])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[6.0]])


class _WrongShape(Function):
    def forward(self, x):
        return x * 2

    def backward(self, g):
        return g.sum(keepdims=True)


class _TooFewGrads(Function):
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g


def test_engine_rejects_a_gradient_of_the_wrong_shape():
    x = t32([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"'_wrongshape'.*\(1,\).*\(2,\)"):
        _WrongShape.apply(x).sum().backward()


def test_engine_rejects_the_wrong_number_of_gradients():
    x = t32([1.0, 2.0])
    with pytest.raises(RuntimeError, match="1 gradients for 2 inputs"):
        _TooFewGrads.apply(x, x).sum().backward()


# ------------------------------------------------------------------ unbroadcast


@pytest.mark.parametrize(
    ("grad_shape", "shape"),
    [
        ((4, 3), (3,)),
        ((4, 3), (4, 1)),
        ((4, 3), (1, 3)),
        ((4, 3), ()),
        ((2, 3, 4), (3, 1)),
        ((2, 3, 4), (2, 1, 4)),
        ((2, 3, 4), (1, 1, 1)),
        ((5, 1), (1,)),
    ],
)
def test_unbroadcast_sums_broadcast_axes(grad_shape, shape):
    grad = np.random.default_rng(0).normal(size=grad_shape)
    out = unbroadcast(grad, shape)
    assert out.shape == shape
    # The reference: the adjoint of np.broadcast_to, via ⟨G, broadcast(v)⟩ = ⟨unbroadcast(G), v⟩.
    v = np.random.default_rng(1).normal(size=shape)
    np.testing.assert_allclose(
        np.sum(grad * np.broadcast_to(v, grad_shape)), np.sum(out * v), rtol=1e-12
    )


def test_unbroadcast_values_and_identity():
    g = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(unbroadcast(g, (3,)), [18.0, 22.0, 26.0])
    np.testing.assert_array_equal(unbroadcast(g, (4, 1)), [[3.0], [12.0], [21.0], [30.0]])
    assert unbroadcast(g, (4, 3)) is g
    assert unbroadcast(g, ()) == 66.0


# ---------------------------------------------------------------- dtype policy


def test_tensor_from_python_floats_is_float32():
    assert treino.tensor(1.5).dtype == np.float32
    assert treino.tensor([1.0, 2.0]).dtype == np.float32
    assert treino.tensor([[1, 2.5]]).dtype == np.float32
    assert treino.tensor([1, 2]).dtype.kind == "i"
    assert treino.tensor(np.array([1.0])).dtype == np.float64  # NumPy arrays keep theirs
    assert treino.tensor([1.0], dtype="float64").dtype == np.float64


def test_set_floatx_changes_the_default():
    backend.set_floatx("float64")
    try:
        assert treino.tensor([1.0]).dtype == np.float64
    finally:
        backend.set_floatx("float32")
    assert treino.tensor([1.0]).dtype == np.float32


@pytest.mark.parametrize("values", [[1, 2], [True, False], np.arange(3)])
def test_int_and_bool_tensors_cannot_require_grad(values):
    with pytest.raises(TypeError, match="only float tensors can require gradients"):
        treino.tensor(values, requires_grad=True)


def test_cast_to_int_is_a_constant():
    x = t32([1.7, -2.2])
    i = x.astype("int32")
    assert i.dtype == np.int32 and not i.requires_grad
    np.testing.assert_array_equal(i.data, [1, -2])


def _float32_cases():
    """(id, function of one float32 tensor of shape (2, 3)) covering every op.

    Constants are Python floats and float64 NumPy values on purpose: none of
    them may turn the float32 computation into float64.
    """
    f64 = np.float64
    c = np.array([0.5, -1.0, 2.0])  # float64 array constant
    mask = np.array([[True, False, True], [False, True, True]])
    k = np.linspace(-1, 1, 12).reshape(3, 4)  # float64 kernel
    return [
        ("add", lambda t: ops.add(t, c)),
        ("radd", lambda t: 2.5 + t),
        ("add_f64_scalar", lambda t: t + f64(2.0)),
        ("subtract", lambda t: ops.subtract(f64(1.0), t)),
        ("multiply", lambda t: t * f64(0.5)),
        ("rmultiply_array", lambda t: c * t),
        ("divide", lambda t: ops.divide(t, c)),
        ("rdivide", lambda t: 1.0 / (t.abs() + 1.0)),
        ("power", lambda t: ops.power(t.abs() + 0.5, f64(1.5))),
        ("rpower", lambda t: f64(2.0) ** t),
        ("rpower_python", lambda t: 2**t),
        ("maximum", lambda t: ops.maximum(t, f64(0.1))),
        ("minimum", lambda t: ops.minimum(c, t)),
        ("where", lambda t: ops.where(mask, t, f64(0.0))),
        ("negative", lambda t: -t),
        ("exp", ops.exp),
        ("log", lambda t: ops.log(t.abs() + 1.0)),
        ("log1p", lambda t: ops.log1p(t.abs())),
        ("sqrt", lambda t: ops.sqrt(t.abs() + 1.0)),
        ("square", ops.square),
        ("abs", ops.abs),
        ("clip", lambda t: ops.clip(t, f64(-0.5), f64(0.5))),
        ("cast", lambda t: ops.cast(ops.cast(t, "float64"), "float32")),
        ("relu", ops.relu),
        ("relu6", ops.relu6),
        ("leaky_relu", lambda t: ops.leaky_relu(t, f64(0.1))),
        ("elu", lambda t: ops.elu(t, f64(0.7))),
        ("selu", ops.selu),
        ("gelu", ops.gelu),
        ("gelu_tanh", lambda t: ops.gelu(t, approximate=True)),
        ("sigmoid", ops.sigmoid),
        ("hard_sigmoid", ops.hard_sigmoid),
        ("tanh", ops.tanh),
        ("softplus", ops.softplus),
        ("softsign", ops.softsign),
        ("silu", ops.silu),
        ("mish", ops.mish),
        ("softmax", ops.softmax),
        ("log_softmax", lambda t: ops.log_softmax(t, axis=0)),
        ("linear_activation", ops.linear_activation),
        ("sum", lambda t: ops.sum(t, axis=1)),
        ("mean", lambda t: ops.mean(t, axis=0)),
        ("max", ops.max),
        ("min", lambda t: ops.min(t, axis=1, keepdims=True)),
        ("var", lambda t: ops.var(t, axis=1, ddof=1)),
        ("std", ops.std),
        ("logsumexp", lambda t: ops.logsumexp(t, axis=-1)),
        ("matmul", lambda t: ops.matmul(t, t.T)),
        ("matmul_const", lambda t: ops.matmul(t, k[:3])),
        ("linear", lambda t: ops.linear(t, k[:3], np.ones(4))),
        ("reshape", lambda t: ops.reshape(t, (3, 2))),
        ("transpose", ops.transpose),
        ("broadcast_to", lambda t: ops.broadcast_to(t, (4, 2, 3))),
        ("concatenate", lambda t: ops.concatenate([t, t * 2.0], axis=1)),
        ("stack", lambda t: ops.stack([t, t], axis=-1)),
        ("getitem", lambda t: t[:, [0, 0, 2]]),
        ("pad", lambda t: ops.pad(t, ((1, 0), (0, 2)), value=f64(1.0))),
        ("expand_dims", lambda t: ops.expand_dims(t, 0)),
        ("squeeze", lambda t: ops.squeeze(t[None])),
        ("flatten", lambda t: ops.flatten(t[None])),
        ("dropout", lambda t: ops.dropout(t, 0.5, seed=0)),
        ("softmax_cross_entropy", lambda t: ops.softmax_cross_entropy(t, np.array([0, 2]))),
        (
            "softmax_cross_entropy_dense",
            lambda t: ops.softmax_cross_entropy(t, np.full((2, 3), 1 / 3)),
        ),
        (
            "sigmoid_binary_cross_entropy",
            lambda t: ops.sigmoid_binary_cross_entropy(t, np.array(mask, dtype=np.float64)),
        ),
        # image and sequence ops: the (2, 3) input reshaped to an image / a sequence
        ("conv1d", lambda t: ops.conv1d(ops.reshape(t, (1, 2, 3)), f32(2, 3, 2))),
        ("conv2d", lambda t: ops.conv2d(ops.reshape(t, (1, 2, 3, 1)), f32(2, 2, 1, 2), f32(2))),
        ("max_pool1d", lambda t: ops.max_pool1d(ops.reshape(t, (1, 3, 2)), 2, padding="same")),
        ("max_pool2d", lambda t: ops.max_pool2d(ops.reshape(t, (1, 2, 3, 1)), (2, 2))),
        ("avg_pool1d", lambda t: ops.avg_pool1d(ops.reshape(t, (1, 3, 2)), 2, padding="same")),
        ("avg_pool2d", lambda t: ops.avg_pool2d(ops.reshape(t, (1, 2, 3, 1)), (2, 2))),
        ("global_avg_pool", lambda t: ops.global_avg_pool(ops.reshape(t, (1, 2, 3, 1)))),
        ("global_max_pool", lambda t: ops.global_max_pool(ops.reshape(t, (1, 3, 2)))),
        ("simple_rnn", lambda t: ops.simple_rnn(t[None], f32(1, 2), f32(3, 2), f32(2, 2))),
        ("lstm", lambda t: ops.lstm(t[None], f32(1, 2), f32(1, 2), f32(3, 8), f32(2, 8))),
        ("gru", lambda t: ops.gru(t[None], f32(1, 2), f32(3, 6), f32(2, 6), f32(2, 6))),
        ("shake_shake", lambda t: ops.shake_shake(t, t * 2.0, f32(2, 1), f32(2, 1))),
    ]


def f32(*shape):
    """A fixed float32 operand (weights, states) for the float32 cases."""
    return np.linspace(-0.5, 0.5, int(np.prod(shape)), dtype=np.float32).reshape(shape)


_CASES = _float32_cases()


def test_float32_cases_cover_every_op():
    names = {name for name, _ in _CASES}
    covered = {op for op in ops.__all__ if any(n == op or n.startswith(op + "_") for n in names)}
    assert covered == set(ops.__all__)


@pytest.mark.parametrize(("name", "fn"), _CASES, ids=[name for name, _ in _CASES])
def test_float32_stays_float32_forward_and_backward(name, fn):
    x = treino.tensor(
        np.array([[0.3, -1.2, 2.0], [1.1, -0.4, 0.7]], dtype=np.float32), requires_grad=True
    )
    with np.errstate(all="ignore"):
        out = fn(x)
    assert out.dtype == np.float32, f"{name}: forward gave {out.dtype}"
    # Every op in the graph must hand each input a gradient of the input's dtype
    # (the engine's leaf cast would otherwise hide a float64 backward).
    for node in _topological_order(out):
        ctx = node._ctx
        if ctx is None:
            continue
        grads = ctx.backward(np.ones_like(node.data))
        grads = grads if isinstance(grads, tuple) else (grads,)
        for parent, needed, g in zip(ctx.parents, ctx.needs_input_grad, grads, strict=True):
            if needed:
                assert g.dtype == parent.dtype, f"{name}: {ctx.name} backward gave {g.dtype}"
                assert g.shape == parent.shape
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32


def _mixed_dtype_calls():
    def pair():
        return t32(np.ones((2, 2))), treino.tensor(np.ones((2, 2)), requires_grad=True)

    return [
        ("add", lambda a, b: a + b),
        ("subtract", lambda a, b: a - b),
        ("multiply", lambda a, b: b * a),
        ("divide", lambda a, b: a / b),
        ("power", lambda a, b: a**b),
        ("maximum", ops.maximum),
        ("minimum", ops.minimum),
        ("where", lambda a, b: ops.where(np.eye(2, dtype=bool), a, b)),
        ("matmul", lambda a, b: a @ b),
        ("linear", ops.linear),
        ("concatenate", lambda a, b: ops.concatenate([a, b])),
        ("stack", lambda a, b: ops.stack([a, b])),
        ("softmax_cross_entropy", ops.softmax_cross_entropy),
        ("sigmoid_binary_cross_entropy", ops.sigmoid_binary_cross_entropy),
    ], pair


_MIXED, _pair = _mixed_dtype_calls()


@pytest.mark.parametrize(("name", "fn"), _MIXED, ids=[name for name, _ in _MIXED])
def test_mixing_float32_and_float64_tensors_raises_naming_the_op(name, fn):
    a, b = _pair()
    with pytest.raises(TypeError, match=rf"^{name}: .*float32 and float64"):
        fn(a, b)
    with pytest.raises(TypeError, match=rf"^{name}: "):
        fn(b, a)


def test_int_tensor_follows_the_float_operand():
    i = treino.tensor([1, 2])
    x = t32([0.5, 0.25])
    assert (i * x).dtype == np.float32
    assert (x + i).dtype == np.float32
    assert ops.concatenate([x, i]).dtype == np.float32


# --------------------------------------------------------- manual updates


def test_data_is_writable_for_manual_updates():
    w = t32([1.0, 2.0])
    (w * w).sum().backward()
    with treino.no_grad():
        w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, [0.8, 1.6], rtol=1e-6)
    w.data[0] = 5.0
    assert w.data.dtype == np.float32 and w.requires_grad and w.is_leaf
    w.zero_grad()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [10.0, 3.2], rtol=1e-6)


# ------------------------------------------------------------ determinism


def _graph():
    a = treino.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True, name="a")
    b = treino.tensor(np.array([3.0, 4.0], dtype=np.float32), requires_grad=True, name="b")
    h = (a * b).tanh()
    h.name = "h"
    left = (h * a).exp()
    left.name = "left"
    right = (h + b).sigmoid()
    right.name = "right"
    out = (left * right).sum()
    out.name = "out"
    return out, a, b


def test_topological_order_is_deterministic_and_valid():
    out1, *_ = _graph()
    out2, *_ = _graph()
    order1 = [n.name for n in _topological_order(out1)]
    order2 = [n.name for n in _topological_order(out2)]
    assert order1 == order2
    nodes = _topological_order(out1)
    position = {id(n): i for i, n in enumerate(nodes)}
    assert len(position) == len(nodes)  # each node once
    for n in nodes:
        if n._ctx is not None:
            for p, needed in zip(n._ctx.parents, n._ctx.needs_input_grad, strict=True):
                if needed:
                    assert position[id(p)] < position[id(n)]
    assert nodes[-1] is out1
    # Parents are visited in argument order: the left branch comes first.
    named = [n for n in order1 if n is not None]
    assert named.index("a") < named.index("b") < named.index("h")
    assert named.index("left") < named.index("right") < named.index("out")


def test_backward_is_bitwise_repeatable():
    out1, a1, b1 = _graph()
    out1.backward()
    out2, a2, b2 = _graph()
    out2.backward()
    assert a1.grad.tobytes() == a2.grad.tobytes()
    assert b1.grad.tobytes() == b2.grad.tobytes()


def test_tensor_is_hashable_and_compares_by_identity():
    a = t32([1.0])
    b = t32([1.0])
    assert a in {a: 1}
    assert b not in {a: 1}
    assert isinstance(a < 2.0, Tensor) and bool((a < 2.0).data[0])
