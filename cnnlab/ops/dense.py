"""Flatten and the fully-connected (dense) layer ``x @ W + b``.

Floating inputs keep their dtype (float16 stays float16); integer and bool inputs are computed in
float64. A result that overflows the dtype raises a ValueError naming the function.

The layer's pair: ``linear_forward(x, W, b) -> (out, ctx)`` and ``linear_backward(dout, ctx)``.
"""

from typing import NamedTuple

import numpy as np

from .. import _validation as v

__all__ = ["linear", "linear_forward", "linear_backward", "flatten", "LinearContext"]


class LinearContext(NamedTuple):
    """What `linear_backward` needs from the forward pass: its checked input and weights."""

    x: np.ndarray
    W: np.ndarray


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
    return _forward(x, W, b)[0]


def linear_forward(x, W, b=None):
    """`linear`, and the context of its backward pass: returns ``(out, ctx)``.

    Examples
    --------
    >>> out, ctx = linear_forward([[1.0, 2.0]], [[1.0], [1.0]])
    >>> out, linear_backward([[1.0]], ctx)[1]
    (array([[3.]]), array([[1.],
           [2.]]))
    """
    x, W, b = v.linear_args("linear_forward", x, W, b)
    return _forward(x, W, b, func="linear_forward")


def _forward(x, W, b, func="linear"):
    """(out, ctx) of checked arrays."""
    dtype = v.result_dtype(x, W, b)  # the bias's dtype counts, as in conv2d
    with v.refuse_overflow(func, dtype):
        out = x.astype(dtype, copy=False) @ W.astype(dtype, copy=False)
        if b is not None:
            out += b
    return out, LinearContext(x, W)


def linear_backward(dout, x, W=None):
    """Gradients of :func:`linear` with respect to its input, weights and bias.

    Called as ``linear_backward(dout, ctx)`` with the context of `linear_forward`, or as
    ``linear_backward(dout, x, W)``.

    Parameters
    ----------
    dout : array_like, shape (N, D_out)
        Gradient of the loss with respect to the output ``x @ W + b``.
    x : array_like, shape (N, D_in), or LinearContext
        The forward pass's input (or its context, and then no ``W``).
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
    if isinstance(x, LinearContext):
        if W is not None:
            raise TypeError("linear_backward: give either a ctx from linear_forward or x and W, "
                            "not both")
        return _backward(dout, x)
    x = v.as_float_array("linear_backward", "x", x, ndim=2)
    W = v.as_float_array("linear_backward", "W", W, ndim=2)
    if x.shape[1] != W.shape[0]:
        raise ValueError(f"linear_backward: x has {x.shape[1]} features but W expects "
                         f"{W.shape[0]} (x.shape={x.shape}, W.shape={W.shape})")
    return _backward(dout, LinearContext(x, W))


def _backward(dout, ctx, func="linear_backward"):
    """(dx, dW, db) of a checked ``dout`` and the context of `_forward`."""
    x, W = ctx
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"{func}: dout must have the output's shape "
                         f"{(x.shape[0], W.shape[1])}, got {dout.shape}")
    with v.refuse_overflow(func, v.result_dtype(dout, x, W), what="the gradient"):
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
