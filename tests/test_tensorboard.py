"""treino.callbacks.tensorboard: real event files, read back with TensorBoard's own reader."""

import sys

import numpy as np
import pytest

import treino
from treino.callbacks import Callback, GradientMonitor, LambdaCallback
from treino.callbacks.tensorboard import TensorBoard
from treino.layers import Dense
from treino.models import Sequential

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

SAMPLES, BATCH, EPOCHS = 64, 16, 3
STEPS = SAMPLES // BATCH  # 4 updates per epoch


def data(seed=0, n=SAMPLES):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def tiny_model():
    treino.seed(0)
    model = Sequential([Dense(5, activation="relu", input_shape=(4,)),
                        Dense(3, activation="softmax")])  # fmt: skip
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def read(path):
    """All the events of one run folder (every event file in it)."""
    accumulator = event_accumulator.EventAccumulator(
        str(path), size_guidance={"histograms": 0, "scalars": 0, "tensors": 0}
    )
    accumulator.Reload()
    return accumulator


def series(accumulator, tag):
    events = accumulator.Scalars(tag)
    return [e.step for e in events], np.array([e.value for e in events])


def float32(values):
    return np.asarray(values, dtype=np.float32)


class GradientSpy(Callback):
    """Keeps a copy of the gradients seen at the end of each training batch."""

    def __init__(self):
        super().__init__()
        self.last = {}

    def on_train_batch_end(self, batch, logs=None):
        self.last = {v.path: v.grad.copy() for v in self.model.trainable_weights}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One fit with validation and histograms every epoch, shared by the read-back tests."""
    log_dir = tmp_path_factory.mktemp("tb") / "run"
    model = tiny_model()
    spy = GradientSpy()
    x, y = data()
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_data=data(seed=1),
                        callbacks=[spy, TensorBoard(log_dir, histogram_freq=1)],
                        verbose=0, shuffle=False)  # fmt: skip
    return {"log_dir": log_dir, "model": model, "history": history.history, "spy": spy,
            "train": read(log_dir / "train"), "validation": read(log_dir / "validation")}


# ------------------------------------------------------------------ scalars
def test_epoch_scalars_equal_the_history(trained):
    train, history = trained["train"], trained["history"]
    for name in ("loss", "accuracy", "learning_rate"):
        steps, values = series(train, f"epoch_{name}")
        assert steps == list(range(EPOCHS))
        np.testing.assert_array_equal(values, float32(history[name]))


def test_validation_goes_to_its_own_run_under_the_same_tag(trained):
    validation, history = trained["validation"], trained["history"]
    for name in ("loss", "accuracy"):
        steps, values = series(validation, f"epoch_{name}")
        assert steps == list(range(EPOCHS))
        np.testing.assert_array_equal(values, float32(history[f"val_{name}"]))
    assert history["val_loss"] != history["loss"]  # the two runs hold different curves
    train_tags = set(trained["train"].Tags()["scalars"])
    validation_tags = set(validation.Tags()["scalars"])
    assert not any("val_" in tag for tag in train_tags | validation_tags)
    assert "epoch_learning_rate" in train_tags
    assert "epoch_learning_rate" not in validation_tags


def test_validation_pass_is_written_against_the_update_count(trained):
    steps, values = series(trained["validation"], "evaluation_loss_vs_iterations")
    assert steps == [STEPS * (epoch + 1) for epoch in range(EPOCHS)]
    np.testing.assert_array_equal(values, float32(trained["history"]["val_loss"]))


# --------------------------------------------------------------- histograms
def test_histograms_of_every_weight_and_gradient(trained):
    model, train = trained["model"], trained["train"]
    weights = {v.path: v for v in model.weights}
    first, second = (layer.name for layer in model.layers)
    assert set(weights) == {f"{first}/kernel", f"{first}/bias", f"{second}/kernel",
                            f"{second}/bias"}  # fmt: skip
    expected = set(weights) | {f"{path}/gradient" for path in weights}
    assert set(train.Tags()["histograms"]) == expected
    for tag in expected:
        events = train.Histograms(tag)
        assert [e.step for e in events] == list(range(EPOCHS))
        size = weights[tag.removesuffix("/gradient")].data.size
        assert all(e.histogram_value.num == size for e in events)


def test_last_histograms_hold_the_final_weights_and_the_last_batch_gradient(trained):
    train, spy = trained["train"], trained["spy"]
    for variable in trained["model"].weights:
        for tag, values in ((variable.path, variable.data),
                            (f"{variable.path}/gradient", spy.last[variable.path])):  # fmt: skip
            histogram = train.Histograms(tag)[-1].histogram_value
            values = values.astype(np.float64)
            assert histogram.min == pytest.approx(values.min())
            assert histogram.max == pytest.approx(values.max())
            assert histogram.sum == pytest.approx(values.sum(), abs=1e-9)
            assert sum(histogram.bucket) == values.size


def test_histogram_freq_picks_the_epochs_and_zero_writes_none(tmp_path):
    x, y = data()
    model = tiny_model()
    model.fit(x, y, batch_size=BATCH, epochs=5, verbose=0,
              callbacks=[TensorBoard(tmp_path / "a", histogram_freq=2)])  # fmt: skip
    tag = f"{model.layers[0].name}/kernel/gradient"
    events = read(tmp_path / "a" / "train").Histograms(tag)
    assert [e.step for e in events] == [0, 2, 4]
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path / "b")])
    run = read(tmp_path / "b" / "train")
    assert run.Tags()["histograms"] == []
    assert "epoch_loss" in run.Tags()["scalars"]
    assert not (tmp_path / "b" / "validation").exists()  # no validation data: no such run


# ------------------------------------------------- batches and other callbacks
def test_update_freq_writes_the_batch_logs_every_k_updates(tmp_path):
    seen = {}
    recorder = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.setdefault(
        len(seen) + 1, logs["loss"]))  # fmt: skip
    x, y = data()
    tiny_model().fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                     callbacks=[recorder, TensorBoard(tmp_path, update_freq=5)])  # fmt: skip
    steps, values = series(read(tmp_path / "train"), "batch_loss")
    assert steps == [5, 10]  # 12 updates in all
    np.testing.assert_array_equal(values, float32([seen[5], seen[10]]))


def test_scalars_placed_in_the_logs_by_other_callbacks(tmp_path):
    def add_entries(epoch, logs):
        logs["extra"] = 0.25 * (epoch + 1)
        logs["lista"] = [1.0, 2.0]
        logs["texto"] = "nada"
        logs["flag"] = True

    x, y = data()
    model = tiny_model()
    first, second = (layer.name for layer in model.layers)
    history = model.fit(
        x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
        callbacks=[GradientMonitor(), LambdaCallback(on_epoch_end=add_entries),
                   TensorBoard(tmp_path)],
    ).history  # fmt: skip
    run = read(tmp_path / "train")
    tags = set(run.Tags()["scalars"])
    for key in (f"grad_norm/{first}", f"weight_norm/{second}", f"update_ratio/{first}"):
        steps, values = series(run, key)  # its own name as tag
        assert steps == list(range(EPOCHS))
        np.testing.assert_allclose(values, float32(history[key]), rtol=1e-6)
    _, extra = series(run, "epoch_extra")
    np.testing.assert_array_equal(extra, [0.25, 0.5, 0.75])
    assert not {"epoch_lista", "epoch_texto", "epoch_flag"} & tags


# ------------------------------------------------------- reuse and evaluate
def test_a_second_fit_continues_the_steps(tmp_path):
    x, y = data()
    model = tiny_model()
    callback = TensorBoard(tmp_path, update_freq=1)
    first = model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[callback])
    second = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[callback])
    run = read(tmp_path / "train")
    steps, values = series(run, "epoch_loss")
    assert steps == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(values, float32(first.history["loss"] + second.history["loss"]))
    batch_steps, _ = series(run, "batch_loss")
    assert batch_steps == list(range(1, 5 * STEPS + 1))
    assert len(list((tmp_path / "train").glob("*tfevents*"))) == 2  # one file per fit, none lost


def test_evaluate_alone_writes_the_evaluation(tmp_path):
    x, y = data()
    model = tiny_model()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(tmp_path)])
    run = read(tmp_path / "validation")
    for name, value in (("loss", loss), ("accuracy", accuracy)):
        steps, values = series(run, f"evaluation_{name}_vs_iterations")
        assert steps == [STEPS]  # the optimizer's update count after one epoch
        np.testing.assert_array_equal(values, float32([value]))
    assert not (tmp_path / "train").exists()


def test_a_fit_broken_by_an_exception_keeps_its_epochs_and_the_callback_works_again(tmp_path):
    def explode(batch, logs):
        if model.optimizer.iterations == STEPS + 2:  # in the middle of the second epoch
            raise RuntimeError("boom")

    x, y = data()
    model = tiny_model()
    callback = TensorBoard(tmp_path, histogram_freq=1)
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0,
                  callbacks=[LambdaCallback(on_train_batch_end=explode), callback])  # fmt: skip
    steps, _ = series(read(tmp_path / "train"), "epoch_loss")
    assert steps == [0]  # flushed at the end of the epoch, while the writer was still open
    history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[callback])
    steps, values = series(read(tmp_path / "train"), "epoch_loss")
    assert steps == [0, 1, 2]
    np.testing.assert_array_equal(values[1:], float32(history.history["loss"]))


# ------------------------------------------------------------------- errors
def test_missing_tensorboardx_gives_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "treino\[tensorboard\]"'):
        TensorBoard(tmp_path / "logs")
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"histogram_freq": -1}, ValueError),
    ({"histogram_freq": 1.5}, TypeError),
    ({"update_freq": "weekly"}, ValueError),
    ({"update_freq": 0}, ValueError),
    ({"update_freq": True}, TypeError),
    ({"log_dir": 3}, TypeError),
])  # fmt: skip
def test_bad_arguments_raise_before_anything_is_written(tmp_path, kwargs, error):
    log_dir = tmp_path / "logs"
    arguments = {"log_dir": log_dir, **kwargs}
    name = next(iter(kwargs))
    with pytest.raises(error, match=f"{name}.*Received: {name}="):
        TensorBoard(**arguments)
    assert not log_dir.exists()


def test_update_freq_batch_means_every_update(tmp_path):
    assert TensorBoard(tmp_path, update_freq="batch").update_freq == 1
    assert TensorBoard(tmp_path).update_freq == "epoch"
    assert list(tmp_path.iterdir()) == []  # constructing writes nothing
