"""treino.optimizers.schedules: golden values, shape of the curves, configs and argument checks.

The expected values are worked out by hand from each docstring's formula
(η₀ = 0.1 and short periods, so the numbers stay readable).
"""

import itertools
import json
import math
import re

import numpy as np
import pytest

from treino.optimizers import schedules
from treino.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
    StepDecay,
)


def half_cos(x):
    """½(1 + cos πx), to write the cosine goldens."""
    return 0.5 * (1 + math.cos(math.pi * x))


def check_golden(schedule, expected: dict):
    for t, value in expected.items():
        assert schedule(t) == pytest.approx(value, rel=1e-12, abs=0), f"step {t}"


# ------------------------------------------------------------------ goldens
def test_exponential_decay_smooth():
    check_golden(
        ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5),
        {0: 0.1, 5: 0.1 / math.sqrt(2), 10: 0.05, 15: 0.025 * math.sqrt(2), 30: 0.0125},
    )


def test_exponential_decay_staircase_drops_at_multiples_of_decay_steps():
    check_golden(
        ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True),
        {0: 0.1, 9: 0.1, 10: 0.05, 19: 0.05, 20: 0.025, 29: 0.025, 30: 0.0125},
    )


def test_exponential_decay_can_grow():
    check_golden(ExponentialDecay(0.1, 10, 2.0), {0: 0.1, 10: 0.2, 20: 0.4})


def test_step_decay_goldens_and_equals_staircase_exponential():
    check_golden(StepDecay(0.1, step_size=30), {0: 0.1, 29: 0.1, 30: 0.01, 59: 0.01, 60: 0.001})
    step = StepDecay(0.3, step_size=7, gamma=0.6)
    stairs = ExponentialDecay(0.3, decay_steps=7, decay_rate=0.6, staircase=True)
    assert [step(t) for t in range(200)] == [stairs(t) for t in range(200)]


def test_inverse_time_decay():
    check_golden(
        InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5),
        {0: 0.1, 5: 0.08, 10: 0.1 / 1.5, 20: 0.05, 60: 0.025},
    )
    check_golden(
        InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True),
        {0: 0.1, 9: 0.1, 10: 0.1 / 1.5, 19: 0.1 / 1.5, 20: 0.05},
    )


def test_piecewise_constant_keeps_the_old_value_at_a_boundary():
    # Keras's rule: v₀ for t ≤ b₀, v₁ for b₀ < t ≤ b₁, v₂ for t > b₁.
    check_golden(
        PiecewiseConstantDecay(boundaries=[100, 110], values=[1.0, 0.5, 0.1]),
        {0: 1.0, 99: 1.0, 100: 1.0, 101: 0.5, 110: 0.5, 111: 0.1, 10**6: 0.1},
    )


def test_piecewise_constant_boundary_at_zero_and_no_boundaries():
    check_golden(PiecewiseConstantDecay([0], [1.0, 2.0]), {0: 1.0, 1: 2.0, 50: 2.0})
    check_golden(PiecewiseConstantDecay([], [0.3]), {0: 0.3, 1000: 0.3})


def test_polynomial_decay():
    check_golden(
        PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0),
        {0: 0.1, 5: 0.09 * 0.25 + 0.01, 9: 0.09 * 0.01 + 0.01, 10: 0.01, 1000: 0.01},
    )
    # The default end_learning_rate is 0.0001 and the default power 1 (a straight line).
    check_golden(PolynomialDecay(0.1, decay_steps=10), {5: 0.05005, 10: 0.0001, 11: 0.0001})


def test_polynomial_decay_cycle_uses_the_next_multiple_of_decay_steps():
    # T' = T·⌈t/T⌉ (T at t = 0): after T, η jumps to the middle of a decay of length 2T.
    check_golden(
        PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0, cycle=True),
        {0: 0.1, 5: 0.05, 10: 0.0, 11: 0.045, 15: 0.025, 20: 0.0, 21: 0.03, 30: 0.0},
    )


def test_cosine_decay():
    check_golden(
        CosineDecay(0.1, decay_steps=10, alpha=0.1),
        {
            0: 0.1,
            2: 0.1 * (0.9 * half_cos(0.2) + 0.1),
            5: 0.1 * (0.9 * 0.5 + 0.1),
            10: 0.01,
            15: 0.01,  # the step is clipped to decay_steps
        },
    )


