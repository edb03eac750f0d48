"""Small synthetic datasets for the course's first experiments.

Classification sets (:func:`xor`, :func:`moons`, :func:`circles`,
:func:`spirals`, :func:`blobs`) return ``x`` of shape ``(n, n_features)`` in
``treino.backend.floatx()`` and integer labels ``y`` of shape ``(n,)``
(``int64``), with the classes as balanced as ``n_samples`` allows (counts differ
by at most one) and the rows shuffled, so ``validation_split`` sees every class.
Regression sets (:func:`sine`, :func:`linear`) return ``y`` of shape ``(n, 1)``
in floatx.

``seed=None`` draws from treino's shared generator (seeded by
``treino.seed(n)``); an integer gives the call its own generator, so the same
seed always returns the same arrays.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from treino.backend import floatx, make_rng

__all__ = ["blobs", "circles", "linear", "moons", "sine", "spirals", "xor"]


# -- argument checks ----------------------------------------------------------


def _check_int(name: str, value, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; received: {value!r}")
    return int(value)


def _check_nonnegative(name: str, value) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; received: {value!r}")
    return float(value)


def _rng(seed) -> np.random.Generator:
    ok = seed is None or isinstance(seed, np.random.Generator)
    ok = ok or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool))
    if not ok:
        raise ValueError(f"seed must be None, an integer or a numpy Generator; received: {seed!r}")
    return make_rng(seed)


def _balanced_labels(n_samples: int, n_classes: int) -> np.ndarray:
    """0, 1, ..., n_classes-1 repeated: counts differ by at most one."""
    return np.arange(n_samples) % n_classes


def _finish(x, y, rng, y_dtype):
    order = rng.permutation(len(x))
    return x[order].astype(floatx()), y[order].astype(y_dtype)


# -- classification -----------------------------------------------------------


def xor(n_samples=200, noise=0.1, seed=None):
    """Points around the four corners of the unit square, labelled by XOR.

    ``(0, 0)`` and ``(1, 1)`` are class 0, ``(0, 1)`` and ``(1, 0)`` class 1 —
    the problem no single neuron solves (o problema do XOU). ``noise=0`` with
    ``n_samples=4`` is the truth table itself.

    Args:
        n_samples: number of points (>= 2).
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: ``None`` (treino's shared generator), an int or a Generator.

    Returns:
        ``(x, y)``: floatx ``(n, 2)`` and int64 ``(n,)``.

    Example:
        >>> x, y = xor(4, noise=0.0, seed=0)
        >>> sorted(zip(x.tolist(), y.tolist()))
        [([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0)]
    """
    n = _check_int("n_samples", n_samples, 2)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    corner = np.arange(n) % 4  # 0:(0,0) 1:(0,1) 2:(1,1) 3:(1,0) — classes alternate
    x = np.stack([corner >= 2, (corner == 1) | (corner == 2)], axis=1).astype(np.float64)
    y = corner % 2
    x += rng.normal(0.0, noise, size=x.shape)
    return _finish(x, y, rng, np.int64)


def moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (as ``sklearn.datasets.make_moons``).

    Args:
        n_samples: number of points (>= 2), half per moon.
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: ``None`` (treino's shared generator), an int or a Generator.

    Returns:
        ``(x, y)``: floatx ``(n, 2)`` and int64 ``(n,)``.

    Example:
        >>> x, y = moons(100, seed=0)
        >>> x.shape, x.dtype, y.dtype, int(y.sum())
        ((100, 2), dtype('float32'), dtype('int64'), 50)
    """
    n = _check_int("n_samples", n_samples, 2)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    y = _balanced_labels(n, 2)
    t = np.empty(n)
    for label in (0, 1):
        t[y == label] = np.linspace(0.0, np.pi, int(np.sum(y == label)))
    x = np.where(
        (y == 0)[:, None],
        np.stack([np.cos(t), np.sin(t)], axis=1),
        np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1),
    )
    x += rng.normal(0.0, noise, size=x.shape)
    return _finish(x, y, rng, np.int64)


def circles(n_samples=200, noise=0.05, factor=0.5, seed=None):
    """A small circle (class 1) inside a large one (class 0).

    Args:
        n_samples: number of points (>= 2), half per circle.
        noise: standard deviation of the Gaussian noise added to each coordinate.
        factor: radius of the inner circle relative to the outer one, in (0, 1).
        seed: ``None`` (treino's shared generator), an int or a Generator.

    Returns:
        ``(x, y)``: floatx ``(n, 2)`` and int64 ``(n,)``.
    """
    n = _check_int("n_samples", n_samples, 2)
    noise = _check_nonnegative("noise", noise)
    if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor must be a number in (0, 1); received: {factor!r}")
    rng = _rng(seed)
    y = _balanced_labels(n, 2)
    t = rng.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, float(factor))
    x = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    x += rng.normal(0.0, noise, size=x.shape)
    return _finish(x, y, rng, np.int64)


