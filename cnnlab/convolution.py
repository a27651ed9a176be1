"""Convolution, the fast way: padding, 2-D cross-correlation and its gradients.

Shapes (used in every docstring of cnnlab):
N batch size, C input channels, H, W input height and width, F filters (output channels),
KH, KW kernel height and width, OH, OW output height and width.

Every output size follows one formula, per axis (d = dilation, p = padding, s = stride)::

    out = floor((n + 2p - d(f - 1) - 1) / s) + 1

Windows that do not fit are dropped. The loop versions in :mod:`cnnlab.reference` compute the
same numbers the way the notebooks explain them; the tests check that both agree.
"""

import threading

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _validation as v

__all__ = ["output_size", "pad2d", "correlate2d", "convolve2d", "conv2d", "conv2d_backward"]


def output_size(n, f, stride=1, padding=0, dilation=1):
    """Length of a convolution or pooling output along one axis.

    Parameters
    ----------
    n : int
        Input length (H or W).
    f : int
        Filter (window) length (KH or KW).
    stride, dilation : int, optional
        Positive step of the filter and spacing of its taps.
    padding : int, optional
        Zeros added on each side.

    Returns
    -------
    int
        ``floor((n + 2*padding - dilation*(f - 1) - 1) / stride) + 1``.

    Raises
    ------
    ValueError
        If the (dilated) filter is larger than the padded input, so nothing fits.

    Examples
    --------
    >>> output_size(7, 3), output_size(7, 3, stride=2), output_size(28, 5, padding=2)
    (5, 3, 28)
    """
    n = v.positive_int("output_size", "n", n)
    f = v.positive_int("output_size", "f", f)
    stride = v.positive_int("output_size", "stride", stride)
    padding = v.positive_int("output_size", "padding", padding, minimum=0)
    dilation = v.positive_int("output_size", "dilation", dilation)
    return v.output_length("output_size", n, f, stride, padding, dilation)


def pad2d(x, padding, value=0):
    """Pad the last two axes of ``x`` with a constant.

    Parameters
    ----------
    x : array_like, shape (..., H, W)
    padding : int or pair of int
        Rows added at the top and at the bottom, columns at the left and at the right.
    value : float, optional
        The fill value (0 gives zero padding).

    Returns
    -------
    ndarray, shape (..., H + 2*ph, W + 2*pw)
        A new array (``x`` is not modified).

    Examples
    --------
    >>> pad2d([[1, 2]], 1)
    array([[0., 0., 0., 0.],
           [0., 1., 2., 0.],
           [0., 0., 0., 0.]])
    """
    x = v.as_float_array("pad2d", "x", x, min_ndim=2)
    ph, pw = v.int_pair("pad2d", "padding", padding, minimum=0)
    if isinstance(value, (bool, np.bool_)) or not np.isscalar(value) or not np.isreal(value):
        raise TypeError(f"pad2d: value must be a real number, got {value!r}")
    return _pad(x, ph, pw, value)


def _pad(x, ph, pw, value=0):
    if ph == 0 and pw == 0:
        return x
    out = np.full(x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), value, dtype=x.dtype)
    out[..., ph:ph + x.shape[-2], pw:pw + x.shape[-1]] = x
    return out


def correlate2d(image, kernel, stride=1, padding=0):
    """Slide ``kernel`` over ``image`` and sum the element-wise products (cross-correlation).

    This is the operation deep learning calls "convolution": the kernel is not flipped.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (KH, KW)
    stride : int or pair of int, optional
    padding : int, pair of int, "valid" or "same", optional

    Returns
    -------
    ndarray, shape (OH, OW)
        ``out[i, j] = sum(image_padded[i*s:i*s+KH, j*s:j*s+KW] * kernel)``.

    Examples
    --------
    >>> image = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    >>> correlate2d(image, [[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    array([[4., 3., 4.],
           [2., 4., 3.],
           [2., 3., 4.]])
    """
    return _single_map("correlate2d", image, kernel, stride, padding, flip=False)


def convolve2d(image, kernel, stride=1, padding=0):
    """True 2-D convolution: the kernel is flipped on both axes, then slid as in `correlate2d`.

    Agrees with :func:`correlate2d` when the kernel is symmetric under a 180 degree rotation, and
    with ``scipy.signal.convolve2d(image, kernel, mode="valid")`` at stride 1 without padding.

    Parameters and returns as in :func:`correlate2d`.

    Examples
    --------
    >>> convolve2d([[1, 2, 3]], [[1, 0, -1]])
    array([[2.]])
    >>> correlate2d([[1, 2, 3]], [[1, 0, -1]])
    array([[-2.]])
    """
    return _single_map("convolve2d", image, kernel, stride, padding, flip=True)


