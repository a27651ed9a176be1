"""The convolution explorer: a photo or a small matrix, an editable filter, stride, padding, ReLU."""

import html

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore as C
from ..viz.kernels import KERNEL_NAMES, get_kernel
from . import _raster as R
from ._base import Explorer, Panel, as_display_array, int_slider, integer, kernel_arg, one_of, toggle

__all__ = ["conv_explorer", "ConvExplorer", "output_display"]


def output_display(out, small, value_range=(0.0, 255.0), border=0):
    """A feature map drawn with the course's colour rules (:func:`cnnlab._display.map_display`,
    shared with the static twin): the photo's grey scale when it stays in the photo's
    ``value_range``, a diverging map centred on zero when it has signs, cividis otherwise, with
    a colour bar as in the twin when the colours are not the photo's grey; the limits ignore the
    outer ``border`` band that sees zero padding. Returns a PIL image."""
    shown = D.map_display(out, small, value_range, border)
    if shown["kind"] == "grid":
        return R.matrix_image(shown["array"])
    if shown["kind"] == "rgb":
        return R.photo_image(shown["array"])
    img = R.photo_image(shown["array"], cmap=shown["cmap"], vmin=shown["vmin"],
                        vmax=shown["vmax"])
    if shown["colorbar"]:
        img = R.with_colorbar(img, shown["cmap"], shown["vmin"], shown["vmax"],
                              size=max(12, img.height // 30))
    return img


def border_note(band):
    """Why the outer band of a padded photo's feature map is not used for the colour scale."""
    return (f"the outer {band} pixel{'s' * (band != 1)} of the map see the zero padding: its false "
            "edges are left out of the colour scale")


def input_display(image, padding, value_range=(0.0, 255.0)):
    """The input with its padding: tinted cells for a small matrix, an orange frame for a photo."""
    xp = C.padded(image, padding)
    if D.is_small(image):
        gray = xp.mean(axis=2) if xp.ndim == 3 else xp
        return R.matrix_image(gray, cmap=D.SEQUENTIAL, pad=padding), False
    return R.photo_image(D.to_gray8(xp, value_range), pad=(padding, padding)), True


class ConvExplorer(Explorer):
    """Widget returned by :func:`conv_explorer`; see there."""

    title_text = "Convolution explorer"
    hint = "Add padding or choose a smaller filter."
    picture_height = 250

    def __init__(self, image, kernel="sobel x", size=3, stride=1, padding=0, relu=False, seed=0,
                 notice=""):
        self.image = C.as_work_array(image)
        self.small = D.is_small(self.image)
        self.value_range = D.value_range(self.image)
        self._rng = np.random.default_rng(seed)
        names = list(KERNEL_NAMES) + ["custom"]
        custom = not isinstance(kernel, str)
        if custom:
            k = np.asarray(kernel, dtype=float)
            if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] not in (3, 5):
                raise ValueError(f"conv_explorer: kernel must be a preset name or a 3x3 or 5x5 "
                                 f"array, got shape {k.shape}")
            size = k.shape[0]
        max_stride, max_pad = (4, 3) if self.small else (8, 8)
        controls = {
            "kernel": W.Dropdown(options=names, value="custom" if custom else kernel,
                                 description="filter", layout=W.Layout(width="230px")),
            "size": toggle("size", [3, 5], size),
            "stride": int_slider("stride", stride, 1, max(max_stride, stride)),
            "padding": int_slider("padding", padding, 0, max(max_pad, padding)),
            "relu": W.Checkbox(value=relu, description="ReLU", indent=False,
                               layout=W.Layout(width="90px")),
        }
        self.cells = [[W.FloatText(value=0.0, step=0.1, layout=W.Layout(width="58px", margin="0"))
                       for _ in range(5)] for _ in range(5)]
        self._grid = W.GridBox(layout=W.Layout(grid_gap="1px"))
        panels = [Panel("input"), Panel("filter"), Panel("feature map")]
        grid_box = W.HBox([W.HTML('<div class="cnnlab-panel-title">filter values</div>'),
                           self._grid], layout=W.Layout(align_items="center", overflow="visible"))
        super().__init__(controls, panels, extra=[grid_box], notice=notice)
        for row in self.cells:
            for cell in row:
                cell.observe(self._on_cell, names="value")
        self.output = None
        self._kernel = np.zeros((size, size))
        with self.hold():
            if custom:
                self._set_cells(k)
            else:
                self._apply_preset()

    def _layout_controls(self):
        c = self.controls
        return [c["kernel"], c["size"], c["relu"], c["stride"], c["padding"]]

    # -- the filter grid ------------------------------------------------------------------
    @property
    def kernel(self):
        """The current filter (size x size): the exact preset values, or what was typed into
        the cells (which show the values rounded to 4 decimals)."""
        return self._kernel.copy()

    def _set_cells(self, k):
        with self.hold():
            n = k.shape[0]
            self._kernel = np.array(k, dtype=float)
            self.controls["size"].value = n
            for i in range(n):
                for j in range(n):
                    self.cells[i][j].value = float(np.round(k[i, j], 4))
            self._show_grid(n)

    def _show_grid(self, n):
        self._grid.children = [self.cells[i][j] for i in range(n) for j in range(n)]
        self._grid.layout.grid_template_columns = " ".join(["60px"] * n)

    def _apply_preset(self):
        name = self.controls["kernel"].value
        n = self.controls["size"].value
        if name == "custom":
            old = self._kernel
            k = np.zeros((n, n))
            m = min(n, old.shape[0])
            k[:m, :m] = old[:m, :m]
        else:
            k = get_kernel(name, n, rng=self._rng)
        self._set_cells(k)

    def _on_change(self, change=None):
        if change is not None and change.owner in (self.controls["kernel"], self.controls["size"]):
            if not self._holding:
                with self.hold():
                    self._apply_preset()
            return
        super()._on_change(change)

    def _on_cell(self, change):
        if self._holding:
            return
        for i, row in enumerate(self.cells[:self._kernel.shape[0]]):
            for j, cell in enumerate(row[:self._kernel.shape[1]]):
                if cell is change.owner:
                    self._kernel[i, j] = change.new
        with self.hold():
            self.controls["kernel"].value = "custom"

    # -- drawing -----------------------------------------------------------------------------
    def _draw(self):
        stride = self.controls["stride"].value
        padding = self.controls["padding"].value
        kernel = self.kernel
        h, w = self.image.shape[:2]
        img, photo = input_display(self.image, padding, self.value_range)
        self.panels[0].set(img, photo=photo)
        self.panels[0].set_title(f"input {h}\u00d7{w}" + (f" + padding {padding}" if padding else ""))
        self.panels[1].set(R.matrix_image(kernel, cell=52 if kernel.shape[0] == 3 else 40))
        self.panels[1].set_title(f"filter {kernel.shape[0]}\u00d7{kernel.shape[1]}")
        self.output = None
        oh, text_h = C.size_formula(h, kernel.shape[0], stride, padding)
        ow, text_w = C.size_formula(w, kernel.shape[1], stride, padding)
        self.output = C.conv_output(self.image, kernel, stride, padding,
                                    self.controls["relu"].value)
        band = D.padding_band(padding, stride) if padding else 0
        self.panels[2].set(output_display(self.output, self.small, self.value_range, band),
                           photo=not self.small)
        self.panels[2].set_title(f"feature map {oh}\u00d7{ow}"
                                 + (" after ReLU" if self.controls["relu"].value else ""))
        lines = [f"output height = {text_h}", f"output width = {text_w}"]
        if band and not self.small:
            lines.append(border_note(band))
        self.set_info("<br>".join(html.escape(t) for t in lines), "\n".join(lines))

    def _on_message(self):
        self.output = None
        self.panels[2].clear()
        self.set_info("", "")


def conv_explorer(image=None, kernel="sobel x", size=3, stride=1, padding=0, relu=False, seed=0):
    """Interactive convolution (cross-correlation) of a photo or a small matrix with a filter.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, 3), optional
        A photo (uint8 0..255) or a small matrix (at most 16 x 16, drawn with numbers in the
        cells). Default: the 512 x 512 cameraman photo. Colour photos are filtered per channel.
        Photos larger than 512 pixels a side are shrunk (blocks averaged; ``notice`` says so).
    kernel : str or array_like, shape (3, 3) or (5, 5)
        A preset name from :data:`cnnlab.viz.kernels.KERNEL_NAMES` or the filter values.
    size : {3, 5}
        Filter size for a preset.
    stride, padding : int
        Start values of the sliders.
    relu : bool
        Apply ReLU to the feature map.
    seed : int
        Seeds the "random" preset.

    Returns
    -------
    ConvExplorer
        An ipywidgets VBox. ``controls``: "kernel" (preset), "size", "stride", "padding", "relu";
        ``cells``: the 5 x 5 grid of filter-value boxes (the top-left size x size are used);
        ``kernel``: the current filter; ``output``: the feature map (None when the settings do
        not fit); ``message``: why not; ``info``: the output-size formula with the numbers;
        ``notice``: a remark about the input (that it was shrunk), else "".
    """
    func = "conv_explorer"
    image = as_display_array(C.default_photo() if image is None else image, func)
    kernel = kernel_arg(func, kernel)
    one_of(func, "size", size, (3, 5))
    stride = integer(func, "stride", stride, 1)
    padding = integer(func, "padding", padding, 0)
    shrunk, k = C.shrink(image)
    notice = C.shrink_note("image", image.shape, shrunk.shape, k) if k > 1 else ""
    seed = integer(func, "seed", seed, 0)
    return ConvExplorer(shrunk, kernel, size, stride, padding, bool(relu), seed, notice)
