"""treino.plot.surfaces and treino.plot.parameter_space: the numbers first, then the pictures.

* The surfaces: the same formula on NumPy grids and on Tensors, zero at the
  minima, autograd's gradient equal to central differences.
* ``trajectory``: plain SGD on the ravine is the closed form
  x_{t+1} = x_t − η·∇f(x_t) computed by hand; momentum is PyTorch's rule by
  hand; Adam reaches Rosenbrock's (1, 1); a diverging path is cut, not raised.
* ``landscape``: α = 0 gives model.evaluate's loss; the slice of a linear
  regression's MSE is an exact parabola; the weights are restored bit-exactly,
  also when an evaluation fails; filter normalisation gives each filter the
  norm of the weight's filter.
* Each plot: a PNG is written, the axes, the labels in pt and en, bad input.
"""

import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

import treino
from treino import datasets, layers, losses, models
from treino.optimizers import SGD, Adam, RMSprop
from treino.plot import parameter_space as ls
from treino.plot._figure import new_figure
from treino.plot.parameter_space import (
    decision_boundary,
    landscape,
    loss_landscape,
    optimizer_trajectories,
    trajectory,
)
from treino.plot.surfaces import (
    SURFACES,
    Beale,
    Himmelblau,
    Ravine,
    Rosenbrock,
    get_surface,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_bytes=10_000):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes


# ================================================================= surfaces
@pytest.mark.parametrize("name", sorted(SURFACES))
def test_every_surface_is_zero_and_stationary_at_its_minima(name):
    surface = get_surface(name)
    assert surface.minima
    for point in surface.minima:
        assert surface.value(point) == pytest.approx(surface.minimum_value, abs=1e-9)
        np.testing.assert_allclose(surface.gradient(point), 0.0, atol=1e-6)
    (x0, x1), (y0, y1) = surface.window
    assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1
    assert surface.value(surface.start) > surface.minimum_value + 1e-3


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_the_numpy_grid_and_the_tensor_path_give_the_same_values(name):
    surface = get_surface(name)
    X, Y, Z = surface.grid(7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    for i, j in [(0, 0), (3, 5), (6, 2)]:
        point = treino.tensor([X[i, j], Y[i, j]], dtype="float64", requires_grad=True)
        value = surface(point[0], point[1])
        assert isinstance(value, treino.Tensor)
        assert value.item() == pytest.approx(Z[i, j], rel=1e-12)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_autograd_gradient_matches_central_differences(name):
    surface = get_surface(name)
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = surface.window
    for _ in range(3):
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        h = 1e-6
        numeric = [(surface(*(p + h * e)) - surface(*(p - h * e))) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(surface.gradient(p), numeric, rtol=1e-6, atol=1e-5)


def test_surface_parameters_move_the_minimum_and_are_checked():
    assert Rosenbrock(a=2.0).minima == ((2.0, 4.0),)
    assert Rosenbrock(a=2.0).value((2.0, 4.0)) == 0.0
    assert Ravine(kappa=40).value((1.0, 1.0)) == 20.5
    assert Ravine(kappa=40).title("en") == "Ravine (κ = 40)"
    assert len(Himmelblau().minima) == 4
    assert Beale().minima == ((3.0, 0.5),)
    with pytest.raises(ValueError, match="kappa must be >= 1"):
        Ravine(kappa=0.5)
    with pytest.raises(ValueError, match="b must be a finite number > 0"):
        Rosenbrock(b=-1)
    with pytest.raises(ValueError, match="unknown surface 'sphere'"):
        get_surface("sphere")
    with pytest.raises(ValueError, match="two numbers"):
        Beale().value((1.0, 2.0, 3.0))
    assert isinstance(get_surface("ROSENBROCK"), Rosenbrock)


# =============================================================== trajectory
def test_sgd_on_the_ravine_is_the_closed_form_by_hand():
    kappa, lr, steps = 30.0, 0.05, 40
    path = trajectory(Ravine(kappa=kappa), SGD(learning_rate=lr), steps=steps, start=(-8.0, 1.5))
    expected = [np.array([-8.0, 1.5])]
    for _ in range(steps):
        x, y = expected[-1]
        grad = np.array([x, kappa * y])  # ∇½(x² + κy²)
        expected.append(expected[-1] - lr * grad)
    assert path.shape == (steps + 1, 2) and path.dtype == np.float64
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-12, atol=1e-14)
    # the course's reading: y flips sign each step (1 − ηκ < 0), x only shrinks
    assert np.all(np.sign(path[1:, 1]) != np.sign(path[:-1, 1]))
    assert np.all(np.diff(path[:, 0]) > 0)


def test_momentum_on_rosenbrock_is_pytorchs_rule_by_hand():
    f, lr, mu = Rosenbrock(), 1e-3, 0.9
    path = trajectory(f, SGD(lr, momentum=mu), steps=25)
    w, b = np.array(f.start), np.zeros(2)
    for t in range(1, 26):
        x, y = w
        g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        b = mu * b + g
        w = w - lr * b
        np.testing.assert_allclose(path[t], w, rtol=1e-10)


def test_adam_reaches_the_minimum_of_rosenbrock():
    path = trajectory("rosenbrock", Adam(learning_rate=0.02), steps=3000)
    assert np.isfinite(path).all()
    np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-3)
    assert Rosenbrock().value(path[-1]) < 1e-6 < Rosenbrock().value(path[100])


