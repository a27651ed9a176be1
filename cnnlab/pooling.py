"""Pooling: max, average and sum over k x k windows of the last two axes, and their gradients.

Pooling works on any leading axes: (H, W), (C, H, W) or (N, C, H, W). The stride defaults to
the window size (non-overlapping windows); windows that do not fit at the right or bottom edge
are dropped, as in convolution: ``out = floor((n - k) / s) + 1``.

Tie-breaking of max pooling: when several entries of a window share the maximum, the gradient
goes to the first of them in row-major order (top row first, then left to right), which is what
``numpy.argmax`` returns.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _validation as v

__all__ = ["max_pool2d", "avg_pool2d", "sum_pool2d", "pool2d", "pool2d_backward", "POOL_MODES"]

POOL_MODES = ("max", "avg", "sum")


def pool2d(x, size=2, stride=None, mode="max"):
    """Pool the last two axes of ``x`` with ``mode`` in ``("max", "avg", "sum")``.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    size : int or pair of int
        Window height and width (KH, KW).
    stride : int or pair of int, optional
        Step between windows; defaults to ``size``.
    mode : {"max", "avg", "sum"}

    Returns
    -------
    ndarray, shape (..., OH, OW)
        ``OH = floor((H - KH) / SH) + 1`` and likewise OW.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 8]])
    >>> pool2d(x, 2, mode="max")
    array([[4., 2.],
           [2., 8.]])
    >>> pool2d(x, 2, mode="avg")
    array([[2.5 , 1.  ],
           [1.25, 6.5 ]])
    """
    func = {"max": "max_pool2d", "avg": "avg_pool2d", "sum": "sum_pool2d"}.get(mode, "pool2d")
    if mode not in POOL_MODES:
        raise ValueError(f"pool2d: mode must be one of {POOL_MODES}, got {mode!r}")
    x = v.as_float_array(func, "x", x, min_ndim=2)
    size, stride = _check_window(func, x.shape, size, stride)
    return _pool(x, size, stride, mode)


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


def max_pool2d(x, size=2, stride=None):
    """Maximum of each window of the last two axes; see :func:`pool2d`.

    Examples
    --------
    >>> max_pool2d(np.arange(16).reshape(4, 4))
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return pool2d(x, size, stride, "max")


def avg_pool2d(x, size=2, stride=None):
    """Mean of each window of the last two axes; see :func:`pool2d`.

    Examples
    --------
    >>> avg_pool2d(np.arange(16).reshape(4, 4))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return pool2d(x, size, stride, "avg")


def sum_pool2d(x, size=2, stride=None):
    """Sum of each window of the last two axes; see :func:`pool2d`.

    Examples
    --------
    >>> sum_pool2d(np.arange(16).reshape(4, 4))
    array([[10., 18.],
           [42., 50.]])
    """
    return pool2d(x, size, stride, "sum")


def _check_window(func, shape, size, stride):
    size = v.int_pair(func, "size", size)
    stride = size if stride is None else v.int_pair(func, "stride", stride)
    for axis, name in ((0, "height"), (1, "width")):
        v.output_length(func, shape[-2 + axis], size[axis], stride[axis], 0, 1, axis_name=name,
                        what="window")
    return size, stride


def _windows(x, size, stride):
    """View (..., OH, OW, KH, KW) of every window."""
    win = sliding_window_view(x, size, axis=(-2, -1))
    return win[..., ::stride[0], ::stride[1], :, :]


def pool2d_backward(dout, x, size, stride, mode):
    """Gradient of :func:`pool2d` with respect to ``x``.

    Parameters
    ----------
    dout : ndarray, shape (..., OH, OW)
    x : ndarray, shape (..., H, W), the forward input
    size, stride : pairs of int, already checked
    mode : {"max", "avg", "sum"}

    Returns
    -------
    ndarray, shape (..., H, W)
        Each window passes its upstream gradient back: all to its (first) maximum for "max",
        shared equally for "avg", copied to every entry for "sum". Overlapping windows add up.
    """
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
