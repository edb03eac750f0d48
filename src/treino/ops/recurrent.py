"""Recurrent ops: SimpleRNN, LSTM and GRU over a whole sequence, with backprop through time.

A recurrent layer applies the same cell at every time step, feeding each
step's state into the next:

    hₜ = cell(xₜ, hₜ₋₁)        t = 1 … T,   h₀ the initial state

Unrolled over the T steps this is a deep network whose layers share their
weights, so its gradient is the ordinary chain rule run backwards through the
steps — *backpropagation through time* (BPTT). Going from t = T down to 1,
the gradient reaching the state hₜ has two sources, the output at step t and
the step after it:

    ∂L/∂hₜ = Gₜ + ∂L/∂hₜ₊₁ · ∂hₜ₊₁/∂hₜ

(Gₜ = the upstream gradient of the output hₜ). The weights are the same at
every step, so their gradient is the sum of each step's share.

Each layer call is **one** :class:`~treino.autograd.Function` over the whole
sequence (not one graph node per step):

* forward computes the input projections of all steps in ONE matrix product,
  ``X·W + b`` with X stacked to (T·N, D) rows (the bias as the weight of a
  constant input 1), then loops over the steps for the recurrent product
  ``hₜ₋₁·U`` and the gate non-linearities (in place, in preallocated
  buffers), keeping the gate values backward needs;
* backward runs the loop in reverse, turning ∂L/∂hₜ into the gradient of each
  step's pre-activations Δₜ, then computes ``∂L/∂W = Xᵀ·Δ``,
  ``∂L/∂U = H₋ᵀ·Δ`` (H₋ = the states h₀ … h_{T−1}, stacked) and
  ``∂L/∂X = Δ·Wᵀ`` as one product each over all steps.

The LSTM folds the input projection into the step instead: one product
``[hₜ₋₁ xₜ 1]·[U; W; b]`` per step, whose result the gates read while it is
still in cache, and ``∂L/∂[U; W; b] = Zᵀ·Δ`` in one product per group of
steps (Z the stacked rows [hₜ₋₁ xₜ 1]); see :class:`LSTMSequence`.

Shapes: N batch, T steps, D input features, u units, k gates. Inputs are
batch-major ``(N, T, D)`` (Keras) and weights have the Keras layout: kernel
``(D, k·u)``, recurrent kernel ``(u, k·u)`` with the k gates side by side.
Inside, the ops work time-major and gate-major, ``(k, T, N, u)`` (the LSTM
``(T, k, N, u)``): one gate at one step is then a contiguous (N, u) block,
which NumPy's elementwise loops run several times faster than a column slice
of an (N, k·u) matrix.

Masking (padded steps). ``mask`` is a boolean ``(N, T)`` array, True = a real
step. At a padded step the state is carried over, ``hₜ = hₜ₋₁`` (and
``cₜ = cₜ₋₁`` for the LSTM): with mₜ ∈ {0, 1} and h̃ₜ the cell's new state,

    hₜ = mₜ·h̃ₜ + (1 − mₜ)·hₜ₋₁   ⇒   ∂L/∂h̃ₜ = mₜ·∂L/∂hₜ,  ∂L/∂hₜ₋₁ ⊇ (1 − mₜ)·∂L/∂hₜ

Recurrent dropout. ``recurrent_mask`` (N, u), already scaled by 1/(1 − rate),
multiplies the state where it enters the recurrent product, ``(hₜ₋₁ ⊙ m)·U``,
with the same mask at every step (Keras; Gal & Ghahramani 2016).

Activations: only those whose derivative the backward knows from their output
y (the table below) are accepted — tanh, sigmoid, hard_sigmoid, relu, linear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from treino.autograd import Function, Tensor
from treino.backend import xp  # the array namespace: every op computes through it
from treino.ops._util import as_tensor, common_float, relu_into


# -------------------------------------------------------------- activations
class Nonlinearity(NamedTuple):
    """An activation applied in place, and its derivative written from its output ``y``."""

    apply: Callable  # apply(z, out=None): out ← φ(z) (out defaults to z itself)
    backward: Callable  # backward(y, g, out): out ← g ⊙ φ'(z), knowing only y = φ(z)


def _tanh(z, out=None):
    xp.tanh(z, out=z if out is None else out)


def _tanh_backward(y, g, out):
    """tanh' = 1 − y²:  out = g − g ⊙ y²."""
    g_y2 = y * y
    g_y2 *= g
    xp.subtract(g, g_y2, out=out)


def _sigmoid(z, out=None):
    """σ(z) = 1 / (1 + e⁻ᶻ). e⁻ᶻ overflows to inf for z < −88 (float32), giving exactly 0."""
    out = z if out is None else out
    xp.negative(z, out=out)
    xp.exp(out, out=out)
    out += 1
    xp.divide(1, out, out=out)


def _sigmoid_backward(y, g, out):
    """σ' = y(1 − y):  out = g ⊙ y(1 − y), written to ``out`` once (it may be a strided view)."""
    slope = 1 - y
    slope *= y
    xp.multiply(g, slope, out=out)


def _hard_sigmoid(z, out=None):
    """relu6(z + 3) / 6 (Keras 3): 0 below −3, 1 above 3, linear in between."""
    out = z if out is None else out
    xp.add(z, 3, out=out)
    xp.clip(out, 0, 6, out=out)
    out /= 6


def _hard_sigmoid_backward(y, g, out):
    """1/6 on the linear piece (0 < y < 1), 0 on the flat ones."""
    linear_piece = (y > 0) & (y < 1)
    xp.multiply(g, linear_piece, out=out)
    out /= 6


