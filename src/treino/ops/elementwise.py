"""Elementwise arithmetic and math: each op's forward and backward side by side.

Notation: ``G = ∂L/∂z`` is the gradient arriving from above for the output
``z``; every backward returns ``∂L/∂(input) = G · ∂z/∂(input)``, summed back
over broadcast axes with :func:`~treino.autograd.unbroadcast`.
"""

from __future__ import annotations

from treino import backend
from treino.autograd import Function, Tensor, unbroadcast
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import apply_elementwise, as_tensor, binary_operands

# --------------------------------------------------------------- binary ops


class Add(Function):
    """z = x + y.  ∂L/∂x = G ;  ∂L/∂y = G."""

    def forward(self, x, y):
        self.shapes = (xp.shape(x), xp.shape(y))
        return x + y

    def backward(self, g):
        sx, sy = self.shapes
        nx, ny = self.needs_input_grad
        return (unbroadcast(g, sx) if nx else None, unbroadcast(g, sy) if ny else None)


class Subtract(Function):
    """z = x − y.  ∂L/∂x = G ;  ∂L/∂y = −G."""

    def forward(self, x, y):
        self.shapes = (xp.shape(x), xp.shape(y))
        return x - y

    def backward(self, g):
        sx, sy = self.shapes
        nx, ny = self.needs_input_grad
        return (unbroadcast(g, sx) if nx else None, unbroadcast(-g, sy) if ny else None)


class Multiply(Function):
    """z = x · y.  ∂L/∂x = G · y ;  ∂L/∂y = G · x."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y

    def backward(self, g):
        x, y = self.saved
        nx, ny = self.needs_input_grad
        return (
            unbroadcast(g * y, xp.shape(x)) if nx else None,
            unbroadcast(g * x, xp.shape(y)) if ny else None,
        )


class Divide(Function):
    """z = x / y.  ∂L/∂x = G / y ;  ∂L/∂y = −G · x / y² = −G · z / y."""

    def forward(self, x, y):
        z = x / y
        self.save_for_backward(x, y, z)
        return z

    def backward(self, g):
        x, y, z = self.saved
        nx, ny = self.needs_input_grad
        return (
            unbroadcast(g / y, xp.shape(x)) if nx else None,
            unbroadcast(-g * z / y, xp.shape(y)) if ny else None,
        )


class Power(Function):
    """z = xᵖ.  ∂L/∂x = G · p · xᵖ⁻¹ ;  ∂L/∂p = G · xᵖ · ln x (for x > 0).

    Where p = 0, z = 1 is constant and ∂L/∂x = 0, also at x = 0 (as PyTorch),
    rather than 0 · 0⁻¹ = NaN.
    """

    def forward(self, x, p):
        z = x**p
        self.save_for_backward(x, p, z)
        return z

    def backward(self, g):
        x, p, z = self.saved
        nx, np_ = self.needs_input_grad
        gx = None
        if nx:
            if xp.ndim(p) == 0 and p == 0:
                gx = xp.zeros_like(x)
            else:
                with xp.errstate(divide="ignore", invalid="ignore"):
                    slope = p * x ** (p - 1)
                if xp.ndim(p) and x.size and xp.any(p == 0):
                    slope = xp.where(p == 0, 0, slope)
                gx = unbroadcast(g * slope, xp.shape(x))
        gp = None
        if np_:  # x may be a Python number (2 ** t): take its log in the output's dtype
            xa = xp.asarray(x, dtype=z.dtype)
            log_x = xp.log(xp.where(xa > 0, xa, 1))
            gp = unbroadcast(g * z * xp.where(xa > 0, log_x, 0), xp.shape(p))
        return gx, gp


class Maximum(Function):
    """z = max(x, y).  G flows to the larger input; on ties each gets G/2 (as PyTorch)."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return xp.maximum(x, y)

    def backward(self, g):
        x, y = self.saved
        share = xp.where(x > y, 1.0, xp.where(x == y, 0.5, 0.0)).astype(g.dtype)
        nx, ny = self.needs_input_grad
        return (
            unbroadcast(g * share, xp.shape(x)) if nx else None,
            unbroadcast(g * (1 - share), xp.shape(y)) if ny else None,
        )


