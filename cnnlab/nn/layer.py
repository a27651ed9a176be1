"""The base class of every layer, and the small helpers the layer modules share.

A layer has ``forward(x)`` (returns the output, keeps what backward needs), ``backward(dout)``
(returns dx, fills ``grads``), ``params`` and ``grads`` (dicts of arrays with the same keys), a
mode (``training``, switched by ``train()`` and ``eval()``), ``output_shape(input_shape)`` and
``macs(input_shape)`` for one sample, and ``predict(x)``. Also here: the weight initialisation
and the live ``params`` view of containers (`Sequential`, `Residual`).
"""

from collections.abc import MutableMapping

import numpy as np

from .. import _validation as v

__all__ = []  # private module; Layer is exported by cnnlab.layers


def _rng(func, rng):
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"{func}: rng must be a numpy.random.Generator, an integer seed or None, "
                    f"got {type(rng).__name__}")


#: The most float64 values drawn at once when weights are made in another dtype (8 MiB of them).
_INIT_CHUNK = 1 << 20


def _he_normal(rng, shape, fan_in, dtype):
    """He-initialised weights: normal with mean 0 and std ``sqrt(2 / fan_in)``, ``shape``, ``dtype``.

    The values are those of ``rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(dtype)`` bit
    for bit, and ``rng`` ends in the same state, without a float64 array of the full size: in
    float64 the draws go straight into the result and are scaled in place; in another dtype they
    are drawn in float64 chunks (an eighth of the weights, at least 1,024 and at most
    ``_INIT_CHUNK`` values), each scaled, then rounded into its part of the result. The memory
    used beyond the result is at most a quarter of a float32 result's bytes (or 8 KiB).
    """
    scale = np.sqrt(2.0 / fan_in)
    out = np.empty(shape, dtype=dtype)
    flat = out.reshape(-1)                                  # a view: out is contiguous
    in_place = out.dtype == np.float64
    step = max(flat.size, 1) if in_place else min(_INIT_CHUNK, max(1024, -(-flat.size // 8)))
    buffer = None if in_place else np.empty(min(step, flat.size))
    for start in range(0, flat.size, step):
        part = flat[start:start + step]
        z = part if in_place else buffer[:part.size]
        rng.standard_normal(out=z)              # one draw per value, as normal() makes them
        np.multiply(z, scale, out=z)
        z += 0.0                                # normal() returns 0.0 + scale * z (no -0.0)
        if not in_place:
            part[...] = z
    return out


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
    def params(self):
        """The layer's parameters: a dict of arrays (a live view of its layers' for a container)."""
        params = self.__dict__.get("_params")
        if params is None:
            raise AttributeError(f"{type(self).__name__} has no params: Layer.__init__ was not "
                                 f"called (call super().__init__() in __init__)")
        return params.bind(self) if isinstance(params, _Unbound) else params

    @params.setter
    def params(self, value):
        self._params = _Unbound.of(self, value)

    @property
    def grads(self):
        """The gradients of the loss with respect to ``params`` (same keys), filled by ``backward``.

        After `_init_grads` they are made (zeros, each of its parameter's shape and dtype) the
        first time they are asked for, by ``backward``, ``parameters()`` or an optimiser: building
        a model allocates its weights only.
        """
        grads = self.__dict__.get("_grads")
        if grads is None:
            shapes = self.__dict__.get("_grad_specs")
            if shapes is None:
                raise AttributeError(f"{type(self).__name__} has no grads: Layer.__init__ was not "
                                     f"called (call super().__init__() in __init__)")
            grads = self._grads = {k: np.zeros(shape, dtype) for k, (shape, dtype) in shapes.items()}
        return grads.bind(self) if isinstance(grads, _Unbound) else grads

    @grads.setter
    def grads(self, value):
        self._grads = _Unbound.of(self, value)

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
        return [layer for _, layer in self._named_children()]

    def _named_children(self):
        """(key prefix, layer) of the layers inside this one ("0", "body"...)."""
        return []

    def output_shape(self, input_shape):
        """The shape of one sample's output for one sample's input shape (no batch axis)."""
        return tuple(input_shape)

    def macs(self, input_shape):
        """Multiply-accumulates for one sample of this input shape (0 unless overridden)."""
        self.output_shape(input_shape)  # checks the shape
        return 0

    def predict(self, x, batch_size=256):
        """Class indices (N,): the arg-max of the scores (the output of ``forward``), computed in batches.

        Computed in evaluation mode (dropout off, batch normalisation with its running
        statistics); the model is left in the mode it was in.
        """
        x = v.as_float_array(f"{self.name}.predict", "x", x)
        batch_size = v.positive_int(f"{self.name}.predict", "batch_size", batch_size)
        if not len(x):
            return np.zeros(0, int)
        with _evaluating(self):
            return np.concatenate([self.forward(x[i:i + batch_size]).argmax(axis=1)
                                   for i in range(0, len(x), batch_size)])

    def parameters(self):
        """List of (param, grad) pairs, for an optimiser."""
        return [(self.params[k], self.grads[k]) for k in self.params]

    def _input(self, x, ndim, what):
        x = v.as_float_array(self.name, "x", x)
        if x.ndim != ndim:
            raise ValueError(f"{self.name}: input must be {ndim}-D {what}, got shape {x.shape}")
        return x

    def _keep(self, given, x):
        """``x`` (the checked form of the input ``given``) as the backward pass may keep it.

        The caller still holds ``given`` and may change it in place before backward
        (``x += noise``); a layer whose backward needs the input's values keeps its own copy,
        so the gradient is the one of the input forward saw. No copy when the check already
        made a new array (from a list, or an integer array converted to float64): nobody else
        can reach that one.
        """
        converted = isinstance(given, (list, tuple)) or (isinstance(given, np.ndarray)
                                                         and given.dtype != x.dtype)
        if x is not given and converted and x.base is None:
            return x
        return x.copy()

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name}.backward: forward must run first (no input is stored)")
        return self._cache

    def _dout(self, dout, shape):
        """``dout`` checked as forward checks its input (real numbers, finite) and for shape."""
        dout = v.as_float_array(f"{self.name}.backward", "dout", dout)
        if dout.shape != shape:
            raise ValueError(f"{self.name}.backward: dout must have the output's shape {shape}, "
                             f"got {dout.shape}")
        return dout

    def _init_grads(self):
        """Gradients for ``params`` (zeros of the same shapes and dtypes), made when first used."""
        arrays = {k: np.asarray(p) for k, p in self.params.items()}
        self._grad_specs = {k: (p.shape, p.dtype) for k, p in arrays.items()}
        self._grads = None
        self._param_shapes = {k: p.shape for k, p in arrays.items()}

    def _checked_params(self):
        """``params``, after checking that no array was replaced by one that cannot work.

        Replacing a whole array (``layer.params["W"] = w``) is allowed if the new one is a
        floating NumPy array of the same shape (an optimiser built on the model picks it up at
        its next step); anything else raises here, in forward, naming the layer and the key.
        """
        shapes = getattr(self, "_param_shapes", {})
        if set(self.params) != set(shapes):
            raise ValueError(f"{self.name}: params must keep the keys {sorted(shapes)}, got "
                             f"{sorted(self.params)}")
        for key, shape in shapes.items():
            p = self.params[key]
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                what = f"dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
                raise TypeError(f"{self.name}: params[{key!r}] must be a floating NumPy array, "
                                f"got {what}; assign in place instead: "
                                f"params[{key!r}][...] = new_values")
            if p.shape != shape:
                raise ValueError(f"{self.name}: params[{key!r}] must have shape {shape}, got "
                                 f"{p.shape}; the layer's size is fixed when it is built (build a "
                                 f"new layer for other sizes)")
            v.as_float_array(self.name, f"params[{key!r}]", p)  # NaN or infinite: diverged
        return self.params


class _evaluating:
    """Context manager: the model in evaluation mode inside, back in its former mode after.

    Examples
    --------
    >>> from cnnlab.layers import Dropout
    >>> model = Dropout(0.5)
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


class _Gathered(MutableMapping):
    """The ``params`` (or ``grads``) of a container: its layers' dicts under prefixed keys.

    A live view: ``model.params["0.W"]`` is always the array ``model[0].params["W"]`` holds now
    (even after ``model.layers[0]`` was replaced), and ``model.params["0.W"] = w`` stores ``w``
    in the layer's own dict. Keys cannot be added or removed.
    """

    def __init__(self, children, attr):
        self._get_children = children      # a function returning the (prefix, layer) pairs
        self._attr = attr

    @property
    def _children(self):
        return self._get_children()

    def _find(self, key):
        if isinstance(key, str):
            for prefix, layer in self._children:
                inner = getattr(layer, self._attr)
                if key.startswith(prefix + ".") and key[len(prefix) + 1:] in inner:
                    return inner, key[len(prefix) + 1:]
        raise KeyError(key)

    def __getitem__(self, key):
        inner, k = self._find(key)
        return inner[k]

    def __setitem__(self, key, value):
        inner, k = self._find(key)
        inner[k] = value

    def __delitem__(self, key):
        raise TypeError(f"the keys of {self._attr} cannot be removed")

    def __iter__(self):
        for prefix, layer in self._children:
            for k in getattr(layer, self._attr):
                yield f"{prefix}.{k}"

    def __len__(self):
        return sum(len(getattr(layer, self._attr)) for _, layer in self._children)

    def __repr__(self):
        return repr(dict(self))


class _Unbound:
    """How a container keeps a `_Gathered` view of its own layers: without the reference back.

    Kept as it is given, ``self.params = _Gathered(self._named_children, "params")`` would be a
    reference cycle (container -> view -> bound method -> container), which Python frees only
    when its cycle collector next runs, not at ``del model``: a deleted VGG-16 would keep its
    0.5 GB for a while. So the container keeps the unbound function, and each ``params`` or
    ``grads`` access returns a view bound to the container (referenced only while in use).
    """

    def __init__(self, func, attr):
        self.func, self.attr = func, attr

    @classmethod
    def of(cls, owner, value):
        """``value``, or its unbound form if it is a view through one of ``owner``'s methods."""
        children = getattr(value, "_get_children", None) if isinstance(value, _Gathered) else None
        if getattr(children, "__self__", None) is owner:
            return cls(children.__func__, value._attr)
        return value

    def bind(self, owner):
        return _Gathered(self.func.__get__(owner), self.attr)


def _walk(layer, path):
    """(path, layer) for ``layer`` and every layer inside it."""
    yield path, layer
    for prefix, child in getattr(layer, "_named_children", lambda: [])():
        yield from _walk(child, f"{path}.{prefix}" if path else prefix)


def _check_unique(func, named_layers):
    """A ValueError if one layer object appears twice among ``named_layers`` (or inside them).

    A layer keeps its last input for the backward pass, so a second use in the same model
    would overwrite what the first needs and make the gradients wrong.
    """
    seen = {}
    for name, layer in named_layers:
        for path, inner in _walk(layer, name):
            if id(inner) in seen:
                raise ValueError(
                    f"{func}: the same {inner.name} object is used twice (as layer "
                    f"{seen[id(inner)]} and as layer {path}); a layer remembers its last input for "
                    f"backward, so one object cannot appear twice in a model (weight sharing is not supported). Use a "
                    f"separate layer, e.g. {inner.name}(...) again or copy.deepcopy(layer)")
            seen[id(inner)] = path
