"""Layers with a forward and a backward pass; `Sequential` (in :mod:`cnnlab.sequential`) stacks them.

Every layer has:

- ``forward(x)``: returns the output and keeps what the backward pass needs, as its own arrays
  (a copy of ``x``, or ReLU's mask): changing ``x`` in place after forward (``x += noise``) does
  not change the gradients backward returns;
- ``backward(dout)``: takes the gradient of the loss with respect to the output and returns the
  gradient with respect to the input, filling ``grads``;
- ``params`` and ``grads``: dicts of arrays with the same keys ("W", "b" for `Conv2D` and
  `Linear`, "gamma", "beta" for the batch normalisations, empty for the others). The arrays in
  ``params`` are the live weights: assigning into them in place
  (``layer.params["W"][...] = w``) changes the layer. Replacing an array
  (``layer.params["W"] = w``) works too if the new one is a floating array of the same shape:
  an optimiser built on the model picks it up at its next step (one built on a list of arrays
  keeps the old ones). Any other replacement raises at the next forward pass, naming the layer
  and the key. The arrays in ``grads`` are made (zeros) when first asked for, by the first
  backward pass, ``parameters()`` or an optimiser, and then updated in place, so an optimiser
  can hold on to them.
- a mode: ``training`` (True from the start), switched by ``train()`` and ``eval()``;
  `Sequential` and `Residual` pass it on to the layers inside them.
- ``output_shape(input_shape)`` and ``macs(input_shape)`` for one sample (no batch axis).

Each layer computes with one operation pair of :mod:`cnnlab.ops` (`conv2d_forward` and
`conv2d_backward`, `linear_forward` and `linear_backward`, `pool2d_forward` and
`pool2d_backward`, `relu_forward` and `relu_backward`), so its forward and backward pass can be
read there side by side. The layer checks its input once, naming itself, and calls the pair's
unchecked core (``_forward`` and ``_backward`` of the op's module: the public pair without its
checks); the context its forward pass returns is what its backward pass uses, unchanged.
The batch normalisations live in :mod:`cnnlab.nn.normalization`, `Dropout` in
:mod:`cnnlab.nn.regularization`, `Residual` in :mod:`cnnlab.nn.residual` and `Sequential` in
:mod:`cnnlab.nn.sequential`; all are exported here too.
"""

import threading

import numpy as np

from .. import _validation as v
from ..ops import activations as _relu
from ..ops import conv as _conv
from ..ops import dense as _dense
from ..ops import pool as _pool
from ..ops.dense import flatten
from .layer import Layer, _chw, _he_normal, _rng
from .normalization import BatchNorm1D, BatchNorm2D
from .regularization import Dropout
from .residual import Residual
from .sequential import Sequential, Summary, count_macs, count_params

__all__ = ["Layer", "Conv2D", "ReLU", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
           "Linear", "BatchNorm1D", "BatchNorm2D", "Dropout", "Residual", "Sequential", "Summary",
           "count_params", "count_macs"]


