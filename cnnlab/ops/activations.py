"""Element-wise non-linearities and softmax.

Convolutions and dense layers are linear; a stack of linear maps is one linear map. A
non-linearity between them is what lets a network compute more than a single linear filter.

Floating inputs keep their dtype (float16 stays float16); integer and bool inputs are computed in
float64; NaN and infinite inputs raise a ValueError naming the function.

The layer's pair: ``relu_forward(x) -> (out, ctx)`` and ``relu_backward(dout, ctx)``; the
context is where ``x > 0`` (a boolean mask, an eighth of a float64 input), not ``x`` itself.
"""

from typing import NamedTuple

import numpy as np

from .. import _validation as v

__all__ = ["relu", "relu_forward", "relu_backward", "sigmoid", "tanh", "softmax", "ReluContext"]


class ReluContext(NamedTuple):
    """What `relu_backward` needs from the forward pass: where the input was positive, its dtype."""

    positive: np.ndarray
    dtype: np.dtype


def relu(x):
    """Rectified linear unit, ``max(0, x)`` element-wise.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``
        Negative values become 0; the rest pass unchanged.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    x = v.as_float_array("relu", "x", x)
    return np.maximum(x, 0)


def relu_forward(x):
    """`relu`, and the context of its backward pass: returns ``(out, ctx)``.

    Examples
    --------
    >>> out, ctx = relu_forward([-1.0, 2.0])
    >>> out, relu_backward([5.0, 5.0], ctx)
    (array([0., 2.]), array([0., 5.]))
    """
    x = v.as_float_array("relu_forward", "x", x)
    return _forward(x)


def _forward(x):
    """(out, ctx) of a checked array."""
    return np.maximum(x, 0), ReluContext(x > 0, x.dtype)


def relu_backward(dout, x):
    """Gradient of :func:`relu` with respect to its input.

    Parameters
    ----------
    dout : array_like, same shape as ``x``
        Gradient of the loss with respect to relu's output.
    x : array_like, or ReluContext
        The forward pass's input, or the context of `relu_forward`.

    Returns
    -------
    ndarray, same shape as ``x``
        ``dout`` where ``x > 0``, else 0 (0 at ``x == 0`` too, as in PyTorch).

    Examples
    --------
    >>> relu_backward([5.0, 5.0, 5.0], [-1.0, 0.0, 2.0])
    array([0., 0., 5.])
    """
    dout = v.as_float_array("relu_backward", "dout", dout)
    if not isinstance(x, ReluContext):
        x = _forward(v.as_float_array("relu_backward", "x", x))[1]
    return _backward(dout, x)


def _backward(dout, ctx, func="relu_backward"):
    """The input's gradient, of a checked ``dout`` and the context of `_forward`."""
    positive, dtype = ctx
    if dout.shape != positive.shape:
        raise ValueError(f"{func}: dout must have the shape of x, {positive.shape}, got {dout.shape}")
    return np.where(positive, dout, 0).astype(np.result_type(dout.dtype, dtype), copy=False)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, squashing any number into (0, 1).

    Examples
    --------
    >>> sigmoid([0.0])
    array([0.5])
    """
    x = v.as_float_array("sigmoid", "x", x)
    # exp of a negative number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x):
    """Hyperbolic tangent, squashing any number into (-1, 1).

    Examples
    --------
    >>> tanh([0.0])
    array([0.])
    """
    return np.tanh(v.as_float_array("tanh", "x", x))


def softmax(z, axis=-1):
    """Turn scores into probabilities that are positive and sum to 1 along ``axis``.

    Computed as ``exp(z - max(z)) / sum(exp(z - max(z)))``: subtracting the maximum changes
    nothing mathematically and keeps ``exp`` from overflowing.

    Parameters
    ----------
    z : array_like
        Scores (logits), e.g. shape (N, classes).
    axis : int, optional

    Returns
    -------
    ndarray, same shape as ``z``

    Examples
    --------
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    """
    z = v.as_float_array("softmax", "z", z, min_ndim=1)
    axis = v.softmax_axis("softmax", z, axis)
    v.nonempty_axis("softmax", "z", z, axis)
    with v.quiet_overflow():  # max - min beyond the dtype's range: -inf, whose exp is the right 0
        shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)
