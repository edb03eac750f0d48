"""treino.datasets: toy generators, IDX files, the Fashion-MNIST/MNIST loaders, CSV tables.

Nothing here touches the internet: downloads are served from 127.0.0.1.
"""

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

import treino
from treino import datasets
from treino.datasets import _download, fashion_mnist, mnist
from treino.datasets._download import DatasetSpec, DatasetUnavailableError, RemoteFile
from treino.datasets.idx import MNIST_FILES, read_idx, write_idx

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
needs_debian = pytest.mark.skipif(
    not all((DEBIAN_DIR / f"{stem}.gz").is_file() for stem in MNIST_FILES),
    reason="Fashion-MNIST is not installed in /usr/share/datasets/fashion-mnist "
    "(apt-get install dataset-fashion-mnist)",
)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $TREINO_DATA, an empty cache, an empty system directory, no proxies."""
    for name in ("TREINO_DATA", "TREINO_DATASETS_URL", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(_download, "SYSTEM_DATA_DIR", str(tmp_path / "system"))
    return tmp_path


def tiny_split(label: int, n: int = 3):
    """Four tiny arrays in the MNIST layout; every label equals ``label``."""
    rng = np.random.default_rng(label)
    images = rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)
    return {
        "train-images-idx3-ubyte": images,
        "train-labels-idx1-ubyte": np.full(n, label, np.uint8),
        "t10k-images-idx3-ubyte": images[:2],
        "t10k-labels-idx1-ubyte": np.full(2, label, np.uint8),
    }


def write_tiny(directory: Path, label: int, gz: bool = True, skip=()) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    arrays = tiny_split(label)
    for stem, array in arrays.items():
        if stem not in skip:
            write_idx(directory / (stem + (".gz" if gz else "")), array)
    return arrays


def loaded_label(**kwargs) -> int:
    (_, y_train), _ = fashion_mnist.load_data(download=False, **kwargs)
    return int(y_train[0])


# -- the official files (Debian's dataset-fashion-mnist) -------------------------


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    """load_data() through the search path, which must end at /usr/share/datasets."""
    if not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TREINO_DATA", raising=False)
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("empty-cache")))
        return fashion_mnist.load_data(download=False)


@needs_debian
def test_official_files_are_exactly_keras_shaped(official):
    (x_train, y_train), (x_test, y_test) = official
    assert (x_train.shape, x_test.shape) == ((60000, 28, 28), (10000, 28, 28))
    assert (y_train.shape, y_test.shape) == ((60000,), (10000,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert x_train.flags.writeable


@needs_debian
def test_raw_and_gzipped_files_give_identical_arrays(official, isolated, monkeypatch):
    raw_dir = isolated / "data" / "fashion-mnist"
    raw_dir.mkdir(parents=True)
    for stem in MNIST_FILES:  # gunzipped copies, under the un-suffixed names
        with gzip.open(DEBIAN_DIR / f"{stem}.gz") as src, open(raw_dir / stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    monkeypatch.setenv("TREINO_DATA", str(isolated / "data"))
    assert set(_download.fetch(fashion_mnist.SPEC).values()) == {
        str(raw_dir / stem) for stem in MNIST_FILES
    }
    for got, expected in zip(fashion_mnist.load_data(), official, strict=True):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


# -- where the files are looked for ----------------------------------------------------


def test_lookup_order_treino_data_then_cache_then_system(isolated, monkeypatch):
    data, cache = isolated / "data", isolated / "xdg" / "treino" / "fashion-mnist"
    write_tiny(isolated / "system" / "fashion-mnist", 4)
    write_tiny(cache, 3, gz=False)
    write_tiny(data, 2)
    write_tiny(data / "fashion-mnist", 1)
    write_tiny(isolated / "partial", 7, skip=["t10k-labels-idx1-ubyte"])
    monkeypatch.setenv("TREINO_DATA", str(data))
    assert loaded_label() == 1  # $TREINO_DATA/fashion-mnist/
    shutil.rmtree(data / "fashion-mnist")
    assert loaded_label() == 2  # $TREINO_DATA itself
    monkeypatch.delenv("TREINO_DATA")
    assert loaded_label() == 3  # the cache (raw files)
    write_tiny(isolated / "mine", 5)
    assert loaded_label(cache_dir=isolated / "mine") == 5  # cache_dir= replaces the cache
    assert loaded_label(cache_dir=isolated / "partial") == 4  # 3 of 4 files: skipped
    shutil.rmtree(cache)
    assert loaded_label() == 4  # /usr/share/datasets/fashion-mnist


def test_nothing_found_names_every_place_and_remedy(isolated):
    write_tiny(isolated / "xdg" / "treino" / "fashion-mnist", 1, skip=["t10k-images-idx3-ubyte"])
    with pytest.raises(DatasetUnavailableError) as info:
        fashion_mnist.load_data(download=False)
    message = str(info.value)
    assert "download=False" in message
    assert "(3 of the 4 files)" in message
    assert f"{isolated / 'system' / 'fashion-mnist'} (no such directory)" in message
    for remedy in ("apt-get install dataset-fashion-mnist", "$TREINO_DATA", "sample=True"):
        assert remedy in message
    with pytest.raises(DatasetUnavailableError, match="MNIST is not available") as info:
        mnist.load_data(download=False)
    assert "dataset-fashion-mnist" not in str(info.value)  # Debian packages no MNIST


# -- the sample shipped inside treino --------------------------------------------------


def test_sample_is_keras_shaped_and_stratified():
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(sample=True)
    assert (x_train.shape, y_train.shape) == ((10000, 28, 28), (10000,))
    assert (x_test.shape, y_test.shape) == ((2000, 28, 28), (2000,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(np.bincount(y_train), [1000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [200] * 10)
    assert len(fashion_mnist.CLASS_NAMES) == len(fashion_mnist.NOMES_DAS_CLASSES) == 10


@needs_debian
def test_sample_images_come_from_the_official_splits(official):
    path = Path(fashion_mnist.__file__).parent / "data" / fashion_mnist.SAMPLE_FILE
    sample = treino.io.load_npz(path)
    for split, (x_full, y_full) in zip(("train", "test"), official, strict=True):
        rows = sample[f"{split}_indices"]
        assert len(np.unique(rows)) == len(rows)
        np.testing.assert_array_equal(sample[f"x_{split}"], x_full[rows])
        np.testing.assert_array_equal(sample[f"y_{split}"], y_full[rows])
        # independent of the stored indices: each image (with its label) is in the split
        known = {img.tobytes() + bytes([lab]) for img, lab in zip(x_full, y_full, strict=True)}
        pairs = zip(sample[f"x_{split}"], sample[f"y_{split}"], strict=True)
        assert all(img.tobytes() + bytes([lab]) in known for img, lab in pairs)


# -- the IDX reader ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["a-idx", "a-idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / name, array)
    got = read_idx(tmp_path / name)
    assert got.dtype == array.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    write_idx(tmp_path / "x.gz", np.arange(5, dtype=np.uint8))
    os.rename(tmp_path / "x.gz", tmp_path / "x-idx1-ubyte")
    np.testing.assert_array_equal(read_idx(tmp_path / "x-idx1-ubyte"), np.arange(5))


def test_truncated_idx_files_are_one_clear_error(tmp_path):
    write_idx(tmp_path / "full", np.zeros((10, 28, 28), np.uint8))
    data = (tmp_path / "full").read_bytes()
    (tmp_path / "short").write_bytes(data[:-100])
    with pytest.raises(ValueError, match=r"short.*shape \(10, 28, 28\).*7840 bytes.*only"):
        read_idx(tmp_path / "short")
    (tmp_path / "short.gz").write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(ValueError, match=r"short.gz.*7840 bytes.*holds 7740 bytes.*truncated"):
        read_idx(tmp_path / "short.gz")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(data)[:-20])  # a broken gzip stream
    with pytest.raises(ValueError, match=r"cut.gz' is not a readable gzipped IDX file"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "long").write_bytes(data + b"\0")
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(tmp_path / "long")
    (tmp_path / "header").write_bytes(data[:9])
    with pytest.raises(ValueError, match="announces 3 dimensions"):
        read_idx(tmp_path / "header")


def test_wrong_magic_is_one_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_bytes(b"hello, world")
    with pytest.raises(ValueError, match=r"notes.txt' is not an IDX file.*found 68 65 6c 6c"):
        read_idx(tmp_path / "notes.txt")
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ValueError, match="found an empty file"):
        read_idx(tmp_path / "empty")
    (tmp_path / "code").write_bytes(bytes([0, 0, 0x42, 1, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="found 00 00 42 01"):
        read_idx(tmp_path / "code")


def test_mismatched_images_and_labels(isolated, monkeypatch):
    arrays = write_tiny(isolated / "d", 1)
    write_idx(isolated / "d" / "train-labels-idx1-ubyte.gz", arrays["train-labels-idx1-ubyte"][:2])
    with pytest.raises(ValueError, match=r"do not match.*\(3, 4, 4\) and \(2,\)"):
        fashion_mnist.load_data(cache_dir=isolated / "d", download=False)


# -- downloading (from a server on 127.0.0.1) ----------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/"www"; yields (root, url, requests)."""
    root = tmp_path / "www"
    root.mkdir()
    requests = []

    class Handler(_Quiet):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", requests
    httpd.shutdown()
    httpd.server_close()


