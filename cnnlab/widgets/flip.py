"""Convolution vs cross-correlation: the same filter applied both ways, with the flip shown."""

import html

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore as C
from .._explore import FLIP_STEPS, flip_step
from ..viz.kernels import KERNEL_NAMES, get_kernel
from . import _raster as R
from ._base import Explorer, Panel, int_slider, integer, kernel_arg, small_matrix

__all__ = ["flip_explorer", "FlipExplorer", "FLIP_STEPS", "flip_step"]


class FlipExplorer(Explorer):
    """Widget returned by :func:`flip_explorer`; see there."""

    title_text = "Convolution vs cross-correlation"
    picture_height = 380

    def __init__(self, image, kernel, seed):
        self.image = np.asarray(image, dtype=float)
        self._custom = None if isinstance(kernel, str) else np.asarray(kernel, dtype=float)
        self._rng = np.random.default_rng(seed)
        names = list(KERNEL_NAMES) + (["custom"] if self._custom is not None else [])
        controls = {
            "kernel": W.Dropdown(options=names, value=kernel if isinstance(kernel, str) else "custom",
                                 description="filter", layout=W.Layout(width="230px")),
            "step": int_slider("flip step", 2, 0, 2),
        }
        panels = [Panel("input"), Panel("filter"), Panel("flipped"),
                  Panel("cross-correlation"), Panel("convolution")]
        self.state = None
        self.kernel = None
        super().__init__(controls, panels, rows=[panels[:3], panels[3:]])
        self.update()

    def _draw(self):
        name = self.controls["kernel"].value
        step = self.controls["step"].value
        if name == "custom":
            self.kernel = self._custom
        elif self.kernel is None or name != self._kernel_name:
            self.kernel = get_kernel(name, 3, rng=self._rng)
        self._kernel_name = name
        s = C.flip_state(self.image, self.kernel)
        self.state = s
        cell = 44
        self.panels[0].set(R.matrix_image(self.image, cell=cell, cmap=D.SEQUENTIAL))
        self.panels[1].set(R.matrix_image(self.kernel, cell=cell))
        self.panels[2].set(R.matrix_image(flip_step(self.kernel, step), cell=cell))
        self.panels[2].set_title(FLIP_STEPS[step])
        vmin, vmax, cmap = D.limits(np.concatenate([s["correlation"].ravel(),
                                                    s["convolution"].ravel()]))
        for panel, key in ((self.panels[3], "correlation"), (self.panels[4], "convolution")):
            panel.set(R.matrix_image(s[key], cell=cell, cmap=cmap, vmin=vmin, vmax=vmax))
        same = ("the filter is symmetric under a 180\u00b0 turn, so both give the same map"
                if s["symmetric"] else "the filter is not symmetric, so the maps differ")
        plain = (f"convolution = cross-correlation with the flipped filter; "
                 f"largest difference {D.fmt_number(s['difference'], False)}: {same}")
        self.set_info(html.escape(plain), plain)


def flip_explorer(image=None, kernel="sobel x", seed=0):
    """Apply one filter as cross-correlation and as true convolution, and show the flip.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        A small matrix (at most 16 x 16). Default: a seeded 7 x 7 matrix of integers 0..9.
    kernel : str or array_like, shape (KH, KW)
        A preset name (3 x 3) or the filter values.
    seed : int
        Seeds the "random" preset.

    Returns
    -------
    FlipExplorer
        An ipywidgets VBox. ``controls``: "kernel" (preset), "step" (0: the filter, 1: flipped
        top to bottom, 2: also left to right, which is the filter convolution uses);
        ``state``: dict with "correlation", "convolution", "flipped", "difference",
        "symmetric"; ``info``.
    """
    func = "flip_explorer"
    arr = small_matrix(func, "image", C.small_matrix(7, 7) if image is None else image)
    kernel = kernel_arg(func, kernel)
    if not isinstance(kernel, str):
        if kernel.ndim != 2 or min(kernel.shape) < 1 or kernel.shape[0] > arr.shape[0] \
                or kernel.shape[1] > arr.shape[1]:
            raise ValueError(f"{func}: kernel must be a 2-D array no larger than the image "
                             f"{arr.shape}, got shape {kernel.shape}")
    return FlipExplorer(arr, kernel, integer(func, "seed", seed, 0))
