"""PerLayer and AdaptivePerLayer: routing, the switching rule, its log, state files."""

import json

import numpy as np
import pytest

from treino import optimizers
from treino.optimizers import SGD, Adam, AdaptivePerLayer, PerLayer
from treino.variables import Variable


def _var(path, value=(1.0, 1.0)):
    layer, name = path.split("/")
    return Variable(np.array(value, dtype="float64"), name=name, path=path)


# ------------------------------------------------------------------ PerLayer
def test_per_layer_routes_each_variable_to_its_optimizer():
    body_k, body_b, head_k = _var("body/kernel"), _var("body/bias"), _var("head/kernel")
    adam = Adam(0.1)
    opt = PerLayer({"head": adam, "*": SGD(0.5)})
    opt.apply_gradients([(np.ones(2), body_k), (np.ones(2), body_b), (np.ones(2), head_k)])
    np.testing.assert_allclose(body_k.data, [0.5, 0.5])
    np.testing.assert_allclose(head_k.data, [0.9, 0.9])  # Adam's first step: η
    assert list(adam.state) == [head_k]
    assert opt.iterations == 1 and adam.iterations == 1


def test_per_layer_same_as_the_single_optimizers():
    """Routing changes nothing: each group follows exactly its own optimizer's trajectory."""
    a, b = _var("a/kernel", (1.0, -2.0)), _var("b/kernel", (0.5, 3.0))
    ref_a, ref_b = _var("a/kernel", (1.0, -2.0)), _var("b/kernel", (0.5, 3.0))
    opt = PerLayer({"a": "adam", "b": SGD(0.1, momentum=0.9)})
    single_a, single_b = Adam(), SGD(0.1, momentum=0.9)
    for _ in range(20):
        opt.apply_gradients([(2 * a.data, a), (2 * b.data, b)])
        single_a.apply_gradients([(2 * ref_a.data, ref_a)])
        single_b.apply_gradients([(2 * ref_b.data, ref_b)])
    np.testing.assert_array_equal(a.data, ref_a.data)
    np.testing.assert_array_equal(b.data, ref_b.data)


def test_per_layer_unmatched_variable_is_an_error_before_any_update():
    a, other = _var("a/kernel"), _var("other/kernel")
    opt = PerLayer({"a": SGD(0.1)})
    with pytest.raises(ValueError, match="no optimizer for 'other/kernel'"):
        opt.apply_gradients([(np.ones(2), a), (np.ones(2), other)])
    np.testing.assert_array_equal(a.data, [1.0, 1.0])


def test_per_layer_bad_gradient_changes_nothing():
    a, b = _var("a/kernel"), _var("b/kernel")
    opt = PerLayer({"a": SGD(0.1), "b": SGD(0.2)})
    with pytest.raises(ValueError, match="NaN"):
        opt.apply_gradients([(np.ones(2), a), (np.array([np.nan, 0.0]), b)])
    np.testing.assert_array_equal(a.data, [1.0, 1.0])


def test_per_layer_learning_rate_rescales_all():
    opt = PerLayer({"a": SGD(0.1), "*": Adam(0.01)})
    assert opt.learning_rate == 0.1
    opt.learning_rate = 0.05
    assert [o.learning_rate for o in opt.optimizers.values()] == pytest.approx([0.05, 0.005])


def test_per_layer_config_round_trip():
    opt = PerLayer({"head": Adam(0.01), "*": SGD(0.1, momentum=0.9)})
    config = json.loads(json.dumps(optimizers.serialize(opt)))
    clone = optimizers.deserialize(config)
    assert isinstance(clone, PerLayer)
    assert clone.get_config() == opt.get_config()


def test_per_layer_save_restore_continues_bit_identically(tmp_path):
    def make():
        return PerLayer({"a": Adam(0.05), "*": SGD(0.1, momentum=0.9)})

    def run(opt, variables, steps):
        for _ in range(steps):
            opt.apply_gradients([(2 * v.data + 0.1, v) for v in variables])

    ref_vars = [_var("a/kernel", (1.0, -2.0)), _var("b/kernel", (0.5, 3.0))]
    ref = make()
    run(ref, ref_vars, 5)
    ref.save_state(tmp_path / "s.npz")
    saved = [v.numpy().copy() for v in ref_vars]
    run(ref, ref_vars, 5)
    new_vars = [_var("a/kernel", w) for w in saved[:1]] + [_var("b/kernel", saved[1])]
    resumed = make()
    resumed.load_state(tmp_path / "s.npz", new_vars)
    run(resumed, new_vars, 5)
    for x, y in zip(ref_vars, new_vars, strict=True):
        np.testing.assert_array_equal(x.data, y.data)


def test_per_layer_needs_a_dict():
    with pytest.raises(ValueError, match="non-empty dict"):
        PerLayer({})


# --------------------------------------------------------- AdaptivePerLayer
def _feed(opt, variables, grads_of_step, steps):
    for t in range(steps):
        opt.apply_gradients([(grads_of_step(t, v), v) for v in variables])


def test_noise_dominated_gradients_switch_to_steady_after_patience():
    rng = np.random.default_rng(0)
    w = _var("dense/kernel", np.zeros(50))
    opt = AdaptivePerLayer(window=20, patience=2)
    _feed(opt, [w], lambda t, v: rng.normal(size=50), 20)
    first = opt.decisions[-1]
    assert first["recommended"] == "steady" and first["action"] == "keep"
    assert opt.assignment["dense"] == "adaptive"
    assert first["noise_to_signal"] >= 10 and first["sign_consistency"] <= 0.3
    _feed(opt, [w], lambda t, v: rng.normal(size=50), 20)
    assert opt.decisions[-1]["action"] == "switch" and opt.assignment["dense"] == "steady"
    assert opt.decisions[-1]["step"] == 40
    assert len(opt.switches) == 1 and "noise-dominated" in opt.switches[0]["reason"]


