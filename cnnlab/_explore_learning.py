"""The numbers behind the softmax, gradient-descent and receptive-field explorers, shared by the
widgets (:mod:`cnnlab.widgets`) and their static twins (:mod:`cnnlab.viz`). Settings that do not
fit raise the library's ValueError. Plain NumPy: no matplotlib, no ipywidgets."""

import functools

import numpy as np

from ._display import HIGHLIGHT, SECOND
from .activations import softmax
from .losses import cross_entropy
from .receptive import receptive_field

__all__ = []  # private module

#: The logits the softmax explorer starts from (lesson 07's [2.0, 1.0, 0.1] and one more class).
DEFAULT_LOGITS = (2.0, 1.0, 0.1, -1.0)


# ------------------------------------------------------------------------------- softmax
def softmax_state(logits, temperature=1.0, label=0):
    """Probabilities softmax(z / T), the cross-entropy -log p[label] and the prediction."""
    z = np.asarray(logits, dtype=float)
    if not temperature > 0:
        raise ValueError(f"softmax_explorer: temperature must be positive, got {temperature!r}")
    if not 0 <= label < z.size:
        raise ValueError(f"softmax_explorer: label must be a class 0..{z.size - 1}, got {label!r}")
    scaled = z / temperature
    p = softmax(scaled)
    return {"logits": z, "scaled": scaled, "p": p, "label": int(label),
            "loss": float(cross_entropy(scaled[None], [label])),
            "predicted": int(np.argmax(p)), "uniform_loss": float(np.log(z.size))}


# ------------------------------------------------------------------------ edge-filter descent
def lesson08_patches(n=128, size=12, seed=0):
    """Lesson 08's problem: ``n`` seeded ``size`` x ``size`` patches of the cameraman photo
    (0..1, each patch's mean subtracted) and their responses to the Sobel-x filter.

    Returns (patches (N, 1, size, size), targets (N, 1, size - 2, size - 2), sobel (3, 3)).
    """
    from .convolution import conv2d
    from .data import load_photo
    from .viz.kernels import get_kernel

    photo = load_photo("camera") / 255.0
    corners = np.random.default_rng(seed).integers(0, photo.shape[0] - size, size=(n, 2))
    patches = np.stack([photo[r:r + size, c:c + size] for r, c in corners])[:, None]
    patches = patches - patches.mean(axis=(2, 3), keepdims=True)
    sobel = get_kernel("sobel x")
    return patches, conv2d(patches, sobel[None, None]), sobel


class EdgeFilterProblem:
    """Learning one 3 x 3 filter and a bias so that conv(patches) matches the targets, with the
    mean squared error L(w) = mean((conv(x; w) - target)^2), by full-batch gradient descent.

    L is quadratic in the 10 numbers w (9 weights, 1 bias): L(w) = e^T Q e + L_min with
    e = w - w_best and Q = A^T A / M (A: every 3 x 3 window, plus a 1 for the bias, one row per
    output pixel; M rows). So each step costs a 10 x 10 product, exactly the gradient
    conv2d's backward pass gives (tests compare with Conv2D and SGD step by step).
    """

    def __init__(self, patches, targets, start):
        from numpy.lib.stride_tricks import sliding_window_view

        x = np.asarray(patches, dtype=float)[:, 0]
        windows = sliding_window_view(x, (3, 3), axis=(1, 2)).reshape(-1, 9)
        a = np.hstack([windows, np.ones((len(windows), 1))])
        t = np.asarray(targets, dtype=float).reshape(-1)
        self.q = a.T @ a / len(a)
        self.best, *_ = np.linalg.lstsq(a, t, rcond=None)
        self.min_loss = float(np.mean((a @ self.best - t) ** 2))
        self.start = np.asarray(start, dtype=float).reshape(10)
        #: Largest curvature: plain descent is stable for lr < 2 / lam_max.
        self.lam_max = float(2 * np.linalg.eigvalsh(self.q)[-1])
        self.lam_min = float(2 * np.linalg.eigvalsh(self.q)[0])

    def loss(self, w):
        e = w - self.best
        return max(float(e @ self.q @ e), 0.0) + self.min_loss

    def run(self, lr, momentum=0.0, steps=100, blow_up=1e4):
        """Losses after 0..steps updates (``velocity = momentum * velocity - lr * grad``,
        ``w += velocity``, as `cnnlab.train.SGD`), the final weights, and the step at which the
        loss passed ``blow_up`` times its start (None if it did not: it stops there)."""
        h = lr * 2 * self.q  # lr times the Hessian: lr * grad = h @ w - hb
        hb = h @ self.best
        w = self.start.copy()
        v = np.zeros(10)
        ws = np.empty((steps + 1, 10))
        ws[0] = w
        for step in range(1, steps + 1):
            v = momentum * v - (h @ w - hb)
            w = w + v
            ws[step] = w
            if step % 8 == 0 and np.abs(w).max() > 1e8:  # far past any blow-up: stop before
                ws = ws[:step + 1]                         # the floats overflow
                break
        e = ws - self.best
        losses = np.maximum(np.einsum("ij,jk,ik->i", e, self.q, e), 0.0) + self.min_loss
        over = np.flatnonzero(~np.isfinite(losses) | (losses > blow_up * losses[0]))
        diverged = int(over[0]) if over.size else None
        if diverged is not None:
            losses, w = losses[:diverged + 1], ws[diverged]
        return {"losses": losses, "w": w, "filter": w[:9].reshape(3, 3),
                "bias": float(w[9]), "diverged": diverged}


