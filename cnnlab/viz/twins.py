"""Static twins of the explorers: the same figure for given settings, as a matplotlib Figure.

A notebook shows the twin beside each widget, so that a rendered page, a PDF or a reader without
a running kernel still sees the lesson. Each function has the name of its explorer in
:mod:`cnnlab.widgets`, takes the explorer's settings as arguments and returns a Figure that is
not registered with pyplot (end a cell with it to show it once). Settings that do not fit raise
the library's ValueError (the widgets show that message instead).
"""

import textwrap

import numpy as np

from .. import _display as D
from .. import _explore as C
from .kernels import get_kernel
from .plots import new_figure, show_image, show_matrix

__all__ = ["conv_explorer", "conv_stepper", "arithmetic_explorer", "pooling_explorer",
           "param_counter", "feature_map_explorer", "flip_explorer"]

_ORANGE = D.unit_rgb(D.HIGHLIGHT)
_BLUE = D.unit_rgb(D.SECOND)


def _kernel(kernel, size, func):
    if isinstance(kernel, str):
        return get_kernel(kernel, size, rng=0)
    k = np.asarray(kernel, dtype=float)
    if k.ndim != 2:
        raise ValueError(f"{func}: kernel must be a preset name or a 2-D array, got shape {k.shape}")
    return k


def _small(image, func, name):
    """A matrix drawn with a number in every cell: at most SMALL x SMALL (more would not be
    readable, and a large one would take minutes to draw)."""
    image = np.asarray(image, dtype=float)
    if image.ndim != 2 or not D.is_small(image):
        raise ValueError(f"{func}: {name} must be a 2-D matrix of at most {D.SMALL}x{D.SMALL}, "
                         f"got shape {image.shape}")
    return image


def _show_map(out, ax, title, small, value_range=(0.0, 255.0), border=0):
    """A feature map with the explorers' colour rules (:func:`cnnlab._display.map_display`);
    the colour limits ignore the outer ``border`` band that sees zero padding (said below it)."""
    shown = D.map_display(out, small, value_range, border)
    if shown.get("border"):
        ax.set_xlabel(f"colours scaled inside the outer {shown['border']}-pixel band\n"
                      "(its zero padding makes false edges)", fontsize=9)
    if shown["kind"] == "grid":
        return show_matrix(shown["array"], ax=ax, title=title)
    if shown["kind"] == "rgb":
        return show_image(shown["array"], ax=ax, title=title)
    return show_image(shown["array"], ax=ax, title=title, cmap=shown["cmap"], vmin=shown["vmin"],
                      vmax=shown["vmax"], colorbar=shown["colorbar"])


def conv_explorer(image=None, kernel="sobel x", size=3, stride=1, padding=0, relu=False,
                  fig=None):
    """Input (with its padding), filter and feature map side by side; the output size formula
    in the title.

    Parameters are those of :func:`cnnlab.widgets.conv_explorer` (``kernel`` a preset name or an
    array); ``fig`` an optional Figure to draw into.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = C.as_work_array(C.default_photo() if image is None else image)
    small = D.is_small(image)
    k = _kernel(kernel, size, "viz.conv_explorer")
    h, w = image.shape[:2]
    oh, text = C.size_formula(h, k.shape[0], stride, padding)
    ow, _ = C.size_formula(w, k.shape[1], stride, padding)
    out = C.conv_output(image, k, stride, padding, relu)
    fig = fig or new_figure(10, 3.6 if not small else 3.2)
    axes = fig.subplots(1, 3, width_ratios=[1, 0.6, 1])
    xp = C.padded(image, padding)
    title = f"input {h}\u00d7{w}" + (f" + padding {padding}" if padding else "")
    if small:
        show_matrix(xp.mean(axis=2) if xp.ndim == 3 else xp, ax=axes[0], cmap=D.SEQUENTIAL,
                    pad=padding, title=title)
    else:
        show_image(D.to_gray8(xp, D.value_range(image)), ax=axes[0], title=title)
        if padding:
            from matplotlib.patches import Rectangle
            axes[0].add_patch(Rectangle((padding - 0.5, padding - 0.5), w, h, fill=False,
                                        edgecolor=_ORANGE, linewidth=1.5))
    name = kernel if isinstance(kernel, str) else "filter"
    show_matrix(k, ax=axes[1], title=f"{name} {k.shape[0]}\u00d7{k.shape[1]}")
    _show_map(out, axes[2], f"feature map {oh}\u00d7{ow}" + (" after ReLU" if relu else ""), small,
              D.value_range(image), D.padding_band(padding, stride) if padding else 0)
    fig.suptitle(f"output size = {text}", fontsize=13)
    return fig


def conv_stepper(image=None, kernel=None, stride=1, padding=0, position=0, fig=None):
    """The sliding window at one ``position`` (row-major index of the output cell): the input
    with the window, the filter, the element-wise products and the output filled so far.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = _small(C.CLASSIC_IMAGE if image is None else image, "viz.conv_stepper", "image")
    kernel = np.asarray(C.CLASSIC_KERNEL if kernel is None else kernel, dtype=float)
    s = C.stepper_state(image, kernel, stride, padding, position)
    kh, kw = kernel.shape
    r0, c0 = s["corner"]
    i, j = s["cell"]
    out = s["output"]
    fig = fig or new_figure(11, 3.3)
    axes = fig.subplots(1, 4)
    show_matrix(s["padded"], ax=axes[0], cmap=D.SEQUENTIAL, pad=padding,
                boxes=[(r0, c0, kh, kw, _ORANGE, 3)], title="input")
    show_matrix(kernel, ax=axes[1], title="filter")
    show_matrix(s["products"], ax=axes[2], title=f"products, sum = {D.fmt_value(s['sum'])}")
    show_matrix(out, ax=axes[3], mask=s["filled"], boxes=[(i, j, 1, 1, _BLUE, 3)],
                title=f"output {out.shape[0]}\u00d7{out.shape[1]}")
    window = s["padded"][r0:r0 + kh, c0:c0 + kw]
    fig.suptitle(f"output[{i}, {j}] = {C.sum_text(window, kernel, s['sum'])}", fontsize=13)
    return fig


