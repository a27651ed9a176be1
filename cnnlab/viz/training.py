"""Pictures of a training run: loss and accuracy per epoch, and the confusion matrix."""

import numpy as np

from .plots import _axes, new_figure

__all__ = ["plot_history", "plot_confusion", "confusion_matrix"]

_TRAIN_LABEL = "training (averaged during the epoch)"


def plot_history(history, title=None, ax=None, val_label="validation", shift_training=False):
    """Loss and accuracy per epoch, training beside validation, from what `fit` returns.

    The training figures are means over the epoch's batches, measured while the weights were
    still changing; the validation figures are measured once, after the epoch. So the training
    curve lags about half an epoch behind: ``shift_training=True`` draws it half an epoch to the
    left, where it is comparable with the validation curve (Géron 2019, *Hands-On Machine
    Learning*, 2nd ed., ch. 10).

    Parameters
    ----------
    history : dict
        ``"loss"`` and ``"accuracy"`` lists (one entry per epoch), optionally ``"val_loss"`` and
        ``"val_accuracy"`` (`cnnlab.train.fit`'s History, or a plain dict).
    title : str, optional
        Above both panels.
    ax : pair of matplotlib Axes, optional
        (loss axes, accuracy axes); default: a new Figure with two panels.
    val_label : str
        Legend label of the validation curves (e.g. "test" when the test set was used).
    shift_training : bool
        Draw each training point at epoch - 0.5.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot (when ``ax`` is None): end a notebook cell with it.

    Examples
    --------
    >>> fig = plot_history({"loss": [1.0, 0.5], "accuracy": [0.6, 0.8],
    ...                     "val_loss": [0.7, 0.6], "val_accuracy": [0.7, 0.75]})
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['training (averaged during the epoch)', 'validation']
    """
    for key in ("loss", "accuracy"):
        if key not in history:
            raise ValueError(f"plot_history: history must have a {key!r} list (what fit returns), "
                             f"got keys {sorted(history)}")
    n = len(history["loss"])
    if n == 0:
        raise ValueError("plot_history: history is empty (no epoch was recorded)")
    for key in ("accuracy", "val_loss", "val_accuracy"):
        if key in history and len(history[key]) != n:
            raise ValueError(f"plot_history: history[{key!r}] has {len(history[key])} entries "
                             f"but history['loss'] has {n}")
    if ax is None:
        fig = new_figure(10, 4.0 + (0.3 if title else 0))
        ax = fig.subplots(1, 2)
    elif len(ax) != 2:
        raise ValueError(f"plot_history: ax must be a pair of Axes (loss, accuracy), got {len(ax)}")
    fig = ax[0].figure
    epochs = np.arange(1, n + 1)
    shift = 0.5 if shift_training else 0.0
    label = _TRAIN_LABEL + (", drawn at mid-epoch" if shift_training else "")
    for a, key, ylabel in ((ax[0], "loss", "cross-entropy loss"), (ax[1], "accuracy", "accuracy")):
        a.plot(epochs - shift, history[key], "o-", color="#0072b2", label=label)
        if f"val_{key}" in history:
            a.plot(epochs, history[f"val_{key}"], "s--", color="#e69f00", label=val_label)
        a.set_xlabel("epoch", fontsize=12)
        a.set_ylabel(ylabel, fontsize=12)
        a.set_title(key, fontsize=13)
        a.grid(alpha=0.3)
        if n <= 20:
            a.set_xticks(epochs)
    handles, labels = ax[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=11, frameon=False)
    if title:
        fig.suptitle(title, fontsize=14)
    return fig


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts (K, K): row i, column j holds how many samples of class i were predicted as j.

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise ValueError(f"confusion_matrix: {name} must be a 1-D array of integer classes, "
                             f"got dtype {y.dtype} and shape {y.shape}")
        if y.size and y.min() < 0:
            raise ValueError(f"confusion_matrix: {name} must hold classes >= 0, got {y.min()}")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: y_true and y_pred must have the same length, got "
                         f"{y_true.shape[0]} and {y_pred.shape[0]}")
    k = int(max(y_true.max(initial=-1), y_pred.max(initial=-1)) + 1)
    if num_classes is not None:
        if num_classes < k:
            raise ValueError(f"confusion_matrix: num_classes is {num_classes} but the labels go "
                             f"up to {k - 1}")
        k = num_classes
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion(y_true, y_pred, ax=None, num_classes=None, title=None,
                   xlabel="predicted class", ylabel="true class"):
    """The confusion matrix as a table of counts: rows the true class, columns the prediction.

    Each non-zero count is written in its cell; the diagonal holds the right answers, and the
    default title says how many.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
    ax : matplotlib Axes, optional
        Default: a new pyplot figure (shown by the notebook).
    num_classes : int, optional
        K (default: the largest label + 1).
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_confusion([0, 1, 1, 2], [0, 1, 2, 2])
    >>> [t.get_text() for t in ax.texts]
    ['1', '1', '1', '1']
    """
    counts = confusion_matrix(y_true, y_pred, num_classes)
    k = counts.shape[0]
    ax = _axes(ax, size=(0.45 * k + 1.8, 0.45 * k + 1.5))
    ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(int(counts.max()), 1))
    top = counts.max()
    size = max(8, min(13, 120 / k))
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=size,
                    color="white" if c > top / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel(ylabel, fontsize=12)
    total = counts.sum()
    right = int(np.trace(counts))
    ax.set_title(title or f"{right} of {total} on the diagonal", fontsize=13)
    return ax
