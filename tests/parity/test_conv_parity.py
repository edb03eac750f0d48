"""Convolution and pooling against PyTorch: float32 forward passes and every gradient.

treino is channels-last with Keras kernels; PyTorch is channels-first with
(out, in, kh, kw) weights. So inputs go NHWC → NCHW, kernels (kh, kw, in, out)
→ (out, in, kh, kw), and outputs and gradients come back the other way.
TensorFlow's "same" padding can put one more zero after than before, which
PyTorch's symmetric ``padding=`` cannot express: the reference pads
explicitly with ``F.pad`` by the same rule (−∞ for max pooling).
"""

import numpy as np
import pytest

import treino
from treino.layers.convolutional import Conv1D, Conv2D
from treino.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from treino.ops.conv import conv1d, conv2d, padding_amounts
from treino.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL, ATOL = 1e-5, 1e-5


def data(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def channels_first(a):
    """NHWC → NCHW (or NLC → NCL)."""
    return np.moveaxis(a, -1, 1)


def channels_last(t):
    return np.moveaxis(t.detach().numpy(), 1, -1)


def treino_grads(fn, arrays, upstream):
    """y = fn(*tensors) and ∂L/∂(each array) for L = Σ y ⊙ upstream, in treino."""
    tensors = [treino.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*tensors)
    assert y.dtype == np.float32
    y.backward(upstream)
    assert all(t.grad.dtype == np.float32 for t in tensors)
    return y.numpy(), [t.grad for t in tensors]


def torch_grads(fn, arrays, upstream):
    tensors = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in arrays]
    y = fn(*tensors)
    y.backward(torch.from_numpy(np.ascontiguousarray(upstream)))
    return y, [t.grad for t in tensors]


def tf_pads(padding, sizes, kernel, strides, dilation):
    """F.pad's argument for TensorFlow's padding: (left, right, top, bottom) for 2-D."""
    pairs = [padding_amounts(padding, n, k, s, d)
             for n, k, s, d in zip(sizes, kernel, strides, dilation, strict=True)]  # fmt: skip
    return tuple(amount for pair in reversed(pairs) for amount in pair)


# -------------------------------------------------------------- convolution
CONV2D_GRID = [
    (kernel, strides, padding, dilation)
    for kernel in [(3, 3), (4, 4), (2, 3)]
    for strides in [(1, 1), (2, 2), (1, 2)]
    for padding in ["valid", "same"]
    for dilation in [(1, 1), (2, 2), (2, 1)]
]


def _grid_id(case):
    return "-".join("x".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in case)


@pytest.mark.parametrize("kernel, strides, padding, dilation", CONV2D_GRID,
                         ids=[_grid_id(c) for c in CONV2D_GRID])  # fmt: skip
def test_conv2d_vs_torch(kernel, strides, padding, dilation):
    x, k, b = data(3, 9, 8, 4), data(*kernel, 4, 5, seed=1), data(5, seed=2)
    out = conv2d(x, k, b, strides, padding, dilation)
    upstream = data(*out.shape, seed=3)
    y, (gx, gk, gb) = treino_grads(
        lambda *t: conv2d(*t, strides, padding, dilation), [x, k, b], upstream
    )
    pads = tf_pads(padding, x.shape[1:3], kernel, strides, dilation)

    def reference(xt, kt, bt):
        return F.conv2d(F.pad(xt, pads), kt, bt, stride=strides, dilation=dilation)

    ty, (tgx, tgk, tgb) = torch_grads(
        reference, [channels_first(x), k.transpose(3, 2, 0, 1), b], channels_first(upstream)
    )
    close(y, channels_last(ty))
    close(gx, channels_last(tgx))
    close(gk, tgk.numpy().transpose(2, 3, 1, 0))
    close(gb, tgb, rtol=1e-4)


CONV1D_GRID = [
    (kernel, stride, padding, dilation)
    for kernel in [3, 4]
    for stride in [1, 2, 3]
    for padding in ["valid", "same", "causal"]
    for dilation in [1, 2]
]


@pytest.mark.parametrize("kernel, stride, padding, dilation", CONV1D_GRID,
                         ids=[_grid_id(c) for c in CONV1D_GRID])  # fmt: skip
def test_conv1d_vs_torch(kernel, stride, padding, dilation):
    x, k, b = data(3, 13, 3), data(kernel, 3, 4, seed=1), data(4, seed=2)
    out = conv1d(x, k, b, stride, padding, dilation)
    upstream = data(*out.shape, seed=3)
    y, (gx, gk, gb) = treino_grads(lambda *t: conv1d(*t, stride, padding, dilation), [x, k, b],
                                   upstream)  # fmt: skip
    pads = padding_amounts(padding, 13, kernel, stride, dilation)

    def reference(xt, kt, bt):
        return F.conv1d(F.pad(xt, pads), kt, bt, stride=stride, dilation=dilation)

    ty, (tgx, tgk, tgb) = torch_grads(
        reference, [channels_first(x), k.transpose(2, 1, 0), b], channels_first(upstream)
    )
    close(y, channels_last(ty))
    close(gx, channels_last(tgx))
    close(gk, tgk.numpy().transpose(2, 1, 0))
    close(gb, tgb)


