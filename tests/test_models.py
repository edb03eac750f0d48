"""treino.models: Sequential / functional / subclassed models and the one training loop."""

import math
import os
import signal

import numpy as np
import pytest

import treino
from treino import callbacks, layers, models, optimizers


def course_mlp(dropout=0.2):
    from treino.layers import Dense, Dropout
    from treino.models import Sequential

    return Sequential([
        Dense(128, activation="relu", input_shape=(784,)),
        Dropout(dropout),
        Dense(64, activation="relu"),
        Dropout(dropout),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


def blobs(n=96, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    centers = rng.normal(0, 3, (classes, features))
    x = centers[y] + rng.normal(0, 1, (n, features))
    return x.astype("float32"), y


def small_model(features=4, classes=3, dropout=0.0):
    stack = [layers.Dense(16, activation="relu", input_shape=(features,))]
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(classes, activation="softmax"))
    return models.Sequential(stack)


# ------------------------------------------------------------------ the course
def test_course_mlp_summary_reports_109386_parameters():
    model = course_mlp()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert model.count_params() == 109_386
    assert "Total params: 109,386" in text
    assert "Trainable params: 109,386" in text
    assert "Non-trainable params: 0" in text
    assert "dense (Dense)" in text or "(Dense)" in text
    assert "(None, 128)" in text and "(None, 10)" in text
    assert "100,480" in text and "8,256" in text and "650" in text


def test_course_snippet_building_and_training_a_network(capsys):
    # "Prática: Construindo e Treinando uma Rede" — only the imports changed.
    import treino as tf  # noqa: F401  (was: import tensorflow as tf)
    from treino.layers import Dense, Dropout
    from treino.models import Sequential

    # Definindo a arquitetura da rede
    modelo = Sequential([
        Dense(128, activation="relu", input_shape=(784,)),
        Dropout(0.2),
        Dense(64, activation="relu"),
        Dropout(0.2),
        Dense(10, activation="softmax"),
    ])  # fmt: skip

    # Compilando o modelo
    modelo.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    # Resumo da arquitetura
    modelo.summary()
    printed = capsys.readouterr().out
    assert "Total params: 109,386" in printed

    rng = np.random.default_rng(0)
    x_train, y_train = rng.random((64, 784), dtype="float32"), rng.integers(0, 10, 64)
    history = modelo.fit(x_train, y_train, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "learning_rate"}


def test_course_snippet_optimizers_in_keras():
    # "Prática: Otimizadores no Keras" — only the imports changed.
    import treino as tf  # was: import tensorflow as tf
    from treino.optimizers import (
        SGD,  # was: from tensorflow.keras.optimizers import SGD
        Adam,  # was: from tensorflow.keras.optimizers import Adam
    )

    rng = np.random.default_rng(1)
    x_train = rng.random((40, 784), dtype="float32")
    modelo = course_mlp()

    sgd = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    modelo.compile(optimizer=sgd, loss="mse", metrics=["mae"])
    history = modelo.fit(x_train, rng.random((40, 10)), epochs=1, verbose=0)
    assert "mae" in history.history

    adam = Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    modelo.compile(optimizer=adam, loss="binary_crossentropy", metrics=["accuracy"])
    y_train = (rng.random((40, 10)) > 0.5).astype("float32")

    def scheduler(epoch, lr):
        if epoch < 10:
            return lr
        else:
            return lr * tf.math.exp(-0.1)

    callback = tf.keras.callbacks.LearningRateScheduler(scheduler)
    history = modelo.fit(x_train, y_train, epochs=12, callbacks=[callback], verbose=0)
    lrs = history.history["learning_rate"]
    assert lrs[:10] == pytest.approx([0.001] * 10)
    assert lrs[10] == pytest.approx(0.001 * math.exp(-0.1), rel=1e-5)
    assert lrs[11] == pytest.approx(0.001 * math.exp(-0.2), rel=1e-5)
    assert "accuracy" in history.history  # binary accuracy, resolved from the loss


# ------------------------------------------------------- forms of gradient descent
@pytest.mark.parametrize(("batch_size", "updates"), [(None, 1), (1, 50), (32, 2), (7, 8)])
def test_full_batch_stochastic_and_mini_batch_update_counts(batch_size, updates):
    x, y = blobs(n=50)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=batch_size, epochs=3, verbose=0)
    assert model.optimizer.iterations == 3 * updates


def test_mini_batch_learns_the_blobs():
    treino.seed(0)
    x, y = blobs(n=300)
    model = small_model()
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(x, y, epochs=15, verbose=0, validation_split=0.2)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss,
                                                                 "accuracy": accuracy}


