"""The fast path behind `conv2d` and `Conv2D`: im2col and a matrix product, tile by tile.

Callers have checked the arguments; these functions take arrays and resolved int pairs.

The convolution is ``W.reshape(F, C*KH*KW) @ cols`` where ``cols`` is the window matrix: one
column per output pixel, holding the C*KH*KW input numbers its window covers. Built for a whole
batch, that matrix is KH*KW times the input (9x for 3 x 3 filters): it is written to main memory
and read back, which costs more than the product itself, and for large batches it does not fit
in memory at all. So the batch is cut into **tiles** small enough for the window matrix to stay
in the processor's cache (a few samples at a time; for one large map, a band of output rows),
and each tile is built, multiplied and written out before the next. Scratch memory is then
bounded by the tile size whatever the batch, and the backward pass rebuilds each tile's window
matrix from the saved input instead of keeping all of it.

Two ways to build a tile's window matrix:

- stride 1 (most layers): every window row of one channel is a *contiguous* run of the padded
  input if each output row is computed over the full padded width Wp (the last Wp - OW outputs
  of every row wrap around and are thrown away). Copying runs of rows*Wp numbers instead of OW
  is what makes this path fast; the waste is Wp / OW, a few per cent on photos.
- any stride: a strided view of the tile's windows, copied (runs of OW numbers).

For a few large maps (one filter over a photo) adding KH*KW shifted copies of the input beats
both. Scratch arrays live in a per-thread `_Workspace`, so threads never share one; arrays
returned to callers are always new.

Grouped convolution (``groups`` G > 1, w of shape (F, C/G, KH, KW)): the rows of ``cols`` are
ordered by channel, so group g's rows are one contiguous block; the G products of each group's
filters with its block are one batched matrix product.
"""

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from .. import _validation as v

__all__ = []  # private module

#: Bytes of window matrix per tile: about the size of a core's L2 cache. Measured on the course
#: machine (2.5 MiB L2): 1-2 MiB tiles ran 1.3-2x faster than whole-batch matrices.
TILE_BYTES = 1 << 20


class _Workspace:
    """Scratch arrays reused from call to call, by name.

    A fresh multi-megabyte array costs page faults every time it is allocated (the allocator hands
    large blocks back to the system when they are freed); on course-sized batches that doubled
    the time of a convolution. One workspace per thread (`_shared_workspace`).
    """

    limit = 64 * 2**20  # larger scratch arrays are not kept

    def __init__(self):
        self._arrays = {}

    def get(self, name, shape, dtype):
        """An uninitialised array of this shape and dtype, the same memory as last time if possible."""
        arr = self._arrays.get(name)
        if arr is None or arr.shape != shape or arr.dtype != dtype:
            arr = np.empty(shape, dtype)
            if arr.nbytes <= self.limit:
                self._arrays[name] = arr
        return arr


_thread_local = threading.local()


def _shared_workspace():
    ws = getattr(_thread_local, "workspace", None)
    if ws is None:
        ws = _thread_local.workspace = _Workspace()
    return ws


