"""The course's MLP on the full Fashion-MNIST: treino's ``Model.fit`` beside the same PyTorch model.

784-128-64-10, ReLU, Dropout 0.2, softmax / cross-entropy, Adam (η = 0.001),
batch 32, 10 epochs, pixels scaled to [0, 1]. Each framework trains in its own
process (their thread pools interfere inside one); the script prints test
accuracy and seconds per epoch of each, and the difference in accuracy
points — treino must reach ≥ 87 % and land within ±1 point of PyTorch.

Run: python -m benchmarks.fashion_mlp [--epochs 10] [--batch-size 32] [--seed 0]
(needs the full data set: ``apt-get install dataset-fashion-mnist`` or
``treino.datasets.fashion_mnist.load_data()``'s download).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def _data():
    from treino.datasets import fashion_mnist

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
    return x_train, y_train.astype("int64"), x_test, y_test.astype("int64")


def run_treino(epochs: int, batch_size: int, seed: int) -> dict:
    import treino
    from treino.layers import Dense, Dropout
    from treino.models import Sequential

    x_train, y_train, x_test, y_test = _data()
    treino.seed(seed)
    modelo = Sequential([
        Dense(128, activation="relu", input_shape=(784,)),
        Dropout(0.2),
        Dense(64, activation="relu"),
        Dropout(0.2),
        Dense(10, activation="softmax"),
    ])  # fmt: skip
    modelo.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])  # fmt: skip
    epoch_times = []
    start = time.perf_counter()

    class Timer(treino.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_times.append(time.perf_counter() - self.t)

    history = modelo.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0,
                         callbacks=[Timer()])  # fmt: skip
    total = time.perf_counter() - start
    _, accuracy = modelo.evaluate(x_test, y_test, verbose=0)
    return {"accuracy": float(accuracy), "epoch_times": epoch_times, "total": total,
            "train_loss": history.history["loss"]}  # fmt: skip


def run_torch(epochs: int, batch_size: int, seed: int) -> dict:
    import numpy as np
    import torch

    x_train, y_train, x_test, y_test = _data()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(64, 10),
    )  # fmt: skip
    for layer in model:  # Keras's initialisation: Glorot-uniform kernels, zero biases
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    rng = np.random.default_rng(seed)
    epoch_times, losses = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        t = time.perf_counter()
        model.train()
        order = torch.from_numpy(rng.permutation(len(xt)))
        total, count = 0.0, 0
        for i in range(0, len(xt), batch_size):
            idx = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            count += len(idx)
        losses.append(total / count)
        epoch_times.append(time.perf_counter() - t)
    total_time = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    return {"accuracy": float((predicted == y_test).mean()), "epoch_times": epoch_times,
            "total": total_time, "train_loss": losses}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fashion_mlp", description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--framework", choices=["treino", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    runners = {"treino": run_treino, "torch": run_torch}
    if args.framework:  # the child process: train and print JSON
        print(json.dumps(runners[args.framework](args.epochs, args.batch_size, args.seed)))
        return 0
    results = {}
    for framework in runners:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.fashion_mlp", "--framework", framework,
             "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
             "--seed", str(args.seed)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[framework] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"Fashion-MNIST, MLP 784-128-64-10 (dropout 0.2), Adam, batch {args.batch_size}, "
          f"{args.epochs} epochs")  # fmt: skip
    for framework, r in results.items():
        times = sorted(r["epoch_times"])
        median = times[len(times) // 2]
        print(f"  {framework:7s} test accuracy {r['accuracy']:.4f}   "
              f"median epoch {median:.2f} s   total {r['total']:.1f} s")  # fmt: skip
    diff = 100 * (results["treino"]["accuracy"] - results["torch"]["accuracy"])
    med = {f: sorted(r["epoch_times"])[len(r["epoch_times"]) // 2] for f, r in results.items()}
    print(f"  accuracy difference treino − PyTorch: {diff:+.2f} points; "
          f"epoch-time ratio treino/PyTorch (medians): {med['treino'] / med['torch']:.2f}")
    ok = results["treino"]["accuracy"] >= 0.87 and abs(diff) <= 1.0
    print("  OK: ≥ 87 % and within ±1 point" if ok else "  FAILED the ≥ 87 % / ±1 point check")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
