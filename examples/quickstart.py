"""Quick start: a small MLP learns the two-spirals problem with mini-batch gradient descent.

Layers (Dense, BatchNormalization, Dropout), a loss and ``backward()`` do the
work; the update ``w ← w − η·∂L/∂w`` is written out, as in the course.

Run: python examples/quickstart.py
"""

import time

import numpy as np

import treino
from treino import layers, losses


def two_spirals(n_per_class: int = 300, noise: float = 0.15, seed: int = 0):
    """Two interleaved spirals in the plane: a problem no linear model can solve."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, noise / 3, (2 * n_per_class, 2))
    y = np.repeat([0, 1], n_per_class)
    return x.astype("float32"), y


def main(epochs: int = 60, batch_size: int = 32, learning_rate: float = 0.1) -> float:
    treino.seed(42)
    x, y = two_spirals()
    order = np.random.default_rng(1).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    (x_train, y_train), (x_test, y_test) = (x[:split], y[:split]), (x[split:], y[split:])

    model = [
        layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
        layers.BatchNormalization(),
        layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
        layers.Dropout(0.1),
        layers.Dense(2, activation="softmax"),
    ]
    loss_fn = losses.SparseCategoricalCrossentropy()

    def forward(inputs, training=False):
        for layer in model:
            inputs = layer(inputs, training=training)
        return inputs

    def accuracy(inputs, labels) -> float:
        with treino.no_grad():
            return float(np.mean(forward(inputs).numpy().argmax(axis=1) == labels))

    rng = treino.backend.get_rng()
    start = time.perf_counter()
    print(f"treino {treino.__version__}: MLP 2-64-64-2 on two spirals "
          f"({len(x_train)} train / {len(x_test)} test), mini-batch SGD, η = {learning_rate}")
    for epoch in range(1, epochs + 1):
        shuffle = rng.permutation(len(x_train))
        for i in range(0, len(x_train), batch_size):
            idx = shuffle[i : i + batch_size]
            loss = loss_fn(y_train[idx], forward(x_train[idx], training=True))
            params = [w for layer in model for w in layer.trainable_weights]
            for w in params:
                w.grad = None
            loss.backward()
            with treino.no_grad():
                for w in params:
                    w.data -= learning_rate * w.grad
        if epoch % 10 == 0 or epoch == 1:
            print(f"época {epoch:3d}  loss {loss.item():.4f}  "
                  f"acurácia treino {accuracy(x_train, y_train):.3f}")
    test_accuracy = accuracy(x_test, y_test)
    print(f"acurácia no teste: {test_accuracy:.3f}  ({time.perf_counter() - start:.1f} s)")
    return test_accuracy


if __name__ == "__main__":
    main()
