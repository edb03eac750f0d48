"""treino.layers against PyTorch: float32 forward passes and gradients (inputs and weights).

Each test runs the same float32 data through a treino layer and the matching
PyTorch module with the same weights, back-propagates the same random
upstream gradient ``G`` (not a plain sum, which would make BatchNorm's input
gradient vanish), and compares outputs and every gradient.
"""

import numpy as np
import pytest

import treino
from treino.layers import (
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    LayerNormalization,
    Reshape,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL, ATOL = 1e-5, 1e-6


def data(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _numpy(a):
    return a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(_numpy(ours), _numpy(theirs), rtol=rtol, atol=atol)


def treino_pass(layer, inputs, upstream, **call_kwargs):
    """Forward and backward through a treino layer: (y, input grads, {weight name: grad})."""
    xs = [treino.tensor(x, requires_grad=True) for x in inputs]
    y = layer(xs if len(xs) > 1 else xs[0], **call_kwargs)
    assert y.dtype == np.float32
    y.backward(upstream)
    return y.numpy(), [x.grad for x in xs], {w.name: w.grad for w in layer.trainable_weights}


def torch_pass(fn, inputs, upstream):
    """Forward and backward through ``fn`` in PyTorch: (y, input grads)."""
    ts = [torch.tensor(x, requires_grad=True) for x in inputs]
    y = fn(*ts)
    y.backward(torch.from_numpy(upstream))
    return y.detach().numpy(), [t.grad for t in ts]


def set_param(param, value):
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.ascontiguousarray(value)))


# -------------------------------------------------------------------- Dense
@pytest.mark.parametrize("shape", [(8, 5), (1, 5), (2, 3, 5)], ids=["2d", "batch_1", "3d"])
def test_dense_vs_linear(shape):
    layer = Dense(4, bias_initializer="random_normal")
    x = data(*shape)
    G = data(*shape[:-1], 4, seed=1)
    y, (gx,), grads = treino_pass(layer, [x], G)

    linear = torch.nn.Linear(5, 4)
    set_param(linear.weight, layer.kernel.numpy().T)  # Keras (in, out) ↔ PyTorch (out, in)
    set_param(linear.bias, layer.bias.numpy())
    ty, (tgx,) = torch_pass(linear, [x], G)
    close(y, ty)
    close(gx, tgx)
    close(grads["kernel"], linear.weight.grad.T)
    close(grads["bias"], linear.bias.grad)


TORCH_ACTIVATIONS = {
    "relu": F.relu,
    "relu6": F.relu6,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.2),  # Keras' default slope
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": F.hardsigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "silu": F.silu,
    "mish": F.mish,
    "softmax": lambda z: torch.softmax(z, dim=-1),
    "log_softmax": lambda z: torch.log_softmax(z, dim=-1),
}


@pytest.mark.parametrize("name", sorted(TORCH_ACTIVATIONS))
def test_dense_with_activation_vs_torch(name):
    layer = Dense(6, activation=name, use_bias=name != "softmax")
    x = data(10, 4) * 2
    G = data(10, 6, seed=1)
    y, (gx,), grads = treino_pass(layer, [x], G)
    kernel = torch.tensor(layer.kernel.numpy(), requires_grad=True)
    bias = torch.tensor(layer.bias.numpy(), requires_grad=True) if layer.use_bias else None

    def reference(t):
        z = t @ kernel
        return TORCH_ACTIVATIONS[name](z if bias is None else z + bias)

    ty, (tgx,) = torch_pass(reference, [x], G)
    close(y, ty)
    close(gx, tgx)
    close(grads["kernel"], kernel.grad)
    if bias is not None:
        close(grads["bias"], bias.grad)


@pytest.mark.parametrize("name", ["relu", "tanh", "softmax", "gelu"])
def test_activation_layer_vs_torch(name):
    x = data(5, 7)
    G = data(5, 7, seed=1)
    y, (gx,), _ = treino_pass(Activation(name), [x], G)
    ty, (tgx,) = torch_pass(TORCH_ACTIVATIONS[name], [x], G)
    close(y, ty)
    close(gx, tgx)


