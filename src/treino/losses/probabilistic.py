"""Probabilistic losses: the cross-entropies, Kullback-Leibler divergence and Poisson.

Notation: y is the target, ŷ the prediction, N the number of samples, C the
number of classes (the ``axis`` of the class scores).

Cross-entropy and logits. With ``from_logits=True`` the prediction is a
vector of logits z and the loss runs the fused ops ``softmax_cross_entropy`` /
``sigmoid_binary_cross_entropy`` (log-sum-exp inside, gradient ∂L/∂z = ŷ − y).
With ``from_logits=False`` (the default, as Keras) ŷ holds probabilities:

* if ŷ is the output of ``treino.ops.softmax`` / ``sigmoid`` (it carries
  ``ŷ._logits``), the loss uses the logits behind it and the fused op, as Keras
  does: logits of ±1e4 give exact, finite losses and gradients;
* otherwise ŷ is clipped to [ε, 1 − ε] (ε = 1e-7) before the logarithm, so the
  loss of a confident wrong answer is capped at −ln ε ≈ 16.1.

Passing probabilities with ``from_logits=True`` warns (the classic mix-up).
"""

from __future__ import annotations

import warnings

import numpy as np

from treino import ops
from treino.autograd import Tensor
from treino.losses.base import EPSILON, BuiltinLoss, prepare, prepare_sparse
from treino.ops.nn import SoftmaxCrossEntropy

# ------------------------------------------------------------------ kernels


def _binary_crossentropy(y_true, y_pred, logits, label_smoothing, axis):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if logits is not None:
        per_entry = ops.sigmoid_binary_cross_entropy(logits, y_true)
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        per_entry = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(per_entry, axis=axis)


def _class_probabilities(y_pred, axis):
    # Keras: renormalise to sum 1 along the class axis, then clip to [ε, 1 − ε].
    return ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)


def _categorical_crossentropy(y_true, y_pred, logits, label_smoothing, axis):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if logits is not None:
        return ops.softmax_cross_entropy(logits, y_true, axis=axis)
    return -ops.sum(y_true * ops.log(_class_probabilities(y_pred, axis)), axis=axis)


def _sparse_categorical_crossentropy(labels, valid, y_pred, logits, axis):
    axis = axis % y_pred.ndim
    if logits is not None:  # labels checked by prepare_sparse: straight to the fused op
        values = SoftmaxCrossEntropy.apply(logits, labels, axis, True)
    else:
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        np.put_along_axis(one_hot, np.expand_dims(labels, axis), 1, axis=axis)
        values = -ops.sum(ops.log(_class_probabilities(y_pred, axis)) * one_hot, axis=axis)
    if valid is not None:  # ignore_class: those entries contribute 0 (and no gradient)
        values = values * valid.astype(values.dtype)
    return values


def _kl_divergence(y_true, y_pred):
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def _poisson(y_true, y_pred):
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


def _check_smoothing(owner: str, label_smoothing) -> float:
    if not 0 <= label_smoothing <= 1:
        raise ValueError(
            f"{owner}: label_smoothing must be in [0, 1]; received "
            f"label_smoothing={label_smoothing!r}"
        )
    return float(label_smoothing)


def _check_ignore_class(owner: str, ignore_class):
    if ignore_class is None:
        return None
    if isinstance(ignore_class, bool) or not isinstance(ignore_class, int | np.integer):
        raise TypeError(
            f"{owner}: ignore_class must be an integer or None; received {ignore_class!r}"
        )
    return int(ignore_class)


def _warn_single_class(owner: str, y_pred: Tensor, axis: int) -> None:
    if y_pred.ndim and y_pred.shape[axis] == 1:
        warnings.warn(
            f"{owner}: y_pred has a single class (shape {y_pred.shape}), so the categorical "
            "cross-entropy is always 0. For two classes use one sigmoid output with "
            "BinaryCrossentropy, or C ≥ 2 outputs with softmax.",
            UserWarning,
            stacklevel=3,
        )


