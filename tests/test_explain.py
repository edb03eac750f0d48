"""treino.explain: the backprop walk-through agrees with autograd and reads like the course."""

import numpy as np
import pytest

import treino
from treino import explain, ops


def _autograd(weights, x, target, activation):
    """The same network with treino's autograd: E = ½·Σ(t − o)² and its gradients."""
    a = treino.tensor(np.asarray(x, dtype=np.float64)[None])
    params = [(treino.tensor(w, requires_grad=True), treino.tensor(b, requires_grad=True))
              for w, b in weights]  # fmt: skip
    act = {"sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu,
           "linear": lambda z: z}[activation]  # fmt: skip
    for w, b in params:
        a = act(a @ w + b)
    error = 0.5 * ops.sum((treino.tensor(np.asarray(target, dtype=np.float64)[None]) - a) ** 2)
    error.backward()
    return float(error.data), [(w.grad, b.grad) for w, b in params]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
@pytest.mark.parametrize("sizes", [(2, 2, 1), (3, 4, 2), (2, 3, 3, 2)])
def test_gradients_and_error_match_autograd(activation, sizes):
    rng = np.random.default_rng(sum(sizes))
    weights = [(rng.normal(size=(i, o)), rng.normal(size=o)) for i, o in
               zip(sizes[:-1], sizes[1:], strict=False)]  # fmt: skip
    x, target = rng.normal(size=sizes[0]), rng.normal(size=sizes[-1])
    step = explain.backprop_step(weights, x, target, 0.1, activation)
    error, grads = _autograd(weights, x, target, activation)
    assert step.error == pytest.approx(error, rel=1e-12)
    for (dw, db), (gw, gb), (w, b), (nw, nb) in zip(step.gradients, grads, weights,
                                                    step.new_weights, strict=True):  # fmt: skip
        np.testing.assert_allclose(dw, gw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db, gb, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(nw, w - 0.1 * gw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(nb, b - 0.1 * gb, rtol=1e-10, atol=1e-12)


def test_the_course_exercise_chain_rule_terms():
    step = explain.backprop_step(**explain.course_example())
    # ∂E/∂w(h1→o1) = ∂E/∂o · ∂o/∂net_o · ∂net_o/∂w = (o − t) · o(1 − o) · h1
    o, h1 = step.outputs[0], 1 / (1 + np.exp(-(0.05 * 0.15 + 0.10 * 0.20 + 0.35)))
    assert step.gradient("w(h1→o1)") == pytest.approx((o - 0.01) * o * (1 - o) * h1)
    text = step.text("en")
    assert "∂E/∂w(x1→h1) = ∂E/∂h1 · ∂h1/∂net_h1 · ∂net_h1/∂w" in text
    assert text.splitlines()[0] == "Forward pass" and "Weight update" in text
    assert str(step).splitlines()[0] == "Passo para a frente (forward)"
    names = {r["name"] for r in step.records()}
    assert {"net_h1", "h1", "E", "∂E/∂o1", "w(x1→h1)", "b_o1"} <= names
    phases = [r["phase"] for r in step.records()]
    assert phases.index("error") > phases.index("forward") and phases[-1] == "update"


def test_the_error_decreases_over_iterations():
    errors = explain.train(**explain.course_example(), iterations=50)
    assert all(b < a for a, b in zip(errors, errors[1:], strict=False))
    assert errors[-1] < 0.1 * errors[0]


def test_bad_arguments_are_clear_errors():
    example = explain.course_example()
    with pytest.raises(ValueError, match="layer 1 needs a kernel of shape \\(3, units\\)"):
        explain.backprop_step(example["weights"], [1.0, 2.0, 3.0], [0.0])
    with pytest.raises(ValueError, match="1 output\\(s\\); received a target of 2"):
        explain.backprop_step(example["weights"], example["x"], [0.0, 1.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        explain.backprop_step(**example, activation="swish")
    step = explain.backprop_step(**example)
    with pytest.raises(KeyError, match="w\\(x1→h1\\)"):
        step.gradient("w(x9→h1)")
    with pytest.raises(ValueError, match="lang must be"):
        step.text("fr")
