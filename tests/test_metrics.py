"""treino.metrics: hand-computed values, streaming == one shot, states, configs, resolve, errors."""

import json

import numpy as np
import pytest
from scipy import stats

import treino
from treino import losses, metrics

N, C = 40, 4
BATCHES = [0, 1, 8, 11, 12, 25, N]  # unequal batches: sizes 1, 7, 3, 1, 13, 15


def _rng(seed=0):
    return np.random.default_rng(seed)


def _one_hot(labels, n_classes=C):
    return np.eye(n_classes)[labels]


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------- data makers
def _binary(seed):
    rng = _rng(seed)
    return rng.integers(0, 2, size=(N, 1)), rng.uniform(size=(N, 1)).astype(np.float32)


def _binary_1d(seed):
    rng = _rng(seed)
    return rng.integers(0, 2, size=N).astype(float), rng.uniform(size=N)


def _multi_label(seed):
    rng = _rng(seed)
    return rng.integers(0, 2, size=(N, 3)), rng.uniform(size=(N, 3))


def _logits(seed):
    rng = _rng(seed)
    return rng.integers(0, 2, size=(N, 1)), 3 * rng.normal(size=(N, 1))


def _labels_pair(seed):
    rng = _rng(seed)
    return rng.integers(0, 3, size=(N, 1)), rng.integers(0, 3, size=(N, 1))


def _categorical(seed):
    rng = _rng(seed)
    return _one_hot(rng.integers(0, C, size=N)), _softmax(rng.normal(size=(N, C)))


def _sparse(seed):
    rng = _rng(seed)
    return rng.integers(0, C, size=N), _softmax(rng.normal(size=(N, C)))


def _sparse_column(seed):
    y, p = _sparse(seed)
    return y[:, None], p


def _regression(seed):
    rng = _rng(seed)
    return rng.normal(size=(N, 3)), rng.normal(size=(N, 3))


def _positive(seed):
    rng = _rng(seed)
    return rng.uniform(0.5, 2, size=(N, 3)), rng.uniform(0.5, 2, size=(N, 3))


def _values(seed):
    return None, _rng(seed).normal(size=N)


def _within_half(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred) < 0.5, axis=-1)


# Every metric with data it accepts. ``Mean`` and ``Sum`` take (values, weights).
CASES = {
    "Mean": (metrics.Mean, _values),
    "Sum": (metrics.Sum, _values),
    "MeanMetricWrapper": (lambda: metrics.MeanMetricWrapper(_within_half), _regression),
    "MeanMetricWrapper(losses.huber)": (
        lambda: metrics.MeanMetricWrapper(losses.huber, delta=0.5),
        _regression,
    ),
    "Accuracy": (metrics.Accuracy, _labels_pair),
    "BinaryAccuracy": (metrics.BinaryAccuracy, _binary),
    "BinaryAccuracy(1-D)": (metrics.BinaryAccuracy, _binary_1d),
    "BinaryAccuracy(multi-label)": (lambda: metrics.BinaryAccuracy(threshold=0.3), _multi_label),
    "CategoricalAccuracy": (metrics.CategoricalAccuracy, _categorical),
    "SparseCategoricalAccuracy": (metrics.SparseCategoricalAccuracy, _sparse),
    "SparseCategoricalAccuracy(N,1)": (metrics.SparseCategoricalAccuracy, _sparse_column),
    "TopKCategoricalAccuracy": (lambda: metrics.TopKCategoricalAccuracy(k=2), _categorical),
    "SparseTopKCategoricalAccuracy": (
        lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
        _sparse,
    ),
    "Precision": (metrics.Precision, _binary),
    "Precision(thresholds)": (lambda: metrics.Precision(thresholds=[0.2, 0.5, 0.8]), _binary),
    "Precision(top_k)": (lambda: metrics.Precision(top_k=2), _multi_label),
    "Recall": (metrics.Recall, _binary_1d),
    "Recall(class_id)": (lambda: metrics.Recall(class_id=1), _multi_label),
    "TruePositives": (metrics.TruePositives, _binary),
    "FalsePositives": (lambda: metrics.FalsePositives(thresholds=[0.3, 0.6]), _binary),
    "TrueNegatives": (metrics.TrueNegatives, _multi_label),
    "FalseNegatives": (metrics.FalseNegatives, _binary),
    "F1Score": (metrics.F1Score, _categorical),
    "F1Score(micro)": (lambda: metrics.F1Score(average="micro", threshold=0.5), _multi_label),
    "F1Score(macro)": (lambda: metrics.F1Score(average="macro"), _categorical),
    "F1Score(weighted)": (lambda: metrics.F1Score(average="weighted"), _categorical),
    "FBetaScore": (lambda: metrics.FBetaScore(beta=2.0, threshold=0.4), _multi_label),
    "AUC": (metrics.AUC, _binary),
    "AUC(PR)": (lambda: metrics.AUC(curve="PR"), _binary),
    "AUC(minoring)": (lambda: metrics.AUC(summation_method="minoring"), _binary_1d),
    "AUC(thresholds)": (lambda: metrics.AUC(thresholds=[0.1, 0.5, 0.7]), _binary),
    "AUC(from_logits)": (lambda: metrics.AUC(from_logits=True), _logits),
    "AUC(label_weights)": (lambda: metrics.AUC(label_weights=[1.0, 2.0, 0.5]), _multi_label),
    "AUC(multi_label)": (lambda: metrics.AUC(multi_label=True), _multi_label),
    "AUC(multi_label, PR)": (
        lambda: metrics.AUC(multi_label=True, curve="PR", num_labels=3, label_weights=[1, 2, 3]),
        _multi_label,
    ),
    "ConfusionMatrix": (lambda: metrics.ConfusionMatrix(num_classes=C), _sparse),
    "ConfusionMatrix(one-hot)": (lambda: metrics.ConfusionMatrix(C), _categorical),
    "ConfusionMatrix(binary)": (lambda: metrics.ConfusionMatrix(2), _binary),
    "MeanSquaredError": (metrics.MeanSquaredError, _regression),
    "MeanAbsoluteError": (metrics.MeanAbsoluteError, _regression),
    "RootMeanSquaredError": (metrics.RootMeanSquaredError, _regression),
    "RootMeanSquaredError(1-D)": (metrics.RootMeanSquaredError, _binary_1d),
    "MeanAbsolutePercentageError": (metrics.MeanAbsolutePercentageError, _positive),
    "MeanSquaredLogarithmicError": (metrics.MeanSquaredLogarithmicError, _positive),
    "BinaryCrossentropy": (metrics.BinaryCrossentropy, _binary),
    "BinaryCrossentropy(logits)": (lambda: metrics.BinaryCrossentropy(from_logits=True), _logits),
    "CategoricalCrossentropy": (
        lambda: metrics.CategoricalCrossentropy(label_smoothing=0.1),
        _categorical,
    ),
    "SparseCategoricalCrossentropy": (metrics.SparseCategoricalCrossentropy, _sparse),
}


