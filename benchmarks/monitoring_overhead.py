"""What watching training costs: an epoch of the course's MLP with and without the monitors.

Trains the course's MLP (784-128-64-10, dropout 0.2, Adam, batch 32) on the
Fashion-MNIST sample for one epoch at a time, alternating four set-ups in the
same process — no callback, ``GradientMonitor()`` (every batch measured),
``GradientMonitor(freq=10)`` and ``TrainingDoctor()`` — and prints each one's
median epoch time and its ratio to the plain epoch.

Run: python -m benchmarks.monitoring_overhead [--rounds 5] [--samples 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import treino
from treino.callbacks import GradientMonitor
from treino.datasets import fashion_mnist
from treino.diagnostics import TrainingDoctor
from treino.layers import Dense, Dropout, Input
from treino.models import Sequential

SETUPS = {
    "plain": list,
    "GradientMonitor()": lambda: [GradientMonitor()],
    "GradientMonitor(freq=10)": lambda: [GradientMonitor(freq=10)],
    "TrainingDoctor()": lambda: [TrainingDoctor(verbose=0)],
}


def epoch_seconds(x, y, callbacks) -> float:
    treino.seed(0)
    model = Sequential([Input((784,)), Dense(128, activation="relu"), Dropout(0.2),
                        Dense(64, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main(rounds: int = 5, samples: int = 10000) -> dict:
    (x, y), _ = fashion_mnist.load_data(sample=True)
    x = x[:samples].reshape(-1, 784).astype("float32") / 255.0
    y = y[:samples]
    times: dict = {name: [] for name in SETUPS}
    for _ in range(rounds):  # alternate, so that machine noise hits every set-up alike
        for name, make in SETUPS.items():
            times[name].append(epoch_seconds(x, y, make()))
    plain = statistics.median(times["plain"])
    print(f"{'set-up':28s} {'median epoch':>13s} {'ratio':>7s}   ({rounds} rounds, "
          f"{len(x)} samples)")  # fmt: skip
    result = {}
    for name, values in times.items():
        median = statistics.median(values)
        result[name] = median / plain
        print(f"{name:28s} {median:12.3f}s {median / plain:7.2f}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=10000)
    args = parser.parse_args()
    main(args.rounds, args.samples)
