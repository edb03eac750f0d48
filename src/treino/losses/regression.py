"""Regression losses: MSE, MAE, MAPE, MSLE, Huber, log-cosh and cosine similarity.

Notation: y is the target, ŷ the prediction; each sample n has D values
(the last axis), and N samples make a batch. Every function returns the
per-sample loss Lₙ (shape: the input's without its last axis); the classes
then reduce, by default to the batch mean L = (1/N) Σₙ Lₙ.
"""

from __future__ import annotations

import math

from treino import ops
from treino.autograd import Tensor
from treino.losses.base import EPSILON, BuiltinLoss, prepare

# ------------------------------------------------------------------ kernels
# Each takes checked Tensors of equal shape; the public functions and the
# classes below only differ in the name their error messages carry.


def _mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def _mean_absolute_error(y_true, y_pred):
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def _mean_absolute_percentage_error(y_true, y_pred):
    scale = ops.maximum(ops.abs(y_true), EPSILON)
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1)


def _mean_squared_logarithmic_error(y_true, y_pred):
    log_pred = ops.log1p(ops.maximum(y_pred, EPSILON))
    log_true = ops.log1p(ops.maximum(y_true, EPSILON))
    return ops.mean(ops.square(log_pred - log_true), axis=-1)


def _huber(y_true, y_pred, delta):
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def _log_cosh(y_true, y_pred):
    # ln cosh x = x + softplus(−2x) − ln 2: exact, and no overflow of eˣ for large |x|.
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def _l2_normalize(x, axis):
    # x / max(‖x‖, ε), written with sqrt(max(Σx², ε²)) so a zero vector has a finite gradient.
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), EPSILON**2))


def _cosine_similarity(y_true, y_pred, axis):
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def _check_delta(owner: str, delta) -> float:
    if not delta > 0:
        raise ValueError(f"{owner}: delta must be positive; received delta={delta!r}")
    return float(delta)


