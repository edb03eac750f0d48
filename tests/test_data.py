"""treino.data: batching, per-epoch shuffling, subsets, shards and memmaps."""

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import treino
from treino.data import Dataset, unpack


def epoch_rows(ds):
    """The sample ids (x = arange) visited by one epoch, in order."""
    rows = [np.asarray(unpack(batch)[0]).reshape(-1) for batch in ds]
    return np.concatenate(rows) if rows else np.zeros(0, dtype=int)


@pytest.mark.parametrize("n, batch_size, drop, expected", [
    (100, None, False, 1), (100, None, True, 1), (100, 1, False, 100), (100, 32, False, 4),
    (100, 32, True, 3), (96, 32, True, 3), (5, 32, True, 0), (0, 32, False, 0), (0, None, False, 0),
])  # fmt: skip
def test_number_of_batches(n, batch_size, drop, expected):
    ds = Dataset(np.zeros((n, 2)), np.zeros(n), batch_size=batch_size, drop_remainder=drop)
    assert len(ds) == expected
    batches = list(ds)
    assert len(batches) == expected
    sizes = [len(xb) for xb, _ in batches]
    if expected and batch_size is not None:
        assert sizes[0] == min(batch_size, n) and all(s == batch_size for s in sizes[:-1])
    if drop:
        assert all(s == (batch_size or n) for s in sizes)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("batch_size", [None, 1, 7, 32])
def test_every_sample_once_per_epoch(shuffle, batch_size):
    x = np.arange(101)
    ds = Dataset(x, x * 10, batch_size=batch_size, shuffle=shuffle, seed=0)
    for _ in range(2):
        order = epoch_rows(ds)
        np.testing.assert_array_equal(np.sort(order), x)
        if not shuffle:
            np.testing.assert_array_equal(order, x)
    for xb, yb in ds:  # x and y rows stay together
        np.testing.assert_array_equal(yb, xb * 10)


def test_drop_remainder_drops_only_the_last_partial_batch():
    order = epoch_rows(Dataset(np.arange(100), batch_size=32, drop_remainder=True, seed=1))
    assert len(order) == 96 and len(set(order.tolist())) == 96


def test_orders_follow_seed_and_epoch():
    x = np.arange(50)
    a, b = Dataset(x, seed=3, batch_size=8), Dataset(x, seed=3, batch_size=8)
    epochs_a = [epoch_rows(a) for _ in range(3)]
    epochs_b = [epoch_rows(b) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b, strict=True):
        np.testing.assert_array_equal(ea, eb)  # same seed → same orders
    assert not np.array_equal(epochs_a[0], epochs_a[1])  # new order each epoch
    np.testing.assert_array_equal(epochs_a[2], np.random.default_rng([3, 2]).permutation(50))
    assert not np.array_equal(epochs_a[0], epoch_rows(Dataset(x, seed=4)))
    # set_epoch: a resumed run sees the same orders, then carries on counting
    c = Dataset(x, seed=3, batch_size=5)
    c.set_epoch(1)
    np.testing.assert_array_equal(epoch_rows(c), epochs_a[1])
    np.testing.assert_array_equal(epoch_rows(c), epochs_a[2])
    c.set_epoch(1)
    np.testing.assert_array_equal(epoch_rows(c), epochs_a[1])


def test_unseeded_datasets_follow_treino_seed():
    x = np.arange(40)
    treino.seed(11)
    first = epoch_rows(Dataset(x))
    treino.seed(11)
    np.testing.assert_array_equal(epoch_rows(Dataset(x)), first)


def test_structures_are_kept():
    n = 10
    a, b = np.arange(n), np.arange(n) * 2.0
    ds = Dataset({"a": a, "b": b}, [a + 1, (b * 3).reshape(n, 1)], sample_weight=np.ones(n),
                 batch_size=4, seed=0)  # fmt: skip
    for xb, yb, wb in ds:
        assert isinstance(xb, dict) and list(xb) == ["a", "b"] and isinstance(yb, list)
        np.testing.assert_array_equal(xb["b"], xb["a"] * 2)
        np.testing.assert_array_equal(yb[0], xb["a"] + 1)
        np.testing.assert_array_equal(yb[1][:, 0], xb["b"] * 3)
        assert wb.shape == xb["a"].shape
    xb = next(iter(Dataset((a, b), batch_size=4)))
    assert isinstance(xb, tuple) and len(xb) == 1 and isinstance(xb[0], tuple)  # (x,): no y
    assert isinstance(next(iter(Dataset([a, b], batch_size=4))), list)
    assert isinstance(next(iter(Dataset(a, batch_size=4))), np.ndarray)
    x, y, w = unpack(next(iter(Dataset(a, sample_weight=np.ones(n)))))
    assert y is None and w.shape == x.shape
    batch = next(iter(Dataset([[1.0, 2.0], [3.0, 4.0]], [0, 1], batch_size=None)))
    assert batch[0].shape == (2, 2)  # nested Python lists are one array


