"""Hyper-parameter search on Optuna: grid search, random search and Bayesian optimization.

The course's three ways of choosing hyper-parameters (η, the batch size, the
number of epochs, the optimizer …) all answer the same question — which
values θ of the hyper-parameters give the best model on data the training
never saw? — by training one model per candidate θ and scoring it on the
validation set::

    θ* = argmax_θ  score_val( train(config ⊕ θ) )

They differ only in how the next candidate is chosen:

* **grid** (:class:`optuna.samplers.GridSampler`): every combination of a few
  values per parameter — the Cartesian product, so ``k`` values for each of
  ``d`` parameters cost ``kᵈ`` trainings. Exhaustive but explodes with ``d``.
* **random** (:class:`optuna.samplers.RandomSampler`): each trial draws θ
  independently. With the same budget it tries more distinct values of the
  parameter that matters most (Bergstra & Bengio, 2012), which is why it
  usually beats the grid when only a few parameters matter.
* **bayes** (:class:`optuna.samplers.TPESampler`, the Tree-structured Parzen
  Estimator): after a few random trials, it splits the finished trials into
  the best fraction γ and the rest, fits a density to each — ``l(θ)`` for the
  good, ``g(θ)`` for the bad — and proposes the θ that maximizes
  ``l(θ) / g(θ)`` (which is what maximizing the expected improvement reduces
  to). It exploits what it has learned.

Trials that are clearly losing are stopped early by **pruning**
(:class:`optuna.pruners.MedianPruner`): at the end of each epoch the
validation metric is reported, and a trial whose best value so far is worse
than the median of the earlier trials' values at the same epoch stops there.
Its remaining epochs are saved for the trials that still have a chance.

Each parameter is written as text, the way the CLI takes it::

    learning_rate=loguniform(1e-4,1e-1)   # η ~ exp(U(ln 1e-4, ln 1e-1)): every decade alike
    batch_size=choice(32,64,128)          # one of the listed values
    model.layers[0].units=int(8,64)       # an integer in [8, 64], both ends included
    data.noise=uniform(0.05,0.3)          # a float in [0.05, 0.3]

``loguniform`` is the right prior for scales such as η or a weight decay: a
uniform draw in [1e-4, 1e-1] would land above 1e-2 nine times out of ten.

:func:`tune` stores the study in ``out_dir/study.db`` (SQLite), so a second
call on the same folder resumes it; it writes ``results.csv``,
``best_config.toml`` (the whole config of the best trial: train it again with
``treino train best_config.toml``), ``history.png`` and ``importance.png``.
Optuna is an optional dependency: ``pip install "treino[tune]"``.

Example:
    >>> parse_param("learning_rate=loguniform(1e-4,1e-1)")
    Param(key='compile.learning_rate', kind='loguniform', args=(0.0001, 0.1))
    >>> print(parse_param("optimizer=choice(sgd, 'adam')"))
    optimizer=choice(sgd,adam)
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import json
import math
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from treino.callbacks import Callback
from treino.config import ConfigError, load_dataset, resolve, set_key, train
from treino.language import resolve_lang

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "DEFAULT_TRIALS", "KINDS", "SEARCHES", "SHORT_KEYS", "Param", "TrialRecord", "TuneResult",
    "format_results", "parse_param", "plot_history", "plot_importance", "resolve_metric", "tune",
]  # fmt: skip

SHORT_KEYS = {
    "learning_rate": "compile.learning_rate",
    "batch_size": "fit.batch_size",
    "epochs": "fit.epochs",
    "optimizer": "compile.optimizer",
}
"""Short parameter names and the config keys they stand for."""

KINDS = ("choice", "uniform", "loguniform", "int")
"""The distributions a parameter may be drawn from."""

SEARCHES = ("grid", "random", "bayes")
"""The search strategies of :func:`tune`."""

DEFAULT_TRIALS = 20
"""Trials of a random or Bayesian search when ``trials`` is not given."""

# tables whose keys are free (any key may be added, the consumer checks it)
_FREE_TABLES = ("schedule", "compile.optimizer_args", "callbacks.early_stopping",
                "callbacks.reduce_lr")  # fmt: skip
_LAYER_KEY = re.compile(r"^model\.layers\[(\d+)\]\.([A-Za-z_]\w*)$")
_PARAM = re.compile(r"^\s*([^=\s]+)\s*=\s*([A-Za-z_]\w*)\s*\((.*)\)\s*$", re.DOTALL)
_STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}

_TEXT = {
    "pt": {
        "trial": "tentativa", "state": "estado", "epochs": "épocas", "seconds": "s",
        "error": "erro",
        "states": {"complete": "completa", "pruned": "podada", "failed": "falhou",
                   "interrupted": "interrompida"},
        "best_line": "Melhor {metric} = {value} na tentativa {number} ({params}); "
                     "configuração completa em {path}",
        "no_best": "Nenhuma tentativa terminou: não há melhor configuração.",
        "interrupted": "Busca interrompida: rode de novo com o mesmo out_dir para continuar.",
        "progress": "tentativa {number} ({done}/{total}): {state} {metric}={value} "
                    "(melhor {best}) | {params} | {seconds:.1f} s",
        "history": "Histórico da otimização ({search})", "best_so_far": "melhor até aqui",
        "value": "valor de cada tentativa", "pruned": "podada (melhor valor até a poda)",
        "importance": "Importância dos hiperparâmetros (PED-ANOVA)",
        "importance_x": "importância relativa (soma 1)",
        "few": "poucas tentativas completas: importâncias pouco informativas",
        "no_importance": "sem importâncias: {reason}",
    },
    "en": {
        "trial": "trial", "state": "state", "epochs": "epochs", "seconds": "s", "error": "error",
        "states": {"complete": "complete", "pruned": "pruned", "failed": "failed",
                   "interrupted": "interrupted"},
        "best_line": "Best {metric} = {value} in trial {number} ({params}); "
                     "full config in {path}",
        "no_best": "No trial finished: there is no best config.",
        "interrupted": "Search interrupted: run it again with the same out_dir to resume.",
        "progress": "trial {number} ({done}/{total}): {state} {metric}={value} "
                    "(best {best}) | {params} | {seconds:.1f} s",
        "history": "Optimization history ({search})", "best_so_far": "best so far",
        "value": "value of each trial", "pruned": "pruned (best value before pruning)",
        "importance": "Hyper-parameter importance (PED-ANOVA)",
        "importance_x": "relative importance (sums to 1)",
        "few": "few complete trials: importances are not informative",
        "no_importance": "no importances: {reason}",
    },
}  # fmt: skip


# --------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Param:
    """One hyper-parameter to search: the config key, the distribution and its arguments.

    Attributes:
        key: the dotted config key (``"compile.learning_rate"``, ``"model.layers[0].units"``).
        kind: ``"choice"``, ``"uniform"``, ``"loguniform"`` or ``"int"``.
        args: the values of ``choice``; ``(low, high)`` for the others (both included).
    """

    key: str
    kind: str
    args: tuple

    @property
    def label(self) -> str:
        """The short name when there is one (``learning_rate``), else the key."""
        for short, key in SHORT_KEYS.items():
            if key == self.key:
                return short
        return self.key

    def values(self) -> tuple:
        """Values to check the config with: every choice, or both ends of a range."""
        return self.args

    def __str__(self) -> str:
        return f"{self.label}={self.kind}({','.join(_show(a) for a in self.args)})"


def parse_param(text, config: dict | None = None) -> Param:
    """``"learning_rate=loguniform(1e-4,1e-1)"`` → a :class:`Param`, checked.

    Args:
        text: ``name=kind(args)``. ``name`` is a short name (:data:`SHORT_KEYS`),
            a dotted config key (``fit.epochs``, ``compile.optimizer_args.weight_decay``)
            or a layer's argument (``model.layers[0].units``). ``kind`` is
            ``choice(a,b,…)`` (TOML values; bare words are strings),
            ``uniform(lo,hi)``, ``loguniform(lo,hi)`` with ``0 < lo``, or
            ``int(lo,hi)``. A :class:`Param` is checked and returned as is.
        config: the resolved config the key must exist in. Defaults to the
            default config.

    Raises:
        ConfigError: naming the parameter, for bad syntax, an unknown
            distribution, bad bounds, or a key the config does not have.

    Example:
        >>> parse_param("batch_size=choice(32,64,128)")
        Param(key='fit.batch_size', kind='choice', args=(32, 64, 128))
        >>> parse_param("model.layers[0].units=int(8,64)").args
        (8, 64)
        >>> parse_param("learning_rate=loguniform(0,1)")
        Traceback (most recent call last):
        ...
        treino.config.ConfigError: config key 'learning_rate': loguniform needs 0 < low < high...
    """
    if config is None:
        config = resolve({})
    if isinstance(text, Param):
        name, kind, args = text.key, text.kind, text.args
    elif isinstance(text, str):
        match = _PARAM.match(text)
        if match is None:
            name = text.partition("=")[0].strip() or text
            raise ConfigError(name, "expected name=kind(args), e.g. "
                                    f"learning_rate=loguniform(1e-4,1e-1); received {text!r}")
        name, kind, inner = match.groups()
        kind = kind.lower()
        if kind not in KINDS:
            raise ConfigError(name, f"unknown distribution {kind!r}; expected choice(a,b,...), "
                                    "uniform(lo,hi), loguniform(lo,hi) or int(lo,hi)")
        args = _parse_args(name, kind, inner)
    else:
        raise TypeError(f"a param must be a string such as 'learning_rate=loguniform(1e-4,1e-1)'"
                        f" or a Param; received {type(text).__name__}")
    _check_args(name, kind, args)
    key = SHORT_KEYS.get(name, name)
    _check_key(config, key, name)
    return Param(key, kind, tuple(args))


def _parse_args(name: str, kind: str, inner: str) -> tuple:
    if kind == "choice":
        try:
            return tuple(tomllib.loads(f"v = [{inner}]")["v"])
        except tomllib.TOMLDecodeError:
            return tuple(_toml_or_word(item) for item in inner.split(","))
    items = [item.strip() for item in inner.split(",")]
    if len(items) != 2:
        raise ConfigError(name, f"{kind} takes two bounds (low, high); received ({inner})")
    try:
        numbers = tuple(float(item) for item in items)
    except ValueError:
        raise ConfigError(name, f"{kind} takes two numbers; received ({inner})") from None
    if kind == "int":
        if not all(n.is_integer() for n in numbers):
            raise ConfigError(name, f"int takes two integers; received ({inner})")
        return tuple(int(n) for n in numbers)
    return numbers  # floats: a uniform draw is a float, whatever the bounds look like


def _toml_or_word(item: str):
    item = item.strip()
    try:
        return tomllib.loads(f"v = {item}")["v"]
    except tomllib.TOMLDecodeError:
        return item


def _check_args(name: str, kind: str, args) -> None:
    if kind not in KINDS:
        raise ConfigError(name, f"unknown distribution {kind!r}; expected one of {list(KINDS)}")
    args = tuple(args)
    if kind == "choice":
        if not args or any(a == "" for a in args):
            raise ConfigError(name, f"choice needs at least one value; received {args!r}")
        bad = [a for a in args if not isinstance(a, str | int | float | bool)]
        if bad:
            raise ConfigError(name, f"choice values must be numbers, strings or booleans; "
                                    f"received {bad[0]!r}")  # fmt: skip
        if len({(type(a), a) for a in args}) != len(args):
            raise ConfigError(name, f"choice lists a value twice: {args!r}")
        return
    numeric = all(isinstance(a, int | float) and not isinstance(a, bool) for a in args)
    if len(args) != 2 or not numeric or not all(math.isfinite(a) for a in args):
        raise ConfigError(name, f"{kind} takes two finite numbers (low, high); received {args!r}")
    low, high = args
    if kind == "int" and not all(isinstance(a, int) for a in args):
        raise ConfigError(name, f"int takes two integers; received {args!r}")
    if kind == "loguniform" and not 0 < low < high:
        raise ConfigError(name, f"loguniform needs 0 < low < high; received {args!r}")
    if not low < high:
        raise ConfigError(name, f"{kind} needs low < high; received {args!r}")


def _check_key(config: dict, key: str, name: str) -> None:
    layer = _LAYER_KEY.match(key)
    if layer:
        index, attribute = int(layer.group(1)), layer.group(2)
        layers = config["model"]["layers"]
        if index >= len(layers):
            raise ConfigError(name, f"the model has {len(layers)} layers (model.layers[0] to "
                                    f"model.layers[{len(layers) - 1}]); received index {index}")
        if attribute not in layers[index]:
            raise ConfigError(name, f"layer {index} ({layers[index].get('type')}) has no "
                                    f"{attribute!r}; it sets {sorted(layers[index])}")
        return
    parent, _, last = key.rpartition(".")
    if parent in _FREE_TABLES and _get(config, parent) is not None:
        return
    value = _get(config, key)
    if value is None:
        known = ", ".join(SHORT_KEYS)
        raise ConfigError(name, f"not a config key; use a short name ({known}), a dotted key "
                                "such as fit.epochs, or model.layers[i].units")
    if isinstance(value, dict):
        raise ConfigError(name, f"'{key}' is a section; name one of its keys: "
                                f"{[f'{key}.{k}' for k in value]}")


def _get(config: dict, key: str):
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _apply(config: dict, key: str, value) -> dict:
    """A copy of ``config`` with ``key`` (a dotted key or ``model.layers[i].arg``) set."""
    layer = _LAYER_KEY.match(key)
    if not layer:
        return set_key(config, key, value)
    config = copy.deepcopy(config)
    config["model"]["layers"][int(layer.group(1))][layer.group(2)] = value
    return config


def _trial_config(config: dict, params: list[Param], values: dict) -> dict:
    for param in params:
        config = _apply(config, param.key, values[param.key])
    return resolve(config)


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# ------------------------------------------------------------------- metric
def resolve_metric(config: dict, metric: str | None = None,
                   direction: str | None = None) -> tuple[str, str]:
    """The logs key to score runs by, and ``'max'`` or ``'min'``.

    ``metric=None`` picks ``val_accuracy`` (or ``val_acc``) when the config
    tracks accuracy, else ``val_loss`` — a validation quantity, because a
    hyper-parameter chosen on the training loss picks the model that overfits
    most. ``direction=None`` follows the name: losses and errors are
    minimized, accuracies and AUCs maximized.

    Example:
        >>> from treino.config import load_config
        >>> resolve_metric(load_config())
        ('val_accuracy', 'max')
        >>> resolve_metric(load_config(), "val_loss")
        ('val_loss', 'min')
    """
    from treino.callbacks.monitor import metric_direction

    validation = config["data"]["validation_split"] > 0
    tracked = ["loss"] + [m for m in config["compile"]["metrics"] if isinstance(m, str)]
    if metric is None:
        if not validation:
            raise ConfigError("data.validation_split", "a search scores each run on the "
                              "validation set; set a fraction > 0 (e.g. 0.2), or pass a "
                              "training metric such as metric='loss' on purpose")  # fmt: skip
        base = next((m for m in ("accuracy", "acc") if m in tracked), "loss")
        metric = f"val_{base}"
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a logs key such as 'val_accuracy'; received {metric!r}")
    base = metric.removeprefix("val_")
    if base not in tracked:
        raise ValueError(f"metric {metric!r} is not logged by this config; expected one of "
                         f"{[*tracked, *(f'val_{m}' for m in tracked)]}")
    if metric.startswith("val_") and not validation:
        raise ConfigError("data.validation_split", f"metric {metric!r} needs a validation set; "
                                                   "set a fraction > 0 (e.g. 0.2)")
    if direction is None:
        direction = metric_direction(metric)
        if direction is None:
            raise ValueError(f"cannot tell whether {metric!r} should go up or down; pass "
                             "direction='max' or 'min'")
    aliases = {"max": "max", "maximize": "max", "min": "min", "minimize": "min"}
    if direction not in aliases:
        raise ValueError(f"direction must be 'max' or 'min'; received {direction!r}")
    return metric, aliases[direction]


# ------------------------------------------------------------------ results
@dataclass
class TrialRecord:
    """One trial of a search.

    Attributes:
        number: the trial's number in the study (0, 1, …).
        params: ``{config key: value}``.
        value: the best epoch value of the metric (for a pruned trial, up to
            where it stopped); None when the trial failed before any.
        state: ``"complete"``, ``"pruned"``, ``"failed"`` or ``"interrupted"`` (Ctrl-C).
        epochs: the epochs it trained.
        seconds: its training time.
        error: why it failed (empty otherwise).
    """

    number: int
    params: dict
    value: float | None
    state: str
    epochs: int
    seconds: float
    error: str = ""


@dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes:
        trials: every finished trial of the study (this call's and earlier ones), by number.
        best: the best complete trial, or None.
        best_config: the full resolved config of ``best`` (as in ``best_config.toml``).
        metric, direction: what was optimized (``'max'`` or ``'min'``).
        search: ``"grid"``, ``"random"`` or ``"bayes"``.
        params: the searched :class:`Param` list.
        out_dir: the folder of the study and its files.
        files: ``{'study', 'results', 'best_config', 'history', 'importance'}`` → path.
        importances: ``{config key: importance}`` (PED-ANOVA, sums to 1), maybe empty.
        ran: how many trials this call ran (fewer than asked when resuming).
        interrupted: True when Ctrl-C stopped the search.
        study: the :class:`optuna.study.Study`.
    """

    trials: list[TrialRecord]
    best: TrialRecord | None
    best_config: dict | None
    metric: str
    direction: str
    search: str
    params: list[Param]
    out_dir: Path
    files: dict = field(default_factory=dict)
    importances: dict = field(default_factory=dict)
    ran: int = 0
    interrupted: bool = False
    study: object = None


