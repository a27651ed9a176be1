"""The drawing policy the explorers (:mod:`cnnlab.widgets`) and their static twins
(:mod:`cnnlab.viz`) share: colours, colour limits, number formats and what counts as padding.

Both sides colour with :func:`colorize` and :func:`cell_colors`, write numbers with
:func:`cell_texts`, and choose how a feature map is shown with :func:`map_display`, so that a
widget and its twin always agree. Plain NumPy: matplotlib is imported only when a colour map's
lookup table is first needed, so ``import cnnlab`` stays free of it.
"""

import functools

import numpy as np

__all__ = []  # private module

#: Colour maps that colour-blind viewers can read; diverging maps are centred on zero.
SEQUENTIAL = "cividis"
DIVERGING = "RdBu_r"
PHOTO = "gray"

#: Colours used for outlines and highlights (Okabe-Ito palette, colour-blind safe), as 0..255 RGB.
HIGHLIGHT = (230, 159, 0)   # orange: the current window
SECOND = (0, 114, 178)      # blue: the output cell / other windows
PAD_TINT = (225, 225, 225)  # light grey: padding cells
PAD_TEXT = (120, 120, 120)  # grey numbers in padding cells
GRID = (90, 90, 90)
BLACK, WHITE = (0, 0, 0), (255, 255, 255)

#: Inputs at most this many rows and columns are drawn as numbered grids, larger ones as photos.
SMALL = 16


def unit_rgb(color):
    """A 0..255 RGB triple as matplotlib's 0..1 triple."""
    return tuple(c / 255 for c in color)


def hex_rgb(color):
    """A 0..255 RGB triple as ``"#rrggbb"``."""
    return "#{:02x}{:02x}{:02x}".format(*color)


@functools.lru_cache(maxsize=None)
def lut(name):
    """The colour map ``name`` as a (256, 3) uint8 lookup table."""
    import matplotlib

    return matplotlib.colormaps[name](np.linspace(0.0, 1.0, 256), bytes=True)[:, :3].copy()


def is_small(a):
    """True for arrays drawn as numbered grids."""
    return max(np.shape(a)[:2]) <= SMALL


def limits(a, signed=None):
    """Colour limits (vmin, vmax, cmap) for ``a``: symmetric and diverging when it has signs
    (or ``signed`` is True), its range in cividis otherwise."""
    a = np.asarray(a)
    if a.size == 0:
        return 0.0, 1.0, SEQUENTIAL
    lo, hi = float(a.min()), float(a.max())
    if signed is None:
        signed = lo < 0
    if signed:
        m = max(abs(lo), abs(hi)) or 1.0
        return -m, m, DIVERGING
    if hi == lo:
        hi = lo + 1.0
    return lo, hi, SEQUENTIAL


def bright_max(a, q=99.5):
    """An upper colour limit for sparse maps (edge responses): the ``q``-th percentile, so that
    a few very strong pixels do not make the rest invisible."""
    a = np.asarray(a)
    if a.size == 0:
        return 1.0
    top = float(np.percentile(a, q))
    return top if top > 0 else float(a.max()) or 1.0


def value_range(image):
    """The display range of a photo: (0, 1) or (0, 255) when its values fit, else its own."""
    image = np.asarray(image)
    lo, hi = (float(image.min()), float(image.max())) if image.size else (0.0, 1.0)
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if lo >= 0 and hi <= 255:
        return 0.0, 255.0
    return lo, hi if hi > lo else lo + 1.0


def colorize(a, cmap=None, vmin=None, vmax=None):
    """Map a 2-D array to an (H, W, 3) uint8 RGB array through a colour map; an (H, W, 3)
    input is scaled from vmin..vmax (default 0..255) into 0..255 as a photo."""
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 3:  # colour photo or colour feature map: scale into 0..255
        lo = 0.0 if vmin is None else vmin
        hi = 255.0 if vmax is None else vmax
        scaled = (a - lo) * (255.0 / max(hi - lo, 1e-12))
        return np.clip(scaled, 0, 255).astype(np.uint8)
    auto_lo, auto_hi, auto_cmap = limits(a)
    vmin = auto_lo if vmin is None else vmin
    vmax = auto_hi if vmax is None else vmax
    scale = 255.0 / max(vmax - vmin, 1e-12)
    idx = np.clip((a - vmin) * scale, 0, 255).astype(np.uint8)
    return lut(cmap or auto_cmap)[idx]


