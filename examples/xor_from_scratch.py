"""The course's exercise: a 2-2-1 network learns XOR with plain gradient descent.

Only treino.Tensor ops are used — no layers, no optimizer — so every step of
backpropagation is visible: forward pass, loss, ``loss.backward()`` (the chain
rule, op by op), and the update ``w ← w − η·∂L/∂w``.

Run: python examples/xor_from_scratch.py
"""

import numpy as np

import treino


def train_xor(epochs: int = 2000, learning_rate: float = 2.0, seed: int = 0):
    """Train a 2-2-1 tanh/sigmoid network on XOR; return (loss history, predictions)."""
    rng = np.random.default_rng(seed)
    X = treino.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    Y = treino.tensor([[0], [1], [1], [0]], dtype="float32")
    W1 = treino.tensor(rng.normal(0, 1, (2, 2)), requires_grad=True, dtype="float32")
    b1 = treino.tensor(np.zeros(2), requires_grad=True, dtype="float32")
    W2 = treino.tensor(rng.normal(0, 1, (2, 1)), requires_grad=True, dtype="float32")
    b2 = treino.tensor(np.zeros(1), requires_grad=True, dtype="float32")
    params = [W1, b1, W2, b2]

    history = []
    for _ in range(epochs):
        hidden = (X @ W1 + b1).tanh()  # camada oculta: h = tanh(X·W1 + b1)
        output = (hidden @ W2 + b2).sigmoid()  # saída: o = σ(h·W2 + b2)
        loss = ((output - Y) ** 2).mean()  # erro quadrático médio
        for p in params:
            p.grad = None
        loss.backward()  # retropropagação: ∂L/∂w para cada peso
        with treino.no_grad():
            for p in params:
                p.data -= learning_rate * p.grad  # w ← w − η·∂L/∂w
        history.append(loss.item())
    return history, output.numpy().ravel()


if __name__ == "__main__":
    history, predictions = train_xor()
    for epoch in (0, 100, 500, 1000, len(history) - 1):
        print(f"época {epoch:5d}  MSE = {history[epoch]:.5f}")
    print("previsões para (0,0), (0,1), (1,0), (1,1):", np.round(predictions, 3))
