"""Numerical gradients by central differences, and a check of any layer's backward pass.

The derivative of a function f at x is approximately ``(f(x + h) - f(x - h)) / (2h)``, with an
error of order h^2. Nudging every input and every parameter one at a time gives the whole
gradient: slow, but independent of the backward code it checks. Use float64 inputs.
"""

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_layer", "GradcheckReport"]


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of the scalar function ``f`` at the array ``x``.

    ``x`` is nudged in place one entry at a time and restored exactly afterwards, so ``f`` may
    close over ``x`` (a layer's weights, say). ``x`` is restored whatever ``f`` does: when ``f``
    raises, the exception passes on and ``x`` holds its original values.

    Parameters
    ----------
    f : callable
        Called with no arguments, returns a float that depends on ``x``.
    x : ndarray (float64)
    h : float, optional

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> np.round(numerical_gradient(lambda: float(np.sum(x ** 2)), x), 6)
    array([2., 4., 6.])
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError("numerical_gradient: x must be a floating NumPy array, got "
                        f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of ' + str(x.dtype)}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be nudged in place")
    for i in range(flat.size):
        old = flat[i]
        try:
            flat[i] = old + h
            up = f()
            flat[i] = old - h
            down = f()
        finally:
            flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


def relative_error(analytic, numeric):
    """Largest difference between two gradients, relative to their size: ``max|a - n| / max|a|``.

    Scaled by the largest entry (of either array) rather than entry by entry: central
    differences carry an absolute rounding error of about 1e-10 times the gradient's size, which
    would make an entry near zero look wrong on its own. About 1e-7 or less means the backward
    pass is right; a wrong one gives 1e-2 or more. NaN when either gradient has a NaN or
    infinite entry (no size to compare with).

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.5])
    0.2
    """
    a, n = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} and {n.shape}")
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(n).all()):
        return float("nan")
    scale = max(np.abs(a).max(), np.abs(n).max(), 1e-8)
    return float(np.abs(a - n).max() / scale)


class GradcheckReport:
    """The result of `check_layer`: relative error per gradient (``"x"`` and each parameter).

    ``nonfinite`` maps the gradients that have NaN or infinite entries to where ("analytic",
    "numerical" or both); each of them fails the check whatever the other errors are.
    """

    def __init__(self, name, errors, tol, nonfinite=None):
        self.name = name
        self.errors = errors
        self.tol = tol
        self.nonfinite = dict(nonfinite or {})
        self.nonfinite.update({k: "relative error" for k, e in errors.items()
                               if not np.isfinite(e) and k not in self.nonfinite})
        self.max_error = float(np.max(list(errors.values())))  # NaN if any is NaN
        self.passed = bool(self.max_error <= tol) and not self.nonfinite

    def __str__(self):
        lines = [f"Gradient check of {self.name} (largest relative error per gradient):"]
        for key, err in self.errors.items():
            if key in self.nonfinite:
                lines.append(f"  d{key:<4} NaN or infinite entries ({self.nonfinite[key]})")
            else:
                lines.append(f"  d{key:<4} {err:.1e}")
        if self.nonfinite:
            names = ", ".join(f"d{key}" for key in self.nonfinite)
            lines.append(f"  FAILED: NaN or infinite gradient in {names}")
        else:
            verdict = "passed" if self.passed else "FAILED"
            lines.append(f"  {verdict}: largest {self.max_error:.1e} (tolerance {self.tol:.0e})")
        return "\n".join(lines)

    __repr__ = __str__

    def __bool__(self):
        return self.passed


def check_layer(layer, x, rng=None, h=1e-5, tol=1e-6):
    """Compare ``layer.backward`` with numerical gradients of the input and every parameter.

    The loss is ``sum(forward(x) * g)`` with a random upstream gradient ``g`` (not all ones, which
    would hide errors that cancel), so ``backward(g)`` must return dloss/dx and fill the grads.

    Parameters
    ----------
    layer : cnnlab layer (or Sequential) with float64 parameters
    x : ndarray, float64, a valid input for the layer
    rng : numpy.random.Generator or int, optional
        For the random upstream gradient.
    h : float, optional
        Step of the central differences.
    tol : float, optional
        Largest relative error accepted by ``report.passed``.

    Returns
    -------
    GradcheckReport
        ``errors`` maps "x", "W", "b", ... to the largest relative error; ``passed``; ``str()``
        prints a table. A NaN or infinite entry in any gradient, analytic or numerical, fails
        the check: ``errors`` holds NaN for that gradient and ``nonfinite`` says which one and
        where.

    Examples
    --------
    >>> from cnnlab.layers import Linear
    >>> rng = np.random.default_rng(0)
    >>> check_layer(Linear(3, 2, rng=rng), rng.normal(size=(4, 3)), rng=rng).passed
    True
    """
    x = np.array(x, dtype=np.float64)  # our own copy: it gets nudged
    rng = np.random.default_rng(rng)
    out = layer.forward(x)
    g = rng.normal(size=out.shape)
    dx = layer.backward(g)
    analytic = {"x": dx}
    analytic.update({k: v.copy() for k, v in layer.grads.items()})

    def loss():
        return float(np.sum(layer.forward(x) * g))

    errors, nonfinite = {}, {}
    for key, target in [("x", x)] + list(layer.params.items()):
        exact, numeric = np.asarray(analytic[key], dtype=float), numerical_gradient(loss, target, h)
        bad = [side for side, g in (("analytic", exact), ("numerical", numeric))
               if not np.isfinite(g).all()]
        if bad:
            nonfinite[key] = " and ".join(bad)
        errors[key] = relative_error(exact, numeric)
    layer.forward(x)  # leave the layer's cache as it was after the analytic pass
    return GradcheckReport(getattr(layer, "name", type(layer).__name__), errors, tol, nonfinite)
