"""treino.optimizers on small problems: the course's claims, dtypes and convergence.

* The course's momentum form ``v ← γv − η∇L(w); w ← w + v`` is the same
  trajectory as ``SGD(momentum=γ)`` (PyTorch's form) at constant η.
* Steps to reach f − f* < 1e-6 on three 2-D test functions (Rosenbrock, Beale,
  an ill-conditioned ravine) for SGD, momentum, Nesterov, Adam and RMSprop;
  the table is printed (``pytest -s``) and the course's claim — momentum and
  Adam cross the ravine faster than plain SGD — is asserted.
* Float32 parameters and their state stay float32.
* Every optimizer name in ``ALL_OBJECTS_DICT`` minimises a parabola.

Gradients are written by hand in NumPy (autograd is tested elsewhere), which
keeps the thousands of steps here fast.
"""

import numpy as np
import pytest

import treino
from treino import optimizers as opt


# ------------------------------------------------------------ test functions
def rosenbrock(w):
    """f = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1)."""
    x, y = w
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, np.array(
        [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
    )


def beale(w):
    """f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum 0 at (3, 0.5)."""
    x, y = w
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    return a * a + b * b + c * c, np.array(
        [
            2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1),
            2 * a * x + 4 * b * x * y + 6 * c * x * y**2,
        ]
    )


def ravine(w):
    """f = ½(x² + 100y²): curvatures 1 and 100, minimum 0 at (0, 0)."""
    x, y = w
    return 0.5 * (x * x + 100 * y * y), np.array([x, 100 * y])


FUNCTIONS = {
    "rosenbrock": (rosenbrock, (-1.5, 2.0)),
    "beale": (beale, (1.0, 1.5)),
    "ravine": (ravine, (-10.0, 1.0)),
}

OPTIMIZERS = {
    "SGD": lambda lr: opt.SGD(learning_rate=lr),
    "momentum": lambda lr: opt.SGD(learning_rate=lr, momentum=0.9),
    "Nesterov": lambda lr: opt.SGD(learning_rate=lr, momentum=0.9, nesterov=True),
    "Adam": lambda lr: opt.Adam(learning_rate=lr),
    "RMSprop": lambda lr: opt.RMSprop(learning_rate=lr),
}

TARGET = 1e-6  # f − f* (f* = 0 for all three)
MAX_STEPS = 5_000

# η per function and optimizer: the one needing the fewest steps on the grid
# 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1
# (each optimizer tuned; searched once with a cap of 20 000 steps; larger η
# diverge or oscillate). SGD's is the largest stable one: 2/η must exceed the
# largest curvature (100 on the ravine, ~1000 near Rosenbrock's minimum).
# RMSprop with a constant η never gets below 1e-6 on these: its step is ~η
# whatever |g| (g/√v ≈ ±1 once v tracks g²), so it circles the minimum at a
# distance ~η — it needs a decaying η. Its η is the one with the lowest f
# after the cap (f ≈ 8e-4, 9e-6, 3e-4).
LEARNING_RATES = {
    "rosenbrock": {"SGD": 2e-3, "momentum": 2e-3, "Nesterov": 1e-3, "Adam": 1.0,
                   "RMSprop": 1e-3},
    "beale": {"SGD": 2e-2, "momentum": 5e-3, "Nesterov": 5e-3, "Adam": 0.5, "RMSprop": 1e-3},
    "ravine": {"SGD": 1e-2, "momentum": 1e-2, "Nesterov": 1e-2, "Adam": 1.0, "RMSprop": 5e-3},
}  # fmt: skip


def steps_to_reach(function, start, optimizer, target=TARGET, max_steps=MAX_STEPS):
    """(number of updates until f < target or None, f at the end)."""
    w = treino.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    for step in range(max_steps + 1):
        value, grad = function(w.data)
        if value < target:
            return step, value
        if step < max_steps:
            optimizer.apply_gradients([(grad, w)])
    return None, value


@pytest.fixture(scope="module")
def step_counts():
    table = {}
    for fname, (function, start) in FUNCTIONS.items():
        for oname, make in OPTIMIZERS.items():
            lr = LEARNING_RATES[fname][oname]
            table[fname, oname] = (lr, *steps_to_reach(function, start, make(lr)))
    print(f"\nSteps to f − f* < {TARGET:g} (cap {MAX_STEPS}; η in brackets)")
    print(f"{'':10s}" + "".join(f"{f:>26s}" for f in FUNCTIONS))
    for oname in OPTIMIZERS:
        cells = []
        for fname in FUNCTIONS:
            lr, steps, value = table[fname, oname]
            text = f"{steps}" if steps is not None else f">{MAX_STEPS} (f={value:.0e})"
            cells.append(f"{text} [{lr:g}]")
        print(f"{oname:10s}" + "".join(f"{c:>26s}" for c in cells))
    return table


def test_momentum_and_adam_cross_the_ravine_faster_than_sgd(step_counts):
    sgd = step_counts["ravine", "SGD"][1]
    assert sgd is not None
    for name in ("momentum", "Nesterov", "Adam"):
        steps = step_counts["ravine", name][1]
        assert steps is not None and steps < sgd, (name, steps, sgd)


def test_momentum_beats_sgd_on_every_function(step_counts):
    for fname in FUNCTIONS:
        sgd, momentum = step_counts[fname, "SGD"][1], step_counts[fname, "momentum"][1]
        assert sgd is not None and momentum is not None and momentum < sgd, fname


def test_every_gradient_method_reaches_every_minimum(step_counts):
    for (fname, oname), (_, steps, value) in step_counts.items():
        if oname == "RMSprop":  # constant η: stalls at f ~ η²·curvature (see above)
            assert value < 1e-2, (fname, value)
        else:
            assert steps is not None, (fname, oname, value)


