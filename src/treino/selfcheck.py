"""The self-check behind ``treino gradcheck``: every op and every layer against finite differences.

A backward pass that is subtly wrong does not crash: the network trains, only
in a wrong direction. The one proof that a backward pass is right is to compare
it with the derivative measured numerically. For every element xᵢ of every
input (and every trainable weight of a layer) the central difference

    ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε        (error O(ε²), float64, ε = 10⁻⁶)

is compared with what ``backward()`` computed, by :func:`treino.gradcheck`
(a non-scalar output is reduced with fixed random weights, so every output
element counts). :func:`run_selfcheck` does that for every differentiable op
of :mod:`treino.ops` and every layer of :mod:`treino.layers`, on small
float64 inputs drawn from a fixed seed, and :func:`format_table` prints the
verdicts as a table.

Reading the table. ``max abs error`` is max |a − n| over all elements, a the
analytic (backward) gradient and n the numerical one; ``max rel error`` is
max |a − n| / max(|n|, atol), the error relative to the gradient's size (the
floor atol = 10⁻⁵ keeps a gradient that is 0 from dividing by ~0). A correct
backward gives about 10⁻¹⁰ … 10⁻⁷, the rounding of float64 divided by ε; a
wrong one gives 10⁻² or more (a factor 2 gives a relative error of 1). A
check passes when every element has |a − n| ≤ atol + rtol·|n| (gradcheck's
rule, atol = 10⁻⁵, rtol = 10⁻⁴).

What each case checks. One row per op or layer; each row runs one to three
*probes* (a function and its inputs), and reports the worst of them. Ops are
checked w.r.t. every float input, with broadcasting, a non-contiguous input,
the same tensor used twice, batches of one where those are the risky cases.
Layers are built in float64 and their trainable weights are redrawn from the
seed (no bias at exactly 0, no γ at exactly 1: such values could hide a
missing term), then checked w.r.t. their float inputs *and* every trainable
weight; an Embedding only w.r.t. its weights (its integer ids have no
gradient).

Random layers. Finite differences call the function hundreds of times, so a
layer that draws a new mask on every call would compare gradients of
different functions. Every random layer is therefore built with an integer
``seed``, and its generator (and those of its sublayers) is *rewound* before
each evaluation, so every evaluation draws the same mask. Dropout,
SpatialDropout1D/2D, DropConnect, GaussianNoise, the Random* augmentation
layers and the recurrent layers' ``dropout``/``recurrent_dropout`` are
checked this way, in training mode. ShakeShake is the exception: in training
its backward is *deliberately not* the derivative of its forward (the paper
mixes the gradient with an independent β ≠ α), so it is checked in
inference mode (α = β = ½), and the ``shake_shake`` op with α = β — the only
settings in which a gradient check can pass.

Coverage. :func:`untested` lists every exported layer and every public op
with neither a case here nor a documented reason in :data:`EXCLUDED`, so a
new op or layer cannot slip in unchecked (the test suite asserts it is empty).

treino's shared random generator (``treino.seed``) is left exactly as it was:
layers draw their initial weights from it, and its state is restored.

Example:
    >>> results = run_selfcheck(only="op: matmul")
    >>> [(r.name, r.kind, r.passed) for r in results]
    [('op: matmul', 'op', True)]
    >>> results[0].max_abs_error < 1e-7
    True
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import math
import numbers
import pkgutil
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from treino import backend, layers, ops
from treino.autograd import Tensor, enable_grad, no_grad
from treino.gradcheck import GradcheckError, gradcheck
from treino.language import resolve_lang
from treino.ops import image as image_ops
from treino.ops import regularization as regularization_ops

__all__ = ["EXCLUDED", "REGISTRY", "CheckResult", "Probe", "format_table", "run_selfcheck",
           "untested"]  # fmt: skip

F64 = {"dtype": "float64"}


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class CheckResult:
    """The verdict on one op or layer.

    Attributes:
        name: ``"op: matmul"`` or ``"layer: LSTM"``.
        kind: ``"op"`` or ``"layer"``.
        max_abs_error: max |analytic − numerical| over every element of every
            input of every probe (NaN when the check could not run).
        max_rel_error: max |analytic − numerical| / max(|numerical|, atol).
        passed: gradcheck accepted every probe.
        seconds: wall time of the whole check.
        detail: for a failure, which probe, which input and which element
            (analytic vs numerical); ``''`` when it passed.
    """

    name: str
    kind: str
    max_abs_error: float
    max_rel_error: float
    passed: bool
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class Probe:
    """One function to gradcheck, its inputs, and the tolerances it is held to.

    ``inputs`` are float arrays (gradcheck copies them into float64 leaves)
    or float64 tensors that require grad (a layer's weights: perturbed in
    place, so the layer computes with the perturbed value). ``names`` label
    the inputs in a failure's detail (``"input 2 = dense/kernel"``).
    """

    fn: Callable[..., Tensor]
    inputs: tuple
    label: str = ""
    names: tuple = ()
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-4


Builder = Callable[[np.random.Generator], list]
REGISTRY: dict[str, Builder] = {}
"""Every check: ``"op: name"`` / ``"layer: Name"`` → a builder ``rng -> [Probe, …]``."""

EXCLUDED: dict[str, str] = {
    "layer: Input": "a function that returns a symbolic KerasTensor (a placeholder for "
                    "building a Model); it computes nothing",
    "layer: InputSpec": "not a layer: the shape contract a layer checks its inputs against",
    "layer: KerasTensor": "not a layer: the symbolic tensor of a model graph",
    "layer: Layer": "the abstract base class; every concrete layer has its own case",
}  # fmt: skip
"""Exported names deliberately without a case, each with the reason."""


def _registers(name: str):
    def add(builder: Builder) -> Builder:
        if name in REGISTRY:
            raise RuntimeError(f"selfcheck: two cases are named {name!r}")
        REGISTRY[name] = builder
        return builder

    return add


# ------------------------------------------------------------------ inputs
def _normal(rng, *shape):
    return rng.normal(size=shape)


def _positive(rng, *shape):
    """Away from 0, for log, sqrt, division and powers."""
    return rng.uniform(0.5, 2.0, size=shape)


def _distinct(rng, *shape):
    """Values at least 0.1 apart, in random order: no ties for max/min to split."""
    n = math.prod(shape)
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1


def _labels(rng, n, classes):
    return rng.integers(0, classes, size=n)


def _op(fn, *inputs, label="", **tolerances) -> Probe:
    return Probe(fn, inputs, label, **tolerances)


# -------------------------------------------------------------- op cases
# (name, input draw, function, label): each row is checked on a (3, 4) input
# and on a non-contiguous one (the transpose of a (4, 3) array).
_UNARY = [
    ("negative", _normal, ops.negative, ""),
    ("exp", _normal, ops.exp, ""),
    ("log", _positive, ops.log, "x > 0"),
    ("log1p", _positive, ops.log1p, "x > 0"),
    ("sqrt", _positive, ops.sqrt, "x > 0"),
    ("square", _normal, ops.square, ""),
    ("abs", _normal, ops.abs, ""),
    ("clip", _normal, lambda t: ops.clip(t, -0.5, 0.8), "[-0.5, 0.8]"),
    ("clip", _normal, lambda t: ops.clip(t, min=0.0), "min only"),
    ("relu", _normal, ops.relu, ""),
    ("relu6", _normal, lambda t: ops.relu6(t * 4.0), "4x, both kinks"),
    ("leaky_relu", _normal, lambda t: ops.leaky_relu(t, 0.1), "slope 0.1"),
    ("elu", _normal, lambda t: ops.elu(t, alpha=0.7), "alpha 0.7"),
    ("selu", _normal, ops.selu, ""),
    ("gelu", _normal, ops.gelu, "exact (erf)"),
    ("gelu", _normal, lambda t: ops.gelu(t, approximate=True), "approximate (tanh)"),
    ("sigmoid", _normal, ops.sigmoid, ""),
    ("hard_sigmoid", _normal, lambda t: ops.hard_sigmoid(t * 3.0), "3x, both kinks"),
    ("tanh", _normal, ops.tanh, ""),
    ("softplus", _normal, ops.softplus, ""),
    ("softsign", _normal, ops.softsign, ""),
    ("silu", _normal, ops.silu, ""),
    ("mish", _normal, ops.mish, ""),
    ("linear_activation", _normal, ops.linear_activation, ""),
    ("softmax", _normal, ops.softmax, "axis -1"),
    ("softmax", _normal, lambda t: ops.softmax(t, axis=0), "axis 0"),
    ("log_softmax", _normal, ops.log_softmax, "axis -1"),
    ("log_softmax", _normal, lambda t: ops.log_softmax(t, axis=0), "axis 0"),
]

# (name, input draw, function): checked with broadcasting and with x ⊕ x
_CONDITION = np.array([True, False, False, True])
_BINARY = [
    ("add", _normal, ops.add),
    ("subtract", _normal, ops.subtract),
    ("multiply", _normal, ops.multiply),
    ("divide", _positive, ops.divide),
    ("power", _positive, ops.power),
    ("maximum", _normal, ops.maximum),  # x ⊕ x is a tie everywhere: G/2 + G/2
    ("minimum", _normal, ops.minimum),
    ("where", _normal, lambda x, y: ops.where(_CONDITION, x, y)),
]

# (name, input draw, function of (t, axis, keepdims)): checked over several axes
_REDUCTIONS = [
    ("sum", _normal, ops.sum),
    ("mean", _normal, ops.mean),
    ("max", _distinct, ops.max),
    ("min", _distinct, ops.min),
    ("var", _normal, ops.var),
    ("var", _normal, lambda t, axis, keepdims: ops.var(t, axis, keepdims, ddof=1)),
    ("std", _normal, ops.std),
    ("std", _normal, lambda t, axis, keepdims: ops.std(t, axis, keepdims, ddof=1)),
    ("logsumexp", _normal, ops.logsumexp),
]


def _unary_case(rows):
    def build(rng):
        probes = []
        for _, draw, fn, label in rows:
            tag = f"{label}, " if label else ""
            probes.append(_op(fn, draw(rng, 3, 4), label=f"{tag}(3, 4)"))
            probes.append(_op(fn, draw(rng, 4, 3).T, label=f"{tag}(4, 3)ᵀ non-contiguous"))
        return probes

    return build


def _binary_case(draw, fn):
    def build(rng):
        return [
            _op(fn, draw(rng, 3, 4), draw(rng, 4), label="(3, 4) with (4,) broadcast"),
            _op(fn, draw(rng, 3, 1), draw(rng, 1, 4), label="(3, 1) with (1, 4) broadcast"),
            _op(lambda t: fn(t, t), draw(rng, 4), label="the same tensor twice"),
        ]

    return build


def _reduction_case(rows):
    def build(rng):
        probes = []
        for _, draw, fn in rows:
            for axis, keepdims in ((None, False), ((0, 2), True), (-1, False)):
                probes.append(_op(lambda t, a=axis, k=keepdims, f=fn: f(t, a, k),
                                  draw(rng, 2, 3, 4), label=f"axis={axis}, keepdims={keepdims}"))
        return probes

    return build


def _grouped(rows) -> dict:
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    return groups


for _name, _rows in _grouped(_UNARY).items():
    REGISTRY[f"op: {_name}"] = _unary_case(_rows)
for _name, _draw, _fn in _BINARY:
    REGISTRY[f"op: {_name}"] = _binary_case(_draw, _fn)
for _name, _rows in _grouped(_REDUCTIONS).items():
    REGISTRY[f"op: {_name}"] = _reduction_case(_rows)


@_registers("op: cast")
def _cast(rng):
    # float64 → float32 → float64: the derivative is 1 up to float32 rounding,
    # so the step is larger (the function is linear) and the tolerance float32's.
    roundtrip = lambda t: ops.cast(ops.cast(t, "float32"), "float64")  # noqa: E731
    return [_op(roundtrip, _normal(rng, 3, 4), label="float64 → float32 → float64",
                eps=1e-2, atol=1e-4, rtol=1e-4)]  # fmt: skip


@_registers("op: matmul")
def _matmul(rng):
    return [
        _op(ops.matmul, _normal(rng, 2, 3, 4), _normal(rng, 4, 2), label="(2, 3, 4) @ (4, 2)"),
        _op(ops.matmul, _normal(rng, 4), _normal(rng, 2, 4, 3), label="(4,) @ (2, 4, 3)"),
        _op(lambda t: t @ t.T, _normal(rng, 3, 2), label="x @ xᵀ"),
    ]


@_registers("op: linear")
def _linear(rng):
    return [
        _op(ops.linear, _normal(rng, 2, 3, 4), _normal(rng, 4, 2), _normal(rng, 2),
            label="(2, 3, 4)·(4, 2) + (2,)"),
        _op(ops.linear, _normal(rng, 1, 3), _normal(rng, 3, 2), label="batch of 1, no bias"),
    ]  # fmt: skip


# ------------------------------------------------------------ shape ops
@_registers("op: reshape")
def _reshape(rng):
    return [_op(lambda t: ops.reshape(t, (2, -1)), _normal(rng, 3, 4), label="(3, 4) → (2, 6)")]


@_registers("op: transpose")
def _transpose(rng):
    return [
        _op(ops.transpose, _normal(rng, 3, 4), label="reversed axes"),
        _op(lambda t: ops.transpose(t, (1, 0, 2)), _normal(rng, 2, 3, 4), label="axes (1, 0, 2)"),
    ]


@_registers("op: broadcast_to")
def _broadcast_to(rng):
    return [_op(lambda t: ops.broadcast_to(t, (2, 3, 4)), _normal(rng, 3, 1),
                label="(3, 1) → (2, 3, 4)")]  # fmt: skip


@_registers("op: concatenate")
def _concatenate(rng):
    join = lambda a, b: ops.concatenate([a, b, a * 2.0], axis=0)  # noqa: E731
    return [
        _op(join, _normal(rng, 1, 3), _normal(rng, 2, 3), label="axis 0, a used twice"),
        _op(lambda a: ops.concatenate([a, np.ones((2, 1))], axis=-1), _normal(rng, 2, 3),
            label="axis -1, with a constant"),
    ]  # fmt: skip


@_registers("op: stack")
def _stack(rng):
    return [_op(lambda a, b: ops.stack([a, b, a * b], axis=1), _normal(rng, 2, 3),
                _normal(rng, 2, 3), label="axis 1, a and b used twice")]  # fmt: skip


@_registers("op: getitem")
def _getitem(rng):
    mask = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
    return [
        _op(lambda t: ops.getitem(t, np.s_[::2, 1:3]), _normal(rng, 3, 4), label="slices"),
        _op(lambda t: t[[0, 0, 2]], _normal(rng, 3, 4), label="repeated rows accumulate"),
        _op(lambda t: t[mask], _normal(rng, 3, 4), label="boolean mask"),
    ]


@_registers("op: pad")
def _pad(rng):
    return [_op(lambda t: ops.pad(t, ((1, 2), (0, 1)), value=1.5), _normal(rng, 3, 4),
                label="((1, 2), (0, 1)), value 1.5")]  # fmt: skip


@_registers("op: expand_dims")
def _expand_dims(rng):
    return [_op(lambda t: ops.expand_dims(t, 1), _normal(rng, 3, 4), label="axis 1")]


@_registers("op: squeeze")
def _squeeze(rng):
    return [_op(ops.squeeze, _normal(rng, 1, 3, 1), label="(1, 3, 1) → (3,)")]


@_registers("op: flatten")
def _flatten(rng):
    return [_op(ops.flatten, _normal(rng, 2, 3, 4), label="(2, 3, 4) → (2, 12)")]


# ------------------------------------------------------------ nn ops
@_registers("op: softmax_cross_entropy")
def _softmax_cross_entropy(rng):
    labels = _labels(rng, 5, 4)
    soft = rng.uniform(0.1, 1.0, size=(5, 4))
    return [
        _op(lambda z: ops.softmax_cross_entropy(z, labels), _normal(rng, 5, 4),
            label="integer labels"),
        _op(ops.softmax_cross_entropy, _normal(rng, 5, 4), soft / soft.sum(-1, keepdims=True),
            label="soft labels, w.r.t. logits and labels"),
    ]  # fmt: skip


@_registers("op: sigmoid_binary_cross_entropy")
def _sigmoid_binary_cross_entropy(rng):
    return [_op(ops.sigmoid_binary_cross_entropy, _normal(rng, 4, 3),
                rng.uniform(size=(4, 3)), label="w.r.t. logits and labels")]  # fmt: skip


@_registers("op: dropout")
def _dropout(rng):
    # An integer seed starts a fresh generator on every call: the same mask each time.
    return [
        _op(lambda t: ops.dropout(t, 0.3, seed=7), _normal(rng, 4, 5), label="rate 0.3, seed 7"),
        _op(lambda t: ops.dropout(t, 0.5, seed=7, noise_shape=(4, 1)), _normal(rng, 4, 5),
            label="noise_shape (4, 1)"),
    ]  # fmt: skip


# ------------------------------------------------ convolution and pooling
@_registers("op: conv2d")
def _conv2d(rng):
    x, k, b = _normal(rng, 2, 5, 5, 2), _normal(rng, 3, 3, 2, 3), _normal(rng, 3)
    return [
        _op(lambda *t: ops.conv2d(*t, strides=2, padding="same"), x, k, b,
            label="strides 2, padding same"),
        _op(lambda *t: ops.conv2d(*t, dilation_rate=2), x, k, b, label="dilation 2, valid"),
        _op(lambda a, w: ops.conv2d(a, w, strides=(2, 1)), _normal(rng, 1, 4, 3, 1),
            _normal(rng, 2, 2, 1, 2), label="batch of 1, no bias, strides (2, 1)"),
    ]  # fmt: skip


@_registers("op: conv1d")
def _conv1d(rng):
    x, k, b = _normal(rng, 2, 7, 2), _normal(rng, 3, 2, 3), _normal(rng, 3)
    return [
        _op(lambda *t: ops.conv1d(*t, padding="causal", dilation_rate=2), x, k, b,
            label="causal, dilation 2"),
        _op(lambda *t: ops.conv1d(*t, strides=2, padding="same"), x, k, b,
            label="strides 2, padding same"),
    ]  # fmt: skip


def _pool_case(op, shape, settings):
    def build(rng):
        x = _distinct(rng, *shape)  # no ties inside a window
        return [_op(lambda t, s=s: op(t, *s), x, label=f"pool {s[0]}, strides {s[1]}, {s[2]}")
                for s in settings]  # fmt: skip

    return build


_POOL2D = [((2, 2), None, "valid"), ((3, 2), (2, 1), "same")]
_POOL1D = [(2, None, "valid"), (3, 2, "same")]
REGISTRY["op: max_pool2d"] = _pool_case(ops.max_pool2d, (2, 5, 4, 2), _POOL2D)
REGISTRY["op: avg_pool2d"] = _pool_case(ops.avg_pool2d, (2, 5, 4, 2), _POOL2D)
REGISTRY["op: max_pool1d"] = _pool_case(ops.max_pool1d, (2, 7, 3), _POOL1D)
REGISTRY["op: avg_pool1d"] = _pool_case(ops.avg_pool1d, (2, 7, 3), _POOL1D)


def _global_pool_case(op):
    def build(rng):
        return [
            _op(lambda t: op(t), _distinct(rng, 2, 3, 4, 2), label="(2, 3, 4, 2)"),
            _op(lambda t: op(t, keepdims=True), _distinct(rng, 2, 5, 3), label="1-D, keepdims"),
        ]

    return build


REGISTRY["op: global_avg_pool"] = _global_pool_case(ops.global_avg_pool)
REGISTRY["op: global_max_pool"] = _global_pool_case(ops.global_max_pool)


# ------------------------------------------------------------ recurrent ops
_STEPS_MASK = np.array([[True, False, True], [False, True, True]])  # False = a padded step


def _recurrent_case(op, gates: int, n_states: int, bias_shape):
    """The fused op w.r.t. inputs, initial state(s), kernel, recurrent kernel and bias."""

    def build(rng):
        n, units = 2, 2

        def operands():
            return ([_normal(rng, n, 3, 2)] + [_normal(rng, n, units) for _ in range(n_states)]
                    + [_normal(rng, 2, gates * units), 0.5 * _normal(rng, units, gates * units),
                       _normal(rng, *bias_shape(units))])  # fmt: skip

        dropped = (rng.random((n, units)) >= 0.4) / 0.6  # a recurrent-dropout mask, scaled
        masked = lambda *t: op(*t, mask=_STEPS_MASK, recurrent_mask=dropped,  # noqa: E731
                               return_sequences=False)
        return [
            _op(op, *operands(), label="every step's state"),
            _op(masked, *operands(), label="padded steps, recurrent dropout, last state"),
        ]

    return build


REGISTRY["op: simple_rnn"] = _recurrent_case(ops.simple_rnn, 1, 1, lambda u: (u,))
REGISTRY["op: lstm"] = _recurrent_case(ops.lstm, 4, 2, lambda u: (4 * u,))
REGISTRY["op: gru"] = _recurrent_case(ops.gru, 3, 1, lambda u: (2, 3 * u))


# ------------------------------------------------------ regularization, image
@_registers("op: shake_shake")
def _shake_shake(rng):
    # Only α = β makes the backward the derivative (see the module docstring).
    same = rng.uniform(size=(3, 1))
    return [
        _op(lambda a, b: regularization_ops.shake_shake(a, b, same, same), _normal(rng, 3, 4),
            _normal(rng, 3, 4), label="α = β per sample"),
        _op(lambda a, b: regularization_ops.shake_shake(a, b, 0.5, 0.5), _normal(rng, 3, 4),
            _normal(rng, 3, 4), label="inference, α = β = ½"),
    ]  # fmt: skip


@_registers("op: gather_pixels")
def _gather_pixels(rng):
    rows = rng.integers(-3, 7, size=(2, 3, 1))  # outside positions and repeated sources
    cols = rng.integers(-3, 8, size=(2, 1, 4))
    return [
        _op(lambda t, mode=mode: image_ops.gather_pixels(t, rows, cols, mode, fill_value=0.7),
            _normal(rng, 2, 4, 5, 2), label=f"fill {mode}")
        for mode in ("constant", "reflect")
    ]  # fmt: skip


@_registers("op: affine_transform")
def _affine_transform(rng):
    matrices = rng.normal(scale=0.3, size=(2, 2, 3)) + [[1, 0, 0], [0, 1, 0]]
    return [
        _op(lambda t: image_ops.affine_transform(t, matrices, "bilinear", "constant", 0.5),
            _normal(rng, 2, 4, 3, 2), label="bilinear, fill constant"),
        _op(lambda t: image_ops.affine_transform(t, matrices, "nearest", "reflect"),
            _normal(rng, 2, 4, 3), label="nearest, fill reflect, grayscale"),
    ]  # fmt: skip


@_registers("op: gaussian_noise")
def _gaussian_noise(rng):
    # An integer seed draws the same noise on every call.
    return [_op(lambda t: image_ops.gaussian_noise(t, 0.3, seed=3), _normal(rng, 3, 4),
                label="stddev 0.3, seed 3")]  # fmt: skip


# ------------------------------------------------------------------ layers
def _rewind(model_layers) -> None:
    """Restart the generator of every seeded (sub)layer: the next call draws the same masks."""
    for layer in model_layers:
        for sub in layer._all_layers():
            if getattr(sub, "seed", None) is not None and hasattr(sub, "_rng"):
                sub._rng = np.random.default_rng(sub.seed)


def _joined(out) -> Tensor:
    """A layer's output(s) as one tensor (N, …): a list (states, merge_mode=None) is joined."""
    if not isinstance(out, list | tuple):
        return out
    return ops.concatenate([o.reshape(o.shape[0], -1) for o in out], axis=1)