def publish(directory: Path, label: int) -> tuple[DatasetSpec, dict]:
    """Write tiny .gz files into ``directory``; a spec with their sizes and checksums."""
    arrays = write_tiny(directory, label)
    files = []
    for stem in MNIST_FILES:
        data = (directory / f"{stem}.gz").read_bytes()
        files.append(RemoteFile(f"{stem}.gz", hashlib.sha256(data).hexdigest(), len(data)))
    spec = DatasetSpec(
        "fashion-mnist",
        "Fashion-MNIST",
        "http://127.0.0.1:9/",
        tuple(files),
        apt_package="dataset-fashion-mnist",
    )
    return spec, arrays


def test_download_verifies_and_caches(isolated, server, monkeypatch):
    root, url, requests = server
    spec, arrays = publish(root, 6)
    monkeypatch.setattr(fashion_mnist, "SPEC", spec)
    cache = isolated / "cache"
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(cache_dir=cache, base_url=url)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    assert sorted(os.listdir(cache)) == sorted(f.name for f in spec.files)
    assert len(requests) == 4
    fashion_mnist.load_data(cache_dir=cache, base_url=url)  # second time: from the cache
    assert len(requests) == 4


def test_download_mirror_from_environment(isolated, server, monkeypatch):
    root, url, requests = server
    spec, _ = publish(root / "fashion-mnist", 2)
    monkeypatch.setattr(fashion_mnist, "SPEC", spec)
    monkeypatch.setenv("TREINO_DATASETS_URL", url)
    (_, y_train), _ = fashion_mnist.load_data()  # into the default ($XDG_CACHE_HOME) cache
    assert y_train[0] == 2
    assert requests[0] == "/fashion-mnist/train-images-idx3-ubyte.gz"
    assert (isolated / "xdg" / "treino" / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


def assert_nothing_left(cache: Path):
    assert not cache.exists() or os.listdir(cache) == []


def test_checksum_mismatch_keeps_nothing(isolated, server, monkeypatch):
    root, url, _ = server
    spec, _ = publish(root, 1)
    files = list(spec.files)
    files[2] = RemoteFile(files[2].name, "0" * 64, files[2].size)  # the third file is "corrupt"
    monkeypatch.setattr(fashion_mnist, "SPEC", DatasetSpec(**{**vars(spec), "files": tuple(files)}))
    cache = isolated / "cache"
    with pytest.raises(DatasetUnavailableError, match=r"checksum mismatch.*t10k-images") as info:
        fashion_mnist.load_data(cache_dir=cache, base_url=url)
    assert "expected SHA-256 " + "0" * 64 in str(info.value)
    assert_nothing_left(cache)


def test_wrong_size_keeps_nothing(isolated, server, monkeypatch):
    root, url, _ = server
    spec, _ = publish(root, 1)
    files = [RemoteFile(f.name, f.sha256, f.size + 1) for f in spec.files]
    monkeypatch.setattr(fashion_mnist, "SPEC", DatasetSpec(**{**vars(spec), "files": tuple(files)}))
    with pytest.raises(DatasetUnavailableError, match=r"ended after \d+ of \d+ bytes"):
        fashion_mnist.load_data(cache_dir=isolated / "cache", base_url=url)
    assert_nothing_left(isolated / "cache")


def test_http_404_is_one_clear_error(isolated, server, monkeypatch):
    _, url, _ = server  # serves an empty directory
    monkeypatch.setattr(fashion_mnist, "SPEC", publish(isolated / "elsewhere", 1)[0])
    with pytest.raises(
        DatasetUnavailableError, match=r"train-images-idx3-ubyte.gz: HTTP Error 404"
    ) as info:
        fashion_mnist.load_data(cache_dir=isolated / "cache", base_url=url)
    assert "apt-get install dataset-fashion-mnist" in str(info.value)
    assert_nothing_left(isolated / "cache")


def test_connection_refused_is_one_clear_error(isolated):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatasetUnavailableError) as info:
        fashion_mnist.load_data(base_url=f"http://127.0.0.1:{port}/")
    message = str(info.value)
    assert f"download failed: http://127.0.0.1:{port}/train-images-idx3-ubyte.gz: " in message
    assert "apt-get install dataset-fashion-mnist" in message and "sample=True" in message
    assert not (isolated / "xdg").exists()  # not even the cache directories it made


