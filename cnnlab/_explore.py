"""The numbers behind the convolution, pooling and parameter explorers, shared by the widgets
(:mod:`cnnlab.widgets`) and their static twins (:mod:`cnnlab.viz`).

All arithmetic goes through cnnlab's own functions (correlate2d, conv2d, pool2d, output_size);
this module only arranges their inputs and outputs for drawing. Settings that do not fit raise
the library's ValueError, whose message the widgets show to the learner. Plain NumPy: no
matplotlib, no ipywidgets.
"""

import numpy as np

from ._display import fmt_value, is_small
from .activations import relu as _relu
from .convolution import conv2d, convolve2d, correlate2d, output_size, pad2d
from .pooling import POOL_MODES, pool2d

__all__ = []  # private module

#: The pooling explorer's modes (the library's list).
MODES = POOL_MODES

#: Photos and feature maps larger than this on their longer side are shrunk for the explorers,
#: so that every slider move stays well under 100 ms (512 x 512, the cameraman, is drawn as is).
MAX_PHOTO = 512

#: Padded grids larger than this a side are too big to draw cell by cell (numbers in the cells).
MAX_GRID = 40

#: The classic example of a 2-D convolution (it gives [[4, 3, 4], [2, 4, 3], [2, 3, 4]]).
CLASSIC_IMAGE = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
                          [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
CLASSIC_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def default_photo():
    """The 512 x 512 grayscale cameraman photograph (uint8)."""
    from .data import load_photo

    return load_photo("camera")


def small_matrix(rows=6, cols=6, seed=0, high=10):
    """A reproducible small integer matrix (values 0..high-1) for numbered demos."""
    return np.random.default_rng(seed).integers(0, high, size=(rows, cols))


def demo_feature_map(photo=None):
    """A real feature map: ReLU of the Sobel-x response of a photo (cameraman by default)."""
    from .viz.kernels import get_kernel

    photo = default_photo() if photo is None else photo
    return _relu(correlate2d(np.asarray(photo, np.float32), get_kernel("sobel x").astype(np.float32)))


def as_work_array(image):
    """Photos become float32 (fast), small matrices float64 (exact numbers in the cells)."""
    image = np.asarray(image)
    return image.astype(np.float64 if is_small(image) else np.float32)


def conv_output(image, kernel, stride=1, padding=0, relu=False):
    """Cross-correlate a (H, W) or (H, W, 3) image with a (KH, KW) kernel, per colour channel.

    Returns (OH, OW) or (OH, OW, 3).
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel, dtype=image.dtype if image.dtype.kind == "f" else np.float64)
    if image.ndim == 3:
        x = np.ascontiguousarray(image.transpose(2, 0, 1))[:, None]
        out = conv2d(x, kernel[None, None], stride=stride, padding=padding)[:, 0]
        out = out.transpose(1, 2, 0)
    else:
        out = correlate2d(image, kernel, stride=stride, padding=padding)
    return _relu(out) if relu else out


def padded(image, padding):
    """The input with its zero padding, (H + 2p, W + 2p[, 3])."""
    image = np.asarray(image)
    if image.ndim == 3:
        return pad2d(image.transpose(2, 0, 1), padding).transpose(1, 2, 0)
    return pad2d(image, padding)


def size_formula(n, f, stride=1, padding=0, dilation=1):
    """(value, text): the output length and the formula with the numbers filled in.

    Raises the library's ValueError when nothing fits.
    """
    value = output_size(n, f, stride=stride, padding=padding, dilation=dilation)
    if dilation == 1:
        general = "\u230a(n + 2p \u2212 f) / s\u230b + 1"
        filled = f"\u230a({n} + 2\u00b7{padding} \u2212 {f}) / {stride}\u230b + 1"
    else:
        general = "\u230a(n + 2p \u2212 d(f \u2212 1) \u2212 1) / s\u230b + 1"
        filled = (f"\u230a({n} + 2\u00b7{padding} \u2212 {dilation}\u00b7({f} \u2212 1) \u2212 1)"
                  f" / {stride}\u230b + 1")
    return value, f"{general} = {filled} = {value}"


def stepper_state(image, kernel, stride, padding, position):
    """Everything the sliding-window stepper shows at ``position`` (row-major output index).

    Returns a dict with the padded input, the full output, the output shape, the current output
    cell (i, j), the window's top-left corner in padded coordinates, the element-wise products
    and their sum.
    """
    out = correlate2d(image, kernel, stride=stride, padding=padding)
    xp = pad2d(image, padding)
    oh, ow = out.shape
    position = int(np.clip(position, 0, oh * ow - 1))
    i, j = divmod(position, ow)
    kh, kw = np.shape(kernel)
    r0, c0 = i * stride, j * stride
    products = xp[r0:r0 + kh, c0:c0 + kw] * np.asarray(kernel, dtype=float)
    filled = (np.arange(oh * ow) <= position).reshape(oh, ow)
    return {"padded": xp, "output": out, "cell": (i, j), "corner": (r0, c0),
            "products": products, "sum": float(products.sum()), "count": oh * ow,
            "position": position, "filled": filled}


def sum_text(window, kernel, total, limit=12):
    """``a×b + c×d + ... = total`` for the current window (shortened after ``limit`` terms)."""
    terms = [f"{fmt_value(a)}\u00d7{fmt_value(b)}" for a, b in zip(np.ravel(window), np.ravel(kernel))]
    if len(terms) > limit:
        terms = terms[:limit] + ["\u2026"]
    return " + ".join(terms) + f" = {fmt_value(total)}"


def arithmetic_state(n, f, stride=1, padding=0, dilation=1, position=0):
    """Which padded-input cells each output cell sees (square input and filter).

    Returns a dict: ``out`` (output length), ``coverage`` ((n+2p, n+2p) counts of output cells
    that see each cell; 0 marks cells no window reaches), ``taps`` (bool mask of the cells the
    output cell at ``position`` sees) and ``cell`` (its row, col).
    """
    out = output_size(n, f, stride=stride, padding=padding, dilation=dilation)
    size = n + 2 * padding
    offsets = np.arange(f) * dilation
    starts = np.arange(out) * stride
    rows = (starts[:, None] + offsets[None, :])          # (out, f) padded row indices
    line = np.zeros(size, int)
    np.add.at(line, rows.ravel(), 1)
    coverage = np.outer(line, line)
    position = int(np.clip(position, 0, out * out - 1))
    i, j = divmod(position, out)
    taps = np.zeros((size, size), bool)
    taps[np.ix_(rows[i], rows[j])] = True
    return {"out": out, "coverage": coverage, "taps": taps, "cell": (i, j), "size": size,
            "position": position}


def pool_state(x, size, stride, mode, position=0):
    """Pooling output and the window at ``position`` (row-major): dict with ``output``,
    ``cell`` (i, j), ``corner`` (r0, c0) and ``window`` (the values under it)."""
    out = pool2d(x, size, stride, mode)
    oh, ow = out.shape
    position = int(np.clip(position, 0, oh * ow - 1))
    i, j = divmod(position, ow)
    r0, c0 = i * stride, j * stride
    window = np.asarray(x)[r0:r0 + size, c0:c0 + size]
    return {"output": out, "cell": (i, j), "corner": (r0, c0), "window": window,
            "position": position, "count": oh * ow}


def pool_windows(shape, size, stride):
    """(r0, c0, size, size) of every pooling window, row by row, for an output of ``shape``."""
    oh, ow = shape
    return [(i * stride, j * stride, size, size) for i in range(oh) for j in range(ow)]


def taps_boxes(taps):
    """(r, c, 1, 1) of every cell an output cell sees (the True cells of ``taps``)."""
    rows, cols = np.nonzero(taps)
    return [(int(r), int(c), 1, 1) for r, c in zip(rows, cols)]


def param_counts(size, channels, hidden, filters, filter_size):
    """Weights + biases of a fully-connected first layer and of a convolution layer.

    Dense: (size * size * channels) * hidden + hidden. Conv: (filter_size**2 * channels + 1) *
    filters, which does not depend on the image size.
    """
    inputs = size * size * channels
    return {"inputs": inputs, "dense": inputs * hidden + hidden,
            "conv": (filter_size * filter_size * channels + 1) * filters}


def as_samples(images, func="feature_map_explorer"):
    """(N, H, W) or (N, C, H, W) -> (N, C, H, W) float64, checked."""
    x = np.asarray(images)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{func}: images must be an array of numbers, got dtype {x.dtype}")
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[0] < 1:
        raise ValueError(f"{func}: images must have shape (N, H, W) or (N, C, H, W), got {x.shape}")
    return x.astype(np.float64)


def layer_outputs(model, image):
    """Run one (C, H, W) sample through the model's layers: list of (name, output) per layer,
    each output without its batch axis."""
    x = np.asarray(image, dtype=np.float64)[None]
    results = []
    for layer in model.layers:
        x = layer.forward(x)
        results.append((layer.name, x[0]))
    return results


def flip_state(image, kernel, stride=1, padding=0):
    """Correlation and convolution of the same image and kernel, and the flipped kernel."""
    kernel = np.asarray(kernel, dtype=float)
    corr = correlate2d(image, kernel, stride=stride, padding=padding)
    conv = convolve2d(image, kernel, stride=stride, padding=padding)
    return {"flipped": kernel[::-1, ::-1], "correlation": corr, "convolution": conv,
            "difference": float(np.max(np.abs(corr - conv))) if corr.size else 0.0,
            "symmetric": bool(np.allclose(kernel, kernel[::-1, ::-1]))}


#: What each value of the flip explorer's "step" slider shows.
FLIP_STEPS = ("the filter", "flipped top to bottom", "and left to right (rotated 180\u00b0)")


def flip_step(kernel, step):
    """The kernel after ``step`` flips: 0 none, 1 rows reversed, 2 rows and columns reversed."""
    kernel = np.asarray(kernel)
    return kernel if step == 0 else kernel[::-1] if step == 1 else kernel[::-1, ::-1]


# ------------------------------------------------------------------------------ huge inputs
def shrink(image, limit=MAX_PHOTO):
    """``image`` (H, W) or (H, W, 3) with every k x k block averaged, k the smallest factor
    that brings its longer side to at most ``limit`` (edge rows and columns that do not fill a
    block are dropped); k = 1 returns it unchanged. Returns (image, k). Integer photos stay
    integer (rounded), floats keep their dtype."""
    image = np.asarray(image)
    h, w = image.shape[:2]
    k = -(-max(h, w) // limit)
    if k <= 1:
        return image, 1
    oh, ow = max(h // k, 1), max(w // k, 1)
    kh, kw = min(k, h), min(k, w)
    crop = image[:oh * kh, :ow * kw].astype(np.float32)
    blocks = crop.reshape(oh, kh, ow, kw, *image.shape[2:]).mean(axis=(1, 3))
    if image.dtype.kind in "biu":
        blocks = np.rint(blocks).astype(image.dtype)
    else:
        blocks = blocks.astype(image.dtype)
    return blocks, k


def shrink_note(name, before, after, k):
    """The sentence an explorer shows when it shrank its input."""
    return (f"The {name} ({before[0]}\u00d7{before[1]}) is drawn shrunk to "
            f"{after[0]}\u00d7{after[1]} (each {k}\u00d7{k} block averaged), so that the "
            f"sliders stay fast; pass a smaller {name} (at most {MAX_PHOTO} pixels a side) to see "
            "every pixel.")


class TooBig(ValueError):
    """An input too large to draw; its message says what to do (no hint is added to it)."""


def check_grid(func, n, padding):
    """`TooBig` (a ValueError) when an (n + 2p) x (n + 2p) grid is too big to draw cell by
    cell."""
    size = n + 2 * padding
    if size > MAX_GRID:
        raise TooBig(f"{func}: a {size}\u00d7{size} grid (input {n} + 2\u00b7padding {padding}) "
                     f"is too big to draw cell by cell (at most {MAX_GRID} a side); choose a "
                     "smaller input size or padding")