# ------------------------------------------------------------------- search
def _import_optuna():
    try:
        import optuna
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError('treino.tuning needs Optuna: pip install "treino[tune]"') from error
    return optuna


def tune(config: dict, params, *, out_dir, search: str = "random", trials: int | None = None,
         metric: str | None = None, direction: str | None = None, seed: int | None = None,
         pruner=True, verbose: int = 0, lang: str | None = None) -> TuneResult:
    """Search hyper-parameters: one training per trial, the study kept in ``out_dir/study.db``.

    Each trial draws a value for every parameter, sets it in a copy of
    ``config`` (:func:`treino.config.set_key`, then re-checked), trains with
    :func:`treino.config.train` and scores the run by the best epoch value of
    ``metric`` (the highest accuracy or the lowest loss reached; every trial
    uses the config's seed, so trials differ only by their hyper-parameters).
    The loaded data are shared across trials unless a parameter changes the
    ``data`` section or the seed.

    The study lives in SQLite: calling again with the same ``out_dir`` and
    settings resumes it and runs only the trials missing to reach
    ``trials`` (failed and pruned trials count; trials cut by Ctrl-C do not).
    The random and TPE samplers are seeded with ``seed + trials already
    done``, so a resumed search does not repeat the draws of the first call
    (the grid keeps ``seed``: it fixes the order of the grid's points).

    Args:
        config: a resolved config (:func:`treino.config.load_config`).
        params: :class:`Param` objects or their text (``"batch_size=choice(32,64)"``).
        out_dir: the folder for ``study.db`` and the results (created).
        search: ``"grid"`` (every param must be a ``choice``), ``"random"`` or
            ``"bayes"`` (TPE; the first third of the trials, at most 10, are
            random). Defaults to ``"random"``.
        trials: the total number of trials. Defaults to the grid's size for a
            grid, else :data:`DEFAULT_TRIALS`; a grid never runs more than its size.
        metric: the logs key to optimize. Defaults to ``val_accuracy`` when the
            config tracks accuracy, else ``val_loss`` (see :func:`resolve_metric`).
        direction: ``"max"`` or ``"min"``. Defaults to the metric's own.
        seed: the sampler's seed. Defaults to the config's seed.
        pruner: True for :class:`optuna.pruners.MedianPruner` (no pruning
            during the first 5 trials, nor at the first epoch of a trial);
            False or None for none; or any Optuna pruner. Defaults to True.
        verbose: 0 silent, 1 a line per trial, 2 also ``fit``'s line per epoch.
            Defaults to 0.
        lang: ``'pt'`` or ``'en'`` for the lines and plots; None follows the locale.

    Returns:
        A :class:`TuneResult`; :func:`format_results` prints it as a table.

    Raises:
        ConfigError: a bad parameter, or a value the config rejects (checked
            for every choice and both ends of each range before any training).
        ValueError: a bad ``search``, ``trials``, ``metric`` or ``direction``, or
            an ``out_dir`` whose study was made with other settings.
    """
    optuna = _import_optuna()
    config = resolve(config)
    if search not in SEARCHES:
        raise ValueError(f"search must be one of {list(SEARCHES)}; received {search!r}")
    if isinstance(params, str | Param):
        params = [params]
    params = [parse_param(p, config) for p in params]
    if not params:
        raise ValueError("tune needs at least one param, e.g. "
                         "'learning_rate=loguniform(1e-4,1e-1)'")
    keys = [p.key for p in params]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(key, "searched twice; give each parameter once")
    grid_size = None
    if search == "grid":
        for p in params:
            if p.kind != "choice":
                raise ConfigError(p.label, f"a grid search needs choice(...) for every parameter;"
                                           f" received {p}")  # fmt: skip
        grid_size = math.prod(len(p.args) for p in params)
    if trials is None:
        trials = grid_size or DEFAULT_TRIALS
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1; received {trials!r}")
    if grid_size is not None:
        trials = min(trials, grid_size)
    metric, direction = resolve_metric(config, metric, direction)
    seed = config["seed"] if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer; received {seed!r}")
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2; received {verbose!r}")
    lang = resolve_lang(lang)
    pruner = _make_pruner(optuna, pruner)
    for p in params:  # every value the config must accept, before anything runs
        for value in p.values():
            resolve(_apply(config, p.key, value))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = {"search": search, "params": [str(p) for p in params], "metric": metric,
            "direction": direction, "seed": seed, "config": _digest(config)}  # fmt: skip
    with _optuna_quiet(optuna, verbose):
        study = optuna.create_study(
            storage=f"sqlite:///{(out_dir / 'study.db').resolve()}", study_name="treino",
            direction="maximize" if direction == "max" else "minimize", pruner=pruner,
            load_if_exists=True,
        )  # fmt: skip
        _check_spec(study, spec, out_dir)
        records = _records(study, params)
        done = sum(1 for r in records if r.state != "interrupted")
        to_run = max(0, trials - done)
        _requeue_interrupted(optuna, study, params, records, to_run)
        sampler_seed = seed if search == "grid" else seed + done
        study.sampler = _make_sampler(optuna, search, params, sampler_seed, trials)
        objective = _Objective(optuna, config, params, metric, direction,
                               fit_verbose=2 if verbose == 2 else 0)  # fmt: skip
        printer = _Printer(params, metric, direction, lang, start=done, total=trials) \
            if verbose else None  # fmt: skip
        interrupted = False
        try:
            if to_run:
                study.optimize(objective, n_trials=to_run, catch=(ValueError, FloatingPointError),
                               callbacks=[printer] if printer else None)  # fmt: skip
        except KeyboardInterrupt:
            interrupted = True
    result = _result(study, params, config, metric, direction, search, out_dir,
                     ran=objective.count, interrupted=interrupted)  # fmt: skip
    _write_outputs(result, lang)
    return result


