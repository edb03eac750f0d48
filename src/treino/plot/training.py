"""Pictures of one training run: curves, gradient flow, weights, η, confusion, mistakes.

Each function draws one diagnostic the course asks students to read, returns
the :class:`~matplotlib.figure.Figure` and, with ``save="file.png"``, writes
it as a PNG:

* :func:`learning_curves` — loss and metrics per epoch, training against
  validation, with the best epoch and the generalization gap marked;
* :func:`gradient_flow` — the per-layer telemetry of
  :class:`~treino.callbacks.GradientMonitor` (‖∂L/∂W‖, ‖W‖, ‖ΔW‖/‖W‖, dead
  or saturated units…) over the epochs and from input to output layer: the
  picture of vanishing and exploding gradients;
* :func:`histograms` — the distribution of every trainable weight, or of its
  gradient;
* :func:`lr_schedule` — the learning rate η against the step or the epoch;
* :func:`confusion_matrix` — which classes are taken for which;
* :func:`misclassified` — the images the model gets wrong, worst first.

Labels and titles are in Portuguese (``lang='pt'``) or English (``'en'``);
``None`` follows the locale (:func:`treino.language.resolve_lang`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import MaxNLocator

from treino.autograd import Tensor, enable_grad
from treino.language import resolve_lang
from treino.metrics.confusion_matrix import confusion_matrix as confusion_counts
from treino.plot._figure import finish, new_figure

__all__ = [
    "confusion_matrix", "gradient_flow", "histograms", "learning_curves", "lr_schedule",
    "misclassified",
]  # fmt: skip

_TEXT = {
    "pt": {
        "epoch": "época",
        "train": "treino",
        "val": "validação",
        "loss": "perda",
        "accuracy": "acurácia",
        "titles": {"loss": "Perda", "accuracy": "Acurácia", "mae": "Erro absoluto médio (MAE)",
                   "mse": "Erro quadrático médio (MSE)", "rmse": "Raiz do EQM (RMSE)",
                   "precision": "Precisão", "recall": "Revocação", "auc": "AUC",
                   "learning_rate": "Taxa de aprendizado"},
        "curves": "Curvas de aprendizado",
        "best": "melhor val_loss (época {epoch})",
        "gap": "lacuna treino–validação",
        "flow": "Fluxo por camada: {stat}",
        "flow_epochs": "{stat} por camada ao longo das épocas",
        "flow_layers": "{stat} por camada (entrada → saída)",
        "layer": "camada",
        "first_epoch": "época {epoch}",
        "last_epoch": "época {epoch}",
        "grad_norm": "‖∂L/∂W‖ (norma do gradiente)",
        "weight_norm": "‖W‖ (norma dos pesos)",
        "update_ratio": "‖ΔW‖ / ‖W‖ (razão de atualização)",
        "dead_fraction": "fração de unidades mortas",
        "saturated_fraction": "fração de saídas saturadas",
        "activation_mean": "média das ativações",
        "activation_std": "desvio-padrão das ativações",
        "weights": "Pesos treináveis",
        "gradients": "Gradientes ∂L/∂w",
        "gradients_batch": "Gradientes ∂L/∂w (um lote de {n} amostras)",
        "weight_value": "valor do peso",
        "gradient_value": "valor do gradiente",
        "count": "contagem",
        "no_grad": "sem gradiente",
        "stats": "μ = {mean}\nσ = {std}",
        "lr_title": "Taxa de aprendizado η",
        "lr": "η (taxa de aprendizado)",
        "step": "passo t (atualizações do otimizador)",
        "cm_title": "Matriz de confusão (acurácia {accuracy})",
        "cm_norm": {"true": "fração da classe verdadeira (revocação na diagonal)",
                    "pred": "fração da classe prevista (precisão na diagonal)",
                    "all": "fração de todas as amostras",
                    None: "número de amostras"},
        "true_class": "classe verdadeira",
        "pred_class": "classe prevista",
        "wrong": "Erros do modelo: {shown} de {wrong} (de {total} amostras)",
        "wrong_sorted": "Erros do modelo: {shown} de {wrong} (de {total} amostras), "
                        "os mais confiantes primeiro",
        "no_mistakes": "Nenhum erro: o modelo acertou as {total} amostras.",
    },
    "en": {
        "epoch": "epoch",
        "train": "training",
        "val": "validation",
        "loss": "loss",
        "accuracy": "accuracy",
        "titles": {"loss": "Loss", "accuracy": "Accuracy", "mae": "Mean absolute error (MAE)",
                   "mse": "Mean squared error (MSE)", "rmse": "Root mean squared error (RMSE)",
                   "precision": "Precision", "recall": "Recall", "auc": "AUC",
                   "learning_rate": "Learning rate"},
        "curves": "Learning curves",
        "best": "best val_loss (epoch {epoch})",
        "gap": "training–validation gap",
        "flow": "Per-layer flow: {stat}",
        "flow_epochs": "{stat} per layer over the epochs",
        "flow_layers": "{stat} per layer (input → output)",
        "layer": "layer",
        "first_epoch": "epoch {epoch}",
        "last_epoch": "epoch {epoch}",
        "grad_norm": "‖∂L/∂W‖ (gradient norm)",
        "weight_norm": "‖W‖ (weight norm)",
        "update_ratio": "‖ΔW‖ / ‖W‖ (update ratio)",
        "dead_fraction": "fraction of dead units",
        "saturated_fraction": "fraction of saturated outputs",
        "activation_mean": "mean activation",
        "activation_std": "activation standard deviation",
        "weights": "Trainable weights",
        "gradients": "Gradients ∂L/∂w",
        "gradients_batch": "Gradients ∂L/∂w (one batch of {n} samples)",
        "weight_value": "weight value",
        "gradient_value": "gradient value",
        "count": "count",
        "no_grad": "no gradient",
        "stats": "μ = {mean}\nσ = {std}",
        "lr_title": "Learning rate η",
        "lr": "η (learning rate)",
        "step": "step t (optimizer updates)",
        "cm_title": "Confusion matrix (accuracy {accuracy})",
        "cm_norm": {"true": "fraction of the true class (recall on the diagonal)",
                    "pred": "fraction of the predicted class (precision on the diagonal)",
                    "all": "fraction of all samples",
                    None: "number of samples"},
        "true_class": "true class",
        "pred_class": "predicted class",
        "wrong": "Model mistakes: {shown} of {wrong} (out of {total} samples)",
        "wrong_sorted": "Model mistakes: {shown} of {wrong} (out of {total} samples), "
                        "most confident first",
        "no_mistakes": "No mistakes: the model got all {total} samples right.",
    },
}  # fmt: skip

_TRAIN_COLOR, _VAL_COLOR, _BEST_COLOR = "#1f77b4", "#d62728", "#2ca02c"
_LOG_STATS = ("grad_norm", "weight_norm", "update_ratio", "activation_std")
"""The stats that span orders of magnitude: drawn on a log axis when ``log=True``."""


# ============================================================ learning curves
def learning_curves(history, metrics=None, save=None, lang=None):
    """Training and validation curves, one axes per metric, with the overfitting gap marked.

    Each panel shows a metric m per epoch e = 1, 2, …, E on the training data
    (``history['m']``, the mean over the epoch's batches) and on the
    validation data (``history['val_m']``, measured after the epoch). On the
    loss panel:

    * a vertical line marks e* = argminₑ val_lossₑ, the epoch whose weights
      generalise best (what ``EarlyStopping(restore_best_weights=True)`` keeps);
    * after e*, the shaded band is the gap val_lossₑ − lossₑ. A gap that keeps
      opening while the training loss still falls is overfitting: the model is
      memorising the training set. Curves that stay together and high are
      underfitting.

    The same line is drawn on the other panels, so one can read the accuracy
    at the best epoch. Validation measured every k epochs
    (``fit(validation_freq=k)``) gives fewer values; they are drawn at epochs
    k, 2k, …, with k = ⌊E / number of validation values⌋. A panel whose
    values span more than two decades (a divergence) gets a log scale.

    Args:
        history: a :class:`~treino.callbacks.History` (what ``fit`` returns),
            or its ``.history`` dict ``{'loss': [...], 'val_loss': [...], ...}``.
        metrics: the metric names to draw (``'loss'``, ``'accuracy'`` …,
            without the ``val_`` prefix), or one name. Defaults to None: every
            key with no ``'/'`` that is not ``'learning_rate'``, loss first.
        save: a ``.png`` path to also write the figure to. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.

    Returns:
        The :class:`~matplotlib.figure.Figure`, one axes per metric.

    Example:
        >>> history = {"loss": [0.9, 0.5, 0.3, 0.2], "val_loss": [1.0, 0.7, 0.6, 0.8],
        ...            "accuracy": [0.6, 0.8, 0.9, 0.95], "val_accuracy": [0.55, 0.7, 0.75, 0.7]}
        >>> figure = learning_curves(history, lang="en")
        >>> [ax.get_title() for ax in figure.axes]
        ['Loss', 'Accuracy']
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    logs = _history_dict(history, "learning_curves")
    names = _curve_names(logs, metrics)
    best = _best_epoch(logs)
    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    figure, axes = new_figure(nrows, ncols, size=(5.0 * ncols, 3.8 * nrows), squeeze=False)
    axes = axes.ravel()
    for extra in axes[len(names) :]:
        extra.remove()
    for ax, name in zip(axes, names, strict=False):
        label = text.get(name, name) if name in text["titles"] else name
        train = _series(logs.get(name, []))
        val = _series(logs.get(f"val_{name}", []))
        epochs = np.arange(1, len(train) + 1)
        val_epochs = _val_epochs(len(train), len(val))
        if train.size:
            ax.plot(epochs, train, color=_TRAIN_COLOR, marker="o", markersize=3, linewidth=1.8,
                    label=text["train"])  # fmt: skip
        if val.size:
            ax.plot(val_epochs, val, color=_VAL_COLOR, marker="o", markersize=3, linewidth=1.8,
                    label=text["val"])  # fmt: skip
        if best is not None:
            best_epoch, _ = best
            ax.axvline(best_epoch, color=_BEST_COLOR, linestyle="--", linewidth=1.2,
                       label=text["best"].format(epoch=best_epoch))  # fmt: skip
            after = (val_epochs >= best_epoch) & (val_epochs <= len(train))
            if name == "loss" and train.size and after.sum() > 1:  # a gap needs 2+ epochs
                xs = val_epochs[after]
                ax.fill_between(xs, train[xs - 1], val[after], color=_VAL_COLOR, alpha=0.15,
                                linewidth=0, label=text["gap"])  # fmt: skip
        ax.set_title(text["titles"].get(name, name))
        ax.set_xlabel(text["epoch"])
        ax.set_ylabel(label)
        if _spans_decades(np.concatenate([train, val])):
            ax.set_yscale("log")  # a divergence (loss 1e6 then 2.3) stays readable
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small", framealpha=0.85)
    figure.suptitle(text["curves"])
    return finish(figure, save)


def _spans_decades(values: np.ndarray, decades: float = 2.0) -> bool:
    """True when the finite values are all positive and max/min exceeds 10^decades."""
    finite = values[np.isfinite(values)]
    return bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 10**decades)


