"""Every public function on edge inputs: the right result, or a named ValueError / TypeError.

Empty and zero-size arrays, one element, float16/float32/float64, integer and bool dtypes, NaN
and infinity, sizes far beyond memory, and wrong types (str, None, ragged lists, complex). Each
call either returns what an independent reference computes (scipy.signal, scipy.special,
hand-written loops, numpy formulas) with the dtype of API.md's rule, or raises ValueError or
TypeError whose message names the function. Any other exception, and any warning
(RuntimeWarning, ComplexWarning), fails. The fast functions and `cnnlab.reference` are swept
alike. Examples are few and derandomised, so that the file is deterministic and quick.
"""

import warnings

import numpy as np
import pytest
import scipy.signal
import scipy.special
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnlab as cl
from cnnlab import _validation as v
from cnnlab import augment, data, losses
from cnnlab import reference as ref

SWEEP = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MODULES = pytest.mark.parametrize("module", [cl, ref], ids=["cnnlab", "reference"])

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.uint8, np.int64, np.bool_]
TOLERANCE = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def computed_dtype(*dtypes):
    """API.md: floating inputs keep their dtype, integer and bool inputs are computed in float64."""
    return np.result_type(*[d if np.dtype(d).kind == "f" else np.float64 for d in dtypes])


def outcome(func, /, *args, **kwargs):
    """("ok", result) or ("error", exc) for a ValueError / TypeError; warnings are failures,
    any other exception propagates (and fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return "ok", func(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            return "error", exc


def assert_refused(name, func, /, *args, **kwargs):
    kind, got = outcome(func, *args, **kwargs)
    assert kind == "error", f"{name} returned {got!r} instead of refusing"
    assert name in str(got), f"the message does not name {name}: {got}"
    return got


def assert_computes(func, /, *args, **kwargs):
    kind, got = outcome(func, *args, **kwargs)
    assert kind == "ok", f"refused: {got}"
    return got


@st.composite
def arrays(draw, shape, dtypes=DTYPES, special=True, scale=None):
    """An array of a drawn dtype and ``shape``; sometimes one NaN or infinite entry (returned flag)."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    if dtype.kind == "f":
        bound = scale if scale is not None else (8.0 if dtype == np.float16 else 1e3)
        elements = st.floats(-bound, bound, width=8 * dtype.itemsize, allow_nan=False,
                             allow_infinity=False, allow_subnormal=False)
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dtype)
        elements = st.integers(max(int(info.min), -1000), min(int(info.max), 1000))
    arr = draw(hnp.arrays(dtype, shape, elements=elements))
    poisoned = False
    if special and dtype.kind == "f" and arr.size and draw(st.integers(0, 5)) == 0:
        arr.flat[draw(st.integers(0, arr.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        poisoned = True
    return arr, poisoned


def unchanged(*arrays_before):
    """Copies to compare with after a call: functions never modify their inputs."""
    return [a.copy() for a in arrays_before]


def assert_close(got, expected, dtype, scale):
    """``got`` within the dtype's tolerance of ``expected``, relative to ``scale`` (the result
    with every input made positive, so that cancellation does not make the bound too tight)."""
    tol = TOLERANCE[np.dtype(dtype)]
    np.testing.assert_allclose(got.astype(np.float64), expected, rtol=0,
                               atol=tol * (np.max(scale, initial=0.0) + 1.0))


# -- convolution --------------------------------------------------------------------------------

def conv_reference(x, w, b, stride, padding, dilation):
    """Per-channel scipy.signal.correlate2d of the padded input with the dilated kernel."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c = x.shape[:2]
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kernel = np.zeros((f, c, dh * (kh - 1) + 1, dw * (kw - 1) + 1))
    kernel[:, :, ::dh, ::dw] = w
    oh = (xp.shape[2] - kernel.shape[2]) // sh + 1
    ow = (xp.shape[3] - kernel.shape[3]) // sw + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(n):
        for j in range(f):
            for k in range(c):
                out[i, j] += scipy.signal.correlate2d(xp[i, k], kernel[j, k], mode="valid")[::sh, ::sw]
    if b is not None:
        out += b.astype(np.float64)[None, :, None, None]
    return out


def fits(n, k, p, d):
    return d * (k - 1) + 1 <= n + 2 * p


def check_conv2d(module, data):
    n, c, f = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    h, wd = data.draw(st.integers(0, 6)), data.draw(st.integers(0, 6))
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    padding = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    x, bad_x = data.draw(arrays((n, c, h, wd)))
    w, bad_w = data.draw(arrays((f, c, kh, kw)))
    b, bad_b = data.draw(st.one_of(st.none(), arrays((f,))).map(lambda r: (None, False) if r is None else r))
    before = unchanged(x, w)
    kind, got = outcome(module.conv2d, x, w, b, stride, padding, dilation)
    for a, copy in zip((x, w), before):
        np.testing.assert_array_equal(a, copy)  # inputs untouched
    if bad_x or bad_w or bad_b or not (fits(h, kh, padding[0], dilation[0])
                                        and fits(wd, kw, padding[1], dilation[1])):
        assert kind == "error" and "conv2d" in str(got), got
        return
    assert kind == "ok", got
    expected = conv_reference(x, w, b, stride, padding, dilation)
    dtype = computed_dtype(x.dtype, w.dtype, *([] if b is None else [b.dtype]))
    assert got.dtype == dtype and got.shape == expected.shape
    assert got.shape[2:] == tuple((nn + 2 * p - d * (k - 1) - 1) // s + 1 for nn, k, s, p, d in
                                  zip((h, wd), (kh, kw), stride, padding, dilation))
    scale = conv_reference(np.abs(x), np.abs(w), None if b is None else np.abs(b), stride, padding,
                           dilation)
    assert_close(got, expected, dtype, scale)


def check_single_maps(module, data):
    h, wd = data.draw(st.integers(0, 5)), data.draw(st.integers(0, 5))
    kh, kw = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    image, bad_i = data.draw(arrays((h, wd)))
    kernel, bad_k = data.draw(arrays((kh, kw)))
    for name, flip in (("correlate2d", False), ("convolve2d", True)):
        kind, got = outcome(getattr(module, name), image, kernel)
        if bad_i or bad_k or kh == 0 or kw == 0 or kh > h or kw > wd:
            assert kind == "error" and name in str(got), got
            continue
        assert kind == "ok", got
        k = kernel[::-1, ::-1] if flip else kernel
        expected = scipy.signal.correlate2d(image.astype(float), k.astype(float), mode="valid")
        scale = scipy.signal.correlate2d(np.abs(image.astype(float)), np.abs(k.astype(float)),
                                         mode="valid")
        assert got.dtype == computed_dtype(image.dtype, kernel.dtype)
        assert_close(got, expected, got.dtype, scale)


@SWEEP
@given(data=st.data())
def test_convolutions_on_edge_inputs(data):
    for module in (cl, ref):
        check_conv2d(module, data)
        check_single_maps(module, data)


def conv_backward_reference(dout, x, w, stride, padding):
    """dx, dw, db of a convolution by explicit loops over the output positions."""
    (sh, sw), (ph, pw) = stride, padding
    x, w, dout = x.astype(float), w.astype(float), dout.astype(float)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    kh, kw = w.shape[2:]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]       # (N, C, KH, KW)
            g = dout[:, :, i, j]                                             # (N, F)
            dw += np.einsum("nf,nchw->fchw", g, window)
            dxp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum("nf,fchw->nchw", g, w)
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


@SWEEP
@given(data=st.data())
def test_conv2d_backward_on_edge_inputs(data):
    n, c, f = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    h, wd, kh, kw = (data.draw(st.integers(1, 5)) for _ in range(4))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    padding = (data.draw(st.integers(0, 1)), data.draw(st.integers(0, 1)))
    if not (fits(h, kh, padding[0], 1) and fits(wd, kw, padding[1], 1)):
        assert_refused("conv2d_backward", cl.conv2d_backward, np.zeros((n, f, 1, 1)),
                       np.zeros((n, c, h, wd)), np.zeros((f, c, kh, kw)), stride, padding)
        return
    oh, ow = ((nn + 2 * p - k) // s + 1 for nn, k, s, p in zip((h, wd), (kh, kw), stride, padding))
    x, bad_x = data.draw(arrays((n, c, h, wd), special=False))
    w, _ = data.draw(arrays((f, c, kh, kw), special=False))
    dout, bad_d = data.draw(arrays((n, f, oh, ow)))
    kind, got = outcome(cl.conv2d_backward, dout, x, w, stride, padding)
    if bad_d:
        assert kind == "error" and "conv2d_backward" in str(got), got
        return
    assert kind == "ok", got
    dtype = computed_dtype(dout.dtype, x.dtype, w.dtype)
    expected = conv_backward_reference(dout, x, w, stride, padding)
    scales = conv_backward_reference(np.abs(dout), np.abs(x), np.abs(w), stride, padding)
    for grad, want, scale, shape in zip(got, expected, scales, (x.shape, w.shape, (f,))):
        assert grad.shape == shape
        assert grad.dtype == computed_dtype(dout.dtype) if shape == (f,) else grad.dtype == dtype
        assert_close(grad, want, grad.dtype, scale)


# -- padding, pooling ---------------------------------------------------------------------------

@SWEEP
@given(data=st.data())
def test_pad2d_on_edge_inputs(data):
    for module in (cl, ref):
        check_pad2d(module, data)


def check_pad2d(module, data):
    shape = tuple(data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4)))
    x, bad = data.draw(arrays(shape))
    padding = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    value = data.draw(st.one_of(st.integers(-3, 3), st.floats(-1e300, 1e300), st.just(-np.inf),
                                st.sampled_from([np.float32(2.5), np.int8(-1), np.array(7.0)])))
    kind, got = outcome(module.pad2d, x, padding, value)
    dtype = computed_dtype(x.dtype)
    if bad or x.ndim < 2 or (np.isfinite(value) and abs(float(value)) > float(np.finfo(dtype).max)):
        assert kind == "error" and "pad2d" in str(got), got
        return
    assert kind == "ok", got
    widths = [(0, 0)] * (x.ndim - 2) + [(padding[0],) * 2, (padding[1],) * 2]
    expected = np.pad(x.astype(dtype), widths, constant_values=float(value))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


def pool_reference(x, size, stride, padding, mode):
    """Each window's overlap with the input (padding never wins a max, adds 0 to a sum; the
    average divides by the whole window, padded cells included)."""
    x = x.astype(np.float64)
    (kh, kw), (sh, sw), (ph, pw) = size, stride, padding
    h, w = x.shape[-2:]
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - ph, j * sw - pw
            part = x[..., max(r0, 0):min(r0 + kh, h), max(c0, 0):min(c0 + kw, w)]
            if mode == "max":
                out[..., i, j] = part.max(axis=(-2, -1))
            else:
                out[..., i, j] = part.sum(axis=(-2, -1)) / (kh * kw if mode == "avg" else 1)
    return out


def pool_backward_reference(dout, x, size, stride, padding, mode):
    x, dout = x.astype(np.float64), dout.astype(np.float64)
    (kh, kw), (sh, sw), (ph, pw) = size, stride, padding
    h, w = x.shape[-2:]
    dx = np.zeros(x.shape)
    for lead in np.ndindex(x.shape[:-2]):
        for i in range(dout.shape[-2]):
            for j in range(dout.shape[-1]):
                g = dout[lead + (i, j)]
                r0, c0 = i * sh - ph, j * sw - pw   # the window's cells inside the input
                cells = [(r, c) for r in range(max(r0, 0), min(r0 + kh, h))
                         for c in range(max(c0, 0), min(c0 + kw, w))]
                if mode == "max":
                    values = [x[lead + cell] for cell in cells]
                    dx[lead + cells[values.index(max(values))]] += g   # the first maximum
                else:
                    for cell in cells:
                        dx[lead + cell] += g / (kh * kw) if mode == "avg" else g
    return dx


POOL_FUNCS = {"max": "max_pool2d", "avg": "avg_pool2d", "sum": "sum_pool2d"}


@st.composite
def pool_case(draw, max_size=4):
    lead = tuple(draw(st.lists(st.integers(0, 2), max_size=2)))
    h, w = draw(st.integers(0, 5)), draw(st.integers(0, 5))
    size = (draw(st.integers(1, max_size)), draw(st.integers(1, max_size)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2)))
    mode = draw(st.sampled_from(["max", "avg", "sum"]))
    x, bad = draw(arrays(lead + (h, w)))
    return x, bad, size, stride, padding, mode


def pool_fits(x, size, padding):
    """The windows fit, and the input has rows and columns (else every window is padding)."""
    return all(0 < n and k <= n + 2 * p for n, k, p in zip(x.shape[-2:], size, padding))


@SWEEP
@given(case=pool_case(), data=st.data())
def test_pooling_and_its_gradient_on_edge_inputs(case, data):
    for module in (cl, ref):
        check_pooling(module, case)
    check_pool2d_backward(case, data)


def check_pooling(module, case):
    x, bad, size, stride, padding, mode = case
    name = POOL_FUNCS[mode]
    before = unchanged(x)
    kind, got = outcome(getattr(module, name), x, size, stride, padding)
    np.testing.assert_array_equal(x, before[0])
    if bad or not pool_fits(x, size, padding):
        assert kind == "error" and name in str(got), got
        return
    assert kind == "ok", got
    expected = pool_reference(x, size, size if stride is None else stride, padding, mode)
    assert got.dtype == computed_dtype(x.dtype) and got.shape == expected.shape
    assert_close(got, expected, got.dtype, pool_reference(np.abs(x.astype(float)), size,
                                                          size if stride is None else stride,
                                                          padding, mode))


def check_pool2d_backward(case, data):
    x, bad, size, stride, padding, mode = case
    if not pool_fits(x, size, padding):
        assert_refused("pool2d_backward", cl.pool2d_backward, np.zeros(x.shape), x, size, stride,
                       mode, padding)
        return
    stride = size if stride is None else stride
    out_shape = pool_reference(np.zeros(x.shape), size, stride, padding, "sum").shape
    dout, bad_d = data.draw(arrays(out_shape))
    kind, got = outcome(cl.pool2d_backward, dout, x, size, stride, mode, padding)
    if bad or bad_d:
        assert kind == "error" and "pool2d_backward" in str(got), got
        return
    assert kind == "ok", got
    assert got.dtype == computed_dtype(x.dtype, dout.dtype) and got.shape == x.shape
    expected = pool_backward_reference(dout, x, size, stride, padding, mode)
    scale = pool_backward_reference(np.abs(dout.astype(float)), x, size, stride, padding, mode)
    assert_close(got, expected, got.dtype, np.abs(scale))


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(size=st.integers(1100, 3000), data=st.data())
def test_windows_far_larger_than_the_input_are_pooled_over_their_overlap(size, data):
    # 4 x 5 input, a window of ~2000 x ~2000 cells padded by half: one output or a few. The
    # result and gradient come from the cells under each window, without a padded copy.
    x, _ = data.draw(arrays((2, 4, 5), dtypes=[np.float32, np.float64], special=False))
    padding = size // 2
    stride = data.draw(st.integers(1, 3))
    for mode, name in POOL_FUNCS.items():
        got = assert_computes(cl.pool2d, x, size, stride, mode, padding)
        expected = pool_reference(x, (size, size), (stride, stride), (padding, padding), mode)
        assert got.dtype == x.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        dout = np.ones(got.shape, x.dtype)
        dx = assert_computes(cl.pool2d_backward, dout, x, size, stride, mode, padding)
        want = pool_backward_reference(dout, x, (size, size), (stride, stride), (padding, padding),
                                       mode)
        np.testing.assert_allclose(dx, want, rtol=1e-5, atol=1e-9)
        # the loop version refuses (a million Python steps per window), naming the function
        if size * size * got.size // 2 > ref.MAX_STEPS:
            assert_refused(name, getattr(ref, name), x, size, stride, padding)


# -- element-wise, softmax, dense, loss ---------------------------------------------------------

EXTREME = st.sampled_from([0.0, 1.0, -1.0, 1e-300, 60000.0, -60000.0, 1e30, -1e30, 1e308, -1e308])


@st.composite
def extreme_arrays(draw, min_dims=0):
    """Arrays of any dtype with entries up to the dtype's largest (NaN or inf sometimes)."""
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=min_dims, max_size=3)))
    x, bad = draw(arrays(shape))
    if x.dtype.kind == "f" and x.size and draw(st.booleans()):
        big = np.array([draw(EXTREME) for _ in range(x.size)])
        fine = np.abs(big) <= np.finfo(x.dtype).max
        x = np.where(fine.reshape(x.shape) & np.isfinite(x), big.reshape(x.shape), x).astype(x.dtype)
    return x, bad


