"""The Keras layer contract: ``__init__`` stores config, ``build`` makes weights, ``call`` computes.

A layer is a function with weights. The first call ``build``\\s it from the
input's shape (so ``Dense(64)`` needs no input size), later calls check the
input against what the layer was built for and raise a clear error *before*
anything changes. Called on a symbolic :class:`KerasTensor` (what
:func:`Input` returns) a layer computes only the output shape; that is how
models are wired before any data flows.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections import defaultdict

import numpy as np

from treino import backend, ops
from treino.autograd import Tensor, no_grad
from treino.naming import snake_case
from treino.variables import Structure, Variable

_name_counts: defaultdict = defaultdict(int)

_training_context: list = []
"""The ``training`` flag of the enclosing layer calls (innermost last).

A model's ``call`` calls its sublayers without passing ``training``; they
inherit it from here, as in Keras, so a Dropout inside a subclassed model is
active during ``fit`` and the identity in ``predict``.
"""

_output_observers: list = []
"""Functions ``observer(layer, outputs)`` called after every eager layer call.

Empty except inside :func:`observe_outputs`; that is how
:class:`~treino.callbacks.GradientMonitor` reads each layer's activations
during a training step without a second forward pass (PyTorch's global
forward hooks play the same role).
"""


@contextlib.contextmanager
def observe_outputs(observer):
    """Within the block, call ``observer(layer, outputs)`` after each layer call on real data.

    Nested layers are observed too (a model is a layer: it is observed after
    its sublayers). The outputs are the layer's own tensors: read them, do not
    change them.

    >>> from treino.layers import Dense
    >>> seen = []
    >>> with observe_outputs(lambda layer, out: seen.append((layer.name, out.shape))):
    ...     _ = Dense(3, name="oculta")(np.ones((2, 4)))
    >>> seen
    [('oculta', (2, 3))]
    """
    _output_observers.append(observer)
    try:
        yield observer
    finally:
        _output_observers.remove(observer)

def unique_name(base: str) -> str:
    """``dense``, ``dense_1``, ``dense_2`` … as Keras names layers."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


class KerasTensor:
    """A symbolic tensor: a shape (batch axis ``None``) and a dtype, no values.

    Produced by :func:`Input` and by calling layers on symbolic tensors; it
    records which layer made it from which inputs (``history``) so a model can
    later replay the graph on real data.
    """

    def __init__(self, shape, dtype=None, layer=None, inputs=()):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype or backend.floatx())
        self.history = (layer, inputs)
        self.index = 0  # position among the outputs of the layer call that made it

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        layer = self.history[0]
        source = f", created by layer '{layer.name}'" if layer is not None else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}{source}>"


def _flatten(structure) -> list:
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _map(fn, structure):
    if isinstance(structure, list | tuple):
        return type(structure)(_map(fn, item) for item in structure)
    return fn(structure)


def _shape_of(structure):
    return _map(lambda t: tuple(t.shape), structure)


