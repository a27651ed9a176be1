"""The residual connection (He et al., 2016): ``y = body(x) + shortcut(x)``.

The shortcut is the identity unless given (a 1 x 1 convolution, say, when the body changes the
number of channels or the size). The gradient reaches ``x`` along both paths and the two add
up: through the identity it arrives unchanged, which is why very deep residual networks still
train while plain stacks of the same depth do not.
"""

from .. import _validation as v
from .layer import Layer, _check_unique, _Gathered

__all__ = ["Residual"]


class Residual(Layer):
    """``y = body(x) + shortcut(x)``, with the identity as the default shortcut.

    Parameters
    ----------
    body : cnnlab layer or Sequential
    shortcut : cnnlab layer or Sequential, optional
        None (default) is the identity, which needs the body to keep the shape.

    Notes
    -----
    ``params`` and ``grads`` hold the body's arrays under ``"body."`` and the shortcut's under
    ``"shortcut."`` (``"body.0.W"``, ``"shortcut.W"``...), so a `Sequential` holding a
    `Residual` gathers them too (``"3.body.0.W"``) and an optimiser sees them. One layer object
    cannot be both in the body and the shortcut (a ValueError says so). ``train()`` and
    ``eval()`` reach both paths. Backward returns ``body.backward(dout) +
    shortcut.backward(dout)`` (``+ dout`` for the identity).

    Examples
    --------
    >>> from cnnlab.layers import Conv2D, ReLU, Sequential
    >>> block = Residual(Sequential(Conv2D(4, 4, 3, padding=1, rng=0), ReLU(),
    ...                             Conv2D(4, 4, 3, padding=1, rng=1)))
    >>> block.output_shape((4, 8, 8)), sorted(block.params)
    ((4, 8, 8), ['body.0.W', 'body.0.b', 'body.2.W', 'body.2.b'])
    >>> Residual(Conv2D(4, 8, 3, padding=1), shortcut=Conv2D(4, 8, 1)).output_shape((4, 8, 8))
    (8, 8, 8)
    """

    def __init__(self, body, shortcut=None):
        super().__init__()
        for arg, layer in (("body", body), ("shortcut", shortcut)):
            if not isinstance(layer, Layer) and not (arg == "shortcut" and layer is None):
                raise TypeError(f"Residual: {arg} must be a cnnlab layer or Sequential"
                                f"{' (or None for the identity)' if arg == 'shortcut' else ''}, "
                                f"got {type(layer).__name__}")
        self.body, self.shortcut = body, shortcut
        _check_unique("Residual", self._paths())
        self.params = _Gathered(self._paths, "params")
        self.grads = _Gathered(self._paths, "grads")

    def _paths(self):
        return [("body", self.body)] + ([("shortcut", self.shortcut)] if self.shortcut is not None else [])

    def _named_children(self):
        return self._paths()

    def __repr__(self):
        body = repr(self.body).replace("\n", "\n    ")
        if self.shortcut is None:
            return f"Residual(\n    {body}\n)"
        shortcut = repr(self.shortcut).replace("\n", "\n    ")
        return f"Residual(\n    {body},\n    shortcut={shortcut}\n)"

    def parameters(self):
        return [pair for _, layer in self._paths() for pair in layer.parameters()]

    def output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        body = tuple(self.body.output_shape(input_shape))
        short = (input_shape if self.shortcut is None
                 else tuple(self.shortcut.output_shape(input_shape)))
        if body != short:
            what = "the input (identity shortcut)" if self.shortcut is None else "the shortcut's output"
            raise ValueError(f"Residual: the body's output {body} and {what} {short} must have the "
                             f"same shape to be added (input_shape={input_shape})"
                             + ("; give a shortcut, e.g. a 1 x 1 Conv2D with the body's stride"
                                if self.shortcut is None else ""))
        return body

    def macs(self, input_shape):
        """The body's multiply-accumulates plus the shortcut's (the addition is not counted)."""
        self.output_shape(input_shape)
        return sum(layer.macs(input_shape) for _, layer in self._paths())

    def forward(self, x):
        x = v.as_float_array(self.name, "x", x, min_ndim=2)
        body = self.body.forward(x)
        short = x if self.shortcut is None else self.shortcut.forward(x)
        if getattr(body, "shape", None) != getattr(short, "shape", None):
            self.output_shape(tuple(x.shape[1:]))  # raises with the shapes named
            raise ValueError(f"Residual: the body's output {body.shape} and the shortcut's "
                             f"{short.shape} must have the same shape to be added")
        self._cache = True
        return body + short

    def backward(self, dout):
        self._cached()
        dx = self.body.backward(dout)
        return dx + (dout if self.shortcut is None else self.shortcut.backward(dout))