def _probe_layers(rng, forward, inputs: list, model_layers: list, label: str) -> Probe:
    """A probe of ``forward(*float inputs)`` w.r.t. those inputs and the layers' weights.

    ``forward`` is called once to build the layers; then every trainable
    weight is redrawn from ``rng`` (N(0, 0.5²)), so no weight sits at a
    special value (a zero bias, a unit γ) where a missing term would vanish.
    """

    def fn(*tensors):
        _rewind(model_layers)
        return _joined(forward(*tensors[: len(inputs)]))

    with no_grad():
        fn(*(Tensor(x) for x in inputs))
    weights = []
    for layer in model_layers:
        weights += [w for w in layer.trainable_weights if all(w is not v for v in weights)]
    for w in weights:
        w.assign(rng.normal(scale=0.5, size=w.shape))
    names = [f"x{k}" for k in range(len(inputs))] + [w.path for w in weights]
    return Probe(fn, (*inputs, *weights), label, tuple(names))


def _layer_probe(rng, layer, inputs, label="", training=None, **call_kwargs) -> Probe:
    """``layer(inputs, training=…)``; ``inputs`` an array or a list (merge layers).

    Integer arrays (Embedding ids) are constants; float arrays are checked.
    """
    several = isinstance(inputs, list)
    arrays = inputs if several else [inputs]
    varying = [np.asarray(a).dtype.kind == "f" for a in arrays]

    def forward(*tensors):
        given = iter(tensors)
        args = [next(given) if v else a for a, v in zip(arrays, varying, strict=True)]
        return layer(args if several else args[0], training=training, **call_kwargs)

    checked = [a for a, v in zip(arrays, varying, strict=True) if v]
    mode = {True: "training", False: "inference", None: ""}[training]
    label = ", ".join(part for part in (label, mode) if part)
    return _probe_layers(rng, forward, checked, [layer], label)


