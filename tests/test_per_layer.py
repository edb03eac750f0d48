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


# ------------------------------------------------- AdaptivePerLayer: saved state
def _switched_optimizer():
    """The state of the bug report: 'dense' switched to steady, 'head' still adaptive."""
    w = Variable(np.zeros(100), name="kernel", path="dense/kernel")
    v = Variable(np.zeros(10), name="kernel", path="head/kernel")
    opt = AdaptivePerLayer(window=20, patience=1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        opt.apply_gradients([(rng.normal(size=100), w), (np.ones(10), v)])
    return opt, [w, v]


def test_adaptive_state_keeps_the_assignment(tmp_path):
    opt, variables = _switched_optimizer()
    assert opt.assignment == {"dense": "steady", "head": "adaptive"}
    opt.save_state(tmp_path / "s.npz")
    loaded = AdaptivePerLayer(window=20, patience=1)
    loaded.load_state(tmp_path / "s.npz", variables=variables)
    assert loaded.assignment == opt.assignment
    assert loaded.decisions == opt.decisions and loaded.iterations == 20
    assert list(loaded.optimizers["steady"].state) == [variables[0]]
    assert list(loaded.optimizers["adaptive"].state) == [variables[1]]


def test_adaptive_resumes_exactly_mid_window_after_switches_in_any_order(tmp_path):
    """'b' switches first, so the steady optimizer holds [b, a]: loading must not swap them."""

    def grads(t, rng):
        noise_a = rng.normal(size=(3, 2))
        clear_a = 1.0 + 0.01 * rng.normal(size=(3, 2))
        return [noise_a if t >= 20 else clear_a, rng.normal(size=(3, 2))]

    def run(opt, variables, rng, steps, start):
        for t in range(start, start + steps):
            opt.apply_gradients(list(zip(grads(t, rng), variables, strict=True)))

    def make():
        return AdaptivePerLayer(window=20, patience=1)

    rng = np.random.default_rng(3)
    ref_vars = [_var("a/kernel", np.zeros((3, 2))), _var("b/kernel", np.zeros((3, 2)))]
    ref = make()
    run(ref, ref_vars, rng, 45, 0)  # b switches at step 20, a at step 40; 5 into a window
    assert [(d["layer"], d["step"]) for d in ref.switches] == [("b", 20), ("a", 40)]
    assert [v.path for v in ref.optimizers["steady"]._variables] == ["b/kernel", "a/kernel"]
    ref.save_state(tmp_path / "s.npz")
    new_vars = [_var(v.path, v.numpy().copy()) for v in ref_vars]
    resumed = make()
    resumed.load_state(tmp_path / "s.npz", new_vars)
    assert resumed._streak == ref._streak
    run(ref, ref_vars, np.random.default_rng(4), 40, 45)
    run(resumed, new_vars, np.random.default_rng(4), 40, 45)
    assert resumed.decisions == ref.decisions and resumed.assignment == ref.assignment
    for x, y in zip(ref_vars, new_vars, strict=True):
        np.testing.assert_array_equal(x.data, y.data)


def test_adaptive_model_save_load_continues_identically(tmp_path):
    import treino
    from treino.layers import Dense, Input
    from treino.models import Sequential, load_model

    treino.seed(0)
    rng = np.random.default_rng(0)
    batches = [(rng.random((16, 4)).astype("float32"), rng.random((16, 1)).astype("float32"))
               for _ in range(12)]  # fmt: skip
    model = Sequential([Input((4,)), Dense(8, activation="relu", name="hidden"),
                        Dense(1, name="out")])  # fmt: skip
    # thresholds under which every evaluation recommends "steady": a switch at step 3
    opt = AdaptivePerLayer(window=3, patience=1, noise_threshold=0.0, sign_threshold=1.0)
    model.compile(opt, "mse")
    for x, y in batches[:4]:
        model.train_on_batch(x, y)
    assert opt.switches and opt.assignment == {"hidden": "steady", "out": "steady"}
    model.save(tmp_path / "m.treino")
    loaded = load_model(tmp_path / "m.treino")
    assert loaded.optimizer.assignment == opt.assignment
    assert loaded.optimizer.decisions == opt.decisions
    for x, y in batches[4:]:
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
    assert loaded.optimizer.decisions == opt.decisions
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _with_layers(arrays, **changes):
    layers = json.loads(str(arrays["layers"]))
    layers.update(changes)
    return {**arrays, "layers": np.array(json.dumps(layers))}


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda a: _with_layers(a, assignment={"dense": "rmsprop", "head": "adaptive"}),
         r"saved assignment should map layer names to one of \['adaptive', 'steady'\]"),
        (lambda a: _with_layers(a, assignment=["steady"]), "saved assignment should map"),
        (lambda a: _with_layers(a, assignment={"body": "steady", "head": "adaptive"}),
         r"no choice for \['dense'\]"),
        (lambda a: {**a, "layers": np.array("{not json")}, "'layers' is not valid JSON"),
        (lambda a: _with_layers(a, windows=[{"layer": "dense"}]), "saved window 0 should be"),
        (lambda a: _with_layers(a, streak={"dense": -1}), "streaks should map"),
        (lambda a: {k: v for k, v in a.items() if k != "window/0/grad/0"}, "lacks its sums"),
    ],
)  # fmt: skip
def test_adaptive_corrupt_or_mismatched_state_is_a_clear_error(corrupt, match):
    opt, variables = _switched_optimizer()
    opt.apply_gradients([(np.ones(100), variables[0]), (np.ones(10), variables[1])])
    arrays = opt.state_arrays()
    assert "window/0/grad/0" in arrays  # one gradient into the next window
    target = AdaptivePerLayer(window=20, patience=1)
    target.apply_gradients([(np.ones(100), variables[0]), (np.ones(10), variables[1])])
    before = (dict(target.assignment), target.iterations,
              dict(target.optimizers["adaptive"].state))  # fmt: skip
    with pytest.raises(ValueError, match=match):
        target.load_state_arrays(corrupt(arrays), variables)
    assert before == (target.assignment, target.iterations,
                      target.optimizers["adaptive"].state)  # nothing changed  # fmt: skip


