"""What every plot of :mod:`treino.plot` shares: a headless figure and an optional PNG.

The figures are built with :class:`matplotlib.figure.Figure` directly, never
through ``pyplot``: no window, no global state, no backend to choose, so the
plots work the same on a server, in CI and in a notebook. Jupyter shows a
returned ``Figure`` as an image once IPython knows how to draw one; pyplot sets
that up when it is first used, so :func:`new_figure` sets it up itself inside
a notebook kernel (else a cell ending in ``plot.learning_curves(h)`` printed
``<Figure size …>`` until the notebook had drawn something with pyplot).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from matplotlib.figure import Figure


def new_figure(nrows: int = 1, ncols: int = 1, *, size=None, **subplot_kw):
    """A ``Figure`` and its axes (one ``Axes`` when 1×1, else an array), sized to fit.

    Args:
        nrows, ncols: the grid of axes. Default to 1.
        size: (width, height) in inches; defaults to 5 × 3.6 per axes.
        **subplot_kw: passed to :meth:`Figure.subplots` (``sharex``, ``squeeze`` …).
    """
    _register_notebook_display()
    width, height = size or (5.0 * ncols, 3.6 * nrows)
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(nrows, ncols, **subplot_kw)
    return figure, axes


_notebook_display_ready = False


def _register_notebook_display() -> None:
    """In an IPython kernel, display a returned ``Figure`` as a PNG (once per process)."""
    global _notebook_display_ready
    if _notebook_display_ready or "IPython" not in sys.modules:
        return
    _notebook_display_ready = True
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):  # a terminal IPython has no inline images
        return
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"})


def finish(figure: Figure, save: str | os.PathLike | None = None, *, dpi: int = 110) -> Figure:
    """Save ``figure`` as a PNG when ``save`` names a file (written atomically); return it."""
    if save is not None:
        path = Path(save)
        if path.suffix.lower() != ".png":
            raise ValueError(f"save must name a .png file; received {str(save)!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        figure.savefig(partial, format="png", dpi=dpi)
        os.replace(partial, path)
    return figure
