"""The workshop notebooks (``notebooks/NN_*.ipynb``) run top to bottom, as a reader runs them.

Each notebook is executed in a fresh kernel, in a scratch folder (what it saves
lands there), and every cell must finish without an error; the notebooks' own
``assert`` cells check the claim each one teaches. The structure checks below
keep the notebooks in the shape the repository stores them: outputs stripped,
a title, formulas in the Markdown and at least one checking cell.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
# "Top to bottom in about 2 minutes on 2 cores": a notebook that takes longer
# than this on a CI machine is too heavy for the workshop.
NOTEBOOK_TIME_LIMIT_S = 240


def _ids(paths):
    return [p.stem for p in paths]


def test_the_workshop_is_all_there():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, 17)), f"notebooks found: {[p.name for p in NOTEBOOKS]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: outputs not stripped in cells {dirty}"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        f"{path.name}: the first cell must be the Markdown title")
    assert any(re.search(r"\$[^$]+\$", c.source) for c in markdown), (
        f"{path.name}: no formula ($…$) in the Markdown")
    assert any(re.search(r"^\s*assert\b", c.source, re.M) for c in code), (
        f"{path.name}: no cell checks the notebook's claim with assert")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


# Each notebook runs in its own process and kernel, two (or as many as there are
# cores, up to 4) at a time with one BLAS thread each: the notebooks' small
# models gain nothing from a second BLAS thread, and running them side by side
# halves the suite's wall time on a 2-core machine.
RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
nb = nbformat.read(sys.argv[1], as_version=4)
try:
    NotebookClient(nb, timeout=int(sys.argv[3]), kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
except CellExecutionError as error:
    sys.exit(str(error)[-4000:])
"""
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS")}


def _execute(path: Path, scratch: Path) -> tuple[int, float, str]:
    scratch.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUNNER, str(path), str(scratch),
                           str(NOTEBOOK_TIME_LIMIT_S)], capture_output=True, text=True,
                          env={**os.environ, **ONE_THREAD},
                          timeout=NOTEBOOK_TIME_LIMIT_S * 3)  # fmt: skip
    return done.returncode, time.perf_counter() - start, re.sub(r"\x1b\[[0-9;]*m", "", done.stderr)


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory):
    """Run every notebook this session selected, side by side; results by path."""
    wanted = [item.callspec.params["path"] for item in request.session.items
              if getattr(item, "originalname", None) == "test_notebook_runs"]
    workers = max(1, min(4, os.cpu_count() or 1, len(wanted)))
    root = tmp_path_factory.mktemp("notebooks")
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda p: _execute(p, root / p.stem), wanted)
        return dict(zip(wanted, results, strict=True))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path, executed):
    code, elapsed, stderr = executed[path]
    assert code == 0, f"{path.name} failed:\n{stderr}"
    assert elapsed < NOTEBOOK_TIME_LIMIT_S, f"{path.name} took {elapsed:.0f} s"


def test_a_returned_treino_figure_shows_as_an_image_in_a_notebook():
    # treino.plot builds figures without pyplot; the kernel must still draw them.
    cell = nbformat.v4.new_code_cell(
        "from treino.plot import learning_curves\n"
        "learning_curves({'loss': [1.0, 0.5], 'val_loss': [1.1, 0.6]}, lang='pt')")
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert any("image/png" in out.get("data", {}) for out in nb.cells[0].outputs)