def _requeue_interrupted(optuna, study, params, records, to_run: int) -> None:
    """Queue again, to run first, the trials that Ctrl-C cut.

    The copy keeps the cut trial's values (``fixed_params``) and its system
    attributes, which hold the GridSampler's ``grid_id``: without it, a grid
    would count the cut point as visited and never train it.
    """
    keys = {p.key for p in params}
    cut = {r.number for r in records if r.state == "interrupted"}
    settled = [r.params for r in records if r.state != "interrupted"]
    waiting = [t.system_attrs.get("fixed_params", {}) for t in study.get_trials(
        deepcopy=False, states=(optuna.trial.TrialState.WAITING,))]
    for trial in study.get_trials(deepcopy=False):
        if to_run <= 0:
            return
        values = {key: trial.params[key] for key in keys if key in trial.params}
        if trial.number not in cut or set(values) != keys or values in settled + waiting:
            continue
        system = {**trial.system_attrs, "fixed_params": values}
        study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.WAITING,
                                                  system_attrs=system))  # fmt: skip
        waiting.append(values)
        to_run -= 1


def _make_pruner(optuna, pruner):
    if pruner is True:
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if pruner is None or pruner is False:
        return optuna.pruners.NopPruner()
    if not isinstance(pruner, optuna.pruners.BasePruner):
        raise TypeError(f"pruner must be True, False, None or an Optuna pruner; "
                        f"received {pruner!r}")  # fmt: skip
    return pruner


