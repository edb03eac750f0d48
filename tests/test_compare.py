"""treino.compare: the optimizer benchmark on a toy problem that trains in hundredths of a s."""

import csv
import math

import numpy as np
import pytest

from treino.compare import (
    DEFAULT_LEARNING_RATES,
    compare_optimizers,
    format_table,
    mean_std,
)
from treino.config import ConfigError, load_config

TOY = [
    "data.dataset='moons'", "data.flatten=false", "data.scaling='standard'",
    "model.layers=[{type='Dense', units=16, activation='relu'}, "
    "{type='Dense', units=2, activation='softmax'}]",
    "fit.epochs=5", "callbacks.doctor=false",
]  # fmt: skip
THREE = ("sgd", "momentum", "adam")


def toy(*overrides):
    return load_config(overrides=[*TOY, *overrides])


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    return compare_optimizers(toy(), optimizers=THREE, seeds=2, target=0.75, out_dir=out), out


def test_every_optimizer_runs_with_every_seed(compared):
    result, _ = compared
    assert result.seeds == (42, 43)
    assert [(r.optimizer, r.seed) for r in result.runs] == [
        (name, seed) for name in THREE for seed in (42, 43)]
    for run in result.runs:
        assert run.epochs == 5 == len(run.metric_values) == len(run.losses) == len(run.times)
        assert run.metric_values == run.history["val_accuracy"]
        assert run.losses == run.history["loss"]
        assert run.final_metric == run.metric_values[-1]
        assert run.best_metric == max(run.metric_values)
        assert run.final_loss == run.losses[-1]
        assert np.all(np.diff(run.times) > 0) and run.times[-1] <= run.seconds
        assert not run.diverged
    # η: the config's optimizer (adam) keeps the config's η; the others take the table's
    assert result.learning_rates == {"sgd": 0.01, "momentum": 0.01, "adam": 1e-3}


def test_same_seed_same_numbers_other_seed_other_numbers(compared):
    result, _ = compared
    again = compare_optimizers(toy(), optimizers=("adam",), seeds=2)
    for first, second in zip(result.runs_of("adam"), again.runs, strict=True):
        assert first.seed == second.seed
        assert first.losses == second.losses
        assert first.metric_values == second.metric_values
    seed_42, seed_43 = result.runs_of("sgd")
    assert seed_42.losses != seed_43.losses


def test_epochs_and_time_to_target(compared):
    result, _ = compared
    reached_some = False
    for run in result.runs:
        values = np.array(run.metric_values)
        if run.epochs_to_target is None:
            assert np.all(values < 0.75) and run.seconds_to_target is None
        else:
            reached_some = True
            e = run.epochs_to_target
            assert values[e - 1] >= 0.75 and np.all(values[: e - 1] < 0.75)
            assert run.seconds_to_target == run.times[e - 1]
    assert reached_some


def test_table_rows_sorted_by_best_metric_with_target_columns(compared):
    result, _ = compared
    table = format_table(result, lang="pt")
    lines = table.splitlines()
    assert "val_accuracy" in lines[0] and "2 sementes" in lines[0]
    header = lines[1]
    assert "épocas até 0.75" in header and "tempo até 0.75 (s)" in header
    rows = lines[3:]
    assert len(rows) == 3
    order = [row.split()[0] for row in rows]
    means = {name: np.mean([r.best_metric for r in result.runs_of(name)]) for name in THREE}
    assert sorted(order) == sorted(THREE)
    assert [means[name] for name in order] == sorted(means.values(), reverse=True)
    for row, name in zip(rows, order, strict=True):
        assert mean_std([r.best_metric for r in result.runs_of(name)]) in row
    english = format_table(result, lang="en")
    assert "epochs to 0.75" in english and "best val_accuracy" in english
    # no target: no target columns
    plain = compare_optimizers(toy(), optimizers=("sgd",), seeds=1)
    assert "0.75" not in format_table(plain) and "até" not in format_table(plain)


def test_results_csv_and_curves_png(compared):
    result, out = compared
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["optimizer"], int(r["seed"])) for r in rows] == [
        (r.optimizer, r.seed) for r in result.runs]
    for row, run in zip(rows, result.runs, strict=True):
        assert float(row["best_val_accuracy"]) == run.best_metric
        assert float(row["final_loss"]) == run.final_loss
        assert row["epochs_to_target"] == ("" if run.epochs_to_target is None
                                           else str(run.epochs_to_target))  # fmt: skip
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.files == {"results": out / "results.csv", "curves": out / "curves.png"}


def test_learning_rate_rules_and_optimizer_args():
    config = toy("compile.optimizer='momentum'", "compile.learning_rate=0.05",
                 "compile.optimizer_args={momentum=0.5}")  # fmt: skip
    # adadelta runs although SGD's momentum=0.5 is in the config: the args stay with momentum
    result = compare_optimizers(config, optimizers=("momentum", "adadelta", "sgd"), seeds=1,
                                learning_rates={"sgd": 0.2}, metric="val_loss")  # fmt: skip
    assert result.learning_rates == {
        "momentum": 0.05, "adadelta": DEFAULT_LEARNING_RATES["adadelta"], "sgd": 0.2}
    assert [run.learning_rate for run in result.runs] == [0.05, 1.0, 0.2]
    assert result.direction == "min"
    momentum = result.runs_of("momentum")[0]
    assert momentum.best_metric == min(momentum.metric_values)
    # and momentum did get its 0.5: the preset 0.9 at the same η trains differently
    preset = compare_optimizers(toy(), optimizers=("momentum",), seeds=1,
                                learning_rates={"momentum": 0.05})  # fmt: skip
    assert preset.runs[0].losses != momentum.losses


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_a_diverging_optimizer_is_reported_not_raised():
    result = compare_optimizers(toy(), optimizers=("sgd", "adam"), seeds=1,
                                learning_rates={"sgd": 1e6})  # fmt: skip
    sgd, adam = result.runs
    assert sgd.diverged and math.isnan(sgd.final_loss) and not adam.diverged
    table = format_table(result, lang="pt")
    assert "divergiu" in table
    assert table.splitlines()[3].split()[0] == "adam"  # the diverged one sorts last


@pytest.mark.parametrize("kwargs, match", [
    ({"optimizers": ("sgd", "adamm")}, "adamm"),
    ({"optimizers": ("sgd", "sgd")}, "twice"),
    ({"optimizers": ()}, "at least one"),
    ({"seeds": 0}, "seeds"),
    ({"seeds": 1.5}, "seeds"),
    ({"target": "high"}, "target"),
    ({"learning_rates": {"adagrad": 0.1}}, "adagrad"),
    ({"learning_rates": {"sgd": -0.1}}, "positive"),
    ({"metric": "val_auc"}, "val_auc"),
    ({"verbose": 3}, "verbose"),
])  # fmt: skip
def test_bad_input_is_refused_before_anything_runs(tmp_path, kwargs, match):
    kwargs = {"optimizers": ("sgd", "adam"), **kwargs}
    with pytest.raises(ValueError, match=match):
        compare_optimizers(toy(), out_dir=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_a_bad_optimizer_argument_is_a_config_error():
    with pytest.raises(ConfigError, match="momentum"):
        compare_optimizers(toy("compile.optimizer='adam'", "compile.optimizer_args={momentum=1}"),
                           optimizers=("adam",), seeds=1)  # fmt: skip


def test_mean_std():
    assert mean_std([0.5, 0.7, float("nan")]) == "0.600 ± 0.141"
    assert mean_std([2.0], digits=1) == "2.0"
    assert mean_std([]) == "—"
