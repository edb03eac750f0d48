"""The training doctor: each broken setup is named for what it is; healthy runs raise nothing."""

from __future__ import annotations

import json
import string

import numpy as np
import pytest

import treino
from treino import initializers, layers, optimizers
from treino.callbacks import TerminateOnNaN
from treino.datasets import fashion_mnist, toy
from treino.diagnostics import (
    CODES,
    MESSAGES,
    Finding,
    Report,
    TrainingDoctor,
    diagnose,
)
from treino.models import Sequential
from treino.models.trainer import TrainingDivergedError


@pytest.fixture(autouse=True)
def seeded():
    treino.seed(0)  # before the models are built: their initial weights are part of the setup


@pytest.fixture(scope="module")
def fashion():
    (x, y), _ = fashion_mnist.load_data(sample=True)
    return x.reshape(-1, 784).astype("float32") / 255.0, y.astype("int64")


def mlp(hidden=(128, 64), activation="relu", kernel="glorot_uniform", bias="zeros", inputs=784):
    stack = [layers.Input((inputs,))]
    stack += [layers.Dense(units, activation=activation, kernel_initializer=kernel,
                           bias_initializer=bias) for units in hidden]  # fmt: skip
    last = "zeros" if kernel == "zeros" else "glorot_uniform"
    stack.append(layers.Dense(10, activation="softmax", kernel_initializer=last))
    return Sequential(stack)


def train(model, x, y, optimizer="adam", loss="sparse_categorical_crossentropy", epochs=5,
          **fit_args):  # fmt: skip
    model.compile(optimizer, loss)
    doctor = TrainingDoctor(lang="en", verbose=0)
    history = model.fit(x, y, epochs=epochs, verbose=0, callbacks=[doctor], **fit_args)
    return doctor.report, history


# ------------------------------------------------------------------ pathologies
def adam_lr_10(x, y):
    return train(mlp(), x[:2000], y[:2000], optimizers.Adam(10.0))


def lr_1e_7(x, y):
    return train(mlp(), x[:2000], y[:2000], optimizers.Adam(1e-7))


def sigmoid_20_layers(x, y):
    stack = [layers.Input((784,))] + [layers.Dense(32, activation="sigmoid") for _ in range(20)]
    model = Sequential([*stack, layers.Dense(10, activation="softmax")])
    return train(model, x[:2000], y[:2000], optimizers.SGD(0.1), epochs=3)


def all_zero_init(x, y):
    return train(mlp(kernel="zeros"), x[:2000], y[:2000])


def unscaled_inputs(x, y):
    return train(mlp(), x[:2000] * 255.0, y[:2000])


def big_net_50_samples(x, y):
    return train(mlp(hidden=(512, 512)), x[:50], y[:50], epochs=40,
                 validation_data=(x[5000:6000], y[5000:6000]))  # fmt: skip


def imbalanced_classes(x, y):
    keep = np.concatenate([np.flatnonzero(y == 0)[:900], np.flatnonzero(y == 1)[:100]])
    return train(mlp(), x[keep], y[keep])


def dead_relus(x, y):
    return train(mlp(bias=initializers.Constant(-5.0)), x[:2000], y[:2000])


def linear_model_on_circles(x, y):
    xc, yc = toy.circles(400, seed=0)
    model = Sequential([layers.Input((2,)), layers.Dense(2, activation="softmax")])
    return train(model, xc, yc, optimizers.Adam(0.05), epochs=20)


def deep_linear_net_large_gain(x, y):
    """Ten linear layers at 3× LeCun's scale (within the accepted init band): ×3¹⁰ per pass."""
    stack = [layers.Dense(64, kernel_initializer=initializers.RandomNormal(
        stddev=3.0 / np.sqrt(784 if i == 0 else 64))) for i in range(10)]  # fmt: skip
    model = Sequential([layers.Input((784,)), *stack, layers.Dense(10, activation="softmax")])
    return train(model, x[:2000], y[:2000], optimizers.SGD(1e-3), epochs=3)


def tanh_large_weights(x, y):
    """tanh layers at 4× LeCun's scale: most hidden outputs sit in the flat zone."""
    init = [initializers.RandomNormal(stddev=4.0 / np.sqrt(n)) for n in (784, 128)]
    model = Sequential([layers.Input((784,)),
                        layers.Dense(128, activation="tanh", kernel_initializer=init[0]),
                        layers.Dense(64, activation="tanh", kernel_initializer=init[1]),
                        layers.Dense(10, activation="softmax")])  # fmt: skip
    return train(model, x[:2000], y[:2000], epochs=3)


