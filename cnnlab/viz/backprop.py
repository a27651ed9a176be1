"""Pictures of the backward pass: a computational graph, a convolution's and a max pool's.

Each function computes what it draws (forward values and gradients, with cnnlab's own
operations) and returns a matplotlib Figure that is not registered with pyplot. The numbers
written in the cells are the ones a learner can check against ``Conv2D.backward``,
``MaxPool2D.backward``, ``scipy.signal`` or central differences.
"""

import numbers

import numpy as np

from .. import _validation as V
from ..convolution import correlate2d, pad2d
from ..pooling import _check_window, _windows, pool2d_backward
from .plots import new_figure, show_matrix

__all__ = ["show_backprop_graph", "show_conv_backward", "show_pool_backward", "graph_values"]

_BACKWARD = "#d55e00"    # Okabe-Ito vermillion: gradients
_NODE = "#f2f2f2"
#: One colour per pooling window (Okabe-Ito), cycled when there are more windows.
_WINDOW_COLORS = ["#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000"]


def _fmt(value):
    text = f"{value:.4g}"
    return "0" if text in ("0", "-0") else text


def _number(func, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{func}: {name} must be a finite number, got {value!r}")
    return float(value)


def graph_values(x, w, v, target):
    """Forward values and gradients of the network drawn by `show_backprop_graph`.

    ``z = w x``, ``h = relu(z)``, ``y = v . h``, ``L = (y - t)^2 / 2``, then the chain rule
    backwards: ``dy = y - t``, ``dv = dy h``, ``dh = dy v``, ``dz = dh (z > 0)``, ``dw = dz x``
    and ``dx = dz . w`` (the sum over the paths from x to L).

    Parameters
    ----------
    x, target : float
    w, v : ndarray, shape (K,)

    Returns
    -------
    dict
        ``"z", "h", "y", "L"`` (forward) and ``"dy", "dv", "dh", "dz", "dw", "dx"`` (backward).

    Examples
    --------
    >>> g = graph_values(2.0, np.array([0.5, -0.5]), np.array([1.0, 2.0]), 2.0)
    >>> g["y"], g["L"], g["dx"]
    (1.0, 0.5, -0.5)
    """
    z = w * x
    h = np.maximum(z, 0.0)
    y = float(v @ h)
    dy = y - target
    dh = dy * v
    dz = dh * (z > 0)
    return {"z": z, "h": h, "y": y, "L": 0.5 * dy ** 2, "dy": dy, "dv": dy * h, "dh": dh,
            "dz": dz, "dw": dz * x, "dx": float(dz @ w)}


def show_backprop_graph(x=2.0, w=(0.5, -0.5, 0.25), v=(1.0, 2.0, -1.0), target=2.0):
    """The computational graph of a one-input network, values and gradients written in.

    The network has K hidden units: ``z_k = w_k x``, ``h_k = relu(z_k)``, ``y = sum_k v_k h_k``,
    and the loss is ``L = (y - t)^2 / 2``. Each node shows its forward value (black) above
    ``dL/d(node)`` (vermillion); each weight is written on its edge with its gradient.

    Parameters
    ----------
    x, target : float
        The input and the target ``t``.
    w, v : sequences of 1 to 4 floats, the same length K
        The input-to-hidden and hidden-to-output weights.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        Arguments that are not numbers, or ``w`` and ``v`` of different or unsupported lengths.

    Examples
    --------
    >>> fig = show_backprop_graph()
    >>> "∂L/∂x = -0.375" in [t.get_text() for t in fig.axes[0].texts]
    True
    """
    func = "show_backprop_graph"
    x, target = _number(func, "x", x), _number(func, "target", target)
    w = V.as_float_array(func, "w", w, ndim=1)
    v = V.as_float_array(func, "v", v, ndim=1)
    if w.shape != v.shape or not 1 <= w.size <= 4:
        raise ValueError(f"{func}: w and v must hold one weight per hidden unit (1 to 4 units, "
                         f"the same number), got {w.size} and {v.size}")
    g = graph_values(x, w, v, target)
    k = w.size
    fig = new_figure(11.0, 1.5 * k + 1.6)
    ax = fig.add_subplot()
    ax.set_axis_off()
    rows = (np.arange(k)[::-1] - (k - 1) / 2) * 1.5
    cx, cz, ch, cy, cl = 0.0, 2.7, 5.0, 7.9, 10.1
    ax.set_xlim(-0.8, 10.9)
    ax.set_ylim(rows.min() - 1.3, rows.max() + 1.0)

    def node(px, py, name, value, grad):
        ax.add_patch(_box(px, py))
        ax.text(px, py + 0.17, f"{name} = {_fmt(value)}", ha="center", va="center", fontsize=11)
        ax.text(px, py - 0.2, f"∂L/∂{name} = {_fmt(grad)}", ha="center", va="center",
                fontsize=10, color=_BACKWARD)

    def edge(p, q, label=None, value=None, grad=None, at=0.5):
        ax.annotate("", xy=(q[0] - 0.8, q[1]), xytext=(p[0] + 0.8, p[1]),
                    arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 1.2})
        if label is None:
            return
        mx = p[0] + 0.8 + at * (q[0] - p[0] - 1.6)
        my = p[1] + at * (q[1] - p[1])
        ax.text(mx, my + 0.2, f"{label} = {_fmt(value)}", ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
        ax.text(mx, my - 0.17, f"∂L/∂{label} = {_fmt(grad)}", ha="center", va="center",
                fontsize=9, color=_BACKWARD,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})

    node(cx, 0.0, "x", x, g["dx"])
    for i, r in enumerate(rows):
        n = i + 1
        node(cz, r, f"z{n}", g["z"][i], g["dz"][i])
        node(ch, r, f"h{n}", g["h"][i], g["dh"][i])
        edge((cx, 0.0), (cz, r), f"w{n}", w[i], g["dw"][i], at=0.62)
        edge((cz, r), (ch, r))
        ax.text((cz + ch) / 2, r + 0.12, "relu", ha="center", va="bottom", fontsize=9,
                color="#555555")
        edge((ch, r), (cy, 0.0), f"v{n}", v[i], g["dv"][i], at=0.45)
    node(cy, 0.0, "y", g["y"], g["dy"])
    node(cl, 0.0, "L", g["L"], 1.0)
    edge((cy, 0.0), (cl, 0.0))
    ax.text(cl, 0.5, f"L = ½(y − t)², t = {_fmt(target)}", ha="center", va="bottom",
            fontsize=9, color="#555555")
    top, bottom = rows.max() + 0.75, rows.min() - 1.0
    ax.annotate("", xy=(cl, top), xytext=(cx, top),
                arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 1.5})
    ax.text((cx + cl) / 2, top + 0.05, "forward: values", ha="center", va="bottom", fontsize=10)
    ax.annotate("", xy=(cx, bottom), xytext=(cl, bottom),
                arrowprops={"arrowstyle": "-|>", "color": _BACKWARD, "lw": 1.5})
    ax.text((cx + cl) / 2, bottom - 0.05, "backward: gradients, by the chain rule",
            ha="center", va="top", fontsize=10, color=_BACKWARD)
    return fig