def _curve_names(logs: dict, metrics) -> list[str]:
    """The metrics to draw, loss first; unknown names raise listing the known ones."""
    known = []
    for key in logs:
        if "/" in key or key == "learning_rate":
            continue
        base = key[4:] if key.startswith("val_") else key
        if base not in known:
            known.append(base)
    if "loss" in known:
        known.remove("loss")
        known.insert(0, "loss")
    if metrics is None:
        if not known:
            raise ValueError(f"learning_curves: the history has no metric to draw; its keys "
                             f"are {list(logs)}")  # fmt: skip
        return known
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError("learning_curves: metrics is empty; pass None to draw every metric")
    for name in names:
        if not isinstance(name, str) or name not in known:
            raise ValueError(f"learning_curves: unknown metric {name!r}; the history has "
                             f"{known}")  # fmt: skip
    return names


def _best_epoch(logs: dict):
    """(e*, val_loss at e*) with e* the 1-based epoch of the lowest val_loss; None without it."""
    val = _series(logs.get("val_loss", []))
    if not np.isfinite(val).any():
        return None
    epochs = _val_epochs(len(_series(logs.get("loss", val))), len(val))
    index = int(np.nanargmin(np.where(np.isfinite(val), val, np.nan)))
    return int(epochs[index]), float(val[index])


