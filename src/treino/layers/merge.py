"""Layers that merge several inputs: Add (residual connections) and Concatenate."""

from __future__ import annotations

import functools

import numpy as np

from treino import ops
from treino.layers.base import Layer


class _Merge(Layer):
    """Checks that the input is a list of at least two tensors."""

    def _require_list(self, inputs) -> list:
        if not isinstance(inputs, list | tuple) or len(inputs) < 2:
            got = f"a list of {len(inputs)}" if isinstance(inputs, list | tuple) else "one tensor"
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects a list of at least 2 inputs; "
                f"received {got}"
            )
        return list(inputs)

    def _convert_inputs(self, inputs):
        return [self._convert_input(x) for x in inputs]

    def build(self, input_shape) -> None:
        self._require_list(input_shape)
        self._check_shapes(input_shape)

    def compute_mask(self, inputs, mask=None):
        """A step is real in the output when it is real in every input that carries a mask."""
        masks = [np.asarray(m, dtype=bool) for m in mask or [] if m is not None]
        return functools.reduce(np.logical_and, masks) if masks else None

    def __call__(self, inputs, training=None, **kwargs):
        shapes = [tuple(t.shape) if hasattr(t, "shape") else np.shape(t)
                  for t in self._require_list(inputs)]  # fmt: skip
        self._check_shapes(shapes)
        return super().__call__(inputs, training=training, **kwargs)


class Add(_Merge):
    """Elementwise sum of its inputs: ``y = x₁ + x₂ + …`` (the skip connection of a ResNet).

    The gradient of a sum reaches every input unchanged — why residual
    connections keep gradients from vanishing in deep networks.

    Example:
        >>> import numpy as np
        >>> Add()([np.ones((2, 3)), np.ones((2, 3))]).numpy()
        array([[2., 2., 2.],
               [2., 2., 2.]], dtype=float32)
    """

    def _check_shapes(self, shapes) -> None:
        self._output_shape(shapes)

    def _output_shape(self, shapes) -> tuple:
        """NumPy broadcasting of the input shapes, with ``None`` (unknown) sizes."""
        ndim = max(len(s) for s in shapes)
        out = []
        for axis in range(-ndim, 0):
            sizes = {s[axis] for s in shapes if len(s) >= -axis}
            known = {d for d in sizes if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(
                    f"Add '{self.name}': inputs must have the same (or broadcastable) shapes; "
                    f"received {[tuple(s) for s in shapes]}"
                )
            if known:
                out.append(known.pop())
            else:
                out.append(None if None in sizes else 1)
        return tuple(out)

    def call(self, inputs):
        return functools.reduce(ops.add, inputs)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)


class Concatenate(_Merge):
    """Joins its inputs along ``axis`` (all other sizes must match).

    Args:
        axis: the axis to join on. Defaults to -1 (features).
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes) -> None:
        ndims = {len(s) for s in shapes}
        ok = len(ndims) == 1
        if ok:
            ndim = ndims.pop()
            axis = self.axis % ndim
            for i in range(ndim):
                sizes = {s[i] for s in shapes if s[i] is not None}
                if i != axis and len(sizes) > 1:
                    ok = False
        if not ok:
            raise ValueError(
                f"Concatenate '{self.name}': inputs must match on every axis except "
                f"axis={self.axis}; received shapes {[tuple(s) for s in shapes]}"
            )

    def call(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Joining features keeps the steps (masks combine); joining steps joins the masks."""
        if mask is None or all(m is None for m in mask):
            return None
        ndim = inputs[0].ndim
        axis = self.axis % ndim
        if axis == ndim - 1:  # features joined: the same steps
            return super().compute_mask(inputs, mask)
        masks = [np.ones(x.shape[: ndim - 1], dtype=bool) if m is None else np.asarray(m, bool)
                 for x, m in zip(inputs, mask, strict=True)]  # fmt: skip
        return np.concatenate(masks, axis=axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape[0])
        axis = self.axis % len(shape)
        sizes = [s[axis] for s in input_shape]
        shape[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
