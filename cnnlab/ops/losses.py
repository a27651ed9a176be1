"""Cross-entropy loss on softmax probabilities, and its gradient.

The pair: ``cross_entropy_forward(logits, labels) -> (loss, ctx)`` and
``cross_entropy_backward(ctx)``, the gradient of the loss itself (the loss is the end of the
chain, so its upstream gradient is 1).
"""

from typing import NamedTuple

import numpy as np

from .. import _validation as v

__all__ = ["cross_entropy", "cross_entropy_forward", "cross_entropy_backward", "check_labels",
           "CrossEntropyContext"]


class CrossEntropyContext(NamedTuple):
    """What `cross_entropy_backward` needs: the log-probabilities (N, classes) and the labels."""

    logp: np.ndarray
    labels: np.ndarray


def _log_softmax(logits):
    with np.errstate(over="ignore"):  # max - min beyond the dtype's range: -inf, the right log(0)
        shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def check_labels(func, labels, n, n_classes=None, name="labels"):
    """Integer class labels (N,) in 0..n_classes-1, else a ValueError/TypeError naming ``func``.

    ``n_classes=None`` checks only that the labels are not negative; ``name`` is the
    argument's name in the messages.
    """
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError):  # ragged lists
        raise ValueError(f"{func}: {name} must be a 1-D array of integer class indices, got "
                         f"ragged data") from None
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{func}: {name} must be integer class indices, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"{func}: {name} must have shape ({n},), one per sample, got {labels.shape}")
    if n and n_classes is None and labels.min() < 0:
        raise ValueError(f"{func}: {name} must be class indices 0, 1, 2, ..., got "
                         f"{labels.min()} (negative labels are not classes)")
    if n and n_classes is not None and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{func}: {name} must lie in 0..{n_classes - 1} (one per class of logits), "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels


def cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against the true classes.

    ``loss = mean over n of -log(softmax(logits[n])[labels[n]])``, computed from the logits
    (log-sum-exp) so that it never takes the log of 0.

    Parameters
    ----------
    logits : array_like, shape (N, classes)
    labels : array_like of int, shape (N,)

    Returns
    -------
    float

    Examples
    --------
    >>> round(cross_entropy([[0.0, 0.0]], [1]), 4)   # two equal scores: -log(1/2)
    0.6931
    """
    return _forward("cross_entropy", logits, labels)[0]


def cross_entropy_forward(logits, labels):
    """`cross_entropy`, and the context of its backward pass: returns ``(loss, ctx)``.

    Examples
    --------
    >>> loss, ctx = cross_entropy_forward([[0.0, 0.0]], [1])
    >>> round(loss, 4), cross_entropy_backward(ctx)
    (0.6931, array([[ 0.5, -0.5]]))
    """
    return _forward("cross_entropy_forward", logits, labels)


def _forward(func, logits, labels):
    logits = v.as_float_array(func, "logits", logits, ndim=2)
    labels = check_labels(func, labels, logits.shape[0], logits.shape[1])
    if logits.shape[0] == 0:
        raise ValueError(f"{func}: logits must hold at least one sample, got shape "
                         f"{logits.shape}")
    logp = _log_softmax(logits)
    return float(-logp[np.arange(len(labels)), labels].mean()), CrossEntropyContext(logp, labels)


def cross_entropy_backward(logits, labels=None):
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(softmax - onehot) / N``.

    Parameters and checks as in :func:`cross_entropy`; returns an array shaped like ``logits``.
    ``cross_entropy_backward(ctx)`` takes the context of `cross_entropy_forward` instead.

    Examples
    --------
    >>> cross_entropy_backward([[0.0, 0.0]], [1])
    array([[ 0.5, -0.5]])
    """
    if isinstance(logits, CrossEntropyContext):
        if labels is not None:
            raise TypeError("cross_entropy_backward: give either a ctx from cross_entropy_forward "
                            "or logits and labels, not both")
        logp, labels = logits
    else:
        logits = v.as_float_array("cross_entropy_backward", "logits", logits, ndim=2)
        labels = check_labels("cross_entropy_backward", labels, logits.shape[0], logits.shape[1])
        logp = _log_softmax(logits)
    p = np.exp(logp)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)