@SWEEP
@given(case=extreme_arrays())
def test_relu_softmax_and_flatten_on_edge_inputs(case):
    for module in (cl, ref):
        check_elementwise(module, case)


def check_elementwise(module, case):
    x, bad = case
    dtype = computed_dtype(x.dtype)
    x64 = x.astype(np.float64)
    checks = [("relu", lambda: module.relu(x), lambda: np.maximum(x64, 0), True),
              ("softmax", lambda: module.softmax(x), lambda: scipy.special.softmax(x64, axis=-1),
               x.ndim >= 1 and x.shape[-1] > 0),
              ("flatten", lambda: module.flatten(x), lambda: x64.reshape(len(x64), -1) if x.ndim
               and len(x64) else x64.reshape(x.shape[:1] + (int(np.prod(x.shape[1:])),)), x.ndim >= 1)]
    if module is cl:
        checks += [("sigmoid", lambda: cl.sigmoid(x), lambda: scipy.special.expit(x64), True),
                   ("tanh", lambda: cl.tanh(x), lambda: np.tanh(x64), True),
                   ("relu_backward", lambda: cl.relu_backward(x, x), lambda: np.where(x64 > 0, x64, 0),
                    True)]
    for name, call, formula, valid in checks:
        kind, got = outcome(call)
        if bad or not valid:
            assert kind == "error" and name in str(got), (name, got)
            continue
        assert kind == "ok", (name, got)
        want = formula()
        assert got.dtype == dtype and got.shape == want.shape, name
        tol = TOLERANCE[dtype]
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol * 1e-3,
                                   err_msg=name)


