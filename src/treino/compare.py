"""The course's optimizer benchmark: the same model, data and seeds, one optimizer at a time.

Which optimizer is "best" depends on the problem and on its learning rate η,
and a single run says little: the initial weights and the order of the
mini-batches alone move the final accuracy by a few points. So
:func:`compare_optimizers` trains the config's model once per optimizer and
per seed — seeds ``s, s+1, …`` from the config's seed ``s`` — on the very
same data (loaded once), and summarizes each optimizer over its seeds by the
mean and the sample standard deviation::

    x̄ = (1/n) Σᵢ xᵢ          s = √( Σᵢ (xᵢ − x̄)² / (n − 1) )

A difference between two optimizers smaller than about their ``s`` is
noise, not a ranking.

Besides the final and best validation metric, the table tells how fast each
optimizer got there: the epochs and the wall-clock seconds until the metric
first reached a ``target`` (e.g. 90% validation accuracy). Adaptive methods
(Adagrad, RMSProp, Adam) usually reach a modest target in fewer epochs; plain
SGD may end as well or better but later — the course's trade-off between
speed of convergence and final quality.

Each optimizer runs with its own learning rate (see
:data:`DEFAULT_LEARNING_RATES`): comparing them all at one η would compare
the η, not the algorithms.

Example:
    >>> DEFAULT_LEARNING_RATES["adam"], DEFAULT_LEARNING_RATES["adadelta"]
    (0.001, 1.0)
    >>> mean_std([0.8, 0.9, 1.0])
    '0.900 ± 0.100'
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from treino.callbacks import Callback
from treino.config import OPTIMIZERS, ConfigError, load_dataset, resolve, set_key, train
from treino.language import resolve_lang
from treino.tuning import resolve_metric

__all__ = [
    "DEFAULT_LEARNING_RATES", "DEFAULT_OPTIMIZERS", "CompareResult", "Run", "compare_optimizers",
    "format_table", "mean_std", "plot_curves",
]  # fmt: skip

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
                      "adamw")  # fmt: skip
"""The course's optimizers, in the order the course presents them."""

DEFAULT_LEARNING_RATES = {
    "sgd": 0.01,
    "momentum": 0.01,
    "nesterov": 0.01,
    "adagrad": 0.01,
    "rmsprop": 1e-3,
    "adadelta": 1.0,
    "adam": 1e-3,
    "adamw": 1e-3,
    "adamax": 2e-3,
    "nadam": 2e-3,
}
"""The learning rate η each optimizer gets when neither ``learning_rates`` nor the config sets it.

Why these values:

* **sgd, momentum, nesterov: 0.01** — the default of Keras's and PyTorch's
  SGD. With momentum β = 0.9 the steady-state step is η/(1 − β) = 10η, so
  0.01 is already a brisk 0.1 per unit gradient; a larger η often diverges.
* **adagrad: 0.01** — PyTorch's default. Adagrad divides by √(Σ g²), which
  only grows, so its effective step only shrinks: Keras's 0.001 makes it
  crawl after a few epochs.
* **rmsprop: 1e-3** — Keras's default, and the value usually quoted from
  Hinton's lecture: the step is about η per parameter, whatever the
  gradient's scale.
* **adadelta: 1.0** — Zeiler's algorithm has no learning rate at all
  (Δθ = −RMS[Δθ]/RMS[g] · g); η multiplies that step, so η = 1 is the
  paper's method (and PyTorch's default). Keras's 0.001 turns it into a
  near-standstill and makes Adadelta look far worse than it is.
* **adam, adamw: 1e-3** — Kingma & Ba's recommended α (and the AdamW
  default of Keras and PyTorch): like RMSProp, a step of about η per parameter.
* **adamax, nadam: 2e-3** — Kingma & Ba's α for Adamax, PyTorch's default for Nadam.
"""

