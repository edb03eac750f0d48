"""treino.optimizers: golden steps, the shared machinery, state save/restore, bad input."""

import json
import warnings

import numpy as np
import pytest

import treino
from treino import optimizers
from treino.optimizers import schedules
from treino.variables import Variable

ALL = {
    "sgd": lambda: optimizers.SGD(0.05),
    "momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "rmsprop": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adam": lambda: optimizers.Adam(0.01),
    "amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.1),
    "adamax": lambda: optimizers.Adamax(0.01),
    "nadam": lambda: optimizers.Nadam(0.01),
}

H = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.1]])


def _variables(dtype="float64"):
    rng = np.random.default_rng(0)
    return [
        Variable(rng.normal(size=(3,)), name="kernel", path="a/kernel", dtype=dtype),
        Variable(rng.normal(size=(3,)), name="bias", path="a/bias", dtype=dtype),
    ]


def _grads(variables):
    """Gradient of ½·wᵀHw for each variable (a coupled quadratic)."""
    return [H @ v.data + 0.1 * np.sin(np.arange(3.0)) for v in variables]


def _train(opt, variables, steps):
    for _ in range(steps):
        opt.apply_gradients(zip(_grads(variables), variables, strict=True))


# ---------------------------------------------------------------- golden steps
def test_sgd_golden_two_steps_with_momentum():
    w = treino.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.apply_gradients([(np.array([1.0, -1.0]), w)])  # b = g; w -= 0.1 g
    np.testing.assert_allclose(w.data, [0.9, 2.1])
    opt.apply_gradients([(np.array([1.0, -1.0]), w)])  # b = 0.9 g + g = 1.9 g
    np.testing.assert_allclose(w.data, [0.9 - 0.19, 2.1 + 0.19])


def test_adam_first_step_is_lr_times_sign():
    w = treino.tensor([1.0, 1.0, 1.0], dtype="float64", requires_grad=True)
    optimizers.Adam(learning_rate=0.01, epsilon=0.0).apply_gradients(
        [(np.array([1e-3, -5.0, 300.0]), w)]
    )
    np.testing.assert_allclose(w.data, [0.99, 1.01, 0.99])


def test_adagrad_golden():
    w = treino.tensor([1.0], dtype="float64", requires_grad=True)
    opt = optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0)
    opt.apply_gradients([(np.array([3.0]), w)])  # G = 9, step 0.1·3/3
    opt.apply_gradients([(np.array([4.0]), w)])  # G = 25, step 0.1·4/5
    np.testing.assert_allclose(w.data, [1.0 - 0.1 - 0.08])


def test_state_is_keyed_by_parameter_and_counts_steps():
    a, b = _variables()
    opt = optimizers.Adam(0.01)
    opt.apply_gradients(zip(_grads([a, b]), [a, b], strict=True))
    opt.apply_gradients([(np.ones(3), a)])
    assert set(opt.state[a]) == {"step", "m", "v"}
    assert int(opt.state[a]["step"]) == 2 and int(opt.state[b]["step"]) == 1
    assert opt.iterations == 2


@pytest.mark.parametrize("name", sorted(ALL))
def test_float32_stays_float32(name):
    variables = _variables("float32")
    opt = ALL[name]()
    _train(opt, variables, 5)
    for v in variables:
        assert v.dtype == np.float32
        assert all(a.dtype == np.float32 for k, a in opt.state[v].items()
                   if k not in ("step", "mu_product"))  # fmt: skip


def test_step_uses_each_variables_grad():
    w = treino.tensor([2.0, -1.0], dtype="float64", requires_grad=True)
    (w * w).sum().backward()
    optimizers.SGD(0.25).step([w])
    np.testing.assert_allclose(w.data, [1.0, -0.5])


# ------------------------------------------------------------- learning rate
def test_schedule_is_read_at_the_current_iteration():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    w = treino.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optimizers.SGD(learning_rate=schedule)
    assert opt.learning_rate == 0.1
    for _ in range(3):
        opt.apply_gradients([(np.array([-1.0]), w)])
    np.testing.assert_allclose(w.data, [0.1 + 0.05 + 0.025])
    assert opt.learning_rate == pytest.approx(0.0125)


def test_callable_learning_rate_and_setter():
    box = {"lr": 0.5}
    opt = optimizers.SGD(learning_rate=lambda: box["lr"])
    box["lr"] = 0.25
    assert opt.learning_rate == 0.25
    plain = optimizers.SGD(0.1)
    plain.learning_rate = 0.01
    assert plain.learning_rate == 0.01
    scheduled = optimizers.SGD(schedules.StepDecay(0.1, step_size=10))
    with pytest.raises(TypeError, match="schedule"):
        scheduled.learning_rate = 0.01