def _update(metric, y_true, y_pred, sample_weight=None):
    if type(metric) in (metrics.Mean, metrics.Sum):  # update_state(values, sample_weight)
        metric.update_state(y_pred, sample_weight=sample_weight)
    else:
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)


def _rows(x, rows):
    return None if x is None else x[rows]


def _stream(metric, y_true, y_pred, weights, bounds=BATCHES):
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        rows = slice(start, stop)
        _update(metric, _rows(y_true, rows), y_pred[rows], _rows(weights, rows))
    return metric


def _close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol)


def _weights(seed=1):
    return _rng(seed).uniform(0, 2, size=N)


ALL = pytest.mark.parametrize("case", sorted(CASES))


# ------------------------------------------------------- streaming, state, config
@ALL
@pytest.mark.parametrize("weighted", [False, True])
def test_streaming_equals_one_shot(case, weighted):
    factory, data = CASES[case]
    y_true, y_pred = data(0)
    weights = _weights() if weighted else None
    whole = factory()
    _update(whole, y_true, y_pred, weights)
    streamed = _stream(factory(), y_true, y_pred, weights)
    _close(streamed.result(), whole.result())
    for key, value in whole.get_state().items():
        _close(streamed.get_state()[key], value)


@ALL
def test_states_of_two_halves_add_up_to_the_whole(case):
    factory, data = CASES[case]
    y_true, y_pred = data(3)
    weights = _weights(4)
    first, second, whole = factory(), factory(), factory()
    _update(first, _rows(y_true, slice(0, 17)), y_pred[:17], weights[:17])
    _update(second, _rows(y_true, slice(17, N)), y_pred[17:], weights[17:])
    _update(whole, y_true, y_pred, weights)
    a, b = first.get_state(), second.get_state()
    assert set(a) == set(whole.state_names)
    summed = {key: a[key] + b[key] + factory().get_state()[key] for key in a}  # + an idle worker
    for key, value in whole.get_state().items():
        _close(summed[key], value)
    fresh = factory()
    fresh.set_state(summed)
    _close(fresh.result(), whole.result())
    merged = factory()
    merged.merge_state([first, factory(), second])
    _close(merged.result(), whole.result())


@ALL
def test_reset_state(case):
    factory, data = CASES[case]
    y_true, y_pred = data(5)
    metric, fresh = factory(), factory()
    _update(metric, y_true, y_pred, _weights())
    metric.reset_state()
    for value in metric.variables:
        assert not np.any(value)
    _update(metric, y_true, y_pred)
    _update(fresh, y_true, y_pred)
    _close(metric.result(), fresh.result())


