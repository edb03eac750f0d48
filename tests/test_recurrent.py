"""Recurrent ops and layers: BPTT gradients, Keras semantics (masks, go_backwards, states,
dropout), Bidirectional, config round trips, error messages and learning a sequence task."""

import json

import numpy as np
import pytest
from layer_checks import check_layer_gradients

import treino
from treino import layers, models, ops, optimizers, regularizers
from treino.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN, _deserialize, _serialize
from treino.ops import recurrent as recurrent_ops
from treino.ops.nn import keep_mask

F64 = {"dtype": "float64"}
N, T, D = 2, 5, 3


def data(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


X = data(N, T, D)
MASK_END = np.array([[True, True, True, False, False], [True, True, True, True, True]])
MASK_MIDDLE = np.array([[True, False, True, True, False], [False, True, False, True, True]])
RANDOM_BIAS = {"bias_initializer": "random_normal"}


# ------------------------------------------------------- step-by-step reference
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _cell(kind, x_t, states, kernel, recurrent_kernel, bias):
    """One step of each cell, written out as in the Keras docs (float64, no tricks)."""
    h = states[0]
    if kind == "simple_rnn":
        return [np.tanh(x_t @ kernel + h @ recurrent_kernel + bias)]
    if kind == "lstm":
        i, f, g, o = np.split(x_t @ kernel + h @ recurrent_kernel + bias, 4, axis=1)
        c = _sigmoid(f) * states[1] + _sigmoid(i) * np.tanh(g)
        return [_sigmoid(o) * np.tanh(c), c]
    xz, xr, xh = np.split(x_t @ kernel + bias[0], 3, axis=1)
    rz, rr, rh = np.split(h @ recurrent_kernel + bias[1], 3, axis=1)
    z, r = _sigmoid(xz + rz), _sigmoid(xr + rr)
    candidate = np.tanh(xh + r * rh)
    return [z * h + (1 - z) * candidate]


def reference(kind, x, states, weights, mask=None, go_backwards=False):
    """Keras's loop: masked steps carry the states over and repeat the previous output."""
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs = []
    for t in steps:
        new = _cell(kind, x[:, t], states, *weights)
        if mask is not None:
            new = [np.where(mask[:, t, None], n, s) for n, s in zip(new, states, strict=True)]
        states = new
        outputs.append(states[0])
    return np.stack(outputs, axis=1), states


LAYERS = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
N_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize(
    "mask, go_backwards",
    [(None, False), (MASK_END, False), (MASK_MIDDLE, False), (None, True), (MASK_END, True)],
    ids=["plain", "mask_end", "mask_middle", "backwards", "backwards_mask_end"],
)
def test_forward_matches_the_step_by_step_reference(kind, mask, go_backwards):
    layer = LAYERS[kind](4, return_sequences=True, return_state=True, go_backwards=go_backwards,
                         **RANDOM_BIAS, **F64)  # fmt: skip
    states = [data(N, 4, seed=s) for s in range(1, N_STATES[kind] + 1)]
    outputs = layer(X, initial_state=states, mask=mask)
    expected, final = reference(kind, X, states, layer.get_weights(), mask, go_backwards)
    np.testing.assert_allclose(outputs[0].numpy(), expected, rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(outputs[1:], final, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ ops
OP_CASES = {
    "simple_rnn": (recurrent_ops.simple_rnn, 1, 1, lambda u: (u,)),
    "lstm": (recurrent_ops.lstm, 4, 2, lambda u: (4 * u,)),
    "gru": (recurrent_ops.gru, 3, 1, lambda u: (2, 3 * u)),
}


def _op_operands(kind, units=2, seed=0):
    fn, gates, n_states, bias_shape = OP_CASES[kind]
    rng = np.random.default_rng(seed)
    states = [rng.normal(size=(N, units)) for _ in range(n_states)]
    weights = [rng.normal(size=(D, gates * units)), rng.normal(size=(units, gates * units)) * 0.5,
               rng.normal(size=bias_shape(units))]  # fmt: skip
    return fn, n_states, states, weights


@pytest.mark.parametrize("kind", sorted(OP_CASES))
@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize("mask", [None, MASK_MIDDLE], ids=["no_mask", "mask"])
@pytest.mark.parametrize("recurrent_dropout", [False, True], ids=["", "recurrent_dropout"])
def test_op_gradients_wrt_inputs_states_and_weights(kind, return_sequences, mask,
                                                    recurrent_dropout):  # fmt: skip
    fn, n_states, states, weights = _op_operands(kind)
    recurrent_mask = None
    if recurrent_dropout:
        recurrent_mask = (np.random.default_rng(7).random((N, 2)) >= 0.4) / 0.6

    def run(x, *rest):
        return fn(x, *rest[:n_states], *rest[n_states:], mask=mask,
                  recurrent_mask=recurrent_mask, return_sequences=return_sequences)  # fmt: skip

    assert treino.gradcheck(run, X, *states, *weights)


@pytest.mark.parametrize("kind", sorted(OP_CASES))
def test_op_gradients_without_bias(kind):
    fn, n_states, states, weights = _op_operands(kind, seed=1)
    assert treino.gradcheck(lambda x, *rest: fn(x, *rest, None), X, *states, *weights[:2])


@pytest.mark.parametrize(
    "activation, recurrent_activation",
    [("relu", "hard_sigmoid"), ("linear", "sigmoid"), ("sigmoid", "linear")],
)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_op_gradients_for_every_supported_activation(kind, activation, recurrent_activation):
    fn, n_states, states, weights = _op_operands(kind, seed=2)
    weights = [w * 0.3 for w in weights]  # linear gates: keep the values (and rounding) small

    def run(x, *rest):
        return fn(x, *rest, activation=activation, recurrent_activation=recurrent_activation)

    assert treino.gradcheck(run, X, *states, *weights)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "hard_sigmoid", "linear"])
def test_simple_rnn_op_gradients_for_every_supported_activation(activation):
    fn, _, states, weights = _op_operands("simple_rnn", seed=3)
    assert treino.gradcheck(lambda x, h, *w: fn(x, h, *w, activation=activation), X, *states,
                            *weights)  # fmt: skip


def test_op_keeps_float32_and_matches_float64():
    fn, n_states, states, weights = _op_operands("lstm", units=3)
    out64 = fn(X, *states, *weights).numpy()
    args32 = [treino.tensor(a.astype(np.float32), requires_grad=True)
              for a in (X, *states, *weights)]  # fmt: skip
    out32 = fn(*args32)
    assert out32.dtype == np.float32
    out32.backward(np.ones(out32.shape, dtype=np.float32))
    assert all(a.grad.dtype == np.float32 for a in args32)
    np.testing.assert_allclose(out32.numpy(), out64, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("steps_per_product", [1, 2])
def test_lstm_backward_gives_the_same_gradients_whatever_steps_each_product_groups(
        monkeypatch, steps_per_product):  # fmt: skip
    """Zᵀ·Δ and Δ·Wᵀ run over cache-sized groups of steps; 5 steps in twos leave one over."""
    fn, n_states, states, weights = _op_operands("lstm", units=3)
    recurrent_mask = (np.random.default_rng(7).random((N, 3)) >= 0.4) / 0.6

    def gradients():
        args = [treino.tensor(a, requires_grad=True) for a in (X, *states, *weights)]
        out = fn(*args, mask=MASK_MIDDLE, recurrent_mask=recurrent_mask)
        out.backward(data(*out.shape, seed=5))
        return [a.grad for a in args]

    whole = gradients()  # every step in one product
    bytes_per_step = N * 4 * 3 * X.itemsize
    monkeypatch.setattr(recurrent_ops, "STEP_CHUNK_BYTES", steps_per_product * bytes_per_step)
    for grouped, expected in zip(gradients(), whole, strict=True):
        np.testing.assert_allclose(grouped, expected, rtol=1e-12, atol=1e-12)
    assert treino.gradcheck(lambda x, *rest: fn(x, *rest, mask=MASK_END), X, *states, *weights)


def test_op_output_layout_of_the_lstm():
    fn, _, states, weights = _op_operands("lstm", units=3)
    full = fn(X, *states, *weights)
    last = fn(X, *states, *weights, return_sequences=False)
    assert full.shape == (2, N, T, 3) and last.shape == (2, N, 3)
    np.testing.assert_array_equal(full.numpy()[:, :, -1], last.numpy())
    # c is the cell: h = o ⊙ tanh(c), so |h| ≤ tanh|c|
    assert np.all(np.abs(full.numpy()[0]) <= np.tanh(np.abs(full.numpy()[1])) + 1e-12)


def test_op_is_one_graph_node_over_the_whole_sequence():
    fn, _, states, weights = _op_operands("gru")
    out = fn(treino.tensor(X, requires_grad=True), *states, *weights)
    assert type(out._ctx).__name__ == "GRUSequence"
    assert all(p is None or not getattr(p, "_ctx", None) for p in out._ctx.parents)


def test_op_backward_twice_with_retain_graph_gives_the_same_gradients():
    fn, n_states, states, weights = _op_operands("lstm")
    x = treino.tensor(X, requires_grad=True)
    out = fn(x, *states, *weights)
    out.backward(np.ones(out.shape), retain_graph=True)
    first = x.grad.copy()
    x.grad = None
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad, first)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda fn, s, w: fn(X[0], *s, *w), "expected inputs of shape"),
        (lambda fn, s, w: fn(X[:, :0], *s, *w), "at least one time step"),
        (lambda fn, s, w: fn(X, *s, w[0][:2], *w[1:]), "kernel must have shape"),
        (lambda fn, s, w: fn(X, *s, w[0], w[1][:, :-1], w[2]), "recurrent_kernel must have"),
        (lambda fn, s, w: fn(X, *s, *w[:2], w[2][:-1]), "bias must have shape"),
        (lambda fn, s, w: fn(X, s[0][:1], s[1], *w), "initial_state must have shape"),
        (lambda fn, s, w: fn(X, *s, *w, mask=MASK_END[:, :3]), "mask must have shape"),
        (lambda fn, s, w: fn(X, *s, *w, recurrent_mask=np.ones((N, 3))), "recurrent_mask"),
        (lambda fn, s, w: fn(X, *s, *w, activation="softmax"), "activation='softmax'"),
        (lambda fn, s, w: fn(X, *s, *w, recurrent_activation="gelu"), "not supported"),
    ],
)
def test_op_errors_name_the_op_and_the_shapes(call, message):
    fn, _, states, weights = _op_operands("lstm")
    with pytest.raises(ValueError, match=message):
        call(fn, states, weights)