@SWEEP
@given(data=st.data())
def test_linear_on_edge_inputs(data):
    for module in (cl, ref):
        check_linear(module, data)


def check_linear(module, data):
    n, d_in, d_out = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    x, bad_x = data.draw(arrays((n, d_in)))
    W, bad_w = data.draw(arrays((d_in, d_out)))
    b, bad_b = data.draw(st.one_of(st.none(), arrays((d_out,))).map(lambda r: (None, False) if r is None else r))
    if x.dtype.kind == "f" and data.draw(st.booleans()):  # near the dtype's largest numbers
        x = x * np.asarray(np.finfo(x.dtype).max / 1e3, x.dtype)
    dtype = computed_dtype(x.dtype, W.dtype, *([] if b is None else [b.dtype]))
    x64, W64 = x.astype(float), W.astype(float)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.abs(x64) @ np.abs(W64) + (0 if b is None else np.abs(b.astype(float)))
    kind, got = outcome(module.linear, x, W, b)
    if bad_x or bad_w or bad_b or not np.isfinite(x64).all():
        assert kind == "error" and "linear" in str(got), got
        return
    if not np.max(scale, initial=0.0) <= float(np.finfo(dtype).max) / 2:  # may overflow: a named error if it does
        if kind == "error":
            assert isinstance(got, v.NonFiniteError) and "linear" in str(got), got
            return
    assert kind == "ok", got
    want = x64 @ W64 + (0 if b is None else b.astype(float))
    assert got.dtype == dtype
    assert_close(got, want, got.dtype, scale)
    if module is cl and np.max(scale, initial=0.0) < 1e6:
        dout, _ = data.draw(arrays((n, d_out), special=False))
        dx, dW, db = assert_computes(cl.linear_backward, dout, x, W)
        d64 = dout.astype(float)
        for grad, want in ((dx, d64 @ W64.T), (dW, x64.T @ d64), (db, d64.sum(axis=0))):
            assert grad.shape == want.shape
            np.testing.assert_allclose(grad, want, rtol=TOLERANCE[grad.dtype], atol=1e-2 * (n + 1) * 1e3 *
                                       TOLERANCE[grad.dtype])