def _layer_case(*variants):
    """A case from ``(label, layer factory, input draw, call kwargs)`` rows."""

    def build(rng):
        return [_layer_probe(rng, make(), draw(rng), label, **kwargs)
                for label, make, draw, kwargs in variants]  # fmt: skip

    return build


def _x(*shape, draw=_normal):
    return lambda rng: draw(rng, *shape)


_TRAIN = {"training": True}
_INFER = {"training": False}

REGISTRY.update({
    "layer: InputLayer": _layer_case(("identity", lambda: layers.InputLayer(shape=(3,), **F64),
                                      _x(2, 3), {})),
    "layer: Dense": _layer_case(
        ("tanh", lambda: layers.Dense(4, "tanh", **F64), _x(3, 5), {}),
        ("(2, 3, 4) input, no bias", lambda: layers.Dense(3, use_bias=False, **F64),
         _x(2, 3, 4), {}),
    ),
    "layer: Activation": _layer_case(
        ("softmax", lambda: layers.Activation("softmax", **F64), _x(2, 5), {}),
    ),
    "layer: Dropout": _layer_case(
        ("rate 0.4, rewound seed", lambda: layers.Dropout(0.4, seed=1, **F64), _x(4, 5), _TRAIN),
        ("identity", lambda: layers.Dropout(0.4, seed=1, **F64), _x(4, 5), _INFER),
    ),
    "layer: Flatten": _layer_case(("", lambda: layers.Flatten(**F64), _x(2, 3, 2), {})),
    "layer: Reshape": _layer_case(("(12,) → (3, 4)", lambda: layers.Reshape((3, 4), **F64),
                                   _x(2, 12), {})),
    "layer: Embedding": _layer_case(
        ("w.r.t. the embeddings, repeated ids", lambda: layers.Embedding(7, 3, **F64),
         lambda rng: np.array([[0, 3, 3], [6, 0, 3]]), {}),
    ),
    "layer: Add": _layer_case(
        ("three inputs, one broadcast", lambda: layers.Add(**F64),
         lambda rng: [_normal(rng, 2, 3), _normal(rng, 2, 3), _normal(rng, 1, 3)], {}),
    ),
    "layer: Concatenate": _layer_case(
        ("axis 1", lambda: layers.Concatenate(axis=1, **F64),
         lambda rng: [_normal(rng, 2, 1, 3), _normal(rng, 2, 2, 3)], {}),
    ),
    "layer: LayerNormalization": _layer_case(
        ("axis -1", lambda: layers.LayerNormalization(**F64), _x(3, 5), {}),
        ("axes (1, 2)", lambda: layers.LayerNormalization(axis=(1, 2), **F64), _x(2, 3, 2), {}),
        ("rms_scaling", lambda: layers.LayerNormalization(rms_scaling=True, **F64), _x(3, 4), {}),
    ),
    "layer: Conv2D": _layer_case(
        ("(3, 2) kernel, strides (2, 1), same, tanh",
         lambda: layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", activation="tanh",
                               **F64), _x(2, 5, 4, 2), {}),
        ("dilation 2", lambda: layers.Conv2D(2, 2, dilation_rate=2, **F64), _x(1, 4, 4, 1), {}),
    ),
    "layer: Conv1D": _layer_case(
        ("causal, dilation 2, tanh", lambda: layers.Conv1D(3, 3, padding="causal", dilation_rate=2,
                                                           activation="tanh", **F64),
         _x(2, 7, 2), {}),
        ("strides 2", lambda: layers.Conv1D(2, 2, strides=2, **F64), _x(2, 6, 2), {}),
    ),
    "layer: MaxPooling2D": _layer_case(
        ("pool 2", lambda: layers.MaxPooling2D(**F64), _x(2, 4, 4, 2, draw=_distinct), {}),
        ("pool (2, 3), strides 1, same",
         lambda: layers.MaxPooling2D((2, 3), strides=1, padding="same", **F64),
         _x(1, 3, 4, 2, draw=_distinct), {}),
    ),
    "layer: AveragePooling2D": _layer_case(
        ("pool (2, 3), strides 1, same",
         lambda: layers.AveragePooling2D((2, 3), strides=1, padding="same", **F64),
         _x(2, 4, 5, 1), {}),
    ),
    "layer: MaxPooling1D": _layer_case(
        ("pool 3, strides 1", lambda: layers.MaxPooling1D(3, strides=1, **F64),
         _x(2, 6, 2, draw=_distinct), {}),
    ),
    "layer: AveragePooling1D": _layer_case(
        ("pool 2, same", lambda: layers.AveragePooling1D(2, padding="same", **F64),
         _x(2, 5, 3), {}),
    ),
    "layer: GlobalAveragePooling2D": _layer_case(
        ("", lambda: layers.GlobalAveragePooling2D(**F64), _x(2, 3, 4, 2), {}),
    ),
    "layer: GlobalMaxPooling2D": _layer_case(
        ("keepdims", lambda: layers.GlobalMaxPooling2D(keepdims=True, **F64),
         _x(2, 3, 4, 2, draw=_distinct), {}),
    ),
    "layer: GlobalAveragePooling1D": _layer_case(
        ("", lambda: layers.GlobalAveragePooling1D(**F64), _x(2, 5, 3), {}),
        ("padded steps", lambda: layers.GlobalAveragePooling1D(**F64), _x(2, 3, 3),
         {"mask": _STEPS_MASK}),
    ),
    "layer: GlobalMaxPooling1D": _layer_case(
        ("", lambda: layers.GlobalMaxPooling1D(**F64), _x(2, 5, 3, draw=_distinct), {}),
    ),
    "layer: SimpleRNN": _layer_case(
        ("every step, padded steps",
         lambda: layers.SimpleRNN(3, return_sequences=True, **F64), _x(2, 3, 2),
         {"mask": _STEPS_MASK}),
        ("dropout and recurrent_dropout, rewound seed",
         lambda: layers.SimpleRNN(3, dropout=0.3, recurrent_dropout=0.3, seed=2, **F64),
         _x(2, 3, 2), _TRAIN),
    ),
    "layer: GRU": _layer_case(
        ("every step, padded steps, go_backwards",
         lambda: layers.GRU(2, return_sequences=True, go_backwards=True, **F64), _x(2, 3, 2),
         {"mask": _STEPS_MASK}),
        ("dropout and recurrent_dropout, rewound seed",
         lambda: layers.GRU(2, dropout=0.3, recurrent_dropout=0.3, seed=2, **F64),
         _x(2, 3, 2), _TRAIN),
    ),
    "layer: Bidirectional": _layer_case(
        ("LSTM, concat", lambda: layers.Bidirectional(
            layers.LSTM(2, return_sequences=True, **F64)), _x(2, 3, 2), {}),
        ("GRU, sum, padded steps", lambda: layers.Bidirectional(
            layers.GRU(2, return_sequences=True, **F64), merge_mode="sum"), _x(2, 3, 2),
         {"mask": _STEPS_MASK}),
        ("SimpleRNN, recurrent_dropout, rewound seed", lambda: layers.Bidirectional(
            layers.SimpleRNN(2, recurrent_dropout=0.5, seed=4, **F64), merge_mode=None),
         _x(2, 3, 2), _TRAIN),
    ),
    "layer: DropConnect": _layer_case(
        ("Dense, rate 0.4, rewound seed",
         lambda: layers.DropConnect(layers.Dense(3, **F64), rate=0.4, seed=3), _x(2, 4), _TRAIN),
        ("Conv1D, rate 0.3, rewound seed",
         lambda: layers.DropConnect(layers.Conv1D(2, 2, **F64), rate=0.3, seed=3), _x(2, 4, 2),
         _TRAIN),
    ),
    "layer: ShakeShake": _layer_case(
        ("α = β = ½ (training: backward ≠ derivative by design)",
         lambda: layers.ShakeShake(seed=5, **F64),
         lambda rng: [_normal(rng, 3, 4), _normal(rng, 3, 4)], _INFER),
    ),
    "layer: SpatialDropout1D": _layer_case(
        ("rate 0.5, rewound seed", lambda: layers.SpatialDropout1D(0.5, seed=6, **F64),
         _x(2, 3, 4), _TRAIN),
    ),
    "layer: SpatialDropout2D": _layer_case(
        ("rate 0.5, rewound seed", lambda: layers.SpatialDropout2D(0.5, seed=6, **F64),
         _x(2, 2, 3, 3), _TRAIN),
    ),
    "layer: GaussianNoise": _layer_case(
        ("stddev 0.2, rewound seed", lambda: layers.GaussianNoise(0.2, seed=7, **F64),
         _x(3, 4), _TRAIN),
    ),
    "layer: RandomFlip": _layer_case(
        ("rewound seed", lambda: layers.RandomFlip(seed=8, **F64), _x(3, 3, 4, 2), _TRAIN),
    ),
    "layer: RandomTranslation": _layer_case(
        ("fill constant, rewound seed",
         lambda: layers.RandomTranslation(0.5, 0.5, "constant", seed=8, fill_value=0.3, **F64),
         _x(2, 4, 4, 1), _TRAIN),
    ),
    "layer: RandomRotation": _layer_case(
        ("bilinear, fill reflect, rewound seed",
         lambda: layers.RandomRotation(0.3, seed=8, **F64), _x(2, 4, 4, 1), _TRAIN),
    ),
    "layer: RandomZoom": _layer_case(
        ("bilinear, fill wrap, rewound seed",
         lambda: layers.RandomZoom(0.5, (-0.6, 0.8), "wrap", seed=8, **F64), _x(2, 4, 3, 2),
         _TRAIN),
    ),
    "layer: Normalization": _layer_case(
        ("given mean and variance", lambda: layers.Normalization(
            mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 1.0], **F64), _x(4, 3), {}),
        ("invert", lambda: layers.Normalization(
            mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 1.0], invert=True, **F64), _x(4, 3), {}),
    ),
    "layer: Rescaling": _layer_case(
        ("per channel", lambda: layers.Rescaling([0.5, -2.0], offset=[1.0, 0.0], **F64),
         _x(2, 3, 3, 2), {}),
    ),
})  # fmt: skip