def test_op_rejects_a_non_boolean_mask_and_mixed_float_dtypes():
    fn, _, states, weights = _op_operands("gru")
    with pytest.raises(TypeError, match="mask must be boolean"):
        fn(X, *states, *weights, mask=MASK_END.astype(np.float64))
    with pytest.raises(TypeError, match="different float dtypes"):
        fn(X.astype(np.float32), *states, *weights)


# ------------------------------------------------- layer gradient checks
# (id, layer factory, inputs, call kwargs, number of trainable weights)
GRAD_CASES = [
    ("simple_rnn", lambda: SimpleRNN(3, **RANDOM_BIAS, **F64), X, {}, 3),
    ("simple_rnn_sequences", lambda: SimpleRNN(3, return_sequences=True, **F64), X, {}, 3),
    ("simple_rnn_relu_no_bias", lambda: SimpleRNN(3, activation="relu", use_bias=False,
                                                  return_sequences=True, **F64), X, {}, 2),
    ("simple_rnn_mask_end", lambda: SimpleRNN(3, return_sequences=True, **F64), X,
     {"mask": MASK_END}, 3),
    ("simple_rnn_mask_middle", lambda: SimpleRNN(3, **F64), X, {"mask": MASK_MIDDLE}, 3),
    ("simple_rnn_backwards", lambda: SimpleRNN(3, go_backwards=True, return_sequences=True,
                                               **F64), X, {}, 3),
    ("simple_rnn_dropout", lambda: SimpleRNN(3, dropout=0.3, recurrent_dropout=0.4,
                                             return_sequences=True, **F64), X,
     {"training": True}, 3),
    ("lstm", lambda: LSTM(3, **RANDOM_BIAS, **F64), X, {}, 3),
    ("lstm_batch_1", lambda: LSTM(2, **F64), X[:1], {}, 3),
    ("lstm_sequences", lambda: LSTM(3, return_sequences=True, **F64), X, {}, 3),
    ("lstm_mask_end", lambda: LSTM(3, return_sequences=True, **F64), X, {"mask": MASK_END}, 3),
    ("lstm_mask_middle", lambda: LSTM(3, **F64), X, {"mask": MASK_MIDDLE}, 3),
    ("lstm_zero_output_for_mask", lambda: LSTM(3, return_sequences=True,
                                               zero_output_for_mask=True, **F64), X,
     {"mask": MASK_MIDDLE}, 3),
    ("lstm_backwards_mask", lambda: LSTM(3, go_backwards=True, return_sequences=True, **F64), X,
     {"mask": MASK_END}, 3),
    ("lstm_dropout", lambda: LSTM(3, dropout=0.3, recurrent_dropout=0.3, **F64), X,
     {"training": True}, 3),
    ("lstm_dropout_inference", lambda: LSTM(3, dropout=0.3, recurrent_dropout=0.3, **F64), X,
     {}, 3),
    ("lstm_relu_hard_sigmoid", lambda: LSTM(3, activation="relu",
                                            recurrent_activation="hard_sigmoid", **F64), X, {}, 3),
    ("lstm_no_bias", lambda: LSTM(3, use_bias=False, return_sequences=True, **F64), X, {}, 2),
    ("gru", lambda: GRU(3, **RANDOM_BIAS, **F64), X, {}, 3),
    ("gru_sequences", lambda: GRU(3, return_sequences=True, **F64), X, {}, 3),
    ("gru_mask_middle", lambda: GRU(3, return_sequences=True, **F64), X,
     {"mask": MASK_MIDDLE}, 3),
    ("gru_backwards", lambda: GRU(3, go_backwards=True, **F64), X, {}, 3),
    ("gru_dropout", lambda: GRU(3, dropout=0.2, recurrent_dropout=0.5, return_sequences=True,
                                **F64), X, {"training": True}, 3),
    ("gru_no_bias", lambda: GRU(3, use_bias=False, **F64), X, {}, 2),
    ("bidirectional_concat", lambda: Bidirectional(LSTM(2, return_sequences=True, **F64)), X,
     {}, 6),
    ("bidirectional_sum", lambda: Bidirectional(GRU(2, return_sequences=True, **F64),
                                                merge_mode="sum"), X, {}, 6),
    ("bidirectional_mul", lambda: Bidirectional(SimpleRNN(2, return_sequences=True, **F64),
                                                merge_mode="mul"), X, {}, 6),
    ("bidirectional_ave", lambda: Bidirectional(LSTM(2, **F64), merge_mode="ave"), X, {}, 6),
    ("bidirectional_mask", lambda: Bidirectional(GRU(2, return_sequences=True, **F64)), X,
     {"mask": MASK_END}, 6),
    ("bidirectional_dropout", lambda: Bidirectional(LSTM(2, recurrent_dropout=0.5, **F64)), X,
     {"training": True}, 6),
]  # fmt: skip