def _relu(z, out=None):
    relu_into(z, out)


def _relu_backward(y, g, out):
    """relu' = 1 where y > 0, else 0."""
    xp.multiply(g, y > 0, out=out)


def _linear(z, out=None):
    """The identity."""
    if out is not None:
        out[...] = z


def _linear_backward(y, g, out):
    out[...] = g


ACTIVATIONS = {
    "tanh": Nonlinearity(_tanh, _tanh_backward),
    "sigmoid": Nonlinearity(_sigmoid, _sigmoid_backward),
    "hard_sigmoid": Nonlinearity(_hard_sigmoid, _hard_sigmoid_backward),
    "relu": Nonlinearity(_relu, _relu_backward),
    "linear": Nonlinearity(_linear, _linear_backward),
}
"""The activations a recurrent op accepts, by Keras name."""


# ------------------------------------------------------------------ helpers
def _stacked(a):
    """(…, T, N, w) → (…, T·N, w): all steps as the rows of one matrix."""
    return a.reshape(*a.shape[:-3], -1, a.shape[-1])


def _by_gate(weight, gates: int):
    """(rows, k·u) → (k, rows, u): each gate's block of columns, contiguous (see the module doc)."""
    return xp.ascontiguousarray(weight.reshape(weight.shape[0], gates, -1).swapaxes(0, 1))


def _from_gates(blocks):
    """(k, rows, u) → (rows, k·u): back to the Keras layout, the gates side by side."""
    k, rows, u = blocks.shape
    return blocks.swapaxes(0, 1).reshape(rows, k * u)


def _project_inputs(x, kernel, bias, gates: int):
    """xₜ·W + b for every step and gate in ONE batched product.

    The bias rides along as the weight of a constant input 1 (the course's
    x₀ = 1 trick): the inputs get a column of ones and the kernel the row b,
    so ``[X 1]·[W; b] = X·W + b``, and backward's ``[X 1]ᵀ·Δ`` yields ∂L/∂W
    and ∂L/∂b = Σ Δ in the same product.

    Returns:
        ``inputs``: [X 1] time-major, (T, N, D + 1) (no ones without a bias);
        ``weights``: [W; b] by gate, (k, D + 1, u); ``projected``: (k, T, N, u).
    """
    n, steps, features = x.shape
    inputs = xp.empty((steps, n, features + (bias is not None)), dtype=x.dtype)
    inputs[..., :features] = xp.swapaxes(x, 0, 1)
    weights = kernel
    if bias is not None:
        inputs[..., features] = 1
        weights = xp.concatenate([kernel, bias[None]])
    weights = _by_gate(weights, gates)
    projected = xp.matmul(_stacked(inputs), weights)  # (k, T·N, u)
    return inputs, weights, projected.reshape(gates, steps, n, -1)


def _step_masks(mask, dtype):
    """The (N, T) boolean mask as time-major (T, N, 1) factors mₜ and 1 − mₜ (None if no mask)."""
    if mask is None:
        return None, None
    keep = xp.swapaxes(mask, 0, 1)[..., None].astype(dtype)
    return keep, 1 - keep


def _recurrent_input(h, recurrent_mask, buffer):
    """hₜ₋₁ as the recurrent product sees it: hₜ₋₁ ⊙ m with recurrent dropout, else hₜ₋₁."""
    if recurrent_mask is None:
        return h
    return xp.multiply(h, recurrent_mask, out=buffer)


def _carry_over_padding(new, old, keep_t):
    """hₜ = hₜ₋₁ on the padded rows (mₜ = 0): the state skips the step."""
    xp.copyto(new, old, where=keep_t == 0)


def _split_off_padding(grad, keep_t, drop_t, carried):
    """Split ∂L/∂hₜ: (1 − mₜ)·∂L/∂hₜ goes straight to hₜ₋₁ (into ``carried``); mₜ·∂L/∂hₜ stays."""
    xp.multiply(grad, drop_t, out=carried)
    grad *= keep_t


def _back_through_recurrent_kernel(d_pre_t, recurrent_by_gate_t, scratch, out, recurrent_mask):
    """∂L/∂hₜ₋₁ through the recurrent product: Σ_gates Δₜ[g]·U[g]ᵀ (⊙ m with recurrent dropout)."""
    xp.matmul(d_pre_t, recurrent_by_gate_t, out=scratch)
    scratch.sum(axis=0, out=out)
    if recurrent_mask is not None:
        out *= recurrent_mask


def _final_gradient(grad, return_sequences: bool):
    """∂L/∂h_T from the output alone, and the per-step upstream gradients (None if only h_T)."""
    if return_sequences:
        upstream = xp.swapaxes(grad, -3, -2)  # (…, N, T, u) → (…, T, N, u)
        return xp.zeros(upstream.shape[:-3] + upstream.shape[-2:], dtype=grad.dtype), upstream
    return grad.copy(), None


def _states_in(states, recurrent_mask):
    """H₋ = (h₀ … h_{T−1}) as the recurrent product saw them, stacked to (T·N, u)."""
    if recurrent_mask is not None:
        states = states * recurrent_mask
    return _stacked(states)


