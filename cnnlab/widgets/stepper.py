"""The sliding-window stepper: one output cell at a time, with the products and their sum."""

import html

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore as C
from .._explore import sum_text
from . import _raster as R
from ._base import Explorer, Panel, int_slider, integer, small_matrix

__all__ = ["conv_stepper", "ConvStepper", "sum_text"]


class ConvStepper(Explorer):
    """Widget returned by :func:`conv_stepper`; see there."""

    title_text = "Sliding-window stepper"
    hint = "Add padding to make room for the filter."
    picture_height = 330

    def __init__(self, image, kernel, stride, padding, interval):
        self.image = np.asarray(image, dtype=float)
        self.kernel = np.asarray(kernel, dtype=float)
        position = int_slider("position", 0, 0, 8)
        play = W.Play(value=0, min=0, max=8, step=1, interval=interval, description="play")
        W.link((play, "value"), (position, "value"))
        controls = {"play": play, "position": position,
                    "stride": int_slider("stride", stride, 1, max(3, stride)),
                    "padding": int_slider("padding", padding, 0, max(2, padding))}
        panels = [Panel("input"), Panel("filter"), Panel("products"), Panel("output")]
        self.output = None
        self.state = None
        super().__init__(controls, panels)
        self.update()

    def _layout_controls(self):
        c = self.controls
        return [W.HBox([c["play"], c["position"]]), c["stride"], c["padding"]]

    def _on_change(self, change=None):
        if change is not None and change.owner is self.controls["play"]:
            return  # the link moves "position", which redraws
        super()._on_change(change)

    def _draw(self):
        c = self.controls
        stride, padding = c["stride"].value, c["padding"].value
        # The number of positions depends on stride and padding: fit the sliders first.
        count = C.conv_output(self.image, self.kernel, stride, padding).size
        self.fit_slider("position", count - 1)
        self.fit_slider("play", count - 1)
        s = C.stepper_state(self.image, self.kernel, stride, padding, c["position"].value)
        self.state = s
        self.output = s["output"]
        i, j = s["cell"]
        r0, c0 = s["corner"]
        kh, kw = self.kernel.shape
        xp = s["padded"]
        cell = R.fit_cell(*xp.shape, target=300, hi=56)
        self.panels[0].set(R.matrix_image(xp, cell=cell, cmap=D.SEQUENTIAL, pad=padding,
                                          boxes=[(r0, c0, kh, kw, D.HIGHLIGHT, 4)]))
        self.panels[0].set_title(f"input {self.image.shape[0]}\u00d7{self.image.shape[1]}"
                                 + (f" + padding {padding}" if padding else ""))
        self.panels[1].set(R.matrix_image(self.kernel, cell=cell))
        self.panels[2].set(R.matrix_image(s["products"], cell=cell,
                                          boxes=[(0, 0, kh, kw, D.HIGHLIGHT, 4)]))
        self.panels[2].set_title(f"products, sum = {D.fmt_value(s['sum'])}")
        oh, ow = self.output.shape
        vmin, vmax, cmap = D.limits(self.output)
        self.panels[3].set(R.matrix_image(self.output, cell=cell, cmap=cmap, vmin=vmin, vmax=vmax,
                                          mask=s["filled"], boxes=[(i, j, 1, 1, D.SECOND, 4)]))
        self.panels[3].set_title(f"output {oh}\u00d7{ow}")
        window = xp[r0:r0 + kh, c0:c0 + kw]
        text = sum_text(window, self.kernel, s["sum"])
        plain = f"output[{i}, {j}] = {text}"
        self.set_info(f"<b>output[{i}, {j}]</b> = {html.escape(text)}", plain)

    def _on_message(self):
        self.freeze_slider("position")
        self.freeze_slider("play")
        self.output = None
        self.state = None
        for p in self.panels[2:]:
            p.clear()
        self.set_info("", "")


def conv_stepper(image=None, kernel=None, stride=1, padding=0, interval=700):
    """Step a filter over a small input one position at a time.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        A small matrix (at most 16 x 16). Default: the classic 5 x 5 binary image.
    kernel : array_like, shape (KH, KW), optional
        Default: the classic 3 x 3 "X" filter; with the default image the output is
        [[4, 3, 4], [2, 4, 3], [2, 3, 4]].
    stride, padding : int
        Start values of the sliders (stride 1..3, padding 0..2).
    interval : int
        Milliseconds between steps when playing.

    Returns
    -------
    ConvStepper
        An ipywidgets VBox. ``controls``: "play", "position" (row-major index of the output
        cell; "play" and "position" are disabled, saying why, while there is only one),
        "stride", "padding"; ``output``: the full output; ``state``: a dict with the
        current ``cell``, ``corner`` (top-left of the window in the padded input), ``products``
        and ``sum``; ``info``: the sum written out; ``message``: why a setting does not fit.
    """
    image = C.CLASSIC_IMAGE if image is None else image
    kernel = C.CLASSIC_KERNEL if kernel is None else kernel
    func = "conv_stepper"
    image = small_matrix(func, "image", image)
    kernel = small_matrix(func, "kernel", kernel)
    stride = integer(func, "stride", stride, 1)
    padding = integer(func, "padding", padding, 0)
    interval = integer(func, "interval", interval, 1)
    return ConvStepper(image, kernel, stride, padding, interval)