@pytest.mark.parametrize(
    "make, inputs, kwargs, n_weights",
    [case[1:] for case in GRAD_CASES],
    ids=[case[0] for case in GRAD_CASES],
)
def test_gradients_wrt_inputs_and_weights(make, inputs, kwargs, n_weights):
    weights = check_layer_gradients(make(), inputs, reseed=0, **kwargs)
    assert len(weights) == n_weights


def _all_outputs(out):
    """The layer's output(s) as one tensor (N, …), so that one gradcheck covers them all."""
    outs = out if isinstance(out, list) else [out]
    return ops.concatenate([o.reshape(o.shape[0], -1) for o in outs], axis=1)


# (id, layer factory, number of initial states, call kwargs)
STATE_CASES = [
    ("simple_rnn", lambda: SimpleRNN(3, return_state=True, **F64), 1, {}),
    ("simple_rnn_sequences_mask", lambda: SimpleRNN(3, return_sequences=True, return_state=True,
                                                    **F64), 1, {"mask": MASK_MIDDLE}),
    ("lstm", lambda: LSTM(3, return_state=True, **F64), 2, {}),
    ("lstm_sequences_backwards", lambda: LSTM(3, return_sequences=True, return_state=True,
                                              go_backwards=True, **F64), 2, {"mask": MASK_END}),
    ("gru", lambda: GRU(3, return_sequences=True, return_state=True, **F64), 1, {}),
    ("gru_mask_end", lambda: GRU(3, return_state=True, **F64), 1, {"mask": MASK_END}),
    ("bidirectional_lstm_states", lambda: Bidirectional(LSTM(2, return_sequences=True,
                                                             return_state=True, **F64)), 4, {}),
    ("bidirectional_gru_none", lambda: Bidirectional(GRU(2, return_sequences=True, **F64),
                                                     merge_mode=None), 2, {"mask": MASK_MIDDLE}),
    ("bidirectional_none_states", lambda: Bidirectional(SimpleRNN(2, return_state=True, **F64),
                                                        merge_mode=None), 2, {}),
]  # fmt: skip


