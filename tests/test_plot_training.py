"""treino.plot.training: each plot's PNG, axes, labels (pt and en), plotted data and errors."""

import types

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import treino
from treino.callbacks import GradientMonitor, History
from treino.layers import BatchNormalization, Dense, Input
from treino.models import Sequential
from treino.optimizers.schedules import ExponentialDecay, PiecewiseConstantDecay
from treino.plot.training import (
    confusion_matrix,
    gradient_flow,
    histograms,
    learning_curves,
    lr_schedule,
    misclassified,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert path.exists()
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000  # a drawn figure, not an empty canvas


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ------------------------------------------------------------------ fixtures
HAND = {
    "loss": [1.0, 0.6, 0.4, 0.35, 0.3],
    "val_loss": [1.1, 0.8, 0.7, 0.75, 0.9],
    "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9],
    "val_accuracy": [0.45, 0.6, 0.7, 0.68, 0.66],
    "learning_rate": [0.01] * 5,
    "grad_norm/dense": [0.1] * 5,
}

FLOW = {  # GradientMonitor-style keys, layers from input to output
    "loss": [1.0, 0.8, 0.7, 0.65],
    "grad_norm/dense": [1e-5, 2e-5, 3e-5, 4e-5],
    "grad_norm/dense_1": [1e-3, 2e-3, 2e-3, 1e-3],
    "grad_norm/dense_2": [1e-1, 9e-2, 8e-2, 7e-2],
    "weight_norm/dense": [3.0, 3.1, 3.2, 3.3],
    "weight_norm/dense_1": [2.0, 2.1, 2.2, 2.3],
    "weight_norm/dense_2": [1.0, 1.1, 1.2, 1.3],
    "dead_fraction/dense": [0.0, 0.1, 0.2, 0.25],
    "dead_fraction/dense_1": [None, None, None, None],  # a sigmoid layer: not applicable
    "dead_fraction/dense_2": [0.0, 0.0, 0.05, float("nan")],
}


def small_data(n=48, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    return x, np.minimum(y, classes - 1)


@pytest.fixture(scope="module")
def trained():
    """A tiny MLP trained 2 epochs with validation and a GradientMonitor."""
    treino.seed(0)
    x, y = small_data()
    model = Sequential([Input((4,)), Dense(5, activation="relu", name="dense"),
                        Dense(3, activation="softmax", name="dense_1")])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[GradientMonitor()])  # fmt: skip
    return model, history, x, y


# ============================================================ learning_curves
def test_learning_curves_png_axes_and_data(tmp_path):
    path = tmp_path / "curvas.png"
    figure = learning_curves(HAND, save=path, lang="en")
    assert_png(path)
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 2  # loss, accuracy; not learning_rate nor grad_norm/…
    loss_ax, acc_ax = figure.axes
    train, val, best = loss_ax.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(train.get_ydata(), HAND["loss"])
    np.testing.assert_array_equal(val.get_ydata(), HAND["val_loss"])
    np.testing.assert_array_equal(best.get_xdata(), [3, 3])  # argmin val_loss = epoch 3
    np.testing.assert_array_equal(acc_ax.get_lines()[0].get_ydata(), HAND["accuracy"])
    np.testing.assert_array_equal(acc_ax.get_lines()[1].get_ydata(), HAND["val_accuracy"])
    # The gap is shaded from the best epoch on, between the two loss curves.
    (gap,) = [c for c in loss_ax.collections if isinstance(c, PolyCollection)]
    vertices = {tuple(np.round(v, 6)) for v in gap.get_paths()[0].vertices}
    for epoch in (3, 4, 5):
        assert (epoch, HAND["loss"][epoch - 1]) in vertices
        assert (epoch, HAND["val_loss"][epoch - 1]) in vertices
    assert min(v[0] for v in vertices) == 3
    assert not [c for c in acc_ax.collections if isinstance(c, PolyCollection)]


@pytest.mark.parametrize(
    "lang, titles, xlabel, ylabels, legend",
    [
        ("pt", ["Perda", "Acurácia"], "época", ["perda", "acurácia"],
         ["treino", "validação", "melhor val_loss (época 3)", "lacuna treino–validação"]),
        ("en", ["Loss", "Accuracy"], "epoch", ["loss", "accuracy"],
         ["training", "validation", "best val_loss (epoch 3)", "training–validation gap"]),
    ],
)  # fmt: skip
def test_learning_curves_labels(lang, titles, xlabel, ylabels, legend):
    figure = learning_curves(HAND, lang=lang)
    assert [ax.get_title() for ax in figure.axes] == titles
    assert [ax.get_xlabel() for ax in figure.axes] == [xlabel, xlabel]
    assert [ax.get_ylabel() for ax in figure.axes] == ylabels
    assert legend_texts(figure.axes[0]) == legend
    assert figure.get_suptitle() == {"pt": "Curvas de aprendizado", "en": "Learning curves"}[lang]


def test_learning_curves_from_a_real_history(trained):
    _, history, _, _ = trained
    figure = learning_curves(history, lang="pt")
    assert [ax.get_title() for ax in figure.axes] == ["Perda", "Acurácia"]
    lines = figure.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), history.history["loss"])
    np.testing.assert_allclose(lines[1].get_ydata(), history.history["val_loss"])


