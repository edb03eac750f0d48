"""Train one model on the full Fashion-MNIST in treino and in PyTorch, side by side.

The shared half of ``benchmarks.fashion_mlp``, ``fashion_lenet`` and
``fashion_lstm``: each of those describes its model twice (treino, PyTorch)
and calls :func:`main`. Each framework trains in its own process (NumPy's and
PyTorch's thread pools interfere inside one), through the user's path —
``Model.fit`` for treino, the usual loop for PyTorch — with the same data
order, Keras's initialisation (Glorot-uniform kernels, zero biases) on both
sides, and Adam. The report gives test accuracy, the median epoch time of
each, their ratio, and whether treino reached the target accuracy.

The full data set is needed: ``apt-get install dataset-fashion-mnist`` or
``treino.datasets.fashion_mnist.load_data()``'s download.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def load(shape: tuple, standardize: bool = False, sample: bool = False):
    """Full Fashion-MNIST, images reshaped to ``(n, *shape)``.

    Pixels are scaled to [0, 1], or with ``standardize`` to mean 0 and
    standard deviation 1 using the *training* set's statistics. ``sample``
    takes the 10,000-image sample shipped in treino instead (quick runs).
    """
    from treino.datasets import fashion_mnist

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(sample=sample)
    x_train = x_train.reshape(-1, *shape).astype("float32")
    x_test = x_test.reshape(-1, *shape).astype("float32")
    for x in (x_train, x_test):  # in place: the peak memory is the data's, not twice it
        x /= 255.0
    if standardize:
        mean, std = x_train.mean(), x_train.std()
        for x in (x_train, x_test):
            x -= mean
            x /= std
    return x_train, y_train.astype("int64"), x_test, y_test.astype("int64")


def train_treino(model, data, epochs: int, batch_size: int, learning_rate: float) -> dict:
    """``Model.fit`` with Adam, timing each epoch with a callback."""
    import treino

    x_train, y_train, x_test, y_test = data
    model.compile(optimizer=treino.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    epoch_times = []

    class Timer(treino.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_times.append(time.perf_counter() - self.start)

    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0,
                        callbacks=[Timer()])  # fmt: skip
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"accuracy": float(accuracy), "epoch_times": epoch_times,
            "train_loss": history.history["loss"]}  # fmt: skip


def keras_init(module) -> None:
    """Glorot-uniform weights and zero biases, as Keras initialises Dense/Conv/LSTM kernels."""
    import torch

    for name, parameter in module.named_parameters():
        if "bias" in name:
            torch.nn.init.zeros_(parameter)
        else:
            torch.nn.init.xavier_uniform_(parameter)


def train_torch(model, data, epochs: int, batch_size: int, learning_rate: float,
                seed: int) -> dict:  # fmt: skip
    """The usual PyTorch loop: shuffled mini-batches, Adam (ε = 1e-7 as Keras), cross-entropy.

    ``model`` returns logits; the softmax is inside ``CrossEntropyLoss``.
    """
    import numpy as np
    import torch

    x_train, y_train, x_test, y_test = data
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    rng = np.random.default_rng(seed)
    epoch_times, losses = [], []
    for _ in range(epochs):
        start = time.perf_counter()
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
        epoch_times.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(torch.from_numpy(x_test[i : i + 1000])).argmax(dim=1)
                               for i in range(0, len(x_test), 1000)]).numpy()  # fmt: skip
    return {"accuracy": float((predicted == y_test).mean()), "epoch_times": epoch_times,
            "train_loss": losses}  # fmt: skip


def main(module: str, title: str, runners: dict, target: float, defaults: dict,
         argv=None) -> int:  # fmt: skip
    """Parse the command line, run each framework in a child process, print the comparison.

    Args:
        module: the benchmark's module name (the child processes run it).
        title: the first line of the report.
        runners: ``{"treino": fn, "torch": fn}``, each ``fn(epochs, batch_size, seed) -> dict``
            with ``accuracy`` and ``epoch_times``.
        target: the test accuracy treino must reach.
        defaults: default ``epochs`` and ``batch_size``.
    """
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=title)
    parser.add_argument("--epochs", type=int, default=defaults["epochs"])
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--framework", choices=sorted(runners), help=argparse.SUPPRESS)
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args(argv)
    if args.framework:  # the child process: train and print JSON
        print(json.dumps(runners[args.framework](args.epochs, args.batch_size, args.seed)))
        return 0
    results = {}
    for framework in runners:
        out = subprocess.run(
            [sys.executable, "-m", module, "--framework", framework, "--epochs", str(args.epochs),
             "--batch-size", str(args.batch_size), "--seed", str(args.seed)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[framework] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{title}, batch {args.batch_size}, {args.epochs} epochs")
    medians = {}
    for framework, r in results.items():
        medians[framework] = statistics.median(r["epoch_times"])
        print(f"  {framework:7s} test accuracy {r['accuracy']:.4f}   "
              f"median epoch {medians[framework]:.2f} s   "
              f"(min {min(r['epoch_times']):.2f}, max {max(r['epoch_times']):.2f})")  # fmt: skip
    ratio = medians["treino"] / medians["torch"]
    diff = 100 * (results["treino"]["accuracy"] - results["torch"]["accuracy"])
    print(
        f"  accuracy difference treino − PyTorch: {diff:+.2f} points; "
        f"epoch-time ratio treino/PyTorch (medians): {ratio:.2f}"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"results": results, "ratio": ratio}, fh)
    ok = results["treino"]["accuracy"] >= target
    print(f"  OK: treino ≥ {target:.0%}" if ok else f"  FAILED: treino < {target:.0%}")
    return 0 if ok else 1
