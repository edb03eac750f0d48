"""What a benchmark process does before its case: give both frameworks the same threads."""

from __future__ import annotations


def limit_threads(framework: str, threads: int) -> None:
    """Use ``threads`` threads: treino's (its loops and NumPy's BLAS) or PyTorch's pool.

    Both set the limit for the rest of the process (threadpoolctl's setting
    stays until it is explicitly restored).
    """
    if framework == "treino":
        import treino.backend

        treino.backend.set_num_threads(threads)  # BLAS through threadpoolctl, and treino's own
    else:
        import torch
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")  # NumPy's, beside PyTorch's own
        torch.set_num_threads(threads)


def status_mib(key: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` in MiB (NaN off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mib() -> float:
    """The peak resident memory of this process (``VmHWM``).

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that across ``exec``, so a
    child would report its parent's peak when the parent was larger.
    """
    return status_mib("VmHWM")