_TEXT = {
    "pt": {
        "title": "Comparação de otimizadores — {metric} (média ± desvio-padrão em {n} {seeds})",
        "seeds": ("semente", "sementes"),
        "optimizer": "otimizador", "final": "{metric} final", "best": "{metric} melhor",
        "loss": "perda final (treino)", "epochs_to": "épocas até {target}",
        "time_to": "tempo até {target} (s)", "total": "tempo total (s)",
        "diverged": "divergiu", "epoch": "época", "train_loss": "perda de treino",
        "curves_metric": "Validação: {metric}", "curves_loss": "Perda de treino",
        "target": "alvo {target}",
        "progress": "{optimizer} (η={lr}) semente {seed}: {metric} final {final}, melhor {best}"
                    " | {epochs} épocas | {seconds:.2f} s",
    },
    "en": {
        "title": "Optimizer comparison — {metric} (mean ± standard deviation over {n} {seeds})",
        "seeds": ("seed", "seeds"),
        "optimizer": "optimizer", "final": "final {metric}", "best": "best {metric}",
        "loss": "final loss (train)", "epochs_to": "epochs to {target}",
        "time_to": "time to {target} (s)", "total": "total time (s)",
        "diverged": "diverged", "epoch": "epoch", "train_loss": "training loss",
        "curves_metric": "Validation: {metric}", "curves_loss": "Training loss",
        "target": "target {target}",
        "progress": "{optimizer} (η={lr}) seed {seed}: final {metric} {final}, best {best}"
                    " | {epochs} epochs | {seconds:.2f} s",
    },
}  # fmt: skip


@dataclass
class Run:
    """One training of the benchmark: one optimizer, one seed.

    Attributes:
        optimizer, seed, learning_rate: what was run.
        history: ``fit``'s History dict (``loss``, ``val_accuracy`` …).
        metric_values: the validation metric at the end of each epoch (NaN when missing).
        losses: the training loss of each epoch.
        times: the seconds from the start of ``fit`` to the end of each epoch.
        seconds: the whole ``fit``.
        epochs: the epochs trained.
        final_metric, best_metric, final_loss: the last and best metric, the last loss.
        epochs_to_target, seconds_to_target: when the metric first reached the
            target (1-based epoch, seconds); None when it never did or there is no target.
        diverged: True when the loss or the weights became NaN or inf (training
            stopped there; the final metric and loss are then NaN).
        error: the error that stopped a diverged run, if one did.
    """

    optimizer: str
    seed: int
    learning_rate: float
    history: dict
    metric_values: list
    losses: list
    times: list
    seconds: float
    epochs: int
    final_metric: float
    best_metric: float
    final_loss: float
    epochs_to_target: int | None
    seconds_to_target: float | None
    diverged: bool = False
    error: str = ""


