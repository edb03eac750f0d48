"""Matrix products: ``matmul`` and the fused ``linear`` layer op.

For Y = X·W the chain rule gives the two formulas the whole of deep learning
runs on:

    ∂L/∂X = G · Wᵀ        ∂L/∂W = Xᵀ · G

where G = ∂L/∂Y. Shapes check themselves: (N, out)·(out, in) = (N, in) and
(in, N)·(N, out) = (in, out).
"""

from __future__ import annotations

from treino.autograd import Function, Tensor, unbroadcast
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import common_float, relu_into


def _swap(a):
    return xp.swapaxes(a, -1, -2)


class MatMul(Function):
    """Z = X · Y (batched over leading axes).  ∂L/∂X = G · Yᵀ ;  ∂L/∂Y = Xᵀ · G."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return xp.matmul(x, y)

    def backward(self, g):
        x, y = self.saved
        nx, ny = self.needs_input_grad
        # 1-D operands behave as a row (left) or a column (right) vector.
        # G gets the matching unit axes back: the column's first, so that a
        # 1-D · 1-D product (G a scalar) becomes a (1, 1) matrix.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        if y.ndim == 1:
            g = xp.expand_dims(g, -1)
        if x.ndim == 1:
            g = xp.expand_dims(g, -2)
        gx = gy = None
        if nx:
            gx = unbroadcast(xp.matmul(g, _swap(y2)), x2.shape).reshape(x.shape)
        if ny:
            gy = unbroadcast(xp.matmul(_swap(x2), g), y2.shape).reshape(y.shape)
        return gx, gy


class Linear(Function):
    """Y = φ(X · W + b), the Dense layer in one op (Keras layout: W is (in, out)).

    With Z = X·W + b and G = ∂L/∂Y:

        ∂L/∂Z = G · φ'(Z) ;  ∂L/∂X = ∂L/∂Z · Wᵀ ;  ∂L/∂W = Xᵀ · ∂L/∂Z ;  ∂L/∂b = Σ_batch ∂L/∂Z.

    φ is the identity, or ReLU with ``relu=True`` (φ'(z) = 1 where the output
    is positive): the bias and the ReLU are applied in place on the product,
    so the forward allocates one array instead of three.

    ``X`` may have leading axes (…, in); they are flattened into the batch for
    the weight gradients, so one matrix product does the whole batch.
    """

    def forward(self, x, w, b, relu=False):
        y = x @ w
        if b is not None:
            y += b
        if relu:
            relu_into(y)
        self.save_for_backward(x, w, y if relu else None)
        return y

    def backward(self, g):
        x, w, relu_out = self.saved
        nx, nw, nb = self.needs_input_grad
        if relu_out is not None:
            g = g * (relu_out > 0)
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g @ w.T) if nx else None
        gw = (x.reshape(-1, x.shape[-1]).T @ g2) if nw else None
        gb = g2.sum(axis=0) if nb else None
        return gx, gw, gb


def _check_matmul(op: str, xs: tuple, ys: tuple) -> None:
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"{op}: operands must have at least 1 dimension; received {xs} and {ys}")
    inner_x = xs[-1]
    inner_y = ys[0] if len(ys) == 1 else ys[-2]
    if inner_x != inner_y:
        raise ValueError(
            f"{op}: cannot multiply shapes {xs} and {ys}: the inner dimensions "
            f"{inner_x} and {inner_y} must be equal"
        )
    try:
        if len(xs) > 2 and len(ys) > 2:  # otherwise there is at most one batch shape
            xp.broadcast_shapes(xs[:-2], ys[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: cannot multiply shapes {xs} and {ys}: the batch dimensions "
            f"{xs[:-2]} and {ys[:-2]} do not broadcast"
        ) from None


def matmul(x, y) -> Tensor:
    """Matrix product ``x @ y`` (NumPy semantics: batched, 1-D as vectors).

    Example:
        >>> import treino
        >>> a = treino.tensor([[1.0, 2.0]], requires_grad=True)
        >>> w = treino.tensor([[3.0], [4.0]])
        >>> y = a @ w
        >>> y.backward()
        >>> y.data, a.grad
        (array([[11.]], dtype=float32), array([[3., 4.]], dtype=float32))
    """
    x, y = common_float("matmul", (x, y))
    _check_matmul("matmul", x.shape, y.shape)
    return MatMul.apply(x, y)


def linear(x, kernel, bias=None, relu: bool = False) -> Tensor:
    """``x @ kernel + bias`` as one op — the forward pass of a Dense layer.

    Args:
        x: input of shape ``(..., in)``.
        kernel: weights of shape ``(in, out)``.
        bias: optional ``(out,)``. Defaults to None.
        relu: apply ``max(0, ·)`` to the result inside the same op (the fused
            ``Dense(activation="relu")``). Defaults to False.
    """
    if bias is None:
        x, kernel = common_float("linear", (x, kernel))
    else:
        x, kernel, bias = common_float("linear", (x, kernel, bias))
    if kernel.ndim != 2:
        raise ValueError(f"linear: kernel must be 2-D (in, out); received shape {kernel.shape}")
    if bias is not None and bias.shape != (kernel.shape[-1],):
        raise ValueError(
            f"linear: bias must have shape ({kernel.shape[-1]},) to match the kernel "
            f"{kernel.shape}; received {bias.shape}"
        )
    if x.ndim == 0 or x.shape[-1] != kernel.shape[0]:
        raise ValueError(
            f"linear: cannot apply a kernel of shape {kernel.shape} to input of shape "
            f"{x.shape}: expected input shape (..., {kernel.shape[0]})"
        )
    return Linear.apply(x, kernel, bias, relu=bool(relu))
