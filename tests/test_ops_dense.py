"""cnnlab/ops/dense.py and cnnlab/images.py."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import reference as ref


def test_linear_hand_computed_and_reference():
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(cl.linear(x, W, b=[0.0, 0.0, 10.0]), [[1, 2, 13]])
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(4, 6)), rng.normal(size=(6, 3)), rng.normal(size=3)
    np.testing.assert_allclose(cl.linear(x, W, b), ref.linear(x, W, b))


def test_flatten_keeps_row_major_order():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    out = cl.flatten(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out[1], np.arange(12.0, 24.0))
    np.testing.assert_array_equal(ref.flatten(x), out)


def test_to_nchw_and_to_image_round_trip():
    rgb = np.random.default_rng(1).integers(0, 256, (5, 7, 3)).astype(np.uint8)
    x = cl.to_nchw(rgb)
    assert x.shape == (1, 3, 5, 7) and x.dtype == np.float64
    np.testing.assert_array_equal(x[0, 2], rgb[:, :, 2])
    np.testing.assert_array_equal(cl.to_image(x), rgb)
    gray = np.arange(12.0).reshape(3, 4)
    assert cl.to_nchw(gray).shape == (1, 1, 3, 4)
    np.testing.assert_array_equal(cl.to_image(cl.to_nchw(gray)), gray)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.linear(np.zeros((2, 3)), np.zeros((4, 5))), ValueError,
     r"linear: x has 3 features but W expects 4 \(x.shape=\(2, 3\), W.shape=\(4, 5\)\)"),
    (lambda m: m.linear(np.zeros((2, 3, 4)), np.zeros((4, 5))), ValueError,
     r"linear: x must be 2-D \(N, D_in\), got shape \(2, 3, 4\)"),
    (lambda m: m.linear(np.zeros((2, 3)), np.zeros((3, 5)), b=np.zeros(4)), ValueError,
     r"linear: b must have D_out = 5 entries"),
    (lambda m: m.linear(np.zeros((2, 3)), np.zeros((3, 5)), b=np.full(5, np.nan)), ValueError,
     r"linear: b contains NaN or infinite values"),
    (lambda m: m.flatten(np.float64(3.0)), ValueError, r"flatten: x must have at least 1 dimensions"),
])
@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_rejected_input(module, call, error, message):
    with pytest.raises(error, match=message):
        call(module)


@pytest.mark.parametrize("call, message", [
    (lambda: cl.to_nchw(np.zeros((4, 4, 5))), r"to_nchw: image must be \(H, W\) or \(H, W, C\)"),
    (lambda: cl.to_image(np.zeros((2, 3, 4, 4))), r"to_image: x holds 2 samples"),
    (lambda: cl.to_image(np.zeros((8, 8, 3))),
     r"to_image: x looks like an \(H, W, 3\) image already \(x.shape=\(8, 8, 3\)\)"),
    (lambda: cl.to_image(np.zeros((1, 8, 8, 3))), r"to_image: x looks like an \(H, W, 3\) image already"),
    (lambda: cl.to_image(np.zeros((1, 2, 8, 8))),
     r"to_image: x must have 1 \(grey\) or 3 \(colour\) channels \(or 4, RGBA\), got 2"),
    (lambda: cl.to_image(np.zeros((5, 8, 8))), r"to_image: x must have 1 \(grey\) or 3 \(colour\) channels"),
])
def test_images_rejected_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_flatten_of_an_empty_batch(module):
    assert module.flatten(np.zeros((0, 2, 3))).shape == (0, 6)


def test_to_image_keeps_rgba_as_to_nchw_does():
    rgba = np.random.default_rng(2).integers(0, 256, (4, 5, 4)).astype(np.uint8)
    np.testing.assert_array_equal(cl.to_image(cl.to_nchw(rgba)), rgba)
    assert cl.to_image(np.zeros((3, 8, 3))).shape == (8, 3, 3)   # channels first, 3 columns


def test_linear_backward_matches_numerical_gradients_and_the_layer():
    from cnnlab.gradcheck import numerical_gradient, relative_error
    rng = np.random.default_rng(1)
    x, W, b, dout = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    dx, dW, db = cl.linear_backward(dout, x, W)

    def loss():
        return float(np.sum(cl.linear(x, W, b) * dout))

    for analytic, wrt in ((dx, x), (dW, W), (db, b)):
        assert relative_error(analytic, numerical_gradient(loss, wrt)) < 1e-8
    layer = cl.Linear(5, 3)
    layer.params["W"][...] = W
    layer.forward(x)
    np.testing.assert_allclose(layer.backward(dout), dx)
    np.testing.assert_allclose(layer.grads["W"], dW)


@pytest.mark.parametrize("args, message", [
    ((np.zeros((4, 3)), np.zeros((4, 5)), np.zeros((6, 3))), r"linear_backward: x has 5 features but W expects 6"),
    ((np.zeros((4, 2)), np.zeros((4, 5)), np.zeros((5, 3))),
     r"linear_backward: dout must have the output's shape \(4, 3\), got \(4, 2\)"),
    ((np.zeros(3), np.zeros((4, 5)), np.zeros((5, 3))), r"linear_backward: dout must be 2-D"),
])
def test_linear_backward_rejected_input(args, message):
    with pytest.raises(ValueError, match=message):
        cl.linear_backward(*args)
