"""Convolution and pooling: ops and layers.

Gradient checks (float64, central differences) over the padding × stride ×
dilation grid, values against plain loop implementations of the textbook
formulas, the layer contract (config round trips, output shapes, errors).
``GRAD_CASES`` and ``CONFIG_CASES`` have the shape of those in
``tests/test_layers.py`` so the cross-layer suites can include them.
"""

import json

import numpy as np
import pytest
from layer_checks import check_layer_gradients

import treino
from treino import layers
from treino.layers import Dense, Flatten, Input, KerasTensor
from treino.layers.convolutional import Conv1D, Conv2D
from treino.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from treino.ops.conv import conv1d, conv2d, conv_output_length, padding_amounts
from treino.ops.pooling import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
)

F64 = {"dtype": "float64"}


def data(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def distinct(*shape, seed=0):
    """Values that are all different (no ties for max pooling), spread over [−1, 1)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) / n * 2 - 1).astype(float)


# ------------------------------------------------------- reference formulas
def reference_conv2d(x, kernel, bias, strides, padding, dilation):
    """y[n,h,w,o] = b[o] + Σ_{i,j,c} x_pad[n, h·s_h + i·d_h, w·s_w + j·d_w, c]·W[i,j,c,o]."""
    kh, kw, _, c_out = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    pads = [padding_amounts(padding, n, k, s, d) for n, k, s, d in
            zip(x.shape[1:3], (kh, kw), strides, dilation, strict=True)]  # fmt: skip
    x_pad = np.pad(x, [(0, 0), *pads, (0, 0)])
    ho = (x_pad.shape[1] - (kh - 1) * dh - 1) // sh + 1
    wo = (x_pad.shape[2] - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((x.shape[0], ho, wo, c_out))
    for h in range(ho):
        for w in range(wo):
            patch = x_pad[:, h * sh : h * sh + (kh - 1) * dh + 1 : dh,
                          w * sw : w * sw + (kw - 1) * dw + 1 : dw]  # fmt: skip
            y[:, h, w] = np.einsum("nijc,ijco->no", patch, kernel)
    return y if bias is None else y + bias


def reference_pool2d(x, pool, strides, padding, reduce):
    """Each window's max (or mean over its real, unpadded elements), by loops."""
    pads = [padding_amounts(padding, n, p, s) for n, p, s in
            zip(x.shape[1:3], pool, strides, strict=True)]  # fmt: skip
    x_pad = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    ho = (x_pad.shape[1] - pool[0]) // strides[0] + 1
    wo = (x_pad.shape[2] - pool[1]) // strides[1] + 1
    y = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for h in range(ho):
        for w in range(wo):
            window = x_pad[:, h * strides[0] : h * strides[0] + pool[0],
                           w * strides[1] : w * strides[1] + pool[1]]  # fmt: skip
            y[:, h, w] = reduce(window, axis=(1, 2))
    return y


# ------------------------------------------------------------ conv op grid
CONV2D_GRID = [
    (kernel, strides, padding, dilation)
    for kernel in [(3, 3), (2, 2), (3, 2)]  # odd, even, non-square
    for strides in [(1, 1), (2, 2), (2, 1)]
    for padding in ["valid", "same"]
    for dilation in [(1, 1), (2, 2), (1, 2)]
]


def _grid_id(case):
    return "-".join("x".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in case)


@pytest.mark.parametrize("kernel, strides, padding, dilation", CONV2D_GRID,
                         ids=[_grid_id(c) for c in CONV2D_GRID])  # fmt: skip
def test_conv2d_gradients_and_values(kernel, strides, padding, dilation):
    x, k, b = data(2, 7, 6, 2), data(*kernel, 2, 3, seed=1), data(3, seed=2)
    y = conv2d(x, k, b, strides, padding, dilation)
    np.testing.assert_allclose(
        y.numpy(), reference_conv2d(x, k, b, strides, padding, dilation), rtol=1e-12, atol=1e-12
    )
    assert treino.gradcheck(lambda *t: conv2d(*t, strides, padding, dilation), x, k, b)


CONV1D_GRID = [
    (kernel, stride, padding, dilation)
    for kernel in [3, 2]
    for stride in [1, 2]
    for padding in ["valid", "same", "causal"]
    for dilation in [1, 2]
]


@pytest.mark.parametrize("kernel, stride, padding, dilation", CONV1D_GRID,
                         ids=[_grid_id(c) for c in CONV1D_GRID])  # fmt: skip
def test_conv1d_gradients_and_values(kernel, stride, padding, dilation):
    x, k, b = data(2, 9, 2), data(kernel, 2, 3, seed=1), data(3, seed=2)
    y = conv1d(x, k, b, stride, padding, dilation)
    if padding == "causal":  # (k − 1)·d zeros in front, none after
        x_ref = np.pad(x, [(0, 0), ((kernel - 1) * dilation, 0), (0, 0)])
        expected = reference_conv2d(x_ref[:, None], k[None], b, (1, stride), "valid",
                                    (1, dilation))[:, 0]  # fmt: skip
    else:
        expected = reference_conv2d(x[:, None], k[None], b, (1, stride), padding,
                                    (1, dilation))[:, 0]  # fmt: skip
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert y.shape[1] == conv_output_length(9, kernel, padding, stride, dilation)
    assert treino.gradcheck(lambda *t: conv1d(*t, stride, padding, dilation), x, k, b)


def test_conv_without_bias_batch_of_one_and_one_channel():
    x, k = data(1, 5, 5, 1), data(3, 3, 1, 2, seed=1)
    assert treino.gradcheck(lambda a, w: conv2d(a, w, padding="same"), x, k)
    assert treino.gradcheck(lambda a, w: conv1d(a, w), data(1, 6, 1), data(2, 1, 1, seed=1))


def test_conv2d_kernel_as_large_as_the_image_and_1x1_kernel():
    x = data(2, 4, 3, 2)
    assert conv2d(x, data(4, 3, 2, 5)).shape == (2, 1, 1, 5)  # a Dense layer on the image
    k1 = data(1, 1, 2, 3, seed=1)
    np.testing.assert_allclose(conv2d(x, k1).numpy(), x @ k1[0, 0], rtol=1e-12)
    assert treino.gradcheck(lambda a, w: conv2d(a, w, strides=2), x, k1)


def test_conv2d_non_contiguous_input_and_reused_input():
    base = data(2, 6, 5, 3)
    view = base.transpose(0, 2, 1, 3)  # (2, 5, 6, 3), not C-contiguous
    assert not view.flags.c_contiguous
    k = data(2, 3, 3, 2, seed=1)
    np.testing.assert_allclose(conv2d(view, k).numpy(), conv2d(view.copy(), k).numpy())
    # the same tensor through two convolutions: both paths' gradients add up
    assert treino.gradcheck(
        lambda a, w: conv2d(a, w) * conv2d(a, w, padding="same")[:, :4, :4], view, k
    )


def test_conv2d_input_gradient_counts_windows():
    x = treino.tensor(np.zeros((1, 4, 4, 1)), requires_grad=True)
    conv2d(x, np.ones((3, 3, 1, 1))).sum().backward()  # every pixel × the windows it is in
    np.testing.assert_array_equal(
        x.grad[0, :, :, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    )


def test_conv_float32_stays_float32():
    x = treino.tensor(data(2, 6, 6, 2, dtype=np.float32), requires_grad=True)
    k = treino.tensor(data(3, 3, 2, 4, dtype=np.float32), requires_grad=True)
    b = treino.tensor(data(4, dtype=np.float32), requires_grad=True)
    y = conv2d(x, k, b, strides=2, padding="same")
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == k.grad.dtype == b.grad.dtype == np.float32
    x1 = treino.tensor(data(2, 7, 2, dtype=np.float32), requires_grad=True)
    y1 = conv1d(x1, k.data[0], padding="causal")
    y1.sum().backward()
    assert y1.dtype == x1.grad.dtype == np.float32


def test_conv_only_computes_the_gradients_needed():
    x, k = treino.tensor(data(2, 5, 5, 2)), treino.tensor(data(3, 3, 2, 2), requires_grad=True)
    conv2d(x, k).sum().backward()
    assert x.grad is None and k.grad is not None
    with treino.no_grad():
        assert not conv2d(x, k).requires_grad


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 1))), ValueError,
         r"conv2d: expected input of shape \(batch, height, width, channels\); received shape "
         r"\(5, 5, 1\)"),
        (lambda: conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1))), ValueError,
         r"conv2d: expected a kernel of shape \(kh, kw, c_in, c_out\)"),
        (lambda: conv2d(np.ones((1, 5, 5, 2)), np.ones((3, 3, 1, 4))), ValueError,
         r"conv2d: the kernel \(3, 3, 1, 4\) expects 1 input channels; .*\(1, 5, 5, 2\) with 2"),
        (lambda: conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 4)), np.ones(3)), ValueError,
         r"conv2d: bias must have shape \(4,\)"),
        (lambda: conv2d(np.ones((1, 4, 9, 1)), np.ones((3, 3, 1, 1)), dilation_rate=2),
         ValueError, r"conv2d: input of shape \(1, 4, 9, 1\) is too small for kernel_size "
         r"\(3, 3\) with dilation_rate \(2, 2\) \(receptive field \(5, 5\)\)"),
        (lambda: conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), padding="causal"),
         ValueError, r"conv2d: padding must be one of \('valid', 'same'\); received "
         r"padding='causal'"),
        (lambda: conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), strides=0), ValueError,
         r"conv2d: strides must be a positive integer or a tuple of 2 positive integers; "
         r"received strides=0"),
        (lambda: conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), strides=(1, 1, 1)),
         ValueError, r"strides=\(1, 1, 1\)"),
        (lambda: conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), dilation_rate=1.5),
         ValueError, r"dilation_rate=1.5"),
        (lambda: conv2d(np.ones((1, 5, 5, 1), dtype=np.float32), np.ones((3, 3, 1, 1))),
         TypeError, r"conv2d: operands have different float dtypes"),
        (lambda: conv1d(np.ones((1, 2, 1)), np.ones((3, 1, 1))), ValueError,
         r"conv1d: input of shape \(1, 2, 1\) is too small for kernel_size \(3,\)"),
        (lambda: conv1d(np.ones((1, 5, 1)), np.ones((3, 1, 1)), padding="full"), ValueError,
         r"conv1d: padding must be one of \('valid', 'same', 'causal'\)"),
        (lambda: conv1d(np.ones((1, 5, 5, 1)), np.ones((3, 1, 1))), ValueError,
         r"conv1d: expected input of shape \(batch, steps, channels\)"),
    ],
)  # fmt: skip
def test_conv_op_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_same_padding_follows_tensorflow():
    # total = max((⌈n/s⌉ − 1)·s + (k − 1)·d + 1 − n, 0); the odd one goes after
    assert padding_amounts("same", 5, 3) == (1, 1)
    assert padding_amounts("same", 5, 4) == (1, 2)
    assert padding_amounts("same", 6, 3, stride=2) == (0, 1)
    assert padding_amounts("same", 7, 3, stride=2) == (1, 1)
    assert padding_amounts("same", 6, 1, stride=4) == (0, 0)
    assert padding_amounts("same", 5, 3, dilation=2) == (2, 2)
    assert padding_amounts("valid", 5, 3) == (0, 0)
    assert padding_amounts("causal", 5, 3, dilation=3) == (6, 0)
    assert [conv_output_length(7, 3, p, 2) for p in ("valid", "same", "causal")] == [3, 4, 4]
    assert conv_output_length(None, 3, "valid") is None


