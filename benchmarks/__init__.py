"""treino vs PyTorch, side by side: ``python -m benchmarks [case …]``.

Each case runs in a fresh process per framework (NumPy's and PyTorch's thread
pools interfere inside one), the two alternate, and the report gives min /
median / max per framework and the treino/PyTorch ratio of medians.
"""
