"""The kernels behind the speed-ups, each held to the plain formula it replaces.

Fused Dense/Conv + ReLU against the op followed by ``relu`` (values, gradients,
gradcheck); Adam on a reused workspace against the textbook update and without
new state arrays; the subnormal flush; leaves that keep a fresh gradient array
without ever sharing it; the 16-bit dropout mask's rate and scale.
"""

import numpy as np
import pytest

import treino
from treino import layers, models, ops
from treino.ops.conv import conv1d, conv2d
from treino.ops.nn import MASK_LEVELS, keep_mask
from treino.optimizers.adam import adam_update
from treino.optimizers.base import FLUSH_SUBNORMALS_EVERY, flush_subnormals
from treino.variables import Variable


def data(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _grads(fn, *arrays):
    tensors = [treino.Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*tensors)
    (y * treino.Tensor(data(*y.shape, seed=9))).sum().backward()
    return y.numpy(), [t.grad for t in tensors]


# ----------------------------------------------------------- fused ReLU
FUSED = {
    "linear": (lambda x, k, b, **r: ops.linear(x, k, b, **r), (5, 4), (4, 3)),
    "conv2d": (lambda x, k, b, **r: conv2d(x, k, b, (1, 1), "same", (1, 1), **r),
               (2, 5, 4, 2), (3, 3, 2, 3)),  # fmt: skip
    "conv1d": (lambda x, k, b, **r: conv1d(x, k, b, 2, "causal", 1, **r), (2, 7, 2), (3, 2, 3)),
}


@pytest.mark.parametrize("name", FUSED)
def test_fused_relu_equals_the_op_then_relu(name):
    fn, x_shape, k_shape = FUSED[name]
    x, k, b = data(*x_shape), data(*k_shape, seed=1), data(k_shape[-1], seed=2)
    fused, fused_grads = _grads(lambda *t: fn(*t, relu=True), x, k, b)
    plain, plain_grads = _grads(lambda *t: ops.relu(fn(*t)), x, k, b)
    assert (fused == 0).any() and (fused > 0).any()  # both sides of the kink are exercised
    np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-12)
    for got, expected in zip(fused_grads, plain_grads, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert treino.gradcheck(lambda *t: fn(*t, relu=True), x, k, b)


@pytest.mark.parametrize("layer", [
    lambda: layers.Dense(3, activation="relu"),
    lambda: layers.Conv2D(3, 3, padding="same", activation="relu"),
    lambda: layers.Conv1D(3, 2, activation="relu"),
])  # fmt: skip
def test_layers_with_relu_take_the_fused_path(layer):
    layer = layer()
    x = data(*((4, 6) if isinstance(layer, layers.Dense) else
               (2, 5, 5, 2) if isinstance(layer, layers.Conv2D) else (2, 6, 2)),
             dtype=np.float32)  # fmt: skip
    y = layer(treino.Tensor(x, requires_grad=True))
    assert y._ctx.name in ("linear", "conv2d", "conv1d")  # one op: no separate relu node
    if isinstance(layer, layers.Dense):
        expected = np.maximum(x @ layer.kernel.numpy() + layer.bias.numpy(), 0)
    else:  # the same convolution op unfused, then relu
        expected = ops.relu(layer.convolution(treino.Tensor(x), layer.kernel, layer.bias,
                                              layer.strides, layer.padding,
                                              layer.dilation_rate)).numpy()  # fmt: skip
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ Adam
def test_adam_with_a_workspace_matches_the_textbook_update():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(7, 5)).astype(np.float32)
    m, v = np.zeros_like(w), np.zeros_like(w)
    w_ref, m_ref, v_ref = w.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    out = np.empty_like(w)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    for t in range(1, 6):
        g = rng.normal(size=w.shape).astype(np.float32)
        adam_update(w, g, m, v, t, lr=lr, beta_1=b1, beta_2=b2, epsilon=eps, out=out)
        m_ref = b1 * m_ref + (1 - b1) * g
        v_ref = b2 * v_ref + (1 - b2) * g.astype(np.float64) ** 2
        m_hat, v_hat = m_ref / (1 - b1**t), v_ref / (1 - b2**t)
        w_ref = w_ref - lr * m_hat / (np.sqrt(v_hat) + eps)  # PyTorch's ε placement
    assert w.dtype == m.dtype == v.dtype == np.float32
    np.testing.assert_allclose(m, m_ref, rtol=1e-5)
    np.testing.assert_allclose(v, v_ref, rtol=1e-5)
    np.testing.assert_allclose(w, w_ref, rtol=1e-5, atol=1e-6)


