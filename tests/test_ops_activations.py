"""cnnlab/ops/activations.py and cnnlab/ops/losses.py: values, stability, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnlab as cl
from cnnlab import reference as ref
from cnnlab.activations import relu_backward
from cnnlab.gradcheck import numerical_gradient, relative_error
from cnnlab.losses import cross_entropy_backward


def test_relu_values_and_reference():
    x = np.array([[-2.0, 0.0, 3.5], [1.0, -0.1, 0.0]])
    np.testing.assert_array_equal(cl.relu(x), [[0, 0, 3.5], [1, 0, 0]])
    np.testing.assert_array_equal(ref.relu(x), cl.relu(x))
    np.testing.assert_array_equal(relu_backward(np.ones_like(x), x), [[0, 0, 1], [1, 0, 0]])
    assert cl.relu(np.ones(3, np.float32)).dtype == np.float32


def test_sigmoid_and_tanh_known_values_and_no_overflow():
    np.testing.assert_allclose(cl.sigmoid([0.0, np.log(3.0)]), [0.5, 0.75])
    with np.errstate(over="raise"):
        np.testing.assert_allclose(cl.sigmoid([-1000.0, 1000.0]), [0.0, 1.0])
    np.testing.assert_allclose(cl.tanh([0.0, 1.0]), [0.0, (np.e - 1 / np.e) / (np.e + 1 / np.e)])


def test_softmax_known_values_and_stability():
    np.testing.assert_allclose(cl.softmax([np.log(1.0), np.log(3.0)]), [0.25, 0.75])
    with np.errstate(over="raise"):
        np.testing.assert_allclose(cl.softmax([[1000.0, 1001.0]]), [[1 / (1 + np.e), np.e / (1 + np.e)]])
    z = np.random.default_rng(0).normal(size=(3, 4, 5))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(cl.softmax(z, axis=axis).sum(axis=axis), 1.0)
        np.testing.assert_allclose(cl.softmax(z, axis=axis), ref.softmax(z, axis=axis))


@given(seed=st.integers(0, 2**16), shift=st.floats(-50, 50))
def test_softmax_ignores_a_constant_shift(seed, shift):
    z = np.random.default_rng(seed).normal(size=(2, 6))
    by_definition = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)   # z is small: no overflow
    np.testing.assert_allclose(cl.softmax(z + shift), by_definition, atol=1e-12)


def test_cross_entropy_hand_computed():
    # two equal scores: -log(1/2); a confident right answer: about 0
    assert cl.cross_entropy([[0.0, 0.0]], [1]) == pytest.approx(np.log(2))
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]])
    labels = np.array([0, 2])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    expected = -(np.log(p[0, 0]) + np.log(p[1, 2])) / 2
    assert cl.cross_entropy(logits, labels) == pytest.approx(expected)
    assert ref.cross_entropy(logits, labels) == pytest.approx(expected)
    assert np.isfinite(cl.cross_entropy([[1000.0, -1000.0]], [1]))   # log(0) never taken


def test_cross_entropy_gradient_is_numerically_right():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, 5)
    numeric = numerical_gradient(lambda: cl.cross_entropy(logits, labels), logits)
    assert relative_error(cross_entropy_backward(logits, labels), numeric) < 1e-6


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.relu("x"), TypeError, r"relu: x must be an array of numbers, got str"),
    (lambda m: m.softmax([1.0, 2.0], axis=1), ValueError, r"softmax: axis must be an integer in \[-1, 1\), got 1"),
    (lambda m: m.softmax(3.0), ValueError, r"softmax: z must have at least 1 dimensions"),
    (lambda m: m.cross_entropy([[0.0, 1.0]], [2]), ValueError, r"cross_entropy: labels must lie in 0..1"),
    (lambda m: m.cross_entropy([[0.0, 1.0]], [0.5]), TypeError, r"cross_entropy: labels must be integer class indices"),
    (lambda m: m.cross_entropy([[0.0, 1.0]], [0, 1]), ValueError, r"cross_entropy: labels must have shape \(1,\)"),
    (lambda m: m.cross_entropy([0.0, 1.0], [0]), ValueError, r"cross_entropy: logits must be 2-D"),
    (lambda m: m.cross_entropy([[0.0, 1.0], [1.0, 0.0]], [0, -1]), ValueError,
     r"cross_entropy: labels must lie in 0..1 \(one per class of logits\), got values from -1 to 0"),
    (lambda m: m.cross_entropy(np.zeros((0, 3)), np.zeros(0, int)), ValueError,
     r"cross_entropy: logits must hold at least one sample"),
    (lambda m: m.softmax(np.zeros((2, 0))), ValueError,
     r"softmax: z has no entries along axis -1 \(shape \(2, 0\)\)"),
    (lambda m: m.softmax(np.zeros((0, 3)), axis=0), ValueError, r"softmax: z has no entries along axis 0"),
    (lambda m: m.softmax([1.0, 2.0], axis=True), ValueError, r"softmax: axis must be an integer"),
    (lambda m: m.relu(np.array([1.0, np.nan])), ValueError, r"relu: x contains NaN or infinite values"),
])
@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_rejected_input(module, call, error, message):
    with pytest.raises(error, match=message):
        call(module)


@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_softmax_of_an_empty_batch_is_empty(module):
    assert module.softmax(np.zeros((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: relu_backward(np.ones(3), np.ones(4)), ValueError,
     r"relu_backward: dout must have the shape of x, \(4,\), got \(3,\)"),
    (lambda: relu_backward(np.full(3, np.nan), np.ones(3)), ValueError,
     r"relu_backward: dout contains NaN or infinite values"),
    (lambda: cross_entropy_backward([[0.0, 1.0]], [2]), ValueError,
     r"cross_entropy_backward: labels must lie in 0..1"),
    (lambda: cross_entropy_backward([0.0, 1.0], [0]), ValueError, r"cross_entropy_backward: logits must be 2-D"),
])
def test_backward_functions_check_their_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_backward_functions_are_public_beside_their_forwards():
    for name in ("conv2d_backward", "linear_backward", "relu_backward", "pool2d", "pool2d_backward"):
        assert name in cl.__all__ and callable(getattr(cl, name))