def spirals(n_samples=200, n_classes=2, noise=0.04, seed=None):
    """``n_classes`` arms of a spiral, one per class, each a full turn from the centre.

    Args:
        n_samples: number of points (>= n_classes).
        n_classes: number of arms (>= 2).
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: ``None`` (treino's shared generator), an int or a Generator.

    Returns:
        ``(x, y)``: floatx ``(n, 2)`` (inside the unit disc, plus noise) and
        int64 ``(n,)``.
    """
    n_classes = _check_int("n_classes", n_classes, 2)
    n = _check_int("n_samples", n_samples, n_classes)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    y = _balanced_labels(n, n_classes)
    r = np.empty(n)
    for label in range(n_classes):
        r[y == label] = np.linspace(0.05, 1.0, int(np.sum(y == label)))
    angle = 2 * np.pi * (r + y / n_classes)
    x = r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, size=x.shape)
    return _finish(x, y, rng, np.int64)


def blobs(n_samples=200, centers=3, n_features=2, cluster_std=1.0, seed=None):
    """Gaussian clusters, one class each.

    Args:
        n_samples: number of points (>= number of centers).
        centers: how many clusters, with centres drawn uniformly in
            ``[-10, 10]^n_features``; or an array ``(k, n_features)`` of centres.
        n_features: dimension of each point (ignored when ``centers`` is an array).
        cluster_std: standard deviation of every cluster, or one per cluster.
        seed: ``None`` (treino's shared generator), an int or a Generator.

    Returns:
        ``(x, y)``: floatx ``(n, n_features)`` and int64 ``(n,)``; ``y == i`` for
        the points of cluster ``i``.
    """
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _check_int("centers", centers, 1)
        n_features = _check_int("n_features", n_features, 1)
        given = None
    else:
        try:
            given = np.asarray(centers, dtype=float)
        except (TypeError, ValueError):
            given = np.empty(0)
        if given.ndim != 2 or len(given) == 0 or not np.all(np.isfinite(given)):
            raise ValueError(
                "centers must be an integer >= 1 or a finite array of shape (k, n_features); "
                f"received: {centers!r}"
            )
        k, n_features = given.shape
    n = _check_int("n_samples", n_samples, k)
    try:
        std = None if isinstance(cluster_std, bool) else np.asarray(cluster_std, dtype=float)
    except (TypeError, ValueError):
        std = None
    if std is None or std.shape not in ((), (k,)) or not np.all(np.isfinite(std) & (std >= 0)):
        raise ValueError(
            f"cluster_std must be a number >= 0 or {k} of them (one per center); "
            f"received: {cluster_std!r}"
        )
    rng = _rng(seed)
    if given is None:
        given = rng.uniform(-10.0, 10.0, size=(k, n_features))
    y = _balanced_labels(n, k)
    x = given[y] + rng.normal(size=(n, n_features)) * np.broadcast_to(std, (k,))[y, None]
    return _finish(x, y, rng, np.int64)


# -- regression -----------------------------------------------------------------


def sine(n_samples=200, noise=0.1, seed=None):
    """Noisy samples of ``sin(x)`` for ``x`` uniform in ``[-π, π]``.

    Args:
        n_samples: number of points (>= 1).
        noise: standard deviation of the Gaussian noise added to ``y``.
        seed: ``None`` (treino's shared generator), an int or a Generator.

    Returns:
        ``(x, y)``: floatx ``(n, 1)`` each.

    Example:
        >>> x, y = sine(50, noise=0.0, seed=1)
        >>> x.shape, y.shape, bool(np.allclose(y, np.sin(x), atol=1e-6))
        ((50, 1), (50, 1), True)
    """
    n = _check_int("n_samples", n_samples, 1)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    x = rng.uniform(-np.pi, np.pi, size=(n, 1))
    y = np.sin(x) + rng.normal(0.0, noise, size=(n, 1))
    return x.astype(floatx()), y.astype(floatx())


def linear(n_samples=200, n_features=1, noise=0.1, seed=None, return_coef=False):
    """``y = x @ w + b + noise`` for a random line (plane) — linear regression's data.

    ``x`` is standard normal; ``w`` is uniform in ``[-2, 2]`` and ``b`` in ``[-1, 1]``.

    Args:
        n_samples: number of points (>= 1).
        n_features: number of inputs (columns of ``x``, rows of ``w``).
        noise: standard deviation of the Gaussian noise added to ``y``.
        seed: ``None`` (treino's shared generator), an int or a Generator.
        return_coef: also return the true ``w`` ``(n_features, 1)`` and ``b``
            ``(1,)``, to compare with what a model learns.

    Returns:
        ``(x, y)``: floatx ``(n, n_features)`` and ``(n, 1)``; ``(x, y, w, b)``
        with ``return_coef=True``.

    Example:
        >>> x, y, w, b = linear(100, n_features=2, noise=0.0, seed=0, return_coef=True)
        >>> bool(np.allclose(x @ w + b, y, atol=1e-5))
        True
    """
    n = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    w = rng.uniform(-2.0, 2.0, size=(n_features, 1))
    b = rng.uniform(-1.0, 1.0, size=(1,))
    x = rng.normal(size=(n, n_features))
    y = x @ w + b + rng.normal(0.0, noise, size=(n, 1))
    dtype = floatx()
    if return_coef:
        return x.astype(dtype), y.astype(dtype), w.astype(dtype), b.astype(dtype)
    return x.astype(dtype), y.astype(dtype)
