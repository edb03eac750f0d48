"""Transfer learning: frozen layers, a new head on a loaded body, fine-tuning, the example."""

import numpy as np
import pytest
from layer_checks import ROOT, load_example

import treino
from treino import layers, models, optimizers, regularizers


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > 0).astype("int64")
    return x, y


def _cnn(name_prefix=""):
    entrada = layers.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu", kernel_regularizer=regularizers.L2(0.1),
                      name=f"{name_prefix}conv")(entrada)  # fmt: skip
    x = layers.BatchNormalization(name=f"{name_prefix}bn")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(6, activation="relu", name=f"{name_prefix}features")(x)
    return models.Model(entrada, layers.Dense(2, activation="softmax", name="head")(x))


def test_frozen_weights_are_bit_identical_after_fit():
    treino.seed(0)
    model = _cnn()
    body = ["conv", "bn", "features"]
    for name in body:
        model.get_layer(name).trainable = False
    before = {name: [w.copy() for w in model.get_layer(name).get_weights()] for name in body}
    head_before = [w.copy() for w in model.get_layer("head").get_weights()]
    # weight decay and an L2 penalty must not touch frozen weights either
    model.compile(optimizer=optimizers.AdamW(0.05, weight_decay=0.5),
                  loss="sparse_categorical_crossentropy")  # fmt: skip
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    for name in body:
        for a, b in zip(before[name], model.get_layer(name).get_weights(), strict=True):
            assert a.tobytes() == b.tobytes()  # BatchNormalization's moving statistics included
    head_after = model.get_layer("head").get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(head_before, head_after, strict=True))
    assert len(model.trainable_weights) == 2  # the head's kernel and bias


def test_freezing_a_whole_model_freezes_its_layers():
    model = _cnn()
    model.trainable = False
    assert model.trainable_weights == []
    assert all(not layer.trainable for layer in model.layers)
    assert len(model.non_trainable_weights) == len(model.weights)


def test_new_head_on_a_loaded_body(tmp_path):
    treino.seed(1)
    base = _cnn()
    base.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _data()
    base.fit(x, y, epochs=1, verbose=0)
    base.save(tmp_path / "base.treino")
    loaded = models.load_model(tmp_path / "base.treino")

    features = loaded.get_layer("features").output
    assert features.shape == (None, 6)
    new = models.Model(loaded.inputs, layers.Dense(3, activation="softmax")(features))
    assert new.output_shape == (None, 3)
    # the body's weights are the loaded ones, shared, not copies
    assert new.get_layer("conv") is loaded.get_layer("conv")
    np.testing.assert_array_equal(new.get_layer("conv").get_weights()[0],
                                  base.get_layer("conv").get_weights()[0])  # fmt: skip
    np.testing.assert_allclose(models.Model(loaded.inputs, features).predict(x, verbose=0),
                               models.Model(base.inputs, base.get_layer("features").output)
                               .predict(x, verbose=0), rtol=1e-6)  # fmt: skip


def test_sequential_exposes_inputs_and_layer_outputs():
    model = models.Sequential([layers.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2)])
    assert model.inputs[0].shape == (None, 4)
    assert model.get_layer("a").output.shape == (None, 3)
    assert model.outputs[0].shape == (None, 2)
    body = models.Model(model.inputs, model.get_layer("a").output)
    assert body.predict(np.ones((2, 4), "float32"), verbose=0).shape == (2, 3)


def test_output_of_a_layer_never_called_in_a_graph_is_a_clear_error():
    with pytest.raises(AttributeError, match="has not been called on an Input"):
        layers.Dense(2, name="lonely").output


def test_fine_tuning_with_a_lower_learning_rate_for_the_body():
    treino.seed(2)
    model = _cnn()
    x, y = _data()
    before = {name: model.get_layer(name).get_weights()[0].copy() for name in ("conv", "head")}
    optimizer = optimizers.PerLayer({"head": optimizers.SGD(0.1), "*": optimizers.SGD(0.0)})
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.array_equal(before["conv"], model.get_layer("conv").get_weights()[0])
    assert not np.array_equal(before["head"], model.get_layer("head").get_weights()[0])


def test_transfer_example_beats_training_from_scratch():
    example = load_example("transfer_learning")
    # a fair baseline (its BatchNormalization's moving statistics settle in ~100 updates)
    # and few labels: 3 images per class, where pre-trained features pay off
    result = example.main(per_class=3, sample=True, pretrain_epochs=1, head_epochs=15,
                          finetune_epochs=10, verbose=0)  # fmt: skip
    assert result["fine_tuned"] > result["from_scratch"] + 0.05, result
    assert result["head_only"] > result["from_scratch"], result


def test_readme_cnn_rnn_snippet_runs():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = next(s for s in re.findall(r"```python\n(.*?)```", readme, re.S) if "lenet" in s)
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    lenet, frases = namespace["lenet"], namespace["frases"]
    assert lenet.count_params() == 61706  # LeNet-5 with 'same' first conv, as in Keras
    assert lenet.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0).shape == (2, 10)
    ids = np.array([[5, 7, 0, 0], [3, 0, 0, 0]])
    assert frases.predict(ids, verbose=0).shape == (2, 1)
