"""Pictures of the parameter space: optimizer paths, loss landscapes, decision boundaries.

Three ways to *see* what training does, each as a plot (returning the
:class:`~matplotlib.figure.Figure`, with ``save="file.png"`` to write it) and,
where there are numbers to check, as a plain function returning arrays:

* :func:`optimizer_trajectories` / :func:`trajectory` — the path of each
  optimizer on a 2-D test function of :mod:`treino.plot.surfaces`
  (Rosenbrock, Beale, Himmelblau, the ravine), drawn over its level curves.
* :func:`loss_landscape` / :func:`landscape` — a 1-D or 2-D slice of a
  model's loss around its current weights, along random filter-normalised
  directions (Li et al., 2018).
* :func:`decision_boundary` — the class a model predicts at every point of
  the plane, with the data on top (2-D toy data such as
  :func:`treino.datasets.toy.moons`).

Labels and titles are in Portuguese (``lang='pt'``) or English (``'en'``);
``None`` follows the locale (:func:`treino.language.resolve_lang`).
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap, LogNorm, to_rgb

from treino import optimizers as optimizers_module
from treino.autograd import enable_grad
from treino.backend import make_rng
from treino.language import resolve_lang
from treino.plot._figure import finish, new_figure
from treino.plot.surfaces import get_surface
from treino.variables import Variable

__all__ = [
    "decision_boundary", "landscape", "loss_landscape", "optimizer_trajectories", "trajectory",
]  # fmt: skip

_TEXT = {
    "pt": {
        "trajectories": "Trajetórias dos otimizadores — {surface}, {steps} passos",
        "start": "início",
        "minimum": "mínimo",
        "minima": "mínimos",
        "final": "f final = {value:.2e}",
        "diverged": "divergiu no passo {step}",
        "level": "f(x, y) (escala log)",
        "landscape_1d": "Paisagem da perda: L(w + α·d₁)",
        "landscape_2d": "Paisagem da perda: L(w + α·d₁ + β·d₂)",
        "alpha": "α (passo ao longo de d₁{norm})",
        "beta": "β (passo ao longo de d₂{norm})",
        "norm_filter": ", normalizada por filtro",
        "norm_layer": ", normalizada por camada",
        "loss": "perda",
        "log": "escala log",
        "centre": "pesos atuais w (L = {value:.4g})",
        "boundary": "Fronteira de decisão (acurácia {accuracy})",
        "feature_1": "x₁",
        "feature_2": "x₂",
        "class": "classe {label}",
    },
    "en": {
        "trajectories": "Optimizer trajectories — {surface}, {steps} steps",
        "start": "start",
        "minimum": "minimum",
        "minima": "minima",
        "final": "final f = {value:.2e}",
        "diverged": "diverged at step {step}",
        "level": "f(x, y) (log scale)",
        "landscape_1d": "Loss landscape: L(w + α·d₁)",
        "landscape_2d": "Loss landscape: L(w + α·d₁ + β·d₂)",
        "alpha": "α (step along d₁{norm})",
        "beta": "β (step along d₂{norm})",
        "norm_filter": ", filter-normalised",
        "norm_layer": ", layer-normalised",
        "loss": "loss",
        "log": "log scale",
        "centre": "current weights w (L = {value:.4g})",
        "boundary": "Decision boundary (accuracy {accuracy})",
        "feature_1": "x₁",
        "feature_2": "x₂",
        "class": "class {label}",
    },
}

_PATH_COLORS = ("#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#1f77b4",
                "#e377c2", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f")  # fmt: skip
_LEVELS_CMAP = ListedColormap(colormaps["YlGnBu"](np.linspace(0.0, 0.6, 256)), name="levels")
"""Light (white-yellow) at the bottom, where the paths end; blue-green on the walls."""
_PATH_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
_CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip


# ============================================================ optimizer paths
def trajectory(function, optimizer, steps: int = 200, start=None) -> np.ndarray:
    """The points an optimizer visits on a 2-D surface: an array ``(steps + 1, 2)``.

    The point ``w = (x, y)`` is a :class:`~treino.variables.Variable` (float64);
    each step is exactly what ``fit`` does with a weight::

        w.grad = None
        f(w[0], w[1]).backward()                      # ∇f(w) by autograd
        optimizer.apply_gradients([(w.grad, w)])      # e.g. w ← w − η·∇f(w)

    Row 0 is the start, row t the point after t updates. When the path
    diverges (f, ∇f or w stops being finite) it is cut there: that row and
    all later ones are NaN.

    The optimizer is a *recipe*: a fresh copy is built from its config
    (``type(opt).from_config(opt.get_config())``), so the object passed in is
    not changed and two calls give the same path. (A learning rate given as a
    plain callable is copied as its current value; a schedule is kept.)

    Args:
        function: a :class:`~treino.plot.surfaces.Surface` or its name
            (``'rosenbrock'``, ``'beale'``, ``'himmelblau'``, ``'ravine'``).
        optimizer: a treino optimizer, or a name for ``treino.optimizers.get``
            (with Keras's default hyperparameters).
        steps: number of updates (≥ 1). Defaults to 200.
        start: the first point ``(x, y)``. Defaults to the surface's ``start``.

    Returns:
        float64 array ``(steps + 1, 2)``.

    Example:
        >>> from treino.optimizers import SGD
        >>> path = trajectory("ravine", SGD(learning_rate=0.1), steps=3, start=(1.0, 1.0))
        >>> path      # x ← (1 − η)·x,  y ← (1 − η·κ)·y  with κ = 25
        array([[ 1.   ,  1.   ],
               [ 0.9  , -1.5  ],
               [ 0.81 ,  2.25 ],
               [ 0.729, -3.375]])
    """
    surface = get_surface(function)
    optimizer = _fresh_optimizer(optimizer)
    steps = _check_int("steps", steps, 1)
    start = surface.start if start is None else start
    point = Variable(_check_point(start), name="w", dtype=np.float64)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = point.data
    with enable_grad(), np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            point.grad = None
            value = surface(point[0], point[1])
            value.backward()
            if not (np.isfinite(value.item()) and np.isfinite(point.grad).all()):
                break  # the optimizer would refuse a NaN/inf gradient: the path ends here
            optimizer.apply_gradients([(point.grad, point)])
            if not np.isfinite(point.data).all():
                break
            path[t] = point.data
    return path


def optimizer_trajectories(function, optimizers, steps: int = 200, start=None, save=None,
                           lang=None, ax=None):  # fmt: skip
    """Draw the paths of several optimizers over the level curves of a 2-D function.

    Each optimizer starts at the same point and takes ``steps`` updates
    (:func:`trajectory`). The background is the function's filled contours on
    log-spaced levels (the interesting part is near the minimum, where f is
    tiny); the start is a white circle, the minimum (minima) a gold star, and
    each path a line with a marker at its points — dense markers where the
    optimizer crawls, sparse where it runs. The legend gives the final value
    f(w_T), or the step at which a path diverged (its line stops there).

    What to look for: on the ravine, plain SGD zigzags across the steep
    direction and crawls along the flat one, while momentum and Adam cut
    through; on Rosenbrock, every method finds the valley quickly and then
    the race is along its curved floor.

    Args:
        function: a :class:`~treino.plot.surfaces.Surface` or its name
            (``'rosenbrock'``, ``'beale'``, ``'himmelblau'``, ``'ravine'``).
        optimizers: ``{label: optimizer}`` (e.g. ``{"SGD": SGD(1e-3),
            "Adam": Adam(0.05)}``), or a list of optimizers or names
            (``["sgd", "adam"]``, Keras's default hyperparameters).
        steps: number of updates per optimizer (≥ 1). Defaults to 200.
        start: the common first point ``(x, y)``. Defaults to the surface's.
        save: a ``.png`` path to write, or None. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
        ax: draw on this matplotlib ``Axes`` instead of a new figure.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> from treino.optimizers import SGD, Adam
        >>> fig = optimizer_trajectories("ravine", {"SGD": SGD(0.07), "Adam": Adam(0.5)},
        ...                              steps=50, lang="en")
        >>> fig.axes[0].get_title()
        'Optimizer trajectories — Ravine (κ = 25), 50 steps'
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    surface = get_surface(function)
    named = _named_optimizers(optimizers)
    steps = _check_int("steps", steps, 1)
    start = _check_point(surface.start if start is None else start)
    paths = [(label, trajectory(surface, opt, steps, start)) for label, opt in named]

    figure, ax = _figure_and_axes(ax, size=(7.2, 6.4))
    X, Y, Z = surface.grid(300)
    levels = _log_levels(Z)
    filled = ax.contourf(X, Y, np.clip(Z, levels[0], levels[-1]), levels=levels,
                         norm=LogNorm(levels[0], levels[-1]), cmap=_LEVELS_CMAP)  # fmt: skip
    ax.contour(X, Y, Z, levels=levels[::3], colors="black", linewidths=0.3, alpha=0.3)
    _log_colorbar(figure, ax, filled, levels, text["level"])

    for index, (label, path) in enumerate(paths):
        finite = _finite_prefix(path)
        points = path[:finite]
        if finite < len(path):
            legend = f"{label}: {text['diverged'].format(step=finite)}"
        else:
            legend = f"{label}: {text['final'].format(value=surface.value(points[-1]))}"
        ax.plot(points[:, 0], points[:, 1], color=_PATH_COLORS[index % len(_PATH_COLORS)],
                linewidth=1.4, marker=_PATH_MARKERS[index % len(_PATH_MARKERS)], markersize=3,
                markevery=max(1, finite // 60), label=legend, alpha=0.9,
                zorder=3 + 0.01 * (len(paths) - index))  # the first listed on top  # fmt: skip
    ax.plot(*start, marker="o", markersize=9, color="white", markeredgecolor="black",
            linestyle="none", label=text["start"], zorder=4)  # fmt: skip
    minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
    ax.plot(minima[:, 0], minima[:, 1], marker="*", markersize=15, color="gold",
            markeredgecolor="black", linestyle="none", zorder=4,
            label=text["minima" if len(minima) > 1 else "minimum"])  # fmt: skip
    (x0, x1), (y0, y1) = surface.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(text["trajectories"].format(surface=surface.title(lang), steps=steps))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize="small",
              frameon=False)  # fmt: skip
    return finish(figure, save)


# ============================================================ loss landscape
def landscape(model, x, y, directions: int = 1, span: float = 1.0, points: int = 21,
              normalize="filter", seed=0, batch_size=None):  # fmt: skip
    """A slice of a model's loss around its current weights w: the numbers behind the plot.

    With random directions d₁ (and d₂) in weight space, the loss is evaluated at

        1-D:  L(w + α·d₁)              for α in linspace(−span, span, points)
        2-D:  L(w + α·d₁ + β·d₂)       for α, β on the same grid

    **Filter normalisation** (Li et al., 2018, "Visualizing the Loss Landscape
    of Neural Nets"). A ReLU network computes the same function when a
    filter's incoming weights are multiplied by c > 0 and the next layer's
    divided by c, so a raw Gaussian step means more for small weights than
    for large ones and landscapes of different nets cannot be compared.
    Li et al. rescale each *filter* of the direction to the norm of the same
    filter of w:

        d_{i,j} ← d_{i,j} / ‖d_{i,j}‖ · ‖w_{i,j}‖

    where ``i`` is a weight array and ``j`` one of its filters — in Keras's
    layout the slices along the **last axis** (a Dense unit's column
    ``W[:, j]``, a Conv2D output channel ``K[..., j]``). Biases and other 1-D
    weights (BatchNormalization's γ, β) get **d = 0**: they stay at their
    values, as in Li et al.'s plots (their ``ignore='biasbn'``). So α = 1
    moves every filter by a step as long as the filter itself.

    ``normalize="layer"`` rescales each whole array instead, ‖d_i‖ = ‖w_i‖
    (1-D weights included); ``None`` keeps the raw N(0, 1) direction.

    Only trainable weights move; non-trainable ones (BatchNormalization's
    moving averages) keep their values. The loss is the model's compiled
    loss — regularisation penalties included — in inference mode, via
    ``model.evaluate``. Every weight is restored bit-exactly afterwards, also
    when an evaluation fails.

    Args:
        model: a compiled treino model.
        x, y: the data to measure the loss on (e.g. the training set).
        directions: 1 (a curve) or 2 (a surface). Defaults to 1.
        span: α (and β) run over [−span, span]. Defaults to 1.0.
        points: grid points per direction; odd (≥ 3), so that α = 0 — the
            weights themselves — is on the grid. Defaults to 21.
        normalize: ``"filter"``, ``"layer"`` or None. Defaults to ``"filter"``.
        seed: seed of the Gaussian directions (an int, a Generator, or None
            for treino's shared generator). Defaults to 0.
        batch_size: batch size of the evaluations; None puts all of x in
            one batch. Defaults to None.

    Returns:
        1-D: ``(alphas, losses)``, both ``(points,)``.
        2-D: ``(alphas, betas, losses)`` with ``losses[i, j] = L(w + αᵢ·d₁ + βⱼ·d₂)``,
        shape ``(points, points)``.

    Example:
        >>> from treino import datasets, layers, models
        >>> x, y = datasets.toy.linear(32, seed=0)
        >>> model = models.Sequential([layers.Input((1,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> alphas, losses = landscape(model, x, y, points=5)
        >>> alphas
        array([-1. , -0.5,  0. ,  0.5,  1. ])
        >>> bool(losses[2] == model.evaluate(x, y, batch_size=32, verbose=0))   # α = 0: w itself
        True
    """
    directions = _check_choice("directions", directions, (1, 2))
    span = _check_positive("span", span)
    points = _check_int("points", points, 3)
    if points % 2 == 0:
        raise ValueError(
            f"points must be odd so that α = 0 (the current weights) is on the grid; "
            f"received points={points}"
        )
    normalize = _check_choice("normalize", normalize, ("filter", "layer", None))
    if not getattr(model, "compiled", False) or not hasattr(model, "evaluate"):
        raise ValueError(
            "landscape: expected a compiled treino model (model.compile(optimizer=..., "
            f"loss=...)): its compiled loss is what is sliced; received {type(model).__name__}"
        )
    if y is None:
        raise ValueError("landscape: pass the targets y along with x")
    if batch_size is None:
        batch_size = max(1, _num_samples(x))

    def loss_here() -> float:
        return float(model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                    return_dict=True)["loss"])  # fmt: skip

    loss_here()  # builds the model if needed; bad data fails here, before any change
    variables = list(model.trainable_weights)
    if not variables:
        raise ValueError("landscape: the model has no trainable weights to move along")
    rng = make_rng(seed)
    centre = [v.data.astype(np.float64) for v in variables]
    dirs = [_direction(centre, rng, normalize) for _ in range(directions)]
    alphas = np.linspace(-span, span, points)
    saved = [(v, v.data.copy()) for v in model.weights]
    try:
        if directions == 1:
            losses = np.array([_loss_at(variables, centre, [(a, dirs[0])], loss_here)
                               for a in alphas])  # fmt: skip
            return alphas, losses
        losses = np.array([[_loss_at(variables, centre, [(a, dirs[0]), (b, dirs[1])], loss_here)
                            for b in alphas] for a in alphas])  # fmt: skip
        return alphas, alphas.copy(), losses
    finally:
        for variable, value in saved:
            variable.assign(value)


def loss_landscape(model, x, y, directions: int = 1, span: float = 1.0, points: int = 21,
                   normalize="filter", seed=0, batch_size=None, save=None, lang=None,
                   ax=None):  # fmt: skip
    """Plot a 1-D or 2-D slice of the loss around the model's current weights.

    See :func:`landscape` for the slice itself (random directions,
    Li et al.'s filter normalisation). 1-D: the curve L(w + α·d₁) with the
    current weights (α = 0) marked. 2-D: filled level curves of
    L(w + α·d₁ + β·d₂) (log-spaced when the loss spans more than two orders
    of magnitude), the centre marked with a star.

    What to look for: a wide, round basin around the trained weights is the
    "flat minimum" associated with good generalisation; a narrow one, a sharp
    minimum; a centre not at the bottom of the curve means training has not
    converged (or a regulariser pulls elsewhere). Sharpness is comparable
    between models only with a normalised direction (the default).

    Args:
        model, x, y, directions, span, points, normalize, seed, batch_size:
            as in :func:`landscape`.
        save: a ``.png`` path to write, or None. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
        ax: draw on this matplotlib ``Axes`` instead of a new figure.

    Returns:
        The matplotlib ``Figure``.
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    data = landscape(model, x, y, directions=directions, span=span, points=points,
                     normalize=normalize, seed=seed, batch_size=batch_size)  # fmt: skip
    norm = {"filter": text["norm_filter"], "layer": text["norm_layer"], None: ""}[normalize]
    figure, ax = _figure_and_axes(ax, size=(6.4, 4.6) if directions == 1 else (6.6, 5.2))
    if directions == 1:
        alphas, losses = data
        centre = losses[len(losses) // 2]
        ax.plot(alphas, losses, color="#1f77b4", linewidth=1.8, marker="o", markersize=3)
        ax.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
        ax.plot([0.0], [centre], marker="o", markersize=9, color="#d62728",
                markeredgecolor="black", linestyle="none",
                label=text["centre"].format(value=centre))  # fmt: skip
        ax.set_ylabel(text["loss"])
        ax.set_title(text["landscape_1d"])
        ax.grid(alpha=0.3)
    else:
        alphas, betas, losses = data
        centre = losses[len(alphas) // 2, len(betas) // 2]
        grid = np.ma.masked_invalid(losses.T)  # rows: β, columns: α (contourf's layout)
        levels, norm_scale = _landscape_levels(grid)
        filled = ax.contourf(alphas, betas, np.clip(grid, levels[0], levels[-1]),
                             levels=levels, norm=norm_scale, cmap="viridis")  # fmt: skip
        ax.contour(alphas, betas, grid, levels=levels[::2], colors="white", linewidths=0.5,
                   alpha=0.6)  # fmt: skip
        if norm_scale is None:
            figure.colorbar(filled, ax=ax).set_label(text["loss"])
        else:
            _log_colorbar(figure, ax, filled, levels, f"{text['loss']} ({text['log']})")
        ax.plot([0.0], [0.0], marker="*", markersize=16, color="#d62728",
                markeredgecolor="white", linestyle="none",
                label=text["centre"].format(value=centre))  # fmt: skip
        ax.set_ylabel(text["beta"].format(norm=norm))
        ax.set_title(text["landscape_2d"])
        ax.set_aspect("equal")
    ax.set_xlabel(text["alpha"].format(norm=norm))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize="small", frameon=False)
    return finish(figure, save)


# ========================================================= decision boundary
def decision_boundary(model, x, y, resolution: int = 200, threshold: float = 0.5, save=None,
                      lang=None, ax=None):  # fmt: skip
    """Colour the plane by the class the model predicts, and put the data on top.

    The model predicts on a ``resolution × resolution`` grid that covers the
    data with a 10 % margin. The predicted class is ``argmax`` of the outputs
    when there are several (softmax or logits), and ``output > threshold``
    for a single output (a sigmoid's probability: threshold 0.5; use 0.0 for
    a single logit). The regions are filled in light class colours, the
    boundaries drawn in black, and the points coloured by their *true* class
    — a point on the wrong colour is a training error. The title gives the
    accuracy on (x, y).

    What to look for: a linear model draws straight lines; each hidden layer
    lets the boundary bend (XOR, moons, spirals); a boundary that wiggles
    around single points is overfitting.

    Args:
        model: a treino model with 2 inputs (anything with
            ``predict(x, batch_size=..., verbose=0)``).
        x: the points, shape ``(N, 2)``.
        y: their classes: integer labels ``(N,)`` or ``(N, 1)``, binary
            probabilities in [0, 1] (> 0.5 is class 1), or one-hot /
            probability rows ``(N, k)`` (argmax).
        resolution: grid points per axis (≥ 10). Defaults to 200.
        threshold: the decision threshold of a single output. Defaults to 0.5.
        save: a ``.png`` path to write, or None. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
        ax: draw on this matplotlib ``Axes`` instead of a new figure.

    Returns:
        The matplotlib ``Figure``.
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    x = _check_points_2d(x)
    labels = _class_labels(y, len(x))
    resolution = _check_int("resolution", resolution, 10)
    threshold = _check_real("threshold", threshold)
    if not hasattr(model, "predict"):
        raise TypeError(
            f"decision_boundary: expected a model with predict(); received {type(model).__name__}"
        )
    low, high = x.min(axis=0), x.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-3)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    X, Y = np.meshgrid(xs, ys)
    grid = np.column_stack([X.ravel(), Y.ravel()]).astype(x.dtype)
    margins = _class_margins(model, grid, threshold)  # (M, k): > 0 where class k wins
    regions = np.argmax(margins, axis=1).reshape(X.shape)
    predicted = np.argmax(_class_margins(model, x, threshold), axis=1)
    accuracy = float(np.mean(predicted == labels))

    n_classes = int(max(labels.max(), regions.max())) + 1
    colors = [_CLASS_COLORS[k % len(_CLASS_COLORS)] for k in range(n_classes)]
    light = ListedColormap([_lighten(c, 0.65) for c in colors])
    figure, ax = _figure_and_axes(ax, size=(6.4, 5.4))
    bounds = np.arange(n_classes + 1) - 0.5
    ax.contourf(X, Y, regions, levels=bounds, cmap=light, vmin=-0.5, vmax=n_classes - 0.5)
    for k in range(margins.shape[1]):  # the boundary of region k: its margin crosses 0
        margin = margins[:, k].reshape(X.shape)
        if margin.min() < 0 < margin.max():
            ax.contour(X, Y, margin, levels=[0.0], colors="black", linewidths=1.0)
    for k in range(n_classes):
        mine = labels == k
        if mine.any():
            ax.scatter(x[mine, 0], x[mine, 1], s=18, color=colors[k], edgecolors="black",
                       linewidths=0.4, label=text["class"].format(label=k), zorder=3)  # fmt: skip
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel(text["feature_1"])
    ax.set_ylabel(text["feature_2"])
    shown = f"{accuracy:.1%}"
    ax.set_title(text["boundary"].format(accuracy=shown.replace(".", ",") if lang == "pt"
                                         else shown))  # fmt: skip
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=min(n_classes, 5),
              fontsize="small", frameon=False)  # fmt: skip
    return finish(figure, save)


