"""The feature-map explorer: every channel of a chosen layer's output for a chosen image."""

import html

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore as C
from . import _raster as R
from ._base import Explorer, Panel, int_slider, integer, numeric_array

__all__ = ["feature_map_explorer", "FeatureMapExplorer", "layer_image"]


def layer_image(out, tile=110):
    """A layer's output for one sample: all channels tiled for (C, H, W), a strip for (D,)."""
    out = np.asarray(out)
    signed = bool(out.size and out.min() < 0)
    if out.ndim == 3:
        return R.Image.fromarray(R.montage(out, tile=tile, signed=signed, gap=6))
    flat = out.reshape(1, -1)
    if flat.shape[1] <= 16:
        vmin, vmax, cmap = D.limits(flat, signed)
        return R.matrix_image(flat, cell=48, cmap=cmap, vmin=vmin, vmax=vmax)
    cols = int(np.ceil(np.sqrt(flat.shape[1])))
    grid = np.zeros(cols * cols)
    grid[:flat.shape[1]] = flat[0]
    vmin, vmax, cmap = D.limits(flat, signed)
    return R.photo_image(grid.reshape(cols, cols), cmap=cmap, vmin=vmin, vmax=vmax,
                         scale=max(1, 320 // cols))


class FeatureMapExplorer(Explorer):
    """Widget returned by :func:`feature_map_explorer`; see there."""

    title_text = "What the layers see"

    def __init__(self, model, images, labels, layer):
        self.model = model
        self.images = images
        self.labels = labels
        shape = tuple(images.shape[1:])
        options = []
        for i, layer_i in enumerate(model.layers):
            shape = layer_i.output_shape(shape)
            options.append((f"{i}: {layer_i.name} {shape}", i))
        controls = {
            "image": int_slider("image", 0, 0, len(images) - 1),
            "layer": W.Dropdown(options=options, value=layer, description="layer",
                                layout=W.Layout(width="320px")),
        }
        self._cache = {}
        self.maps = None
        super().__init__(controls, [Panel("input"), Panel("feature maps")])
        self.fit_slider("image", len(images) - 1)
        self.update()

    def outputs(self, index):
        """List of (layer name, output) for image ``index`` (computed once, then cached)."""
        if index not in self._cache:
            self._cache[index] = C.layer_outputs(self.model, self.images[index])
        return self._cache[index]

    def _draw(self):
        k = self.controls["image"].value
        li = self.controls["layer"].value
        name, out = self.outputs(k)[li]
        self.maps = out
        img = self.images[k]
        scale = max(1, 160 // max(img.shape[1:]))
        self.panels[0].set(R.photo_image(D.sample_picture(img), scale=scale))
        label = "" if self.labels is None else f" (label {self.labels[k]})"
        self.panels[0].set_title(f"image {k}{label}")
        self.panels[1].set(layer_image(out))
        what = f"{out.shape[0]} channels" if out.ndim == 3 else f"{out.size} values"
        self.panels[1].set_title(f"layer {li}: {name}, {what}")
        lo, hi = float(out.min()), float(out.max())
        plain = (f"output shape {tuple(out.shape)}; values from {lo:.3g} to {hi:.3g} "
                 + ("(red positive, blue negative, white zero)" if lo < 0 else "(non-negative)"))
        self.set_info(html.escape(plain), plain)


def feature_map_explorer(model, images, labels=None, layer=0):
    """Choose an image and a layer of a ``Sequential`` model and see every channel it outputs.

    Parameters
    ----------
    model : cnnlab.layers.Sequential
    images : array_like, shape (N, H, W) or (N, C, H, W)
    labels : array_like, shape (N,), optional
        Shown next to the image number.
    layer : int
        The layer shown first.

    Returns
    -------
    FeatureMapExplorer
        An ipywidgets VBox. ``controls``: "image" (index; disabled, saying why, for a single
        image), "layer" (index into
        ``model.layers``); ``maps``: the chosen layer's output for the chosen image, (C, H, W)
        or (D,); ``outputs(i)``: every layer's output for image i; ``info``, ``message``.
    """
    if not hasattr(model, "layers") or not hasattr(model, "forward"):
        raise TypeError(f"feature_map_explorer: model must be a cnnlab Sequential, got "
                        f"{type(model).__name__}")
    func = "feature_map_explorer"
    images = C.as_samples(numeric_array(func, "images", images), func)
    if max(images.shape[2:]) > C.MAX_PHOTO:
        raise ValueError(f"{func}: images of {images.shape[2]}\u00d7{images.shape[3]} are too "
                         f"large to explore live (at most {C.MAX_PHOTO} pixels a side); pass "
                         "smaller images, e.g. images[:, ::4, ::4]")
    layer = integer(func, "layer", layer, 0)
    if layer >= len(model.layers):
        raise ValueError(f"{func}: layer must be an index 0..{len(model.layers) - 1}, "
                         f"got {layer!r}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"feature_map_explorer: labels has {len(labels)} entries but images "
                         f"has {len(images)}")
    try:
        model.output_shape(tuple(images.shape[1:]))
    except ValueError as exc:
        raise ValueError(f"feature_map_explorer: the model does not accept images of shape "
                         f"{tuple(images.shape[1:])}: {exc}") from None
    return FeatureMapExplorer(model, images, labels, int(layer))