class _Geometry:
    """Sizes of one convolution, how its window matrix is built, and how the batch is tiled."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups, itemsize):
        self.n, self.c, self.h, self.w = x_shape
        self.groups = groups
        self.f, _, self.kh, self.kw = w_shape
        self.stride, self.padding, self.dilation = stride, padding, dilation
        (ph, pw), (dh, dw), (sh, sw) = padding, dilation, stride
        self.hp, self.wp = self.h + 2 * ph, self.w + 2 * pw
        self.oh = (self.hp - (dh * (self.kh - 1) + 1)) // sh + 1
        self.ow = (self.wp - (dw * (self.kw - 1) + 1)) // sw + 1
        self.runs = stride == (1, 1)
        # stride 1: each output row spans the full padded width; extra zero rows at the bottom
        # keep the wrapped-around tail of the last window inside the sample
        self.row = self.wp if self.runs else self.ow
        self.extra = -(-(dw * (self.kw - 1)) // self.wp) if self.runs else 0
        self.k = self.c * self.kh * self.kw
        # tiles: `samples` samples at a time, or for large maps one sample in bands of `rows`
        per_row = max(1, self.k * self.row * itemsize)  # k = 0: no input channels
        fit_rows = max(1, TILE_BYTES // per_row)
        if fit_rows >= self.oh:
            self.samples, self.rows = max(1, min(self.n, fit_rows // self.oh)), self.oh
        else:
            self.samples, self.rows = 1, fit_rows

    def tiles(self):
        """(first sample, last sample + 1) chunks, each with its (first row, last row + 1) bands."""
        for n0 in range(0, self.n, self.samples):
            n1 = min(n0 + self.samples, self.n)
            yield n0, n1, [(r0, min(r0 + self.rows, self.oh)) for r0 in range(0, self.oh, self.rows)]


def _padded(x, g, workspace, name="xpad", func="conv2d"):
    """Samples x (n, C, H, W) zero-padded (with the extra rows of the stride-1 path), in scratch.

    A padded tile larger than this machine's memory is a `TooLargeError` naming ``func``.
    """
    (ph, pw) = g.padding
    shape = (len(x), g.c, g.hp + g.extra, g.wp)
    v.check_size(func, shape, x.dtype, "padded input")
    buf = workspace.get(name, shape, x.dtype)
    if ph or pw or g.extra:
        buf[...] = 0
    buf[:, :, ph:ph + g.h, pw:pw + g.w] = x
    return buf


def _im2col(xp, g, r0, r1, workspace):
    """The window matrix (C*KH*KW, n*(r1-r0)*row) of output rows r0..r1 of padded samples xp."""
    (dh, dw), (sh, sw) = g.dilation, g.stride
    n, rows = len(xp), r1 - r0
    if g.runs:
        band = xp[:, :, r0:]  # stride 1: output row r starts at padded row r
        s_n, s_c, s_h, s_w = band.strides
        windows = as_strided(band, shape=(g.c, g.kh, g.kw, n, rows * g.wp),
                             strides=(s_c, dh * s_h, dw * s_w, s_n, s_w), writeable=False)
    else:
        span_h, span_w = dh * (g.kh - 1) + 1, dw * (g.kw - 1) + 1
        win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
        win = win[:, :, r0 * sh:(r1 - 1) * sh + 1:sh, :(g.ow - 1) * sw + 1:sw, ::dh, ::dw]
        windows = win.transpose(1, 4, 5, 0, 2, 3)
    cols = workspace.get("cols", windows.shape, xp.dtype)
    np.copyto(cols, windows)
    return cols.reshape(g.k, -1)


def _per_group(a, g):
    """View a (rows, cols) matrix as (G, rows / G, cols): one block of rows per group."""
    return a.reshape(g.groups, a.shape[0] // g.groups, a.shape[1])


def _matmul(a, b, g, out, transpose_a=False, transpose_b=False):
    """out = a @ b, or group by group (a batched product) when the convolution has groups."""
    if g.groups == 1:
        return np.matmul(a.T if transpose_a else a, b.T if transpose_b else b, out=out)
    a, b = _per_group(a, g), _per_group(b, g)
    return np.matmul(a.transpose(0, 2, 1) if transpose_a else a,
                     b.transpose(0, 2, 1) if transpose_b else b, out=_per_group(out, g))


def _empty(func, shape, dtype, what):
    """np.empty, or a `TooLargeError` (a MemoryError and a ValueError) that names the function,
    the array and its size, before any work when it is larger than this machine's memory."""
    return v.new_array(func, shape, dtype, what)


def context(x, w, stride, padding, dilation, groups=1):
    """What `backward` needs, without running the forward pass (for `conv2d_backward`)."""
    dtype = np.result_type(x.dtype, w.dtype)
    g = _Geometry(x.shape, w.shape, stride, padding, dilation, groups, np.dtype(dtype).itemsize)
    return g, x


