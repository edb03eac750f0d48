"""O médico do treino: treinos saudáveis e quebrados, diagnosticados e desenhados.

The training doctor on the course's MLP (Fashion-MNIST sample): one healthy run
and three broken ones — a learning rate far too high (Adam, η = 10), one far too
low (η = 1e-7) and raw 0–255 pixels. For each, the doctor's report (Portuguese
by default) and two PNGs: the learning curves and the gradient flow per layer.

Run: python examples/diagnose_training.py [--lang en] [--out figuras] [--epochs 6]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import treino
from treino import optimizers, plot
from treino.datasets import fashion_mnist
from treino.diagnostics import TrainingDoctor
from treino.layers import Dense, Dropout, Input
from treino.models import Sequential

SETUPS = {
    "saudavel": ("Adam(1e-3), pixels em [0, 1]", lambda: optimizers.Adam(1e-3), 1 / 255),
    "eta_alto": ("Adam(10): taxa de aprendizado alta demais", lambda: optimizers.Adam(10.0),
                 1 / 255),
    "eta_baixo": ("Adam(1e-7): taxa de aprendizado baixa demais",
                  lambda: optimizers.Adam(1e-7), 1 / 255),
    "sem_normalizar": ("pixels 0–255, sem normalização", lambda: optimizers.SGD(0.01), 1.0),
}  # fmt: skip


def course_mlp() -> Sequential:
    return Sequential([
        Input((784,)),
        Dense(128, activation="relu"), Dropout(0.2),
        Dense(64, activation="relu"), Dropout(0.2),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


def main(lang: str = "pt", out: str = "figuras", epochs: int = 6, samples: int = 4000) -> dict:
    """Train every setup, print its diagnosis, save its plots; return ``{setup: codes}``."""
    (x, y), _ = fashion_mnist.load_data(sample=True)
    x = x[:samples].reshape(-1, 784).astype("float32")
    y = y[:samples]
    found = {}
    for name, (title, make_optimizer, scale) in SETUPS.items():
        treino.seed(0)
        model = course_mlp()
        model.compile(make_optimizer(), "sparse_categorical_crossentropy", metrics=["accuracy"])
        doctor = TrainingDoctor(lang=lang, verbose=0)
        history = model.fit(x * scale, y, epochs=epochs, validation_split=0.2, verbose=0,
                            callbacks=[doctor])  # fmt: skip
        print(f"\n=== {name}: {title} ===")
        print(doctor.report.text(lang))
        plot.learning_curves(history, save=Path(out) / f"{name}_curvas.png", lang=lang)
        plot.gradient_flow(history, save=Path(out) / f"{name}_gradientes.png", lang=lang)
        found[name] = doctor.report.codes
    print(f"\nFiguras em {out}/ (curvas de aprendizado e fluxo de gradientes por camada)")
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="pt", choices=["pt", "en"])
    parser.add_argument("--out", default="figuras")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    main(args.lang, args.out, args.epochs)
