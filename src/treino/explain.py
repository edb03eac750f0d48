"""Backpropagation step by step: the course's exercise, made executable.

The course asks for the gradient of one weight of a small network by the
chain rule — for the weight ``w`` from neuron ``j`` into neuron ``k``:

    ∂E/∂w = ∂E/∂o_k · ∂o_k/∂net_k · ∂net_k/∂w

:func:`backprop_step` does that for *every* weight of a small fully connected
network and one example, with the numbers: the forward pass (each ``net`` and
each activation), the error, every chain-rule term from the output back to
the first layer, and the gradient-descent update ``w ← w − η·∂E/∂w``. The
result prints as a worked solution (Portuguese or English) and is also plain
data (:meth:`Walkthrough.records`) for a notebook table.

Conventions (the course's): the error is ``E = ½·Σ_k (t_k − o_k)²`` (the ½
cancels the 2 of the derivative), neurons are named ``x1, x2, …`` (inputs),
``h1, h2, …`` (hidden; ``h1_1, …`` when there are several hidden layers) and
``o1, o2, …`` (outputs); a weight ``w(x1→h1)`` joins ``x1`` to ``h1``. Weights
use the Keras layout: ``W[i, j]`` joins unit ``i`` of the previous layer to
unit ``j`` of this one.

Example:
    >>> from treino import explain
    >>> passo = explain.backprop_step(**explain.course_example())
    >>> round(passo.error, 6)
    0.274811
    >>> round(passo.gradient("w(h1→o1)"), 6)
    0.082167
    >>> print(passo.text("en").splitlines()[0])
    Forward pass
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# activation: (f(net), f'(net) written with the output o = f(net), the formula in words)
_ACTIVATIONS = {
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda o: o * (1.0 - o), "o·(1 − o)"),
    "tanh": (np.tanh, lambda o: 1.0 - o * o, "1 − o²"),
    "relu": (lambda z: np.maximum(z, 0.0), lambda o: (o > 0).astype(float), "1 if o > 0 else 0"),
    "linear": (lambda z: z, lambda o: np.ones_like(o), "1"),
}

_TITLES = {
    "pt": {"forward": "Passo para a frente (forward)", "error": "Erro",
           "backward": "Retropropagação (regra da cadeia)", "update": "Atualização dos pesos"},
    "en": {"forward": "Forward pass", "error": "Error",
           "backward": "Backpropagation (chain rule)", "update": "Weight update"},
}  # fmt: skip


@dataclass
class Step:
    """One line of the worked solution.

    Attributes:
        phase: ``"forward"``, ``"error"``, ``"backward"`` or ``"update"``.
        name: what is computed (``"net_h1"``, ``"∂E/∂w(x1→h1)"``, ``"w(x1→h1)"``).
        formula: the formula with the numbers put in.
        value: the result.
    """

    phase: str
    name: str
    formula: str
    value: float

    def __post_init__(self):
        self.value = float(self.value)


@dataclass
class Walkthrough:
    """The result of :func:`backprop_step`: every step, the gradients and the new weights."""

    steps: list[Step]
    error: float
    outputs: np.ndarray
    gradients: list = field(default_factory=list)  # [(∂E/∂W, ∂E/∂b) per layer]
    new_weights: list = field(default_factory=list)  # [(W, b) per layer, after the update]

    def gradient(self, weight: str) -> float:
        """The gradient of one weight by name, e.g. ``passo.gradient("w(x1→h1)")``."""
        for step in self.steps:
            if step.phase == "backward" and step.name == f"∂E/∂{weight}":
                return step.value
        names = [s.name[4:] for s in self.steps if s.phase == "backward" and "∂E/∂w" in s.name]
        raise KeyError(f"explain: no weight {weight!r}; the weights are {names}")

    def records(self) -> list[dict]:
        """The steps as plain dicts (``pandas.DataFrame(passo.records())`` makes a table)."""
        return [vars(step).copy() for step in self.steps]

    def text(self, lang: str = "pt") -> str:
        """The worked solution, one formula per line, in Portuguese (``"pt"``) or English."""
        if lang not in _TITLES:
            raise ValueError(f"explain: lang must be 'pt' or 'en'; received {lang!r}")
        lines, phase = [], None
        for step in self.steps:
            if step.phase != phase:
                phase = step.phase
                lines += ([""] if lines else []) + [_TITLES[lang][phase]]
            lines.append(f"  {step.name} = {step.formula} = {step.value:.6g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text("pt")


def course_example() -> dict:
    """The course's exercise network: inputs (x1, x2), hidden (h1, h2), one output o1.

    Sigmoid everywhere, one example, learning rate 0.5 — the arguments of
    :func:`backprop_step`.
    """
    return {
        "weights": [
            (np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([0.35, 0.35])),
            (np.array([[0.40], [0.45]]), np.array([0.60])),
        ],
        "x": np.array([0.05, 0.10]),
        "target": np.array([0.01]),
        "learning_rate": 0.5,
    }


def _names(weights: list) -> list[list[str]]:
    """Unit names per layer, inputs first: x…, h… (h<l>_… with several hidden layers), o…."""
    sizes = [weights[0][0].shape[0]] + [w.shape[1] for w, _ in weights]
    hidden = len(sizes) - 2
    names = [[f"x{i + 1}" for i in range(sizes[0])]]
    for layer, size in enumerate(sizes[1:-1], start=1):
        prefix = "h" if hidden == 1 else f"h{layer}_"
        names.append([f"{prefix}{j + 1}" for j in range(size)])
    names.append([f"o{k + 1}" for k in range(sizes[-1])])
    return names


def _check(weights, x, target, activation) -> tuple:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"explain: activation must be one of {sorted(_ACTIVATIONS)}; "
                         f"received {activation!r}")  # fmt: skip
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    target = np.asarray(target, dtype=np.float64).reshape(-1)
    layers, width = [], x.size
    for index, pair in enumerate(weights):
        kernel, bias = (np.asarray(a, dtype=np.float64) for a in pair)
        if kernel.ndim != 2 or kernel.shape[0] != width or bias.shape != (kernel.shape[1],):
            raise ValueError(
                f"explain: layer {index + 1} needs a kernel of shape ({width}, units) and a bias "
                f"of shape (units,); received {kernel.shape} and {bias.shape}"
            )
        layers.append((kernel, bias))
        width = kernel.shape[1]
    if target.size != width:
        raise ValueError(f"explain: the network has {width} output(s); received a target of "
                         f"{target.size} value(s)")  # fmt: skip
    return layers, x, target


def backprop_step(weights, x, target, learning_rate: float = 0.5,
                  activation: str = "sigmoid") -> Walkthrough:  # fmt: skip
    """One example through a small network, forward and back, with every number shown.

    Args:
        weights: ``[(W, b), …]`` per layer, ``W`` of shape ``(inputs, units)`` (Keras layout).
        x: the example's inputs.
        target: the wanted outputs ``t``.
        learning_rate: η of the update ``w ← w − η·∂E/∂w``. Defaults to 0.5.
        activation: of every neuron: ``"sigmoid"`` (default), ``"tanh"``, ``"relu"``,
            ``"linear"``.

    Returns:
        A :class:`Walkthrough`; ``print`` it for the worked solution.
    """
    layers, x, target = _check(weights, x, target, activation)
    f, f_prime, f_prime_text = _ACTIVATIONS[activation]
    names = _names(layers)
    steps: list[Step] = []

    # forward: net_j = Σ_i a_i·w_ij + b_j ; a_j = f(net_j)
    activations = [x]
    for layer, (kernel, bias) in enumerate(layers, start=1):
        a_prev = activations[-1]
        nets = a_prev @ kernel + bias
        outs = f(nets)
        for j, unit in enumerate(names[layer]):
            terms = " + ".join(f"{a_prev[i]:.4g}·{kernel[i, j]:.4g}" for i in range(len(a_prev)))
            steps.append(Step("forward", f"net_{unit}", f"{terms} + {bias[j]:.4g}", nets[j]))
            steps.append(Step("forward", unit, f"{activation}({nets[j]:.6g})", outs[j]))
        activations.append(outs)
    output = activations[-1]

    # error: E = ½·Σ (t − o)²
    error = 0.5 * float(np.sum((target - output) ** 2))
    terms = " + ".join(f"(½)({t:.4g} − {o:.6g})²" for t, o in zip(target, output, strict=True))
    steps.append(Step("error", "E", terms, error))

    # backward: δ_k = ∂E/∂a_k · ∂a_k/∂net_k ; ∂E/∂w_ik = δ_k · a_i
    gradients = [None] * len(layers)
    d_out = output - target  # ∂E/∂o_k = −(t_k − o_k)
    for layer in range(len(layers), 0, -1):
        kernel, _ = layers[layer - 1]
        a_prev, outs = activations[layer - 1], activations[layer]
        slope = f_prime(outs)
        delta = d_out * slope
        for k, unit in enumerate(names[layer]):
            steps.append(Step("backward", f"∂E/∂{unit}", _d_error_text(layer, len(layers), k,
                              target, outs, names, layers, gradients), d_out[k]))  # fmt: skip
            steps.append(Step("backward", f"∂{unit}/∂net_{unit}",
                              f"{f_prime_text}, o = {outs[k]:.6g}", slope[k]))  # fmt: skip
            # δ: the error signal at the neuron's input, reused by every weight below
            steps.append(Step("backward", f"δ_{unit}",
                              f"∂E/∂{unit} · ∂{unit}/∂net_{unit} = {d_out[k]:.6g} · {slope[k]:.6g}",
                              delta[k]))  # fmt: skip
            for i, source in enumerate(names[layer - 1]):
                steps.append(Step(
                    "backward", f"∂E/∂w({source}→{unit})",
                    f"∂E/∂{unit} · ∂{unit}/∂net_{unit} · ∂net_{unit}/∂w = "
                    f"{d_out[k]:.6g} · {slope[k]:.6g} · {a_prev[i]:.6g}",
                    delta[k] * a_prev[i],
                ))  # fmt: skip
            steps.append(Step("backward", f"∂E/∂b_{unit}",
                              f"{d_out[k]:.6g} · {slope[k]:.6g} · 1", delta[k]))  # fmt: skip
        gradients[layer - 1] = (np.outer(a_prev, delta), delta.copy())
        d_out = kernel @ delta  # ∂E/∂a_i of the previous layer = Σ_k δ_k·w_ik

    # update: w ← w − η·∂E/∂w
    new_weights = []
    pairs = zip(layers, gradients, strict=True)
    for layer, ((kernel, bias), (d_kernel, d_bias)) in enumerate(pairs, start=1):
        new_kernel, new_bias = kernel - learning_rate * d_kernel, bias - learning_rate * d_bias
        for k, unit in enumerate(names[layer]):
            for i, source in enumerate(names[layer - 1]):
                steps.append(Step("update", f"w({source}→{unit})",
                                  f"{kernel[i, k]:.6g} − {learning_rate:g} · {d_kernel[i, k]:.6g}",
                                  new_kernel[i, k]))  # fmt: skip
            steps.append(Step("update", f"b_{unit}",
                              f"{bias[k]:.6g} − {learning_rate:g} · {d_bias[k]:.6g}",
                              new_bias[k]))  # fmt: skip
        new_weights.append((new_kernel, new_bias))
    return Walkthrough(steps, error, output, gradients, new_weights)


def _d_error_text(layer, n_layers, k, target, outs, names, layers, gradients) -> str:
    """How ∂E/∂a_k is obtained: from the error at the output, else summed over the next layer."""
    unit = names[layer][k]
    if layer == n_layers:
        return f"−({target[k]:.4g} − {outs[k]:.6g})"
    kernel, _ = layers[layer]
    _, next_delta = gradients[layer]
    terms = " + ".join(f"δ_{nxt}·w({unit}→{nxt})" for nxt in names[layer + 1])
    numbers = " + ".join(f"{next_delta[m]:.6g}·{kernel[k, m]:.4g}"
                         for m in range(len(names[layer + 1])))  # fmt: skip
    return f"{terms} = {numbers}"


def train(weights, x, target, learning_rate: float = 0.5, iterations: int = 100,
          activation: str = "sigmoid") -> list[float]:  # fmt: skip
    """Repeat :func:`backprop_step` on the example; the error of each iteration.

    The course's expected result: "o erro deve diminuir gradualmente".
    """
    errors = []
    for _ in range(iterations):
        step = backprop_step(weights, x, target, learning_rate, activation)
        errors.append(step.error)
        weights = step.new_weights
    return errors
