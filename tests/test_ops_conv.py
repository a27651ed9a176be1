"""cnnlab/ops/conv.py against hand-computed cases, scipy.signal and the loop reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import signal

import cnnlab as cl
from cnnlab import reference as ref

IMAGE_5x5 = np.array([[1, 1, 1, 0, 0],
                      [0, 1, 1, 1, 0],
                      [0, 0, 1, 1, 1],
                      [0, 0, 1, 1, 0],
                      [0, 1, 1, 0, 0]])
KERNEL_3x3 = np.array([[1, 0, 1],
                       [0, 1, 0],
                       [1, 0, 1]])


def test_classic_5x5_binary_image_with_3x3_filter():
    # worked out by hand, position by position
    expected = np.array([[4, 3, 4],
                         [2, 4, 3],
                         [2, 3, 4]])
    np.testing.assert_array_equal(cl.correlate2d(IMAGE_5x5, KERNEL_3x3), expected)
    np.testing.assert_array_equal(ref.correlate2d(IMAGE_5x5, KERNEL_3x3), expected)


def test_7x7_input_gives_5x5_at_stride_1_and_3x3_at_stride_2():
    x = np.arange(49.0).reshape(7, 7)
    k = np.ones((3, 3))
    assert cl.correlate2d(x, k).shape == (5, 5)
    out2 = cl.correlate2d(x, k, stride=2)
    assert out2.shape == (3, 3)
    # the stride-2 output is every other entry of the stride-1 output
    np.testing.assert_allclose(out2, signal.correlate2d(x, k, mode="valid")[::2, ::2])
    # top-left: sum of x[0:3, 0:3] = 0+1+2+7+8+9+14+15+16
    assert out2[0, 0] == 72


def test_output_size_formula_examples():
    assert cl.output_size(7, 3) == 5
    assert cl.output_size(7, 3, stride=2) == 3
    assert cl.output_size(5, 3, padding=1) == 5       # same padding
    assert cl.output_size(8, 3, stride=2) == 3        # floor: the last column is dropped
    assert cl.output_size(7, 3, dilation=2) == 3      # a dilated 3x3 spans 5
    assert cl.output_size(28, 5) == 24


@given(n=st.integers(1, 40), f=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4),
       d=st.integers(1, 3))
def test_output_size_matches_counting_positions(n, f, s, p, d):
    span = d * (f - 1) + 1
    positions = len(range(0, n + 2 * p - span + 1, s))
    if positions == 0:
        with pytest.raises(ValueError, match="output_size: the filter"):
            cl.output_size(n, f, s, p, d)
    else:
        assert cl.output_size(n, f, s, p, d) == positions
        assert ref.output_size(n, f, s, p, d) == positions


def test_correlate2d_matches_scipy_on_a_photo_sized_input():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(64, 80))
    kernel = rng.normal(size=(5, 3))
    np.testing.assert_allclose(cl.correlate2d(image, kernel),
                               signal.correlate2d(image, kernel, mode="valid"), atol=1e-12)


def test_convolve2d_matches_scipy_and_flips_the_kernel():
    rng = np.random.default_rng(2)
    image = rng.normal(size=(12, 9))
    kernel = rng.normal(size=(3, 4))
    np.testing.assert_allclose(cl.convolve2d(image, kernel),
                               signal.convolve2d(image, kernel, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(cl.convolve2d(image, kernel),
                               cl.correlate2d(image, kernel[::-1, ::-1]), atol=1e-12)
    assert not np.allclose(cl.convolve2d(image, kernel), cl.correlate2d(image, kernel))


def test_convolution_and_correlation_agree_for_symmetric_kernels():
    image = np.random.default_rng(3).normal(size=(10, 10))
    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_allclose(cl.convolve2d(image, laplacian), cl.correlate2d(image, laplacian))


def test_same_padding_keeps_size_and_matches_scipy_same_mode():
    rng = np.random.default_rng(4)
    image = rng.normal(size=(11, 13))
    kernel = rng.normal(size=(5, 3))
    out = cl.correlate2d(image, kernel, padding="same")
    assert out.shape == image.shape
    np.testing.assert_allclose(out, signal.correlate2d(image, kernel, mode="same"), atol=1e-12)
    np.testing.assert_allclose(cl.correlate2d(image, kernel, padding="valid"),
                               cl.correlate2d(image, kernel))


def test_conv2d_matches_scipy_per_channel_sum():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 10, 9))
    w = rng.normal(size=(5, 4, 3, 2))
    b = rng.normal(size=5)
    out = cl.conv2d(x, w, b)
    expected = np.empty((3, 5, 8, 8))
    for n in range(3):
        for f in range(5):
            expected[n, f] = b[f] + sum(signal.correlate2d(x[n, c], w[f, c], mode="valid")
                                        for c in range(4))
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_conv2d_large_single_map_path_matches_scipy():
    # one filter over a big image takes the shifted-sum path
    rng = np.random.default_rng(6)
    x = rng.normal(size=(1, 1, 130, 70))
    w = rng.normal(size=(1, 1, 3, 3))
    np.testing.assert_allclose(cl.conv2d(x, w)[0, 0],
                               signal.correlate2d(x[0, 0], w[0, 0], mode="valid"), atol=1e-12)
    np.testing.assert_allclose(cl.conv2d(x, w, stride=(2, 3), padding=1, dilation=2),
                               ref.conv2d(x, w, stride=(2, 3), padding=1, dilation=2), atol=1e-12)


@given(data=st.data())
def test_conv2d_fast_equals_reference(data):
    n = data.draw(st.integers(1, 2))
    c = data.draw(st.integers(1, 3))
    f = data.draw(st.integers(1, 3))
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    sh, sw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    ph, pw = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    dh, dw = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    h = data.draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 11))
    w_ = data.draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 11))
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w_))
    w = rng.normal(size=(f, c, kh, kw))
    b = rng.normal(size=f)
    kwargs = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
    fast = cl.conv2d(x, w, b, **kwargs)
    slow = ref.conv2d(x, w, b, **kwargs)
    assert fast.shape == (n, f, cl.output_size(h, kh, sh, ph, dh), cl.output_size(w_, kw, sw, pw, dw))
    np.testing.assert_allclose(fast, slow, atol=1e-10)


@given(seed=st.integers(0, 2**16), a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_convolution_is_linear(seed, a, b):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 9, 9))
    k = rng.normal(size=(3, 3))
    np.testing.assert_allclose(cl.correlate2d(a * x + b * y, k),
                               a * cl.correlate2d(x, k) + b * cl.correlate2d(y, k), atol=1e-9)


def test_pad2d_pads_the_last_two_axes_only():
    x = np.ones((2, 3, 4, 5))
    out = cl.pad2d(x, (1, 2), value=7)
    assert out.shape == (2, 3, 6, 9)
    assert out[0, 0, 0, 0] == 7 and out[0, 0, 1, 2] == 1
    assert out.sum() == 2 * 3 * (6 * 9 - 4 * 5) * 7 + 2 * 3 * 4 * 5
    np.testing.assert_array_equal(out, ref.pad2d(x, (1, 2), value=7))
    np.testing.assert_array_equal(cl.pad2d([[1, 2]], 1), np.pad([[1.0, 2.0]], 1))


def test_dtypes_uint8_is_computed_in_float64_and_float32_stays_float32():
    photo = np.full((6, 6), 200, dtype=np.uint8)
    out = cl.correlate2d(photo, np.ones((3, 3), dtype=np.uint8))
    assert out.dtype == np.float64
    assert out[0, 0] == 1800          # 9 * 200: no uint8 wrap-around (would be 8)
    x32 = np.ones((1, 1, 5, 5), dtype=np.float32)
    assert cl.conv2d(x32, np.ones((2, 1, 3, 3), dtype=np.float32)).dtype == np.float32
    assert cl.pad2d(x32, 1).dtype == np.float32
    assert cl.conv2d(np.ones((1, 1, 5, 5), dtype=bool), np.ones((1, 1, 3, 3))).dtype == np.float64


def test_inputs_are_not_modified():
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(2, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    copies = x.copy(), w.copy(), b.copy()
    cl.conv2d(x, w, b, padding=1)
    cl.pad2d(x, 2)
    cl.correlate2d(x[0, 0], w[0, 0], padding="same")
    for original, copy in zip((x, w, b), copies):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.conv2d(np.zeros((2, 3, 8, 8)), np.zeros((4, 1, 3, 3))), ValueError,
     r"conv2d: x has 3 channels but w expects 1 \(x.shape=\(2, 3, 8, 8\), w.shape=\(4, 1, 3, 3\)\)"),
    (lambda m: m.conv2d(np.zeros((3, 8, 8)), np.zeros((4, 3, 3, 3))), ValueError,
     r"conv2d: x must be 4-D \(N, C, H, W\), got shape \(3, 8, 8\)"),
    (lambda m: m.conv2d(np.zeros((1, 1, 8, 8)), np.zeros((1, 3, 3))), ValueError,
     r"conv2d: w must be 4-D \(F, C/groups, KH, KW\)"),
    (lambda m: m.conv2d(np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), b=np.zeros(3)), ValueError,
     r"conv2d: b must have one entry per filter, 2"),
    (lambda m: m.conv2d(np.zeros((1, 1, 2, 8)), np.zeros((1, 1, 3, 3))), ValueError,
     r"conv2d: the filter \(size 3\) is larger than the input along height \(size 2\)"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=0), ValueError,
     r"conv2d: stride must be a positive integer or a pair of them, got 0"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=1.5), TypeError,
     r"conv2d: stride must be a positive integer or a pair of them, got 1.5"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), padding=-1), ValueError,
     r"conv2d: padding must be a non-negative integer or a pair of them, got -1"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), padding="full"), ValueError,
     r"conv2d: padding must be .* one of \('valid', 'same'\), got 'full'"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 2, 2)), padding="same"), ValueError,
     r"conv2d: padding='same' needs an odd kernel size"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), dilation=(1, 0)), ValueError,
     r"conv2d: dilation must be a positive integer or a pair of them"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), dilation=3), ValueError,
     r"conv2d: the filter \(size 3, dilation 3, so it spans 7\) is larger than the input"),
    (lambda m: m.conv2d("image", np.zeros((1, 1, 3, 3))), TypeError,
     r"conv2d: x must be an array of numbers, got str"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5), dtype=complex), np.zeros((1, 1, 3, 3))), TypeError,
     r"conv2d: x must hold real numbers, got dtype complex128"),
    (lambda m: m.conv2d(np.full((1, 1, 5, 5), np.nan), np.zeros((1, 1, 3, 3))), ValueError,
     r"conv2d: x contains NaN or infinite values"),
    (lambda m: m.correlate2d(np.zeros((5, 5, 3)), np.zeros((3, 3))), ValueError,
     r"correlate2d: image must be 2-D \(H, W\), got shape \(5, 5, 3\)"),
    (lambda m: m.correlate2d([[1, 2], [3]], np.zeros((1, 1))), ValueError,
     r"correlate2d: image"),
    (lambda m: m.correlate2d(np.zeros((5, 5)), np.zeros((0, 3))), ValueError,
     r"correlate2d: kernel must not be empty"),
    (lambda m: m.convolve2d(np.zeros((5, 5)), np.zeros((3,))), ValueError,
     r"convolve2d: kernel must be 2-D \(KH, KW\), got shape \(3,\)"),
    (lambda m: m.pad2d(np.zeros(5), 1), ValueError,
     r"pad2d: x must have at least 2 dimensions, got shape \(5,\)"),
    (lambda m: m.pad2d(np.zeros((3, 3)), (1, 2, 3)), TypeError,
     r"pad2d: padding must be a non-negative integer or a pair of them"),
    (lambda m: m.pad2d(np.zeros((3, 3)), 1, value="zero"), TypeError,
     r"pad2d: value must be a real number, got 'zero'"),
    (lambda m: m.output_size(3, 5), ValueError,
     r"output_size: the filter \(size 5\) is larger than the input \(size 3\)"),
    (lambda m: m.output_size(0, 3), ValueError, r"output_size: n must be a positive integer, got 0"),
    (lambda m: m.output_size(5, 3, stride=True), TypeError, r"output_size: stride must be an integer"),
    (lambda m: m.output_size(5, 3, padding=-2), ValueError,
     r"output_size: padding must be an integer >= 0, got -2"),
    (lambda m: m.output_size(5, 3, stride=0), ValueError, r"output_size: stride must be a positive integer, got 0"),
    (lambda m: m.output_size(5, 3.0), TypeError, r"output_size: f must be an integer, got 3.0"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=np.array([1, 0])), ValueError,
     r"conv2d: stride must be a positive integer or a pair of them"),
    (lambda m: m.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=np.array(2.0)), TypeError,
     r"conv2d: stride must be a positive integer or a pair of them, got 2.0"),
    (lambda m: m.correlate2d(np.zeros((5, 5)), np.zeros((3, 3)), stride=0), ValueError,
     r"correlate2d: stride must be a positive integer"),
    (lambda m: m.convolve2d(np.zeros((2, 2)), np.zeros((3, 3))), ValueError,
     r"convolve2d: the filter \(size 3\) is larger than the input"),
    (lambda m: m.conv2d(np.zeros((1, 4, 5, 5)), np.zeros((6, 2, 3, 3)), groups=4), ValueError,
     r"conv2d: groups=4 must divide both the input channels \(4\) and the number of filters \(6\)"),
    (lambda m: m.conv2d(np.zeros((1, 4, 5, 5)), np.zeros((4, 2, 3, 3)), groups=0), ValueError,
     r"conv2d: groups must be a positive integer, got 0"),
])
@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_rejected_input(module, call, error, message):
    with pytest.raises(error, match=message):
        call(module)


# --- groups and the public backward ------------------------------------------------------------

@given(data=st.data())
def test_grouped_conv2d_fast_equals_reference_and_per_group_convolutions(data):
    groups = data.draw(st.sampled_from([1, 2, 3]))
    c, f = groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2))
    k = data.draw(st.integers(1, 3))
    stride, padding, dilation = (data.draw(st.integers(1, 2)) for _ in range(3))
    size = data.draw(st.integers(max(1, dilation * (k - 1) + 1 - 2 * padding), 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x, w, b = rng.normal(size=(2, c, size, size)), rng.normal(size=(f, c // groups, k, k)), rng.normal(size=f)
    fast = cl.conv2d(x, w, b, stride, padding, dilation, groups=groups)
    np.testing.assert_allclose(fast, ref.conv2d(x, w, b, stride, padding, dilation, groups=groups), atol=1e-12)
    # independently: each group is an ordinary convolution of its slice of channels
    cg, fg = c // groups, f // groups
    parts = [cl.conv2d(x[:, g * cg:(g + 1) * cg], w[g * fg:(g + 1) * fg], b[g * fg:(g + 1) * fg],
                       stride, padding, dilation) for g in range(groups)]
    np.testing.assert_allclose(fast, np.concatenate(parts, axis=1), atol=1e-12)


def test_depthwise_conv2d_filters_each_channel_with_scipy():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 8, 9)), rng.normal(size=(3, 1, 3, 3))
    out = cl.conv2d(x, w, groups=3)
    for n in range(2):
        for ch in range(3):
            np.testing.assert_allclose(out[n, ch], signal.correlate2d(x[n, ch], w[ch, 0], mode="valid"))


@pytest.mark.parametrize("groups, stride, padding, dilation", [(1, 1, 0, 1), (1, 2, 1, 1), (2, 1, 1, 2), (4, 2, 0, 1)])
def test_conv2d_backward_matches_numerical_gradients(groups, stride, padding, dilation):
    from cnnlab.gradcheck import numerical_gradient, relative_error
    rng = np.random.default_rng(groups + stride)
    x, w = rng.normal(size=(2, 4, 6, 5)), rng.normal(size=(4, 4 // groups, 3, 2))
    b = rng.normal(size=4)
    dout = rng.normal(size=cl.conv2d(x, w, b, stride, padding, dilation, groups).shape)
    dx, dw, db = cl.conv2d_backward(dout, x, w, stride, padding, dilation, groups)

    def loss():
        return float(np.sum(cl.conv2d(x, w, b, stride, padding, dilation, groups) * dout))

    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert relative_error(dw, numerical_gradient(loss, w)) < 1e-7
    assert relative_error(db, numerical_gradient(loss, b)) < 1e-7
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (4,)


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.conv2d(np.zeros((1, 4, 5, 5)), np.zeros((4, 4, 3, 3)), groups=2), ValueError,
     r"conv2d: x has 2 channels \(4 channels / groups=2\) but w expects 4"),
    (lambda: ref.conv2d(np.zeros((1, 4, 5, 5)), np.zeros((4, 4, 3, 3)), groups=2), ValueError,
     r"conv2d: x has 2 channels \(4 channels / groups=2\) but w expects 4"),
    (lambda: cl.conv2d_backward(np.zeros((1, 2, 3, 3)), np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 3, 3))),
     ValueError, r"conv2d_backward: dout must have the output's shape \(1, 2, 2, 2\), got \(1, 2, 3, 3\)"),
    (lambda: cl.conv2d_backward(np.zeros((1, 2, 2, 2)), np.zeros((1, 3, 4, 4)), np.zeros((2, 1, 3, 3))),
     ValueError, r"conv2d_backward: x has 3 channels but w expects 1"),
])
def test_grouped_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- issue 14 --------------------------------------------------------------------------------

@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_pad2d_always_returns_a_new_array(module):
    x = np.ones((1, 1, 2, 2))
    out = module.pad2d(x, 0)
    np.testing.assert_array_equal(out, x)
    assert out is not x and not np.shares_memory(out, x)


@pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])
def test_a_zero_dimensional_integer_array_counts_as_that_integer(module):
    rng = np.random.default_rng(8)
    x, w = rng.normal(size=(1, 2, 7, 7)), rng.normal(size=(3, 2, 3, 3))
    expected = np.stack([sum(signal.correlate2d(x[0, c], w[f, c], mode="valid") for c in range(2))
                         for f in range(3)])[None, :, ::2, ::2]     # stride 2 = every other position
    out = module.conv2d(x, w, stride=np.array(2), padding=np.array(0), groups=np.array(1))
    np.testing.assert_allclose(out, expected, atol=1e-12)
    np.testing.assert_allclose(module.conv2d(x, w, stride=np.array([2, 2])), expected, atol=1e-12)
    assert module.output_size(np.array(7), np.int64(3), stride=np.array(2)) == 3