@_registers("layer: BatchNormalization")
def _batch_normalization(rng):
    training = [_layer_probe(rng, layers.BatchNormalization(**F64), _normal(rng, *shape),
                             label, training=True)
                for label, shape in (("batch statistics", (6, 3)),
                                     ("batch statistics, (N, H, W, C)", (2, 3, 3, 2)))]
    layer = layers.BatchNormalization(**F64)
    inference = _layer_probe(rng, layer, _normal(rng, 4, 3), "moving statistics", training=False)
    layer.moving_mean.assign(rng.normal(size=3))  # not the initial 0 and 1
    layer.moving_variance.assign(rng.uniform(0.5, 2.0, size=3))
    return [*training, inference]


@_registers("layer: LSTM")
def _lstm(rng):
    masked = layers.LSTM(2, return_sequences=True, **F64)
    dropped = layers.LSTM(2, dropout=0.3, recurrent_dropout=0.3, seed=2, **F64)
    # w.r.t. the initial h₀ and c₀ too, and every output (the sequence and the final states)
    stateful = layers.LSTM(2, return_sequences=True, return_state=True, **F64)
    with_state = lambda x, h, c: stateful(x, initial_state=[h, c])  # noqa: E731
    return [
        _layer_probe(rng, masked, _normal(rng, 2, 3, 2), "every step, padded steps",
                     mask=_STEPS_MASK),
        _layer_probe(rng, dropped, _normal(rng, 2, 3, 2),
                     "dropout and recurrent_dropout, rewound seed", training=True),
        _probe_layers(rng, with_state, [_normal(rng, 2, 3, 2), _normal(rng, 2, 2),
                                        _normal(rng, 2, 2)], [stateful],
                      "initial state h₀, c₀, return_state"),
    ]  # fmt: skip


