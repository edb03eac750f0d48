"""Gradient clipping: keep one bad batch from throwing the weights far away.

Three rules, as Keras's optimizer arguments (each returns new arrays):

* ``clipvalue=c`` — each component: gᵢ ← min(max(gᵢ, −c), c);
* ``clipnorm=c`` — each gradient array on its own: g ← g · c / max(‖g‖₂, c);
* ``global_clipnorm=c`` — all gradients together, keeping their direction:
  g ← g · c / max(‖G‖₂, c) with ‖G‖₂ = √(Σ over all arrays of ‖g‖₂²).

The norm rules are Keras's (no ε); PyTorch's ``clip_grad_norm_`` scales by
c / (‖G‖ + 10⁻⁶), which differs only in the sixth digit when clipping happens.
"""

from __future__ import annotations

import math

import numpy as np


def l2_norm(array: np.ndarray) -> float:
    """‖g‖₂ = √(Σᵢ gᵢ²), summed in float64 so a float32 gradient cannot overflow."""
    flat = array.reshape(-1).astype(np.float64, copy=False)
    return math.sqrt(float(np.dot(flat, flat)))


def global_norm(grads) -> float:
    """‖G‖₂ = √(Σₖ ‖gₖ‖₂²) over a list of arrays.

    Example:
        >>> global_norm([np.array([3.0]), np.array([4.0])])
        5.0
    """
    return math.sqrt(sum(l2_norm(g) ** 2 for g in grads))


def clip_by_value(grads, clip_value: float) -> list:
    """Clip every component to [−c, c].

    Example:
        >>> clip_by_value([np.array([-3.0, 0.5, 2.0])], 1.0)[0]
        array([-1. ,  0.5,  1. ])
    """
    return [np.clip(g, -clip_value, clip_value) for g in grads]


def clip_by_norm(grads, clip_norm: float) -> list:
    """Rescale each array whose norm exceeds c to norm c (direction kept).

    Example:
        >>> clip_by_norm([np.array([3.0, 4.0]), np.array([0.3, 0.4])], 1.0)
        [array([0.6, 0.8]), array([0.3, 0.4])]
    """
    return [_scaled(g, clip_norm, l2_norm(g)) for g in grads]


def clip_by_global_norm(grads, clip_norm: float) -> list:
    """Rescale all arrays by the same factor so that their global norm is at most c.

    Example:
        >>> clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)
        [array([0.6]), array([0.8])]
    """
    norm = global_norm(grads)
    return [_scaled(g, clip_norm, norm) for g in grads]


def _scaled(g: np.ndarray, clip_norm: float, norm: float) -> np.ndarray:
    if norm <= clip_norm:
        return g
    return g * (clip_norm / norm)
