"""AdaptiveRegularization: the rule on scripted logs, then real fits that over- and underfit."""

import numpy as np
import pytest

import treino
from treino import datasets, regularizers
from treino.callbacks.adaptive_regularization import AdaptiveRegularization
from treino.layers import Dense, Dropout, Input
from treino.layers.regularization import DropConnect, SpatialDropout1D
from treino.models import Sequential


def mlp(rate=0.2, l2=0.001, width=8, inputs=4):
    """Dense → Dropout → Dense(L2) → Dropout → Dense, built."""
    return Sequential([
        Input(shape=(inputs,)),
        Dense(width, activation="relu", kernel_regularizer=regularizers.L2(l2)),
        Dropout(rate),
        Dense(width, activation="relu", kernel_regularizer=regularizers.L2(l2)),
        Dropout(rate),
        Dense(2),
    ])  # fmt: skip


def attached(model, **kwargs):
    callback = AdaptiveRegularization(**kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    return callback


def epoch(callback, index, loss, val_loss):
    logs = {"loss": loss, "val_loss": val_loss}
    callback.on_epoch_end(index, logs)
    return logs


def rates(model):
    return [layer.rate for layer in model.layers if isinstance(layer, Dropout)]


def l2s(model):
    return [layer.kernel_regularizer.l2 for layer in model.layers[::2][:2]]


# ------------------------------------------------------------------- the rule
def test_gap_above_the_band_raises_below_lowers_inside_keeps():
    model = mlp(rate=0.2, l2=0.001)
    cb = attached(model, target_gap=0.1, tolerance=0.05, rate_step=0.05, l2_factor=2.0)
    logs = epoch(cb, 0, loss=0.5, val_loss=1.0)  # gap = 1.0 > 0.15: raise
    assert rates(model) == [0.25, 0.25] and l2s(model) == [0.002, 0.002]
    assert logs["generalization_gap"] == pytest.approx(1.0)
    assert (logs["dropout_rate"], logs["l2"]) == (0.2, 0.001)  # the values used in the epoch
    epoch(cb, 1, loss=1.0, val_loss=1.1)  # gap = 0.1: inside the band, keep
    assert rates(model) == [0.25, 0.25] and l2s(model) == [0.002, 0.002]
    logs = epoch(cb, 2, loss=1.0, val_loss=0.9)  # gap = −0.1 < 0.05: lower
    assert rates(model) == [0.2, 0.2] and l2s(model) == [0.001, 0.001]
    assert (logs["dropout_rate"], logs["l2"]) == (0.25, 0.002)


def test_every_change_is_recorded_on_the_callback():
    model = mlp(rate=0.1, l2=0.01)
    cb = attached(model)
    epoch(cb, 0, loss=0.2, val_loss=0.4)
    epoch(cb, 1, loss=0.3, val_loss=0.31)
    names = [layer.name for layer in model.layers]
    assert cb.history == [
        {"epoch": 0, "gap": pytest.approx(1.0), "kind": "dropout", "target": names[1],
         "from": 0.1, "to": 0.15},
        {"epoch": 0, "gap": pytest.approx(1.0), "kind": "dropout", "target": names[3],
         "from": 0.1, "to": 0.15},
        {"epoch": 0, "gap": pytest.approx(1.0), "kind": "l2", "target": f"{names[0]}/kernel",
         "from": 0.01, "to": 0.02},
        {"epoch": 0, "gap": pytest.approx(1.0), "kind": "l2", "target": f"{names[2]}/kernel",
         "from": 0.01, "to": 0.02},
        {"epoch": 1, "gap": pytest.approx(1 / 30), "kind": "dropout", "target": names[1],
         "from": 0.15, "to": 0.1},
        {"epoch": 1, "gap": pytest.approx(1 / 30), "kind": "dropout", "target": names[3],
         "from": 0.15, "to": 0.1},
        {"epoch": 1, "gap": pytest.approx(1 / 30), "kind": "l2", "target": f"{names[0]}/kernel",
         "from": 0.02, "to": 0.01},
        {"epoch": 1, "gap": pytest.approx(1 / 30), "kind": "l2", "target": f"{names[2]}/kernel",
         "from": 0.02, "to": 0.01},
    ]  # fmt: skip
    cb.on_train_begin()  # a new fit starts a new record; the values stay the model's
    assert cb.history == [] and rates(model) == [0.1, 0.1]


def test_values_are_clipped_and_never_move_the_wrong_way():
    model = mlp(rate=0.45, l2=0.08)
    cb = attached(model, max_rate=0.5, max_l2=0.1, min_rate=0.1, min_l2=0.01)
    for i in range(3):
        epoch(cb, i, loss=0.1, val_loss=1.0)
    assert rates(model) == [0.5, 0.5] and l2s(model) == [0.1, 0.1]
    for i in range(3, 40):
        epoch(cb, i, loss=1.0, val_loss=0.5)
    assert rates(model) == [0.1, 0.1] and l2s(model) == [0.01, 0.01]
    model.layers[1].rate = 0.7  # above max_rate: a "raise" must not lower it
    epoch(cb, 40, loss=0.1, val_loss=1.0)
    assert model.layers[1].rate == 0.7
    model.layers[0].kernel_regularizer.l2 = 0.001  # below min_l2: a "lower" must not raise it
    epoch(cb, 41, loss=1.0, val_loss=0.5)
    assert model.layers[0].kernel_regularizer.l2 == 0.001


def test_many_steps_do_not_drift():
    model = mlp(rate=0.0)
    cb = attached(model, adjust="dropout", rate_step=0.1, max_rate=0.9)
    for i in range(3):
        epoch(cb, i, loss=0.1, val_loss=1.0)
    assert rates(model) == [0.3, 0.3]  # not 0.30000000000000004


def test_adjust_chooses_what_changes():
    model = mlp(rate=0.2, l2=0.001)
    cb = attached(model, adjust=("l2",))
    logs = epoch(cb, 0, loss=0.5, val_loss=1.0)
    assert rates(model) == [0.2, 0.2] and l2s(model) == [0.002, 0.002]
    assert "dropout_rate" not in logs and logs["l2"] == 0.001
    cb = attached(model, adjust="dropout")
    logs = epoch(cb, 0, loss=0.5, val_loss=1.0)
    assert rates(model) == [0.25, 0.25] and l2s(model) == [0.002, 0.002]
    assert "l2" not in logs


def test_patience_and_cooldown():
    model = mlp(rate=0.2)
    cb = attached(model, adjust="dropout", patience=2, cooldown=1)
    gaps = [1.0, 1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0]
    seen = []
    for i, gap in enumerate(gaps):
        epoch(cb, i, loss=1.0, val_loss=1.0 + gap)
        seen.append(model.layers[1].rate)
    # raise after 2 epochs above; 1 epoch of cooldown; 2 more above; the side flips, restarts
    assert seen == [0.2, 0.25, 0.25, 0.25, 0.25, 0.25, 0.3, 0.3]


@pytest.mark.parametrize(
    "gap, loss, val_loss, expected",
    [
        ("absolute", 0.5, 0.58, 0.2),  # 0.08: inside 0.1 ± 0.065
        ("relative", 0.5, 0.58, 0.2),  # 0.16: inside 0.1 ± 0.065
        ("absolute", 0.5, 0.7, 0.25),
        (lambda logs: logs["val_loss"] / logs["loss"] - 1.0, 0.5, 0.75, 0.25),
    ],
)
def test_gap_definitions(gap, loss, val_loss, expected):
    model = mlp(rate=0.2)
    cb = attached(model, adjust="dropout", gap=gap, tolerance=0.065)
    logs = epoch(cb, 0, loss=loss, val_loss=val_loss)
    assert model.layers[1].rate == expected
    assert logs["generalization_gap"] == pytest.approx(
        val_loss - loss if gap == "absolute" else val_loss / loss - 1.0
    )


def test_l1l2_l2_part_shared_regularizers_and_nested_layers():
    shared = regularizers.L2(0.01)
    elastic = regularizers.L1L2(l1=0.01, l2=0.02)
    only_l1 = regularizers.L1L2(l1=0.01)
    model = Sequential([
        Input(shape=(3, 4)),
        Dense(4, kernel_regularizer=shared, bias_regularizer=shared),
        DropConnect(Dense(4, kernel_regularizer=elastic, bias_regularizer="l1"), rate=0.1),
        SpatialDropout1D(0.3),
        Dense(2, kernel_regularizer=only_l1),
    ])  # fmt: skip
    cb = attached(model)
    logs = epoch(cb, 0, loss=0.5, val_loss=1.0)
    assert shared.l2 == 0.02  # one regularizer on two weights: doubled once
    assert (elastic.l1, elastic.l2) == (0.01, 0.04)  # only the l2 part changes
    assert (only_l1.l1, only_l1.l2) == (0.01, 0.0)  # l2 = 0: an L1 penalty, left alone
    assert model.layers[1].rate == 0.15 and model.layers[2].rate == 0.35
    assert logs["dropout_rate"] == pytest.approx(0.2) and logs["l2"] == pytest.approx(0.015)
    targets = {c["target"] for c in cb.history if c["kind"] == "l2"}
    inner = model.layers[1].layer.name
    assert targets == {f"{model.layers[0].name}/kernel, {model.layers[0].name}/bias",
                       f"{inner}/kernel"}  # fmt: skip
    assert {c["target"] for c in cb.history if c["kind"] == "dropout"} == {
        model.layers[1].name, model.layers[2].name}  # fmt: skip


def test_the_changes_really_change_training():
    """Dropout reads ``rate`` and L2 reads λ at every call: nothing is cached."""
    model = mlp(rate=0.0, l2=0.01, width=200, inputs=3)
    penalty_before = sum(loss.item() for loss in model.losses)
    hidden = model.layers[0](np.ones((50, 3), dtype=np.float32))
    assert np.mean(model.layers[1](hidden, training=True).numpy() == 0) == pytest.approx(
        np.mean(hidden.numpy() == 0))  # fmt: skip
    cb = attached(model, adjust=("dropout", "l2"), rate_step=0.4, max_rate=0.5, l2_factor=3.0)
    epoch(cb, 0, loss=0.1, val_loss=1.0)
    dropped = model.layers[1](hidden, training=True).numpy() == 0
    assert np.mean(dropped) == pytest.approx(0.4 + 0.6 * np.mean(hidden.numpy() == 0), abs=0.03)
    penalty_after = sum(loss.item() for loss in model.losses)
    assert penalty_after == pytest.approx(3.0 * penalty_before, rel=1e-5)


def test_epochs_without_validation_after_a_validated_one_are_skipped():
    model = mlp(rate=0.2)
    cb = attached(model, adjust="dropout")
    epoch(cb, 0, loss=0.5, val_loss=1.0)
    logs = {"loss": 0.1}
    cb.on_epoch_end(1, logs)  # validation_freq=2: no val_loss this epoch
    assert model.layers[1].rate == 0.25 and "generalization_gap" not in logs


def test_arguments_are_checked():
    bad = [
        ({"adjust": ("dropout", "l1")}, "adjust must name one or both"),
        ({"adjust": ()}, "adjust must name"),
        ({"min_rate": 0.3, "max_rate": 0.2}, r"0 <= min_rate <= max_rate < 1"),
        ({"max_rate": 1.0}, r"max_rate < 1"),
        ({"l2_factor": 1.0}, r"l2_factor must be > 1"),
        ({"min_l2": 0.2, "max_l2": 0.1}, r"min_l2 <= max_l2"),
        ({"tolerance": -0.1}, r"tolerance must be >= 0"),
        ({"gap": "ratio"}, r"gap must be one of \('relative', 'absolute'\)"),
        ({"patience": 0}, r"patience must be an integer >= 1"),
        ({"cooldown": -1}, r"cooldown must be an integer >= 0"),
        ({"target_gap": float("nan")}, r"target_gap must be finite"),
        ({"rate_step": "big"}, r"rate_step must be a number"),
    ]
    for kwargs, match in bad:
        with pytest.raises(ValueError, match=match):
            AdaptiveRegularization(**kwargs)


# -------------------------------------------------------------- through fit
def moons_split(n_train, noise, seed=1):
    x, y = datasets.moons(n_train + 200, noise=noise, seed=seed)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def compiled(model):
    model.compile(optimizer=treino.optimizers.Adam(0.01),
                  loss=treino.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    return model


def test_fit_without_validation_data_is_a_clear_error():
    model = compiled(mlp(inputs=2))
    (x, y), _ = moons_split(40, 0.1)
    with pytest.raises(ValueError, match=r"needs validation data: pass validation_data="):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[AdaptiveRegularization()])


def test_an_overfitting_model_gets_more_regularisation():
    """A 2×128 network on 40 noisy samples: the validation loss pulls away."""
    treino.seed(0)
    (x, y), validation = moons_split(40, noise=0.5)
    model = compiled(mlp(rate=0.1, l2=1e-4, width=128, inputs=2))
    cb = AdaptiveRegularization(target_gap=0.1, tolerance=0.05)
    history = model.fit(x, y, validation_data=validation, epochs=20, batch_size=10, verbose=0,
                        callbacks=[cb]).history  # fmt: skip
    assert len(history["dropout_rate"]) == len(history["l2"]) == 20
    assert history["dropout_rate"][0] == 0.1 and history["l2"][0] == 1e-4
    for change in cb.history:  # History holds the values in effect during each epoch
        if change["kind"] == "dropout" and change["epoch"] < 19:
            assert history["dropout_rate"][change["epoch"] + 1] == change["to"]
    assert min(rates(model)) >= 0.3  # raised from 0.1
    assert min(l2s(model)) >= 16 * 1e-4
    raises = sum(c["to"] > c["from"] for c in cb.history)
    lowers = sum(c["to"] < c["from"] for c in cb.history)
    assert raises >= 2 * lowers
    assert np.mean(history["generalization_gap"][5:]) > 0.1  # above the target on average


def test_an_overregularised_model_gets_less_regularisation():
    """Dropout 0.5 and λ = 0.1 on an easy problem: training loss ≥ validation loss."""
    treino.seed(0)
    (x, y), validation = moons_split(100, noise=0.1)
    model = compiled(mlp(rate=0.5, l2=0.1, width=32, inputs=2))
    cb = AdaptiveRegularization(target_gap=0.1, tolerance=0.05)
    history = model.fit(x, y, validation_data=validation, epochs=6, batch_size=25, verbose=0,
                        callbacks=[cb]).history  # fmt: skip
    assert all(gap < 0.05 for gap in history["generalization_gap"])
    assert history["dropout_rate"] == pytest.approx([0.5, 0.45, 0.4, 0.35, 0.3, 0.25])
    assert history["l2"] == pytest.approx([0.1 / 2**k for k in range(6)])
    assert all(c["to"] < c["from"] for c in cb.history)
    assert rates(model) == pytest.approx([0.2, 0.2])


def test_a_model_without_dropout_adjusts_l2_only_and_says_so_once(capsys):
    treino.seed(0)
    (x, y), validation = moons_split(40, noise=0.5)
    model = compiled(Sequential([
        Input(shape=(2,)),
        Dense(64, activation="relu", kernel_regularizer=regularizers.L2(1e-4)),
        Dense(2),
    ]))  # fmt: skip
    cb = AdaptiveRegularization(verbose=1)
    history = model.fit(x, y, validation_data=validation, epochs=4, batch_size=10, verbose=0,
                        callbacks=[cb]).history  # fmt: skip
    assert "dropout_rate" not in history and len(history["l2"]) == 4
    assert {c["kind"] for c in cb.history} == {"l2"}
    out = capsys.readouterr().out
    assert out.count("no Dropout, SpatialDropout or DropConnect layer; adjusting L2 only") == 1


def test_a_model_with_nothing_to_adjust_says_so_once(capsys):
    treino.seed(0)
    (x, y), validation = moons_split(40, noise=0.3)
    model = compiled(Sequential([Input(shape=(2,)), Dense(8, activation="relu"), Dense(2)]))
    cb = AdaptiveRegularization(verbose=1)
    history = model.fit(x, y, validation_data=validation, epochs=3, batch_size=20, verbose=0,
                        callbacks=[cb]).history  # fmt: skip
    assert cb.history == [] and "dropout_rate" not in history and "l2" not in history
    assert len(history["generalization_gap"]) == 3
    out = capsys.readouterr().out
    assert out.count("AdaptiveRegularization: nothing to adjust") == 1
    assert "no Dropout, SpatialDropout or DropConnect layer and no L2 weight regularizer" in out


def test_verbose_reports_each_change(capsys):
    model = mlp(rate=0.2, l2=0.001)
    cb = attached(model, adjust="dropout", verbose=1)
    epoch(cb, 4, loss=0.5, val_loss=1.0)
    out = capsys.readouterr().out
    assert "Epoch 5: AdaptiveRegularization: gap 1 above 0.1 ± 0.05, raising" in out
    assert f"dropout {model.layers[1].name}: 0.2 → 0.25" in out
