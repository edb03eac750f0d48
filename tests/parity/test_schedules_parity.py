"""treino.optimizers.schedules against torch.optim.lr_scheduler, step by step.

Each PyTorch scheduler wraps a dummy SGD optimizer; after t calls of
``scheduler.step()`` its ``param_groups[0]["lr"]`` is the learning rate of
update t + 1, which is ``schedule(t)`` here (t = updates done so far).

Tolerance: relative 1e-12. PyTorch's chainable schedulers (StepLR,
ExponentialLR, CosineAnnealingLR, PolynomialLR …) do not evaluate a formula:
they multiply the previous lr by a ratio at each step, so rounding errors
add up, about one ulp per step (CosineAnnealingLR near η = 0 the most: its
ratio (1 + cos πt/T)/(1 + cos π(t−1)/T) divides two small numbers; measured
≤ 2e-14 over these 60 steps). 1e-12 leaves room for that and still catches
any error in a formula, which would show at 1e-3 or more.
"""

import math

import numpy as np
import pytest

from treino.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    StepDecay,
)

torch = pytest.importorskip("torch")
lr_scheduler = torch.optim.lr_scheduler

LR0 = 0.1
STEPS = 61  # t = 0 … 60
RTOL = 1e-12


def torch_learning_rates(make_scheduler, lr0=LR0, steps=STEPS):
    """The lr PyTorch uses for updates 1 … steps, i.e. after 0 … steps−1 scheduler steps."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=lr0)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # no gradient: a no-op, but PyTorch wants it before scheduler.step()
        scheduler.step()
    return np.array(rates)


def our_learning_rates(schedule, steps=STEPS):
    return np.array([schedule(t) for t in range(steps)])


def assert_same(schedule, make_scheduler, lr0=LR0, steps=STEPS):
    np.testing.assert_allclose(
        our_learning_rates(schedule, steps),
        torch_learning_rates(make_scheduler, lr0, steps),
        rtol=RTOL,
        atol=0,
    )


@pytest.mark.parametrize(
    "schedule",
    [
        ExponentialDecay(LR0, decay_steps=7, decay_rate=0.7, staircase=True),
        StepDecay(LR0, step_size=7, gamma=0.7),
    ],
    ids=["ExponentialDecay_staircase", "StepDecay"],
)
def test_staircase_vs_step_lr(schedule):
    assert_same(schedule, lambda opt: lr_scheduler.StepLR(opt, step_size=7, gamma=0.7))


def test_exponential_decay_vs_exponential_lr():
    # ExponentialLR multiplies by γ every step: decay_steps = 1, decay_rate = γ.
    assert_same(
        ExponentialDecay(LR0, decay_steps=1, decay_rate=0.95),
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.95),
    )


@pytest.mark.parametrize("eta_min", [0.0, 0.001])
def test_cosine_decay_vs_cosine_annealing_lr(eta_min):
    # Compared up to t = T_max only: after it CosineAnnealingLR follows the cosine back up,
    # while CosineDecay stays at α·η₀ (the step is clipped).
    assert_same(
        CosineDecay(LR0, decay_steps=60, alpha=eta_min / LR0),
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=60, eta_min=eta_min),
    )


def test_cosine_decay_with_warmup_vs_sequential_linear_then_cosine():
    # The optimizer's lr is the peak (warmup_target); LinearLR rises from
    # start_factor·peak = initial_learning_rate to the peak over W steps, and at the milestone
    # t = W SequentialLR restarts CosineAnnealingLR at its step 0, so the cosine runs on t − W:
    # the same sequence as Keras's. (LinearLR needs start_factor > 0, so η₀ > 0 here.)
    warmup, decay, peak, start, alpha = 10, 50, 0.1, 0.002, 0.01
    assert_same(
        CosineDecay(start, decay, alpha=alpha, warmup_target=peak, warmup_steps=warmup),
        lambda opt: lr_scheduler.SequentialLR(
            opt,
            schedulers=[
                lr_scheduler.LinearLR(opt, start_factor=start / peak, total_iters=warmup),
                lr_scheduler.CosineAnnealingLR(opt, T_max=decay, eta_min=alpha * peak),
            ],
            milestones=[warmup],
        ),
        lr0=peak,
        steps=warmup + decay + 1,
    )


@pytest.mark.parametrize("t_mul", [1, 2])
@pytest.mark.parametrize("eta_min", [0.0, 0.001])
def test_cosine_decay_restarts_vs_cosine_annealing_warm_restarts(t_mul, eta_min):
    # T₀ = 5, T_mult = 2: restarts at t = 5, 15, 35 within the 60 steps.
    assert_same(
        CosineDecayRestarts(LR0, first_decay_steps=5, t_mul=float(t_mul), alpha=eta_min / LR0),
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(
            opt, T_0=5, T_mult=t_mul, eta_min=eta_min
        ),
    )


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial_decay_vs_polynomial_lr(power):
    # PolynomialLR always decays to 0; past total_iters both stay there.
    assert_same(
        PolynomialDecay(LR0, decay_steps=40, end_learning_rate=0.0, power=power),
        lambda opt: lr_scheduler.PolynomialLR(opt, total_iters=40, power=power),
    )


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_vs_lambda_lr(staircase):
    # PyTorch has no inverse-time scheduler: LambdaLR with the factor 1/(1 + r·t/T).
    def factor(t):
        ratio = t // 8 if staircase else t / 8
        return 1.0 / (1.0 + 0.5 * ratio)

    assert_same(
        InverseTimeDecay(LR0, decay_steps=8, decay_rate=0.5, staircase=staircase),
        lambda opt: lr_scheduler.LambdaLR(opt, lr_lambda=factor),
    )


MILESTONES = [10, 25, 40]
GAMMA = 0.3
PIECE_VALUES = [LR0 * GAMMA**k for k in range(len(MILESTONES) + 1)]


def multi_step_lr(opt):
    return lr_scheduler.MultiStepLR(opt, milestones=MILESTONES, gamma=GAMMA)


def test_piecewise_constant_vs_multi_step_lr():
    # The boundary convention differs by one step. Keras keeps vᵢ *at* t = bᵢ and switches at
    # bᵢ + 1 (t ≤ b); MultiStepLR switches *at* t = milestone:
    #     t:                     9     10     11
    #     MultiStepLR([10])      0.1   0.03   0.03
    #     Piecewise([10])        0.1   0.1    0.03
    #     Piecewise([9])         0.1   0.03   0.03
    # so milestones m correspond to boundaries m − 1.
    assert_same(
        PiecewiseConstantDecay([m - 1 for m in MILESTONES], PIECE_VALUES),
        multi_step_lr,
    )


def test_piecewise_constant_with_the_milestones_as_boundaries_is_one_step_late():
    ours = our_learning_rates(PiecewiseConstantDecay(MILESTONES, PIECE_VALUES))
    theirs = torch_learning_rates(multi_step_lr)
    differ = [t for t in range(STEPS) if not math.isclose(ours[t], theirs[t], rel_tol=RTOL)]
    assert differ == MILESTONES
