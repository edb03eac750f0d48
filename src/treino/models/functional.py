"""The functional API: ``Model(inputs, outputs)`` — a graph of layers wired on symbolic tensors.

Calling a layer on a :class:`~treino.layers.KerasTensor` records *which layer*
made the result *from which inputs*. ``Model(inputs, outputs)`` walks those
records back from the outputs to the inputs and keeps the calls ("nodes") in
an order where every node comes after the nodes it reads from (a topological
order). Running the model replays the nodes on real data: several inputs and
outputs, shared layers and skip connections (``Add()([x, f(x)])``) need no
extra code.

Example:
    >>> import numpy as np
    >>> from treino import layers, models
    >>> x = layers.Input(shape=(4,))
    >>> h = layers.Dense(4, activation="relu")(x)
    >>> y = layers.Dense(2)(layers.Add()([x, h]))          # a skip connection
    >>> model = models.Model(x, y)
    >>> model.predict(np.ones((3, 4)), verbose=0).shape
    (3, 2)
"""

from __future__ import annotations

from treino import layers as layers_module
from treino.layers.base import InputLayer, KerasTensor, _flatten, _map, _unique
from treino.models.model import Model
from treino.variables import Structure


class Node:
    """One call of a layer in the graph: ``outputs = layer(inputs)``."""

    def __init__(self, layer, inputs):
        self.layer, self.inputs = layer, inputs


def _as_list(structure) -> list:
    return list(structure) if isinstance(structure, list | tuple) else [structure]


def trace_nodes(inputs: list, outputs: list) -> list[Node]:
    """The layer calls between ``inputs`` and ``outputs``, in topological order.

    Iterative depth-first search from the outputs (no recursion, so deep
    models work); raises if an output depends on an ``Input`` not in ``inputs``.
    """
    input_ids = {id(t) for t in inputs}
    nodes: dict[tuple, Node] = {}
    order: list[Node] = []
    visited: set[tuple] = set()

    def key(tensor: KerasTensor) -> tuple:
        layer, layer_inputs = tensor.history
        return id(layer), id(layer_inputs)

    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if not isinstance(tensor, KerasTensor):
            raise TypeError(f"Model outputs must come from layers called on Input(); "
                            f"got {tensor!r}")
        if id(tensor) in input_ids:
            continue
        layer, layer_inputs = tensor.history
        k = key(tensor)
        if k in visited:
            continue
        if layer is None or isinstance(layer, InputLayer):
            raise ValueError(
                f"The graph reaches {tensor!r}, which is not among the model's inputs "
                f"({inputs}); pass every Input the outputs depend on"
            )
        if expanded:
            visited.add(k)
            order.append(nodes[k])
            continue
        if k not in nodes:
            nodes[k] = Node(layer, layer_inputs)
        stack.append((tensor, True))
        for parent in reversed(_flatten(layer_inputs)):
            stack.append((parent, False))
    return order


