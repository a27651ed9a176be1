"""Convolution vs cross-correlation: the same filter applied both ways, with the flip shown."""

import html

import ipywidgets as W
import numpy as np

from ..viz import _compute as C
from ..viz import _raster as R
from ..viz.kernels import KERNEL_NAMES, get_kernel
from ._base import Explorer, Panel, int_slider

__all__ = ["flip_explorer", "FlipExplorer", "FLIP_STEPS", "flip_step"]

FLIP_STEPS = ("the filter", "flipped top to bottom", "and left to right (rotated 180\u00b0)")


def flip_step(kernel, step):
    """The kernel after ``step`` flips: 0 none, 1 rows reversed, 2 rows and columns reversed."""
    kernel = np.asarray(kernel)
    return kernel if step == 0 else kernel[::-1] if step == 1 else kernel[::-1, ::-1]


class FlipExplorer(Explorer):
    """Widget returned by :func:`flip_explorer`; see there."""

    title_text = "Convolution vs cross-correlation"

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
        self.panels[0].set(R.matrix_image(self.image, cell=cell, cmap="cividis"))
        self.panels[1].set(R.matrix_image(self.kernel, cell=cell))
        self.panels[2].set(R.matrix_image(flip_step(self.kernel, step), cell=cell))
        self.panels[2].set_title(FLIP_STEPS[step])
        vmin, vmax, cmap = R.limits(np.concatenate([s["correlation"].ravel(),
                                                    s["convolution"].ravel()]))
        for panel, key in ((self.panels[3], "correlation"), (self.panels[4], "convolution")):
            panel.set(R.matrix_image(s[key], cell=cell, cmap=cmap, vmin=vmin, vmax=vmax))
        same = ("the filter is symmetric under a 180\u00b0 turn, so both give the same map"
                if s["symmetric"] else "the filter is not symmetric, so the maps differ")
        plain = (f"convolution = cross-correlation with the flipped filter; "
                 f"largest difference {R.fmt_number(s['difference'], False)}: {same}")
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
    image = C.small_matrix(7, 7) if image is None else image
    arr = C.small_matrix_arg("flip_explorer", "image", image)
    if isinstance(kernel, str):
        kernel = kernel.lower().replace("_", " ")
        if kernel not in KERNEL_NAMES:
            raise ValueError(f"flip_explorer: kernel must be one of {KERNEL_NAMES} or an array, "
                             f"got {kernel!r}")
    else:
        k = np.asarray(kernel)
        if k.ndim != 2 or k.dtype.kind not in "biuf" or k.shape[0] > arr.shape[0] \
                or k.shape[1] > arr.shape[1]:
            raise ValueError(f"flip_explorer: kernel must be a 2-D array no larger than the image "
                             f"{arr.shape}, got shape {k.shape}")
    return FlipExplorer(arr, kernel, seed)
