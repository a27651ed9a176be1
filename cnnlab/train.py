"""Training: the softmax cross-entropy loss, SGD with momentum, Adam, AdamW, and the training loop.

Weight decay follows PyTorch's meaning for each class: `SGD` and `Adam` add ``weight_decay *
param`` to the gradient (an L2 penalty), `AdamW` shrinks the parameters directly, apart from
the adaptive step (decoupled weight decay, Loshchilov and Hutter, 2019).
"""

import signal
import sys
import threading
import time

import numpy as np

from . import _validation as v
from .nn.layer import _walk
from .ops.losses import check_labels, cross_entropy, cross_entropy_backward

__all__ = ["SoftmaxCrossEntropy", "SGD", "Adam", "AdamW", "fit", "History", "accuracy"]


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


class _Optimizer:
    """What SGD and Adam share: the (param, grad) pairs, re-read from the model at every step.

    Built on a model (anything with ``parameters()``), the optimiser asks the model for its
    arrays again at each `step`, so a parameter replaced by a new array of the same shape
    (``layer.params["W"] = w``) is the one trained. Built on a list of pairs, it updates those
    arrays. Its state (momentum, Adam's averages) belongs to the parameter's position: if the
    model's parameters change in number or shape, `step` raises a ValueError.
    """

    name = "optimizer"

    def __init__(self, params_and_grads):
        self._model = params_and_grads if hasattr(params_and_grads, "parameters") else None
        self.pairs = _pairs(self.name, params_and_grads)

    def _current_pairs(self):
        """``pairs``, refreshed from the model when the optimiser was built on one."""
        if self._model is None:
            return self.pairs
        pairs = _pairs(self.name, self._model)
        old = [p.shape for p, _ in self.pairs]
        new = [p.shape for p, _ in pairs]
        if old != new:
            raise ValueError(f"{self.name}.step: the model's parameters changed since the optimiser "
                             f"was built (shapes {old}, now {new}); build a new optimiser")
        self.pairs = pairs
        return pairs


def _positive(func, name, value):
    return v.real_number(func, name, value, low=0, low_open=True)


def _non_negative(func, name, value):
    return v.real_number(func, name, value, low=0)


