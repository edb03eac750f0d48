"""The course's 2-D test functions, for navigating the parameter space.

A network has millions of weights, but what an optimizer does with them can be
*seen* on a function of two parameters ``(x, y)``: its level curves are a map,
and each step of gradient descent a move on that map. These are the classic
ones, each with its difficulty:

============  ==============================================  =======================
name          f(x, y)                                         what it teaches
============  ==============================================  =======================
rosenbrock    (a − x)² + b·(y − x²)²                          a curved, flat valley
beale         (1.5 − x + xy)² + (2.25 − x + xy²)²             huge range of slopes,
              + (2.625 − x + xy³)²                            flat plateaus
himmelblau    (x² + y − 11)² + (x + y² − 7)²                  four minima: where you
                                                              start decides the end
ravine        ½·(x² + κ·y²)                                   ill-conditioning: SGD
                                                              zigzags, momentum and
                                                              Adam cut through
============  ==============================================  =======================

Each surface is a small object: call it on ``(x, y)`` for the value, read
``minima``, ``window`` (the default plotting box) and ``start`` (the default
first point). The formula is written once with arithmetic operators only, so
the same code evaluates a NumPy grid (for contour plots) and
:class:`treino.Tensor` scalars (so that autograd gives the gradient):

>>> import numpy as np
>>> f = Rosenbrock()
>>> f(np.array([1.0, 0.0]), np.array([1.0, 0.0]))        # a NumPy array in, an array out
array([0., 1.])
>>> f.gradient([0.0, 0.0])                                 # by autograd through the same formula
array([-2.,  0.])
"""

from __future__ import annotations

import numpy as np

from treino.autograd import Tensor, enable_grad

__all__ = ["SURFACES", "Beale", "Himmelblau", "Ravine", "Rosenbrock", "Surface", "get_surface"]