def _val_epochs(train_count: int, val_count: int) -> np.ndarray:
    """The 1-based epochs of the validation values: every epoch, or every k-th."""
    if val_count == 0:
        return np.arange(1, 1)
    if train_count <= val_count:
        return np.arange(1, val_count + 1)
    every = train_count // val_count  # fit(validation_freq=k): epochs k, 2k, …
    return every * np.arange(1, val_count + 1)


# ============================================================== gradient flow
def gradient_flow(history, stat="grad_norm", save=None, lang=None, log=True):
    """Per-layer telemetry of :class:`~treino.callbacks.GradientMonitor`, over epochs and depth.

    Backpropagation multiplies, layer after layer from the output back to the
    input, by each layer's local Jacobian:

        ∂L/∂W₁ = ∂L/∂a_L · (∂a_L/∂a_{L−1}) ⋯ (∂a₂/∂a₁) · ∂a₁/∂W₁.

    Factors below 1 (saturated sigmoids, σ' ≤ ¼) shrink the gradient
    geometrically toward the input — *vanishing gradients*: the first layers
    stop learning. Factors above 1 (large weights) make it grow — *exploding
    gradients*: the loss jumps or becomes NaN.

    Left panel: the stat of every layer over the epochs, one line per layer
    coloured from the first layer (dark) to the last (light) of a sequential
    colormap. Right panel: the stat per layer (input → output) at the first
    and last recorded epoch, as bars. Vanishing gradients look like bars that
    shrink toward the input (often by orders of magnitude, hence the log
    scale); exploding ones like bars that grow, or grow between the first and
    the last epoch. For ``update_ratio``, about 10⁻³ per step is the classic
    healthy value.

    Args:
        history: a :class:`~treino.callbacks.History`, its ``.history`` dict,
            or any object with a ``.history`` dict, holding the keys
            ``f"{stat}/{layer}"`` written by ``GradientMonitor`` (one value per
            epoch, None or NaN where the stat does not apply), layers in key
            order from input to output.
        stat: ``'grad_norm'``, ``'weight_norm'``, ``'update_ratio'``,
            ``'dead_fraction'``, ``'saturated_fraction'``,
            ``'activation_mean'`` or ``'activation_std'``. Defaults to
            ``'grad_norm'``.
        save: a ``.png`` path to also write the figure to. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
        log: a log y-axis for the norms and the std (when every value is
            > 0 and they span at least a factor of 10). Defaults to True.

    Returns:
        The :class:`~matplotlib.figure.Figure` (two axes).

    Example:
        >>> logs = {"grad_norm/dense": [1e-4, 2e-4], "grad_norm/dense_1": [1e-1, 5e-2]}
        >>> figure = gradient_flow(logs, lang="en")
        >>> [line.get_label() for line in figure.axes[0].get_lines()]
        ['dense', 'dense_1']
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    logs = _history_dict(history, "gradient_flow")
    if not isinstance(stat, str):
        raise TypeError(f"gradient_flow: stat must be a string; received {type(stat).__name__}")
    prefix = f"{stat}/"
    layers = {key[len(prefix):]: _series(values) for key, values in logs.items()
              if key.startswith(prefix)}  # fmt: skip
    if not layers:
        present = sorted({key.split("/", 1)[0] for key in logs if "/" in key})
        hint = (f"the stats present are {present}" if present else
                "record them with treino.callbacks.GradientMonitor: "
                "model.fit(..., callbacks=[GradientMonitor()])")  # fmt: skip
        raise ValueError(f"gradient_flow: the history has no {stat!r} keys "
                         f"('{stat}/<layer>'); {hint}")  # fmt: skip
    label = text.get(stat, stat)
    finite = np.concatenate([v[np.isfinite(v)] for v in layers.values()])
    # a log axis where the values span a decade or more (else ticks read "2×10⁰"), and
    # always for update_ratio, read against its healthy order of magnitude, 10⁻³
    positive = finite.size > 0 and bool((finite > 0).all())
    use_log = bool(log) and stat in _LOG_STATS and (
        _spans_decades(finite, 1.0) or (stat == "update_ratio" and positive))
    colors = colormaps["viridis"](np.linspace(0.0, 0.85, len(layers)))

    figure, (left, right) = new_figure(1, 2, size=(12.0, 4.6))
    for (name, values), color in zip(layers.items(), colors, strict=True):
        left.plot(np.arange(1, len(values) + 1), values, color=color, marker="o", markersize=3,
                  linewidth=1.6, label=name)  # fmt: skip
    left.set_xlabel(text["epoch"])
    left.set_ylabel(label)
    left.set_title(text["flow_epochs"].format(stat=stat))
    left.xaxis.get_major_locator().set_params(integer=True)
    left.legend(title=text["layer"], fontsize="small", loc="upper left",  # beside, not on,
                bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,   # lines that often cross
                ncol=1 + len(layers) // 13)  # fmt: skip

    index = np.arange(len(layers))
    first = np.array([v[0] if v.size else np.nan for v in layers.values()])
    last = np.array([v[-1] if v.size else np.nan for v in layers.values()])
    epochs = max(v.size for v in layers.values())
    if epochs > 1:
        width = 0.4
        right.bar(index - width / 2, first, width, color="#a6bddb", edgecolor="#3b6a9e",
                  label=text["first_epoch"].format(epoch=1))  # fmt: skip
        right.bar(index + width / 2, last, width, color="#2b5d8a", edgecolor="#17324d",
                  label=text["last_epoch"].format(epoch=epochs))  # fmt: skip
    else:
        right.bar(index, first, 0.6, color="#2b5d8a", label=text["first_epoch"].format(epoch=1))
    right.set_xticks(index, list(layers), rotation=30 if len(layers) > 4 else 0,
                     ha="right" if len(layers) > 4 else "center")  # fmt: skip
    right.set_xlabel(text["layer"])
    right.set_ylabel(label)
    right.set_title(text["flow_layers"].format(stat=stat))
    right.legend(fontsize="small", loc="best", framealpha=0.85)
    for ax in (left, right):
        if use_log:
            ax.set_yscale("log")
        elif stat.endswith("_fraction"):  # a fraction lives in [0, 1]: no negative axis
            top = float(finite.max()) if finite.size else 0.0
            ax.set_ylim(0.0, min(1.05, max(0.05, 1.1 * top)))
        ax.grid(alpha=0.3, which="major")
    figure.suptitle(text["flow"].format(stat=label))
    return finish(figure, save)


# ================================================================= histograms
def histograms(model, kind="weights", x=None, y=None, bins=50, save=None, lang=None):
    """One histogram per trainable weight of ``model`` (or of its gradient).

    What to look for. Weights: right after initialisation a kernel is
    centred at 0 with the spread its initialiser chose (Glorot uniform:
    limit √(6 / (fan_in + fan_out))); after training the spreads should have
    moved but stay comparable between layers — a layer whose weights barely
    moved did not learn, one whose weights grew very large may saturate its
    activation. Gradients: every layer's gradients ∂L/∂w should be of
    comparable size; ones packed at 0 in the first layers are vanishing
    gradients, very wide ones exploding gradients.

    With ``x`` and ``y``, the gradients of that one batch are computed first,
    without updating anything::

        with enable_grad():
            ŷ = model(x, training=True)
            L = model.compute_loss(x, y, ŷ)
        for v in model.trainable_weights: v.grad = None
        L.backward()          # v.grad = ∂L/∂v

    (the loss trackers that ``compute_loss`` feeds are reset afterwards, and
    non-trainable weights such as BatchNormalization's moving averages are
    put back as they were).

    Args:
        model: a built treino model (compiled, for ``x, y``).
        kind: ``'weights'`` or ``'gradients'`` (each variable's ``.grad``,
            left by the last training step or computed from ``x, y``).
            Defaults to ``'weights'``.
        x, y: one batch of inputs and targets to compute the gradients from.
            Defaults to None.
        bins: the most bins per histogram (≥ 1); a small variable gets
            fewer, by Rice's rule ⌈2·n^(1/3)⌉ for n values. Defaults to 50.
        save: a ``.png`` path to also write the figure to. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.

    Returns:
        The :class:`~matplotlib.figure.Figure`, one axes per trainable weight,
        titled with its path (``'dense/kernel'``).
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    if kind not in ("weights", "gradients"):
        raise ValueError(f"histograms: kind must be 'weights' or 'gradients'; received {kind!r}")
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
        raise ValueError(f"histograms: bins must be an integer >= 1; received bins={bins!r}")
    if (x is None) != (y is None):
        raise ValueError("histograms: pass both x and y (one batch) to compute gradients, "
                         "or neither")  # fmt: skip
    if x is not None and kind != "gradients":
        raise ValueError("histograms: x and y are used only with kind='gradients'")
    variables = getattr(model, "trainable_weights", None)
    if variables is None:
        raise TypeError(f"histograms: expected a treino model; received {type(model).__name__}")
    if x is not None:
        _batch_gradients(model, x, y)
        variables = model.trainable_weights
    if not variables:
        raise ValueError("histograms: the model has no trainable weights (is it built? call it "
                         "on data or fit it first)")  # fmt: skip
    if kind == "gradients" and all(v.grad is None for v in variables):
        raise ValueError(
            "histograms: no variable has a gradient (.grad is None); pass one batch "
            "x, y to compute them, or call this right after fit / train_on_batch"
        )

    count = len(variables)
    ncols = min(count, 4)
    nrows = math.ceil(count / ncols)
    figure, axes = new_figure(nrows, ncols, size=(3.4 * ncols, 2.8 * nrows), squeeze=False)
    axes = axes.ravel()
    for extra in axes[count:]:
        extra.remove()
    color = "#1f77b4" if kind == "weights" else "#d95f02"
    for ax, variable in zip(axes, variables, strict=False):
        ax.set_title(variable.path, fontsize="medium")
        source = variable.data if kind == "weights" else variable.grad
        if source is None:
            ax.text(0.5, 0.5, text["no_grad"], ha="center", va="center", transform=ax.transAxes,
                    color="grey")  # fmt: skip
            ax.set_yticks([])
        else:
            values = np.ravel(np.asarray(source, dtype=np.float64))
            values = values[np.isfinite(values)]
            stats = None
            if values.size:
                stats = text["stats"].format(mean=_format(values.mean(), lang),
                                             std=_format(values.std(), lang))  # fmt: skip
            ax.hist(values, bins=_bin_count(values.size, bins), color=color, alpha=0.85,
                    label=stats)  # fmt: skip
            if stats is not None:  # μ and σ where they hide the fewest bars
                ax.legend(loc="best", fontsize="x-small", handlelength=0, handletextpad=0,
                          framealpha=0.8, borderpad=0.4)  # fmt: skip
        ax.set_xlabel(text["weight_value" if kind == "weights" else "gradient_value"],
                      fontsize="small")  # fmt: skip
        ax.set_ylabel(text["count"], fontsize="small")
        ax.tick_params(labelsize="x-small")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3), useMathText=True)
    if kind == "weights":
        title = text["weights"]
    elif x is not None:
        title = text["gradients_batch"].format(n=len(np.asarray(_first(x))))
    else:
        title = text["gradients"]
    figure.suptitle(title)
    return finish(figure, save)