_ONE_HOT_HINT = "; for integer class labels use SparseCategoricalCrossentropy"


# ---------------------------------------------------------------- functions
def binary_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """Binary cross-entropy of each sample, for 0/1 (or soft) targets.

    Lₙ = −(1/D) Σⱼ [yₙⱼ ln ŷₙⱼ + (1 − yₙⱼ) ln(1 − ŷₙⱼ)], with ŷ = σ(z) for logits z.

    Args:
        y_true: targets in [0, 1], shape ``(N, ..., D)``.
        y_pred: probabilities, or logits with ``from_logits=True``; same shape.
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; targets become y(1 − s) + s/2. Defaults to 0.
        axis: the axis averaged over. Defaults to -1.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> loss = binary_crossentropy([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> [round(v, 3) for v in loss.tolist()]
        [0.916, 0.714]
    """
    label_smoothing = _check_smoothing("binary_crossentropy", label_smoothing)
    y_true, y_pred, logits = prepare(
        "binary_crossentropy",
        y_true,
        y_pred,
        logits_of="sigmoid",
        from_logits=bool(from_logits),
        axis=axis,
    )
    return _binary_crossentropy(y_true, y_pred, logits, label_smoothing, int(axis))


def categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """Categorical cross-entropy of each sample, for one-hot (or soft) targets.

    Lₙ = −Σ_c yₙc ln ŷₙc, with ŷ = softmax(z) for logits z (probabilities are
    first renormalised to sum 1 along ``axis``, as Keras does).

    Args:
        y_true: one-hot or probability targets, shape ``(N, C)`` (class ``axis``).
        y_pred: probabilities, or logits with ``from_logits=True``; same shape.
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; targets become y(1 − s) + s/C. Defaults to 0.
        axis: the class axis. Defaults to -1.

    Returns:
        The per-sample losses, shape ``(N,)``.

    Example:
        >>> y_true = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        >>> y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
        >>> [round(v, 4) for v in categorical_crossentropy(y_true, y_pred).tolist()]
        [0.0513, 2.3026]
    """
    label_smoothing = _check_smoothing("categorical_crossentropy", label_smoothing)
    y_true, y_pred, logits = prepare(
        "categorical_crossentropy",
        y_true,
        y_pred,
        logits_of="softmax",
        from_logits=bool(from_logits),
        axis=axis,
        hint=_ONE_HOT_HINT,
    )
    _warn_single_class("categorical_crossentropy", y_pred, axis)
    return _categorical_crossentropy(y_true, y_pred, logits, label_smoothing, int(axis))


def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> Tensor:
    """Categorical cross-entropy of each sample, for integer class labels.

    Lₙ = −ln ŷₙ,yₙ (the log-probability of the true class yₙ ∈ {0, …, C − 1}),
    with ŷ = softmax(z) for logits z.

    Args:
        y_true: integer labels, shape ``(N,)`` (or ``(N, 1)``).
        y_pred: probabilities or logits, shape ``(N, C)``.
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        ignore_class: a label value to skip (e.g. a "void" class in segmentation):
            those entries get loss 0. Defaults to None.
        axis: the class axis. Defaults to -1.

    Returns:
        The per-sample losses, shape ``(N,)``.

    Example:
        >>> loss = sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
        >>> [round(v, 4) for v in loss.tolist()]
        [0.0513, 2.3026]
    """
    name = "sparse_categorical_crossentropy"
    labels, valid, y_pred, logits = prepare_sparse(
        name,
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        axis=axis,
        ignore_class=_check_ignore_class(name, ignore_class),
    )
    return _sparse_categorical_crossentropy(labels, valid, y_pred, logits, int(axis))


