"""Reverse-mode automatic differentiation: ``Tensor``, ``Function`` and ``backward``.

A :class:`Tensor` wraps an array (``.data``). When an op runs on tensors that
require gradients, it returns a tensor that remembers the :class:`Function`
that made it (``._ctx``): the op's inputs (``parents``) and whatever the
backward pass needs (``saved``). That chain of contexts is the computation
graph. ``loss.backward()`` walks it from the output back to the inputs, applying
the chain rule one op at a time:

    ∂L/∂x = Σ over the ops f that used x of  (∂L/∂f) · (∂f/∂x)

Semantics, exactly (the points learners trip over):

* **Leaves accumulate.** A leaf is a tensor created by the user with
  ``requires_grad=True`` (a weight). Each ``backward()`` *adds* into
  ``leaf.grad`` (``+=``), as in PyTorch; set ``leaf.grad = None`` (or call
  :meth:`Tensor.zero_grad`) between steps. Accumulation is what makes a node
  used twice (``y = x * x``) receive the sum of both paths.
* **Intermediates do not keep gradients.** A tensor produced by an op gets no
  ``.grad`` unless :meth:`Tensor.retain_grad` was called on it; then its grad
  is *overwritten* (not accumulated) on each backward pass.
* **The graph is freed.** After ``backward()`` each op releases the buffers it
  saved for backward; a second ``backward()`` through the same graph raises
  unless the first was called with ``retain_graph=True``.
* **Order is iterative and deterministic.** Nodes are visited in a topological
  order computed with an explicit stack (no recursion: a chain of 5,000 ops
  is fine) over ordered parent tuples (no sets), so runs are repeatable.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from treino import backend

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (False inside :func:`no_grad`)."""
    return getattr(_state, "grad_enabled", True)