# A wrapper of a local function has no name to restore it by: see test_unregistered_function.
@pytest.mark.parametrize("case", sorted(set(CASES) - {"MeanMetricWrapper"}))
def test_config_round_trip(case):
    factory, data = CASES[case]
    metric = factory()
    config = metric.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = type(metric).from_config(config)
    assert rebuilt.get_config() == config
    restored = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(restored) is type(metric) and restored.get_config() == config
    y_true, y_pred = data(6)
    for m in (metric, restored):
        _update(m, y_true, y_pred, _weights())
    _close(restored.result(), metric.result())
    assert restored.name == metric.name


@ALL
def test_tensor_inputs_equal_numpy_inputs(case):
    factory, data = CASES[case]
    y_true, y_pred = data(7)
    a, b = factory(), factory()
    _update(a, y_true, y_pred)
    _update(b, None if y_true is None else treino.tensor(y_true), treino.tensor(y_pred))
    _close(a.result(), b.result(), rtol=1e-6)


@ALL
def test_result_is_a_float_or_an_array(case):
    factory, data = CASES[case]
    metric = factory()
    _update(metric, *data(8))
    result = metric.result()
    assert isinstance(result, float | np.ndarray)
    assert metric.name and isinstance(metric.name, str)


def test_default_names_are_keras_snake_case():
    expected = {
        metrics.Accuracy: "accuracy", metrics.BinaryAccuracy: "binary_accuracy",
        metrics.CategoricalAccuracy: "categorical_accuracy",
        metrics.SparseCategoricalAccuracy: "sparse_categorical_accuracy",
        metrics.TopKCategoricalAccuracy: "top_k_categorical_accuracy",
        metrics.SparseTopKCategoricalAccuracy: "sparse_top_k_categorical_accuracy",
        metrics.Precision: "precision", metrics.Recall: "recall", metrics.F1Score: "f1_score",
        metrics.FBetaScore: "fbeta_score", metrics.AUC: "auc",
        metrics.MeanSquaredError: "mean_squared_error",
        metrics.MeanAbsoluteError: "mean_absolute_error",
        metrics.RootMeanSquaredError: "root_mean_squared_error",
        metrics.TruePositives: "true_positives", metrics.Mean: "mean", metrics.Sum: "sum",
        metrics.BinaryCrossentropy: "binary_crossentropy",
    }  # fmt: skip
    for cls, name in expected.items():
        assert cls().name == name
    assert metrics.ConfusionMatrix(3).name == "confusion_matrix"
    assert metrics.MeanMetricWrapper(_within_half).name == "_within_half"


# ------------------------------------------------------------- hand-computed
def test_mean_gives_the_exact_per_sample_mean_over_unequal_batches():
    losses_per_sample = _rng().normal(size=23)
    tracker = metrics.Mean(name="loss")
    for batch in np.split(losses_per_sample, [8, 16]):  # 8, 8, 7
        tracker.update_state(float(batch.mean()), sample_weight=len(batch))
    assert tracker.result() == pytest.approx(losses_per_sample.mean(), rel=1e-12)
    assert metrics.Mean().result() == 0.0


def test_mean_and_sum_broadcast_weights_like_keras():
    values = np.array([[1.0, 3.0], [5.0, 7.0]])
    m = metrics.Mean()
    m.update_state(values, sample_weight=[1.0, 3.0])  # per-sample means 2 and 6
    assert m.result() == pytest.approx((2 + 18) / 4)
    m.reset_state()
    m.update_state(values, sample_weight=[[1.0, 0.0], [1.0, 1.0]])  # (1 + 5 + 7) / 3 entries
    assert m.result() == pytest.approx(((1 + 0) / 2 + (5 + 7) / 2) / (0.5 + 1.0))
    s = metrics.Sum()
    s.update_state(values, sample_weight=[1.0, 2.0])
    assert s.result() == 4 + 24


def test_accuracies_by_hand():
    acc = metrics.Accuracy()
    acc.update_state([1, 2, 3, 4], [0, 2, 3, 4])  # 1-D: each entry is one sample
    acc.update_state([5, 6], [5, 0])
    assert acc.result() == pytest.approx(4 / 6)
    binary = metrics.BinaryAccuracy()
    binary.update_state([[1, 0], [1, 1]], [[0.7, 0.5], [0.2, 0.9]])  # 0.5 is not > 0.5
    assert binary.result() == pytest.approx((1.0 + 0.5) / 2)
    logits = metrics.BinaryAccuracy(threshold=0.0)
    logits.update_state([1, 0, 1], [2.0, -1.0, -0.5])
    assert logits.result() == pytest.approx(2 / 3)
    top2 = metrics.SparseTopKCategoricalAccuracy(k=2)
    top2.update_state([0, 1, 2], [[0.5, 0.3, 0.2], [0.5, 0.2, 0.3], [0.4, 0.3, 0.3]])
    assert top2.result() == pytest.approx(2 / 3)  # the tie at rank 2 counts in, as Keras
    cat = metrics.CategoricalAccuracy()
    cat.update_state([[0, 1], [1, 0]], [[0.5, 0.5], [0.5, 0.5]])  # ties: argmax is the first
    assert cat.result() == 0.5


