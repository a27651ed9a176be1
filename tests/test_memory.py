"""Memory: weights made without float64 temporaries (same values), gradients made when first used,
and the feature-map explorer's bounded cache. The figures themselves: benchmarks/memory.py."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import models
from cnnlab.layers import Layer
from cnnlab.nn import layer as _layer
from cnnlab.train import SGD


def one_shot(seed_or_rng, shape, fan_in, dtype):
    """The He initialisation as one call: normal(0, sqrt(2 / fan_in)) in float64, then cast."""
    rng = np.random.default_rng(seed_or_rng) if isinstance(seed_or_rng, int) else seed_or_rng
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(dtype)


def assert_same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


# ------------------------------------------------------------------------ initial values
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("make, shape, fan_in", [
    (lambda rng, dt: cl.Conv2D(3, 7, 5, rng=rng, dtype=dt), (7, 3, 5, 5), 75),
    (lambda rng, dt: cl.Conv2D(8, 12, (3, 2), groups=4, bias=False, rng=rng, dtype=dt), (12, 2, 3, 2), 12),
    (lambda rng, dt: cl.Linear(100, 37, rng=rng, dtype=dt), (100, 37), 100),
    (lambda rng, dt: cl.Linear(1201, 1000, rng=rng, dtype=dt), (1201, 1000), 1201),
])
def test_weights_are_the_one_shot_draws_bit_for_bit(make, shape, fan_in, dtype):
    # Linear(1201, 1000) has more values than one chunk (and a remainder); the others several
    # chunks or one. The generator must also end where one call would leave it.
    rng = np.random.default_rng(11)
    layer = make(rng, dtype)
    reference = np.random.default_rng(11)
    assert_same_bits(layer.params["W"], one_shot(reference, shape, fan_in, dtype))
    assert rng.random() == reference.random()


def test_weights_drawn_in_many_small_chunks_are_the_same(monkeypatch):
    monkeypatch.setattr(_layer, "_INIT_CHUNK", 1000)    # 21 chunks of 1,000 values
    for dtype in (np.float32, np.float16):
        assert_same_bits(cl.Linear(300, 70, rng=4, dtype=dtype).params["W"],
                         one_shot(4, (300, 70), 300, dtype))


def test_a_model_draws_its_layers_from_one_generator_in_order():
    model = models.lenet5(rng=3)
    rng = np.random.default_rng(3)
    shapes = [((6, 1, 5, 5), 25), ((16, 6, 5, 5), 150), ((400, 120), 400), ((120, 84), 120),
              ((84, 10), 84)]
    weighted = [layer for layer in model if "W" in layer.params]
    for layer, (shape, fan_in) in zip(weighted, shapes):
        assert_same_bits(layer.params["W"], one_shot(rng, shape, fan_in, np.float64))


# ------------------------------------------------------------------------ memory of a build
def traced_build(build):
    gc.collect()
    tracemalloc.start()
    try:
        model = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return model, peak


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_building_allocates_little_more_than_the_weights(dtype):
    def build():
        return cl.Sequential(cl.Conv2D(64, 128, 3, padding=1, rng=0, dtype=dtype), cl.ReLU(),
                             cl.Conv2D(128, 128, 3, padding=1, rng=0, dtype=dtype), cl.ReLU(),
                             cl.Flatten(), cl.Linear(2048, 1024, rng=0, dtype=dtype))

    build()                                                   # first-call costs left out
    model, peak = traced_build(build)
    nbytes = sum(p.nbytes for p in model.params.values())     # 3.0 M values: 12 or 24 MB
    assert nbytes == cl.count_params(model) * np.dtype(dtype).itemsize
    assert peak <= 1.3 * nbytes + 256 * 1024, (peak, nbytes)
    # The gradients, made when first asked for: zeros of each parameter's shape and dtype, the
    # arrays backward fills and an optimiser built before the first backward steps with.
    lin = model[-1]
    opt = SGD(model, lr=0.5)
    for key, p in model.params.items():
        g = model.grads[key]
        assert g.shape == p.shape and g.dtype == p.dtype and not g.any()
    x = np.random.default_rng(1).normal(size=(2, 64, 4, 4)).astype(dtype)
    out = model.forward(x)
    model.backward(np.ones_like(out))
    dw = lin.grads["W"].copy()
    assert np.abs(dw).sum() > 0
    w_before = lin.params["W"].copy()
    opt.step()
    np.testing.assert_allclose(lin.params["W"], w_before - 0.5 * dw, rtol=1e-5)


def test_vgg16_build_peak_stays_near_its_weights():
    model, peak = traced_build(lambda: models.vgg16(num_classes=10, rng=0))
    nbytes = sum(p.nbytes for p in model.params.values())     # 134 M float32 values: 537 MB
    assert peak <= 1.3 * nbytes, (peak / 2 ** 20, nbytes / 2 ** 20)


def test_a_deleted_model_is_freed_at_once_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        model = cl.Sequential(*models.basic_block(2, 4, stride=2, rng=0), cl.Flatten(),
                              cl.Linear(16, 3, rng=1))
        held = cl.Sequential(cl.Linear(2, 2, rng=0))
        model.params["3.W"][...] = 1.0                    # the views work as before
        opt = SGD(model, lr=0.1)
        refs = [weakref.ref(x) for x in (model, model[0], model[0].body, held)]
        view = held.params
        del model, opt, held
        assert [r() is None for r in refs] == [True, True, True, False]
        assert list(view) == ["0.W", "0.b"]              # a view keeps its model alive
    finally:
        gc.enable()
    assert models.lenet5(rng=0).params["0.W"].shape == (6, 1, 5, 5)   # a temporary's view


def test_a_layer_without_layer_init_says_so():
    class NoInit(Layer):
        def __init__(self):
            pass

    with pytest.raises(AttributeError, match="NoInit has no grads: Layer.__init__ was not called"):
        _ = NoInit().grads


def test_a_custom_layer_keeps_its_own_grads_and_init_grads_works():
    class Custom(Layer):
        def __init__(self):
            super().__init__()
            self.params = {"w": np.arange(3.0, dtype=np.float32)}
            self._init_grads()

    layer = Custom()
    assert layer.grads["w"].dtype == np.float32 and layer.grads["w"].shape == (3,)
    assert layer.grads["w"] is layer.grads["w"]
    other = Layer()
    other.grads = {"x": np.ones(2)}
    assert list(other.grads) == ["x"]


# ------------------------------------------------------------------------ explorer's cache
widgets = pytest.importorskip("cnnlab.widgets")


def reference_outputs(model, image):
    x, outs = np.asarray(image, dtype=np.float64)[None], []
    for layer in model.layers:
        x = layer.forward(x)
        outs.append(x[0].copy())
    return outs


def held_bytes(cache):
    """The bytes of the distinct buffers the cached outputs keep alive."""
    roots = {}
    for entry in cache.values():
        for _, out in entry:
            root = out
            while isinstance(root.base, np.ndarray):
                root = root.base
            roots[id(root)] = root.nbytes
    return sum(roots.values())


def test_feature_map_cache_stays_under_its_limit_and_shows_the_right_maps():
    rng = np.random.default_rng(0)
    images = rng.random((8, 1, 12, 12))
    model = cl.Sequential(cl.Conv2D(1, 4, 3, padding=1, rng=0), cl.ReLU(), cl.MaxPool2D(2),
                          cl.Flatten(), cl.Linear(144, 10, rng=1))
    per_image = sum(o.nbytes for o in reference_outputs(model, images[0]))   # 12,368 bytes
    limit = int(2.5 * per_image)                                             # room for two images
    ex = widgets.feature_map_explorer(model, images, cache_bytes=limit)
    assert ex.cache_limit == limit
    for k in (0, 1, 2, 1, 3, 5, 1, 7, 6):
        ex.controls["image"].value = k
        expected = reference_outputs(model, images[k])
        for li in (4, 0, 2):
            ex.controls["layer"].value = li
            np.testing.assert_allclose(ex.maps, expected[li])
        assert ex.cache_nbytes <= limit
        assert held_bytes(ex._cache) <= limit
        assert k in ex._cache and len(ex._cache) <= 2
    assert list(ex._cache) == [7, 6]               # the least recently shown went first
    ex.controls["image"].value = 7
    ex.controls["image"].value = 2
    assert list(ex._cache) == [7, 2]
    assert ex.outputs(7) is ex.outputs(7)          # kept: not computed again


def test_feature_map_cache_limit_holds_for_the_memory_used():
    # Independent of the explorer's own count: what Python holds after showing every image.
    images = np.random.default_rng(1).random((30, 3, 32, 32))
    model = cl.Sequential(cl.Conv2D(3, 16, 3, padding=1, rng=0), cl.ReLU(),
                          cl.Conv2D(16, 16, 3, padding=1, rng=1), cl.ReLU())   # 0.5 MiB an image
    limit = 2 * 2 ** 20
    ex = widgets.feature_map_explorer(model, images, cache_bytes=limit)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for k in range(len(images)):
            ex.controls["image"].value = k
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown <= limit + 2 ** 20, grown        # 15 MiB without a limit
    np.testing.assert_allclose(ex.maps, reference_outputs(model, images[-1])[0])


def test_an_image_larger_than_the_cache_is_computed_each_time():
    images = np.random.default_rng(2).random((3, 1, 6, 6))
    model = cl.Sequential(cl.Conv2D(1, 2, 3, rng=0), cl.ReLU())
    ex = widgets.feature_map_explorer(model, images, cache_bytes=0)
    for k in (0, 1, 2):
        ex.controls["image"].value = k
        for li in (0, 1):
            ex.controls["layer"].value = li
            np.testing.assert_allclose(ex.maps, reference_outputs(model, images[k])[li])
    assert not ex._cache and ex.cache_nbytes == 0


@pytest.mark.parametrize("value, error, match", [
    (-1, ValueError, "feature_map_explorer: cache_bytes must be an integer >= 0, got -1"),
    (1.5, TypeError, "feature_map_explorer: cache_bytes must be an integer"),
])
def test_feature_map_explorer_rejects_a_bad_cache_size(value, error, match):
    model = cl.Sequential(cl.ReLU())
    with pytest.raises(error, match=match):
        widgets.feature_map_explorer(model, np.zeros((2, 4, 4)), cache_bytes=value)
