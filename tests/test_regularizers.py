"""treino.regularizers: penalties by hand, their gradients, config and names."""

import json

import numpy as np
import pytest

import treino
from treino import regularizers
from treino.regularizers import L1, L1L2, L2, OrthogonalRegularizer

W = np.array([[0.5, -1.5, 2.0], [-0.25, 3.0, -1.0]])

ALL = [L1(0.3), L2(0.2), L1L2(l1=0.1, l2=0.05), OrthogonalRegularizer(0.5, "columns")]


def _id(reg):
    return type(reg).__name__


# ------------------------------------------------------------------- values
def test_values_by_hand():
    w = treino.tensor(W)
    abs_sum = 0.5 + 1.5 + 2.0 + 0.25 + 3.0 + 1.0  # 8.25
    sq_sum = 0.25 + 2.25 + 4.0 + 0.0625 + 9.0 + 1.0  # 16.5625
    assert L1(0.3)(w).item() == pytest.approx(0.3 * abs_sum)
    assert L2(0.2)(w).item() == pytest.approx(0.2 * sq_sum)
    assert L1L2(l1=0.1, l2=0.05)(w).item() == pytest.approx(0.1 * abs_sum + 0.05 * sq_sum)
    assert L1L2(l1=0.1)(w).item() == pytest.approx(0.1 * abs_sum)
    assert L1L2(l2=0.05)(w).item() == pytest.approx(0.05 * sq_sum)


def test_defaults_match_keras():
    assert L1().l1 == 0.01
    assert L2().l2 == 0.01
    assert (L1L2().l1, L1L2().l2) == (0.0, 0.0)
    assert (L1(None).l1, L2(None).l2) == (0.01, 0.01)
    assert OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reg", ALL, ids=_id)
def test_scalar_tensor_in_the_weight_dtype(reg, dtype):
    out = reg(treino.tensor(W.astype(dtype)))
    assert isinstance(out, treino.Tensor)
    assert out.shape == ()
    assert out.dtype == dtype


def test_accepts_arrays_and_rejects_integer_weights():
    assert L2(1.0)(W).item() == pytest.approx(np.sum(W**2))
    with pytest.raises(TypeError, match="float weights"):
        L2()(treino.tensor([1, 2, 3]))


def test_zero_factors_give_a_differentiable_zero():
    w = treino.tensor(W, requires_grad=True)
    out = L1L2()(w)
    assert out.item() == 0.0
    out.backward()
    np.testing.assert_array_equal(w.grad, np.zeros_like(W))


def test_orthogonal_regularizer_values():
    reg = OrthogonalRegularizer(factor=1.0, mode="rows")
    assert reg(treino.tensor(np.eye(4))).item() == pytest.approx(0.0)
    # Rows (1, 0) and (1, 1): one pair, |cos| = 1/√2.
    assert reg(treino.tensor([[1.0, 0.0], [1.0, 1.0]])).item() == pytest.approx(2**-0.5)
    # The mean |cos| over pairs: rows e1, e1, e2 → cosines 1, 0, 0 → mean 1/3.
    m = treino.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    assert reg(m).item() == pytest.approx(1 / 3)
    # columns mode is rows mode on the transpose.
    assert OrthogonalRegularizer(1.0, "columns")(m.T).item() == pytest.approx(1 / 3)
    # An all-zero row stays finite.
    assert np.isfinite(reg(treino.tensor([[0.0, 0.0], [1.0, 0.0]])).item())


# ---------------------------------------------------------------- gradients
def test_gradients_by_hand():
    w = treino.tensor(W, requires_grad=True)
    L1(0.3)(w).backward()
    np.testing.assert_allclose(w.grad, 0.3 * np.sign(W))
    w.grad = None
    L2(0.2)(w).backward()
    np.testing.assert_allclose(w.grad, 2 * 0.2 * W)
    w.grad = None
    L1L2(0.1, 0.05)(w).backward()
    np.testing.assert_allclose(w.grad, 0.1 * np.sign(W) + 2 * 0.05 * W)


@pytest.mark.parametrize(
    "reg",
    [*ALL, OrthogonalRegularizer(0.7, "rows"), L1L2(l1=0.2)],
    ids=lambda r: repr(r),
)
def test_gradcheck(reg):
    # Away from w = 0, where |w| has its kink.
    w = np.random.default_rng(0).uniform(0.2, 2.0, size=(4, 3))
    w *= np.where(np.random.default_rng(1).random((4, 3)) < 0.5, -1, 1)
    assert treino.gradcheck(reg, w)


