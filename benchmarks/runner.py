"""What a benchmark process does before its case: give both frameworks the same threads."""

from __future__ import annotations

_LIMITS = []  # keeps threadpoolctl's limit alive for the life of the process


def limit_threads(framework: str, threads: int) -> None:
    """Use ``threads`` threads: PyTorch's intra-op pool, or NumPy's BLAS through threadpoolctl."""
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    else:
        from threadpoolctl import threadpool_limits

        _LIMITS.append(threadpool_limits(limits=threads))