# -------------------------------------------------------- BatchNormalization
def _torch_bn(layer, ndim):
    """nn.BatchNorm1d (2-D input) or 2d (4-D) with the treino layer's ε, momentum and weights."""
    cls = torch.nn.BatchNorm2d if ndim == 4 else torch.nn.BatchNorm1d
    bn = cls(layer.moving_mean.shape[0], eps=layer.epsilon, momentum=1 - layer.momentum)
    set_param(bn.weight, layer.gamma.numpy())
    set_param(bn.bias, layer.beta.numpy())
    set_param(bn.running_mean, layer.moving_mean.numpy())
    set_param(bn.running_var, layer.moving_variance.numpy())
    return bn


def _bn_layer(**kwargs):
    return BatchNormalization(
        gamma_initializer="random_uniform", beta_initializer="random_normal", **kwargs
    )


# (id, treino input shape, BN axis, NHWC → torch layout permutation or None, rtol)
BN_CASES = [
    ("nc", (16, 5), -1, None, RTOL),
    ("nhwc", (4, 6, 6, 3), -1, (0, 3, 1, 2), 1e-4),
    ("nchw_axis1", (4, 3, 6, 6), 1, None, 1e-4),
    ("nhwc_batch_1", (1, 5, 5, 2), -1, (0, 3, 1, 2), 1e-4),
    ("large_mean", (32, 4), -1, None, 1e-4),
]


def _to_torch_layout(x, perm):
    return x if perm is None else np.transpose(x, perm)


def _from_torch_layout(t, perm):
    array = _numpy(t)
    return array if perm is None else np.transpose(array, np.argsort(perm))