def kl_divergence(y_true, y_pred) -> Tensor:
    """Kullback-Leibler divergence of each sample: Lₙ = Σ_c yₙc ln(yₙc / ŷₙc).

    Both are clipped to [ε, 1] first (ε = 1e-7), as Keras does. It is the
    cross-entropy minus the entropy of y: 0 when ŷ = y.

    Args:
        y_true: target distributions, shape ``(N, C)``.
        y_pred: predicted distributions, same shape.

    Returns:
        The per-sample losses, shape ``(N,)``.

    Example:
        >>> loss = kl_divergence([[0.5, 0.5]], [[0.25, 0.75]])
        >>> round(loss.item(), 4)
        0.1438
    """
    y_true, y_pred, _ = prepare("kl_divergence", y_true, y_pred)
    return _kl_divergence(y_true, y_pred)


def poisson(y_true, y_pred) -> Tensor:
    """Poisson negative log-likelihood (up to a constant): Lₙ = (1/D) Σⱼ ŷₙⱼ − yₙⱼ ln(ŷₙⱼ + ε).

    For count targets y, with ŷ the predicted rate (> 0); ε = 1e-7.

    Args:
        y_true: counts, shape ``(N, ..., D)``.
        y_pred: predicted rates, same shape.

    Returns:
        The per-sample losses, shape ``(N, ...)``.

    Example:
        >>> loss = poisson([[1.0, 2.0]], [[1.0, 2.0]])
        >>> round(loss.item(), 4)
        0.8069
    """
    y_true, y_pred, _ = prepare("poisson", y_true, y_pred)
    return _poisson(y_true, y_pred)


# ------------------------------------------------------------------ classes
class BinaryCrossentropy(BuiltinLoss):
    """Binary cross-entropy (``'binary_crossentropy'``), for 0/1 targets.

    L = −(1/N) Σₙ (1/D) Σⱼ [yₙⱼ ln ŷₙⱼ + (1 − yₙⱼ) ln(1 − ŷₙⱼ)], ŷ = σ(z).

    With logits (``from_logits=True``, or ŷ the output of a sigmoid) it is
    computed as max(z, 0) − z·y + ln(1 + e^−|z|) and ∂L/∂z = σ(z) − y; otherwise
    ŷ is clipped to [ε, 1 − ε].

    Args:
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; targets become y(1 − s) + s/2. Defaults to 0.
        axis: the axis averaged over. Defaults to -1.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"binary_crossentropy"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> bce = BinaryCrossentropy(from_logits=True)
        >>> y_true, logits = [[0.0, 1.0], [0.0, 0.0]], [[-18.6, 0.51], [2.94, -12.8]]
        >>> round(bce(y_true, logits).item(), 4)
        0.8655
        >>> round(bce(y_true, logits, sample_weight=[0.8, 0.2]).item(), 4)
        0.2436
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing("BinaryCrossentropy", label_smoothing)
        self.axis = int(axis)

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred, logits = self._prepare(
            y_true, y_pred, logits_of="sigmoid", from_logits=self.from_logits, axis=self.axis
        )
        return _binary_crossentropy(y_true, y_pred, logits, self.label_smoothing, self.axis)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class CategoricalCrossentropy(BuiltinLoss):
    """Categorical cross-entropy (``'categorical_crossentropy'``), for one-hot targets.

    L = −(1/N) Σₙ Σ_c yₙc ln ŷₙc, ŷ = softmax(z).

    With logits (``from_logits=True``, or ŷ the output of a softmax) it is
    computed with log-sum-exp and ∂L/∂z = ŷ − y; otherwise ŷ is renormalised to
    sum 1 and clipped to [ε, 1 − ε]. For integer labels use
    :class:`SparseCategoricalCrossentropy`.

    Args:
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; targets become y(1 − s) + s/C. Defaults to 0.
        axis: the class axis. Defaults to -1.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"categorical_crossentropy"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> cce = CategoricalCrossentropy()
        >>> y_true = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        >>> y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
        >>> round(cce(y_true, y_pred).item(), 3)
        1.177
        >>> round(cce(y_true, y_pred, sample_weight=[0.3, 0.7]).item(), 3)
        0.814

        A softmax output is scored through its logits, exactly:

        >>> from treino import ops
        >>> cce([[0.0, 0.0, 1.0]], ops.softmax([[1e4, 0.0, -1e4]])).item()
        20000.0
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing("CategoricalCrossentropy", label_smoothing)
        self.axis = int(axis)

    def call(self, y_true, y_pred) -> Tensor:
        y_true, y_pred, logits = self._prepare(
            y_true,
            y_pred,
            logits_of="softmax",
            from_logits=self.from_logits,
            axis=self.axis,
            hint=_ONE_HOT_HINT,
        )
        _warn_single_class("CategoricalCrossentropy", y_pred, self.axis)
        return _categorical_crossentropy(y_true, y_pred, logits, self.label_smoothing, self.axis)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(BuiltinLoss):
    """Categorical cross-entropy for integer labels (``'sparse_categorical_crossentropy'``).

    L = −(1/N) Σₙ ln ŷₙ,yₙ, yₙ ∈ {0, …, C − 1}, ŷ = softmax(z). The same loss as
    :class:`CategoricalCrossentropy` on one-hot targets, without building them.

    Args:
        from_logits: whether ``y_pred`` holds logits. Defaults to False.
        ignore_class: a label value to skip (e.g. a "void" class): those entries
            get loss 0 and the mean runs over the others. Defaults to None.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"sparse_categorical_crossentropy"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).
        axis: the class axis. Defaults to -1.

    Example:
        >>> scce = SparseCategoricalCrossentropy()
        >>> round(scce([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).item(), 3)
        1.177
        >>> scce = SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
        >>> round(scce([0, -1], [[2.0, 0.0], [0.0, 9.0]]).item(), 4)
        0.1269
    """

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
        axis=-1,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        self.ignore_class = _check_ignore_class("SparseCategoricalCrossentropy", ignore_class)
        self.axis = int(axis)

    def _per_sample(self, y_true, y_pred):
        labels, valid, y_pred, logits = prepare_sparse(
            type(self).__name__,
            y_true,
            y_pred,
            dtype=self.dtype,
            from_logits=self.from_logits,
            axis=self.axis,
            ignore_class=self.ignore_class,
        )
        values = _sparse_categorical_crossentropy(labels, valid, y_pred, logits, self.axis)
        return values, valid

    def call(self, y_true, y_pred) -> Tensor:
        return self._per_sample(y_true, y_pred)[0]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }


