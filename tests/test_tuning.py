"""treino.tuning: grid, random and Bayesian search on Optuna, on a toy problem (~0.1 s a run)."""

import csv
import itertools

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from treino.config import ConfigError, load_config, resolve, train  # noqa: E402
from treino.tuning import (  # noqa: E402
    Param,
    format_results,
    parse_param,
    resolve_metric,
    tune,
)

TOY = [
    "data.dataset='moons'", "data.flatten=false", "data.scaling='standard'",
    "model.layers=[{type='Dense', units=16, activation='relu'}, "
    "{type='Dense', units=2, activation='softmax'}]",
    "fit.epochs=5", "callbacks.doctor=false",
]  # fmt: skip


def toy(*overrides):
    return load_config(overrides=[*TOY, *overrides])


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def is_png(path):
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------- parse_param
def test_parse_param_short_names_dotted_keys_and_layers():
    assert parse_param("learning_rate=loguniform(1e-4,1e-1)") == Param(
        "compile.learning_rate", "loguniform", (1e-4, 0.1))
    assert parse_param("batch_size=choice(32, 64,128)") == Param(
        "fit.batch_size", "choice", (32, 64, 128))
    assert parse_param("optimizer=choice(sgd, 'adam')").args == ("sgd", "adam")
    assert parse_param("epochs=int(2,6)").key == "fit.epochs"
    assert parse_param("data.noise=uniform(0.05, 0.3)") == Param(
        "data.noise", "uniform", (0.05, 0.3))
    # a free table accepts new keys; a layer's argument is addressed by index
    assert parse_param("compile.optimizer_args.weight_decay=loguniform(1e-5,1e-2)").key == \
        "compile.optimizer_args.weight_decay"
    assert parse_param("model.layers[0].units=int(4,32)", toy()).args == (4, 32)
    # the text form parses back to the same Param
    for text in ("learning_rate=loguniform(1e-4,1e-1)", "optimizer=choice(sgd,adam)",
                 "model.layers[0].units=int(4,32)"):  # fmt: skip
        param = parse_param(text, toy())
        assert parse_param(str(param), toy()) == param


@pytest.mark.parametrize("text, key", [
    ("learning_rate", "learning_rate"),                          # no distribution
    ("learning_rate=loguniform(1e-4)", "learning_rate"),         # one bound
    ("learning_rate=normal(0,1)", "learning_rate"),              # unknown distribution
    ("learning_rate=loguniform(0,1)", "learning_rate"),          # log of 0
    ("learning_rate=uniform(1,0.1)", "learning_rate"),           # low > high
    ("learning_rate=uniform(a,b)", "learning_rate"),             # not numbers
    ("epochs=int(1.5,3)", "epochs"),                             # not integers
    ("batch_size=choice()", "batch_size"),                       # no value
    ("batch_size=choice(32,32)", "batch_size"),                  # twice
    ("lr=loguniform(1e-4,1e-1)", "lr"),                          # unknown short name
    ("fit.nope=choice(1,2)", "fit.nope"),                        # unknown key
    ("compile=choice(1,2)", "compile"),                          # a section
    ("model.layers[7].units=int(1,4)", "model.layers[7].units"), # no such layer
    ("model.layers[0].rate=uniform(0,1)", "model.layers[0].rate"),  # not set on that layer
])  # fmt: skip
def test_parse_param_errors_name_the_param(text, key):
    with pytest.raises(ConfigError) as info:
        parse_param(text, toy())
    assert info.value.key == key


def test_resolve_metric_defaults_and_errors():
    assert resolve_metric(toy()) == ("val_accuracy", "max")
    assert resolve_metric(toy("compile.metrics=[]")) == ("val_loss", "min")
    assert resolve_metric(toy(), "loss", "minimize") == ("loss", "min")
    with pytest.raises(ValueError, match="not logged"):
        resolve_metric(toy(), "val_auc")
    with pytest.raises(ConfigError, match="validation"):
        resolve_metric(toy("data.validation_split=0"))
    with pytest.raises(ValueError, match="direction"):
        resolve_metric(toy(), direction="up")