@_registers("layer: Masking")
def _masking(rng):
    # A padded step (all features = mask_value) cannot be perturbed without
    # becoming a real step, so the input is x ⊙ s with s = 0 on the padded
    # steps: they stay padded for every finite difference, and ∂/∂x = 0 there.
    steps = np.array([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])[..., None]
    masking, after = layers.Masking(**F64), layers.Masking(**F64)
    rnn = layers.SimpleRNN(2, return_sequences=True, **F64)
    return [
        _probe_layers(rng, lambda t: masking(t * steps), [_normal(rng, 2, 4, 3)], [masking],
                      "padded steps zeroed"),
        _probe_layers(rng, lambda t: rnn(after(t * steps)), [_normal(rng, 2, 4, 3)],
                      [after, rnn], "the mask carried into a SimpleRNN"),
    ]  # fmt: skip


# ----------------------------------------------------------------- coverage
def _returns_tensor(fn) -> bool:
    try:
        annotation = inspect.signature(fn).return_annotation
    except (TypeError, ValueError):
        return False
    return annotation in ("Tensor", Tensor)


def _public_ops() -> set:
    """Every public op: the names of ``treino.ops.__all__`` and every public function of a
    public ``treino.ops`` module that returns a Tensor (e.g. ``image.affine_transform``)."""
    names = set(ops.__all__)
    for info in pkgutil.iter_modules(ops.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{ops.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) and obj.__module__ == module.__name__
                    and not name.startswith("_") and _returns_tensor(obj)):  # fmt: skip
                names.add(name)
    return names


