"""The base class of every layer, and the small helpers the layer modules share.

A layer has ``forward(x)`` (returns the output, keeps what backward needs), ``backward(dout)``
(returns dx, fills ``grads``), ``params`` and ``grads`` (dicts of arrays with the same keys), a
mode (``training``, switched by ``train()`` and ``eval()``), ``output_shape(input_shape)`` and
``macs(input_shape)`` for one sample. The public home of `Layer` is :mod:`cnnlab.layers`; it
lives here so that the layer modules (normalization, regularization, residual) can build on it
without importing each other.
"""

import numpy as np

from . import _validation as v

__all__ = []  # private module; Layer is exported by cnnlab.layers


def _rng(func, rng):
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"{func}: rng must be a numpy.random.Generator, an integer seed or None, "
                    f"got {type(rng).__name__}")


def _chw(name, input_shape):
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"{name}: input must be one sample's (C, H, W) (without the batch axis), "
                         f"got shape {shape}")
    return shape


class Layer:
    """Base class: no parameters, remembers its input for the backward pass.

    ``training`` is True after construction. ``train()`` and ``eval()`` switch it (and return the
    layer, so ``model.eval().forward(x)`` reads well). Only layers that behave differently in the
    two modes look at it: `Dropout` and the batch normalisations.
    """

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None
        self.training = True

    @property
    def name(self):
        return type(self).__name__

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def train(self, mode=True):
        """Switch to training mode (``mode=False``: evaluation mode); returns the layer."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"{self.name}.train: mode must be True or False, got {mode!r}")
        self.training = bool(mode)
        for child in self._children():
            child.train(mode)
        return self

    def eval(self):
        """Switch to evaluation mode (the same as ``train(False)``); returns the layer."""
        return self.train(False)

    def _children(self):
        """The layers inside this one (containers override it); modes are passed on to them."""
        return []

    def output_shape(self, input_shape):
        """The shape of one sample's output for one sample's input shape (no batch axis)."""
        return tuple(input_shape)

    def macs(self, input_shape):
        """Multiply-accumulates for one sample of this input shape (0 unless overridden)."""
        self.output_shape(input_shape)  # checks the shape
        return 0

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