def _single_map(func, image, kernel, stride, padding, flip):
    image = v.as_float_array(func, "image", image, ndim=2)
    kernel = v.as_float_array(func, "kernel", kernel, ndim=2)
    if kernel.size == 0:
        raise ValueError(f"{func}: kernel must not be empty, got shape {kernel.shape}")
    if flip:
        kernel = kernel[::-1, ::-1]
    out = _conv2d_checked(func, image[None, None], kernel[None, None], None, stride, padding, 1,
                          shapes=f"(image.shape={image.shape}, kernel.shape={kernel.shape})")
    return out[0, 0]


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """A convolution layer's forward pass on a batch (cross-correlation, as in every framework).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (F, C, KH, KW)
    b : array_like, shape (F,), optional
    stride, dilation : int or pair of int, optional
    padding : int, pair of int, "valid" or "same", optional
        Zero padding; "same" keeps H and W at stride 1 (odd kernels only).

    Returns
    -------
    ndarray, shape (N, F, OH, OW)
        ``out[n, f] = b[f] + sum over c of correlate(x[n, c], w[f, c])``, with
        ``OH = floor((H + 2*ph - dh*(KH - 1) - 1) / sh) + 1`` and likewise OW.

    Raises
    ------
    ValueError
        Mismatched channels, wrong number of dimensions, a filter larger than the padded input.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((2, 1, 3, 3)), b=[0.0, 100.0]).shape
    (1, 2, 2, 2)
    """
    x = v.as_float_array("conv2d", "x", x, ndim=4)
    w = v.as_float_array("conv2d", "w", w, ndim=4)
    if b is not None:
        b = v.as_float_array("conv2d", "b", b, ndim=1)
    return _conv2d_checked("conv2d", x, w, b, stride, padding, dilation,
                           shapes=f"(x.shape={x.shape}, w.shape={w.shape})")


def _conv2d_checked(func, x, w, b, stride, padding, dilation, shapes):
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"{func}: x has {x.shape[1]} channels but w expects {w.shape[1]} {shapes}"
        )
    if b is not None and b.shape[0] != w.shape[0]:
        raise ValueError(f"{func}: b must have one entry per filter, {w.shape[0]}, got shape {b.shape}")
    if 0 in w.shape[2:]:
        raise ValueError(f"{func}: the kernel must not be empty, got shape {w.shape}")
    stride = v.int_pair(func, "stride", stride)
    dilation = v.int_pair(func, "dilation", dilation)
    padding = v.padding_pair(func, padding, w.shape[2:], dilation)
    for axis, name in ((0, "height"), (1, "width")):
        v.output_length(func, x.shape[2 + axis], w.shape[2 + axis], stride[axis], padding[axis],
                        dilation[axis], axis_name=name)
    out, _ = _forward(x, w, b, stride, padding, dilation)
    return out


# ---------------------------------------------------------------------------------------------
# The fast path. Callers have checked the arguments; these work on arrays and int pairs.

class _Workspace:
    """Scratch arrays reused from call to call, by name.

    A fresh multi-megabyte array costs page faults every time it is allocated (the allocator hands
    large blocks back to the system when they are freed); on course-sized batches that doubled
    the time of a convolution. Scratch arrays that never leave cnnlab are therefore kept and
    reused: each `Conv2D` layer has its own workspace, and the functions share one per thread.
    Arrays returned to the caller are always new.
    """

    limit = 64 * 2**20  # larger scratch arrays are not kept

    def __init__(self):
        self._arrays = {}

    def get(self, name, shape, dtype):
        """An uninitialised array of this shape and dtype, the same memory as last time if possible."""
        arr = self._arrays.get(name)
        if arr is None or arr.shape != shape or arr.dtype != dtype:
            arr = np.empty(shape, dtype)
            if arr.nbytes <= self.limit:
                self._arrays[name] = arr
        return arr


_thread_local = threading.local()


def _shared_workspace():
    ws = getattr(_thread_local, "workspace", None)
    if ws is None:
        ws = _thread_local.workspace = _Workspace()
    return ws


def _windows(xp, kh, kw, stride, dilation):
    """View of every window: (N, C, OH, OW, KH, KW), no copy."""
    (sh, sw), (dh, dw) = stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
    return win[:, :, ::sh, ::sw, ::dh, ::dw]


def _im2col(xp, kh, kw, stride, dilation, workspace):
    """Columns (C*KH*KW, N*OH*OW) whose product with W.reshape(F, -1) is the convolution."""
    win = _windows(xp, kh, kw, stride, dilation)
    n, c, oh, ow = win.shape[:4]
    cols = workspace.get("cols", (c, kh, kw, n, oh, ow), xp.dtype)
    np.copyto(cols, win.transpose(1, 4, 5, 0, 2, 3))
    return cols.reshape(c * kh * kw, n * oh * ow)