def untested() -> list[str]:
    """Exported layers and public ops with neither a case nor an :data:`EXCLUDED` reason.

    Layers are the names in ``treino.layers.__all__``; ops are
    ``treino.ops.__all__`` plus every public function of a ``treino.ops``
    module that returns a Tensor. An empty list means everything is checked.

    >>> untested()
    []
    """
    expected = {f"layer: {name}" for name in layers.__all__}
    expected |= {f"op: {name}" for name in _public_ops()}
    covered = set(REGISTRY) | set(EXCLUDED)
    return sorted(expected - covered)


# ------------------------------------------------------------------ running
@contextlib.contextmanager
def _shared_generator_kept():
    """Restore treino's shared generator afterwards (layers draw their first weights from it)."""
    generator = backend.get_rng()
    state = generator.bit_generator.state
    try:
        yield
    finally:
        generator.bit_generator.state = state


def _leaves(inputs) -> list:
    """The inputs as gradcheck takes them: arrays become private float64 leaves, tensors stay."""
    return [x if isinstance(x, Tensor) else
            Tensor(np.array(x, dtype=np.float64, order="K"), requires_grad=True)
            for x in inputs]  # fmt: skip


def _errors(probe: Probe, seed: int) -> tuple:
    """(max |a − n|, max |a − n| / max(|n|, atol)) over every element of every input."""
    tensors = _leaves(probe.inputs)
    for t in tensors:
        t.grad = None
    with enable_grad():
        out = probe.fn(*tensors)
    weights = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(weights.astype(out.dtype))

    def objective() -> float:
        with no_grad():
            return float(np.sum(probe.fn(*tensors).data * weights))

    worst_abs = worst_rel = 0.0
    for t in tensors:
        if not t.requires_grad:
            continue
        analytic = np.zeros(t.shape) if t.grad is None else t.grad.astype(np.float64)
        numeric = np.zeros(t.shape)
        for index in np.ndindex(t.shape):
            original = t.data[index]
            try:
                t.data[index] = original + probe.eps
                plus = objective()
                t.data[index] = original - probe.eps
                minus = objective()
            finally:
                t.data[index] = original
            numeric[index] = (plus - minus) / (2 * probe.eps)
        t.grad = None
        with np.errstate(invalid="ignore", over="ignore"):
            difference = np.abs(analytic - numeric)
            difference[~(np.isfinite(analytic) & np.isfinite(numeric))] = np.inf
            relative = difference / np.maximum(np.abs(numeric), probe.atol)
        worst_abs = max(worst_abs, float(difference.max(initial=0.0)))
        worst_rel = max(worst_rel, float(relative.max(initial=0.0)))
    return worst_abs, worst_rel