def test_lenet_shaped_convolutions_vs_torch():
    """The first layers of LeNet-5 at batch 64: grayscale 'same', then 6 → 16 channels."""
    layers = [(data(64, 28, 28, 1), data(5, 5, 1, 6, seed=1) * 0.2, "same"),
              (data(64, 14, 14, 6), data(5, 5, 6, 16, seed=1) * 0.1, "valid")]  # fmt: skip
    for x, k, padding in layers:
        b = data(k.shape[-1], seed=2)
        out_shape = conv2d(x, k, b, padding=padding).shape
        upstream = data(*out_shape, seed=3)
        y, (gx, gk, gb) = treino_grads(lambda *t, p=padding: conv2d(*t, padding=p), [x, k, b],
                                       upstream)  # fmt: skip
        ty, (tgx, tgk, tgb) = torch_grads(
            lambda xt, kt, bt, p=padding: F.conv2d(xt, kt, bt, padding=p),
            [channels_first(x), k.transpose(3, 2, 0, 1), b], channels_first(upstream),
        )  # fmt: skip
        close(y, channels_last(ty), rtol=1e-4, atol=1e-4)
        close(gx, channels_last(tgx), rtol=1e-4, atol=1e-4)
        close(gk, tgk.numpy().transpose(2, 3, 1, 0), rtol=1e-4, atol=1e-3)
        close(gb, tgb, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_conv_layers_vs_torch_modules(activation):
    act = {"relu": torch.relu, "tanh": torch.tanh}[activation]
    layer = Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation=activation,
                   bias_initializer="random_normal")  # fmt: skip
    x = data(2, 7, 6, 3)
    out = layer(x)
    upstream = data(*out.shape, seed=1)
    xt = treino.tensor(x, requires_grad=True)
    y = layer(xt)
    y.backward(upstream)
    module = torch.nn.Conv2d(3, 4, (3, 2), stride=(2, 1))
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(layer.kernel.numpy().transpose(3, 2, 0, 1).copy()))
        module.bias.copy_(torch.from_numpy(layer.bias.numpy()))
    pads = tf_pads("same", (7, 6), (3, 2), (2, 1), (1, 1))
    ty, (tgx,) = torch_grads(lambda t: act(module(F.pad(t, pads))), [channels_first(x)],
                             channels_first(upstream))  # fmt: skip
    close(y.numpy(), channels_last(ty))
    close(xt.grad, channels_last(tgx))
    close(layer.kernel.grad, module.weight.grad.numpy().transpose(2, 3, 1, 0))
    close(layer.bias.grad, module.bias.grad)

    layer1 = Conv1D(3, 3, padding="causal", dilation_rate=2)
    seq = data(2, 9, 2)
    out1 = layer1(seq)
    module1 = torch.nn.Conv1d(2, 3, 3, dilation=2)
    with torch.no_grad():
        module1.weight.copy_(torch.from_numpy(layer1.kernel.numpy().transpose(2, 1, 0).copy()))
        module1.bias.copy_(torch.from_numpy(layer1.bias.numpy()))
    close(out1.numpy(), channels_last(module1(F.pad(torch.from_numpy(channels_first(seq).copy()),
                                                     (4, 0)))))  # fmt: skip


# ------------------------------------------------------------------ pooling
POOL2D_GRID = [
    (pool, strides, padding)
    for pool in [(2, 2), (3, 3), (2, 3)]
    for strides in [None, (1, 1), (2, 1), (3, 3)]
    for padding in ["valid", "same"]
]


def _torch_max_pool2d(pool, steps, padding, sizes):
    pads = tf_pads(padding, sizes, pool, steps, (1, 1))
    return lambda t: F.max_pool2d(F.pad(t, pads, value=-np.inf), pool, steps)


def _torch_avg_pool2d(pool, steps, padding, sizes):
    """Average over the real elements: Σ(window of x) / Σ(window of the image's ones)."""
    pads = tf_pads(padding, sizes, pool, steps, (1, 1))

    def reference(t):
        total = F.avg_pool2d(F.pad(t, pads), pool, steps, divisor_override=1)
        count = F.avg_pool2d(F.pad(torch.ones_like(t), pads), pool, steps, divisor_override=1)
        return total / count

    return reference


