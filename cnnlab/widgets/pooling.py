"""The pooling explorer: max, average and sum pooling on a numbered matrix and a real feature map."""

import html

import numpy as np

from .. import _display as D
from .. import _explore as C
from .._explore import MODES
from . import _raster as R
from ._base import Explorer, Panel, as_display_array, int_slider, integer, one_of, small_matrix, toggle

__all__ = ["pooling_explorer", "PoolingExplorer", "window_boxes", "MODES"]


def window_boxes(shape, size, stride, current):
    """Outlines of every pooling window (thin blue) and of the current one (thick orange)."""
    i, j = current
    return ([box + (D.SECOND, 1) for box in C.pool_windows(shape, size, stride)]
            + [(i * stride, j * stride, size, size, D.HIGHLIGHT, 4)])


class PoolingExplorer(Explorer):
    """Widget returned by :func:`pooling_explorer`; see there."""

    title_text = "Pooling explorer"
    hint = "Choose a smaller window."
    picture_height = 360

    def __init__(self, x, small, mode, size, stride, notice=""):
        self.x = np.asarray(x, dtype=np.float32)
        self.small = np.asarray(small, dtype=np.float64)
        controls = {
            "mode": toggle("pooling", list(MODES), mode),
            "size": int_slider("window size", size, 1, max(4, size)),
            "stride": int_slider("stride", stride, 1, max(4, stride)),
            "position": int_slider("window", 0, 0, 8),
        }
        panels = [Panel("numbered input"), Panel("pooled"),
                  Panel("feature map", "300px"), Panel("pooled feature map", "300px")]
        self.output = None          # pooled small matrix
        self.feature_output = None  # pooled feature map
        self.state = None
        self._feature_key = None
        self._x_max = D.bright_max(self.x)
        super().__init__(controls, panels, rows=[panels[:2], panels[2:]], notice=notice)
        self.update()

    def _on_change(self, change=None):
        if change is not None and change.owner is self.controls["size"] and not self._holding:
            # Non-overlapping windows stay non-overlapping: the stride follows the window size.
            if self.controls["stride"].value == change.old:
                with self.hold():
                    self.controls["stride"].value = change.new
                return
        super()._on_change(change)

    def _draw(self):
        c = {k: w.value for k, w in self.controls.items()}
        mode, size, stride = c["mode"], c["size"], c["stride"]
        n_h, n_w = self.small.shape
        out_h, text_h = C.size_formula(n_h, size, stride, 0)
        out_w, _ = C.size_formula(n_w, size, stride, 0)
        self.fit_slider("position", out_h * out_w - 1)
        s = C.pool_state(self.small, size, stride, mode, self.controls["position"].value)
        self.state, self.output = s, s["output"]
        cell = R.fit_cell(n_h, n_w, target=330, hi=56)
        self.panels[0].set(R.matrix_image(self.small, cell=cell, cmap=D.SEQUENTIAL,
                                          boxes=window_boxes(s["output"].shape, size, stride,
                                                             s["cell"])))
        i, j = s["cell"]
        lim = ({"vmin": float(self.small.min()), "vmax": float(self.small.max()) or 1.0}
               if mode != "sum" else {})
        self.panels[1].set(R.matrix_image(s["output"], cell=cell, cmap=D.SEQUENTIAL,
                                          boxes=[(i, j, 1, 1, D.HIGHLIGHT, 4)], **lim))
        self.panels[1].set_title(f"{mode} pooled {out_h}\u00d7{out_w}")
        key = (mode, size, stride)
        if self._feature_key != key:  # the window slider alone does not change the big map
            self.feature_output = C.pool_state(self.x, size, stride, mode)["output"]
            self._feature_key = key
        self.panels[2].set(R.photo_image(self.x, cmap=D.SEQUENTIAL, vmin=0, vmax=self._x_max),
                           photo=True)
        self.panels[2].set_title(f"feature map {self.x.shape[0]}\u00d7{self.x.shape[1]}")
        self.panels[3].set(R.photo_image(self.feature_output, cmap=D.SEQUENTIAL, vmin=0,
                                         vmax=D.bright_max(self.feature_output)), photo=True)
        fh, fw = self.feature_output.shape
        self.panels[3].set_title(f"{mode} pooled {fh}\u00d7{fw}")
        values = ", ".join(D.fmt_number(v, True) if float(v).is_integer() else f"{v:.2f}"
                           for v in s["window"].ravel())
        result = D.fmt_number(float(s["output"][i, j]), False)
        plain = (f"window ({i}, {j}): {mode} of [{values}] = {result}\n"
                 f"output size = {text_h}")
        self.set_info("<br>".join(html.escape(t) for t in plain.split("\n")), plain)

    def _on_message(self):
        self.freeze_slider("position")
        self.state = self.output = self.feature_output = self._feature_key = None
        for p in (self.panels[1], self.panels[3]):
            p.clear()
        self.set_info("", "")


def pooling_explorer(x=None, small=None, mode="max", size=2, stride=None):
    """Max, average and sum pooling with window-size and stride sliders.

    Parameters
    ----------
    x : array_like, shape (H, W), optional
        A real feature map. Default: ReLU of the Sobel-x response of the cameraman photo.
        Maps larger than 512 pixels a side are shrunk (blocks averaged; ``notice`` says so).
    small : array_like, shape (H, W), optional
        A small matrix drawn with its numbers (at most 16 x 16). Default: a 6 x 6 matrix of
        integers 0..9 (seeded).
    mode : {"max", "avg", "sum"}
    size, stride : int
        Window size and stride (stride defaults to size: non-overlapping windows).

    Returns
    -------
    PoolingExplorer
        An ipywidgets VBox. ``controls``: "mode", "size", "stride", "position" (which window of
        the small matrix is highlighted; disabled, saying why, when there is only one);
        ``output`` (pooled small matrix), ``feature_output``
        (pooled feature map), ``state`` (current window and its values), ``info``, ``message``.
    """
    func = "pooling_explorer"
    one_of(func, "mode", mode, MODES)
    size = integer(func, "size", size, 1)
    stride = size if stride is None else integer(func, "stride", stride, 1)
    x = as_display_array(C.demo_feature_map() if x is None else x, func, "x")
    if x.ndim != 2:
        raise ValueError(f"{func}: x must be a 2-D array, got shape {x.shape}")
    small = small_matrix(func, "small", C.small_matrix() if small is None else small)
    shrunk, k = C.shrink(x)
    notice = C.shrink_note("feature map x", x.shape, shrunk.shape, k) if k > 1 else ""
    return PoolingExplorer(shrunk, small, mode, size, stride, notice)
