"""treino.callbacks, driven by a stub model and a scripted loop (no real training)."""

import csv
import io
import math
import os
import sys
import warnings

import numpy as np
import pytest

from treino import callbacks
from treino.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
    resolve_verbose,
)
from treino.callbacks.monitor import metric_direction
from treino.callbacks.progbar import format_logs, format_value


# ------------------------------------------------------------------ the stubs
class StubOptimizer:
    def __init__(self, learning_rate=0.01):
        self._lr = learning_rate
        self.iterations = 0

    @property
    def learning_rate(self):
        return float(self._lr)

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)


class StubModel:
    """Exactly the interface the callbacks may rely on."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = StubOptimizer(learning_rate)
        self.history = None
        self.weights = [np.zeros(2)]
        self.saved = []  # (method, path)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath):
        self._write("save", filepath)

    def save_weights(self, filepath):
        self._write("save_weights", filepath)

    def _write(self, method, filepath):
        self.saved.append((method, os.fspath(filepath)))
        with open(filepath, "w") as f:
            f.write(method)


def fit(model, cbs, epoch_logs, steps=3, verbose=0, batch_loss=None, val=None):
    """A scripted ``fit``: epoch e's logs are ``epoch_logs[e]``; after epoch e the
    weights are ``[e, e]``. ``batch_loss(epoch, step)`` gives the batch logs' loss;
    ``val`` (a dict) runs a validation pass with those logs. Honours stop_training."""
    callback_list = CallbackList(cbs, add_history=True, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=len(epoch_logs), steps=steps)  # fmt: skip
    model.stop_training = False
    logs = {}
    callback_list.on_train_begin()
    for epoch, scripted in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for step in range(steps):
            callback_list.on_train_batch_begin(step)
            model.optimizer.iterations += 1
            model.weights = [np.full(2, float(epoch))]
            loss = batch_loss(epoch, step) if batch_loss else scripted.get("loss", 1.0)
            callback_list.on_train_batch_end(step, {"loss": loss})
            if model.stop_training:
                break
        logs = dict(scripted)
        if val is not None:
            callback_list.on_test_begin()
            callback_list.on_test_batch_begin(0)
            callback_list.on_test_batch_end(0, dict(val))
            callback_list.on_test_end(dict(val))
            logs.update({f"val_{k}": v for k, v in val.items()})
        logs["learning_rate"] = model.optimizer.learning_rate
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history


def losses(*values, key="loss"):
    return [{key: v} for v in values]


# ------------------------------------------------------------ Callback base
def test_base_hooks_are_no_ops_and_batch_aliases_follow_keras():
    calls = []

    class OldStyle(Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append((batch, logs["loss"]))

    cb = OldStyle()
    for hook in callbacks.base.HOOKS:
        assert callable(getattr(Callback(), hook))
    cb.on_train_batch_end(4, {"loss": 0.5})
    cb.on_test_batch_end(5, {"loss": 0.7})  # not an alias of the test hooks
    assert calls == [(4, 0.5)]
    model = StubModel()
    cb.set_model(model)
    cb.set_params({"epochs": 3})
    assert cb.model is model and cb.params == {"epochs": 3}


def test_callback_list_order_params_and_shared_logs():
    model = StubModel()
    reduce = ReduceLROnPlateau(monitor="loss", patience=5)
    cbs = CallbackList([reduce], add_history=True, add_progbar=True, model=model, verbose=2,
                       epochs=4, steps=10)  # fmt: skip
    kinds = [type(c) for c in cbs.callbacks]
    assert kinds == [ReduceLROnPlateau, ProgbarLogger, History]
    assert model.history is cbs.history  # set before any epoch (a Ctrl-C returns it)
    assert all(c.model is model for c in cbs) and reduce.params["epochs"] == 4
    assert cbs.callbacks[1].target == 10 and cbs.callbacks[1].epochs == 4
    cbs.callbacks.remove(cbs.callbacks[1])  # keep the test quiet
    cbs.on_train_begin()
    logs = {"loss": 1.0}
    cbs.on_epoch_end(0, logs)
    assert logs["learning_rate"] == 0.01  # added by ReduceLROnPlateau, seen by History
    assert cbs.history.history == {"loss": [1.0], "learning_rate": [0.01]}


def test_callback_list_keeps_the_users_history_and_progbar_and_checks_types():
    mine, bar = History(), ProgbarLogger()
    cbs = CallbackList([mine, bar], add_history=True, add_progbar=True)
    assert cbs.callbacks == [mine, bar] and cbs.history is mine
    assert len(CallbackList(None)) == 0 and len(CallbackList(History())) == 1
    with pytest.raises(TypeError, match=r"class EarlyStopping \(write EarlyStopping\(...\)"):
        CallbackList([EarlyStopping])
    with pytest.raises(TypeError, match="Wrap a function in LambdaCallback"):
        CallbackList([print])


def test_callback_list_turns_batch_logs_into_floats():
    seen = []
    cbs = CallbackList([LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs))])
    cbs.on_train_batch_end(0, {"loss": np.float32(0.5), "accuracy": np.array(0.25)})
    assert seen == [{"loss": 0.5, "accuracy": 0.25}]
    assert all(type(v) is float for v in seen[0].values())


# ------------------------------------------------------------------ History
def test_history_records_every_key_per_epoch():
    model = StubModel()
    history = fit(model, [], [{"loss": 0.9, "accuracy": 0.5}, {"loss": 0.5, "accuracy": 0.75}],
                  val={"loss": 1.0})  # fmt: skip
    assert isinstance(history, History) and model.history is history
    assert history.history == {
        "loss": [0.9, 0.5], "accuracy": [0.5, 0.75], "val_loss": [1.0, 1.0],
        "learning_rate": [0.01, 0.01],
    }  # fmt: skip
    assert history.epoch == [0, 1]


def test_each_fit_gets_a_new_history_but_a_passed_one_accumulates():
    model = StubModel()
    first = fit(model, [], losses(1.0))
    second = fit(model, [], losses(2.0, 3.0))
    assert first is not second and second.history["loss"] == [2.0, 3.0]
    mine = History()
    fit(model, [mine], losses(1.0))
    fit(model, [mine], losses(2.0))
    assert mine.history["loss"] == [1.0, 2.0] and mine.epoch == [0]  # as Keras 3


# ------------------------------------------------------------ EarlyStopping
@pytest.mark.parametrize(
    ("values", "kwargs", "epochs_run", "best", "best_epoch"),
    [
        ([1.0, 0.9, 0.95, 0.96, 0.97, 0.5], {"patience": 2}, 4, 0.9, 1),
        ([1.0, 1.1, 0.5], {"patience": 0}, 2, 1.0, 0),
        ([1.0, 0.95, 0.9, 0.85], {"patience": 1, "min_delta": 0.1}, 2, 1.0, 0),
        ([1.0, 0.95, 0.9, 0.85], {"patience": 1, "min_delta": -0.01}, 4, 0.85, 3),
        ([1.0, 1.0, 1.0], {"patience": 1}, 2, 1.0, 0),  # equal is no improvement
        ([1.0, 0.9, 0.8, 0.7, 0.6], {"patience": 0}, 5, 0.6, 4),  # never stops
    ],
)
def test_early_stopping_stops_at_the_right_epoch(values, kwargs, epochs_run, best, best_epoch):
    model = StubModel()
    stop = EarlyStopping(monitor="loss", **kwargs)
    history = fit(model, [stop], losses(*values))
    assert len(history.history["loss"]) == epochs_run
    assert stop.best == best and stop.best_epoch == best_epoch
    assert stop.stopped_epoch == (epochs_run - 1 if epochs_run < len(values) else 0)
    assert model.stop_training == (epochs_run < len(values))


@pytest.mark.parametrize(
    ("monitor", "mode", "epochs_run"),
    [
        ("accuracy", "auto", 3),  # auto → max: 0.6 is the best, 0.55 and 0.58 are not
        ("val_accuracy", "auto", 3),
        ("accuracy", "max", 3),
        ("accuracy", "min", 2),  # 0.6 > 0.5 is no improvement when minimizing
        ("auc", "auto", 3),
    ],
)
def test_early_stopping_modes(monitor, mode, epochs_run):
    stop = EarlyStopping(monitor=monitor, mode=mode, patience=1)
    history = fit(StubModel(), [stop], losses(0.5, 0.6, 0.55, 0.58, key=monitor))
    assert len(history.history[monitor]) == epochs_run


def test_auto_mode_uses_the_direction_a_model_metric_declares():
    class Metric:
        name, direction = "kappa", "up"

    model = StubModel()
    model.metrics = [Metric()]
    assert metric_direction("val_kappa", model) == "max"
    assert metric_direction("val_kappa") is None
    assert metric_direction("out_1_loss") == "min" and metric_direction("val_mae") == "min"


def test_auto_mode_refuses_an_unknown_metric_and_bad_arguments():
    stop = EarlyStopping(monitor="banana")
    with pytest.raises(ValueError, match="Pass mode='max'.*mode='min'"):
        fit(StubModel(), [stop], losses(1.0, key="banana"))
    with pytest.raises(ValueError, match="mode must be one of"):
        EarlyStopping(mode="maximum")
    with pytest.raises(ValueError, match="patience must be an integer >= 0"):
        EarlyStopping(patience=-1)


def test_early_stopping_baseline():
    values = [0.9, 0.95, 0.97, 0.99, 1.0]
    with_baseline = EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    assert len(fit(StubModel(), [with_baseline], losses(*values)).history["loss"]) == 2
    without = EarlyStopping(monitor="loss", patience=2)
    assert len(fit(StubModel(), [without], losses(*values)).history["loss"]) == 3
    beaten = EarlyStopping(monitor="loss", patience=1, baseline=0.95)
    assert len(fit(StubModel(), [beaten], losses(0.9, 0.8, 0.85, 0.9)).history["loss"]) == 3


def test_early_stopping_start_from_epoch_ignores_the_warm_up():
    values = [0.1, 0.5, 1.0, 1.1, 1.2]
    late = EarlyStopping(monitor="loss", patience=1, start_from_epoch=2)
    assert len(fit(StubModel(), [late], losses(*values)).history["loss"]) == 4
    assert late.best == 1.0 and late.best_epoch == 2
    early = EarlyStopping(monitor="loss", patience=1)
    assert len(fit(StubModel(), [early], losses(*values)).history["loss"]) == 2


def test_restore_best_weights_also_when_it_never_triggered(capsys):
    model = StubModel()
    stop = EarlyStopping(monitor="loss", patience=10, restore_best_weights=True, verbose=1)
    fit(model, [stop], losses(1.0, 0.5, 0.7))
    assert stop.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])  # the weights after epoch 1
    assert "Restoring model weights from the end of the best epoch: 2." in capsys.readouterr().out


def test_restore_best_weights_when_it_stops(capsys):
    model = StubModel()
    stop = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True, verbose=1)
    fit(model, [stop], losses(1.0, 0.4, 0.6, 0.7, 0.1))
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    assert "Epoch 4: early stopping" in capsys.readouterr().out
    model = StubModel()  # without restore_best_weights the last weights stay
    fit(model, [EarlyStopping(monitor="loss", patience=2)], losses(1.0, 0.4, 0.6, 0.7))
    np.testing.assert_array_equal(model.weights[0], [3.0, 3.0])


def test_early_stopping_is_reset_by_each_fit():
    model = StubModel()
    stop = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    fit(model, [stop], losses(0.1, 0.2, 0.3))
    assert stop.stopped_epoch == 1 and stop.best == 0.1
    # a second run whose values are all worse than the first run's best still trains
    history = fit(model, [stop], losses(5.0, 4.0, 3.0))
    assert len(history.history["loss"]) == 3
    assert stop.best == 3.0 and stop.stopped_epoch == 0 and stop.best_epoch == 2
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_a_missing_monitor_warns_with_the_available_keys():
    stop = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match=r"'val_loss'.*validation_data.*loss, learning_rate"):
        history = fit(StubModel(), [stop], losses(1.0, 2.0, 3.0))
    assert len(history.history["loss"]) == 3  # no crash, no stop


# -------------------------------------------------------- ReduceLROnPlateau
def lr_history(cb, values, lr=0.1):
    model = StubModel(lr)
    history = fit(model, [cb], losses(*values))
    return [round(v, 10) for v in history.history["learning_rate"]], model


def test_reduce_lr_on_plateau_reduces_after_patience():
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    lrs, model = lr_history(cb, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5])
    # logs['learning_rate'] is the rate of that epoch; reductions after epochs 3 and 5
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert model.optimizer.learning_rate == 0.025


@pytest.mark.parametrize(
    ("cooldown", "expected"),
    [
        (0, [0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625]),
        (2, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]),
    ],
)
def test_reduce_lr_on_plateau_cooldown(cooldown, expected):
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=cooldown)
    assert lr_history(cb, [1.0] * 6)[0] == expected


def test_reduce_lr_on_plateau_min_lr_and_min_delta():
    cb = ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, min_lr=0.005)
    assert lr_history(cb, [1.0] * 5)[0] == [0.1, 0.1, 0.01, 0.005, 0.005]
    # improvements smaller than min_delta do not count
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.1)
    assert lr_history(cb, [1.0, 0.95, 0.85, 0.8])[0] == [0.1, 0.1, 0.05, 0.05]


def test_reduce_lr_on_plateau_max_mode_and_reuse():
    cb = ReduceLROnPlateau(monitor="accuracy", factor=0.5, patience=1)
    model = StubModel(0.1)
    history = fit(model, [cb], losses(0.5, 0.6, 0.7, 0.7, key="accuracy"))
    assert [round(v, 6) for v in history.history["learning_rate"]] == [0.1, 0.1, 0.1, 0.1]
    assert model.optimizer.learning_rate == 0.05
    fit(model, [cb], losses(0.1, 0.2, key="accuracy"))  # fresh best, wait and cooldown
    assert cb.best == 0.2 and cb.wait == 0


def test_reduce_lr_on_plateau_arguments(capsys):
    with pytest.raises(ValueError, match="does not support a factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="factor must be >= 0"):
        ReduceLROnPlateau(factor=-0.5)
    with pytest.raises(ValueError, match="min_lr must be >= 0"):
        ReduceLROnPlateau(min_lr=-1)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, verbose=1)
    lr_history(cb, [1.0, 1.0])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05." in capsys.readouterr().out


# ---------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_with_the_course_function():
    def scheduler(epoch, lr):
        if epoch < 10:
            return lr
        else:
            return lr * math.exp(-0.1)

    model = StubModel(0.001)
    history = fit(model, [LearningRateScheduler(scheduler)], losses(*[1.0] * 12))
    lrs = history.history["learning_rate"]
    assert lrs[:10] == pytest.approx([0.001] * 10, rel=1e-12)
    assert lrs[10] == pytest.approx(0.001 * math.exp(-0.1), rel=1e-12)
    assert lrs[11] == pytest.approx(0.001 * math.exp(-0.2), rel=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(0.001 * math.exp(-0.2))


def test_learning_rate_scheduler_one_argument_and_callable_objects(capsys):
    history = fit(StubModel(), [LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))],
                  losses(1.0, 1.0, 1.0))  # fmt: skip
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])

    class Halving:
        def __call__(self, epoch, lr):
            return np.float32(lr / 2)  # a NumPy scalar is a number too

    cb = LearningRateScheduler(Halving(), verbose=1)
    history = fit(StubModel(0.4), [cb], losses(1.0, 1.0))
    assert history.history["learning_rate"] == pytest.approx([0.2, 0.1])
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.1" in capsys.readouterr().out
    # a schedule without an inspectable signature falls back on Keras's try/except
    cb = LearningRateScheduler(max)  # max(epoch, lr)
    assert fit(StubModel(0.5), [cb], losses(1.0, 1.0)).history["learning_rate"] == [0.5, 1.0]


@pytest.mark.parametrize("returned", [None, "0.1", [0.1, 0.2], float("nan")])
def test_learning_rate_scheduler_refuses_a_non_number(returned):
    cb = LearningRateScheduler(lambda epoch, lr: returned)
    with pytest.raises(ValueError, match="schedule"):
        fit(StubModel(), [cb], losses(1.0))


def test_learning_rate_scheduler_checks_the_schedule_itself():
    with pytest.raises(TypeError, match="must be a function"):
        LearningRateScheduler(0.1)
    with pytest.raises(TypeError, match=r"accept \(epoch, lr\) or \(epoch\)"):
        LearningRateScheduler(lambda epoch, lr, extra: lr)
    bare = LearningRateScheduler(lambda epoch: 0.1)
    bare.set_model(object())
    with pytest.raises(ValueError, match="compile the model first"):
        bare.on_epoch_begin(0)


# ---------------------------------------------------------- ModelCheckpoint
def test_checkpoint_file_names_use_the_epoch_and_the_logs(tmp_path):
    model = StubModel()
    path = tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.treino"
    fit(model, [ModelCheckpoint(path)], losses(1.0, 0.5), val={"loss": 0.123})
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01-0.12.treino", "ckpt-02-0.12.treino"]
    assert [m for m, _ in model.saved] == ["save", "save"]


def test_checkpoint_save_best_only(tmp_path, capsys):
    model = StubModel()
    cb = ModelCheckpoint(tmp_path / "best-{epoch}.treino", monitor="loss", save_best_only=True,
                         verbose=1)  # fmt: skip
    fit(model, [cb], losses(1.0, 0.8, 0.9, 0.7))
    assert sorted(os.listdir(tmp_path)) == ["best-1.treino", "best-2.treino", "best-4.treino"]
    out = capsys.readouterr().out
    assert "Epoch 3: loss did not improve from 0.80000" in out
    assert "Epoch 4: loss improved from 0.80000 to 0.70000, saving model to" in out
    # max mode, a fixed name, a threshold to beat
    model = StubModel()
    cb = ModelCheckpoint(tmp_path / "acc.treino", monitor="val_accuracy", save_best_only=True,
                         initial_value_threshold=0.55)  # fmt: skip
    fit(model, [cb], [{"val_accuracy": v} for v in (0.5, 0.6, 0.58, 0.7)])
    assert len(model.saved) == 2 and cb.best == 0.7
    fit(model, [cb], [{"val_accuracy": 0.52}])  # a new fit starts again from the threshold
    assert len(model.saved) == 2 and cb.best == 0.55
    fit(model, [cb], [{"val_accuracy": 0.56}])
    assert len(model.saved) == 3 and cb.best == 0.56


def test_checkpoint_save_best_only_without_the_monitor_saves_and_warns(tmp_path):
    model = StubModel()
    cb = ModelCheckpoint(tmp_path / "m.treino", save_best_only=True)
    with pytest.warns(UserWarning, match="val_loss.*saved anyway.*loss, learning_rate"):
        fit(model, [cb], losses(1.0))
    assert len(model.saved) == 1


def test_checkpoint_weights_only_calls_save_weights(tmp_path):
    model = StubModel()
    fit(model, [ModelCheckpoint(tmp_path / "w.npz", save_weights_only=True)], losses(1.0, 2.0))
    assert model.saved == [("save_weights", str(tmp_path / "w.npz"))] * 2


def test_checkpoint_save_freq_counts_batches_across_epochs(tmp_path):
    model = StubModel()
    cb = ModelCheckpoint(tmp_path / "b-{epoch}-{batch}.treino", save_freq=2)
    fit(model, [cb], losses(1.0, 1.0), steps=3)
    assert sorted(os.listdir(tmp_path)) == ["b-1-2.treino", "b-2-1.treino", "b-2-3.treino"]
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or an integer > 0"):
        ModelCheckpoint("x", save_freq="batch")
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x", save_freq=0)


def test_checkpoint_creates_folders_and_explains_a_missing_key(tmp_path):
    model = StubModel()
    fit(model, [ModelCheckpoint(tmp_path / "a" / "b" / "{epoch}.treino")], losses(1.0))
    assert os.listdir(tmp_path / "a" / "b") == ["1.treino"]
    cb = ModelCheckpoint(tmp_path / "{val_loss:.2f}.treino")
    with pytest.raises(KeyError, match=r"\{val_loss\}.*validation_data.*epoch"):
        fit(model, [cb], losses(1.0))
    cb = ModelCheckpoint(tmp_path / "{}.treino")
    with pytest.raises(ValueError, match="named fields"):
        fit(model, [cb], losses(1.0))
    (tmp_path / "pasta").mkdir()
    with pytest.raises(IsADirectoryError, match="existing folder"):
        fit(model, [ModelCheckpoint(tmp_path / "pasta")], losses(1.0))


# --------------------------------------------------------------- CSVLogger
def read_rows(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


def test_csv_logger_writes_one_sorted_row_per_epoch(tmp_path):
    path = tmp_path / "logs" / "treino.csv"
    logger = CSVLogger(path)
    fit(StubModel(), [logger], [{"loss": 0.5, "accuracy": 0.75}, {"loss": 0.25, "accuracy": 1.0}],
        val={"loss": 0.125})  # fmt: skip
    assert read_rows(path) == [
        ["epoch", "accuracy", "learning_rate", "loss", "val_loss"],
        ["0", "0.75", "0.01", "0.5", "0.125"],
        ["1", "1.0", "0.01", "0.25", "0.125"],
    ]
    assert logger.csv_file is None  # closed by on_train_end


def test_csv_logger_adds_val_columns_as_keras_and_appends(tmp_path):
    path = tmp_path / "treino.csv"
    fit(StubModel(), [CSVLogger(path, separator=";")], losses(0.5))
    assert read_rows(path, ";") == [
        ["epoch", "learning_rate", "loss", "val_loss"],
        ["0", "0.01", "0.5", "NA"],
    ]
    logger = CSVLogger(path, separator=";", append=True)
    fit(StubModel(), [logger], losses(0.25, 0.125))
    rows = read_rows(path, ";")
    assert len(rows) == 4 and rows[0][0] == "epoch" and rows[1:] == [
        ["0", "0.01", "0.5", "NA"], ["0", "0.01", "0.25", "NA"], ["1", "0.01", "0.125", "NA"],
    ]  # fmt: skip
    fit(StubModel(), [CSVLogger(path)], losses(0.75))  # append=False overwrites
    assert len(read_rows(path)) == 2


def test_csv_logger_warns_once_about_keys_that_came_late(tmp_path):
    path = tmp_path / "treino.csv"
    epochs = [{"loss": 1.0, "val_loss": 1.0}, {"loss": 1.0, "val_loss": 1.0, "extra": 2.0}]
    with pytest.warns(UserWarning, match=r"\['extra'\] appeared after the header"):
        fit(StubModel(), [CSVLogger(path)], epochs + epochs[1:])
    assert len(read_rows(path)) == 4


# ----------------------------------------------------------- TerminateOnNaN
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_terminate_on_nan_stops_after_the_bad_batch(bad, capsys):
    model = StubModel()
    history = fit(model, [TerminateOnNaN()], losses(1.0, 1.0, 1.0), steps=4,
                  batch_loss=lambda epoch, step: bad if step == 2 else 0.5)  # fmt: skip
    assert model.optimizer.iterations == 3 and model.stop_training
    assert len(history.history["loss"]) == 1
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_lets_finite_losses_pass():
    model = StubModel()
    fit(model, [TerminateOnNaN()], losses(1.0, 1.0))
    assert not model.stop_training and model.optimizer.iterations == 6


# ----------------------------------------------------------- LambdaCallback
def test_lambda_callback_calls_its_functions():
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch {batch} {logs['loss']}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {logs['loss']}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_end=lambda logs: calls.append(f"test_end {logs['loss']}"),
    )
    fit(StubModel(), [cb], losses(0.5), steps=2, val={"loss": 0.25})
    assert calls == ["train_begin", "epoch_begin 0", "batch 0 0.5", "batch 1 0.5",
                     "test_end 0.25", "epoch_end 0 0.5", "train_end"]  # fmt: skip


def test_lambda_callback_old_batch_names_and_bad_arguments():
    seen = []
    cb = LambdaCallback(on_batch_end=lambda b, l: seen.append(b))
    fit(StubModel(), [cb], losses(1.0), steps=2)
    assert seen == [0, 1]
    with pytest.raises(TypeError, match=r"unknown hook\(s\) \['on_epoch_ends'\]"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        LambdaCallback(on_epoch_end=3)


# ------------------------------------------------------------ ProgbarLogger
EPOCHS = [{"loss": 0.42131, "accuracy": 0.85123}, {"loss": 0.3, "accuracy": 0.9},
          {"loss": 0.2, "accuracy": 0.95}]  # fmt: skip


def test_verbose_2_prints_exactly_one_line_per_epoch(capsys):
    fit(StubModel(), [], EPOCHS, verbose=2, val={"loss": 0.5, "accuracy": 0.8})
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 3
    for number, line in enumerate(lines, 1):
        assert line.startswith(f"Epoch {number}/3 - ")
        assert "val_loss: 0.5000 - val_accuracy: 0.8000 - learning_rate: 0.0100" in line
    assert " - loss: 0.4213 - accuracy: 0.8512 - " in lines[0]


def test_verbose_1_ends_each_epoch_with_a_line_of_all_logs(capsys):
    fit(StubModel(), [], EPOCHS, verbose=1, val={"loss": 0.5})  # stdout is not a TTY here
    out = capsys.readouterr().out
    final = [segment.split("\r")[-1] for segment in out.split("\n")]
    summaries = [line for line in final if line.startswith("Epoch")]
    assert len(summaries) == 3
    assert summaries[0].startswith("Epoch 1/3 - ")
    assert summaries[0].endswith("loss: 0.4213 - accuracy: 0.8512 - val_loss: 0.5000 - "
                                 "learning_rate: 0.0100")  # fmt: skip
    assert "Evaluate" not in out  # the validation pass inside fit has no bar


def test_verbose_1_bar_shows_the_running_logs(capsys, monkeypatch):
    monkeypatch.setattr(ProgbarLogger, "mininterval", 0)  # redraw at every batch
    fit(StubModel(), [], EPOCHS[:1], verbose=1, steps=4,
        batch_loss=lambda epoch, step: 1.0 / (step + 1))  # fmt: skip
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "loss: 0.2500" in out and "4/4" in out


def test_verbose_0_is_silent(capsys):
    fit(StubModel(), [], EPOCHS, verbose=0)
    bar = ProgbarLogger()
    cbs = CallbackList([bar], verbose=0, epochs=1, steps=2)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 1.0})
    cbs.on_test_end({"loss": 1.0})
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("verbose", [1, 2])
def test_evaluate_and_predict_progress(verbose, capsys):
    cbs = CallbackList(add_progbar=True, model=StubModel(), verbose=verbose, epochs=1, steps=2)
    cbs.on_test_begin()
    for step in range(2):
        cbs.on_test_batch_begin(step)
        cbs.on_test_batch_end(step, {"loss": 0.5, "accuracy": 0.25})
    cbs.on_test_end({"loss": 0.5, "accuracy": 0.25})
    cbs.on_predict_begin()
    for step in range(2):
        cbs.on_predict_batch_end(step, {"outputs": [np.zeros((2, 1))]})
    cbs.on_predict_end()
    final = [s.split("\r")[-1] for s in capsys.readouterr().out.split("\n") if s.strip()]
    final = [line for line in final if line.strip()]
    assert final[0].startswith("Evaluate - ")
    assert final[0].endswith("loss: 0.5000 - accuracy: 0.2500")
    assert final[1].startswith("Predict - ") and "outputs" not in final[1]


def test_resolve_verbose(monkeypatch):
    assert resolve_verbose(0) == 0 and resolve_verbose(2) == 2 and resolve_verbose(True) == 1
    assert resolve_verbose(np.int64(1)) == 1

    class Stream(io.StringIO):
        def __init__(self, tty):
            super().__init__()
            self.tty = tty

        def isatty(self):
            return self.tty

    monkeypatch.setattr(sys, "stdout", Stream(tty=False))
    assert resolve_verbose("auto") == 2  # a file or a pipe: one line per epoch
    monkeypatch.setattr(sys, "stdout", Stream(tty=True))
    assert resolve_verbose("auto") == 1
    for bad in (3, -1, "yes", None, 1.0):
        with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'"):
            resolve_verbose(bad)


def test_log_values_are_formatted_as_keras():
    assert format_value(0.123456) == "0.1235" and format_value(12.5) == "12.5000"
    assert format_value(1e-5) == "1.0000e-05" and format_value(0) == "0.0000e+00"
    assert format_value(float("nan")) == "nan" and format_value("x") == "x"
    assert format_logs({"loss": 0.5, "val_loss": 0.25}) == "loss: 0.5000 - val_loss: 0.2500"


def test_every_name_is_exported():
    for name in callbacks.__all__:
        assert hasattr(callbacks, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CallbackList([EarlyStopping(), ReduceLROnPlateau(), TerminateOnNaN()])
