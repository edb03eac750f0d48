"""Plots of training (matplotlib, headless-safe): each function returns the Figure.

Pass ``save="curvas.png"`` to any of them to also write a PNG.
"""

from __future__ import annotations