# --------------------------------------------------------------- pooling ops
POOL2D_GRID = [
    (pool, strides, padding)
    for pool in [(2, 2), (3, 3), (3, 2)]
    for strides in [None, (1, 1), (2, 1), (3, 3)]  # (3, 3) > (2, 2): gaps between windows
    for padding in ["valid", "same"]
]


@pytest.mark.parametrize("pool, strides, padding", POOL2D_GRID,
                         ids=[_grid_id(c) for c in POOL2D_GRID])  # fmt: skip
def test_pool2d_gradients_and_values(pool, strides, padding):
    x = distinct(2, 7, 6, 2)
    steps = pool if strides is None else strides
    for op, reduce in [(max_pool2d, np.nanmax), (avg_pool2d, np.nanmean)]:
        y = op(x, pool, strides, padding)
        np.testing.assert_allclose(
            y.numpy(), reference_pool2d(x, pool, steps, padding, reduce), rtol=1e-12, atol=1e-15
        )
        assert treino.gradcheck(lambda t, op=op: op(t, pool, strides, padding), x)


POOL1D_CASES = [(2, None, "valid"), (3, 2, "same"), (3, 1, "valid"), (2, 3, "same")]


@pytest.mark.parametrize("pool, strides, padding", POOL1D_CASES)
def test_pool1d_gradients_and_values(pool, strides, padding):
    x = distinct(2, 9, 3)
    steps = pool if strides is None else strides
    for op, reduce in [(max_pool1d, np.nanmax), (avg_pool1d, np.nanmean)]:
        y = op(x, pool, strides, padding)
        expected = reference_pool2d(x[:, None], (1, pool), (1, steps), padding, reduce)[:, 0]
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-15)
        assert treino.gradcheck(lambda t, op=op: op(t, pool, strides, padding), x)