def test_unpack():
    assert unpack("x") == ("x", None, None)
    assert unpack(("x",)) == ("x", None, None)
    assert unpack(("x", "y")) == ("x", "y", None)
    assert unpack(("x", "y", "w")) == ("x", "y", "w")
    assert unpack(["x1", "x2"]) == (["x1", "x2"], None, None)
    assert unpack({"a": 1}) == ({"a": 1}, None, None)
    with pytest.raises(ValueError, match="a tuple of 4 elements"):
        unpack((1, 2, 3, 4))


@pytest.mark.parametrize("n, fraction", [(10, 0.2), (10, 0.25), (7, 0.5), (101, 0.1), (3, 0.34)])
def test_split_has_keras_semantics(n, fraction):
    ds = Dataset(np.arange(n), batch_size=4, seed=0)
    train, val = ds.split(fraction)
    split_at = int(math.ceil(n * (1.0 - fraction)))  # keras.trainers.data_adapters
    np.testing.assert_array_equal(np.sort(epoch_rows(train)), np.arange(split_at))
    np.testing.assert_array_equal(epoch_rows(val), np.arange(split_at, n))  # not shuffled
    assert train.shuffle and not val.shuffle and train.batch_size == 4


def test_split_and_take_errors():
    ds = Dataset(np.arange(3))
    with pytest.raises(ValueError, match="no validation samples"):
        ds.split(0.1)
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\)"):
        ds.split(1.0)
    with pytest.raises(ValueError, match=r"index 3 is out of range for 3 samples"):
        ds.take([0, 3])
    with pytest.raises(ValueError, match="1-D array of integers"):
        ds.take([0.5])


def test_take_selects_rows_lazily():
    x = np.arange(20) * 10
    ds = Dataset(x, x + 1, batch_size=3, shuffle=False)
    sub = ds.take([5, 1, 7, 1])
    assert sub._x is ds._x  # shares the array, stores indices
    np.testing.assert_array_equal(epoch_rows(sub), [50, 10, 70, 10])
    assert sub.subset(slice(1, 3)).num_samples == 2
    np.testing.assert_array_equal(epoch_rows(sub.take(slice(1, 3))), [10, 70])
    mask = x % 20 == 0
    np.testing.assert_array_equal(epoch_rows(ds.take(mask)), x[mask])
    train, _ = ds.split(0.5)
    assert isinstance(train._rows, range)  # a contiguous split stays a slice


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n, num_shards", [(100, 4), (101, 3), (5, 8)])
def test_shards_partition_each_epoch(shuffle, n, num_shards):
    ds = Dataset(np.arange(n), batch_size=4, shuffle=shuffle, seed=9)
    shards = [ds.shard(num_shards, i) for i in range(num_shards)]
    assert sum(s.num_samples for s in shards) == n
    assert max(s.num_samples for s in shards) - min(s.num_samples for s in shards) <= 1
    for epoch in range(2):
        for s in shards:
            s.set_epoch(epoch)
        parts = [epoch_rows(s) for s in shards]
        union = np.concatenate(parts)
        np.testing.assert_array_equal(np.sort(union), np.arange(n))  # disjoint and covering
        global_order = np.asarray(ds.epoch_order(epoch))
        for i, part in enumerate(parts):  # strided over the global order
            np.testing.assert_array_equal(part, global_order[i::num_shards])
    with pytest.raises(ValueError, match="already a shard"):
        shards[0].take([0])
    with pytest.raises(ValueError, match="0 <= index < num_shards"):
        ds.shard(2, 2)


def test_with_options_and_rebatch_share_the_arrays():
    x = np.arange(10)
    ds = Dataset(x, seed=2)
    full = ds.rebatch(None)
    assert full._x is ds._x and len(full) == 1 and ds.batch_size == 32
    fixed = ds.with_options(shuffle=False, batch_size=4, drop_remainder=True)
    assert len(fixed) == 2 and fixed.seed == ds.seed
    np.testing.assert_array_equal(epoch_rows(fixed), np.arange(8))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "32"])
def test_batch_size_is_validated(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        Dataset(np.zeros(4), batch_size=batch_size)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"same number of samples.*x\[0\]: 5, x\[1\]: 4, y: 5"):
        Dataset([np.zeros(5), np.zeros(4)], np.zeros(5))
    with pytest.raises(TypeError, match="y has dtype <U1; expected numbers or bool"):
        Dataset(np.zeros(2), np.array(["a", "b"]))
    with pytest.raises(TypeError, match="x has dtype object"):
        Dataset(np.array([None, 1], dtype=object))
    with pytest.raises(ValueError, match=r"sample_weight must be 1-D.*\(3, 1\)"):
        Dataset(np.zeros(3), np.zeros(3), sample_weight=np.ones((3, 1)))
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        Dataset(np.zeros(3), shuffle="yes")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        Dataset(np.zeros(3), seed=-1)
    with pytest.raises(ValueError, match="x is a scalar"):
        Dataset(np.float32(1.0))
    values = np.array([1.0, np.nan])  # values are the trainer's business, checked per batch
    assert np.isnan(next(iter(Dataset(values, shuffle=False)))[1])


