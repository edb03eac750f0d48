"""treino.config: defaults, overrides, checks that name the key, and what a config builds."""

from __future__ import annotations

import numpy as np
import pytest

from treino import optimizers
from treino.config import (
    DEFAULTS,
    ConfigError,
    batch_size_of,
    build_model,
    load_config,
    load_dataset,
    make_optimizer,
    parse_override,
    resolve,
    scale_inputs,
    set_key,
    train,
)
from treino.io import save_npz

TOY = {"data": {"dataset": "moons", "scaling": "standard", "flatten": False, "n_samples": 200},
       "model": {"layers": [{"type": "Dense", "units": 8, "activation": "tanh"},
                            {"type": "Dense", "units": 2, "activation": "softmax"}]},
       "fit": {"epochs": 3}, "callbacks": {"doctor": False}}  # fmt: skip


def test_no_config_is_the_course_mlp_on_the_sample():
    config = load_config()
    assert config == resolve({}) and config["model"] == DEFAULTS["model"]
    data = load_dataset(config)
    assert data.x_train.shape == (8000, 784) and data.x_val.shape == (2000, 784)
    assert data.x_test.shape == (2000, 784) and 0.0 <= data.x_train.min() <= data.x_train.max() <= 1
    model = build_model(config, (784,))
    assert model.count_params() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def test_overrides_are_read_as_toml_values():
    assert parse_override("fit.shuffle=false") == ("fit.shuffle", False)
    assert parse_override("name=meu teste") == ("name", "meu teste")
    config = load_config(overrides=["compile.optimizer_args={momentum = 0.5}",
                                    ("fit.batch_size", 64)])  # fmt: skip
    assert config["compile"]["optimizer_args"] == {"momentum": 0.5}
    assert config["fit"]["batch_size"] == 64
    with pytest.raises(ConfigError, match="must read key=value"):
        parse_override("fit.epochs")
    assert set_key({"a": {"b": 1}}, "a.c", 2) == {"a": {"b": 1, "c": 2}}


@pytest.mark.parametrize(("given", "key", "message"), [
    ({"fit": {"epochs": 0}}, "fit.epochs", "integer >= 1"),
    ({"fit": {"epochs": True}}, "fit.epochs", "expected an integer"),
    ({"compile": {"learning_rate": -1.0}}, "compile.learning_rate", "positive"),
    ({"compile": {"learning_rate": "alto"}}, "compile.learning_rate", "expected a number"),
    ({"data": {"validation_split": 1.5}}, "data.validation_split", "fraction"),
    ({"data": {"scaling": "z"}}, "data.scaling", "expected one of"),
    ({"fit": {"mode": "minibach"}}, "fit.mode", "did you mean 'minibatch'"),
    ({"data": {"dataset": "csv"}}, "data.path", "needs the file's path"),
    ({"model": {"layers": []}}, "model.layers", "at least one layer"),
    ({"model": {"layers": [{"units": 3}]}}, "model.layers[0]", "with a 'type'"),
    ({"modle": {}}, "modle", "did you mean 'model'"),
    ({"fit": 3}, "fit", "expected a table"),
])  # fmt: skip
def test_every_mistake_names_its_key(given, key, message):
    with pytest.raises(ConfigError, match=message) as error:
        resolve(given)
    assert error.value.key == key and str(error.value).startswith(f"config key '{key}'")


def test_model_errors_name_the_layer_and_the_optimizer_args():
    config = resolve({**TOY, "model": {"layers": [{"type": "Dense", "unit": 3}]}})
    with pytest.raises(ConfigError, match=r"model.layers\[0\]': Dense: "):
        build_model(config, (2,))
    with pytest.raises(ConfigError, match="compile.optimizer_args"):
        build_model(resolve({**TOY, "compile": {"optimizer_args": {"beta": 1}}}), (2,))
    with pytest.raises(ConfigError, match="schedule.type"):
        build_model(resolve({**TOY, "schedule": {"type": "Cosine"}}), (2,))


