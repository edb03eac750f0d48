"""Bad input gets one clear error naming the op, the expected and the actual value."""

import re

import numpy as np
import pytest

import treino
from treino import ops


def f32(*shape):
    return treino.tensor(np.zeros(shape, dtype=np.float32))


def raises(error, *fragments):
    """pytest.raises whose message must contain every fragment (literally)."""
    return pytest.raises(error, match="(?s)" + ".*".join(re.escape(f) for f in fragments))


# ------------------------------------------------------------- matmul / linear


@pytest.mark.parametrize(
    ("a", "b"),
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5,), (4, 2)), ((7, 2, 3), (7, 4, 1))],
    ids=str,
)
def test_matmul_inner_dimension_mismatch(a, b):
    with raises(ValueError, "matmul", str(a), str(b), "inner dimensions"):
        ops.matmul(f32(*a), f32(*b))


def test_matmul_batch_dimensions_that_do_not_broadcast():
    with raises(ValueError, "matmul", "(2, 3, 4)", "(5, 4, 6)", "batch dimensions"):
        f32(2, 3, 4) @ f32(5, 4, 6)


def test_matmul_of_a_scalar():
    with raises(ValueError, "matmul", "at least 1 dimension"):
        ops.matmul(f32(), f32(3))


def test_linear_input_kernel_mismatch():
    with raises(ValueError, "linear", "(3, 4)", "(8, 5)", "(..., 3)"):
        ops.linear(f32(8, 5), f32(3, 4))


def test_linear_bad_kernel_and_bias():
    with raises(ValueError, "linear", "kernel must be 2-D", "(3,)"):
        ops.linear(f32(8, 3), f32(3))
    with raises(ValueError, "linear", "bias must have shape (4,)", "(3,)"):
        ops.linear(f32(8, 3), f32(3, 4), f32(3))


# ------------------------------------------------------------------- shapes


def test_reshape_impossible():
    with raises(ValueError, "reshape", "(2, 3)", "6 values", "(4, 2)"):
        ops.reshape(f32(2, 3), (4, 2))
    with raises(ValueError, "reshape", "(4, -1)"):
        f32(2, 3).reshape(4, -1)
    with raises(ValueError, "reshape", "(-1, -1)"):
        ops.reshape(f32(2, 3), (-1, -1))


def test_transpose_bad_axes():
    with raises(ValueError, "transpose", "(0, 0)", "(2, 3)"):
        ops.transpose(f32(2, 3), (0, 0))
    with raises(ValueError, "transpose", "(0, 1, 2)"):
        ops.transpose(f32(2, 3), (0, 1, 2))


def test_concatenate_mismatched():
    with raises(ValueError, "concatenate", "except on axis 0", "(2, 3)", "(2, 4)"):
        ops.concatenate([f32(2, 3), f32(2, 4)])
    with raises(ValueError, "concatenate", "(2, 3)", "(3,)"):
        ops.concatenate([f32(2, 3), f32(3)])
    with raises(ValueError, "concatenate", "0-d"):
        ops.concatenate([f32(), f32()])
    with raises(ValueError, "concatenate", "at least one tensor"):
        ops.concatenate([])
    with raises(ValueError, "axis 2 is out of range"):
        ops.concatenate([f32(2, 3), f32(2, 3)], axis=2)


def test_stack_mismatched():
    with raises(ValueError, "stack", "same shape", "(2, 3)", "(3, 2)"):
        ops.stack([f32(2, 3), f32(3, 2)])
    with raises(ValueError, "stack", "at least one tensor"):
        ops.stack([])


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("add", ops.add),
        ("subtract", lambda a, b: a - b),
        ("multiply", ops.multiply),
        ("divide", lambda a, b: a / b),
        ("maximum", ops.maximum),
        ("power", ops.power),
    ],
)
def test_binary_ops_that_cannot_broadcast(name, fn):
    with raises(ValueError, name, "(2, 3)", "(4,)", "cannot be broadcast"):
        fn(f32(2, 3), f32(4))
    with raises(ValueError, name, "(2, 3)", "(2,)"):
        fn(f32(2, 3), np.zeros(2))


def test_where_condition_that_cannot_broadcast():
    with raises(ValueError, "where", "(5,)", "(2, 3)"):
        ops.where(np.ones(5, dtype=bool), f32(2, 3), 0.0)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "logsumexp"])
def test_reduction_axis_out_of_range(name):
    with raises(ValueError, name, "axis 2", "2 dimensions"):
        getattr(ops, name)(f32(2, 3), axis=2)
    with raises(ValueError, name, "axis -3"):
        getattr(ops, name)(f32(2, 3), axis=(0, -3))


def test_reduction_of_a_scalar_accepts_axis_0_like_torch():
    x = treino.tensor(np.float32(2.5), requires_grad=True)
    y = ops.sum(x, axis=0)
    assert y.shape == () and y.item() == 2.5
    y.backward()
    assert x.grad == 1.0


def test_squeeze_expand_dims_broadcast_to():
    with raises(ValueError, "squeeze", "axis 1", "(1, 3, 1)", "length 1"):
        ops.squeeze(f32(1, 3, 1), axis=1)
    with raises(ValueError, "expand_dims", "axis 3", "(2, 3)"):
        ops.expand_dims(f32(2, 3), 3)
    with raises(ValueError, "broadcast_to", "(1, 3, 1)", "(2, 3)"):
        ops.broadcast_to(f32(1, 3, 1), (2, 3))
    with raises(ValueError, "broadcast_to", "(3,)", "(2, 4)"):
        ops.broadcast_to(f32(3), (2, 4))


