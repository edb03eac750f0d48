"""Data-parallel training over MPI (treino.distributed), run for real with mpiexec.

Skipped where mpi4py or mpiexec is missing; CI installs both (mpi4py + the
mpich wheel). Each run is a few hundred samples of a small network, under a
minute in all.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")
from treino.distributed import find_mpiexec  # noqa: E402

MPIEXEC = find_mpiexec()
if MPIEXEC is None:
    pytest.skip("no mpiexec on the PATH", allow_module_level=True)

REPLICA = Path(__file__).parent / "distributed" / "replica.py"


def run(ranks: int, *args, timeout=120):
    """The replica script on ``ranks`` processes (1: plain Python, no MPI)."""
    command = [sys.executable, str(REPLICA), *map(str, args)]
    if ranks > 1:
        command = [MPIEXEC, "-n", str(ranks), *command]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return done, time.perf_counter() - start


def weights(path) -> list[np.ndarray]:
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files) if k.startswith("arr_")] + [f["loss"]]


def test_two_ranks_of_16_equal_one_process_of_32(tmp_path):
    one, _ = run(1, "--batch", 32, "--out", tmp_path / "one.npz")
    two, _ = run(2, "--batch", 16, "--out", tmp_path / "two.npz")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    for a, b in zip(weights(tmp_path / "one.npz"), weights(tmp_path / "two.npz"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # float32 rounding only


def test_same_seed_and_ranks_give_the_same_run_and_replicas_stay_equal(tmp_path):
    for name in ("a", "b"):
        done, _ = run(2, "--batch", 16, "--epochs", 2, "--batchnorm", "--every-rank",
                      "--out", tmp_path / name)  # fmt: skip
        assert done.returncode == 0, done.stderr
    first = weights(tmp_path / "a.0.npz")
    for other in ("a.1.npz", "b.0.npz", "b.1.npz"):  # moving statistics included
        for x, y in zip(first, weights(tmp_path / other), strict=True):
            np.testing.assert_array_equal(x, y)


def test_a_rank_that_raises_stops_the_job_with_its_error(tmp_path):
    done, seconds = run(2, "--epochs", 3, "--raise-rank", 1, "--at-step", 4)
    assert done.returncode != 0 and seconds < 30
    assert "rank 1 of 2 failed: RuntimeError: falha simulada" in done.stderr


def test_a_killed_rank_ends_the_job_and_training_resumes_from_the_checkpoint(tmp_path):
    checkpoint = tmp_path / "modelo.treino"
    done, seconds = run(2, "--epochs", 3, "--die-rank", 1, "--at-step", 10,
                        "--checkpoint", checkpoint)  # fmt: skip
    assert done.returncode != 0 and seconds < 30
    assert "BAD TERMINATION" in done.stdout + done.stderr
    assert checkpoint.is_file()  # epoch 1's, written atomically before the failure
    results = []
    for ranks, batch in ((1, 32), (2, 16)):  # resume with another N, or the same
        out = tmp_path / f"resumed{ranks}.npz"
        done, _ = run(ranks, "--batch", batch, "--epochs", 3, "--resume", checkpoint,
                      "--initial-epoch", 1, "--out", out)  # fmt: skip
        assert done.returncode == 0, done.stderr
        results.append(weights(out))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert results[0][-1].shape == (2,)  # epochs 2 and 3 were trained


def test_shards_cover_a_batch_once():
    from treino.distributed import shard_bounds

    for n in (0, 1, 5, 32, 33):
        for size in (1, 2, 3, 4):
            rows = [range(*shard_bounds(n, size, r)) for r in range(size)]
            assert [i for part in rows for i in part] == list(range(n))


def treino_cli(*args, cwd, timeout=300):
    return subprocess.run([sys.executable, "-m", "treino", "--lang", "en", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**__import__("os").environ, "MPLBACKEND": "Agg"})  # fmt: skip


def test_treino_train_workers_2_makes_one_run_on_two_ranks(tmp_path):
    done = treino_cli("train", "--workers", 2, "-q", "--set", "fit.epochs=2",
                      "--set", "data.limit=1000", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Distributed training: 2 processes, global batch 64 (32 per process)" in done.stdout
    assert done.stdout.count("Run saved in") == 1  # rank 0 alone writes
    (run,) = list((tmp_path / "runs").iterdir())
    assert (run / "model.treino").is_file() and (run / "metrics.csv").is_file()


def test_a_failing_rank_under_workers_gives_a_clear_error(tmp_path):
    done = treino_cli("train", "--workers", 2, "--set", "data.dataset='csv'",
                      "--set", "data.target='y'", "--set", "data.path='missing.csv'",
                      cwd=tmp_path)  # fmt: skip
    assert done.returncode != 0
    assert "no data file at 'missing.csv'" in done.stderr  # the rank's own message
    assert "distributed training stopped: one of the 2 processes failed" in done.stderr
    # a config mistake is caught once, before any process starts
    done = treino_cli("train", "--workers", 2, "--set", "compile.optimizer='adamx'", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("adamx") == 1
    assert "distributed training stopped" not in done.stderr