def test_adaptive_state_refuses_a_shorter_window_and_another_class():
    opt, variables = _switched_optimizer()
    for _ in range(7):
        opt.apply_gradients([(np.ones(100), variables[0]), (np.ones(10), variables[1])])
    with pytest.raises(ValueError, match="holds 7 gradients; with window=5 it can hold 1 to 4"):
        AdaptivePerLayer(window=5).load_state_arrays(opt.state_arrays(), variables)
    per_layer = PerLayer({"*": SGD(0.1)})
    with pytest.raises(ValueError, match="holds the state of a AdaptivePerLayer, not of a Per"):
        per_layer.load_state_arrays(opt.state_arrays(), variables)


def test_adaptive_state_without_the_choice_loads_every_layer_on_start():
    """A state written before the choice was saved (no switch yet) still loads."""
    w = _var("dense/kernel")
    opt = AdaptivePerLayer(window=20)
    _feed(opt, [w], lambda t, v: np.ones(2), 3)
    arrays = {k: a for k, a in opt.state_arrays().items()
              if k != "layers" and not k.startswith("window/")}  # fmt: skip
    loaded = AdaptivePerLayer(window=20)
    loaded.load_state_arrays(arrays, [w])
    assert loaded.assignment == {"dense": "adaptive"} and loaded.iterations == 3
    assert int(loaded.optimizers["adaptive"].state[w]["step"]) == 3


def test_per_layer_state_loads_in_the_saved_order_and_without_variables(tmp_path):
    a, b = _var("a/kernel", (1.0, 2.0)), _var("b/kernel", (3.0, 4.0))
    opt = PerLayer({"*": SGD(0.1, momentum=0.9)})
    opt.apply_gradients([(np.ones(2), b)])  # b first: the inner state holds [b, a]
    opt.apply_gradients([(np.ones(2), a), (2 * np.ones(2), b)])
    opt.save_state(tmp_path / "s.npz")
    loaded = PerLayer({"*": SGD(0.1, momentum=0.9)})
    loaded.load_state(tmp_path / "s.npz", [a, b])
    inner, ref = loaded.optimizers["0"], opt.optimizers["0"]
    for v in (a, b):
        np.testing.assert_array_equal(inner.state[v]["velocity"], ref.state[v]["velocity"])
    built = PerLayer({"*": SGD(0.1, momentum=0.9)})
    built.build([a, b])
    built.load_state(tmp_path / "s.npz")
    np.testing.assert_array_equal(built.optimizers["0"].state[b]["velocity"],
                                  ref.state[b]["velocity"])  # fmt: skip