def test_getitem_out_of_range_names_the_shape():
    with raises(IndexError, "getitem", "(2, 3)"):
        f32(2, 3)[5]


def test_pad_wrong_number_of_pairs():
    with raises(ValueError, "pad", "2 (before, after) pairs"):
        ops.pad(f32(2, 3), ((1, 1),))


# ---------------------------------------------------------- cross-entropy


def test_softmax_cross_entropy_labels_out_of_range():
    with raises(ValueError, "softmax_cross_entropy", "[0, 2]", "3 classes", "label 3"):
        ops.softmax_cross_entropy(f32(4, 3), np.array([0, 1, 3, 2]))
    with raises(ValueError, "softmax_cross_entropy", "label -1"):
        ops.softmax_cross_entropy(f32(2, 3), np.array([-1, 0]))


def test_softmax_cross_entropy_labels_of_the_wrong_shape():
    with raises(ValueError, "softmax_cross_entropy", "shape (4,)", "(4, 3)", "(5,)"):
        ops.softmax_cross_entropy(f32(4, 3), np.array([0, 1, 2, 0, 1]))
    with raises(ValueError, "softmax_cross_entropy", "(4, 2)"):
        ops.softmax_cross_entropy(f32(4, 3), np.zeros((4, 2)))


def test_softmax_cross_entropy_float_labels_with_fractions():
    with raises(ValueError, "softmax_cross_entropy", "whole numbers", "float64"):
        ops.softmax_cross_entropy(f32(3, 4), np.array([0.0, 1.5, 2.0]))
    with raises(ValueError, "softmax_cross_entropy", "whole numbers"):
        ops.softmax_cross_entropy(f32(2, 4), np.array([0.0, np.nan]))


def test_softmax_cross_entropy_string_or_bool_labels():
    with raises(TypeError, "softmax_cross_entropy", "integer class labels", "<U"):
        ops.softmax_cross_entropy(f32(2, 3), np.array(["cat", "dog"]))
    with raises(TypeError, "softmax_cross_entropy", "integer class labels", "bool"):
        ops.softmax_cross_entropy(f32(2, 3), np.array([True, False]))
    with raises(TypeError, "softmax_cross_entropy", "<U"):  # dense labels of strings
        ops.softmax_cross_entropy(f32(1, 2), np.array([["a", "b"]]))


def test_softmax_cross_entropy_bad_logits():
    with raises(ValueError, "softmax_cross_entropy", "class axis", "()"):
        ops.softmax_cross_entropy(f32(), 0)
    with raises(TypeError, "softmax_cross_entropy", "float logits", "int64"):
        ops.softmax_cross_entropy(treino.tensor([[1, 2]]), [0])
    with raises(TypeError, "sigmoid_binary_cross_entropy", "float logits", "int64"):
        ops.sigmoid_binary_cross_entropy(treino.tensor([1, 2]), [0.0, 1.0])
    with raises(ValueError, "softmax_cross_entropy", "axis 2", "(4, 3)"):
        ops.softmax_cross_entropy(f32(4, 3), np.zeros(4, dtype=int), axis=2)


def test_sigmoid_binary_cross_entropy_shape_mismatch():
    with raises(ValueError, "sigmoid_binary_cross_entropy", "(4,)", "(4, 1)"):
        ops.sigmoid_binary_cross_entropy(f32(4, 1), np.zeros(4))
    with raises(ValueError, "sigmoid_binary_cross_entropy", "(3, 2)", "(2, 3)"):
        ops.sigmoid_binary_cross_entropy(f32(2, 3), treino.tensor(np.zeros((3, 2), np.float32)))
    with raises(TypeError, "sigmoid_binary_cross_entropy", "<U"):
        ops.sigmoid_binary_cross_entropy(f32(2), np.array(["0", "1"]))


# ------------------------------------------------------------------- dropout


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_rate_out_of_range(rate):
    with raises(ValueError, "dropout", "[0, 1)", f"rate={rate}"):
        ops.dropout(f32(2, 3), rate)
    with raises(ValueError, "dropout"):  # checked even when it would be the identity
        ops.dropout(f32(2, 3), rate, training=False)


def test_dropout_bad_noise_shape():
    with raises(ValueError, "dropout", "noise_shape (2, 2)", "(2, 3)"):
        ops.dropout(f32(2, 3), 0.5, noise_shape=(2, 2))
    with raises(ValueError, "dropout", "noise_shape (1,)"):
        ops.dropout(f32(2, 3), 0.5, noise_shape=(1,))


# -------------------------------------------------------------- tensor input


@pytest.mark.parametrize(
    "data", [["a", "b"], "text", np.array(["1.0"]), [1.0, "x"], None, [1 + 2j]], ids=repr
)
def test_tensor_from_non_numbers(data):
    with raises(TypeError, "tensor: expected numbers"):
        treino.tensor(data)


def test_tensor_from_strings_with_a_dtype_still_says_why():
    with raises(TypeError, "tensor: expected numbers", "<U"):
        treino.tensor(["1.5"], dtype="float32")


def test_constant_operand_of_strings():
    with raises(TypeError, "add: expected numbers", "<U1"):
        f32(2) + np.array(["a", "b"])
    with raises(TypeError, "matmul: expected numbers"):
        ops.matmul(f32(2), np.array(["a", "b"]))
