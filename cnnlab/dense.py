"""Flatten and the fully-connected (dense) layer ``x @ W + b``.

Floating inputs keep their dtype (float16 stays float16); integer and bool inputs are computed in
float64. A result that overflows the dtype raises a ValueError naming the function.
"""

import numpy as np

from . import _validation as v

__all__ = ["linear", "linear_backward", "flatten"]


def linear(x, W, b=None):
    """A fully-connected layer: every output is a weighted sum of every input, plus a bias.

    Parameters
    ----------
    x : array_like, shape (N, D_in)
    W : array_like, shape (D_in, D_out)
    b : array_like, shape (D_out,), optional

    Returns
    -------
    ndarray, shape (N, D_out)
        ``x @ W + b``.

    Examples
    --------
    >>> linear([[1.0, 2.0]], [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], b=[0.0, 0.0, 10.0])
    array([[ 1.,  2., 13.]])
    """
    x, W, b = v.linear_args("linear", x, W, b)
    dtype = v.result_dtype(x, W, b)  # the bias's dtype counts, as in conv2d
    with v.refuse_overflow("linear", dtype):
        out = x.astype(dtype, copy=False) @ W.astype(dtype, copy=False)
        if b is not None:
            out += b
    return out


def linear_backward(dout, x, W):
    """Gradients of :func:`linear` with respect to its input, weights and bias.

    Parameters
    ----------
    dout : array_like, shape (N, D_out)
        Gradient of the loss with respect to the output ``x @ W + b``.
    x : array_like, shape (N, D_in)
        The forward pass's input.
    W : array_like, shape (D_in, D_out)

    Returns
    -------
    dx : ndarray, shape (N, D_in)
        ``dout @ W.T``.
    dW : ndarray, shape (D_in, D_out)
        ``x.T @ dout``: every weight's gradient sums, over the batch, its input times the
        gradient of its output.
    db : ndarray, shape (D_out,)
        ``dout`` summed over the batch.

    Examples
    --------
    >>> dx, dW, db = linear_backward([[1.0, -1.0]], [[2.0, 3.0]], [[1.0, 0.0], [0.0, 1.0]])
    >>> dx, dW, db
    (array([[ 1., -1.]]), array([[ 2., -2.],
           [ 3., -3.]]), array([ 1., -1.]))
    """
    dout = v.as_float_array("linear_backward", "dout", dout, ndim=2)
    x = v.as_float_array("linear_backward", "x", x, ndim=2)
    W = v.as_float_array("linear_backward", "W", W, ndim=2)
    if x.shape[1] != W.shape[0]:
        raise ValueError(f"linear_backward: x has {x.shape[1]} features but W expects "
                         f"{W.shape[0]} (x.shape={x.shape}, W.shape={W.shape})")
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"linear_backward: dout must have the output's shape "
                         f"{(x.shape[0], W.shape[1])}, got {dout.shape}")
    with v.refuse_overflow("linear_backward", v.result_dtype(dout, x, W), what="the gradient"):
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def flatten(x):
    """Flatten every sample of a batch into one vector: (N, ...) -> (N, prod(...)).

    Examples
    --------
    >>> flatten(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """
    x = v.as_float_array("flatten", "x", x, min_ndim=1)
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # not -1: fine for N = 0
