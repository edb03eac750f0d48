"""The course's MLP on the full Fashion-MNIST: treino's ``Model.fit`` beside the same PyTorch model.

784-128-64-10, ReLU, Dropout 0.2, softmax / cross-entropy, Adam (η = 0.001),
batch 32, 10 epochs, pixels scaled to [0, 1]. treino must reach ≥ 87 % test
accuracy (PyTorch lands at about 87.7 %). See ``benchmarks.fashion`` for how
the two are run and timed.

Run: python -m benchmarks.fashion_mlp [--epochs 10] [--batch-size 32] [--seed 0]
"""

from __future__ import annotations

from benchmarks import fashion

SHAPE, STANDARDIZE = (784,), False


def treino_model():
    """The course's MLP in treino."""
    from treino.layers import Dense, Dropout
    from treino.models import Sequential

    return Sequential([
        Dense(128, activation="relu", input_shape=(784,)),
        Dropout(0.2),
        Dense(64, activation="relu"),
        Dropout(0.2),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


def torch_model():
    """The same MLP in PyTorch (logits out; the softmax is in the loss), initialised as Keras."""
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(64, 10),
    )  # fmt: skip
    fashion.keras_init(model)
    return model


def run_treino(epochs: int, batch_size: int, seed: int) -> dict:
    import treino

    data = fashion.load(SHAPE)
    treino.seed(seed)
    return fashion.train_treino(treino_model(), data, epochs, batch_size, 1e-3)


def run_torch(epochs: int, batch_size: int, seed: int) -> dict:
    import torch

    data = fashion.load(SHAPE)
    torch.manual_seed(seed)
    return fashion.train_torch(torch_model(), data, epochs, batch_size, 1e-3, seed)


def main(argv=None) -> int:
    return fashion.main("benchmarks.fashion_mlp", "Fashion-MNIST, MLP 784-128-64-10 (dropout 0.2), "
                        "Adam", {"treino": run_treino, "torch": run_torch}, target=0.87,
                        defaults={"epochs": 10, "batch_size": 32}, argv=argv)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
