"""The ``Loss`` base class, the reductions, and the checks every loss runs on its inputs.

A loss compares the targets y with the predictions ŷ in two steps, as in Keras:

1. ``call(y_true, y_pred)`` gives one value per sample, Lₙ (the per-sample
   function reduces over the last axis, the features);
2. the *reduction* turns those into the number that is minimised, by default
   the mean over the batch ``L = (1/N) Σₙ wₙ·Lₙ`` (wₙ = ``sample_weight``, 1 by
   default).

Inputs are checked before anything is computed: y_true and y_pred must have the
same shape (after Keras's squeeze / expand of a trailing axis of size 1), must
hold numbers, and must be finite; each error names the loss.
"""

from __future__ import annotations

import warnings

import numpy as np

from treino import backend, ops
from treino.autograd import Tensor, no_grad
from treino.naming import snake_case
from treino.ops.activation import Sigmoid, Softmax

EPSILON = 1e-7
"""Keras's ``backend.epsilon()``: probabilities are clipped to [ε, 1 − ε]."""

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    """Return ``reduction`` if it is one of :data:`REDUCTIONS`, else raise ValueError."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction



class Loss:
    """Base class of the losses: per-sample values, then a reduction.

    Subclass it and implement ``call(y_true, y_pred)`` returning one loss per
    sample (reduce over the last axis); ``__call__`` then applies
    ``sample_weight`` and the reduction. ``call`` receives ``y_pred`` as a float
    :class:`~treino.autograd.Tensor` and ``y_true`` as a Tensor of the same dtype.

    Reductions (N = number of per-sample values, wₙ = sample weights):

    * ``"sum_over_batch_size"`` (default) and ``"mean"``: L = (1/N) Σₙ wₙ·Lₙ
    * ``"sum"``: L = Σₙ wₙ·Lₙ
    * ``"mean_with_sample_weight"``: L = Σₙ wₙ·Lₙ / Σₙ wₙ (the weighted mean)
    * ``"none"`` or ``None``: the tensor of wₙ·Lₙ, one per sample

    Args:
        name: name of the loss. Defaults to the class name in snake_case.
        reduction: one of the reductions above. Defaults to
            ``"sum_over_batch_size"``.
        dtype: float dtype to compute in (``"float32"`` or ``"float64"``).
            Defaults to ``None``: the dtype of ``y_pred`` (``floatx()`` when
            ``y_pred`` holds integers). A float32 prediction is never upcast.

    Example:
        >>> from treino import ops
        >>> class MeanFourthPower(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ops.mean((y_pred - y_true) ** 4, axis=-1)
        >>> loss = MeanFourthPower()
        >>> loss.name, loss([[0.0, 0.0]], [[1.0, 2.0]]).item()
        ('mean_fourth_power', 8.5)
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        if dtype is not None:
            if not backend.is_float(dtype):
                raise ValueError(
                    f"{type(self).__name__}: dtype must be a float dtype; received dtype={dtype!r}"
                )
            dtype = np.dtype(dtype).name
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        """The reduced loss (a scalar Tensor, or per-sample values for ``reduction="none"``).

        Args:
            y_true: targets (array or Tensor).
            y_pred: predictions (Tensor, or array).
            sample_weight: optional weights: a scalar, one per sample ``(N,)``
                (or ``(N, 1)``), or one per loss value; broadcast against the
                per-sample losses. Defaults to ``None`` (all ones).
        """
        values, mask = self._per_sample(y_true, y_pred)
        return reduce_weighted_values(
            type(self).__name__, values, sample_weight, mask, self.reduction
        )

    def _per_sample(self, y_true, y_pred):
        """(per-sample losses, mask of the values that count, or None)."""
        y_true, y_pred = convert_inputs(type(self).__name__, y_true, y_pred, self.dtype)
        return as_loss_tensor(self.call(y_true, y_pred), y_pred), None

    def call(self, y_true, y_pred) -> Tensor:
        """The loss of each sample. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable (``cls(**config)`` rebuilds the loss)."""
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild a loss from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class BuiltinLoss(Loss):
    """A loss of this package: its ``call`` checks and converts the inputs itself.

    A loss without options of its own only names its per-sample function and
    its default name; ``call`` then checks the inputs and returns
    ``function(y_true, y_pred)``. Losses with options (``Huber(delta)``, the
    cross-entropies) write their own ``__init__`` and ``call``.
    """

    default_name: str | None = None
    function = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name or self.default_name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred, _ = self._prepare(y_true, y_pred)
        return self.function(y_true, y_pred)

    def _per_sample(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def _prepare(self, y_true, y_pred, **options):
        return prepare(type(self).__name__, y_true, y_pred, dtype=self.dtype, **options)


# ------------------------------------------------------------------ reduction
def reduce_weighted_values(
    loss_name: str, values, sample_weight=None, mask=None, reduction="sum_over_batch_size"
) -> Tensor:
    """Apply ``sample_weight`` (and a mask of the values that count) and the reduction.

    With a mask (``SparseCategoricalCrossentropy(ignore_class=...)``) the masked
    values are left out: the means divide by the number of values that count.
    A zero divisor gives 0, not NaN (Keras's ``divide_no_nan``).
    """
    standardize_reduction(reduction)
    weights = None
    if sample_weight is not None:
        weights = _sample_weights(loss_name, sample_weight, values)
    if mask is not None:
        mask = np.asarray(mask, dtype=values.dtype)
        weights = mask if weights is None else weights * mask
    if weights is not None:
        values = values * weights
    if reduction in (None, "none") or values.ndim == 0:
        return values
    if weights is None and reduction != "sum" and values.size:
        return ops.mean(values)  # the common case: Σ / n as one op
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(np.sum(np.broadcast_to(weights, values.shape)))
    elif mask is not None:
        divisor = float(np.sum(mask))
    else:
        divisor = values.size
    return total / divisor if divisor else total * 0.0


def _sample_weights(loss_name: str, sample_weight, values: Tensor) -> np.ndarray:
    """``sample_weight`` as a constant array that broadcasts against ``values``.

    Keras's rules: a trailing axis of size 1 is dropped (``(N, 1)`` weights for
    ``(N,)`` losses); weights with fewer axes than the losses are aligned on
    the leading (batch) axes, so ``(N,)`` weights apply to ``(N, T)`` losses.
    """
    w = sample_weight.data if isinstance(sample_weight, Tensor) else np.asarray(sample_weight)
    if w.dtype.kind not in "fiub":
        raise TypeError(f"{loss_name}: sample_weight must hold numbers; received dtype {w.dtype}")
    _check_finite(loss_name, "sample_weight", w)
    given = w.shape
    w = w.astype(values.dtype, copy=False)
    if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if 0 < w.ndim < values.ndim:
        w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    try:
        fits = np.broadcast_shapes(w.shape, values.shape) == values.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{loss_name}: sample_weight of shape {given} does not fit the per-sample "
            f"losses of shape {values.shape}; pass one weight per sample (shape "
            f"{values.shape[:1]}), one per loss value, or a scalar"
        )
    return w


# --------------------------------------------------------------- input checks
def _check_dtype(loss_name: str, which: str, array: np.ndarray) -> None:
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{loss_name}: {which} must hold numbers (float, int or bool); "
            f"received dtype {array.dtype}"
        )


