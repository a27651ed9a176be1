"""cnnlab/ops/pool.py: hand-computed cases, the loop reference, gradients and errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnlab as cl
from cnnlab import reference as ref
from cnnlab.gradcheck import numerical_gradient, relative_error
from cnnlab.pooling import pool2d_backward

X4 = np.array([[1, 3, 2, 0],
               [4, 2, 1, 1],
               [0, 1, 5, 6],
               [2, 2, 7, 8]])


def test_hand_computed_2x2_pooling():
    np.testing.assert_array_equal(cl.max_pool2d(X4), [[4, 2], [2, 8]])
    np.testing.assert_array_equal(cl.avg_pool2d(X4), [[2.5, 1.0], [1.25, 6.5]])
    np.testing.assert_array_equal(cl.sum_pool2d(X4), [[10, 4], [5, 26]])


def test_overlapping_windows_and_dropped_edges():
    # 3x3 windows at stride 1 over 4x4: 2x2 outputs
    np.testing.assert_array_equal(cl.max_pool2d(X4, 3, 1), [[5, 6], [7, 8]])
    # 5x5 input, 2x2 windows at stride 2: the last row and column do not fit and are dropped
    x = np.arange(25.0).reshape(5, 5)
    np.testing.assert_array_equal(cl.max_pool2d(x, 2), [[6, 8], [16, 18]])
    assert cl.avg_pool2d(x, (2, 3), (1, 2)).shape == (4, 2)


def test_any_leading_axes():
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 6))
    out = cl.max_pool2d(x, 2)
    assert out.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(out[1, 2], cl.max_pool2d(x[1, 2], 2))


@given(seed=st.integers(0, 2**16), h=st.integers(1, 9), w=st.integers(1, 9),
       kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       mode=st.sampled_from(["max", "avg", "sum"]))
def test_fast_equals_reference(seed, h, w, kh, kw, sh, sw, mode):
    x = np.random.default_rng(seed).normal(size=(2, h, w))
    fast, slow = getattr(cl, f"{mode}_pool2d"), getattr(ref, f"{mode}_pool2d")
    if kh > h or kw > w:
        with pytest.raises(ValueError, match=f"{mode}_pool2d: the window"):
            fast(x, (kh, kw), (sh, sw))
        return
    out = fast(x, (kh, kw), (sh, sw))
    assert out.shape == (2, (h - kh) // sh + 1, (w - kw) // sw + 1)
    np.testing.assert_allclose(out, slow(x, (kh, kw), (sh, sw)), atol=1e-12)


@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 1), (3, 2), ((2, 3), (1, 2))])
def test_backward_matches_numerical_gradient(mode, size, stride):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 2, 7, 8))
    stride_pair = (stride, stride) if isinstance(stride, int) else stride
    size_pair = (size, size) if isinstance(size, int) else size
    out = cl.pooling.pool2d(x, size_pair, stride_pair, mode)
    g = rng.normal(size=out.shape)
    analytic = pool2d_backward(g, x, size_pair, stride_pair, mode)
    numeric = numerical_gradient(lambda: float(np.sum(cl.pooling.pool2d(x, size_pair, stride_pair, mode) * g)), x)
    assert relative_error(analytic, numeric) < 1e-6


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = np.array([[[[1.0, 5.0], [5.0, 5.0]]]])
    dx = pool2d_backward(np.ones((1, 1, 1, 1)), x, (2, 2), (2, 2), "max")
    np.testing.assert_array_equal(dx[0, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.max_pool2d(np.zeros((3, 3)), 4), ValueError,
     r"max_pool2d: the window \(size 4\) is larger than the input along height \(size 3\)"),
    (lambda m: m.avg_pool2d(np.zeros((4, 4)), 0), ValueError,
     r"avg_pool2d: size must be a positive integer or a pair of them, got 0"),
    (lambda m: m.sum_pool2d(np.zeros((4, 4)), 2, stride=-1), ValueError,
     r"sum_pool2d: stride must be a positive integer or a pair of them, got -1"),
    (lambda m: m.max_pool2d(np.zeros(4), 2), ValueError,
     r"max_pool2d: x must have at least 2 dimensions, got shape \(4,\)"),
    (lambda m: m.max_pool2d(np.zeros((4, 4)), 2.0), TypeError,
     r"max_pool2d: size must be a positive integer or a pair of them, got 2.0"),
    (lambda m: m.max_pool2d(np.zeros((4, 4)), 2, padding=2), ValueError,
     r"max_pool2d: padding must be at most half the window size \(2, 2\), got 2"),
    (lambda m: m.avg_pool2d(np.full((4, 4), np.inf), 2), ValueError,
     r"avg_pool2d: x contains NaN or infinite values"),
])
@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_rejected_input(module, call, error, message):
    with pytest.raises(error, match=message):
        call(module)


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.pooling.pool2d(np.zeros((4, 4)), 2, mode="median"), ValueError,
     r"pool2d: mode must be one of \('max', 'avg', 'sum'\), got 'median'"),
    (lambda: pool2d_backward(np.ones((2, 2)), np.zeros((4, 4)), 3), ValueError,
     r"pool2d_backward: dout must have the output's shape \(1, 1\), got \(2, 2\)"),
    (lambda: pool2d_backward(np.full((2, 2), np.nan), np.zeros((4, 4)), 2), ValueError,
     r"pool2d_backward: dout contains NaN or infinite values"),
    (lambda: pool2d_backward(np.ones((2, 2)), np.zeros((4, 4)), 0), ValueError,
     r"pool2d_backward: size must be a positive integer"),
])
def test_fast_only_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(seed=st.integers(0, 2**16), h=st.integers(2, 8), w=st.integers(2, 8), k=st.integers(2, 4),
       s=st.integers(1, 3), mode=st.sampled_from(["max", "avg", "sum"]))
def test_padded_pooling_fast_equals_reference(seed, h, w, k, s, mode):
    x = np.random.default_rng(seed).normal(size=(2, h, w))
    p = k // 2
    if k > h + 2 * p or k > w + 2 * p:
        return
    fast = getattr(cl, f"{mode}_pool2d")(x, k, s, padding=p)
    np.testing.assert_allclose(fast, getattr(ref, f"{mode}_pool2d")(x, k, s, padding=p), atol=1e-12)


@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
def test_padded_pool2d_backward_matches_numerical_gradient(mode):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 5, 6))
    g = rng.normal(size=cl.pooling.pool2d(x, 3, 2, mode, padding=1).shape)
    analytic = pool2d_backward(g, x, 3, 2, mode, padding=1)
    numeric = numerical_gradient(lambda: float(np.sum(cl.pooling.pool2d(x, 3, 2, mode, padding=1) * g)), x)
    assert relative_error(analytic, numeric) < 1e-6


def test_dtypes_and_no_modification():
    x = (np.arange(16) * 20).astype(np.uint8).reshape(4, 4)   # values up to 300 would wrap
    before = x.copy()
    assert cl.sum_pool2d(x).dtype == np.float64
    assert cl.sum_pool2d(x)[1, 1] == float(x[2:, 2:].astype(int).sum())
    np.testing.assert_array_equal(x, before)
    assert cl.max_pool2d(np.ones((4, 4), np.float32)).dtype == np.float32
