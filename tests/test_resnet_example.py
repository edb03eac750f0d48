"""The small ResNet example: residual (Add) and Shake-Shake blocks in the functional API."""

import numpy as np
from layer_checks import load_example

import treino
from treino import layers, models


def test_small_resnet_trains_saves_and_predicts_deterministically(tmp_path):
    treino.seed(0)
    model = load_example("resnet_small").small_resnet(filters=4)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"Add", "ShakeShake", "Conv2D", "BatchNormalization"} <= kinds
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = (x[:, :14].mean(axis=(1, 2, 3)) > x[:, 14:].mean(axis=(1, 2, 3))).astype("int64")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    first = model.predict(x[:8], verbose=0)
    np.testing.assert_array_equal(first, model.predict(x[:8], verbose=0))  # inference: ½(b₁+b₂)
    model.save(tmp_path / "resnet.treino")
    loaded = models.load_model(tmp_path / "resnet.treino")
    np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), first, rtol=1e-5, atol=1e-6)


def test_residual_gradient_reaches_the_input_through_the_identity_path():
    # y = x + F(x) with F's last kernel at zero: ∂y/∂x is exactly the identity
    entrada = layers.Input((4,))
    f = layers.Dense(4, kernel_initializer="zeros", bias_initializer="zeros")(
        layers.Dense(4, activation="relu")(entrada)
    )
    model = models.Model(entrada, layers.Add()([entrada, f]))
    x = treino.tensor(np.ones((1, 4), dtype=np.float32), requires_grad=True)
    model(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((1, 4)))