def test_learning_curves_choice_of_metrics_and_edge_cases():
    figure = learning_curves(HAND, metrics="accuracy", lang="en")
    assert [ax.get_title() for ax in figure.axes] == ["Accuracy"]
    # Unknown names keep their key as title; the best epoch is the last: no gap to shade.
    logs = {"mae": [3.0, 2.0, 1.0], "loss": [2.0, 1.0, 0.5], "val_loss": [2.5, 1.5, 1.0]}
    figure = learning_curves(logs, lang="en")
    assert [ax.get_title() for ax in figure.axes] == ["Loss", "Mean absolute error (MAE)"]
    assert not [c for c in figure.axes[0].collections if isinstance(c, PolyCollection)]
    # fit(validation_freq=2): the validation values belong to epochs 2 and 4.
    logs = {"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [0.9, 0.7]}
    val = learning_curves(logs, lang="en").axes[0].get_lines()[1]
    np.testing.assert_array_equal(val.get_xdata(), [2, 4])


def test_learning_curves_errors():
    with pytest.raises(ValueError, match="empty"):
        learning_curves({})
    with pytest.raises(ValueError, match="empty"):
        learning_curves(History())
    with pytest.raises(ValueError, match=r"unknown metric 'acc'.*\['loss', 'accuracy'\]"):
        learning_curves(HAND, metrics=["acc"])
    with pytest.raises(TypeError, match="History"):
        learning_curves([1.0, 0.5])
    with pytest.raises(ValueError, match="no metric"):
        learning_curves({"grad_norm/dense": [1.0]})


# ============================================================== gradient_flow
def test_gradient_flow_png_lines_colours_and_bars(tmp_path):
    path = tmp_path / "fluxo.png"
    figure = gradient_flow(FLOW, save=path, lang="en")
    assert_png(path)
    assert len(figure.axes) == 2
    left, right = figure.axes
    layers = ["dense", "dense_1", "dense_2"]
    lines = left.get_lines()
    assert [line.get_label() for line in lines] == layers
    for line, layer in zip(lines, layers, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(line.get_ydata(), FLOW[f"grad_norm/{layer}"])
    expected = colormaps["viridis"](np.linspace(0.0, 0.85, 3))  # first layer → last layer
    for line, colour in zip(lines, expected, strict=True):
        np.testing.assert_allclose(line.get_color(), colour)
    assert left.get_yscale() == right.get_yscale() == "log"
    first, last = right.containers  # epoch 1 and epoch 4, one bar per layer
    assert [bar.get_height() for bar in first] == [FLOW[f"grad_norm/{k}"][0] for k in layers]
    assert [bar.get_height() for bar in last] == [FLOW[f"grad_norm/{k}"][-1] for k in layers]
    assert [t.get_text() for t in right.get_xticklabels()] == layers
    assert legend_texts(right) == ["epoch 1", "epoch 4"]


@pytest.mark.parametrize(
    "lang, left_title, right_title, xlabel, suptitle",
    [
        ("pt", "weight_norm por camada ao longo das épocas",
         "weight_norm por camada (entrada → saída)", "época",
         "Fluxo por camada: ‖W‖ (norma dos pesos)"),
        ("en", "weight_norm per layer over the epochs",
         "weight_norm per layer (input → output)", "epoch",
         "Per-layer flow: ‖W‖ (weight norm)"),
    ],
)  # fmt: skip
def test_gradient_flow_labels(lang, left_title, right_title, xlabel, suptitle):
    figure = gradient_flow(FLOW, stat="weight_norm", lang=lang)
    left, right = figure.axes
    assert left.get_title() == left_title
    assert right.get_title() == right_title
    assert left.get_xlabel() == xlabel
    assert left.get_ylabel() == right.get_ylabel() == suptitle.split(": ")[1]
    assert figure.get_suptitle() == suptitle
    assert right.get_xlabel() == {"pt": "camada", "en": "layer"}[lang]


def test_gradient_flow_missing_values_and_linear_scales():
    figure = gradient_flow(FLOW, stat="dead_fraction", lang="en")
    left, right = figure.axes
    assert left.get_yscale() == "linear"  # fractions: never a log axis
    assert left.get_ylim() == right.get_ylim() == (0.0, pytest.approx(0.275))  # 0 … 1.1·max
    ys = [line.get_ydata() for line in left.get_lines()]
    assert np.isnan(ys[1]).all()  # None → NaN: no line for the sigmoid layer
    np.testing.assert_array_equal(ys[2][:3], [0.0, 0.0, 0.05])
    assert gradient_flow(FLOW, log=False).axes[0].get_yscale() == "linear"


def test_gradient_flow_accepts_history_and_objects(trained):
    _, history, _, _ = trained
    figure = gradient_flow(history, lang="en")
    layers = [k.split("/")[1] for k in history.history if k.startswith("grad_norm/")]
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == layers and len(layers) == 2
    for line, layer in zip(lines, layers, strict=True):
        np.testing.assert_allclose(line.get_ydata(), history.history[f"grad_norm/{layer}"])
    holder = types.SimpleNamespace(history=dict(FLOW))
    assert len(gradient_flow(holder).axes[0].get_lines()) == 3


def test_gradient_flow_errors():
    with pytest.raises(ValueError, match=r"no 'update_ratio'.*\['dead_fraction', 'grad_norm', "
                                         r"'weight_norm'\]"):  # fmt: skip
        gradient_flow(FLOW, stat="update_ratio")
    with pytest.raises(ValueError, match="GradientMonitor"):
        gradient_flow({"loss": [1.0]})
    with pytest.raises(ValueError, match="empty"):
        gradient_flow({})
    with pytest.raises(TypeError, match="History"):
        gradient_flow("grad_norm")


# ================================================================= histograms
def test_histograms_weights(tmp_path, trained):
    model = trained[0]
    path = tmp_path / "pesos.png"
    figure = histograms(model, save=path, lang="pt")
    assert_png(path)
    assert [ax.get_title() for ax in figure.axes] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
    ]  # fmt: skip
    for ax, variable in zip(figure.axes, model.trainable_weights, strict=True):
        heights = [patch.get_height() for patch in ax.patches]
        assert sum(heights) == variable.data.size
        left = min(patch.get_x() for patch in ax.patches)
        right = max(patch.get_x() + patch.get_width() for patch in ax.patches)
        assert left == pytest.approx(variable.data.min())
        assert right == pytest.approx(variable.data.max())
        assert ax.get_xlabel() == "valor do peso"
        assert ax.get_ylabel() == "contagem"
    assert figure.get_suptitle() == "Pesos treináveis"
    figure = histograms(model, lang="en", bins=3)
    assert figure.get_suptitle() == "Trainable weights"
    assert figure.axes[0].get_xlabel() == "weight value"
    assert len(figure.axes[0].patches) == 3  # kernel: 20 values; Rice's rule would give 6


def test_histograms_gradients_of_one_batch_leave_weights_alone():
    treino.seed(1)
    x, y = small_data(n=16)
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    before = [v.data.copy() for v in model.trainable_weights]
    assert any(value != 0 for value in model.get_metrics_result().values())
    figure = histograms(model, kind="gradients", x=x, y=y, lang="en")
    for v, old in zip(model.trainable_weights, before, strict=True):
        np.testing.assert_array_equal(v.data, old)  # no update
    # Softmax + cross-entropy, mean over the batch: ∂L/∂b = mean(p − onehot(y)).
    p = model.predict(x, verbose=0)
    expected = (p - np.eye(3)[y]).mean(axis=0)
    np.testing.assert_allclose(model.trainable_weights[1].grad, expected, rtol=1e-4, atol=1e-6)
    assert all(value == 0 for value in model.get_metrics_result().values())  # trackers reset
    assert figure.get_suptitle() == "Gradients ∂L/∂w (one batch of 16 samples)"
    assert figure.axes[0].get_xlabel() == "gradient value"
    bias_ax = figure.axes[1]
    assert sum(patch.get_height() for patch in bias_ax.patches) == 3


def test_histograms_gradients_keep_batchnorm_statistics():
    treino.seed(2)
    x, y = small_data(n=16)
    model = Sequential([Input((4,)), Dense(4), BatchNormalization(),
                        Dense(3, activation="softmax")])  # fmt: skip
    model.compile("sgd", "sparse_categorical_crossentropy")
    moving = [w.data.copy() for w in model.non_trainable_weights]
    histograms(model, kind="gradients", x=x, y=y, lang="pt")
    for w, old in zip(model.non_trainable_weights, moving, strict=True):
        np.testing.assert_array_equal(w.data, old)
    assert all(v.grad is not None for v in model.trainable_weights)


def test_histograms_errors():
    treino.seed(3)
    model = Sequential([Input((4,)), Dense(2)])
    model(np.zeros((1, 4), dtype="float32"))  # built, never trained: no gradients
    with pytest.raises(ValueError, match="no variable has a gradient"):
        histograms(model, kind="gradients")
    with pytest.raises(ValueError, match="kind must be"):
        histograms(model, kind="biases")
    with pytest.raises(ValueError, match="both x and y"):
        histograms(model, kind="gradients", x=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="compile"):
        histograms(model, kind="gradients", x=np.zeros((2, 4)), y=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="bins"):
        histograms(model, bins=0)
    with pytest.raises(TypeError, match="treino model"):
        histograms("model")
    with pytest.raises(ValueError, match=".png"):
        histograms(model, save="pesos.jpg")


# ================================================================ lr_schedule
def test_lr_schedule_from_a_schedule(tmp_path):
    schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    path = tmp_path / "eta.png"
    figure = lr_schedule(schedule, steps=40, save=path, lang="pt")
    assert_png(path)
    assert len(figure.axes) == 1
    (line,) = figure.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(40))
    np.testing.assert_allclose(line.get_ydata(), [schedule(t) for t in range(40)])
    ax = figure.axes[0]
    assert ax.get_xlabel() == "passo t (atualizações do otimizador)"
    assert ax.get_ylabel() == "η (taxa de aprendizado)"
    assert ax.get_title() == "Taxa de aprendizado η — ExponentialDecay"
    figure = lr_schedule(schedule, steps=[0, 5, 20], lang="en")
    ax = figure.axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.1, 0.1 * 0.5**0.5, 0.025])
    assert ax.get_xlabel() == "step t (optimizer updates)"
    assert ax.get_ylabel() == "η (learning rate)"
    assert ax.get_title() == "Learning rate η — ExponentialDecay"


