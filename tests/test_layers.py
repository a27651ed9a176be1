"""cnnlab/layers.py: forward against the functions, backward against numerical gradients."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import cnnlab as cl
from cnnlab.gradcheck import check_layer


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _nonzero_bias(layer, seed=1):
    # random, non-zero parameters: zero biases could hide a wrong bias gradient
    for p in layer.params.values():
        p[...] = np.random.default_rng(seed).normal(size=p.shape)
    return layer


@pytest.mark.parametrize("layer, x", [
    (cl.Conv2D(2, 3, 3, rng=0), _x(2, 2, 6, 7)),
    (cl.Conv2D(2, 3, (3, 2), stride=2, padding=1, rng=0), _x(2, 2, 7, 7)),
    (cl.Conv2D(1, 2, 3, stride=(2, 1), padding="same", rng=0), _x(3, 1, 6, 5)),
    (cl.Conv2D(2, 2, 3, dilation=2, padding=(2, 1), rng=0), _x(2, 2, 7, 7)),
    (cl.Linear(5, 4, rng=0), _x(3, 5)),
    (cl.ReLU(), _x(2, 3, 4, 4)),
    (cl.MaxPool2D(2), _x(2, 2, 6, 6)),
    (cl.MaxPool2D(3, stride=2), _x(2, 2, 7, 7)),     # overlapping windows
    (cl.MaxPool2D(3, stride=1), _x(1, 2, 5, 6)),
    (cl.AvgPool2D(2), _x(2, 2, 5, 5)),              # last row/column dropped
    (cl.AvgPool2D((3, 2), stride=(2, 1)), _x(2, 2, 7, 6)),
    (cl.Flatten(), _x(2, 3, 2, 2)),
])
def test_backward_matches_numerical_gradients(layer, x):
    report = check_layer(_nonzero_bias(layer), x, rng=2)
    assert report.passed, str(report)
    assert set(report.errors) == {"x", *layer.params}


def test_whole_model_gradient_check():
    rng = np.random.default_rng(3)
    model = cl.Sequential(cl.Conv2D(1, 3, 3, padding=1, rng=rng), cl.ReLU(), cl.MaxPool2D(2),
                          cl.Conv2D(3, 4, 2, rng=rng), cl.ReLU(), cl.Flatten(), cl.Linear(16, 5, rng=rng))
    report = check_layer(model, rng.normal(size=(2, 1, 6, 6)), rng=4)
    assert report.passed, str(report)
    assert len(report.errors) == 1 + 6


def test_forward_equals_the_functions():
    rng = np.random.default_rng(5)
    conv = cl.Conv2D(3, 4, 3, stride=2, padding=1, rng=rng)
    x = rng.normal(size=(2, 3, 9, 9))
    np.testing.assert_allclose(conv.forward(x), cl.conv2d(x, conv.params["W"], conv.params["b"], 2, 1))
    lin = cl.Linear(6, 2, rng=rng)
    z = rng.normal(size=(4, 6))
    np.testing.assert_allclose(lin(z), cl.linear(z, lin.params["W"], lin.params["b"]))
    np.testing.assert_array_equal(cl.MaxPool2D(2).forward(x), cl.max_pool2d(x, 2))
    np.testing.assert_array_equal(cl.AvgPool2D(3, 2).forward(x), cl.avg_pool2d(x, 3, 2))


def test_params_are_live_and_grads_update_in_place():
    conv = cl.Conv2D(1, 1, 3, rng=0)
    x = np.ones((1, 1, 3, 3))
    conv.params["W"][...] = 2.0
    conv.params["b"][...] = 1.0
    assert conv.forward(x)[0, 0, 0, 0] == 19.0
    grad_array = conv.grads["W"]
    conv.backward(np.ones((1, 1, 1, 1)))
    assert conv.grads["W"] is grad_array
    np.testing.assert_array_equal(grad_array, np.ones((1, 1, 3, 3)))


def test_he_initialisation_scale_and_seeding():
    conv = cl.Conv2D(16, 64, 3, rng=0)
    assert conv.params["W"].shape == (64, 16, 3, 3)
    assert conv.params["W"].std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)
    np.testing.assert_array_equal(conv.params["b"], 0)
    np.testing.assert_array_equal(cl.Linear(4, 3, rng=7).params["W"], cl.Linear(4, 3, rng=7).params["W"])
    assert not np.array_equal(cl.Linear(4, 3, rng=7).params["W"], cl.Linear(4, 3, rng=8).params["W"])
    assert cl.Conv2D(1, 2, 3, dtype=np.float32).params["W"].dtype == np.float32


def test_lenet5_summary_counts_61706_parameters():
    lenet = cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2), cl.ReLU(), cl.AvgPool2D(2),
        cl.Conv2D(6, 16, 5), cl.ReLU(), cl.AvgPool2D(2), cl.Flatten(),
        cl.Linear(400, 120), cl.ReLU(), cl.Linear(120, 84), cl.ReLU(), cl.Linear(84, 10))
    summary = lenet.summary((1, 28, 28))
    # (5*5*1+1)*6, (5*5*6+1)*16, 400*120+120, 120*84+84, 84*10+10
    assert [n for _, _, n in summary.rows if n] == [156, 2416, 48120, 10164, 850]
    assert summary.total == 61706 == cl.count_params(lenet)
    text = str(summary)
    assert "(6, 28, 28)" in text and "(16, 5, 5)" in text and "61,706" in text
    assert "<table>" in summary._repr_html_()
    assert lenet.forward(np.zeros((2, 1, 28, 28))).shape == (2, 10)


def test_sequential_predict_and_parameters():
    rng = np.random.default_rng(6)
    model = cl.Sequential(cl.Flatten(), cl.Linear(4, 3, rng=rng))
    x = rng.normal(size=(5, 1, 2, 2))
    scores = x.reshape(5, 4) @ model[1].params["W"]
    np.testing.assert_array_equal(model.predict(x, batch_size=2), scores.argmax(1))
    assert len(model.parameters()) == 2 and set(model.params) == {"1.W", "1.b"}
    assert model.params["1.W"] is model[1].params["W"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.ReLU().backward(np.ones(3)), RuntimeError, r"ReLU.backward: forward must run first"),
    (lambda: cl.Conv2D(1, 2, 3).backward(np.ones((1, 2, 1, 1))), RuntimeError,
     r"Conv2D.backward: forward must run first"),
    (lambda: cl.Sequential(cl.ReLU()).backward(np.ones(3)), RuntimeError,
     r"Sequential.backward: forward must run first"),
    (lambda: cl.Conv2D(1, 2, 3).forward(np.zeros((1, 3, 8, 8))), ValueError,
     r"Conv2D: input has 3 channels but the layer expects 1"),
    (lambda: cl.Conv2D(1, 2, 3).forward(np.zeros((8, 8))), ValueError,
     r"Conv2D: input must be 4-D \(N, C, H, W\), got shape \(8, 8\)"),
    (lambda: cl.Conv2D(1, 2, 5).forward(np.zeros((1, 1, 4, 8))), ValueError,
     r"Conv2D: the filter \(size 5\) is larger than the input along height"),
    (lambda: cl.Linear(4, 2).forward(np.zeros((2, 5))), ValueError,
     r"Linear: input must have 4 features, got shape \(5,\)"),
    (lambda: cl.MaxPool2D(3).forward(np.zeros((1, 1, 2, 2))), ValueError, r"MaxPool2D: the window"),
    (lambda: cl.Conv2D(0, 2, 3), ValueError, r"Conv2D: in_channels must be a positive integer, got 0"),
    (lambda: cl.Conv2D(1, 2, 2, padding="same"), ValueError, r"Conv2D: padding='same' needs an odd"),
    (lambda: cl.Linear(3, 2, rng="seed"), TypeError, r"Linear: rng must be a numpy.random.Generator"),
    (lambda: cl.Sequential(cl.ReLU(), "relu"), TypeError, r"Sequential: argument 1 must be a cnnlab layer"),
    (lambda: cl.Sequential(cl.Linear(3, 2)).summary((4,)), ValueError, r"Linear: input must have 3 features"),
    (lambda: cl.count_params([1, 2]), TypeError, r"count_params: model must be a cnnlab layer"),
])
def test_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_backward_checks_the_upstream_shape():
    layer = cl.Linear(3, 2, rng=0)
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Linear.backward: dout must have the output's shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


@settings(max_examples=25)
@given(data=st.data())
def test_conv2d_backward_on_random_geometry(data):
    # both window layouts (stride 1 and strided), padding, dilation, rectangular kernels
    kh, kw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    padding = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 6))
    w = data.draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 6))
    seed = data.draw(st.integers(0, 2**16))
    layer = cl.Conv2D(2, 2, (kh, kw), stride=stride, padding=padding, dilation=dilation, rng=seed)
    report = check_layer(_nonzero_bias(layer, seed), _x(2, 2, h, w, seed=seed), rng=seed)
    assert report.passed, str(report)