def test_a_diverging_path_is_cut_at_the_first_non_finite_point():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning escapes either
        path = trajectory("rosenbrock", SGD(learning_rate=0.01), steps=50)
    finite = np.isfinite(path).all(axis=1)
    cut = int(np.argmin(finite))
    assert 1 < cut < 50
    assert finite[:cut].all() and not finite[cut:].any()
    assert np.isnan(path[cut:]).all()


def test_the_optimizer_passed_in_is_a_recipe_left_untouched():
    adam = Adam(learning_rate=0.05)
    first = trajectory("beale", adam, steps=20)
    second = trajectory("beale", adam, steps=20)
    np.testing.assert_array_equal(first, second)
    assert adam.iterations == 0 and not adam.state
    with treino.no_grad():  # autograd is switched on for the path itself
        np.testing.assert_array_equal(trajectory("beale", adam, steps=20), first)
    # a name is the Keras default: "sgd" is SGD(learning_rate=0.01)
    np.testing.assert_array_equal(trajectory("ravine", "sgd", steps=5),
                                  trajectory("ravine", SGD(0.01), steps=5))  # fmt: skip


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"steps": 0}, ValueError, "steps must be an integer >= 1"),
        ({"steps": 2.5}, ValueError, "steps must be an integer"),
        ({"start": (1.0, 2.0, 3.0)}, ValueError, "start must be two finite numbers"),
        ({"start": (np.nan, 0.0)}, ValueError, "start must be two finite numbers"),
        ({"optimizer": 0.1}, TypeError, "expected a treino optimizer"),
        ({"optimizer": "adamm"}, ValueError, "Unknown optimizer"),
        ({"function": "sphere"}, ValueError, "unknown surface"),
    ],
)
def test_trajectory_rejects_bad_input(kwargs, error, match):
    args = {"function": "ravine", "optimizer": SGD(0.01), "steps": 5, **kwargs}
    with pytest.raises(error, match=match):
        trajectory(**args)


# ====================================================== optimizer_trajectories
def test_optimizer_trajectories_writes_a_png_with_paths_legend_and_labels(tmp_path):
    target = tmp_path / "paths.png"
    runs = {"SGD": SGD(0.01), "momentum": SGD(1e-3, momentum=0.9), "Adam": Adam(0.05)}
    fig = optimizer_trajectories("rosenbrock", runs, steps=60, save=target, lang="pt")
    assert isinstance(fig, Figure)
    assert_png(target)
    assert len(fig.axes) == 2  # the plot and its colorbar
    ax = fig.axes[0]
    assert ax.get_title() == "Trajetórias dos otimizadores — Rosenbrock, 60 passos"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert fig.axes[1].get_ylabel() == "f(x, y) (escala log)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("SGD: divergiu no passo ")
    assert legend[1].startswith("momentum: f final = ")
    assert legend[3:] == ["início", "mínimo"]
    paths = {line.get_label(): line for line in ax.get_lines()}
    adam = paths[legend[2]]
    expected = trajectory("rosenbrock", Adam(0.05), steps=60)
    np.testing.assert_allclose(adam.get_xdata(), expected[:, 0])
    value = Rosenbrock().value(expected[-1])
    assert legend[2] == f"Adam: f final = {value:.2e}"
    diverged = paths[legend[0]]
    assert np.isfinite(diverged.get_xdata()).all() and len(diverged.get_xdata()) < 61