def test_same_seed_gives_identical_history():
    x, y = blobs(n=120)

    def run():
        treino.seed(7)
        model = small_model(dropout=0.3)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        history = model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)
        return history.history, model.get_weights()

    (h1, w1), (h2, w2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ bad input
def _fresh_compiled():
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model, model.get_weights()


def _assert_untouched(model, before):
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0


def test_length_mismatch_is_refused_before_any_update():
    x, y = blobs(n=40)
    model, before = _fresh_compiled()
    with pytest.raises(ValueError, match="same number of samples.*40.*39"):
        model.fit(x, y[:-1], verbose=0)
    _assert_untouched(model, before)


def test_label_out_of_range_is_refused_before_any_update():
    x, y = blobs(n=40)
    y = y.copy()
    y[-1] = 3  # the model has 3 outputs: labels 0, 1, 2
    model, before = _fresh_compiled()
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 2\].*received label 3"):
        model.fit(x, y, verbose=0, batch_size=4)
    _assert_untouched(model, before)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x_is_refused_before_any_update(bad):
    x, y = blobs(n=40)
    x[33, 2] = bad
    model, before = _fresh_compiled()
    with pytest.raises(ValueError, match=r"x contains (NaN|inf) \(first at index \(33, 2\)\)"):
        model.fit(x, y, verbose=0, batch_size=4)
    _assert_untouched(model, before)


def test_wrong_input_width_is_refused_before_any_update():
    x, y = blobs(n=40, features=5)
    model, before = _fresh_compiled()
    with pytest.raises(ValueError, match="input to have size 4|incompatible"):
        model.fit(x, y, verbose=0)
    _assert_untouched(model, before)


def test_fit_before_compile_says_what_to_do():
    with pytest.raises(RuntimeError, match="compile"):
        small_model().fit(*blobs(), verbose=0)


# ---------------------------------------------------------- functional models
def test_functional_model_with_two_inputs_two_outputs_and_a_skip():
    treino.seed(1)
    a = layers.Input(shape=(4,), name="a")
    b = layers.Input(shape=(2,), name="b")
    h = layers.Dense(4, activation="relu")(a)
    h = layers.Add()([a, h])  # skip connection
    merged = layers.Concatenate()([h, b])
    cls = layers.Dense(3, activation="softmax", name="cls")(merged)
    reg = layers.Dense(1, name="reg")(merged)
    model = models.Model(inputs=[a, b], outputs=[cls, reg])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5],
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})  # fmt: skip
    x, y = blobs(n=64)
    xb = np.random.default_rng(0).random((64, 2)).astype("float32")
    target = x.sum(axis=1, keepdims=True)
    history = model.fit([x, xb], [y, target], epochs=2, verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"} <= set(history.history)
    # the total is the weighted sum of the parts (no regularizers here)
    logs = model.evaluate([x, xb], [y, target], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-5)
    probabilities, values = model.predict([x, xb], verbose=0)
    assert probabilities.shape == (64, 3) and values.shape == (64, 1)
    # the config rebuilds the same graph
    rebuilt = models.Functional.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    p2, v2 = rebuilt.predict([x, xb], verbose=0)
    np.testing.assert_allclose(p2, probabilities, rtol=1e-6)
    np.testing.assert_allclose(v2, values, rtol=1e-6)


def test_shared_layer_in_a_functional_model_gets_one_set_of_weights():
    x1, x2 = layers.Input(shape=(3,)), layers.Input(shape=(3,))
    shared = layers.Dense(2)
    out = layers.Add()([shared(x1), shared(x2)])
    model = models.Model([x1, x2], out)
    assert model.count_params() == 3 * 2 + 2
    a = np.ones((1, 3), "float32")
    expected = 2 * (a @ shared.kernel.data + shared.bias.data)
    np.testing.assert_allclose(model.predict([a, a], verbose=0), expected, rtol=1e-6)


# --------------------------------------------------------- subclassed models
class Residual(models.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="relu")
        self.drop = layers.Dropout(0.5)
        self.head = layers.Dense(3, activation="softmax")

    def call(self, x):
        return self.head(self.drop(self.inner(x)))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_trains_and_dropout_follows_the_training_flag():
    treino.seed(3)
    x, y = blobs(n=64)
    model = Residual()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    a = model.predict(x, verbose=0)
    np.testing.assert_array_equal(a, model.predict(x, verbose=0))  # inference: no dropout
    with treino.no_grad():
        t1, t2 = model(x, training=True).data, model(x, training=True).data
    assert not np.array_equal(t1, t2)  # the nested Dropout inherits training=True


def test_fit_accepts_generators_datasets_and_steps_per_epoch():
    from treino.data import Dataset

    x, y = blobs(n=60)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")

    def batches():
        while True:
            for i in range(0, 60, 20):
                yield x[i : i + 20], y[i : i + 20]

    model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert model.optimizer.iterations == 6
    model.fit(Dataset(x, y, batch_size=15), epochs=1, verbose=0)
    assert model.optimizer.iterations == 10
    model.fit([(x[:30], y[:30]), (x[30:], y[30:])], epochs=2, verbose=0)  # a re-iterable list
    assert model.optimizer.iterations == 14


def test_sample_weight_and_class_weight_scale_the_loss():
    x, y = blobs(n=30)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = model.test_on_batch(x, y)
    assert model.test_on_batch(x, y, sample_weight=np.full(30, 2.0)) == pytest.approx(2 * plain)
    weighted = model.evaluate(x, y, verbose=0, batch_size=7, sample_weight=np.full(30, 3.0))
    assert weighted == pytest.approx(3 * plain, rel=1e-5)
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="class_weight has no weight for class"):
        model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)