def test_accuracy_functions_give_per_sample_values():
    assert metrics.binary_accuracy([[1, 0], [0, 0]], [[0.9, 0.1], [0.6, 0.6]]).tolist() == [1, 0]
    assert metrics.sparse_categorical_accuracy([[1], [0]], [[0.2, 0.8], [0.3, 0.7]]).shape == (2,)
    values = metrics.sparse_top_k_categorical_accuracy(
        [2, 0], [[0.1, 0.2, 0.7], [0.1, 0.2, 0.7]], 2
    )
    assert values.tolist() == [1.0, 0.0]


def test_precision_recall_by_hand():
    y_true = np.array([1, 1, 0, 0, 1, 0])
    y_pred = np.array([0.9, 0.4, 0.6, 0.1, 0.55, 0.5])
    w = np.array([1.0, 2.0, 3.0, 1.0, 1.0, 4.0])
    p = metrics.Precision(thresholds=[0.3, 0.5, 0.7])
    p.update_state(y_true, y_pred, sample_weight=w)
    tp = [1 + 2 + 1, 1 + 1, 1]
    fp = [3 + 4, 3, 0]
    _close(p.result(), np.array(tp) / (np.array(tp) + np.array(fp)))
    r = metrics.Recall()
    r.update_state(y_true, y_pred, sample_weight=w)
    assert r.result() == pytest.approx(2 / 4)
    assert metrics.Precision().result() == 0.0  # nothing predicted positive: 0, not NaN


def test_precision_top_k_and_class_id():
    y_true = [[0, 1, 1, 0], [1, 0, 0, 1]]
    y_pred = [[0.1, 0.8, 0.3, 0.6], [0.9, 0.2, 0.4, 0.3]]
    top = metrics.Precision(top_k=2)  # kept: {1, 3} and {0, 2}
    top.update_state(y_true, y_pred)
    assert top.result() == pytest.approx(2 / 4)
    recall = metrics.Recall(class_id=3)  # column 3: labels [0, 1], predictions [0.6, 0.3]
    recall.update_state(y_true, y_pred)
    assert recall.result() == 0.0
    precision = metrics.Precision(class_id=3)
    precision.update_state(y_true, y_pred)
    assert precision.result() == 0.0


def test_f1_scores_by_hand():
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
    y_pred = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]]
    )  # argmax rows: 0, 1, 0, 2, 0 (the tie [0.4, 0.4] predicts both 0 and 1)
    tp, fp, fn = np.array([2, 1, 0.0]), np.array([1, 1, 1.0]), np.array([0, 1, 1.0])
    eps = 1e-7
    precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
    per_class = 2 * precision * recall / (precision + recall + eps)
    f1 = metrics.F1Score()
    f1.update_state(y_true, y_pred)
    _close(f1.result(), per_class)
    macro = metrics.F1Score(average="macro")
    macro.update_state(y_true, y_pred)
    assert macro.result() == pytest.approx(per_class.mean())
    weighted = metrics.F1Score(average="weighted")
    weighted.update_state(y_true, y_pred)
    assert weighted.result() == pytest.approx(np.sum(per_class * [2, 2, 1]) / 5)
    micro = metrics.F1Score(average="micro")
    micro.update_state(y_true, y_pred)
    p, r = 3 / (3 + 3 + eps), 3 / (3 + 2 + eps)
    assert micro.result() == pytest.approx(2 * p * r / (p + r + eps))


def _mann_whitney_auc(y, scores, weights=None):
    """Exact ROC AUC: P(score of a positive > score of a negative), ties counting ½."""
    if weights is None:
        u = stats.mannwhitneyu(scores[y == 1], scores[y == 0]).statistic
        return u / ((y == 1).sum() * (y == 0).sum())
    pos, neg = y == 1, y == 0
    diff = scores[pos][:, None] - scores[neg][None, :]
    wins = (diff > 0) + 0.5 * (diff == 0)
    pair_weights = weights[pos][:, None] * weights[neg][None, :]
    return np.sum(wins * pair_weights) / np.sum(pair_weights)


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_approaches_the_exact_rank_auc(weighted):
    rng = _rng(11)
    y = rng.integers(0, 2, size=500)
    scores = 1 / (1 + np.exp(-(rng.normal(size=500) + 1.2 * y)))
    weights = rng.uniform(0.1, 2, size=500) if weighted else None
    exact = _mann_whitney_auc(y, scores, weights)
    m = metrics.AUC(num_thresholds=2000)
    _stream(m, y, scores, weights, bounds=[0, 100, 123, 400, 500])
    assert m.result() == pytest.approx(exact, abs=1e-3)
    coarse = metrics.AUC(num_thresholds=3, summation_method="minoring")
    coarse.update_state(y, scores, sample_weight=weights)
    assert coarse.result() <= m.result()


