"""Small charts drawn with Pillow for the explorers (a bar chart, a line chart with a log axis).

A matplotlib figure costs 300-400 ms to redraw; these cost a few milliseconds, so a slider can
redraw them live. The static twins draw the same data with matplotlib.
"""

import numpy as np
from PIL import Image, ImageDraw

from .. import _display as D
from . import _raster as R

__all__ = []  # private module

_AXIS = (60, 60, 60)
_LIGHT = (225, 225, 225)


def bars(values, labels, highlight=None, width=420, height=260, top_value=1.0, fmt="{:.2f}",
         signed=False):
    """Vertical bars with their value above (below, when negative) and a label under each.

    ``highlight`` is the index of a bar drawn orange (the others blue). With ``signed`` the axis
    runs from -top_value to top_value with the zero line in the middle.
    """
    n = len(values)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    f, small = R.font(15), R.font(14)
    left, right, top, bottom = 12, 12, 26, 30
    plot_h = height - top - bottom
    zero_y = top + (plot_h / 2 if signed else plot_h)
    scale = (plot_h / 2 if signed else plot_h) / max(top_value, 1e-12)
    slot = (width - left - right) / max(n, 1)
    bar_w = slot * 0.62
    for k, (v, label) in enumerate(zip(values, labels)):
        x0 = left + k * slot + (slot - bar_w) / 2
        y = zero_y - float(np.clip(v, -top_value, top_value)) * scale
        color = D.HIGHLIGHT if k == highlight else D.SECOND
        draw.rectangle([x0, min(y, zero_y), x0 + bar_w, max(y, zero_y)], fill=color)
        text_y, anchor = (y - 3, "mb") if v >= 0 else (y + 3, "mt")
        draw.text((x0 + bar_w / 2, text_y), fmt.format(v), fill=(0, 0, 0), font=f, anchor=anchor)
        draw.text((x0 + bar_w / 2, height - bottom + 6), str(label), fill=(0, 0, 0),
                  font=R.font(14, bold=True) if k == highlight else small, anchor="mt")
    draw.line([left, zero_y, width - right, zero_y], fill=_AXIS, width=2)
    return img


def _decade_label(d):
    return f"1e{d}" if d < -2 or d > 3 else f"{10.0 ** d:g}"


def nice_ticks(top, most=6):
    """0 and multiples of 1, 2 or 5 times a power of ten up to ``top``, at most ``most`` of them.

    >>> nice_ticks(310)
    [0, 100, 200, 300]
    >>> nice_ticks(500)
    [0, 100, 200, 300, 400, 500]
    """
    for power in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10 ** power
            if top / step < most:
                return [step * k for k in range(int(top // step) + 1)]
    return [0, top]


def line_chart(series, width=440, height=280, log=True, x_max=None, y_range=None,
               xlabel="step", marks=(), legend=()):
    """Curves over steps 0, 1, 2, ...: ``series`` is a list of (values, rgb, width).

    With ``log`` the y axis is log10 with a grid line per decade. ``y_range`` (lo, hi) fixes the
    axis (default: from the data). ``marks`` are (step, value, rgb) points drawn as dots.
    Non-finite or non-positive values (on a log axis) end a curve.
    """
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    small = R.font(13)
    left, right, top, bottom = 58, 14, 12, 40
    pw, ph = width - left - right, height - top - bottom
    finite = [np.asarray(v, float) for v, _, _ in series]
    allv = np.concatenate([v[np.isfinite(v) & ((v > 0) if log else True)] for v in finite]
                          or [np.ones(1)])
    if allv.size == 0:
        allv = np.ones(1)
    tr = (lambda v: np.log10(v)) if log else (lambda v: v)
    if y_range is None:
        lo, hi = float(tr(allv.min())), float(tr(allv.max()))
        if log:
            lo, hi = np.floor(lo), np.ceil(hi)
    else:
        lo, hi = (float(tr(y_range[0])), float(tr(y_range[1])))
    if hi <= lo:
        hi = lo + 1.0
    n_max = x_max or max(len(v) - 1 for v in finite) or 1

    def xy(i, v):
        return left + pw * i / n_max, top + ph * (1 - (tr(v) - lo) / (hi - lo))

    ticks = np.arange(int(lo), int(hi) + 1) if log else np.linspace(lo, hi, 5)
    for t in ticks:
        y = top + ph * (1 - (t - lo) / (hi - lo))
        draw.line([left, y, left + pw, y], fill=_LIGHT)
        text = _decade_label(int(t)) if log else f"{t:.3g}"
        draw.text((left - 6, y), text, fill=_AXIS, font=small, anchor="rm")
    for i in nice_ticks(n_max):
        x = left + pw * i / n_max
        draw.line([x, top + ph, x, top + ph + 4], fill=_AXIS)
        draw.text((x, top + ph + 6), f"{i}", fill=_AXIS, font=small, anchor="mt")
    draw.text((left + pw / 2, height - 4), xlabel, fill=_AXIS, font=small, anchor="mb")
    draw.line([left, top, left, top + ph, left + pw, top + ph], fill=_AXIS, width=2)
    for (_, color, lw), v in zip(series, finite):
        ok = np.isfinite(v) & ((v > 0) if log else True)
        stop = int(np.argmin(ok)) if not ok.all() else len(v)
        pts = [xy(i, float(v[i])) for i in range(stop)]
        pts = [(x, min(max(y, top), top + ph)) for x, y in pts]
        if len(pts) > 1:
            draw.line(pts, fill=color, width=lw)
        elif pts:
            draw.point(pts, fill=color)
    for i, v, color in marks:
        if np.isfinite(v) and (v > 0 or not log):
            x, y = xy(i, v)
            y = min(max(y, top), top + ph)
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=color, outline=(0, 0, 0))
    for k, (text, color) in enumerate(legend):  # bottom left: descending curves leave it free
        y = top + ph - 12 - 18 * (len(legend) - 1 - k)
        draw.line([left + 10, y, left + 32, y], fill=color, width=3)
        draw.text((left + 38, y), text, fill=(0, 0, 0), font=small, anchor="lm")
    return img
