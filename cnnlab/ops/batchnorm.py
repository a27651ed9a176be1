"""Batch normalisation as an operation: normalise each channel, then scale and shift it.

For x of shape (N, C) or (N, C, ...) with statistics per channel (axis 1) over every other axis::

    xhat = (x - mean) / sqrt(var + eps),    out = gamma * xhat + beta

with the batch's mean and biased variance (``mean=None``, training) or given ones (the running
statistics, evaluation). The pair: ``batchnorm_forward(...) -> (out, ctx)`` and
``batchnorm_backward(dout, ctx) -> (dx, dgamma, dbeta)``. With the batch's statistics, every
input moves the mean and the variance, hence the two correction terms of the backward pass::

    dx = gamma / sqrt(var + eps) * (dout - mean(dout) - xhat * mean(dout * xhat))

(means per channel). The layers `BatchNorm1D` and `BatchNorm2D` add the running statistics.
"""

from typing import NamedTuple

import numpy as np

from .. import _validation as v

__all__ = ["batchnorm_forward", "batchnorm_backward", "BatchNormContext"]


class BatchNormContext(NamedTuple):
    """What `batchnorm_backward` needs; ``mean`` and ``var`` (C,) are the statistics used."""

    xhat: np.ndarray
    inv_std: np.ndarray      # 1 / sqrt(var + eps), shaped to broadcast against x
    gamma: np.ndarray
    batch_stats: bool        # whether mean and var were the batch's (and so depend on x)
    axes: tuple
    count: int               # values per channel
    mean: np.ndarray
    var: np.ndarray


def batchnorm_forward(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """Batch normalisation of ``x`` per channel: returns ``(out, ctx)``.

    Parameters
    ----------
    x : array_like, shape (N, C) or (N, C, ...)
    gamma, beta : array_like, shape (C,)
        Scale and shift.
    eps : float, optional
        Added to the variance before the square root.
    mean, var : array_like, shape (C,), optional
        Statistics to use (evaluation); both None (default): the batch's, over N and the
        positions, with the biased variance.

    Returns
    -------
    out : ndarray, shape of ``x``
    ctx : BatchNormContext
        For ``batchnorm_backward(dout, ctx)``.

    Examples
    --------
    >>> out, ctx = batchnorm_forward([[1.0], [3.0]], [1.0], [0.0], eps=0.0)
    >>> out.ravel(), ctx.mean, ctx.var
    (array([-1.,  1.]), array([2.]), array([1.]))
    """
    func = "batchnorm_forward"
    x = v.as_float_array(func, "x", x, min_ndim=2)
    c = x.shape[1]
    gamma = v.as_float_array(func, "gamma", gamma, ndim=1)
    beta = v.as_float_array(func, "beta", beta, ndim=1)
    stats = [None if s is None else v.as_float_array(func, name, s, ndim=1)
             for name, s in (("mean", mean), ("var", var))]
    for name, a in (("gamma", gamma), ("beta", beta), ("mean", stats[0]), ("var", stats[1])):
        if a is not None and a.shape != (c,):
            raise ValueError(f"{func}: {name} must have one entry per channel, {c}, got shape {a.shape}")
    if (mean is None) != (var is None):
        raise ValueError(f"{func}: give both mean and var, or neither (the batch's)")
    if mean is None and x.size < 2 * c:
        raise ValueError(f"{func}: batch statistics need more than one value per channel, got "
                         f"shape {x.shape}")
    eps = v.real_number(func, "eps", eps, low=0)
    return _forward(x, gamma, beta, eps, *stats)


def _forward(x, gamma, beta, eps, mean=None, var=None):
    """(out, ctx) of checked arrays."""
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.size // x.shape[1]
    dtype = np.result_type(x, gamma)
    batch_stats = mean is None
    with np.errstate(over="ignore"):  # a non-finite result is the caller's to report
        if batch_stats:
            mean = x.mean(axis=axes)
        centred = (x - _per_channel(mean, x.ndim)).astype(dtype, copy=False)
        if batch_stats:
            var = _channel_sum(centred, centred) / count      # biased: divided by N*H*W
    inv_std = _per_channel((1.0 / np.sqrt(var + eps)).astype(dtype, copy=False), x.ndim)
    xhat = centred
    xhat *= inv_std                                             # in place: centred is ours
    out = xhat * _per_channel(gamma.astype(dtype, copy=False), x.ndim)
    out += _per_channel(beta.astype(dtype, copy=False), x.ndim)
    return out, BatchNormContext(xhat, inv_std, gamma, batch_stats, axes, count, mean, var)


def batchnorm_backward(dout, ctx):
    """Gradients of `batchnorm_forward`: returns ``(dx, dgamma, dbeta)``.

    Parameters
    ----------
    dout : array_like, shape of the forward pass's input
    ctx : BatchNormContext
        What `batchnorm_forward` returned.

    Examples
    --------
    >>> out, ctx = batchnorm_forward([[1.0], [3.0]], [2.0], [0.0], eps=0.0)
    >>> dx, dgamma, dbeta = batchnorm_backward([[1.0], [0.0]], ctx)
    >>> dx.ravel(), dgamma, dbeta
    (array([0., 0.]), array([-1.]), array([1.]))
    """
    if not isinstance(ctx, BatchNormContext):
        raise TypeError(f"batchnorm_backward: ctx must be what batchnorm_forward returned, got "
                        f"{type(ctx).__name__}")
    dout = v.as_float_array("batchnorm_backward", "dout", dout)
    if dout.shape != ctx.xhat.shape:
        raise ValueError(f"batchnorm_backward: dout must have the output's shape {ctx.xhat.shape}, "
                         f"got {dout.shape}")
    return _backward(dout, ctx)


def _backward(dout, ctx):
    """(dx, dgamma, dbeta) of a checked ``dout``."""
    xhat, inv_std, gamma, batch_stats, axes, count = ctx[:6]
    dbeta = dout.sum(axis=axes)
    dgamma = _channel_sum(dout, xhat)
    scale = _per_channel(gamma, dout.ndim) * inv_std
    if not batch_stats:  # the statistics were constants
        return dout * scale, dgamma, dbeta
    return (scale * (dout - _per_channel(dbeta / count, dout.ndim)
                     - xhat * _per_channel(dgamma / count, dout.ndim)), dgamma, dbeta)


def _channel_sum(a, b):
    """sum of a * b over every axis but 1: (C,), in one pass without a temporary."""
    letters = "nc" + "hwdefgik"[:a.ndim - 2]
    return np.einsum(f"{letters},{letters}->c", a, b)


def _per_channel(a, ndim):
    """A (C,) array shaped to broadcast against (N, C, ...) of ``ndim`` dimensions."""
    return a.reshape((1, -1) + (1,) * (ndim - 2))