def noisy_regression_lr_too_high(x, y):
    xr, yr = toy.linear(400, n_features=3, noise=0.5, seed=0)
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    return train(model, xr, yr, optimizers.SGD(0.3), loss="mse", epochs=12, batch_size=4)


def huge_init(x, y):
    model = mlp(kernel=initializers.RandomNormal(stddev=1.0))
    return train(model, x[:2000], y[:2000], optimizers.SGD(0.01), epochs=3)


PATHOLOGIES = [
    (adam_lr_10, "divergence"),
    (lr_1e_7, "learning_rate_too_low"),
    (sigmoid_20_layers, "vanishing_gradients"),
    (all_zero_init, "symmetric_init"),
    (unscaled_inputs, "unscaled_inputs"),
    (big_net_50_samples, "overfitting"),
    (imbalanced_classes, "class_imbalance"),
    (dead_relus, "dead_relu"),
    (linear_model_on_circles, "underfitting"),
    (deep_linear_net_large_gain, "exploding_gradients"),
    (tanh_large_weights, "saturation"),
    (noisy_regression_lr_too_high, "oscillation"),
    (huge_init, "bad_init_scale"),
]


_RUNS: dict = {}


def run(setup, data):
    """Each setup trains once per test session (from seed 0); both tests below read the result."""
    if setup not in _RUNS:
        treino.seed(0)
        _RUNS[setup] = setup(*data)
    return _RUNS[setup]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the setups overflow on purpose
@pytest.mark.parametrize(("setup", "code"), PATHOLOGIES, ids=[c for _, c in PATHOLOGIES])
def test_each_pathology_is_named_as_the_root_cause(fashion, setup, code):
    report, _ = run(setup, fashion)
    assert report.root_causes == [code], report.text("en")
    assert report.findings[0].code == code
    for finding in report.findings[1:]:  # everything else is explained by it
        assert finding.code == code or finding.caused_by is not None, report.text("en")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the setups overflow on purpose
def test_every_finding_of_the_pathologies_has_full_evidence_in_both_languages(fashion):
    for setup, _ in PATHOLOGIES:
        report, _ = run(setup, fashion)
        for finding in report:
            for lang in ("pt", "en"):
                template = MESSAGES[lang][finding.code]["evidence"]
                fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
                missing = fields - set(finding.evidence) - {"epoch", "layer"}
                assert not missing, (finding.code, missing)
                text = finding.text(lang)
                assert finding.title(lang) in text and finding.suggestion(lang) in text


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the setups overflow on purpose
def test_divergence_to_nan_stops_training_and_keeps_the_history(fashion):
    x, y = fashion
    report, history = run(deep_linear_net_large_gain, (x, y))
    assert np.isnan(history.history["loss"][-1])
    assert len(history.history["loss"]) == 1  # stopped in the first epoch
    assert report.get("divergence")[0].caused_by == "exploding_gradients"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the setups overflow on purpose
