"""The ``treino`` command end to end, through subprocesses: output, files, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "examples" / "configs"
TOY = ["--set", "data.dataset='moons'", "--set", "data.scaling='standard'",
       "--set", "data.flatten=false", "--set",
       "model.layers=[{type='Dense', units=16, activation='relu'}, "
       "{type='Dense', units=2, activation='softmax'}]"]  # fmt: skip


def treino(*args, cwd, check=True, timeout=300, env=None):
    """Run ``python -m treino ARGS`` in ``cwd``; return (exit code, stdout, stderr)."""
    process = subprocess.run([sys.executable, "-m", "treino", "--lang", "en", *args], cwd=cwd,
                             capture_output=True, text=True, timeout=timeout,
                             env={**os.environ, "MPLBACKEND": "Agg", **(env or {})})  # fmt: skip
    if check and process.returncode != 0:
        raise AssertionError(f"exit {process.returncode}\n{process.stdout}\n{process.stderr}")
    return process.returncode, process.stdout, process.stderr


def runs_in(cwd) -> list[Path]:
    return sorted(p for p in (Path(cwd) / "runs").glob("*") if (p / "run.json").is_file())


def test_default_train_is_the_course_mlp_with_a_complete_run_folder(tmp_path):
    start = time.perf_counter()
    _, out, _ = treino("train", cwd=tmp_path)
    assert time.perf_counter() - start < 60
    assert "Epoch 8/8" in out
    accuracy = float(out.split("Test: loss ")[1].split("accuracy ")[1].split()[0])
    assert accuracy > 0.8
    assert "Training doctor: no problem found." in out
    (run,) = runs_in(tmp_path)
    assert f"Run saved in runs/{run.name}" in out
    for name in ("config.toml", "config.json", "run.json", "metrics.csv", "history.json",
                 "model.treino", "curves.png", "doctor.txt", "doctor.json"):  # fmt: skip
        assert (run / name).is_file(), name
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "completed" and meta["seed"] == 42 and meta["epochs"] == 8
    assert meta["test"]["accuracy"] == pytest.approx(accuracy, abs=1e-4)
    assert len(meta["data"]["sha256"]) == 64 and meta["data"]["train"] == 8000
    assert meta["environment"]["numpy"] == np.__version__ and meta["environment"]["python"]
    assert "blas" in meta["environment"]
    assert len((run / "metrics.csv").read_text().splitlines()) == 9  # header + 8 epochs
    config = json.loads((run / "config.json").read_text())
    assert config["compile"]["optimizer"] == "adam" and config["fit"]["epochs"] == 8


def test_train_from_an_example_config_with_overrides_then_eval_predict_summary(tmp_path):
    _, out, _ = treino("train", str(CONFIGS / "cnn_lenet.toml"), "--set", "fit.epochs=1",
                       "--set", "data.limit=600", cwd=tmp_path)  # fmt: skip
    (run,) = runs_in(tmp_path)
    assert "lenet-fashion" in run.name and "Test: loss" in out
    assert "# --set fit.epochs=1" in (run / "config.toml").read_text()
    test_accuracy = json.loads((run / "run.json").read_text())["test"]["accuracy"]

    _, out, _ = treino("eval", run.name, cwd=tmp_path)
    assert out.startswith("2000 samples:") and f"accuracy {test_accuracy:.4f}" in out

    from treino.datasets import fashion_mnist

    (_, _), (x_test, _) = fashion_mnist.load_data(sample=True)
    np.save(tmp_path / "imagens.npy", x_test[:4])  # raw 0–255 pixels: the run scales them
    _, out, _ = treino("predict", run.name, "imagens.npy", "-o", "pred.csv", cwd=tmp_path)
    assert [line.split(":")[0] for line in out.splitlines()[:4]] == ["0", "1", "2", "3"]
    assert "4 predictions → pred.csv" in out
    probabilities = np.loadtxt(tmp_path / "pred.csv", delimiter=",")
    assert probabilities.shape == (4, 10) and np.allclose(probabilities.sum(1), 1, atol=1e-4)
    label = int(out.splitlines()[0].split("class ")[1].split()[0])
    assert label == probabilities[0].argmax()

    _, out, _ = treino("summary", run.name, cwd=tmp_path)
    assert "Conv2D" in out and "Total params: 61,706" in out


def test_reproduce_gives_identical_metrics_and_runs_compare(tmp_path):
    treino("train", "-q", *TOY, "--set", "fit.epochs=5", cwd=tmp_path)
    treino("train", "-q", *TOY, "--set", "fit.epochs=5", "--set", "compile.optimizer='sgd'",
           "--set", "compile.learning_rate=0.1", cwd=tmp_path)  # fmt: skip
    first, second = runs_in(tmp_path)
    code, out, _ = treino("train", "-q", "--reproduce", first.name, cwd=tmp_path)
    assert code == 0 and f"Reproduced: metrics identical to {first.name}" in out
    third = runs_in(tmp_path)[-1]
    assert json.loads((third / "history.json").read_text()) == \
        json.loads((first / "history.json").read_text())  # fmt: skip
    assert json.loads((third / "run.json").read_text())["reproduces"] == first.name

    _, out, _ = treino("runs", "compare", first.name, second.name, cwd=tmp_path)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["run", "optimizer", "learning_rate"]
    assert "adam" in lines[2] and "sgd" in lines[3] and first.name in lines[2]
    assert (tmp_path / "runs" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    _, out, _ = treino("runs", "list", cwd=tmp_path)
    assert len([line for line in out.splitlines() if "completed" in line]) == 3
    _, out, _ = treino("runs", "show", "last", cwd=tmp_path)
    assert third.name in out and "sha256" in out


@pytest.mark.parametrize(("args", "key"), [
    (["--set", "compile.optimizer='adamx'"], "compile.optimizer"),
    (["--set", "fit.epochs='three'"], "fit.epochs"),
    (["--set", "fit.epoch=3"], "fit.epoch"),
    (["--set", "data.dataset='csv'", "--set", "data.path='missing.csv'", "--set",
      "data.target='y'"], "data.path"),
    (["--set", "model.layers=[{type='Dens', units=3}]"], "model.layers[0].type"),
])  # fmt: skip
def test_an_invalid_config_exits_2_with_one_line_naming_the_key(tmp_path, args, key):
    code, out, err = treino("train", *args, cwd=tmp_path, check=False)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"config key '{key}'" in err and "Traceback" not in err
    assert not runs_in(tmp_path)  # nothing was started


def test_a_missing_config_file_or_run_exits_2(tmp_path):
    code, _, err = treino("train", "nao_existe.toml", cwd=tmp_path, check=False)
    assert code == 2 and "no config file at 'nao_existe.toml'" in err
    code, _, err = treino("eval", "nenhuma", cwd=tmp_path, check=False)
    assert code == 2 and "no run 'nenhuma'" in err and "Traceback" not in err


def test_ctrl_c_leaves_a_consistent_run_marked_interrupted(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "treino", "--lang", "en", "train", *TOY, "--set", "fit.epochs=500",
         "--set", "data.n_samples=2000"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    for line in process.stdout:  # wait for a few epochs
        if line.startswith("Epoch 3/"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Training interrupted" in out
    (run,) = runs_in(tmp_path)
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "interrupted" and 3 <= meta["epochs"] < 500
    history = json.loads((run / "history.json").read_text())
    assert len(history["loss"]) == meta["epochs"]
    assert len((run / "metrics.csv").read_text().splitlines()) == meta["epochs"] + 1
    assert (run / "model.treino").is_file()


def test_doctor_explain_and_help(tmp_path):
    treino("train", "-q", str(CONFIGS / "mlp_fashion.toml"), "--set", "fit.epochs=2",
           "--set", "data.scaling='none'", "--set", "data.limit=1000", cwd=tmp_path)  # fmt: skip
    _, out, _ = treino("doctor", "last", cwd=tmp_path)
    assert "Inputs are not normalised" in out
    # The report shown is the one written during training, in the language asked for.
    run = next((tmp_path / "runs").iterdir())
    saved = json.loads((run / "doctor.json").read_text())
    assert out.startswith(f"Training diagnosis: {len(saved)} finding")
    _, out_pt, _ = treino("--lang", "pt", "doctor", "last", cwd=tmp_path)
    assert "Entradas sem normalização" in out_pt
    _, out, _ = treino("doctor", "last", "--recompute", cwd=tmp_path)
    assert "Inputs are not normalised" in out
    (run / "doctor.json").write_text("{not json")
    code, _, err = treino("doctor", "last", cwd=tmp_path, check=False)
    assert code == 1 and "doctor.json: not a doctor's report" in err and "--recompute" in err
    _, out, _ = treino("explain", cwd=tmp_path)
    assert "net_h1 = 0.05·0.15 + 0.1·0.2 + 0.35 = 0.3775" in out
    _, out, _ = treino("--help", cwd=tmp_path)
    for command in ("train", "eval", "predict", "summary", "runs", "doctor", "explain",
                    "gradcheck"):  # fmt: skip
        assert command in out
    _, out, _ = treino("train", "--help", cwd=tmp_path)
    assert "--reproduce" in out and "--set" in out


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_config_is_valid_and_trains(config):
    from treino.config import load_config, train

    resolved = load_config(config, ["fit.epochs=1", "data.limit=300", "callbacks.doctor=false"])
    result = train(resolved, verbose=0)
    assert np.isfinite(result.history["loss"][0])


def test_gradcheck_prints_a_table_of_every_op_and_layer(tmp_path):
    _, out, _ = treino("gradcheck", cwd=tmp_path, timeout=120)
    lines = out.strip().splitlines()
    assert "layer: LSTM" in out and "op: conv2d" in out
    passed, total = lines[-1].split(" of ")[0], lines[-1].split(" of ")[1].split()[0]
    assert passed == total and int(total) > 100 and "checks passed" in lines[-1]
    _, out, _ = treino("gradcheck", "--only", "pool", cwd=tmp_path)
    assert "op: conv2d" not in out and "MaxPooling2D" in out
    code, _, err = treino("gradcheck", "--only", "nothing-matches", cwd=tmp_path, check=False)
    assert code == 2 and "Traceback" not in err


TUNE = str(CONFIGS / "tune_toy.toml")


def test_random_tune_of_6_trials_then_a_4_point_grid(tmp_path):
    pytest.importorskip("optuna")
    _, out, _ = treino("tune", TUNE, "--search", "random", "--trials", "6", "--set",
                       "fit.epochs=4", "--param", "learning_rate=loguniform(1e-3,1e-1)",
                       "--param", "batch_size=choice(16,32,64)", cwd=tmp_path)  # fmt: skip
    (sweep,) = runs_in(tmp_path)
    assert "tune-espirais" in sweep.name
    rows = [line for line in out.splitlines() if line.split()[:1] in (["★"], *[[str(i)] for i in
                                                                        range(6)])]  # fmt: skip
    assert len([r for r in rows if r.strip().split()[-5:]]) == 6
    assert f"{sweep.name}/best_config.toml" in out and "Best val_accuracy" in out
    results = (sweep / "results.csv").read_text().splitlines()
    assert len(results) == 7  # header + 6 trials
    from treino.config import load_config

    best = load_config(sweep / "best_config.toml")
    meta = json.loads((sweep / "run.json").read_text())
    assert meta["status"] == "completed" and meta["kind"] == "tune"
    assert best["fit"]["batch_size"] == meta["best_params"]["fit.batch_size"]
    for name in ("history.png", "importance.png", "study.db"):
        assert (sweep / name).is_file()

    _, out, _ = treino("tune", TUNE, "--search", "grid", "--set", "fit.epochs=3",
                       "--param", "learning_rate=choice(0.003,0.03)",
                       "--param", "batch_size=choice(16,64)", cwd=tmp_path)  # fmt: skip
    grid = runs_in(tmp_path)[-1]
    lines = (grid / "results.csv").read_text().splitlines()
    header = lines[0].split(",")
    pairs = {tuple(row.split(",")[header.index(k)] for k in ("compile.learning_rate",
                                                              "fit.batch_size"))
             for row in lines[1:]}  # fmt: skip
    assert pairs == {("0.003", "16"), ("0.003", "64"), ("0.03", "16"), ("0.03", "64")}


def test_compare_optimizers_3_optimizers_2_seeds_on_a_toy_set(tmp_path):
    _, out, _ = treino("compare-optimizers", TUNE, "--optimizers", "sgd,momentum,adam",
                       "--seeds", "2", "--target", "0.8", "--set", "fit.epochs=8",
                       cwd=tmp_path)  # fmt: skip
    (sweep,) = runs_in(tmp_path)
    table = out.splitlines()
    names = [line.split()[0] for line in table if line.split()[:1] in (["sgd"], ["momentum"],
                                                                         ["adam"])]  # fmt: skip
    assert sorted(names) == ["adam", "momentum", "sgd"]
    assert "± " in out and "epochs to 0.8" in out
    rows = (sweep / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 * 2
    assert (sweep / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_tensorboard_files_go_to_the_run_folder(tmp_path):
    pytest.importorskip("tensorboardX")
    treino("train", "-q", "--set", "fit.epochs=1", "--set", "data.limit=200",
           "--set", "callbacks.tensorboard=true", "--set", "callbacks.doctor=false",
           cwd=tmp_path)  # fmt: skip
    (run,) = runs_in(tmp_path)
    assert any((run / "tensorboard").iterdir())
    assert not (tmp_path / "tensorboard").exists()