def _ties(*shape, seed=0):
    """ReLU-like data with many exact ties (zeros and repeated small integers)."""
    rng = np.random.default_rng(seed)
    return np.maximum(rng.integers(-3, 3, size=shape), 0).astype(np.float32)


@pytest.mark.parametrize("pool, strides, padding", POOL2D_GRID,
                         ids=[_grid_id(c) for c in POOL2D_GRID])  # fmt: skip
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_pool2d_vs_torch(pool, strides, padding, values):
    x = data(3, 8, 7, 4) if values == "normal" else _ties(3, 8, 7, 4)
    steps = pool if strides is None else strides
    cases = [(max_pool2d, _torch_max_pool2d), (avg_pool2d, _torch_avg_pool2d)]
    for op, torch_op in cases:
        out = op(x, pool, strides, padding)
        upstream = data(*out.shape, seed=1)
        y, (gx,) = treino_grads(lambda t, op=op: op(t, pool, strides, padding), [x], upstream)
        reference = torch_op(pool, steps, padding, x.shape[1:3])
        ty, (tgx,) = torch_grads(reference, [channels_first(x)], channels_first(upstream))
        close(y, channels_last(ty))
        close(gx, channels_last(tgx))


def test_avg_pool_same_matches_count_include_pad_false():
    """Symmetric TensorFlow padding is PyTorch's padding=1 with count_include_pad=False."""
    x = data(2, 6, 6, 3)
    upstream = data(2, 6, 6, 3, seed=1)
    y, (gx,) = treino_grads(lambda t: avg_pool2d(t, 3, 1, "same"), [x], upstream)
    ty, (tgx,) = torch_grads(
        lambda t: F.avg_pool2d(t, 3, 1, padding=1, count_include_pad=False),
        [channels_first(x)], channels_first(upstream),
    )  # fmt: skip
    close(y, channels_last(ty))
    close(gx, channels_last(tgx))


POOL1D_CASES = [(2, None, "valid"), (3, 2, "same"), (4, 1, "valid"), (2, 3, "same")]


@pytest.mark.parametrize("pool, strides, padding", POOL1D_CASES)
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_pool1d_vs_torch(pool, strides, padding, values):
    x = data(2, 11, 3) if values == "normal" else _ties(2, 11, 3)
    steps = pool if strides is None else strides
    pads = padding_amounts(padding, 11, pool, steps)
    for op, reference in [
        (max_pool1d, lambda t: F.max_pool1d(F.pad(t, pads, value=-np.inf), pool, steps)),
        (avg_pool1d, lambda t: F.avg_pool1d(F.pad(t, pads), pool, steps)
         / F.avg_pool1d(F.pad(torch.ones_like(t), pads), pool, steps)),
    ]:  # fmt: skip
        out = op(x, pool, strides, padding)
        upstream = data(*out.shape, seed=1)
        y, (gx,) = treino_grads(lambda t, op=op: op(t, pool, strides, padding), [x], upstream)
        ty, (tgx,) = torch_grads(reference, [channels_first(x)], channels_first(upstream))
        close(y, channels_last(ty))
        close(gx, channels_last(tgx))


@pytest.mark.parametrize("values", ["normal", "ties"])
def test_pooling_layers_vs_torch(values):
    x = data(4, 6, 8, 3) if values == "normal" else _ties(4, 6, 8, 3)
    seq = data(4, 9, 3) if values == "normal" else _ties(4, 9, 3)

    def last(t):  # PyTorch's output back to channels-last
        return t.movedim(1, -1)

    cases = [
        (MaxPooling2D(), x, lambda t: last(F.max_pool2d(t, 2))),
        (AveragePooling2D((2, 4)), x, lambda t: last(F.avg_pool2d(t, (2, 4)))),
        (MaxPooling1D(3), seq, lambda t: last(F.max_pool1d(t, 3))),
        (GlobalAveragePooling2D(), x, lambda t: F.adaptive_avg_pool2d(t, 1)[:, :, 0, 0]),
        (GlobalMaxPooling2D(), x, lambda t: F.adaptive_max_pool2d(t, 1)[:, :, 0, 0]),
        (GlobalMaxPooling2D(keepdims=True), x, lambda t: last(F.adaptive_max_pool2d(t, 1))),
        (GlobalAveragePooling1D(), seq, lambda t: F.adaptive_avg_pool1d(t, 1)[:, :, 0]),
        (GlobalMaxPooling1D(), seq, lambda t: F.adaptive_max_pool1d(t, 1)[:, :, 0]),
    ]
    for layer, inputs, reference in cases:
        upstream = data(*layer(inputs).shape, seed=1)
        y, (gx,) = treino_grads(layer, [inputs], upstream)
        ty, (tgx,) = torch_grads(reference, [channels_first(inputs)], upstream)
        close(y, ty)
        close(gx, channels_last(tgx))