def test_interrupted_download_removes_the_partial_file(isolated, server, monkeypatch):
    root, url, _ = server
    spec, _ = publish(root, 1)
    monkeypatch.setattr(fashion_mnist, "SPEC", spec)

    def interrupted(url, out, remote):
        out.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(_download, "_download_one", interrupted)
    cache = isolated / "cache"
    cache.mkdir()
    with pytest.raises(KeyboardInterrupt):
        fashion_mnist.load_data(cache_dir=cache, base_url=url)
    assert os.listdir(cache) == []


# -- CSV tables -------------------------------------------------------------------------

TRAIN_CSV = """idade, cidade ,renda,plano
30,Recife,2500.5,basico
45,Natal,4100,premium
28,Recife,1900,basico

51,Olinda,,premium
"""


def write_csv(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_csv_round_trip(tmp_path):
    path = write_csv(tmp_path, TRAIN_CSV.replace(",,", ",3000,"))
    data = datasets.load_csv(path, target="plano", categorical=["cidade"])
    assert data.numeric_columns == ["idade", "renda"] and data.categorical_columns == ["cidade"]
    assert data.x_numeric.dtype == np.float32 and data.x_numeric.shape == (4, 2)
    np.testing.assert_allclose(data.x_numeric[0], [30, 2500.5])
    assert data.vocabularies == {
        "cidade": ["Natal", "Olinda", "Recife"],
        "plano": ["basico", "premium"],
    }
    np.testing.assert_array_equal(data.x_categorical["cidade"], [3, 1, 3, 2])
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, [0, 1, 0, 1])
    assert len(data) == 4 and "rows=4" in repr(data)

    numeric = datasets.load_csv(path, target="renda", categorical="cidade", columns=["idade"])
    assert numeric.y.dtype == np.float32 and numeric.x_numeric.shape == (4, 1)
    assert numeric.categorical_columns == [] and numeric.x_categorical == {}