def test_pr_auc_approaches_average_precision():
    rng = _rng(12)
    y = rng.integers(0, 2, size=2000)
    scores = 1 / (1 + np.exp(-(rng.normal(size=2000) + 1.5 * y)))
    order = np.argsort(-scores)
    hits = y[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(y) + 1)
    average_precision = np.sum(precision_at * hits) / hits.sum()
    m = metrics.AUC(curve="PR", num_thresholds=1000)
    m.update_state(y, scores)
    assert m.result() == pytest.approx(average_precision, abs=5e-3)


def test_multi_label_auc_is_the_mean_of_the_label_aucs():
    y_true, y_pred = _multi_label(13)
    per_label = []
    for j in range(3):
        single = metrics.AUC()
        single.update_state(y_true[:, j], y_pred[:, j])
        per_label.append(single.result())
    m = metrics.AUC(multi_label=True)
    m.update_state(y_true, y_pred)
    assert m.result() == pytest.approx(np.mean(per_label))
    weighted = metrics.AUC(multi_label=True, label_weights=[1, 0, 3])
    weighted.update_state(y_true, y_pred)
    assert weighted.result() == pytest.approx((per_label[0] + 3 * per_label[2]) / 4)
    assert metrics.AUC(multi_label=True).result() == 0.0


def test_auc_from_logits_equals_auc_of_sigmoid():
    y, logits = _logits(14)
    a, b = metrics.AUC(from_logits=True), metrics.AUC()
    a.update_state(y, logits)
    b.update_state(y, 1 / (1 + np.exp(-logits)))
    assert a.result() == pytest.approx(b.result())


def test_confusion_matrix_against_scipy_sparse():
    from scipy.sparse import coo_matrix

    rng = _rng(15)
    y_true, y_pred, w = rng.integers(0, 5, 60), rng.integers(0, 5, 60), rng.uniform(size=60)
    expected = coo_matrix((w, (y_true, y_pred)), shape=(5, 5)).toarray()
    _close(metrics.confusion_matrix(y_true, y_pred, num_classes=5, sample_weight=w), expected)
    counts = metrics.confusion_matrix(y_true, y_pred)
    assert counts.dtype == np.int64 and counts.sum() == 60
    _close(counts, coo_matrix((np.ones(60), (y_true, y_pred)), shape=(5, 5)).toarray())
    m = metrics.ConfusionMatrix(5)
    _stream(m, y_true, y_pred, w, bounds=[0, 7, 9, 60])
    _close(m.result(), expected)


def test_confusion_matrix_rows_are_true_classes():
    cm = metrics.confusion_matrix([0, 0, 1], [1, 1, 1], num_classes=2)
    assert cm.tolist() == [[0, 2], [0, 1]]
    one_hot = metrics.confusion_matrix(np.eye(3)[[0, 2]], [[0.1, 0.8, 0.1], [0, 0, 1]])
    assert one_hot.tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 1]]
    binary = metrics.confusion_matrix([[1], [0], [1]], [[0.7], [0.2], [0.5]])
    assert binary.tolist() == [[1, 0], [1, 1]]


def test_regression_metrics_by_hand():
    y_true, y_pred = _regression(16)
    w = _weights(17)
    per_sample_se = np.mean((y_pred - y_true) ** 2, axis=-1)
    mse, rmse, mae = metrics.MeanSquaredError(), metrics.RootMeanSquaredError(), metrics.get("mae")
    for m in (mse, rmse, mae):
        m.update_state(y_true, y_pred, sample_weight=w)
    assert mse.result() == pytest.approx(np.sum(w * per_sample_se) / w.sum())
    assert rmse.result() == pytest.approx(np.sqrt(np.sum(w * per_sample_se) / w.sum()))
    per_sample_ae = np.mean(np.abs(y_pred - y_true), axis=-1)
    assert mae.result() == pytest.approx(np.sum(w * per_sample_ae) / w.sum())