# -------------------------------------------------------------------- tune
def test_random_search_writes_results_best_config_and_plots(tmp_path):
    config = toy()
    result = tune(config, ["learning_rate=loguniform(1e-3,1)", "batch_size=choice(16,64)"],
                  search="random", trials=6, out_dir=tmp_path)  # fmt: skip
    rows = read_rows(tmp_path / "results.csv")
    assert [int(r["number"]) for r in rows] == list(range(6))
    assert {r["state"] for r in rows} <= {"complete", "pruned"}
    assert result.ran == 6 and len(result.trials) == 6
    complete = [t for t in result.trials if t.state == "complete"]
    assert result.best.value == max(t.value for t in complete)
    assert [int(r["best"]) for r in rows].count(1) == 1
    # every trial drew values inside its ranges
    for t in result.trials:
        assert 1e-3 <= t.params["compile.learning_rate"] <= 1
        assert t.params["fit.batch_size"] in (16, 64)
    # best_config.toml is the whole config with the best values, and loads back
    best = load_config(tmp_path / "best_config.toml")
    assert best == result.best_config
    assert best["compile"]["learning_rate"] == result.best.params["compile.learning_rate"]
    assert best["fit"]["batch_size"] == result.best.params["fit.batch_size"]
    assert best["model"] == config["model"] and best["fit"]["epochs"] == 5
    # training it again gives the recorded value (every trial is seeded)
    again = train(best, verbose=0)
    assert max(again.history["val_accuracy"]) == pytest.approx(result.best.value)
    assert is_png(tmp_path / "history.png") and is_png(tmp_path / "importance.png")
    assert set(result.importances) == {"compile.learning_rate", "fit.batch_size"}
    assert sum(result.importances.values()) == pytest.approx(1.0)
    table = format_results(result, lang="pt")
    assert table.count("★") == 1
    assert "best_config.toml" in table.splitlines()[-1]
    assert "Melhor val_accuracy" in table and "learning_rate" in table
    assert "Best val_accuracy" in format_results(result, lang="en")


def test_grid_search_runs_every_combination_once(tmp_path):
    params = ["learning_rate=choice(0.3,0.03)", "batch_size=choice(16,64)"]
    half = tune(toy(), params, search="grid", trials=2, out_dir=tmp_path, pruner=False)
    assert half.ran == 2
    # resumed: the grid's size by default, and only the two points not yet trained
    result = tune(toy(), params, search="grid", out_dir=tmp_path, pruner=False)
    assert result.ran == 2
    drawn = [(t.params["compile.learning_rate"], t.params["fit.batch_size"])
             for t in result.trials]  # fmt: skip
    assert sorted(drawn) == sorted(itertools.product((0.3, 0.03), (16, 64)))
    assert len(read_rows(tmp_path / "results.csv")) == 4
    # the grid is done: asking again (even for more) runs nothing
    again = tune(toy(), params, search="grid", trials=10, out_dir=tmp_path, pruner=False)
    assert again.ran == 0 and len(again.trials) == 4


def test_bayes_search_uses_tpe(tmp_path):
    result = tune(toy(), ["learning_rate=loguniform(1e-3,1)", "model.layers[0].units=int(4,32)"],
                  search="bayes", trials=5, out_dir=tmp_path)  # fmt: skip
    assert isinstance(result.study.sampler, optuna.samplers.TPESampler)
    assert len(result.trials) == 5
    units = [t.params["model.layers[0].units"] for t in result.trials]
    assert all(isinstance(u, int) and 4 <= u <= 32 for u in units)
    best = load_config(tmp_path / "best_config.toml")
    assert best["model"]["layers"][0]["units"] == result.best.params["model.layers[0].units"]


def test_a_second_call_resumes_and_runs_only_the_missing_trials(tmp_path):
    params = ["learning_rate=loguniform(1e-3,1)"]
    first = tune(toy(), params, trials=3, out_dir=tmp_path, pruner=False)
    second = tune(toy(), params, trials=5, out_dir=tmp_path, pruner=False)
    assert (first.ran, second.ran) == (3, 2)
    assert [t.number for t in second.trials] == [0, 1, 2, 3, 4]
    assert [t.params for t in second.trials[:3]] == [t.params for t in first.trials]
    # the resumed sampler does not repeat the first draws
    old = {t.params["compile.learning_rate"] for t in first.trials}
    assert not old & {t.params["compile.learning_rate"] for t in second.trials[3:]}
    assert len(read_rows(tmp_path / "results.csv")) == 5
    assert second.importances == {"compile.learning_rate": pytest.approx(1.0)}  # one bar
    # the same folder with other settings is refused
    with pytest.raises(ValueError, match="other settings"):
        tune(toy(), ["learning_rate=loguniform(1e-4,1)"], trials=6, out_dir=tmp_path)