@pytest.mark.parametrize(
    "shape, axis, perm, rtol", [c[1:] for c in BN_CASES], ids=[c[0] for c in BN_CASES]
)
def test_batch_normalization_training_vs_torch(shape, axis, perm, rtol):
    layer = _bn_layer(axis=axis)
    x = data(*shape) * 3 + (50 if shape == (32, 4) else 1)
    G = data(*shape, seed=1)
    layer(x[:1])  # build, then copy the initial weights to PyTorch
    bn = _torch_bn(layer, len(shape))
    y, (gx,), grads = treino_pass(layer, [x], G, training=True)
    bn.train()
    ty, (tgx,) = torch_pass(bn, [_to_torch_layout(x, perm)], _to_torch_layout(G, perm))
    close(y, _from_torch_layout(ty, perm), rtol=rtol)
    close(gx, _from_torch_layout(tgx, perm), rtol=rtol, atol=1e-5)
    close(grads["gamma"], bn.weight.grad, rtol=rtol, atol=1e-5)
    close(grads["beta"], bn.bias.grad, rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("momentum", [0.99, 0.9])
@pytest.mark.parametrize(
    "shape, axis, perm", [((16, 5), -1, None), ((3, 4, 4, 2), -1, (0, 3, 1, 2))]
)
def test_batch_normalization_moving_statistics_vs_torch(shape, axis, perm, momentum):
    """Keras' momentum m is PyTorch's 1 − m, and PyTorch's running_var takes the
    *unbiased* batch variance: each step adds (1 − m)·σ²·n/(n−1) there, (1 − m)·σ² here."""
    layer = _bn_layer(axis=axis, momentum=momentum)
    layer(data(*shape)[:1])
    bn = _torch_bn(layer, len(shape))
    bn.train()
    channels = layer.moving_mean.shape[0]
    n = int(np.prod(shape)) // channels  # values per channel in a batch
    expected_variance = layer.moving_variance.numpy().astype(np.float64)
    for step in range(3):
        x = data(*shape, seed=step) * (step + 1) + step
        torch_before = bn.running_var.numpy().astype(np.float64)
        layer(x, training=True)
        with torch.no_grad():
            bn(torch.from_numpy(_to_torch_layout(x, perm)))
        close(layer.moving_mean.numpy(), bn.running_mean)
        added = bn.running_var.numpy() - momentum * torch_before  # (1 − m) · unbiased σ²
        expected_variance = momentum * expected_variance + added * (n - 1) / n
        close(layer.moving_variance.numpy(), expected_variance)
    assert int(bn.num_batches_tracked) == 3


@pytest.mark.parametrize("shape, axis, perm", [((8, 3), -1, None), ((2, 4, 4, 3), -1, (0, 3, 1, 2)),
                                               ((2, 3, 4, 4), 1, None)])  # fmt: skip
def test_batch_normalization_inference_vs_torch_eval(shape, axis, perm):
    layer = _bn_layer(axis=axis)
    layer(data(*shape)[:1])
    layer.moving_mean.assign(data(3, seed=5))
    layer.moving_variance.assign(np.abs(data(3, seed=6)) + 0.5)
    bn = _torch_bn(layer, len(shape))
    bn.eval()
    x, G = data(*shape), data(*shape, seed=1)
    y, (gx,), grads = treino_pass(layer, [x], G)  # training=None: inference
    ty, (tgx,) = torch_pass(bn, [_to_torch_layout(x, perm)], _to_torch_layout(G, perm))
    close(y, _from_torch_layout(ty, perm))
    close(gx, _from_torch_layout(tgx, perm))
    close(grads["gamma"], bn.weight.grad, atol=1e-5)
    close(grads["beta"], bn.bias.grad, atol=1e-5)


# -------------------------------------------------------- LayerNormalization
# (id, input shape, treino axis, permutation that moves the normalised axes last)
LN_CASES = [
    ("last", (6, 10), -1, None),
    ("batch_1", (1, 7), -1, None),
    ("axes_1_2", (2, 3, 4), [1, 2], None),
    ("axes_last_three", (2, 3, 4, 5), [-3, -2, -1], None),
    ("axis_1_of_3d", (2, 5, 4), 1, (0, 2, 1)),
]


@pytest.mark.parametrize(
    "shape, axis, perm", [c[1:] for c in LN_CASES], ids=[c[0] for c in LN_CASES]
)
def test_layer_normalization_vs_torch(shape, axis, perm):
    layer = LayerNormalization(
        axis=axis, gamma_initializer="random_uniform", beta_initializer="random_normal"
    )
    x, G = data(*shape) * 2 + 1, data(*shape, seed=1)
    y, (gx,), grads = treino_pass(layer, [x], G)
    normalized_shape = layer.gamma.shape
    ln = torch.nn.LayerNorm(normalized_shape, eps=1e-3)
    set_param(ln.weight, layer.gamma.numpy())
    set_param(ln.bias, layer.beta.numpy())
    ty, (tgx,) = torch_pass(ln, [_to_torch_layout(x, perm)], _to_torch_layout(G, perm))
    close(y, _from_torch_layout(ty, perm))
    close(gx, _from_torch_layout(tgx, perm), atol=1e-5)
    close(grads["gamma"], ln.weight.grad, atol=1e-5)
    close(grads["beta"], ln.bias.grad, atol=1e-5)


@pytest.mark.parametrize("shape, axis", [((6, 8), -1), ((2, 3, 4), [1, 2])])
def test_layer_normalization_rms_scaling_vs_rmsnorm(shape, axis):
    layer = LayerNormalization(axis=axis, rms_scaling=True, gamma_initializer="random_uniform")
    x, G = data(*shape) + 0.5, data(*shape, seed=1)
    y, (gx,), grads = treino_pass(layer, [x], G)
    rms = torch.nn.RMSNorm(layer.gamma.shape, eps=1e-3)
    set_param(rms.weight, layer.gamma.numpy())
    ty, (tgx,) = torch_pass(rms, [x], G)
    close(y, ty)
    close(gx, tgx, atol=1e-5)
    close(grads["gamma"], rms.weight.grad, atol=1e-5)


# ----------------------------------------------------------------- Embedding
def test_embedding_vs_torch_with_repeated_ids():
    layer = Embedding(6, 4)
    ids = np.array([[1, 3, 1, 1], [5, 0, 3, 1]])
    G = data(2, 4, 4, seed=1)
    y = layer(ids)
    y.backward(G)
    emb = torch.nn.Embedding(6, 4)
    set_param(emb.weight, layer.embeddings.numpy())
    ty = emb(torch.from_numpy(ids))
    ty.backward(torch.from_numpy(G))
    close(y.numpy(), ty)
    close(layer.embeddings.grad, emb.weight.grad)  # id 1 appears 4 times: 4 gradients summed
    assert np.all(layer.embeddings.grad[[2, 4]] == 0)


# ------------------------------------------------------------------- Dropout
def test_dropout_with_a_fixed_mask_follows_torch_rule():
    """PyTorch and treino draw different masks; given a mask, both compute
    y = x·m/(1 − p) and ∂L/∂x = G·m/(1 − p) — checked here for each."""
    p = 0.3
    x = np.abs(data(20, 30)) + 0.1  # non-zero, so the mask can be read from the output
    G = data(20, 30, seed=1)
    y, (gx,), _ = treino_pass(Dropout(p, seed=4), [x], G, training=True)
    mask = torch.from_numpy((y != 0).astype(np.float32))
    ty, (tgx,) = torch_pass(lambda t: t * mask / (1 - p), [x], G)
    close(y, ty)
    close(gx, tgx)

    torch.manual_seed(0)  # PyTorch's own dropout obeys the same rule with its own mask
    t = torch.tensor(x, requires_grad=True)
    out = F.dropout(t, p, training=True)
    out.backward(torch.from_numpy(G))
    torch_mask = (out != 0).float()
    close(out, t.detach() * torch_mask / (1 - p))
    close(t.grad, torch.from_numpy(G) * torch_mask / (1 - p))


# ------------------------------------------------------ Flatten and Reshape
def test_flatten_vs_torch():
    x, G = data(3, 4, 2, 5), data(3, 40, seed=1)
    y, (gx,), _ = treino_pass(Flatten(), [x], G)
    ty, (tgx,) = torch_pass(lambda t: torch.flatten(t, 1), [x], G)
    close(y, ty, rtol=0, atol=0)
    close(gx, tgx, rtol=0, atol=0)


@pytest.mark.parametrize("target", [(5, 8), (-1, 4), (2, 2, 10)])
def test_reshape_vs_torch(target):
    x = data(3, 4, 10)
    resolved = torch.empty(3, 40).reshape(3, *target).shape
    G = data(*resolved, seed=1)
    y, (gx,), _ = treino_pass(Reshape(target), [x], G)
    ty, (tgx,) = torch_pass(lambda t: t.reshape(3, *target), [x], G)
    close(y, ty, rtol=0, atol=0)
    close(gx, tgx, rtol=0, atol=0)


# -------------------------------------------------------------------- merges
def test_add_vs_torch():
    xs = [data(4, 5, seed=s) for s in range(3)]
    G = data(4, 5, seed=9)
    y, gxs, _ = treino_pass(Add(), xs, G)
    ty, tgxs = torch_pass(lambda a, b, c: torch.add(torch.add(a, b), c), xs, G)
    close(y, ty)
    for gx, tgx in zip(gxs, tgxs, strict=True):
        close(gx, tgx)


def test_add_broadcast_vs_torch():
    xs = [data(4, 5), data(1, 5, seed=1)]
    G = data(4, 5, seed=9)
    y, gxs, _ = treino_pass(Add(), xs, G)
    ty, tgxs = torch_pass(torch.add, xs, G)
    close(y, ty)
    for gx, tgx in zip(gxs, tgxs, strict=True):
        close(gx, tgx)


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_concatenate_vs_torch(axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 1)], 1: [(2, 1, 4), (2, 3, 4)], 0: [(1, 3, 4), (2, 3, 4)]}
    xs = [data(*s, seed=i) for i, s in enumerate(shapes[axis])]
    out_shape = np.concatenate([np.empty(s) for s in shapes[axis]], axis=axis).shape
    G = data(*out_shape, seed=9)
    y, gxs, _ = treino_pass(Concatenate(axis=axis), xs, G)
    ty, tgxs = torch_pass(lambda *ts: torch.cat(ts, dim=axis), xs, G)
    close(y, ty, rtol=0, atol=0)
    for gx, tgx in zip(gxs, tgxs, strict=True):
        close(gx, tgx, rtol=0, atol=0)