@dataclass
class CompareResult:
    """What :func:`compare_optimizers` returns.

    Attributes:
        runs: every :class:`Run`, optimizer by optimizer, seed by seed.
        optimizers: the optimizers in the order given.
        seeds: the seeds each one ran with.
        learning_rates: ``{optimizer: η}`` as used.
        metric, direction: the validation metric and ``'max'`` or ``'min'``.
        target: the target value of the metric, or None.
        files: ``{'results', 'curves'}`` → path, when ``out_dir`` was given.
    """

    runs: list[Run]
    optimizers: tuple
    seeds: tuple
    learning_rates: dict
    metric: str
    direction: str
    target: float | None
    files: dict = field(default_factory=dict)

    def runs_of(self, optimizer: str) -> list[Run]:
        """The runs of one optimizer, by seed."""
        return [run for run in self.runs if run.optimizer == optimizer]

    def summary(self) -> list[dict]:
        """One dict per optimizer, best first: the runs' values for each column of the table.

        Keys: ``optimizer``, ``learning_rate``, ``final_metric``, ``best_metric``,
        ``final_loss``, ``seconds`` (arrays over the seeds), ``epochs_to_target``
        and ``seconds_to_target`` (arrays over the seeds that reached the
        target), ``reached`` (how many did), ``diverged`` (how many diverged).
        """
        rows = []
        for name in self.optimizers:
            runs = self.runs_of(name)
            reached = [r for r in runs if r.epochs_to_target is not None]
            rows.append({
                "optimizer": name, "learning_rate": self.learning_rates[name],
                "final_metric": np.array([r.final_metric for r in runs]),
                "best_metric": np.array([r.best_metric for r in runs]),
                "final_loss": np.array([r.final_loss for r in runs]),
                "seconds": np.array([r.seconds for r in runs]),
                "epochs_to_target": np.array([r.epochs_to_target for r in reached], dtype=float),
                "seconds_to_target": np.array([r.seconds_to_target for r in reached]),
                "reached": len(reached), "runs": len(runs),
                "diverged": sum(r.diverged for r in runs),
            })  # fmt: skip
        sign = -1.0 if self.direction == "max" else 1.0

        def key(row):
            best = _nanmean(row["best_metric"])
            return (math.isnan(best), sign * best if not math.isnan(best) else 0.0)

        return sorted(rows, key=key)

    def plot(self, save=None, lang: str | None = None):
        """The curves of :func:`plot_curves`."""
        return plot_curves(self, save=save, lang=lang)


class _Recorder(Callback):
    """Per epoch: the metric, the loss and the time; stop quietly when the loss is NaN/inf."""

    def __init__(self, metric: str):
        super().__init__()
        self.metric = metric
        self.values, self.losses, self.times = [], [], []
        self.diverged = self.started = False
        self.start = time.perf_counter()

    def on_train_begin(self, logs=None):
        self.values, self.losses, self.times = [], [], []
        self.diverged, self.started = False, True
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.all(np.isfinite(loss)):
            self.diverged = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.times.append(time.perf_counter() - self.start)
        self.values.append(float(logs.get(self.metric, math.nan)))
        self.losses.append(float(logs.get("loss", math.nan)))


