"""cnnlab/ops/_conv_fast.py: the tiled fast path, its memory bound and its use from several threads.

The other convolution tests run on inputs small enough to fit one tile. Here the tile size is
made tiny so that every way of cutting a batch (several samples per tile, one sample in bands
of rows, bands of one row) is compared with the loop reference and the numerical gradients.
"""

import contextlib
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab as cl
from cnnlab import _conv_fast
from cnnlab import reference as ref
from cnnlab.gradcheck import check_layer


@contextlib.contextmanager
def tile_bytes(n):
    old = _conv_fast.TILE_BYTES
    _conv_fast.TILE_BYTES = n
    try:
        yield
    finally:
        _conv_fast.TILE_BYTES = old


@pytest.mark.parametrize("tile", [1, 200, 2_000, 1 << 20])
@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
def test_tiles_cover_every_output_row_of_every_sample_once(tile, stride):
    with tile_bytes(tile):
        g = _conv_fast._Geometry((5, 3, 9, 7), (2, 3, 3, 3), stride, (1, 1), (1, 1), 1, 8)
    seen = np.zeros((g.n, g.oh), int)
    for n0, n1, bands in g.tiles():
        for r0, r1 in bands:
            seen[n0:n1, r0:r1] += 1
    assert seen.min() == seen.max() == 1
    assert (g.samples, g.rows) != (5, g.oh) or tile >= 1 << 20  # small tiles really do cut


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_tiled_forward_and_backward_equal_the_reference(data):
    groups = data.draw(st.integers(1, 2))
    n = data.draw(st.integers(1, 3))
    c, f = groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2))
    kh, kw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    padding = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 9))
    w = data.draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 9))
    tile = data.draw(st.sampled_from([1, 150, 1_500, 1 << 20]))
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w))
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    layer = cl.Conv2D(c, f, (kh, kw), rng=seed, **kwargs)
    layer.params["b"][...] = rng.normal(size=f)
    with tile_bytes(tile):
        np.testing.assert_allclose(cl.conv2d(x, layer.params["W"], layer.params["b"], **kwargs),
                                   ref.conv2d(x, layer.params["W"], layer.params["b"], **kwargs),
                                   atol=1e-10)
        report = check_layer(layer, x, rng=seed)
    assert report.passed, str(report)


def test_tiled_gradients_equal_untiled_ones_on_a_batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4, 12, 10))
    layer = cl.Conv2D(4, 5, 3, padding=1, rng=1)
    dout = rng.normal(size=(6, 5, 12, 10))
    results = []
    for tile in (1 << 20, 700, 1):  # one tile; two samples or bands; one output row at a time
        with tile_bytes(tile):
            out = layer.forward(x)
            dx = layer.backward(dout)
        results.append((out, dx, layer.grads["W"].copy(), layer.grads["b"].copy()))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_scratch_memory_is_bounded_whatever_the_batch():
    # The whole window matrix of this batch would be 16*9 * 32*66*64 * 8 bytes = 156 MB.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 16, 64, 64))
    layer = cl.Conv2D(16, 16, 3, padding=1, rng=0)
    dout = rng.normal(size=(32, 16, 64, 64))
    layer.forward(x[:1])
    layer.backward(dout[:1])  # warm the workspace at a small size first
    tracemalloc.start()
    try:
        out = layer.forward(x)
        _, peak_forward = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        dx = layer.backward(dout)
        _, peak_backward = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    mib = 2**20
    # beyond the arrays returned (output, dx: 16.8 MB each) and the copy of the input the layer
    # keeps for backward (16.8 MB, asserted below), a few MiB of scratch
    scratch = (peak_forward - out.nbytes - x.nbytes) / mib
    assert scratch < 12, scratch
    scratch = (peak_backward - dx.nbytes - out.nbytes - x.nbytes) / mib
    assert scratch < 16, scratch
    ctx = layer._cache[0]
    kept = [a for a in ctx if isinstance(a, np.ndarray) and a is not layer.params["W"]]
    assert sum(a.nbytes for a in kept) == x.nbytes  # its own copy of the input, no window matrix


def test_an_output_too_large_for_memory_is_a_clear_error_before_any_work():
    import os

    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    n = int(2 * total // (256 * 224 * 224 * 4)) + 1  # an output twice this machine's memory
    x = np.broadcast_to(np.float32(1.0), (n, 1, 224, 224))  # a view: no memory of its own
    w = np.ones((256, 1, 3, 3), np.float32)
    with pytest.raises(MemoryError, match=rf"conv2d: the output \({n}, 256, 224, 224\) in "
                                          r"float32 needs [\d.]+ GiB, more than this machine's"):
        cl.conv2d(x, w, padding=1)


def test_one_layer_shared_by_threads_gives_every_thread_its_right_output():
    layer = cl.Conv2D(3, 8, 3, padding=1, rng=0, dtype=np.float32)
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(4, 3, 20, 20)).astype(np.float32) for _ in range(8)]
    expected = [cl.conv2d(x, layer.params["W"], layer.params["b"], padding=1) for x in inputs]
    wrong, start = [], threading.Barrier(4)

    def work(k):
        start.wait()
        for step in range(50):
            i = (k + step) % len(inputs)
            if not np.allclose(layer.forward(inputs[i]), expected[i], atol=1e-5):
                wrong.append((k, step))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_backward_after_another_threads_forward_is_a_clear_error():
    layer = cl.Conv2D(1, 2, 3, rng=0)
    x = np.ones((1, 1, 5, 5))
    thread = threading.Thread(target=layer.forward, args=(x,))
    thread.start()
    thread.join()
    with pytest.raises(RuntimeError, match=r"Conv2D.backward: the last forward pass ran in another thread"):
        layer.backward(np.ones((1, 2, 3, 3)))
    layer.forward(x)
    assert layer.backward(np.ones((1, 2, 3, 3))).shape == x.shape  # its own forward: fine
