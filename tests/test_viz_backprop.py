"""Tests for cnnlab/viz/backprop.py: the numbers drawn in the backward-pass pictures.

Every number a figure writes is compared with an independent reference: values worked out by
hand, central differences of a loss written out here, scipy.signal, and a loop over windows.
"""

import numpy as np
import pytest
import scipy.signal

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import cnnlab as cl  # noqa: E402
from cnnlab import viz  # noqa: E402
from cnnlab.gradcheck import numerical_gradient  # noqa: E402
from cnnlab.viz.backprop import graph_values  # noqa: E402


def numbers(ax):
    """The numbers written in a show_matrix panel, as a (rows, cols) array."""
    rows, cols = ax.images[0].get_array().shape[:2]
    return np.array([float(t.get_text()) for t in ax.texts]).reshape(rows, cols)


def test_graph_shows_the_gradients_worked_out_by_hand():
    # z = (1, -1, 0.5), h = (1, 0, 0.5), y = 1 - 0.5 = 0.5, L = (0.5 - 2)^2 / 2 = 1.125,
    # dy = -1.5, dh = dy v = (-1.5, -3, 1.5), dz = (-1.5, 0, 1.5) (unit 2 blocked by its relu),
    # dw = dz x = (-3, 0, 3), dv = dy h = (-1.5, 0, -0.75), dx = -1.5 * 0.5 + 1.5 * 0.25 = -0.375
    texts = [t.get_text() for t in viz.show_backprop_graph().axes[0].texts]
    for expected in ["x = 2", "∂L/∂x = -0.375", "z2 = -1", "∂L/∂z2 = 0", "∂L/∂h2 = -3",
                     "y = 0.5", "∂L/∂y = -1.5", "L = 1.125", "∂L/∂w1 = -3", "∂L/∂w3 = 3",
                     "∂L/∂v3 = -0.75", "∂L/∂L = 1"]:
        assert expected in texts, expected


@pytest.mark.parametrize("seed", range(5))
def test_graph_gradients_equal_central_differences(seed):
    rng = np.random.default_rng(seed)
    x, t = np.array([rng.normal()]), rng.normal()
    w, v = rng.normal(size=4), rng.normal(size=4)

    def loss():
        return 0.5 * (float(v @ np.maximum(w * x[0], 0)) - t) ** 2

    g = graph_values(float(x[0]), w, v, t)
    np.testing.assert_allclose(g["dw"], numerical_gradient(loss, w), atol=1e-7)
    np.testing.assert_allclose(g["dv"], numerical_gradient(loss, v), atol=1e-7)
    np.testing.assert_allclose(g["dx"], numerical_gradient(loss, x)[0], atol=1e-7)
    assert g["L"] == pytest.approx(loss())


def test_graph_matches_cnnlab_layers():
    x, w, v, t = 1.5, np.array([0.8, -0.3]), np.array([-1.0, 0.5]), 0.7
    first, second = cl.Linear(1, 2), cl.Linear(2, 1)
    first.params["W"][...], first.params["b"][...] = w[None], 0
    second.params["W"][...], second.params["b"][...] = v[:, None], 0
    net = cl.Sequential(first, cl.ReLU(), second)
    y = net.forward(np.array([[x]]))
    dx = net.backward(y - t)
    g = graph_values(x, w, v, t)
    assert g["y"] == pytest.approx(y[0, 0])
    np.testing.assert_allclose(first.grads["W"][0], g["dw"])
    np.testing.assert_allclose(second.grads["W"][:, 0], g["dv"])
    assert dx[0, 0] == pytest.approx(g["dx"])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"w": (1.0, 2.0), "v": (1.0,)}, ValueError, "show_backprop_graph: w and v must hold"),
    ({"w": [1.0] * 5, "v": [1.0] * 5}, ValueError, "1 to 4 units"),
    ({"x": "2"}, TypeError, "show_backprop_graph: x must be a finite number"),
    ({"target": np.nan}, TypeError, "show_backprop_graph: target must be a finite number"),
    ({"w": [[1.0]], "v": [1.0]}, ValueError, "show_backprop_graph: w must be 1-D"),
])
def test_graph_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        viz.show_backprop_graph(**kwargs)