def test_cosine_decay_warmup_rises_linearly_then_decays_from_the_target():
    check_golden(
        CosineDecay(0.01, decay_steps=10, warmup_target=0.1, warmup_steps=4),
        {
            0: 0.01,  # warmup starts at initial_learning_rate
            1: 0.01 + 0.09 / 4,
            3: 0.01 + 0.09 * 3 / 4,
            4: 0.1,  # the peak, at t = W
            6: 0.1 * half_cos(0.2),
            9: 0.05,
            14: 0.0,  # W + T
            100: 0.0,
        },
    )


def test_cosine_decay_warmup_target_without_warmup_steps_decays_from_the_target():
    # Keras: with warmup_steps=0, initial_learning_rate is never used.
    check_golden(CosineDecay(0.5, 10, warmup_target=0.1), {0: 0.1, 5: 0.05, 10: 0.0})


def test_cosine_decay_restarts_geometric_periods():
    # T₀ = 10, t_mul = 2: periods [0, 10), [10, 30), [30, 70), [70, 150) …
    check_golden(
        CosineDecayRestarts(1.0, first_decay_steps=10),
        {
            0: 1.0,
            5: 0.5,
            9: half_cos(0.9),
            10: 1.0,
            20: 0.5,
            29: half_cos(19 / 20),
            30: 1.0,
            50: 0.5,
            70: 1.0,
            150: 1.0,
        },
    )


def test_cosine_decay_restarts_m_mul_scales_the_cosine_part_only():
    # η = η₀·[(1 − α)·m_mulⁱ·½(1 + cos πx) + α]: every period still ends at α·η₀.
    check_golden(
        CosineDecayRestarts(1.0, 10, t_mul=1.0, m_mul=0.5, alpha=0.2),
        {0: 1.0, 5: 0.6, 10: 0.6, 15: 0.4, 20: 0.4, 30: 0.3},
    )
    schedule = CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.2)
    check_golden(schedule, {10: 0.6, 20: 0.8 * 0.5 * 0.5 + 0.2, 30: 0.4})
    assert schedule(29) > 0.2


@pytest.mark.parametrize("t_mul", [1.5, 2.0, 3.0])
def test_cosine_decay_restarts_restart_exactly_at_every_period_start(t_mul):
    # Period i starts at T₀·(t_mulⁱ − 1)/(t_mul − 1). A log computed in floating point puts
    # some of these one period early (log 243 / log 3 < 5 in float64); η must restart there.
    schedule = CosineDecayRestarts(1.0, first_decay_steps=8, t_mul=t_mul, m_mul=0.5)
    for i in range(1, 16):
        start = 8 * (t_mul**i - 1) / (t_mul - 1)
        if start == int(start):
            assert schedule(int(start)) == pytest.approx(0.5**i, rel=1e-12), f"restart {i}"


# ------------------------------------------------------------ curve shapes
DECREASING = [
    ExponentialDecay(0.1, 7, 0.9),
    ExponentialDecay(0.1, 7, 0.9, staircase=True),
    StepDecay(0.1, 7, 0.5),
    InverseTimeDecay(0.1, 7, 0.3),
    InverseTimeDecay(0.1, 7, 0.3, staircase=True),
    PiecewiseConstantDecay([10, 20, 30], [0.1, 0.05, 0.01, 0.001]),
    PolynomialDecay(0.1, 50, power=0.5),
    PolynomialDecay(0.1, 50, power=3.0),
    CosineDecay(0.1, 50, alpha=0.1),
]


@pytest.mark.parametrize("schedule", DECREASING, ids=lambda s: s.name)
def test_never_increases(schedule):
    values = [schedule(t) for t in range(120)]
    assert all(later <= earlier for earlier, later in itertools.pairwise(values))
    assert values[-1] < values[0]


def test_warmup_increases_then_decreases():
    schedule = CosineDecay(0.0, 40, warmup_target=0.1, warmup_steps=10)
    values = [schedule(t) for t in range(60)]
    assert np.all(np.diff(values[:11]) > 0)
    assert np.all(np.diff(values[10:]) <= 0)
    assert max(values) == values[10] == 0.1


def test_restarts_decrease_within_each_period():
    schedule = CosineDecayRestarts(0.1, 10, t_mul=2.0)
    for start, end in [(0, 10), (10, 30), (30, 70)]:
        assert np.all(np.diff([schedule(t) for t in range(start, end)]) < 0)
        assert schedule(end) > schedule(end - 1)


