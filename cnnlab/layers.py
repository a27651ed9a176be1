"""Layers with a forward and a backward pass, and `Sequential` to stack them.

Every layer has:

- ``forward(x)``: returns the output and keeps what the backward pass needs;
- ``backward(dout)``: takes the gradient of the loss with respect to the output and returns the
  gradient with respect to the input, filling ``grads``;
- ``params`` and ``grads``: dicts of arrays with the same keys ("W", "b" for `Conv2D` and
  `Linear`, "gamma", "beta" for the batch normalisations, empty for the others). The arrays in
  ``params`` are the live weights: assigning into them in place changes the layer. The arrays
  in ``grads`` are updated in place too, so an optimiser can hold on to them.
- a mode: ``training`` (True from the start), switched by ``train()`` and ``eval()``;
  `Sequential` and `Residual` pass it on to the layers inside them.
- ``output_shape(input_shape)`` and ``macs(input_shape)`` for one sample (no batch axis).

The batch normalisations live in :mod:`cnnlab.normalization`, `Dropout` in
:mod:`cnnlab.regularization` and `Residual` in :mod:`cnnlab.residual`; all are exported here too.
"""

import numpy as np

from . import _validation as v
from ._layer import Layer, _chw, _rng
from .activations import relu_backward
from . import _conv_fast
from .convolution import _pad
from .dense import _linear_backward
from .normalization import BatchNorm1D, BatchNorm2D
from .pooling import _pool, pool2d_backward
from .regularization import Dropout
from .residual import Residual

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
        w = _rng("Conv2D", rng).normal(0.0, np.sqrt(2.0 / fan_in),
                                       (self.out_channels, per_group) + self.kernel_size)
        self.params = {"W": w.astype(dtype)}
        if bias:
            self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self._init_grads()
        self._workspace = _conv_fast._Workspace()  # scratch arrays reused between passes

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
        x = self._input(x, 4, "(N, C, H, W)")
        self.output_shape(x.shape[1:])  # checks channels and sizes, with this layer's name
        out, ctx = _conv_fast.forward(x, self.params["W"], self.params.get("b"), self.stride,
                                      self.padding, self.dilation, workspace=self._workspace,
                                      groups=self.groups)
        self._cache = (ctx, out.shape)
        return out

    def backward(self, dout):
        ctx, out_shape = self._cached()
        dout = self._dout(dout, out_shape)
        dx, db = _conv_fast.backward(dout, ctx, self.params["W"], self._workspace,
                                     dw_out=self.grads["W"])
        if "b" in self.grads:
            self.grads["b"][...] = db
        return dx


class ReLU(Layer):
    """Element-wise ``max(0, x)``; its gradient passes where the input was positive."""

    def __repr__(self):
        return "ReLU()"

    def forward(self, x):
        x = v.as_float_array(self.name, "x", x)
        self._cache = x
        return np.maximum(x, 0)

    def backward(self, dout):
        x = self._cached()
        return relu_backward(self._dout(dout, x.shape), x)


class _Pool(Layer):
    mode = None
    fill = 0.0  # the value of the padding

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
        x = self._input(x, 4, "(N, C, H, W)")
        self.output_shape(x.shape[1:])
        xp = _pad(x, *self.padding, value=self.fill)
        out = _pool(xp, self.size, self.stride, self.mode)
        self._cache = (xp, out.shape)
        return out

    def backward(self, dout):
        xp, out_shape = self._cached()
        dxp = pool2d_backward(self._dout(dout, out_shape), xp, self.size, self.stride, self.mode)
        (ph, pw), (h, w) = self.padding, xp.shape[2:]
        return dxp[:, :, ph:h - ph, pw:w - pw] if ph or pw else dxp


class MaxPool2D(_Pool):
    """Maximum over each window; the gradient goes to the (first) maximum of each window.

    ``padding`` (default 0) adds -inf around the input, so padded cells never win: ResNet's
    ``MaxPool2D(3, stride=2, padding=1)`` halves 112 x 112 to 56 x 56, as PyTorch's
    ``MaxPool2d(3, 2, 1)``. Output size ``floor((n + 2p - k) / s) + 1``.
    """

    mode = "max"
    fill = -np.inf


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
        x = v.as_float_array(self.name, "x", x, min_ndim=2)
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        shape = self._cached()
        dout = self._dout(dout, (shape[0], int(np.prod(shape[1:]))))
        return dout.reshape(shape)