class Surface:
    """A function of two parameters f(x, y), with its minima and a default view.

    Subclasses write the formula in :meth:`__call__` with ``+ − · **`` only, so it
    works for floats, NumPy arrays and :class:`~treino.Tensor` s alike.

    Attributes:
        name: the short name (``"rosenbrock"``), the key in :data:`SURFACES`.
        titles: the display name, ``{"pt": …, "en": …}``.
        minima: the global minimum (or minima) ``((x*, y*), …)``, all with
            value :attr:`minimum_value`.
        minimum_value: f at the minima (0 for all the surfaces here).
        window: the default plotting box ``((x_min, x_max), (y_min, y_max))``.
        start: the default first point of a trajectory.
    """

    name = "surface"
    titles = {"pt": "superfície", "en": "surface"}
    minima: tuple = ()
    minimum_value = 0.0
    window = ((-2.0, 2.0), (-2.0, 2.0))
    start = (0.0, 0.0)

    def __call__(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x, y)")

    def title(self, lang: str = "pt") -> str:
        """The display name in ``lang`` (``'pt'`` or ``'en'``)."""
        return self.titles[lang]

    def value(self, point) -> float:
        """f at one point ``(x, y)``, as a Python float."""
        x, y = _as_point(point, self.name)
        return float(self(x, y))

    def gradient(self, point) -> np.ndarray:
        """∇f = (∂f/∂x, ∂f/∂y) at ``point``, by autograd through :meth:`__call__` (float64)."""
        w = Tensor(np.array(_as_point(point, self.name), dtype=np.float64), requires_grad=True)
        with enable_grad():
            self(w[0], w[1]).backward()
        return w.grad

    def grid(self, resolution: int = 300, window=None):
        """``(X, Y, Z)``: the window sampled on a ``resolution × resolution`` grid, Z = f(X, Y).

        X and Y come from ``np.meshgrid`` ("xy" indexing), ready for ``contourf(X, Y, Z)``.
        """
        (x0, x1), (y0, y1) = window or self.window
        X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        return X, Y, self(X, Y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Rosenbrock(Surface):
    """Rosenbrock's banana: f(x, y) = (a − x)² + b·(y − x²)², minimum 0 at (a, a²).

    The minimum lies at the bottom of a long, curved, almost flat valley
    (y ≈ x²). Finding the valley is easy — its walls are steep (b = 100) —
    but walking along it to (1, 1) is slow: the gradient there is tiny and
    points mostly across the valley. Look for paths that drop quickly into
    the valley and then crawl (SGD), overshoot and oscillate (momentum), or
    follow the curve (Adam, RMSprop).

    Args:
        a: position of the minimum (a, a²). Defaults to 1.
        b: steepness of the valley's walls. Defaults to 100.

    Example:
        >>> f = Rosenbrock()
        >>> f.value((1.0, 1.0)), f.value((0.0, 0.0)), f.minima
        (0.0, 1.0, ((1.0, 1.0),))
    """

    name = "rosenbrock"
    titles = {"pt": "Rosenbrock", "en": "Rosenbrock"}
    window = ((-2.0, 2.0), (-1.0, 3.0))
    start = (-1.5, 2.0)

    def __init__(self, a: float = 1.0, b: float = 100.0):
        self.a = _finite("a", a)
        self.b = _finite("b", b, positive=True)
        self.minima = ((self.a, self.a**2),)

    def __call__(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


class Beale(Surface):
    """Beale: f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², minimum 0 at (3, ½).

    The slopes range over many orders of magnitude: walls of 10⁴ at the
    corners, a flat plateau near y = 1 and a narrow curved valley to the
    minimum. A single learning rate cannot suit every region — the case for
    adaptive methods (RMSprop, Adam), which rescale each coordinate's step.

    Example:
        >>> Beale().value((3.0, 0.5)), Beale().value((0.0, 0.0))
        (0.0, 14.203125)
    """

    name = "beale"
    titles = {"pt": "Beale", "en": "Beale"}
    minima = ((3.0, 0.5),)
    window = ((-1.0, 4.5), (-1.5, 2.0))
    start = (1.0, 1.5)

    def __call__(self, x, y):
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


class Himmelblau(Surface):
    """Himmelblau: f(x, y) = (x² + y − 11)² + (x + y² − 7)², four minima of value 0.

    The minima are (3, 2), (−2.805118, 3.131313), (−3.779310, −3.283186) and
    (3.584428, −1.848126), separated by ridges and a local maximum near
    (−0.27, −0.92). Gradient descent finds *a* minimum, the one whose basin
    holds the start — and momentum can carry a path over a ridge into another
    basin. From the default start (0, 0), plain SGD ends at (3, 2), the same
    SGD with momentum at (3.58, −1.85):

    >>> from treino.optimizers import SGD
    >>> from treino.plot.parameter_space import trajectory
    >>> f = Himmelblau()
    >>> trajectory(f, SGD(0.01), steps=300)[-1].round(2)
    array([3., 2.])
    >>> trajectory(f, SGD(0.01, momentum=0.9), steps=300)[-1].round(2)
    array([ 3.58, -1.85])
    >>> max(abs(f.value(m)) for m in f.minima) < 1e-9
    True
    """

    name = "himmelblau"
    titles = {"pt": "Himmelblau", "en": "Himmelblau"}
    minima = (
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    )
    window = ((-5.0, 5.0), (-5.0, 5.0))
    start = (0.0, 0.0)

    def __call__(self, x, y):
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


class Ravine(Surface):
    """The ravine (ravina): an ill-conditioned bowl, f(x, y) = ½·(x² + κ·y²), minimum 0 at (0, 0).

    The Hessian is diag(1, κ): the surface curves κ times more steeply across
    the ravine (y) than along it (x) — the course's picture of a ravine. With
    gradient descent, ``w ← w − η·∇f`` multiplies each coordinate by its own
    factor,

        x ← (1 − η)·x,      y ← (1 − η·κ)·y,

    so η must stay below 2/κ (else y diverges), and then x shrinks only by
    (1 − η) per step: slow progress along the floor, and for η > 1/κ a zigzag
    across it (1 − η·κ < 0). Momentum averages the zigzag out and builds speed
    along x; Adam divides each coordinate by its own gradient scale.

    Args:
        kappa: the condition number κ ≥ 1 (ratio of the curvatures). Defaults to 25.

    Example:
        >>> f = Ravine(kappa=25)
        >>> f.value((2.0, 1.0)), f.gradient((2.0, 1.0))
        (14.5, array([ 2., 25.]))
    """

    name = "ravine"
    titles = {"pt": "Ravina", "en": "Ravine"}
    minima = ((0.0, 0.0),)
    window = ((-10.0, 10.0), (-3.0, 3.0))
    start = (-9.0, 2.0)

    def __init__(self, kappa: float = 25.0):
        self.kappa = _finite("kappa", kappa, positive=True)
        if self.kappa < 1:
            raise ValueError(f"Ravine: kappa must be >= 1; received kappa={kappa!r}")

    def title(self, lang: str = "pt") -> str:
        return f"{self.titles[lang]} (κ = {self.kappa:g})"

    def __call__(self, x, y):
        return 0.5 * (x**2 + self.kappa * y**2)

    def __repr__(self) -> str:
        return f"Ravine(kappa={self.kappa:g})"


SURFACES = {cls.name: cls for cls in (Rosenbrock, Beale, Himmelblau, Ravine)}
"""The surfaces by name: ``'rosenbrock'``, ``'beale'``, ``'himmelblau'``, ``'ravine'``."""


def get_surface(identifier) -> Surface:
    """A :class:`Surface` from itself or from its name (built with default parameters).

    Example:
        >>> get_surface("ravine")
        Ravine(kappa=25)
        >>> get_surface("sphere")
        Traceback (most recent call last):
        ...
        ValueError: unknown surface 'sphere'; expected a Surface or one of: rosenbrock, beale, himmelblau, ravine
    """  # noqa: E501
    if isinstance(identifier, Surface):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in SURFACES:
        return SURFACES[identifier.lower()]()
    raise ValueError(
        f"unknown surface {identifier!r}; expected a Surface or one of: {', '.join(SURFACES)}"
    )


# ------------------------------------------------------------------ helpers
def _finite(name: str, value, positive: bool = False) -> float:
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (positive and value <= 0):
        expected = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{name} must be {expected}; received {name}={value!r}")
    return float(value)


def _as_point(point, owner: str) -> tuple[float, float]:
    """``point`` as two floats ``(x, y)``, or a ValueError naming what came."""
    try:
        array = np.asarray(point, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != (2,):
        raise ValueError(
            f"{owner}: a point must be two numbers (x, y); received {point!r}"
        )
    return float(array[0]), float(array[1])
