"""The same operations as plain Python loops, written the way the notebooks explain them.

Slow on purpose: every output number is computed by visible loops, so a learner can read each
function next to the lesson. The tests check that the fast versions in cnnlab give the same
numbers; the notebooks time both. Arguments are checked by the same code as in the fast
versions (``cnnlab._validation``), so a bad argument gets the same error from both; the tests
run the same rejected inputs against both modules.

Results have the same dtypes as the fast versions' (float16 stays float16, integers become
float64), and a result that overflows its dtype is refused in the same way. A call whose loops
would run more than `MAX_STEPS` times (minutes of Python or more) is refused with a ValueError that points
to the fast version.
"""

import functools
import math
import threading

import numpy as np

from . import _validation as v
from .losses import check_labels

__all__ = ["output_size", "pad2d", "correlate2d", "convolve2d", "conv2d", "relu",
           "max_pool2d", "avg_pool2d", "sum_pool2d", "linear", "flatten", "softmax",
           "cross_entropy"]

#: The most loop steps a function here runs (a few minutes of Python); larger calls are refused.
MAX_STEPS = 2 * 10**8


_calls = threading.local()


def _refuse_overflow(func):
    """Run the decorated loops without NumPy's overflow warnings, and refuse a result that
    overflowed (a NonFiniteError naming ``func``, as the fast version raises). A decorated
    function called by another (correlate2d calls conv2d) leaves the check to the outer one,
    so that the message names the function the learner called."""
    def decorate(loops):
        @functools.wraps(loops)
        def checked(*args, **kwargs):
            depth = getattr(_calls, "depth", 0)
            _calls.depth = depth + 1
            try:
                with v.quiet_overflow():
                    out = loops(*args, **kwargs)
            finally:
                _calls.depth = depth
            return out if depth else v.finite_result(func, out)
        return checked
    return decorate


def _check_steps(func, steps):
    if steps > MAX_STEPS:
        raise ValueError(f"{func} (cnnlab.reference): the loops would run {steps:.3g} times, "
                         f"more than {MAX_STEPS:.0e} (minutes to hours of Python); the loop version "
                         f"is for small inputs, use cnnlab.{func}")


def output_size(n, f, stride=1, padding=0, dilation=1):
    """floor((n + 2p - d(f - 1) - 1) / s) + 1: how many positions the filter can take."""
    n, f, stride, padding, dilation = v.output_size_args("output_size", n, f, stride, padding,
                                                         dilation)
    span = dilation * (f - 1) + 1          # the cells a dilated filter covers
    if n + 2 * padding < span:
        v.output_length("output_size", n, f, stride, padding, dilation)  # raises: nothing fits
    positions = (n + 2 * padding - span) // stride + 1
    return positions


def pad2d(x, padding, value=0):
    """Copy ``x`` into the middle of a larger array filled with ``value`` (last two axes)."""
    x, (ph, pw), value = v.pad_args("pad2d", x, padding, value)
    h, w = x.shape[-2:]
    _check_steps("pad2d", h * w)
    out = v.new_array("pad2d", x.shape[:-2] + (h + 2 * ph, w + 2 * pw), x.dtype, "padded array",
                      fill=value)
    for i in range(h):
        for j in range(w):
            out[..., ph + i, pw + j] = x[..., i, j]
    return out


def _check_single_map(func, image, kernel, geometry):
    """The limits conv2d would check, refused with the name of the function called."""
    (sh, sw), (ph, pw) = geometry[:2]
    (h, w), (kh, kw) = image.shape, kernel.shape
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    _check_steps(func, oh * ow * kh * kw)
    v.check_size(func, (h + 2 * ph, w + 2 * pw), image.dtype, "padded input")


@_refuse_overflow("correlate2d")
def correlate2d(image, kernel, stride=1, padding=0):
    """Place the kernel at the top left, multiply element-wise, sum, write one output pixel;
    move by the stride and repeat, row by row."""
    image, kernel, geometry = v.single_map_args("correlate2d", image, kernel, stride, padding)
    _check_single_map("correlate2d", image, kernel, geometry)
    return conv2d(image[None, None], kernel[None, None], None, stride, padding)[0, 0]


@_refuse_overflow("convolve2d")
def convolve2d(image, kernel, stride=1, padding=0):
    """True convolution: flip the kernel upside down and left to right, then correlate."""
    image, kernel, geometry = v.single_map_args("convolve2d", image, kernel, stride, padding)
    _check_single_map("convolve2d", image, kernel, geometry)
    flipped = kernel[::-1, ::-1]
    return correlate2d(image, flipped, stride, padding)