def test_crossentropy_metrics_by_hand():
    y_true, y_pred = _sparse(18)
    sparse = metrics.SparseCategoricalCrossentropy()
    sparse.update_state(y_true, y_pred)
    expected = -np.mean(np.log(y_pred[np.arange(N), y_true]))
    assert sparse.result() == pytest.approx(expected)
    categorical = metrics.CategoricalCrossentropy()
    categorical.update_state(_one_hot(y_true), y_pred)
    assert categorical.result() == pytest.approx(expected)
    y, p = _binary_1d(19)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    binary = metrics.BinaryCrossentropy()
    binary.update_state(y, p)
    assert binary.result() == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_float32_state_and_integer_inputs():
    m = metrics.Mean(dtype="float32")
    m.update_state(np.array([1, 2, 3], dtype=np.int32))
    assert m.total.dtype == np.float32 and m.result() == 2.0
    assert m.get_config()["dtype"] == "float32"
    acc = metrics.SparseCategoricalAccuracy()
    acc.update_state(np.array([1, 0], dtype=np.uint8), np.array([[0, 1], [1, 0]], dtype=np.int64))
    assert acc.result() == 1.0


def test_call_updates_and_returns_the_result():
    m = metrics.BinaryAccuracy()
    assert m([1, 0], [0.9, 0.8]) == 0.5
    assert m([1], [0.9]) == pytest.approx(2 / 3)


# ---------------------------------------------------------------- get, resolve
def test_get():
    assert type(metrics.get("acc")) is metrics.Accuracy
    assert type(metrics.get("accuracy")) is metrics.Accuracy
    assert type(metrics.get("mse")) is metrics.MeanSquaredError
    assert type(metrics.get("rmse")) is metrics.RootMeanSquaredError
    assert type(metrics.get("auc")) is metrics.AUC
    assert type(metrics.get("precision")) is metrics.Precision
    assert type(metrics.get("recall")) is metrics.Recall
    assert type(metrics.get("f1_score")) is metrics.F1Score
    assert type(metrics.get("SparseTopKCategoricalAccuracy")) is (
        metrics.SparseTopKCategoricalAccuracy
    )
    m = metrics.Recall()
    assert metrics.get(m) is m and metrics.get(None) is None
    assert type(metrics.get(metrics.AUC)) is metrics.AUC
    config = {"class_name": "AUC", "config": {"curve": "PR"}}
    assert metrics.get(config).curve == "PR"
    wrapped = metrics.get(_within_half)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "_within_half"
    function = metrics.get({"class_name": "function", "config": "binary_accuracy"})
    assert (
        isinstance(function, metrics.MeanMetricWrapper) and function.fn is metrics.binary_accuracy
    )


@pytest.mark.parametrize(
    ("loss", "output_shape", "expected"),
    [
        ("sparse_categorical_crossentropy", (None, 10), metrics.SparseCategoricalAccuracy),
        ("SparseCategoricalCrossentropy", None, metrics.SparseCategoricalAccuracy),
        (losses.SparseCategoricalCrossentropy(from_logits=True), (None, 3),
         metrics.SparseCategoricalAccuracy),
        (losses.sparse_categorical_crossentropy, (None, 3), metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", (None, 10), metrics.CategoricalAccuracy),
        (losses.CategoricalCrossentropy(), (None, 10), metrics.CategoricalAccuracy),
        ("binary_crossentropy", (None, 3), metrics.BinaryAccuracy),
        ("bce", None, metrics.BinaryAccuracy),
        (losses.BinaryCrossentropy(), (None, 1), metrics.BinaryAccuracy),
        ("mse", (None, 1), metrics.BinaryAccuracy),
        ("hinge", (None,), metrics.BinaryAccuracy),
        ("mse", (None, 4), metrics.CategoricalAccuracy),
        (None, (None, 4), metrics.CategoricalAccuracy),
        (losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy), (None, 4),
         metrics.SparseCategoricalAccuracy),
    ],
)  # fmt: skip
@pytest.mark.parametrize("identifier", ["accuracy", "acc", "ACC"])
def test_resolve_accuracy(loss, output_shape, expected, identifier):
    metric = metrics.resolve(identifier, loss=loss, output_shape=output_shape)
    assert type(metric) is expected
    assert metric.name == identifier


def test_resolve_uses_the_losses_from_logits():
    metric = metrics.resolve("accuracy", loss=losses.BinaryCrossentropy(from_logits=True))
    assert type(metric) is metrics.BinaryAccuracy and metric.get_config()["threshold"] == 0.0
    ce = metrics.resolve("ce", loss=losses.BinaryCrossentropy(from_logits=True))
    assert type(ce) is metrics.BinaryCrossentropy and ce.get_config()["from_logits"] is True
    assert ce.name == "ce"


@pytest.mark.parametrize(
    ("loss", "output_shape", "expected"),
    [
        ("sparse_categorical_crossentropy", (None, 5), metrics.SparseCategoricalCrossentropy),
        ("categorical_crossentropy", (None, 5), metrics.CategoricalCrossentropy),
        ("binary_crossentropy", (None, 1), metrics.BinaryCrossentropy),
        ("mse", (None, 1), metrics.BinaryCrossentropy),
    ],
)
def test_resolve_crossentropy(loss, output_shape, expected):
    metric = metrics.resolve("crossentropy", loss=loss, output_shape=output_shape)
    assert type(metric) is expected and metric.name == "crossentropy"


