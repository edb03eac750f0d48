"""Saving and loading models: one zip of JSON + .npz, no pickle, atomic, exact resumption."""

import os
import zipfile

import numpy as np
import pytest

import treino
from treino import layers, models, optimizers


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    return x, y


def make_model():
    model = models.Sequential([
        layers.Dense(16, activation="relu", input_shape=(5,)),
        layers.BatchNormalization(),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def test_save_load_predicts_identically_and_keeps_compile(tmp_path):
    treino.seed(0)
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "modelo.treino"
    model.save(path)
    assert zipfile.is_zipfile(path)
    assert set(zipfile.ZipFile(path).namelist()) == {"config.json", "model.weights.npz",
                                                      "optimizer.npz"}  # fmt: skip
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.optimizer) is optimizers.Adam
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]


def test_save_load_continue_matches_uninterrupted_training(tmp_path):
    x, y = data()
    treino.seed(5)
    straight = make_model()
    treino.seed(11)
    straight.fit(x, y, epochs=4, batch_size=8, verbose=0)

    treino.seed(5)
    first = make_model()
    treino.seed(11)
    first.fit(x, y, epochs=2, batch_size=8, verbose=0)
    first.save(tmp_path / "half.treino")
    resumed = models.load_model(tmp_path / "half.treino")
    treino.seed(11)
    history = resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2
    for a, b in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_functional_and_subclassed_models_round_trip(tmp_path):
    inputs = layers.Input(shape=(5,))
    hidden = layers.Dense(4, activation="tanh")(inputs)
    outputs = layers.Dense(2)(layers.Concatenate()([inputs, hidden]))
    model = models.Model(inputs, outputs)
    model.save(tmp_path / "f.treino")
    x, _ = data(8)
    np.testing.assert_array_equal(models.load_model(tmp_path / "f.treino").predict(x, verbose=0),
                                  model.predict(x, verbose=0))  # fmt: skip

    class Tiny(models.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    tiny = Tiny()
    tiny.predict(x, verbose=0)
    tiny.save(tmp_path / "t.treino")
    with pytest.raises(ValueError, match="custom_objects"):
        models.load_model(tmp_path / "t.treino")
    again = models.load_model(tmp_path / "t.treino", custom_objects={"Tiny": Tiny})
    np.testing.assert_array_equal(again.predict(x, verbose=0), tiny.predict(x, verbose=0))


def test_subclassed_model_without_get_config_fails_at_save_time(tmp_path):
    class NoConfig(models.Model):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    model = NoConfig(2)
    model.predict(np.ones((1, 3)), verbose=0)
    with pytest.raises(NotImplementedError, match="get_config"):
        model.save(tmp_path / "x.treino")
    assert os.listdir(tmp_path) == []
    model.save_weights(tmp_path / "w.npz")  # the weights alone always save
    other = NoConfig(2)
    other.predict(np.ones((1, 3)), verbose=0)
    other.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


def test_weights_of_another_architecture_are_refused_without_change(tmp_path):
    model = make_model()
    model.save_weights(tmp_path / "w.npz")
    other = models.Sequential([layers.Dense(7, input_shape=(5,)), layers.Dense(3)])
    before = other.get_weights()
    with pytest.raises(ValueError, match="holds 8 weights"):
        other.load_weights(tmp_path / "w.npz")
    for a, b in zip(other.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


class _Payload:
    """Unpickling this would create a file: the test checks it never happens."""

    marker = None

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_planted_in_a_model_file_is_refused_and_never_run(tmp_path):
    model = make_model()
    path = tmp_path / "evil.treino"
    model.save(path)
    marker = tmp_path / "pwned"
    _Payload.marker = str(marker)
    evil_npz = tmp_path / "evil.npz"
    np.savez(evil_npz, **{"0": np.array([_Payload()], dtype=object)})
    with zipfile.ZipFile(path) as z:
        config = z.read("config.json")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", config)
        z.write(evil_npz, "model.weights.npz")
    with pytest.raises(ValueError, match="pickled objects, which treino never loads"):
        models.load_model(path)
    assert not marker.exists()


def test_corrupt_truncated_and_foreign_files_give_one_clear_error(tmp_path):
    model = make_model()
    good = tmp_path / "m.treino"
    model.save(good)
    truncated = tmp_path / "truncated.treino"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="corrupt or truncated|not a treino model"):
        models.load_model(truncated)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("hello")
    with pytest.raises(ValueError, match="not a treino model file"):
        models.load_model(foreign)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.md", "x")
    with pytest.raises(ValueError, match="not a treino model file"):
        models.load_model(other_zip)
    bad_json = tmp_path / "bad.treino"
    with zipfile.ZipFile(bad_json, "w") as z:
        z.writestr("config.json", "{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        models.load_model(bad_json)
    with pytest.raises(FileNotFoundError):
        models.load_model(tmp_path / "missing.treino")


def test_save_is_atomic_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    model = make_model()
    path = tmp_path / "m.treino"
    model.save(path)
    original = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["m.treino"]
