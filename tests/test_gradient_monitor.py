"""GradientMonitor: per-layer telemetry equal to what is computed by hand, kept and exported."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

import treino
from treino import initializers, layers, optimizers
from treino.autograd import enable_grad
from treino.callbacks import CSVLogger, GradientMonitor
from treino.callbacks.gradient_monitor import STATS, activation_stats
from treino.callbacks.progbar import format_logs
from treino.layers import base as layer_base
from treino.models import Sequential


def data(n=64, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype("float32"), rng.integers(0, classes, n)


def model(activation="relu", seed=0, **dense):
    treino.seed(seed)
    net = Sequential([layers.Input((6,)), layers.Dense(8, activation=activation, **dense),
                      layers.Dense(3, activation="softmax")])  # fmt: skip
    net.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return net


def test_history_holds_every_stat_per_layer_and_epoch():
    x, y = data()
    monitor = GradientMonitor()
    history = model().fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[monitor])
    assert len(monitor.layers) == 2
    hidden, output = monitor.layers
    for stat in ("grad_norm", "weight_norm", "update_ratio", "activation_mean", "activation_std"):
        for layer in (hidden, output):
            assert len(history.history[f"{stat}/{layer}"]) == 3
    assert len(history.history[f"dead_fraction/{hidden}"]) == 3  # ReLU only
    assert f"dead_fraction/{output}" not in history.history  # softmax: not applicable
    assert f"saturated_fraction/{hidden}" not in history.history
    assert len(monitor.records) == 3 * 2 and monitor.records[0]["step"] is None
    assert monitor.records[0]["activation"] == "relu"


def test_first_batch_numbers_equal_a_hand_computation():
    x, y = data()
    reference = model()
    weights = [w.copy() for w in reference.get_weights()]
    # the gradient of the first batch, by hand (same weights, same batch: shuffle=False)
    with enable_grad():
        loss = reference.compute_loss(x[:16], y[:16], reference(x[:16], training=True))
    loss.backward()
    kernel, bias = reference.layers[0].kernel, reference.layers[0].bias
    grad = math.sqrt(float(np.sum(kernel.grad.astype(np.float64) ** 2)
                           + np.sum(bias.grad.astype(np.float64) ** 2)))  # fmt: skip
    norm = math.sqrt(float(np.sum(weights[0].astype(np.float64) ** 2)
                           + np.sum(weights[1].astype(np.float64) ** 2)))  # fmt: skip
    hidden = np.maximum(x[:16] @ weights[0] + weights[1], 0.0)

    monitor = GradientMonitor(freq=1)
    model().fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0, callbacks=[monitor])
    first = monitor.records[0]
    assert first["step"] == 0 and first["layer"] == monitor.layers[0]
    assert first["grad_norm"] == pytest.approx(grad, rel=1e-5)
    assert first["weight_norm"] == pytest.approx(norm, rel=1e-6)
    # plain SGD: ΔW = −η·g, so ‖ΔW‖/‖W‖ = η·‖g‖/‖W‖
    assert first["update_ratio"] == pytest.approx(0.1 * grad / norm, rel=1e-4)
    assert first["activation_mean"] == pytest.approx(hidden.mean(), rel=1e-5)
    assert first["activation_std"] == pytest.approx(hidden.std(), rel=1e-5)
    dead = np.mean(hidden.max(axis=0) == 0)
    assert first["dead_fraction"] == pytest.approx(dead)


def test_freq_k_measures_every_kth_batch_across_epochs():
    x, y = data(n=64)
    monitor = GradientMonitor(freq=3)
    history = model().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[monitor])
    steps = sorted({r["step"] for r in monitor.records})
    assert steps == [0, 3, 6]  # 4 batches per epoch, 8 in all
    assert len(history.history[f"grad_norm/{monitor.layers[0]}"]) == 2
    epoch_1 = [r["grad_norm"] for r in monitor.records
               if r["epoch"] == 1 and r["layer"] == monitor.layers[0]]  # fmt: skip
    assert history.history[f"grad_norm/{monitor.layers[0]}"][1] == pytest.approx(np.mean(epoch_1))


def test_dead_relus_are_counted_over_the_whole_epoch():
    x, y = data()
    monitor = GradientMonitor()
    dead = model(bias_initializer=initializers.Constant(-100.0))
    history = dead.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    assert history.history[f"dead_fraction/{monitor.layers[0]}"] == [1.0, 1.0]
    assert history.history[f"grad_norm/{monitor.layers[0]}"][0] == 0.0
    alive = model(bias_initializer=initializers.Constant(100.0))
    history = alive.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    assert history.history[f"dead_fraction/{monitor.layers[0]}"] == [0.0]


def test_saturation_of_sigmoid_and_tanh():
    assert activation_stats(np.array([0.005, 0.5, 0.995, 0.2]), "sigmoid")["saturated_fraction"] \
        == 0.5  # fmt: skip
    assert activation_stats(np.array([0.98, -0.99, 0.5, 0.0]), "tanh")["saturated_fraction"] == 0.5
    x, y = data()
    monitor = GradientMonitor()
    saturated = model("tanh", kernel_initializer=initializers.RandomNormal(stddev=30.0))
    history = saturated.fit(x * 10, y, epochs=1, verbose=0, callbacks=[monitor])
    assert history.history[f"saturated_fraction/{monitor.layers[0]}"][0] > 0.9


def test_monitoring_does_not_change_training():
    x, y = data()
    plain = model().fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    watched = model().fit(x, y, epochs=2, shuffle=False, verbose=0,
                          callbacks=[GradientMonitor()]).history["loss"]  # fmt: skip
    assert plain == watched


def test_observer_is_removed_after_fit_even_when_fit_fails():
    x, y = data()
    net = model()
    net.fit(x, y, epochs=1, verbose=0, callbacks=[GradientMonitor()])
    assert layer_base._output_observers == []
    with pytest.raises(ValueError):
        net.fit(x, y + 5, epochs=1, verbose=0, callbacks=[GradientMonitor()])
    monitor = GradientMonitor()
    net.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])  # a new fit starts clean
    assert layer_base._output_observers == [] and len(monitor.records) == 2


def test_export_to_csv_and_json(tmp_path):
    x, y = data()
    monitor = GradientMonitor()
    model().fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    monitor.to_csv(tmp_path / "gradientes.csv")
    monitor.to_json(tmp_path / "gradientes.json")
    with open(tmp_path / "gradientes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and list(rows[0]) == ["epoch", "step", "layer", "activation", *STATS]
    assert float(rows[0]["grad_norm"]) == pytest.approx(monitor.records[0]["grad_norm"])
    assert rows[1]["dead_fraction"] == ""  # not applicable to the softmax layer
    payload = json.loads((tmp_path / "gradientes.json").read_text())
    assert payload["layers"] == monitor.layers and payload["records"] == monitor.records
    assert monitor.history("grad_norm")[monitor.layers[0]] == [
        r["grad_norm"] for r in monitor.records if r["layer"] == monitor.layers[0]]
    with pytest.raises(ValueError, match="stat must be one of"):
        monitor.history("gradient")


def test_telemetry_reaches_csv_logger_but_not_the_progress_line(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    net = model()
    net_layers = [layer.name for layer in net.layers]
    net.fit(x, y, epochs=1, verbose=0, callbacks=[GradientMonitor(), CSVLogger(path)])
    header = path.read_text().splitlines()[0]
    assert f"grad_norm/{net_layers[0]}" in header
    assert format_logs({"loss": 1.0, "grad_norm/dense": 2.0}) == "loss: 1.0000"


def test_frozen_layers_and_conv_nets_are_monitored():
    treino.seed(0)
    net = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                      layers.Flatten(), layers.Dense(3, activation="softmax")])  # fmt: skip
    net.layers[0].trainable = False
    net.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(32, 8, 8, 1)).astype("float32")
    monitor = GradientMonitor()
    history = net.fit(x, np.arange(32) % 3, epochs=1, verbose=0, callbacks=[monitor])
    conv = monitor.layers[0]
    assert f"grad_norm/{conv}" not in history.history  # frozen: no gradient, no update
    assert 0.0 <= history.history[f"dead_fraction/{conv}"][0] <= 1.0


@pytest.mark.parametrize("freq", [0, -1, "batch", 1.5, True])
def test_bad_freq_is_refused(freq):
    with pytest.raises(ValueError, match="freq must be 'epoch' or an integer >= 1"):
        GradientMonitor(freq=freq)
