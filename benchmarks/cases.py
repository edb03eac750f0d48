"""Benchmark cases: treino and PyTorch doing the same work, one framework per process.

A case is a function ``(framework, quick) -> dict`` with ``"times"`` (seconds
per unit of work, after a warm-up) and ``"unit"``; it may add fields the report
uses (``"flops"`` and ``"peak_flops"`` for the roofline). ``framework`` is
``"treino"`` or ``"torch"``; ``quick`` shrinks the work (the 10,000-image
sample instead of the full Fashion-MNIST, fewer repeats) so the suite itself
can be tested.

Epoch cases go through each framework's user path: ``Model.fit`` (progress
bar off) for treino, the usual loop for PyTorch (``benchmarks.fashion``), with
the same data order, initialisation and Adam. The first epoch is the warm-up.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks import fashion, fashion_lenet, fashion_lstm, fashion_mlp


def _timed(step, repeats: int, warmup: int) -> list:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def _epochs(module, framework: str, batch_size: int, epochs: int, quick: bool) -> list:
    """Seconds per epoch of ``module``'s model, the first (warm-up) epoch left out."""
    epochs = 1 if quick else epochs
    shape = getattr(module, "TORCH_SHAPE", module.SHAPE) if framework == "torch" else module.SHAPE
    data = fashion.load(shape, standardize=module.STANDARDIZE, sample=quick)
    if framework == "torch":
        import torch

        torch.manual_seed(0)
        result = fashion.train_torch(module.torch_model(), data, epochs + 1, batch_size, 1e-3, 0)
    else:
        import treino

        treino.seed(0)
        result = fashion.train_treino(module.treino_model(), data, epochs + 1, batch_size, 1e-3)
    return result["epoch_times"][1:]


def _epoch_case(module, batch_size: int, epochs: int, description: str):
    def case(framework: str, quick: bool = False) -> dict:
        return {"times": _epochs(module, framework, batch_size, epochs, quick),
                "unit": "s/epoch"}  # fmt: skip

    case.__doc__ = description
    return case


# ------------------------------------------------------------------ roofline
MLP_LAYERS = ((784, 128), (128, 64), (64, 10))


def mlp_epoch_flops(samples: int) -> int:
    """Floating-point operations of the matrix products in one MLP epoch: 6·N·Σ in·out.

    Per Dense layer (in → out) and sample: the forward X·W costs 2·in·out, the
    backward Xᵀ·G another 2·in·out and G·Wᵀ 2·in·out more. This is the usual
    convention of model-FLOPs utilisation (6 FLOPs per weight per sample). It
    counts the first layer's G·Wᵀ, which neither framework computes (the data
    needs no gradient): counted on the products actually computed, the
    fractions reported would be 0.695 times as large, for both frameworks.
    """
    return samples * sum(6 * n_in * n_out for n_in, n_out in MLP_LAYERS)


def peak_matmul_flops(n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of the best of ``repeats`` float32 n×n products by NumPy's BLAS.

    The roofline's ceiling: what this machine's matrix products reach on
    large operands, with the threads of the process. Both frameworks are
    measured against the same ceiling.
    """
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    out = np.empty_like(a)
    best = min(_timed(lambda: np.matmul(a, b, out=out), repeats, warmup=1))
    return 2 * n**3 / best


def roofline(framework: str, quick: bool = False) -> dict:
    """The MLP at batch 512 against the matrix-product roofline of the machine.

    The roofline time is the epoch's matrix-product FLOPs at the peak FLOP/s of
    a large float32 product; the fraction reached is that time / the epoch time.
    """
    times = _epochs(fashion_mlp, framework, 512, 3, quick)
    samples = 10_000 if quick else 60_000
    return {"times": times, "unit": "s/epoch", "flops": mlp_epoch_flops(samples),
            "peak_flops": peak_matmul_flops()}  # fmt: skip


# ------------------------------------------------------------ optimizer step
ADAM_SHAPES = ((1000, 1000), (1000,))  # 1,001,000 parameters


def adam_1m(framework: str, quick: bool = False) -> dict:
    """One Adam update of 1,001,000 float32 parameters with fixed gradients."""
    rng = np.random.default_rng(0)
    values = [rng.normal(size=s).astype(np.float32) for s in ADAM_SHAPES]
    grads = [rng.normal(size=s).astype(np.float32) for s in ADAM_SHAPES]
    repeats = 20 if quick else 200
    if framework == "torch":
        import torch

        params = [torch.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.from_numpy(g)
        optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
        return {"times": _timed(optimizer.step, repeats, warmup=10), "unit": "s/step"}
    import treino

    params = [treino.tensor(v, requires_grad=True) for v in values]
    optimizer = treino.optimizers.Adam(1e-3)
    pairs = list(zip(grads, params, strict=True))
    return {"times": _timed(lambda: optimizer.apply_gradients(pairs), repeats, warmup=10),
            "unit": "s/step"}  # fmt: skip


# ------------------------------------------------------------------- predict
def predict(framework: str, quick: bool = False) -> dict:
    """The course MLP predicting the 10,000 test images, batch 256 (seconds per pass)."""
    _, _, x_test, _ = fashion.load(fashion_mlp.SHAPE, sample=quick)
    repeats = 3 if quick else 20
    if framework == "torch":
        import torch

        torch.manual_seed(0)
        model = fashion_mlp.torch_model().eval()
        xt = torch.from_numpy(x_test)

        def run():
            with torch.no_grad():
                return torch.cat([torch.softmax(model(xt[i : i + 256]), dim=1)
                                  for i in range(0, len(xt), 256)]).numpy()  # fmt: skip
    else:
        import treino

        treino.seed(0)
        model = fashion_mlp.treino_model()

        def run():
            return model.predict(x_test, batch_size=256, verbose=0)

    return {"times": _timed(run, repeats, warmup=2), "unit": "s/pass",
            "samples": len(x_test)}  # fmt: skip


CASES = {
    "mlp_b32": _epoch_case(fashion_mlp, 32, 3, "the course's MLP, batch 32"),
    "mlp_b128": _epoch_case(fashion_mlp, 128, 3, "the course's MLP, batch 128"),
    "mlp_b512": _epoch_case(fashion_mlp, 512, 3, "the course's MLP, batch 512"),
    "lenet_b64": _epoch_case(fashion_lenet, 64, 2, "LeNet-5, batch 64"),
    "lstm_b128": _epoch_case(fashion_lstm, 128, 2, "LSTM(128) on rows as sequences, batch 128"),
    "adam_1m": adam_1m,
    "predict": predict,
    "roofline": roofline,
}
