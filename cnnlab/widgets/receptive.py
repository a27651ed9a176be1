"""The receptive-field explorer: which pixels of a photo one output pixel of a stack sees."""

import html

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore as C
from .. import _explore_learning as L
from . import _raster as R
from ._base import Explorer, Panel, as_display_array, int_slider, integer

__all__ = ["receptive_field_explorer", "ReceptiveFieldExplorer", "MAX_DEPTH", "LIMITS"]

MAX_DEPTH = 4
#: Slider ranges: kernel 1..7, stride 1..4, dilation 1..4.
LIMITS = {"kernel": 7, "stride": 4, "dilation": 4}


def _small_slider(value, hi):
    """A slider of one layer's row: no label of its own (the column header names it)."""
    s = int_slider("", value, 1, hi)
    s.layout.width = "164px"
    return s


class ReceptiveFieldExplorer(Explorer):
    """Widget returned by :func:`receptive_field_explorer`; see there."""

    title_text = "Receptive field: what one output pixel sees"
    hint = "Use fewer layers, a smaller kernel, stride or dilation."
    picture_height = 210
    info_small = True

    def __init__(self, image, layers, depth, notice=""):
        self.image = image
        controls = {"depth": int_slider("layers", depth, 1, MAX_DEPTH)}
        for n in range(1, MAX_DEPTH + 1):
            for key, value in zip(("kernel", "stride", "dilation"), layers[n - 1]):
                controls[f"{key}{n}"] = _small_slider(value, max(LIMITS[key], value))
        h, w = image.shape[:2]
        self._scale = max(1, 400 // max(h, w))
        self._layers = L.overlay_layers(image)  # the photo as is and faded, computed once
        panels = [Panel(f"input {h}\u00d7{w}"), Panel("output")]
        self.state = None
        super().__init__(controls, panels, notice=notice)
        self.update()

    def _layout_controls(self):
        def cell(text, width):
            return W.HTML(f'<div class="cnnlab-info" style="width:{width}">{text}</div>')

        header = W.HBox([cell("", "58px")] + [cell(f"<b>{k}</b>", "168px") for k in LIMITS])
        rows = [self.controls["depth"], header]
        for n in range(1, MAX_DEPTH + 1):
            rows.append(W.HBox([cell(f"layer {n}", "58px")]
                               + [self.controls[f"{k}{n}"] for k in LIMITS]))
        box = W.VBox(rows, layout=W.Layout(overflow="visible"))
        box.add_class("cnnlab-compact")
        return [box]

    @property
    def layers(self):
        """The active layers as (kernel, stride, dilation) triples."""
        depth = self.controls["depth"].value
        return [tuple(self.controls[f"{k}{n}"].value for k in LIMITS) for n in range(1, depth + 1)]

    def _draw(self):
        depth = self.controls["depth"].value
        for n in range(1, MAX_DEPTH + 1):
            for k in LIMITS:
                self.controls[f"{k}{n}"].disabled = n > depth
        s = L.receptive_state(self.layers, self.image.shape[:2])
        self.state = s
        (top, bottom), (left, right) = s["bounds"]
        boxes = []
        if s["neighbour"] is not None:
            (nt, nb), (nl, nr) = s["neighbour"]
            boxes.append((nt, nl, nb - nt + 1, nr - nl + 1, D.SECOND, 2))
        boxes.append((top, left, bottom - top + 1, right - left + 1, D.HIGHLIGHT, 3))
        # Large photos go as JPEG (fast to encode; a 512 x 512 PNG costs about 60 ms).
        self.panels[0].set(R.photo_image(L.receptive_overlay(self.image, s, self._layers),
                                         boxes=boxes, scale=self._scale),
                           photo=self._scale == 1)
        oh, ow = s["out"]
        i, j = s["pixel"]
        scale = max(1, 160 // max(oh, ow))
        m = 0 if scale >= 6 else int(np.ceil(6 / scale))  # a ring around a tiny pixel
        self.panels[1].set(R.photo_image(L.output_grid(s), scale=scale,
                                         boxes=[(i - m, j - m, 2 * m + 1, 2 * m + 1, D.HIGHLIGHT,
                                                 2)] if m else ()))
        self.panels[1].set_title(f"output {oh}\u00d7{ow}, pixel ({i}, {j})")
        lines = L.field_text(s)
        self.set_info("<br>".join(html.escape(t) for t in lines), "\n".join(lines))

    def _on_message(self):
        self.state = None
        self.panels[1].clear()
        self.panels[0].set(R.photo_image(self._layers[0], scale=self._scale),
                           photo=self._scale == 1)
        self.set_info("", "")


def receptive_field_explorer(image=None, layers=None, depth=4):
    """A stack of 1 to 4 layers (kernel, stride, dilation each) and the input region one output
    pixel sees, drawn on a photo, with the receptive-field rule and its numbers.

    One row of sliders per layer: a convolution is (kernel, 1, 1) or dilated (kernel, 1, d),
    a pooling window of 2 is (2, 2, 1). The picture outlines, in orange, the field of the
    output's centre pixel (pixels it does not see are faded, including the holes dilation
    leaves), and in blue the field of its right neighbour, one jump further. No padding. Uses
    :func:`cnnlab.receptive_field` (Araujo, Norris and Sim, 2019).

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, 3), optional
        Default: the cameraman photo at 128 x 128 (every 4th pixel). Photos larger than 512
        pixels a side are shrunk (blocks averaged; ``notice`` says so).
    layers : sequence of 4 (kernel, stride, dilation) triples, optional
        The sliders' starting values (default: conv 3, pool 2, conv 3, pool 2).
    depth : int
        How many of the layers are used, 1..4.

    Returns
    -------
    ReceptiveFieldExplorer
        An ipywidgets VBox. ``controls``: "depth", then "kernel1", "stride1", "dilation1", ...,
        "dilation4" (layers beyond ``depth`` are greyed out); ``state``: dict with "rf" (the
        `ReceptiveField`), "pixel", "bounds", "region", "taps"; ``info``; ``message`` when the
        stack does not fit the image.

    Examples
    --------
    >>> ex = receptive_field_explorer()
    >>> ex.state["rf"].size[-1], ex.state["rf"].jump[-1]
    ((10, 10), (4, 4))
    >>> ex.controls["dilation3"].value = 2
    >>> ex.state["rf"].size[-1]  # layer 3: 4 + (3 - 1)*2*2 = 12; the pool: 12 + (2 - 1)*1*2 = 14
    (14, 14)
    """
    func = "receptive_field_explorer"
    image = as_display_array(L.default_field_photo() if image is None else image, func)
    layers = L.DEFAULT_FIELD_LAYERS if layers is None else layers
    depth = integer(func, "depth", depth, 1, MAX_DEPTH)
    try:
        triples = [tuple(t) for t in layers]
        ok = len(triples) == MAX_DEPTH and all(len(t) == 3 for t in triples)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{func}: layers must be {MAX_DEPTH} (kernel, stride, dilation) triples of "
                         f"positive integers, got {layers!r}")
    triples = [tuple(integer(func, f"layers[{n}][{m}] ({key})", v, 1)
                     for m, (key, v) in enumerate(zip(LIMITS, t))) for n, t in enumerate(triples)]
    shrunk, k = C.shrink(image)
    notice = C.shrink_note("image", image.shape, shrunk.shape, k) if k > 1 else ""
    return ReceptiveFieldExplorer(shrunk, triples, depth, notice)