@SWEEP
@given(data=st.data())
def test_cross_entropy_on_edge_inputs(data):
    for module in (cl, ref):
        check_cross_entropy(module, data)


def check_cross_entropy(module, data):
    n, k = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 4))
    logits, bad = data.draw(arrays((n, k), dtypes=[np.float16, np.float32, np.float64, np.int64],
                                   scale=None))
    if logits.dtype.kind == "f" and logits.size and data.draw(st.booleans()):
        logits = logits * np.asarray(60.0 if logits.dtype == np.float16 else 1e6, logits.dtype)
    labels = np.array(data.draw(st.lists(st.integers(0, max(k - 1, 0)), min_size=n, max_size=n)),
                      dtype=data.draw(st.sampled_from([np.int64, np.uint8, np.int32])))
    kind, got = outcome(module.cross_entropy, logits, labels)
    if bad or n == 0 or k == 0:
        assert kind == "error" and "cross_entropy" in str(got), got
        return
    assert kind == "ok", got
    z = logits.astype(np.float64)
    want = float(np.mean(scipy.special.logsumexp(z, axis=1) - z[np.arange(n), labels]))
    assert isinstance(got, float)
    tol = TOLERANCE[computed_dtype(logits.dtype)]
    assert got == pytest.approx(want, rel=tol, abs=tol * (np.abs(z).max() + 1))


@MODULES
def test_cross_entropy_of_a_large_logit_gap_is_the_gap(module):
    # softmax gives the true class exp(-1000), which underflows to 0: the loss is still 1000
    assert module.cross_entropy([[0, 1000]], [0]) == pytest.approx(1000.0)
    assert module.cross_entropy([[1000, 0]], [0]) == pytest.approx(0.0, abs=1e-12)
    assert assert_computes(module.cross_entropy, np.array([[1e308, -1e308]]), [0]) == 0.0


