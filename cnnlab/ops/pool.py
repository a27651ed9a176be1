"""Pooling: max, average and sum over k x k windows of the last two axes, and their gradients.

Pooling works on any leading axes: (H, W), (C, H, W) or (N, C, H, W). The stride defaults to
the window size (non-overlapping windows); windows that do not fit at the right or bottom edge
are dropped, as in convolution: ``out = floor((n + 2p - k) / s) + 1`` with ``padding`` p (0 by
default; -inf for max pooling, zeros for the others). Each forward function has its backward
beside it: `pool2d_backward`, which the pooling layers call.

Tie-breaking of max pooling: when several entries of a window share the maximum, the gradient
goes to the first of them in row-major order (top row first, then left to right), which is what
``numpy.argmax`` returns.

Dtypes: floating inputs keep their dtype (float16 stays float16); integer and bool inputs are
computed in float64. Windows far larger than the input (a huge ``size`` with ``padding`` up to
half of it) are reduced over the part that overlaps the input, without building the padded
array; a padded array larger than this machine's memory is refused.

The layers' pair: ``pool2d_forward(x, size, stride, mode, padding) -> (out, ctx)`` and
``pool2d_backward(dout, ctx)``.
"""

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import _validation as v

__all__ = ["max_pool2d", "avg_pool2d", "sum_pool2d", "pool2d", "pool2d_forward", "pool2d_backward",
           "POOL_MODES", "PoolContext"]

POOL_MODES = v.POOL_MODES


class PoolContext(NamedTuple):
    """What `pool2d_backward` needs: the checked input and window, and the output's shape."""

    x: np.ndarray
    size: tuple
    stride: tuple
    mode: str
    padding: tuple
    out_shape: tuple


def pool2d(x, size=2, stride=None, mode="max", padding=0):
    """Pool the last two axes of ``x`` with ``mode`` in ``("max", "avg", "sum")``.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    size : int or pair of int
        Window height and width (KH, KW).
    stride : int or pair of int, optional
        Step between windows; defaults to ``size``.
    mode : {"max", "avg", "sum"}
    padding : int or pair of int, optional
        Added on each side before pooling, at most half the window: -inf for "max" (padded
        cells never win), zeros for "avg" (they count in the mean, as PyTorch's default
        ``count_include_pad=True``) and "sum".

    Returns
    -------
    ndarray, shape (..., OH, OW)
        ``OH = floor((H + 2*PH - KH) / SH) + 1`` and likewise OW.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 8]])
    >>> pool2d(x, 2, mode="max")
    array([[4., 2.],
           [2., 8.]])
    >>> pool2d(x, 2, mode="avg")
    array([[2.5 , 1.  ],
           [1.25, 6.5 ]])
    >>> pool2d(x, 3, stride=2, padding=1)      # ResNet's first pooling: 4 x 4 -> 2 x 2
    array([[4., 3.],
           [4., 8.]])
    """
    func = _FUNC_NAMES.get(mode, "pool2d") if isinstance(mode, str) else "pool2d"
    return _forward(_context(func, x, size, stride, mode, padding), func)[0]


def pool2d_forward(x, size=2, stride=None, mode="max", padding=0):
    """`pool2d`, and the context of its backward pass: returns ``(out, ctx)``.

    Examples
    --------
    >>> out, ctx = pool2d_forward([[1.0, 3.0], [4.0, 2.0]], 2)
    >>> out, pool2d_backward([[10.0]], ctx)
    (array([[4.]]), array([[ 0.,  0.],
           [10.,  0.]]))
    """
    return _forward(_context("pool2d_forward", x, size, stride, mode, padding), "pool2d_forward")


def _context(func, x, size, stride, mode, padding):
    """The checked arguments of a pooling call, as a `PoolContext`."""
    v.pool_mode(mode, func)
    x = v.as_float_array(func, "x", x, min_ndim=2)
    v.int_pair(func, "padding", padding, minimum=0)  # None too: pool_window takes None as "no padding"
    size, stride, padding = v.pool_window(func, x.shape, size, stride, padding)
    return PoolContext(x, size, stride, mode, padding, x.shape[:-2] + _out_shape(x.shape, size, stride, padding))


