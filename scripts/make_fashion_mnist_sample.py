"""Build the Fashion-MNIST sample that ships inside treino.

Draws exactly 1,000 training images per class from the official training split
and 200 test images per class from the official test split (seeded, so the same
input gives the same arrays), keeps them in their original order, and writes
``src/treino/datasets/data/fashion_mnist_sample.npz`` (compressed, uint8, no
pickle) with ``x_train``, ``y_train``, ``x_test``, ``y_test`` plus
``train_indices`` / ``test_indices``: the row of each sample in its official split.

Usage::

    python scripts/make_fashion_mnist_sample.py [--source /usr/share/datasets/fashion-mnist]

The source directory needs the four IDX files (``apt-get install
dataset-fashion-mnist`` on Debian/Ubuntu puts them in the default one).
Fashion-MNIST is © 2017 Zalando SE, MIT licence (see LICENSES/fashion-mnist.txt).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from treino.datasets.idx import MNIST_FILES, read_mnist_files

SEED = 20170825  # Fashion-MNIST's release date
PER_CLASS = {"train": 1000, "test": 200}
ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "treino" / "datasets" / "data" / "fashion_mnist_sample.npz"


def stratified_indices(labels: np.ndarray, per_class: int, rng) -> np.ndarray:
    """``per_class`` row indices of each label, drawn without replacement, sorted."""
    chosen = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < per_class:
            raise ValueError(f"class {label} has {len(rows)} rows, fewer than {per_class}")
        chosen.append(rng.choice(rows, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def find_files(source: Path) -> dict[str, str]:
    paths = {}
    for stem in MNIST_FILES:
        for name in (stem, stem + ".gz"):
            if (source / name).is_file():
                paths[stem] = str(source / name)
                break
        else:
            raise SystemExit(f"{source} has no {stem}[.gz]; apt-get install dataset-fashion-mnist")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = read_mnist_files(find_files(args.source))
    rng = np.random.default_rng(SEED)
    train = stratified_indices(y_train, PER_CLASS["train"], rng)
    test = stratified_indices(y_test, PER_CLASS["test"], rng)
    arrays = {
        "x_train": x_train[train], "y_train": y_train[train],
        "x_test": x_test[test], "y_test": y_test[test],
        "train_indices": train.astype(np.int32), "test_indices": test.astype(np.int32),
    }  # fmt: skip

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=args.output.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.output)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size / 1e6:.2f} MB): "
          f"{len(train)} train / {len(test)} test images")  # fmt: skip


if __name__ == "__main__":
    main()