def test_optimizer_trajectories_in_english_from_a_list_and_on_given_axes():
    fig, axes = new_figure(1, 2)
    out = optimizer_trajectories("himmelblau", ["sgd", RMSprop(0.05)], steps=30, lang="en",
                                 ax=axes[1])  # fmt: skip
    assert out is fig
    assert axes[1].get_title() == "Optimizer trajectories — Himmelblau, 30 steps"
    assert axes[0].get_title() == ""
    legend = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert legend[0].startswith("sgd: final f = ")
    assert legend[1].startswith("RMSprop(η=0.05): final f = ")
    assert legend[2:] == ["start", "minima"]


@pytest.mark.parametrize(
    "optimizers, error, match",
    [
        ({}, ValueError, "optimizers is empty"),
        ("adam", TypeError, "dict {label: optimizer} or a list"),
        ({"x": 3}, TypeError, "expected a treino optimizer"),
    ],
)
def test_optimizer_trajectories_rejects_bad_optimizers(optimizers, error, match):
    with pytest.raises(error, match=match):
        optimizer_trajectories("ravine", optimizers, steps=5)


def test_optimizer_trajectories_rejects_bad_save_lang_and_ax(tmp_path):
    with pytest.raises(ValueError, match=r"\.png"):
        optimizer_trajectories("ravine", ["sgd"], steps=3, save=tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="lang must be 'pt' or 'en'"):
        optimizer_trajectories("ravine", ["sgd"], steps=3, lang="fr")
    with pytest.raises(TypeError, match="matplotlib Axes"):
        optimizer_trajectories("ravine", ["sgd"], steps=3, ax="axes")


