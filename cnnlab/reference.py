"""The same operations as plain Python loops, written the way the notebooks explain them.

Slow on purpose: every output number is computed by visible loops, so a learner can read each
function next to the lesson. The backward passes are here too, with the signatures of the fast
ones (``conv2d_backward(dout, x, w, stride, padding, dilation, groups)``, ``pool2d_backward``,
``linear_backward``, ``relu_backward``, ``cross_entropy_backward``, the pair
``batchnorm_forward`` / ``batchnorm_backward``): each sends every output's gradient back, one
number at a time, to the inputs and weights that made it. The tests check that the fast versions in cnnlab give the same
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
from .ops.losses import check_labels

__all__ = ["output_size", "pad2d", "correlate2d", "convolve2d", "conv2d", "conv2d_backward",
           "relu", "relu_backward", "max_pool2d", "avg_pool2d", "sum_pool2d", "pool2d_backward",
           "linear", "linear_backward", "flatten", "softmax", "cross_entropy",
           "cross_entropy_backward", "batchnorm_forward", "batchnorm_backward"]

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
            if not depth:  # a backward pass returns several arrays: each is checked
                for part in out if isinstance(out, tuple) else (out,):
                    v.finite_result(func, part, "the result" if part is out else "the gradient")
            return out
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


# --- backward passes ---------------------------------------------------------------------------

def _dout(func, dout, shape):
    dout = v.as_float_array(func, "dout", dout)
    if dout.shape != shape:
        raise ValueError(f"{func}: dout must have the output's shape {shape}, got {dout.shape}")
    return dout


@_refuse_overflow("conv2d_backward")
def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Walk the forward loops again; each product ``xp[n, c, r, s] * w[f, c, di, dj]`` that made
    ``out[n, f, i, j]`` sends ``dout[n, f, i, j]`` times the weight to the input and times the
    input to the weight. Returns (dx, dw, db)."""
    x, w, _, geometry = v.conv_args("conv2d_backward", x, w, None, stride, padding, dilation,
                                    groups)
    (sh, sw), (ph, pw), (dh, dw), groups = geometry
    n_images, channels, height, width = x.shape
    n_filters, w_channels, kh, kw = w.shape
    oh = v.output_length("conv2d_backward", height, kh, sh, ph, dh, "height")
    ow = v.output_length("conv2d_backward", width, kw, sw, pw, dw, "width")
    dout = _dout("conv2d_backward", dout, (n_images, n_filters, oh, ow))
    _check_steps("conv2d_backward", n_images * n_filters * oh * ow * max(1, w_channels * kh * kw))
    dtype = np.result_type(dout, x, w)
    xp = pad2d(x, (ph, pw))
    dxp = np.zeros(xp.shape, dtype)
    dweights = np.zeros(w.shape, dtype)
    dbias = np.zeros(n_filters, dtype)
    filters_per_group = n_filters // groups
    for n in range(n_images):
        for f in range(n_filters):
            first_channel = (f // filters_per_group) * w_channels
            for i in range(oh):
                for j in range(ow):
                    g = dout[n, f, i, j]
                    dbias[f] += g
                    for c in range(w_channels):
                        for di in range(kh):
                            for dj in range(kw):
                                r, q = i * sh + di * dh, j * sw + dj * dw
                                dxp[n, first_channel + c, r, q] += g * w[f, c, di, dj]
                                dweights[f, c, di, dj] += g * xp[n, first_channel + c, r, q]
    return dxp[:, :, ph:ph + height, pw:pw + width].copy(), dweights, dbias


@_refuse_overflow("pool2d_backward")
def pool2d_backward(dout, x, size=2, stride=None, mode="max", padding=0):
    """Each window hands its gradient back: all of it to its first largest entry ("max"), an
    equal share to every entry ("avg"), a copy to every entry ("sum"); what lands on the
    padding is dropped."""
    func = "pool2d_backward"
    v.pool_mode(mode, func)
    x = v.as_float_array(func, "x", x, min_ndim=2)
    v.int_pair(func, "padding", padding, minimum=0)
    (kh, kw), (sh, sw), (ph, pw) = v.pool_window(func, x.shape, size, stride, padding)
    h, w = x.shape[-2:]
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    dout = _dout(func, dout, x.shape[:-2] + (oh, ow))
    _check_steps(func, int(np.prod(x.shape[:-2])) * oh * ow * kh * kw)
    dx = np.zeros(x.shape, np.result_type(dout, x))
    for lead in np.ndindex(x.shape[:-2]):
        for i in range(oh):
            for j in range(ow):
                g = dout[lead + (i, j)]
                cells = [(i * sh + a - ph, j * sw + c - pw) for a in range(kh) for c in range(kw)]
                inside = [(r, q) for r, q in cells if 0 <= r < h and 0 <= q < w]
                if mode == "max":   # padded cells are -inf: the first maximum is inside
                    best = max(inside, key=lambda rq: (x[lead + rq], -cells.index(rq)))
                    dx[lead + best] += g
                else:
                    for r, q in inside:
                        dx[lead + (r, q)] += g / len(cells) if mode == "avg" else g
    return dx


def relu_backward(dout, x):
    """The gradient passes where the input was positive, and is 0 elsewhere (0 at x == 0)."""
    x = v.as_float_array("relu_backward", "x", x)
    dout = v.as_float_array("relu_backward", "dout", dout)
    if dout.shape != x.shape:
        raise ValueError(f"relu_backward: dout must have the shape of x, {x.shape}, got {dout.shape}")
    _check_steps("relu_backward", x.size)
    dx = np.zeros(x.shape, np.result_type(dout, x))
    for index in np.ndindex(x.shape):
        if x[index] > 0:
            dx[index] = dout[index]
    return dx


@_refuse_overflow("linear_backward")
def linear_backward(dout, x, W):
    """out[n, k] used x[n, i] * W[i, k]: so dx[n, i] += dout[n, k] * W[i, k],
    dW[i, k] += dout[n, k] * x[n, i], and db[k] += dout[n, k]."""
    dout = v.as_float_array("linear_backward", "dout", dout, ndim=2)
    x, W, _ = v.linear_args("linear_backward", x, W, None)
    dout = _dout("linear_backward", dout, (x.shape[0], W.shape[1]))
    _check_steps("linear_backward", x.shape[0] * W.shape[1] * max(1, x.shape[1]))
    dtype = np.result_type(dout, x, W)
    dx, dW, db = np.zeros(x.shape, dtype), np.zeros(W.shape, dtype), np.zeros(W.shape[1], dtype)
    for n in range(x.shape[0]):
        for k in range(W.shape[1]):
            db[k] += dout[n, k]
            for i in range(x.shape[1]):
                dx[n, i] += dout[n, k] * W[i, k]
                dW[i, k] += dout[n, k] * x[n, i]
    return dx, dW, db


def cross_entropy_backward(logits, labels):
    """(probability - 1 for the true class, probability for the others) / N, sample by sample."""
    logits = v.as_float_array("cross_entropy_backward", "logits", logits, ndim=2)
    labels = check_labels("cross_entropy_backward", labels, logits.shape[0], logits.shape[1])
    _check_steps("cross_entropy_backward", logits.size)
    grad = np.zeros(logits.shape)
    for n, label in enumerate(labels):
        probabilities = softmax(logits[n])
        for k in range(logits.shape[1]):
            grad[n, k] = (probabilities[k] - (k == label)) / len(labels)
    return grad.astype(logits.dtype, copy=False)


def _channel_values(x, c):
    """Every value of channel c (axis 1), over the batch and the positions, as a flat list."""
    return [x[(n, c) + rest] for n in range(x.shape[0]) for rest in np.ndindex(x.shape[2:])]


def batchnorm_forward(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """Channel by channel: the mean and the (biased) variance of its values (or the given ones),
    then ``gamma * (value - mean) / sqrt(var + eps) + beta`` for each value. Returns (out, ctx),
    ctx a dict of what the backward pass needs."""
    from .ops.batchnorm import batchnorm_forward as checked  # the same checks as the fast pair
    checked(x, gamma, beta, eps, mean, var)
    x = v.as_float_array("batchnorm_forward", "x", x, min_ndim=2)
    gamma, beta = np.asarray(gamma, float), np.asarray(beta, float)
    _check_steps("batchnorm_forward", x.size)
    out = np.zeros(x.shape, np.result_type(x, gamma))
    xhat = np.zeros_like(out)
    means, variances = [], []
    for c in range(x.shape[1]):
        values = _channel_values(x, c)
        m = sum(values) / len(values) if mean is None else float(mean[c])
        s2 = sum((val - m) ** 2 for val in values) / len(values) if var is None else float(var[c])
        means.append(m)
        variances.append(s2)
        for n in range(x.shape[0]):
            for rest in np.ndindex(x.shape[2:]):
                cell = (n, c) + rest
                xhat[cell] = (x[cell] - m) / math.sqrt(s2 + eps)
                out[cell] = gamma[c] * xhat[cell] + beta[c]
    ctx = {"xhat": xhat, "gamma": gamma, "var": variances, "eps": eps, "batch_stats": mean is None}
    return out, ctx


def batchnorm_backward(dout, ctx):
    """Channel by channel, with m values: dbeta = sum of dout, dgamma = sum of dout * xhat, and
    dx = gamma / sqrt(var + eps) * (dout - dbeta / m - xhat * dgamma / m) (without the two
    correction terms when the statistics were given, constants). Returns (dx, dgamma, dbeta)."""
    xhat, gamma = ctx["xhat"], ctx["gamma"]
    dout = _dout("batchnorm_backward", dout, xhat.shape)
    _check_steps("batchnorm_backward", dout.size)
    dx = np.zeros(dout.shape, np.result_type(dout, xhat))
    dgamma, dbeta = np.zeros(len(gamma)), np.zeros(len(gamma))
    for c in range(dout.shape[1]):
        cells = [(n,) + (c,) + rest for n in range(dout.shape[0]) for rest in np.ndindex(dout.shape[2:])]
        dbeta[c] = sum(dout[cell] for cell in cells)
        dgamma[c] = sum(dout[cell] * xhat[cell] for cell in cells)
        scale = gamma[c] / math.sqrt(ctx["var"][c] + ctx["eps"])
        for cell in cells:
            if ctx["batch_stats"]:
                dx[cell] = scale * (dout[cell] - dbeta[c] / len(cells) - xhat[cell] * dgamma[c] / len(cells))
            else:
                dx[cell] = scale * dout[cell]
    return dx, dgamma, dbeta