class Linear(Layer):
    """A fully-connected layer ``x @ W + b``: input (N, D_in), output (N, D_out).

    ``params["W"]`` is (D_in, D_out) with He initialisation, ``params["b"]`` is (D_out,) zeros.
    """

    def __init__(self, in_features, out_features, rng=None, dtype=np.float64):
        super().__init__()
        self.in_features = v.positive_int("Linear", "in_features", in_features)
        self.out_features = v.positive_int("Linear", "out_features", out_features)
        w = _rng("Linear", rng).normal(0.0, np.sqrt(2.0 / self.in_features),
                                       (self.in_features, self.out_features))
        self.params = {"W": w.astype(dtype), "b": np.zeros(self.out_features, dtype=dtype)}
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
        x = self._input(x, 2, "(N, D_in)")
        self.output_shape(x.shape[1:])
        self._cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        x = self._cached()
        dout = self._dout(dout, (x.shape[0], self.out_features))
        dx, self.grads["W"][...], self.grads["b"][...] = _linear_backward(dout, x, self.params["W"])
        return dx


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse.

    ``params`` and ``grads`` gather the layers' arrays under keys such as ``"0.W"`` (and
    ``"3.body.0.W"`` for a layer inside a `Residual`). ``train()`` and ``eval()`` switch every
    layer; ``predict`` always computes in evaluation mode.

    Examples
    --------
    >>> model = Sequential(Conv2D(1, 6, 5, rng=0), ReLU(), MaxPool2D(2), Flatten(), Linear(864, 10, rng=0))
    >>> print(model.summary((1, 28, 28)))
    Layer        Output shape    Parameters         MACs
    ----------------------------------------------------
    Input        (1, 28, 28)              0            0
    Conv2D       (6, 24, 24)            156       86,400
    ReLU         (6, 24, 24)              0            0
    MaxPool2D    (6, 12, 12)              0            0
    Flatten      (864,)                   0            0
    Linear       (10,)                8,650        8,640
    ----------------------------------------------------
    Total                             8,806       95,040
    >>> model.eval().training, model[0].training
    (False, False)
    """

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: argument {i} must be a cnnlab layer, got "
                                f"{type(layer).__name__}")
        self.layers = list(layers)
        self.params = {f"{i}.{k}": p for i, l in enumerate(self.layers) for k, p in l.params.items()}
        self.grads = {f"{i}.{k}": g for i, l in enumerate(self.layers) for k, g in l.grads.items()}

    def __repr__(self):
        inner = ",\n".join("    " + repr(layer).replace("\n", "\n    ") for layer in self.layers)
        return f"Sequential(\n{inner}\n)"

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def _children(self):
        return self.layers

    def parameters(self):
        return [pair for layer in self.layers for pair in layer.parameters()]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        self._cache = True
        return x

    def backward(self, dout):
        self._cached()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    def macs(self, input_shape):
        """The layers' multiply-accumulates for one sample, added up."""
        total = 0
        for layer in self.layers:
            total += layer.macs(input_shape)
            input_shape = layer.output_shape(input_shape)
        return total

    def predict(self, x, batch_size=256):
        """Class indices (N,): the arg-max of the final scores, computed in batches.

        Computed in evaluation mode (dropout off, batch normalisation with its running
        statistics); the model is left in the mode it was in.
        """
        x = v.as_float_array("Sequential.predict", "x", x)
        batch_size = v.positive_int("Sequential.predict", "batch_size", batch_size)
        if not len(x):
            return np.zeros(0, int)
        with _evaluating(self):
            return np.concatenate([self.forward(x[i:i + batch_size]).argmax(axis=1)
                                   for i in range(0, len(x), batch_size)])

    def summary(self, input_shape):
        """Per layer: name, output shape of one sample, parameters and MACs; and the totals.

        Parameters
        ----------
        input_shape : tuple
            One sample's (C, H, W), without the batch axis.

        Returns
        -------
        Summary
            ``rows`` of (name, output shape, parameters, MACs); ``total`` parameters and
            ``total_macs``. A `Residual` is one row holding its body and shortcut.

        Notes
        -----
        MACs (multiply-accumulates) for one sample: F*OH*OW*(C/G)*KH*KW for a convolution,
        D_in*D_out for a dense layer, 0 for ReLU, pooling, batch normalisation, dropout and
        flatten (bias additions are not counted). Common counters (ptflops, fvcore) count the
        same way and report 1.81 G MACs for ResNet-18 on 224 x 224 images.
        """
        shape = tuple(int(s) for s in input_shape)
        rows = [("Input", shape, 0, 0)]
        for layer in self.layers:
            macs = layer.macs(shape)
            shape = layer.output_shape(shape)
            rows.append((layer.name, shape, count_params(layer), macs))
        return Summary(rows)


