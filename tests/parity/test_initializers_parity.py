"""treino.initializers against torch.nn.init: the same formulas, compared by statistics.

The random streams differ, so values are never compared; the bound or
standard deviation each library derives from the shape is. PyTorch stores a
Linear weight as (out, in) and a Conv2d weight as (c_out, c_in, kh, kw);
treino (Keras) as (in, out) and (kh, kw, c_in, c_out). The fans agree.
"""

import math

import numpy as np
import pytest

from treino import initializers

torch = pytest.importorskip("torch")
init = torch.nn.init

# (treino / Keras shape, the same weight in PyTorch's layout)
LAYOUTS = {
    "dense": ((300, 200), (200, 300)),
    "conv": ((3, 3, 32, 64), (64, 32, 3, 3)),
}


def _torch_weight(shape, fill):
    torch.manual_seed(0)
    w = torch.empty(shape, dtype=torch.float64)
    fill(w)
    return w.numpy()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_fans_match_torch(layout):
    ours, theirs = LAYOUTS[layout]
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(theirs))
    assert initializers.compute_fans(ours) == (fan_in, fan_out)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_glorot_uniform_is_xavier_uniform(layout):
    ours, theirs = LAYOUTS[layout]
    fan_in, fan_out = initializers.compute_fans(ours)
    # xavier_uniform_'s documented bound: gain · √(6 / (fan_in + fan_out)), gain = 1.
    bound = math.sqrt(6 / (fan_in + fan_out))
    w = initializers.GlorotUniform(seed=0)(ours, dtype="float64")
    t = _torch_weight(theirs, init.xavier_uniform_)
    assert np.abs(w).max() <= bound and np.abs(t).max() <= bound
    assert np.abs(w).max() == pytest.approx(bound, rel=1e-3)
    assert np.abs(t).max() == pytest.approx(bound, rel=1e-3)
    assert w.std() == pytest.approx(t.std(), rel=0.02)
    assert w.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.02)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_glorot_normal_has_xavier_normal_std(layout):
    ours, theirs = LAYOUTS[layout]
    w = initializers.GlorotNormal(seed=0)(ours, dtype="float64")
    t = _torch_weight(theirs, init.xavier_normal_)  # untruncated N(0, 2/(fan_in+fan_out))
    assert w.std() == pytest.approx(t.std(), rel=0.02)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_he_uniform_is_kaiming_uniform_relu(layout):
    ours, theirs = LAYOUTS[layout]
    fan_in, _ = initializers.compute_fans(ours)
    bound = math.sqrt(6 / fan_in)  # gain √2 · √(3 / fan_in)
    w = initializers.HeUniform(seed=0)(ours, dtype="float64")
    t = _torch_weight(theirs, lambda x: init.kaiming_uniform_(x, nonlinearity="relu"))
    assert np.abs(w).max() <= bound and np.abs(t).max() <= bound
    assert np.abs(w).max() == pytest.approx(np.abs(t).max(), rel=1e-3)
    assert w.std() == pytest.approx(t.std(), rel=0.02)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_he_normal_has_kaiming_normal_std(layout):
    ours, theirs = LAYOUTS[layout]
    w = initializers.HeNormal(seed=0)(ours, dtype="float64")
    t = _torch_weight(theirs, lambda x: init.kaiming_normal_(x, nonlinearity="relu"))
    # torch draws an untruncated normal with std √(2/fan_in); Keras/treino a truncated
    # normal scaled so that its std after truncation is the same.
    assert w.std() == pytest.approx(t.std(), rel=0.02)
    assert np.abs(w).max() <= 2 * math.sqrt(2 / initializers.compute_fans(ours)[0]) / 0.8796


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_lecun_normal_has_kaiming_linear_std(layout):
    ours, theirs = LAYOUTS[layout]
    w = initializers.LecunNormal(seed=0)(ours, dtype="float64")
    t = _torch_weight(theirs, lambda x: init.kaiming_normal_(x, nonlinearity="linear"))
    assert w.std() == pytest.approx(t.std(), rel=0.02)


def test_he_fan_out_is_kaiming_fan_out():
    ours, theirs = LAYOUTS["conv"]
    w = initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=0)(ours)
    t = _torch_weight(theirs, lambda x: init.kaiming_normal_(x, mode="fan_out"))
    assert w.std() == pytest.approx(t.std(), rel=0.02)


def test_truncated_normal_matches_trunc_normal():
    w = initializers.TruncatedNormal(stddev=1.0, seed=0)((500, 400), dtype="float64")
    t = _torch_weight((500, 400), lambda x: init.trunc_normal_(x, std=1.0, a=-2.0, b=2.0))
    assert w.std() == pytest.approx(t.std(), rel=0.01)
    assert np.abs(w).max() <= 2.0 and np.abs(t).max() <= 2.0


@pytest.mark.parametrize("shape", [(8, 8), (12, 5), (5, 12)])
def test_orthogonal_like_torch(shape):
    w = initializers.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    t = _torch_weight(shape, lambda x: init.orthogonal_(x, gain=2.0))
    for m in (w, t):
        gram = m.T @ m if shape[0] >= shape[1] else m @ m.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(min(shape)), atol=1e-10)