def forward(x, w, b, stride, padding, dilation, groups=1, func="conv2d"):
    """Return (out, ctx): the convolution (N, F, OH, OW) and what `backward` needs.

    ``ctx`` holds the geometry and a reference to ``x`` (not a copy, and no window matrix): the
    backward pass rebuilds the windows tile by tile. Scratch comes from the calling thread's own
    workspace.
    """
    dtype = np.result_type(x.dtype, w.dtype, *([] if b is None else [b.dtype]))
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    g = _Geometry(x.shape, w.shape, stride, padding, dilation, groups, np.dtype(dtype).itemsize)
    out = _empty(func, (g.n, g.f, g.oh, g.ow), dtype, "output")
    if g.k == 0:  # no input channels: every output is an empty sum, 0 (plus the bias)
        out[...] = 0
    elif groups == 1 and g.n * g.f * g.c <= 4 and g.hp * g.wp >= 4096:
        _shifted_sum(x, w, g, out, func)
    else:
        ws = _shared_workspace()
        wmat = w.reshape(g.f, g.k // groups)
        for n0, n1, bands in g.tiles():
            xp = _padded(x[n0:n1], g, ws, func=func)
            for r0, r1 in bands:
                cols = _im2col(xp, g, r0, r1, ws)
                prod = ws.get("prod", (g.f, cols.shape[1]), dtype)
                _matmul(wmat, cols, g, out=prod)
                tile = prod.reshape(g.f, n1 - n0, r1 - r0, g.row)[..., :g.ow]
                out[n0:n1, :, r0:r1] = tile.transpose(1, 0, 2, 3)
    if b is not None:
        out += b.astype(dtype, copy=False)[None, :, None, None]
    return out, (g, x)


def _shifted_sum(x, w, g, out, func="conv2d"):
    """Few large maps: add KH*KW shifted, scaled copies of the input (no window matrix)."""
    xp = _padded(x, g, _shared_workspace(), name="xpad_shift", func=func)
    (dh, dw), (sh, sw) = g.dilation, g.stride
    out[...] = 0
    for f in range(g.f):
        for ch in range(g.c):
            for i in range(g.kh):
                for j in range(g.kw):
                    weight = w[f, ch, i, j]
                    if weight == 0:
                        continue
                    r, s = i * dh, j * dw
                    out[:, f] += weight * xp[:, ch, r:r + sh * (g.oh - 1) + 1:sh,
                                             s:s + sw * (g.ow - 1) + 1:sw]


def backward(dout, ctx, w, dw_out, func="conv2d"):
    """Gradients of the convolution, tile by tile: returns (dx, db); writes dW into ``dw_out``.

    Parameters
    ----------
    dout : ndarray, shape (N, F, OH, OW)
    ctx : what `forward` returned
    w : ndarray, shape (F, C/G, KH, KW)
    dw_out : ndarray, shape (F, C/G, KH, KW), written in place

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    db : ndarray, shape (F,)
    """
    g, x = ctx
    dtype = np.result_type(dout.dtype, w.dtype, x.dtype)
    ws = _shared_workspace()
    kg = g.k // g.groups  # window numbers per filter: (C/G)*KH*KW
    wmat = w.reshape(g.f, kg).astype(dtype, copy=False)
    dw_flat = dw_out.reshape(g.f, kg)
    dw_tile = ws.get("dw_tile", (g.f, kg), dtype)
    dx = _empty(func, (g.n, g.c, g.h, g.w), dtype, "input gradient")
    if g.k == 0:  # no input channels: nothing to send back, no weights
        return dx, dout.sum(axis=(0, 2, 3))
    (ph, pw), (dh, dw), (sh, sw) = g.padding, g.dilation, g.stride
    first = True
    for n0, n1, bands in g.tiles():
        n = n1 - n0
        xp = _padded(x[n0:n1].astype(dtype, copy=False), g, ws, func=func)
        dxp = ws.get("dxpad", xp.shape, dtype)
        dxp[...] = 0
        for r0, r1 in bands:
            rows = r1 - r0
            cols = _im2col(xp, g, r0, r1, ws)
            # dout laid out like the forward product: (F, n, rows, row), zero in wrapped columns
            dmat = ws.get("dout", (g.f, n, rows, g.row), dtype)
            if g.row != g.ow:
                dmat[..., g.ow:] = 0
            dmat[..., :g.ow] = dout[n0:n1, :, r0:r1].transpose(1, 0, 2, 3)
            dmat = dmat.reshape(g.f, -1)
            if first:
                _matmul(dmat, cols, g, out=dw_flat, transpose_b=True)
                first = False
            else:
                _matmul(dmat, cols, g, out=dw_tile, transpose_b=True)
                dw_flat += dw_tile
            dcols = ws.get("dcols", (g.k, dmat.shape[1]), dtype)
            _matmul(wmat, dmat, g, out=dcols, transpose_a=True)
            dcols = dcols.reshape(g.c, g.kh, g.kw, n, rows, g.row)
            if g.runs:
                flat = dxp.reshape(n, g.c, -1)
                length = rows * g.wp
                for i in range(g.kh):
                    for j in range(g.kw):
                        start = (r0 + i * dh) * g.wp + j * dw
                        flat[:, :, start:start + length] += (
                            dcols[:, i, j].reshape(g.c, n, length).transpose(1, 0, 2))
            else:
                for i in range(g.kh):
                    for j in range(g.kw):
                        r, s = r0 * sh + i * dh, j * dw
                        dxp[:, :, r:r + sh * (rows - 1) + 1:sh, s:s + sw * (g.ow - 1) + 1:sw] += (
                            dcols[:, i, j].transpose(1, 0, 2, 3))
        dx[n0:n1] = dxp[:, :, ph:ph + g.h, pw:pw + g.w]
    if first:  # an empty batch: no tile wrote the weights' gradient
        dw_flat[...] = 0
    db = dout.sum(axis=(0, 2, 3))
    return dx, db
