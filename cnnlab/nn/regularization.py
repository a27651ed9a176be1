"""Dropout (Srivastava et al., 2014): randomly silence units while training.

In training mode each input is kept with probability ``1 - p`` and zeroed otherwise, and the
kept ones are scaled by ``1 / (1 - p)`` ("inverted" dropout), so the expected output equals the
input and evaluation mode needs no rescaling: there dropout is the identity.
"""

import numpy as np

from .. import _validation as v
from .layer import Layer, _rng

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout: zero each input with probability ``p`` in training mode.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping a unit (0 keeps everything).
    rng : numpy.random.Generator or int, optional
        Draws the masks; seed it for repeatable runs.

    Notes
    -----
    Training: ``out = x * mask / (1 - p)`` with ``mask`` 1 with probability ``1 - p``, a new
    mask at every forward pass; backward multiplies by the same ``mask / (1 - p)``.
    Evaluation (``eval()``): ``out = x``. Any input shape.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0)
    >>> drop.forward(np.ones((2, 4)))           # kept units are doubled
    array([[2., 0., 0., 0.],
           [2., 2., 2., 2.]])
    >>> drop.eval().forward(np.ones((1, 4)))
    array([[1., 1., 1., 1.]])
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = v.real_number("Dropout", "p", p, 0, 1, high_open=True, what="a probability in [0, 1)")
        self.rng = _rng("Dropout", rng)

    def __repr__(self):
        return f"Dropout(p={self.p})"

    def forward(self, x):
        x = v.as_float_array(self.name, "x", x)
        if not self.training or self.p == 0:
            self._cache = (None, x.shape)
            return x.copy()
        keep = self.rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64)
        scale = np.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)
        mask = (keep >= self.p) * scale  # 0 or 1/(1-p), in x's dtype
        self._cache = (mask, x.shape)
        return x * mask

    def backward(self, dout):
        mask, shape = self._cached()
        dout = self._dout(dout, shape)
        return dout.copy() if mask is None else dout * mask
