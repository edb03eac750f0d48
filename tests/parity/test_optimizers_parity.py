"""treino.optimizers against torch.optim: whole trajectories, step by step.

Every optimizer is run side by side with its ``torch.optim`` counterpart, with
identical hyper-parameters (Keras's ε = 1e-7 passed to torch explicitly, Keras's
RMSprop ``rho`` as torch's ``alpha``, Adagrad's initial accumulator 0.1), for

* 200 steps on a random ill-conditioned quadratic ½wᵀAw − bᵀw (eigenvalues
  spread over 1e-2 … 1e2), each framework computing its own gradient Aw − b;
* 200 steps on a small 6-16-3 tanh MLP with softmax cross-entropy on fixed
  random mini-batches, the same initial weights in both frameworks, treino's
  gradients from ``treino.ops`` + autograd, torch's from torch autograd.

All parameters are compared after every step, normwise: the error of a run is
max over steps and parameters of ‖ours − torch‖ / ‖torch‖. Float64 must agree
to ~1e-10, float32 to ~1e-5. The same harness checks gradient clipping
(against ``torch.nn.utils.clip_grad_*``), a learning-rate schedule (against
``ExponentialLR``) and ``lr_multipliers`` (against parameter groups).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import treino  # noqa: E402
from treino import ops  # noqa: E402
from treino import optimizers as opt  # noqa: E402
from treino.variables import Variable  # noqa: E402

TO = torch.optim
EPS = 1e-7  # Keras's default ε, given to torch explicitly
STEPS = 200
RTOL = {np.float64: 1e-10, np.float32: 1e-5}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}

# id -> (treino factory, torch factory(params)), identical hyper-parameters.
#
# Learning rates keep all 200 steps in the *descending* regime. Sign-like
# methods (RMSprop, Adam's family) take steps of size ~η whatever |g|, so once
# they overshoot and oscillate around the minimum the trajectory is chaotic:
# a rounding difference of 1 ulp doubles every few steps and reaches 1e-2
# after ~80 steps at η = 0.01 on the quadratic. Those runs would compare
# rounding, not algorithms, hence η = 1e-3 for RMSprop.
CASES = {
    "sgd": (
        lambda: opt.SGD(learning_rate=0.01),
        lambda p: TO.SGD(p, lr=0.01),
    ),
    "sgd_momentum": (
        lambda: opt.SGD(learning_rate=0.01, momentum=0.9),
        lambda p: TO.SGD(p, lr=0.01, momentum=0.9),
    ),
    "sgd_nesterov": (
        lambda: opt.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        lambda p: TO.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
    ),
    # treino's weight decay is decoupled (w ← w − ηλw before the step), torch's
    # SGD adds λw to the gradient (coupled L2). Both give w − ηλw − ηg, but only
    # without momentum: with momentum torch's λw enters the velocity.
    "sgd_weight_decay": (
        lambda: opt.SGD(learning_rate=0.01, weight_decay=0.1),
        lambda p: TO.SGD(p, lr=0.01, weight_decay=0.1),
    ),
    "adagrad": (
        lambda: opt.Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=EPS),
        lambda p: TO.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=EPS),
    ),
    "rmsprop": (
        lambda: opt.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=EPS),
        lambda p: TO.RMSprop(p, lr=1e-3, alpha=0.9, eps=EPS),
    ),
    "rmsprop_momentum": (
        lambda: opt.RMSprop(learning_rate=1e-3, rho=0.9, momentum=0.5, epsilon=EPS),
        lambda p: TO.RMSprop(p, lr=1e-3, alpha=0.9, momentum=0.5, eps=EPS),
    ),
    "rmsprop_centered": (
        lambda: opt.RMSprop(learning_rate=1e-3, rho=0.9, centered=True, epsilon=EPS),
        lambda p: TO.RMSprop(p, lr=1e-3, alpha=0.9, centered=True, eps=EPS),
    ),
    "rmsprop_momentum_centered": (
        lambda: opt.RMSprop(learning_rate=1e-3, rho=0.9, momentum=0.5, centered=True, epsilon=EPS),
        lambda p: TO.RMSprop(p, lr=1e-3, alpha=0.9, momentum=0.5, centered=True, eps=EPS),
    ),
    "adadelta": (
        lambda: opt.Adadelta(learning_rate=1.0, rho=0.95, epsilon=EPS),
        lambda p: TO.Adadelta(p, lr=1.0, rho=0.95, eps=EPS),
    ),
    "adam": (
        lambda: opt.Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=EPS),
        lambda p: TO.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=EPS),
    ),
    "adam_amsgrad": (
        lambda: opt.Adam(learning_rate=0.01, epsilon=EPS, amsgrad=True),
        lambda p: TO.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=EPS, amsgrad=True),
    ),
    "adamw": (
        lambda: opt.AdamW(learning_rate=0.01, weight_decay=0.1, epsilon=EPS),
        lambda p: TO.AdamW(p, lr=0.01, betas=(0.9, 0.999), eps=EPS, weight_decay=0.1),
    ),
    "adamax": (
        lambda: opt.Adamax(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=EPS),
        lambda p: TO.Adamax(p, lr=0.01, betas=(0.9, 0.999), eps=EPS),
    ),
    "nadam": (
        lambda: opt.Nadam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=EPS),
        lambda p: TO.NAdam(p, lr=0.01, betas=(0.9, 0.999), eps=EPS, momentum_decay=0.004),
    ),
}


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    """The dtype of the run; torch's default dtype follows it, then is restored.

    torch.optim.NAdam keeps its running product of momenta ``mu_product`` in
    torch's *default* dtype (float32 unless changed), which alone would cost
    float64 runs ~1e-7 of agreement.
    """
    previous = torch.get_default_dtype()
    torch.set_default_dtype(TORCH_DTYPE[request.param])
    yield request.param
    torch.set_default_dtype(previous)


def rel_error(ours, theirs) -> float:
    """‖ours − theirs‖ / ‖theirs‖."""
    theirs = theirs.detach().numpy().astype(np.float64)
    return float(np.linalg.norm(ours.astype(np.float64) - theirs) / np.linalg.norm(theirs))


# ------------------------------------------------------------------ problems
def quadratic(dtype, seed=0, n=5):
    """A, b and w₀ of ½wᵀAw − bᵀw with eigenvalues 1e-2 … 1e2 and random eigenvectors."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = (q * np.logspace(-2, 2, n)) @ q.T
    a = (a + a.T) / 2
    return a.astype(dtype), rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)