def _forward(ctx, func="pool2d"):
    """(out, ctx) of a checked context."""
    x, size, stride, mode, padding, _ = ctx
    with v.refuse_overflow(func, x.dtype):
        if _few_large_windows(x.shape, size, stride, padding):
            return _pool_clipped(x, size, stride, padding, mode), ctx
        return _pool(_padded(x, padding, mode, func), size, stride, mode), ctx


_FUNC_NAMES = {"max": "max_pool2d", "avg": "avg_pool2d", "sum": "sum_pool2d"}


def _padded(x, padding, mode, func="pool2d"):
    """``x`` with ``padding`` added on the last two axes (-inf for max pooling); ``x`` if none."""
    (ph, pw) = padding
    if not ph and not pw:
        return x
    fill = -np.inf if mode == "max" else 0.0
    out = v.new_array(func, x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), x.dtype,
                      "padded input", fill=fill)
    out[..., ph:ph + x.shape[-2], pw:pw + x.shape[-1]] = x
    return out


#: Windows of more cells than this, and than there are outputs, are pooled output by output
#: over their overlap with the input (`_pool_clipped`) instead of offset by offset.
LARGE_WINDOW = 1024


def _out_shape(shape, size, stride, padding):
    """(OH, OW): the one output-size formula (windows that do not fit are dropped)."""
    return tuple((n + 2 * p - k) // s + 1 for n, p, k, s in zip(shape[-2:], padding, size, stride))


def _few_large_windows(shape, size, stride, padding):
    oh, ow = _out_shape(shape, size, stride, padding)
    return size[0] * size[1] > max(LARGE_WINDOW, oh * ow)


def _clipped_windows(shape, size, stride, padding):
    """(i, j, rows, cols) per output: the input slices its window covers (padding left out)."""
    (h, w), (oh, ow) = shape[-2:], _out_shape(shape, size, stride, padding)
    for i in range(oh):
        top = i * stride[0] - padding[0]
        rows = slice(max(top, 0), min(top + size[0], h))
        for j in range(ow):
            left = j * stride[1] - padding[1]
            yield i, j, rows, slice(max(left, 0), min(left + size[1], w))


def _pool_clipped(x, size, stride, padding, mode):
    """Pooling one output at a time over each window's overlap with ``x`` (never empty: the
    padding is at most half the window): the same numbers as pooling the padded input."""
    out = np.empty(x.shape[:-2] + _out_shape(x.shape, size, stride, padding), x.dtype)
    for i, j, rows, cols in _clipped_windows(x.shape, size, stride, padding):
        part = x[..., rows, cols]
        if mode == "max":
            out[..., i, j] = part.max(axis=(-2, -1))
        else:
            total = part.sum(axis=(-2, -1))
            out[..., i, j] = total / (size[0] * size[1]) if mode == "avg" else total
    return out


def _pool(x, size, stride, mode):
    """`pool2d` on an array and window already checked (the layers' forward pass)."""
    win = _windows(x, size, stride)
    if mode == "max":
        # One element-wise maximum per window offset: several times faster than a reduction
        # over the two small window axes of a strided view, and exactly the same numbers.
        out = win[..., 0, 0].copy()
        for i in range(win.shape[-2]):
            for j in range(win.shape[-1]):
                if i or j:
                    np.maximum(out, win[..., i, j], out=out)
        return out
    if mode == "sum":
        return win.sum(axis=(-2, -1))
    return win.mean(axis=(-2, -1))


def max_pool2d(x, size=2, stride=None, padding=0):
    """Maximum of each window of the last two axes; see :func:`pool2d`.

    Examples
    --------
    >>> max_pool2d(np.arange(16).reshape(4, 4))
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return pool2d(x, size, stride, "max", padding)


def avg_pool2d(x, size=2, stride=None, padding=0):
    """Mean of each window of the last two axes; see :func:`pool2d`.

    Examples
    --------
    >>> avg_pool2d(np.arange(16).reshape(4, 4))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return pool2d(x, size, stride, "avg", padding)


def sum_pool2d(x, size=2, stride=None, padding=0):
    """Sum of each window of the last two axes; see :func:`pool2d`.

    Examples
    --------
    >>> sum_pool2d(np.arange(16).reshape(4, 4))
    array([[10., 18.],
           [42., 50.]])
    """
    return pool2d(x, size, stride, "sum", padding)


_check_window = v.pool_window  # the name cnnlab.viz imports


def _windows(x, size, stride):
    """View (..., OH, OW, KH, KW) of every window."""
    win = sliding_window_view(x, size, axis=(-2, -1))
    return win[..., ::stride[0], ::stride[1], :, :]


def pool2d_backward(dout, x, size=2, stride=None, mode="max", padding=0):
    """Gradient of :func:`pool2d` with respect to ``x``.

    Parameters
    ----------
    dout : array_like, shape (..., OH, OW)
        Gradient of the loss with respect to the pooled output.
    x : array_like, shape (..., H, W), or PoolContext
        The forward pass's input (or the context of `pool2d_forward`, and then nothing else).
    size, stride, mode, padding : as in :func:`pool2d`

    Returns
    -------
    ndarray, shape (..., H, W)
        Each window passes its upstream gradient back: all to its (first) maximum for "max",
        shared equally for "avg", copied to every entry for "sum". Overlapping windows add up;
        what reaches the padding is dropped.

    Examples
    --------
    >>> pool2d_backward([[10.0]], [[1, 3], [4, 2]], 2, mode="max")
    array([[ 0.,  0.],
           [10.,  0.]])
    >>> pool2d_backward([[10.0]], [[1, 3], [4, 2]], 2, mode="avg")
    array([[2.5, 2.5],
           [2.5, 2.5]])
    """
    func = "pool2d_backward"
    if not isinstance(x, PoolContext):
        x = _context(func, x, size, stride, mode, padding)
    return _backward(v.as_float_array(func, "dout", dout), x, func)


def _backward(dout, ctx, func="pool2d_backward"):
    """The input's gradient, of a checked ``dout`` and a `PoolContext`."""
    x, size, stride, mode, padding, out_shape = ctx
    (ph, pw), (h, w) = padding, x.shape[-2:]
    if dout.shape != out_shape:
        raise ValueError(f"{func}: dout must have the output's shape {out_shape}, got "
                         f"{dout.shape}")
    with v.refuse_overflow(func, v.result_dtype(x, dout), what="the gradient"):
        if _few_large_windows(x.shape, size, stride, padding):
            return _pool_backward_clipped(dout, x, size, stride, padding, mode)
        dxp = _pool_backward(dout, _padded(x, padding, mode, func), size, stride, mode)
        return dxp[..., ph:ph + h, pw:pw + w] if ph or pw else dxp


def _pool_backward_clipped(dout, x, size, stride, padding, mode):
    """`pool2d_backward` one output at a time, for few large windows (see `_pool_clipped`)."""
    dx = np.zeros(x.shape, dtype=np.result_type(x.dtype, dout.dtype))
    scale = 1.0 / (size[0] * size[1]) if mode == "avg" else 1.0
    lead = np.indices(x.shape[:-2], sparse=True) if mode == "max" else ()
    for i, j, rows, cols in _clipped_windows(x.shape, size, stride, padding):
        grad = dout[..., i, j]
        if mode == "max":
            part = x[..., rows, cols]
            first = part.reshape(part.shape[:-2] + (part.shape[-2] * part.shape[-1],)).argmax(axis=-1)
            r, c = np.divmod(first, part.shape[-1])
            dx[tuple(lead) + (rows.start + r, cols.start + c)] += grad
        else:
            dx[..., rows, cols] += (grad * scale)[..., None, None]
    return dx


def _pool_backward(dout, x, size, stride, mode):
    """`pool2d_backward` on checked arrays, unpadded."""
    (kh, kw), (sh, sw) = size, stride
    oh, ow = dout.shape[-2:]
    dx = np.zeros(x.shape, dtype=np.result_type(x.dtype, dout.dtype))
    if mode == "max":
        win = _windows(x, size, stride)
        flat = win.reshape(win.shape[:-2] + (kh * kw,))
        first_max = flat.argmax(axis=-1)
    scale = 1.0 / (kh * kw) if mode == "avg" else 1.0
    for i in range(kh):
        for j in range(kw):
            grad = dout if mode != "max" else dout * (first_max == i * kw + j)
            dx[..., i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += grad * scale
    return dx