def test_lr_schedule_from_recorded_values_and_into_an_axes(trained):
    _, history, _, _ = trained
    figure = lr_schedule(history, lang="en")
    line = figure.axes[0].get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2])
    np.testing.assert_allclose(line.get_ydata(), history.history["learning_rate"])
    assert figure.axes[0].get_xlabel() == "epoch"
    assert figure.axes[0].get_title() == "Learning rate η"
    values = [0.1, 0.1, 0.05, 0.01]
    host = Figure()
    ax = host.subplots()
    assert lr_schedule(values, lang="pt", ax=ax) is host
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), values)
    steps = PiecewiseConstantDecay([2], [0.1, 0.01])
    np.testing.assert_allclose(lr_schedule(lambda t: steps(t), 4).axes[0].get_lines()[0]
                               .get_ydata(), [0.1, 0.1, 0.1, 0.01])  # fmt: skip


def test_lr_schedule_errors():
    schedule = ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(ValueError, match="pass steps"):
        lr_schedule(schedule)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        lr_schedule(schedule, 0)
    with pytest.raises(ValueError, match="steps is for a schedule"):
        lr_schedule([0.1, 0.2], steps=2)
    with pytest.raises(ValueError, match=r"no 'learning_rate'.*\['loss'\]"):
        lr_schedule({"loss": [1.0]})
    with pytest.raises(TypeError, match="expected a schedule"):
        lr_schedule("adam")
    with pytest.raises(ValueError, match="no learning-rate values"):
        lr_schedule([])
    with pytest.raises(TypeError, match="Axes"):
        lr_schedule([0.1], ax="axes")