def _box(px, py):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((px - 0.78, py - 0.42), 1.56, 0.84, boxstyle="round,pad=0.02",
                          fc=_NODE, ec="#555555", lw=1.0)


def show_conv_backward(x, w, dout):
    """A convolution's backward pass with numbers: dW and dx, each as a sliding window.

    For ``out = correlate2d(x, w)`` (stride 1, no padding) and the upstream gradient ``dout``:

    - top row: ``dW = correlate2d(x, dout)``, ``dout`` slid over the input like a filter
      (the orange window gives ``dW[0, 0]``);
    - bottom row: ``dx = correlate2d(dout padded by KH - 1, KW - 1, w flipped on both axes)``,
      a full convolution of ``dout`` with ``w`` (the orange window gives ``dx[0, 0]``).

    Parameters
    ----------
    x : array_like, shape (H, W)
    w : array_like, shape (KH, KW)
    dout : array_like, shape (OH, OW) = (H - KH + 1, W - KW + 1)

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_conv_backward(np.arange(9.0).reshape(3, 3), np.eye(2), np.ones((2, 2)))
    >>> [t.get_text() for t in fig.axes[2].texts]    # dW = x correlated with dout
    ['8', '12', '20', '24']
    """
    func = "show_conv_backward"
    x = V.as_float_array(func, "x", x, ndim=2)
    w = V.as_float_array(func, "w", w, ndim=2)
    dout = V.as_float_array(func, "dout", dout, ndim=2)
    (h, wd), (kh, kw) = x.shape, w.shape
    expected = (h - kh + 1, wd - kw + 1)
    if min(expected) < 1 or dout.shape != expected:
        raise ValueError(f"{func}: dout must have the output's shape (H - KH + 1, W - KW + 1) = "
                         f"{expected}, got {dout.shape} (x.shape={x.shape}, w.shape={w.shape})")
    oh, ow = dout.shape
    dw = correlate2d(x, dout)
    padded = pad2d(dout, (kh - 1, kw - 1))
    flipped = w[::-1, ::-1]
    dx = correlate2d(padded, flipped)
    cell = 0.42
    width = cell * (h + oh + kw + padded.shape[1] + kw + wd) / 2 + 3.2
    fig = new_figure(max(width, 8.0), cell * (max(h, padded.shape[0]) + 2) * 2 + 0.6)
    axes = fig.subplots(2, 3, gridspec_kw={"width_ratios": [max(wd, padded.shape[1]), max(ow, kw),
                                                            max(kw, wd)]})
    first = [(0, 0, oh, ow)]
    show_matrix(x, ax=axes[0, 0], boxes=first, title="input x")
    show_matrix(dout, ax=axes[0, 1], title="dout (slides over x)")
    show_matrix(dw, ax=axes[0, 2], boxes=[(0, 0, 1, 1)], title="dW = x ⋆ dout")
    show_matrix(padded, ax=axes[1, 0], pad=kh - 1 if kh == kw else 0, boxes=[(0, 0, kh, kw)],
                title=f"dout, {kh - 1} rings of zeros")
    _grey_ring(axes[1, 0], padded.shape, kh - 1, kw - 1)
    show_matrix(flipped, ax=axes[1, 1], title="w flipped (slides)")
    show_matrix(dx, ax=axes[1, 2], boxes=[(0, 0, 1, 1)], title="dx = full conv(dout, w)")
    for ax in axes.ravel():
        ax.title.set_fontsize(11)
    return fig