def _bin_count(size: int, most: int) -> int:
    """Rice's rule k = ⌈2·n^(1/3)⌉ bins for n values, at most ``most``.

    A bias of 10 values in 50 bins is a comb of single counts; 5 bins show its
    shape.
    """
    return int(min(most, max(1, math.ceil(2.0 * size ** (1.0 / 3.0)))))


def _batch_gradients(model, x, y) -> None:
    """Leave ∂L/∂v of one batch in every trainable ``v.grad``; nothing else changes."""
    if not getattr(model, "compiled", False):
        raise ValueError("histograms: compile the model before computing gradients from x, y "
                         "(model.compile(optimizer=..., loss=...))")  # fmt: skip
    model._prepare(x)  # build the model and its loss on the first batch, as fit does
    frozen = [(w, np.array(w.data, copy=True)) for w in model.non_trainable_weights]
    try:
        with enable_grad():
            y_pred = model(x, training=True)
            loss = model.compute_loss(x, y, y_pred)
        for variable in model.trainable_weights:
            variable.grad = None
        loss.backward()
    finally:
        for variable, saved in frozen:  # e.g. BatchNormalization's moving averages
            variable.data[...] = saved
        model.reset_metrics()  # compute_loss fed the loss trackers


def _first(structure):
    """The first array of a (possibly nested) input."""
    while isinstance(structure, list | tuple | dict):
        structure = next(iter(structure.values() if isinstance(structure, dict) else structure))
    return structure.data if isinstance(structure, Tensor) else structure


