"""Convolution, the fast way: padding, 2-D cross-correlation and its gradients.

Shapes (used in every docstring of cnnlab):
N batch size, C input channels, H, W input height and width, F filters (output channels),
KH, KW kernel height and width, OH, OW output height and width.

Every output size follows one formula, per axis (d = dilation, p = padding, s = stride)::

    out = floor((n + 2p - d(f - 1) - 1) / s) + 1

Windows that do not fit are dropped. The loop versions in :mod:`cnnlab.reference` compute the
same numbers the way the notebooks explain them; the tests check that both agree. The fast
path (im2col and one matrix product, with its backward pass) is in ``cnnlab.ops._conv_fast``.

The layer's pair: ``conv2d_forward(x, w, b, ...) -> (out, ctx)`` checks its arguments once and
keeps, in ``ctx``, the input, the weights and the geometry; ``conv2d_backward(dout, ctx)`` uses
them as they are. ``conv2d_backward(dout, x, w, stride, ...)`` checks and works them out anew.

Dtypes: floating inputs keep their dtype (float16 stays float16, float32 float32); integer and
bool inputs are computed in float64. Finite inputs whose result overflows the dtype (float16
stops at 65504) raise a ValueError naming the function, as do NaN and infinite inputs; an
output or padded input larger than this machine's memory is refused before any work.
"""

from typing import NamedTuple

import numpy as np

from .. import _validation as v
from . import _conv_fast

__all__ = ["output_size", "pad2d", "correlate2d", "convolve2d", "conv2d", "conv2d_forward",
           "conv2d_backward", "ConvContext"]


class ConvContext(NamedTuple):
    """What `conv2d_backward` needs from the forward pass (made by `conv2d_forward`).

    ``geometry`` holds the sizes N, C, H, W, F, KH, KW, OH, OW and the checked stride, padding,
    dilation and groups; ``x`` and ``w`` are the forward pass's input and weights (references,
    not copies: the backward pass rebuilds the windows from ``x`` tile by tile).
    """

    geometry: object
    x: np.ndarray
    w: np.ndarray


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
    n, f, stride, padding, dilation = v.output_size_args("output_size", n, f, stride, padding,
                                                         dilation)
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
    x, (ph, pw), value = v.pad_args("pad2d", x, padding, value)
    out = _pad(x, ph, pw, value)
    return out.copy() if out is x else out


def _pad(x, ph, pw, value=0, func="pad2d"):
    if ph == 0 and pw == 0:
        return x
    out = v.new_array(func, x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), x.dtype,
                      "padded array", fill=value)
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
    image, kernel, geometry = v.single_map_args(func, image, kernel, stride, padding)
    if flip:
        kernel = kernel[::-1, ::-1]
    with v.refuse_overflow(func, v.result_dtype(image, kernel)):
        out, _ = _conv_fast.forward(image[None, None], kernel[None, None], None, *geometry,
                                    func=func)
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
    x, w, b, geometry = v.conv_args("conv2d", x, w, b, stride, padding, dilation, groups)
    return _forward(x, w, b, geometry)[0]


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """`conv2d`, and the context its backward pass needs: returns ``(out, ctx)``.

    Parameters as in :func:`conv2d`.

    Returns
    -------
    out : ndarray, shape (N, F, OH, OW)
        ``conv2d(x, w, b, stride, padding, dilation, groups)``.
    ctx : ConvContext
        For ``conv2d_backward(dout, ctx)``: the checked input, weights and geometry.

    Examples
    --------
    >>> x, w = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    >>> out, ctx = conv2d_forward(x, w)
    >>> dx, dw, db = conv2d_backward(np.ones_like(out), ctx)
    >>> out[0, 0], db
    (array([[4., 4.],
           [4., 4.]]), array([4.]))
    """
    x, w, b, geometry = v.conv_args("conv2d_forward", x, w, b, stride, padding, dilation, groups)
    return _forward(x, w, b, geometry, func="conv2d_forward")


def _forward(x, w, b, geometry, func="conv2d"):
    """(out, ctx) of checked arrays and a checked (stride, padding, dilation, groups)."""
    with v.refuse_overflow(func, v.result_dtype(x, w, b)):
        out, (g, _) = _conv_fast.forward(x, w, b, *geometry, func=func)
    return out, ConvContext(g, x, w)  # x as given: backward casts it tile by tile


def conv2d_backward(dout, x, w=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of :func:`conv2d` with respect to its input, weights and bias.

    Builds the window matrix tile by tile from ``x``, as a `Conv2D` layer's backward pass does.
    Called as ``conv2d_backward(dout, ctx)`` with the context of `conv2d_forward` (nothing is
    checked or worked out again), or as ``conv2d_backward(dout, x, w, stride, ...)``.

    Parameters
    ----------
    dout : array_like, shape (N, F, OH, OW)
        Gradient of the loss with respect to the convolution's output.
    x : array_like, shape (N, C, H, W), or ConvContext
        The forward pass's input (or its context, and then no other argument).
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
    if isinstance(x, ConvContext):
        if w is not None:
            raise TypeError("conv2d_backward: give either a ctx from conv2d_forward or x and w, "
                            "not both")
        ctx = x
    else:
        x, w, _, geometry = v.conv_args("conv2d_backward", x, w, None, stride, padding, dilation,
                                        groups)
        ctx = ConvContext(_conv_fast.context(x, w, *geometry)[0], x, w)
    dout = v.as_float_array("conv2d_backward", "dout", dout, ndim=4)
    return _backward(dout, ctx)


def _backward(dout, ctx, func="conv2d_backward"):
    """(dx, dw, db) of a checked ``dout`` and the context of `_forward`."""
    g, x, w = ctx
    if dout.shape != (g.n, g.f, g.oh, g.ow):
        raise ValueError(f"{func}: dout must have the output's shape "
                         f"{(g.n, g.f, g.oh, g.ow)}, got {dout.shape}")
    dw = np.empty(w.shape, np.result_type(dout.dtype, x.dtype, w.dtype))
    with v.refuse_overflow(func, dw.dtype, what="the gradient"):
        dx, db = _conv_fast.backward(dout, (g, x), w, dw_out=dw, func=func)
    return dx, dw, db
