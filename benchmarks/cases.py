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


def _mlp_parameter_shapes() -> list:
    """The course MLP's weights, in treino's (in, out) layout: 109,386 numbers."""
    shapes = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        shapes += [(fan_in, fan_out), (fan_out,)]
    return shapes


def _optimizer_step(framework: str, repeats: int, make_treino, make_torch) -> list:
    """One update of every MLP parameter with fixed random gradients."""
    rng = np.random.default_rng(0)
    values = [rng.normal(size=s).astype(np.float32) for s in _mlp_parameter_shapes()]
    grads = [rng.normal(size=s).astype(np.float32) for s in _mlp_parameter_shapes()]
    if framework == "torch":
        import torch

        params = [torch.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.from_numpy(g)
        optimizer = make_torch(params)
        return _time(optimizer.step, repeats)

    import treino

    params = [treino.tensor(v, requires_grad=True) for v in values]
    optimizer = make_treino()
    pairs = list(zip(grads, params, strict=True))
    return _time(lambda: optimizer.apply_gradients(pairs), repeats)


def adam_step(framework: str, repeats: int = 100) -> list:
    """Adam update of the course MLP's 109k parameters (torch: default foreach kernels)."""
    from treino import optimizers

    return _optimizer_step(
        framework, repeats, lambda: optimizers.Adam(1e-3),
        lambda params: __import__("torch").optim.Adam(params, lr=1e-3, eps=1e-7),
    )  # fmt: skip


def sgd_momentum_step(framework: str, repeats: int = 100) -> list:
    """SGD + momentum 0.9 update of the course MLP's 109k parameters."""
    from treino import optimizers

    return _optimizer_step(
        framework, repeats, lambda: optimizers.SGD(0.01, momentum=0.9),
        lambda params: __import__("torch").optim.SGD(params, lr=0.01, momentum=0.9),
    )  # fmt: skip


CASES = {"mlp_step": mlp_step, "adam_step": adam_step, "sgd_momentum_step": sgd_momentum_step}