def run_quadratic(make_ours, make_theirs, dtype, steps=STEPS):
    """Max normwise error over the steps on the quadratic."""
    a, b, w0 = quadratic(dtype)
    w = treino.tensor(w0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    ours, theirs = make_ours(), make_theirs([tw])
    worst = 0.0
    for _ in range(steps):
        ours.apply_gradients([(a @ w.data - b, w)])
        tw.grad = ta @ tw.detach() - tb
        theirs.step()
        assert w.dtype == dtype
        worst = max(worst, rel_error(w.data, tw))
    return worst


SIZES = (6, 16, 3)
N_DATA, BATCH = 64, 16


def mlp_problem(dtype, seed=1):
    """Initial weights, data and the index of every step's mini-batch."""
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = SIZES
    weights = {
        "layer_a/kernel": rng.normal(size=(n_in, n_hidden)) / np.sqrt(n_in),
        "layer_a/bias": 0.1 * rng.normal(size=n_hidden),
        "layer_b/kernel": rng.normal(size=(n_hidden, n_out)) / np.sqrt(n_hidden),
        "layer_b/bias": 0.1 * rng.normal(size=n_out),
    }
    x = rng.normal(size=(N_DATA, n_in))
    y = rng.integers(0, n_out, size=N_DATA)
    batches = [rng.choice(N_DATA, size=BATCH, replace=False) for _ in range(STEPS)]
    weights = {k: v.astype(dtype) for k, v in weights.items()}
    return weights, x.astype(dtype), y, batches


def treino_loss(params, x, y):
    kernel_a, bias_a, kernel_b, bias_b = params
    hidden = ops.tanh(ops.linear(treino.tensor(x), kernel_a, bias_a))
    return ops.mean(ops.softmax_cross_entropy(ops.linear(hidden, kernel_b, bias_b), y))


def torch_loss(params, x, y):
    kernel_a, bias_a, kernel_b, bias_b = params
    hidden = torch.tanh(torch.from_numpy(x) @ kernel_a + bias_a)
    return torch.nn.functional.cross_entropy(hidden @ kernel_b + bias_b, torch.from_numpy(y))


def run_mlp(make_ours, make_theirs, dtype, steps=STEPS, torch_clip=None, after_step=None):
    """Max normwise error over steps and parameters on the MLP.

    ``make_theirs`` receives the torch parameters in the order of the weights
    (kernel and bias of layer_a, then of layer_b); ``torch_clip(params)`` is
    applied to torch's gradients before its step; ``after_step(ours, theirs)``
    is called after both steps.
    """
    weights, x, y, batches = mlp_problem(dtype)
    params = [Variable(w, name=k.split("/")[1], path=k) for k, w in weights.items()]
    tparams = [torch.tensor(w.copy(), requires_grad=True) for w in weights.values()]
    ours, theirs = make_ours(), make_theirs(tparams)
    worst = 0.0
    for index in batches[:steps]:
        for p in params:
            p.grad = None
        treino_loss(params, x[index], y[index]).backward()
        ours.apply_gradients((p.grad, p) for p in params)

        theirs.zero_grad()
        torch_loss(tparams, x[index], y[index]).backward()
        if torch_clip is not None:
            torch_clip(tparams)
        theirs.step()
        if after_step is not None:
            after_step(ours, theirs)
        for p, tp in zip(params, tparams, strict=True):
            assert p.dtype == dtype
            worst = max(worst, rel_error(p.data, tp))
    return worst


# --------------------------------------------------------------------- tests
# Centered RMSprop divides by √(v − ḡ²). On the smooth quadratic the gradient
# changes slowly, so the variance v − ḡ² falls to ~0.4 % of v: the subtraction
# cancels ~2.5 digits and float32's 6e-8 rounding becomes ~2.5e-5 in the step
# (measured: 3e-6 plain, 5e-5 with momentum, vs ~1e-14 in float64). That is
# the conditioning of the algorithm, not a difference of the implementations.
LOOSER = {
    ("quadratic", "rmsprop_centered", np.float32): 2e-4,
    ("quadratic", "rmsprop_momentum_centered", np.float32): 2e-4,
}


def tolerance(problem, case, dtype):
    return LOOSER.get((problem, case, dtype), RTOL[dtype])


@pytest.mark.parametrize("case", CASES)
def test_quadratic(case, dtype):
    error = run_quadratic(*CASES[case], dtype)
    assert error < tolerance("quadratic", case, dtype), f"{case} {dtype.__name__}: {error:.2e}"


@pytest.mark.parametrize("case", CASES)
def test_mlp(case, dtype):
    error = run_mlp(*CASES[case], dtype)
    assert error < tolerance("mlp", case, dtype), f"{case} {dtype.__name__}: {error:.2e}"


# ------------------------------------------------------------------ clipping
CLIP_STEPS = 50
CLIP_NORM = 0.1
CLIP_VALUE = 0.01


def _norm_clipper(clipped_steps, per_tensor):
    """torch's clip_grad_norm_ (on all gradients, or on each one), counting the clips."""

    def clip(params):
        groups = [[p] for p in params] if per_tensor else [params]
        norms = [float(torch.nn.utils.clip_grad_norm_(g, CLIP_NORM)) for g in groups]
        clipped_steps.append(max(norms) > CLIP_NORM)

    return clip


def _value_clipper(clipped_steps):
    def clip(params):
        clipped_steps.append(max(float(p.grad.abs().max()) for p in params) > CLIP_VALUE)
        torch.nn.utils.clip_grad_value_(params, CLIP_VALUE)

    return clip


def _sgd_momentum(**kwargs):
    return lambda: opt.SGD(learning_rate=0.1, momentum=0.9, **kwargs)


def _torch_sgd_momentum(params):
    return TO.SGD(params, lr=0.1, momentum=0.9)


# torch scales by c / (‖G‖ + 1e-6), treino (as Keras) by c / ‖G‖: a clipped
# gradient differs by the relative amount 1e-6/‖G‖ < 1e-6/c. Each update is
# then off by at most that fraction, so the weights (which move less than their
# own norm in 50 steps) agree to better than 1e-6/c = 1e-5 — not to 1e-10.
NORM_CLIP_RTOL = 1e-6 / CLIP_NORM


@pytest.mark.parametrize("per_tensor", [False, True], ids=["global_clipnorm", "clipnorm"])
def test_clip_norm(per_tensor):
    clipped = []
    kwargs = {"clipnorm" if per_tensor else "global_clipnorm": CLIP_NORM}
    error = run_mlp(
        _sgd_momentum(**kwargs),
        _torch_sgd_momentum,
        np.float64,
        steps=CLIP_STEPS,
        torch_clip=_norm_clipper(clipped, per_tensor),
    )
    assert sum(clipped) > CLIP_STEPS // 2  # the clipping did act
    assert error < NORM_CLIP_RTOL, f"{error:.2e}"


def test_clip_value():
    clipped = []
    error = run_mlp(
        _sgd_momentum(clipvalue=CLIP_VALUE),
        _torch_sgd_momentum,
        np.float64,
        steps=CLIP_STEPS,
        torch_clip=_value_clipper(clipped),
    )
    assert sum(clipped) > CLIP_STEPS // 2
    assert error < RTOL[np.float64], f"{error:.2e}"


# ---------------------------------------------------------- learning rates
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_exponential_decay_matches_exponential_lr(momentum):
    """η_k = 0.1·0.97^k: treino's schedule of ``iterations`` vs torch's ExponentialLR."""
    schedulers = []

    def make_theirs(params):
        sgd = TO.SGD(params, lr=0.1, momentum=momentum)
        schedulers.append(TO.lr_scheduler.ExponentialLR(sgd, gamma=0.97))
        return sgd

    def after_step(ours, theirs):
        schedulers[0].step()
        next_lr = theirs.param_groups[0]["lr"]
        assert ours.learning_rate == pytest.approx(next_lr, rel=1e-12)

    schedule = opt.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.97)
    error = run_mlp(
        lambda: opt.SGD(learning_rate=schedule, momentum=momentum),
        make_theirs,
        np.float64,
        after_step=after_step,
    )
    assert error < RTOL[np.float64], f"{error:.2e}"


