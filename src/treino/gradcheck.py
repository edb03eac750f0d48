"""Numerical gradient checking: the proof that a backward pass is right.

For each input element xᵢ the central difference

    ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε

has error O(ε²). In float64 with ε = 1e-6 that is about 1e-10 — far below
any real bug. ``gradcheck`` compares it with what ``backward()`` computes and
reports the worst element and where it is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from treino.autograd import Tensor, enable_grad, no_grad


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numerical gradients disagree."""


def gradcheck(
    fn: Callable,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients against central differences in float64.

    Args:
        fn: function of tensors returning a tensor (any shape; a non-scalar
            output is reduced with fixed random weights, so every output
            element is checked).
        *inputs: the inputs; arrays are copied into float64 tensors that
            require grad. Tensors that require grad are converted to float64
            (float64 ones are used as they are, so a strided view stays
            strided); tensors that do not require grad are passed as is.
        eps: finite-difference step. Defaults to 1e-6.
        atol, rtol: tolerance, ``|analytic − numeric| ≤ atol + rtol·|numeric|``.
        seed: seed of the random output weights.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).

    Returns:
        True when every gradient matches.

    Example:
        >>> import numpy as np, treino
        >>> x = np.random.default_rng(0).normal(size=(3, 4))
        >>> treino.gradcheck(lambda t: (t * t).tanh(), x)
        True
    """
    tensors = []
    for x in inputs:
        if isinstance(x, Tensor):
            if x.requires_grad and x.dtype != np.float64:
                x = Tensor(x.data, requires_grad=True, dtype=np.float64)
            tensors.append(x)
        else:
            # A private copy (same memory layout, so a transposed input stays
            # non-contiguous): perturbing it never touches the caller's array,
            # and passing the same array twice gives two independent inputs.
            tensors.append(Tensor(np.array(x, dtype=np.float64, order="K"), requires_grad=True))

    for t in tensors:
        t.grad = None
    with enable_grad():
        out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor; it returned {type(out).__name__}")
    if not out.requires_grad:
        raise GradcheckError("gradcheck: the output does not depend on any input")
    weights = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(weights.astype(out.dtype))

    def objective() -> float:
        with no_grad():  # only values are needed: no graph is built
            value = fn(*tensors)
        return float(np.sum(value.data * weights))

    for k, t in enumerate(tensors):
        if not t.requires_grad:
            continue
        analytic = np.zeros(t.shape) if t.grad is None else t.grad.astype(np.float64)
        numeric = np.zeros(t.shape)
        for index in np.ndindex(t.shape):  # works for non-contiguous data too
            original = t.data[index]
            try:
                t.data[index] = original + eps
                plus = objective()
                t.data[index] = original - eps
                minus = objective()
            finally:
                t.data[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        # A non-finite value on either side is a failure, never a silent pass.
        error = np.where(np.isfinite(analytic) & np.isfinite(numeric), error, np.inf)
        if np.any(error > 0):
            worst = np.unravel_index(int(np.argmax(error)), t.shape) if t.ndim else ()
            message = (
                f"gradcheck: input {k} (shape {t.shape}) has a wrong gradient; worst element "
                f"{tuple(int(i) for i in worst)}: analytic {analytic[worst]:.8g}, "
                f"numerical {numeric[worst]:.8g} (atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