def _check_finite(loss_name: str, which: str, array: np.ndarray) -> None:
    """Raise ValueError if a float array holds NaN or ±inf (before anything is computed)."""
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return
    bad = "NaN" if np.isnan(array).any() else "inf"
    where = np.argwhere(~np.isfinite(array))[0]
    raise ValueError(
        f"{loss_name}: {which} contains {bad} (first at index {tuple(int(i) for i in where)}); "
        "a loss on non-finite values would silently train on garbage"
    )


def _to_tensor(loss_name: str, which: str, x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    _check_dtype(loss_name, which, array)
    return Tensor(x)


def _cast(x: Tensor | None, dtype) -> Tensor | None:
    if x is None or x.dtype == dtype:
        return x
    return ops.cast(x, dtype)


def _compute_dtype(y_pred: Tensor, dtype) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    if backend.is_float(y_pred.dtype):
        return y_pred.dtype
    return np.dtype(backend.floatx())


def _prediction(loss_name, y_pred, dtype, logits_of=None, from_logits=False, axis=-1):
    """``y_pred`` as a float Tensor, and the logits to use for a fused loss (or None)."""
    y_pred = _to_tensor(loss_name, "y_pred", y_pred)
    _check_finite(loss_name, "y_pred", y_pred.data)
    logits = None
    if logits_of is not None:
        logits = resolve_logits(loss_name, y_pred, logits_of, from_logits, axis)
        if logits is not None and logits is not y_pred:
            _check_finite(loss_name, "the logits behind y_pred", logits.data)
    dtype = _compute_dtype(y_pred, dtype)
    return _cast(y_pred, dtype), _cast(logits, dtype)


def _target(loss_name: str, y_true, dtype) -> Tensor:
    """``y_true`` as a Tensor of the computation's float dtype (differentiable if it was)."""
    if isinstance(y_true, Tensor):
        _check_finite(loss_name, "y_true", y_true.data)
        return _cast(y_true, dtype)
    array = np.asarray(y_true)
    _check_dtype(loss_name, "y_true", array)
    _check_finite(loss_name, "y_true", array)
    return Tensor(array, dtype=dtype)


def convert_inputs(loss_name: str, y_true, y_pred, dtype=None) -> tuple:
    """Check and convert the inputs of a custom loss: a float ``y_pred`` and ``y_true`` alike."""
    y_pred, _ = _prediction(loss_name, y_pred, dtype)
    return _target(loss_name, y_true, y_pred.dtype), y_pred


def prepare(
    loss_name: str,
    y_true,
    y_pred,
    *,
    dtype=None,
    logits_of: str | None = None,
    from_logits: bool = False,
    axis: int = -1,
    hint: str = "",
) -> tuple:
    """Check and convert the inputs of a loss that compares y and ŷ entry by entry.

    Args:
        loss_name: name used in error messages (the class or function name).
        y_true, y_pred: the inputs, as given by the user.
        dtype: the float dtype to compute in; None follows ``y_pred``.
        logits_of: ``"softmax"`` or ``"sigmoid"`` for a cross-entropy that can
            use the logits behind a softmax / sigmoid output; None otherwise.
        from_logits: whether the user declared ``y_pred`` to be logits.
        axis: the class axis (for recognising a softmax output).
        hint: appended to the shape-mismatch message when y_true has the shape
            of y_pred without its last axis (class indices for one-hot scores).

    Returns:
        ``(y_true, y_pred, logits)``: two Tensors of the same shape and float
        dtype, and the logits for a fused op (None to use the probabilities).
    """
    y_pred, logits = _prediction(loss_name, y_pred, dtype, logits_of, from_logits, axis)
    y_true = _target(loss_name, y_true, y_pred.dtype)
    return _align(loss_name, y_true, y_pred, logits, hint)


def squeeze_or_expand(y_true: Tensor, y_pred: Tensor, logits: Tensor | None = None) -> tuple:
    """Keras's ``squeeze_or_expand_to_same_rank``: align a trailing axis of size 1.

    ``(N,)`` targets against ``(N, 1)`` predictions (a Dense(1) output) become
    ``(N, 1)``; ``(N, T)`` against ``(N, T, 1)`` lose the predictions' last axis.
    ``logits`` (the ones behind ``y_pred``) are reshaped along with ``y_pred``.
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred, logits = ops.expand_dims(y_pred, -1), _maybe(ops.expand_dims, logits)
        else:
            y_true = ops.squeeze(y_true, -1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred, logits = ops.squeeze(y_pred, -1), _maybe(ops.squeeze, logits)
    return y_true, y_pred, logits


def _maybe(op, x):
    return None if x is None else op(x, -1)


def _align(loss_name, y_true, y_pred, logits, hint):
    """:func:`squeeze_or_expand`, then require equal shapes.

    Anything but a trailing axis of size 1 is an error rather than a broadcast:
    ``(N,) − (N, 1)`` would silently build an N×N matrix.
    """
    shapes = (y_true.shape, y_pred.shape)
    y_true, y_pred, logits = squeeze_or_expand(y_true, y_pred, logits)
    if y_true.shape != y_pred.shape:
        if shapes[0] != shapes[1][:-1]:
            hint = ""
        raise ValueError(
            f"{loss_name}: y_true and y_pred must have the same shape; received "
            f"y_true.shape={shapes[0]} and y_pred.shape={shapes[1]}{hint}"
        )
    return y_true, y_pred, logits


def prepare_sparse(
    loss_name: str,
    y_true,
    y_pred,
    *,
    dtype=None,
    from_logits: bool = False,
    axis: int = -1,
    ignore_class: int | None = None,
) -> tuple:
    """Check and convert integer class labels and the class scores they index.

    Returns:
        ``(labels, valid, y_pred, logits)``: labels as an int64 array of
        ``y_pred``'s shape without the class axis (ignored entries set to 0),
        ``valid`` (bool array, False where ``y_true == ignore_class``; None
        without ``ignore_class``), ``y_pred`` as a float Tensor, and the logits
        for the fused op (None to use the probabilities).
    """
    y_pred, logits = _prediction(loss_name, y_pred, dtype, "softmax", from_logits, axis)
    labels = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    _check_dtype(loss_name, "y_true", labels)
    _check_finite(loss_name, "y_true", labels)
    if y_pred.ndim == 0:
        raise ValueError(f"{loss_name}: y_pred must have a class axis; received a scalar")
    axis = axis % y_pred.ndim
    expected = y_pred.shape[:axis] + y_pred.shape[axis + 1 :]
    given = labels.shape
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != expected:
        hint = ""
        if given == y_pred.shape:
            hint = "; for one-hot labels use CategoricalCrossentropy"
        raise ValueError(
            f"{loss_name}: expected integer labels of shape {expected} (one class index per "
            f"sample) for y_pred of shape {y_pred.shape}; received y_true.shape={given}{hint}"
        )
    if labels.dtype.kind == "f":
        fractional = labels != np.round(labels)
        if fractional.any():
            raise ValueError(
                f"{loss_name}: class labels must be whole numbers; received label "
                f"{labels[fractional].flat[0]}"
            )
    labels = labels.astype(np.int64, copy=False)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    n_classes = y_pred.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        wrong = labels[(labels < 0) | (labels >= n_classes)]
        raise ValueError(
            f"{loss_name}: labels must be in [0, {n_classes - 1}] for {n_classes} classes; "
            f"received label {wrong.flat[0]}"
        )
    return labels, valid, y_pred, logits


# ------------------------------------------------------ logits behind y_pred
def resolve_logits(loss_name: str, y_pred: Tensor, activation: str, from_logits: bool, axis: int):
    """The logits a cross-entropy should use, or None to use the probabilities.

    ``treino.ops.softmax`` and ``sigmoid`` leave their input on the output as
    ``y._logits``. When ``y_pred`` is the output of the activation this loss
    pairs with (softmax for the categorical losses, sigmoid for the binary one),
    the loss uses those logits and a fused op, as Keras does: exact where
    ``log(p)`` would underflow (logits of ±1e4 stay finite) and with the simple
    gradient ŷ − y.

    ``from_logits=True`` on such an output is the classic mix-up (probabilities
    passed as logits): it warns once, then uses the logits behind it as Keras does.
    """
    carried = getattr(y_pred, "_logits", None)
    if not isinstance(carried, Tensor):
        return y_pred if from_logits else None
    producer = _producer(y_pred, carried, axis)
    use_carried = producer == activation
    if from_logits:
        made_by = f"a {producer}" if producer else "an activation (softmax or sigmoid)"
        then = (
            "the loss uses the logits that produced it, as Keras does"
            if use_carried
            else "it is treated as logits anyway, which is almost certainly wrong"
        )
        warnings.warn(
            f"{loss_name}: received from_logits=True, but y_pred is the output of {made_by}: "
            f"it holds probabilities, not logits; {then}. Pass from_logits=False, or drop "
            "the final activation and keep from_logits=True.",
            UserWarning,
            stacklevel=4,
        )
    if use_carried:
        return carried
    return y_pred if from_logits else None


def _producer(y_pred: Tensor, logits: Tensor, axis: int) -> str | None:
    """``"softmax"`` / ``"sigmoid"`` if ``y_pred`` is that activation of ``logits``, else None."""
    if logits.shape != y_pred.shape or y_pred.ndim == 0:
        return None
    ctx = y_pred._ctx
    if ctx is not None:  # the graph says which op made y_pred
        if isinstance(ctx, Sigmoid):
            return "sigmoid"
        if isinstance(ctx, Softmax) and ctx.axis % y_pred.ndim == axis % y_pred.ndim:
            return "softmax"
        return None
    # Not recorded (inside no_grad): recognise the activation by its values.
    with no_grad():
        for name, probabilities in (
            ("sigmoid", lambda: ops.sigmoid(logits.data)),
            ("softmax", lambda: ops.softmax(logits.data, axis)),
        ):
            if np.allclose(probabilities().data, y_pred.data, rtol=1e-6, atol=1e-7):
                return name
    return None


def as_loss_tensor(values, like: Tensor) -> Tensor:
    """What a custom ``call`` returned, as a Tensor (arrays become constants)."""
    return values if isinstance(values, Tensor) else Tensor(values, dtype=like.dtype)