class SGD(_Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay.

    ``g = grad + weight_decay * param``; ``velocity = momentum * velocity - lr * g``;
    ``param += velocity``. Parameters are updated in place, so the layers see the new weights.
    The same numbers as ``torch.optim.SGD`` (whose buffer is ``-velocity / lr``).

    Parameters
    ----------
    params_and_grads : model or list of (param, grad) pairs
        A model is asked for its arrays again at every step, so a replaced parameter array
        (``layer.params["W"] = w``, same shape) is trained; a list's arrays stay the ones
        updated.
    lr : float
        Learning rate.
    momentum : float in [0, 1), optional
    weight_decay : float, optional
        L2 penalty: adds ``weight_decay * param`` to every gradient (biases and batch-norm
        parameters included, as in PyTorch when given the whole model).

    Examples
    --------
    >>> w, g = np.array([1.0]), np.array([0.5])
    >>> opt = SGD([(w, g)], lr=0.1, weight_decay=0.1)
    >>> opt.step(); w          # 1 - 0.1 * (0.5 + 0.1 * 1)
    array([0.94])
    """

    name = "SGD"

    def __init__(self, params_and_grads, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params_and_grads)
        self.lr = _positive("SGD", "lr", lr)
        self.momentum = v.real_number("SGD", "momentum", momentum, 0, 1, high_open=True)
        self.weight_decay = _non_negative("SGD", "weight_decay", weight_decay)
        self.velocity = [np.zeros_like(p) for p, _ in self.pairs]

    def step(self):
        """Update every parameter once from its current gradient."""
        for (param, grad), vel in zip(self._current_pairs(), self.velocity):
            vel *= self.momentum
            vel -= self.lr * grad
            if self.weight_decay:
                vel -= (self.lr * self.weight_decay) * param
            param += vel


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2015): momentum plus a per-parameter step size.

    With ``g = grad + weight_decay * param``: ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g**2``,
    ``param -= lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)``, as in
    ``torch.optim.Adam``.

    Parameters
    ----------
    params_and_grads : model or list of (param, grad) pairs
        As in `SGD`: a model's arrays are read again at every step.
    lr : float, optional
    betas : (float, float), optional
        Decay rates of the running mean of gradients and of squared gradients.
    eps : float, optional
    weight_decay : float, optional
        L2 penalty added to the gradient (so it is rescaled by the adaptive step, unlike
        `AdamW`'s).

    Examples
    --------
    >>> w, g = np.array([1.0, -2.0]), np.array([0.3, 0.001])
    >>> opt = Adam([(w, g)], lr=0.1)
    >>> opt.step(); w.round(4)     # the first step moves each parameter by about lr
    array([ 0.9, -2.1])
    """

    name = "Adam"

    def __init__(self, params_and_grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        name = self.name
        super().__init__(params_and_grads)
        self.lr = _positive(name, "lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair of numbers (beta1, beta2) such as "
                            f"(0.9, 0.999), got {betas!r}")
        try:
            self.betas = tuple(v.real_number(name, "betas", b, 0, 1, high_open=True) for b in betas)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{name}: betas must be two numbers in [0, 1), got {betas!r}") from None
        self.eps = _positive(name, "eps", eps)
        self.weight_decay = _non_negative(name, "weight_decay", weight_decay)
        self.m = [np.zeros_like(p) for p, _ in self.pairs]
        self.v = [np.zeros_like(p) for p, _ in self.pairs]
        self.t = 0

    def _gradient(self, param, grad):
        return grad + self.weight_decay * param if self.weight_decay else grad

    def step(self):
        """Update every parameter once from its current gradient."""
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1 - b1 ** self.t)
        root_correction = np.sqrt(1 - b2 ** self.t)
        for (param, grad), m, s in zip(self._current_pairs(), self.m, self.v):
            grad = self._gradient(param, grad)
            m *= b1
            m += (1 - b1) * grad
            s *= b2
            s += (1 - b2) * grad * grad
            param -= step_size * m / (np.sqrt(s) / root_correction + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``.

    Before each Adam step every parameter shrinks by the factor ``1 - lr * weight_decay``; the
    gradient itself is left alone, so the decay is the same for every weight whatever the size
    of its gradients (with `Adam`'s L2 penalty, weights with large gradients decay less).

    Parameters
    ----------
    params_and_grads : model or list of (param, grad) pairs
    lr, betas, eps : as in `Adam`
    weight_decay : float, optional
        Fraction of each weight removed per step, divided by ``lr``.

    Examples
    --------
    >>> w, g = np.array([2.0]), np.array([0.0])
    >>> opt = AdamW([(w, g)], lr=0.1, weight_decay=0.5)
    >>> opt.step(); w              # zero gradient: only the decay, 2 * (1 - 0.1 * 0.5)
    array([1.9])
    """

    name = "AdamW"

    def __init__(self, params_and_grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params_and_grads, lr, betas, eps, weight_decay)

    def _gradient(self, param, grad):
        if self.weight_decay:
            param *= 1 - self.lr * self.weight_decay
        return grad


def _labels(func, y, n, name="y"):
    """``y`` checked as one integer class label per sample of X (n of them), not negative.

    The checks `fit` and `accuracy` share, made before any computation: a label array of
    another shape, (N, 1) say, would otherwise broadcast against the predictions.
    """
    arr = np.asarray(y)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{func}: {name} must have shape ({n},), one label per sample of X, got "
                         f"{arr.shape}")
    return check_labels(func, arr, n, name=name)


def accuracy(model, X, y, batch_size=256):
    """Fraction of samples whose predicted class equals the label.

    Parameters
    ----------
    model : Sequential (anything with ``predict(X, batch_size)``)
    X : array_like, shape (N, ...)
        At least one sample.
    y : array_like of int, shape (N,)
        One class label per sample, checked as `fit` checks them.
    batch_size : int, optional

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError, TypeError
        X without samples; y not one non-negative integer label per sample of X (a column
        of shape (N, 1) included).

    Examples
    --------
    >>> from cnnlab.layers import Linear, Sequential
    >>> model = Sequential(Linear(2, 2, rng=0))
    >>> model.params["0.W"][...] = np.eye(2)           # class = the larger coordinate
    >>> accuracy(model, [[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]], [0, 1, 0])
    0.6666666666666666
    """
    X = v.as_float_array("accuracy", "X", X, min_ndim=2)
    if len(X) == 0:
        raise ValueError(f"accuracy: X must hold at least one sample, got shape {X.shape}")
    y = _labels("accuracy", y, len(X))
    return float(np.mean(model.predict(X, batch_size) == y))


class History(dict):
    """Per-epoch figures of `fit`: ``history["loss"]``, ``["accuracy"]``, and with validation
    data ``["val_loss"]``, ``["val_accuracy"]`` (lists, one entry per epoch). Also attributes.

    ``stopped`` is None when every epoch ran, else the reason `fit` stopped early (a diverging
    loss, or "interrupted at epoch E, batch B" after Ctrl-C or JupyterLab's stop button); the
    lists then hold the epochs completed before it.
    """

    stopped = None

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self):
        n = len(self.get("loss", []))
        last = ", ".join(f"{k}={vals[-1]:.4f}" for k, vals in self.items() if vals)
        stopped = f"; stopped: {self.stopped}" if self.stopped else ""
        return f"History({n} epochs: {last}{stopped})"


DIVERGENCE_FACTOR = 100.0
"""`fit` stops when a batch's loss exceeds this many times the first batch's (or 1, if larger)."""


def fit(model, X, y, epochs, batch_size, optimizer, X_val=None, y_val=None, rng=None,
        progress=True, loss=None, augment=None):
    """Train ``model`` with mini-batch gradient descent; return the per-epoch `History`.

    Each epoch shuffles the training set with ``rng``, then for every batch runs forward (in
    training mode), the loss, backward, and ``optimizer.step()``. Validation figures are
    measured in evaluation mode after every epoch. The model ends in the mode it started in.

    Parameters
    ----------
    model : Sequential
    X : array_like, shape (N, C, H, W)
    y : array_like of int, shape (N,)
    epochs, batch_size : int
    optimizer : SGD, Adam or AdamW (built on ``model``)
    X_val, y_val : array_like, optional
        Evaluated after every epoch.
    rng : numpy.random.Generator or int, optional
        Shuffling (and ``augment``'s randomness); seed it for a run that repeats exactly.
    progress : bool, optional
        Show a progress bar: an updating bar in a notebook, a one-line bar on the terminal's
        stderr; and one line per epoch. In a notebook the live bar is replaced by its final
        text when training ends, and no printed text carries timings, so a stored notebook
        output is the same on every run.
    loss : SoftmaxCrossEntropy, optional
    augment : callable, optional
        ``augment(x_batch, rng)`` returns the batch to train on, of the same shape (e.g.
        ``cnnlab.augment.random_affine()``); called with this function's ``rng``. Validation
        data are not augmented.

    Returns
    -------
    History
        ``loss`` (mean training loss over the epoch's batches), ``accuracy`` (training accuracy
        measured during the epoch), ``val_loss``, ``val_accuracy``; ``stopped`` says why
        training stopped early, or is None.

    Raises
    ------
    ValueError, TypeError
        Before training starts: X without samples, y not one integer label per sample of X,
        negative labels or (checked on the first batch's output, before the first step) labels
        the model has no class for; an ``optimizer`` built on another model's parameters.

    Notes
    -----
    A diverging loss (NaN or infinite, or above ``DIVERGENCE_FACTOR`` times the first batch's
    loss), or NaN or infinite numbers met by any layer during training, stops training at once
    with a printed message saying at which epoch and batch, not an exception: the returned
    history holds the epochs completed before it, and ``history.stopped`` the reason. The
    model's weights are then those of the diverged step (usually useless): build a new model,
    with a smaller ``lr``.

    An interrupt (KeyboardInterrupt: Ctrl-C, or the stop button of JupyterLab) stops training
    the same way: a printed line says at which epoch and batch and what state the weights are
    in, the history of the completed epochs is returned, and ``history.stopped`` starts with
    "interrupted". The model keeps the weights of its last completed step: an interrupt that
    arrives while the optimiser updates the weights waits until that step is done (in the main
    thread; a second interrupt during the same step stops it at once, and the message then
    says the weights may be partly updated), and the running statistics of batch
    normalisations are restored when the interrupted batch took no step.
    """
    X = v.as_float_array("fit", "X", X, min_ndim=2)
    epochs = v.positive_int("fit", "epochs", epochs)
    batch_size = v.positive_int("fit", "batch_size", batch_size)
    if len(X) == 0:
        raise ValueError(f"fit: X must hold at least one sample, got shape {X.shape}")
    y = _labels("fit", y, len(X))
    if not hasattr(optimizer, "step"):
        raise TypeError(f"fit: optimizer must have a step() method (SGD, Adam, AdamW), got "
                        f"{type(optimizer).__name__}")
    _check_optimizer(model, optimizer)
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: give both X_val and y_val, or neither")
    if augment is not None and not callable(augment):
        raise TypeError(f"fit: augment must be a function augment(x_batch, rng) or None, got "
                        f"{type(augment).__name__}")
    if X_val is not None:
        X_val = v.as_float_array("fit", "X_val", X_val, min_ndim=2)
        if len(X_val) == 0:
            raise ValueError(f"fit: X_val must hold at least one sample, got shape {X_val.shape}")
        if X_val.shape[1:] != X.shape[1:]:
            raise ValueError(f"fit: X_val must have samples of the shape of X's, {X.shape[1:]}, "
                             f"got {X_val.shape[1:]}")
        y_val = check_labels("fit", y_val, len(X_val), name="y_val")
    rng = np.random.default_rng(rng)
    loss_fn = SoftmaxCrossEntropy() if loss is None else loss
    history = History(loss=[], accuracy=[])
    if X_val is not None:
        history.update(val_loss=[], val_accuracy=[])
    n_batches = -(-len(X) // batch_size)
    bar = _ProgressBar(epochs, n_batches) if progress else None
    was_training = getattr(model, "training", True)
    limit = where = None
    at = _Position()
    stats = _RunningStats(model)
    # overflow warnings would only repeat what the divergence check reports
    quiet = np.errstate(over="ignore", invalid="ignore")
    quiet.__enter__()
    guard = _StepGuard()
    try:
        _set_mode(model, True)
        for epoch in range(epochs):
            at.epoch, at.batch, at.phase = epoch, 0, "forward"
            order = rng.permutation(len(X))
            total, correct = 0.0, 0
            for b in range(n_batches):
                at.batch, at.phase = b, "forward"
                stats.save()
                idx = order[b * batch_size:(b + 1) * batch_size]
                xb = X[idx] if augment is None else _augmented(augment, X[idx], rng)
                try:
                    logits = model.forward(xb)
                    if b == 0 and epoch == 0:  # every label, before the first step
                        n_classes = np.shape(logits)[1] if np.ndim(logits) == 2 else None
                        check_labels("fit", y, len(X), n_classes, name="y")
                        if X_val is not None:
                            check_labels("fit", y_val, len(X_val), n_classes, name="y_val")
                    batch_loss = loss_fn.forward(logits, y[idx])
                    limit = DIVERGENCE_FACTOR * max(batch_loss, 1.0) if limit is None else limit
                    if not np.isfinite(batch_loss) or batch_loss > limit:
                        history.stopped = (f"the loss diverged at epoch {epoch + 1}, batch {b + 1}: "
                                           f"it reached {batch_loss:.4g}" + (
                                               "" if not np.isfinite(batch_loss) else
                                               f", above {limit:.4g} ({DIVERGENCE_FACTOR:g} times "
                                               f"the first batch's loss, at least 1)"))
                        break
                    total += batch_loss * len(idx)
                    correct += int(np.sum(logits.argmax(axis=1) == y[idx]))
                    model.backward(loss_fn.backward())
                    at.phase = "step"
                    with guard:
                        optimizer.step()
                    at.phase, at.steps = "after step", at.steps + 1
                except v.NonFiniteError as exc:
                    history.stopped = _diverged(epoch, b, exc)
                    break
                guard.raise_pending()
                if bar:
                    bar.update(epoch, b + 1, total / min((b + 1) * batch_size, len(X)))
            if history.stopped:
                break
            at.phase = "validation"
            history["loss"].append(total / len(X))
            history["accuracy"].append(correct / len(X))
            if X_val is not None:
                _set_mode(model, False)
                try:
                    val_loss = _mean_loss(model, loss_fn, X_val, y_val, batch_size)
                    val_accuracy = accuracy(model, X_val, y_val, batch_size)
                except v.NonFiniteError as exc:  # the last step of the epoch diverged
                    for key in ("loss", "accuracy"):
                        history[key].pop()
                    history.stopped = _diverged(epoch, n_batches - 1, exc)
                    break
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_accuracy)
                _set_mode(model, True)
            at.phase = "end of epoch"
            if bar:
                bar.end_epoch(epoch, {k: vals[-1] for k, vals in history.items()})
    except KeyboardInterrupt:
        history.stopped, where = at.interrupted(history, n_batches, stats)
    finally:
        guard.close()
        quiet.__exit__(None, None, None)
        _set_mode(model, was_training)
        if bar:
            bar.close(history.stopped)
    if history.stopped and history.stopped.startswith("interrupted"):
        print(f"fit {history.stopped}: {where}; the history holds the {len(history['loss'])} "
              f"completed epoch(s).", flush=True)
    elif history.stopped:
        print(f"fit stopped early: {history.stopped}. Try a smaller learning rate (lr); the "
              f"history holds the {len(history['loss'])} completed epoch(s).", flush=True)
    return history


class _Position:
    """Where `fit` is: epoch, batch (from 0), what it is doing, and how many steps it took."""

    epoch, batch, phase, steps = 0, 0, "forward", 0

    def interrupted(self, history, n_batches, stats):
        """(``History.stopped``, the state of the weights) after a KeyboardInterrupt here.

        Drops the figures of an epoch whose validation did not finish (every list keeps one
        entry per completed epoch) and restores the batch normalisations' running statistics
        when the interrupted batch had not finished its step.
        """
        n = min(len(vals) for vals in history.values())
        for vals in history.values():
            del vals[n:]
        epoch, batch = self.epoch + 1, self.batch + 1
        if self.phase in ("forward", "step"):
            stats.restore()
        if self.phase == "forward":
            stopped = f"interrupted at epoch {epoch}, batch {batch}"
            where = (f"batch {batch} took no step, so the weights are those after the last "
                     f"completed step ({self.steps} step(s) in all)")
        elif self.phase == "step":
            stopped = f"interrupted at epoch {epoch}, batch {batch}, inside the optimiser's step"
            where = ("the interrupt came inside optimizer.step(), so some weights may hold this "
                     "step's update and others not: build the model again (or reload saved "
                     "weights) before using it")
        elif self.phase == "after step":
            stopped = f"interrupted at epoch {epoch}, batch {batch}"
            where = (f"batch {batch}'s step was completed first, so the weights are those after it "
                     f"({self.steps} step(s) in all)")
        else:  # after the epoch's last batch: validation or the epoch's line
            stopped = f"interrupted at epoch {epoch}, after its {n_batches} batches"
            where = (f"the weights are those after the epoch's last step ({self.steps} step(s) "
                     f"in all)")
        return stopped, where


class _RunningStats:
    """The running statistics of a model's batch normalisations, saved before each batch so
    that an interrupted batch leaves them as they were (a few numbers per channel)."""

    def __init__(self, model):
        self.layers = [layer for _, layer in _walk(model, "")
                       if isinstance(getattr(layer, "running_mean", None), np.ndarray)
                       and isinstance(getattr(layer, "running_var", None), np.ndarray)]
        self.saved = []

    def save(self):
        self.saved = [(layer.running_mean.copy(), layer.running_var.copy()) for layer in self.layers]

    def restore(self):
        for layer, (mean, var) in zip(self.layers, self.saved):
            if layer.running_mean.shape == mean.shape and layer.running_var.shape == var.shape:
                layer.running_mean[...] = mean
                layer.running_var[...] = var


class _StepGuard:
    """Holds back Ctrl-C (JupyterLab's stop button) while the optimiser updates the weights.

    Inside ``with guard:`` a first SIGINT is only noted, so a step is never left half-applied;
    `raise_pending` raises the KeyboardInterrupt once the step is done. A second SIGINT inside
    the step raises at once (a step that hangs can still be stopped). Outside the block SIGINT
    raises as usual. Only in the main thread and only over Python's default handler (another
    handler, or another thread: nothing is changed).
    """

    def __init__(self):
        self.pending = self.inside = False
        self.installed = (threading.current_thread() is threading.main_thread()
                          and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        self._handler = self._handle  # one bound method, to recognise it in close()
        if self.installed:
            signal.signal(signal.SIGINT, self._handler)

    def _handle(self, signum, frame):
        if self.inside and not self.pending:
            self.pending = True
            return
        raise KeyboardInterrupt

    def __enter__(self):
        self.inside = True
        return self

    def __exit__(self, *exc):
        self.inside = False
        return False

    def raise_pending(self):
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def close(self):
        if self.installed and signal.getsignal(signal.SIGINT) is self._handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self.installed = False


def _diverged(epoch, batch, exc):
    """The `History.stopped` text for NaN or infinite numbers met inside the model."""
    where = str(exc).split(":")[0]
    return (f"the loss diverged at epoch {epoch + 1}, batch {batch + 1}: NaN or infinite numbers "
            f"reached {where}")


def _check_optimizer(model, optimizer):
    """A ValueError if ``optimizer`` updates arrays that are not ``model``'s parameters."""
    pairs = optimizer._current_pairs() if hasattr(optimizer, "_current_pairs") else None
    if pairs is None or not hasattr(model, "parameters"):
        return  # an optimiser or model of the learner's own: nothing to compare
    own = {id(p) for p, _ in model.parameters()}
    foreign = sum(id(p) not in own for p, _ in pairs)
    if foreign:
        raise ValueError(f"fit: optimizer updates {foreign} of its {len(pairs)} arrays that are "
                         f"not parameters of model (was it built on another model?); build it on "
                         f"this one, e.g. {type(optimizer).__name__}(model, lr=...)")


def _set_mode(model, training):
    """Training or evaluation mode, for cnnlab models (other objects with forward/backward have
    no modes and are left alone)."""
    if callable(getattr(model, "train", None)):
        model.train(training)


def _augmented(augment, xb, rng):
    out = augment(xb, rng)
    try:
        out = v.as_float_array("fit", "augment's output", out)
    except v.NonFiniteError as exc:  # not a divergence: the augmentation made them
        raise ValueError(str(exc)) from None
    if out.shape != xb.shape:
        raise ValueError(f"fit: augment must return a batch of the shape it was given, {xb.shape}, "
                         f"got {out.shape}")
    return out


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
    updated in place, and one printed line per epoch. When training ends the widget is closed
    and its output replaced by the finished bar as plain text (no timings), so a notebook saved
    after the run shows that text (not a widget's repr) and is the same on every run.
    On a terminal: a bar redrawn with ``\\r`` on stderr, and the same line per epoch.
    """

    def __init__(self, epochs, n_batches, width=30):
        self.epochs, self.n_batches, self.width = epochs, n_batches, width
        self.start = time.perf_counter()
        self.last_draw = -1.0
        self.done = 0.0
        self.widget, self.handle = _notebook_bar() if _in_notebook() else (None, None)

    def _fraction(self, epoch, batch):
        return (epoch * self.n_batches + batch) / (self.epochs * self.n_batches)

    def _text_bar(self, done):
        filled = int(round(done * self.width))
        return f"[{'#' * filled}{'-' * (self.width - filled)}] {100 * done:3.0f}%"

    def update(self, epoch, batch, running_loss):
        self.done = self._fraction(epoch, batch)
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and batch != self.n_batches:
            return
        self.last_draw = now
        status = (f"epoch {epoch + 1}/{self.epochs}  batch {batch}/{self.n_batches}  "
                  f"loss {running_loss:.4f}  {now - self.start:.1f} s")
        if self.widget is not None:
            bar, label = self.widget.children
            bar.value = self.done
            label.value = status
        else:
            sys.stderr.write(f"\r{self._text_bar(self.done)}  " + status)
            sys.stderr.flush()

    def end_epoch(self, epoch, figures):
        line = f"epoch {epoch + 1:>{len(str(self.epochs))}}/{self.epochs}: " + ", ".join(
            f"{k} {val:.4f}" for k, val in figures.items())
        if self.widget is not None:
            print(line, flush=True)
        else:
            sys.stderr.write("\r" + line + " " * 40 + "\n")
            sys.stderr.flush()

    def final_text(self, stopped=None):
        """The finished bar as text, without timings."""
        if stopped:
            return f"{self._text_bar(self.done)}  stopped: {stopped}"
        return f"{self._text_bar(1.0)}  {self.epochs} epochs of {self.n_batches} batches"

    def close(self, stopped=None):
        if self.widget is None:
            if stopped:
                sys.stderr.write("\n")
            return
        # The live bar goes (its display is emptied: nothing to store, nothing for nbval to
        # compare) and the finished bar is printed, so the saved notebook and a re-run show the
        # same text. nbval ignores display updates, which is why the text is printed, not shown
        # by updating the display.
        self.handle.update({}, raw=True)
        self.widget.close()
        print(self.final_text(stopped), flush=True)


def _notebook_bar():
    """(widget, display handle) of a live bar, or (None, None) without ipywidgets.

    The bar is displayed without the text/plain form a widget usually carries: that text
    ("HBox(children=...)") is what a saved notebook would show in its place.
    """
    try:
        import ipywidgets
        from IPython.display import display
    except ImportError:
        return None, None
    box = ipywidgets.HBox([ipywidgets.FloatProgress(value=0.0, min=0.0, max=1.0),
                           ipywidgets.Label(value="")])
    bundle = {k: v for k, v in box._repr_mimebundle_().items() if k != "text/plain"}
    handle = display(bundle, raw=True, display_id=True)
    return box, handle
