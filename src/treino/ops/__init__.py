"""Differentiable ops. Each is a :class:`~treino.autograd.Function` with its
forward and backward side by side and the derivative in its docstring, plus a
plain function that checks the arguments and applies it.

The common ones are also Tensor methods and operators, as in PyTorch:
``x + y``, ``x @ w``, ``x.sum(axis=0)``, ``x.relu()``, ``x.T`` …
"""

from treino.autograd import Tensor
from treino.ops.activation import (
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    linear_activation,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)
from treino.ops.conv import conv1d, conv2d
from treino.ops.elementwise import (
    abs,
    add,
    cast,
    clip,
    divide,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sqrt,
    square,
    subtract,
    where,
)
from treino.ops.linalg import linear, matmul
from treino.ops.nn import dropout, sigmoid_binary_cross_entropy, softmax_cross_entropy
from treino.ops.pooling import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
)
from treino.ops.recurrent import gru, lstm, simple_rnn
from treino.ops.reduce import logsumexp, max, mean, min, std, sum, var
from treino.ops.regularization import shake_shake
from treino.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    pad,
    reshape,
    squeeze,
    stack,
    transpose,
)

__all__ = [
    "abs", "add", "broadcast_to", "cast", "clip", "concatenate", "divide", "dropout", "elu",
    "exp", "expand_dims", "flatten", "gelu", "getitem", "hard_sigmoid", "leaky_relu", "linear",
    "linear_activation", "log", "log1p", "log_softmax", "logsumexp", "matmul", "max", "maximum",
    "mean", "min", "minimum", "mish", "multiply", "negative", "pad", "power", "relu", "relu6",
    "reshape", "selu", "sigmoid", "sigmoid_binary_cross_entropy", "silu", "softmax",
    "softmax_cross_entropy", "softplus", "softsign", "sqrt", "square", "squeeze", "stack", "std",
    "subtract", "sum", "tanh", "transpose", "var", "where",
    # convolution, pooling, recurrent and Shake-Shake ops (gradchecked in their own test files)
    "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "global_avg_pool", "global_max_pool", "gru",
    "lstm", "max_pool1d", "max_pool2d", "shake_shake", "simple_rnn",
]  # fmt: skip


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _compare(ufunc):
    def method(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(ufunc(self.data, other))

    return method


def _attach_tensor_methods() -> None:
    """Operators and methods of Tensor, all routed through the functions above."""
    from treino.backend import xp

    T = Tensor
    T.__add__, T.__radd__ = add, _reflected(add)
    T.__sub__, T.__rsub__ = subtract, _reflected(subtract)
    T.__mul__, T.__rmul__ = multiply, _reflected(multiply)
    T.__truediv__, T.__rtruediv__ = divide, _reflected(divide)
    T.__pow__, T.__rpow__ = power, _reflected(power)
    T.__matmul__, T.__rmatmul__ = matmul, _reflected(matmul)
    T.__neg__ = negative
    T.__pos__ = lambda self: self
    T.__abs__ = abs
    T.__getitem__ = getitem
    # Comparisons give boolean tensors (not differentiable). == and != keep
    # Python's identity meaning so tensors can sit in lists and dicts.
    T.__lt__, T.__le__ = _compare(xp.less), _compare(xp.less_equal)
    T.__gt__, T.__ge__ = _compare(xp.greater), _compare(xp.greater_equal)
    for fn in (exp, log, log1p, sqrt, square, abs, clip, relu, sigmoid, tanh, softmax,
               log_softmax, sum, mean, max, min, var, std, logsumexp, reshape, transpose,
               flatten, squeeze, expand_dims, matmul, maximum, minimum, leaky_relu, elu, gelu,
               softplus, silu, selu, softsign, relu6):  # fmt: skip
        setattr(T, fn.__name__, fn)
    T.T = property(lambda self: transpose(self))
    T.dot = matmul

    def _reshape(self, *shape):
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    T.reshape = _reshape
    T.transpose = lambda self, *axes: transpose(self, axes[0] if len(axes) == 1 else axes or None)


_attach_tensor_methods()
