"""The fast path behind `conv2d` and `Conv2D`: im2col and one matrix product, forward and back.

Callers have checked the arguments; these functions take arrays and resolved int pairs.

Two ways to build the window matrix ``cols`` of shape (C*KH*KW, N*L), whose product with
``W.reshape(F, C*KH*KW)`` is the convolution:

- stride 1 (most layers): every window row of one channel is a *contiguous* run of the padded
  input if each output row is computed over the full padded width Wp (the last Wp - OW outputs
  of every row wrap around and are thrown away). Copying runs of OH*Wp numbers instead of OW is
  what makes this path fast; the waste is Wp / OW, a few per cent on photos.
- any stride: a strided view of all windows, copied (runs of OW numbers).

For a few large maps (one filter over a photo) adding KH*KW shifted copies of the input beats
both. Scratch arrays live in a `_Workspace`; arrays returned to callers are always new.

Grouped convolution (``groups`` G > 1, w of shape (F, C/G, KH, KW)): the rows of ``cols`` are
ordered by channel, so group g's rows are one contiguous block; the G products of each group's
filters with its block are one batched matrix product.
"""

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

__all__ = []  # private module


class _Workspace:
    """Scratch arrays reused from call to call, by name.

    A fresh multi-megabyte array costs page faults every time it is allocated (the allocator hands
    large blocks back to the system when they are freed); on course-sized batches that doubled
    the time of a convolution. Each `Conv2D` layer keeps its own workspace (its ``cols`` must
    survive until its backward pass); the functions share one per thread.
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
    """Sizes of one convolution, and which way its window matrix was built."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups=1):
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


def _padded(x, g, workspace, name="xpad"):
    """The input with zero padding (and the extra rows of the stride-1 path), in the workspace."""
    (ph, pw) = g.padding
    buf = workspace.get(name, (g.n, g.c, g.hp + g.extra, g.wp), x.dtype)
    if ph or pw or g.extra:
        buf[...] = 0
    buf[:, :, ph:ph + g.h, pw:pw + g.w] = x
    return buf


def _im2col(x, g, workspace):
    """The window matrix (C*KH*KW, N*OH*row) of ``x`` for geometry ``g``."""
    xp = _padded(x, g, workspace)
    (dh, dw), (sh, sw) = g.dilation, g.stride
    if g.runs:
        s_n, s_c, s_h, s_w = xp.strides
        windows = as_strided(xp, shape=(g.c, g.kh, g.kw, g.n, g.oh * g.wp),
                             strides=(s_c, dh * s_h, dw * s_w, s_n, s_w), writeable=False)
    else:
        span_h, span_w = dh * (g.kh - 1) + 1, dw * (g.kw - 1) + 1
        win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
        win = win[:, :, :(g.oh - 1) * sh + 1:sh, :(g.ow - 1) * sw + 1:sw, ::dh, ::dw]
        windows = win.transpose(1, 4, 5, 0, 2, 3)
    cols = workspace.get("cols", windows.shape, x.dtype)
    np.copyto(cols, windows)
    return cols.reshape(g.c * g.kh * g.kw, -1)


