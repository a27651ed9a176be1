"""Fast raster drawing for the explorers: arrays to PNG bytes with Pillow, no matplotlib figure.

Re-rendering a matplotlib figure costs 300-400 ms on a small machine; colouring an array through a
colour-map lookup table with NumPy and encoding it with Pillow costs a few milliseconds. The
explorers in :mod:`cnnlab.widgets` draw every panel with these helpers.
"""

import functools
import io
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .._display import GRID, HIGHLIGHT, cell_colors, cell_texts, colorize, fmt_number, limits, lut, pad_pair

__all__ = []  # private module


@functools.lru_cache(maxsize=None)
def font(size, bold=False):
    """DejaVu Sans (shipped with matplotlib) at ``size`` pixels."""
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=8192)
def _text_mask(text, size):
    """``text`` at ``size`` pixels rendered once as a grey mask, with the offset of its top-left
    corner from its centre: pasting a cached mask is ~20 times faster than drawing the text
    again (a 40 x 40 grid has 1,600 numbers)."""
    f = font(size)
    x0, y0, x1, y1 = f.getbbox(text, anchor="mm")
    mask = Image.new("L", (max(x1 - x0, 1), max(y1 - y0, 1)), 0)
    ImageDraw.Draw(mask).text((-x0, -y0), text, fill=255, font=f, anchor="mm")
    return mask, (x0, y0)


def to_png(rgb, fmt="png"):
    """Encode an (H, W, 3) uint8 array or a PIL image as PNG (or JPEG) bytes, fast."""
    img = rgb if isinstance(rgb, Image.Image) else Image.fromarray(np.ascontiguousarray(rgb))
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, format="JPEG", quality=90)
    else:
        img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def blank(width=64, height=64):
    """PNG bytes of a white rectangle (shown where a panel has nothing to show)."""
    return to_png(np.full((height, width, 3), 255, np.uint8))