@_refuse_overflow("conv2d")
def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """For every image n, filter f and output position (i, j): the sum over channels c and
    kernel offsets (di, dj) of input times weight, plus the filter's bias. With ``groups``, the
    filters are split into ``groups`` equal sets and each set reads only its share of the
    channels: filter f belongs to group f // (F / groups) and reads that group's C / groups
    channels."""
    x, w, b, geometry = v.conv_args("conv2d", x, w, b, stride, padding, dilation, groups)
    (sh, sw), (ph, pw), (dh, dw), groups = geometry
    n_images, channels, height, width = x.shape
    n_filters, w_channels, kh, kw = w.shape
    oh = v.output_length("conv2d", height, kh, sh, ph, dh, "height")
    ow = v.output_length("conv2d", width, kw, sw, pw, dw, "width")
    _check_steps("conv2d", n_images * n_filters * oh * ow * max(1, w_channels * kh * kw))
    v.check_size("conv2d", (n_images, channels, height + 2 * ph, width + 2 * pw), x.dtype,
                 "padded input")
    if b is not None:  # the result's dtype counts the bias's, as in the fast version
        dtype = np.result_type(x, w, b)
        x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    xp = pad2d(x, (ph, pw))
    filters_per_group = n_filters // groups
    out = np.zeros((n_images, n_filters, oh, ow), dtype=np.result_type(x, w))
    for n in range(n_images):
        for f in range(n_filters):
            first_channel = (f // filters_per_group) * w_channels   # where f's group starts
            for i in range(oh):
                for j in range(ow):
                    total = 0.0 if b is None else float(b[f])
                    for c in range(w_channels):
                        for di in range(kh):
                            for dj in range(kw):
                                total += (xp[n, first_channel + c, i * sh + di * dh, j * sw + dj * dw]
                                          * w[f, c, di, dj])
                    out[n, f, i, j] = total
    return out


def relu(x):
    """Each negative number becomes 0."""
    x = v.as_float_array("relu", "x", x)
    _check_steps("relu", x.size)
    out = x.copy()
    for index in np.ndindex(out.shape):
        if out[index] < 0:
            out[index] = 0.0
    return out


def _pool(func, x, size, stride, padding, fill, reduce):
    x = v.as_float_array(func, "x", x, min_ndim=2)
    v.int_pair(func, "padding", padding, minimum=0)  # None too: pool_window takes None as "no padding"
    (kh, kw), (sh, sw), (ph, pw) = v.pool_window(func, x.shape, size, stride, padding)
    h, w = x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    _check_steps(func, int(np.prod(x.shape[:-2])) * oh * ow * kh * kw)
    v.check_size(func, x.shape[:-2] + (h, w), x.dtype, "padded input")
    x = pad2d(x, (ph, pw), value=fill)     # -inf for max pooling: padded cells never win
    out = np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
    with v.quiet_overflow():
        for lead in np.ndindex(x.shape[:-2]):
            for i in range(oh):
                for j in range(ow):
                    window = [x[lead + (i * sh + a, j * sw + c)] for a in range(kh) for c in range(kw)]
                    out[lead + (i, j)] = reduce(window)
    return v.finite_result(func, out)


def max_pool2d(x, size=2, stride=None, padding=0):
    """The largest number of each window."""
    return _pool("max_pool2d", x, size, stride, padding, -np.inf, max)


def avg_pool2d(x, size=2, stride=None, padding=0):
    """The mean of each window (padded zeros count)."""
    return _pool("avg_pool2d", x, size, stride, padding, 0.0,
                 lambda window: sum(window) / len(window))


def sum_pool2d(x, size=2, stride=None, padding=0):
    """The sum of each window."""
    return _pool("sum_pool2d", x, size, stride, padding, 0.0, sum)


def linear(x, W, b=None):
    """out[n, k] = sum over i of x[n, i] * W[i, k], plus b[k]."""
    x, W, b = v.linear_args("linear", x, W, b)
    _check_steps("linear", x.shape[0] * W.shape[1] * max(1, x.shape[1]))
    if b is not None:  # the result's dtype counts the bias's, as in the fast version
        dtype = np.result_type(x, W, b)
        x, W = x.astype(dtype, copy=False), W.astype(dtype, copy=False)
    out = np.zeros((x.shape[0], W.shape[1]), dtype=np.result_type(x, W))
    with v.quiet_overflow():
        for n in range(x.shape[0]):
            for k in range(W.shape[1]):
                total = 0.0 if b is None else float(b[k])
                for i in range(x.shape[1]):
                    total += x[n, i] * W[i, k]
                out[n, k] = total
    return v.finite_result("linear", out)


def flatten(x):
    """Read each sample's numbers row by row into one long vector."""
    x = v.as_float_array("flatten", "x", x, min_ndim=1)
    _check_steps("flatten", x.size)
    length = int(np.prod(x.shape[1:]))
    out = np.zeros((x.shape[0], length), dtype=x.dtype)
    for n, sample in enumerate(x):
        for k, index in enumerate(np.ndindex(sample.shape)):   # row by row: the last axis fastest
            out[n, k] = sample[index]
    return out


def softmax(z, axis=-1):
    """exp of each score divided by the sum of the exps (after subtracting the largest score)."""
    z = v.as_float_array("softmax", "z", z, min_ndim=1)
    axis = v.softmax_axis("softmax", z, axis)
    v.nonempty_axis("softmax", "z", z, axis)
    _check_steps("softmax", z.size)
    moved = np.moveaxis(z, axis, -1)
    out = np.zeros_like(moved)
    for index in np.ndindex(moved.shape[:-1]):
        scores = [float(s) for s in moved[index]]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        out[index] = [e / total for e in exps]
    return np.moveaxis(out, -1, axis)


def cross_entropy(logits, labels):
    """The mean over samples of -log(probability given to the true class)."""
    logits = v.as_float_array("cross_entropy", "logits", logits, ndim=2)
    labels = check_labels("cross_entropy", labels, logits.shape[0], logits.shape[1])
    if logits.shape[0] == 0:
        raise ValueError("cross_entropy: logits must hold at least one sample, got shape "
                         f"{logits.shape}")
    _check_steps("cross_entropy", logits.size)
    losses = []
    for n, label in enumerate(labels):
        scores = [float(s) for s in logits[n]]
        top = max(scores)
        # -log(exp(s_label) / sum(exp(s))) = log(sum(exp(s - top))) + top - s_label: the log of
        # a sum of at least 1 (the top score's term), never of an underflowed 0
        log_total = math.log(sum(math.exp(s - top) for s in scores))
        losses.append(log_total + top - scores[int(label)])
    return sum(losses) / len(losses)