class Conv2D(Layer):
    """A convolution layer: F filters of shape (C/G, KH, KW) slid over the input.

    Parameters
    ----------
    in_channels, out_channels : int
        C and F.
    kernel_size : int or pair of int
    stride, dilation : int or pair of int, optional
    padding : int, pair of int, "valid" or "same", optional
    groups : int, optional
        G, dividing both C and F: the channels and the filters are split into G groups and each
        group of filters sees only its group of channels (see :func:`cnnlab.conv2d`).
        ``groups=in_channels`` is a depthwise convolution.
    bias : bool, optional
        Whether the layer adds a learned bias per filter (False before a batch normalisation,
        whose shift makes it redundant); without it ``params`` has only "W".
    rng : numpy.random.Generator or int, optional
        Weights start from He initialisation, normal with std ``sqrt(2 / fan_in)`` where
        ``fan_in = C/G*KH*KW`` (the inputs of one output); biases at 0.
    dtype : numpy dtype, optional
        float64 (default, exact gradient checks) or float32 (faster training).

    Input (N, C, H, W), output (N, F, OH, OW); ``params["W"]`` (F, C/G, KH, KW),
    ``params["b"]`` (F,).

    Examples
    --------
    >>> depthwise = Conv2D(8, 8, 3, padding=1, groups=8, bias=False, rng=0)
    >>> depthwise.params["W"].shape, list(depthwise.params)
    ((8, 1, 3, 3), ['W'])
    >>> depthwise.forward(np.zeros((2, 8, 5, 5))).shape
    (2, 8, 5, 5)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels = v.positive_int("Conv2D", "in_channels", in_channels)
        self.out_channels = v.positive_int("Conv2D", "out_channels", out_channels)
        self.kernel_size = v.int_pair("Conv2D", "kernel_size", kernel_size)
        self.stride = v.int_pair("Conv2D", "stride", stride)
        self.dilation = v.int_pair("Conv2D", "dilation", dilation)
        self.padding = v.padding_pair("Conv2D", padding, self.kernel_size, self.dilation)
        self.groups = v.positive_int("Conv2D", "groups", groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"Conv2D: groups={self.groups} must divide both in_channels "
                             f"({self.in_channels}) and out_channels ({self.out_channels})")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Conv2D: bias must be True or False, got {bias!r}")
        per_group = self.in_channels // self.groups
        fan_in = per_group * self.kernel_size[0] * self.kernel_size[1]
        dtype = v.float_dtype("Conv2D", dtype)
        self.params = {"W": _he_normal(_rng("Conv2D", rng), (self.out_channels, per_group) + self.kernel_size,
                                       fan_in, dtype)}
        if bias:
            self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self._init_grads()

    def __repr__(self):
        extra = "".join([f", dilation={self.dilation}" if self.dilation != (1, 1) else "",
                         f", groups={self.groups}" if self.groups != 1 else "",
                         ", bias=False" if "b" not in self.params else ""])
        return (f"Conv2D({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}{extra})")

    def output_shape(self, input_shape):
        c, h, w = _chw(self.name, input_shape)
        if c != self.in_channels:
            raise ValueError(f"Conv2D: input has {c} channels but the layer expects "
                             f"{self.in_channels} (input_shape={tuple(input_shape)})")
        oh, ow = (v.output_length("Conv2D", n, k, s, p, d, axis_name=axis)
                  for n, k, s, p, d, axis in zip((h, w), self.kernel_size, self.stride,
                                                 self.padding, self.dilation, ("height", "width")))
        return (self.out_channels, oh, ow)

    def macs(self, input_shape):
        """F*OH*OW*(C/G)*KH*KW: one multiply-accumulate per weight per output position."""
        f, oh, ow = self.output_shape(input_shape)
        return f * oh * ow * self.params["W"][0].size

    def forward(self, x):
        """`conv2d_forward` with the layer's weights; its context keeps a copy of ``x`` for the
        backward pass (so that changing ``x`` in place afterwards does not change the gradients)."""
        given = x
        x = self._input(x, 4, "(N, C, H, W)")
        self.output_shape(x.shape[1:])  # checks channels and sizes, with this layer's name
        params = self._checked_params()
        out, ctx = _conv._forward(self._keep(given, x), params["W"], params.get("b"),
                                  (self.stride, self.padding, self.dilation, self.groups))
        self._cache = (ctx, threading.get_ident())
        return out

    def backward(self, dout):
        """`conv2d_backward` of the forward pass's context: returns dx, fills ``grads["W"]``
        and ``grads["b"]``."""
        ctx, thread = self._cached()
        if thread != threading.get_ident():
            raise RuntimeError("Conv2D.backward: the last forward pass ran in another thread, so "
                               "its saved input is not this thread's; give each thread its own "
                               "layer (copy.deepcopy(model))")
        g = ctx.geometry
        dx, dw, db = _conv._backward(self._dout(dout, (g.n, g.f, g.oh, g.ow)), ctx)
        self.grads["W"][...] = dw
        if "b" in self.grads:
            self.grads["b"][...] = db
        return dx


class ReLU(Layer):
    """Element-wise ``max(0, x)``; its gradient passes where the input was positive."""

    def __repr__(self):
        return "ReLU()"

    def forward(self, x):
        """`relu_forward`; keeps where ``x > 0`` (a boolean mask, not ``x``) for the backward pass."""
        out, self._cache = _relu._forward(v.as_float_array(self.name, "x", x))
        return out

    def backward(self, dout):
        """`relu_backward` from the mask kept by forward: ``dout`` where the input was positive."""
        ctx = self._cached()
        return _relu._backward(self._dout(dout, ctx.positive.shape), ctx)


class _Pool(Layer):
    mode = None

    def __init__(self, size, stride=None, padding=0):
        super().__init__()
        self.size = v.int_pair(self.name, "size", size)
        self.stride = self.size if stride is None else v.int_pair(self.name, "stride", stride)
        self.padding = v.int_pair(self.name, "padding", padding, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.size)):
            raise ValueError(f"{self.name}: padding must be at most half the window size "
                             f"{self.size}, got {self.padding}")

    def __repr__(self):
        pad = f", padding={self.padding}" if self.padding != (0, 0) else ""
        return f"{self.name}(size={self.size}, stride={self.stride}{pad})"

    def output_shape(self, input_shape):
        c, h, w = _chw(self.name, input_shape)
        oh, ow = (v.output_length(self.name, n, k, s, p, 1, axis_name=axis, what="window")
                  for n, k, s, p, axis in zip((h, w), self.size, self.stride, self.padding,
                                              ("height", "width")))
        return (c, oh, ow)

    def forward(self, x):
        """`pool2d_forward` with this layer's window; keeps a copy of ``x`` for the backward pass."""
        given = x
        x = self._input(x, 4, "(N, C, H, W)")
        out_shape = x.shape[:2] + self.output_shape(x.shape[1:])[1:]
        ctx = _pool.PoolContext(self._keep(given, x), self.size, self.stride, self.mode,
                                self.padding, out_shape)
        out, self._cache = _pool._forward(ctx)
        return out

    def backward(self, dout):
        """`pool2d_backward` of the forward pass's context."""
        ctx = self._cached()
        return _pool._backward(self._dout(dout, ctx.out_shape), ctx)