@pytest.mark.parametrize("make, n_states, kwargs", [c[1:] for c in STATE_CASES],
                         ids=[c[0] for c in STATE_CASES])  # fmt: skip
def test_gradients_wrt_initial_states_with_every_output(make, n_states, kwargs):
    layer = make()
    units = (layer.forward_layer if isinstance(layer, Bidirectional) else layer).units
    initial = [data(N, units, seed=10 + k) for k in range(n_states)]

    def fn(x, *states_and_weights):
        states = list(states_and_weights[:n_states])
        return _all_outputs(layer(x, initial_state=states, **kwargs))

    fn(treino.tensor(X), *[treino.tensor(s) for s in initial])
    assert treino.gradcheck(fn, X, *initial, *layer.trainable_weights)


# ------------------------------------------------------------- semantics
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_masked_steps_carry_the_state_and_repeat_the_output(kind):
    layer = LAYERS[kind](3, return_sequences=True, **RANDOM_BIAS, **F64)
    out = layer(X, mask=MASK_MIDDLE).numpy()
    for n in range(N):
        real = np.flatnonzero(MASK_MIDDLE[n])
        unpadded = layer(X[n : n + 1, real]).numpy()[0]  # the real steps only
        for t in range(T):
            seen = real[real <= t]
            expected = unpadded[len(seen) - 1] if len(seen) else np.zeros(3)
            np.testing.assert_allclose(out[n, t], expected, rtol=1e-12, atol=1e-14)


def test_padded_inputs_get_no_gradient():
    x = treino.tensor(X, requires_grad=True)
    LSTM(3, **F64)(x, mask=MASK_MIDDLE).sum().backward()
    assert np.all(x.grad[~MASK_MIDDLE] == 0)
    assert np.all(np.abs(x.grad[MASK_MIDDLE]).sum(axis=-1) > 0)


def test_zero_output_for_mask_zeroes_the_padded_outputs_only():
    layer = GRU(3, return_sequences=True, **F64)
    carried = layer(X, mask=MASK_END).numpy()
    layer.zero_output_for_mask = True
    zeroed = layer(X, mask=MASK_END).numpy()
    np.testing.assert_array_equal(zeroed[MASK_END], carried[MASK_END])
    assert np.all(zeroed[~MASK_END] == 0) and np.all(carried[~MASK_END] != 0)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_go_backwards_reads_the_reversed_sequence_and_returns_reversed_outputs(kind):
    forward = LAYERS[kind](3, return_sequences=True, **RANDOM_BIAS, **F64)
    backward = LAYERS[kind](3, return_sequences=True, go_backwards=True, **F64)
    forward(X)
    backward(X)
    backward.set_weights(forward.get_weights())
    np.testing.assert_allclose(backward(X).numpy(), forward(X[:, ::-1]).numpy(), rtol=1e-12)