def test_optimizer_steps_reuse_their_state_and_workspace():
    model = models.Sequential([layers.Input((6,)), layers.Dense(4), layers.Dense(4)])
    optimizer = treino.optimizers.Adam(0.01)
    variables = model.trainable_weights
    grads = [np.ones(v.shape, np.float32) for v in variables]
    optimizer.apply(grads, variables)
    arrays = {id(a) for state in optimizer.state.values() for a in state.values()
              if isinstance(a, np.ndarray)}  # fmt: skip
    workspaces = {id(a) for a in optimizer._workspaces.values()}
    for _ in range(3):
        optimizer.apply(grads, variables)
    assert arrays == {id(a) for state in optimizer.state.values() for a in state.values()
                      if isinstance(a, np.ndarray)}  # fmt: skip
    assert workspaces == {id(a) for a in optimizer._workspaces.values()}
    # one workspace per (shape, dtype): the two (4,) biases share one
    assert len(optimizer._workspaces) == len({(v.shape, v.dtype) for v in variables})


# ------------------------------------------------------------ subnormals
def test_flush_subnormals_zeroes_only_subnormals():
    tiny = np.finfo(np.float32).tiny  # the smallest normal
    a = np.array([tiny, tiny / 2, -tiny / 4, 1e-45, 0.0, -1.0, 3e38], dtype=np.float32)
    flush_subnormals(a)
    np.testing.assert_array_equal(a, np.array([tiny, 0, 0, 0, 0, -1, 3e38], np.float32))
    b = np.array([1e-310, 1e-300], dtype=np.float64)  # float64 has its own range
    flush_subnormals(b)
    np.testing.assert_array_equal(b, [0.0, 1e-300])


def test_optimizer_state_is_flushed_while_training():
    """A weight whose gradient stops: its Adam m decays geometrically into subnormals."""
    w = Variable(np.ones(3, np.float32), "w")
    optimizer = treino.optimizers.Adam(1e-3)
    optimizer.apply([np.array([1.0, 1.0, 1.0], np.float32)], [w])
    m = optimizer.state[w]["m"]
    m[:] = np.finfo(np.float32).tiny * 4  # m about to cross into the subnormal range
    zero = np.zeros(3, np.float32)
    for _ in range(2 * FLUSH_SUBNORMALS_EVERY):
        optimizer.apply([zero], [w])
    assert not ((m != 0) & (np.abs(m) < np.finfo(np.float32).tiny)).any()


# --------------------------------------------------- leaves own their grads
def test_leaves_never_share_a_gradient_array():
    a = treino.Tensor(np.ones(3), requires_grad=True)
    b = treino.Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()  # add's backward hands the same array to both
    assert a.grad is not b.grad
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1, 1, 1])
    (a + b).sum().backward()  # accumulation into one never reaches the other
    np.testing.assert_array_equal(a.grad, [3, 3, 3])
    np.testing.assert_array_equal(b.grad, [2, 2, 2])


def test_a_leaf_does_not_keep_the_callers_gradient():
    a = treino.Tensor(np.ones(3), requires_grad=True)
    seed = np.array([1.0, 2.0, 3.0])
    (a * 1.0).backward(grad=seed)
    a.grad += 10
    np.testing.assert_array_equal(seed, [1, 2, 3])
    b = treino.Tensor(np.ones(3), requires_grad=True)
    b.backward(grad=seed)  # the root itself is the leaf
    b.grad += 10
    np.testing.assert_array_equal(seed, [1, 2, 3])


def test_a_retained_gradient_and_a_leaf_do_not_alias():
    a = treino.Tensor(np.ones((2, 2)), requires_grad=True)
    h = a * 2.0
    h.retain_grad()
    y = h.reshape(4)
    y.sum().backward()
    a.grad += 100
    np.testing.assert_array_equal(h.grad, np.ones((2, 2)))


# ------------------------------------------------------------- dropout mask
@pytest.mark.parametrize("rate", [0.1, 0.25, 0.5, 0.9])
def test_keep_mask_has_the_rate_and_the_scale(rate):
    keep, scale = keep_mask(np.random.default_rng(0), (400, 500), rate)
    assert keep.dtype == bool and keep.shape == (400, 500)
    n = keep.size
    assert abs((1 - keep.mean()) - rate) < 4 * np.sqrt(rate * (1 - rate) / n)  # 4 σ
    assert scale == pytest.approx(1 / (1 - rate))
    threshold = round(rate * MASK_LEVELS)
    assert abs(threshold / MASK_LEVELS - rate) <= 0.5 / MASK_LEVELS


def test_keep_mask_is_reproducible_and_uses_every_random_word():
    first, _ = keep_mask(np.random.default_rng(3), (10, 7), 0.5)
    again, _ = keep_mask(np.random.default_rng(3), (10, 7), 0.5)
    np.testing.assert_array_equal(first, again)
    rng = np.random.default_rng(3)
    keep_mask(rng, (5,), 0.5)  # 5 values take ⌈5/4⌉ = 2 words
    reference = np.random.default_rng(3)
    reference.bit_generator.random_raw(2)
    assert rng.bit_generator.random_raw() == reference.bit_generator.random_raw()


