"""A model drawn as a chain of blocks: conv -> ReLU -> pool -> ... -> FC -> softmax."""

import numpy as np

from .plots import new_figure

__all__ = ["show_architecture", "layer_kind"]

#: Block colours by kind (light tints of the Okabe-Ito palette, text stays black).
KIND_COLORS = {
    "input": "#e8e8e8",
    "conv": "#9fd0f0",        # sky blue
    "activation": "#f6cf80",  # orange
    "pool": "#9ed9bf",        # bluish green
    "reshape": "#d9d9d9",     # grey
    "dense": "#d7b4cf",       # reddish purple
    "norm": "#f2ee9c",        # yellow
    "other": "#ffffff",       # anything else: white with a dark outline
    "softmax": "#f4b7a0",     # vermillion
}
_ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu", "elu", "softplus", "leaky")


def layer_kind(name):
    """The kind of a layer from its class name: "conv", "activation", "pool", "reshape",
    "dense", "norm", "input" or "other".

    >>> [layer_kind(n) for n in ("Conv2D", "ReLU", "MaxPool2D", "Flatten", "Linear", "Dropout")]
    ['conv', 'activation', 'pool', 'reshape', 'dense', 'other']
    """
    low = str(name).lower()
    if low == "input":
        return "input"
    if low == "softmax":
        return "softmax"
    if "conv" in low:
        return "conv"
    if "pool" in low:
        return "pool"
    if any(a in low for a in _ACTIVATIONS):
        return "activation"
    if low in ("flatten", "reshape"):
        return "reshape"
    if low in ("linear", "dense"):
        return "dense"
    if "norm" in low:
        return "norm"
    return "other"


def _shape_text(shape):
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return "\u00d7".join(str(s) for s in shape)


def _params_text(n):
    return "no params" if n == 0 else f"{n:,} param" + ("s" if n != 1 else "")


def show_architecture(model, input_shape, ax=None, per_row=None, softmax=None):
    """Draw a model as a chain of blocks, one per layer, from ``model.summary(input_shape)``.

    Each block shows the layer's name, the shape of one sample's output, C×H×W (or D after
    Flatten and Linear), and its parameter count (weights and biases); the colour
    says the kind (convolution blue, activation orange, pooling green, dense purple, reshaping
    grey; any other layer white). Long models wrap as a snake (left to right, then right to left).

    Parameters
    ----------
    model : Sequential
        Anything with ``summary(input_shape).rows`` of (name, shape, params, ...).
    input_shape : tuple
        One sample's (C, H, W).
    ax : matplotlib Axes, optional
        Where to draw (its axis is turned off); default: a new Figure.
    per_row : int, optional
        Blocks per row (default: up to 7).
    softmax : bool, optional
        Add a dashed "softmax" block after the last layer, marked as part of the loss (default:
        when the last layer is Linear, whose scores the cross-entropy loss turns into
        probabilities).

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot: end a notebook cell with it to show it once.

    Examples
    --------
    >>> import cnnlab as cl
    >>> model = cl.Sequential(cl.Conv2D(1, 4, 3, rng=0), cl.ReLU(), cl.MaxPool2D(2), cl.Flatten(),
    ...                       cl.Linear(4 * 3 * 3, 10, rng=0))
    >>> fig = show_architecture(model, (1, 8, 8))
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['Input', '1×8×8', 'no params']
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    rows = getattr(model, "summary", None)
    if rows is None:
        raise TypeError(f"show_architecture: model must be a cnnlab Sequential (with summary), got "
                        f"{type(model).__name__}")
    rows = [tuple(r[:3]) for r in model.summary(input_shape).rows]
    if softmax is None:
        softmax = layer_kind(rows[-1][0]) == "dense"
    blocks = [(name, _shape_text(shape), _params_text(n), layer_kind(name), False)
              for name, shape, n in rows]
    if softmax:
        blocks.append(("softmax", _shape_text(rows[-1][1]), "(in the loss)", "softmax", True))
    n = len(blocks)
    per_row = per_row or min(n, 7)
    nrows = int(np.ceil(n / per_row))
    bw, bh, gap_x, gap_y = 1.7, 1.25, 0.55, 0.7

    if ax is None:
        fig = new_figure(per_row * (bw + gap_x) * 1.0 + 0.2, nrows * (bh + gap_y) + 0.1)
        ax = fig.add_subplot()
    fig = ax.figure
    ax.set_axis_off()
    centres = []
    for i, (name, shape, params, kind, dashed) in enumerate(blocks):
        r, c = divmod(i, per_row)
        if r % 2:  # snake: odd rows run right to left
            c = per_row - 1 - c
        x = c * (bw + gap_x)
        y = -r * (bh + gap_y)
        centres.append((x + bw / 2, y + bh / 2))
        ax.add_patch(FancyBboxPatch((x, y), bw, bh, boxstyle="round,pad=0.02,rounding_size=0.12",
                                    facecolor=KIND_COLORS[kind], edgecolor="#333333",
                                    linewidth=2.0 if kind == "other" else 1.2,
                                    linestyle="--" if dashed else "-"))
        cx = x + bw / 2
        # A long name ("GlobalAvgPool2D") gets a smaller font so that it stays inside its block.
        ax.text(cx, y + bh * 0.74, name, ha="center", va="center",
                fontsize=min(14.0, 14.0 * 11 / max(len(name), 1)), fontweight="bold")
        ax.text(cx, y + bh * 0.45, shape, ha="center", va="center", fontsize=13)
        ax.text(cx, y + bh * 0.18, params, ha="center", va="center", fontsize=11,
                color="#333333")
    for i in range(n - 1):
        (x0, y0), (x1, y1) = centres[i], centres[i + 1]
        if y0 == y1:  # along a row: from one block's edge to the next one's
            sign = 1 if x1 > x0 else -1
            start, end = (x0 + sign * bw / 2, y0), (x1 - sign * bw / 2, y1)
        else:  # down to the next row
            start, end = (x0, y0 - bh / 2), (x1, y1 + bh / 2)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18,
                                     linewidth=1.6, color="#333333", shrinkA=2, shrinkB=2))
    ax.set_xlim(-0.1, per_row * (bw + gap_x) - gap_x + 0.1)
    ax.set_ylim(-(nrows - 1) * (bh + gap_y) - 0.1, bh + 0.1)
    ax.set_aspect("equal")
    return fig