# ------------------------------------------------------------------ clipping
def test_clipnorm_clips_each_gradient():
    a, b = (treino.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients(
        [(np.array([3.0, 4.0]), a), (np.array([0.3, 0.4]), b)]
    )
    np.testing.assert_allclose(a.data, [-0.6, -0.8])
    np.testing.assert_allclose(b.data, [-0.3, -0.4])


def test_global_clipnorm_keeps_the_direction():
    a, b = (treino.tensor(np.zeros(1), dtype="float64", requires_grad=True) for _ in range(2))
    optimizers.SGD(1.0, global_clipnorm=1.0).apply_gradients(
        [(np.array([3.0]), a), (np.array([4.0]), b)]
    )
    np.testing.assert_allclose([a.data[0], b.data[0]], [-0.6, -0.8])


def test_clipvalue():
    w = treino.tensor(np.zeros(3), dtype="float64", requires_grad=True)
    optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(np.array([-2.0, 0.1, 9.0]), w)])
    np.testing.assert_allclose(w.data, [0.5, -0.1, -0.5])


# ------------------------------------------------- weight decay, lr groups
def test_decoupled_weight_decay_and_exclusions():
    kernel = Variable(np.ones(2), name="kernel", path="dense/kernel")
    bias = Variable(np.ones(2), name="bias", path="dense/bias")
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(np.zeros(2), kernel), (np.zeros(2), bias)])
    np.testing.assert_allclose(kernel.data, [0.95, 0.95])  # w(1 − ηλ)
    np.testing.assert_allclose(bias.data, [1.0, 1.0])
    other = Variable(np.ones(2), name="kernel", path="head/kernel")
    opt.exclude_from_weight_decay(var_list=[other])
    opt.apply_gradients([(np.zeros(2), other)])
    np.testing.assert_allclose(other.data, [1.0, 1.0])


def test_lr_multipliers_first_match_wins_and_zero_freezes():
    body = Variable(np.ones(1), name="kernel", path="body/kernel")
    head = Variable(np.ones(1), name="kernel", path="head/kernel")
    bias = Variable(np.ones(1), name="bias", path="head/bias")
    opt = optimizers.SGD(1.0, lr_multipliers={"body": 0.0, "*/bias": 0.5, "head": 0.1})
    opt.apply_gradients([(np.ones(1), body), (np.ones(1), head), (np.ones(1), bias)])
    np.testing.assert_allclose([body.data[0], head.data[0], bias.data[0]], [1.0, 0.9, 0.5])
    assert optimizers.SGD(0.1).lr_multiplier(body) == 1.0


# ------------------------------------------------------------------ configs
@pytest.mark.parametrize("name", sorted(ALL))
def test_config_round_trip_gives_the_same_trajectory(name):
    opt = ALL[name]()
    config = optimizers.serialize(opt)
    json.dumps(config)  # JSON-safe
    clone = optimizers.deserialize(config)
    assert type(clone) is type(opt) and clone.get_config() == opt.get_config()
    first, second = _variables(), _variables()
    _train(opt, first, 5)
    _train(clone, second, 5)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_config_with_schedule_and_options_round_trips():
    opt = optimizers.Adam(
        learning_rate=schedules.CosineDecay(0.1, decay_steps=100),
        clipnorm=1.0, weight_decay=0.01, lr_multipliers={"head": 2.0},
    )  # fmt: skip
    clone = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert isinstance(clone._learning_rate, schedules.CosineDecay)
    assert clone.get_config() == opt.get_config()


@pytest.mark.parametrize("name", ["sgd", "SGD", "adam", "Adam", "rmsprop", "adagrad",
                                  "adadelta", "adamw", "adamax", "nadam"])  # fmt: skip
def test_names_resolve_with_keras_defaults(name):
    opt = optimizers.get(name)
    assert opt.learning_rate == (0.01 if name.lower() == "sgd" else 0.001)


