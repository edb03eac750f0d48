"""Data-parallel SGD on this machine: the course's MLP with 1 rank and with N ranks.

Each configuration trains the MLP 784-128-64-10 (dropout 0.2, Adam) on
Fashion-MNIST (the full set when it is installed, else the embedded sample)
with the same *global* batch (default 64: 1 rank × 64, 2 ranks × 32), so the
ranks make the same updates and only the time differs. It prints the median
epoch time (the first epoch is a warm-up), the speed-up, and the Allreduce's
cost per step (its share of the step time). Ranks on one machine split its
cores (treino.distributed gives each rank cores / ranks BLAS threads).

Run: python -m benchmarks.distributed [--ranks 2] [--epochs 4] [--global-batch 64] [--sample]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np


def _data(sample: bool):
    from treino.datasets import DatasetUnavailableError, fashion_mnist

    try:
        (x, y), _ = fashion_mnist.load_data(sample=sample, download=False)
        source = "sample" if sample else "full"
    except DatasetUnavailableError:
        (x, y), _ = fashion_mnist.load_data(sample=True)
        source = "sample"
    return x.reshape(len(x), -1).astype("float32") / 255.0, y, source


def child(args) -> None:
    """One rank (or the single process): train, then rank 0 prints a JSON line."""
    import treino
    from treino.callbacks import Callback
    from treino.distributed import DataParallel, launched_by_mpi
    from treino.layers import Dense, Dropout, Input
    from treino.models import Sequential

    strategy = DataParallel() if launched_by_mpi() else None
    ranks = strategy.size if strategy else 1
    x, y, source = _data(args.sample)
    treino.seed(0)
    model = Sequential([Input((784,)), Dense(128, activation="relu"), Dropout(0.2),
                        Dense(64, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    class Timer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.reduce_start = strategy.allreduce_seconds if strategy else 0.0

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start
            reduce = (strategy.allreduce_seconds if strategy else 0.0) - self.reduce_start
            epochs.append((seconds, reduce))

    epochs: list = []
    history = model.fit(x, y, batch_size=args.global_batch // ranks, epochs=args.epochs,
                        verbose=0, callbacks=[Timer()], strategy=strategy)  # fmt: skip
    if strategy is None or strategy.is_chief:
        steps = -(-len(x) // args.global_batch)
        timed = epochs[1:] or epochs
        print(json.dumps({
            "ranks": ranks, "source": source, "samples": len(x), "steps": steps,
            "epoch_s": float(np.median([s for s, _ in timed])),
            "allreduce_ms_per_step": 1e3 * float(np.median([r for _, r in timed])) / steps,
            "accuracy": history.history["accuracy"][-1],
        }), flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--sample", action="store_true", help="the embedded sample only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from treino.distributed import find_mpiexec

    mpiexec = find_mpiexec()
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install \"treino[distributed]\"")
    base = [sys.executable, "-m", "benchmarks.distributed", "--child", "--epochs",
            str(args.epochs), "--global-batch", str(args.global_batch)]
    base += ["--sample"] if args.sample else []
    rows = []
    for ranks in (1, args.ranks):
        command = base if ranks == 1 else [mpiexec, "-n", str(ranks), *base]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    one = rows[0]["epoch_s"]
    print(f"MLP 784-128-64-10, Fashion-MNIST {rows[0]['source']} ({rows[0]['samples']} "
          f"images), global batch {args.global_batch}, {rows[0]['steps']} steps per epoch")
    print(f"{'ranks':>5} {'epoch (median)':>15} {'speed-up':>9} {'allreduce/step':>15} "
          f"{'share of step':>14} {'train acc':>10}")
    for row in rows:
        step_ms = 1e3 * row["epoch_s"] / row["steps"]
        share = row["allreduce_ms_per_step"] / step_ms if row["ranks"] > 1 else 0.0
        print(f"{row['ranks']:>5} {row['epoch_s']:>14.2f}s {one / row['epoch_s']:>8.2f}× "
              f"{row['allreduce_ms_per_step']:>13.3f}ms {share:>13.1%} {row['accuracy']:>10.4f}")


if __name__ == "__main__":
    main()