def _grey_ring(ax, shape, ph, pw):
    """Write the added zeros of a padded matrix in grey (they are not part of dout)."""
    rows, cols = shape
    for t in ax.texts:
        c, r = t.get_position()
        if r < ph or r >= rows - ph or c < pw or c >= cols - pw:
            t.set_color("#9a9a9a")


def show_pool_backward(x, dout, size=2, stride=None):
    """Max pooling's backward pass: each window's gradient routed to its maximum.

    Panels: the input with each window's (first, row-major) maximum outlined in the window's
    colour, the upstream gradient ``dout`` with each cell in its window's colour, and
    ``dx``, where every entry is the sum of the gradients of the windows whose maximum it is
    (overlapping windows add up; everything else is 0).

    Parameters
    ----------
    x : array_like, shape (H, W)
    dout : array_like, shape (OH, OW), the pooled output's shape
    size, stride : int or pair of int
        The window and its step (default: the window size, no overlap).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> x = np.array([[1., 3.], [4., 2.]])
    >>> fig = show_pool_backward(x, np.array([[5.]]))
    >>> [t.get_text() for t in fig.axes[2].texts]
    ['0', '0', '5', '0']
    """
    func = "show_pool_backward"
    x = V.as_float_array(func, "x", x, ndim=2)
    dout = V.as_float_array(func, "dout", dout, ndim=2)
    size, stride = _check_window(func, x.shape, size, stride)
    win = _windows(x, size, stride)
    if dout.shape != win.shape[:2]:
        raise ValueError(f"{func}: dout must have the pooled output's shape {win.shape[:2]}, "
                         f"got {dout.shape}")
    dx = pool2d_backward(dout, x, size, stride, "max")
    first_max = win.reshape(win.shape[:2] + (-1,)).argmax(axis=-1)
    (kh, kw), (sh, sw) = size, stride
    oh, ow = dout.shape
    x_boxes, dx_boxes, out_boxes = [], [], []
    for i in range(oh):
        for j in range(ow):
            color = _WINDOW_COLORS[(i * ow + j) % len(_WINDOW_COLORS)]
            a, b = divmod(int(first_max[i, j]), kw)
            r, c = i * sh + a, j * sw + b
            x_boxes += [(i * sh, j * sw, kh, kw, color, 1.2), (r, c, 1, 1, color, 3.5)]
            dx_boxes.append((r, c, 1, 1, color, 3.5))
            out_boxes.append((i, j, 1, 1, color, 3.5))
    h, wd = x.shape
    fig = new_figure(0.5 * (2 * wd + ow) + 2.2, 0.5 * h + 1.0)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [wd, max(ow, 2), wd]})
    lo, hi = float(x.min()), float(x.max())
    light = {"cmap": "Greys", "vmin": lo, "vmax": hi + 2 * (hi - lo) + 1e-12}  # pale greys
    m = float(max(np.abs(dout).max(), np.abs(dx).max())) or 1.0
    signed = {"cmap": "RdBu_r", "vmin": -1.6 * m, "vmax": 1.6 * m}  # white is zero
    show_matrix(x, ax=axes[0], boxes=x_boxes, title="x: each window's max", **light)
    show_matrix(dout, ax=axes[1], boxes=out_boxes, title="dout", **signed)
    show_matrix(dx, ax=axes[2], boxes=dx_boxes, title="dx: routed to the max", **signed)
    for ax in axes:
        ax.title.set_fontsize(11)
    return fig
