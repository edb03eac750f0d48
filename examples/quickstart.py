"""Quick start: the course's MLP learns Fashion-MNIST with ``Model.fit``.

The images are the sample of Fashion-MNIST shipped inside treino (10,000
training and 2,000 test images, 28×28, ten classes of clothing), so this runs
offline right after ``pip install``. The model is the course's, written as in
Keras: 784 → 128 → 64 → 10 with ReLU, dropout 0.2 and softmax, trained with
Adam on mini-batches of 32.

Run: python examples/quickstart.py [--epochs 8] [--full]
(``--full`` trains on the whole 60,000-image set: ``apt-get install
dataset-fashion-mnist``, or let ``fashion_mnist.load_data()`` download it.)
"""

import argparse
import time

import treino
from treino.datasets import fashion_mnist
from treino.layers import Dense, Dropout
from treino.models import Sequential


def main(epochs: int = 8, full: bool = False) -> float:
    treino.seed(42)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(sample=not full)
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0  # pixels em [0, 1]
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
    print(f"treino {treino.__version__} — Fashion-MNIST: {len(x_train)} imagens de treino, "
          f"{len(x_test)} de teste")  # fmt: skip

    modelo = Sequential([
        Dense(128, activation="relu", input_shape=(784,)),
        Dropout(0.2),
        Dense(64, activation="relu"),
        Dropout(0.2),
        Dense(10, activation="softmax"),
    ])  # fmt: skip
    modelo.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])  # fmt: skip
    modelo.summary()

    start = time.perf_counter()
    history = modelo.fit(x_train, y_train, epochs=epochs, batch_size=32,
                         validation_split=0.15)  # fmt: skip
    seconds = time.perf_counter() - start
    loss, accuracy = modelo.evaluate(x_test, y_test, verbose=0)
    best = max(history.history["val_accuracy"])
    print(f"\nacurácia no teste: {accuracy:.4f}  (loss {loss:.4f}; melhor acurácia de "
          f"validação {best:.4f}; {seconds:.1f} s de treino)")  # fmt: skip
    nomes = fashion_mnist.NOMES_DAS_CLASSES
    previstos = modelo.predict(x_test[:5], verbose=0).argmax(axis=1)
    for previsto, verdadeiro in zip(previstos, y_test[:5], strict=True):
        print(f"  previsto: {nomes[previsto]:<14s} verdadeiro: {nomes[verdadeiro]}")
    return float(accuracy)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--full", action="store_true", help="the full 60k/10k data set")
    args = parser.parse_args()
    main(args.epochs, args.full)