def test_csv_vocabulary_reuse_on_a_test_file(tmp_path):
    train = datasets.load_csv(
        write_csv(tmp_path, TRAIN_CSV.replace(",,", ",1,")), target="plano", categorical=["cidade"]
    )
    test_path = write_csv(
        tmp_path,
        "idade,cidade,renda,plano\n33,Natal,1,premium\n40,Caruaru,2,basico\n41,,3,basico\n",
        "test.csv",
    )
    test = datasets.load_csv(
        test_path, target="plano", categorical=["cidade"], vocabularies=train.vocabularies
    )
    np.testing.assert_array_equal(test.x_categorical["cidade"], [1, 0, 0])  # unknown, missing → 0
    np.testing.assert_array_equal(test.y, [1, 0, 0])
    assert test.vocabularies == train.vocabularies
    unknown_class = write_csv(tmp_path, "idade,cidade,renda,plano\n1,Natal,1,gold\n", "u.csv")
    with pytest.raises(ValueError, match=r"line 2: target 'plano' has the class 'gold'"):
        datasets.load_csv(
            unknown_class, target="plano", categorical=["cidade"], vocabularies=train.vocabularies
        )
    with pytest.raises(ValueError, match="vocabularies has no entry for column 'cidade'"):
        datasets.load_csv(test_path, target="plano", categorical=["cidade"], vocabularies={})


def test_csv_errors(tmp_path):
    path = write_csv(tmp_path, TRAIN_CSV)
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        datasets.load_csv(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match=r"line 6: missing value in the numeric column 'renda'"):
        datasets.load_csv(path, target="plano", categorical=["cidade"])
    with pytest.raises(
        ValueError,
        match=r"line 2: the numeric column 'cidade' holds the text "
        r"'Recife'.*add it to categorical",
    ):
        datasets.load_csv(path, target="plano")
    with pytest.raises(ValueError, match=r"target column 'preco' is not in .*'idade', 'cidade'"):
        datasets.load_csv(path, target="preco")
    with pytest.raises(
        ValueError, match=r"categorical column 'bairro' is not in .*'renda', 'plano'"
    ):
        datasets.load_csv(path, target="plano", categorical=["bairro"])
    ragged = write_csv(tmp_path, "a,b,c\n1,2,3\n4,5\n", "ragged.csv")
    with pytest.raises(ValueError, match=r"line 3: the row has 2 fields but the header has 3"):
        datasets.load_csv(ragged)
    latin = write_csv(tmp_path, "nome,n\nJoão,1\n", "latin.csv", encoding="latin-1")
    with pytest.raises(ValueError, match=r"is not utf-8 text \(line 2: byte 0xe3.*encoding="):
        datasets.load_csv(latin)
    assert datasets.load_csv(latin, categorical=["nome"], encoding="latin-1").vocabularies == {
        "nome": ["João"]
    }
    semicolons = write_csv(tmp_path, "a;b\n1;2\n", "semi.csv")
    with pytest.raises(ValueError, match="delimiter=';'"):
        datasets.load_csv(semicolons, target="b")
    assert datasets.load_csv(semicolons, target="b", delimiter=";").y.tolist() == [2.0]
    with pytest.raises(ValueError, match="is empty: expected a header row"):
        datasets.load_csv(write_csv(tmp_path, "\n\n", "empty.csv"))
    with pytest.raises(ValueError, match=r"repeated: \['a'\]"):
        datasets.load_csv(write_csv(tmp_path, "a,a\n1,2\n", "dup.csv"))
    with pytest.raises(ValueError, match=r"line 3: column 'a' holds 'nan', not a finite number"):
        datasets.load_csv(write_csv(tmp_path, "a\n1\nnan\n", "nan.csv"))


