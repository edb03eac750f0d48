"""One data-parallel training run, for tests/test_distributed.py (start it with mpiexec).

    mpiexec -n 2 python tests/distributed/replica.py --batch 16 --out w.npz
    python tests/distributed/replica.py --batch 32 --out w.npz    # one process, no MPI

Options to make a rank fail on purpose: --die-rank R --die-step S kills rank R
(SIGKILL) at global step S; --raise-rank R --raise-step S makes it raise.
--checkpoint F saves the model every epoch (rank 0); --resume F continues from it.
"""

from __future__ import annotations

import argparse
import os
import signal

import numpy as np

import treino
from treino import optimizers
from treino.callbacks import LambdaCallback, ModelCheckpoint
from treino.distributed import DataParallel, launched_by_mpi
from treino.layers import BatchNormalization, Dense, Input
from treino.models import Sequential, load_model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = ((x[:, 0] + x[:, 1] * x[:, 2]) > 0).astype("int64")
    return x, y


def model(batchnorm: bool):
    layers = [Input((8,)), Dense(16, activation="tanh")]
    if batchnorm:
        layers.append(BatchNormalization())
    layers.append(Dense(2, activation="softmax"))
    net = Sequential(layers)
    net.compile(optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy",
                metrics=["accuracy"])  # fmt: skip
    return net


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--out", default=None)
    parser.add_argument("--every-rank", action="store_true", help="each rank writes OUT.<rank>")
    parser.add_argument("--batchnorm", action="store_true")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--resume", default=None)
    parser.add_argument("--initial-epoch", type=int, default=0)
    parser.add_argument("--die-rank", type=int, default=-1)
    parser.add_argument("--raise-rank", type=int, default=-1)
    parser.add_argument("--at-step", type=int, default=5)
    args = parser.parse_args()

    treino.seed(0)
    strategy = DataParallel() if launched_by_mpi() else None
    rank = strategy.rank if strategy else 0
    net = load_model(args.resume) if args.resume else model(args.batchnorm)
    x, y = data()
    steps = {"n": 0}

    def on_batch_end(batch, logs):
        steps["n"] += 1
        if steps["n"] == args.at_step and rank == args.die_rank:
            os.kill(os.getpid(), signal.SIGKILL)
        if steps["n"] == args.at_step and rank == args.raise_rank:
            raise RuntimeError("falha simulada")

    callbacks = [LambdaCallback(on_train_batch_end=on_batch_end)]
    if args.checkpoint:
        callbacks.append(ModelCheckpoint(args.checkpoint))
    history = net.fit(x, y, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0,
                      initial_epoch=args.initial_epoch, callbacks=callbacks, strategy=strategy)
    if args.out and (rank == 0 or args.every_rank):
        out = f"{args.out}.{rank}.npz" if args.every_rank else args.out
        np.savez(out, *net.get_weights(), loss=np.array(history.history["loss"]),
                 accuracy=np.array(history.history["accuracy"]))  # fmt: skip


if __name__ == "__main__":
    main()
