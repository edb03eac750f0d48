"""A LeNet-5 style CNN on the full Fashion-MNIST, treino beside PyTorch.

Conv(6, 5×5, same, ReLU) → MaxPool 2 → Conv(16, 5×5, ReLU) → MaxPool 2 →
Dense 120 → Dense 84 → Dense 10 (LeCun 1998, with ReLU and max-pooling as
done today), Adam (η = 0.001), batch 64, 5 epochs, 28×28×1 images
standardised with the training set's mean and standard deviation.
treino must reach ≥ 89 % test accuracy. See ``benchmarks.fashion`` for how the
two are run and timed.

Run: python -m benchmarks.fashion_lenet [--epochs 5] [--batch-size 64] [--seed 0]
"""

from __future__ import annotations

from benchmarks import fashion

SHAPE, STANDARDIZE = (28, 28, 1), True


def lenet5():
    """The treino model (also used by the slow test)."""
    from treino.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
    from treino.models import Sequential

    return Sequential([
        Input((28, 28, 1)),
        Conv2D(6, 5, padding="same", activation="relu"),
        MaxPooling2D(2),
        Conv2D(16, 5, activation="relu"),
        MaxPooling2D(2),
        Flatten(),
        Dense(120, activation="relu"),
        Dense(84, activation="relu"),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


treino_model = lenet5
TORCH_SHAPE = (1, 28, 28)  # PyTorch's convolutions take channels first


def torch_model():
    """LeNet-5 in PyTorch (channels-first images), initialised as Keras."""
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    fashion.keras_init(model)
    return model


def run_treino(epochs: int, batch_size: int, seed: int) -> dict:
    import treino

    data = fashion.load(SHAPE, standardize=STANDARDIZE)
    treino.seed(seed)
    return fashion.train_treino(lenet5(), data, epochs, batch_size, 1e-3)


def run_torch(epochs: int, batch_size: int, seed: int) -> dict:
    import torch

    data = fashion.load(TORCH_SHAPE, standardize=STANDARDIZE)
    torch.manual_seed(seed)
    return fashion.train_torch(torch_model(), data, epochs, batch_size, 1e-3, seed)


def main(argv=None) -> int:
    return fashion.main("benchmarks.fashion_lenet", "Fashion-MNIST, LeNet-5 style CNN, Adam",
                        {"treino": run_treino, "torch": run_torch}, target=0.89,
                        defaults={"epochs": 5, "batch_size": 64}, argv=argv)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
