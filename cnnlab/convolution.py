"""Convolution, the fast way: padding, 2-D cross-correlation and its gradients.

Shapes (used in every docstring of cnnlab):
N batch size, C input channels, H, W input height and width, F filters (output channels),
KH, KW kernel height and width, OH, OW output height and width.

Every output size follows one formula, per axis (d = dilation, p = padding, s = stride)::

    out = floor((n + 2p - d(f - 1) - 1) / s) + 1

Windows that do not fit are dropped. The loop versions in :mod:`cnnlab.reference` compute the
same numbers the way the notebooks explain them; the tests check that both agree. The fast
path (im2col and one matrix product, with its backward pass) is in ``cnnlab._conv_fast``.
"""

import numpy as np

from . import _conv_fast, _validation as v

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
    geometry = _check_geometry(func, (1, 1) + image.shape, (1, 1) + kernel.shape, None, stride,
                               padding, 1, 1,
                               shapes=f"(image.shape={image.shape}, kernel.shape={kernel.shape})")
    out, _ = _conv_fast.forward(image[None, None], kernel[None, None], None, *geometry)
    return out[0, 0]


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """A convolution layer's forward pass on a batch (cross-correlation, as in every framework).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (F, C/G, KH, KW)
        With ``groups`` G, each filter sees only C/G channels: filters ``g*F/G`` to
        ``(g+1)*F/G - 1`` read channels ``g*C/G`` to ``(g+1)*C/G - 1`` (as in PyTorch).
    b : array_like, shape (F,), optional
    stride, dilation : int or pair of int, optional
    padding : int, pair of int, "valid" or "same", optional
        Zero padding; "same" keeps H and W at stride 1 (odd kernels only).
    groups : int, optional
        G, which must divide both C and F. 1 (default) is an ordinary convolution; G = C with
        F = C (or a multiple of C) is a depthwise convolution, one filter per channel.

    Returns
    -------
    ndarray, shape (N, F, OH, OW)
        ``out[n, f] = b[f] + sum over the C/G channels c of f's group of
        correlate(x[n, c], w[f, c - first channel of the group])``, with
        ``OH = floor((H + 2*ph - dh*(KH - 1) - 1) / sh) + 1`` and likewise OW.

    Raises
    ------
    ValueError
        Mismatched channels, a ``groups`` that does not divide C and F, wrong number of
        dimensions, a filter larger than the padded input.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((2, 1, 3, 3)), b=[0.0, 100.0]).shape
    (1, 2, 2, 2)

    A depthwise convolution: each of the 3 channels gets its own 3 x 3 filter.

    >>> conv2d(np.ones((1, 3, 5, 5)), np.ones((3, 1, 3, 3)), groups=3)[0, :, 0, 0]
    array([9., 9., 9.])
    """
    x, w, b, geometry = _check_conv2d("conv2d", x, w, b, stride, padding, dilation, groups)
    out, _ = _conv_fast.forward(x, w, b, *geometry)
    return out


def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` with respect to its input, weights and bias.

    Recomputes the forward pass's window matrix (a layer keeps it from its forward pass instead).

    Parameters
    ----------
    dout : array_like, shape (N, F, OH, OW)
        Gradient of the loss with respect to the convolution's output.
    x : array_like, shape (N, C, H, W)
        The forward pass's input.
    w : array_like, shape (F, C/G, KH, KW)
    stride, padding, dilation, groups : as in :func:`conv2d`

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Each output's gradient sent back to the inputs its window covered, through the weights.
    dw : ndarray, shape (F, C/G, KH, KW)
        ``dw[f, c, i, j] = sum over n, oh, ow of dout[n, f, oh, ow] * x_padded[n, c0 + c,
        oh*sh + i*dh, ow*sw + j*dw]``, where c0 is the first channel of f's group: the
        correlation of the input with the upstream gradient.
    db : ndarray, shape (F,)
        ``dout`` summed over N, OH and OW.

    Examples
    --------
    >>> x, w = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> dw[0, 0], db
    (array([[4., 4.],
           [4., 4.]]), array([4.]))
    """
    x, w, _, geometry = _check_conv2d("conv2d_backward", x, w, None, stride, padding, dilation,
                                      groups)
    dout = v.as_float_array("conv2d_backward", "dout", dout, ndim=4)
    workspace = _conv_fast._Workspace()
    out, ctx = _conv_fast.forward(x, w, None, *geometry, workspace=workspace)
    if dout.shape != out.shape:
        raise ValueError(f"conv2d_backward: dout must have the output's shape {out.shape}, got "
                         f"{dout.shape}")
    dw = np.empty(w.shape, np.result_type(dout.dtype, out.dtype))
    dx, db = _conv_fast.backward(dout, ctx, w.astype(out.dtype, copy=False), workspace, dw_out=dw)
    return dx, dw, db


def _check_conv2d(func, x, w, b, stride, padding, dilation, groups):
    """Checked arrays and the resolved (stride, padding, dilation, groups) of a conv2d call."""
    x = v.as_float_array(func, "x", x, ndim=4)
    w = v.as_float_array(func, "w", w, ndim=4)
    if b is not None:
        b = v.as_float_array(func, "b", b, ndim=1)
    groups = v.positive_int(func, "groups", groups)
    geometry = _check_geometry(func, x.shape, w.shape, b, stride, padding, dilation, groups,
                               shapes=f"(x.shape={x.shape}, w.shape={w.shape})")
    return x, w, b, geometry


def _check_geometry(func, x_shape, w_shape, b, stride, padding, dilation, groups, shapes):
    c, f = x_shape[1], w_shape[0]
    if c % groups or f % groups:
        raise ValueError(f"{func}: groups={groups} must divide both the input channels ({c}) and "
                         f"the number of filters ({f}) {shapes}")
    if c // groups != w_shape[1]:
        per_group = "" if groups == 1 else f" ({c} channels / groups={groups})"
        raise ValueError(f"{func}: x has {c // groups} channels{per_group} but w expects "
                         f"{w_shape[1]} {shapes}")
    if b is not None and b.shape[0] != f:
        raise ValueError(f"{func}: b must have one entry per filter, {f}, got shape {b.shape}")
    if 0 in w_shape[2:]:
        raise ValueError(f"{func}: the kernel must not be empty, got shape {tuple(w_shape)}")
    stride = v.int_pair(func, "stride", stride)
    dilation = v.int_pair(func, "dilation", dilation)
    padding = v.padding_pair(func, padding, w_shape[2:], dilation)
    for axis, name in ((0, "height"), (1, "width")):
        v.output_length(func, x_shape[2 + axis], w_shape[2 + axis], stride[axis], padding[axis],
                        dilation[axis], axis_name=name)
    return stride, padding, dilation, groups