def fit_cell(rows, cols, target=360, lo=18, hi=64):
    """A cell size in pixels so that a rows x cols grid is about ``target`` pixels wide."""
    return int(np.clip(target // max(rows, cols, 1), lo, hi))


def matrix_image(a, cell=None, cmap=None, vmin=None, vmax=None, numbers=True, pad=(0, 0),
                 boxes=(), mask=None, dots=None, target=360):
    """Draw a small matrix as a grid of coloured cells with the values written in them.

    Parameters
    ----------
    a : array_like, shape (H, W)
    cell : int, optional
        Cell size in pixels (default: chosen from ``target``).
    pad : (int, int)
        The outer ``pad`` rows / columns are padding: drawn light grey with dashed-looking text.
    boxes : sequence of (r0, c0, h, w, rgb, width)
        Rectangles outlined over the grid, in cell units.
    mask : bool array, shape (H, W), optional
        Cells where ``mask`` is False are drawn empty (white, no number).
    dots : bool array, shape (H, W), optional
        Cells marked with a small dot in the corner (the taps of a dilated filter).

    Returns
    -------
    PIL.Image.Image
    """
    a = np.asarray(a, dtype=np.float64)
    rows, cols = a.shape
    cell = cell or fit_cell(rows, cols, target)
    rgb = cell_colors(a, cmap, vmin, vmax, pad, mask)
    big = np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1)
    big[::cell, :] = GRID
    big[:, ::cell] = GRID
    img = Image.fromarray(np.pad(big, ((0, 1), (0, 1), (0, 0)), constant_values=90))
    draw = ImageDraw.Draw(img)
    if numbers and cell >= 18:
        texts = cell_texts(a, rgb, pad=pad, mask=mask)
        longest = max((len(t) for _, _, t, _ in texts), default=1)
        size = max(int(min(cell * 0.45, cell * 1.5 / max(longest, 1))), 8)
        for i, j, text, color in texts:
            mask, (dx, dy) = _text_mask(text, size)
            img.paste(color, (int((j + 0.5) * cell + dx), int((i + 0.5) * cell + dy)), mask)
    if dots is not None:
        r = max(cell // 8, 2)
        for i, j in zip(*np.nonzero(dots)):
            x, y = j * cell + 2 * r, i * cell + 2 * r
            draw.ellipse([x - r, y - r, x + r, y + r], fill=HIGHLIGHT, outline=(0, 0, 0))
    for r0, c0, h, w, color, width in boxes:
        draw.rectangle([c0 * cell, r0 * cell, (c0 + w) * cell, (r0 + h) * cell],
                       outline=color, width=width)
    return img


def photo_image(a, cmap=None, vmin=None, vmax=None, pad=(0, 0), boxes=(), scale=1):
    """Draw a large array (a photo or feature map) pixel for pixel, with optional outlines.

    ``pad`` draws the border of the unpadded region in orange; ``boxes`` are (r0, c0, h, w, rgb,
    width) rectangles in pixel units; ``scale`` enlarges by nearest neighbour.
    """
    a = np.asarray(a)
    if a.ndim == 2 and cmap is None and vmin is None and a.dtype == np.uint8:
        rgb = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8 and vmin is None and vmax is None:
        rgb = a  # already RGB 0..255: colorize would return the same values, slower
    else:
        rgb = colorize(a, cmap, vmin, vmax)
    img = Image.fromarray(rgb)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    pr, pc = pad_pair(pad)
    if pr or pc:
        boxes = [(pr, pc, a.shape[0] - 2 * pr, a.shape[1] - 2 * pc, HIGHLIGHT, 2)] + list(boxes)
    if boxes:
        draw = ImageDraw.Draw(img)
        for r0, c0, h, w, color, width in boxes:
            draw.rectangle([c0 * scale, r0 * scale, (c0 + w) * scale - 1, (r0 + h) * scale - 1],
                           outline=color, width=width)
    return img


def with_colorbar(img, cmap, vmin, vmax, width=14, size=13):
    """``img`` (a PIL image) with a vertical colour bar at its right, labelled with ``vmin``,
    the middle value and ``vmax`` (the static twin's colour bar, drawn with Pillow)."""
    h = img.height
    ramp = lut(cmap)[np.linspace(255, 0, h).astype(np.uint8)]          # (h, 3), top = vmax
    bar = np.repeat(ramp[:, None, :], width, axis=1)
    labels = [fmt_number(float(v), False) for v in (vmax, (vmin + vmax) / 2, vmin)]
    f = font(size)
    text_w = max(int(f.getlength(t)) for t in labels) + 6
    out = Image.new("RGB", (img.width + 6 + width + text_w, h), (255, 255, 255))
    out.paste(img, (0, 0))
    x = img.width + 6
    out.paste(Image.fromarray(np.ascontiguousarray(bar)), (x, 0))
    draw = ImageDraw.Draw(out)
    draw.rectangle([x, 0, x + width - 1, h - 1], outline=(90, 90, 90))
    for t, y, anchor in zip(labels, (0, h // 2, h - 1), ("lt", "lm", "lb")):
        draw.text((x + width + 4, y), t, fill=(0, 0, 0), font=f, anchor=anchor)
    return out


def montage(maps, cols=None, tile=None, gap=4, signed=None, cmap=None):
    """All channels of a (C, H, W) stack as one tiled image with shared colour limits."""
    maps = np.asarray(maps, dtype=np.float32)
    c, h, w = maps.shape
    cols = cols or int(np.ceil(np.sqrt(c)))
    rows = int(np.ceil(c / cols))
    tile = tile or 96
    if max(h, w) > tile:  # large maps: show every step-th pixel so that the montage stays small
        step = int(np.ceil(max(h, w) / tile))
        maps = maps[:, ::step, ::step]
        c, h, w = maps.shape
    vmin, vmax, auto = limits(maps, signed)
    scale = max(1, tile // max(h, w))
    th, tw = h * scale, w * scale
    canvas = np.full((rows * (th + gap) - gap, cols * (tw + gap) - gap, 3), 255, np.uint8)
    rgb = colorize(maps.reshape(c * h, w), cmap or auto, vmin, vmax).reshape(c, h, w, 3)
    if scale > 1:
        rgb = np.repeat(np.repeat(rgb, scale, axis=1), scale, axis=2)
    for k in range(c):
        r, q = divmod(k, cols)
        canvas[r * (th + gap):r * (th + gap) + th, q * (tw + gap):q * (tw + gap) + tw] = rgb[k]
    return canvas