# ================================================================ lr schedule
def lr_schedule(schedule, steps=None, save=None, lang=None, ax=None):
    """The learning rate η against the optimizer step (or the epoch).

    A schedule is a function t ↦ ηₜ of the optimizer's update count t = 0, 1,
    … (batches, not epochs); plotting it before training shows what the
    optimizer will get: a decay too fast freezes learning early (η ≈ 0 long
    before the end), one too slow leaves η large where the loss should settle;
    warm restarts show as saw teeth. The ``'learning_rate'`` of a
    :class:`~treino.callbacks.History` is the η of each epoch, as
    ``ReduceLROnPlateau`` or ``LearningRateScheduler`` left it.

    Args:
        schedule: a treino learning-rate schedule (or any callable step → η);
            a :class:`~treino.callbacks.History` or dict with a
            ``'learning_rate'`` list (drawn per epoch, 1-based); or a list /
            1-D array of values (drawn per step, t = 0, 1, …).
        steps: for a callable, the steps to evaluate: an int n (t = 0 … n−1)
            or a sequence of steps. Not used with recorded values.
        save: a ``.png`` path to also write the figure to. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
        ax: draw on this matplotlib ``Axes`` instead of a new figure.

    Returns:
        The :class:`~matplotlib.figure.Figure` (``ax``'s when given).

    Example:
        >>> from treino.optimizers.schedules import ExponentialDecay
        >>> figure = lr_schedule(ExponentialDecay(0.1, 10, 0.5), steps=30, lang="en")
        >>> figure.axes[0].get_lines()[0].get_ydata()[[0, 10, 20]]
        array([0.1  , 0.05 , 0.025])
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    name = None
    if callable(schedule) and not hasattr(schedule, "history"):
        xs = _steps(steps)
        values = np.array([float(schedule(int(t))) for t in xs])
        xlabel, name = text["step"], type(schedule).__name__
    else:
        if steps is not None:
            raise ValueError("lr_schedule: steps is for a schedule (a callable); recorded "
                             "values are drawn as they are")  # fmt: skip
        if isinstance(schedule, dict) or hasattr(schedule, "history"):
            logs = _history_dict(schedule, "lr_schedule")
            if "learning_rate" not in logs:
                raise ValueError(f"lr_schedule: the history has no 'learning_rate'; its keys "
                                 f"are {list(logs)}")  # fmt: skip
            values = _series(logs["learning_rate"])
            xs, xlabel = np.arange(1, len(values) + 1), text["epoch"]
        elif isinstance(schedule, list | tuple | np.ndarray):
            values = _series(schedule)
            if np.ndim(schedule) != 1:
                raise ValueError(f"lr_schedule: expected a 1-D list of learning rates; received "
                                 f"shape {np.shape(schedule)}")  # fmt: skip
            xs, xlabel = np.arange(len(values)), text["step"]
        else:
            raise TypeError(
                f"lr_schedule: expected a schedule (callable step → η), a History, "
                f"a dict or a list of values; received {type(schedule).__name__}"
            )
        if values.size == 0:
            raise ValueError("lr_schedule: there are no learning-rate values to draw")
    figure, ax = _figure_and_axes(ax, size=(6.4, 4.0))
    ax.plot(xs, values, color="#1f77b4", linewidth=1.8,
            marker="o" if len(xs) <= 60 else None, markersize=3)  # fmt: skip
    ax.set_xlabel(xlabel)
    ax.set_ylabel(text["lr"])
    ax.set_title(text["lr_title"] + (f" — {name}" if name else ""))
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3), useMathText=True)
    ax.grid(alpha=0.3)
    return finish(figure, save)


def _steps(steps) -> np.ndarray:
    if steps is None:
        raise ValueError("lr_schedule: pass steps (an int n for t = 0 … n−1, or a list of "
                         "steps) to evaluate a schedule")  # fmt: skip
    if isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
        if steps < 1:
            raise ValueError(f"lr_schedule: steps must be >= 1; received steps={steps}")
        return np.arange(int(steps))
    array = np.asarray(steps)
    if array.ndim != 1 or array.size == 0 or array.dtype.kind not in "iu" or (array < 0).any():
        raise ValueError(f"lr_schedule: steps must be an int >= 1 or a list of steps >= 0; "
                         f"received steps={steps!r}")  # fmt: skip
    return array


# =========================================================== confusion matrix
def confusion_matrix(y_true, y_pred, class_names=None, normalize=None, save=None, lang=None,
                     ax=None):  # fmt: skip
    """The confusion matrix as a heat map, with the count (or fraction) in every cell.

    Cell (i, j) counts the samples of true class i (row) predicted as class j
    (column), as :func:`treino.metrics.confusion_matrix` computes: the
    diagonal holds the hits, accuracy = trace(C) / ΣC. With ``normalize``:

    * ``'true'``: Cᵢⱼ / Σⱼ Cᵢⱼ — each row sums to 1; the diagonal is each
      class's recall;
    * ``'pred'``: Cᵢⱼ / Σᵢ Cᵢⱼ — each column sums to 1; the diagonal is each
      class's precision;
    * ``'all'``: Cᵢⱼ / ΣC.

    (A row or column with no samples shows 0.) Look for the bright cells off
    the diagonal: they are the pairs of classes the model confuses (on
    Fashion-MNIST, shirt ↔ T-shirt/top, pullover ↔ coat).

    Args:
        y_true: integer labels ``(N,)`` or one-hot rows ``(N, K)``.
        y_pred: integer labels, or probabilities / scores ``(N, K)`` (argmax
            on the last axis).
        class_names: the K class names (their count fixes K). Defaults to
            None (0 … K−1).
        normalize: None, ``'true'``, ``'pred'`` or ``'all'``. Defaults to None.
        save: a ``.png`` path to also write the figure to. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
        ax: draw on this matplotlib ``Axes`` instead of a new figure.

    Returns:
        The :class:`~matplotlib.figure.Figure` (the matrix and its colour bar).

    Example:
        >>> figure = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], lang="en")
        >>> [t.get_text() for t in figure.axes[0].texts][:3]
        ['1', '0', '0']
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all'; "
                         f"received {normalize!r}")  # fmt: skip
    y_pred = np.asarray(y_pred)
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        y_pred = np.argmax(y_pred.reshape(-1, y_pred.shape[-1]), axis=-1)
    names = None if class_names is None else [str(name) for name in class_names]
    if names is not None and not names:
        raise ValueError("confusion_matrix: class_names is empty")
    try:
        counts = confusion_counts(y_true, y_pred, None if names is None else len(names))
    except ValueError as error:
        if names is None:
            raise
        raise ValueError(f"{error} (class_names has {len(names)} names)") from None
    k = counts.shape[0]
    names = names or [str(i) for i in range(k)]
    total = counts.sum()
    if normalize is None:
        shown = counts.astype(np.float64)
    else:
        axis = {"true": 1, "pred": 0, "all": None}[normalize]
        sums = counts.sum(axis=axis, keepdims=axis is not None).astype(np.float64)
        shown = np.divide(counts, sums, out=np.zeros(counts.shape), where=sums > 0)

    figure, ax = _figure_and_axes(ax, size=(2.2 + 0.62 * k, 1.6 + 0.58 * k) if k > 4 else
                                  (5.2, 4.4))  # fmt: skip
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, interpolation="nearest")
    colorbar = figure.colorbar(image, ax=ax)
    colorbar.set_label(text["cm_norm"][normalize])
    threshold = 0.5 * (shown.max() if shown.size else 0.0)
    size = "medium" if k <= 6 else "small" if k <= 12 else "x-small"
    for i in range(k):
        for j in range(k):
            cell = str(int(counts[i, j])) if normalize is None else _format(shown[i, j], lang, 2)
            ax.text(j, i, cell, ha="center", va="center", fontsize=size,
                    color="white" if shown[i, j] > threshold else "black")  # fmt: skip
    long_names = max(len(name) for name in names) > 3
    ax.set_xticks(np.arange(k), names, rotation=45 if long_names else 0,
                  ha="right" if long_names else "center", rotation_mode="anchor")  # fmt: skip
    ax.set_yticks(np.arange(k), names)
    ax.set_xlabel(text["pred_class"])
    ax.set_ylabel(text["true_class"])
    accuracy = np.trace(counts) / total if total else 0.0
    ax.set_title(text["cm_title"].format(accuracy=_format(accuracy, lang, 3)))
    return finish(figure, save)