# --------------------------------------------------------------- the step
ALL_SCHEDULES = [
    ExponentialDecay(0.1, 10, 0.96, staircase=True, name="exp"),
    StepDecay(0.1, 30, gamma=0.5, name="step"),
    InverseTimeDecay(0.1, 10, 0.5, staircase=False),
    PiecewiseConstantDecay([5, 15], [0.1, 0.01, 0.001], name="table"),
    PolynomialDecay(0.1, 20, end_learning_rate=0.001, power=2.0, cycle=True),
    CosineDecay(0.0, 30, alpha=0.05, warmup_target=0.1, warmup_steps=5),
    CosineDecayRestarts(0.1, 6, t_mul=1.5, m_mul=0.8, alpha=0.1),
]
STEPS = [0, 1, 4, 5, 6, 10, 15, 21, 40, 77, 200]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_returns_a_python_float_for_python_and_numpy_integer_steps(schedule):
    for step in (7, np.int64(7), np.int32(7), np.uint8(7)):
        value = schedule(step)
        assert type(value) is float
        assert value == schedule(7)


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_rejects_negative_and_non_integer_steps(schedule):
    with pytest.raises(ValueError, match=re.escape("step=-1")):
        schedule(-1)
    for bad in (2.5, 3.0, True, "3", None):
        with pytest.raises(TypeError, match="step"):
            schedule(bad)


# --------------------------------------------------------------- configs
def values_at_steps(schedule):
    return [schedule(t) for t in STEPS]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_get_config_from_config_round_trip(schedule):
    config = schedule.get_config()
    rebuilt = type(schedule).from_config(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == config
    assert values_at_steps(rebuilt) == values_at_steps(schedule)


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_serialize_deserialize_get_round_trip(schedule):
    serialized = schedules.serialize(schedule)
    assert serialized["class_name"] == type(schedule).__name__
    for rebuilt in (
        schedules.deserialize(serialized),
        schedules.get(serialized),
        schedules.deserialize(json.loads(json.dumps(serialized))),
    ):
        assert type(rebuilt) is type(schedule)
        assert rebuilt.get_config() == schedule.get_config()
        assert values_at_steps(rebuilt) == values_at_steps(schedule)
    assert schedules.get(schedule) is schedule


def test_get_config_has_keras_keys_and_defaults():
    assert ExponentialDecay(0.1, 1000, 0.96).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 1000,
        "decay_rate": 0.96,
        "staircase": False,
        "name": "ExponentialDecay",
    }
    assert PiecewiseConstantDecay([1], [1.0, 0.5]).get_config()["name"] == "PiecewiseConstant"
    assert PolynomialDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "end_learning_rate": 0.0001,
        "power": 1.0,
        "cycle": False,
        "name": "PolynomialDecay",
    }
    assert CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    }
    assert CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 10,
        "t_mul": 2.0,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }
    assert StepDecay(0.1, 10).get_config()["gamma"] == 0.1


def test_deserialize_accepts_a_keras3_dict():
    config = {
        "module": "keras.optimizers.schedules",
        "class_name": "ExponentialDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 100000,
            "decay_rate": 0.96,
            "staircase": True,
            "name": "ExponentialDecay",
        },
        "registered_name": None,
    }
    assert schedules.deserialize(config)(100000) == pytest.approx(0.096)