@pytest.mark.parametrize("shape", [(2, 4, 3, 2), (2, 5, 3), (1, 2, 2, 2, 3)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_gradients_and_values(shape, keepdims):
    x = distinct(*shape)
    axes = tuple(range(1, len(shape) - 1))
    for op, reduce in [(global_max_pool, np.max), (global_avg_pool, np.mean)]:
        y = op(x, keepdims=keepdims)
        np.testing.assert_allclose(y.numpy(), reduce(x, axis=axes, keepdims=keepdims), rtol=1e-12)
        assert treino.gradcheck(lambda t, op=op: op(t, keepdims=keepdims), x)


def _max_pool_grad(x, **kwargs):
    t = treino.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    max_pool2d(t, **kwargs).sum().backward()
    return t.grad


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    zeros = np.zeros((1, 2, 2, 1))  # ReLU outputs: all-zero windows are common
    np.testing.assert_array_equal(_max_pool_grad(zeros)[0, :, :, 0], [[1, 0], [0, 0]])
    # maxima at (0, 1) and (1, 0): row-major order reaches (0, 1) first
    x = np.array([[0.0, 5.0], [5.0, 1.0]]).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(_max_pool_grad(x)[0, :, :, 0], [[0, 1], [0, 0]])
    x = np.array([[0.0, 1.0, 7.0], [7.0, 7.0, 2.0], [7.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(
        _max_pool_grad(x, pool_size=3)[0, :, :, 0], [[0, 0, 1], [0, 0, 0], [0, 0, 0]]
    )
    grad = _max_pool_grad(np.zeros((1, 3, 3, 1)), pool_size=2, strides=1)  # overlapping windows
    np.testing.assert_array_equal(grad[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    t = treino.tensor(np.zeros((1, 2, 3, 2)), requires_grad=True)
    global_max_pool(t).sum().backward()
    np.testing.assert_array_equal(t.grad[0, :, :, 0], [[1, 0, 0], [0, 0, 0]])


def test_same_average_pooling_divides_by_the_real_elements():
    x = np.ones((1, 5, 5, 1))  # every window of ones averages to 1, border windows too
    np.testing.assert_array_equal(avg_pool2d(x, 3, 2, "same").numpy(), np.ones((1, 3, 3, 1)))
    y = avg_pool1d(np.array([[[1.0], [2.0], [3.0], [4.0], [6.0]]]), 2, padding="same")
    np.testing.assert_allclose(y.numpy()[0, :, 0], [1.5, 3.5, 6.0])  # last window: 6 alone


def test_max_pool_same_padding_never_picks_the_padding():
    x = -np.ones((1, 3, 3, 1)) * np.arange(1, 10).reshape(1, 3, 3, 1)  # all negative
    y = max_pool2d(x, 2, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[-1, -3], [-7, -9]])


# ------------------------------------------------------------ memory format
def channels_first(x):
    """x (N, H, W, C) with the same values, stored channels first (as a convolution's output)."""
    stored = np.ascontiguousarray(np.moveaxis(x, -1, 0))  # (C, N, H, W) in memory
    view = stored.transpose(1, 2, 3, 0)
    assert not view.flags.c_contiguous
    return view


def stored_channels_first(array) -> bool:
    return array.transpose(3, 0, 1, 2).flags.c_contiguous


def _values_and_gradient(op, x, g):
    t = treino.tensor(x, requires_grad=True)
    y = op(t)
    y.backward(g(y.shape))
    return y.numpy(), t.grad


@pytest.mark.parametrize("pool, strides, padding", POOL2D_GRID,
                         ids=[_grid_id(c) for c in POOL2D_GRID])  # fmt: skip
@pytest.mark.parametrize("shape", [(2, 7, 6, 3), (2, 6, 7, 3)])  # odd width: one left over
def test_pooling_is_the_same_whatever_the_memory_order(pool, strides, padding, shape):
    x = distinct(*shape)
    x[:, :2] = 0.0  # ties, as after a ReLU
    for op in (max_pool2d, avg_pool2d):
        def pool_op(t, op=op):
            return op(t, pool, strides, padding)

        def upstream(shape):
            return data(*shape, seed=3)

        def upstream_channels_first(shape):
            return channels_first(data(*shape, seed=3))

        y, grad = _values_and_gradient(pool_op, x, upstream)
        for gradient in (upstream, upstream_channels_first):
            y_cf, grad_cf = _values_and_gradient(pool_op, channels_first(x), gradient)
            np.testing.assert_array_equal(y_cf, y)
            np.testing.assert_array_equal(grad_cf, grad)
        assert treino.gradcheck(pool_op, channels_first(distinct(*shape)))


def test_max_pool_ties_go_first_in_channels_first_memory_too():
    zeros = channels_first(np.zeros((1, 2, 2, 3)))
    np.testing.assert_array_equal(_max_pool_grad(zeros)[0, :, :, 1], [[1, 0], [0, 0]])
    x = np.zeros((1, 2, 2, 2))
    x[0, :, :, 1] = [[0.0, 5.0], [5.0, 1.0]]
    np.testing.assert_array_equal(_max_pool_grad(channels_first(x))[0, :, :, 1], [[0, 1], [0, 0]])


def test_a_few_channel_convolution_hands_on_channels_first_memory():
    x = treino.tensor(data(2, 12, 12, 1), requires_grad=True)
    k = treino.tensor(data(5, 5, 1, 4, seed=1), requires_grad=True)
    y = conv2d(x, k, padding="same", relu=True)  # im2col builds X_col column by column
    assert stored_channels_first(y.numpy())
    pooled = max_pool2d(y)
    assert stored_channels_first(pooled.numpy())  # pooling keeps the order it receives
    pooled.sum().backward()
    assert x.grad.shape == (2, 12, 12, 1)
    wide = conv2d(data(2, 6, 6, 8), data(3, 3, 8, 4, seed=1))  # many channels: channels last
    assert wide.numpy().flags.c_contiguous


@pytest.mark.parametrize("shape, kernel", [((2, 9, 9, 1), (3, 3, 1, 4)),
                                           ((2, 6, 5, 4), (3, 2, 4, 3))])  # fmt: skip
@pytest.mark.parametrize("relu", [False, True])
def test_convolution_gradients_are_the_same_whatever_the_memory_order_of_g(shape, kernel, relu):
    x, k, b = data(*shape), data(*kernel, seed=1), data(kernel[-1], seed=2)
    grads = []
    for order in (np.ascontiguousarray, channels_first):
        tensors = [treino.tensor(a, requires_grad=True) for a in (x, k, b)]
        y = conv2d(*tensors, padding="same", relu=relu)
        y.backward(order(data(*y.shape, seed=3)))
        grads.append([t.grad for t in tensors])
    for first, second in zip(*grads, strict=True):
        np.testing.assert_allclose(first, second, rtol=1e-12, atol=1e-12)
    assert treino.gradcheck(lambda *t: conv2d(*t, padding="same", relu=relu), x, k, b)


def test_convolution_of_a_channels_first_input():
    x, k = data(2, 7, 7, 3), data(3, 3, 3, 2, seed=1)
    np.testing.assert_allclose(conv2d(channels_first(x), k).numpy(), conv2d(x, k).numpy(),
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    assert treino.gradcheck(lambda a, w: conv2d(a, w, padding="same"), channels_first(x), k)


@pytest.mark.parametrize("order", [np.ascontiguousarray, np.asfortranarray])
def test_bias_is_added_and_summed_along_either_memory_order(order):
    from treino.ops.conv import add_bias, bias_gradient

    y, b = order(data(2 * 3 * 4, 5)), data(5, seed=1)
    expected = y + b
    add_bias(y, b, wo=4)
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    np.testing.assert_allclose(bias_gradient(y, wo=4), expected.sum(axis=0), rtol=1e-12)


def test_pool_float32_stays_float32():
    x = treino.tensor(data(2, 5, 5, 3, dtype=np.float32), requires_grad=True)
    for op in (max_pool2d, avg_pool2d):
        y = op(x, 3, 2, "same")
        assert y.dtype == np.float32
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == np.float32
    for op in (global_max_pool, global_avg_pool):
        assert op(x).dtype == np.float32
    seq = treino.tensor(data(2, 7, 3, dtype=np.float32), requires_grad=True)
    y = avg_pool1d(seq, 3, 2, "same")
    y.sum().backward()
    assert y.dtype == seq.grad.dtype == np.float32


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: max_pool2d(np.ones((4, 4, 1))), ValueError,
         r"max_pool2d: expected input of shape \(batch, height, width, channels\); received "
         r"shape \(4, 4, 1\)"),
        (lambda: avg_pool2d(np.ones((1, 1, 4, 1))), ValueError,
         r"avg_pool2d: input of shape \(1, 1, 4, 1\) is smaller than the pool_size \(2, 2\)"),
        (lambda: max_pool1d(np.ones((1, 4, 1)), pool_size=0), ValueError,
         r"max_pool1d: pool_size must be a positive integer .*received pool_size=0"),
        (lambda: avg_pool1d(np.ones((1, 4, 1)), padding="causal"), ValueError,
         r"avg_pool1d: padding must be one of \('valid', 'same'\)"),
        (lambda: max_pool2d(np.ones((1, 4, 4, 1), dtype=int)), TypeError,
         r"max_pool2d: expected a float tensor; received dtype int64"),
        (lambda: global_max_pool(np.ones((2, 3))), ValueError,
         r"global_max_pool: expected input of shape \(batch, \*spatial, channels\)"),
    ],
)  # fmt: skip
def test_pool_op_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -------------------------------------------------------------------- layers
def _masked_steps():
    return {"mask": np.array([[True, True, False, True, False], [True, False, True, True, True]])}


# (id, layer factory, inputs, call kwargs, number of trainable weights)
GRAD_CASES = [
    ("conv2d", lambda: Conv2D(3, 3, **F64), data(2, 5, 5, 2), {}, 2),
    (
        "conv2d_same_strided_relu",
        lambda: Conv2D(2, (3, 2), strides=2, padding="same", activation="tanh", **F64),
        data(2, 6, 5, 3),
        {},
        2,
    ),  # fmt: skip
    (
        "conv2d_dilated_no_bias",
        lambda: Conv2D(2, 2, dilation_rate=2, use_bias=False, **F64),
        data(1, 5, 6, 2),
        {},
        1,
    ),  # fmt: skip
    (
        "conv2d_random_bias",
        lambda: Conv2D(2, 1, bias_initializer="random_normal", **F64),
        data(2, 3, 3, 2),
        {},
        2,
    ),  # fmt: skip
    ("conv1d", lambda: Conv1D(3, 3, **F64), data(2, 7, 2), {}, 2),
    (
        "conv1d_causal_dilated",
        lambda: Conv1D(2, 2, padding="causal", dilation_rate=2, activation="sigmoid", **F64),
        data(2, 6, 3),
        {},
        2,
    ),  # fmt: skip
    (
        "conv1d_same_strided",
        lambda: Conv1D(2, 4, strides=2, padding="same", **F64),
        data(1, 7, 2),
        {},
        2,
    ),  # fmt: skip
    ("max_pooling2d", lambda: MaxPooling2D(**F64), distinct(2, 4, 6, 2), {}, 0),
    (
        "max_pooling2d_same_overlapping",
        lambda: MaxPooling2D(3, strides=2, padding="same", **F64),
        distinct(2, 5, 4, 2),
        {},
        0,
    ),  # fmt: skip
    ("average_pooling2d", lambda: AveragePooling2D(**F64), data(2, 4, 4, 2), {}, 0),
    (
        "average_pooling2d_same",
        lambda: AveragePooling2D((2, 3), strides=1, padding="same", **F64),
        data(2, 4, 5, 1),
        {},
        0,
    ),  # fmt: skip
    ("max_pooling1d", lambda: MaxPooling1D(3, strides=1, **F64), distinct(2, 6, 2), {}, 0),
    (
        "average_pooling1d_same",
        lambda: AveragePooling1D(2, padding="same", **F64),
        data(2, 5, 3),
        {},
        0,
    ),  # fmt: skip
    ("global_average_pooling2d", lambda: GlobalAveragePooling2D(**F64), data(2, 3, 4, 2), {}, 0),
    (
        "global_max_pooling2d",
        lambda: GlobalMaxPooling2D(keepdims=True, **F64),
        distinct(2, 3, 4, 2),
        {},
        0,
    ),  # fmt: skip
    ("global_average_pooling1d", lambda: GlobalAveragePooling1D(**F64), data(2, 5, 3), {}, 0),
    (
        "global_average_pooling1d_masked",
        lambda: GlobalAveragePooling1D(**F64),
        data(2, 5, 3),
        _masked_steps(),
        0,
    ),  # fmt: skip
    ("global_max_pooling1d", lambda: GlobalMaxPooling1D(**F64), distinct(2, 5, 3), {}, 0),
]


@pytest.mark.parametrize(
    "make, inputs, kwargs, n_weights",
    [case[1:] for case in GRAD_CASES],
    ids=[case[0] for case in GRAD_CASES],
)
def test_layer_gradients_wrt_inputs_and_weights(make, inputs, kwargs, n_weights):
    layer = make()
    weights = check_layer_gradients(layer, inputs, **kwargs)
    assert len(weights) == n_weights


# (id, layer factory, inputs)
CONFIG_CASES = [
    (
        "conv2d",
        lambda: Conv2D(
            4,
            (3, 2),
            strides=(2, 1),
            padding="same",
            activation="relu",
            kernel_initializer="he_normal",
            bias_initializer="ones",
            kernel_regularizer="l2",
            bias_regularizer="l1",
            activity_regularizer="l2",
            input_shape=(6, 5, 2),
        ),
        data(2, 6, 5, 2),
    ),  # fmt: skip
    (
        "conv2d_dilated",
        lambda: Conv2D(2, 3, dilation_rate=(2, 1), use_bias=False, name="c"),
        data(1, 7, 5, 3),
    ),  # fmt: skip
    (
        "conv1d_causal",
        lambda: Conv1D(3, 2, padding="causal", dilation_rate=3, trainable=False),
        data(2, 8, 2),
    ),  # fmt: skip
    (
        "max_pooling2d",
        lambda: MaxPooling2D((3, 2), strides=(1, 2), padding="same"),
        data(2, 5, 5, 2),
    ),  # fmt: skip
    ("average_pooling2d", lambda: AveragePooling2D(3, padding="same"), data(2, 5, 5, 2)),
    ("max_pooling1d", lambda: MaxPooling1D(pool_size=3, strides=2), data(2, 7, 2)),
    ("average_pooling1d", lambda: AveragePooling1D(data_format="channels_last"), data(2, 6, 2)),
    ("global_average_pooling2d", lambda: GlobalAveragePooling2D(keepdims=True), data(2, 3, 3, 2)),
    ("global_max_pooling2d", lambda: GlobalMaxPooling2D(), data(2, 3, 3, 2)),
    ("global_average_pooling1d", lambda: GlobalAveragePooling1D(), data(2, 4, 3)),
    ("global_max_pooling1d", lambda: GlobalMaxPooling1D(keepdims=True), data(2, 4, 3)),
]


@pytest.mark.parametrize(
    "make, inputs", [case[1:] for case in CONFIG_CASES], ids=[case[0] for case in CONFIG_CASES]
)
def test_config_round_trip(make, inputs):
    layer = make()
    original = layer(inputs)
    config = layer.get_config()
    text = json.dumps(config)  # JSON, no code
    assert json.loads(text) == config
    clone = type(layer).from_config(json.loads(text))
    assert clone.get_config() == config
    clone(inputs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(inputs).numpy(), original.numpy())


def test_all_conv_and_pooling_layers_are_covered():
    classes = {Conv1D, Conv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
               GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
               GlobalMaxPooling2D}  # fmt: skip
    assert {type(case[1]()) for case in GRAD_CASES} == classes
    assert {type(case[1]()) for case in CONFIG_CASES} == classes


def test_config_defaults_match_keras():
    conv = Conv2D(8, 3).get_config()
    assert (conv["strides"], conv["padding"], conv["dilation_rate"], conv["data_format"]) == (
        [1, 1], "valid", [1, 1], "channels_last",
    )  # fmt: skip
    assert conv["kernel_size"] == [3, 3] and conv["activation"] == "linear" and conv["use_bias"]
    assert conv["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert conv["bias_initializer"]["class_name"] == "Zeros"
    assert Conv1D(8, 3).get_config()["kernel_size"] == [3]
    pool = MaxPooling2D().get_config()
    assert (pool["pool_size"], pool["strides"], pool["padding"]) == ([2, 2], [2, 2], "valid")
    assert MaxPooling1D().get_config()["pool_size"] == [2]
    assert GlobalAveragePooling2D().get_config()["keepdims"] is False


def test_keras_default_names():
    assert Conv2D(1, 1).name.startswith("conv2d")
    assert Conv1D(1, 1).name.startswith("conv1d")
    assert MaxPooling2D().name.startswith("max_pooling2d")
    assert AveragePooling1D().name.startswith("average_pooling1d")
    assert GlobalMaxPooling2D().name.startswith("global_max_pooling2d")
    assert Conv2D(1, 1, name="features").name == "features"


# (id, layer factory, input shape with batch)
SHAPE_CASES = [
    (f"conv2d-{k}-{s}-{p}-{d}", lambda k=k, s=s, p=p, d=d: Conv2D(3, k, strides=s, padding=p,
                                                                  dilation_rate=d), (2, 9, 8, 2))
    for k in [1, 2, 3, (2, 3)] for s in [1, 2, (3, 1)] for p in ["valid", "same"] for d in [1, 2]
    if s == 1 or d == 1
] + [
    (f"conv1d-{k}-{s}-{p}-{d}", lambda k=k, s=s, p=p, d=d: Conv1D(2, k, strides=s, padding=p,
                                                                  dilation_rate=d), (2, 10, 3))
    for k in [1, 2, 3] for s in [1, 2, 3] for p in ["valid", "same", "causal"] for d in [1, 2]
    if s == 1 or d == 1
] + [
    (f"{cls.__name__}-{k}-{s}-{p}", lambda cls=cls, k=k, s=s, p=p: cls(k, strides=s, padding=p),
     (2, 7, 6, 2) if "2D" in cls.__name__ else (2, 7, 2))
    for cls in [MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D]
    for k in [1, 2, 3] for s in [None, 1, 2, 4] for p in ["valid", "same"]
] + [
    (f"{cls.__name__}-{keep}", lambda cls=cls, keep=keep: cls(keepdims=keep),
     (2, 4, 3, 2) if "2D" in cls.__name__ else (2, 4, 3))
    for cls in [GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling1D,
                GlobalMaxPooling1D]
    for keep in [False, True]
]  # fmt: skip


@pytest.mark.parametrize(
    "make, shape", [c[1:] for c in SHAPE_CASES], ids=[c[0] for c in SHAPE_CASES]
)
def test_output_shape_matches_compute_output_shape(make, shape):
    layer = make()
    predicted = layer.compute_output_shape((None, *shape[1:]))
    assert layer(np.zeros(shape)).shape == (shape[0], *predicted[1:])
    symbolic = make()(Input(shape=shape[1:]))
    assert isinstance(symbolic, KerasTensor) and symbolic.shape == predicted


def test_compute_output_shape_with_unknown_sizes():
    assert Conv2D(4, 3).compute_output_shape((None, None, 10, 3)) == (None, None, 8, 4)
    assert MaxPooling1D().compute_output_shape((None, None, 3)) == (None, None, 3)
    assert Conv1D(2, 3).compute_output_shape((8, 20, 1)) == (8, 18, 2)
    assert GlobalMaxPooling1D().compute_output_shape((None, None, 5)) == (None, 5)


def test_conv2d_layer_values_and_keras_weight_layout():
    layer = Conv2D(3, (3, 2), padding="same", bias_initializer="random_normal", **F64)
    x = data(2, 5, 4, 2)
    y = layer(x).numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 2, 3) and bias.shape == (3,)
    np.testing.assert_allclose(
        y, reference_conv2d(x, kernel, bias, (1, 1), "same", (1, 1)), rtol=1e-12, atol=1e-12
    )
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == 3 * 2 * 2 * 3 + 3


def test_conv_layer_reads_its_kernel_and_bias_once_per_call():
    """A wrapper (DropConnect) may put another tensor in ``layer.kernel`` for one call."""
    reads = {"kernel": 0, "bias": 0}

    class Counting(Conv2D):
        def __getattribute__(self, name):
            if name in reads:
                reads[name] += 1
            return super().__getattribute__(name)

    layer = Counting(2, 3, **F64)
    x = data(1, 4, 4, 1)
    layer(x)
    reads.update(kernel=0, bias=0)
    layer(x)
    assert reads == {"kernel": 1, "bias": 1}
    real = layer.kernel
    layer.kernel = treino.tensor(np.zeros(real.shape))  # substituted for one call
    np.testing.assert_array_equal(
        layer(x).numpy(), np.broadcast_to(layer.bias.numpy(), (1, 2, 2, 2))
    )
    layer.kernel = real


def test_global_average_pooling1d_with_a_mask_from_embedding():
    ids = np.array([[3, 1, 0, 0], [2, 4, 4, 0]])
    embedded = layers.Embedding(5, 2, mask_zero=True, **F64)(ids)
    pooled = GlobalAveragePooling1D(**F64)(embedded).numpy()
    e = embedded.numpy()
    np.testing.assert_allclose(pooled, [e[0, :2].mean(axis=0), e[1, :3].mean(axis=0)])
    with pytest.raises(ValueError, match=r"'gap'.*mask must have shape \(batch, steps\)"):
        GlobalAveragePooling1D(name="gap")(np.ones((2, 4, 1)), mask=np.ones((2, 3), bool))


def test_a_small_cnn_trains():
    treino.seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1), dtype=np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(int)  # top or bottom
    model = treino.models.Sequential([
        Input(shape=(8, 8, 1)), Conv2D(4, 3, padding="same", activation="relu"), MaxPooling2D(),
        Conv2D(4, 3, activation="relu"), Flatten(), Dense(2),
    ])  # fmt: skip
    model.compile(optimizer=treino.optimizers.Adam(learning_rate=0.01),
                  loss=treino.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    losses = model.fit(x, y, batch_size=16, epochs=15, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.predict(x, verbose=0).shape == (64, 2)


# ------------------------------------------------------------ layer errors
def test_conv_errors_name_the_layer_and_change_nothing():
    layer = Conv2D(2, 5, name="features")
    with pytest.raises(ValueError, match=r"Conv2D 'features': input of shape \(1, 4, 9, 1\) is "
                       r"too small for kernel_size=\(5, 5\)"):  # fmt: skip
        layer(np.ones((1, 4, 9, 1)))
    assert not layer.built and layer.weights == []
    with pytest.raises(ValueError, match=r"'features'.*expected ndim=4, found ndim=3"):
        layer(np.ones((1, 9, 9)))
    layer(np.ones((1, 9, 9, 3)))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"'features'.*axis -1 of the input to have size 3.*"
                       r"\(1, 9, 9, 2\)"):  # fmt: skip
        layer(np.ones((1, 9, 9, 2)))
    with pytest.raises(ValueError, match=r"'features'.*too small"):
        layer(np.ones((2, 9, 3, 3)))
    with pytest.raises(ValueError, match=r"'features'.*too small"):
        layer(Input(shape=(3, 9, 3)))
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"'c1'.*channel axis \(last\) of the input must be known"):
        Conv1D(2, 3, name="c1")(Input(shape=(10, None)))


def test_pooling_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'pool': input of shape \(2, 1, 5, 3\) is "
                       r"smaller than pool_size=\(2, 2\) with padding='valid'"):  # fmt: skip
        MaxPooling2D(name="pool")(np.ones((2, 1, 5, 3)))
    with pytest.raises(ValueError, match=r"'gp'.*expected ndim=3, found ndim=4"):
        GlobalMaxPooling1D(name="gp")(np.ones((2, 3, 3, 1)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Conv2D(0, 3), r"Conv2D: filters must be a positive integer; received filters=0"),
        (lambda: Conv2D(2.0, 3), r"filters=2.0"),
        (lambda: Conv2D(2, (3, 3, 3)), r"Conv2D: kernel_size must be .* tuple of 2 .*\(3, 3, 3\)"),
        (lambda: Conv1D(2, 0), r"Conv1D: kernel_size must be a positive integer.*kernel_size=0"),
        (lambda: Conv2D(2, 3, strides=2, dilation_rate=2),
         r"Conv2D: strides > 1 is not supported together with dilation_rate > 1 \(as Keras\); "
         r"received strides=\(2, 2\) and dilation_rate=\(2, 2\)"),
        (lambda: Conv1D(2, 3, strides=2, dilation_rate=3), r"Conv1D: strides > 1"),
        (lambda: Conv2D(2, 3, padding="causal"), r"Conv2D: padding must be one of "
                                                 r"\('valid', 'same'\); received padding='causal'"),
        (lambda: Conv2D(2, 3, padding="full"), r"padding='full'"),
        (lambda: Conv2D(2, 3, data_format="channels_first"),
         r"Conv2D: only data_format='channels_last' .* is supported; received "
         r"data_format='channels_first'"),
        (lambda: MaxPooling2D(data_format="channels_first"), r"MaxPooling2D: only "
                                                             r"data_format='channels_last'"),
        (lambda: GlobalAveragePooling1D(data_format="channels_first"), r"channels_last"),
        (lambda: AveragePooling1D(pool_size=-1), r"AveragePooling1D: pool_size must be .*=-1"),
        (lambda: MaxPooling2D(strides=(1, 0)), r"MaxPooling2D: strides .*\(1, 0\)"),
        (lambda: MaxPooling1D(padding="causal"), r"MaxPooling1D: padding must be one of"),
        (lambda: Conv2D(2, 3, activation="nope"), r"Unknown activation"),
    ],
)  # fmt: skip
def test_invalid_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_padding_is_case_insensitive_as_keras():
    assert Conv2D(1, 3, padding="SAME").padding == "same"
    assert MaxPooling1D(padding="Same").padding == "same"


def test_lenet_shapes():
    model = treino.models.Sequential([
        Input(shape=(28, 28, 1)), Conv2D(6, 5, padding="same", activation="relu"),
        MaxPooling2D(2), Conv2D(16, 5, activation="relu"), MaxPooling2D(2), Flatten(),
        Dense(120, activation="relu"), Dense(84, activation="relu"), Dense(10),
    ])  # fmt: skip
    shapes = [layer._last_output_shape for layer in model.layers[:5]]
    assert shapes == [(None, 28, 28, 6), (None, 14, 14, 6), (None, 10, 10, 16), (None, 5, 5, 16),
                      (None, 400)]  # fmt: skip
    assert model.count_params() == 61706  # LeNet-5's parameter count
    assert model.predict(np.zeros((3, 28, 28, 1), dtype=np.float32), verbose=0).shape == (3, 10)