def test_course_optimizer_names():
    nesterov = make_optimizer("nesterov", 0.01)
    assert isinstance(nesterov, optimizers.SGD) and nesterov.get_config()["nesterov"] is True
    assert isinstance(make_optimizer("AdamW", 1e-3), optimizers.AdamW)
    with pytest.raises(ConfigError, match="did you mean 'adam'"):
        make_optimizer("adan", 1e-3)


def test_gradient_descent_modes_pick_the_batch_size():
    for mode, expected in (("batch", None), ("sgd", 1), ("minibatch", 16)):
        config = resolve({**TOY, "fit": {"mode": mode, "batch_size": 16}})
        assert batch_size_of(config, 100) == expected


def test_a_schedule_drives_the_learning_rate():
    config = resolve({**TOY, "schedule": {"type": "ExponentialDecay", "decay_steps": 1,
                                          "decay_rate": 0.5}})  # fmt: skip
    result = train(config, verbose=0)
    assert result.history["learning_rate"][0] > result.history["learning_rate"][-1]


def test_training_is_reproducible_from_the_seed():
    first, second = train(resolve(TOY), verbose=0), train(resolve(TOY), verbose=0)
    assert first.history == second.history and first.test == second.test
    third = train(resolve({**TOY, "seed": 7}), verbose=0)
    assert third.history["loss"] != first.history["loss"]


def test_npz_and_csv_datasets_and_scaling_new_inputs(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, size=(100, 3)).astype("float32")
    y = (x[:, 0] > 5).astype("int64")
    save_npz(tmp_path / "dados.npz", {"x": x, "y": y})
    config = resolve({**TOY, "data": {"dataset": "npz", "path": str(tmp_path / "dados.npz"),
                                      "scaling": "standard", "flatten": False}})  # fmt: skip
    data = load_dataset(config)
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 100
    assert abs(data.x_train.mean()) < 0.2 and str(tmp_path / "dados.npz") in data.files
    np.testing.assert_allclose(scale_inputs(config, x[:5], data.scaler),
                               data.scaler.transform(x[:5]), rtol=1e-6)  # fmt: skip
    lines = ["a,b,alvo"] + [f"{i},{i % 3},{i % 2}" for i in range(60)]
    (tmp_path / "t.csv").write_text("\n".join(lines))
    config = resolve({**TOY, "data": {"dataset": "csv", "path": str(tmp_path / "t.csv"),
                                      "target": "alvo", "scaling": "minmax"}})  # fmt: skip
    assert load_dataset(config).x_train.shape[1] == 2
    missing = resolve({**TOY, "data": {"dataset": "npz", "path": str(tmp_path / "x.npz")}})
    with pytest.raises(ConfigError, match="no data file"):
        load_dataset(missing)
    wrong_key = resolve({**TOY, "data": {"dataset": "npz", "path": str(tmp_path / "dados.npz"),
                                         "x_key": "features"}})  # fmt: skip
    with pytest.raises(ConfigError, match="has no array 'features'"):
        load_dataset(wrong_key)


def test_the_scaler_learns_from_the_training_samples_only():
    config = load_config(None, ["data.dataset='moons'", "data.n_samples=200",
                                "data.scaling='standard'", "data.validation_split=0.25"])
    data = load_dataset(config)
    assert data.scaler.n_samples_seen_ == len(data.x_train)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-5)
    assert abs(float(data.x_val.mean())) > 1e-4  # validation keeps its own offset


def test_mnist_has_no_embedded_sample():
    config = load_config(None, ["data.dataset='mnist'"])
    with pytest.raises(ConfigError, match=r"data.sample.*fashion_mnist has one"):
        load_dataset(config)


def test_a_run_names_its_layers_from_dense_whatever_was_built_before():
    from treino.layers import Dense

    Dense(3)
    Dense(3)  # names taken in this process: dense_k, dense_k+1
    config = load_config(None, ["fit.epochs=1", "data.limit=64", "callbacks.doctor=false",
                                "data.validation_split=0"])
    result = train(config, verbose=0)
    assert [layer.name for layer in result.model.layers][0] == "dense"
