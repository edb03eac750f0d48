"""treino.activations against torch.nn.functional: forward and gradient, float32."""

import numpy as np
import pytest

import treino
from treino import activations

torch = pytest.importorskip("torch")
F = torch.nn.functional

CASES = {
    "relu": (activations.relu, F.relu),
    "relu6": (activations.relu6, F.relu6),
    "leaky_relu": (activations.leaky_relu, lambda t: F.leaky_relu(t, negative_slope=0.2)),
    "leaky_relu_0.01": (
        lambda t: activations.leaky_relu(t, negative_slope=0.01),
        F.leaky_relu,
    ),
    "elu": (activations.elu, F.elu),
    "elu_0.5": (lambda t: activations.elu(t, alpha=0.5), lambda t: F.elu(t, alpha=0.5)),
    "selu": (activations.selu, F.selu),
    "gelu": (activations.gelu, F.gelu),
    "gelu_tanh": (
        lambda t: activations.gelu(t, approximate=True),
        lambda t: F.gelu(t, approximate="tanh"),
    ),
    "sigmoid": (activations.sigmoid, torch.sigmoid),
    "hard_sigmoid": (activations.hard_sigmoid, F.hardsigmoid),
    "hard_silu": (activations.hard_silu, F.hardswish),
    "tanh": (activations.tanh, torch.tanh),
    "softplus": (activations.softplus, F.softplus),
    "softsign": (activations.softsign, F.softsign),
    "silu": (activations.silu, F.silu),
    "mish": (activations.mish, F.mish),
    "softmax": (activations.softmax, lambda t: F.softmax(t, dim=-1)),
    "softmax_axis0": (
        lambda t: activations.softmax(t, axis=0),
        lambda t: F.softmax(t, dim=0),
    ),
    "log_softmax": (activations.log_softmax, lambda t: F.log_softmax(t, dim=-1)),
    "exponential": (activations.exponential, torch.exp),
    "linear": (activations.linear, lambda t: t * 1),
    # relu's Keras options, each against the torch function that means the same.
    "relu_max6": (lambda t: activations.relu(t, max_value=6.0), F.relu6),
    "relu_max2": (
        lambda t: activations.relu(t, max_value=2.0),
        lambda t: torch.clamp(t, 0.0, 2.0),
    ),
    "relu_slope": (
        lambda t: activations.relu(t, negative_slope=0.1),
        lambda t: F.leaky_relu(t, 0.1),
    ),
    "relu_threshold": (
        lambda t: activations.relu(t, threshold=1.0),
        lambda t: F.threshold(t, 1.0, 0.0),
    ),
    "relu_all": (
        lambda t: activations.relu(t, negative_slope=0.1, max_value=3.0, threshold=1.0),
        lambda t: torch.where(t > 1.0, torch.clamp(t, max=3.0), 0.1 * (t - 1.0)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradient_match_torch(name):
    ours, theirs = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.uniform(-6, 6, size=(8, 16)).astype(np.float32)
    g = rng.normal(size=(8, 16)).astype(np.float32)

    t = treino.tensor(x, requires_grad=True)
    y = ours(t)
    y.backward(g)

    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(g))

    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_softplus_and_sigmoid_extremes_match_torch():
    x = np.array([-100.0, -30.0, 0.0, 30.0, 100.0], dtype=np.float32)
    for ours, theirs in (CASES["softplus"], CASES["sigmoid"], CASES["log_softmax"]):
        np.testing.assert_allclose(
            ours(treino.tensor(x)).data, theirs(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-6
        )