# ---------------------------------------------------------------- functions
def mean_squared_error(y_true, y_pred) -> Tensor:
    """Mean squared error of each sample: Lₙ = (1/D) Σⱼ (ŷₙⱼ − yₙⱼ)².

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> mean_squared_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
        tensor([0.5, 0.5], dtype=float32)
    """
    y_true, y_pred, _ = prepare("mean_squared_error", y_true, y_pred)
    return _mean_squared_error(y_true, y_pred)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """Mean absolute error of each sample: Lₙ = (1/D) Σⱼ |ŷₙⱼ − yₙⱼ|.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
        tensor([1.5], dtype=float32)
    """
    y_true, y_pred, _ = prepare("mean_absolute_error", y_true, y_pred)
    return _mean_absolute_error(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """Mean absolute percentage error: Lₙ = (100/D) Σⱼ |yₙⱼ − ŷₙⱼ| / max(|yₙⱼ|, ε).

    ε = 1e-7 keeps a zero target from dividing by zero (as Keras).

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses (in percent), shape ``(N, ...)``.

    Example:
        >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]])
        tensor([37.5], dtype=float32)
    """
    y_true, y_pred, _ = prepare("mean_absolute_percentage_error", y_true, y_pred)
    return _mean_absolute_percentage_error(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """Mean squared log error: Lₙ = (1/D) Σⱼ (ln(1 + ŷₙⱼ) − ln(1 + yₙⱼ))².

    Values below ε = 1e-7 (zero and negatives) are replaced by ε first, as Keras does.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> import math
        >>> loss = mean_squared_logarithmic_error([[0.0]], [[math.e - 1]])
        >>> round(loss.item(), 4)
        1.0
    """
    y_true, y_pred, _ = prepare("mean_squared_logarithmic_error", y_true, y_pred)
    return _mean_squared_logarithmic_error(y_true, y_pred)


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Huber loss: quadratic for small errors, linear (robust to outliers) for large ones.

    With e = ŷ − y:  ℓ(e) = ½e² if |e| ≤ δ, else δ·|e| − ½δ²;  Lₙ = (1/D) Σⱼ ℓ(eₙⱼ).

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.
        delta: δ, where the loss turns from quadratic to linear. Defaults to 1.0.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> huber([[0.0, 0.0]], [[0.5, 3.0]])
        tensor([1.3125], dtype=float32)
    """
    delta = _check_delta("huber", delta)
    y_true, y_pred, _ = prepare("huber", y_true, y_pred)
    return _huber(y_true, y_pred, delta)


def log_cosh(y_true, y_pred) -> Tensor:
    """Log-cosh loss: Lₙ = (1/D) Σⱼ ln cosh(ŷₙⱼ − yₙⱼ).

    ln cosh x ≈ x²/2 for small x and ≈ |x| − ln 2 for large x: like MSE near the
    target, like MAE far from it. Computed as x + softplus(−2x) − ln 2, which is
    exact and never overflows.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> loss = log_cosh([[0.0, 0.0]], [[1.0, 0.0]])
        >>> round(loss.item(), 4)
        0.2169
    """
    y_true, y_pred, _ = prepare("log_cosh", y_true, y_pred)
    return _log_cosh(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """Negative cosine similarity: Lₙ = −(yₙ · ŷₙ) / (‖yₙ‖ ‖ŷₙ‖).

    −1 when ŷ points along y, 0 when orthogonal, +1 when opposite; minimising
    it aligns the prediction with the target. Each norm is floored at ε, so a
    zero vector gives 0.

    Args:
        y_true: targets, shape ``(N, ..., D)``.
        y_pred: predictions, same shape.
        axis: the axis of the vectors. Defaults to -1.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> loss = cosine_similarity([[1.0, 0.0], [1.0, 1.0]], [[-1.0, 0.0], [2.0, 2.0]])
        >>> [round(v, 4) for v in loss.tolist()]
        [1.0, -1.0]
    """
    y_true, y_pred, _ = prepare("cosine_similarity", y_true, y_pred)
    return _cosine_similarity(y_true, y_pred, int(axis))


# ------------------------------------------------------------------ classes
class MeanSquaredError(BuiltinLoss):
    """Mean squared error (``'mse'``): L = (1/N) Σₙ (1/D) Σⱼ (ŷₙⱼ − yₙⱼ)².

    The usual regression loss; its gradient ∂L/∂ŷ = 2(ŷ − y)/(N·D) grows with the
    error, so outliers weigh heavily.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"mean_squared_error"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> mse = MeanSquaredError()
        >>> mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]).item()
        0.5
        >>> mse([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]], sample_weight=[0.7, 0.3]).item()
        0.25
    """

    default_name = "mean_squared_error"
    function = staticmethod(_mean_squared_error)


class MeanAbsoluteError(BuiltinLoss):
    """Mean absolute error (``'mae'``): L = (1/N) Σₙ (1/D) Σⱼ |ŷₙⱼ − yₙⱼ|.

    Its gradient has constant size (sign(ŷ − y)/(N·D)), so outliers weigh less
    than with MSE; at ŷ = y the gradient is taken as 0 (as PyTorch).

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"mean_absolute_error"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> MeanAbsoluteError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]).item()
        0.5
    """

    default_name = "mean_absolute_error"
    function = staticmethod(_mean_absolute_error)


class MeanAbsolutePercentageError(BuiltinLoss):
    """Mean absolute percentage error (``'mape'``).

    L = (1/N) Σₙ (100/D) Σⱼ |yₙⱼ − ŷₙⱼ| / max(|yₙⱼ|, ε), with ε = 1e-7.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"mean_absolute_percentage_error"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> MeanAbsolutePercentageError()([[2.0, 4.0], [1.0, 1.0]], [[1.0, 5.0], [1.0, 1.0]]).item()
        18.75
    """

    default_name = "mean_absolute_percentage_error"
    function = staticmethod(_mean_absolute_percentage_error)


class MeanSquaredLogarithmicError(BuiltinLoss):
    """Mean squared logarithmic error (``'msle'``).

    L = (1/N) Σₙ (1/D) Σⱼ (ln(1 + ŷₙⱼ) − ln(1 + yₙⱼ))², values below ε = 1e-7
    replaced by ε. It compares ratios rather than differences: good for targets
    spanning orders of magnitude.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"mean_squared_logarithmic_error"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> loss = MeanSquaredLogarithmicError()([[0.0, 1.0]], [[1.0, 1.0]])
        >>> round(loss.item(), 4)
        0.2402
    """

    default_name = "mean_squared_logarithmic_error"
    function = staticmethod(_mean_squared_logarithmic_error)


class Huber(BuiltinLoss):
    """Huber loss: MSE near the target, MAE far from it.

    With e = ŷ − y:  ℓ(e) = ½e² if |e| ≤ δ, else δ·|e| − ½δ²;
    L = (1/N) Σₙ (1/D) Σⱼ ℓ(eₙⱼ). The gradient is e inside [−δ, δ] and δ·sign(e)
    outside: large errors cannot blow it up.

    Args:
        delta: δ, where the loss turns from quadratic to linear. Defaults to 1.0.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"huber_loss"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> Huber()([[0.0, 0.0]], [[0.5, 3.0]]).item()
        1.3125
        >>> Huber(delta=2.0)([[0.0, 0.0]], [[0.5, 3.0]]).item()
        2.0625
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = _check_delta("Huber", delta)

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred, _ = self._prepare(y_true, y_pred)
        return _huber(y_true, y_pred, self.delta)

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(BuiltinLoss):
    """Log-cosh loss: L = (1/N) Σₙ (1/D) Σⱼ ln cosh(ŷₙⱼ − yₙⱼ).

    Smooth everywhere, ≈ e²/2 for small errors and ≈ |e| − ln 2 for large ones;
    computed as e + softplus(−2e) − ln 2 (exact, no overflow). Gradient: tanh(e).

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"log_cosh"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> loss = LogCosh()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
        >>> round(loss.item(), 4)
        0.1084
    """

    default_name = "log_cosh"
    function = staticmethod(_log_cosh)


class CosineSimilarity(BuiltinLoss):
    """Negative cosine similarity: L = −(1/N) Σₙ (yₙ · ŷₙ) / (‖yₙ‖ ‖ŷₙ‖).

    −1 is perfect alignment, 0 orthogonal, +1 opposite. Each norm is floored at
    ε = 1e-7, so a zero vector gives 0.

    Args:
        axis: the axis of the vectors. Defaults to -1.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"cosine_similarity"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> loss = CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]])
        >>> round(loss.item(), 4)
        -0.5
    """

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = int(axis)

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred, _ = self._prepare(y_true, y_pred)
        return _cosine_similarity(y_true, y_pred, self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
