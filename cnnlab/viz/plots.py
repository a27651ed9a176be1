"""Plotting helpers for the notebooks: photos, numbered matrices, feature maps and filters.

Colour conventions (shared with the explorers): photos in grey (0..255), non-negative maps in
cividis, signed maps in a diverging map (RdBu_r: red positive, blue negative) with limits
symmetric about zero, so that white always means zero.
"""

import numpy as np

from .. import _display as D

__all__ = ["show_image", "show_matrix", "show_feature_maps", "show_filters", "new_figure",
           "color_limits"]


def new_figure(width, height, dpi=72):
    """A matplotlib Figure that is not registered with pyplot.

    It is drawn once when a notebook cell returns it (no duplicate from the inline backend) and
    never leaks into pyplot's list of open figures.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def _axes(ax, size=(4, 4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")  # dpi from rcParams
    return ax


def color_limits(a, signed=None):
    """(vmin, vmax, cmap) the course uses for ``a``: symmetric RdBu_r when it has negative values
    (or ``signed`` is True), its range in cividis otherwise."""
    return D.limits(a, signed)


def show_image(image, ax=None, title=None, cmap=None, vmin=None, vmax=None, colorbar=False):
    """Show a photo or a feature map without axes ticks.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, 3)
        uint8 photos are shown in grey 0..255 (RGB as is; float RGB in 0..1 or 0..255); float
        maps with negative values in a diverging map centred on zero, others in cividis.
    ax : matplotlib Axes, optional
        Where to draw (default: a new pyplot figure, shown by the notebook).
    title : str, optional
    cmap, vmin, vmax : optional
        Override the colour choice.
    colorbar : bool
        Add a colour bar.

    Returns
    -------
    matplotlib.axes.Axes
    """
    a = np.asarray(image)
    ax = _axes(ax)
    if a.ndim == 3:
        if a.dtype == np.uint8:
            shown = a
        else:  # floats: 0..1 as they are, 0..255 (a photo converted to float) rescaled
            a = a.astype(float)
            shown = np.clip(a / 255.0 if a.max() > 1 else a, 0, 1)
        im = ax.imshow(shown)
    else:
        if cmap is None and a.dtype.kind in "ui" and a.min() >= 0 and a.max() <= 255 \
                and a.dtype.itemsize == 1:
            cmap, vmin, vmax = D.PHOTO, 0 if vmin is None else vmin, 255 if vmax is None else vmax
        auto_lo, auto_hi, auto_cmap = D.limits(a)
        im = ax.imshow(a, cmap=cmap or auto_cmap, vmin=auto_lo if vmin is None else vmin,
                       vmax=auto_hi if vmax is None else vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=13)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def show_matrix(a, ax=None, title=None, cmap=None, vmin=None, vmax=None, numbers=True,
                fmt=None, pad=0, boxes=(), mask=None, fontsize=None):
    """Show a small matrix as coloured cells with the value written in each cell.

    Parameters
    ----------
    a : array_like, shape (H, W)
    ax : matplotlib Axes, optional
    title : str, optional
    cmap, vmin, vmax : optional
        Default: cividis over the range, or RdBu_r symmetric about zero for signed values.
    numbers : bool
        Write the values (integers without decimals).
    fmt : str, optional
        A format such as ``"{:.2f}"`` for the numbers.
    pad : int
        The outer ``pad`` rows and columns are padding: drawn light grey.
    boxes : sequence of (r0, c0, h, w[, color[, linewidth]])
        Rectangles outlined over the cells (orange by default).
    mask : bool array, shape (H, W), optional
        Cells where ``mask`` is False are left empty (white).
    fontsize : float, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Rectangle

    a = np.asarray(a, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"show_matrix: a must be 2-D, got shape {a.shape}")
    rows, cols = a.shape
    ax = _axes(ax, size=(0.5 * cols + 0.6, 0.5 * rows + 0.6))
    rgb = D.cell_colors(a, cmap, vmin, vmax, pad, mask)
    ax.imshow(rgb, interpolation="nearest")
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color=D.hex_rgb(D.GRID), linewidth=0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if numbers:
        size = fontsize or max(7, min(14, 150 / max(rows, cols, 1)))
        for i, j, text, color in D.cell_texts(a, rgb, fmt, pad, mask):
            ax.text(j, i, text, ha="center", va="center", color=D.hex_rgb(color), fontsize=size)
    for box in boxes:
        r0, c0, h, w = box[:4]
        color = box[4] if len(box) > 4 else D.HIGHLIGHT
        if isinstance(color, tuple) and max(color) > 1:
            color = D.unit_rgb(color)
        lw = box[5] if len(box) > 5 else 3
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), w, h, fill=False, edgecolor=color,
                               linewidth=lw))
    if title:
        ax.set_title(title, fontsize=13)
    return ax