class MaxPool2D(_Pool):
    """Maximum over each window; the gradient goes to the (first) maximum of each window.

    ``padding`` (default 0) adds -inf around the input, so padded cells never win: ResNet's
    ``MaxPool2D(3, stride=2, padding=1)`` halves 112 x 112 to 56 x 56, as PyTorch's
    ``MaxPool2d(3, 2, 1)``. Output size ``floor((n + 2p - k) / s) + 1``.
    """

    mode = "max"


class AvgPool2D(_Pool):
    """Mean over each window; the gradient is shared equally by the window's entries.

    ``padding`` (default 0) adds zeros that count in the mean (PyTorch's default,
    ``count_include_pad=True``).
    """

    mode = "avg"


class GlobalAvgPool2D(Layer):
    """The mean of each whole feature map: (N, C, H, W) -> (N, C).

    Replaces flatten + a large dense layer at the end of modern CNNs (Lin et al. 2014,
    "Network in Network"): one number per channel, whatever H and W. Backward spreads each
    gradient equally over the H*W positions it averaged.

    Examples
    --------
    >>> GlobalAvgPool2D().forward(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[1.5, 5.5]])
    """

    def __repr__(self):
        return "GlobalAvgPool2D()"

    def output_shape(self, input_shape):
        return (_chw(self.name, input_shape)[0],)

    def forward(self, x):
        x = self._input(x, 4, "(N, C, H, W)")
        if 0 in x.shape[2:]:
            raise ValueError(f"{self.name}: input must have at least one position, got shape {x.shape}")
        self._cache = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout):
        shape = self._cached()
        dout = self._dout(dout, shape[:2])
        scale = np.asarray(1.0 / (shape[2] * shape[3]), dtype=dout.dtype)
        return np.broadcast_to((dout * scale)[:, :, None, None], shape).copy()


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W); backward reshapes the gradient back."""

    def __repr__(self):
        return "Flatten()"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x):
        """`flatten`; keeps the input's shape for the backward pass."""
        x = v.as_float_array(self.name, "x", x, min_ndim=2)
        self._cache = x.shape
        return flatten(x)

    def backward(self, dout):
        shape = self._cached()
        dout = self._dout(dout, (shape[0], int(np.prod(shape[1:]))))
        return dout.reshape(shape)


class Linear(Layer):
    """A fully-connected layer ``x @ W + b``: input (N, D_in), output (N, D_out).

    ``params["W"]`` is (D_in, D_out) with He initialisation, ``params["b"]`` is (D_out,) zeros.
    ``dtype`` (float64 by default, or float32) must be a floating type.
    """

    def __init__(self, in_features, out_features, rng=None, dtype=np.float64):
        super().__init__()
        dtype = v.float_dtype("Linear", dtype)
        self.in_features = v.positive_int("Linear", "in_features", in_features)
        self.out_features = v.positive_int("Linear", "out_features", out_features)
        w = _he_normal(_rng("Linear", rng), (self.in_features, self.out_features), self.in_features, dtype)
        self.params = {"W": w, "b": np.zeros(self.out_features, dtype=dtype)}
        self._init_grads()

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features})"

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.in_features,):
            raise ValueError(f"Linear: input must have {self.in_features} features, got shape "
                             f"{tuple(input_shape)} (add a Flatten before it?)")
        return (self.out_features,)

    def macs(self, input_shape):
        """D_in*D_out: one multiply-accumulate per weight."""
        self.output_shape(input_shape)
        return self.in_features * self.out_features

    def forward(self, x):
        """`linear_forward` with the layer's weights; keeps a copy of ``x`` for the backward pass."""
        given = x
        x = self._input(x, 2, "(N, D_in)")
        self.output_shape(x.shape[1:])
        params = self._checked_params()
        out, self._cache = _dense._forward(self._keep(given, x), params["W"], params["b"])
        return out

    def backward(self, dout):
        """`linear_backward` of the forward pass's context: returns dx, fills ``grads["W"]`` and
        ``grads["b"]``."""
        ctx = self._cached()
        dout = self._dout(dout, (ctx.x.shape[0], self.out_features))
        dx, self.grads["W"][...], self.grads["b"][...] = _dense._backward(dout, ctx)
        return dx
