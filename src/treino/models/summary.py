"""``model.summary()``: one row per layer — name (type), output shape, number of parameters.

The parameter count of a Dense layer is in·out + out (the kernel W and the
bias b): for the course's MLP 784-128-64-10 that is 100,480 + 8,256 + 650 =
109,386. Non-trainable parameters (BatchNormalization's moving mean and
variance, frozen layers) are counted apart, as Keras does.
"""

from __future__ import annotations

from treino.layers.base import InputLayer


def _format_size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n_bytes < 1024:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} GB"


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")"
    )


def _params(layer) -> int:
    return sum(w.size for w in layer.weights) if layer.built else 0


def _bytes(weights) -> int:
    return sum(w.size * w.dtype.itemsize for w in weights)


def summary_lines(model, line_length: int = 80) -> list[str]:
    """The lines :func:`print_summary` prints."""
    widths = [int(line_length * 0.45), int(line_length * 0.35)]
    widths.append(line_length - sum(widths))

    def row(name, shape, params):
        return f"{name:<{widths[0]}}{shape:<{widths[1]}}{params:>{widths[2]}}"

    lines = [f'Model: "{model.name}"', "_" * line_length,
             row("Layer (type)", "Output Shape", "Param #"), "=" * line_length]  # fmt: skip
    rows = [layer for layer in model.layers if not isinstance(layer, InputLayer)]
    inputs = [layer for layer in model.layers if isinstance(layer, InputLayer)]
    for layer in inputs + rows:
        name = f"{layer.name} ({type(layer).__name__})"
        if len(name) >= widths[0]:
            name = name[: widths[0] - 2] + "… "
        shape = layer.batch_shape if isinstance(layer, InputLayer) else layer._last_output_shape
        text = _shape_text(shape)
        if isinstance(shape, list) and len(text) >= widths[1]:  # several outputs: one per line
            texts = [_shape_text(s) + ("," if i < len(shape) - 1 else "")
                     for i, s in enumerate(shape)]  # fmt: skip
            lines.append(row(name, texts[0], f"{_params(layer):,}"))
            lines += [row("", t, "").rstrip() for t in texts[1:]]
        else:
            lines.append(row(name, text, f"{_params(layer):,}"))
    lines.append("=" * line_length)
    trainable = model.trainable_weights if model.built else []
    everything = model.weights if model.built else []
    frozen = [w for w in everything if all(w is not t for t in trainable)]
    total = sum(w.size for w in everything)
    n_trainable = sum(w.size for w in trainable)
    lines += [
        f"Total params: {total:,} ({_format_size(_bytes(everything))})",
        f"Trainable params: {n_trainable:,} ({_format_size(_bytes(trainable))})",
        f"Non-trainable params: {total - n_trainable:,} ({_format_size(_bytes(frozen))})",
        "_" * line_length,
    ]
    if not model.built:
        lines.append("The model is not built yet: the shapes appear after the first batch, "
                     "or give the first layer input_shape=(…).")  # fmt: skip
    return lines


def print_summary(model, line_length: int = 80, print_fn=None) -> None:
    """Print :func:`summary_lines` (through ``print_fn`` if given)."""
    for line in summary_lines(model, line_length):
        (print_fn or print)(line)