@MODULES
def test_softmax_of_scores_a_float_range_apart_has_no_warning(module):
    np.testing.assert_array_equal(assert_computes(module.softmax, [1e308, -1e308]), [1.0, 0.0])


# -- results that overflow, sizes beyond memory -------------------------------------------------

@MODULES
@pytest.mark.parametrize("name, call", [
    ("conv2d", lambda m: m.conv2d(np.full((1, 1, 3, 3), 60000, np.float16), np.ones((1, 1, 2, 2), np.float16))),
    ("correlate2d", lambda m: m.correlate2d(np.full((3, 3), 1e308), np.ones((2, 2)))),
    ("convolve2d", lambda m: m.convolve2d(np.full((3, 3), -1e308), np.ones((2, 2)))),
    ("linear", lambda m: m.linear(np.full((1, 2), 1e200), np.full((2, 1), 1e200))),
    ("sum_pool2d", lambda m: m.sum_pool2d(np.full((4, 4), 1e308))),
    ("sum_pool2d", lambda m: m.sum_pool2d(np.full((4, 4), 40000, np.float16))),
], ids=["conv2d-float16", "correlate2d", "convolve2d", "linear", "sum_pool2d", "sum_pool2d-float16"])
def test_a_result_that_overflows_its_dtype_is_a_named_error(module, name, call):
    exc = assert_refused(name, call, module)
    assert isinstance(exc, v.NonFiniteError) and "overflows" in str(exc)


@pytest.mark.parametrize("name, call", [
    ("conv2d_backward", lambda: cl.conv2d_backward(np.full((1, 1, 2, 2), 1e300), np.full((1, 1, 3, 3), 1e300),
                                                   np.ones((1, 1, 2, 2)))),
    ("linear_backward", lambda: cl.linear_backward(np.full((1, 1), 1e300), np.full((1, 1), 1e300),
                                                   np.ones((1, 1)))),
    ("pool2d_backward", lambda: cl.pool2d_backward(np.full((2, 2), 1e308), np.ones((3, 3)), 2, 1, "sum")),
])
def test_a_gradient_that_overflows_is_a_named_error(name, call):
    assert isinstance(assert_refused(name, call), v.NonFiniteError)


HUGE = [10**6, 10**30]


@MODULES
@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize("name, call", [
    ("conv2d", lambda m, k: m.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), padding=k)),
    ("conv2d", lambda m, k: m.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), padding=k, stride=k)),
    ("correlate2d", lambda m, k: m.correlate2d(np.ones((3, 3)), np.ones((2, 2)), padding=k)),
    ("convolve2d", lambda m, k: m.convolve2d(np.ones((3, 3)), np.ones((2, 2)), padding=k, stride=k)),
    ("pad2d", lambda m, k: m.pad2d(np.ones((2, 3, 3)), k)),
], ids=["conv2d-padding", "conv2d-padding-stride", "correlate2d", "convolve2d-stride", "pad2d"])
def test_sizes_far_beyond_memory_are_refused_before_any_work(module, huge, name, call):
    assert_refused(name, call, module, huge)