def test_unknown_class_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'OneCycle'") as info:
        schedules.deserialize({"class_name": "OneCycle", "config": {}})
    for name in ("CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "StepDecay"):
        assert name in str(info.value)


@pytest.mark.parametrize("bad", ["ExponentialDecay", 0.1, None, {"config": {}}])
def test_get_and_deserialize_reject_what_is_not_a_schedule(bad):
    with pytest.raises(ValueError):
        schedules.get(bad)
    with pytest.raises(ValueError):
        schedules.deserialize(bad)


def test_serialize_rejects_what_is_not_a_schedule():
    with pytest.raises(ValueError, match="Cannot serialize"):
        schedules.serialize(lambda step: 0.1)


def test_base_class_and_a_custom_subclass():
    with pytest.raises(NotImplementedError, match="__call__"):
        LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        LearningRateSchedule().get_config()

    class Halving(LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate / 2**step

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    rebuilt = Halving.from_config(Halving(0.8).get_config())
    assert rebuilt(3) == 0.1
    assert schedules.get(rebuilt) is rebuilt


# ------------------------------------------------------------ bad arguments
VALID_ARGUMENTS = {
    ExponentialDecay: dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    StepDecay: dict(initial_learning_rate=0.1, step_size=10),
    InverseTimeDecay: dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    PiecewiseConstantDecay: dict(boundaries=[10, 20], values=[0.1, 0.01, 0.001]),
    PolynomialDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    CosineDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    CosineDecayRestarts: dict(initial_learning_rate=0.1, first_decay_steps=10),
}

# (class, the arguments that change from VALID_ARGUMENTS, what the message must show)
BAD_ARGUMENTS = [
    (ExponentialDecay, dict(decay_steps=0), "decay_steps=0"),
    (ExponentialDecay, dict(decay_steps=-5), "decay_steps=-5"),
    (ExponentialDecay, dict(decay_steps=2.5), "decay_steps=2.5"),
    (ExponentialDecay, dict(decay_steps=True), "decay_steps=True"),
    (ExponentialDecay, dict(initial_learning_rate=-0.1), "initial_learning_rate=-0.1"),
    (ExponentialDecay, dict(initial_learning_rate=math.inf), "initial_learning_rate=inf"),
    (ExponentialDecay, dict(initial_learning_rate=math.nan), "initial_learning_rate=nan"),
    (ExponentialDecay, dict(initial_learning_rate="0.1"), "initial_learning_rate='0.1'"),
    (ExponentialDecay, dict(decay_rate=0), "decay_rate=0"),
    (ExponentialDecay, dict(decay_rate=-0.5), "decay_rate=-0.5"),
    (ExponentialDecay, dict(staircase="yes"), "staircase='yes'"),
    (StepDecay, dict(step_size=0), "step_size=0"),
    (StepDecay, dict(gamma=0.0), "gamma=0.0"),
    (InverseTimeDecay, dict(decay_steps=0), "decay_steps=0"),
    (InverseTimeDecay, dict(decay_rate=-1), "decay_rate=-1"),
    (PiecewiseConstantDecay, dict(values=[0.1, 0.01]), "boundaries=[10, 20] of length 2"),
    (PiecewiseConstantDecay, dict(boundaries=[10, 10]), "boundaries=[10, 10]"),
    (PiecewiseConstantDecay, dict(boundaries=[20, 10]), "boundaries=[20, 10]"),
    (PiecewiseConstantDecay, dict(boundaries=[-1, 10]), "boundaries[0]=-1"),
    (PiecewiseConstantDecay, dict(boundaries=[5, 7.5]), "boundaries[1]=7.5"),
    (PiecewiseConstantDecay, dict(values=[0.1, -0.01, 0.0]), "values[1]=-0.01"),
    (PolynomialDecay, dict(decay_steps=0), "decay_steps=0"),
    (PolynomialDecay, dict(power=0), "power=0"),
    (PolynomialDecay, dict(end_learning_rate=-1e-3), "end_learning_rate=-0.001"),
    (PolynomialDecay, dict(cycle=1), "cycle=1"),
    (CosineDecay, dict(decay_steps=0), "decay_steps=0"),
    (CosineDecay, dict(alpha=1.5), "alpha=1.5"),
    (CosineDecay, dict(alpha=-0.1), "alpha=-0.1"),
    (CosineDecay, dict(warmup_target=0.1, warmup_steps=-1), "warmup_steps=-1"),
    (CosineDecay, dict(warmup_target=-0.1, warmup_steps=5), "warmup_target=-0.1"),
    (CosineDecay, dict(warmup_steps=5), "warmup_target=None"),  # Keras ignores warmup_steps
    (CosineDecayRestarts, dict(first_decay_steps=0), "first_decay_steps=0"),
    (CosineDecayRestarts, dict(first_decay_steps=10.0), "first_decay_steps=10.0"),
    (CosineDecayRestarts, dict(t_mul=0.5), "t_mul=0.5"),
    (CosineDecayRestarts, dict(m_mul=-1.0), "m_mul=-1.0"),
    (CosineDecayRestarts, dict(alpha=2), "alpha=2"),
]


@pytest.mark.parametrize("cls", list(VALID_ARGUMENTS), ids=lambda cls: cls.__name__)
def test_valid_arguments_are_valid(cls):
    assert isinstance(cls(**VALID_ARGUMENTS[cls]), LearningRateSchedule)


@pytest.mark.parametrize(("cls", "changes", "received"), BAD_ARGUMENTS)
def test_bad_arguments_raise_value_error_naming_the_value(cls, changes, received):
    with pytest.raises(ValueError, match=re.escape(received)) as info:
        cls(**{**VALID_ARGUMENTS[cls], **changes})
    assert str(info.value).startswith(cls.__name__)