def arithmetic_explorer(input_size=5, filter_size=3, padding=1, stride=2, dilation=1,
                        position=0, fig=None):
    """Which padded-input cells the output cell at ``position`` sees (orange), how many output
    cells see each input cell (numbers; 0 = dropped), and the output grid.

    Returns
    -------
    matplotlib.figure.Figure
    """
    C.check_grid("viz.arithmetic_explorer", input_size, padding)  # a million numbers would hang
    value, text = C.size_formula(input_size, filter_size, stride, padding, dilation)
    s = C.arithmetic_state(input_size, filter_size, stride, padding, dilation, position)
    fig = fig or new_figure(9, 4.4)
    axes = fig.subplots(1, 2, width_ratios=[s["size"], max(value, 2)])
    show_matrix(s["coverage"], ax=axes[0], cmap=D.SEQUENTIAL, vmin=0,
                vmax=max(int(s["coverage"].max()), 1), pad=padding,
                boxes=[box + (_ORANGE, 3) for box in C.taps_boxes(s["taps"])],
                title="input: output cells that see each cell")
    i, j = s["cell"]
    show_matrix(np.arange(value * value).reshape(value, value), ax=axes[1], cmap="Greys",
                vmin=0, vmax=10 ** 9, boxes=[(i, j, 1, 1, _BLUE, 3)],
                title=f"output {value}\u00d7{value}")
    fig.suptitle(f"n={input_size}, f={filter_size}, p={padding}, s={stride}, d={dilation}:  "
                 f"{text}", fontsize=12)
    return fig


def pooling_explorer(x=None, small=None, mode="max", size=2, stride=None, position=0, fig=None):
    """Pooling of a numbered matrix (windows outlined, the one at ``position`` in orange) and of
    a real feature map.

    Returns
    -------
    matplotlib.figure.Figure
    """
    stride = size if stride is None else stride
    x = C.demo_feature_map() if x is None else np.asarray(x, dtype=np.float32)
    small = np.asarray(C.small_matrix() if small is None else small, dtype=float)
    s = C.pool_state(small, size, stride, mode, position)
    big = C.pool_state(x, size, stride, mode)["output"]
    oh, ow = s["output"].shape
    boxes = [box + (_BLUE, 1) for box in C.pool_windows((oh, ow), size, stride)]
    i, j = s["cell"]
    fig = fig or new_figure(11, 3.1)
    axes = fig.subplots(1, 4)
    show_matrix(small, ax=axes[0], cmap=D.SEQUENTIAL,
                boxes=boxes + [(i * stride, j * stride, size, size, _ORANGE, 3)], title="input")
    lim = {"vmin": small.min(), "vmax": small.max() or 1.0} if mode != "sum" else {}
    show_matrix(s["output"], ax=axes[1], cmap=D.SEQUENTIAL, boxes=[(i, j, 1, 1, _ORANGE, 3)],
                **lim, title=f"{mode} pooled {oh}\u00d7{ow}")
    show_image(x, ax=axes[2], cmap=D.SEQUENTIAL, vmin=0, vmax=D.bright_max(x),
               title=f"feature map {x.shape[0]}\u00d7{x.shape[1]}")
    show_image(big, ax=axes[3], cmap=D.SEQUENTIAL, vmin=0, vmax=D.bright_max(big),
               title=f"{mode} pooled {big.shape[0]}\u00d7{big.shape[1]}")
    fig.suptitle(f"{mode} pooling, window {size}, stride {stride}", fontsize=13)
    return fig