@MODULES
@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
def test_a_window_far_larger_than_the_input_is_pooled_at_once_or_refused(module, huge, mode):
    # padding half the window: 4 x 4 outputs, each window covering much of the 3 x 3 input
    x = np.arange(9.0).reshape(3, 3)
    name = POOL_FUNCS[mode]
    kind, got = outcome(getattr(module, name), x, huge, 1, huge // 2)
    if module is ref:  # the loops would take 10**13 steps or more: refused
        assert kind == "error" and name in str(got) and "cnnlab." + name in str(got), got
        return
    assert kind == "ok", got
    want = pool_reference(x, (huge, huge), (1, 1), (huge // 2,) * 2, mode)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    dx = assert_computes(cl.pool2d_backward, np.ones(got.shape), x, huge, 1, mode, huge // 2)
    np.testing.assert_allclose(dx, pool_backward_reference(np.ones(got.shape), x, (huge, huge), (1, 1),
                                                           (huge // 2,) * 2, mode), rtol=1e-12, atol=0)


def test_an_output_beyond_memory_is_both_a_value_error_and_a_memory_error():
    with pytest.raises(ValueError, match=r"conv2d: the output \(1, 1, 2000002, 2000002\) in float64"):
        cl.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), padding=10**6)
    with pytest.raises(MemoryError, match=r"pad2d: the padded array"):
        cl.pad2d(np.ones((3, 3)), 10**30)


# -- augmentation -------------------------------------------------------------------------------

def shifted(x, dy, dx):
    """x moved down by dy and right by dx, zeros coming in (independent of scipy)."""
    out = np.zeros(x.shape)
    h, w = x.shape[-2:]
    src = x[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    out[..., max(dy, 0):max(dy, 0) + src.shape[-2], max(dx, 0):max(dx, 0) + src.shape[-1]] = src
    return out


@SWEEP
@given(data=st.data())
def test_augmentations_on_edge_batches(data):
    shape = tuple(data.draw(st.sampled_from([(0, 1, 4, 4), (0, 3, 3), (2, 1, 0, 3), (1, 1, 1, 1),
                                             (2, 3, 4, 5), (3, 4, 4), (1, 2, 3, 0)])))
    x, bad = data.draw(arrays(shape, scale=1e3))
    dtype = np.float16 if x.dtype == np.float16 else computed_dtype(x.dtype)
    rng = np.random.default_rng(data.draw(st.integers(0, 3)))
    calls = [("random_shift", lambda: augment.random_shift(x, 2, rng)),
             ("random_rotation", lambda: augment.random_rotation(x, np.float32(20), rng)),
             ("random_scale", lambda: augment.random_scale(x, np.array(0.2), rng)),
             ("random_affine", lambda: augment.random_affine(1, 10.0, np.float64(0.1))(x, rng)),
             ("affine", lambda: augment.affine(x, shifts=[1, -1]))]
    before = unchanged(x)
    for name, call in calls:
        kind, got = outcome(call)
        np.testing.assert_array_equal(x, before[0])
        if bad:
            assert kind == "error" and name in str(got), (name, got)
            continue
        assert kind == "ok", (name, got)
        assert got.shape == x.shape and got.dtype == dtype, name
        if name == "affine":  # a whole-pixel shift moves the pixels exactly
            want = shifted(x.astype(np.float64), 1, -1)
            np.testing.assert_allclose(got.astype(np.float64), want, rtol=TOLERANCE[np.dtype(dtype)])
    if not bad:  # a shift of at most 0 pixels is the identity
        same = assert_computes(augment.random_shift, x, 0, rng)
        np.testing.assert_array_equal(same, x.astype(dtype))


# -- wrong types and values ---------------------------------------------------------------------

X4D, W4D = np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2))
NOT_ARRAYS = [None, "abc", b"abc", [[1, 2], [3]], 1j, np.ones((2, 2), complex), {}, object(),
              np.array(["a", "b"]), np.zeros(2, "datetime64[s]"), [[1, None]]]
NOT_INTS = [None, "2", 1.5, -1, True, 1j, [1, 2, 3], np.nan, {}, np.float32(2.0)]
NOT_REALS = [None, "2", 1j, [1, 2, 3], {}, True, np.bool_(False), object()]
RNG = np.random.default_rng(0)

# (function name in messages, callable, good keyword arguments, {argument: bad values})
CASES = [
    ("conv2d", lambda m, **k: m.conv2d(**k), dict(x=X4D, w=W4D, b=np.ones(1)),
     dict(x=NOT_ARRAYS, w=NOT_ARRAYS, b=NOT_ARRAYS[1:], stride=NOT_INTS, padding=NOT_INTS + ["full"],
          dilation=NOT_INTS, groups=NOT_INTS)),
    ("correlate2d", lambda m, **k: m.correlate2d(**k), dict(image=X4D[0, 0], kernel=W4D[0, 0]),
     dict(image=NOT_ARRAYS, kernel=NOT_ARRAYS, stride=NOT_INTS, padding=NOT_INTS)),
    ("convolve2d", lambda m, **k: m.convolve2d(**k), dict(image=X4D[0, 0], kernel=W4D[0, 0]),
     dict(image=NOT_ARRAYS, kernel=NOT_ARRAYS, stride=NOT_INTS, padding=NOT_INTS)),
    ("pad2d", lambda m, **k: m.pad2d(**k), dict(x=X4D, padding=1, value=0),
     dict(x=NOT_ARRAYS, padding=NOT_INTS, value=NOT_REALS)),
    ("output_size", lambda m, **k: m.output_size(**k), dict(n=5, f=3),
     dict(n=NOT_INTS, f=NOT_INTS, stride=NOT_INTS, padding=NOT_INTS, dilation=NOT_INTS)),
    ("relu", lambda m, **k: m.relu(**k), dict(x=X4D), dict(x=NOT_ARRAYS)),
    ("softmax", lambda m, **k: m.softmax(**k), dict(z=X4D), dict(z=NOT_ARRAYS, axis=NOT_INTS[:3] + NOT_INTS[4:] + [4])),
    ("cross_entropy", lambda m, **k: m.cross_entropy(**k), dict(logits=[[0.0, 1.0]], labels=[1]),
     dict(logits=NOT_ARRAYS, labels=NOT_ARRAYS + [[0.0], [True], [2], [-1], [[0, 1], [1]]])),
    ("max_pool2d", lambda m, **k: m.max_pool2d(**k), dict(x=X4D), dict(x=NOT_ARRAYS, size=NOT_INTS,
                                                                        stride=NOT_INTS[1:], padding=NOT_INTS)),
    ("avg_pool2d", lambda m, **k: m.avg_pool2d(**k), dict(x=X4D), dict(x=NOT_ARRAYS, size=NOT_INTS)),
    ("sum_pool2d", lambda m, **k: m.sum_pool2d(**k), dict(x=X4D), dict(x=NOT_ARRAYS, size=NOT_INTS)),
    ("linear", lambda m, **k: m.linear(**k), dict(x=np.ones((2, 3)), W=np.ones((3, 2)), b=np.ones(2)),
     dict(x=NOT_ARRAYS, W=NOT_ARRAYS, b=NOT_ARRAYS[1:])),
    ("flatten", lambda m, **k: m.flatten(**k), dict(x=X4D), dict(x=NOT_ARRAYS)),
]
FAST_CASES = [
    ("pool2d", lambda m, **k: cl.pool2d(**k), dict(x=X4D), dict(x=NOT_ARRAYS, mode=NOT_REALS + [["max"], "MAX"])),
    ("pool2d_backward", lambda m, **k: cl.pool2d_backward(**k), dict(dout=np.ones((1, 1, 2, 2)), x=X4D),
     dict(dout=NOT_ARRAYS, x=NOT_ARRAYS, mode=NOT_REALS + [["max"]], size=NOT_INTS)),
    ("conv2d_backward", lambda m, **k: cl.conv2d_backward(**k),
     dict(dout=np.ones((1, 1, 3, 3)), x=X4D, w=W4D), dict(dout=NOT_ARRAYS, x=NOT_ARRAYS, w=NOT_ARRAYS)),
    ("linear_backward", lambda m, **k: cl.linear_backward(**k),
     dict(dout=np.ones((2, 2)), x=np.ones((2, 3)), W=np.ones((3, 2))),
     dict(dout=NOT_ARRAYS, x=NOT_ARRAYS, W=NOT_ARRAYS)),
    ("relu_backward", lambda m, **k: cl.relu_backward(**k), dict(dout=X4D, x=X4D),
     dict(dout=NOT_ARRAYS, x=NOT_ARRAYS)),
    ("sigmoid", lambda m, **k: cl.sigmoid(**k), dict(x=X4D), dict(x=NOT_ARRAYS)),
    ("tanh", lambda m, **k: cl.tanh(**k), dict(x=X4D), dict(x=NOT_ARRAYS)),
    ("cross_entropy_backward", lambda m, **k: losses.cross_entropy_backward(**k),
     dict(logits=[[0.0, 1.0]], labels=[1]), dict(logits=NOT_ARRAYS, labels=[[0.5], [[0], 1], None])),
    ("receptive_field", lambda m, **k: cl.receptive_field(**k), dict(layers=[(3, 1, 1)], input_size=8),
     dict(layers=[None, "abc", 3, [None], [(3, 1)], [(1.5, 1, 1)], [(3, 0, 1)]], input_size=NOT_INTS[1:])),
    ("random_shift", lambda m, **k: augment.random_shift(**k), dict(x=X4D, max_shift=1, rng=RNG),
     dict(x=NOT_ARRAYS + [np.ones((4, 4))], max_shift=NOT_INTS + [10**30], rng=[None, 0, "rng"])),
    ("random_rotation", lambda m, **k: augment.random_rotation(**k), dict(x=X4D, max_degrees=5, rng=RNG),
     dict(x=NOT_ARRAYS, max_degrees=NOT_REALS + [np.nan, np.inf, -1, 180, 10**30], rng=[None, 0])),
    ("random_scale", lambda m, **k: augment.random_scale(**k), dict(x=X4D, max_scale=0.1, rng=RNG),
     dict(x=NOT_ARRAYS, max_scale=NOT_REALS + [np.nan, -0.5, 1, np.float32(1.5)], rng=[None, 0])),
    ("random_affine", lambda m, **k: augment.random_affine(**k), dict(),
     dict(max_shift=NOT_INTS + [2**70], max_rotation=NOT_REALS + [np.nan, 200], max_scale=NOT_REALS + [np.nan])),
    ("random_affine", lambda m, **k: augment.random_affine()(**k), dict(x_batch=X4D, rng=RNG),
     dict(x_batch=NOT_ARRAYS, rng=[None, 0])),
    ("affine", lambda m, **k: augment.affine(**k), dict(x=X4D),
     dict(x=NOT_ARRAYS, shifts=NOT_ARRAYS[1:] + [[1, 2, 3], [1e308, 0.0, 0.0]],
          angles=NOT_ARRAYS[1:] + [[1, 2]], scales=NOT_ARRAYS[1:] + [0, -1, 1e-310, np.nan])),
    ("to_nchw", lambda m, **k: cl.to_nchw(**k), dict(image=np.ones((4, 4, 3), np.uint8)),
     dict(image=NOT_ARRAYS + [np.ones(3), np.ones((4, 4, 2)), np.full((2, 2), np.inf)])),
    ("to_image", lambda m, **k: cl.to_image(**k), dict(x=np.ones((1, 3, 4, 4))),
     dict(x=NOT_ARRAYS + [np.ones((2, 3, 4, 4)), np.ones((5, 4, 4)), np.ones(3)])),
    ("to_gray", lambda m, **k: data.to_gray(**k), dict(image=np.ones((2, 2, 3), np.uint8)),
     dict(image=NOT_ARRAYS + [np.ones((2, 2)), np.full((2, 2, 3), np.nan)])),
    ("load_photo", lambda m, **k: data.load_photo(**k), dict(name="camera"),
     dict(name=[None, ["camera"], np.array(["camera"]), "lena", 3], gray=["yes", None, 1])),
    ("load_digits", lambda m, **k: data.load_digits(**k), dict(split="test"),
     dict(split=[None, ["train"], np.array(["train", "test"]), "valid"])),
    ("load_mnist", lambda m, **k: data.load_mnist(**k), dict(split="test"),
     dict(split=[None, {}, np.array(["train", "test"]), "valid"])),
]


def _expand(cases, modules):
    for name, call, good, bad in cases:
        for module in modules:
            for arg, values in bad.items():
                for i, value in enumerate(values):
                    yield pytest.param(name, call, module, good, arg, value,
                                       id=f"{module.__name__}.{name}-{arg}-{i}")


@pytest.mark.parametrize("name, call, module, good, arg, value",
                         list(_expand(CASES, [cl, ref])) + list(_expand(FAST_CASES, [cl])))
def test_wrong_types_and_values_are_named_errors(name, call, module, good, arg, value):
    assert_refused(name, call, module, **{**good, arg: value})


def test_the_good_arguments_of_the_wrong_type_sweep_are_accepted():
    # so that each refusal above is due to the one bad argument
    for name, call, good, _ in CASES + FAST_CASES:
        if name.startswith("load_"):
            continue  # loaders: checked in test_data.py
        for module in ([cl, ref] if (name, call, good, _) in CASES else [cl]):
            assert_computes(call, module, **good)


def test_a_layer_index_of_the_wrong_type_is_a_named_error():
    rf = cl.receptive_field([(3, 1, 1)], input_size=5)
    for layer in ("a", 1.0, None, True):
        assert_refused("ReceptiveField.bounds", rf.bounds, 0, 0, layer=layer)


# -- hyperparameters: Python and NumPy real scalars alike ---------------------------------------

@pytest.mark.parametrize("value", [0.1, 1, np.float32(0.1), np.float16(0.5), np.float64(0.1), np.int64(1),
                                   np.uint8(1), np.array(0.25), np.array(3, np.int32)])
def test_real_number_accepts_python_and_numpy_real_scalars(value):
    got = v.real_number("SGD", "lr", value, low=0, low_open=True)
    assert type(got) is float and got == float(value)


@pytest.mark.parametrize("value, error", [
    (True, TypeError), (np.bool_(True), TypeError), ("0.1", TypeError), (None, TypeError),
    (1j, TypeError), (np.complex64(1), TypeError), ([0.1], TypeError), (np.array([0.1]), TypeError),
    (np.nan, ValueError), (np.float32(np.inf), ValueError), (0, ValueError), (-1, ValueError),
])
def test_real_number_refuses_other_values_naming_function_and_argument(value, error):
    with pytest.raises(error, match=r"^SGD: lr must be a positive number, got"):
        v.real_number("SGD", "lr", value, low=0, low_open=True)


def test_real_number_ranges_are_described_in_the_message():
    with pytest.raises(ValueError, match=r"Adam: betas\[0\] must be a number in \[0, 1\), got np.float32\(1.0\)"):
        v.real_number("Adam", "betas[0]", np.float32(1.0), low=0, high=1, high_open=True)
    assert v.real_number("BatchNorm2D", "momentum", np.float32(1.0), low=0, high=1) == 1.0


def test_a_bias_of_another_dtype_counts_alike_in_both_versions():
    # float32 x and W with a float64 bias: float64 out of both (NumPy's promotion of all three)
    x, w = np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 2, 2), np.float32)
    for module in (cl, ref):
        assert module.conv2d(x, w, np.ones(1)).dtype == np.float64
        assert module.conv2d(x, w, np.ones(1, np.float32)).dtype == np.float32
        assert module.linear(np.ones((1, 2), np.float32), np.ones((2, 3), np.float32),
                             np.ones(3)).dtype == np.float64


def test_an_empty_batch_has_zero_weight_gradients():
    # no sample: every gradient is an empty sum, 0 (not whatever memory np.empty returned)
    w = np.full((2, 1, 2, 2), 7.0)
    for _ in range(3):
        np.full((2, 1, 2, 2), 123.0)  # leave non-zero garbage where the next array may land
        dx, dw, db = cl.conv2d_backward(np.zeros((0, 2, 2, 2)), np.zeros((0, 1, 3, 3)), w)
        assert dx.shape == (0, 1, 3, 3)
        np.testing.assert_array_equal(dw, np.zeros_like(w))
        np.testing.assert_array_equal(db, [0.0, 0.0])


def test_no_input_channels_is_an_empty_sum():
    # C = 0: each output is the bias alone, in the fast and the loop version
    for module in (cl, ref):
        out = module.conv2d(np.zeros((2, 0, 4, 4)), np.zeros((3, 0, 2, 2)), b=[1.0, 2.0, 3.0])
        np.testing.assert_array_equal(out, np.broadcast_to(np.array([1.0, 2.0, 3.0])[None, :, None, None],
                                                           (2, 3, 3, 3)))
    dx, dw, db = cl.conv2d_backward(np.ones((2, 3, 3, 3)), np.zeros((2, 0, 4, 4)), np.zeros((3, 0, 2, 2)))
    assert dx.shape == (2, 0, 4, 4) and dw.shape == (3, 0, 2, 2)
    np.testing.assert_array_equal(db, [18.0, 18.0, 18.0])


@pytest.mark.parametrize("func, amount", [(augment.random_shift, 1), (augment.random_rotation, 10),
                                          (augment.random_scale, 0.5)])
@pytest.mark.parametrize("shape", [(0, 1, 5, 5), (0, 5, 5), (2, 1, 0, 5), (2, 3, 4, 0)])
def test_augmenting_an_empty_batch_gives_an_empty_batch(func, amount, shape):
    out = func(np.zeros(shape, np.float32), amount, np.random.default_rng(0))
    assert out.shape == shape and out.dtype == np.float32


def test_a_float16_batch_is_resampled_in_float32_and_returned_as_float16():
    x = np.zeros((1, 1, 5, 5), np.float16)
    x[0, 0, 2, 2] = 1.5
    out = augment.affine(x, shifts=[1, 2])
    assert out.dtype == np.float16
    want = np.zeros((1, 1, 5, 5), np.float16)
    want[0, 0, 3, 4] = 1.5
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("shape", [(0, 3), (2, 3, 0), (1, 0, 0)])
def test_pooling_an_input_without_rows_or_columns_is_refused(shape):
    # with padding the window "fits", but every window would hold padding only (-inf for max)
    for mode, name in POOL_FUNCS.items():
        for module in (cl, ref):
            assert_refused(name, getattr(module, name), np.zeros(shape), 2, 1, 1)
        assert_refused("pool2d_backward", cl.pool2d_backward, np.zeros(shape[:-2] + (2, 2)),
                       np.zeros(shape), 2, 1, mode, 1)


@pytest.mark.parametrize("func", [cl.max_pool2d, ref.max_pool2d, cl.pool2d_backward])
def test_pool_padding_none_is_a_named_type_error(func):
    args = (np.ones((2, 2)), np.ones((4, 4)), 2, None, "max") if func is cl.pool2d_backward else (
        np.ones((4, 4)), 2, None)
    with pytest.raises(TypeError, match=f"{func.__name__}: padding must be a non-negative integer"):
        func(*args, padding=None)
