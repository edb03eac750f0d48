"""The dtype policy and the single seeded generator."""

import numpy as np
import pytest

import treino
from treino import backend
from treino.variables import Variable


def test_floatx_default_and_switch():
    assert backend.floatx() == "float32"
    assert treino.tensor([1.0, 2.0]).dtype == np.float32
    backend.set_floatx("float64")
    try:
        assert treino.tensor([1.0]).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_set_floatx_rejects_other_dtypes():
    with pytest.raises(ValueError, match="float16"):
        backend.set_floatx("float16")


def test_numpy_arrays_keep_their_float_dtype():
    assert treino.tensor(np.zeros(3, dtype=np.float64)).dtype == np.float64
    assert treino.tensor(np.zeros(3, dtype=np.int64)).dtype == np.int64


def test_seed_makes_the_shared_generator_repeatable():
    treino.seed(123)
    a = backend.get_rng().random(5)
    treino.seed(123)
    b = backend.get_rng().random(5)
    np.testing.assert_array_equal(a, b)
    treino.seed(124)
    assert not np.array_equal(a, backend.get_rng().random(5))


def test_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="integer"):
        treino.seed(1.5)


def test_make_rng_uses_own_seed_or_the_shared_generator():
    assert backend.make_rng(None) is backend.get_rng()
    np.testing.assert_array_equal(backend.make_rng(7).random(3), backend.make_rng(7).random(3))
    g = np.random.default_rng(0)
    assert backend.make_rng(g) is g


def test_seed_does_not_touch_numpy_global_state():
    np.random.seed(5)  # noqa: NPY002 - checking we leave the legacy global alone
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(5)  # noqa: NPY002 - checking we leave the legacy global alone
    treino.seed(0)
    backend.get_rng().random(10)
    assert np.random.random() == expected  # noqa: NPY002


def test_result_float_dtype_refuses_mixed_widths():
    assert backend.result_float_dtype("add", np.float32, np.int64) == np.float32
    with pytest.raises(TypeError, match="add: operands have different float dtypes"):
        backend.result_float_dtype("add", np.float32, np.float64)


def test_variable_assign_checks_shape_and_keeps_dtype():
    v = Variable(np.zeros((2, 2), dtype=np.float32), name="kernel", path="dense/kernel")
    v.assign(np.ones((2, 2)))
    assert v.dtype == np.float32 and v.data.sum() == 4
    with pytest.raises(ValueError, match=r"dense/kernel.*\(3,\).*\(2, 2\)"):
        v.assign(np.ones(3))
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