def compare_optimizers(config: dict, optimizers=DEFAULT_OPTIMIZERS, seeds: int = 3,
                       target: float | None = None, learning_rates: dict | None = None,
                       out_dir=None, metric: str | None = None, verbose: int = 0,
                       lang: str | None = None) -> CompareResult:
    """Train the config's model with each optimizer and each seed; summarize over the seeds.

    Every run uses the config unchanged except ``compile.optimizer``,
    ``compile.learning_rate`` and ``seed``: same layers, same data (loaded once
    with the config's seed, so the runs differ only by the initial weights
    and the shuffling order), same epochs and batch size. The optimizer's
    extra arguments (``compile.optimizer_args``) are kept only for the
    config's own optimizer, since they rarely fit another one; a schedule's
    ``initial_learning_rate``, if written, is replaced by the run's η.

    The learning rate of each optimizer is, in order: ``learning_rates[name]``;
    the config's ``compile.learning_rate`` when ``compile.optimizer`` is that
    optimizer; else :data:`DEFAULT_LEARNING_RATES` (whose docstring says why).

    Args:
        config: a resolved config (:func:`treino.config.load_config`).
        optimizers: names from :data:`treino.config.OPTIMIZERS`. Defaults to
            :data:`DEFAULT_OPTIMIZERS` (the course's eight).
        seeds: how many seeds: the config's seed ``s``, ``s+1``, … Defaults to 3.
        target: a value of the metric to reach (e.g. 0.9 for 90% accuracy;
            for a loss, reaching means going at or below it); adds the
            epochs-to-target and time-to-target columns. Defaults to None.
        learning_rates: ``{optimizer: η}`` overriding the defaults. Defaults to None.
        out_dir: a folder for ``results.csv`` (one row per optimizer × seed) and
            ``curves.png``; None writes nothing. Defaults to None.
        metric: the validation logs key. Defaults to ``val_accuracy`` when the
            config tracks accuracy, else ``val_loss``.
        verbose: 0 silent, 1 a line per run, 2 also ``fit``'s line per epoch.
            Defaults to 0.
        lang: ``'pt'`` or ``'en'`` for the lines and the plot; None follows the locale.

    Returns:
        A :class:`CompareResult`; :func:`format_table` prints it.
    """
    config = resolve(config)
    if isinstance(optimizers, str):
        optimizers = [name.strip() for name in optimizers.split(",") if name.strip()]
    optimizers = tuple(str(name).lower() for name in optimizers)
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer")
    unknown = [name for name in optimizers if name not in OPTIMIZERS]
    if unknown:
        raise ValueError(f"unknown optimizer {unknown[0]!r}; expected names from "
                         f"{list(OPTIMIZERS)}")  # fmt: skip
    if len(set(optimizers)) != len(optimizers):
        raise ValueError(f"optimizers lists a name twice: {list(optimizers)}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1 (how many seeds); received {seeds!r}")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)
                               or not math.isfinite(target)):  # fmt: skip
        raise ValueError(f"target must be a finite number or None; received {target!r}")
    learning_rates = dict(learning_rates or {})
    for name, rate in learning_rates.items():
        if name not in optimizers:
            raise ValueError(f"learning_rates names {name!r}, which is not among the "
                             f"optimizers {list(optimizers)}")  # fmt: skip
        if isinstance(rate, bool) or not isinstance(rate, int | float) \
                or not (rate > 0 and math.isfinite(rate)):  # fmt: skip
            raise ValueError(f"learning_rates[{name!r}] must be a positive number; "
                             f"received {rate!r}")  # fmt: skip
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2; received {verbose!r}")
    metric, direction = resolve_metric(config, metric)
    lang = resolve_lang(lang)
    rates = {name: float(_learning_rate(config, name, learning_rates)) for name in optimizers}
    seed_list = tuple(config["seed"] + i for i in range(seeds))
    run_configs = {(name, seed): _run_config(config, name, rates[name], seed)
                   for name in optimizers for seed in seed_list}  # fmt: skip

    data = load_dataset(config)
    text = _TEXT[lang]
    runs = []
    for name in optimizers:
        for seed in seed_list:
            run = _run(run_configs[name, seed], name, seed, rates[name], metric, direction,
                       target, data, fit_verbose=2 if verbose == 2 else 0)  # fmt: skip
            runs.append(run)
            if verbose:
                print(text["progress"].format(
                    optimizer=name, lr=f"{rates[name]:g}", seed=seed, metric=metric,
                    final=_num(run.final_metric), best=_num(run.best_metric),
                    epochs=run.epochs, seconds=run.seconds), flush=True)  # fmt: skip
    result = CompareResult(runs=runs, optimizers=optimizers, seeds=seed_list,
                           learning_rates=rates, metric=metric, direction=direction,
                           target=None if target is None else float(target))  # fmt: skip
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_csv(result, out_dir / "results.csv")
        result.files["results"] = out_dir / "results.csv"
        plot_curves(result, save=out_dir / "curves.png", lang=lang)
        result.files["curves"] = out_dir / "curves.png"
    return result


def _learning_rate(config: dict, name: str, given: dict) -> float:
    if name in given:
        return given[name]
    if config["compile"]["optimizer"].lower() == name:
        return config["compile"]["learning_rate"]
    return DEFAULT_LEARNING_RATES[name]


def _run_config(config: dict, name: str, rate: float, seed: int) -> dict:
    own = config["compile"]["optimizer"].lower() == name
    run = set_key(config, "compile.optimizer", name)
    run = set_key(run, "compile.learning_rate", rate)
    run = set_key(run, "compile.optimizer_args", config["compile"]["optimizer_args"] if own else {})
    if "initial_learning_rate" in config["schedule"]:
        run = set_key(run, "schedule.initial_learning_rate", rate)
    run = set_key(run, "seed", seed)
    try:
        return resolve(run)
    except ConfigError as error:
        raise ConfigError(error.key, f"{name} (η={rate:g}): {error}") from None