# -- toy generators -----------------------------------------------------------------------

CLASSIFIERS = {
    "xor": (datasets.xor, {}, 2),
    "moons": (datasets.moons, {}, 2),
    "circles": (datasets.circles, {}, 2),
    "spirals": (datasets.spirals, {"n_classes": 3}, 3),
    "blobs": (datasets.blobs, {"centers": 4, "n_features": 5}, 4),
}


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classification_sets(name):
    make, kwargs, k = CLASSIFIERS[name]
    x, y = make(101, seed=0, **kwargs)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert x.shape == (101, kwargs.get("n_features", 2)) and y.shape == (101,)
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert not np.all(y[:-1] <= y[1:])  # shuffled, not sorted by class
    x2, y2 = make(101, seed=0, **kwargs)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, make(101, seed=1, **kwargs)[0])


@pytest.mark.parametrize("make", [datasets.sine, datasets.linear])
def test_regression_sets(make):
    x, y = make(50, seed=3)
    assert x.shape == (50, 1) and y.shape == (50, 1)
    assert x.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(y, make(50, seed=3)[1])
    assert not np.array_equal(y, make(50, seed=4)[1])


def test_treino_seed_drives_seed_none():
    treino.seed(7)
    first = datasets.moons(30), datasets.linear(30)
    treino.seed(7)
    again = datasets.moons(30), datasets.linear(30)
    np.testing.assert_array_equal(first[0][0], again[0][0])
    np.testing.assert_array_equal(first[1][1], again[1][1])
    assert not np.array_equal(datasets.moons(30)[0], again[0][0])  # the stream moves on


def test_toy_generators_follow_floatx():
    treino.backend.set_floatx("float64")
    try:
        assert datasets.spirals(10, seed=0)[0].dtype == np.float64
        assert datasets.sine(10, seed=0)[1].dtype == np.float64
    finally:
        treino.backend.set_floatx("float32")


def test_blobs_with_given_centers_and_linear_coefficients():
    x, y = datasets.blobs(40, centers=[[0, 0, 0], [100, 100, 100]], cluster_std=[0.1, 0.5], seed=0)
    assert x.shape == (40, 3)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [100, 100, 100], atol=0.5)
    x, y, w, b = datasets.linear(20, n_features=3, noise=0.0, seed=0, return_coef=True)
    assert w.shape == (3, 1) and b.shape == (1,)
    np.testing.assert_allclose(x @ w + b, y, atol=1e-5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: datasets.moons(0), r"n_samples must be an integer >= 2; received: 0"),
        (lambda: datasets.xor(10.5), r"n_samples must be an integer >= 2; received: 10.5"),
        (lambda: datasets.circles(noise=-1), r"noise must be a finite number >= 0; received: -1"),
        (lambda: datasets.circles(factor=1.5), r"factor must be a number in \(0, 1\)"),
        (lambda: datasets.spirals(5, n_classes=1), r"n_classes must be an integer >= 2"),
        (lambda: datasets.spirals(2, n_classes=3), r"n_samples must be an integer >= 3"),
        (lambda: datasets.blobs(centers=[1, 2]), r"centers must be an integer >= 1 or a finite"),
        (lambda: datasets.blobs(cluster_std=[1, 2]), r"cluster_std must be .* or 3 of them"),
        (lambda: datasets.linear(n_features=0), r"n_features must be an integer >= 1"),
        (lambda: datasets.sine(seed="1"), r"seed must be None, an integer or a numpy Generator"),
    ],
)
def test_toy_argument_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