def test_dropout_layer_keeps_the_expected_value():
    x = treino.Tensor(np.ones((200, 300), np.float32))
    y = layers.Dropout(0.3, seed=1)(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert y.mean() == pytest.approx(1.0, abs=0.02)


# ------------------------------------------------ large parameters in halves
@pytest.mark.parametrize("make", [lambda: treino.optimizers.Adam(0.01),
                                  lambda: treino.optimizers.SGD(0.1, momentum=0.9)])
def test_a_large_parameter_updated_in_halves_matches_one_thread(monkeypatch, make):
    from treino import backend
    from treino.optimizers import base

    monkeypatch.setattr(base, "PARALLEL_MIN_SIZE", 64)
    rng = np.random.default_rng(0)
    start = rng.normal(size=(13, 11)).astype(np.float32)  # 143 values: halves of 71 and 72
    grads = [rng.normal(size=start.shape).astype(np.float32) for _ in range(20)]
    results = []
    for threads in (2, 1):
        monkeypatch.setattr(backend, "_num_threads", threads)
        w, optimizer = Variable(start.copy(), "w"), make()
        for g in grads:
            optimizer.apply([g], [w])
        results.append(w.numpy())
    assert not np.array_equal(results[0], start)
    np.testing.assert_array_equal(results[0], results[1])


def test_an_error_on_the_helper_thread_reaches_the_caller(monkeypatch):
    from treino import backend
    from treino.optimizers import base

    monkeypatch.setattr(base, "PARALLEL_MIN_SIZE", 8)
    monkeypatch.setattr(backend, "_num_threads", 2)
    optimizer = treino.optimizers.Adam(0.01)
    seen = []

    def failing(param, grad, state, lr):
        seen.append(param.size)
        if len(seen) == 2:
            raise FloatingPointError("boom")

    monkeypatch.setattr(optimizer, "update_step", failing)
    with pytest.raises(FloatingPointError, match="boom"):
        optimizer.apply([np.ones(20, np.float32)], [Variable(np.zeros(20, np.float32), "w")])
    assert sorted(seen) == [10, 10]
    # the helper is free again: the next update goes through
    monkeypatch.undo()
    optimizer = treino.optimizers.Adam(0.01)
    optimizer.apply([np.ones(20, np.float32)], [Variable(np.zeros(20, np.float32), "w")])


def test_set_num_threads_checks_its_argument():
    from treino import backend

    with pytest.raises(ValueError, match="positive int"):
        backend.set_num_threads(0)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_helper_thread(monkeypatch):
    import os

    from treino import backend
    from treino.optimizers import base

    monkeypatch.setattr(base, "PARALLEL_MIN_SIZE", 8)
    monkeypatch.setattr(backend, "_num_threads", 2)
    w = Variable(np.zeros(20, np.float32), "w")
    treino.optimizers.Adam(0.01).apply([np.ones(20, np.float32)], [w])  # the helper exists now
    pid = os.fork()
    if pid == 0:  # the child: an update in halves must not wait for the parent's thread
        try:
            treino.optimizers.Adam(0.01).apply([np.ones(20, np.float32)], [w])
            os._exit(0)
        except BaseException:
            os._exit(1)
    import signal
    import time

    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung waiting for the parent's helper thread")
    assert os.waitstatus_to_exitcode(done[1]) == 0


# ------------------------------------------ cached lists of a model's structure
def _small_model():
    model = treino.models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                                      layers.Dense(2)])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_trainable_weights_follow_every_change_of_structure():
    model = _small_model()
    first, second = model.layers
    assert len(model.trainable_weights) == 4
    first.trainable = False  # a layer frozen after the list was cached
    assert [w.path for w in model.trainable_weights] == [w.path for w in second.weights]
    first.trainable = True
    second.kernel.trainable = False  # one variable frozen
    assert second.kernel not in model.trainable_weights and len(model.trainable_weights) == 3
    second.kernel.trainable = True
    model.add(layers.Dense(1))  # a layer added, then built by a call
    model(np.zeros((1, 3), np.float32))
    assert len(model.trainable_weights) == 6
    model.pop()
    assert len(model.trainable_weights) == 4
    returned = model.trainable_weights
    returned.clear()  # callers get their own list
    assert len(model.trainable_weights) == 4


def test_freezing_a_layer_between_fits_stops_its_updates():
    model = _small_model()
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = np.ones((16, 2), np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    frozen = model.layers[0].kernel.numpy().copy()
    model.layers[0].trainable = False
    model.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), frozen)