def test_memmap_batches_match_the_in_memory_array(tmp_path):
    data = np.random.default_rng(0).standard_normal((1000, 6)).astype("float32")
    mm = np.memmap(tmp_path / "x.bin", dtype="float32", mode="w+", shape=data.shape)
    mm[:] = data
    mm.flush()
    loaded = np.memmap(tmp_path / "x.bin", dtype="float32", mode="r", shape=data.shape)
    labels = np.arange(1000)
    for shuffle in (True, False):
        lazy = Dataset(loaded, labels, batch_size=64, shuffle=shuffle, seed=5).take(
            np.arange(0, 1000, 3))  # fmt: skip
        eager = Dataset(data, labels, batch_size=64, shuffle=shuffle, seed=5).take(
            np.arange(0, 1000, 3))  # fmt: skip
        assert lazy._x is loaded
        for (xl, yl), (xe, ye) in zip(lazy, eager, strict=True):
            assert type(xl) is np.ndarray and not isinstance(xl, np.memmap)
            np.testing.assert_array_equal(xl, xe)
            np.testing.assert_array_equal(yl, ye)
            np.testing.assert_array_equal(xl, data[yl])


RSS_SCRIPT = textwrap.dedent("""
    import mmap, resource, sys
    import numpy as np
    from treino.data import Dataset

    def status_kib(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])

    def peak_mib():
        # VmHWM, not ru_maxrss: Linux carries the parent's peak RSS across fork + exec
        # into the child's ru_maxrss, which would hide growth below pytest's own peak.
        return status_kib("VmHWM") / 1024

    def address_space():
        return status_kib("VmSize") * 1024

    rows, width = 200 * 2**20 // (256 * 4), 256  # 200 MiB of float32
    with open(sys.argv[1], "wb") as f:
        f.truncate(rows * width * 4)
    mm = np.memmap(sys.argv[1], dtype="float32", mode="r", shape=(rows, width))
    # Mapped file pages count in RSS, and read-ahead would map far more than a batch
    # reads: ask for no read-ahead, and unmap the pages after each batch. What stays
    # is anonymous memory, i.e. copies.
    mm._mmap.madvise(mmap.MADV_RANDOM)
    before = peak_mib()
    # A hard guard too: any allocation of 64 MiB more raises MemoryError.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + 64 * 2**20, hard))
    seen = 0
    for shuffle in (False, True):
        for xb, yb in Dataset(mm, mm[:, 0], batch_size=256, shuffle=shuffle, seed=0):
            seen += len(xb)
            mm._mmap.madvise(mmap.MADV_DONTNEED)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    during = peak_mib() - before
    whole = np.array(mm)  # control: materialising the array does show up
    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(seen, during, peak_mib() - before, inherited)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss/madvise: Linux")
def test_memmap_epoch_does_not_materialise_the_array(tmp_path):
    out = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(tmp_path / "big.bin")],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]  # MemoryError: something copied the array
    seen, during, control, _ = out.stdout.split()
    assert int(seen) == 2 * 204800  # two full epochs, in order and shuffled
    assert float(during) < 50, f"peak RSS grew by {during} MiB iterating a 200 MiB memmap"
    assert float(control) > 190  # the measurement does catch a full copy


@pytest.mark.parametrize("kind", ["npy_header", "offset", "row_slice", "column_view"])
def test_memmap_rows_read_from_the_file_equal_the_array(tmp_path, kind):
    data = np.arange(37 * 6, dtype=np.float32).reshape(37, 6)
    if kind == "npy_header":  # np.load(mmap_mode="r"): the data starts after the .npy header
        np.save(tmp_path / "x.npy", data)
        leaf, expected = np.load(tmp_path / "x.npy", mmap_mode="r"), data
    else:
        raw = tmp_path / "x.bin"
        raw.write_bytes(bytes(5000) + data.tobytes())  # 5000 bytes of header first
        mm = np.memmap(raw, dtype=np.float32, mode="r", offset=5000, shape=data.shape)
        leaf, expected = {"offset": (mm, data), "row_slice": (mm[3:30], data[3:30]),
                          "column_view": (mm[:, ::2], data[:, ::2])}[kind]  # fmt: skip
    rows = np.array([4, 0, 9, 9, 21, 2])
    np.testing.assert_array_equal(_gather_rows(leaf, rows), expected[rows])
    ds = Dataset(leaf, np.arange(len(expected)), batch_size=5, seed=1)
    for xb, yb in ds:
        np.testing.assert_array_equal(xb, expected[yb])


def _gather_rows(leaf, rows):
    from treino.data import _gather

    return _gather(leaf, rows)