# ============================================================== misclassified
def misclassified(x, y_true, y_pred, class_names=None, max_images=25, save=None, lang=None):
    """A grid of the images the model got wrong, titled ``true → predicted``.

    With probabilities, each title also gives p(ŷ), the probability of the
    predicted class (in percent, rounded down, so that 100% means p = 1
    exactly), and the mistakes are sorted by it, most confident first:
    an image predicted wrong with p = 0.99 is either a hard case, a flaw of
    the model, or a wrong label in the data set — all worth looking at.

    Args:
        x: the images: ``(N, H, W)``, ``(N, H, W, 1)``, ``(N, H, W, 3)``, or
            flat ``(N, D)`` with D a perfect square (784 → 28 × 28).
        y_true: integer labels ``(N,)`` or one-hot rows ``(N, K)``.
        y_pred: integer labels ``(N,)``, or probabilities ``(N, K)`` (argmax
            on the last axis; for two classes also one column ``(N,)`` /
            ``(N, 1)`` of p(class 1), thresholded at 0.5).
        class_names: names of the classes, indexed by label. Defaults to None
            (the labels' numbers).
        max_images: at most this many images (≥ 1). Defaults to 25.
        save: a ``.png`` path to also write the figure to. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.

    Returns:
        The :class:`~matplotlib.figure.Figure`, one axes per image shown (one
        axes with a message when there is no mistake).

    Example:
        >>> images = np.zeros((3, 4, 4))
        >>> figure = misclassified(images, [0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]],
        ...                        lang="en")
        >>> [ax.get_title() for ax in figure.axes]
        ['1 → 0 (80%)']
    """
    lang = resolve_lang(lang)
    text = _TEXT[lang]
    if isinstance(max_images, bool) or not isinstance(max_images, numbers.Integral) \
            or max_images < 1:  # fmt: skip
        raise ValueError(f"misclassified: max_images must be an integer >= 1; received "
                         f"max_images={max_images!r}")  # fmt: skip
    images = _images(x)
    true = _true_labels(y_true)
    pred, confidence = _predictions(y_pred)
    if not len(images) == len(true) == len(pred):
        raise ValueError(
            f"misclassified: x, y_true and y_pred must hold the same number of "
            f"samples; received {len(images)}, {len(true)} and {len(pred)}"
        )
    names = None if class_names is None else [str(name) for name in class_names]
    if names is not None:
        top = int(max(true.max(initial=0), pred.max(initial=0)))
        if top >= len(names):
            raise ValueError(f"misclassified: class_names has {len(names)} names; the labels "
                             f"go up to {top}")  # fmt: skip
    wrong = np.flatnonzero(true != pred)
    if confidence is not None:
        wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
    shown = wrong[: int(max_images)]

    if shown.size == 0:
        figure, ax = new_figure(size=(6.0, 2.0))
        ax.text(0.5, 0.5, text["no_mistakes"].format(total=len(true)), ha="center",
                va="center", fontsize="large", transform=ax.transAxes)  # fmt: skip
        ax.set_axis_off()
        return finish(figure, save)

    ncols = min(shown.size, math.ceil(math.sqrt(shown.size)) if shown.size > 3 else shown.size)
    nrows = math.ceil(shown.size / ncols)
    figure, axes = new_figure(nrows, ncols, size=(2.1 * ncols, 2.35 * nrows + 0.4),
                              squeeze=False)  # fmt: skip
    axes = axes.ravel()
    for extra in axes[shown.size :]:
        extra.remove()
    for ax, i in zip(axes, shown, strict=False):
        image = images[i]
        ax.imshow(image, cmap="binary" if image.ndim == 2 else None, interpolation="nearest")
        title = f"{_class(true[i], names)} →\n{_class(pred[i], names)}"
        if confidence is not None:
            percent = math.floor(100 * confidence[i] + 1e-9)  # rounded down: 100% only if p = 1
            title += f" ({percent}%)"
        if names is None:
            title = title.replace(" →\n", " → ")
        ax.set_title(title, fontsize="small", color="#b2182b")
        ax.set_axis_off()
    key = "wrong_sorted" if confidence is not None else "wrong"
    figure.suptitle(text[key].format(shown=shown.size, wrong=wrong.size, total=len(true)),
                    fontsize="medium")  # fmt: skip
    return finish(figure, save)