def _failure(probe: Probe, message: str) -> str:
    """``[label] message``, naming the input gradcheck blames when the probe knows its name."""
    found = re.search(r"input (\d+)", message)
    if found and int(found.group(1)) < len(probe.names):
        message += f" [input {found.group(1)} = {probe.names[int(found.group(1))]}]"
    return f"[{probe.label}] {message}" if probe.label else message


def _run_case(name: str, seed: int) -> CheckResult:
    kind = name.split(":")[0]
    start = time.perf_counter()
    worst_abs = worst_rel = 0.0
    failures = []
    try:
        # one generator per case, from (seed, name): a case draws the same inputs
        # whether it runs alone (only=…) or with all the others
        probes = REGISTRY[name](np.random.default_rng([seed, zlib.crc32(name.encode())]))
    except Exception as error:  # a broken case is a failed check, not a crashed run
        probes, worst_abs, worst_rel = [], math.nan, math.nan
        failures.append(f"the case could not be built: {type(error).__name__}: {error}")
    for probe in probes:
        try:
            abs_error, rel_error = _errors(probe, seed)
            worst_abs, worst_rel = max(worst_abs, abs_error), max(worst_rel, rel_error)
            gradcheck(probe.fn, *probe.inputs, eps=probe.eps, atol=probe.atol, rtol=probe.rtol,
                      seed=seed)  # fmt: skip
        except GradcheckError as error:
            failures.append(_failure(probe, str(error)))
        except Exception as error:
            worst_abs = worst_rel = math.nan
            failures.append(_failure(probe, f"{type(error).__name__}: {error}"))
    return CheckResult(name, kind, worst_abs, worst_rel, not failures,
                       time.perf_counter() - start, "; ".join(failures))  # fmt: skip