def test_return_state_lists_and_their_values():
    out, h, c = LSTM(3, return_state=True, **F64)(X)
    np.testing.assert_array_equal(out.numpy(), h.numpy())
    assert not np.allclose(h.numpy(), c.numpy())
    sequence, h = GRU(3, return_sequences=True, return_state=True, **F64)(X, mask=MASK_END)
    np.testing.assert_array_equal(sequence.numpy()[:, -1], h.numpy())


def test_initial_state_changes_the_output_and_accepts_a_single_tensor():
    layer = SimpleRNN(3, **F64)
    start = data(N, 3, seed=4)
    assert not np.allclose(layer(X).numpy(), layer(X, initial_state=start).numpy())
    np.testing.assert_array_equal(layer(X, initial_state=start).numpy(),
                                  layer(X, initial_state=[start]).numpy())  # fmt: skip


def test_compute_mask_follows_keras():
    mask = MASK_END
    assert LSTM(2).compute_mask(X, mask) is None
    assert LSTM(2, return_sequences=True).compute_mask(X, mask) is mask
    assert LSTM(2, return_sequences=True, return_state=True).compute_mask(X, mask) == [
        mask, None, None,
    ]  # fmt: skip
    assert GRU(2, return_state=True).compute_mask(X, mask) == [None, None]
    both = Bidirectional(LSTM(2, return_sequences=True), merge_mode=None)
    assert both.compute_mask(X, mask) == [mask, mask]
    assert Bidirectional(LSTM(2)).compute_mask(X, mask) is None


def test_the_layer_call_attaches_the_mask_to_its_sequence_output():
    out = LSTM(2, return_sequences=True)(X.astype(np.float32), mask=MASK_END)
    np.testing.assert_array_equal(out._keras_mask, MASK_END)
    assert getattr(LSTM(2)(X.astype(np.float32), mask=MASK_END), "_keras_mask", None) is None


def test_embedding_mask_zero_reaches_the_lstm():
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])
    treino.seed(0)
    embedding, lstm = layers.Embedding(9, 4, mask_zero=True), LSTM(3)
    out = lstm(embedding(ids)).numpy()
    vectors = embedding(ids)
    np.testing.assert_array_equal(out, lstm(vectors, mask=ids != 0).numpy())
    np.testing.assert_allclose(out[0], lstm(embedding(ids[:1, :3])).numpy()[0], rtol=1e-6)
    assert not np.allclose(out, lstm(vectors, mask=np.ones_like(ids, dtype=bool)).numpy())


def test_masking_layer_in_a_sequential_model_skips_the_padding():
    treino.seed(0)
    x = data(N, T, D, dtype=np.float32)
    x[0, 3:] = 0.0  # padding
    model = models.Sequential([layers.Masking(input_shape=(T, D)), GRU(3)])
    np.testing.assert_allclose(model.predict(x, verbose=0)[0],
                               model.layers[-1](x[:1, :3]).numpy()[0], rtol=1e-5)  # fmt: skip


# ------------------------------------------------------------- dropout
def test_dropout_masks_are_drawn_once_per_sequence_and_reused_at_every_step():
    layer = SimpleRNN(3, activation="linear", dropout=0.5, recurrent_dropout=0.5, seed=11,
                      return_sequences=True, **F64)  # fmt: skip
    out = layer(X, training=True).numpy()
    kernel, recurrent_kernel, bias = layer.get_weights()
    rng = np.random.default_rng(11)  # the layer's generator, drawn in the same order
    keep, scale = keep_mask(rng, (N, 1, D), 0.5)  # (N, 1, D): every step
    input_mask = keep * scale
    keep, scale = keep_mask(rng, (N, 3), 0.5)
    state_mask = keep * scale
    h, expected = np.zeros((N, 3)), []
    for t in range(T):
        h = (X[:, t] * input_mask[:, 0]) @ kernel + (h * state_mask) @ recurrent_kernel + bias
        expected.append(h)
    np.testing.assert_allclose(out, np.stack(expected, axis=1), rtol=1e-12, atol=1e-12)


def test_dropout_is_off_in_inference_and_seeded_layers_repeat():
    plain = LSTM(3, **F64)
    dropped = LSTM(3, dropout=0.4, recurrent_dropout=0.4, **F64)
    plain(X)
    dropped(X)
    dropped.set_weights(plain.get_weights())
    np.testing.assert_array_equal(dropped(X).numpy(), plain(X).numpy())
    assert not np.allclose(dropped(X, training=True).numpy(), plain(X).numpy())
    a, b = GRU(3, recurrent_dropout=0.5, seed=1, **F64), GRU(3, recurrent_dropout=0.5, seed=1,
                                                                 **F64)  # fmt: skip
    a(X)
    b(X)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(X, training=True).numpy(), b(X, training=True).numpy())