def _run(config, name, seed, rate, metric, direction, target, data, fit_verbose) -> Run:
    recorder = _Recorder(metric)
    error = ""
    try:
        result = train(config, callbacks=[recorder], verbose=fit_verbose, data=data)
    except ConfigError:
        raise
    except (ValueError, FloatingPointError) as exc:  # NaN weights: the forward pass refuses
        if not recorder.started:
            raise
        error = f"{type(exc).__name__}: {exc}"
        history = {"loss": list(recorder.losses), metric: list(recorder.values)}
        seconds, diverged = time.perf_counter() - recorder.start, True
    else:
        history, seconds = result.history, result.seconds
        diverged = recorder.diverged or bool(getattr(result.model, "diverged", False))
    values = np.array(recorder.values, dtype=float)
    reached = None
    if target is not None and values.size:
        hits = values >= target if direction == "max" else values <= target
        hits &= np.isfinite(values)
        if hits.any():
            reached = int(np.argmax(hits))
    final_metric = float(values[-1]) if values.size and not error else math.nan
    final_loss = recorder.losses[-1] if recorder.losses and not error else math.nan
    return Run(
        optimizer=name, seed=seed, learning_rate=rate, history=history,
        metric_values=recorder.values, losses=recorder.losses, times=recorder.times,
        seconds=seconds, epochs=len(recorder.values), final_metric=final_metric,
        best_metric=_nanbest(values, direction), final_loss=final_loss,
        epochs_to_target=None if reached is None else reached + 1,
        seconds_to_target=None if reached is None else recorder.times[reached],
        diverged=diverged, error=error,
    )  # fmt: skip


def _nanbest(values: np.ndarray, direction: str) -> float:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return math.nan
    return float(finite.max() if direction == "max" else finite.min())


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else math.nan


