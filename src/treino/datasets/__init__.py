"""Datasets for the course: toy problems, MNIST-style images and CSV tables.

* toy generators, seeded like the rest of treino — classification:
  :func:`xor`, :func:`moons`, :func:`circles`, :func:`spirals`, :func:`blobs`;
  regression: :func:`sine`, :func:`linear`;
* :mod:`~treino.datasets.fashion_mnist` and :mod:`~treino.datasets.mnist`, whose
  ``load_data()`` returns what Keras's does, from local files, the cache or a
  verified download; ``fashion_mnist.load_data(sample=True)`` works offline
  from a sample shipped with treino;
* :func:`load_csv` for structured data (dados estruturados);
* :func:`read_idx` / :func:`write_idx` for the IDX file format itself.

Example:
    >>> from treino import datasets
    >>> x, y = datasets.moons(200, noise=0.1, seed=0)
    >>> x.shape, y.shape
    ((200, 2), (200,))
"""

from treino.datasets import fashion_mnist, mnist
from treino.datasets._download import DatasetUnavailableError
from treino.datasets.idx import read_idx, write_idx
from treino.datasets.tabular import TabularData, load_csv
from treino.datasets.toy import blobs, circles, linear, moons, sine, spirals, xor

__all__ = [
    "DatasetUnavailableError",
    "TabularData",
    "blobs",
    "circles",
    "fashion_mnist",
    "linear",
    "load_csv",
    "mnist",
    "moons",
    "read_idx",
    "sine",
    "spirals",
    "write_idx",
    "xor",
]