# =========================================================== confusion_matrix
Y_TRUE = [0, 0, 1, 1, 1, 2, 2, 2, 2]
Y_PROBA = np.array([
    [0.8, 0.1, 0.1],  # 0 → 0
    [0.2, 0.7, 0.1],  # 0 → 1
    [0.1, 0.8, 0.1],  # 1 → 1
    [0.1, 0.6, 0.3],  # 1 → 1
    [0.5, 0.3, 0.2],  # 1 → 0
    [0.1, 0.1, 0.8],  # 2 → 2
    [0.2, 0.2, 0.6],  # 2 → 2
    [0.1, 0.5, 0.4],  # 2 → 1
    [0.3, 0.3, 0.4],  # 2 → 2
])  # fmt: skip
COUNTS = np.array([[1, 1, 0], [1, 2, 0], [0, 1, 3]])  # counted by hand from the comments


def cell_texts(ax):
    return [t.get_text() for t in ax.texts]


def test_confusion_matrix_counts(tmp_path):
    path = tmp_path / "confusao.png"
    figure = confusion_matrix(Y_TRUE, Y_PROBA, save=path, lang="en")
    assert_png(path)
    assert len(figure.axes) == 2  # the matrix and its colour bar
    ax = figure.axes[0]
    assert cell_texts(ax) == [str(c) for c in COUNTS.ravel()]
    np.testing.assert_array_equal(ax.images[0].get_array(), COUNTS)
    assert ax.get_title() == "Confusion matrix (accuracy 0.667)"  # 6 hits of 9
    assert ax.get_xlabel() == "predicted class"
    assert ax.get_ylabel() == "true class"
    assert figure.axes[1].get_ylabel() == "number of samples"
    # Labels give the same matrix as probabilities.
    same = confusion_matrix(Y_TRUE, Y_PROBA.argmax(axis=1), lang="en")
    assert cell_texts(same.axes[0]) == cell_texts(ax)


