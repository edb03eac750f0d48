"""Strip outputs and execution counts from notebooks before committing them.

    python scripts/strip_notebooks.py notebooks/*.ipynb

The repository keeps notebooks without outputs (the test suite checks it):
diffs stay readable and a reader sees results only by running the cells.
"""

from __future__ import annotations

import os
import sys
import tempfile

import nbformat


def strip(path: str) -> bool:
    """Remove outputs, execution counts and per-cell run metadata; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    after = nbformat.writes(nb)
    if after != before:  # written to a temporary file, then renamed: never half a notebook
        folder = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".tmp",
                                         delete=False) as f:
            f.write(after)
        os.replace(f.name, path)
    return after != before


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if strip(name):
            print(f"stripped {name}")