def test_resolve_other_identifiers():
    mse = metrics.resolve("mse", loss="mse", output_shape=(None, 1))
    assert type(mse) is metrics.MeanSquaredError and mse.name == "mse"
    auc = metrics.AUC(name="my_auc")
    assert metrics.resolve(auc) is auc
    assert metrics.resolve(None) is None
    assert metrics.resolve(metrics.Precision).name == "precision"
    assert metrics.resolve(_within_half).name == "_within_half"


# --------------------------------------------------------------- serialization
def test_wrapper_of_a_registered_function_round_trips():
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.3)
    config = metrics.serialize(m)
    assert config["config"]["fn"] == "binary_accuracy"
    restored = metrics.deserialize(json.loads(json.dumps(config)))
    assert restored.fn is metrics.binary_accuracy and restored.get_config() == m.get_config()
    mse = metrics.MeanMetricWrapper(losses.mean_squared_error)
    assert metrics.deserialize(metrics.serialize(mse)).fn is losses.mean_squared_error
    assert metrics.serialize(losses.huber) == {"class_name": "function", "config": "huber"}


def test_unregistered_function():
    with pytest.raises(ValueError, match="Cannot serialize the metric function '_within_half'"):
        metrics.serialize(metrics.MeanMetricWrapper(_within_half))
    restored = metrics.deserialize(
        {"class_name": "MeanMetricWrapper", "config": {"fn": "_within_half", "name": "w"}},
        custom_objects={"_within_half": _within_half},
    )
    assert restored.fn is _within_half and restored.name == "w"


def test_custom_metric_class_through_custom_objects():
    class Count(metrics.Sum):
        pass

    config = metrics.serialize(Count(name="n"))
    assert metrics.deserialize(config, custom_objects={"Count": Count}).name == "n"
    with pytest.raises(ValueError, match="Unknown metric: 'Count'"):
        metrics.deserialize(config)


def test_get_state_is_a_copy_and_set_state_checks():
    m = metrics.Precision(thresholds=[0.2, 0.8])
    m.update_state([1, 0], [0.9, 0.5])
    state = m.get_state()
    state["true_positives"][:] = 99
    assert m.true_positives.tolist() == [1, 1]
    with pytest.raises(ValueError, match=r"expected a dict with keys \['true_positives'"):
        m.set_state({"true_positives": np.zeros(2)})
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        m.set_state({"true_positives": np.zeros(3), "false_positives": np.zeros(3)})
    f1 = metrics.F1Score()
    with pytest.raises(ValueError, match="0-d zeros"):
        f1.set_state({k: np.ones(()) for k in f1.state_names})
    f1.set_state({k: np.ones(3) for k in f1.state_names})
    with pytest.raises(ValueError, match="has counted 3 classes; received y_pred with 2"):
        f1.update_state([[0, 1]], [[0.2, 0.8]])
    with pytest.raises(ValueError, match="same class"):
        m.merge_state([metrics.Recall()])


# ------------------------------------------------------------------------ errors
def _unchanged(metric, call):
    before = metric.get_state()
    call()
    for key, value in metric.get_state().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred", "match"),
    [
        (metrics.SparseCategoricalAccuracy(), [0, 1, 2], [[0.1, 0.9]] * 4,
         r"SparseCategoricalAccuracy: y_true and y_pred must have the same number of samples.*"
         r"y_true.shape=\(3,\) and y_pred.shape=\(4, 2\)"),
        (metrics.SparseCategoricalAccuracy(), [0, 2], [[0.1, 0.9]] * 2,
         r"SparseCategoricalAccuracy: y_true holds the label 2, out of range: expected labels "
         r"in \[0, 1\] for 2 classes"),
        (metrics.SparseTopKCategoricalAccuracy(k=1), [0, -1], [[0.1, 0.9]] * 2, "label -1"),
        (metrics.SparseCategoricalAccuracy(), [0.5, 1], [[0.1, 0.9]] * 2, "non-integer"),
        (metrics.SparseCategoricalAccuracy(), [[0, 1]] * 2, [[0.1, 0.9]] * 2,
         r"expected integer labels y_true of shape \(2,\)"),
        (metrics.CategoricalAccuracy(), [0, 1], [[0.1, 0.9]] * 2,
         "expected one-hot y_true.*use the Sparse"),
        (metrics.BinaryAccuracy(), [[0, 1]], [[0.5, np.nan]],
         r"BinaryAccuracy: y_pred contains NaN \(first at index \(0, 1\)\)"),
        (metrics.Precision(), [1, 0, 1], [[0.2, 0.3, 0.5]] * 3,
         r"Precision: expected y_true and y_pred of the same shape"),
        (metrics.AUC(), [1, np.nan], [0.2, 0.3], "y_true contains NaN"),
        (metrics.MeanSquaredError(), [[1.0, 2.0]], [[1.0, 2.0, 3.0]],
         "MeanSquaredError: expected y_true and y_pred of the same shape"),
        (metrics.ConfusionMatrix(3), [0, 3], [0, 1], "ConfusionMatrix: y_true holds the label 3"),
        (metrics.ConfusionMatrix(3), [0, 1], [[0.5, 0.5]] * 2, "y_pred has 2 columns; expected 3"),
        (metrics.F1Score(), [1, 0], [0.3, 0.2], r"expected inputs of shape \(num_samples, num_"),
        (metrics.AUC(multi_label=True, num_labels=2), [[1, 0, 1]], [[0.2, 0.3, 0.4]],
         "expected y_pred with 2 labels"),
        (metrics.Recall(class_id=2), [[1, 0]], [[0.2, 0.3]], "class_id=2 needs y_pred"),
        (metrics.BinaryCrossentropy(), [[1, 0]], [[0.2, 0.3, 0.1]], "BinaryCrossentropy: expected"),
        (metrics.SparseCategoricalCrossentropy(), [3], [[0.2, 0.8]], "label 3, out of range"),
    ],
)  # fmt: skip
def test_bad_inputs_raise_before_the_state_changes(metric, y_true, y_pred, match):
    def call():
        with pytest.raises(ValueError, match=match):
            metric.update_state(y_true, y_pred)

    _unchanged(metric, call)


