"""Training: the softmax cross-entropy loss, SGD with momentum, Adam, and the training loop."""

import sys
import time

import numpy as np

from . import _validation as v
from .losses import check_labels, cross_entropy, cross_entropy_backward

__all__ = ["SoftmaxCrossEntropy", "SGD", "Adam", "fit", "History", "accuracy"]


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, as one loss with a simple gradient.

    ``forward(logits, labels)`` returns the mean loss over the batch;
    ``backward()`` returns dloss/dlogits = (softmax(logits) - onehot(labels)) / N.
    """

    def __init__(self):
        self._cache = None

    def forward(self, logits, labels):
        loss = cross_entropy(logits, labels)
        self._cache = (np.asarray(logits), np.asarray(labels))
        return loss

    __call__ = forward

    def backward(self):
        if self._cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward: forward must run first")
        logits, labels = self._cache
        return cross_entropy_backward(logits, labels)


def _pairs(func, params_and_grads):
    """Accept a model/layer (anything with .parameters()) or a list of (param, grad) pairs."""
    if hasattr(params_and_grads, "parameters"):
        params_and_grads = params_and_grads.parameters()
    pairs = list(params_and_grads)
    for i, pair in enumerate(pairs):
        if (not isinstance(pair, tuple) or len(pair) != 2
                or not all(isinstance(a, np.ndarray) for a in pair) or pair[0].shape != pair[1].shape):
            raise TypeError(f"{func}: params_and_grads must be a model or a list of (param, grad) "
                            f"array pairs of equal shape; item {i} is not")
    if not pairs:
        raise ValueError(f"{func}: params_and_grads is empty: the model has nothing to train")
    return pairs


def _positive(func, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{func}: {name} must be a positive number, got {value!r}")
    return float(value)


class SGD:
    """Stochastic gradient descent with optional momentum.

    ``velocity = momentum * velocity - lr * grad``; ``param += velocity``. Parameters are updated
    in place, so the layers see the new weights.

    Parameters
    ----------
    params_and_grads : model or list of (param, grad) pairs
    lr : float
        Learning rate.
    momentum : float in [0, 1), optional
    """

    def __init__(self, params_and_grads, lr, momentum=0.0):
        self.pairs = _pairs("SGD", params_and_grads)
        self.lr = _positive("SGD", "lr", lr)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be a number in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity = [np.zeros_like(p) for p, _ in self.pairs]

    def step(self):
        """Update every parameter once from its current gradient."""
        for (param, grad), vel in zip(self.pairs, self.velocity):
            vel *= self.momentum
            vel -= self.lr * grad
            param += vel


class Adam:
    """Adam (Kingma and Ba, 2015): momentum plus a per-parameter step size.

    Parameters
    ----------
    params_and_grads : model or list of (param, grad) pairs
    lr : float, optional
    betas : (float, float), optional
        Decay rates of the running mean of gradients and of squared gradients.
    eps : float, optional
    """

    def __init__(self, params_and_grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.pairs = _pairs("Adam", params_and_grads)
        self.lr = _positive("Adam", "lr", lr)
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = tuple(float(b) for b in betas)
        self.eps = _positive("Adam", "eps", eps)
        self.m = [np.zeros_like(p) for p, _ in self.pairs]
        self.v = [np.zeros_like(p) for p, _ in self.pairs]
        self.t = 0

    def step(self):
        """Update every parameter once from its current gradient."""
        self.t += 1
        b1, b2 = self.betas
        lr_t = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for (param, grad), m, s in zip(self.pairs, self.m, self.v):
            m *= b1
            m += (1 - b1) * grad
            s *= b2
            s += (1 - b2) * grad * grad
            param -= lr_t * m / (np.sqrt(s) + self.eps)


def accuracy(model, X, y, batch_size=256):
    """Fraction of samples whose predicted class equals the label."""
    return float(np.mean(model.predict(X, batch_size) == np.asarray(y)))


class History(dict):
    """Per-epoch figures of `fit`: ``history["loss"]``, ``["accuracy"]``, and with validation
    data ``["val_loss"]``, ``["val_accuracy"]`` (lists, one entry per epoch). Also attributes."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self):
        n = len(self.get("loss", []))
        last = ", ".join(f"{k}={vals[-1]:.4f}" for k, vals in self.items() if vals)
        return f"History({n} epochs: {last})"