@pytest.mark.parametrize("shape, kshape", [((4, 4), (3, 3)), ((5, 6), (2, 3)), ((3, 3), (1, 1))])
def test_conv_backward_numbers_equal_scipy_and_conv2d(shape, kshape):
    rng = np.random.default_rng(sum(shape) + sum(kshape))
    x = rng.integers(-3, 4, size=shape).astype(float)
    w = rng.integers(-2, 3, size=kshape).astype(float)
    dout = rng.integers(-2, 3, size=(shape[0] - kshape[0] + 1, shape[1] - kshape[1] + 1)).astype(float)
    axes = viz.show_conv_backward(x, w, dout).axes
    dw_ref = scipy.signal.correlate2d(x, dout, mode="valid")
    dx_ref = scipy.signal.convolve2d(dout, w, mode="full")
    np.testing.assert_array_equal(numbers(axes[2]), dw_ref)
    np.testing.assert_array_equal(numbers(axes[5]), dx_ref)
    np.testing.assert_array_equal(numbers(axes[4]), w[::-1, ::-1])
    layer = cl.Conv2D(1, 1, kshape)
    layer.params["W"][...] = w
    layer.forward(x[None, None])
    np.testing.assert_allclose(layer.backward(dout[None, None])[0, 0], dx_ref)
    np.testing.assert_allclose(layer.grads["W"][0, 0], dw_ref)


def test_conv_backward_rejects_a_dout_of_the_wrong_shape():
    match = r"show_conv_backward: dout must have the output's shape .* \(2, 2\), got \(3, 3\)"
    with pytest.raises(ValueError, match=match):
        viz.show_conv_backward(np.zeros((4, 4)), np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="show_conv_backward: w must be 2-D"):
        viz.show_conv_backward(np.zeros((4, 4)), np.zeros((1, 3, 3)), np.zeros((2, 2)))


def loop_max_pool_backward(x, dout, k, s):
    """Independent reference: every window adds its gradient to its first maximum."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * s:i * s + k, j * s:j * s + k]
            a, b = np.unravel_index(np.argmax(window), window.shape)
            dx[i * s + a, j * s + b] += dout[i, j]
    return dx


def test_pool_backward_routes_to_the_maximum_worked_out_by_hand():
    x = np.array([[1., 3., 2., 0.], [4., 2., 1., 1.], [0., 1., 5., 6.], [2., 2., 7., 8.]])
    dout = np.array([[10., 20.], [30., 40.]])
    axes = viz.show_pool_backward(x, dout).axes
    expected = np.zeros((4, 4))
    expected[1, 0], expected[0, 2], expected[3, 0], expected[3, 3] = 10, 20, 30, 40  # first max on ties
    np.testing.assert_array_equal(numbers(axes[2]), expected)
    thick = [(p.get_x() + 0.5, p.get_y() + 0.5) for p in axes[0].patches if p.get_linewidth() > 3]
    assert sorted(thick) == sorted([(0.0, 1.0), (2.0, 0.0), (0.0, 3.0), (3.0, 3.0)])  # (col, row)


@pytest.mark.parametrize("k, s", [(2, 1), (3, 2), (3, 1)])
def test_overlapping_windows_add_up(k, s):
    x = np.random.default_rng(k * 10 + s).normal(size=(7, 7))
    n = (7 - k) // s + 1
    dout = np.arange(1.0, n * n + 1).reshape(n, n)
    fig = viz.show_pool_backward(x, dout, size=k, stride=s)
    drawn = np.array([float(t.get_text()) for t in fig.axes[2].texts]).reshape(7, 7)
    np.testing.assert_allclose(drawn, loop_max_pool_backward(x, dout, k, s), atol=0.006)


def test_pool_backward_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"show_pool_backward: dout must have the pooled output's shape \(2, 2\)"):
        viz.show_pool_backward(np.zeros((4, 4)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="show_pool_backward"):
        viz.show_pool_backward(np.zeros((2, 2)), np.zeros((1, 1)), size=3)