@pytest.mark.parametrize("case", ["SparseCategoricalAccuracy", "Precision", "AUC", "F1Score",
                                  "ConfusionMatrix", "MeanSquaredError"])  # fmt: skip
def test_bad_sample_weight_leaves_the_state_unchanged(case):
    factory, data = CASES[case]
    metric = factory()
    y_true, y_pred = data(20)
    _update(metric, y_true, y_pred)

    def call():
        with pytest.raises(ValueError, match=f"{type(metric).__name__}: sample_weight"):
            metric.update_state(y_true, y_pred, sample_weight=np.ones(N + 1))
        with pytest.raises(ValueError, match="sample_weight must be finite"):
            metric.update_state(y_true, y_pred, sample_weight=np.full(N, np.nan))

    _unchanged(metric, call)


def test_non_numeric_inputs():
    with pytest.raises(TypeError, match="BinaryAccuracy: y_true must hold numbers"):
        metrics.BinaryAccuracy().update_state(["a", "b"], [0.1, 0.2])
    with pytest.raises(ValueError, match="y_pred is None"):
        metrics.Precision().update_state([1], None)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"thresholds must be .* in \[0, 1\]"),
        (lambda: metrics.Recall(top_k=0), "top_k must be a positive integer"),
        (lambda: metrics.Precision(class_id=-1), "class_id must be a non-negative integer"),
        (lambda: metrics.TopKCategoricalAccuracy(k=0), "k must be a positive integer"),
        (lambda: metrics.F1Score(average="samples"), "average must be one of"),
        (lambda: metrics.F1Score(threshold=0.0), r"threshold must be a number in \]0.0, 1.0\]"),
        (lambda: metrics.FBetaScore(beta=-1.0), "beta must be a number > 0"),
        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds must be an integer > 1"),
        (lambda: metrics.AUC(curve="ROCK"), "curve must be one of"),
        (lambda: metrics.AUC(summation_method="simpson"), "summation_method must be one of"),
        (lambda: metrics.AUC(num_labels=3), "num_labels is needed only when multi_label=True"),
        (lambda: metrics.AUC(label_weights=[1, -1]), "label_weights must be"),
        (lambda: metrics.ConfusionMatrix(0), "num_classes must be a positive integer"),
        (lambda: metrics.Mean(dtype="int32"), "dtype must be 'float32' or 'float64'"),
        (lambda: metrics.get("accuracy_score"), "Unknown metric: 'accuracy_score'. Valid names"),
        (lambda: metrics.get("confusion_matrix"), "ConfusionMatrix needs arguments"),
        (lambda: metrics.get(42), "Could not interpret metric identifier: 42"),
        (lambda: metrics.deserialize({"config": {}}), "metric config must be a name or a dict"),
        (lambda: metrics.BinaryAccuracy(threshold="half"), "threshold must be a number"),
    ],
)
def test_bad_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_auc_and_f1_accept_label_weights_and_strings_case_insensitively():
    m = metrics.AUC(curve="pr", summation_method="Majoring")
    assert (m.curve, m.summation_method) == ("PR", "majoring")
    assert metrics.AUC(thresholds=[0.7, 0.2]).thresholds[1:-1] == [0.2, 0.7]
