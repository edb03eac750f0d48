"""treino — neural-network training from scratch on NumPy.

The engine (:class:`Tensor`, :mod:`treino.ops`) records each op and its
derivative; ``loss.backward()`` applies the chain rule back through them. On
top sit Keras-shaped layers, losses, initializers and regularizers.

>>> import treino
>>> w = treino.tensor([0.5, -1.0], requires_grad=True)
>>> loss = ((w * 3.0).sum() - 1.0) ** 2
>>> loss.backward()
>>> w.grad
array([-15., -15.], dtype=float32)
"""

__version__ = "0.1.0"

from treino import (  # noqa: E402
    activations,
    backend,
    callbacks,
    data,
    datasets,
    diagnostics,
    explain,
    initializers,
    keras,  # noqa: E402  (Keras's namespace over the modules above)
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    regularizers,
)
from treino import ops as math  # tf.math's role: element-wise functions (treino.math.exp)
from treino.autograd import Tensor, enable_grad, is_grad_enabled, no_grad, tensor, unbroadcast
from treino.backend import seed
from treino.gradcheck import GradcheckError, gradcheck

__all__ = [
    "GradcheckError",
    "activations",
    "callbacks",
    "data",
    "datasets",
    "diagnostics",
    "explain",
    "initializers",
    "keras",
    "math",
    "metrics",
    "models",
    "optimizers",
    "plot",
    "preprocessing",
    "layers",
    "losses",
    "regularizers",
    "Tensor",
    "backend",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ops",
    "seed",
    "tensor",
    "unbroadcast",
]


def __getattr__(name):
    """``treino.plot`` is imported on first use: matplotlib is not needed to train."""
    if name == "plot":
        import importlib

        return importlib.import_module("treino.plot")
    raise AttributeError(f"module 'treino' has no attribute {name!r}")
