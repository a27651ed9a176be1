"""Static twins of the softmax, gradient-descent and receptive-field explorers.

Same names and settings as the widgets in :mod:`cnnlab.widgets`, the same numbers (computed by
the shared module ``cnnlab._explore_learning``), drawn with matplotlib; each returns a Figure
that is not registered with pyplot (end a notebook cell with it to show it once).
"""

import numpy as np

from .. import _display as D
from .. import _explore_learning as L
from .plots import new_figure, show_image, show_matrix

__all__ = ["softmax_explorer", "gradient_descent_explorer", "receptive_field_explorer"]

_ORANGE = D.unit_rgb(D.HIGHLIGHT)
_BLUE = D.unit_rgb(D.SECOND)


def softmax_explorer(logits=None, label=0, temperature=1.0, classes=None, fig=None):
    """Scores z / T and the softmax probabilities as bars, the true class in orange, and the
    cross-entropy loss in the title.

    Parameters are those of :func:`cnnlab.widgets.softmax_explorer`; ``fig`` an optional Figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    z = np.asarray(L.DEFAULT_LOGITS if logits is None else logits, dtype=float)
    s = L.softmax_state(z, temperature, label)
    names = classes or [f"class {k}" for k in range(z.size)]
    fig = fig or new_figure(10, 3.4)
    ax_z, ax_p = fig.subplots(1, 2)
    colours = [_ORANGE if k == label else _BLUE for k in range(z.size)]
    for ax, values, title, fmt in ((ax_z, s["scaled"], "scores z / T (what softmax sees)", "{:.1f}"),
                                   (ax_p, s["p"], "probabilities", "{:.2f}")):
        bars = ax.bar(range(z.size), values, color=colours)
        ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=12)
        ax.set_xticks(range(z.size), names, fontsize=12)
        ax.axhline(0, color="#3c3c3c", linewidth=1)
        ax.set_title(title, fontsize=13)
        ax.spines[["top", "right"]].set_visible(False)
    top = max(6.0, float(np.abs(s["scaled"]).max()))
    ax_z.set_ylim(-top * 1.15, top * 1.15)
    ax_p.set_ylim(0, 1.12)
    fig.suptitle(f"T = {temperature:g}; true class: {names[label]}, p = {s['p'][label]:.3f}; "
                 f"cross-entropy loss \u2212log p = {s['loss']:.3f}", fontsize=13)
    return fig


def gradient_descent_explorer(lr=0.1, momentum=0.0, steps=100, seed=0, fig=None):
    """The loss curve of lesson 08's edge filter learned by gradient descent (log scale; plain
    descent at the same learning rate in grey when there is momentum), the learned filter and
    the Sobel target.

    Parameters are those of :func:`cnnlab.widgets.gradient_descent_explorer`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    problem = L.lesson08_problem(seed)
    run = L.descent_state(problem, lr, momentum, steps)
    fig = fig or new_figure(11, 3.6)
    ax_loss, ax_w, ax_t = fig.subplots(1, 3, width_ratios=[2.2, 1, 1])
    if run["plain"] is not None:
        ax_loss.semilogy(run["plain"]["losses"], color="0.6", linewidth=2,
                         label="plain descent, same lr")
    ax_loss.semilogy(run["losses"], color=_BLUE, linewidth=2.5,
                     label=f"lr {lr:g}, momentum {momentum:g}")
    if run["diverged"]:
        ax_loss.plot(len(run["losses"]) - 1, run["losses"][-1], "o", color=_ORANGE, markersize=9)
    ax_loss.set_xlim(0, steps)
    ax_loss.set_xlabel("step", fontsize=12)
    ax_loss.set_ylabel("mean squared error", fontsize=12)
    ax_loss.grid(alpha=0.3)
    ax_loss.legend(fontsize=10)
    lim = {"cmap": D.DIVERGING, "vmin": -L.FILTER_LIMIT, "vmax": L.FILTER_LIMIT, "fmt": "{:.2f}"}
    bias = round(run["bias"], 2) + 0.0  # no "-0.00"
    show_matrix(run["filter"], ax=ax_w, title=f"learned (bias {bias:.2f})", **lim)
    show_matrix(problem.target, ax=ax_t, title="target: Sobel x", **{**lim, "fmt": None})
    lines = L.summary_lines(run, steps)[:1]
    warning = L.divergence_text(run)
    fig.suptitle(lines[0] if warning is None else warning.split(", so")[0], fontsize=12)
    return fig


def receptive_field_explorer(image=None, layers=None, depth=4, fig=None):
    """The photo with the field of the output's centre pixel (orange; unseen pixels faded) and
    its right neighbour's (blue), the output map, and the rule with the numbers.

    Parameters are those of :func:`cnnlab.widgets.receptive_field_explorer`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Rectangle

    image = np.asarray(L.default_field_photo() if image is None else image)
    layers = list(L.DEFAULT_FIELD_LAYERS if layers is None else layers)[:depth]
    s = L.receptive_state(layers, image.shape[:2])
    fig = fig or new_figure(10, 5.4)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.25, 1], height_ratios=[1, 1.1])
    ax_img, ax_out, ax_text = (fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[0, 1]),
                               fig.add_subplot(grid[1, 1]))
    show_image(L.receptive_overlay(image, s), ax=ax_img,
               title=f"input {image.shape[0]}\u00d7{image.shape[1]}")
    (top, bottom), (left, right) = s["bounds"]
    if s["neighbour"] is not None:
        (nt, nb), (nl, nr) = s["neighbour"]
        ax_img.add_patch(Rectangle((nl - 0.5, nt - 0.5), nr - nl + 1, nb - nt + 1, fill=False,
                                   edgecolor=_BLUE, linewidth=1.5))
    ax_img.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1,
                               fill=False, edgecolor=_ORANGE, linewidth=2.5))
    oh, ow = s["out"]
    i, j = s["pixel"]
    show_image(L.output_grid(s), ax=ax_out, title=f"output {oh}\u00d7{ow}, pixel ({i}, {j})")
    ax_out.plot(j, i, "o", markersize=14, markerfacecolor="none", markeredgecolor=_ORANGE,
                markeredgewidth=2)
    ax_text.set_axis_off()
    # Wrapped to the width of its panel (the first rule line used to run to the figure's edge).
    ax_text.text(0, 1, "\n".join(_wrap(line) for line in L.field_text(s)), va="top",
                 fontsize=9.5, transform=ax_text.transAxes, linespacing=1.35)
    return fig


def _wrap(line, width=54):
    """``line`` wrapped to ``width`` characters, continuation lines indented; a line that has
    two parts (``"r = ...,  j = ..."``) breaks between them first."""
    import textwrap

    if len(line) > width and ",  " in line:
        head, tail = line.split(",  ", 1)
        return _wrap(head + ",", width) + "\n" + _wrap("   " + tail, width)
    return "\n".join(textwrap.wrap(line, width, subsequent_indent="   "))