@functools.lru_cache(maxsize=4)
def lesson08_problem(seed=0):
    """The lesson-08 problem with the start of ``Conv2D(1, 1, 3, rng=seed)`` (bias 0)."""
    from .layers import Conv2D

    patches, targets, sobel = lesson08_patches()
    layer = Conv2D(1, 1, 3, rng=seed)
    start = np.append(layer.params["W"].reshape(9), layer.params["b"])
    problem = EdgeFilterProblem(patches, targets, start)
    problem.target = sobel
    return problem


#: Filter colours: the same symmetric limits for learned and target filters.
FILTER_LIMIT = 2.2


def divergence_text(run):
    """The message shown when a run diverges (None when it does not)."""
    if run["diverged"] is None:
        return None
    losses = run["losses"]
    return (f"The loss diverged: it grew from {losses[0]:.3g} to {losses[-1]:.3g} by step "
            f"{run['diverged']}, so the run stopped there. Each step overshoots the valley's "
            f"steep side; lower the learning rate (below {run['limit']:.2f} here) or the momentum.")


def summary_lines(run, steps):
    """The info text, shared with the static twin."""
    losses = run["losses"]
    done = len(losses) - 1
    lines = [f"after {done} of {steps} steps: loss {losses[0]:.4f} \u2192 {losses[-1]:.4g}; "
             f"largest difference from the Sobel filter {run['distance']:.2f}",
             f"effective step lr / (1 \u2212 momentum) = {run['effective']:.3g}; stable while "
             f"lr < 2(1 + momentum) / \u03bb_max = {run['limit']:.2f} "
             f"(\u03bb_max = steepest curvature of the loss)"]
    if run["plain"] is not None:
        plain = run["plain"]["losses"]
        end = f"{plain[-1]:.4g}" if run["plain"]["diverged"] is None else "diverged"
        lines.append(f"plain descent (no momentum) at the same lr, grey curve: loss {end}")
    return lines


