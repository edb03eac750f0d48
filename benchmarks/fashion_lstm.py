"""An LSTM reads Fashion-MNIST images row by row: treino beside PyTorch.

Each 28×28 image is a sequence of 28 rows of 28 pixels; LSTM(128) → Dense 10,
Adam (η = 0.001), batch 128, 3 epochs, pixels standardised with the training
set's mean and standard deviation. treino must reach ≥ 85 % test
accuracy. See ``benchmarks.fashion`` for how the two are run and timed.

Run: python -m benchmarks.fashion_lstm [--epochs 3] [--batch-size 128] [--seed 0]
"""

from __future__ import annotations

from benchmarks import fashion

SHAPE, STANDARDIZE = (28, 28), True


def rows_lstm(units: int = 128):
    """The treino model (also used by the slow test)."""
    from treino.layers import LSTM, Dense, Input
    from treino.models import Sequential

    return Sequential([Input((28, 28)), LSTM(units), Dense(10, activation="softmax")])


def run_treino(epochs: int, batch_size: int, seed: int) -> dict:
    import treino

    data = fashion.load(SHAPE, standardize=STANDARDIZE)
    treino.seed(seed)
    return fashion.train_treino(rows_lstm(), data, epochs, batch_size, 1e-3)


def treino_model():
    return rows_lstm()


def torch_model():
    """LSTM(128) → Linear(10) on the last step's output, initialised as Keras does."""
    import torch
    from torch import nn

    class RowsLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    model = RowsLSTM()
    fashion.keras_init(model)
    with torch.no_grad():  # Keras's unit_forget_bias: the forget-gate bias starts at 1
        model.lstm.bias_ih_l0[128:256] = 1.0
    return model


def run_torch(epochs: int, batch_size: int, seed: int) -> dict:
    import torch

    data = fashion.load(SHAPE, standardize=STANDARDIZE)
    torch.manual_seed(seed)
    return fashion.train_torch(torch_model(), data, epochs, batch_size, 1e-3, seed)


def main(argv=None) -> int:
    return fashion.main("benchmarks.fashion_lstm", "Fashion-MNIST rows as sequences, LSTM(128), "
                        "Adam", {"treino": run_treino, "torch": run_torch}, target=0.85,
                        defaults={"epochs": 3, "batch_size": 128}, argv=argv)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