class InputSpec:
    """What a layer accepts: number of dimensions and fixed sizes on some axes."""

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer: Layer, shape: tuple, index: int = 0) -> None:
        if (self.ndim is None or len(shape) == self.ndim) and (
            self.min_ndim is None or len(shape) >= self.min_ndim
        ) and all(size is None or shape[axis] in (size, None) for axis, size in self.axes.items()
                  if len(shape) > abs(axis) - (axis < 0)):  # fmt: skip
            return  # the common case, without building any message
        prefix = f"Input {index} of layer '{layer.name}' ({type(layer).__name__}) is incompatible"
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(
                f"{prefix}: expected ndim={self.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(
                f"{prefix}: expected min_ndim={self.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        for axis, size in self.axes.items():
            if size is not None and len(shape) > abs(axis) - (axis < 0) and shape[axis] not in (
                size,
                None,
            ):
                raise ValueError(
                    f"{prefix}: expected axis {axis} of the input to have size {size}; "
                    f"received input with shape {shape}"
                )


def _marking_built(build):
    """``build`` followed by ``built = True`` (and the shape it was built for)."""

    @functools.wraps(build)
    def build_and_mark(self, input_shape):
        build(self, input_shape)
        if self._build_input_shape is None:
            self._build_input_shape = input_shape
        self.built = True

    build_and_mark._marks_built = True
    return build_and_mark


_STRUCTURAL = frozenset({"_trainable", "_sublayers", "_own_weights", "activity_regularizer"})
"""Layer attributes that decide what a model trains (see :class:`Structure`)."""


def _holds_parts(value) -> bool:
    """Whether ``value`` is a layer or variable, or a list/tuple holding one.

    Setting or replacing such an attribute changes the model's structure; the
    training loop's own attributes (the current batch, ``stop_training``,
    ``diverged``) do not, and must not clear the caches every step.
    """
    if isinstance(value, Layer | Variable):
        return True
    return isinstance(value, list | tuple) and any(isinstance(v, Layer | Variable) for v in value)


class Layer:
    """Base class of all layers.

    Subclasses implement ``build(input_shape)`` (create weights with
    :meth:`add_weight`), ``call(inputs, training=None)`` (the forward pass with
    treino ops — the backward pass comes for free) and ``get_config()``.

    Args:
        trainable: whether the layer's weights are updated by training. Defaults
            to True. Setting it to False freezes the layer (and its sublayers).
        activity_regularizer: optional penalty on the layer's output, divided by
            the batch size and added to :attr:`losses` (as Keras).
        name: unique name; defaults to the snake_case class name plus a counter.
        dtype: the float dtype of weights and computation; defaults to
            ``treino.backend.floatx()``.
        input_shape: shape of one sample (without the batch axis), accepted
            for the first layer of a ``Sequential`` as in the course's Keras code
            (``input_dim=784`` is the same as ``input_shape=(784,)``, and
            ``batch_size`` fixes the batch axis).
    """

    def __init__(self, trainable: bool = True, name: str | None = None, dtype=None,
                 activity_regularizer=None, **kwargs):  # fmt: skip
        from treino import regularizers

        input_dim = kwargs.pop("input_dim", None)
        input_shape = kwargs.pop("input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword arguments: {sorted(kwargs)}"
            )
        object.__setattr__(self, "_sublayers", [])
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype or backend.floatx()).name
        self._trainable = bool(trainable)
        self._own_weights: list[Variable] = []
        self._activity_losses: list[Tensor] = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self._build_input_shape = None  # the input shape the layer was built for
        self._last_output_shape = None  # the output shape of its last call (for summary())
        self.input_spec: InputSpec | list | None = None
        if input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            batch_input_shape = (batch_size, *shape)
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)

    # --------------------------------------------------------- sublayer tracking
    def __setattr__(self, key, value):
        if isinstance(value, Layer) or (
            isinstance(value, list | tuple) and value and all(isinstance(v, Layer) for v in value)
        ):
            for layer in value if isinstance(value, list | tuple) else [value]:
                if layer is not self and all(layer is not known for known in self._sublayers):
                    self._sublayers.append(layer)
        if key in _STRUCTURAL or _holds_parts(value) or _holds_parts(self.__dict__.get(key)):
            Structure.changed()
        object.__setattr__(self, key, value)

    # ------------------------------------------------------------- trainability
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value
        for w in self._own_weights:
            w.requires_grad = w.trainable and self._trainable

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        name: str,
        shape,
        initializer="glorot_uniform",
        dtype=None,
        trainable: bool = True,
        regularizer=None,
    ) -> Variable:
        """Create a weight, initialise it, and register it with this layer.

        Args:
            name: short name (``"kernel"``); the variable's path is ``layer/name``.
            shape: its shape.
            initializer: an initializer or its Keras name. Defaults to ``"glorot_uniform"``.
            dtype: defaults to the layer's dtype.
            trainable: learned by the optimizer (True) or maintained by the layer.
            regularizer: optional penalty (or its name) added to :attr:`losses`.
        """
        from treino import initializers, regularizers

        dtype = np.dtype(dtype or self.dtype)
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        variable = Variable(
            value, name=name, trainable=trainable, path=f"{self.name}/{name}",
            regularizer=regularizers.get(regularizer), dtype=dtype,
        )  # fmt: skip
        variable.requires_grad = trainable and self._trainable
        self._own_weights.append(variable)
        Structure.changed()
        return variable

    def _cached(self, key: str, compute):
        """``compute()``, remembered until the model's structure changes (see ``Structure``)."""
        cache = self.__dict__.setdefault("_structure_cache", {})
        entry = cache.get(key)
        if entry is None or entry[0] != Structure.version:
            entry = cache[key] = (Structure.version, compute())
        return entry[1]

    def _all_layers(self) -> list:
        """This layer and every nested sublayer, each once, depth first."""
        return self._cached("layers", self._walk_layers)

    def _walk_layers(self) -> list:
        seen, order, stack = set(), [], [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            order.append(layer)
            stack.extend(reversed(layer._sublayers))
        return order

    @property
    def trainable_weights(self) -> list:
        """Weights learned by gradient descent (empty when the layer is frozen)."""
        found = self._cached("trainable", lambda: self._trainable_weights_of(self._all_layers()))
        return list(found)

    def _trainable_weights_of(self, layers: list) -> list:
        if not self._trainable:
            return []
        out = []
        for layer in layers:
            if layer._trainable:
                out.extend(w for w in layer._own_weights if w.trainable)
        return _unique(out)

    @property
    def non_trainable_weights(self) -> list:
        """Weights not learned by the optimizer (moving statistics, frozen kernels)."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    @property
    def weights(self) -> list:
        """All weights: each layer's trainable ones then its non-trainable ones, layer by layer."""
        out = []
        for layer in self._all_layers():
            own = layer._own_weights
            out.extend([w for w in own if w.trainable] + [w for w in own if not w.trainable])
        return _unique(out)

    # Keras 3 spells the same lists ``*_variables`` (its ``Variable`` class): same objects.
    @property
    def trainable_variables(self) -> list:
        """Alias of :attr:`trainable_weights` (Keras 3's name)."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        """Alias of :attr:`non_trainable_weights` (Keras 3's name)."""
        return self.non_trainable_weights

    @property
    def variables(self) -> list:
        """Alias of :attr:`weights` (Keras 3's name)."""
        return self.weights

    def get_weights(self) -> list:
        """Copies of the weights as NumPy arrays, in :attr:`weights` order."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Load arrays into the weights (count and shapes are checked before anything changes)."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}': set_weights expected {len(own)} arrays "
                f"({[w.path for w in own]}); received {len(weights)}"
            )
        arrays = []  # every array is checked and converted before any weight changes
        for w, a in zip(own, weights, strict=True):
            a = np.asarray(a.data if isinstance(a, Tensor) else a)
            if a.shape != w.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{w.path}' has shape {w.shape}; "
                    f"received an array of shape {a.shape}"
                )
            if a.dtype.kind not in "fiub":
                raise TypeError(
                    f"Layer '{self.name}': weight '{w.path}' holds {w.dtype} numbers; "
                    f"received an array of dtype {a.dtype}"
                )
            arrays.append(a.astype(w.dtype, copy=False))
        for w, a in zip(own, arrays, strict=True):
            w.data[...] = a

    def count_params(self) -> int:
        """Total number of weight values (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count; "
                "call it on data or build(input_shape) first"
            )
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self) -> list:
        """Penalties to add to the loss: weight regularizers and the last call's activity terms.

        As in Keras, only *trainable* weights are penalised: a frozen layer's
        penalty would be a constant that no step can reduce.
        """
        regularized, active = self._cached("penalised", self._penalised)
        out = [w.regularizer(w) for w in regularized]
        for layer in active:
            out.extend(layer._activity_losses)
        return out

    def _penalised(self) -> tuple:
        """(trainable weights with a regularizer, layers with an activity regularizer)."""
        layers = self._all_layers()
        return ([w for w in self._trainable_weights_of(layers) if w.regularizer is not None],
                [layer for layer in layers if layer.activity_regularizer is not None])

    # ------------------------------------------------------------ build / call
    def __init_subclass__(cls, **kwargs):
        """A subclass's ``build`` marks the layer built, also when called directly.

        Keras does the same: ``layer.build(shape)`` followed by ``set_weights``
        must not be undone by a second build on the first call.
        """
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            cls.build = _marking_built(build)

    def build(self, input_shape) -> None:
        """Create the weights for ``input_shape`` (batch axis included). Default: none."""
        self.built = True

    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    #: Layers that keep the time axis and treat each step alike (Dense, Dropout, …)
    #: pass an incoming mask on to their output; the others drop it (Keras's rule).
    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The boolean mask of the output (True = a real step), or None.

        Masks mark the padded steps of variable-length sequences: a layer such
        as ``Embedding(mask_zero=True)`` or ``Masking`` creates one, layers with
        ``supports_masking`` pass it on, and recurrent layers read it (their
        ``call`` has a ``mask`` argument, filled in automatically) to skip the
        padding. The mask travels on the output tensor (``tensor._keras_mask``).
        """
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; by default, traced on a zero batch of one."""
        def dummy(shape):
            return Tensor(np.zeros((1, *shape[1:]), dtype=self.dtype))

        with no_grad():
            out = self._call_with_training(_map(dummy, input_shape), False)
        return _map(lambda t: (None, *t.shape[1:]), out)

    def __call__(self, inputs, training=None, **kwargs):
        single = isinstance(inputs, Tensor)  # the common case: no structure to walk
        if not single and any(isinstance(t, KerasTensor) for t in _flatten(inputs)):
            return self._symbolic_call(inputs)
        mask = kwargs["mask"] if "mask" in kwargs else _mask_of(inputs)
        if mask is not None and "mask" not in kwargs and _accepts_mask(type(self)):
            kwargs["mask"] = mask
        if single:
            inputs = self._convert_input(inputs)
            checked = (inputs.shape, self.input_spec)  # a shape passes a spec once and for all
            if not self.built or checked != self.__dict__.get("_checked"):
                self._check_before_and_build([inputs], inputs.shape)
                object.__setattr__(self, "_checked", checked)
        else:
            inputs = self._convert_inputs(inputs)
            self._check_before_and_build(_flatten(inputs), _shape_of(inputs))
        if self.activity_regularizer is not None:  # the last call's penalties only
            object.__setattr__(self, "_activity_losses", [])  # internal: no sublayer tracking
        if training is None and _training_context:
            training = _training_context[-1]
        _training_context.append(training)
        try:
            outputs = self._call_with_training(inputs, training, **kwargs)
        finally:
            _training_context.pop()
        object.__setattr__(self, "_last_output_shape",  # for summary(), batch axis as None
                           (None, *outputs.shape[1:]) if isinstance(outputs, Tensor)
                           else _map(lambda t: (None, *t.shape[1:]), outputs))  # fmt: skip
        if mask is not None or type(self).compute_mask is not Layer.compute_mask:
            _attach_mask(outputs, self.compute_mask(inputs, mask))
        if self.activity_regularizer is not None:  # Keras: penalty per sample of the batch
            for y in _flatten(outputs):
                penalty = self.activity_regularizer(y)
                self._activity_losses.append(penalty / max(1, y.shape[0]) if y.ndim else penalty)
        for observer in _output_observers:
            observer(self, outputs)
        return outputs

    def _call_with_training(self, inputs, training, **kwargs):
        if _accepts_training(type(self)):
            kwargs["training"] = training
        return self.call(inputs, **kwargs)

    def _build_from(self, input_shape) -> None:
        self._build_input_shape = input_shape
        self.build(input_shape)
        self.built = True

    def _check_before_and_build(self, leaves, input_shape) -> None:
        """Check the inputs, build on the first call, then check what the weights fix.

        The first check (e.g. Dense's ``min_ndim=2``) runs *before* ``build``, so
        an input the layer can never take raises without creating any weight.
        """
        self._check_inputs(leaves)
        if not self.built:
            self._build_from(input_shape)
            self._check_inputs(leaves)

    def _symbolic_call(self, inputs):
        shapes = _map(lambda t: t.shape, inputs)
        self._check_before_and_build(_flatten(inputs), shapes)
        out_shape = self.compute_output_shape(shapes)
        self._last_output_shape = out_shape
        if isinstance(out_shape, list):
            outputs = [KerasTensor(s, self.dtype, self, inputs) for s in out_shape]
            for index, output in enumerate(outputs):
                output.index = index
        else:
            outputs = KerasTensor(out_shape, self.dtype, self, inputs)
        if getattr(self, "_first_node", None) is None:
            self._first_node = (inputs, outputs)
        return outputs

    # ------------------------------------------------- the layer in a model graph
    def _node(self, what: str):
        node = getattr(self, "_first_node", None)
        if node is None:
            raise AttributeError(
                f"Layer '{self.name}' has no symbolic {what} yet: it has not been called on an "
                "Input (build the model from Input(shape=…) or give the first layer input_shape=)"
            )
        return node

    @property
    def input(self):
        """The symbolic input of the layer's first call in a model graph (Keras's ``input``)."""
        return self._node("input")[0]

    @property
    def output(self):
        """The symbolic output of the layer's first call in a model graph (Keras's ``output``).

        This is how a new head goes on a trained body (transfer learning)::

            features = base.get_layer("flatten").output
            new_model = Model(base.inputs, Dense(5, activation="softmax")(features))
        """
        return self._node("output")[1]

    @output.setter
    def output(self, value) -> None:  # an InputLayer's tensor is its input and its output
        self._first_node = (value, value)

    def _convert_inputs(self, inputs):
        if isinstance(inputs, list | tuple) and not any(
            isinstance(leaf, Tensor | np.ndarray) for leaf in _flatten(inputs)
        ):  # nested Python numbers ([[1.0, 2.0]]) are one input, not a list of inputs
            return self._convert_input(inputs)
        return _map(self._convert_input, inputs)

    def _convert_input(self, x) -> Tensor:
        """Arrays become tensors of the layer's dtype (as Keras autocasts); tensors must match."""
        if isinstance(x, Tensor):
            if x.dtype.kind == "f" and x.dtype != np.dtype(self.dtype):
                raise TypeError(
                    f"Layer '{self.name}' ({type(self).__name__}) computes in {self.dtype}; "
                    f"received a {x.dtype} tensor. Convert it with x.astype('{self.dtype}')"
                )
            if x.dtype.kind in "iub":
                return ops.cast(x, self.dtype)
            return x
        array = np.asarray(x)
        if array.dtype.kind not in "fiub":
            raise TypeError(
                f"Layer '{self.name}' ({type(self).__name__}) expected numeric input "
                f"(float, int or bool); received dtype {array.dtype}"
            )
        return Tensor(array, dtype=self.dtype)

    def _check_inputs(self, leaves) -> None:
        specs = self.input_spec
        if specs is None:
            return
        specs = specs if isinstance(specs, list) else [specs] * len(leaves)
        for i, (spec, t) in enumerate(zip(specs, leaves, strict=False)):
            if spec is not None:
                spec.check(self, tuple(t.shape), i)

    # ------------------------------------------------------------ serialization
    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable: ``cls.from_config(cfg)`` rebuilds it."""
        from treino import regularizers

        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _unique(items: list) -> list:
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


_TRAINING_ARG: dict = {}


def _mask_of(inputs):
    """The mask carried by the input tensor(s): an array, a list (several inputs) or None."""
    if isinstance(inputs, list | tuple):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return None if all(m is None for m in masks) else masks
    return getattr(inputs, "_keras_mask", None)


def _attach_mask(outputs, mask) -> None:
    """Store ``mask`` on the output tensor(s) (a list of masks goes with a list of outputs)."""
    if mask is None:
        return
    if isinstance(outputs, list | tuple):
        masks = mask if isinstance(mask, list | tuple) else [mask] * len(outputs)
        for output, m in zip(outputs, masks, strict=False):
            if isinstance(output, Tensor) and m is not None:
                output._keras_mask = np.asarray(m, dtype=bool)
    elif isinstance(outputs, Tensor):
        outputs._keras_mask = np.asarray(mask, dtype=bool)


_MASK_ARG: dict = {}


def _accepts_mask(cls) -> bool:
    if cls not in _MASK_ARG:
        _MASK_ARG[cls] = "mask" in inspect.signature(cls.call).parameters
    return _MASK_ARG[cls]


def _accepts_training(cls) -> bool:
    if cls not in _TRAINING_ARG:
        _TRAINING_ARG[cls] = "training" in inspect.signature(cls.call).parameters
    return _TRAINING_ARG[cls]


class InputLayer(Layer):
    """The entry point of a model: declares the shape and dtype of the data.

    Args:
        shape: shape of one sample, without the batch axis (e.g. ``(784,)``).
        batch_size: optional fixed batch size.
        dtype: the input dtype; defaults to floatx.
        batch_shape: alternatively, the full shape including the batch axis.
        name: optional name.

    ``input_shape=`` and ``batch_input_shape=`` (the Keras 2 names) are accepted too.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 **kwargs):  # fmt: skip
        # Keras 2 spellings, still accepted by Keras 3
        shape = kwargs.pop("input_shape", shape)
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer: pass shape=(…) (one sample) or batch_shape=(batch, …)")
        if batch_shape is None:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        if kwargs.pop("sparse", None):
            raise ValueError("InputLayer: sparse inputs are not supported; pass dense arrays")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.input_spec = InputSpec(
            ndim=len(self.batch_shape), axes=dict(enumerate(self.batch_shape))
        )
        self.output = KerasTensor(self.batch_shape, self.dtype, self, ())
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "sparse": False,
                "name": self.name}  # fmt: skip


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None) -> KerasTensor:  # noqa: N802
    """A symbolic input for building models, as ``keras.Input``.

    >>> x = Input(shape=(784,))
    >>> x.shape
    (None, 784)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name)  # fmt: skip
    return layer.output