class KLDivergence(BuiltinLoss):
    """Kullback-Leibler divergence (``'kl_divergence'``, ``'kld'``).

    L = (1/N) Σₙ Σ_c yₙc ln(yₙc / ŷₙc), both clipped to [ε, 1] (ε = 1e-7).
    ∂L/∂ŷ = −y/(N·ŷ). PyTorch's ``KLDivLoss(reduction="batchmean")`` is the same
    loss, taking ln ŷ as input.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"kl_divergence"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> loss = KLDivergence()([[0.5, 0.5], [1.0, 0.0]], [[0.25, 0.75], [1.0, 0.0]])
        >>> round(loss.item(), 4)
        0.0719
    """

    default_name = "kl_divergence"
    function = staticmethod(_kl_divergence)


class Poisson(BuiltinLoss):
    """Poisson loss (``'poisson'``), for count targets.

    L = (1/N) Σₙ (1/D) Σⱼ [ŷₙⱼ − yₙⱼ ln(ŷₙⱼ + ε)], ε = 1e-7: the Poisson negative
    log-likelihood without the constant ln(y!). PyTorch's
    ``PoissonNLLLoss(log_input=False, eps=1e-7)`` is the same loss.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / None (see ``Loss``).
        name: defaults to ``"poisson"``.
        dtype: computation dtype. Defaults to None (that of ``y_pred``).

    Example:
        >>> loss = Poisson()([[1.0, 2.0], [0.0, 0.0]], [[1.0, 2.0], [0.5, 0.5]])
        >>> round(loss.item(), 4)
        0.6534
    """

    default_name = "poisson"
    function = staticmethod(_poisson)