def to_gray8(a, value_range=(0.0, 255.0)):
    """A photo (H, W) or (H, W, 3) scaled from ``value_range`` into uint8 0..255."""
    lo, hi = value_range
    a = np.asarray(a, dtype=np.float32)
    return np.clip((a - lo) * (255.0 / max(hi - lo, 1e-12)), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------ numbered grids
def is_integer_valued(a):
    """True when every value of ``a`` is a whole number (then the cells show no decimals)."""
    a = np.asarray(a, dtype=np.float64)
    return bool(np.all(np.abs(a - np.round(a)) < 1e-9))


def fmt_number(v, integers):
    """Short text for one cell value (``integers``: the whole grid holds whole numbers)."""
    if integers:
        return f"{int(round(v))}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != 0 else "0"


def fmt_value(v):
    """Short text for one value on its own: no decimals when it is a whole number."""
    return fmt_number(v, is_integer_valued(v))


def pad_pair(pad):
    """``pad`` (an int or a (rows, cols) pair) as a pair."""
    return (pad, pad) if np.ndim(pad) == 0 else (int(pad[0]), int(pad[1]))


def pad_mask(shape, pad):
    """Bool mask of the padding cells of a padded (rows, cols) grid: the outer ``pad`` rows
    and columns (``pad`` an int or a (rows, cols) pair)."""
    rows, cols = shape
    pr, pc = pad_pair(pad)
    mask = np.ones((rows, cols), bool)
    mask[pr:rows - pr, pc:cols - pc] = False
    return mask


def cell_colors(a, cmap=None, vmin=None, vmax=None, pad=0, mask=None):
    """(H, W, 3) uint8 colours of a numbered grid: the colour map over the values, padding
    cells light grey, cells outside ``mask`` white."""
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return np.zeros(a.shape + (3,), np.uint8)
    auto_lo, auto_hi, auto_cmap = limits(a)
    rgb = colorize(a, cmap or auto_cmap, auto_lo if vmin is None else vmin,
                   auto_hi if vmax is None else vmax)
    if any(pad_pair(pad)):
        rgb[pad_mask(a.shape, pad)] = PAD_TINT
    if mask is not None:
        rgb[~np.asarray(mask, bool)] = 255
    return rgb


def text_color(rgb, padded=False):
    """Black on light cells, white on dark ones, grey in padding cells (0..255 RGB)."""
    if padded:
        return PAD_TEXT
    r, g, b = (int(c) for c in rgb)
    return BLACK if 0.299 * r + 0.587 * g + 0.114 * b > 140 else WHITE


def cell_texts(a, rgb, fmt=None, pad=0, mask=None):
    """The numbers of a grid to write: a list of (row, col, text, 0..255 RGB text colour), one
    per cell shown (cells outside ``mask`` are left empty). ``fmt`` is a format such as
    ``"{:.2f}"``; default: whole numbers without decimals, others short."""
    a = np.asarray(a, dtype=np.float64)
    integers = is_integer_valued(a)
    padded = pad_mask(a.shape, pad) if a.size else np.zeros(a.shape, bool)
    out = []
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if mask is not None and not mask[i, j]:
                continue
            text = fmt.format(a[i, j]) if fmt else fmt_number(a[i, j], integers)
            out.append((i, j, text, text_color(rgb[i, j], padded[i, j])))
    return out


# ------------------------------------------------------------------------- feature maps
def padding_band(padding, stride=1):
    """How many outer rows (and columns) of a feature map see some of the zero padding:
    ``ceil(padding / stride)``."""
    return -(-int(padding) // max(int(stride), 1))


def map_display(out, small, value_range=(0.0, 255.0), border=0):
    """How a feature map is shown, the same in an explorer and its twin.

    A small map (``small``) is a numbered grid on its own limits (colour maps: the channel mean).
    A large one is a picture: in the photo's grey scale while it stays inside the photo's
    ``value_range``; else on a diverging map with limits symmetric about zero (set by the
    strong responses, not the few strongest) when it has signs; else cividis from its minimum.

    Returns a dict: ``kind`` ("grid", "rgb" or "map"), ``array`` (what to draw: the grid, the
    (H, W, 3) uint8 picture, or the map), and for "map" ``cmap``, ``vmin``, ``vmax`` and
    ``colorbar`` (whether the colours mean something other than the photo's grey).

    ``border``: the width of the outer band of the map whose windows reach into zero padding
    (`padding_band`). Its false edges (photo against zeros) would set the colour limits and wash
    the real edges out, so the colour limits come from the map inside the band (the kind of
    map, grey, diverging or sequential, still from the whole map); ``"border"`` in the result
    says how wide the ignored band was (0: none).
    """
    out = np.asarray(out)
    if small:
        return {"kind": "grid", "array": out.mean(axis=2) if out.ndim == 3 else out}
    b = int(border)
    core = out[b:out.shape[0] - b, b:out.shape[1] - b] if b else out
    if core.size == 0:
        core, b = out, 0
    lo, hi = (float(out.min()), float(out.max())) if out.size else (0.0, 1.0)
    r_lo, r_hi = value_range
    inside = lo >= r_lo - 1e-9 and hi <= r_hi + 1e-9
    if out.ndim == 3:  # colour output, one map per channel
        if not inside:
            m = max(abs(lo), abs(hi)) or 1.0
            r_lo, r_hi = -m, m
        return {"kind": "rgb", "array": colorize(out, vmin=r_lo, vmax=r_hi), "border": b}
    if inside:
        cmap, vmin, vmax = PHOTO, r_lo, r_hi
    elif lo < 0:
        m = bright_max(np.abs(core))
        cmap, vmin, vmax = DIVERGING, -m, m
    else:
        cmap, vmin, vmax = SEQUENTIAL, lo, bright_max(core)
    return {"kind": "map", "array": out, "cmap": cmap, "vmin": vmin, "vmax": vmax,
            "colorbar": not inside, "border": b}


def sample_picture(img):
    """One (C, H, W) sample of a model's input as a uint8 picture: one channel as (H, W) grey
    from 0 (or its minimum, when negative) to its maximum; else the first three channels as
    (H, W, 3) in the photo's own range (0..1 or 0..255, see `value_range`)."""
    img = np.asarray(img, dtype=np.float32)
    if img.shape[0] == 1:
        lo = min(float(img.min()), 0.0)
        hi = float(img.max())
        return to_gray8(img[0], (lo, hi if hi > lo else lo + 1.0))
    return to_gray8(img[:3].transpose(1, 2, 0), value_range(img[:3]))
