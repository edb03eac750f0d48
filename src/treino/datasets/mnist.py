"""MNIST: 70,000 handwritten digits, 28×28 gray (LeCun, Cortes & Burges).

``load_data()`` returns exactly what ``keras.datasets.mnist.load_data()``
returns, read from the four official IDX files: in ``$TREINO_DATA/mnist/``, in
the cache (``~/.cache/treino/mnist``) or in ``/usr/share/datasets/mnist/``, and
otherwise downloaded once into the cache from TensorFlow's mirror of the
original files, each checked against its published size and SHA-256.
"""

from __future__ import annotations

from treino.datasets._download import DatasetSpec, RemoteFile, fetch
from treino.datasets.idx import read_mnist_files

__all__ = ["load_data"]

SPEC = DatasetSpec(
    name="mnist",
    title="MNIST",
    base_url="https://storage.googleapis.com/cvdf-datasets/mnist/",
    files=(
        RemoteFile(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            9_912_422,
        ),
        RemoteFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            28_881,
        ),
        RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            1_648_877,
        ),
        RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            4_542,
        ),
    ),
    extra_hint="for an offline start, treino ships a Fashion-MNIST sample: "
    "treino.datasets.fashion_mnist.load_data(sample=True)",
)


def load_data(*, cache_dir=None, base_url=None, download=True):
    """Load MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Args:
        cache_dir: where downloaded files go (default ``~/.cache/treino/mnist``,
            or under ``$XDG_CACHE_HOME``); also searched before downloading.
        base_url: download from here instead (default ``$TREINO_DATASETS_URL/mnist/``
            when that variable is set, else TensorFlow's mirror).
        download: ``False`` to raise instead of downloading.

    Returns:
        ``x_train`` uint8 ``(60000, 28, 28)``, ``y_train`` uint8 ``(60000,)``,
        ``x_test`` uint8 ``(10000, 28, 28)``, ``y_test`` uint8 ``(10000,)``.

    Raises:
        DatasetUnavailableError: the files are nowhere and could not be
            downloaded; the message says where it looked and what to do.
    """
    paths = fetch(SPEC, cache_dir=cache_dir, base_url=base_url, download=download)
    return read_mnist_files(paths)
