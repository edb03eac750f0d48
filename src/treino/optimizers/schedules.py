"""Learning-rate schedules: η as a function of the training step.

A fixed learning rate is a compromise: large enough to make progress at the
start, small enough not to bounce around the minimum at the end. A schedule
removes the compromise by making η a function of the step t,

    ηₜ = schedule(t),

where t is the optimizer's update count, ``optimizer.iterations``: as in
Keras, the number of batches seen so far, starting at 0, not epochs. The
optimizer reads ``schedule(t)`` before each update, so the first update uses
``schedule(0)``. Pass a schedule wherever an optimizer takes a learning rate::

    treino.optimizers.SGD(learning_rate=ExponentialDecay(0.1, 1000, 0.96))

The classes, their arguments, defaults and names are Keras 3's
(``keras.optimizers.schedules``); :class:`StepDecay` adds PyTorch's ``StepLR``.
Every schedule is a plain Python object: ``schedule(t)`` returns a Python
float computed in double precision with :mod:`math` (Keras computes in the
dtype of ``initial_learning_rate``, float32 by default, so the two agree to
about 1e-7), and ``get_config()`` / ``from_config()`` / :func:`serialize` /
:func:`deserialize` save and rebuild it.

Example:
    >>> schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    >>> [round(schedule(t), 6) for t in (0, 500, 1000, 2000)]
    [0.1, 0.09798, 0.096, 0.09216]
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
import operator

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "StepDecay",
    "deserialize",
    "get",
    "serialize",
]


# ------------------------------------------------------------------ helpers
# Argument checks: each raises ValueError naming the class, the argument and the
# value received (Keras style: "Received: decay_steps=0").


def _fail(owner: str, message: str):
    raise ValueError(f"{owner}: {message}")


def _number(owner: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(owner, f"{name} must be a number. Received: {name}={value!r}")
    if not math.isfinite(value):
        _fail(owner, f"{name} must be finite. Received: {name}={value}")
    return float(value)


def _at_least(owner: str, name: str, value, low: float) -> float:
    value = _number(owner, name, value)
    if value < low:
        _fail(owner, f"{name} must be >= {low}. Received: {name}={value}")
    return value


def _learning_rate(owner: str, name: str, value) -> float:
    """A learning rate: a finite number >= 0."""
    return _at_least(owner, name, value, 0.0)


def _initial_learning_rate(owner: str, value) -> float:
    return _learning_rate(owner, "initial_learning_rate", value)


def _positive(owner: str, name: str, value) -> float:
    value = _number(owner, name, value)
    if value <= 0:
        _fail(owner, f"{name} must be > 0. Received: {name}={value}")
    return value


def _fraction(owner: str, name: str, value) -> float:
    value = _number(owner, name, value)
    if not 0.0 <= value <= 1.0:
        _fail(owner, f"{name} must be in [0, 1]. Received: {name}={value}")
    return value


def _integer(owner: str, name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(owner, f"{name} must be an integer. Received: {name}={value!r}")
    if value < low:
        kind = "positive" if low == 1 else f">= {low}"
        _fail(owner, f"{name} must be {kind}. Received: {name}={value}")
    return int(value)


def _flag(owner: str, name: str, value) -> bool:
    if not isinstance(value, bool):
        _fail(owner, f"{name} must be True or False. Received: {name}={value!r}")
    return value


def _check_step(step) -> int:
    """The step as a non-negative Python int (accepts NumPy integer scalars)."""
    if isinstance(step, bool):
        raise TypeError(f"step must be an integer, not a bool. Received: step={step!r}")
    try:
        t = operator.index(step)
    except TypeError:
        raise TypeError(
            f"step must be an integer (the optimizer's update count). Received: step={step!r}"
        ) from None
    if t < 0:
        raise ValueError(f"step must be >= 0. Received: step={t}")
    return t


def _decay_exponent(t: int, decay_steps: int, staircase: bool) -> float:
    """t/T, or ⌊t/T⌋ (an exact integer division) when ``staircase``."""
    return float(t // decay_steps) if staircase else t / decay_steps


def _half_cosine(fraction: float) -> float:
    """½·(1 + cos(π·x)): 1 at x = 0, 0 at x = 1, a half cosine wave in between."""
    return 0.5 * (1.0 + math.cos(math.pi * fraction))


# ------------------------------------------------------------------ base class
class LearningRateSchedule:
    """Base class: a callable ``schedule(step) -> float`` with a config.

    A subclass implements ``__call__(self, step)`` (the learning rate η for the
    optimizer's update count ``step``, starting at 0) and ``get_config()``
    (the constructor's arguments), as in Keras; ``from_config`` then rebuilds
    it with ``cls(**config)``.

    Example:
        >>> class InverseSqrt(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / math.sqrt(step + 1)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> InverseSqrt(0.1)(3)
        0.05
    """

    def __call__(self, step) -> float:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        """Rebuild a schedule from :meth:`get_config`'s dict: ``cls(**config)``."""
        return cls(**config)


# --------------------------------------------------------------- exponential
class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: ηₜ = η₀ · r^(t/T).

    Every T steps the learning rate is multiplied by r. With
    ``staircase=True`` the exponent is ⌊t/T⌋, so η drops in steps at
    t = T, 2T, … instead of continuously (that is PyTorch's ``StepLR``, see
    :class:`StepDecay`); with T = 1 and no staircase it is PyTorch's
    ``ExponentialLR(gamma=r)``.

    Args:
        initial_learning_rate: η₀, the learning rate at t = 0.
        decay_steps: T, the number of steps over which η is multiplied by r
            (a positive integer).
        decay_rate: r > 0, the factor per T steps.
        staircase: whether to use ⌊t/T⌋ instead of t/T. Defaults to False.
        name: a name for the schedule. Defaults to ``"ExponentialDecay"``.

    Example:
        >>> smooth = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> smooth(0), smooth(5), smooth(10), smooth(20)
        (0.1, 0.0707106781, 0.05, 0.025)
        >>> stairs = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
        >>> stairs(9), stairs(10), stairs(19)
        (0.1, 0.05, 0.05)
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        owner = type(self).__name__
        self.initial_learning_rate = _initial_learning_rate(owner, initial_learning_rate)
        self.decay_steps = _integer(owner, "decay_steps", decay_steps, 1)
        self.decay_rate = _positive(owner, "decay_rate", decay_rate)
        self.staircase = _flag(owner, "staircase", staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = _decay_exponent(_check_step(step), self.decay_steps, self.staircase)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class StepDecay(LearningRateSchedule):
    """Step decay (PyTorch's ``StepLR``; not in Keras): ηₜ = η₀ · γ^⌊t/s⌋.

    The learning rate is multiplied by γ every s steps. This is exactly
    ``ExponentialDecay(η₀, decay_steps=s, decay_rate=γ, staircase=True)``,
    under the name and arguments PyTorch users know.

    Args:
        initial_learning_rate: η₀, the learning rate at t = 0.
        step_size: s, the number of steps between two drops (a positive
            integer).
        gamma: γ > 0, the factor applied at each drop. Defaults to 0.1.
        name: a name for the schedule. Defaults to ``"StepDecay"``.

    Example:
        >>> schedule = StepDecay(0.1, step_size=30)
        >>> schedule(29), schedule(30), schedule(60)
        (0.1, 0.01, 0.001)
    """

    def __init__(self, initial_learning_rate, step_size, gamma=0.1, name="StepDecay"):
        owner = type(self).__name__
        self.initial_learning_rate = _initial_learning_rate(owner, initial_learning_rate)
        self.step_size = _integer(owner, "step_size", step_size, 1)
        self.gamma = _positive(owner, "gamma", gamma)
        self.name = name

    def __call__(self, step) -> float:
        p = _decay_exponent(_check_step(step), self.step_size, staircase=True)
        return self.initial_learning_rate * self.gamma**p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "step_size": self.step_size,
            "gamma": self.gamma,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """Inverse time decay: ηₜ = η₀ / (1 + r · t/T).

    η falls like 1/t: after T steps it is η₀/(1 + r), after 2T steps
    η₀/(1 + 2r) … With ``staircase=True`` the ratio is ⌊t/T⌋, so η only
    changes at multiples of T.

    Args:
        initial_learning_rate: η₀, the learning rate at t = 0.
        decay_steps: T, the number of steps that make one unit of "time"
            (a positive integer).
        decay_rate: r > 0, how fast η falls.
        staircase: whether to use ⌊t/T⌋ instead of t/T. Defaults to False.
        name: a name for the schedule. Defaults to ``"InverseTimeDecay"``.

    Example:
        >>> schedule = InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> schedule(0), schedule(10), schedule(20), schedule(5)
        (0.1, 0.0666666667, 0.05, 0.08)
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        owner = type(self).__name__
        self.initial_learning_rate = _initial_learning_rate(owner, initial_learning_rate)
        self.decay_steps = _integer(owner, "decay_steps", decay_steps, 1)
        self.decay_rate = _positive(owner, "decay_rate", decay_rate)
        self.staircase = _flag(owner, "staircase", staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = _decay_exponent(_check_step(step), self.decay_steps, self.staircase)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


# ---------------------------------------------------------- piecewise constant
class PiecewiseConstantDecay(LearningRateSchedule):
    """Piecewise constant: a table of learning rates by step range.

    With boundaries b₀ < b₁ < … < bₖ₋₁ and values v₀, v₁, …, vₖ::

        ηₜ = v₀      if t ≤ b₀
             vᵢ₊₁    if bᵢ < t ≤ bᵢ₊₁
             vₖ      if t > bₖ₋₁

    Note the ``≤`` (Keras's rule): η is still v₀ *at* t = b₀ and changes at
    t = b₀ + 1. PyTorch's ``MultiStepLR(milestones=m)`` changes at t = m, so
    it matches boundaries ``b = m − 1``.

    Args:
        boundaries: the steps b₀ < b₁ < … (non-negative integers, strictly
            increasing).
        values: the learning rates v₀ … vₖ (one more than ``boundaries``).
        name: a name for the schedule. Defaults to ``"PiecewiseConstant"``.

    Example:
        >>> schedule = PiecewiseConstantDecay(boundaries=[100, 110], values=[1.0, 0.5, 0.1])
        >>> schedule(100), schedule(101), schedule(110), schedule(111)
        (1.0, 0.5, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        owner = type(self).__name__
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            _fail(
                owner,
                "the length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}",
            )
        self.boundaries = [
            _integer(owner, f"boundaries[{i}]", b, 0) for i, b in enumerate(boundaries)
        ]
        if any(b >= b_next for b, b_next in itertools.pairwise(self.boundaries)):
            _fail(owner, f"boundaries must increase strictly. Received: boundaries={boundaries}")
        self.values = [_learning_rate(owner, f"values[{i}]", v) for i, v in enumerate(values)]
        self.name = name

    def __call__(self, step) -> float:
        # bisect_left counts the boundaries b < t: exactly the index i of vᵢ above.
        return self.values[bisect.bisect_left(self.boundaries, _check_step(step))]

    def get_config(self) -> dict:
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


# ---------------------------------------------------------------- polynomial
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from η₀ to η_end in T steps: ηₜ = (η₀ − η_end)·(1 − t/T)^p + η_end.

    Without ``cycle``, t is clipped to T, so η stays at η_end after T steps;
    p = 1 is a straight line. With ``cycle=True``, T is replaced by the first
    multiple of T that is ≥ t, T·⌈t/T⌉ (T itself at t = 0)::

        T' = T · max(1, ⌈t/T⌉)
        ηₜ = (η₀ − η_end)·(1 − t/T')^p + η_end

    so η reaches η_end at t = T, then jumps back up — not to η₀ but to the
    value halfway along a decay twice as long — and reaches η_end again at 2T,
    3T, …

    Args:
        initial_learning_rate: η₀, the learning rate at t = 0.
        decay_steps: T, the number of steps to reach η_end (a positive
            integer).
        end_learning_rate: η_end ≥ 0. Defaults to 0.0001.
        power: p > 0, the degree of the polynomial. Defaults to 1.0.
        cycle: whether to decay again after T steps (see above). Defaults to
            False.
        name: a name for the schedule. Defaults to ``"PolynomialDecay"``.

    Example:
        >>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
        >>> schedule(0), schedule(5), schedule(10), schedule(50)
        (0.1, 0.05, 0.0, 0.0)
        >>> cyclic = PolynomialDecay(0.1, 10, end_learning_rate=0.0, cycle=True)
        >>> cyclic(10), cyclic(11), cyclic(20)
        (0.0, 0.045, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        owner = type(self).__name__
        self.initial_learning_rate = _initial_learning_rate(owner, initial_learning_rate)
        self.decay_steps = _integer(owner, "decay_steps", decay_steps, 1)
        self.end_learning_rate = _learning_rate(owner, "end_learning_rate", end_learning_rate)
        self.power = _positive(owner, "power", power)
        self.cycle = _flag(owner, "cycle", cycle)
        self.name = name

    def __call__(self, step) -> float:
        t = _check_step(step)
        horizon = self.decay_steps
        if self.cycle:
            horizon *= max(1, -(-t // self.decay_steps))  # T·⌈t/T⌉, exact in integers
        else:
            t = min(t, horizon)
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - t / horizon) ** self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


# -------------------------------------------------------------------- cosine
def _cosine_decayed(fraction: float, alpha: float, scale: float = 1.0) -> float:
    """(1 − α)·scale·½(1 + cos πx) + α: from scale·(1 − α) + α at x = 0 down to α at x = 1."""
    return (1.0 - alpha) * scale * _half_cosine(fraction) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup (Loshchilov & Hutter's SGDR, one cycle).

    Without warmup (``warmup_target=None``), η follows half a cosine wave
    from η₀ down to α·η₀ over T steps, then stays there::

        t' = min(t, T)
        ηₜ = η₀ · [(1 − α)·½(1 + cos(π·t'/T)) + α]

    With a warmup (Goyal et al.), η first rises linearly from η₀ to
    η_target over W steps, then decays from η_target as above::

        t' = min(t, W + T)
        ηₜ = η₀ + (η_target − η₀)·t'/W                           if t' < W
        ηₜ = η_target · [(1 − α)·½(1 + cos(π·(t' − W)/T)) + α]   otherwise

    So η₀ is the *start of the warmup*, usually 0 or small, and the peak is
    η_target, reached at t = W. (As in Keras, a ``warmup_target`` with
    ``warmup_steps=0`` simply decays from ``warmup_target``.)

    Args:
        initial_learning_rate: η₀, the learning rate at t = 0.
        decay_steps: T, the number of steps of the cosine decay (a positive
            integer).
        alpha: α in [0, 1], the final learning rate as a fraction of the
            peak (η₀, or η_target with warmup). Defaults to 0.0.
        name: a name for the schedule. Defaults to ``"CosineDecay"``.
        warmup_target: η_target, the learning rate to warm up to; None for no
            warmup. Defaults to None.
        warmup_steps: W ≥ 0, the number of warmup steps (needs a
            ``warmup_target`` when positive). Defaults to 0.

    Example:
        >>> schedule = CosineDecay(0.1, decay_steps=10)
        >>> schedule(0), schedule(5), schedule(10), schedule(20)
        (0.1, 0.05, 0.0, 0.0)
        >>> warm = CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4)
        >>> warm(0), warm(2), warm(4), warm(9), warm(14)
        (0.0, 0.05, 0.1, 0.05, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        owner = type(self).__name__
        self.initial_learning_rate = _initial_learning_rate(owner, initial_learning_rate)
        self.decay_steps = _integer(owner, "decay_steps", decay_steps, 1)
        self.alpha = _fraction(owner, "alpha", alpha)
        self.name = name
        if warmup_target is not None:
            warmup_target = _learning_rate(owner, "warmup_target", warmup_target)
        self.warmup_target = warmup_target
        self.warmup_steps = _integer(owner, "warmup_steps", warmup_steps, 0)
        if self.warmup_steps > 0 and warmup_target is None:
            # Keras silently ignores warmup_steps here, leaving η at η₀·cosine: say so instead.
            _fail(
                owner,
                f"warmup_steps={self.warmup_steps} needs a warmup_target (the learning rate "
                "to warm up to). Received: warmup_target=None",
            )

    def __call__(self, step) -> float:
        t = _check_step(step)
        if self.warmup_target is None:
            t = min(t, self.decay_steps)
            return self.initial_learning_rate * _cosine_decayed(t / self.decay_steps, self.alpha)
        t = min(t, self.warmup_steps + self.decay_steps)
        if t < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return self.initial_learning_rate + rise * (t / self.warmup_steps)
        fraction = (t - self.warmup_steps) / self.decay_steps
        return self.warmup_target * _cosine_decayed(fraction, self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter).

    η follows a half cosine wave from its peak down to α·η₀, then restarts.
    Period i (i = 0, 1, …) lasts T₀·m_tⁱ steps (m_t = ``t_mul``) and starts
    from the peak η₀·m_mⁱ (m_m = ``m_mul``). Measuring time in units of the
    first period, f = t/T₀, period i starts at Sᵢ = 1 + m_t + … + m_tⁱ⁻¹, so::

        i = ⌊log(1 + f·(m_t − 1)) / log m_t⌋    (i = ⌊f⌋ if m_t = 1)
        Sᵢ = (m_tⁱ − 1)/(m_t − 1)               (Sᵢ = i if m_t = 1)
        x = (f − Sᵢ)/m_tⁱ                        (the fraction of period i done)
        ηₜ = η₀ · [(1 − α)·m_mⁱ·½(1 + cos πx) + α]

    As in Keras, m_mⁱ scales the cosine part only: every period ends at
    α·η₀, whatever m_m. Keras computes i in floating point, which can land
    one period off exactly at a restart (in float64, log 243 / log 3 < 5); here
    i is then corrected so that Sᵢ ≤ f < Sᵢ₊₁ holds, as the formula intends.

    Args:
        initial_learning_rate: η₀, the peak of the first period.
        first_decay_steps: T₀, the length of the first period (a positive
            integer).
        t_mul: m_t ≥ 1, each period is m_t times longer than the one
            before. Defaults to 2.0.
        m_mul: m_m ≥ 0, each peak is m_m times the one before. Defaults to
            1.0.
        alpha: α in [0, 1], the learning rate at the end of each period as a
            fraction of η₀. Defaults to 0.0.
        name: a name for the schedule. Defaults to ``"SGDRDecay"``.

    Example:
        >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10)
        >>> schedule(0), schedule(5), schedule(10), schedule(20), schedule(30)
        (0.1, 0.05, 0.1, 0.05, 0.1)
        >>> smaller = CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.5)
        >>> smaller(10), smaller(20), smaller(25)
        (0.05, 0.025, 0.0125)
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        owner = type(self).__name__
        self.initial_learning_rate = _initial_learning_rate(owner, initial_learning_rate)
        self.first_decay_steps = _integer(owner, "first_decay_steps", first_decay_steps, 1)
        # Periods that shrink (t_mul < 1) would all end by step T₀/(1 − t_mul): Keras returns NaN
        # after that; we refuse them.
        self.t_mul = _at_least(owner, "t_mul", t_mul, 1.0)
        self.m_mul = _learning_rate(owner, "m_mul", m_mul)
        self.alpha = _fraction(owner, "alpha", alpha)
        self.name = name

    def _period_start(self, i: int) -> float:
        """Sᵢ: where period i starts, in units of the first period (for t_mul > 1)."""
        return (self.t_mul**i - 1.0) / (self.t_mul - 1.0)

    def _period(self, t: int) -> tuple[int, float]:
        """The period i that step t is in, and the fraction x of it done."""
        if self.t_mul == 1.0:
            i, offset = divmod(t, self.first_decay_steps)  # exact in integers
            return i, offset / self.first_decay_steps
        f = t / self.first_decay_steps
        i = math.floor(math.log1p(f * (self.t_mul - 1.0)) / math.log(self.t_mul))
        while self._period_start(i + 1) <= f:  # undo a rounding error of the log
            i += 1
        while self._period_start(i) > f:
            i -= 1
        return i, (f - self._period_start(i)) / self.t_mul**i

    def __call__(self, step) -> float:
        i, fraction = self._period(_check_step(step))
        return self.initial_learning_rate * _cosine_decayed(
            fraction, self.alpha, scale=self.m_mul**i
        )

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


# ----------------------------------------------------------- serialization
_CLASSES = (
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts,
    StepDecay,
)

_REGISTRY: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}


def _lookup(name: str) -> type:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(_REGISTRY))
        raise ValueError(
            f"Unknown learning rate schedule: {name!r}. Valid names: {valid}"
        ) from None


def serialize(schedule) -> dict:
    """``{"class_name": ..., "config": ...}`` for a schedule.

    Example:
        >>> serialize(StepDecay(0.1, step_size=30))
        {'class_name': 'StepDecay', 'config': {'initial_learning_rate': 0.1, 'step_size': 30,
        'gamma': 0.1, 'name': 'StepDecay'}}
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(
            f"Cannot serialize {schedule!r}: only treino.optimizers.schedules."
            "LearningRateSchedule instances have a config"
        )
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config) -> LearningRateSchedule:
    """Rebuild a schedule from :func:`serialize`'s dict.

    Keras 3's dicts (with extra ``"module"`` and ``"registered_name"`` keys)
    are accepted too.

    Example:
        >>> schedule = deserialize({"class_name": "InverseTimeDecay",
        ...                         "config": {"initial_learning_rate": 0.1,
        ...                                    "decay_steps": 10, "decay_rate": 0.5}})
        >>> schedule(10)
        0.0666666667
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "a learning rate schedule config must be a dict with 'class_name' and 'config'; "
            f"received: {config!r}"
        )
    cls = _lookup(config["class_name"])
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier) -> LearningRateSchedule:
    """Resolve a schedule: an instance is returned as is, a dict is deserialized.

    Args:
        identifier: a :class:`LearningRateSchedule` or a config dict
            (``{"class_name": ..., "config": ...}``).

    Returns:
        The schedule.

    Example:
        >>> get({"class_name": "StepDecay", "config": {"initial_learning_rate": 0.1,
        ...                                            "step_size": 30}})(30)
        0.01
    """
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}")