# ----------------------------------------------------------- Bidirectional
def test_bidirectional_is_the_forward_and_the_re_reversed_backward_layer():
    layer = Bidirectional(LSTM(3, return_sequences=True, **RANDOM_BIAS, **F64))
    out = layer(X).numpy()
    forward, backward = layer.forward_layer, layer.backward_layer
    assert backward.go_backwards and not forward.go_backwards
    np.testing.assert_allclose(out[..., :3], forward(X).numpy(), rtol=1e-12)
    np.testing.assert_allclose(out[..., 3:], backward(X).numpy()[:, ::-1], rtol=1e-12)
    names = ("kernel", "recurrent_kernel", "bias")
    assert forward.name.startswith("forward_lstm") and backward.name.startswith("backward_lstm")
    assert [w.path for w in layer.weights] == [f"{forward.name}/{n}" for n in names] + [
        f"{backward.name}/{n}" for n in names
    ]


@pytest.mark.parametrize("merge_mode, combine", [
    ("sum", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("ave", lambda a, b: (a + b) / 2),
])  # fmt: skip
def test_bidirectional_merge_modes(merge_mode, combine):
    layer = Bidirectional(GRU(2, return_sequences=True, **F64), merge_mode=merge_mode)
    out = layer(X).numpy()
    a, b = layer.forward_layer(X).numpy(), layer.backward_layer(X).numpy()[:, ::-1]
    np.testing.assert_allclose(out, combine(a, b), rtol=1e-12)


def test_bidirectional_states_masks_and_initial_state_halves():
    layer = Bidirectional(LSTM(2, return_sequences=True, return_state=True, **F64))
    starts = [data(N, 2, seed=s) for s in range(4)]
    out = layer(X, initial_state=starts, mask=MASK_END)
    assert len(out) == 5 and out[0].shape == (N, T, 4)
    _, h_f, c_f = layer.forward_layer(X, initial_state=starts[:2], mask=MASK_END)
    _, h_b, c_b = layer.backward_layer(X, initial_state=starts[2:], mask=MASK_END)
    for ours, theirs in zip(out[1:], (h_f, c_f, h_b, c_b), strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert np.all(out[0].numpy()[~MASK_END] == 0)  # aligned padding outputs 0 (Keras)
    assert layer.compute_output_shape((None, T, D)) == [(None, T, 4)] + [(None, 2)] * 4


def test_bidirectional_of_a_backwards_layer_aligns_both_halves_in_time():
    layer = Bidirectional(GRU(2, return_sequences=True, go_backwards=True, **F64))
    out = layer(X).numpy()
    assert layer.forward_layer.go_backwards and not layer.backward_layer.go_backwards
    np.testing.assert_allclose(out[..., :2], layer.forward_layer(X).numpy()[:, ::-1], rtol=1e-12)
    np.testing.assert_allclose(out[..., 2:], layer.backward_layer(X).numpy(), rtol=1e-12)


def test_bidirectional_with_a_custom_backward_layer():
    layer = Bidirectional(SimpleRNN(2, **F64), merge_mode="concat",
                          backward_layer=SimpleRNN(3, activation="relu", go_backwards=True,
                                                   **F64))  # fmt: skip
    assert layer(X).shape == (N, 5)
    assert layer.backward_layer.activation == "relu"


# --------------------------------------------------------------- configs
# (id, layer factory, inputs)
CONFIG_CASES = [
    ("simple_rnn", lambda: SimpleRNN(
        4, activation="relu", use_bias=False, kernel_initializer="he_normal",
        recurrent_initializer="identity", kernel_regularizer="l2", dropout=0.1,
        recurrent_dropout=0.2, seed=3, return_sequences=True, go_backwards=True,
        input_shape=(T, D)), X),
    ("lstm", lambda: LSTM(
        3, recurrent_activation="hard_sigmoid", unit_forget_bias=False,
        recurrent_regularizer=regularizers.L1(0.1), bias_initializer="random_normal",
        zero_output_for_mask=True, activity_regularizer="l2"), X),
    ("lstm_frozen", lambda: LSTM(2, trainable=False, name="frozen"), X),
    ("gru", lambda: GRU(2, activation="relu", bias_initializer="ones", bias_regularizer="l1",
                        go_backwards=True, return_sequences=True), X),
    ("bidirectional", lambda: Bidirectional(LSTM(3, return_sequences=True)), X),
    ("bidirectional_ave_gru", lambda: Bidirectional(GRU(2), merge_mode="ave"), X),
    ("bidirectional_custom_backward", lambda: Bidirectional(
        SimpleRNN(2), merge_mode="sum",
        backward_layer=SimpleRNN(2, activation="relu", go_backwards=True)), X),
]  # fmt: skip


@pytest.mark.parametrize(
    "make, inputs", [case[1:] for case in CONFIG_CASES], ids=[case[0] for case in CONFIG_CASES]
)
def test_config_round_trip(make, inputs):
    layer = make()
    original = layer(inputs)
    config = layer.get_config()
    text = json.dumps(config)  # JSON, no code
    assert json.loads(text) == config

    clone = type(layer).from_config(json.loads(text))
    assert clone.get_config() == config
    assert _deserialize(_serialize(layer)).get_config() == config
    clone(inputs)
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone.get_weights(), layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(clone(inputs).numpy(), original.numpy())


def test_config_defaults_and_weight_layouts_match_keras():
    lstm = LSTM(5).get_config()
    assert (lstm["activation"], lstm["recurrent_activation"], lstm["unit_forget_bias"]) == (
        "tanh", "sigmoid", True,
    )  # fmt: skip
    assert lstm["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert lstm["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert lstm["bias_initializer"]["class_name"] == "Zeros"
    assert (lstm["return_sequences"], lstm["return_state"], lstm["go_backwards"]) == (
        False, False, False,
    )  # fmt: skip
    assert (lstm["dropout"], lstm["recurrent_dropout"]) == (0.0, 0.0)
    assert GRU(2).get_config()["reset_after"] is True
    layer = LSTM(4)
    layer(np.ones((1, 2, 3)))
    assert [w.shape for w in layer.weights] == [(3, 16), (4, 16), (16,)]
    np.testing.assert_array_equal(layer.bias.numpy(), np.repeat([0.0, 1.0, 0.0, 0.0], 4))
    recurrent = layer.recurrent_kernel.numpy()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal rows
    gru = GRU(4)
    gru(np.ones((1, 2, 3)))
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    assert Bidirectional(LSTM(2)).get_config()["merge_mode"] == "concat"


def test_sequential_model_summary_counts_keras_parameters():
    model = models.Sequential([LSTM(128, input_shape=(28, 28)), layers.Dense(10)])
    assert model.count_params() == 4 * (128 * (28 + 128) + 128) + 1290  # Keras: 80,384 + 1,290
    lines = []
    model.summary(print_fn=lines.append)
    assert "80,384" in "\n".join(lines)
    both = models.Sequential([Bidirectional(GRU(8, return_sequences=True), input_shape=(6, 3)),
                              GRU(4)])  # fmt: skip
    assert both.count_params() == 2 * 3 * (8 * (3 + 8) + 2 * 8) + 3 * (4 * (16 + 4) + 2 * 4)
    assert both.predict(np.ones((2, 6, 3), "float32"), verbose=0).shape == (2, 4)


def test_saved_model_with_recurrent_layers_loads_and_predicts_the_same(tmp_path):
    treino.seed(0)
    model = models.Sequential([
        layers.Embedding(6, 4, mask_zero=True),
        Bidirectional(LSTM(3, return_sequences=True), merge_mode="sum"),
        GRU(2, go_backwards=True),
        layers.Dense(1),
    ])  # fmt: skip
    ids = np.array([[1, 2, 3, 0, 0], [5, 4, 3, 2, 1]])
    expected = model.predict(ids, verbose=0)
    path = tmp_path / "rnn.treino"
    model.save(path)
    custom = {"LSTM": LSTM, "GRU": GRU, "Bidirectional": Bidirectional}  # until exported
    loaded = models.load_model(path, custom_objects=custom)
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), expected)


# ---------------------------------------------------------------- errors
def test_wrong_ndim_raises_before_building():
    layer = LSTM(3)
    with pytest.raises(ValueError, match=r"'lstm\w*' \(LSTM\) is incompatible: expected ndim=3"):
        layer(np.ones((2, 3)))
    assert not layer.built


def test_wrong_feature_size_after_build():
    layer = GRU(3)
    layer(np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match="expected axis -1 of the input to have size 5"):
        layer(np.ones((2, 4, 6)))
    both = Bidirectional(GRU(3))
    both(np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match=r"bidirectional\w*' \(Bidirectional\)"):
        both(np.ones((2, 4, 6)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"initial_state": [np.zeros((N, 3))]}, ValueError,
         r"expects 2 initial state\(s\) \(h, c\)"),
        ({"initial_state": [np.zeros((N, 3)), np.zeros((N, 4))]}, ValueError,
         r"initial state c must have shape \(batch, units\) = \(2, 3\); received shape \(2, 4\)"),
        ({"initial_state": [np.zeros((N + 1, 3))] * 2}, ValueError, "initial state h must"),
        ({"initial_state": [treino.tensor(np.zeros((N, 3)), dtype="float64")] * 2}, TypeError,
         "initial state h must be float32"),
        ({"mask": MASK_END[:, :4]}, ValueError,
         r"expected a mask of shape \(batch, timesteps\) = \(2, 5\) for inputs of shape \(2, 5, "
         r"3\); received a mask of shape \(2, 4\)"),
        ({"mask": np.array([["a"] * T] * N)}, TypeError, "the mask must be boolean"),
    ],
)  # fmt: skip
def test_bad_call_arguments_raise_before_anything_changes(kwargs, error, message):
    layer = LSTM(3)
    with pytest.raises(error, match=message):
        layer(X.astype(np.float32), **kwargs)
    assert not layer.built and layer.weights == []