# ------------------------------------------------------- the course's form
def course_momentum(function, start, lr, gamma, steps):
    """``v ← γv − η∇L(w); w ← w + v`` in NumPy: the trajectory."""
    w, v = np.array(start, dtype=np.float64), np.zeros(2)
    path = []
    for _ in range(steps):
        v = gamma * v - lr * function(w)[1]
        w = w + v
        path.append(w.copy())
    return np.array(path)


def sgd_path(function, start, optimizer, steps):
    w = treino.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    path = []
    for _ in range(steps):
        optimizer.apply_gradients([(function(w.data)[1], w)])
        path.append(w.data.copy())
    return np.array(path)


@pytest.mark.parametrize(
    ("fname", "lr"), [("ravine", 0.01), ("rosenbrock", 0.001), ("beale", 0.005)]
)
def test_course_momentum_form_is_sgd_momentum(fname, lr):
    function, start = FUNCTIONS[fname]
    ours = sgd_path(function, start, opt.SGD(learning_rate=lr, momentum=0.9), 500)
    course = course_momentum(function, start, lr, 0.9, 500)
    error = np.linalg.norm(ours - course, axis=1) / np.linalg.norm(course, axis=1)
    assert error.max() < 1e-12


# ------------------------------------------------------------------- dtypes
DTYPE_CASES = {
    "sgd": lambda: opt.SGD(0.01),
    "sgd_momentum": lambda: opt.SGD(0.01, momentum=0.9, weight_decay=0.01, clipnorm=1.0),
    "sgd_nesterov": lambda: opt.SGD(0.01, momentum=0.9, nesterov=True, global_clipnorm=1.0),
    "adagrad": lambda: opt.Adagrad(0.1, clipvalue=0.5),
    "rmsprop": lambda: opt.RMSprop(0.01, momentum=0.5, centered=True),
    "adadelta": lambda: opt.Adadelta(1.0),
    "adam": lambda: opt.Adam(0.01, amsgrad=True, weight_decay=0.01),
    "adamw": lambda: opt.AdamW(0.01),
    "adamax": lambda: opt.Adamax(0.01),
    "nadam": lambda: opt.Nadam(0.01),
    "adaptive_per_layer": lambda: opt.AdaptivePerLayer(window=2, patience=1),
}


def state_of(optimizer, variable) -> dict:
    """A variable's state, also inside a per-layer optimizer (in its current inner one)."""
    if hasattr(optimizer, "optimizer_for"):
        optimizer = optimizer.optimizer_for(variable)
    return optimizer.state[variable]


@pytest.mark.parametrize("case", DTYPE_CASES)
def test_float32_stays_float32(case):
    optimizer = DTYPE_CASES[case]()
    rng = np.random.default_rng(0)
    w = treino.tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    start = w.data.copy()
    for _ in range(10):
        w.grad = None
        (w * w).sum().backward()
        assert w.grad.dtype == np.float32
        optimizer.apply_gradients([(w.grad, w)])
        assert w.dtype == np.float32
    assert not np.array_equal(w.data, start)
    for key, array in state_of(optimizer, w).items():
        if key == "step":
            assert array.shape == ()
        elif key == "mu_product":  # Nadam's running product Πₜ: one float64 scalar
            assert array.shape == () and array.dtype == np.float64
        else:
            assert array.dtype == np.float32 and array.shape == w.shape, key


def test_float32_gradient_of_float64_variable_is_promoted():
    w = treino.tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt.Adam(0.1).apply_gradients([(np.array([1.0, 1.0], dtype=np.float32), w)])
    assert w.dtype == np.float64


# ----------------------------------------------------------------- parabola
CENTER = np.array([1.0, -2.0, 0.5])

# η (and steps) that suit each algorithm on f = ‖w − c‖² from w = 0. RMSprop's
# steps stay ~η near the minimum, so its η is small; Adadelta's first steps are
# ~√ε, so it gets Zeiler's η = 1 and a larger ε (1e-6 → faster start, as torch).
# The per-layer optimizer gets candidates with η that suit the parabola.
PARABOLA = {
    "sgd": ({"learning_rate": 0.1}, 100),
    "adagrad": ({"learning_rate": 1.0}, 200),
    "rmsprop": ({"learning_rate": 0.01}, 500),
    "adadelta": ({"learning_rate": 1.0, "epsilon": 1e-6}, 2000),
    "adam": ({"learning_rate": 0.1}, 300),
    "adamw": ({"learning_rate": 0.1}, 300),
    "adamax": ({"learning_rate": 0.1}, 300),
    "nadam": ({"learning_rate": 0.1}, 300),
    "adaptive_per_layer": (
        lambda: {"adaptive": opt.Adam(0.1), "steady": opt.SGD(0.1, momentum=0.5)},
        300,
    ),
}


def test_parabola_covers_every_optimizer():
    assert set(PARABOLA) == {n for n in opt.ALL_OBJECTS_DICT if n.islower()}


@pytest.mark.parametrize("name", PARABOLA)
def test_every_optimizer_minimises_a_parabola(name):
    kwargs, steps = PARABOLA[name]
    optimizer = opt.ALL_OBJECTS_DICT[name](**(kwargs() if callable(kwargs) else kwargs))
    w = treino.tensor(np.zeros(3), requires_grad=True)
    for _ in range(steps):
        optimizer.apply_gradients([(2 * (w.data - CENTER), w)])
    assert optimizer.iterations == steps
    np.testing.assert_allclose(w.data, CENTER, atol=0.02)
