"""Momentum SGD, Adam, and the adaptive per-layer choice between them, on two problems.

The course's advanced exercise: a framework that picks an optimizer per layer.
``AdaptivePerLayer`` watches each layer's gradients (sign consistency,
noise-to-signal, norm trend) and switches it between Adam and momentum SGD;
this script compares it with each optimizer alone — same models, data, seeds
and learning rates — and prints the medians over three seeds and the switches
it made.

Run: python examples/compare_optimizers.py
"""

import time

import numpy as np

import treino
from treino import layers, losses, optimizers
from treino.optimizers import SGD, Adam, AdaptivePerLayer

SEEDS = (0, 1, 2)
EPOCHS = 40
BATCH_SIZE = 32


def two_spirals(seed: int, n_per_class: int = 300):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, 0.05, (2 * n_per_class, 2))
    return x.astype("float32"), np.repeat([0, 1], n_per_class)


def wave_regression(seed: int, n: int = 600):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = np.sin(2 * np.pi * x[:, :1]) * np.cos(np.pi * x[:, 1:]) + rng.normal(0, 0.05, (n, 1))
    return x.astype("float32"), y.astype("float32")


PROBLEMS = {
    "espirais (classificação)": dict(
        data=two_spirals, units=(64, 64, 2), activation="relu", output="softmax",
        loss=losses.SparseCategoricalCrossentropy(), metric="acurácia",
    ),
    "onda 2D (regressão)": dict(
        data=wave_regression, units=(32, 32, 32, 1), activation="tanh", output=None,
        loss=losses.MeanSquaredError(), metric="MSE",
    ),
}  # fmt: skip

CANDIDATES = {
    "SGD momentum": lambda: SGD(learning_rate=0.05, momentum=0.9),
    "Adam": lambda: Adam(learning_rate=0.003),
    "AdaptivePerLayer": lambda: AdaptivePerLayer(
        adaptive=Adam(learning_rate=0.003), steady=SGD(learning_rate=0.05, momentum=0.9)
    ),
}


def build(spec) -> list:
    *hidden, out = spec["units"]
    model = [layers.Dense(u, activation=spec["activation"], name=f"dense_{i}")
             for i, u in enumerate(hidden)]  # fmt: skip
    return model + [layers.Dense(out, activation=spec["output"], name="head")]


def forward(model, x):
    for layer in model:
        x = layer(x)
    return x


def metric(spec, model, x, y) -> float:
    with treino.no_grad():
        out = forward(model, x).numpy()
    if spec["metric"] == "acurácia":
        return float(np.mean(out.argmax(axis=1) == y))
    return float(np.mean((out - y) ** 2))


def train(spec, make_optimizer, seed: int):
    treino.seed(seed)
    x, y = spec["data"](seed)
    split = int(0.8 * len(x))
    model = build(spec)
    optimizer = make_optimizer()
    loss_fn = spec["loss"]
    rng = np.random.default_rng(seed)
    for _ in range(EPOCHS):
        order = rng.permutation(split)
        for i in range(0, split, BATCH_SIZE):
            idx = order[i : i + BATCH_SIZE]
            params = [w for layer in model for w in layer.trainable_weights]
            for w in params:
                w.grad = None
            loss_fn(y[idx], forward(model, x[idx])).backward()
            optimizer.apply_gradients((w.grad, w) for w in params)
    with treino.no_grad():
        train_loss = loss_fn(y[:split], forward(model, x[:split])).item()
    return train_loss, metric(spec, model, x[split:], y[split:]), optimizer


def main() -> dict:
    results = {}
    start = time.perf_counter()
    for problem, spec in PROBLEMS.items():
        print(f"\n{problem}: {EPOCHS} épocas, lote {BATCH_SIZE}, mediana de {len(SEEDS)} sementes")
        print(f"  {'otimizador':18s} {'loss treino':>12s} {spec['metric'] + ' teste':>14s}")
        for name, make in CANDIDATES.items():
            runs = [train(spec, make, seed) for seed in SEEDS]
            loss = float(np.median([r[0] for r in runs]))
            score = float(np.median([r[1] for r in runs]))
            results[(problem, name)] = (loss, score)
            print(f"  {name:18s} {loss:12.4f} {score:14.4f}")
            if isinstance(runs[0][2], AdaptivePerLayer):
                opt = runs[0][2]
                print(f"    decisões (semente {SEEDS[0]}): {len(opt.decisions)} avaliações, "
                      f"{len(opt.switches)} trocas; final: {opt.assignment}")  # fmt: skip
                for d in opt.switches[:6]:
                    print(f"      passo {d['step']:4d} {d['layer']:8s} → {d['optimizer']:8s} "
                          f"({d['reason']})")  # fmt: skip
    print(f"\n({time.perf_counter() - start:.0f} s; {optimizers.__name__})")
    return results


if __name__ == "__main__":
    main()
