"""treino.metrics against PyTorch: weighted metrics streamed over batches vs torch on all the data.

torch has no stateful Keras-style metrics, so each reference is the weighted
formula written in torch ops (``torch.nn.functional`` losses, ``argmax``,
``topk``, ``bincount``) on the concatenated data; treino streams the same data
in unequal batches.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from treino import metrics  # noqa: E402

F = torch.nn.functional
N, C = 57, 5
BOUNDS = [0, 5, 6, 30, 44, N]


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def _stream(metric, y_true, y_pred, weights):
    for start, stop in zip(BOUNDS[:-1], BOUNDS[1:], strict=True):
        metric.update_state(y_true[start:stop], y_pred[start:stop], weights[start:stop])
    return metric.result()


def _weighted_mean(values, weights):
    return (values * weights).sum().item() / weights.sum().item()


def _t(x):
    return torch.tensor(np.asarray(x, dtype=np.float64))


def test_mse_mae_rmse(rng):
    y, p, w = rng.normal(size=(N, 3)), rng.normal(size=(N, 3)), rng.uniform(size=N)
    mse = F.mse_loss(_t(p), _t(y), reduction="none").mean(-1)
    mae = F.l1_loss(_t(p), _t(y), reduction="none").mean(-1)
    np.testing.assert_allclose(
        _stream(metrics.MeanSquaredError(), y, p, w), _weighted_mean(mse, _t(w)), rtol=1e-12
    )
    np.testing.assert_allclose(
        _stream(metrics.MeanAbsoluteError(), y, p, w), _weighted_mean(mae, _t(w)), rtol=1e-12
    )
    np.testing.assert_allclose(
        _stream(metrics.RootMeanSquaredError(), y, p, w),
        np.sqrt(_weighted_mean(mse, _t(w))),
        rtol=1e-12,
    )


def test_categorical_and_sparse_accuracy(rng):
    labels, scores, w = rng.integers(0, C, N), rng.normal(size=(N, C)), rng.uniform(size=N)
    hits = (torch.argmax(_t(scores), dim=-1) == torch.tensor(labels)).double()
    expected = _weighted_mean(hits, _t(w))
    sparse = _stream(metrics.SparseCategoricalAccuracy(), labels, scores, w)
    one_hot = _stream(metrics.CategoricalAccuracy(), np.eye(C)[labels], scores, w)
    np.testing.assert_allclose([sparse, one_hot], [expected, expected], rtol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_accuracy(rng, k):
    labels, scores, w = rng.integers(0, C, N), rng.normal(size=(N, C)), rng.uniform(size=N)
    top = torch.topk(_t(scores), k, dim=-1).indices
    hits = (top == torch.tensor(labels)[:, None]).any(dim=-1).double()
    expected = _weighted_mean(hits, _t(w))
    sparse = _stream(metrics.SparseTopKCategoricalAccuracy(k=k), labels, scores, w)
    dense = _stream(metrics.TopKCategoricalAccuracy(k=k), np.eye(C)[labels], scores, w)
    np.testing.assert_allclose([sparse, dense], [expected, expected], rtol=1e-12)


def test_binary_accuracy_precision_recall(rng):
    y, p, w = rng.integers(0, 2, (N, 3)), rng.uniform(size=(N, 3)), rng.uniform(size=N)
    ty, tp_, tw = _t(y), _t(p), _t(w)
    predicted = (tp_ > 0.5).double()
    per_sample = (predicted == ty).double().mean(-1)
    np.testing.assert_allclose(
        _stream(metrics.BinaryAccuracy(), y, p, w), _weighted_mean(per_sample, tw), rtol=1e-12
    )
    entry_w = tw[:, None].expand_as(ty)
    true_pos = (predicted * ty * entry_w).sum()
    precision = (true_pos / (predicted * entry_w).sum()).item()
    recall = (true_pos / (ty * entry_w).sum()).item()
    np.testing.assert_allclose(_stream(metrics.Precision(), y, p, w), precision, rtol=1e-12)
    np.testing.assert_allclose(_stream(metrics.Recall(), y, p, w), recall, rtol=1e-12)


def test_crossentropies(rng):
    labels, logits, w = rng.integers(0, C, N), rng.normal(size=(N, C)), rng.uniform(size=N)
    probs = torch.softmax(_t(logits), dim=-1)
    nll = F.cross_entropy(_t(logits), torch.tensor(labels), reduction="none")
    expected = _weighted_mean(nll, _t(w))
    sparse = _stream(metrics.SparseCategoricalCrossentropy(), labels, probs.numpy(), w)
    logit_metric = metrics.CategoricalCrossentropy(from_logits=True)
    dense = _stream(logit_metric, np.eye(C)[labels], logits, w)
    np.testing.assert_allclose([sparse, dense], [expected, expected], rtol=1e-9)
    y, z = rng.integers(0, 2, (N, 1)), rng.normal(size=(N, 1))
    bce = F.binary_cross_entropy_with_logits(_t(z), _t(y), reduction="none").mean(-1)
    np.testing.assert_allclose(
        _stream(metrics.BinaryCrossentropy(from_logits=True), y, z, w),
        _weighted_mean(bce, _t(w)),
        rtol=1e-9,
    )


def test_confusion_matrix(rng):
    labels, scores, w = rng.integers(0, C, N), rng.normal(size=(N, C)), rng.uniform(size=N)
    predicted = torch.argmax(_t(scores), dim=-1)
    cells = torch.tensor(labels) * C + predicted
    expected = torch.bincount(cells, weights=_t(w), minlength=C * C).reshape(C, C).numpy()
    np.testing.assert_allclose(_stream(metrics.ConfusionMatrix(C), labels, scores, w), expected)
    counts = torch.bincount(cells, minlength=C * C).reshape(C, C).numpy()
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, scores, num_classes=C), counts)