def mean_std(values, digits: int = 3) -> str:
    """``'x̄ ± s'`` of the finite values (sample std, n − 1); one value: ``'x̄'``; none: ``'—'``.

    Example:
        >>> mean_std([1.0, 2.0]), mean_std([0.5]), mean_std([])
        ('1.500 ± 0.707', '0.500', '—')
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return "—"
    if values.size == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def _num(value) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _write_csv(result: CompareResult, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["optimizer", "seed", "learning_rate", "epochs", f"final_{result.metric}",
                     f"best_{result.metric}", "final_loss", "epochs_to_target",
                     "seconds_to_target", "seconds", "diverged"])  # fmt: skip
    for r in result.runs:
        writer.writerow([r.optimizer, r.seed, repr(r.learning_rate), r.epochs,
                         repr(r.final_metric), repr(r.best_metric), repr(r.final_loss),
                         "" if r.epochs_to_target is None else r.epochs_to_target,
                         "" if r.seconds_to_target is None else f"{r.seconds_to_target:.4f}",
                         f"{r.seconds:.4f}", int(r.diverged)])  # fmt: skip
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(partial, path)


def format_table(result: CompareResult, lang: str | None = "pt") -> str:
    """The comparison as a table, best optimizer first (by the mean best metric).

    Columns: optimizer, η, final and best metric, final training loss, time
    of the whole run — each as mean ± std over the seeds — and, with a
    target, the epochs and seconds to reach it over the seeds that did
    (``(k/n)`` when only k of n did; ``—`` when none did).

    Args:
        result: a :class:`CompareResult`.
        lang: ``'pt'`` or ``'en'``; None follows the locale. Defaults to ``'pt'``.
    """
    from treino.tuning import _tabulate

    text = _TEXT[resolve_lang(lang)]
    metric = result.metric
    headers = [text["optimizer"], "η", text["final"].format(metric=metric),
               text["best"].format(metric=metric), text["loss"]]  # fmt: skip
    if result.target is not None:
        target = f"{result.target:g}"
        headers += [text["epochs_to"].format(target=target),
                    text["time_to"].format(target=target)]  # fmt: skip
    headers.append(text["total"])
    summary = result.summary()
    any_diverged = any(row["diverged"] for row in summary)
    if any_diverged:
        headers.append(text["diverged"])
    rows = []
    for row in summary:
        line = [row["optimizer"], f"{row['learning_rate']:g}", mean_std(row["final_metric"]),
                mean_std(row["best_metric"]), mean_std(row["final_loss"], 4)]  # fmt: skip
        if result.target is not None:
            partial = "" if row["reached"] in (0, row["runs"]) \
                else f" ({row['reached']}/{row['runs']})"  # fmt: skip
            line += [mean_std(row["epochs_to_target"], 1) + partial,
                     mean_std(row["seconds_to_target"], 2) + partial]  # fmt: skip
        line.append(mean_std(row["seconds"], 2))
        if any_diverged:
            line.append(f"{row['diverged']}/{row['runs']}")
        rows.append(line)
    n = len(result.seeds)
    title = text["title"].format(metric=metric, n=n, seeds=text["seeds"][n > 1])
    return f"{title}\n{_tabulate(rows, headers)}"


def plot_curves(result: CompareResult, save=None, lang: str | None = None):
    """Validation metric and training loss per epoch: the mean over the seeds, ±std shaded.

    One colour per optimizer. What to look for: which curves rise (or fall)
    fastest in the first epochs — the adaptive methods usually — and which end
    highest; how wide the bands are (a wide band means the result depends on
    the seed as much as on the optimizer); and curves that stall (η too
    small, e.g. Adagrad's shrinking step) or jump around (η too large). The
    loss is drawn on a log scale when it spans orders of magnitude.

    Args:
        result: a :class:`CompareResult`.
        save: a ``.png`` path to write. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
    """
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    from treino.plot._figure import finish, new_figure

    text = _TEXT[resolve_lang(lang)]
    figure, (ax_metric, ax_loss) = new_figure(1, 2, size=(11.0, 4.2))
    palette = colormaps["tab10" if len(result.optimizers) <= 10 else "tab20"]
    all_losses = []
    for index, name in enumerate(result.optimizers):
        runs = result.runs_of(name)
        color = palette(index)
        label = f"{name} (η={result.learning_rates[name]:g})"
        for ax, series in ((ax_metric, [r.metric_values for r in runs]),
                           (ax_loss, [r.losses for r in runs])):  # fmt: skip
            mean, std = _band(series)
            if not mean.size:
                continue
            epochs = np.arange(1, mean.size + 1)
            ax.plot(epochs, mean, color=color, label=label)
            ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
        all_losses += [v for r in runs for v in r.losses if math.isfinite(v)]
    if result.target is not None:
        ax_metric.axhline(result.target, color="0.3", linestyle="--", linewidth=1,
                          label=text["target"].format(target=f"{result.target:g}"))  # fmt: skip
    if all_losses and min(all_losses) > 0 and max(all_losses) / min(all_losses) > 20:
        ax_loss.set_yscale("log")
    ax_metric.set_title(text["curves_metric"].format(metric=result.metric))
    ax_metric.set_ylabel(result.metric)
    ax_loss.set_title(text["curves_loss"])
    ax_loss.set_ylabel(text["train_loss"])
    for ax in (ax_metric, ax_loss):
        ax.set_xlabel(text["epoch"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax_metric.legend(loc="best", fontsize="small")
    return finish(figure, save)


def _band(series: list[list]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std per epoch over runs of different lengths (missing epochs: NaN)."""
    length = max((len(s) for s in series), default=0)
    table = np.full((len(series), length), np.nan)
    for row, values in enumerate(series):
        table[row, : len(values)] = values
    table[~np.isfinite(table)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an epoch no run reached: NaN
        return np.nanmean(table, axis=0), np.nanstd(table, axis=0)