def _images(x) -> np.ndarray:
    """``x`` as images ``(N, H, W)`` or ``(N, H, W, 3)``."""
    x = np.asarray(x.data if isinstance(x, Tensor) else x)
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1] or side == 0:
            raise ValueError(f"misclassified: flat images (N, D) need D to be a perfect square "
                             f"(784 = 28 × 28); received x.shape={x.shape}")  # fmt: skip
        return x.reshape(len(x), side, side)
    if x.ndim == 4 and x.shape[-1] == 1:
        return x[..., 0]
    if x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 3):
        if x.ndim == 4 and x.dtype.kind == "f":
            return np.clip(x, 0.0, 1.0)  # imshow expects RGB floats in [0, 1]
        return x
    raise ValueError(f"misclassified: expected images (N, H, W), (N, H, W, 1), (N, H, W, 3) or "
                     f"flat (N, D); received x.shape={x.shape}")  # fmt: skip


def _true_labels(y_true) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    y = y.reshape(len(y), -1)[:, 0] if y.ndim == 2 else y
    if y.ndim != 1 or (y.size and not np.all(y == np.round(y))) or (y < 0).any():
        raise ValueError(f"misclassified: y_true must be integer labels (N,) or one-hot rows "
                         f"(N, K); received shape {np.shape(y_true)}")  # fmt: skip
    return y.astype(np.int64)


