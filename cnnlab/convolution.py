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

__all__ = ["output_size", "pad2d", "correlate2d", "convolve2d", "conv2d"]


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
    out, _ = _conv_fast.forward(x, w, b, stride, padding, dilation)
    return out