def test_l2_is_coupled_weight_decay_with_lambda_2_l2():
    # One gradient-descent step on L(w) + l2·Σw² equals SGD with weight_decay λ = 2·l2.
    rng = np.random.default_rng(0)
    x, target = rng.normal(size=(8, 3)), rng.normal(size=(8,))
    w0 = rng.normal(size=(3,))
    lr, l2 = 0.1, 0.05

    w = treino.tensor(w0, requires_grad=True)
    residual = treino.ops.matmul(treino.tensor(x), w) - target
    (treino.ops.mean(residual * residual) + L2(l2)(w)).backward()
    with_penalty = w0 - lr * w.grad

    grad_loss = 2 * x.T @ (x @ w0 - target) / len(x)
    weight_decay = 2 * l2
    np.testing.assert_allclose(with_penalty, w0 - lr * (grad_loss + weight_decay * w0))
    np.testing.assert_allclose(with_penalty, (1 - lr * weight_decay) * w0 - lr * grad_loss)


# ---------------------------------------------------------- config and get
@pytest.mark.parametrize("reg", ALL, ids=_id)
def test_config_round_trip(reg):
    config = json.loads(json.dumps(regularizers.serialize(reg)))
    assert config["class_name"] == type(reg).__name__
    rebuilt = regularizers.deserialize(config)
    assert type(rebuilt) is type(reg)
    assert rebuilt.get_config() == reg.get_config()
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()
    w = treino.tensor(W)
    assert rebuilt(w).item() == pytest.approx(reg(w).item())


@pytest.mark.parametrize(
    ("name", "cls", "config"),
    [
        ("l1", L1, {"l1": 0.01}),
        ("L1", L1, {"l1": 0.01}),
        ("l2", L2, {"l2": 0.01}),
        ("L2", L2, {"l2": 0.01}),
        ("l1_l2", L1L2, {"l1": 0.01, "l2": 0.01}),  # as Keras documents the name
        ("L1L2", L1L2, {"l1": 0.0, "l2": 0.0}),
        ("orthogonal_regularizer", OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
        ("OrthogonalRegularizer", OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
    ],
)
def test_get_by_name(name, cls, config):
    reg = regularizers.get(name)
    assert type(reg) is cls
    assert reg.get_config() == config


def test_get_other_identifiers():
    assert regularizers.get(None) is None
    reg = L2(0.5)
    assert regularizers.get(reg) is reg
    assert type(regularizers.get(L1)) is L1

    def custom(w):
        return treino.ops.sum(w)

    assert regularizers.get(custom) is custom
    got = regularizers.get({"class_name": "L1L2", "config": {"l2": 0.3}})
    assert got.get_config() == {"l1": 0.0, "l2": 0.3}
    with pytest.raises(ValueError, match="Could not interpret"):
        regularizers.get(0.01)


def test_serialize_edge_cases():
    assert regularizers.serialize(None) is None
    assert regularizers.serialize("l2") == {"class_name": "L2", "config": {"l2": 0.01}}
    with pytest.raises(ValueError, match="Cannot serialize"):
        regularizers.serialize(lambda w: treino.ops.sum(w))


# ------------------------------------------------------------------- errors
def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'l3'.*l1, l1_l2.*l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="class_name"):
        regularizers.deserialize({"config": {}})


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: L1(-0.1), ValueError, "l1=-0.1"),
        (lambda: L2(float("inf")), ValueError, "l2=inf"),
        (lambda: L2(float("nan")), ValueError, "l2=nan"),
        (lambda: L1L2(l1=0.1, l2=-1), ValueError, "l2=-1"),
        (lambda: L1("0.1"), TypeError, "l1='0.1'"),
        (lambda: L2(True), TypeError, "l2=True"),
        (lambda: OrthogonalRegularizer(factor=-1.0), ValueError, "factor=-1.0"),
        (lambda: OrthogonalRegularizer(mode="diagonal"), ValueError, "mode='diagonal'"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_orthogonal_regularizer_needs_a_matrix():
    with pytest.raises(ValueError, match=r"2-D weight; received shape \(3, 3, 2\)"):
        OrthogonalRegularizer()(treino.tensor(np.ones((3, 3, 2))))
