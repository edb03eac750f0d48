"""treino.losses against PyTorch: the loss and ∂L/∂ŷ in float32.

Where torch.nn has the loss, its module (or functional) is the reference; for
the Keras losses it lacks (LogCosh, the hinges, MAPE, MSLE) the reference is
the textbook formula written in torch ops and differentiated by torch's autograd.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import treino  # noqa: E402
from treino import losses, ops  # noqa: E402

F = torch.nn.functional
N, D, C = 8, 5, 4
RTOL, ATOL = 1e-5, 1e-7


def _f32(x):
    return np.asarray(x, dtype=np.float32)


def check(treino_loss, torch_loss, y_true, y_pred, rtol=RTOL, atol=ATOL):
    """Same value and same gradient w.r.t. the prediction, both in float32."""
    y_pred = _f32(y_pred)
    p = treino.tensor(y_pred, requires_grad=True)
    value = treino_loss(y_true, p)
    value.backward()

    tp = torch.tensor(y_pred, requires_grad=True)
    y_torch = torch.tensor(y_true if np.asarray(y_true).dtype.kind in "iu" else _f32(y_true))
    expected = torch_loss(y_torch, tp)
    expected.backward()

    assert value.dtype == np.float32 and p.grad.dtype == np.float32
    np.testing.assert_allclose(value.item(), expected.item(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=rtol, atol=atol)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _probabilities(rng, shape):
    z = rng.normal(size=shape)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------- regression
def test_mse(rng):
    y, p = rng.normal(size=(N, D)), rng.normal(size=(N, D))
    check(losses.MeanSquaredError(), lambda t, q: torch.nn.MSELoss()(q, t), y, p)


def test_mae(rng):
    y, p = rng.normal(size=(N, D)), rng.normal(size=(N, D))
    check(losses.MeanAbsoluteError(), lambda t, q: torch.nn.L1Loss()(q, t), y, p)


@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber(rng, delta):
    y, p = rng.normal(size=(N, D)), 2 * rng.normal(size=(N, D))
    check(losses.Huber(delta=delta), lambda t, q: torch.nn.HuberLoss(delta=delta)(q, t), y, p)


def test_log_cosh(rng):
    y, p = rng.normal(size=(N, D)), 2 * rng.normal(size=(N, D))
    check(losses.LogCosh(), lambda t, q: torch.log(torch.cosh(q - t)).mean(), y, p)


def test_mape(rng):
    y = rng.uniform(0.5, 3.0, size=(N, D)) * rng.choice([-1.0, 1.0], size=(N, D))
    p = rng.normal(size=(N, D))

    def reference(t, q):
        return 100 * (torch.abs(t - q) / torch.clamp(torch.abs(t), min=1e-7)).mean()

    check(losses.MeanAbsolutePercentageError(), reference, y, p)


def test_msle(rng):
    y, p = rng.uniform(0, 3, size=(N, D)), rng.uniform(0.05, 3, size=(N, D))

    def reference(t, q):
        diff = torch.log1p(torch.clamp(q, min=1e-7)) - torch.log1p(torch.clamp(t, min=1e-7))
        return (diff**2).mean()

    check(losses.MeanSquaredLogarithmicError(), reference, y, p)


def test_cosine_similarity(rng):
    y, p = rng.normal(size=(N, D)), rng.normal(size=(N, D))
    check(losses.CosineSimilarity(), lambda t, q: -F.cosine_similarity(q, t, dim=-1).mean(), y, p)


# ------------------------------------------------------------- probabilistic
def test_binary_crossentropy_on_probabilities(rng):
    y, p = rng.integers(0, 2, size=(N, D)), rng.uniform(0.02, 0.98, size=(N, D))
    check(losses.BinaryCrossentropy(), lambda t, q: torch.nn.BCELoss()(q, t), y.astype(float), p)


def test_binary_crossentropy_with_logits(rng):
    y, z = rng.uniform(0, 1, size=(N, D)), 4 * rng.normal(size=(N, D))
    check(
        losses.BinaryCrossentropy(from_logits=True),
        lambda t, q: torch.nn.BCEWithLogitsLoss()(q, t),
        y,
        z,
    )


def test_binary_crossentropy_through_a_sigmoid_output(rng):
    y, z = rng.integers(0, 2, size=(N, D)).astype(float), 30 * rng.normal(size=(N, D))
    check(
        lambda t, q: losses.BinaryCrossentropy()(t, ops.sigmoid(q)),
        lambda t, q: torch.nn.BCEWithLogitsLoss()(q, t),
        y,
        z,
    )


def test_cross_entropy_with_class_indices(rng):
    labels, z = rng.integers(0, C, size=N), 3 * rng.normal(size=(N, C))
    check(
        losses.SparseCategoricalCrossentropy(from_logits=True),
        lambda t, q: torch.nn.CrossEntropyLoss()(q, t),
        labels,
        z,
    )
    check(
        losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"),
        lambda t, q: torch.nn.CrossEntropyLoss(reduction="sum")(q, t),
        labels,
        z,
    )


def test_cross_entropy_with_probability_targets(rng):
    y, z = _probabilities(rng, (N, C)), 3 * rng.normal(size=(N, C))
    check(
        losses.CategoricalCrossentropy(from_logits=True),
        lambda t, q: torch.nn.CrossEntropyLoss()(q, t),
        y,
        z,
    )


def test_cross_entropy_with_label_smoothing(rng):
    labels, z = rng.integers(0, C, size=N), 3 * rng.normal(size=(N, C))
    one_hot = np.eye(C)[labels]
    check(
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        lambda t, q: torch.nn.CrossEntropyLoss(label_smoothing=0.1)(q, t),
        one_hot,
        z,
    )


def test_cross_entropy_through_a_softmax_output(rng):
    labels, z = rng.integers(0, C, size=N), 50 * rng.normal(size=(N, C))
    check(
        lambda t, q: losses.SparseCategoricalCrossentropy()(t, ops.softmax(q)),
        lambda t, q: F.nll_loss(F.log_softmax(q, dim=-1), t),
        labels,
        z,
    )
    check(
        lambda t, q: losses.CategoricalCrossentropy()(np.eye(C)[t], ops.softmax(q)),
        lambda t, q: F.nll_loss(F.log_softmax(q, dim=-1), t),
        labels,
        z,
    )


def test_nll_on_probabilities(rng):
    # Keras renormalises ŷ to sum 1 before the log, so the reference does too
    # (that adds 1/Σŷ to every component of the gradient).
    labels, p = rng.integers(0, C, size=N), rng.uniform(0.05, 1.0, size=(N, C))

    def reference(t, q):
        return F.nll_loss(torch.log(q / q.sum(-1, keepdim=True)), t)

    check(losses.SparseCategoricalCrossentropy(), reference, labels, p)
    check(lambda t, q: losses.CategoricalCrossentropy()(np.eye(C)[t], q), reference, labels, p)


def test_kl_divergence(rng):
    # torch takes ln ŷ; 'batchmean' divides the sum by N, like Keras's batch mean.
    # Targets stay above ε, where Keras's clipping changes nothing.
    y, p = _probabilities(rng, (N, C)), _probabilities(rng, (N, C))
    check(
        losses.KLDivergence(), lambda t, q: F.kl_div(torch.log(q), t, reduction="batchmean"), y, p
    )


def test_poisson(rng):
    y, p = rng.integers(0, 6, size=(N, D)).astype(float), rng.uniform(0.1, 4.0, size=(N, D))
    check(
        losses.Poisson(),
        lambda t, q: torch.nn.PoissonNLLLoss(log_input=False, eps=1e-7)(q, t),
        y,
        p,
    )


# --------------------------------------------------------------------- hinge
def _away_from_margin(y, p):
    p = p.copy()
    p[np.abs(1 - y * p) < 0.05] += 0.2
    return p


def test_hinge(rng):
    y = rng.choice([-1.0, 1.0], size=(N, D))
    p = _away_from_margin(y, rng.normal(size=(N, D)))
    check(losses.Hinge(), lambda t, q: torch.clamp(1 - t * q, min=0).mean(), y, p)
    check(
        losses.Hinge(), lambda t, q: torch.clamp(1 - (2 * t - 1) * q, min=0).mean(), (y + 1) / 2, p
    )


def test_squared_hinge(rng):
    y = rng.choice([-1.0, 1.0], size=(N, D))
    p = _away_from_margin(y, rng.normal(size=(N, D)))
    check(losses.SquaredHinge(), lambda t, q: (torch.clamp(1 - t * q, min=0) ** 2).mean(), y, p)


def test_categorical_hinge(rng):
    y, p = np.eye(C)[rng.integers(0, C, size=N)], rng.normal(size=(N, C))

    def reference(t, q):
        positive = (t * q).sum(-1)
        negative = ((1 - t) * q).amax(-1)
        return torch.clamp(negative - positive + 1, min=0).mean()

    check(losses.CategoricalHinge(), reference, y, p)
