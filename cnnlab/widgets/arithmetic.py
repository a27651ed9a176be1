"""Padding, stride and dilation: which input cells each output cell sees (after Dumoulin & Visin,
"A guide to convolution arithmetic for deep learning", 2016)."""

import html

import numpy as np

from .. import _display as D
from .. import _explore as C
from . import _raster as R
from ._base import Explorer, Panel, int_slider, integer

__all__ = ["arithmetic_explorer", "ArithmeticExplorer", "arithmetic_images"]


def arithmetic_images(s, padding, cell=44):
    """(input image, output image) for an :func:`cnnlab._explore.arithmetic_state`."""
    rows, cols = np.nonzero(s["taps"])
    taps = [box + (D.HIGHLIGHT, 4) for box in C.taps_boxes(s["taps"])]
    span = (rows.min(), cols.min(), rows.max() - rows.min() + 1, cols.max() - cols.min() + 1,
            D.HIGHLIGHT, 1)
    left = R.matrix_image(s["coverage"], cell=cell, cmap=D.SEQUENTIAL, vmin=0,
                          vmax=max(int(s["coverage"].max()), 1), pad=padding,
                          boxes=[span] + taps)
    out = s["out"]
    index = np.arange(out * out).reshape(out, out)
    i, j = s["cell"]
    right = R.matrix_image(index, cell=cell, cmap="Greys", vmin=0, vmax=10 ** 9,
                           boxes=[(i, j, 1, 1, D.SECOND, 4)])
    return left, right


class ArithmeticExplorer(Explorer):
    """Widget returned by :func:`arithmetic_explorer`; see there."""

    title_text = "Padding, stride and dilation"
    hint = "Add padding, or choose a smaller filter or dilation."
    picture_height = 300

    def __init__(self, input_size, filter_size, padding, stride, dilation):
        controls = {
            "input_size": int_slider("input size n", input_size, 1, max(9, input_size)),
            "filter_size": int_slider("filter size f", filter_size, 1, max(5, filter_size)),
            "padding": int_slider("padding p", padding, 0, max(3, padding)),
            "stride": int_slider("stride s", stride, 1, max(4, stride)),
            "dilation": int_slider("dilation d", dilation, 1, max(3, dilation)),
            "position": int_slider("output cell", 0, 0, 8),
        }
        panels = [Panel("input (numbers: how many output cells see each cell)"),
                  Panel("output")]
        self.state = None
        self.output_length = None
        super().__init__(controls, panels)
        self.update()

    def _draw(self):
        c = {k: w.value for k, w in self.controls.items()}
        C.check_grid("arithmetic_explorer", c["input_size"], c["padding"])
        value, text = C.size_formula(c["input_size"], c["filter_size"], c["stride"],
                                     c["padding"], c["dilation"])
        self.fit_slider("position", value * value - 1)
        s = C.arithmetic_state(c["input_size"], c["filter_size"], c["stride"], c["padding"],
                               c["dilation"], self.controls["position"].value)
        self.state, self.output_length = s, value
        p = c["padding"]
        # large grids get small cells without numbers (the colours still show the counts)
        cell = R.fit_cell(s["size"], s["size"], target=400, lo=10, hi=48)
        left, right = arithmetic_images(s, p, cell=cell)
        self.panels[0].set(left)
        self.panels[1].set(right)
        self.panels[1].set_title(f"output {value}\u00d7{value}")
        inner = s["coverage"][p:p + c["input_size"], p:p + c["input_size"]]
        dropped = int(np.sum(inner == 0))
        i, j = s["cell"]
        rows, cols = np.nonzero(s["taps"])
        where = (f"output cell ({i}, {j}) sees padded rows {rows.min()}\u2013{rows.max()}, "
                 f"columns {cols.min()}\u2013{cols.max()}")
        drop = (f"{dropped} input cells are never seen (dropped)" if dropped
                else "every input cell is seen")
        plain = f"output size = {text}\n{where}\n{drop}"
        self.set_info("<br>".join(html.escape(t) for t in plain.split("\n")), plain)

    def _on_message(self):
        self.freeze_slider("position")
        self.state = None
        self.output_length = None
        for p in self.panels:
            p.clear()
        self.panels[1].set_title(self._empty_title())
        self.set_info("", "")

    def _empty_title(self):
        """The output panel's title when nothing is drawn: no window fits, or too big to draw."""
        c = {k: w.value for k, w in self.controls.items()}
        try:
            C.size_formula(c["input_size"], c["filter_size"], c["stride"], c["padding"],
                           c["dilation"])
        except ValueError:
            return "output: no window fits"
        return "output: not drawn"


def arithmetic_explorer(input_size=5, filter_size=3, padding=1, stride=2, dilation=1):
    """Sliders for input size, filter size, padding, stride and dilation over a square grid.

    The input grid shows, in each cell, how many output cells see it (0: the cell is dropped);
    padding cells are grey; the taps of the output cell chosen with "output cell" are outlined
    in orange, and that cell in blue on the output grid. The output size formula is evaluated
    live: ``floor((n + 2p - d(f - 1) - 1) / s) + 1``.

    Returns
    -------
    ArithmeticExplorer
        An ipywidgets VBox. ``controls``: "input_size", "filter_size", "padding", "stride",
        "dilation", "position"; ``output_length``; ``state`` (coverage counts, taps);
        ``info`` (the formula with the numbers); ``message`` when nothing fits or the padded
        grid is larger than 40 x 40 (too big to draw cell by cell: the widget is built and says
        so). "position" is disabled, saying why, while there is only one output cell.
    """
    func = "arithmetic_explorer"
    args = [integer(func, name, value, lo) for name, value, lo in (
        ("input_size", input_size, 1), ("filter_size", filter_size, 1), ("padding", padding, 0),
        ("stride", stride, 1), ("dilation", dilation, 1))]
    return ArithmeticExplorer(*args)
