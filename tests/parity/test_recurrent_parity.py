"""treino's recurrent layers against torch.nn.RNN / LSTM / GRU: float32 forward passes, final
states and every gradient (input, initial states, each weight).

Keras and PyTorch store the same weights differently; the mapping used here:

* kernel ``(in, k·u)`` → ``weight_ih (k·u, in)`` (transposed), recurrent kernel → ``weight_hh``;
* gate order: LSTM i, f, c, o == PyTorch i, f, g, o; GRU Keras z, r, h → PyTorch r, z, n;
* bias: LSTM / SimpleRNN → ``bias_ih`` (``bias_hh`` = 0); GRU row 0 → ``bias_ih``,
  row 1 → ``bias_hh``.

Keras's GRU with ``reset_after=True`` is PyTorch's GRU: r multiplies ``h·U_h + b_hh``.
"""

import numpy as np
import pytest

import treino
from treino.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-5, 1e-6
N, T, D, U = 4, 6, 3, 5
LAYERS = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
TORCH = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def data(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.fixture(autouse=True)
def _seeded():
    treino.seed(0)  # the layers' initial weights: the same every run


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    """Equal to float32 accuracy. A weight gradient sums N·T products, so an entry that
    cancels out near 0 keeps the rounding error of the large terms: the absolute tolerance
    grows with the largest magnitude in the array (1e-6 of it)."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    atol = max(atol, 1e-6 * float(np.max(np.abs(theirs), initial=0.0)))
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=rtol, atol=atol)


def _gate_order(kind, a):
    """Keras gate blocks (last axis) in PyTorch's order: GRU z, r, h → r, z, n; others as is."""
    if kind != "gru":
        return a
    z, r, h = np.split(a, 3, axis=-1)
    return np.concatenate([r, z, h], axis=-1)  # the swap is its own inverse


def load_into_torch(kind, module, layer, suffix=""):
    """Copy a Keras-layout layer's weights into the PyTorch module's direction ``suffix``."""
    kernel, recurrent_kernel, bias = layer.get_weights()
    params = {name: getattr(module, f"{name}_l0{suffix}")
              for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}  # fmt: skip
    if kind == "gru":
        bias_ih, bias_hh = _gate_order(kind, bias[0]), _gate_order(kind, bias[1])
    else:
        bias_ih, bias_hh = bias, np.zeros_like(bias)
    values = {"weight_ih": _gate_order(kind, kernel).T, "weight_hh": _gate_order(kind,
              recurrent_kernel).T, "bias_ih": bias_ih, "bias_hh": bias_hh}  # fmt: skip
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(torch.from_numpy(np.ascontiguousarray(values[name])))
    return params


def keras_grads_from_torch(kind, params):
    """PyTorch's weight gradients in the Keras layout: [kernel, recurrent_kernel, bias]."""
    grads = {name: p.grad.numpy() for name, p in params.items()}
    kernel = _gate_order(kind, grads["weight_ih"].T)
    recurrent_kernel = _gate_order(kind, grads["weight_hh"].T)
    if kind == "gru":
        bias = np.stack([_gate_order(kind, grads["bias_ih"]), _gate_order(kind, grads["bias_hh"])])
    else:
        bias = grads["bias_ih"]
    return [kernel, recurrent_kernel, bias]


def treino_pass(layer, x, initial, upstreams, mask=None):
    """Forward, then backward of Σ ⟨output, G⟩ over all outputs: (outputs, x grad, state grads,
    weight grads)."""
    xt = treino.tensor(x, requires_grad=True)
    states = [treino.tensor(s, requires_grad=True) for s in initial]
    outputs = layer(xt, initial_state=states or None, mask=mask)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    assert all(o.dtype == np.float32 for o in outputs)
    loss = sum((o * g).sum() for o, g in zip(outputs, upstreams, strict=True))
    loss.backward()
    return ([o.numpy() for o in outputs], xt.grad, [s.grad for s in states],
            [w.grad for w in layer.trainable_weights])  # fmt: skip


def torch_backward(outputs, upstreams):
    """Backward of Σ ⟨output, G⟩ over PyTorch outputs (the same loss as :func:`treino_pass`)."""
    sum((o * torch.from_numpy(g)).sum() for o, g in zip(outputs, upstreams, strict=True)).backward()


def _torch_states(kind, initial, directions=1):
    """[h₀] or [h₀, c₀] lists of (N, u) arrays → PyTorch's (directions, N, u) leaf tensors."""
    per_state = len(initial) // directions
    stacked = [np.stack(initial[k::per_state]) for k in range(per_state)]
    return [torch.tensor(s, requires_grad=True) for s in stacked]


def _unpack(kind, result):
    output, state = result
    return output, ([*state] if kind == "lstm" else [state])


# --------------------------------------------------------------- one direction
@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
def test_layer_vs_torch(kind, return_sequences):
    n_states = 2 if kind == "lstm" else 1
    layer = LAYERS[kind](U, return_sequences=return_sequences, return_state=True,
                         bias_initializer="random_normal")  # fmt: skip
    x = data(N, T, D)
    initial = [data(N, U, seed=1 + k) for k in range(n_states)]
    layer(x)
    out_shape = (N, T, U) if return_sequences else (N, U)
    upstreams = [data(*out_shape, seed=10)] + [data(N, U, seed=11 + k) for k in range(n_states)]
    outputs, gx, g_states, g_weights = treino_pass(layer, x, initial, upstreams)

    module = TORCH[kind](D, U, batch_first=True)
    params = load_into_torch(kind, module, layer)
    tx = torch.tensor(x, requires_grad=True)
    t_states = _torch_states(kind, initial)
    t_out, t_final = _unpack(kind, module(tx, tuple(t_states) if n_states == 2 else t_states[0]))
    t_outputs = [t_out if return_sequences else t_out[:, -1]] + [s[0] for s in t_final]
    torch_backward(t_outputs, upstreams)

    for ours, theirs in zip(outputs, t_outputs, strict=True):
        close(ours, theirs)
    close(gx, tx.grad)
    for ours, theirs in zip(g_states, t_states, strict=True):
        close(ours, theirs.grad[0])
    for ours, theirs in zip(g_weights, keras_grads_from_torch(kind, params), strict=True):
        close(ours, theirs)


def test_simple_rnn_relu_vs_torch():
    layer = SimpleRNN(U, activation="relu", return_sequences=True, bias_initializer="ones")
    x = data(N, T, D)
    layer(x)
    upstream = data(N, T, U, seed=3)
    (out,), gx, _, g_weights = treino_pass(layer, x, [], [upstream])
    module = torch.nn.RNN(D, U, nonlinearity="relu", batch_first=True)
    params = load_into_torch("simple_rnn", module, layer)
    tx = torch.tensor(x, requires_grad=True)
    t_out, _ = module(tx)
    (t_out * torch.from_numpy(upstream)).sum().backward()
    close(out, t_out)
    close(gx, tx.grad)
    for ours, theirs in zip(g_weights, keras_grads_from_torch("simple_rnn", params), strict=True):
        close(ours, theirs)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_go_backwards_is_torch_on_the_flipped_sequence(kind):
    layer = LAYERS[kind](U, return_sequences=True, go_backwards=True)
    x = data(N, T, D)
    layer(x)
    upstream = data(N, T, U, seed=4)
    (out,), gx, _, g_weights = treino_pass(layer, x, [], [upstream])
    module = TORCH[kind](D, U, batch_first=True)
    params = load_into_torch(kind, module, layer)
    tx = torch.tensor(x, requires_grad=True)
    t_out, _ = module(tx.flip(1))  # outputs in processing (reversed) order, as Keras
    (t_out * torch.from_numpy(upstream)).sum().backward()
    close(out, t_out)
    close(gx, tx.grad)
    for ours, theirs in zip(g_weights, keras_grads_from_torch(kind, params), strict=True):
        close(ours, theirs)


# ---------------------------------------------------------------- bidirectional
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_bidirectional_vs_torch_bidirectional(kind):
    treino.seed(0)  # the random biases: the same draw whatever ran before
    n_states = 2 if kind == "lstm" else 1
    layer = Bidirectional(LAYERS[kind](U, return_sequences=True, return_state=True,
                                       bias_initializer="random_normal"))  # fmt: skip
    x = data(N, T, D)
    initial = [data(N, U, seed=1 + k) for k in range(2 * n_states)]  # forward's, then backward's
    layer(x)
    upstreams = [data(N, T, 2 * U, seed=10)] + [data(N, U, seed=11 + k)
                                                  for k in range(2 * n_states)]  # fmt: skip
    outputs, gx, g_states, g_weights = treino_pass(layer, x, initial, upstreams)

    module = TORCH[kind](D, U, batch_first=True, bidirectional=True)
    forward = load_into_torch(kind, module, layer.forward_layer)
    backward = load_into_torch(kind, module, layer.backward_layer, "_reverse")
    tx = torch.tensor(x, requires_grad=True)
    t_states = _torch_states(kind, initial, directions=2)
    t_out, t_final = _unpack(kind, module(tx, tuple(t_states) if n_states == 2 else t_states[0]))
    # ours: [output, forward h (, c), backward h (, c)]
    t_outputs = [t_out] + [s[0] for s in t_final] + [s[1] for s in t_final]
    torch_backward(t_outputs, upstreams)

    for ours, theirs in zip(outputs, t_outputs, strict=True):
        close(ours, theirs)
    # gradients are float32 sums over both directions and every step: a looser tolerance
    close(gx, tx.grad, rtol=1e-4, atol=1e-5)
    t_state_grads = [s.grad[0] for s in t_states] + [s.grad[1] for s in t_states]
    for ours, theirs in zip(g_states, t_state_grads, strict=True):
        close(ours, theirs, rtol=1e-4, atol=1e-5)
    expected = keras_grads_from_torch(kind, forward) + keras_grads_from_torch(kind, backward)
    for ours, theirs in zip(g_weights, expected, strict=True):
        close(ours, theirs, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------- masking
LENGTHS = [6, 3, 1, 4]  # right-padded batch
MASK = np.arange(T)[None, :] < np.array(LENGTHS)[:, None]


def _packed(x):
    return torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=True,
                                                   enforce_sorted=False)  # fmt: skip


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_masked_final_states_vs_pack_padded_sequence(kind):
    n_states = 2 if kind == "lstm" else 1
    layer = LAYERS[kind](U, return_state=True, bias_initializer="random_normal")
    x = data(N, T, D)
    layer(x)
    upstreams = [data(N, U, seed=10 + k) for k in range(1 + n_states)]
    outputs, gx, _, g_weights = treino_pass(layer, x, [], upstreams, mask=MASK)

    module = TORCH[kind](D, U, batch_first=True)
    params = load_into_torch(kind, module, layer)
    tx = torch.tensor(x, requires_grad=True)
    _, t_final = _unpack(kind, module(_packed(tx)))
    t_outputs = [t_final[0][0]] + [s[0] for s in t_final]  # the last output is the last state
    torch_backward(t_outputs, upstreams)

    for ours, theirs in zip(outputs, t_outputs, strict=True):
        close(ours, theirs)
    close(gx, tx.grad)
    assert np.all(gx[~MASK] == 0)
    for ours, theirs in zip(g_weights, keras_grads_from_torch(kind, params), strict=True):
        close(ours, theirs)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_bidirectional_vs_packed_bidirectional(kind):
    n_states = 2 if kind == "lstm" else 1
    layer = Bidirectional(LAYERS[kind](U, return_sequences=True, return_state=True))
    x = data(N, T, D)
    layer(x)
    upstreams = [data(N, T, 2 * U, seed=10)] + [data(N, U, seed=11 + k)
                                                  for k in range(2 * n_states)]  # fmt: skip
    outputs, gx, _, g_weights = treino_pass(layer, x, [], upstreams, mask=MASK)

    module = TORCH[kind](D, U, batch_first=True, bidirectional=True)
    forward = load_into_torch(kind, module, layer.forward_layer)
    backward = load_into_torch(kind, module, layer.backward_layer, "_reverse")
    tx = torch.tensor(x, requires_grad=True)
    t_packed, t_final = _unpack(kind, module(_packed(tx)))
    t_out, _ = torch.nn.utils.rnn.pad_packed_sequence(t_packed, batch_first=True, total_length=T)
    t_outputs = [t_out] + [s[0] for s in t_final] + [s[1] for s in t_final]
    torch_backward(t_outputs, upstreams)

    for ours, theirs in zip(outputs, t_outputs, strict=True):  # padded steps output 0 in both
        close(ours, theirs)
    close(gx, tx.grad)
    expected = keras_grads_from_torch(kind, forward) + keras_grads_from_torch(kind, backward)
    for ours, theirs in zip(g_weights, expected, strict=True):
        close(ours, theirs)