def test_median_pruner_stops_losing_trials(tmp_path):
    # SGD with η over six decades: the tiny η barely move and fall below the median
    config = toy("compile.optimizer='sgd'")
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    params = ["learning_rate=loguniform(1e-6,1)"]
    result = tune(config, params, trials=6, out_dir=tmp_path / "a", pruner=pruner)
    pruned = [t for t in result.trials if t.state == "pruned"]
    assert pruned and all(t.epochs < 5 for t in pruned)
    assert all(t.epochs == 5 for t in result.trials if t.state == "complete")
    states = [r["state"] for r in read_rows(tmp_path / "a" / "results.csv")]
    assert states.count("pruned") == len(pruned)
    assert "podada" in format_results(result, lang="pt")
    # the same draws without a pruner: every trial runs its 5 epochs
    unpruned = tune(config, params, trials=6, out_dir=tmp_path / "b", pruner=False)
    assert [t.params for t in unpruned.trials] == [t.params for t in result.trials]
    assert all(t.state == "complete" and t.epochs == 5 for t in unpruned.trials)


def test_a_failing_trial_is_recorded_and_the_search_goes_on(tmp_path):
    # momentum is an argument of SGD, not of Adam: the adam trial cannot build its optimizer
    params = ["optimizer=choice(sgd,adam)", "compile.optimizer_args.momentum=choice(0.9)"]
    result = tune(toy(), params, search="grid", out_dir=tmp_path, pruner=False)
    states = {t.params["compile.optimizer"]: t for t in result.trials}
    assert states["sgd"].state == "complete"
    assert states["adam"].state == "failed" and "momentum" in states["adam"].error
    assert result.best is states["sgd"]
    assert "falhou" in format_results(result, lang="pt")


@pytest.mark.parametrize("params, kwargs, error, match", [
    (["learning_rate=loguniform(1e-3,1)"], {"search": "grid"}, ConfigError, "choice"),
    (["batch_size=choice(0,32)"], {}, ConfigError, "fit.batch_size"),
    (["batch_size=uniform(16,64)"], {}, ConfigError, "fit.batch_size"),
    (["optimizer=choice(sgd,adamm)"], {}, ConfigError, "compile.optimizer"),
    (["learning_rate=choice(0.1)", "compile.learning_rate=choice(0.2)"], {}, ConfigError,
     "twice"),
    (["learning_rate=choice(0.1)"], {"search": "hyperband"}, ValueError, "search"),
    (["learning_rate=choice(0.1)"], {"trials": 0}, ValueError, "trials"),
    (["learning_rate=choice(0.1)"], {"metric": "val_auc"}, ValueError, "val_auc"),
    (["learning_rate=choice(0.1)"], {"pruner": "median"}, TypeError, "pruner"),
    ([], {}, ValueError, "at least one"),
])  # fmt: skip
def test_bad_input_is_refused_before_any_study_exists(tmp_path, params, kwargs, error, match):
    with pytest.raises(error, match=match):
        tune(toy(), params, out_dir=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_params_changing_the_data_reload_it(tmp_path):
    # the noise of the moons changes the data: each trial loads its own, and the
    # trial's config keeps the value (resolve re-checks it)
    result = tune(toy(), ["data.noise=choice(0.05,0.5)"], search="grid", out_dir=tmp_path,
                  pruner=False)  # fmt: skip
    values = {t.params["data.noise"]: t.value for t in result.trials}
    assert set(values) == {0.05, 0.5}
    assert values[0.05] > values[0.5]  # less noise, easier problem
    assert resolve(result.best_config)["data"]["noise"] == result.best.params["data.noise"]
    assert np.isfinite(list(values.values())).all()


def test_ctrl_c_keeps_what_is_done_and_the_cut_trial_runs_again_on_resume(tmp_path, monkeypatch):
    import treino.tuning as tuning

    calls = []

    def interrupted_second_time(config, **kwargs):
        calls.append(config["compile"]["learning_rate"])
        result = train(config, **kwargs)
        if len(calls) == 2:  # as fit does on Ctrl-C: it stops and says so
            result.interrupted = True
        return result

    params = ["learning_rate=choice(0.3,0.1,0.03)"]
    monkeypatch.setattr(tuning, "train", interrupted_second_time)
    cut = tune(toy(), params, search="grid", out_dir=tmp_path, pruner=False)
    assert cut.interrupted and cut.ran == 2
    assert [t.state for t in cut.trials] == ["complete", "interrupted"]
    assert "interrompida" in format_results(cut, lang="pt")
    assert "out_dir" in format_results(cut, lang="pt").splitlines()[-1]
    monkeypatch.setattr(tuning, "train", train)
    resumed = tune(toy(), params, search="grid", out_dir=tmp_path, pruner=False)
    assert not resumed.interrupted and resumed.ran == 2
    complete = [t for t in resumed.trials if t.state == "complete"]
    assert sorted(t.params["compile.learning_rate"] for t in complete) == [0.03, 0.1, 0.3]
    # the cut trial's value came first on resume
    assert complete[1].params == cut.trials[1].params
