"""Plots of training and of the parameter space (matplotlib, headless-safe).

Every function returns the :class:`matplotlib.figure.Figure`; pass
``save="curvas.png"`` to also write a PNG, and ``lang='pt'|'en'`` for the labels
(default: the locale). No display is needed: the figures are built without
``pyplot``, and a notebook shows a returned Figure as an image.

Training (:mod:`treino.plot.training`):
    :func:`learning_curves`, :func:`gradient_flow`, :func:`histograms`,
    :func:`lr_schedule`, :func:`confusion_matrix`, :func:`misclassified`.

Parameter space (:mod:`treino.plot.parameter_space`, surfaces in :mod:`treino.plot.surfaces`):
    :func:`optimizer_trajectories` (Rosenbrock, Beale, Himmelblau, the ravine),
    :func:`loss_landscape` (1-D/2-D slices around the trained weights),
    :func:`decision_boundary` (2-D toy data); :func:`trajectory` and
    :func:`landscape` return the numbers without plotting.
"""

from __future__ import annotations

from treino.plot import surfaces
from treino.plot.parameter_space import (
    decision_boundary,
    landscape,
    loss_landscape,
    optimizer_trajectories,
    trajectory,
)
from treino.plot.training import (
    confusion_matrix,
    gradient_flow,
    histograms,
    learning_curves,
    lr_schedule,
    misclassified,
)

__all__ = [
    "confusion_matrix",
    "decision_boundary",
    "gradient_flow",
    "histograms",
    "landscape",
    "learning_curves",
    "loss_landscape",
    "lr_schedule",
    "misclassified",
    "optimizer_trajectories",
    "surfaces",
    "trajectory",
]