# ================================================================ landscape
def _moons_mlp(epochs=15):
    treino.seed(0)
    x, y = datasets.toy.moons(120, noise=0.15, seed=0)
    model = models.Sequential([layers.Input((2,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(2)])  # fmt: skip
    model.compile(optimizer=Adam(0.02), metrics=["accuracy"],
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model, x, y


@pytest.fixture(scope="module")
def moons_model():
    return _moons_mlp()


def _weights(model):
    return [w.data.copy() for w in model.weights]


def test_the_centre_of_the_slice_is_model_evaluate(moons_model):
    model, x, y = moons_model
    before = _weights(model)
    alphas, values = landscape(model, x, y, points=11, span=0.5)
    assert alphas.shape == values.shape == (11,)
    assert alphas[5] == 0.0 and alphas[0] == -0.5 and alphas[-1] == 0.5
    reference = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert values[5] == pytest.approx(reference, rel=1e-5)
    assert values[0] > values[5] and values[-1] > values[5]  # trained: a basin around w
    for old, new in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(old, new)


def test_the_2d_slice_contains_the_1d_slice_and_restores_the_weights(moons_model):
    model, x, y = moons_model
    before = _weights(model)
    alphas, line = landscape(model, x, y, points=7, seed=4)
    a2, betas, grid = landscape(model, x, y, directions=2, points=7, seed=4)
    assert grid.shape == (7, 7)
    np.testing.assert_array_equal(a2, alphas)
    np.testing.assert_array_equal(betas, alphas)
    np.testing.assert_allclose(grid[:, 3], line, rtol=1e-6)  # β = 0: the first direction
    assert not np.allclose(grid[3, :], line)  # d₂ is another direction
    for old, new in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(old, new)
    _, again = landscape(model, x, y, points=7, seed=4)
    _, other = landscape(model, x, y, points=7, seed=5)
    np.testing.assert_array_equal(again, line)
    assert not np.allclose(other, line)


def test_the_slice_of_a_linear_regression_mse_is_a_parabola():
    treino.seed(1)
    x, y = datasets.toy.linear(64, n_features=3, noise=0.3, seed=1)
    model = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=SGD(0.1), loss="mse")
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    for normalize in ("filter", "layer", None):
        alphas, values = landscape(model, x, y, points=15, span=2.0, normalize=normalize)
        coefficients, residuals, *_ = np.polyfit(alphas, values, 2, full=True)
        fitted = np.polyval(coefficients, alphas)
        assert np.max(np.abs(fitted - values)) < 1e-5 * np.max(values)
        assert coefficients[0] > 0  # convex
        line = np.polyfit(alphas, values, 1, full=True)[1]
        assert residuals[0] < 1e-6 * line[0]  # the square term is real, not noise


def test_the_weights_are_restored_when_an_evaluation_fails(moons_model):
    model, x, y = moons_model
    before = _weights(model)
    calls = {"n": 0}
    evaluate = model.evaluate

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("evaluation failed")
        return evaluate(*args, **kwargs)

    model.evaluate = failing
    try:
        with pytest.raises(RuntimeError, match="evaluation failed"):
            landscape(model, x, y, points=9)
    finally:
        del model.evaluate
    assert calls["n"] == 4
    for old, new in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(old, new)


def test_filter_normalisation_matches_each_filter_norm_and_leaves_biases():
    rng = np.random.default_rng(0)
    kernel, conv, bias = rng.normal(size=(5, 4)), rng.normal(size=(3, 3, 2, 6)), np.ones(4)
    d_kernel, d_conv, d_bias = ls._direction([kernel, conv, bias], rng, "filter")
    np.testing.assert_allclose(np.linalg.norm(d_kernel, axis=0), np.linalg.norm(kernel, axis=0))
    np.testing.assert_allclose(np.sqrt((d_conv**2).sum(axis=(0, 1, 2))),
                               np.sqrt((conv**2).sum(axis=(0, 1, 2))))  # fmt: skip
    np.testing.assert_array_equal(d_bias, 0.0)
    d_kernel, _, d_bias = ls._direction([kernel, conv, bias], rng, "layer")
    assert np.linalg.norm(d_kernel) == pytest.approx(np.linalg.norm(kernel))
    assert np.linalg.norm(d_bias) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="direction is zero"):
        ls._direction([np.zeros((2, 2)), bias], rng, "filter")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"directions": 3}, "directions must be 1 or 2"),
        ({"points": 10}, "points must be odd"),
        ({"points": 1}, "points must be an integer >= 3"),
        ({"span": 0.0}, "span must be > 0"),
        ({"span": float("inf")}, "span must be a finite number"),
        ({"normalize": "unit"}, "normalize must be 'filter' or 'layer' or None"),
    ],
)
def test_landscape_rejects_bad_arguments(moons_model, kwargs, match):
    model, x, y = moons_model
    before = _weights(model)
    with pytest.raises(ValueError, match=match):
        landscape(model, x, y, **kwargs)
    for old, new in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(old, new)