MULTIPLIER_CASES = {
    "sgd_momentum": (
        lambda **kw: opt.SGD(learning_rate=0.1, momentum=0.9, **kw),
        lambda groups: TO.SGD(groups, lr=0.1, momentum=0.9),
        0.1,
    ),
    "adam": (
        lambda **kw: opt.Adam(learning_rate=0.01, epsilon=EPS, **kw),
        lambda groups: TO.Adam(groups, lr=0.01, eps=EPS),
        0.01,
    ),
    "adamw": (
        lambda **kw: opt.AdamW(learning_rate=0.01, weight_decay=0.1, epsilon=EPS, **kw),
        lambda groups: TO.AdamW(groups, lr=0.01, weight_decay=0.1, eps=EPS),
        0.01,
    ),
}


@pytest.mark.parametrize("case", MULTIPLIER_CASES)
def test_lr_multipliers_match_param_groups(case):
    """``lr_multipliers={"layer_a": 0.1}`` is a torch param group with lr·0.1."""
    make_ours, make_torch, lr = MULTIPLIER_CASES[case]

    def make_theirs(params):  # params: layer_a's kernel and bias, then layer_b's
        return make_torch([{"params": params[:2], "lr": 0.1 * lr}, {"params": params[2:]}])

    error = run_mlp(lambda: make_ours(lr_multipliers={"layer_a": 0.1}), make_theirs, np.float64)
    assert error < RTOL[np.float64], f"{error:.2e}"