def show_feature_maps(maps, cols=None, titles=None, signed=None, size=1.6, fig=None,
                      suptitle=None, scale="shared", colorbar=False):
    """Every channel of a (C, H, W) stack side by side, on shared or per-map colour limits.

    Parameters
    ----------
    maps : array_like, shape (C, H, W) (or (1, C, H, W))
    cols : int, optional
        Maps per row (default: up to 8).
    titles : sequence of str, optional
        One per map (default: "0", "1", ...).
    signed : bool, optional
        Force a diverging (True) or sequential (False) map; default: from the values.
    size : float
        Inches per map.
    fig : matplotlib Figure, optional
    suptitle : str, optional
    scale : {"shared", "each"}
        "shared" (default): one colour scale for all maps, so their strengths compare; "each":
        every map on its own limits, so a weak map's pattern is visible too (the titles say so).
    colorbar : bool
        A colour bar beside every map, which says what its colours mean (most useful with
        ``scale="each"``, where every map has its own scale).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> maps = np.stack([np.eye(3), 100 * np.eye(3)])
    >>> fig = show_feature_maps(maps, scale="each")
    >>> [ax.images[0].get_clim() for ax in fig.axes if ax.images]
    [(0.0, 1.0), (0.0, 100.0)]
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps: maps must be (C, H, W), got shape {maps.shape}")
    if scale not in ("shared", "each"):
        raise ValueError(f"show_feature_maps: scale must be 'shared' or 'each', got {scale!r}")
    c = maps.shape[0]
    cols = cols or min(c, 8)
    rows = int(np.ceil(c / cols))
    colorbar = bool(colorbar)
    width = size * cols * (1.3 if colorbar else 1.0)
    fig = fig or new_figure(width, size * rows + (0.4 if suptitle else 0.1))
    shared = D.limits(maps, signed)
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k < c:
            vmin, vmax, cmap = shared if scale == "shared" else D.limits(maps[k], signed)
            im = ax.imshow(maps[k], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_title(titles[k] if titles is not None else str(k), fontsize=10)
            if colorbar:
                bar = fig.colorbar(im, ax=ax, fraction=0.08, pad=0.03)
                bar.ax.tick_params(labelsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=13)
    return fig


def show_filters(w, cols=None, size=1.2, numbers=None, fig=None, suptitle=None):
    """Filters (F, C, KH, KW) or (F, KH, KW) as small diverging images, one per filter and
    channel; numbers in the cells when the filters are at most 5 x 5 (``numbers`` overrides).

    Returns
    -------
    matplotlib.figure.Figure
    """
    w = np.asarray(w, dtype=float)
    if w.ndim == 2:
        w = w[None, None]
    elif w.ndim == 3:
        w = w[:, None]
    if w.ndim != 4:
        raise ValueError(f"show_filters: w must be (F, C, KH, KW) or (F, KH, KW), got {w.shape}")
    f, c, kh, kw = w.shape
    n = f * c
    cols = cols or min(n, 8)
    rows = int(np.ceil(n / cols))
    fig = fig or new_figure(size * cols, size * rows + (0.4 if suptitle else 0.1))
    m = float(np.abs(w).max()) or 1.0
    numbers = max(kh, kw) <= 5 if numbers is None else numbers
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k < n:
            i, ch = divmod(k, c)
            show_matrix(w[i, ch], ax=ax, cmap=D.DIVERGING, vmin=-m, vmax=m, numbers=numbers,
                        fontsize=max(6, 40 / max(kh, kw)),
                        title=f"filter {i}" + (f", ch {ch}" if c > 1 else ""))
            ax.title.set_fontsize(9)
        else:
            ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle, fontsize=13)
    return fig