def test_bidirectional_checks_initial_states_before_building():
    layer = Bidirectional(LSTM(3))
    with pytest.raises(ValueError, match="an even number"):
        layer(X.astype(np.float32), initial_state=[np.zeros((N, 3))] * 3)
    with pytest.raises(ValueError, match="initial state c must have shape"):
        layer(X.astype(np.float32), initial_state=[np.zeros((N, 3))] * 3 + [np.zeros((N, 2))])
    assert not layer.built


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: LSTM(0), "units must be a positive integer"),
        (lambda: SimpleRNN(2, dropout=1.0), r"dropout must be a number in \[0, 1\)"),
        (lambda: GRU(2, recurrent_dropout=-0.1), "recurrent_dropout must be"),
        (lambda: LSTM(2, activation="softmax"), "activation='softmax' is not supported"),
        (lambda: GRU(2, recurrent_activation="gelu"), "recurrent_activation='gelu'"),
        (lambda: GRU(2, reset_after=False), "only reset_after=True"),
        (lambda: Bidirectional(LSTM(2), merge_mode="max"), "merge_mode must be one of"),
        (lambda: Bidirectional(layers.Dense(2)), "must be a recurrent layer"),
        (lambda: Bidirectional(LSTM(2), backward_layer=LSTM(2)), "different go_backwards"),
        (lambda: Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True,
                                                            return_sequences=True)),
         "same return_sequences"),
    ],
)  # fmt: skip
def test_bad_arguments_are_rejected_with_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_stateful_is_not_an_argument():
    with pytest.raises(TypeError, match="stateful"):
        LSTM(2, stateful=True)