def _make_sampler(optuna, search: str, params: list[Param], seed: int, trials: int):
    if search == "grid":  # the seed shuffles the grid once: it must not change on resume
        return optuna.samplers.GridSampler({p.key: list(p.args) for p in params}, seed=seed)
    if search == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    startup = max(1, min(10, trials // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)


def _digest(config: dict) -> str:
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_spec(study, spec: dict, out_dir: Path) -> None:
    stored = study.user_attrs.get("treino")
    if stored is None:
        study.set_user_attr("treino", spec)
        return
    differ = [key for key in spec if stored.get(key) != spec[key]]
    if differ:
        detail = "; ".join(f"{k}: {stored.get(k)!r} there, {spec[k]!r} now" for k in differ)
        raise ValueError(f"{out_dir} holds a study made with other settings ({detail}); "
                         "resume with the same settings or use another out_dir")


@contextlib.contextmanager
def _optuna_quiet(optuna, verbose: int):
    """Optuna logs every trial at INFO: keep only errors (verbose 0) or warnings."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR if verbose == 0 else optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


class _Objective:
    """One trial: draw θ, train, report each epoch to the pruner, return the best value."""

    def __init__(self, optuna, config, params, metric, direction, fit_verbose):
        self.optuna, self.config, self.params = optuna, config, params
        self.metric, self.direction, self.fit_verbose = metric, direction, fit_verbose
        self.cache: dict = {}
        self.count = 0

    def _suggest(self, trial, param: Param):
        low_high = param.args
        if param.kind == "choice":
            return trial.suggest_categorical(param.key, list(param.args))
        if param.kind == "int":
            return trial.suggest_int(param.key, *low_high)
        return trial.suggest_float(param.key, *low_high, log=param.kind == "loguniform")

    def _data(self, config: dict):
        key = json.dumps([config["data"], config["seed"]], sort_keys=True)
        if key not in self.cache:
            self.cache[key] = load_dataset(config)
        return self.cache[key]

    def __call__(self, trial):
        self.count += 1
        values = {p.key: self._suggest(trial, p) for p in self.params}
        watcher = _Watcher(self.optuna, trial, self.metric, self.direction)
        start = time.perf_counter()
        try:
            config = _trial_config(self.config, self.params, values)
            result = train(config, callbacks=[watcher], verbose=self.fit_verbose,
                           data=self._data(config))  # fmt: skip
        except KeyboardInterrupt:
            _note(trial, watcher, start, interrupted=True)
            raise
        except (ValueError, FloatingPointError) as error:
            _note(trial, watcher, start, error=f"{type(error).__name__}: {error}")
            raise
        _note(trial, watcher, start)
        if result.interrupted:
            trial.set_user_attr("interrupted", True)
            raise KeyboardInterrupt
        if watcher.pruned_at is not None:
            raise self.optuna.TrialPruned(f"pruned at epoch {watcher.pruned_at + 1}")
        if watcher.best is None:
            seen = "never logged" if not watcher.seen else "never finite (training diverged?)"
            trial.set_user_attr("error", f"{self.metric} {seen}")
            raise ValueError(f"{self.metric} {seen}")
        return watcher.best


def _note(trial, watcher, start: float, error: str = "", interrupted: bool = False) -> None:
    trial.set_user_attr("epochs", watcher.epochs)
    trial.set_user_attr("seconds", time.perf_counter() - start)
    if watcher.best is not None:
        trial.set_user_attr("best", watcher.best)
    if error:
        trial.set_user_attr("error", error[:500])
    if interrupted:
        trial.set_user_attr("interrupted", True)


class _Watcher(Callback):
    """Report the metric at each epoch end; stop the fit when the pruner says so."""

    def __init__(self, optuna, trial, metric: str, direction: str):
        super().__init__()
        self.optuna, self.trial, self.metric, self.direction = optuna, trial, metric, direction
        self.best = None
        self.epochs = 0
        self.seen = False
        self.pruned_at = None

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        value = (logs or {}).get(self.metric)
        if value is None:
            return
        self.seen = True
        value = float(value)
        if not math.isfinite(value):
            return
        better = max if self.direction == "max" else min
        self.best = value if self.best is None else better(self.best, value)
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            self.model.stop_training = True


class _Printer:
    """Optuna callback: one line per finished trial."""

    def __init__(self, params, metric, direction, lang, start: int, total: int):
        self.params, self.metric, self.direction = params, metric, direction
        self.text = _TEXT[lang]
        self.done, self.total = start, total

    def __call__(self, study, frozen) -> None:
        self.done += 1
        record = _record(frozen, self.params)
        best = _best_value(study)
        print(self.text["progress"].format(
            number=record.number, done=self.done, total=self.total,
            state=self.text["states"][record.state], metric=self.metric,
            value=_fmt(record.value), best=_fmt(best), params=_param_text(self.params, record),
            seconds=record.seconds,
        ), flush=True)  # fmt: skip


def _best_value(study):
    try:
        return study.best_value
    except ValueError:  # no complete trial yet
        return None


def _record(frozen, params) -> TrialRecord:
    attrs = frozen.user_attrs
    state = _STATES.get(frozen.state.name, frozen.state.name.lower())
    if attrs.get("interrupted"):
        state = "interrupted"
    value = frozen.value if state == "complete" else attrs.get("best")
    return TrialRecord(
        number=frozen.number,
        params={p.key: frozen.params[p.key] for p in params if p.key in frozen.params},
        value=None if value is None else float(value), state=state,
        epochs=int(attrs.get("epochs", 0)), seconds=float(attrs.get("seconds", 0.0)),
        error=attrs.get("error", ""),
    )  # fmt: skip


def _records(study, params) -> list[TrialRecord]:
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    return [_record(t, params) for t in sorted(finished, key=lambda t: t.number)]


def _result(study, params, config, metric, direction, search, out_dir, ran, interrupted):
    records = _records(study, params)
    complete = [r for r in records if r.state == "complete"]
    best = None
    if complete:
        number = study.best_trial.number
        best = next(r for r in records if r.number == number)
    best_config = _trial_config(config, params, best.params) if best else None
    return TuneResult(trials=records, best=best, best_config=best_config, metric=metric,
                      direction=direction, search=search, params=params, out_dir=out_dir,
                      files={"study": out_dir / "study.db"}, ran=ran, interrupted=interrupted,
                      study=study)  # fmt: skip


# ------------------------------------------------------------------ outputs
def _write_outputs(result: TuneResult, lang: str) -> None:
    out = result.out_dir
    rows = [["number", "state", "value", *(p.key for p in result.params), "epochs", "seconds",
             "best", "error"]]  # fmt: skip
    for r in result.trials:
        rows.append([r.number, r.state, "" if r.value is None else repr(r.value),
                     *(r.params.get(p.key, "") for p in result.params), r.epochs,
                     f"{r.seconds:.4f}", int(result.best is not None and r is result.best),
                     r.error])  # fmt: skip
    _atomic_write(out / "results.csv", _csv_text(rows))
    result.files["results"] = out / "results.csv"
    if result.best_config is not None:
        import tomli_w

        best = result.best
        header = (f"# treino tune: best of {len(result.trials)} trials ({result.search} search)\n"
                  f"# trial {best.number}: {result.metric} = {best.value!r}\n"
                  f"# {_param_text(result.params, best)}\n\n")  # fmt: skip
        _atomic_write(out / "best_config.toml", header + tomli_w.dumps(result.best_config))
        result.files["best_config"] = out / "best_config.toml"
    plot_history(result, save=out / "history.png", lang=lang)
    result.files["history"] = out / "history.png"
    plot_importance(result, save=out / "importance.png", lang=lang)
    result.files["importance"] = out / "importance.png"


def _csv_text(rows) -> str:
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _atomic_write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def plot_history(result: TuneResult, save=None, lang: str | None = None):
    """The optimization history: each trial's value, and the best so far.

    What to look for: the dots of a random search scatter with no trend; a
    Bayesian search should crowd near the best line after its random start
    (it exploits). A best-so-far line that is flat for the last third of the
    trials says more trials will buy little. Pruned trials (×) sit on the bad
    side: they stopped early because they were worse than the median.

    Args:
        result: a :class:`TuneResult`.
        save: a ``.png`` path to write. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
    """
    from matplotlib.ticker import MaxNLocator

    from treino.plot._figure import finish, new_figure

    text = _TEXT[resolve_lang(lang)]
    figure, ax = new_figure(size=(6.4, 4.0))
    complete = [r for r in result.trials if r.state == "complete" and r.value is not None]
    pruned = [r for r in result.trials if r.state == "pruned" and r.value is not None]
    if complete:
        ax.plot([r.number for r in complete], [r.value for r in complete], "o", color="C0",
                label=text["value"])  # fmt: skip
        better = max if result.direction == "max" else min
        running, best = [], None
        for r in complete:
            best = r.value if best is None else better(best, r.value)
            running.append(best)
        ax.step([r.number for r in complete], running, where="post", color="C3",
                label=text["best_so_far"])  # fmt: skip
    if pruned:
        ax.plot([r.number for r in pruned], [r.value for r in pruned], "x", color="0.5",
                label=text["pruned"])  # fmt: skip
    if result.best is not None:
        ax.plot([result.best.number], [result.best.value], "*", color="C3", markersize=14)
    ax.set_xlabel(text["trial"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(result.metric)
    ax.set_title(text["history"].format(search=result.search))
    ax.grid(alpha=0.3)
    if complete or pruned:
        ax.legend(loc="best", fontsize="small")
    return finish(figure, save)


def plot_importance(result: TuneResult, save=None, lang: str | None = None):
    """How much each hyper-parameter mattered: Optuna's PED-ANOVA importances, as bars.

    PED-ANOVA (Watanabe et al., 2023) asks, for each parameter, how
    differently its values are spread among the top 10% of the trials and
    among all of them: a parameter whose good values sit in a narrow region
    is important; one whose good trials use any value is not. The importances
    are normalized to sum to 1 (one parameter: one bar of 1). They are
    computed from the complete trials only and are noisy with few of them.

    Args:
        result: a :class:`TuneResult` (its ``importances`` are filled in).
        save: a ``.png`` path to write. Defaults to None.
        lang: ``'pt'`` or ``'en'``; None follows the locale.
    """
    from treino.plot._figure import finish, new_figure

    optuna = _import_optuna()
    text = _TEXT[resolve_lang(lang)]
    note, importances = "", {}
    complete = [r for r in result.trials if r.state == "complete"]
    if result.study is not None and complete:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                importances = optuna.importance.get_param_importances(result.study)
            except (ValueError, RuntimeError) as error:
                note = text["no_importance"].format(reason=error)
        if caught or len(complete) < 2:
            note = note or text["few"]
    elif not complete:
        note = text["no_importance"].format(reason=text["no_best"])
    result.importances = dict(importances)
    labels = {p.key: p.label for p in result.params}
    order = sorted(importances, key=importances.get)
    figure, ax = new_figure(size=(6.4, 1.2 + 0.5 * max(1, len(order))))
    if order:
        values = [importances[k] for k in order]
        bars = ax.barh([labels.get(k, k) for k in order], values, color="C0")
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=3)
        ax.set_xlim(0, max(1.0, max(values)) * 1.15)
    else:
        ax.set_yticks([])
    ax.set_xlabel(text["importance_x"])
    ax.set_title(text["importance"])
    if note:
        ax.text(0.5, 0.02, note, transform=ax.transAxes, ha="center", va="bottom",
                fontsize="small", color="0.3", wrap=True)  # fmt: skip
    return finish(figure, save)


# -------------------------------------------------------------------- table
def _fmt(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def _param_text(params, record: TrialRecord) -> str:
    return ", ".join(f"{p.label}={_show(record.params[p.key])}" for p in params
                     if p.key in record.params)  # fmt: skip


def _tabulate(rows, headers) -> str:
    try:
        from tabulate import tabulate
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("the tables need tabulate: pip install tabulate") from error
    return tabulate(rows, headers=headers, disable_numparse=True)


def format_results(result: TuneResult, lang: str | None = "pt") -> str:
    """The trials as a table (the best one marked ★), then a line naming the best.

    Args:
        result: a :class:`TuneResult`.
        lang: ``'pt'`` or ``'en'``; None follows the locale. Defaults to ``'pt'``.
    """
    text = _TEXT[resolve_lang(lang)]
    headers = ["", "#", text["state"], result.metric, *(p.label for p in result.params),
               text["epochs"], text["seconds"]]  # fmt: skip
    errors = any(r.error for r in result.trials)
    if errors:
        headers.append(text["error"])
    rows = []
    for r in result.trials:
        row = ["★" if r is result.best else "", r.number, text["states"][r.state], _fmt(r.value),
               *(_show(r.params[p.key]) if p.key in r.params else "—" for p in result.params),
               r.epochs, f"{r.seconds:.2f}"]  # fmt: skip
        if errors:
            row.append(r.error[:60])
        rows.append(row)
    lines = [_tabulate(rows, headers)]
    if result.best is not None:
        lines.append(text["best_line"].format(
            metric=result.metric, value=_fmt(result.best.value), number=result.best.number,
            params=_param_text(result.params, result.best),
            path=result.files.get("best_config", result.out_dir / "best_config.toml"),
        ))  # fmt: skip
    else:
        lines.append(text["no_best"])
    if result.interrupted:
        lines.append(text["interrupted"])
    return "\n".join(lines)
