"""Fashion-MNIST: 70,000 Zalando article images, 28×28 gray, in 10 classes.

A drop-in replacement for MNIST (same file format, same sizes) that is harder
to get right, which is why the course uses it for its first image classifier.
``load_data()`` returns exactly what ``keras.datasets.fashion_mnist.load_data()``
returns, read from the four official IDX files: in ``$TREINO_DATA/fashion-mnist/``,
in the cache (``~/.cache/treino/fashion-mnist``), in
``/usr/share/datasets/fashion-mnist/`` (``apt-get install dataset-fashion-mnist``)
or, failing all three, downloaded once into the cache from Zalando's servers and
checked against the published sizes and SHA-256 sums.

``load_data(sample=True)`` needs neither network nor files: treino ships a
stratified sample (1,000 training and 200 test images per class, drawn from the
official splits by ``scripts/make_fashion_mnist_sample.py``).

Fashion-MNIST is © 2017 Zalando SE, under the MIT licence
(https://github.com/zalandoresearch/fashion-mnist); see ``LICENSES/fashion-mnist.txt``.
"""

from __future__ import annotations

import importlib.resources

from treino.datasets._download import DatasetSpec, RemoteFile, fetch
from treino.datasets.idx import read_mnist_files
from treino.io import load_npz

__all__ = ["CLASS_NAMES", "NOMES_DAS_CLASSES", "load_data"]

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
"""The label of each class index, as Zalando names them."""

NOMES_DAS_CLASSES = (
    "camiseta/top", "calça", "pulôver", "vestido", "casaco",
    "sandália", "camisa", "tênis", "bolsa", "bota",
)  # fmt: skip
"""Os nomes das classes em português, na ordem dos rótulos 0–9."""

SAMPLE_FILE = "fashion_mnist_sample.npz"

SPEC = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    # The S3 *website* endpoint Zalando documents answers plain HTTP only; the
    # SHA-256 check below is what guarantees the bytes.
    base_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    files=(
        RemoteFile(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            26_421_880,
        ),
        RemoteFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            29_515,
        ),
        RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            4_422_102,
        ),
        RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            5_148,
        ),
    ),
    apt_package="dataset-fashion-mnist",
    extra_hint="use fashion_mnist.load_data(sample=True): the 10,000 + 2,000 image "
    "sample shipped with treino, no download needed",
)


def load_data(*, sample=False, cache_dir=None, base_url=None, download=True):
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Args:
        sample: ``True`` for the sample shipped inside treino (10,000 training and
            2,000 test images, equally many per class) — offline, instant.
        cache_dir: where downloaded files go (default ``~/.cache/treino/fashion-mnist``,
            or under ``$XDG_CACHE_HOME``); also searched before downloading.
        base_url: download from here instead (default
            ``$TREINO_DATASETS_URL/fashion-mnist/`` when that variable is set,
            else Zalando's server).
        download: ``False`` to raise instead of downloading.

    Returns:
        ``x_train`` uint8 ``(60000, 28, 28)``, ``y_train`` uint8 ``(60000,)``,
        ``x_test`` uint8 ``(10000, 28, 28)``, ``y_test`` uint8 ``(10000,)``
        (10,000 and 2,000 with ``sample=True``). Label ``i`` names
        ``CLASS_NAMES[i]`` (``NOMES_DAS_CLASSES[i]`` em português).

    Raises:
        DatasetUnavailableError: the files are nowhere and could not be
            downloaded; the message says where it looked and what to do.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data(sample=True)
        >>> x_train.shape, x_train.dtype, y_test.shape
        ((10000, 28, 28), dtype('uint8'), (2000,))
        >>> NOMES_DAS_CLASSES[y_train[0]] in NOMES_DAS_CLASSES
        True
    """
    if sample:
        return _load_sample()
    paths = fetch(SPEC, cache_dir=cache_dir, base_url=base_url, download=download)
    return read_mnist_files(paths)


def _load_sample():
    resource = importlib.resources.files(__package__) / "data" / SAMPLE_FILE
    with importlib.resources.as_file(resource) as path:
        arrays = load_npz(path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