# ==================================================================== helpers
def _figure_and_axes(ax, size):
    """A new figure and its axes, or the figure that holds ``ax``."""
    if ax is None:
        return new_figure(size=size)
    if not hasattr(ax, "get_figure"):
        raise TypeError(f"ax must be a matplotlib Axes; received {type(ax).__name__}")
    return ax.get_figure(root=True), ax


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; received {name}={value!r}")
    return int(value)


def _check_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; received {name}={value!r}")
    return float(value)


def _check_positive(name: str, value) -> float:
    value = _check_real(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0; received {name}={value!r}")
    return value


def _check_choice(name: str, value, choices: tuple):
    if isinstance(value, bool) or value not in choices:
        shown = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be {shown}; received {name}={value!r}")
    return value


def _check_point(point) -> np.ndarray:
    try:
        array = np.asarray(point, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != (2,) or not np.isfinite(array).all():
        raise ValueError(f"start must be two finite numbers (x, y); received start={point!r}")
    return array


def _fresh_optimizer(optimizer):
    """A new optimizer with the same configuration (or one from its name)."""
    if isinstance(optimizer, str):
        return optimizers_module.get(optimizer)
    if isinstance(optimizer, optimizers_module.Optimizer | optimizers_module.LayerwiseOptimizer):
        return type(optimizer).from_config(optimizer.get_config())
    raise TypeError(
        "expected a treino optimizer (e.g. treino.optimizers.Adam(0.05)) or its name "
        f"('adam'); received {type(optimizer).__name__}"
    )


def _named_optimizers(optimizers) -> list[tuple[str, object]]:
    """``[(label, optimizer)]`` from a dict, or from a list of optimizers / names."""
    if isinstance(optimizers, dict):
        pairs = [(str(label), opt) for label, opt in optimizers.items()]
    elif isinstance(optimizers, list | tuple):
        pairs = [(opt if isinstance(opt, str) else _describe(opt), opt) for opt in optimizers]
    else:
        raise TypeError(
            "optimizers must be a dict {label: optimizer} or a list of optimizers or names; "
            f"received {type(optimizers).__name__}"
        )
    if not pairs:
        raise ValueError("optimizers is empty: give at least one optimizer")
    for _, opt in pairs:
        _fresh_optimizer(opt)  # a bad entry fails here, before any path is computed
    return pairs


def _describe(optimizer) -> str:
    """A short label such as ``SGD(η=0.001, μ=0.9)``."""
    config = optimizer.get_config() if hasattr(optimizer, "get_config") else {}
    parts = []
    lr = config.get("learning_rate")
    if isinstance(lr, numbers.Real):
        parts.append(f"η={lr:g}")
    if config.get("momentum"):
        parts.append(f"μ={config['momentum']:g}")
    name = "Nesterov" if config.get("nesterov") else type(optimizer).__name__
    return f"{name}({', '.join(parts)})"


def _finite_prefix(path: np.ndarray) -> int:
    """How many leading rows of ``path`` are finite (all of them when it did not diverge)."""
    bad = ~np.isfinite(path).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else len(path)


def _log_levels(values, count: int = 30) -> np.ndarray:
    """Log-spaced contour levels from just above the minimum to the maximum of ``values``."""
    finite = np.asarray(values)[np.isfinite(values)]
    top = float(finite.max())
    positive = finite[finite > 0]
    floor = float(positive.min()) if positive.size else top * 1e-6
    floor = max(floor, top * 1e-6)  # a grid point right on a minimum gives ~0: don't chase it
    if not top > floor:
        top = floor * 10
    return np.geomspace(floor, top, count)


def _log_colorbar(figure, ax, mappable, levels, label: str) -> None:
    """A colorbar for log-spaced levels, with ticks at the powers of ten."""
    colorbar = figure.colorbar(mappable, ax=ax)
    low, high = np.log10(levels[0]), np.log10(levels[-1])
    decades = 10.0 ** np.arange(np.ceil(low), np.floor(high) + 1)
    if len(decades) < 2:  # less than a decade: a few round values instead
        decades = np.unique(np.round(np.geomspace(levels[0], levels[-1], 4), 3))
    colorbar.set_ticks(decades)
    colorbar.set_ticklabels([f"{v:g}" for v in decades])
    colorbar.minorticks_off()
    colorbar.set_label(label)


def _landscape_levels(grid):
    """Contour levels for a loss surface: log-spaced over a wide range, else linear."""
    finite = grid.compressed()
    low, high = float(finite.min()), float(finite.max())
    if low > 0 and high / low > 100:
        levels = _log_levels(finite, 25)
        return levels, LogNorm(levels[0], levels[-1])
    if not high > low:
        high = low + 1e-12
    levels = np.linspace(low, high, 25)
    return levels, None


def _num_samples(x) -> int:
    """Rows of the first array in ``x`` (an array, or a list / dict of arrays)."""
    first = x
    while isinstance(first, dict | list | tuple):
        if not first:
            raise ValueError("landscape: x is empty")
        first = next(iter(first.values())) if isinstance(first, dict) else first[0]
    return len(first)


def _direction(centre: list, rng, normalize) -> list:
    """A random direction, one array per weight, normalised against the weights ``centre``."""
    direction = []
    for w in centre:
        d = rng.standard_normal(w.shape)
        if normalize == "layer":
            d *= np.linalg.norm(w) / (np.linalg.norm(d) + 1e-10)
        elif normalize == "filter":
            if w.ndim <= 1:
                d[...] = 0.0  # biases and BatchNormalization's γ, β stay put (Li et al.)
            else:  # Keras layout: one filter / unit per index of the last axis
                axes = tuple(range(w.ndim - 1))
                w_norm = np.sqrt(np.sum(w * w, axis=axes, keepdims=True))
                d_norm = np.sqrt(np.sum(d * d, axis=axes, keepdims=True))
                d *= w_norm / (d_norm + 1e-10)
        direction.append(d)
    if not any(np.any(d) for d in direction):
        raise ValueError(
            f"landscape: the {normalize}-normalised direction is zero (the weights are zero, "
            "or all 1-D); use normalize=None for a raw Gaussian direction"
        )
    return direction


def _loss_at(variables, centre, steps, loss_here) -> float:
    """Put the weights at ``w + Σ coefficient·direction`` and evaluate the loss."""
    for index, variable in enumerate(variables):
        value = centre[index].copy()
        for coefficient, direction in steps:
            value += coefficient * direction[index]
        variable.assign(value)
    return loss_here()


def _check_points_2d(x) -> np.ndarray:
    try:
        array = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"decision_boundary: x must be a numeric array of shape (N, 2); received "
            f"{type(x).__name__}"
        ) from None
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise ValueError(
            "decision_boundary: x must have shape (N, 2) — two features, the two axes of the "
            f"plot; received shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError("decision_boundary: x holds NaN or inf values")
    return np.asarray(x) if np.asarray(x).dtype.kind == "f" else array


def _class_labels(y, n: int) -> np.ndarray:
    """Integer classes from labels, binary probabilities or one-hot rows."""
    array = np.asarray(y)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"decision_boundary: y must hold numbers; received dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise ValueError("decision_boundary: y holds NaN or inf values")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim not in (1, 2) or len(array) != n:
        raise ValueError(
            f"decision_boundary: y must have shape ({n},), ({n}, 1) or ({n}, k) to match x; "
            f"received shape {np.shape(y)}"
        )
    if array.ndim == 2:  # one-hot or probability rows
        return np.argmax(array, axis=1)
    if array.dtype.kind == "f" and not np.all(array == np.round(array)):
        if array.min() < 0 or array.max() > 1:
            raise ValueError("decision_boundary: float y must be labels or probabilities in [0, 1]")
        return (array > 0.5).astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"decision_boundary: class labels must be >= 0; received {array.min()}")
    return array.astype(np.int64)


def _class_margins(model, points: np.ndarray, threshold: float) -> np.ndarray:
    """``(M, k)``: how far each class is from winning, s_k − max_{j≠k} s_j.

    The predicted class is the one with a positive margin (the argmax), and
    the zero level of each margin is that class's boundary — a smooth curve,
    unlike the edge of the argmax image. A single output s (a sigmoid's
    probability) is the two classes' margins ∓(s − threshold).
    """
    output = np.asarray(model.predict(points, batch_size=4096, verbose=0), dtype=np.float64)
    if output.ndim == 2 and output.shape[1] > 1:
        margins = np.empty_like(output)
        for k in range(output.shape[1]):
            margins[:, k] = output[:, k] - np.delete(output, k, axis=1).max(axis=1)
        return margins
    if output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1):
        score = output.reshape(-1) - threshold
        return np.column_stack([-score, score])
    raise ValueError(
        f"decision_boundary: the model's output has shape {output.shape}; expected (N,), "
        "(N, 1) or (N, k) class scores"
    )


def _lighten(color, amount: float) -> tuple:
    """``color`` mixed with white (amount 0: unchanged, 1: white)."""
    rgb = np.array(to_rgb(color))
    return tuple(rgb + (1.0 - rgb) * amount)