def test_nan_loss_without_a_stopping_callback_raises_a_clear_error(fashion):
    x, y = fashion
    model = mlp(kernel=initializers.RandomNormal(stddev=3.0), hidden=(64,) * 8,
                activation="linear")  # fmt: skip
    model.compile(optimizers.SGD(1e-3), "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"NaN or inf at batch \d+ of epoch 1"):
        model.fit(x[:64], y[:64], epochs=2, verbose=0)
    with pytest.raises(TrainingDivergedError):
        model.train_on_batch(x[:64], y[:64])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the setups overflow on purpose
def test_terminate_on_nan_now_stops_a_real_divergence(fashion):
    x, y = fashion
    model = mlp(kernel=initializers.RandomNormal(stddev=3.0), hidden=(64,) * 8,
                activation="linear")  # fmt: skip
    model.compile(optimizers.SGD(1e-3), "sparse_categorical_crossentropy")
    history = model.fit(x[:64], y[:64], epochs=3, verbose=0, callbacks=[TerminateOnNaN()])
    assert np.isnan(history.history["loss"][0]) and len(history.history["loss"]) == 1
    for weight in model.get_weights():  # the NaN batch wrote nothing into the weights
        assert np.isfinite(weight).all()


# --------------------------------------------------------------- no false alarm
def test_the_course_mlp_on_fashion_mnist_raises_no_alarm(fashion):
    x, y = fashion
    model = Sequential([layers.Input((784,)), layers.Dense(128, activation="relu"),
                        layers.Dropout(0.2), layers.Dense(64, activation="relu"),
                        layers.Dropout(0.2), layers.Dense(10, activation="softmax")])  # fmt: skip
    report, history = train(model, x[:6000], y[:6000], epochs=6, validation_split=0.2)
    assert history.history["loss"][-1] < 0.6
    assert not report, report.text("en")


HEALTHY = {
    "moons": lambda: (toy.moons(400, seed=0), [16, 16], "relu", optimizers.Adam(0.01), 30),
    "circles": lambda: (toy.circles(400, seed=0), [16], "tanh", optimizers.Adam(0.02), 30),
    "xor": lambda: (toy.xor(200, seed=0), [8], "tanh", optimizers.SGD(0.5), 60),
    "spirals": lambda: (toy.spirals(400, seed=0), [64, 64], "relu", optimizers.Adam(0.01), 60),
}


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_healthy_toy_classifiers_raise_no_alarm(name):
    (x, y), hidden, activation, optimizer, epochs = HEALTHY[name]()
    stack = [layers.Input((2,))] + [layers.Dense(u, activation=activation) for u in hidden]
    model = Sequential([*stack, layers.Dense(2, activation="softmax")])
    report, history = train(model, x, y, optimizer, epochs=epochs, validation_split=0.2)
    assert history.history["loss"][-1] < 0.3
    assert not report, report.text("en")


def test_healthy_regressions_raise_no_alarm():
    x, y = toy.sine(400, seed=0)
    model = Sequential([layers.Input((1,)), layers.Dense(32, activation="tanh"),
                        layers.Dense(32, activation="tanh"), layers.Dense(1)])  # fmt: skip
    report, _ = train(model, x, y, optimizers.Adam(0.01), loss="mse", epochs=60,
                      validation_split=0.2)  # fmt: skip
    assert not report, report.text("en")
    x, y = toy.linear(300, n_features=3, seed=0)
    model = Sequential([layers.Input((3,)), layers.Dense(1)])
    report, _ = train(model, x, y, optimizers.SGD(0.05), loss="mse", epochs=20,
                      validation_split=0.2)  # fmt: skip
    assert not report, report.text("en")


def test_a_small_cnn_and_an_lstm_raise_no_alarm(fashion):
    x, y = fashion
    cnn = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"),
                      layers.MaxPooling2D(), layers.Flatten(),
                      layers.Dense(10, activation="softmax")])  # fmt: skip
    report, _ = train(cnn, x[:2000].reshape(-1, 28, 28, 1), y[:2000], epochs=3,
                      validation_split=0.2)  # fmt: skip
    assert not report, report.text("en")
    lstm = Sequential([layers.Input((28, 28)), layers.LSTM(32),
                       layers.Dense(10, activation="softmax")])  # fmt: skip
    report, _ = train(lstm, x[:1000].reshape(-1, 28, 28), y[:1000], epochs=3)
    assert not report, report.text("en")


def test_a_slow_start_that_takes_off_is_not_reported_at_the_end(capsys):
    x, y = toy.circles(400, seed=0)
    model = Sequential([layers.Input((2,)), layers.Dense(16, activation="tanh"),
                        layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizers.Adam(0.02), "binary_crossentropy")
    doctor = TrainingDoctor(lang="en")
    model.fit(x, y.astype("float32"), epochs=30, verbose=0, callbacks=[doctor])
    printed = capsys.readouterr().out
    assert not doctor.report
    if "No progress" in printed:  # seen live during the plateau, then withdrawn
        assert "[resolved] No progress since the start" in printed


# ------------------------------------------------------------ live and offline
def test_each_finding_is_printed_once_in_the_chosen_language(fashion, capsys):
    x, y = fashion
    model = mlp()
    model.compile(optimizers.Adam(1e-7), "sparse_categorical_crossentropy")
    model.fit(x[:1000], y[:1000], epochs=5, verbose=0, callbacks=[TrainingDoctor(lang="pt")])
    printed = capsys.readouterr().out
    assert printed.count("Taxa de aprendizado baixa demais") == 1
    assert "Sugestão: aumente a taxa de aprendizado" in printed


def test_stop_on_critical_stops_at_the_first_critical_finding(fashion):
    x, y = fashion
    model = mlp(kernel="zeros")
    model.compile("adam", "sparse_categorical_crossentropy")
    doctor = TrainingDoctor(verbose=0, stop_on_critical=True)
    history = model.fit(x[:500], y[:500], epochs=5, verbose=0, callbacks=[doctor])
    assert len(history.history["loss"]) == 1
    assert "symmetric_init" in doctor.report


def test_diagnose_after_training_matches_the_live_doctor(fashion):
    x, y = fashion
    report, history = run(lr_1e_7, (x, y))
    offline = diagnose(history, lang="en")
    assert offline.root_causes == ["learning_rate_too_low"]
    xs, ys = x[:2000] * 255.0, y[:2000]
    assert "unscaled_inputs" in diagnose({"loss": [1.0]}, x=xs, y=ys).codes
    keep = np.concatenate([np.flatnonzero(y == 0)[:600], np.flatnonzero(y == 3)[:60]])
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:64], y[:64], epochs=1, verbose=0)
    found = diagnose({"loss": [1.0]}, model, x[keep], y[keep]).get("class_imbalance")
    assert found[0].evidence["majority"] == 0 and found[0].evidence["ratio"] == 10.0