def test_penalties_follow_regularizers_set_after_the_first_call():
    model = _small_model()
    x = np.ones((2, 3), np.float32)
    model(x)
    assert model.losses == []
    first = model.layers[0]
    first.kernel.regularizer = treino.regularizers.L2(0.5)
    assert len(model.losses) == 1
    expected = 0.5 * float(np.sum(first.kernel.numpy() ** 2))
    assert model.losses[0].item() == pytest.approx(expected, rel=1e-6)
    first.activity_regularizer = treino.regularizers.L1(0.1)
    model(x)
    assert len(model.losses) == 2
    first.trainable = False  # a frozen layer's weight penalty is a constant: left out
    assert len(model.losses) == 1


def test_an_input_shape_is_checked_again_when_the_spec_changes():
    dense = layers.Dense(2)
    dense(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="incompatible"):
        dense(np.zeros((1, 4), np.float32))
    dense(np.zeros((5, 3), np.float32))  # another batch size passes



def test_the_training_loop_keeps_the_cached_structure(monkeypatch):
    from treino.layers import base
    from treino.variables import Structure

    model = _small_model()
    x, y = np.ones((8, 3), np.float32), np.ones((8, 2), np.float32)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    walks = []
    walk = base.Layer._walk_layers
    monkeypatch.setattr(base.Layer, "_walk_layers", lambda self: walks.append(1) or walk(self))
    version = Structure.version
    model.fit(x, y, batch_size=2, epochs=2, verbose=0)  # sets current_batch, diverged … per step
    assert Structure.version == version and walks == []
    model.layers[0].replacement = layers.Dense(1)  # a layer set as an attribute is structure
    assert Structure.version > version


# ------------------------------------------- reductions along a short last axis
@pytest.mark.parametrize("shape", [(512, 10), (3, 100, 4), (200, 16), (8, 10), (300, 40)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_reduce_keepdims_matches_numpy(shape, dtype):
    from treino.ops._util import reduce_keepdims

    x = (data(*shape, seed=3) * 50).astype(dtype)
    for axis in range(-1, len(shape)):
        np.testing.assert_array_equal(reduce_keepdims(np.maximum, x, axis),
                                      np.max(x, axis=axis, keepdims=True))  # fmt: skip
        scale = np.sum(np.abs(x), axis=axis, keepdims=True).astype(np.float64)
        error = np.abs(reduce_keepdims(np.add, x, axis) - np.sum(x, axis=axis, keepdims=True))
        assert np.all(error <= 4 * np.finfo(np.float32).eps * scale)  # the order of additions
    view = x[..., ::2]  # not contiguous: the plain reduction
    np.testing.assert_array_equal(reduce_keepdims(np.maximum, view, -1),
                                  np.max(view, axis=-1, keepdims=True))  # fmt: skip


# ------------------------------------------------- ReLU against a row of zeros
@pytest.mark.parametrize("shape", [(7,), (3, 5), (16384,), (16385,), (6, 50176), (40000, 3)])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_into_matches_maximum_with_zero(shape, order, dtype):
    from treino.ops._util import relu_into

    x = np.asarray(data(*shape, seed=4), dtype=dtype, order=order)
    x.flat[::97] = np.nan  # NaN stays NaN, as with np.maximum
    expected = np.maximum(x, 0)
    out = np.empty_like(x)
    assert relu_into(x, out) is out
    np.testing.assert_array_equal(out, expected)
    in_place = x.copy(order="K")
    assert relu_into(in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)


def test_relu_into_leaves_what_is_outside_a_view_alone():
    from treino.ops._util import relu_into

    x = data(6, 8, seed=5)
    before = x.copy()
    relu_into(x[:, ::2])  # not one block of memory: the plain call
    relu_into(x[:2])  # one block inside a larger array
    expected = before.copy()
    expected[:, ::2] = np.maximum(before[:, ::2], 0)
    expected[:2] = np.maximum(expected[:2], 0)
    np.testing.assert_array_equal(x, expected)
    out = np.empty((8, 6)).T  # Fortran order against a C-ordered input: the plain call
    np.testing.assert_array_equal(relu_into(before, out), np.maximum(before, 0))


# ------------------------------------------------------------ the allocator
def test_fit_keeps_freed_memory_for_the_next_batch(monkeypatch):
    import platform

    from treino import backend

    calls = []
    monkeypatch.setattr(backend, "keep_freed_memory", lambda: calls.append(1) or True)
    _small_model().fit(np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    assert calls == [1]
    monkeypatch.undo()
    tuned = backend.keep_freed_memory()
    assert tuned == (platform.libc_ver()[0] == "glibc")
    assert backend.keep_freed_memory() == tuned  # once per process: the answer stays