def _weight_grads(needs, features, inputs, weights, d_input, states_in, d_recurrent):
    """The gradients that need no loop: one batched product each over all T·N rows.

        ∂L/∂X = Σ_g Δₓ[g]·W[g]ᵀ     ∂L/∂[W; b] = [X 1]ᵀ·Δₓ     ∂L/∂U = H₋ᵀ·Δₕ

    ``d_input`` (Δₓ) is the gradient of the input pre-activations and
    ``d_recurrent`` (Δₕ) that of the recurrent ones, both (k, T, N, u) (the
    same array except in the GRU). ``needs`` = (input, kernel, recurrent
    kernel, bias); with a bias, [X 1] has one column more than the input has
    ``features``, and ∂L/∂b is the last row of ∂L/∂[W; b].
    """
    need_x, need_w, need_u, need_b = needs
    d_in = _stacked(d_input)  # (k, T·N, u)
    dx = dw = du = db = None
    if need_x:
        kernel_t = weights[:, :features].swapaxes(1, 2)
        dx = xp.matmul(d_in, kernel_t).sum(axis=0).reshape(*inputs.shape[:2], features)
        dx = xp.swapaxes(dx, 0, 1)
    if need_w or need_b:
        dwb = _from_gates(xp.matmul(_stacked(inputs).T, d_in))
        dw = dwb[:features] if need_w else None
        db = dwb[features] if need_b else None
    if need_u:
        du = _from_gates(xp.matmul(states_in.T, _stacked(d_recurrent)))
    return dx, dw, du, db


def _quiet_overflow():
    """σ(z) for z ≪ 0 computes e⁻ᶻ = inf → 1/inf = 0, which is right: no warning."""
    return xp.errstate(over="ignore")


def _output(states, return_sequences: bool):
    """(…, T + 1, N, u) states h₀ … h_T → the op's output: (…, N, T, u), or h_T (…, N, u)."""
    return xp.swapaxes(states[..., 1:, :, :], -3, -2) if return_sequences else states[..., -1, :, :]


# ---------------------------------------------------------------- SimpleRNN
class SimpleRNNSequence(Function):
    """hₜ = φ(xₜ·W + hₜ₋₁·U + b), t = 1 … T, as one op. Output: h₁ … h_T (N, T, u), or h_T.

    BPTT, with aₜ = xₜ·W + hₜ₋₁·U + b the pre-activation and Δₜ = ∂L/∂aₜ,
    from t = T down to 1:

        ∂L/∂hₜ   = Gₜ + Δₜ₊₁·Uᵀ        (its own output + the step after it; Δ_{T+1} = 0)
        Δₜ       = ∂L/∂hₜ ⊙ φ'(aₜ)      (φ' from the output: tanh' = 1 − hₜ²)
        ∂L/∂h₀   = Δ₁·Uᵀ

    then, over all steps at once: ∂L/∂W = Xᵀ·Δ, ∂L/∂U = H₋ᵀ·Δ, ∂L/∂b = Σ Δ,
    ∂L/∂X = Δ·Wᵀ.
    """

    def forward(self, x, h0, kernel, recurrent_kernel, bias, *, activation, mask,
                recurrent_mask, return_sequences):  # fmt: skip
        phi = ACTIVATIONS[activation]
        inputs, weights, projected = _project_inputs(x, kernel, bias, 1)
        keep, drop = _step_masks(mask, x.dtype)
        states = xp.empty((x.shape[1] + 1, *h0.shape), dtype=x.dtype)  # h₀ … h_T
        states[0] = h0
        h_in = xp.empty_like(h0)
        with _quiet_overflow():
            for t in range(x.shape[1]):
                h = states[t + 1]
                xp.matmul(_recurrent_input(states[t], recurrent_mask, h_in), recurrent_kernel,
                          out=h)  # fmt: skip
                h += projected[0, t]
                phi.apply(h)
                if keep is not None:
                    _carry_over_padding(h, states[t], keep[t])
        self.phi, self.return_sequences, self.features = phi, return_sequences, x.shape[-1]
        self.save_for_backward(inputs, weights, states, recurrent_kernel, keep, drop,
                               recurrent_mask)  # fmt: skip
        return _output(states, return_sequences)

    def backward(self, grad):
        inputs, weights, states, recurrent_kernel, keep, drop, recurrent_mask = self.saved
        dh, upstream = _final_gradient(grad, self.return_sequences)  # ∂L/∂hₜ, flowing back
        d_pre = xp.empty((1, *states[1:].shape), dtype=grad.dtype)  # Δₜ for every step
        carried = xp.empty_like(dh)
        recurrent_t = recurrent_kernel.T
        for t in reversed(range(len(states) - 1)):
            if upstream is not None:
                dh += upstream[t]
            if keep is not None:
                _split_off_padding(dh, keep[t], drop[t], carried)
            self.phi.backward(states[t + 1], dh, out=d_pre[0, t])
            xp.matmul(d_pre[0, t], recurrent_t, out=dh)  # Δₜ·Uᵀ: the gradient reaching hₜ₋₁
            if recurrent_mask is not None:
                dh *= recurrent_mask
            if keep is not None:
                dh += carried
        need_x, need_h0, need_w, need_u, need_b = self.needs_input_grad
        dx, dw, du, db = _weight_grads(
            (need_x, need_w, need_u, need_b), self.features, inputs, weights, d_pre,
            _states_in(states[:-1], recurrent_mask), d_pre,
        )  # fmt: skip
        return dx, (dh if need_h0 else None), dw, du, db


# --------------------------------------------------------------------- LSTM
STEP_CHUNK_BYTES = 1 << 20
"""The LSTM's backward turns the Δ of this many bytes of steps into their share of
the weight gradients at once, while they are still in cache (1 MiB: 4 steps of 128 × 512)."""

