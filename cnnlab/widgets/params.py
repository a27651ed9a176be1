"""The parameter counter: a fully-connected first layer against a convolution layer (log scale)."""

import html

import ipywidgets as W
import numpy as np
from PIL import Image, ImageDraw

from .. import _display as D
from .. import _explore as C
from . import _raster as R
from ._base import SLIDER_WIDTH, Explorer, Panel, int_slider, integer, one_of, toggle

__all__ = ["param_counter", "ParamCounter", "bar_chart"]

IMAGE_SIZES = (28, 32, 64, 128, 200, 224, 256, 512, 1000)
HIDDEN = (10, 100, 200, 500, 1000, 4096)


_SUPERSCRIPT = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _power_of_ten(d):
    """1, 10, 10², 10³, ... as text."""
    return "1" if d == 0 else "10" if d == 1 else "10" + str(d).translate(_SUPERSCRIPT)


def bar_chart(values, labels, colors=(D.SECOND, D.HIGHLIGHT), width=720, decades=None):
    """Horizontal bars on a log10 axis, drawn with Pillow; returns a PIL image."""
    decades = decades or max(1, int(np.ceil(np.log10(max(max(values), 10)))))
    left, right, top, bar, gap = 170, 150, 16, 44, 20
    height = top + len(values) * (bar + gap) + 40
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    span = width - left - right
    f, small = R.font(17), R.font(14)

    def x_of(v):
        return left + span * np.log10(max(v, 1)) / decades

    axis_y = top + len(values) * (bar + gap)
    for d in range(decades + 1):
        x = left + span * d / decades
        draw.line([x, top - 4, x, axis_y], fill=(220, 220, 220))
        draw.text((x, axis_y + 4), _power_of_ten(d), fill=(60, 60, 60),
                  font=small, anchor="mt")
    for k, (v, label) in enumerate(zip(values, labels)):
        y = top + k * (bar + gap)
        draw.rectangle([left, y, x_of(v), y + bar], fill=colors[k % len(colors)])
        draw.text((left - 10, y + bar / 2), label, fill=(0, 0, 0), font=f, anchor="rm")
        draw.text((x_of(v) + 8, y + bar / 2), f"{v:,}", fill=(0, 0, 0), font=f, anchor="lm")
    draw.line([left, axis_y, left + span, axis_y], fill=(60, 60, 60), width=2)
    return img


class ParamCounter(Explorer):
    """Widget returned by :func:`param_counter`; see there."""

    title_text = "How many weights? Fully connected vs convolution"

    def __init__(self, image_size, channels, hidden, filters, filter_size):
        controls = {
            "image_size": W.SelectionSlider(options=list(IMAGE_SIZES), value=image_size,
                                            description="image size", style={"description_width": "initial"},
                                            layout=W.Layout(width=SLIDER_WIDTH)),
            "channels": toggle("channels", [1, 3], channels),
            "hidden": W.SelectionSlider(options=list(HIDDEN), value=hidden,
                                        description="hidden units", style={"description_width": "initial"},
                                        layout=W.Layout(width=SLIDER_WIDTH)),
            "filters": int_slider("filters", filters, 1, max(128, filters)),
            "filter_size": int_slider("filter size", filter_size, 1, max(11, filter_size)),
        }
        self.counts = None
        super().__init__(controls, [Panel("weights and biases (log scale)")])
        self.update()

    def _draw(self):
        c = {k: w.value for k, w in self.controls.items()}
        counts = C.param_counts(c["image_size"], c["channels"], c["hidden"], c["filters"],
                                c["filter_size"])
        self.counts = counts
        n, ch, f = c["image_size"], c["channels"], c["filter_size"]
        self.panels[0].set(bar_chart([counts["dense"], counts["conv"]],
                                     ["fully connected", "convolution"], decades=10))
        ratio = counts["dense"] / counts["conv"]
        plain = (f"fully connected: {n}\u00d7{n}\u00d7{ch} = {counts['inputs']:,} inputs \u00d7 "
                 f"{c['hidden']:,} units + {c['hidden']:,} biases = {counts['dense']:,}\n"
                 f"convolution: ({f}\u00d7{f}\u00d7{ch} + 1) \u00d7 {c['filters']} filters = "
                 f"{counts['conv']:,} (the same for any image size)\n"
                 f"the fully-connected layer has {ratio:,.0f} times as many")
        self.set_info("<br>".join(html.escape(t) for t in plain.split("\n")), plain)


def param_counter(image_size=256, channels=3, hidden=1000, filters=32, filter_size=3):
    """Compare the weights of a fully-connected first layer and of a convolution layer.

    Parameters
    ----------
    image_size : int
        One of 28, 32, 64, 128, 200, 224, 256, 512, 1000 (square images).
    channels : {1, 3}
    hidden : int
        One of 10, 100, 200, 500, 1000, 4096 (units of the dense layer).
    filters, filter_size : int
        Number of filters and their size (square) in the convolution layer.

    Returns
    -------
    ParamCounter
        An ipywidgets VBox. ``controls``: "image_size", "channels", "hidden", "filters",
        "filter_size"; ``counts``: dict with "inputs", "dense" and "conv" (weights + biases);
        ``info``: the two formulas with the numbers.

    Examples
    --------
    >>> param_counter(256, 3, 1000).counts["dense"]
    196609000
    """
    func = "param_counter"
    for name, value, options in (("image_size", image_size, IMAGE_SIZES),
                                 ("channels", channels, (1, 3)), ("hidden", hidden, HIDDEN)):
        integer(func, name, value, 1)
        one_of(func, name, value, options)
    filters = integer(func, "filters", filters, 1)
    filter_size = integer(func, "filter_size", filter_size, 1)
    return ParamCounter(int(image_size), int(channels), int(hidden), filters, filter_size)
