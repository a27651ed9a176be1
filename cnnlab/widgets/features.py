"""The feature-map explorer: every channel of a chosen layer's output for a chosen image."""

import html
from collections import OrderedDict

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore as C
from . import _raster as R
from ._base import Explorer, Panel, int_slider, integer, numeric_array

__all__ = ["feature_map_explorer", "FeatureMapExplorer", "layer_image", "CACHE_BYTES"]

#: The default limit of a feature-map explorer's cache of layer outputs: 128 MiB.
CACHE_BYTES = 128 * 2 ** 20


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


def _own(out):
    """``out``, or a copy of it if it is a view into a larger array (which it would keep alive)."""
    root = out
    while isinstance(root.base, np.ndarray):
        root = root.base
    return out.copy() if root.nbytes > out.nbytes else out


class FeatureMapExplorer(Explorer):
    """Widget returned by :func:`feature_map_explorer`; see there."""

    title_text = "What the layers see"

    def __init__(self, model, images, labels, layer, cache_bytes=CACHE_BYTES):
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
        self.cache_limit = cache_bytes
        self._cache = OrderedDict()     # image index -> its outputs, least recently used first
        self._cache_sizes = {}
        self.maps = None
        super().__init__(controls, [Panel("input"), Panel("feature maps")])
        self.fit_slider("image", len(images) - 1)
        self.update()

    @property
    def cache_nbytes(self):
        """The bytes of the layer outputs the cache holds now (at most ``cache_limit``)."""
        return sum(self._cache_sizes.values())

    def outputs(self, index):
        """List of (layer name, output) for image ``index``.

        Kept in a cache of the most recently shown images, least recently used out first, whose
        outputs take at most ``cache_limit`` bytes together; an image whose outputs alone take
        more is computed again each time it is asked for.
        """
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        outs = [(name, _own(out)) for name, out in C.layer_outputs(self.model, self.images[index])]
        size = sum(out.nbytes for _, out in outs)
        if size <= self.cache_limit:
            while self._cache and self.cache_nbytes + size > self.cache_limit:
                oldest, _ = self._cache.popitem(last=False)
                del self._cache_sizes[oldest]
            self._cache[index] = outs
            self._cache_sizes[index] = size
        return outs

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


def feature_map_explorer(model, images, labels=None, layer=0, cache_bytes=CACHE_BYTES):
    """Choose an image and a layer of a ``Sequential`` model and see every channel it outputs.

    Parameters
    ----------
    model : cnnlab.layers.Sequential
    images : array_like, shape (N, H, W) or (N, C, H, W)
    labels : array_like, shape (N,), optional
        Shown next to the image number.
    layer : int
        The layer shown first.
    cache_bytes : int, optional
        The most memory the explorer keeps layer outputs in (`CACHE_BYTES`, 128 MiB, by
        default): the outputs of the images shown last are kept, so that going back to one of
        them, or choosing another layer, does not run the model again; the image least recently
        shown is dropped first. An image whose outputs alone are larger is computed again at
        each change.

    Returns
    -------
    FeatureMapExplorer
        An ipywidgets VBox. ``controls``: "image" (index; disabled, saying why, for a single
        image), "layer" (index into
        ``model.layers``); ``maps``: the chosen layer's output for the chosen image, (C, H, W)
        or (D,); ``outputs(i)``: every layer's output for image i; ``cache_nbytes``: the
        bytes the cache holds (at most ``cache_limit``, the ``cache_bytes`` given); ``info``,
        ``message``.
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
    cache_bytes = integer(func, "cache_bytes", cache_bytes, 0)
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
    return FeatureMapExplorer(model, images, labels, int(layer), int(cache_bytes))