def param_counter(image_size=256, channels=3, hidden=1000, filters=32, filter_size=3, fig=None):
    """Weights and biases of a fully-connected first layer and of a convolution layer, on a log
    scale.

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = C.param_counts(image_size, channels, hidden, filters, filter_size)
    fig = fig or new_figure(8, 2.6)
    ax = fig.subplots()
    labels = [f"fully connected\n{image_size}\u00d7{image_size}\u00d7{channels} \u2192 {hidden}",
              f"convolution\n{filters} filters {filter_size}\u00d7{filter_size}\u00d7{channels}"]
    values = [counts["dense"], counts["conv"]]
    ax.barh(labels, values, color=[_BLUE, _ORANGE])
    ax.set_xscale("log")
    ax.set_xlim(1, 10 ** 10)
    ax.invert_yaxis()
    for k, v in enumerate(values):
        ax.text(v * 1.3, k, f"{v:,}", va="center", fontsize=12)
    ax.set_xlabel("weights + biases (log scale)", fontsize=12)
    ax.tick_params(labelsize=11)
    return fig


def feature_map_explorer(model, images, image=0, layer=0, fig=None):
    """One image and every channel of one layer's output for it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    images = C.as_samples(images, "viz.feature_map_explorer")
    name, out = C.layer_outputs(model, images[image])[layer]
    img = images[image]
    maps = out if out.ndim == 3 else out.reshape(1, 1, -1)
    c = maps.shape[0]
    cols = min(c, 8)
    rows = int(np.ceil(c / cols))
    fig = fig or new_figure(2.2 + 1.5 * cols, max(2.4, 1.5 * rows + 0.6))
    outer = fig.subfigures(1, 2, width_ratios=[2.2, 1.5 * cols])
    ax = outer[0].subplots()
    show_image(D.sample_picture(img), ax=ax, title=f"image {image}")
    vmin, vmax, cmap = D.limits(maps)
    axes = outer[1].subplots(rows, cols, squeeze=False)
    for k, a in enumerate(axes.ravel()):
        a.set_axis_off()
        if k < c:
            a.imshow(maps[k], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
                     aspect="auto" if out.ndim != 3 else "equal")
            if out.ndim == 3:
                a.set_title(str(k), fontsize=10)
    outer[1].suptitle(f"layer {layer}: {name}, output {tuple(out.shape)}", fontsize=12)
    return fig


def flip_explorer(image=None, kernel="sobel x", step=2, fig=None):
    """The filter, its flip (``step`` 0, 1 or 2 flips), and the maps of cross-correlation and of
    convolution.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = _small(C.small_matrix(7, 7) if image is None else image, "viz.flip_explorer", "image")
    k = _kernel(kernel, 3, "viz.flip_explorer")
    s = C.flip_state(image, k)
    fig = fig or new_figure(13, 3.0)
    axes = fig.subplots(1, 5, width_ratios=[image.shape[1], 3, 3] + [s["correlation"].shape[1]] * 2)
    show_matrix(image, ax=axes[0], cmap=D.SEQUENTIAL, title="input")
    show_matrix(k, ax=axes[1], title="filter")
    # The step titles are long for a 3-column panel: wrapped, they stay above their own panel.
    show_matrix(C.flip_step(k, step), ax=axes[2], title=textwrap.fill(C.FLIP_STEPS[step], 22))
    both = np.concatenate([s["correlation"].ravel(), s["convolution"].ravel()])
    lo, hi, cmap = D.limits(both)
    show_matrix(s["correlation"], ax=axes[3], cmap=cmap, vmin=lo, vmax=hi, title="cross-correlation")
    show_matrix(s["convolution"], ax=axes[4], cmap=cmap, vmin=lo, vmax=hi, title="convolution")
    fig.suptitle("convolution = cross-correlation with the filter rotated 180\u00b0"
                 + (" (symmetric filter: the same)" if s["symmetric"] else ""), fontsize=13)
    return fig
