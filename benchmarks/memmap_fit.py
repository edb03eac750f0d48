"""One epoch of ``Model.fit`` on a memory-mapped float32 array larger than we want in memory.

Writes a ``--gib`` GiB float32 matrix (1024 features per row) to a file, then,
in a fresh process (so the peak is its own), opens it with ``np.memmap`` and
trains an MLP 1024-64-10 for one shuffled epoch at batch 512. Prints the
array size, the peak resident memory of the training process (``VmHWM``) and
the epoch time. treino's Dataset copies only the rows of each batch and hands
the mapped pages back to the OS, so the peak stays far below the file size.

Run: python -m benchmarks.memmap_fit [--gib 2] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks.runner import status_mib

FEATURES = 1024


def write_array(path: str, rows: int, chunk: int = 16384) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    mm = np.memmap(path, dtype="float32", mode="w+", shape=(rows, FEATURES))
    for start in range(0, rows, chunk):
        stop = min(rows, start + chunk)
        mm[start:stop] = rng.standard_normal((stop - start, FEATURES), dtype=np.float32)
    mm.flush()
    del mm


def train(path: str, rows: int) -> dict:
    import numpy as np

    import treino
    from treino import layers, models

    before = status_mib("VmHWM")
    x = np.memmap(path, dtype="float32", mode="r", shape=(rows, FEATURES))
    y = np.arange(rows) % 10  # labels need no disk: 4 MB
    treino.seed(0)
    model = models.Sequential([layers.Dense(64, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=512, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {"peak_rss_mib": status_mib("VmHWM"), "rss_before_mib": before,
            "epoch_s": seconds, "loss": history.history["loss"][0],
            "updates": model.optimizer.iterations}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memmap_fit", description=__doc__)
    parser.add_argument("--gib", type=float, default=2.0, help="size of the array in GiB")
    parser.add_argument("--dir", default=None, help="where to write the file (deleted after)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(train(args.child[0], int(args.child[1]))))
        return 0
    rows = int(args.gib * 2**30) // (4 * FEATURES)
    fd, path = tempfile.mkstemp(suffix=".f32", dir=args.dir)
    os.close(fd)
    try:
        t = time.perf_counter()
        write_array(path, rows)
        size = os.path.getsize(path) / 2**20
        seconds = time.perf_counter() - t
        print(f"wrote {rows} × {FEATURES} float32 = {size:.0f} MiB in {seconds:.1f} s")
        out = subprocess.run([sys.executable, "-m", "benchmarks.memmap_fit", "--child", path,
                              str(rows)], check=True, capture_output=True, text=True)  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.remove(path)
    print(f"one epoch of fit on the memmap: {r['updates']} updates in {r['epoch_s']:.1f} s, "
          f"loss {r['loss']:.4f}")  # fmt: skip
    print(f"peak RSS of the training process: {r['peak_rss_mib']:.0f} MiB "
          f"({100 * r['peak_rss_mib'] / size:.1f} % of the {size:.0f} MiB array; "
          f"{r['rss_before_mib']:.0f} MiB after importing NumPy)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
