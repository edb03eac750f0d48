"""Data-parallel SGD over MPI: the course's "versão distribuída do SGD".

N processes (ranks), one model replica each, train as one. At every step the
global batch of B·N samples is cut into N shards of B, rank r computes the
gradient g_r of the loss on its n_r samples, and one ``Allreduce`` over a flat
buffer gives every rank the same average

    g = Σ_r n_r·g_r / Σ_r n_r

which is the gradient of the mean loss over the whole global batch: N ranks
with batch B make exactly the updates of one process with batch B·N (up to
float32 rounding). Every rank then applies the same optimizer step to the same
weights (broadcast from rank 0 at the start), so the replicas never drift.

Use it through the one training loop::

    from treino.distributed import DataParallel
    model.fit(x, y, batch_size=16, strategy=DataParallel())   # under mpiexec -n N

and start the processes with ``mpiexec -n N python train.py``, or let the
command do it: ``treino train CONFIG --workers N`` (``--hostfile FILE`` runs the
ranks on several machines through the same code path).

Semantics:

* ``batch_size`` is per rank; the global batch is ``batch_size × N``. The
  course's rule "batch size maior geralmente requer taxa de aprendizado maior"
  becomes the *linear scaling rule*: with N ranks, η_N ≈ N·η₁ (with a few
  epochs of warm-up for large N, Goyal et al. 2017). treino does not change η
  for you: the same η with N ranks is the same η of one process with batch B·N.
* Every rank reads the same arrays and visits the same shuffled order (from
  ``treino.seed``); each takes its slice of every global batch: no sample is
  seen twice or skipped in an epoch, and the same seed and N give the same run.
* The training metrics are sums (see :mod:`treino.metrics`), added over the
  ranks at each epoch's end: the logs are the global ones, on every rank.
  Validation runs whole on every rank (same result everywhere).
* BatchNormalization normalises with its rank's batch statistics (as PyTorch's
  DistributedDataParallel without SyncBatchNorm); its moving mean and variance
  are averaged over the ranks at every step, in the same buffer as the
  gradients, so all replicas keep identical non-trainable weights.
* Only rank 0 prints and writes: the progress bar, and the callbacks that write
  files (ModelCheckpoint, CSVLogger, TensorBoard) run there alone.
* A rank that raises aborts the whole job (``MPI_Abort``) after printing the
  error, so no rank waits forever in a collective; a rank that dies is
  detected by ``mpiexec``, which stops the others. Checkpoints are written
  atomically, so the last one is intact; a checkpoint holds one replica (all
  are equal), so training resumes from it with any N.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from treino import backend

#: Environment variables through which MPI launchers announce the job size.
SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def launched_by_mpi() -> bool:
    """True when this process is one of several started by ``mpiexec``."""
    for name in SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 1:
            return True
    return False


def find_mpiexec() -> str | None:
    """The ``mpiexec`` on the PATH, else the one beside this Python (the mpich wheel's), or None."""
    return shutil.which("mpiexec") or shutil.which("mpiexec", path=str(Path(sys.executable).parent))


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError("treino.distributed needs mpi4py and an MPI library: "
                          "pip install \"treino[distributed]\" (mpi4py + mpich)") from None
    return MPI


def shard_bounds(n: int, size: int, rank: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of a batch of ``n`` that rank ``rank`` of ``size`` takes.

    The first ``n mod size`` ranks take one more; together they cover every row once.

    >>> [shard_bounds(10, 3, r) for r in range(3)]
    [(0, 4), (4, 7), (7, 10)]
    """
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


class DataParallel:
    """Synchronous data-parallel training: one replica per MPI rank (see the module doc).

    Args:
        comm: an ``mpi4py`` communicator. Defaults to ``MPI.COMM_WORLD``.

    Attributes:
        rank: this process's index, 0 … size − 1.
        size: the number of ranks N.
        allreduce_seconds: time spent in the gradient Allreduce (summed), for
            measuring its cost per step (``allreduce_calls`` counts them).
    """

    def __init__(self, comm=None):
        self.MPI = _mpi()
        self.comm = comm if comm is not None else self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.allreduce_seconds = 0.0
        self.allreduce_calls = 0
        self._buffer = None
        # The ranks on one machine share its cores: each gets its share of BLAS
        # threads (N ranks × all cores each would oversubscribe the machine 2×+).
        local = self.comm.Split_type(self.MPI.COMM_TYPE_SHARED).Get_size()
        backend.set_num_threads(max(1, backend.available_cores() // local))

    @property
    def is_chief(self) -> bool:
        """Rank 0: the one that prints, logs and writes files."""
        return self.rank == 0

    def __repr__(self) -> str:
        return f"DataParallel(rank={self.rank}, size={self.size})"

    # ----------------------------------------------------------- data
    def rows(self, n: int) -> tuple[int, int]:
        """The rows ``[start, stop)`` of a global batch of ``n`` that this rank takes."""
        return shard_bounds(n, self.size, self.rank)

    # -------------------------------------------------------- weights
    def broadcast_weights(self, model) -> None:
        """Give every rank rank 0's weights (the replicas start equal)."""
        weights = [np.ascontiguousarray(w) for w in model.get_weights()]
        for array in weights:
            self.comm.Bcast(array, root=0)  # rank 0 sends, the others receive in place
        if not self.is_chief:
            model.set_weights(weights)

    def average_gradients(self, model, variables, count: int, finite: bool) -> bool:
        """Replace each ``variable.grad`` by the global average; True if any rank diverged.

        One ``Allreduce`` (sum) over a flat buffer of the weights' dtype (float32
        unless the model is float64) holding, in order, n_r·g_r
        of every trainable variable, every non-trainable weight (moving
        statistics, averaged), n_r and a divergence flag.
        """
        moving = model.non_trainable_weights
        sizes = [v.data.size for v in variables] + [w.data.size for w in moving]
        total = sum(sizes) + 2
        dtype = np.result_type(np.float32, *(v.data.dtype for v in variables))  # float32 models
        if self._buffer is None or self._buffer.size != total or self._buffer.dtype != dtype:
            self._buffer = np.empty(total, dtype=dtype)  # reused: no allocation per step
        buf = self._buffer
        offset = 0
        for v in variables:
            part = buf[offset:offset + v.data.size]
            if v.grad is None or not count or not finite:
                part[:] = 0.0
            else:
                np.multiply(v.grad.reshape(-1), count, out=part)
            offset += v.data.size
        for w in moving:
            buf[offset:offset + w.data.size] = w.data.reshape(-1)
            offset += w.data.size
        buf[offset] = count
        buf[offset + 1] = 0.0 if finite else 1.0
        start = time.perf_counter()
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        self.allreduce_seconds += time.perf_counter() - start
        self.allreduce_calls += 1
        samples, diverged = buf[offset], buf[offset + 1] > 0
        offset = 0
        for v in variables:  # one fresh array per gradient (a leaf's grad never aliases)
            part = buf[offset:offset + v.data.size]
            v.grad = np.divide(part, max(samples, 1.0), dtype=v.data.dtype).reshape(v.data.shape)
            offset += v.data.size
        for w in moving:
            w.data[...] = (buf[offset:offset + w.data.size] / self.size).reshape(w.data.shape)
            offset += w.data.size
        return bool(diverged)

    # ------------------------------------------------- metrics, control
    def reduce_metrics(self, model) -> None:
        """Add every metric's state (sums) over the ranks, in one Allreduce: the global metrics."""
        states = [(metric, metric.get_state()) for metric in model.metrics]
        parts = [np.asarray(v, dtype=np.float64).reshape(-1)
                 for _, state in states for v in state.values()]  # fmt: skip
        if not parts:
            return
        buf = np.concatenate(parts)
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        offset = 0
        for metric, state in states:
            for key, value in state.items():
                size = np.size(value)
                state[key] = buf[offset:offset + size].reshape(np.shape(value)).astype(
                    metric.state_dtype)
                offset += size
            metric.set_state(state)

    def any(self, flag: bool) -> bool:
        """True on every rank if ``flag`` is True on any (ranks stop together)."""
        return bool(self.comm.allreduce(bool(flag), op=self.MPI.LOR))

    def abort(self, error: BaseException) -> None:
        """Print ``error`` with this rank's number and stop every rank of the job."""
        print(f"treino.distributed: rank {self.rank} of {self.size} failed: "
              f"{type(error).__name__}: {error}", file=sys.stderr)  # fmt: skip
        traceback.print_exception(error, file=sys.stderr)
        sys.stderr.flush()
        self.comm.Abort(1)