def run_selfcheck(only: str | None = None, seed: int = 0) -> list[CheckResult]:
    """Gradient-check every op and every layer (or those whose name contains ``only``).

    Args:
        only: keep the checks whose name contains this text, ignoring case
            (``"conv"`` gives ``op: conv1d``, ``op: conv2d``, ``layer: Conv1D``,
            ``layer: Conv2D``). Defaults to None (all of them).
        seed: seed of the inputs, the redrawn weights and gradcheck's output
            weights. Defaults to 0.

    Returns:
        One :class:`CheckResult` per op or layer, ops first, in registry order.
        A check that raises is reported as failed (with the error in
        ``detail``), never as a crash of the whole run.

    Raises:
        TypeError: ``only`` is not a string or ``seed`` not an integer.
        ValueError: ``seed`` is negative, or no check's name contains ``only``.

    Example:
        >>> [r.name for r in run_selfcheck(only="Dense")]
        ['layer: Dense']
    """
    if only is not None and not isinstance(only, str):
        raise TypeError(f"run_selfcheck: only must be a string or None; received {only!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"run_selfcheck: seed must be an integer; received {seed!r}")
    if seed < 0:
        raise ValueError(f"run_selfcheck: seed must be >= 0; received {seed}")
    names = [n for n in REGISTRY if only is None or only.lower() in n.lower()]
    if not names:
        raise ValueError(
            f"run_selfcheck: no check's name contains {only!r}; names look like "
            f"'op: matmul' or 'layer: LSTM' ({len(REGISTRY)} checks)"
        )
    with _shared_generator_kept():
        return [_run_case(name, int(seed)) for name in names]


# ------------------------------------------------------------------- table
_TEXT = {
    "pt": {
        "headers": ("verificação", "tipo", "erro abs. máx.", "erro rel. máx.", "status",
                    "tempo (s)"),
        "kinds": {"op": "op", "layer": "camada"},
        "status": ("✓ OK", "✗ FALHOU"),
        "failures": "Falhas:",
        "summary": "{passed} de {total} verificações passaram em {seconds:.1f} s",
    },
    "en": {
        "headers": ("check", "kind", "max abs error", "max rel error", "status", "time (s)"),
        "kinds": {"op": "op", "layer": "layer"},
        "status": ("✓ OK", "✗ FAILED"),
        "failures": "Failures:",
        "summary": "{passed} of {total} checks passed in {seconds:.1f} s",
    },
}  # fmt: skip


def format_table(results, lang: str | None = "pt") -> str:
    """The results as a text table, then the failures' details, then a summary line.

    Args:
        results: a list of :class:`CheckResult` (from :func:`run_selfcheck`).
        lang: ``"pt"`` (default) or ``"en"``; None picks it from the locale.

    Returns:
        The table (columns: name, kind, max abs error, max rel error, status,
        time), one row per result; below it, for each failed check, its
        detail; last, ``"N de M verificações passaram em X s"`` (or English).

    Example:
        >>> row = CheckResult("op: exp", "op", 1.2e-10, 3.4e-10, True, 0.002)
        >>> print(format_table([row], lang="en"))  # doctest: +NORMALIZE_WHITESPACE
        check    kind      max abs error    max rel error  status      time (s)
        -------  ------  ---------------  ---------------  --------  ----------
        op: exp  op              1.2e-10          3.4e-10  ✓ OK           0.002
        1 of 1 checks passed in 0.0 s
    """
    text = _TEXT[resolve_lang(lang)]
    results = list(results)
    for r in results:
        if not isinstance(r, CheckResult):
            raise TypeError(
                f"format_table: expected CheckResult items (from run_selfcheck); received "
                f"{type(r).__name__}"
            )
    ok, failed = text["status"]
    rows = [(r.name, text["kinds"].get(r.kind, r.kind), f"{r.max_abs_error:.1e}",
             f"{r.max_rel_error:.1e}", ok if r.passed else failed, f"{r.seconds:.3f}")
            for r in results]  # fmt: skip
    from tabulate import tabulate

    lines = [tabulate(rows, headers=text["headers"], tablefmt="simple", disable_numparse=True,
                      colalign=("left", "left", "right", "right", "left", "right"))]  # fmt: skip
    failures = [r for r in results if not r.passed]
    if failures:
        lines += ["", text["failures"]] + [f"  {r.name}: {r.detail}" for r in failures]
    lines.append(text["summary"].format(passed=len(results) - len(failures), total=len(results),
                                        seconds=sum(r.seconds for r in results)))  # fmt: skip
    return "\n".join(lines)