class _GradMode(contextlib.ContextDecorator):
    """Sets grad mode on enter and restores the previous mode on exit.

    The previous modes are kept on a stack, and each decorated call gets a fresh
    instance, so nesting, recursion and threads cannot leave the mode flipped.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._previous = []

    def _recreate_cm(self):
        return type(self)(self.enabled)

    def __enter__(self):
        self._previous.append(is_grad_enabled())
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self._previous.pop()
        return False


def no_grad(func=None):
    """Context manager (and decorator) that turns graph recording off.

    Use it for inference and for hand-written weight updates:

    >>> import treino
    >>> w = treino.tensor([1.0, 2.0], requires_grad=True)
    >>> with treino.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False

    As a decorator it works with or without parentheses (``@no_grad`` or
    ``@no_grad()``).
    """
    mode = _GradMode(False)
    return mode if func is None else mode(func)


def enable_grad(func=None):
    """Context manager (and decorator) that turns graph recording back on inside
    :func:`no_grad`."""
    mode = _GradMode(True)
    return mode if func is None else mode(func)


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` back to ``shape`` over the axes that broadcasting expanded.

    If ``y = x + b`` with ``x: (N, D)`` and ``b: (D,)``, then ``b`` was used
    once per row, so ``∂L/∂b = Σ_rows ∂L/∂y``. Every binary op calls this for
    each input; it is the one place that rule lives.

    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    >>> unbroadcast(np.ones((4, 3)), (4, 1)).shape
    (4, 1)
    """
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Function:
    """One differentiable op: ``forward`` and ``backward`` side by side.

    Subclasses implement ``forward(self, *arrays, **options) -> array`` and
    ``backward(self, grad_out) -> grad or tuple of grads`` (one per input, in
    order; ``None`` for an input that needs none). Arrays needed by backward go
    through :meth:`save_for_backward` so they can be released after use;
    ``self.needs_input_grad`` lets backward skip work nobody will use.
    """

    saved: tuple = ()
    parents: tuple = ()
    needs_input_grad: tuple = ()

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    def save_for_backward(self, *arrays) -> None:
        self.saved = arrays

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def release(self) -> None:
        """Free what backward needed; the graph can no longer be differentiated."""
        self.saved = None

    @classmethod
    def apply(cls, *inputs, **options) -> Tensor:
        """Run the op on tensors (or constants) and record it when gradients are needed."""
        ctx = cls()
        needs = tuple(isinstance(t, Tensor) and t.requires_grad for t in inputs)
        record = any(needs) and is_grad_enabled()
        ctx.needs_input_grad = needs
        arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
        data = ctx.forward(*arrays, **options)
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = None
        out.name = None
        out._retains_grad = False
        out._logits = None
        out._keras_mask = None
        if record:
            ctx.parents = inputs
            out.requires_grad = True
            out._ctx = ctx
        else:
            out.requires_grad = False
            out._ctx = None
        return out


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert user data to an array following the dtype policy (see treino.backend)."""
    xp = backend.xp
    if isinstance(data, Tensor):
        data = data.data
    array = xp.asarray(data)
    if array.dtype.kind in "OUSVcMm":  # checked before any conversion, for a clear message
        raise TypeError(
            f"tensor: expected numbers (float, int or bool); received dtype {array.dtype}"
        )
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    elif array.dtype.kind == "f" and not isinstance(data, xp.ndarray | np.generic):
        array = array.astype(backend.floatx())  # Python floats become floatx, not float64
    return array


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    Args:
        data: array-like. Python floats and lists of floats become
            ``treino.backend.floatx()`` (float32 by default); NumPy arrays keep
            their dtype.
        requires_grad: whether ``backward()`` should compute ``∂L/∂self``.
            Defaults to ``False``.
        dtype: optional dtype to convert to.
        name: optional label (shown in ``repr`` and in error messages).

    ``.data`` is the underlying array; it is writable, so a hand-written update
    ``w.data -= lr * w.grad`` works inside or outside :func:`no_grad`.

    Example:
        >>> import treino
        >>> x = treino.tensor([[1.0, 2.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        array([[2., 4.]], dtype=float32)
    """

    __array_priority__ = 1000  # ndarray ⊕ Tensor dispatches to Tensor's reflected op
    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "name",
        "_ctx",
        "_retains_grad",
        "_logits",
        "_keras_mask",  # set by layers that mark padded steps (Embedding(mask_zero=True), Masking)
        "__weakref__",
    )

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        array = _to_array(data, dtype)
        if requires_grad and not backend.is_float(array.dtype):
            raise TypeError(
                f"tensor: only float tensors can require gradients; received dtype {array.dtype}"
            )
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._ctx = None
        self._retains_grad = False
        self._logits = None
        self._keras_mask = None  # set, not left missing: getattr's default path raises inside

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs and weights)."""
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        return f"tensor({body}, dtype={self.dtype}{grad}{label})"

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (no copy)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def item(self):
        return self.data.item()

    def __float__(self) -> float:
        """``float(t)`` for a one-element tensor (as ``float(tf_tensor)`` in Keras code)."""
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def astype(self, dtype) -> Tensor:
        """A differentiable cast (the gradient is cast back)."""
        from treino.ops import cast

        return cast(self, dtype)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``self.grad = None``)."""
        self.grad = None

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate tensor (overwritten on each backward)."""
        self._retains_grad = True
        return self

    # --------------------------------------------------------------- backward
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Compute ``∂self/∂leaf`` for every leaf that requires grad, by the chain rule.

        Args:
            grad: ``∂L/∂self``; defaults to ones, allowed only for a single-element
                tensor (a loss).
            retain_graph: keep the saved buffers so backward can run again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input had "
                "requires_grad=True, or it was computed inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: a gradient can be created implicitly only for a single "
                    f"value (a loss); this tensor has shape {self.shape}. Pass grad=..."
                )
            grad = backend.xp.ones_like(self.data)
        else:
            grad = _to_array(grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape}, expected {self.shape}")
        grads = {id(self): grad}
        shared = {id(grad)}  # arrays a leaf may not keep: the caller's, any given to two inputs
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            ctx = node._ctx
            if ctx is None:  # a leaf: accumulate
                if node.grad is None:
                    node.grad = g if _is_own(g, node.dtype, shared) else \
                        backend.xp.array(g, dtype=node.dtype)  # fmt: skip
                else:
                    node.grad += g
                continue
            if node._retains_grad:  # a fresh, writable array: overwritten, never accumulated
                node.grad = backend.xp.array(g, dtype=node.dtype)
            if ctx.saved is None:
                raise RuntimeError(
                    f"backward: the graph through '{ctx.name}' was already freed by an "
                    "earlier backward(); call backward(retain_graph=True) the first time "
                    "to differentiate twice"
                )
            in_grads = ctx.backward(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if len(in_grads) != len(ctx.parents):
                raise RuntimeError(
                    f"backward: '{ctx.name}' returned {len(in_grads)} gradients for "
                    f"{len(ctx.parents)} inputs (return None for an input that needs none)"
                )
            if len(in_grads) > 1:
                returned = [id(pg) for pg in in_grads if pg is not None]
                if len(set(returned)) < len(returned):
                    shared.update(returned)  # the same array for two inputs (x + y gives G, G)
            for parent, needed, pg in zip(ctx.parents, ctx.needs_input_grad, in_grads, strict=True):
                if not needed or pg is None:
                    continue
                shape = pg.shape if type(pg) is np.ndarray else np.shape(pg)
                if shape != parent.data.shape:  # would otherwise broadcast silently
                    raise RuntimeError(
                        f"backward: '{ctx.name}' returned a gradient of shape {np.shape(pg)} "
                        f"for an input of shape {parent.shape}"
                    )
                key = id(parent)
                grads[key] = pg if key not in grads else grads[key] + pg
            if not retain_graph:
                ctx.release()

    # ------------------------------------------------------ operator methods
    # Defined in treino.ops and attached below, so that every operator goes
    # through the same op functions as the functional API.


def _is_own(g, dtype, shared: set) -> bool:
    """Whether the leaf can keep ``g`` itself as its ``.grad`` instead of a copy.

    True for a fresh array an op's backward computed (a matrix product, a sum):
    it owns its memory, is writable, has the leaf's dtype and nothing else
    holds it. Views (a reshape, a broadcast) and arrays in ``shared`` are copied,
    so that accumulating into one ``.grad`` can never change another.
    """
    if type(g) is not np.ndarray or g.base is not None or g.dtype != dtype or id(g) in shared:
        return False
    return g.flags.writeable


def _topological_order(root: Tensor) -> list:
    """Nodes that require grad, each after all of its parents (iterative DFS)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            for parent, needed in zip(
                reversed(ctx.parents), reversed(ctx.needs_input_grad), strict=True
            ):
                if needed and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def tensor(data, requires_grad: bool = False, dtype=None, name: str | None = None) -> Tensor:
    """Create a :class:`Tensor` (``treino.tensor([1.0, 2.0], requires_grad=True)``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a constant tensor (in ``like``'s float dtype)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and not isinstance(x, np.ndarray) and backend.is_float(like.dtype):
        return Tensor(x, dtype=like.dtype)
    return Tensor(x)