def test_landscape_needs_a_compiled_model_and_targets(moons_model):
    _, x, y = moons_model
    raw = models.Sequential([layers.Input((2,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="compiled treino model"):
        landscape(raw, x, y)
    with pytest.raises(ValueError, match="compiled treino model"):
        landscape(object(), x, y)
    model, _, _ = moons_model
    with pytest.raises(ValueError, match="targets y"):
        landscape(model, x, None)


def test_loss_landscape_plots_in_1d_and_2d(tmp_path, moons_model):
    model, x, y = moons_model
    target = tmp_path / "sub" / "curve.png"
    fig = loss_landscape(model, x, y, points=9, save=target, lang="pt")
    assert_png(target)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Paisagem da perda: L(w + α·d₁)"
    assert ax.get_xlabel() == "α (passo ao longo de d₁, normalizada por filtro)"
    assert ax.get_ylabel() == "perda"
    alphas, values = landscape(model, x, y, points=9)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), values)
    [centre] = ax.get_legend().get_texts()
    assert centre.get_text() == f"pesos atuais w (L = {values[4]:.4g})"

    target = tmp_path / "surface.png"
    fig = loss_landscape(model, x, y, directions=2, points=7, normalize="layer", save=target,
                         lang="en")  # fmt: skip
    assert_png(target)
    assert len(fig.axes) == 2  # the contour plot and its colorbar
    ax = fig.axes[0]
    assert ax.get_title() == "Loss landscape: L(w + α·d₁ + β·d₂)"
    assert ax.get_xlabel() == "α (step along d₁, layer-normalised)"
    assert ax.get_ylabel() == "β (step along d₂, layer-normalised)"
    assert fig.axes[1].get_ylabel().startswith("loss")


# ========================================================== decision boundary
class ThresholdModel:
    """A fixed 'model': class 1 when x₁ + x₂ > 1, as a sigmoid-like score or two logits."""

    def __init__(self, outputs=1):
        self.outputs = outputs

    def predict(self, x, batch_size=32, verbose=0):
        score = np.asarray(x, dtype=float) @ np.array([1.0, 1.0]) - 1.0
        if self.outputs == 1:
            return (1 / (1 + np.exp(-4 * score)))[:, None]
        return np.column_stack([-score, score])


def test_decision_boundary_regions_and_accuracy_from_a_known_rule(tmp_path):
    x, y = datasets.toy.xor(40, noise=0.1, seed=0)
    rule = (x.sum(axis=1) > 1).astype(np.int64)
    for outputs in (1, 2):
        margins = ls._class_margins(ThresholdModel(outputs), x, 0.5)
        np.testing.assert_array_equal(np.argmax(margins, axis=1), rule)
    target = tmp_path / "rule.png"
    fig = decision_boundary(ThresholdModel(), x, rule, resolution=40, save=target, lang="en")
    assert_png(target)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Decision boundary (accuracy 100.0%)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    accuracy = np.mean(rule == y)  # XOR labels are not the rule's
    fig = decision_boundary(ThresholdModel(2), x, y, resolution=40, lang="pt")
    assert fig.axes[0].get_title() == f"Fronteira de decisão (acurácia {accuracy:.1%})".replace(
        ".", ","
    )
    assert fig.axes[0].get_xlim()[0] < x[:, 0].min()  # the grid covers the data, with a margin


def test_decision_boundary_of_a_trained_mlp_with_labels_probabilities_and_one_hot(
    tmp_path, moons_model
):
    model, x, y = moons_model
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    shown = f"{np.mean(predicted == y):.1%}"
    for labels in (y, y.astype("float32"), np.eye(2)[y], y[:, None]):
        fig = decision_boundary(model, x, labels, resolution=30, lang="en")
        assert fig.axes[0].get_title() == f"Decision boundary (accuracy {shown})"
    probabilities = np.where(y == 1, 0.8, 0.3)  # binary probabilities: > 0.5 is class 1
    fig = decision_boundary(model, x, probabilities, resolution=30, lang="en")
    assert fig.axes[0].get_title() == f"Decision boundary (accuracy {shown})"
    _, axes = new_figure(1, 2)
    out = decision_boundary(model, x, y, resolution=30, lang="pt", ax=axes[0],
                            save=tmp_path / "two.png")  # fmt: skip
    assert out is axes[0].get_figure()
    assert_png(tmp_path / "two.png")
    assert axes[0].get_ylabel() == "x₂" and axes[1].get_title() == ""


@pytest.mark.parametrize(
    "x, y, kwargs, error, match",
    [
        (np.zeros((10, 3)), np.zeros(10), {}, ValueError, r"shape \(N, 2\).*\(10, 3\)"),
        (np.zeros(10), np.zeros(10), {}, ValueError, r"shape \(N, 2\)"),
        (np.zeros((10, 2)), np.zeros(9), {}, ValueError, r"y must have shape \(10,\)"),
        (np.zeros((10, 2)), np.eye(3)[[0] * 9], {}, ValueError, r"y must have shape \(10,\)"),
        (np.zeros((10, 2)), np.full(10, -1), {}, ValueError, "labels must be >= 0"),
        (np.zeros((10, 2)), np.full(10, 1.5) + 0.1, {}, ValueError, "probabilities in"),
        (np.full((10, 2), np.nan), np.zeros(10), {}, ValueError, "x holds NaN"),
        (np.zeros((10, 2)), np.full(10, np.nan), {}, ValueError, "y holds NaN"),
        (np.zeros((10, 2)), np.zeros(10), {"resolution": 5}, ValueError, "resolution"),
        (np.zeros((10, 2)), np.zeros(10), {"model": object()}, TypeError, "predict"),
    ],
)
def test_decision_boundary_rejects_bad_input(x, y, kwargs, error, match):
    args = {"model": ThresholdModel(), "x": x, "y": y, **kwargs}
    with pytest.raises(error, match=match):
        decision_boundary(**args)
