"""Layers with a forward and a backward pass, and `Sequential` to stack them.

Every layer has:

- ``forward(x)``: returns the output and keeps what the backward pass needs;
- ``backward(dout)``: takes the gradient of the loss with respect to the output and returns the
  gradient with respect to the input, filling ``grads``;
- ``params`` and ``grads``: dicts of arrays with the same keys ("W", "b" for `Conv2D` and
  `Linear`, empty for the others). The arrays in ``params`` are the live weights: assigning into
  them in place changes the layer. The arrays in ``grads`` are updated in place too, so an
  optimiser can hold on to them.
"""

import threading

import numpy as np

from . import _validation as v
from .activations import relu_backward
from . import _conv_fast
from .pooling import _check_window, _pool, pool2d_backward

__all__ = ["Layer", "Conv2D", "ReLU", "MaxPool2D", "AvgPool2D", "Flatten", "Linear",
           "Sequential", "Summary", "count_params"]


def _rng(func, rng):
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"{func}: rng must be a numpy.random.Generator, an integer seed or None, "
                    f"got {type(rng).__name__}")


class Layer:
    """Base class: no parameters, remembers its input for the backward pass."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    @property
    def name(self):
        return type(self).__name__

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def output_shape(self, input_shape):
        """The shape of one sample's output for one sample's input shape (no batch axis)."""
        return tuple(input_shape)

    def parameters(self):
        """List of (param, grad) pairs, for an optimiser."""
        return [(self.params[k], self.grads[k]) for k in self.params]

    def _input(self, x, ndim, what):
        x = v.as_float_array(self.name, "x", x)
        if x.ndim != ndim:
            raise ValueError(f"{self.name}: input must be {ndim}-D {what}, got shape {x.shape}")
        return x

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name}.backward: forward must run first (no input is stored)")
        return self._cache

    def _dout(self, dout, shape):
        dout = np.asarray(dout)
        if dout.shape != shape:
            raise ValueError(f"{self.name}.backward: dout must have the output's shape {shape}, "
                             f"got {dout.shape}")
        return dout

    def _init_grads(self):
        self.grads = {k: np.zeros_like(p) for k, p in self.params.items()}


class Conv2D(Layer):
    """A convolution layer: F filters of shape (C, KH, KW) slid over the input.

    Parameters
    ----------
    in_channels, out_channels : int
        C and F.
    kernel_size : int or pair of int
    stride, dilation : int or pair of int, optional
    padding : int, pair of int, "valid" or "same", optional
    rng : numpy.random.Generator or int, optional
        Weights start from He initialisation, normal with std ``sqrt(2 / (C*KH*KW))``; biases at 0.
    dtype : numpy dtype, optional
        float64 (default, exact gradient checks) or float32 (faster training).

    Input (N, C, H, W), output (N, F, OH, OW); ``params["W"]`` (F, C, KH, KW), ``params["b"]`` (F,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels = v.positive_int("Conv2D", "in_channels", in_channels)
        self.out_channels = v.positive_int("Conv2D", "out_channels", out_channels)
        self.kernel_size = v.int_pair("Conv2D", "kernel_size", kernel_size)
        self.stride = v.int_pair("Conv2D", "stride", stride)
        self.dilation = v.int_pair("Conv2D", "dilation", dilation)
        self.padding = v.padding_pair("Conv2D", padding, self.kernel_size, self.dilation)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        w = _rng("Conv2D", rng).normal(0.0, np.sqrt(2.0 / fan_in),
                                       (self.out_channels, self.in_channels) + self.kernel_size)
        self.params = {"W": w.astype(dtype), "b": np.zeros(self.out_channels, dtype=dtype)}
        self._init_grads()

    def __repr__(self):
        return (f"Conv2D({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")

    def output_shape(self, input_shape):
        c, h, w = _chw(self.name, input_shape)
        if c != self.in_channels:
            raise ValueError(f"Conv2D: input has {c} channels but the layer expects "
                             f"{self.in_channels} (input_shape={tuple(input_shape)})")
        oh, ow = (v.output_length("Conv2D", n, k, s, p, d, axis_name=axis)
                  for n, k, s, p, d, axis in zip((h, w), self.kernel_size, self.stride,
                                                 self.padding, self.dilation, ("height", "width")))
        return (self.out_channels, oh, ow)

    def forward(self, x):
        x = self._input(x, 4, "(N, C, H, W)")
        self.output_shape(x.shape[1:])  # checks channels and sizes, with this layer's name
        out, ctx = _conv_fast.forward(x, self.params["W"], self.params["b"], self.stride,
                                      self.padding, self.dilation, func="Conv2D")
        self._cache = (ctx, out.shape, threading.get_ident())
        return out

    def backward(self, dout):
        ctx, out_shape, thread = self._cached()
        if thread != threading.get_ident():
            raise RuntimeError("Conv2D.backward: the last forward pass ran in another thread, so "
                               "its saved input is not this thread's; give each thread its own "
                               "layer (copy.deepcopy(model))")
        dout = self._dout(dout, out_shape)
        dx, db = _conv_fast.backward(dout, ctx, self.params["W"], dw_out=self.grads["W"],
                                     func="Conv2D")
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

    def __init__(self, size, stride=None):
        super().__init__()
        self.size = v.int_pair(self.name, "size", size)
        self.stride = self.size if stride is None else v.int_pair(self.name, "stride", stride)

    def __repr__(self):
        return f"{self.name}(size={self.size}, stride={self.stride})"

    def output_shape(self, input_shape):
        c, h, w = _chw(self.name, input_shape)
        oh, ow = (v.output_length(self.name, n, k, s, 0, 1, axis_name=axis, what="window")
                  for n, k, s, axis in zip((h, w), self.size, self.stride, ("height", "width")))
        return (c, oh, ow)

    def forward(self, x):
        x = self._input(x, 4, "(N, C, H, W)")
        _check_window(self.name, x.shape, self.size, self.stride)
        out = _pool(x, self.size, self.stride, self.mode)
        self._cache = (x, out.shape)
        return out

    def backward(self, dout):
        x, out_shape = self._cached()
        return pool2d_backward(self._dout(dout, out_shape), x, self.size, self.stride, self.mode)


class MaxPool2D(_Pool):
    """Maximum over each window; the gradient goes to the (first) maximum of each window."""

    mode = "max"


class AvgPool2D(_Pool):
    """Mean over each window; the gradient is shared equally by the window's entries."""

    mode = "avg"


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

    def forward(self, x):
        x = self._input(x, 2, "(N, D_in)")
        self.output_shape(x.shape[1:])
        self._cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        x = self._cached()
        dout = self._dout(dout, (x.shape[0], self.out_features))
        self.grads["W"][...] = x.T @ dout
        self.grads["b"][...] = dout.sum(axis=0)
        return dout @ self.params["W"].T


def _chw(name, input_shape):
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"{name}: input must be one sample's (C, H, W) (without the batch axis), "
                         f"got shape {shape}")
    return shape


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse.

    ``params`` and ``grads`` gather the layers' arrays under keys such as ``"0.W"``.

    Examples
    --------
    >>> model = Sequential(Conv2D(1, 6, 5, rng=0), ReLU(), MaxPool2D(2), Flatten(), Linear(864, 10, rng=0))
    >>> print(model.summary((1, 28, 28)))
    Layer        Output shape    Parameters
    ---------------------------------------
    Input        (1, 28, 28)              0
    Conv2D       (6, 24, 24)            156
    ReLU         (6, 24, 24)              0
    MaxPool2D    (6, 12, 12)              0
    Flatten      (864,)                   0
    Linear       (10,)                8,650
    ---------------------------------------
    Total                             8,806
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
        inner = ",\n".join(f"    {layer!r}" for layer in self.layers)
        return f"Sequential(\n{inner}\n)"

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

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

    def predict(self, x, batch_size=256):
        """Class indices (N,): the arg-max of the final scores, computed in batches."""
        x = v.as_float_array("Sequential.predict", "x", x)
        batch_size = v.positive_int("Sequential.predict", "batch_size", batch_size)
        return np.concatenate([self.forward(x[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(x), batch_size)]) if len(x) else np.zeros(0, int)

    def summary(self, input_shape):
        """Per layer: name, output shape of one sample, parameter count; and the total.

        Parameters
        ----------
        input_shape : tuple
            One sample's (C, H, W), without the batch axis.
        """
        shape = tuple(int(s) for s in input_shape)
        rows = [("Input", shape, 0)]
        for layer in self.layers:
            shape = layer.output_shape(shape)
            rows.append((layer.name, shape, count_params(layer)))
        return Summary(rows)


class Summary:
    """The table `Sequential.summary` returns: ``rows`` of (name, output shape, parameters)."""

    def __init__(self, rows):
        self.rows = rows
        self.total = sum(r[2] for r in rows)

    def __str__(self):
        lines = [f"{'Layer':<12} {'Output shape':<15} {'Parameters':>10}"]
        rule = "-" * len(lines[0])
        lines.append(rule)
        lines += [f"{name:<12} {str(shape):<15} {n:>10,}" for name, shape, n in self.rows]
        lines += [rule, f"{'Total':<12} {'':<15} {self.total:>10,}"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        body = "".join(
            f"<tr><td style='text-align:left'>{name}</td><td style='text-align:left'>{shape}</td>"
            f"<td>{n:,}</td></tr>" for name, shape, n in self.rows)
        return ("<table><thead><tr><th style='text-align:left'>Layer</th>"
                "<th style='text-align:left'>Output shape</th><th>Parameters</th></tr></thead>"
                f"<tbody>{body}<tr><th style='text-align:left'>Total</th><td></td>"
                f"<th>{self.total:,}</th></tr></tbody></table>")


def count_params(model):
    """Number of trainable numbers (weights and biases) of a layer or a `Sequential`."""
    if not isinstance(model, Layer):
        raise TypeError(f"count_params: model must be a cnnlab layer or Sequential, got "
                        f"{type(model).__name__}")
    return int(sum(p.size for p in model.params.values()))
