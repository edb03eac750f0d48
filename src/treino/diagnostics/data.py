"""What the doctor learns from the data and the weights before training goes wrong.

* :class:`DataStats` accumulates, batch by batch, each input feature's root
  mean square and the targets' distribution (label counts for a classifier,
  mean and variance for a regression);
* :func:`initialization_findings` inspects the kernels as initialised.
"""

from __future__ import annotations

import math

import numpy as np

from treino.diagnostics.findings import Finding

UNSCALED_SCALE = 10.0
"""A typical feature scale (median RMS) above this means the inputs were not normalised."""

SCALE_SPREAD = 100.0
"""Largest / median feature RMS above this (with the largest > ``UNSCALED_SCALE``): mixed scales."""

IMBALANCE_RATIO = 5.0
"""Most / least frequent class above this is an imbalance worth a warning."""

INIT_TOO_LARGE, INIT_TOO_SMALL = 5.0, 0.1
"""Kernel std / √(1/fan_in) outside [0.1, 5]: a badly scaled initialisation."""


class DataStats:
    """Running statistics of the inputs and targets seen in training batches.

    Args:
        task: ``'classification'`` (integer labels or one-hot rows),
            ``'binary'`` (0/1 targets), ``'regression'`` or None (no target stats).
        check_inputs: False when the model scales its own inputs (a
            ``Rescaling``/``Normalization`` layer) or reads token ids (``Embedding``).
    """

    def __init__(self, task: str | None = None, check_inputs: bool = True):
        self.task = task
        self.check_inputs = check_inputs
        self.samples = 0
        self._sumsq = None
        self._max_abs = 0.0
        self.counts: dict = {}
        self._y_sum = None
        self._y_sumsq = None

    def update(self, x, y=None) -> None:
        """Add one batch (``x`` a single array; other structures are skipped)."""
        if isinstance(x, np.ndarray) and x.ndim >= 1 and x.shape[0] and x.dtype.kind in "fiu":
            flat = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
            sumsq = np.einsum("ij,ij->j", flat, flat)
            self._sumsq = sumsq if self._sumsq is None else self._sumsq + sumsq
            self._max_abs = max(self._max_abs, float(np.abs(flat).max()))
            self.samples += flat.shape[0]
        if isinstance(y, np.ndarray) and y.size and self.task is not None:
            self._update_targets(y)

    def _update_targets(self, y: np.ndarray) -> None:
        if self.task == "classification":
            labels = y.argmax(axis=-1) if y.ndim >= 2 and y.shape[-1] > 1 else y.reshape(-1)
        elif self.task == "binary":
            labels = (y.reshape(-1) > 0.5).astype(int)
        else:
            column = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
            self._y_sum = column.sum(0) + (0 if self._y_sum is None else self._y_sum)
            sq = (column**2).sum(0)
            self._y_sumsq = sq + (0 if self._y_sumsq is None else self._y_sumsq)
            self.counts["n"] = self.counts.get("n", 0) + column.shape[0]
            return
        values, counts = np.unique(np.asarray(labels).astype(np.int64), return_counts=True)
        for value, count in zip(values.tolist(), counts.tolist(), strict=True):
            self.counts[value] = self.counts.get(value, 0) + count

    # ------------------------------------------------------------- results
    def feature_scales(self) -> np.ndarray | None:
        """Each input feature's RMS √(Σx²/n) over the samples seen."""
        if self._sumsq is None or not self.samples:
            return None
        return np.sqrt(self._sumsq / self.samples)

    def baseline_loss(self, loss_name: str | None) -> float | None:
        """The loss of the best constant prediction: what a model that learned nothing gets.

        Cross-entropy: the entropy H(p) = −Σ pₖ ln pₖ of the label frequencies;
        mean squared error: the targets' variance.
        """
        if self.task in ("classification", "binary") and self.counts:
            p = np.array(list(self.counts.values()), dtype=np.float64)
            p /= p.sum()
            return float(-(p * np.log(p)).sum())
        if self.task == "regression" and self.counts.get("n") and loss_name == "mse":
            n = self.counts["n"]
            variance = self._y_sumsq / n - (self._y_sum / n) ** 2
            return float(np.mean(variance))
        return None

    def findings(self) -> list[Finding]:
        """``unscaled_inputs`` and ``class_imbalance``, when the data show them."""
        found = []
        scales = self.feature_scales()
        if self.check_inputs and scales is not None and np.any(scales > 0):
            nonzero = scales[scales > 0]
            typical = float(np.median(nonzero))
            spread = float(nonzero.max() / typical)
            if typical > UNSCALED_SCALE or (nonzero.max() > UNSCALED_SCALE
                                            and spread > SCALE_SPREAD):  # fmt: skip
                found.append(Finding("unscaled_inputs", "warning", {
                    "scale": typical, "max_abs": self._max_abs, "spread": spread,
                }))  # fmt: skip
        if self.task in ("classification", "binary") and len(self.counts) >= 2:
            classes = sorted(self.counts, key=lambda k: self.counts[k])
            minority, majority = classes[0], classes[-1]
            ratio = self.counts[majority] / self.counts[minority]
            if ratio > IMBALANCE_RATIO:
                total = sum(self.counts.values())
                fractions = {k: round(self.counts[k] / total, 3) for k in sorted(self.counts)}
                found.append(Finding("class_imbalance", "warning", {
                    "majority": majority, "minority": minority, "ratio": float(ratio),
                    "fractions": fractions,
                }))  # fmt: skip
        return found


def initialization_findings(model, scale: bool = True) -> list[Finding]:
    """``symmetric_init`` and ``bad_init_scale`` from the kernels of ``model`` as they are now.

    ``scale=False`` checks symmetry only: after training, a kernel's scale says
    what training made of it (a divergence inflates it), not how it started;
    symmetry, though, survives training, so it is still evidence.

    A kernel is symmetric when all its output units (the columns of the
    reshaped ``(fan_in, units)`` matrix) hold the same weights — all zeros, or
    one constant. Its scale is compared with LeCun's √(1/fan_in), which Glorot
    and He stay close to (×1–1.4): above 5× it is too large; below 0.1× too
    small (only flagged in networks of three or more weight layers, where the
    shrinking compounds).
    """
    kernels = []
    for layer in model._all_layers()[1:]:
        kernel = getattr(layer, "kernel", None)
        if type(layer).__name__ == "Embedding" or kernel is None or not hasattr(kernel, "data"):
            continue
        if kernel.data.ndim >= 2 and kernel.data.size:
            kernels.append((layer.name, np.asarray(kernel.data, dtype=np.float64)))
    found = []
    for name, kernel in kernels:
        units = kernel.shape[-1]
        matrix = kernel.reshape(-1, units)
        fan_in = matrix.shape[0]
        spread = float(np.ptp(matrix, axis=1).max())
        if units > 1 and spread == 0.0:
            found.append(Finding("symmetric_init", "critical",
                                 {"units": units, "spread": spread}, layer=name))  # fmt: skip
            continue
        reference = math.sqrt(1.0 / fan_in)
        std = float(matrix.std())
        factor = std / reference
        if scale and (factor > INIT_TOO_LARGE or (factor < INIT_TOO_SMALL and len(kernels) >= 3)):
            found.append(Finding("bad_init_scale", "warning", {
                "std": std, "reference": reference, "factor": factor, "fan_in": fan_in,
            }, layer=name))  # fmt: skip
    return found
