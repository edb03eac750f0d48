"""A small residual network (ResNet-style) on Fashion-MNIST, with the functional API.

A residual block adds its input back to what its layers computed,

    y = relu(x + F(x)),

so the block only has to learn the *difference* F(x) from the identity, and
the gradient reaches earlier layers through the ``+ x`` path undiminished
(∂y/∂x = 1 + ∂F/∂x before the ReLU) — what lets very deep networks train.
The second stage uses a Shake-Shake block (Gastaldi, 2017): two branches F₁
and F₂ mixed with a random weight α per image in training,
``x + α·F₁(x) + (1 − α)·F₂(x)``, a different random weight in the backward
pass, and ½·(F₁ + F₂) at inference — the course's "perturbações estocásticas
durante o treinamento de redes residuais".

Run: python examples/resnet_small.py [--epochs 3] [--full]
"""

from __future__ import annotations

import argparse
import time

import treino
from treino import layers, models
from treino.datasets import fashion_mnist


def conv_bn(x, filters: int, activation: str | None = "relu"):
    """Conv 3×3 ('same') → BatchNormalization → activation."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    # momentum 0.9 (PyTorch's default) rather than Keras's 0.99: the moving statistics
    # used at inference settle within a few hundred steps, so a short run evaluates well
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.Activation(activation)(x) if activation else x


def residual_block(x, filters: int):
    """relu(x + F(x)) with F = conv-bn-relu → conv-bn."""
    f = conv_bn(conv_bn(x, filters), filters, activation=None)
    return layers.Activation("relu")(layers.Add()([x, f]))


def shake_shake_block(x, filters: int):
    """relu(x + ShakeShake(F₁(x), F₂(x))): two residual branches mixed at random in training."""
    branches = [conv_bn(conv_bn(x, filters), filters, activation=None) for _ in range(2)]
    return layers.Activation("relu")(layers.Add()([x, layers.ShakeShake()(branches)]))


def small_resnet(filters: int = 16) -> models.Model:
    entrada = layers.Input((28, 28, 1))
    x = conv_bn(entrada, filters)                  # 28×28×16
    x = residual_block(x, filters)
    x = layers.MaxPooling2D(2)(x)                  # 14×14×16
    x = shake_shake_block(x, filters)
    x = layers.MaxPooling2D(2)(x)                  # 7×7×16
    x = layers.Flatten()(x)                        # 784
    saida = layers.Dense(10, activation="softmax")(x)
    return models.Model(entrada, saida, name="small_resnet")


def main(epochs: int = 3, full: bool = False, verbose: int = 1) -> float:
    treino.seed(0)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(sample=not full)
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255.0
    model = small_resnet()
    if verbose:
        model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, validation_split=0.1,
              verbose=verbose)  # fmt: skip
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"\nacurácia no teste: {accuracy:.4f} ({time.perf_counter() - start:.0f} s)")
    return float(accuracy)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="the full 60k/10k data set")
    args = parser.parse_args()
    main(args.epochs, args.full)
