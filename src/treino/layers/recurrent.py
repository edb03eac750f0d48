"""Recurrent layers: SimpleRNN, LSTM, GRU and the Bidirectional wrapper (Keras 3 semantics).

A recurrent layer reads a sequence ``(batch, timesteps, features)`` one step
at a time, carrying a state from step to step. Each call is one fused op over
the whole sequence (:mod:`treino.ops.recurrent`), whose backward pass is
backpropagation through time.

What every recurrent layer here shares (as Keras):

* ``return_sequences``: output every step's state ``(N, T, u)`` or only the
  last one ``(N, u)`` (the default).
* ``return_state``: also return the final states, ``[output, h]`` (SimpleRNN,
  GRU) or ``[output, h, c]`` (LSTM).
* ``go_backwards``: read the sequence from the last step to the first; the
  outputs come in that reversed order.
* ``initial_state``: a call argument, the list of starting states (zeros by default).
* ``mask``: a call argument (filled in from ``Embedding(mask_zero=True)`` or
  ``Masking``), boolean ``(N, T)``, True = a real step. At a padded step the
  state is carried over unchanged and the output repeats the previous one, so
  the last output is the state after the last real step.
* ``dropout`` / ``recurrent_dropout``: inverted dropout on the inputs and on
  the state entering the recurrent product, one mask per sequence reused at
  every step, only when training.

Not supported: ``stateful=True`` (the state does not persist across batches)
and GRU ``reset_after=False``.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np

from treino import activations, backend, initializers, ops, regularizers
from treino.autograd import Tensor
from treino.layers.base import InputSpec, KerasTensor, Layer, _flatten
from treino.ops import recurrent as recurrent_ops
from treino.ops.nn import keep_mask

_REVERSE_TIME = (slice(None), slice(None, None, -1))


def _check_rate(layer: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{layer}: {name} must be a number in [0, 1); received {name}={value!r}")
    return float(value)


def _activation_name(layer: str, argument: str, activation) -> str:
    """The Keras name of ``activation``, if the fused recurrent op can differentiate it."""
    name = activations.serialize(activations.get(activation))
    if name not in recurrent_ops.ACTIVATIONS:
        raise ValueError(
            f"{layer}: {argument}={name!r} is not supported (the fused recurrent op knows "
            f"the derivatives of {sorted(recurrent_ops.ACTIVATIONS)} only)"
        )
    return name


def _shape(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _split_states(inputs):
    """``[sequence, state, …]`` (states given symbolically) → ``(sequence, [states])``."""
    if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int | type(None)):
        return inputs[0], list(inputs[1:])  # (a plain list of sizes is one shape)
    return inputs, []


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, masks, dropout and outputs.

    A subclass sets ``gates`` (how many blocks of ``units`` columns the kernels
    have), ``state_names`` and implements :meth:`_run`, the fused op call.
    """

    gates = 1
    state_names = ("h",)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, zero_output_for_mask=False,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        kind = type(self).__name__
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{kind}: units must be a positive integer; received units={units!r}")
        self.units = int(units)
        self.activation = _activation_name(kind, "activation", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = _check_rate(kind, "dropout", dropout)
        self.recurrent_dropout = _check_rate(kind, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(ndim=3)

    # ------------------------------------------------------------------ weights
    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape) -> None:
        input_shape, _ = _split_states(input_shape)
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last axis of the input "
                             f"must be known; received input shape {input_shape}")  # fmt: skip
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)  # fmt: skip
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
        )  # fmt: skip
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        regularizer=self.bias_regularizer)  # fmt: skip
        self.input_spec = InputSpec(ndim=3, axes={-1: features})

    # ------------------------------------------------------ argument checking
    def __call__(self, inputs, training=None, **kwargs):
        initial_state = kwargs.get("initial_state")
        if initial_state is not None and any(
            isinstance(t, KerasTensor) for t in _flatten([inputs, initial_state])
        ):  # symbolic states become extra inputs of the node, so a functional model records
            # them (an encoder's final states starting a decoder): inputs = [x, state, …]
            kwargs.pop("initial_state")
            states = list(initial_state) if isinstance(initial_state, list | tuple) else [
                initial_state]  # fmt: skip
            return super().__call__([inputs, *states], training=training, **kwargs)
        sequence, carried = _split_states(inputs)
        if not any(isinstance(t, KerasTensor) for t in _flatten(inputs)):
            # Checked before the layer builds, so a bad call changes nothing.
            self._checked_mask(sequence, kwargs.get("mask"))
            if kwargs.get("initial_state") is not None or carried:
                self._checked_initial_state(sequence, carried or kwargs["initial_state"])
        return super().__call__(inputs, training=training, **kwargs)

    def _check_inputs(self, leaves) -> None:
        super()._check_inputs(leaves[:1])  # the sequence; states are checked by call()

    def _prefix(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def _checked_mask(self, inputs, mask):
        """The step mask as a boolean (N, T) array (Keras casts to bool), or None."""
        shape = _shape(inputs)
        if mask is None or len(shape) != 3:
            return None
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask.dtype.kind not in "biuf":
            raise TypeError(f"{self._prefix()}: the mask must be boolean (True = a real step); "
                            f"received dtype {mask.dtype}")  # fmt: skip
        if mask.shape != shape[:2]:
            raise ValueError(
                f"{self._prefix()}: expected a mask of shape (batch, timesteps) = {shape[:2]} "
                f"for inputs of shape {shape}; received a mask of shape {mask.shape}"
            )
        return mask.astype(bool, copy=False)

    def _checked_initial_state(self, inputs, initial_state) -> list:
        """The starting states as tensors of shape (N, units): given ones checked, else zeros."""
        shape = _shape(inputs)
        n = shape[0] if len(shape) == 3 else None
        names = self.state_names
        if initial_state is None:
            return [Tensor(np.zeros((n, self.units), dtype=self.dtype)) for _ in names]
        states = list(initial_state) if isinstance(initial_state, list | tuple) else [initial_state]
        if len(states) != len(names):
            raise ValueError(
                f"{self._prefix()}: expects {len(names)} initial state(s) ({', '.join(names)}); "
                f"received {len(states)}"
            )
        out = []
        for name, state in zip(names, states, strict=True):
            if isinstance(state, Tensor) and state.dtype != np.dtype(self.dtype):
                raise TypeError(f"{self._prefix()}: initial state {name} must be {self.dtype}; "
                                f"received {state.dtype}")  # fmt: skip
            if _shape(state) != (n, self.units):
                raise ValueError(
                    f"{self._prefix()}: initial state {name} must have shape (batch, units) = "
                    f"{(n, self.units)}; received shape {_shape(state)}"
                )
            out.append(state if isinstance(state, Tensor) else Tensor(state, dtype=self.dtype))
        return out

    # ------------------------------------------------------------------ forward
    def _recurrent_dropout_mask(self, batch: int):
        """One inverted-dropout mask (N, u) for the state, reused at every step: m / (1 − rate)."""
        keep, scale = keep_mask(backend.make_rng(self._rng), (batch, self.units),
                                self.recurrent_dropout)  # fmt: skip
        return keep * np.asarray(scale, dtype=self.dtype)

    def _run(self, x, states, mask, recurrent_mask) -> Tensor:
        """The fused op: every step's states (``return_sequences``) or the last ones.

        Shapes: (N, T, u) or (N, u); for the LSTM (2, N, T, u) or (2, N, u), h then c.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _run()")

    def call(self, inputs, training=None, mask=None, initial_state=None):
        inputs, carried = _split_states(inputs)
        initial_state = carried or initial_state
        mask, _ = _split_states(mask)
        mask = self._checked_mask(inputs, mask)
        states = self._checked_initial_state(inputs, initial_state)
        x = inputs
        if self.go_backwards:
            x = ops.getitem(x, _REVERSE_TIME)
            mask = None if mask is None else mask[:, ::-1]
        n, _, features = x.shape
        recurrent_mask = None
        if training and self.dropout:  # one mask per sequence: noise shape (N, 1, D)
            x = ops.dropout(x, self.dropout, training=True, seed=self._rng,
                            noise_shape=(n, 1, features))  # fmt: skip
        if training and self.recurrent_dropout:
            recurrent_mask = self._recurrent_dropout_mask(n)
        return self._outputs(self._run(x, states, mask, recurrent_mask), mask)

    def _outputs(self, result: Tensor, mask):
        """The layer's output, and with ``return_state`` the final states, from the op's result."""
        stacked = len(self.state_names) > 1  # the LSTM's result stacks h and c on a first axis
        per_state = [result[k] for k in range(len(self.state_names))] if stacked else [result]
        zero_padded = mask is not None and self.zero_output_for_mask
        if self.return_sequences:
            final = [sequence[:, -1] for sequence in per_state]
            output = per_state[0]
            if zero_padded:  # Keras zero_output_for_mask: padded steps output 0
                output = output * mask[..., None].astype(self.dtype)
        else:
            final = per_state
            output = final[0]
            if zero_padded:
                output = output * mask[:, -1:].astype(self.dtype)
        return [output, *final] if self.return_state else output

    # ------------------------------------------------------------ shapes, masks
    def compute_output_shape(self, input_shape):
        input_shape, _ = _split_states(input_shape)
        n, steps = input_shape[0], input_shape[1]
        output = (n, steps, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [output, *((n, self.units) for _ in self.state_names)]
        return output

    def compute_mask(self, inputs, mask=None):
        """The mask passes on with the sequence (``return_sequences``); states have none."""
        if isinstance(mask, list | tuple):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, *(None for _ in self.state_names)]
        return output_mask

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "zero_output_for_mask": self.zero_output_for_mask,
        }


class SimpleRNN(_Recurrent):
    """A fully connected recurrent layer: ``hₜ = φ(xₜ·W + hₜ₋₁·U + b)``.

    Args:
        units: size of the state h (and of the output).
        activation: φ. Defaults to ``"tanh"``; also ``"sigmoid"``, ``"hard_sigmoid"``,
            ``"relu"``, ``"linear"``.
        use_bias: add b. Defaults to True.
        kernel_initializer: W ``(features, units)``. Defaults to ``"glorot_uniform"``.
        recurrent_initializer: U ``(units, units)``. Defaults to ``"orthogonal"``.
        bias_initializer: b ``(units,)``. Defaults to ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties. Default None.
        dropout: fraction of the inputs dropped (one mask per sequence). Defaults to 0.0.
        recurrent_dropout: fraction of the state dropped where it enters ``hₜ₋₁·U``.
            Defaults to 0.0.
        seed: int for reproducible dropout masks; defaults to ``treino.seed``'s generator.
        return_sequences: output all steps ``(N, T, units)``. Defaults to False (last step).
        return_state: also return the final state: ``[output, h]``. Defaults to False.
        go_backwards: process the sequence reversed (outputs in that order). Defaults to False.
        zero_output_for_mask: output 0 (instead of the previous output) at padded
            steps. Defaults to False.

    Call arguments: ``inputs`` ``(N, T, features)``, ``training``, ``mask`` (boolean
    ``(N, T)``), ``initial_state`` (``[h₀]``, ``(N, units)``).

    Example:
        >>> import numpy as np, treino
        >>> treino.seed(0)
        >>> layer = SimpleRNN(4, return_sequences=True)
        >>> layer(np.ones((2, 5, 3))).shape
        (2, 5, 4)
        >>> [w.shape for w in layer.weights]
        [(3, 4), (4, 4), (4,)]
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, seed=None, **kwargs):  # fmt: skip
        super().__init__(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            dropout, recurrent_dropout, seed, return_sequences, return_state, go_backwards,
            **kwargs,
        )  # fmt: skip

    def _run(self, x, states, mask, recurrent_mask):
        return recurrent_ops.simple_rnn(
            x, states[0], self.kernel, self.recurrent_kernel, self.bias,
            activation=self.activation, mask=mask, recurrent_mask=recurrent_mask,
            return_sequences=self.return_sequences,
        )  # fmt: skip


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras gate order i, f, c, o.

        i = σ(xₜWᵢ + hₜ₋₁Uᵢ + bᵢ)     f = σ(xₜW_f + hₜ₋₁U_f + b_f)
        g = φ(xₜW_c + hₜ₋₁U_c + b_c)  o = σ(xₜWₒ + hₜ₋₁Uₒ + bₒ)
        cₜ = f ⊙ cₜ₋₁ + i ⊙ g          hₜ = o ⊙ φ(cₜ)

    The cell c is a conveyor belt: the forget gate f scales it, so a gradient
    can cross many steps without vanishing (∂cₜ/∂cₜ₋₁ = f).

    Args:
        units: size of h and c.
        activation: φ. Defaults to ``"tanh"``.
        recurrent_activation: σ (the gates). Defaults to ``"sigmoid"``.
        use_bias: Defaults to True.
        kernel_initializer: W ``(features, 4·units)``. Defaults to ``"glorot_uniform"``.
        recurrent_initializer: U ``(units, 4·units)``. Defaults to ``"orthogonal"``.
        bias_initializer: b ``(4·units,)``. Defaults to ``"zeros"``.
        unit_forget_bias: start the forget gate's bias at 1 (Jozefowicz et al., 2015),
            so the cell remembers at first. Defaults to True.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Default None.
        dropout, recurrent_dropout, seed, return_sequences, go_backwards,
            zero_output_for_mask: as in :class:`SimpleRNN`.
        return_state: also return the final states: ``[output, h, c]``. Defaults to False.

    Call arguments: as :class:`SimpleRNN`, with ``initial_state=[h₀, c₀]``.

    Example:
        >>> import numpy as np, treino
        >>> treino.seed(0)
        >>> layer = LSTM(4, return_state=True)
        >>> output, h, c = layer(np.ones((2, 5, 3)))
        >>> output.shape, h.shape, c.shape
        ((2, 4), (2, 4), (2, 4))
        >>> [w.shape for w in layer.weights]
        [(3, 16), (4, 16), (16,)]
        >>> layer.bias.numpy()[4:8]  # the forget gate's bias
        array([1., 1., 1., 1.], dtype=float32)
    """

    gates = 4
    state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, **kwargs):  # fmt: skip
        super().__init__(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            dropout, recurrent_dropout, seed, return_sequences, return_state, go_backwards,
            **kwargs,
        )  # fmt: skip
        self.recurrent_activation = _activation_name(
            "LSTM", "recurrent_activation", recurrent_activation
        )
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, initializer = self.units, self.bias_initializer

        def forget_gate_ones(shape, dtype=None):
            """[b_i | 1 | b_c, b_o]: the forget gate starts open."""
            return np.concatenate([initializer((units,), dtype=dtype), np.ones(units, dtype),
                                   initializer((2 * units,), dtype=dtype)])  # fmt: skip

        return forget_gate_ones

    def _run(self, x, states, mask, recurrent_mask):
        return recurrent_ops.lstm(
            x, states[0], states[1], self.kernel, self.recurrent_kernel, self.bias,
            activation=self.activation, recurrent_activation=self.recurrent_activation,
            mask=mask, recurrent_mask=recurrent_mask, return_sequences=self.return_sequences,
        )  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}  # fmt: skip


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al., 2014), Keras 3 default ``reset_after=True``, gates z, r, h.

        z = σ(xₜW_z + b_z + hₜ₋₁U_z + b'_z)      r = σ(xₜW_r + b_r + hₜ₋₁U_r + b'_r)
        ĥ = φ(xₜW_h + b_h + r ⊙ (hₜ₋₁U_h + b'_h))
        hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ

    The bias has shape ``(2, 3·units)``: row 0 the input bias b, row 1 the
    recurrent bias b' (the reset gate r applies after the recurrent product,
    as in cuDNN and PyTorch).

    Args:
        units: size of h.
        activation: φ. Defaults to ``"tanh"``.
        recurrent_activation: σ (z and r). Defaults to ``"sigmoid"``.
        use_bias: Defaults to True.
        kernel_initializer: W ``(features, 3·units)``. Defaults to ``"glorot_uniform"``.
        recurrent_initializer: U ``(units, 3·units)``. Defaults to ``"orthogonal"``.
        bias_initializer: Defaults to ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Default None.
        dropout, recurrent_dropout, seed, return_sequences, return_state, go_backwards,
            zero_output_for_mask: as in :class:`SimpleRNN`.
        reset_after: only True (the Keras 3 default) is supported; False raises.

    Example:
        >>> import numpy as np, treino
        >>> treino.seed(0)
        >>> layer = GRU(4)
        >>> layer(np.ones((2, 5, 3))).shape
        (2, 4)
        >>> [w.shape for w in layer.weights]
        [(3, 12), (4, 12), (2, 12)]
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False,
                 reset_after=True, **kwargs):  # fmt: skip
        if reset_after is not True:
            raise ValueError(
                f"GRU: only reset_after=True (the Keras 3 default, as cuDNN and PyTorch) is "
                f"supported; received reset_after={reset_after!r}"
            )
        super().__init__(
            units, activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            dropout, recurrent_dropout, seed, return_sequences, return_state, go_backwards,
            **kwargs,
        )  # fmt: skip
        self.recurrent_activation = _activation_name(
            "GRU", "recurrent_activation", recurrent_activation
        )
        self.reset_after = True

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units)

    def _run(self, x, states, mask, recurrent_mask):
        return recurrent_ops.gru(
            x, states[0], self.kernel, self.recurrent_kernel, self.bias,
            activation=self.activation, recurrent_activation=self.recurrent_activation,
            mask=mask, recurrent_mask=recurrent_mask, return_sequences=self.return_sequences,
        )  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "reset_after": self.reset_after}  # fmt: skip


# ------------------------------------------------------------- Bidirectional
_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _serialize(layer: Layer) -> dict:
    from treino import layers  # lazily: treino.layers imports this module

    return layers.serialize(layer)


def _deserialize(config: dict) -> Layer:
    """A layer from its ``{"class_name", "config"}``: the recurrent layers of this module
    directly, any other through :func:`treino.layers.deserialize`."""
    cls = _RECURRENT_LAYERS.get(config.get("class_name"))
    if cls is not None:
        return cls.from_config(copy.deepcopy(config.get("config", {})))
    from treino import layers

    return layers.deserialize(config)


def _in_time_order(sequence, layer):
    """A direction's output sequence in the input's time order (re-reversed if it went back)."""
    return ops.getitem(sequence, _REVERSE_TIME) if layer.go_backwards else sequence


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges their outputs.

    The backward copy is built from ``layer``'s config with ``go_backwards``
    flipped (fresh weights), so at step t the merged output sees both the past
    (forward) and the future (backward) of the sequence. With
    ``return_sequences`` the backward outputs are re-reversed first, so both
    halves are aligned on the time axis; padded steps then output 0 (as Keras).

    Args:
        layer: a SimpleRNN, LSTM or GRU (or any layer with ``go_backwards``,
            ``return_sequences``, ``return_state`` and a config).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or None
            (a list ``[forward, backward]``).
        backward_layer: optional layer for the backward direction; it must have the
            opposite ``go_backwards`` and the same ``return_sequences`` / ``return_state``.

    Call arguments: as the wrapped layer; ``initial_state`` lists the forward
    states then the backward ones. With ``return_state`` the output is
    ``[output, forward states…, backward states…]``. Weights: the forward
    layer's, then the backward layer's.

    Example:
        >>> import numpy as np, treino
        >>> treino.seed(0)
        >>> layer = Bidirectional(LSTM(4, return_sequences=True, name="encoder"))
        >>> layer(np.ones((2, 5, 3))).shape
        (2, 5, 8)
        >>> [w.path for w in layer.weights][::3]
        ['forward_encoder/kernel', 'backward_encoder/kernel']
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(
                "Bidirectional: `layer` must be a recurrent layer (SimpleRNN, LSTM, GRU); "
                f"received {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` must be a layer; received "
                             f"{backward_layer!r}")  # fmt: skip
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: merge_mode must be one of {_MERGE_MODES}; received "
                f"merge_mode={merge_mode!r}"
            )
        kwargs.setdefault("dtype", layer.dtype)
        super().__init__(**kwargs)
        config = _serialize(layer)
        config["config"]["name"] = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = _deserialize(config)
        if backward_layer is None:
            config = _serialize(layer)
            config["config"]["go_backwards"] = not layer.go_backwards
            config["config"]["name"] = "backward_" + layer.name.removeprefix("backward_")
            backward_layer = _deserialize(config)
        self.backward_layer = backward_layer
        self._check_directions()
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):  # Keras: aligned padding outputs 0
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.input_spec = InputSpec(ndim=3)

    def _check_directions(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"go_backwards; received {forward.go_backwards} for both"
            )
        for attribute in ("return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same "
                    f"{attribute}; received {getattr(forward, attribute)} (forward) and "
                    f"{getattr(backward, attribute)} (backward)"
                )

    def build(self, input_shape) -> None:
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._build_from(input_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})

    def _split_initial_state(self, initial_state):
        if initial_state is None:
            return None, None
        states = list(initial_state) if isinstance(initial_state, list | tuple) else [initial_state]
        if len(states) % 2:
            raise ValueError(
                f"Bidirectional '{self.name}': initial_state must list the forward states then "
                f"the backward ones (an even number); received {len(states)}"
            )
        half = len(states) // 2
        return states[:half], states[half:]

    def __call__(self, inputs, training=None, **kwargs):
        if not any(isinstance(t, KerasTensor) for t in _flatten(inputs)):
            forward_state, backward_state = self._split_initial_state(kwargs.get("initial_state"))
            for direction, state in ((self.forward_layer, forward_state),
                                     (self.backward_layer, backward_state)):  # fmt: skip
                if isinstance(direction, _Recurrent):  # checked before anything is built
                    direction._checked_mask(inputs, kwargs.get("mask"))
                    if state is not None:
                        direction._checked_initial_state(inputs, state)
        return super().__call__(inputs, training=training, **kwargs)

    def call(self, inputs, training=None, mask=None, initial_state=None):
        forward_state, backward_state = self._split_initial_state(initial_state)
        y = self.forward_layer(inputs, training=training, mask=mask, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, training=training, mask=mask,
                                    initial_state=backward_state)  # fmt: skip
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:  # both halves in the input's time order
            y, y_rev = (
                _in_time_order(y, self.forward_layer),
                _in_time_order(y_rev, self.backward_layer),
            )
        if self.merge_mode == "concat":
            merged = [ops.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            merged = [y + y_rev]
        elif self.merge_mode == "ave":
            merged = [(y + y_rev) * 0.5]
        elif self.merge_mode == "mul":
            merged = [y * y_rev]
        else:
            merged = [y, y_rev]
        if self.return_state or self.merge_mode is None:
            return [*merged, *states]
        return merged[0]

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            outputs = [(*shape[:-1], 2 * shape[-1])]
        elif self.merge_mode is None:
            outputs = [shape, shape]
        else:
            outputs = [shape]
        if self.return_state or self.merge_mode is None:
            return [*outputs, *states, *states]
        return outputs[0]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list | tuple):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        outputs = [output_mask] if self.merge_mode else [output_mask, output_mask]
        if self.return_state:
            n_states = 2 * len(getattr(self.forward_layer, "state_names", ()))
            return [*outputs, *(None for _ in range(n_states))]
        return outputs if self.merge_mode is None else outputs[0]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": _serialize(self.forward_layer),
            "backward_layer": _serialize(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict):
        config = copy.deepcopy(config)
        layer = _deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        backward = None if backward is None else _deserialize(backward)
        return cls(layer, backward_layer=backward, **config)


_RECURRENT_LAYERS = {cls.__name__: cls for cls in (SimpleRNN, LSTM, GRU, Bidirectional)}