def test_diagnose_checks_its_input():
    with pytest.raises(TypeError, match="History or a dict"):
        diagnose([1.0, 2.0])
    with pytest.raises(ValueError, match="lang must be 'pt' or 'en'"):
        diagnose({"loss": [1.0]}, lang="fr")


def test_the_default_language_follows_the_locale(monkeypatch):
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert str(diagnose({"loss": [1.0, 0.5]})) == "No training problem found."
    monkeypatch.setenv("LC_ALL", "pt_BR.UTF-8")
    assert str(diagnose({"loss": [1.0, 0.5]})) == "Nenhum problema encontrado no treino."


# ------------------------------------------------------------- findings, report
def test_every_code_has_all_four_messages_in_both_languages():
    for lang in ("pt", "en"):
        assert set(MESSAGES[lang]) == set(CODES)
        for code in CODES:
            assert set(MESSAGES[lang][code]) == {"title", "evidence", "why", "fix"}
            assert all(MESSAGES[lang][code].values())
    assert MESSAGES["pt"]["divergence"]["title"] != MESSAGES["en"]["divergence"]["title"]


def test_report_orders_root_causes_first_and_serialises():
    symptom = Finding("dead_relu", "warning", {"fraction": "80%"}, epoch=2, layer="dense",
                      caused_by="divergence")  # fmt: skip
    cause = Finding("divergence", "critical", {"initial": 2.3, "loss": float("nan")}, epoch=0)
    report = Report([symptom, cause], lang="en")
    assert report.codes == ["divergence", "dead_relu"] and report.root_causes == ["divergence"]
    assert "Likely cause: Training diverged" in report.text()
    data = json.loads(report.to_json())
    assert data[0]["evidence"]["loss"] == "nan" and data[1]["layer"] == "dense"
    with pytest.raises(ValueError, match="unknown code"):
        Finding("bad_luck", "warning")
    with pytest.raises(ValueError, match="severity must be one of"):
        Finding("divergence", "fatal")


# ------------------------------------------------------------ README, example
def test_readme_doctor_snippet_runs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = next(s for s in re.findall(r"```python\n(.*?)```", readme, re.S) if "medico" in s)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["medico"].report.root_causes == ["unscaled_inputs"]
    for name in ("curvas.png", "gradientes.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagnose_training_example(tmp_path, capsys):
    from layer_checks import load_example

    example = load_example("diagnose_training")
    found = example.main(lang="en", out=str(tmp_path), epochs=4, samples=1500)
    assert found["saudavel"] == []
    assert found["eta_alto"][0] == "divergence"
    assert found["eta_baixo"][0] == "learning_rate_too_low"
    assert found["sem_normalizar"][0] == "unscaled_inputs"
    assert len(list(tmp_path.glob("*.png"))) == 8
    assert "Learning rate too low" in capsys.readouterr().out


def test_diagnose_after_training_does_not_blame_the_initial_scale_on_trained_weights():
    from treino.diagnostics import diagnose
    from treino.layers import Dense, Input
    from treino.models import Sequential

    model = Sequential([Input((4,)), Dense(3), Dense(3), Dense(2)])
    for layer in model.layers:
        layer.kernel.data *= 100.0  # what a divergence leaves behind
    assert "bad_init_scale" not in diagnose({"loss": [1.0, 0.9]}, model, lang="en").codes
    assert "bad_init_scale" in diagnose({"loss": []}, model, lang="en").codes  # untrained
    for layer in model.layers:
        layer.kernel.data[...] = 0.5  # symmetry survives training: still reported
    assert "symmetric_init" in diagnose({"loss": [1.0, 0.9]}, model, lang="en").codes


def test_a_measure_the_run_did_not_record_reads_as_a_dash():
    from treino.diagnostics import Finding

    finding = Finding("no_progress", "critical", {"change": 0.001, "epochs": 3, "grad_norm": None})
    text = finding.describe_evidence("en")
    assert "None" not in text and text.endswith("= —")


def test_overfitting_after_a_divergence_is_a_symptom_not_a_root_cause():
    from treino.diagnostics import Finding
    from treino.diagnostics.rules import link_causes

    findings = link_causes([Finding("divergence", "critical", {}),
                            Finding("overfitting", "warning", {})])
    assert findings[1].caused_by == "divergence"