_SIGMA_FIRST = [0, 1, 3, 2]
"""Keras's gate order i, f, g, o → i, f, o, g (and back: the swap is its own inverse)."""


def _sigma_first(weight):
    """(rows, 4u) → the same columns with the gate blocks in the order i, f, o, g (a copy).

    Inside the LSTM op the three σ gates sit side by side, so σ and σ' each
    run as one call over three blocks instead of two calls.
    """
    rows, width = weight.shape
    return weight.reshape(rows, 4, width // 4)[:, _SIGMA_FIRST].reshape(rows, width)


def _step_operands(x, units: int, with_bias: bool):
    """Z, (T, N, u + D [+ 1]): row block t is [hₜ₋₁ xₜ 1], what step t multiplies.

    The inputs and the ones are filled in here; the loop writes each hₜ₋₁
    into its block just before the step that reads it.
    """
    n, steps, features = x.shape
    joint = xp.empty((steps, n, units + features + with_bias), dtype=x.dtype)
    joint[..., units : units + features] = xp.swapaxes(x, 0, 1)
    if with_bias:
        joint[..., -1] = 1
    return joint


def _feed_state(h, recurrent_mask, slot):
    """Write hₜ₋₁ where step t's product reads it: hₜ₋₁ ⊙ m with recurrent dropout, else hₜ₋₁."""
    if recurrent_mask is None:
        slot[...] = h
    else:
        xp.multiply(h, recurrent_mask, out=slot)


class LSTMSequence(Function):
    """The LSTM over a whole sequence. Output: states and cells, (2, N, T, u), or (2, N, u) at T.

    Gates (Keras order i, f, c, o; σ the recurrent activation, φ the activation):

        [aᵢ, a_f, a_g, aₒ] = xₜ·W + hₜ₋₁·U + b = [hₜ₋₁ xₜ 1]·[U; W; b]
        i = σ(aᵢ)   f = σ(a_f)   g = φ(a_g)   o = σ(aₒ)
        cₜ = f ⊙ cₜ₋₁ + i ⊙ g
        hₜ = o ⊙ φ(cₜ)

    BPTT, from t = T down to 1 (Gʰ, Gᶜ the upstream gradients of hₜ and cₜ):

        ∂L/∂hₜ = Gₜʰ + Δₜ₊₁·Uᵀ
        ∂L/∂cₜ = Gₜᶜ + ∂L/∂cₜ₊₁ ⊙ fₜ₊₁ + ∂L/∂hₜ ⊙ o ⊙ φ'(cₜ)
        Δₒ = ∂L/∂hₜ ⊙ φ(cₜ) ⊙ σ'(aₒ)      Δᵢ = ∂L/∂cₜ ⊙ g ⊙ σ'(aᵢ)
        Δ_f = ∂L/∂cₜ ⊙ cₜ₋₁ ⊙ σ'(a_f)      Δ_g = ∂L/∂cₜ ⊙ i ⊙ φ'(a_g)

    with Δₜ = [Δᵢ, Δ_f, Δ_g, Δₒ]; ∂L/∂h₀ = Δ₁·Uᵀ, ∂L/∂c₀ = ∂L/∂c₁ ⊙ f₁. Then,
    over all steps at once, ∂L/∂[U; W; b] = Zᵀ·Δ (Z the rows [hₜ₋₁ xₜ 1] of
    every step) and ∂L/∂X = Δ·Wᵀ.

    Unlike SimpleRNN and the GRU, the LSTM does not project the inputs
    ahead: each step makes ONE product [hₜ₋₁ xₜ 1]·[U; W; b], (N, u + D + 1)
    by (u + D + 1, 4u). Its result is still in cache when the gates read it
    (a precomputed projection of four gates would be written to memory and
    read back, a 7 MB round trip per batch of 128 rows × 28 steps), and Zᵀ·Δ
    gives the three weight gradients in the same product. Inside, the gates are
    stored i, f, o, g (the σ gates side by side), one contiguous (N, u)
    block per gate and step, and Δₜ side by side as the product's (N, 4u)
    rows, so ∂L/∂hₜ₋₁ = Δₜ·Uᵀ is one product too. Backward takes Zᵀ·Δ and
    Δ·Wᵀ a few steps at a time (:data:`STEP_CHUNK_BYTES` of Δ, 4 steps of
    128 rows), while those Δ are still in cache, summing the shares, instead
    of keeping every step's Δ (7 MB) for one product at the end: backward
    11.9 → 10.0 ms at batch 128. (SimpleRNN's one-gate
    projection is four times smaller and stays in cache: there the wider
    per-step product costs more than it saves, 20 % slower when tried.)
    """

    def forward(self, x, h0, c0, kernel, recurrent_kernel, bias, *, activation,
                recurrent_activation, mask, recurrent_mask, return_sequences):  # fmt: skip
        phi, sigma = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
        steps, (n, u) = x.shape[1], h0.shape
        joint = _step_operands(x, u, bias is not None)  # Z: [hₜ₋₁ xₜ 1] for every step
        stacked = [recurrent_kernel, kernel] + ([] if bias is None else [bias[None]])
        weights = _sigma_first(xp.concatenate(stacked))  # [U; W; b], gates i, f, o, g
        keep, drop = _step_masks(mask, x.dtype)
        states = xp.empty((2, steps + 1, n, u), dtype=x.dtype)  # h₀ … h_T and c₀ … c_T
        h, c = states
        h[0], c[0] = h0, c0
        gates = xp.empty((steps, 4, n, u), dtype=x.dtype)  # i, f, o, g of every step
        tanh_c = xp.empty((steps, n, u), dtype=x.dtype)  # φ(cₜ), kept for backward
        pre = xp.empty((n, 4 * u), dtype=x.dtype)  # aₜ, the gates side by side
        pre_by_gate = pre.reshape(n, 4, u).swapaxes(0, 1)  # the same numbers, gate-major
        i_g = xp.empty_like(h0)
        with _quiet_overflow():
            for t in range(steps):
                _feed_state(h[t], recurrent_mask, joint[t, :, :u])
                xp.matmul(joint[t], weights, out=pre)  # aₜ = [hₜ₋₁ xₜ 1]·[U; W; b]
                i, f, o, g = gates[t]
                sigma.apply(pre_by_gate[:3], out=gates[t, :3])  # i, f and o together
                phi.apply(pre_by_gate[3], out=g)
                xp.multiply(f, c[t], out=c[t + 1])  # cₜ = f ⊙ cₜ₋₁ + i ⊙ g
                c[t + 1] += xp.multiply(i, g, out=i_g)
                phi.apply(c[t + 1], out=tanh_c[t])
                xp.multiply(o, tanh_c[t], out=h[t + 1])  # hₜ = o ⊙ φ(cₜ)
                if keep is not None:
                    _carry_over_padding(states[:, t + 1], states[:, t], keep[t])
        self.phi, self.sigma = phi, sigma
        self.return_sequences, self.features = return_sequences, x.shape[-1]
        self.save_for_backward(joint, weights, states, gates, tanh_c, keep, drop,
                               recurrent_mask)  # fmt: skip
        return _output(states, return_sequences)

    def backward(self, grad):
        joint, weights, states, gates, tanh_c, keep, drop, recurrent_mask = self.saved
        (dh, dc), upstream = _final_gradient(grad, self.return_sequences)  # ∂L/∂hₜ, ∂L/∂cₜ
        steps, _, n, u = gates.shape
        need_x, need_h0, need_c0, need_w, need_u, need_b = self.needs_input_grad
        need_weights, features = need_w or need_u or need_b, self.features
        chunk = min(steps, max(1, STEP_CHUNK_BYTES // (n * 4 * u * grad.itemsize)))
        d_pre = xp.empty((chunk, n, 4 * u), dtype=grad.dtype)  # Δ (i, f, o, g) of `chunk` steps
        d_weights = xp.zeros((joint.shape[-1], 4 * u), dtype=grad.dtype) if need_weights else None
        dx = xp.empty((steps, n, features), dtype=grad.dtype) if need_x else None
        kernel_t = weights[u : u + features].T  # Wᵀ
        carried_h, carried_c, through_c = xp.empty_like(dh), xp.empty_like(dh), xp.empty_like(dh)
        d_gates = xp.empty((4, n, u), dtype=grad.dtype)  # ∂L/∂ of each gate's output
        recurrent_t = weights[:u].T  # Uᵀ, (4u, u)
        c = states[1]
        for t in reversed(range(steps)):
            if upstream is not None:
                dh += upstream[0, t]
                dc += upstream[1, t]
            if keep is not None:
                _split_off_padding(dh, keep[t], drop[t], carried_h)
                _split_off_padding(dc, keep[t], drop[t], carried_c)
            i, f, o, g = gates[t]
            delta_t = d_pre[t % chunk]
            delta = delta_t.reshape(n, 4, u).swapaxes(0, 1)  # Δₜ by gate, views
            # ∂L/∂cₜ += ∂L/∂hₜ ⊙ o ⊙ φ'(cₜ)
            xp.multiply(dh, o, out=through_c)
            self.phi.backward(tanh_c[t], through_c, out=through_c)
            dc += through_c
            # ∂L/∂i = ∂L/∂cₜ ⊙ g, ∂L/∂f = ∂L/∂cₜ ⊙ cₜ₋₁, ∂L/∂o = ∂L/∂hₜ ⊙ φ(cₜ), ∂L/∂g = ∂L/∂cₜ ⊙ i
            xp.multiply(dc, g, out=d_gates[0])
            xp.multiply(dc, c[t], out=d_gates[1])
            xp.multiply(dh, tanh_c[t], out=d_gates[2])
            xp.multiply(dc, i, out=d_gates[3])
            self.sigma.backward(gates[t, :3], d_gates[:3], out=delta[:3])  # Δᵢ, Δ_f, Δₒ
            self.phi.backward(g, d_gates[3], out=delta[3])  # Δ_g
            # to step t − 1
            xp.matmul(delta_t, recurrent_t, out=dh)  # ∂L/∂hₜ₋₁ = Δₜ·Uᵀ (⊙ m)
            if recurrent_mask is not None:
                dh *= recurrent_mask
            dc *= f
            if keep is not None:
                dh += carried_h
                dc += carried_c
            if t % chunk == 0:  # steps t … t + k − 1 done: their share of Zᵀ·Δ and Δ·Wᵀ
                k = min(chunk, steps - t)
                deltas = d_pre[:k].reshape(-1, 4 * u)
                if need_weights:
                    d_weights += _stacked(joint[t : t + k]).T @ deltas
                if need_x:
                    dx[t : t + k] = (deltas @ kernel_t).reshape(k, n, features)
        dw = du = db = None
        if need_weights:  # back in Keras's gate order
            d_weights = _sigma_first(d_weights)
            du = d_weights[:u] if need_u else None
            dw = d_weights[u : u + features] if need_w else None
            db = d_weights[-1] if need_b else None
        if need_x:
            dx = xp.swapaxes(dx, 0, 1)
        return dx, (dh if need_h0 else None), (dc if need_c0 else None), dw, du, db


# ---------------------------------------------------------------------- GRU
class GRUSequence(Function):
    """The GRU (Keras ``reset_after=True``, as cuDNN and PyTorch). Output (N, T, u), or h_T.

    Gates (Keras order z, r, h; the bias has two rows, bˣ for the input
    product and bʰ for the recurrent one):

        [xz, xr, xh] = xₜ·W + bˣ          [rz, rr, rh] = hₜ₋₁·U + bʰ
        z = σ(xz + rz)     r = σ(xr + rr)     ĥ = φ(xh + r ⊙ rh)
        hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ

    BPTT, from t = T down to 1:

        ∂L/∂hₜ = Gₜ + ∂L/∂hₜ₊₁ ⊙ zₜ₊₁ + Δʰₜ₊₁·Uᵀ
        Δ_ĥ = ∂L/∂hₜ ⊙ (1 − z) ⊙ φ'     Δ_z = ∂L/∂hₜ ⊙ (hₜ₋₁ − ĥ) ⊙ σ'(z)
        Δ_r = Δ_ĥ ⊙ rh ⊙ σ'(r)

    The input and recurrent pre-activations differ only in the candidate's
    block: Δˣ = [Δ_z, Δ_r, Δ_ĥ] and Δʰ = [Δ_z, Δ_r, Δ_ĥ ⊙ r]. So ∂L/∂W = Xᵀ·Δˣ,
    ∂L/∂U = H₋ᵀ·Δʰ, ∂L/∂b = [Σ Δˣ; Σ Δʰ], ∂L/∂X = Δˣ·Wᵀ, ∂L/∂h₀ = ∂L/∂h₁ ⊙ z₁ + Δʰ₁·Uᵀ.
    """

    def forward(self, x, h0, kernel, recurrent_kernel, bias, *, activation,
                recurrent_activation, mask, recurrent_mask, return_sequences):  # fmt: skip
        phi, sigma = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
        steps, (n, u) = x.shape[1], h0.shape
        input_bias = None if bias is None else bias[0]
        inputs, weights, gates = _project_inputs(x, kernel, input_bias, 3)  # → z, r, ĥ in place
        recurrent_by_gate = _by_gate(recurrent_kernel, 3)
        recurrent_bias = None if bias is None else bias[1].reshape(3, 1, u)
        keep, drop = _step_masks(mask, x.dtype)
        states = xp.empty((steps + 1, n, u), dtype=x.dtype)
        states[0] = h0
        recurrent_h = xp.empty((steps, n, u), dtype=x.dtype)  # rh = hₜ₋₁·U_h + bʰ_h, for ∂L/∂r
        recurrent = xp.empty((3, n, u), dtype=x.dtype)  # hₜ₋₁·U + bʰ at the current step
        h_in, scratch = xp.empty_like(h0), xp.empty_like(h0)
        with _quiet_overflow():
            for t in range(steps):
                a = gates[:, t]
                xp.matmul(_recurrent_input(states[t], recurrent_mask, h_in), recurrent_by_gate,
                          out=recurrent)  # fmt: skip
                if recurrent_bias is not None:
                    recurrent += recurrent_bias
                a[:2] += recurrent[:2]
                sigma.apply(a[:2])  # z and r
                z, r, candidate = a
                recurrent_h[t] = recurrent[2]
                candidate += xp.multiply(r, recurrent[2], out=scratch)
                phi.apply(candidate)  # ĥ
                # hₜ = z ⊙ hₜ₋₁ + (1 − z) ⊙ ĥ = ĥ + z ⊙ (hₜ₋₁ − ĥ)
                xp.subtract(states[t], candidate, out=scratch)
                scratch *= z
                xp.add(candidate, scratch, out=states[t + 1])
                if keep is not None:
                    _carry_over_padding(states[t + 1], states[t], keep[t])
        self.phi, self.sigma = phi, sigma
        self.return_sequences, self.features = return_sequences, x.shape[-1]
        self.save_for_backward(inputs, weights, states, gates, recurrent_h, recurrent_by_gate,
                               keep, drop, recurrent_mask)  # fmt: skip
        return _output(states, return_sequences)

    def backward(self, grad):
        (inputs, weights, states, gates, recurrent_h, recurrent_by_gate, keep, drop,
         recurrent_mask) = self.saved  # fmt: skip
        dh, upstream = _final_gradient(grad, self.return_sequences)
        d_input = xp.empty(gates.shape, dtype=grad.dtype)  # Δˣ = [Δ_z, Δ_r, Δ_ĥ]
        d_recurrent = xp.empty(gates.shape, dtype=grad.dtype)  # Δʰ = [Δ_z, Δ_r, Δ_ĥ ⊙ r]
        carried, direct = xp.empty_like(dh), xp.empty_like(dh)
        scratch = xp.empty((3, *dh.shape), dtype=grad.dtype)
        recurrent_t = recurrent_by_gate.swapaxes(1, 2)
        for t in reversed(range(gates.shape[1])):
            if upstream is not None:
                dh += upstream[t]
            if keep is not None:
                _split_off_padding(dh, keep[t], drop[t], carried)
            z, r, candidate = gates[:, t]
            dx_t, dr_t = d_input[:, t], d_recurrent[:, t]
            xp.multiply(dh, z, out=direct)  # ∂L/∂hₜ ⊙ z: the path that skips the cell
            xp.subtract(dh, direct, out=dx_t[2])  # ∂L/∂ĥ = ∂L/∂hₜ ⊙ (1 − z)
            self.phi.backward(candidate, dx_t[2], out=dx_t[2])  # Δ_ĥ
            xp.subtract(states[t], candidate, out=dx_t[0])  # ∂L/∂z = ∂L/∂hₜ ⊙ (hₜ₋₁ − ĥ)
            xp.multiply(dx_t[0], dh, out=dx_t[0])
            xp.multiply(dx_t[2], recurrent_h[t], out=dx_t[1])  # ∂L/∂r = Δ_ĥ ⊙ rh
            self.sigma.backward(gates[:2, t], dx_t[:2], out=dx_t[:2])  # Δ_z, Δ_r
            dr_t[:2] = dx_t[:2]
            xp.multiply(dx_t[2], r, out=dr_t[2])
            # to step t − 1
            _back_through_recurrent_kernel(dr_t, recurrent_t, scratch, dh, recurrent_mask)
            dh += direct
            if keep is not None:
                dh += carried
        need_x, need_h0, need_w, need_u, need_b = self.needs_input_grad
        dx, dw, du, db_input = _weight_grads(
            (need_x, need_w, need_u, need_b), self.features, inputs, weights, d_input,
            _states_in(states[:-1], recurrent_mask), d_recurrent,
        )  # fmt: skip
        db = None
        if need_b:  # row 1: Σ Δʰ over steps and samples
            db = xp.stack([db_input, d_recurrent.sum(axis=(1, 2)).reshape(-1)])
        return dx, (dh if need_h0 else None), dw, du, db


# ------------------------------------------------------- checked front doors
def _check_activation(op: str, argument: str, name) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{op}: {argument}={name!r} is not supported by the fused recurrent op; "
            f"expected one of {sorted(ACTIVATIONS)}"
        )
    return name


def _check_operands(op: str, gates: int, x: Tensor, states: list, kernel: Tensor,
                    recurrent_kernel: Tensor, bias, bias_shape) -> None:  # fmt: skip
    """Shapes of the input, states and weights of a recurrent op, each with a clear message."""
    if x.ndim != 3:
        raise ValueError(
            f"{op}: expected inputs of shape (batch, timesteps, features); received shape {x.shape}"
        )
    n, steps, features = x.shape
    if steps == 0:
        raise ValueError(f"{op}: the sequence must have at least one time step; received {x.shape}")
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != gates * recurrent_kernel.shape[0]:
        raise ValueError(
            f"{op}: recurrent_kernel must have shape (units, {gates}·units); received "
            f"{recurrent_kernel.shape}"
        )
    u = recurrent_kernel.shape[0]
    if kernel.shape != (features, gates * u):
        raise ValueError(
            f"{op}: kernel must have shape (features, {gates}·units) = {(features, gates * u)} "
            f"for inputs {x.shape} and {u} units; received {kernel.shape}"
        )
    if bias is not None and bias.shape != bias_shape(u):
        raise ValueError(f"{op}: bias must have shape {bias_shape(u)}; received {bias.shape}")
    for name, state in states:
        if state.shape != (n, u):
            raise ValueError(
                f"{op}: {name} must have shape (batch, units) = {(n, u)}; received {state.shape}"
            )


def _check_masks(op: str, x: Tensor, units: int, mask, recurrent_mask):
    """The step mask as a bool (N, T) array and the recurrent mask in the input's dtype."""
    n, steps = x.shape[:2]
    if mask is not None:
        mask = xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask.shape != (n, steps):
            raise ValueError(
                f"{op}: mask must have shape (batch, timesteps) = {(n, steps)}; received "
                f"{mask.shape}"
            )
        if mask.dtype != bool:
            raise TypeError(f"{op}: mask must be boolean (True = a real step); received "
                            f"dtype {mask.dtype}")  # fmt: skip
    if recurrent_mask is not None:
        recurrent_mask = xp.asarray(
            recurrent_mask.data if isinstance(recurrent_mask, Tensor) else recurrent_mask
        )
        if recurrent_mask.shape != (n, units):
            raise ValueError(
                f"{op}: recurrent_mask must have shape (batch, units) = {(n, units)}; "
                f"received {recurrent_mask.shape}"
            )
        recurrent_mask = recurrent_mask.astype(x.dtype, copy=False)
    return mask, recurrent_mask


def _operands(op: str, values: list) -> list:
    """Tensors of one float dtype; None (no bias) passes through."""
    present = [v for v in values if v is not None]
    converted = iter(common_float(op, [as_tensor(v) for v in present]))
    return [None if v is None else next(converted) for v in values]


def simple_rnn(inputs, initial_state, kernel, recurrent_kernel, bias=None, *,
               activation: str = "tanh", mask=None, recurrent_mask=None,
               return_sequences: bool = True) -> Tensor:  # fmt: skip
    """A fully recurrent layer over a sequence: ``hₜ = φ(xₜ·W + hₜ₋₁·U + b)``.

    Args:
        inputs: ``(N, T, D)``.
        initial_state: h₀, ``(N, u)``.
        kernel: W, ``(D, u)``. recurrent_kernel: U, ``(u, u)``. bias: b, ``(u,)`` or None.
        activation: φ, one of :data:`ACTIVATIONS`. Defaults to ``"tanh"``.
        mask: optional boolean ``(N, T)``, False at padded steps (the state is carried over).
        recurrent_mask: optional ``(N, u)`` recurrent-dropout mask, already scaled.
        return_sequences: return every step's state (True, the default) or only h_T.

    Returns:
        The states h₁ … h_T, shape ``(N, T, u)``; or h_T, ``(N, u)``.

    Example:
        >>> import numpy as np
        >>> x = np.ones((1, 3, 1), dtype="float32")
        >>> w, u = np.array([[1.0]], "float32"), np.array([[0.0]], "float32")
        >>> simple_rnn(x, np.zeros((1, 1), "float32"), w, u, activation="linear").numpy()
        array([[[1.],
                [1.],
                [1.]]], dtype=float32)
    """
    op = "simple_rnn"
    x, h0, kernel, recurrent_kernel, bias = _operands(
        op, [inputs, initial_state, kernel, recurrent_kernel, bias]
    )
    _check_operands(op, 1, x, [("initial_state", h0)], kernel, recurrent_kernel, bias,
                    lambda u: (u,))  # fmt: skip
    mask, recurrent_mask = _check_masks(op, x, h0.shape[1], mask, recurrent_mask)
    return SimpleRNNSequence.apply(
        x, h0, kernel, recurrent_kernel, bias, activation=_check_activation(op, "activation",
        activation), mask=mask, recurrent_mask=recurrent_mask,
        return_sequences=bool(return_sequences),
    )  # fmt: skip


def lstm(inputs, initial_state, initial_carry, kernel, recurrent_kernel, bias=None, *,
         activation: str = "tanh", recurrent_activation: str = "sigmoid", mask=None,
         recurrent_mask=None, return_sequences: bool = True) -> Tensor:  # fmt: skip
    """Long short-term memory over a sequence (gates i, f, c, o; see :class:`LSTMSequence`).

    Args:
        inputs: ``(N, T, D)``.
        initial_state: h₀, ``(N, u)``. initial_carry: c₀, ``(N, u)``.
        kernel: ``(D, 4u)``. recurrent_kernel: ``(u, 4u)``. bias: ``(4u,)`` or None.
        activation: φ (candidate and cell output). Defaults to ``"tanh"``.
        recurrent_activation: σ (the gates). Defaults to ``"sigmoid"``.
        mask: optional boolean ``(N, T)``, False at padded steps.
        recurrent_mask: optional ``(N, u)`` recurrent-dropout mask, already scaled.
        return_sequences: return every step (True, the default) or only the last one.

    Returns:
        The states and the cells of every step, shape ``(2, N, T, u)`` (``[0]`` holds
        h₁ … h_T, ``[1]`` holds c₁ … c_T); or of the last step, ``(2, N, u)``.
    """
    op = "lstm"
    x, h0, c0, kernel, recurrent_kernel, bias = _operands(
        op, [inputs, initial_state, initial_carry, kernel, recurrent_kernel, bias]
    )
    _check_operands(op, 4, x, [("initial_state", h0), ("initial_carry", c0)], kernel,
                    recurrent_kernel, bias, lambda u: (4 * u,))  # fmt: skip
    mask, recurrent_mask = _check_masks(op, x, h0.shape[1], mask, recurrent_mask)
    return LSTMSequence.apply(
        x, h0, c0, kernel, recurrent_kernel, bias,
        activation=_check_activation(op, "activation", activation),
        recurrent_activation=_check_activation(op, "recurrent_activation", recurrent_activation),
        mask=mask, recurrent_mask=recurrent_mask, return_sequences=bool(return_sequences),
    )  # fmt: skip


def gru(inputs, initial_state, kernel, recurrent_kernel, bias=None, *, activation: str = "tanh",
        recurrent_activation: str = "sigmoid", mask=None, recurrent_mask=None,
        return_sequences: bool = True) -> Tensor:  # fmt: skip
    """Gated recurrent unit, ``reset_after=True`` (gates z, r, h; see :class:`GRUSequence`).

    Args:
        inputs: ``(N, T, D)``.
        initial_state: h₀, ``(N, u)``.
        kernel: ``(D, 3u)``. recurrent_kernel: ``(u, 3u)``.
        bias: ``(2, 3u)`` (row 0 the input bias, row 1 the recurrent bias) or None.
        activation: φ (the candidate ĥ). Defaults to ``"tanh"``.
        recurrent_activation: σ (z and r). Defaults to ``"sigmoid"``.
        mask: optional boolean ``(N, T)``, False at padded steps.
        recurrent_mask: optional ``(N, u)`` recurrent-dropout mask, already scaled.
        return_sequences: return every step's state (True, the default) or only h_T.

    Returns:
        The states h₁ … h_T, shape ``(N, T, u)``; or h_T, ``(N, u)``.
    """
    op = "gru"
    x, h0, kernel, recurrent_kernel, bias = _operands(
        op, [inputs, initial_state, kernel, recurrent_kernel, bias]
    )
    _check_operands(op, 3, x, [("initial_state", h0)], kernel, recurrent_kernel, bias,
                    lambda u: (2, 3 * u))  # fmt: skip
    mask, recurrent_mask = _check_masks(op, x, h0.shape[1], mask, recurrent_mask)
    return GRUSequence.apply(
        x, h0, kernel, recurrent_kernel, bias,
        activation=_check_activation(op, "activation", activation),
        recurrent_activation=_check_activation(op, "recurrent_activation", recurrent_activation),
        mask=mask, recurrent_mask=recurrent_mask, return_sequences=bool(return_sequences),
    )  # fmt: skip