def test_clear_signal_stays_adaptive():
    w = _var("dense/kernel")
    opt = AdaptivePerLayer(window=4, patience=1)
    _feed(opt, [w], lambda t, v: np.array([1.0, 2.0]), 12)
    assert all(d["recommended"] == "adaptive" for d in opt.decisions)
    assert opt.decisions[0]["sign_consistency"] == 1.0
    assert opt.decisions[0]["noise_to_signal"] == 0.0
    assert opt.switches == []


def test_exploding_gradient_goes_back_to_adaptive():
    rng = np.random.default_rng(1)
    w = _var("dense/kernel", np.zeros(20))
    opt = AdaptivePerLayer(window=5, patience=1, start="steady")
    # noise (which alone would mean "steady") whose scale grows 1.8× per step
    _feed(opt, [w], lambda t, v: 1.8**t * np.sign(rng.normal(size=20)), 5)
    decision = opt.decisions[-1]
    assert decision["norm_trend"] == pytest.approx(5 * np.log(1.8))
    assert decision["action"] == "switch" and opt.assignment["dense"] == "adaptive"
    assert "growing" in decision["reason"]


def test_statistics_are_the_documented_formulas():
    w = _var("d/kernel", np.zeros(2))
    grads = [np.array([1.0, -1.0]), np.array([1.0, 1.0]), np.array([3.0, -1.0])]
    opt = AdaptivePerLayer(window=3, patience=5)
    _feed(opt, [w], lambda t, v: grads[t], 3)
    d = opt.decisions[0]
    mean = np.mean(grads, axis=0)
    expected_n = (np.mean([g @ g for g in grads]) - mean @ mean) / (mean @ mean)
    slope = np.polyfit(np.arange(3), [0.5 * np.log(g @ g) for g in grads], 1)[0]
    assert d["sign_consistency"] == pytest.approx((1.0 + 1 / 3) / 2)
    assert d["noise_to_signal"] == pytest.approx(expected_n)
    assert d["norm_trend"] == pytest.approx(3 * slope)


def test_switch_resets_the_layers_state():
    w = _var("dense/kernel")
    opt = AdaptivePerLayer(window=3, patience=1, noise_threshold=0.0, sign_threshold=1.0)
    _feed(opt, [w], lambda t, v: np.ones(2), 2)
    assert w in opt.optimizers["adaptive"].state
    # the third gradient completes the window: the switch applies to update 3 itself
    _feed(opt, [w], lambda t, v: np.ones(2), 2)
    assert w not in opt.optimizers["adaptive"].state
    assert int(opt.optimizers["steady"].state[w]["step"]) == 2


def test_decisions_are_reproducible_and_per_layer():
    def run():
        rng = np.random.default_rng(42)
        variables = [_var("a/kernel", np.zeros(8)), _var("a/bias", np.zeros(2)),
                     _var("b/kernel", np.zeros(8))]  # fmt: skip
        opt = AdaptivePerLayer(window=20, patience=1)

        def grad(t, v):
            if v.path.startswith("a/"):
                return 1.0 + 0.1 * rng.normal(size=v.shape)  # clear signal
            return rng.normal(size=v.shape)  # noise

        _feed(opt, variables, grad, 60)
        return opt.decisions, variables

    (first, vars1), (second, vars2) = run(), run()
    assert first == second
    for a, b in zip(vars1, vars2, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    layers = {d["layer"] for d in first}
    assert layers == {"a", "b"}
    assert [d for d in first if d["layer"] == "a"][-1]["optimizer"] == "adaptive"
    assert [d for d in first if d["layer"] == "b"][-1]["optimizer"] == "steady"


def test_adaptive_config_round_trip():
    opt = AdaptivePerLayer(adaptive=Adam(0.002), steady=SGD(0.05, momentum=0.8), window=7)
    clone = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert isinstance(clone, AdaptivePerLayer) and clone.get_config() == opt.get_config()
    assert optimizers.get("adaptive_per_layer").window == 20


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 1}, "window must be >= 2"),
        ({"window": 2.5}, "window must be an integer"),
        ({"patience": 0}, "patience must be an integer >= 1"),
        ({"sign_threshold": -0.1}, "sign_threshold must be a number >= 0"),
        ({"start": "fast"}, "start must be 'adaptive' or 'steady'"),
    ],
)
def test_adaptive_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdaptivePerLayer(**kwargs)


def test_a_layer_frozen_with_lr_0_does_not_hide_the_others_rate():
    import treino
    from treino.callbacks import ReduceLROnPlateau
    from treino.layers import Dense, Input
    from treino.models import Sequential

    treino.seed(0)
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    y = np.random.default_rng(1).random((64, 1)).astype("float32")
    model = Sequential([Input((4,)), Dense(8, name="a"), Dense(1, name="b")])
    opt = PerLayer({"a": SGD(0.0), "*": Adam(1e-3)})
    model.compile(opt, "mse")
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10)])
    assert history.history["learning_rate"][0] == pytest.approx(1e-3)
    rates = [o.learning_rate for o in opt.optimizers.values()]
    assert rates[0] == 0.0 and rates[1] == pytest.approx(1e-3 * 0.5**2)  # epoch 1 sets the best
