"""Benchmark cases. A case is a function ``(framework, repeats) -> list of seconds``.

Each builds the same model and data in treino and in PyTorch (float32, CPU) and
times the same work after a warm-up.
"""

from __future__ import annotations

import time

import numpy as np

MLP_SIZES = (784, 128, 64, 10)


def _mlp_data(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, MLP_SIZES[0]), dtype=np.float32)
    y = rng.integers(0, MLP_SIZES[-1], size=batch)
    return x, y


def _time(step, repeats: int, warmup: int = 10) -> list:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def mlp_step(framework: str, repeats: int = 100, batch: int = 128) -> list:
    """Forward + backward of the course's MLP 784-128-64-10 (ReLU, Dropout 0.2, softmax CE)."""
    x, y = _mlp_data(batch)
    if framework == "torch":
        import torch

        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(0.2),
            torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(0.2),
            torch.nn.Linear(64, 10),
        )  # fmt: skip
        loss_fn = torch.nn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)

        def step():
            model.zero_grad(set_to_none=True)
            loss_fn(model(xt), yt).backward()

        return _time(step, repeats)

    import treino
    from treino import layers, losses

    treino.seed(0)
    stack = [
        layers.Dense(128, activation="relu"), layers.Dropout(0.2),
        layers.Dense(64, activation="relu"), layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ]  # fmt: skip
    loss_fn = losses.SparseCategoricalCrossentropy()
    weights = []

    def step():
        h = x
        for layer in stack:
            h = layer(h, training=True)
        if not weights:
            weights.extend(w for layer in stack for w in layer.trainable_weights)
        for w in weights:
            w.grad = None
        loss_fn(y, h).backward()

    return _time(step, repeats)


CASES = {"mlp_step": mlp_step}