class _evaluating:
    """Context manager: the model in evaluation mode inside, back in its former mode after.

    Examples
    --------
    >>> model = Sequential(Dropout(0.5))
    >>> with _evaluating(model):
    ...     print(model.training)
    False
    >>> model.training
    True
    """

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.was_training = self.model.training
        return self.model.eval()

    def __exit__(self, *exc):
        self.model.train(self.was_training)
        return False


class Summary:
    """The table `Sequential.summary` returns.

    ``rows`` are (name, output shape, parameters, MACs); ``total`` is the number of parameters
    and ``total_macs`` the multiply-accumulates for one sample.
    """

    def __init__(self, rows):
        self.rows = rows
        self.total = sum(r[2] for r in rows)
        self.total_macs = sum(r[3] for r in rows)

    def __str__(self):
        lines = [f"{'Layer':<12} {'Output shape':<15} {'Parameters':>10} {'MACs':>12}"]
        rule = "-" * len(lines[0])
        lines.append(rule)
        lines += [f"{name:<12} {str(shape):<15} {n:>10,} {m:>12,}" for name, shape, n, m in self.rows]
        lines += [rule, f"{'Total':<12} {'':<15} {self.total:>10,} {self.total_macs:>12,}"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        body = "".join(
            f"<tr><td style='text-align:left'>{name}</td><td style='text-align:left'>{shape}</td>"
            f"<td>{n:,}</td><td>{m:,}</td></tr>" for name, shape, n, m in self.rows)
        return ("<table><thead><tr><th style='text-align:left'>Layer</th>"
                "<th style='text-align:left'>Output shape</th><th>Parameters</th><th>MACs</th>"
                f"</tr></thead><tbody>{body}<tr><th style='text-align:left'>Total</th><td></td>"
                f"<th>{self.total:,}</th><th>{self.total_macs:,}</th></tr></tbody></table>")


def count_params(model):
    """Number of trainable numbers (weights and biases) of a layer or a `Sequential`.

    Running statistics of batch normalisation are not trainable and not counted.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"count_params: model must be a cnnlab layer or Sequential, got "
                        f"{type(model).__name__}")
    return int(sum(p.size for p in model.params.values()))


def count_macs(model, input_shape):
    """Multiply-accumulates of one forward pass of one sample through ``model``.

    Parameters
    ----------
    model : cnnlab layer or Sequential
    input_shape : tuple
        One sample's shape without the batch axis, e.g. (C, H, W).

    Returns
    -------
    int
        The sum over layers of F*OH*OW*(C/G)*KH*KW for convolutions and D_in*D_out for dense
        layers; ReLU, pooling, batch normalisation, dropout and flatten count 0 (as ptflops and
        fvcore count them: ResNet-18 at 224 x 224 is 1.81 G MACs). One MAC is one multiplication
        and one addition, so FLOPs are about twice the MACs.

    Examples
    --------
    >>> count_macs(Conv2D(3, 8, 3, padding=1), (3, 32, 32))   # 8*32*32 outputs, 3*3*3 each
    221184
    """
    if not isinstance(model, Layer):
        raise TypeError(f"count_macs: model must be a cnnlab layer or Sequential, got "
                        f"{type(model).__name__}")
    if not isinstance(input_shape, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
            for n in input_shape):
        raise TypeError(f"count_macs: input_shape must be a tuple of positive integers (one "
                        f"sample's shape, without the batch axis), got {input_shape!r}")
    return int(model.macs(tuple(int(n) for n in input_shape)))