def _predictions(y_pred):
    """(predicted labels, probability of the predicted class or None for plain labels)."""
    y = np.asarray(y_pred)
    if y.ndim == 2 and y.shape[1] > 1:
        labels = np.argmax(y, axis=1)
        return labels, y[np.arange(len(y)), labels].astype(np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"misclassified: y_pred must be labels (N,) or probabilities (N, K); "
                         f"received shape {np.shape(y_pred)}")  # fmt: skip
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        if ((y < 0) | (y > 1)).any():
            raise ValueError(
                "misclassified: a single column of y_pred that is not integer "
                "labels must hold probabilities of class 1, in [0, 1]"
            )
        labels = (y > 0.5).astype(np.int64)
        return labels, np.where(labels == 1, y, 1.0 - y).astype(np.float64)
    if (y < 0).any():
        raise ValueError("misclassified: labels in y_pred must be >= 0")
    return y.astype(np.int64), None


def _class(label, names) -> str:
    return names[label] if names is not None else str(int(label))


# ==================================================================== helpers
def _history_dict(history, owner: str) -> dict:
    """The ``{key: values}`` dict of a History, of an object with ``.history``, or a dict."""
    logs = history
    for _ in range(2):  # a History, or a model whose .history is a History
        if isinstance(logs, dict):
            break
        logs = getattr(logs, "history", None)
    if not isinstance(logs, dict):
        raise TypeError(
            f"{owner}: expected a treino History (what fit returns) or a dict "
            f"{{'loss': [...], ...}}; received {type(history).__name__}"
        )
    if not logs or not any(len(values) for values in logs.values()):
        raise ValueError(f"{owner}: the history is empty (no epoch recorded); train with "
                         f"fit(...) first")  # fmt: skip
    return logs


def _series(values) -> np.ndarray:
    """A list of numbers (None allowed) as a float64 array, None → NaN."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _format(value: float, lang: str, digits: int | None = None) -> str:
    """A number with the language's decimal separator (``0,85`` in pt)."""
    if digits is None:
        shown = f"{value:.3g}" if value == 0 or 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"
    else:
        shown = f"{value:.{digits}f}"
    return shown.replace(".", ",") if lang == "pt" else shown


def _figure_and_axes(ax, size):
    """A new figure and its axes, or the figure that holds ``ax``."""
    if ax is None:
        return new_figure(size=size)
    if not hasattr(ax, "get_figure"):
        raise TypeError(f"ax must be a matplotlib Axes; received {type(ax).__name__}")
    return ax.get_figure(root=True), ax