def _forward(x, w, b, stride, padding, dilation, workspace=None):
    """Return (out, cols): the convolution and the window matrix the backward pass needs.

    Without a ``workspace`` (the functions) the shared one is used and ``cols`` must not be kept;
    a layer passes its own, so its ``cols`` stay valid until its next forward pass.
    """
    dtype = v.result_dtype(x, w, b)
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    nf, c, kh, kw = w.shape
    xp = _pad(x, *padding)
    n = x.shape[0]
    if workspace is None and n * nf * c <= 4 and xp.shape[2] * xp.shape[3] >= 4096:
        out = _shifted_sum(xp, w, stride, dilation)
        cols = None
    else:
        workspace = workspace or _shared_workspace()
        cols = _im2col(xp, kh, kw, stride, dilation, workspace)
        oh = (xp.shape[2] - (dilation[0] * (kh - 1) + 1)) // stride[0] + 1
        ow = (xp.shape[3] - (dilation[1] * (kw - 1) + 1)) // stride[1] + 1
        prod = workspace.get("prod", (nf, n * oh * ow), dtype)
        np.matmul(w.reshape(nf, -1), cols, out=prod)
        out = np.empty((n, nf, oh, ow), dtype)
        np.copyto(out, prod.reshape(nf, n, oh, ow).transpose(1, 0, 2, 3))
    if b is not None:
        out += b.astype(dtype, copy=False)[None, :, None, None]
    return out, cols


def _shifted_sum(xp, w, stride, dilation):
    """Few large maps: add KH*KW shifted, scaled copies of the input (no window matrix)."""
    (sh, sw), (dh, dw) = stride, dilation
    nf, c, kh, kw = w.shape
    n, _, hp, wp = xp.shape
    oh = (hp - (dh * (kh - 1) + 1)) // sh + 1
    ow = (wp - (dw * (kw - 1) + 1)) // sw + 1
    out = np.zeros((n, nf, oh, ow), dtype=xp.dtype)
    for f in range(nf):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    weight = w[f, ch, i, j]
                    if weight == 0:
                        continue
                    r, s = i * dh, j * dw
                    out[:, f] += weight * xp[:, ch, r:r + sh * (oh - 1) + 1:sh, s:s + sw * (ow - 1) + 1:sw]
    return out


def conv2d_backward(dout, x_shape, w, cols, stride, padding, dilation, workspace=None, dw=None):
    """Gradients of :func:`conv2d` given the upstream gradient and the forward's columns.

    Parameters
    ----------
    dout : ndarray, shape (N, F, OH, OW)
    x_shape : tuple, the shape (N, C, H, W) of the forward input
    w : ndarray, shape (F, C, KH, KW)
    cols : ndarray, shape (C*KH*KW, N*OH*OW), from the forward pass
    stride, padding, dilation : pairs of int, already resolved
    workspace : _Workspace, optional
        Where the scratch arrays live (a layer's own).
    dw : ndarray, shape (F, C, KH, KW), optional
        Written in place when given (a layer's ``grads["W"]``).

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, KH, KW)
    db : ndarray, shape (F,)
    """
    workspace = workspace or _Workspace()
    nf, c, kh, kw = w.shape
    n, _, h, wd = x_shape
    (sh, sw), (dh, dw_), (ph, pw) = stride, dilation, padding
    oh, ow = dout.shape[2:]
    dtype = np.result_type(dout.dtype, w.dtype)
    dout_mat = workspace.get("dout", (nf, n, oh, ow), dtype)      # (F, N*OH*OW)
    np.copyto(dout_mat, dout.transpose(1, 0, 2, 3))
    dout_mat = dout_mat.reshape(nf, -1)
    if dw is None:
        dw = np.empty(w.shape, dtype)
    np.matmul(dout_mat, cols.T, out=dw.reshape(nf, -1))
    db = dout.sum(axis=(0, 2, 3))
    dcols = workspace.get("dcols", (c * kh * kw, n * oh * ow), dtype)
    np.matmul(w.reshape(nf, -1).T, dout_mat, out=dcols)
    dcols = dcols.reshape(c, kh, kw, n, oh, ow)
    dxp = workspace.get("dxp", (n, c, h + 2 * ph, wd + 2 * pw), dtype)
    dxp[...] = 0
    for i in range(kh):
        for j in range(kw):
            r, s = i * dh, j * dw_
            dxp[:, :, r:r + sh * (oh - 1) + 1:sh, s:s + sw * (ow - 1) + 1:sw] += (
                dcols[:, i, j].transpose(1, 0, 2, 3)
            )
    dx = np.empty((n, c, h, wd), dtype)
    np.copyto(dx, dxp[:, :, ph:ph + h, pw:pw + wd])
    return dx, dw, db