# ------------------------------------------------------------ save / restore
@pytest.mark.parametrize("name", sorted(ALL))
def test_save_restore_mid_training_continues_bit_identically(name, tmp_path):
    reference_vars = _variables("float32")
    reference = ALL[name]()
    _train(reference, reference_vars, 7)
    path = tmp_path / "opt.npz"
    reference.save_state(path)
    saved_weights = [v.numpy().copy() for v in reference_vars]
    _train(reference, reference_vars, 8)

    resumed_vars = _variables("float32")
    for v, w in zip(resumed_vars, saved_weights, strict=True):
        v.assign(w)
    resumed = optimizers.deserialize(optimizers.serialize(ALL[name]()))
    resumed.load_state(path, resumed_vars)
    assert resumed.iterations == 7
    _train(resumed, resumed_vars, 8)
    for a, b in zip(reference_vars, resumed_vars, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_round_trip_in_memory():
    variables = _variables()
    opt = optimizers.Nadam(0.01)
    _train(opt, variables, 3)
    sd = opt.state_dict()
    assert sd["variables"] == ["a/kernel", "a/bias"] and sd["iterations"] == 3
    other = optimizers.Nadam(0.01)
    other.load_state_dict(sd, variables)
    for v in variables:
        for key in opt.state[v]:
            np.testing.assert_array_equal(other.state[v][key], opt.state[v][key])


def test_load_state_errors_change_nothing(tmp_path):
    variables = _variables()
    adam = optimizers.Adam(0.01)
    _train(adam, variables, 2)
    path = tmp_path / "adam.npz"
    adam.save_state(path)
    sgd = optimizers.SGD(0.1, momentum=0.9)
    with pytest.raises(ValueError, match="state of a Adam"):
        sgd.load_state(path, variables)
    fresh = optimizers.Adam(0.01)
    with pytest.raises(ValueError, match="holds 2 variables but 1"):
        fresh.load_state(path, variables[:1])
    assert fresh.state == {} and fresh.iterations == 0
    with pytest.raises(FileNotFoundError):
        fresh.load_state(tmp_path / "missing.npz", variables)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        fresh.load_state(corrupt, variables)
    wrong_shape = [Variable(np.zeros(4), name="k", path="a/kernel"), variables[1]]
    with pytest.raises(ValueError, match=r"shape \(3,\); the variable needs \(4,\)"):
        fresh.load_state(path, wrong_shape)
    assert fresh.state == {}


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: optimizers.SGD(learning_rate=-0.1), r"learning_rate must be >= 0.*-0.1"),
        (lambda: optimizers.SGD(learning_rate=float("nan")), "learning_rate must be finite"),
        (lambda: optimizers.SGD(learning_rate="fast"), "learning_rate must be a number"),
        (lambda: optimizers.SGD(momentum=1.5), r"momentum must be in \[0.0, 1.0\].*1.5"),
        (lambda: optimizers.SGD(nesterov=True), "nesterov=True needs a momentum"),
        (lambda: optimizers.Adam(beta_1=1.0), r"beta_1 must be in \[0.0, 1.0\).*1.0"),
        (lambda: optimizers.Adam(beta_2=-0.1), r"beta_2 must be in .*-0.1"),
        (lambda: optimizers.Adam(epsilon=-1e-8), "epsilon must be >= 0"),
        (lambda: optimizers.RMSprop(rho=1.0), "rho must be in"),
        (lambda: optimizers.AdamW(weight_decay=-0.01), "weight_decay must be >= 0"),
        (lambda: optimizers.SGD(clipnorm=0.0), "clipnorm must be > 0"),
        (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), "only one of"),
        (lambda: optimizers.SGD(lr_multipliers={"a": -1.0}), r"lr_multipliers\['a'\]"),
        (lambda: optimizers.get("adamm"), "Unknown optimizer: 'adamm'. Valid names: adadelta"),
    ],
)
def test_bad_hyperparameters_fail_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        optimizers.Adam(betas=(0.9, 0.99))


def test_bad_gradient_changes_nothing():
    variables = _variables()
    before = [v.numpy().copy() for v in variables]
    opt = optimizers.Adam(0.1)
    nan_grad = np.array([1.0, np.nan, 0.0])
    with pytest.raises(ValueError, match=r"gradient of 'a/bias' has 1 NaN/inf value\(s\) of 3"):
        opt.apply_gradients([(np.ones(3), variables[0]), (nan_grad, variables[1])])
    with pytest.raises(ValueError, match=r"gradient shape \(2,\) does not match .*'a/bias'"):
        opt.apply_gradients([(np.ones(3), variables[0]), (np.ones(2), variables[1])])
    with pytest.raises(ValueError, match="appears twice"):
        opt.apply_gradients([(np.ones(3), variables[0]), (np.ones(3), variables[0])])
    for v, b in zip(variables, before, strict=True):
        np.testing.assert_array_equal(v.data, b)
    assert opt.iterations == 0 and opt.state == {}


def test_integer_variable_is_refused():
    w = treino.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="only float variables"):
        optimizers.SGD().apply_gradients([(np.ones(2), w)])


def test_missing_gradient_is_skipped_with_a_warning():
    a, b = _variables()
    before = b.numpy().copy()
    with pytest.warns(UserWarning, match="no gradient for a/bias"):
        optimizers.SGD(0.1).apply_gradients([(np.ones(3), a), (None, b)])
    np.testing.assert_array_equal(b.data, before)


def test_no_warning_in_the_normal_case():
    variables = _variables()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train(optimizers.SGD(0.1), variables, 2)


def test_readme_optimizer_snippet_runs(tmp_path, monkeypatch):
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = next(s for s in re.findall(r"```python\n(.*?)```", readme, re.S)
                   if "optimizers" in s)  # fmt: skip
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["loss"].item() < 1e-4
    assert (tmp_path / "opt.npz").exists()