# -------------------------------------------------------------- learning
def test_gru_learns_the_parity_of_a_bit_sequence():
    treino.seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(512, 8, 1)).astype("float32")
    y = x.sum(axis=(1, 2)) % 2
    model = models.Sequential([GRU(16, input_shape=(8, 1)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(x, y, epochs=50, batch_size=32, verbose=0)
    assert history.history["accuracy"][0] < 0.6  # parity is not linearly separable …
    x_new = rng.integers(0, 2, size=(256, 8, 1)).astype("float32")
    _, accuracy = model.evaluate(x_new, x_new.sum(axis=(1, 2)) % 2, verbose=0)
    assert accuracy >= 0.95  # … but an RNN counts it bit by bit


def test_masked_lstm_learns_the_majority_bit_of_variable_length_sequences():
    treino.seed(1)
    rng = np.random.default_rng(1)
    lengths = rng.integers(3, 13, size=600)
    bits = rng.integers(0, 2, size=(600, 12))
    real = np.arange(12) < lengths[:, None]
    ids = np.where(real, bits + 1, 0)  # token 0 = padding, 1 = bit 0, 2 = bit 1
    y = ((bits * real).sum(axis=1) * 2 > lengths).astype("float32")
    model = models.Sequential([layers.Embedding(3, 8, mask_zero=True), LSTM(16),
                               layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    model.fit(ids[:500], y[:500], epochs=15, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(ids[500:], y[500:], verbose=0)
    assert accuracy >= 0.95


def test_summary_lists_each_output_of_a_return_state_layer_on_its_own_line():
    inputs = layers.Input((5, 3))
    _, h, c = LSTM(4, return_state=True, return_sequences=True)(inputs)
    lines = []
    models.Model(inputs, [h, c]).summary(print_fn=lines.append)
    text = "\n".join(lines)
    row = next(i for i, line in enumerate(lines) if line.startswith("lstm"))
    assert "(None, 5, 4)," in lines[row] and lines[row].rstrip().endswith("128")
    assert lines[row + 1].strip() == "(None, 4)," and lines[row + 2].strip() == "(None, 4)"
    assert all(len(line) <= 80 for line in text.splitlines())


def test_symbolic_initial_state_is_part_of_a_functional_model(tmp_path):
    # an encoder's final states start the decoder (sequence-to-sequence, as in Keras)
    treino.seed(0)
    enc_in, dec_in = layers.Input((6, 3)), layers.Input((4, 2))
    _, h, c = LSTM(5, return_state=True, name="encoder")(enc_in)
    seq = LSTM(5, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    model = models.Model([enc_in, dec_in], layers.Dense(1)(seq))
    rng = np.random.default_rng(0)
    xe, xd = rng.random((16, 6, 3), dtype=np.float32), rng.random((16, 4, 2), dtype=np.float32)

    decoder = model.get_layer("decoder")
    zero_start = decoder(xd).numpy()  # the same decoder from zero states differs
    assert not np.allclose(model.predict([xe, xd], verbose=0)[..., 0], zero_start[..., 0])

    encoder_before = model.get_layer("encoder").get_weights()[0].copy()
    model.compile(optimizer="adam", loss="mse")
    model.fit([xe, xd], rng.random((16, 4, 1), dtype=np.float32), epochs=2, verbose=0)
    assert not np.array_equal(encoder_before, model.get_layer("encoder").get_weights()[0])

    model.save(tmp_path / "seq2seq.treino")
    loaded = models.load_model(tmp_path / "seq2seq.treino")
    expected = model.predict([xe, xd], verbose=0)
    np.testing.assert_allclose(loaded.predict([xe, xd], verbose=0), expected, rtol=1e-5, atol=1e-6)