def _per_group(a, g):
    """View a (rows, cols) matrix as (G, rows / G, cols): one block of rows per group."""
    return a.reshape(g.groups, a.shape[0] // g.groups, a.shape[1])


def forward(x, w, b, stride, padding, dilation, groups=1, workspace=None):
    """Return (out, ctx): the convolution (N, F, OH, OW) and what `backward` needs.

    Without a ``workspace`` (the functions) the shared one is used and ``ctx`` must not be kept;
    a layer passes its own, so its ``ctx`` stays valid until its next forward pass.
    """
    dtype = np.result_type(x.dtype, w.dtype, *([] if b is None else [b.dtype]))
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    g = _Geometry(x.shape, w.shape, stride, padding, dilation, groups)
    if workspace is None and groups == 1 and g.n * g.f * g.c <= 4 and g.hp * g.wp >= 4096:
        out = _shifted_sum(x, w, g)
        ctx = None
    else:
        workspace = workspace or _shared_workspace()
        cols = _im2col(x, g, workspace)
        prod = workspace.get("prod", (g.f, cols.shape[1]), dtype)
        if groups == 1:
            np.matmul(w.reshape(g.f, -1), cols, out=prod)
        else:
            np.matmul(_per_group(w.reshape(g.f, -1), g), _per_group(cols, g),
                      out=_per_group(prod, g))
        out = np.empty((g.n, g.f, g.oh, g.ow), dtype)
        np.copyto(out, prod.reshape(g.f, g.n, g.oh, g.row)[..., :g.ow].transpose(1, 0, 2, 3))
        ctx = (g, cols)
    if b is not None:
        out += b.astype(dtype, copy=False)[None, :, None, None]
    return out, ctx


def _shifted_sum(x, w, g):
    """Few large maps: add KH*KW shifted, scaled copies of the input (no window matrix)."""
    xp = np.zeros((g.n, g.c, g.hp, g.wp), x.dtype)
    (ph, pw), (dh, dw), (sh, sw) = g.padding, g.dilation, g.stride
    xp[:, :, ph:ph + g.h, pw:pw + g.w] = x
    out = np.zeros((g.n, g.f, g.oh, g.ow), dtype=x.dtype)
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
    return out


def backward(dout, ctx, w, workspace, dw_out):
    """Gradients of the convolution: returns dx (new array); writes dW into ``dw_out``.

    Parameters
    ----------
    dout : ndarray, shape (N, F, OH, OW)
    ctx : what `forward` returned with this ``workspace``
    w : ndarray, shape (F, C/G, KH, KW)
    workspace : the layer's `_Workspace`
    dw_out : ndarray, shape (F, C/G, KH, KW), written in place

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    db : ndarray, shape (F,)
    """
    g, cols = ctx
    dtype = np.result_type(dout.dtype, w.dtype)
    # dout laid out like the forward product: (F, N, OH, row), zero in the wrapped columns
    dmat = workspace.get("dout", (g.f, g.n, g.oh, g.row), dtype)
    if g.row != g.ow:
        dmat[..., g.ow:] = 0
    dmat[..., :g.ow] = dout.transpose(1, 0, 2, 3)
    dmat = dmat.reshape(g.f, -1)
    db = dout.sum(axis=(0, 2, 3))
    dcols = workspace.get("dcols", (g.c * g.kh * g.kw, dmat.shape[1]), dtype)
    if g.groups == 1:
        np.matmul(dmat, cols.T, out=dw_out.reshape(g.f, -1))
        np.matmul(w.reshape(g.f, -1).T, dmat, out=dcols)
    else:
        dm, wm = _per_group(dmat, g), _per_group(w.reshape(g.f, -1), g)
        np.matmul(dm, _per_group(cols, g).transpose(0, 2, 1), out=_per_group(dw_out.reshape(g.f, -1), g))
        np.matmul(wm.transpose(0, 2, 1), dm, out=_per_group(dcols, g))
    dcols = dcols.reshape(g.c, g.kh, g.kw, g.n, g.oh, g.row)
    dxp = workspace.get("dxpad", (g.n, g.c, g.hp + g.extra, g.wp), dtype)
    dxp[...] = 0
    (ph, pw), (dh, dw), (sh, sw) = g.padding, g.dilation, g.stride
    if g.runs:
        flat = dxp.reshape(g.n, g.c, -1)
        length = g.oh * g.wp
        for i in range(g.kh):
            for j in range(g.kw):
                start = i * dh * g.wp + j * dw
                flat[:, :, start:start + length] += (
                    dcols[:, i, j].reshape(g.c, g.n, length).transpose(1, 0, 2))
    else:
        for i in range(g.kh):
            for j in range(g.kw):
                r, s = i * dh, j * dw
                dxp[:, :, r:r + sh * (g.oh - 1) + 1:sh, s:s + sw * (g.ow - 1) + 1:sw] += (
                    dcols[:, i, j].transpose(1, 0, 2, 3))
    dx = np.empty((g.n, g.c, g.h, g.w), dtype)
    np.copyto(dx, dxp[:, :, ph:ph + g.h, pw:pw + g.w])
    return dx, db