@pytest.mark.parametrize(
    "normalize, fractions",
    [
        ("true", COUNTS / COUNTS.sum(axis=1, keepdims=True)),
        ("pred", COUNTS / COUNTS.sum(axis=0, keepdims=True)),
        ("all", COUNTS / 9),
    ],
)
def test_confusion_matrix_normalized(normalize, fractions):
    figure = confusion_matrix(Y_TRUE, Y_PROBA, normalize=normalize, lang="pt")
    ax = figure.axes[0]
    assert cell_texts(ax) == [f"{v:.2f}".replace(".", ",") for v in fractions.ravel()]
    np.testing.assert_allclose(ax.images[0].get_array(), fractions)
    assert ax.get_title() == "Matriz de confusão (acurácia 0,667)"
    assert ax.get_xlabel() == "classe prevista"
    assert ax.get_ylabel() == "classe verdadeira"


def test_confusion_matrix_class_names_and_axes():
    names = ["gato", "cão", "peixe", "ave"]  # 'ave' has no sample: its row and column are 0
    host = Figure()
    ax = host.subplots()
    figure = confusion_matrix(Y_TRUE, Y_PROBA.argmax(axis=1), class_names=names,
                              normalize="true", lang="en", ax=ax)  # fmt: skip
    assert figure is host
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert cell_texts(ax)[-4:] == ["0.00"] * 4  # an empty row divides by nothing: 0
    assert len(cell_texts(ax)) == 16


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="normalize must be"):
        confusion_matrix(Y_TRUE, Y_PROBA, normalize="rows")
    with pytest.raises(ValueError, match=r"label 2, out of range.*class_names has 2 names"):
        confusion_matrix(Y_TRUE, Y_PROBA.argmax(axis=1), class_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names is empty"):
        confusion_matrix(Y_TRUE, Y_PROBA, class_names=[])


# ============================================================== misclassified
X_IMAGES = np.stack([np.full((4, 4), float(i)) for i in range(6)])  # image i is all i
Y_LABELS = [0, 1, 2, 0, 1, 2]
PROBS = np.array([
    [0.9, 0.05, 0.05],  # right
    [0.6, 0.3, 0.1],    # 1 → 0 at 60%
    [0.1, 0.1, 0.8],    # right
    [0.05, 0.9, 0.05],  # 0 → 1 at 90%
    [0.1, 0.8, 0.1],    # right
    [0.7, 0.2, 0.1],    # 2 → 0 at 70%
])  # fmt: skip


def shown_images(figure):
    return [ax.images[0].get_array() for ax in figure.axes]


def test_misclassified_most_confident_first(tmp_path):
    path = tmp_path / "erros.png"
    figure = misclassified(X_IMAGES, Y_LABELS, PROBS, save=path, lang="en")
    assert_png(path)
    assert len(figure.axes) == 3
    for image, index in zip(shown_images(figure), [3, 5, 1], strict=True):
        np.testing.assert_array_equal(image, X_IMAGES[index])
    assert [ax.get_title() for ax in figure.axes] == ["0 → 1 (90%)", "2 → 0 (70%)",
                                                      "1 → 0 (60%)"]  # fmt: skip
    assert figure.get_suptitle() == ("Model mistakes: 3 of 3 (out of 6 samples), "
                                     "most confident first")  # fmt: skip


def test_misclassified_labels_names_and_shapes():
    labels = PROBS.argmax(axis=1)
    names = ["camiseta", "calça", "bota"]
    flat = X_IMAGES.reshape(6, 16)
    figure = misclassified(flat, np.eye(3)[Y_LABELS], labels, class_names=names, lang="pt")
    for image, index in zip(shown_images(figure), [1, 3, 5], strict=True):  # data order
        np.testing.assert_array_equal(image, X_IMAGES[index])
    assert [ax.get_title() for ax in figure.axes] == [
        "calça →\ncamiseta", "camiseta →\ncalça", "bota →\ncamiseta",
    ]  # fmt: skip
    assert figure.get_suptitle() == "Erros do modelo: 3 de 3 (de 6 amostras)"
    channel = misclassified(X_IMAGES[..., None], Y_LABELS, PROBS, max_images=2, lang="pt")
    assert len(channel.axes) == 2
    assert [ax.get_title() for ax in channel.axes] == ["0 → 1 (90%)", "2 → 0 (70%)"]
    # Binary: one column of p(class 1).
    binary = misclassified(X_IMAGES[:3], [0, 1, 1], [0.8, 0.3, 0.9], lang="en")
    assert [ax.get_title() for ax in binary.axes] == ["0 → 1 (80%)", "1 → 0 (70%)"]
    sure = misclassified(X_IMAGES[:2], [0, 0], [[0.00004, 0.99996], [1.0, 0.0]], lang="en")
    assert [ax.get_title() for ax in sure.axes] == ["0 → 1 (99%)"]  # rounded down, not 100%


@pytest.mark.parametrize("lang, message", [
    ("pt", "Nenhum erro: o modelo acertou as 6 amostras."),
    ("en", "No mistakes: the model got all 6 samples right."),
])  # fmt: skip
def test_misclassified_without_mistakes(tmp_path, lang, message):
    path = tmp_path / "sem_erros.png"
    figure = misclassified(X_IMAGES, Y_LABELS, Y_LABELS, save=path, lang=lang)
    assert path.exists() and path.read_bytes()[:8] == PNG_MAGIC
    assert len(figure.axes) == 1
    assert cell_texts(figure.axes[0]) == [message]


def test_misclassified_errors():
    with pytest.raises(ValueError, match="perfect square"):
        misclassified(np.zeros((6, 15)), Y_LABELS, PROBS)
    with pytest.raises(ValueError, match="same number of samples"):
        misclassified(X_IMAGES[:5], Y_LABELS, PROBS)
    with pytest.raises(ValueError, match="max_images"):
        misclassified(X_IMAGES, Y_LABELS, PROBS, max_images=0)
    with pytest.raises(ValueError, match="class_names has 2 names"):
        misclassified(X_IMAGES, Y_LABELS, PROBS, class_names=["a", "b"])
    with pytest.raises(ValueError, match=r"expected images"):
        misclassified(np.zeros(6), Y_LABELS, PROBS)