def descent_state(problem, lr, momentum, steps):
    """A run with the given settings, plus plain descent at the same lr for comparison."""
    if not lr > 0:
        raise ValueError(f"gradient_descent_explorer: lr must be positive, got {lr!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"gradient_descent_explorer: momentum must be in [0, 1), got {momentum!r}")
    run = problem.run(lr, momentum, steps)
    run["plain"] = problem.run(lr, 0.0, steps) if momentum else None
    run["effective"] = lr / (1 - momentum)
    run["limit"] = 2 * (1 + momentum) / problem.lam_max
    run["distance"] = float(np.abs(run["filter"] - problem.target).max())
    return run


# ---------------------------------------------------------------------------- receptive field
def field_taps(rf, axis):
    """Offsets, from the field's first pixel, of the input pixels the last layer's output really
    sees along ``axis`` (dilation leaves holes): a sorted int array."""
    taps = np.zeros(1, dtype=int)
    for k, d, j in zip(rf.kernel[1:], rf.dilation[1:], rf.jump[:-1]):
        if k is None:
            continue
        steps = np.arange(k[axis]) * d[axis] * j[axis]
        taps = np.unique((taps[:, None] + steps[None, :]).ravel())
    return taps


def receptive_state(layers, image_hw):
    """Receptive field of the centre output pixel of a stack of (kernel, stride, dilation)
    layers on an image of size ``image_hw``: the table, the pixel, its bounds (unclipped),
    its region (clipped), the taps mask over the region and the right neighbour's bounds."""
    rf = receptive_field(list(layers), input_size=image_hw)
    oh, ow = rf.out_size[-1]
    i, j = oh // 2, ow // 2
    (top, bottom), (left, right) = rf.bounds(i, j)
    h, w = image_hw
    mask = np.zeros((h, w), bool)
    rows = top + field_taps(rf, 0)
    cols = left + field_taps(rf, 1)
    rows, cols = rows[(rows >= 0) & (rows < h)], cols[(cols >= 0) & (cols < w)]
    mask[np.ix_(rows, cols)] = True
    return {"rf": rf, "pixel": (i, j), "out": (oh, ow), "bounds": ((top, bottom), (left, right)),
            "region": rf.region(i, j), "taps": mask,
            "seen": int(len(field_taps(rf, 0)) * len(field_taps(rf, 1))),
            "neighbour": rf.bounds(i, j + 1) if j + 1 < ow else None}


def receptive_formula(rf):
    """The rule with each layer's numbers (rows axis), one line per layer, and plain text."""
    lines = ["r\u2080 = 1, j\u2080 = 1"]
    for n in range(1, len(rf)):
        k, s, d = rf.kernel[n][0], rf.stride[n][0], rf.dilation[n][0]
        r0, j0, r, j = rf.size[n - 1][0], rf.jump[n - 1][0], rf.size[n][0], rf.jump[n][0]
        lines.append(f"layer {n}: r = {r0} + ({k} \u2212 1)\u00b7{d}\u00b7{j0} = {r},  "
                     f"j = {j0}\u00b7{s} = {j}")
    return lines


#: The receptive-field explorer's default stack: conv 3, pool 2, conv 3, pool 2 (LeNet's rhythm).
DEFAULT_FIELD_LAYERS = ((3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1))


def default_field_photo():
    """The cameraman photo at 128 x 128 (every 4th pixel), so that fields are visible."""
    from .data import load_photo

    return load_photo("camera")[::4, ::4]


def overlay_layers(image, fade=0.65):
    """(seen, unseen): the image as (H, W, 3) uint8, and the same faded towards white."""
    a = np.asarray(image, dtype=np.float32)
    lo, hi = (0.0, 255.0) if a.min() >= 0 and a.max() > 1 else (0.0, 1.0)
    if a.min() < 0 or a.max() > 255:
        lo, hi = float(a.min()), float(a.max()) or 1.0
    a = np.clip((a - lo) / max(hi - lo, 1e-12), 0, 1) * 255
    rgb = np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a[:, :, :3]
    return rgb.astype(np.uint8), (rgb * (1 - fade) + 255 * fade).astype(np.uint8)


def receptive_overlay(image, state, layers=None):
    """The image as (H, W, 3) uint8 with every pixel the output pixel does not see faded
    towards white (outside its field, and the holes dilation leaves inside it). ``layers``:
    `overlay_layers` of the image, when already computed."""
    seen, unseen = overlay_layers(image) if layers is None else layers
    return np.where(state["taps"][:, :, None], seen, unseen)


def output_grid(state):
    """The output map as (OH, OW, 3) uint8: light grey, the chosen pixel orange, its right
    neighbour blue."""
    oh, ow = state["out"]
    i, j = state["pixel"]
    grid = np.full((oh, ow, 3), 215, np.uint8)
    if state["neighbour"] is not None:
        grid[i, j + 1] = SECOND
    grid[i, j] = HIGHLIGHT
    return grid


def field_text(state):
    """The info lines (formula with the numbers, then the pixel and its field), shared with the
    static twin."""
    rf = state["rf"]
    (top, bottom), (left, right) = state["bounds"]
    (rows, cols), r = state["region"], rf.size[-1]
    inside = (rows.stop - rows.start) * (cols.stop - cols.start)
    lines = ["each layer: r = r_before + (k \u2212 1)\u00b7d\u00b7j_before,  j = j_before\u00b7s"]
    lines += receptive_formula(rf)[1:]
    i, j = state["pixel"]
    oh, ow = state["out"]
    seen = (f"{state['seen']} of them used (dilation leaves holes)"
            if state["seen"] < r[0] * r[1] else "all of them used")
    lines.append(f"output {oh}\u00d7{ow}; its centre pixel ({i}, {j}) sees rows {top}..{bottom}, "
                 f"columns {left}..{right}: {r[0]}\u00d7{r[1]} pixels, {seen}"
                 + ("" if inside == r[0] * r[1] else f"; {inside} inside the image, the rest "
                                                      "is padding or beyond the border"))
    if state["neighbour"] is not None:
        jump = rf.jump[-1][1]
        lines.append(f"its right neighbour's field (blue) starts {jump} pixel{'s' * (jump != 1)} "
                     "further right: the jump")
    return lines