class Functional(Model):
    """A model defined by its ``inputs`` and ``outputs`` (see the module docstring).

    Args:
        inputs: an ``Input()`` tensor, or a list / dict of them.
        outputs: a tensor made from the inputs by calling layers, or a list of them.
        name: the model's name.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable)
        self._input_struct = inputs
        self.inputs = list(inputs.values()) if isinstance(inputs, dict) else _as_list(inputs)
        self._input_names = list(inputs) if isinstance(inputs, dict) else None
        self.outputs = _as_list(outputs)
        self._single_output = not isinstance(outputs, list | tuple)
        self._nodes = trace_nodes(self.inputs, self.outputs)
        input_layers = [t.history[0] for t in self.inputs]
        self._layers = _unique(input_layers + [node.layer for node in self._nodes])
        self._sublayers.extend(layer for layer in self._layers if layer not in self._sublayers)
        Structure.changed()
        self.built = True

    @property
    def layers(self) -> list:
        """Every layer of the graph, the ``InputLayer``\\ s first (as Keras)."""
        return list(self._layers)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if self._single_output else shapes

    @property
    def output_names(self) -> list[str]:
        """One name per output: the name of the layer that produced it (as Keras)."""
        return [t.history[0].name for t in self.outputs]

    def __call__(self, inputs, training=None, **kwargs):
        """Run the model; a model built from a dict of inputs takes a dict keyed by the same names.

        The dict's values are matched to the ``Input``\\ s by key (not by order) and
        passed on as a list in the order of :attr:`inputs`.
        """
        if isinstance(inputs, dict) and self._input_names is not None:
            given = self._arrange_inputs(inputs)
            inputs = given if len(given) > 1 else given[0]
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, training=None):
        values = {}
        given = self._arrange_inputs(inputs)
        for tensor, value in zip(self.inputs, given, strict=True):
            values[id(tensor)] = tensor.history[0](value)  # InputLayer checks the shape
        for node in self._nodes:
            args = _map(lambda t: self._value_of(t, values), node.inputs)
            result = node.layer(args, training=training)
            for index, output in enumerate(_as_list(result)):
                values[(id(node.layer), id(node.inputs), index)] = output
        outputs = [self._value_of(t, values) for t in self.outputs]
        return outputs[0] if self._single_output else outputs

    def _value_of(self, tensor, values):
        if id(tensor) in values:
            return values[id(tensor)]
        layer, layer_inputs = tensor.history
        return values[(id(layer), id(layer_inputs), tensor.index)]

    def _arrange_inputs(self, inputs) -> list:
        if self._input_names is not None and isinstance(inputs, dict):
            missing = [n for n in self._input_names if n not in inputs]
            extra = [k for k in inputs if k not in self._input_names]
            if missing or extra:
                problems = ([f"missing {missing}"] if missing else []) + (
                    [f"unexpected {extra}"] if extra else []
                )
                raise ValueError(
                    f"Model '{self.name}' expects inputs named {self._input_names}; received "
                    f"keys {list(inputs)} ({', '.join(problems)})"
                )
            return [inputs[n] for n in self._input_names]
        given = _as_list(inputs) if len(self.inputs) > 1 else [inputs]
        if len(given) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} inputs; received {len(given)}"
            )
        return given

    def compute_output_shape(self, input_shape):
        return self.output_shape

    # ----------------------------------------------------------- serialization
    def get_config(self) -> dict:
        """The graph as JSON: each layer's config and, for each call, what it read.

        A tensor is named ``[layer_name, call_index, output_index]``: the
        output ``output_index`` of the ``call_index``-th call of that layer.
        """
        call_index: dict[tuple, int] = {}
        counts: dict[int, int] = {}

        def node_key(layer, layer_inputs):
            return id(layer), id(layer_inputs)

        for t in self.inputs:
            layer = t.history[0]
            call_index[node_key(layer, t.history[1])] = 0
            counts[id(layer)] = 1
        for node in self._nodes:
            call_index[node_key(node.layer, node.inputs)] = counts.get(id(node.layer), 0)
            counts[id(node.layer)] = counts.get(id(node.layer), 0) + 1

        def ref(tensor):
            layer, layer_inputs = tensor.history
            return [layer.name, call_index[node_key(layer, layer_inputs)], tensor.index]

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [layers_module.serialize(layer) for layer in self._layers],
            "nodes": [
                {"layer": node.layer.name, "inputs": _map(ref, node.inputs)}
                for node in self._nodes
            ],
            "inputs": [ref(t) for t in self.inputs],
            "input_names": self._input_names,
            "outputs": [ref(t) for t in self.outputs],
            "single_output": self._single_output,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """Rebuild the graph of :meth:`get_config`: the layers, then each call in order."""
        return functional_from_config(cls, config, custom_objects)


FUNCTIONAL_CONFIG_KEYS = ("layers", "nodes", "inputs", "outputs")
"""The keys that make a config a functional model's (what :meth:`Functional.get_config` writes)."""


def is_functional_config(config) -> bool:
    """Whether ``config`` describes a functional graph (as Keras: it names layers and wiring)."""
    return isinstance(config, dict) and all(key in config for key in FUNCTIONAL_CONFIG_KEYS)


def functional_from_config(cls, config: dict, custom_objects: dict | None = None):
    """A ``cls(inputs, outputs)`` model from a :meth:`Functional.get_config` dict.

    ``cls`` is ``Functional`` (or a subclass) or ``Model``, whose constructor
    makes a ``Functional`` when given inputs and outputs.
    """
    from treino.models.saving import deserialize_layer

    by_name = {}
    for entry in config["layers"]:
        layer = deserialize_layer(entry, custom_objects)
        by_name[layer.name] = layer
    made: dict[tuple, object] = {}
    for ref in config["inputs"]:
        made[(ref[0], 0, 0)] = by_name[ref[0]].output
    calls: dict[str, int] = {}
    for node in config["nodes"]:
        name = node["layer"]
        args = _map_refs(lambda r: made[tuple(r)], node["inputs"])
        result = by_name[name](args)
        index = calls[name] = calls.get(name, -1) + 1
        for i, tensor in enumerate(_as_list(result)):
            made[(name, index, i)] = tensor
    inputs = [made[tuple(r)] for r in config["inputs"]]
    if config.get("input_names"):
        inputs = dict(zip(config["input_names"], inputs, strict=True))
    outputs = [made[tuple(r)] for r in config["outputs"]]
    model = cls(inputs, outputs[0] if config["single_output"] else outputs,
                name=config["name"], trainable=config.get("trainable", True))  # fmt: skip
    return model


def _map_refs(fn, structure):
    """Apply ``fn`` to each ``[layer, call, index]`` reference inside nested lists."""
    if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
        return fn(structure)
    return [_map_refs(fn, item) for item in structure]