def fit(model, X, y, epochs, batch_size, optimizer, X_val=None, y_val=None, rng=None,
        progress=True, loss=None):
    """Train ``model`` with mini-batch gradient descent; return the per-epoch `History`.

    Each epoch shuffles the training set with ``rng``, then for every batch runs forward, the
    loss, backward, and ``optimizer.step()``.

    Parameters
    ----------
    model : Sequential
    X : array_like, shape (N, C, H, W)
    y : array_like of int, shape (N,)
    epochs, batch_size : int
    optimizer : SGD or Adam (built on ``model``)
    X_val, y_val : array_like, optional
        Evaluated after every epoch.
    rng : numpy.random.Generator or int, optional
        Shuffling; seed it for a run that repeats exactly.
    progress : bool, optional
        Show a progress bar: an updating HTML bar in a notebook, a one-line bar on the
        terminal's stderr. The bar's final state is one line per epoch without timings, so a
        stored notebook output is the same on every run.
    loss : SoftmaxCrossEntropy, optional

    Returns
    -------
    History
        ``loss`` (mean training loss over the epoch's batches), ``accuracy`` (training accuracy
        measured during the epoch), ``val_loss``, ``val_accuracy``.
    """
    X = v.as_float_array("fit", "X", X, min_ndim=2)
    epochs = v.positive_int("fit", "epochs", epochs)
    batch_size = v.positive_int("fit", "batch_size", batch_size)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"fit: y must have shape ({len(X)},), one label per sample of X, got {y.shape}")
    if not hasattr(optimizer, "step"):
        raise TypeError(f"fit: optimizer must have a step() method (SGD, Adam), got "
                        f"{type(optimizer).__name__}")
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: give both X_val and y_val, or neither")
    if X_val is not None:
        X_val = v.as_float_array("fit", "X_val", X_val, min_ndim=2)
        y_val = np.asarray(y_val)
    rng = np.random.default_rng(rng)
    loss_fn = SoftmaxCrossEntropy() if loss is None else loss
    history = History(loss=[], accuracy=[])
    if X_val is not None:
        history.update(val_loss=[], val_accuracy=[])
    n_batches = -(-len(X) // batch_size)
    bar = _ProgressBar(epochs, n_batches) if progress else None
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        total, correct = 0.0, 0
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            logits = model.forward(X[idx])
            if b == 0 and epoch == 0:
                check_labels("fit", y[idx], len(idx), logits.shape[1])
            total += loss_fn.forward(logits, y[idx]) * len(idx)
            correct += int(np.sum(logits.argmax(axis=1) == y[idx]))
            model.backward(loss_fn.backward())
            optimizer.step()
            if bar:
                bar.update(epoch, b + 1, total / min((b + 1) * batch_size, len(X)))
        history["loss"].append(total / len(X))
        history["accuracy"].append(correct / len(X))
        if X_val is not None:
            history["val_loss"].append(_mean_loss(model, loss_fn, X_val, y_val, batch_size))
            history["val_accuracy"].append(accuracy(model, X_val, y_val, batch_size))
        if bar:
            bar.end_epoch(epoch, {k: vals[-1] for k, vals in history.items()})
    if bar:
        bar.close()
    return history


def _mean_loss(model, loss_fn, X, y, batch_size):
    total = 0.0
    for i in range(0, len(X), batch_size):
        total += loss_fn.forward(model.forward(X[i:i + batch_size]), y[i:i + batch_size]) * len(X[i:i + batch_size])
    return total / len(X)


def _in_notebook():
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _ProgressBar:
    """A progress bar for `fit`.

    In a notebook: an ipywidgets bar with the epoch, the running loss and the elapsed time,
    updated in place, and one printed line per epoch. The printed lines carry no timings and the
    bar's stored text form is fixed, so a stored notebook output is the same on every run.
    On a terminal: a bar redrawn with ``\\r`` on stderr, and the same line per epoch.
    """

    def __init__(self, epochs, n_batches, width=30):
        self.epochs, self.n_batches, self.width = epochs, n_batches, width
        self.start = time.perf_counter()
        self.last_draw = -1.0
        self.widget = _notebook_bar() if _in_notebook() else None

    def _fraction(self, epoch, batch):
        return (epoch * self.n_batches + batch) / (self.epochs * self.n_batches)

    def update(self, epoch, batch, running_loss):
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and batch != self.n_batches:
            return
        self.last_draw = now
        done = self._fraction(epoch, batch)
        status = (f"epoch {epoch + 1}/{self.epochs}  batch {batch}/{self.n_batches}  "
                  f"loss {running_loss:.4f}  {now - self.start:.1f} s")
        if self.widget is not None:
            bar, label = self.widget.children
            bar.value = done
            label.value = status
        else:
            filled = int(round(done * self.width))
            sys.stderr.write(f"\r[{'#' * filled}{'-' * (self.width - filled)}] {100 * done:3.0f}%  "
                             + status)
            sys.stderr.flush()

    def end_epoch(self, epoch, figures):
        line = f"epoch {epoch + 1:>{len(str(self.epochs))}}/{self.epochs}: " + ", ".join(
            f"{k} {val:.4f}" for k, val in figures.items())
        if self.widget is not None:
            print(line, flush=True)
        else:
            sys.stderr.write("\r" + line + " " * 40 + "\n")
            sys.stderr.flush()

    def close(self):
        if self.widget is not None:
            bar, label = self.widget.children
            bar.value, bar.bar_style = 1.0, "success"
            label.value = f"done: {self.epochs} epochs in {time.perf_counter() - self.start:.1f} s"


def _notebook_bar():
    try:
        import ipywidgets
        from IPython.display import display
    except ImportError:
        return None
    box = ipywidgets.HBox([ipywidgets.FloatProgress(value=0.0, min=0.0, max=1.0),
                           ipywidgets.Label(value="")])
    display(box)
    return box