def test_on_batch_methods_and_predict():
    x, y = blobs(n=10)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.train_on_batch(x, y)
    assert model.optimizer.iterations == 1 and 0 <= accuracy <= 1 and loss > 0
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, batch_size=3,
                                                                        verbose=0), rtol=1e-6)


# ------------------------------------------------------------------ callbacks
def test_early_stopping_restores_the_best_weights_and_history_has_lr():
    x, y = blobs(n=60)
    model = small_model()
    model.compile(optimizer=optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    stop = callbacks.EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[stop])
    assert history.history["learning_rate"] == pytest.approx([0.05] * 5)
    assert stop.best == pytest.approx(min(history.history["loss"]))


def test_reduce_lr_on_plateau_lowers_the_learning_rate():
    x, y = blobs(n=30)
    model = small_model()
    model.compile(optimizer=optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    model.optimizer.learning_rate = 0.1
    x_noise = x * 0  # a constant input: the loss can only plateau
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10)
    history = model.fit(x_noise, y, epochs=4, verbose=0, callbacks=[reduce])
    assert history.history["learning_rate"][-1] < 0.1


def test_model_checkpoint_writes_loadable_models(tmp_path):
    x, y = blobs(n=40)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = str(tmp_path / "ckpt-{epoch:02d}.treino")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01.treino", "ckpt-02.treino"]
    loaded = models.load_model(tmp_path / "ckpt-02.treino")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_ctrl_c_stops_after_the_current_batch_and_returns_the_history():
    x, y = blobs(n=80)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    interrupt = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batch == 2 and os.kill(os.getpid(), signal.SIGINT)
    )
    history = model.fit(x, y, epochs=3, batch_size=10, verbose=0,
                        callbacks=[interrupt])  # fmt: skip
    # the signal arrives during batch 2 of epoch 0: that update completes, then training stops
    assert model.optimizer.iterations == 3
    assert history.history.get("loss", []) == []  # no epoch was completed
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = blobs(n=20)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    epoch_lines = [line for line in lines if "loss" in line]
    assert len(epoch_lines) == 3
    assert "accuracy" in epoch_lines[0]


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM from /proc")
def test_fit_on_a_memory_map_keeps_the_process_small(tmp_path):
    import subprocess
    import sys

    rows, width = 25_000, 1024  # 100 MiB of float32
    path = tmp_path / "x.f32"
    mm = np.memmap(path, dtype="float32", mode="w+", shape=(rows, width))
    mm[:] = 0.01
    mm.flush()
    del mm
    code = f"""
import numpy as np
from treino import layers, models
def peak():
    return [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]
x = np.memmap({str(path)!r}, dtype='float32', mode='r', shape=({rows}, {width}))
model = models.Sequential([layers.Dense(8, input_shape=({width},)), layers.Dense(2)])
model.compile(optimizer='adam', loss='mse')
before = peak()
model.fit(x, np.zeros(({rows}, 2)), batch_size=500, epochs=1, verbose=0)
print((peak() - before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    grown_mib = float(out.stdout.strip().splitlines()[-1])
    assert grown_mib < 30, f"peak RSS grew by {grown_mib:.0f} MiB over an epoch of a 100 MiB map"


def test_readme_training_snippet_runs(tmp_path, monkeypatch):
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = next(s for s in re.findall(r"```python\n(.*?)```", readme, re.S)
                   if "modelo.fit" in s)  # fmt: skip
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert set(namespace["historico"].history) == {"loss", "accuracy", "val_loss",
                                                   "val_accuracy", "learning_rate"}  # fmt: skip
    assert namespace["acuracia"] > 0.75
    x = namespace["x_test"][:50]
    np.testing.assert_array_equal(namespace["copia"].predict(x, verbose=0),
                                  namespace["modelo"].predict(x, verbose=0))  # fmt: skip


# ------------------------------------------------------- Model.from_config
def test_model_from_config_of_a_functional_config_builds_a_functional_model():
    from treino.layers import Dense, Input
    from treino.models import Model

    x = Input((2,))
    m = Model(x, Dense(1)(x))
    clone = Model.from_config(m.get_config())
    assert isinstance(clone, models.Functional) and clone is not m
    clone.set_weights(m.get_weights())
    data = np.random.default_rng(0).random((5, 2)).astype("float32")
    np.testing.assert_array_equal(clone.predict(data, verbose=0), m.predict(data, verbose=0))


def test_model_from_config_rebuilds_two_inputs_two_outputs_and_a_skip():
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="b")
    h = layers.Dense(3, activation="relu", name="h")(layers.Add(name="add")([a, b]))
    out1 = layers.Dense(2, name="out1")(layers.Add(name="skip")([a, h]))
    out2 = layers.Dense(1, name="out2")(h)
    m = models.Model([a, b], [out1, out2], name="net")
    clone = models.Model.from_config(m.get_config())
    assert clone.name == "net" and [layer.name for layer in clone.layers] == [
        layer.name for layer in m.layers]  # fmt: skip
    clone.set_weights(m.get_weights())
    rng = np.random.default_rng(1)
    data = [rng.random((4, 3)).astype("float32"), rng.random((4, 3)).astype("float32")]
    for x, y in zip(clone.predict(data, verbose=0), m.predict(data, verbose=0), strict=True):
        np.testing.assert_array_equal(x, y)


def test_model_from_config_of_a_subclassed_model_still_calls_its_constructor():
    class Net(models.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.out = layers.Dense(units)

        def call(self, x):
            return self.out(x)

        def get_config(self):
            return {"units": self.units, "name": self.name}

    clone = Net.from_config(Net(units=3, name="net").get_config())
    assert type(clone) is Net and clone.units == 3 and clone.name == "net"
    bare = models.Model.from_config({"name": "bare"})
    assert type(bare) is models.Model and bare.name == "bare"


def _dict_and_list_models():
    """The same graph (shared weights) built once from a dict of inputs, once from a list."""
    a, b = layers.Input((2,), name="a"), layers.Input((3,), name="b")
    h = layers.Dense(4, activation="tanh")(layers.Concatenate()([a, b]))
    out = layers.Dense(1)(h)
    return models.Model({"a": a, "b": b}, out), models.Model([a, b], out)


def test_dict_inputs_predict_call_fit_evaluate_match_by_name():
    treino.seed(0)
    by_name, by_position = _dict_and_list_models()
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(10, 2)), rng.normal(size=(10, 3))
    y = rng.normal(size=(10, 1))
    x = {"b": xb, "a": xa}  # not the order of the Inputs: values go by key
    expected = by_position.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(by_name.predict(x, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(by_name(x).numpy(), expected, rtol=1e-6)
    assert by_name.get_config()["input_names"] == ["a", "b"]
    assert by_position.get_config()["input_names"] is None
    by_name.compile(optimizer="sgd", loss="mse")
    by_position.compile(optimizer="sgd", loss="mse")
    before = by_name.evaluate(x, y, verbose=0)
    assert before == pytest.approx(by_position.evaluate([xa, xb], y, verbose=0))
    history = by_name.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
                          validation_data=(x, y))  # fmt: skip
    assert len(history.history["val_loss"]) == 3
    assert by_name.evaluate(x, y, verbose=0) < before
    np.testing.assert_allclose(by_name.predict(x, verbose=0),
                               by_position.predict([xa, xb], verbose=0), rtol=1e-6)  # fmt: skip


def test_dict_inputs_round_trip_through_config_and_save_load(tmp_path):
    from treino.models.saving import load_model, save_model

    treino.seed(0)
    model, _ = _dict_and_list_models()
    x = {"b": np.ones((3, 3)), "a": np.arange(6.0).reshape(3, 2)}
    clone = models.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    save_model(model, tmp_path / "dict.treino")
    loaded = load_model(tmp_path / "dict.treino")
    assert loaded.get_config()["input_names"] == ["a", "b"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_dict_inputs_missing_or_extra_key_names_expected_and_received():
    model, _ = _dict_and_list_models()
    xa, xb = np.ones((2, 2)), np.ones((2, 3))
    with pytest.raises(ValueError, match=r"named \['a', 'b'\].*keys \['a'\].*missing \['b'\]"):
        model.predict({"a": xa}, verbose=0)
    with pytest.raises(ValueError, match=r"named \['a', 'b'\].*unexpected \['c'\]"):
        model({"a": xa, "b": xb, "c": xa})
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"missing \['a'\]"):
        model.fit({"b": xb}, np.ones((2, 1)), verbose=0)
