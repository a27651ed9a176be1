"""Batch normalisation (Ioffe and Szegedy, 2015): forward and backward side by side.

In training mode each channel is normalised with the statistics of the current batch (its mean
and its biased variance, over N and the spatial positions), then scaled and shifted by the
learned ``gamma`` and ``beta``:

    xhat = (x - mean) / sqrt(var + eps),    out = gamma * xhat + beta

and running estimates are updated for later use, with the *unbiased* batch variance:

    running = (1 - momentum) * running + momentum * batch statistic

In evaluation mode the running statistics replace the batch's, so one sample's output no
longer depends on the others in its batch. These are PyTorch's ``BatchNorm1d``/``BatchNorm2d``
rules (the tests compare the numbers). The computation is the operation pair
:func:`cnnlab.ops.batchnorm.batchnorm_forward` and ``batchnorm_backward``; the layers add the
running statistics.
"""

import numpy as np

from .. import _validation as v
from ..ops import batchnorm as _op
from .layer import Layer

__all__ = ["BatchNorm1D", "BatchNorm2D"]


class _BatchNorm(Layer):
    """Shared code: statistics per channel (axis 1), over every other axis."""

    ndims = ()           # the accepted input dimensions, with the batch axis
    shape_letters = ""   # one sample's shape, in letters
    batch_letters = ""   # a batch's

    def __init__(self, num_features, momentum=0.1, eps=1e-5, dtype=np.float64):
        super().__init__()
        name = self.name
        self.num_features = v.positive_int(name, "num_features", num_features)
        self.momentum = v.real_number(name, "momentum", momentum, 0, 1)
        self.eps = v.real_number(name, "eps", eps, low=0, low_open=True)
        dtype = v.float_dtype(name, dtype)
        self.params = {"gamma": np.ones(self.num_features, dtype=dtype),
                       "beta": np.zeros(self.num_features, dtype=dtype)}
        self._init_grads()
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)

    def __repr__(self):
        return f"{self.name}({self.num_features}, momentum={self.momentum}, eps={self.eps})"

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) + 1 not in self.ndims or shape[0] != self.num_features:
            raise ValueError(f"{self.name}: input must be one sample's {self.shape_letters} with "
                             f"{self.num_features} channels, got shape {shape}")
        return shape

    def forward(self, x):
        x = v.as_float_array(self.name, "x", x)
        if x.ndim not in self.ndims:
            raise ValueError(f"{self.name}: input must be {self.batch_letters}, got shape {x.shape}")
        self.output_shape(x.shape[1:])
        self._checked_params()
        count = x.size // self.num_features  # values per channel
        if self.training and count < 2:
            raise ValueError(f"{self.name}: training mode needs more than one value per "
                             f"channel to compute batch statistics, got input shape {x.shape} "
                             f"(use a larger batch, or eval())")
        stats = () if self.training else (self.running_mean, self.running_var)
        out, ctx = _op._forward(x, self.params["gamma"], self.params["beta"], self.eps, *stats)
        if self.training:
            self._update_running(ctx.mean, ctx.var * (count / (count - 1)), x)  # unbiased variance
        self._cache = ctx
        return out

    def _update_running(self, mean, var, x):
        """running = (1 - momentum) * running + momentum * batch's, in place.

        A NonFiniteError naming the layer, with the running statistics left unchanged, if the
        batch's statistics or the new running ones would be NaN or infinite (an input too large
        for the dtype: its square overflows).
        """
        m = self.momentum
        with np.errstate(over="ignore", invalid="ignore"):
            new_mean = (1 - m) * self.running_mean + m * mean
            new_var = (1 - m) * self.running_var + m * var
        for what, batch, new in (("mean", mean, new_mean), ("variance", var, new_var)):
            bad = np.flatnonzero(~(np.isfinite(batch) & np.isfinite(new)))
            if bad.size:
                c = int(bad[0])
                raise v.NonFiniteError(
                    f"{self.name}: the running {what} of channel {c} would become {new[c]}: the "
                    f"batch's {what} there is {batch[c]:.4g}, the input being too large for "
                    f"{np.result_type(batch)} (largest |x| {np.abs(x).max():.4g}); the running "
                    f"statistics were left unchanged. Scale the input down (e.g. to [0, 1])")
        self.running_mean[...] = new_mean
        self.running_var[...] = new_var

    def backward(self, dout):
        ctx = self._cached()
        dout = self._dout(dout, ctx.xhat.shape)
        dx, self.grads["gamma"][...], self.grads["beta"][...] = _op._backward(dout, ctx)
        return dx


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of each channel of an image batch: (N, C, H, W) -> (N, C, H, W).

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    momentum : float in [0, 1], optional
        Weight of the current batch in the running statistics.
    eps : float, optional
        Added to the variance before the square root.
    dtype : numpy dtype, optional
        Of the parameters and running statistics.

    Attributes
    ----------
    params : {"gamma": (C,) ones, "beta": (C,) zeros}
        The learned scale and shift (``grads`` has the same keys).
    running_mean, running_var : ndarray, shape (C,)
        Start at 0 and 1; updated by every forward pass in training mode; used in evaluation
        mode. Not parameters: the optimiser does not touch them.

    Notes
    -----
    Training: ``out = gamma * (x - mean) / sqrt(var + eps) + beta`` with the mean and the biased
    variance of each channel over N, H and W. Evaluation: the running statistics instead.

    Examples
    --------
    >>> bn = BatchNorm2D(1)
    >>> x = np.array([1.0, 3.0]).reshape(2, 1, 1, 1)
    >>> bn.forward(x).ravel().round(4)          # mean 2, variance 1
    array([-1.,  1.])
    >>> bn.running_mean, bn.running_var         # 0.9 * (0, 1) + 0.1 * (2, unbiased 2)
    (array([0.2]), array([1.1]))
    >>> bn.eval().forward(x).ravel().round(4)   # (x - 0.2) / sqrt(1.1 + 1e-5)
    array([0.7628, 2.6697])
    """

    ndims = (4,)
    shape_letters = "(C, H, W)"
    batch_letters = "4-D (N, C, H, W)"


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of each feature of a dense layer's output: (N, D) -> (N, D).

    The same rules as `BatchNorm2D`, with statistics over the batch axis only (an input of
    shape (N, C, L) is also accepted, with statistics over N and L, as in PyTorch).

    Parameters
    ----------
    num_features : int
        D (or C).
    momentum, eps, dtype : as in `BatchNorm2D`

    Examples
    --------
    >>> bn = BatchNorm1D(2)
    >>> bn.forward([[0.0, 10.0], [2.0, 30.0]]).round(4)
    array([[-1., -1.],
           [ 1.,  1.]])
    """

    ndims = (2, 3)
    shape_letters = "(D,) or (C, L)"
    batch_letters = "2-D (N, D) or 3-D (N, C, L)"