class Minimum(Function):
    """z = min(x, y).  G flows to the smaller input; on ties each gets G/2 (as PyTorch)."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return xp.minimum(x, y)

    def backward(self, g):
        x, y = self.saved
        share = xp.where(x < y, 1.0, xp.where(x == y, 0.5, 0.0)).astype(g.dtype)
        nx, ny = self.needs_input_grad
        return (
            unbroadcast(g * share, xp.shape(x)) if nx else None,
            unbroadcast(g * (1 - share), xp.shape(y)) if ny else None,
        )


class Where(Function):
    """z = x where c else y.  ∂L/∂x = G·[c] ;  ∂L/∂y = G·[¬c] (c is not differentiable)."""

    def forward(self, condition, x, y):
        self.condition = xp.asarray(condition, dtype=bool)
        self.shapes = (xp.shape(x), xp.shape(y))
        return xp.where(self.condition, x, y)

    def backward(self, g):
        c = self.condition
        _, nx, ny = self.needs_input_grad
        sx, sy = self.shapes
        return (
            None,
            unbroadcast(xp.where(c, g, 0), sx) if nx else None,
            unbroadcast(xp.where(c, 0, g), sy) if ny else None,
        )

    def release(self):
        super().release()
        self.condition = None


def add(x, y) -> Tensor:
    """Elementwise ``x + y`` with broadcasting."""
    return apply_elementwise(Add, "add", *binary_operands("add", x, y))


def subtract(x, y) -> Tensor:
    """Elementwise ``x - y`` with broadcasting."""
    return apply_elementwise(Subtract, "subtract", *binary_operands("subtract", x, y))


def multiply(x, y) -> Tensor:
    """Elementwise ``x * y`` with broadcasting."""
    return apply_elementwise(Multiply, "multiply", *binary_operands("multiply", x, y))


def divide(x, y) -> Tensor:
    """Elementwise ``x / y`` with broadcasting."""
    return apply_elementwise(Divide, "divide", *binary_operands("divide", x, y))


def power(x, p) -> Tensor:
    """Elementwise ``x ** p``; ``p`` may be a number or a tensor."""
    return apply_elementwise(Power, "power", *binary_operands("power", x, p))


def maximum(x, y) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly)."""
    return apply_elementwise(Maximum, "maximum", *binary_operands("maximum", x, y))


def minimum(x, y) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly)."""
    return apply_elementwise(Minimum, "minimum", *binary_operands("minimum", x, y))


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` holds, else ``y`` (differentiable in ``x`` and ``y``)."""
    if isinstance(condition, Tensor):
        condition = condition.data
    x, y = binary_operands("where", x, y)
    return apply_elementwise(Where, "where", condition, x, y)


# ---------------------------------------------------------------- unary ops


class Negative(Function):
    """z = −x.  ∂L/∂x = −G."""

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Exp(Function):
    """z = eˣ.  ∂L/∂x = G · eˣ = G · z."""

    def forward(self, x):
        z = xp.exp(x)
        self.save_for_backward(z)
        return z

    def backward(self, g):
        (z,) = self.saved
        return g * z


class Log(Function):
    """z = ln x.  ∂L/∂x = G / x."""

    def forward(self, x):
        self.save_for_backward(x)
        return xp.log(x)

    def backward(self, g):
        (x,) = self.saved
        return g / x


class Log1p(Function):
    """z = ln(1 + x), accurate near 0.  ∂L/∂x = G / (1 + x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return xp.log1p(x)

    def backward(self, g):
        (x,) = self.saved
        return g / (1 + x)


class Sqrt(Function):
    """z = √x.  ∂L/∂x = G / (2√x) = G / (2z)."""

    def forward(self, x):
        z = xp.sqrt(x)
        self.save_for_backward(z)
        return z

    def backward(self, g):
        (z,) = self.saved
        return g / (2 * z)


class Square(Function):
    """z = x².  ∂L/∂x = 2 · G · x."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, g):
        (x,) = self.saved
        return 2 * g * x


class Abs(Function):
    """z = |x|.  ∂L/∂x = G · sign(x)  (0 at x = 0, as PyTorch)."""

    def forward(self, x):
        self.save_for_backward(x)
        return xp.abs(x)

    def backward(self, g):
        (x,) = self.saved
        return g * xp.sign(x)


class Clip(Function):
    """z = min(max(x, a), b).  ∂L/∂x = G · [a ≤ x ≤ b]  (PyTorch's clamp convention)."""

    def forward(self, x, a, b):
        lo = -xp.inf if a is None else a
        hi = xp.inf if b is None else b
        self.save_for_backward((x >= lo) & (x <= hi))
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    def backward(self, g):
        (inside,) = self.saved
        return g * inside, None, None


class Cast(Function):
    """z = x converted to another dtype.  ∂L/∂x = G converted back."""

    def forward(self, x, dtype):
        self.source = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.source), None


def negative(x) -> Tensor:
    """Elementwise ``-x``."""
    return Negative.apply(as_tensor(x))


def exp(x) -> Tensor:
    """Elementwise ``e**x``."""
    return Exp.apply(as_tensor(x))


def log(x) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(as_tensor(x))


def log1p(x) -> Tensor:
    """Elementwise ``ln(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(as_tensor(x))


def sqrt(x) -> Tensor:
    """Elementwise square root."""
    return Sqrt.apply(as_tensor(x))


def square(x) -> Tensor:
    """Elementwise ``x**2``."""
    return Square.apply(as_tensor(x))


def abs(x) -> Tensor:  # noqa: A001 - the name users expect, as numpy.abs / torch.abs
    """Elementwise absolute value."""
    return Abs.apply(as_tensor(x))


def clip(x, min=None, max=None) -> Tensor:  # noqa: A002
    """Clamp ``x`` to ``[min, max]`` (either bound may be None)."""
    return Clip.apply(as_tensor(x), min, max)


def cast(x, dtype) -> Tensor:
    """Convert to ``dtype``; the gradient is converted back to the input's dtype.

    A cast to an integer or bool dtype is not differentiable: the result is a
    constant (as in PyTorch).
    """
    x = as_tensor(x)
    dtype = xp.dtype(dtype)
    if dtype == x.dtype:
        return x
    if not backend.is_float(dtype):
        return Tensor(x.data.astype(dtype))
    return Cast.apply(x, dtype)
