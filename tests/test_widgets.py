"""Tests for cnnlab.widgets: every explorer's update, checked against independent references."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal

pytest.importorskip("ipywidgets")

import cnnlab as cl  # noqa: E402
from cnnlab import widgets  # noqa: E402
from cnnlab.data import load_digits, load_photo  # noqa: E402
from cnnlab.viz.kernels import KERNEL_NAMES, get_kernel  # noqa: E402

CLASSIC_IMAGE = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
                          [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
CLASSIC_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
SMALL = np.random.default_rng(42).integers(-3, 6, size=(7, 8))  # a constant test matrix


def reference_conv(image, kernel, stride=1, padding=0):
    """scipy's valid cross-correlation of the zero-padded image, subsampled by the stride."""
    xp = np.pad(np.asarray(image, float), padding)
    return scipy.signal.correlate2d(xp, kernel, mode="valid")[::stride, ::stride]


# --------------------------------------------------------------------------------- imports
def test_import_cnnlab_does_not_import_widget_or_plot_libraries():
    code = ("import sys, cnnlab; bad = [m for m in ('ipywidgets', 'matplotlib') if m in sys.modules];"
            "print(bad); assert not bad, bad;"
            "from cnnlab import viz; assert 'ipywidgets' not in sys.modules;"
            "from cnnlab import widgets; assert 'ipywidgets' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_explorer_has_controls_and_is_a_widget():
    import ipywidgets as W

    model = cl.Sequential(cl.Conv2D(1, 2, 3, rng=0), cl.ReLU())
    built = [widgets.conv_explorer(SMALL), widgets.conv_stepper(), widgets.arithmetic_explorer(),
             widgets.pooling_explorer(x=SMALL), widgets.param_counter(),
             widgets.feature_map_explorer(model, np.zeros((2, 6, 6))), widgets.flip_explorer()]
    for ex in built:
        assert isinstance(ex, W.Box)
        assert ex.controls and all(isinstance(c, W.ValueWidget) for c in ex.controls.values())
        assert ex.message == ""


# --------------------------------------------------------------------------- conv explorer
@pytest.mark.parametrize("name", [n for n in KERNEL_NAMES if n != "random"])
@pytest.mark.parametrize("size", [3, 5])
def test_conv_explorer_presets_match_scipy(name, size):
    ex = widgets.conv_explorer(SMALL, kernel=name, size=size)
    np.testing.assert_allclose(ex.kernel, get_kernel(name, size))
    np.testing.assert_allclose(ex.output, reference_conv(SMALL, get_kernel(name, size)))


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
@pytest.mark.parametrize("padding", [0, 1, 2, 3])
def test_conv_explorer_stride_and_padding_from_controls(stride, padding):
    ex = widgets.conv_explorer(SMALL, kernel="emboss")
    ex.controls["stride"].value = stride
    ex.controls["padding"].value = padding
    expected = reference_conv(SMALL, get_kernel("emboss"), stride, padding)
    np.testing.assert_allclose(ex.output, expected)
    oh, ow = expected.shape
    assert f"= {oh}" in ex.info.splitlines()[0] and f"= {ow}" in ex.info.splitlines()[1]
    assert f"\u230a(7 + 2\u00b7{padding} \u2212 3) / {stride}\u230b + 1 = {oh}" in ex.info


def test_conv_explorer_relu_switch():
    ex = widgets.conv_explorer(SMALL, kernel="laplacian")
    assert ex.output.min() < 0
    ex.controls["relu"].value = True
    np.testing.assert_allclose(ex.output, np.maximum(reference_conv(SMALL, get_kernel("laplacian")), 0))


def test_conv_explorer_filter_too_large_shows_message_then_recovers():
    image = [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
    ex = widgets.conv_explorer(image, kernel="identity")
    np.testing.assert_allclose(ex.output, [[1.0]])
    ex.controls["size"].value = 5  # a 5x5 filter on a 3x3 input without padding
    assert ex.output is None
    assert "larger than" in ex.message and "5" in ex.message
    assert not ex.message.startswith("correlate2d")  # no function prefix, no traceback
    assert ex._message.layout.display != "none" and "larger" in ex._message.value
    ex.controls["padding"].value = 1  # 3 + 2 = 5 fits now
    assert ex.message == ""
    np.testing.assert_allclose(ex.output, [[1.0]])
    assert ex._message.layout.display == "none"


def test_conv_explorer_editing_a_cell_makes_a_custom_filter():
    ex = widgets.conv_explorer(SMALL, kernel="identity")
    ex.cells[0][0].value = 2.0
    assert ex.controls["kernel"].value == "custom"
    kernel = get_kernel("identity")
    kernel[0, 0] = 2.0
    np.testing.assert_allclose(ex.kernel, kernel)
    np.testing.assert_allclose(ex.output, reference_conv(SMALL, kernel))
    ex.controls["kernel"].value = "box blur"  # choosing a preset overwrites the cells
    np.testing.assert_allclose(ex.kernel, np.full((3, 3), 1 / 9))


def test_conv_explorer_random_preset_is_seeded_and_changes():
    a = widgets.conv_explorer(SMALL, kernel="random", seed=3).kernel
    # normal values rounded to 0.1, the first draw of the seeded generator
    np.testing.assert_array_equal(a, np.round(np.random.default_rng(3).normal(0, 1, (3, 3)), 1))
    ex = widgets.conv_explorer(SMALL, kernel="random", seed=3)
    ex.controls["kernel"].value = "identity"
    ex.controls["kernel"].value = "random"
    assert not np.array_equal(ex.kernel, a)


def test_conv_explorer_custom_array_kernel_and_size_switch():
    k = np.arange(25.0).reshape(5, 5) - 12
    ex = widgets.conv_explorer(SMALL, kernel=k)
    assert ex.controls["size"].value == 5 and ex.controls["kernel"].value == "custom"
    np.testing.assert_allclose(ex.output, reference_conv(SMALL, k))
    ex.controls["size"].value = 3  # keeps the top-left 3x3 of the custom filter
    np.testing.assert_allclose(ex.kernel, k[:3, :3])
    assert len(ex._grid.children) == 9


def test_conv_explorer_rgb_photo_filters_each_channel():
    photo = load_photo("astronaut")[::8, ::8]  # 64 x 64 x 3
    ex = widgets.conv_explorer(photo, kernel="sobel y", padding=1)
    k = get_kernel("sobel y")
    assert ex.output.shape == (64, 64, 3)
    for c in range(3):
        np.testing.assert_allclose(ex.output[..., c], reference_conv(photo[..., c], k, 1, 1),
                                   rtol=1e-5, atol=1e-3)


def test_conv_explorer_every_control_redraws():
    ex = widgets.conv_explorer(SMALL, kernel="sobel x")
    changes = {"stride": 2, "padding": 1, "relu": True, "kernel": "sharpen", "size": 5}
    for name, value in changes.items():
        before = (ex.panels[-1].image.value, ex.info)
        ex.controls[name].value = value
        after = (ex.panels[-1].image.value, ex.info)
        assert before != after, name


def test_conv_explorer_default_is_the_cameraman_photo():
    # (how fast its sliders are is measured by benchmarks/widget_latency.py, not here)
    ex = widgets.conv_explorer()
    assert ex.image.shape == (512, 512) and ex.output.shape == (510, 510)
    assert ex.panels[0].image.format == "jpeg" and ex.notice == ""
    ex.controls["stride"].value = 2
    assert ex.output.shape == (255, 255)


@pytest.mark.parametrize("kwargs, match", [
    ({"kernel": "blurry"}, "conv_explorer: kernel must be one of"),
    ({"kernel": np.ones((4, 4))}, "conv_explorer: kernel must be a preset name or a 3x3"),
    ({"size": 4}, r"conv_explorer: size must be one of \(3, 5\), got 4"),
    ({"stride": 0}, "conv_explorer: stride must be a positive integer, got 0"),
    ({"padding": -1}, "conv_explorer: padding must be an integer >= 0, got -1"),
    ({"seed": -2}, "conv_explorer: seed must be an integer >= 0"),
    ({"image": np.zeros((3, 3, 3, 3))}, r"conv_explorer: image must have shape \(H, W\)"),
])
def test_conv_explorer_rejects_bad_arguments(kwargs, match):
    kwargs.setdefault("image", SMALL)
    with pytest.raises(ValueError, match=match):
        widgets.conv_explorer(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"image": [["a", "b"]]}, "conv_explorer: image must hold real numbers"),
    ({"stride": 1.5}, "conv_explorer: stride must be an integer, got 1.5"),
    ({"padding": "1"}, "conv_explorer: padding must be an integer, got '1'"),
    ({"stride": True}, "conv_explorer: stride must be an integer, got True"),
    ({"kernel": [["a"]]}, "conv_explorer: kernel must hold real numbers"),
])
def test_conv_explorer_rejects_wrong_types_with_type_error(kwargs, match):
    kwargs.setdefault("image", SMALL)
    with pytest.raises(TypeError, match=match):
        widgets.conv_explorer(**kwargs)


def test_unexpected_errors_become_a_message_not_a_traceback(monkeypatch):
    ex = widgets.conv_explorer(SMALL)

    def broken():
        raise IndexError("boom")

    monkeypatch.setattr(ex, "_draw", broken)
    ex.controls["stride"].value = 2  # must not raise
    assert "Something went wrong" in ex.message and "boom" in ex.message


# ------------------------------------------------------------------------------- stepper
def test_stepper_classic_example_position_by_position():
    st = widgets.conv_stepper()
    np.testing.assert_array_equal(st.output, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert st.controls["position"].max == 8
    for pos in range(9):
        st.controls["position"].value = pos
        i, j = divmod(pos, 3)
        assert st.state["cell"] == (i, j)
        window = CLASSIC_IMAGE[i:i + 3, j:j + 3]
        np.testing.assert_array_equal(st.state["products"], window * CLASSIC_KERNEL)
        assert st.state["sum"] == st.output[i, j]
        assert st.info.startswith(f"output[{i}, {j}] = ")
        assert st.info.endswith(f"= {int(st.output[i, j])}")
    assert "1\u00d71 + 1\u00d70 + 1\u00d71" in widgets.conv_stepper().info


def test_stepper_play_drives_position():
    st = widgets.conv_stepper()
    st.controls["play"].value = 4
    assert st.controls["position"].value == 4 and st.state["cell"] == (1, 1)


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0), (2, 1), (3, 2), (1, 2)])
def test_stepper_stride_padding_resize_the_position_slider(stride, padding):
    st = widgets.conv_stepper()
    st.controls["position"].value = 8
    st.controls["stride"].value = stride
    st.controls["padding"].value = padding
    expected = reference_conv(CLASSIC_IMAGE, CLASSIC_KERNEL, stride, padding)
    np.testing.assert_array_equal(st.output, expected)
    assert st.controls["position"].max == expected.size - 1
    assert st.controls["play"].max == expected.size - 1
    st.controls["position"].value = expected.size - 1
    i, j = st.state["cell"]
    assert st.state["sum"] == expected[i, j]


def test_stepper_other_input_and_message():
    st = widgets.conv_stepper(image=np.arange(12).reshape(3, 4), kernel=np.ones((3, 3)))
    np.testing.assert_array_equal(st.output, [[45, 54]])
    st2 = widgets.conv_stepper(image=np.ones((2, 2)), kernel=np.ones((3, 3)))
    assert "larger than" in st2.message and st2.output is None
    st2.controls["padding"].value = 1
    assert st2.message == "" and st2.output.shape == (2, 2)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"image": np.ones((20, 20))}, ValueError, "conv_stepper: image must be a 2-D matrix"),
    ({"kernel": np.ones(3)}, ValueError, "conv_stepper: kernel must be a 2-D matrix"),
    ({"stride": 0}, ValueError, "conv_stepper: stride must be a positive integer, got 0"),
    ({"padding": -1}, ValueError, "conv_stepper: padding must be an integer >= 0"),
    ({"stride": 2.0}, TypeError, "conv_stepper: stride must be an integer, got 2.0"),
    ({"padding": "1"}, TypeError, "conv_stepper: padding must be an integer"),
    ({"interval": 0.5}, TypeError, "conv_stepper: interval must be an integer"),
    ({"image": [["x"]]}, TypeError, "conv_stepper: image must hold real numbers"),
])
def test_stepper_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.conv_stepper(**kwargs)


# ---------------------------------------------------------------------------- arithmetic
@pytest.mark.parametrize("n, f, p, s, d", [(5, 3, 1, 2, 1), (7, 3, 0, 1, 1), (7, 3, 0, 2, 1),
                                           (6, 3, 0, 2, 1), (9, 3, 2, 3, 2), (4, 1, 0, 1, 1),
                                           (8, 5, 3, 4, 1), (5, 2, 1, 1, 3)])
def test_arithmetic_explorer_output_size_and_taps(n, f, p, s, d):
    ex = widgets.arithmetic_explorer(n, f, p, s, d)
    out = (n + 2 * p - d * (f - 1) - 1) // s + 1
    assert ex.output_length == out
    assert ex.controls["position"].max == out * out - 1
    assert ex.info.splitlines()[0].endswith(f"= {out}")
    # The taps of every output cell, weighted by a random kernel, reproduce conv2d.
    rng = np.random.default_rng(n * 1000 + f * 100 + p * 10 + s + d)
    x = rng.normal(size=(n, n))
    w = rng.normal(size=(f, f))
    y = cl.conv2d(x[None, None], w[None, None], stride=s, padding=p, dilation=d)[0, 0]
    xp = np.pad(x, p)
    for pos in range(out * out):
        ex.controls["position"].value = pos
        taps = ex.state["taps"]
        assert taps.sum() == f * f
        i, j = divmod(pos, out)
        np.testing.assert_allclose(np.sum(xp[taps] * w.ravel()), y[i, j])


def test_arithmetic_explorer_counts_dropped_cells():
    ex = widgets.arithmetic_explorer(input_size=6, filter_size=3, padding=0, stride=2)
    # windows start at 0 and 2 and reach column 4: column 5 and row 5 are dropped (11 cells)
    assert ex.output_length == 2
    np.testing.assert_array_equal(ex.state["coverage"][0], [1, 1, 2, 1, 1, 0])
    assert "11 input cells are never seen" in ex.info
    ex.controls["input_size"].value = 7
    assert "every input cell is seen" in ex.info


def test_arithmetic_explorer_nothing_fits_message():
    ex = widgets.arithmetic_explorer(input_size=3, filter_size=3, padding=0, stride=1)
    ex.controls["dilation"].value = 2  # spans 5 > 3
    assert "larger than" in ex.message and ex.state is None
    ex.controls["padding"].value = 1
    assert ex.message == "" and ex.output_length == 1


def test_arithmetic_explorer_every_slider_changes_the_picture():
    ex = widgets.arithmetic_explorer()
    for name in ["input_size", "filter_size", "padding", "stride", "dilation", "position"]:
        c = ex.controls[name]
        before = (ex.panels[0].image.value, ex.panels[1].image.value, ex.info)
        c.value = c.value + 1 if c.value < c.max else c.value - 1
        assert (ex.panels[0].image.value, ex.panels[1].image.value, ex.info) != before, name


# ------------------------------------------------------------------------------- pooling
def block_reference(x, k, s, mode):
    oh, ow = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    f = {"max": np.max, "avg": np.mean, "sum": np.sum}[mode]
    return np.array([[f(x[i * s:i * s + k, j * s:j * s + k]) for j in range(ow)] for i in range(oh)])


@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 3), (2, 1), (3, 2), (1, 1), (4, 4)])
def test_pooling_explorer_matches_reference(mode, size, stride):
    rng = np.random.default_rng(size * 10 + stride)
    small = rng.integers(0, 10, size=(7, 6))
    fmap = rng.random((40, 33))
    ex = widgets.pooling_explorer(x=fmap, small=small)
    with ex.hold():
        ex.controls["mode"].value = mode
        ex.controls["size"].value = size
        ex.controls["stride"].value = stride
    np.testing.assert_allclose(ex.output, block_reference(small, size, stride, mode))
    np.testing.assert_allclose(ex.feature_output, block_reference(fmap, size, stride, mode),
                               rtol=1e-5)
    last = ex.output.size - 1
    assert ex.controls["position"].max == last
    ex.controls["position"].value = last
    i, j = ex.state["cell"]
    assert f"{mode} of [" in ex.info
    np.testing.assert_allclose(ex.state["window"],
                               small[i * stride:i * stride + size, j * stride:j * stride + size])


def test_pooling_stride_follows_size_until_set_apart():
    ex = widgets.pooling_explorer(x=np.random.default_rng(1).random((20, 20)))
    ex.controls["size"].value = 3
    assert ex.controls["stride"].value == 3
    ex.controls["stride"].value = 1
    ex.controls["size"].value = 2
    assert ex.controls["stride"].value == 1


def test_pooling_window_too_large_message():
    ex = widgets.pooling_explorer(x=np.random.default_rng(2).random((20, 20)),
                                  small=np.arange(9).reshape(3, 3))
    ex.controls["size"].value = 4
    assert "larger than" in ex.message and ex.output is None
    ex.controls["size"].value = 3
    assert ex.message == "" and ex.output.tolist() == [[8.0]]


def test_pooling_default_feature_map_is_real():
    ex = widgets.pooling_explorer()
    assert ex.x.shape == (510, 510) and ex.x.min() >= 0
    assert ex.feature_output.shape == (255, 255)
    with pytest.raises(ValueError, match="pooling_explorer: mode"):
        widgets.pooling_explorer(mode="median")


# ------------------------------------------------------------------------- param counter
def test_param_counter_syllabus_numbers():
    pc = widgets.param_counter(image_size=256, channels=3, hidden=1000, filters=32, filter_size=3)
    assert pc.counts == {"inputs": 196_608, "dense": 196_608 * 1000 + 1000, "conv": 896}
    pc.controls["image_size"].value = 1000
    assert pc.counts["inputs"] == 3_000_000 and pc.counts["dense"] == 3_000_001_000
    assert pc.counts["conv"] == 896  # does not depend on the image size
    pc.controls["image_size"].value = 28
    pc.controls["channels"].value = 1
    assert pc.counts["inputs"] == 784
    pc.controls["filters"].value = 6
    pc.controls["filter_size"].value = 5
    assert pc.counts["conv"] == (5 * 5 * 1 + 1) * 6 == 156
    assert "(5\u00d75\u00d71 + 1) \u00d7 6 filters = 156" in pc.info
    assert pc.counts["conv"] == cl.count_params(cl.Sequential(cl.Conv2D(1, 6, 5, rng=0)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"image_size": 100}, ValueError, r"param_counter: image_size must be one of \(28, 32"),
    ({"channels": 2}, ValueError, r"param_counter: channels must be one of \(1, 3\)"),
    ({"hidden": 0}, ValueError, "param_counter: hidden must be a positive integer"),
    ({"filters": 0}, ValueError, "param_counter: filters must be a positive integer, got 0"),
    ({"filters": 2.5}, TypeError, "param_counter: filters must be an integer, got 2.5"),
    ({"filter_size": "3"}, TypeError, "param_counter: filter_size must be an integer"),
    ({"image_size": 256.0}, TypeError, "param_counter: image_size must be an integer"),
])
def test_param_counter_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.param_counter(**kwargs)


# --------------------------------------------------------------------- feature-map explorer
def test_feature_map_explorer_matches_the_forward_pass():
    images, labels = load_digits("test")
    images, labels = images[:5], labels[:5]
    model = cl.Sequential(cl.Conv2D(1, 4, 3, rng=0), cl.ReLU(), cl.MaxPool2D(2), cl.Flatten(),
                          cl.Linear(36, 10, rng=0))
    ex = widgets.feature_map_explorer(model, images, labels)
    assert [o[1] for o in ex.controls["layer"].options] == [0, 1, 2, 3, 4]
    assert "(4, 6, 6)" in ex.controls["layer"].options[0][0]
    for k in (0, 3):
        ex.controls["image"].value = k
        x = images[k][None, None]
        for li, layer in enumerate(model.layers):
            x = layer.forward(x)
            ex.controls["layer"].value = li
            np.testing.assert_allclose(ex.maps, x[0])
    assert ex.maps.shape == (10,)
    assert "label" in ex.panels[0].title.value


def test_feature_map_explorer_rejects_bad_arguments():
    model = cl.Sequential(cl.Conv2D(1, 2, 3, rng=0))
    with pytest.raises(TypeError, match="feature_map_explorer: model"):
        widgets.feature_map_explorer("not a model", np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="feature_map_explorer: images"):
        widgets.feature_map_explorer(model, np.zeros(8))
    with pytest.raises(ValueError, match="feature_map_explorer: layer must be an index 0..0"):
        widgets.feature_map_explorer(model, np.zeros((2, 8, 8)), layer=3)
    with pytest.raises(TypeError, match="feature_map_explorer: layer must be an integer"):
        widgets.feature_map_explorer(model, np.zeros((2, 8, 8)), layer="0")
    with pytest.raises(TypeError, match="feature_map_explorer: images must hold real numbers"):
        widgets.feature_map_explorer(model, [["a"]])
    with pytest.raises(ValueError, match="does not accept"):
        widgets.feature_map_explorer(model, np.zeros((2, 3, 8, 8)))


# -------------------------------------------------------------------------- flip explorer
@pytest.mark.parametrize("name", ["sobel x", "emboss", "random", "gaussian blur", "laplacian"])
def test_flip_explorer_matches_scipy(name):
    image = np.random.default_rng(len(name)).integers(0, 10, size=(7, 7))
    ex = widgets.flip_explorer(image, kernel=name)
    k = ex.kernel
    np.testing.assert_allclose(ex.state["correlation"], scipy.signal.correlate2d(image, k, "valid"))
    np.testing.assert_allclose(ex.state["convolution"], scipy.signal.convolve2d(image, k, "valid"))
    symmetric = np.allclose(k, k[::-1, ::-1])
    assert ex.state["symmetric"] == symmetric
    assert (ex.state["difference"] < 1e-9) == symmetric
    assert ("the same map" in ex.info) == symmetric


def test_flip_explorer_step_shows_the_flip():
    ex = widgets.flip_explorer(kernel=np.arange(9).reshape(3, 3))
    images = set()
    for step in (0, 1, 2):
        ex.controls["step"].value = step
        images.add(ex.panels[2].image.value)
    assert len(images) == 3
    assert ex.panels[2].title.value.count("left to right") == 1
    from cnnlab.widgets.flip import flip_step
    np.testing.assert_array_equal(flip_step(np.arange(4).reshape(2, 2), 2), [[3, 2], [1, 0]])
    with pytest.raises(ValueError, match="flip_explorer: kernel"):
        widgets.flip_explorer(kernel="wobbly")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"kernel": np.ones((9, 9))}, ValueError, "flip_explorer: kernel must be a 2-D array no larger"),
    ({"image": np.ones((17, 17))}, ValueError, "flip_explorer: image must be a 2-D matrix"),
    ({"kernel": [["a"]]}, TypeError, "flip_explorer: kernel must hold real numbers"),
    ({"seed": 0.5}, TypeError, "flip_explorer: seed must be an integer"),
])
def test_flip_explorer_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.flip_explorer(**kwargs)


# ------------------------------------------------------------------------------ display
def _decoded(panel):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(panel.image.value)).convert("L"), dtype=float)


def test_conv_explorer_float_photo_in_unit_range_is_not_drawn_black():
    photo = load_photo("camera")[::4, ::4] / 255.0  # 128 x 128 floats in 0..1
    ex = widgets.conv_explorer(photo, kernel="box blur")
    assert ex.value_range == (0.0, 1.0)
    for panel in (ex.panels[0], ex.panels[2]):
        assert abs(_decoded(panel).mean() - 255 * photo.mean()) < 20


def test_signed_feature_map_is_drawn_on_a_diverging_map_centred_on_zero():
    flat = np.full((64, 64), 100, dtype=np.uint8)
    ex = widgets.conv_explorer(flat, kernel="sobel x", padding=1)
    # zero response inside, non-zero only at the zero-padded border: the middle is white (0)
    rgb = ex.panels[2].image.value
    import io

    from PIL import Image
    middle = np.asarray(Image.open(io.BytesIO(rgb)).convert("RGB"))[32, 32]
    assert np.all(middle > 230), middle


def test_messages_say_what_to_try():
    ex = widgets.conv_explorer([[1, 2], [3, 4]], kernel="identity")
    assert ex.message.endswith("Add padding or choose a smaller filter.")
    p = widgets.pooling_explorer(x=np.ones((8, 8)), small=np.ones((2, 2)), size=3)
    assert p.message.endswith("Choose a smaller window.")


def test_feature_maps_of_a_large_image_stay_small():
    model = cl.Sequential(cl.Conv2D(1, 4, 3, rng=0))
    ex = widgets.feature_map_explorer(model, load_photo("camera")[None, :200, :200] / 255.0)
    assert ex.maps.shape == (4, 198, 198)
    assert _decoded(ex.panels[1]).shape[1] <= 2 * 110 + 6


# ------------------------------------------------------------------------ property tests
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), f=st.integers(1, 5), p=st.integers(0, 3), s=st.integers(1, 4),
       d=st.integers(1, 3))
def test_arithmetic_explorer_agrees_with_output_size_everywhere(n, f, p, s, d):
    ex = widgets.arithmetic_explorer(n, f, p, s, d)
    if n + 2 * p < d * (f - 1) + 1:
        assert "larger than" in ex.message and ex.output_length is None
        return
    assert ex.message == ""
    assert ex.output_length == cl.output_size(n, f, stride=s, padding=p, dilation=d)
    # every window has f*f taps and the coverage counts add up to all taps of all windows
    assert ex.state["coverage"].sum() == ex.output_length ** 2 * f * f


# ------------------------------------------------------------------------ softmax explorer
def _torch():
    """torch, or a skip when it is not installed (an error with CNNLAB_REQUIRE_TORCH=1, as in
    tests/test_torch.py)."""
    import os

    if os.environ.get("CNNLAB_REQUIRE_TORCH") == "1":
        import torch

        return torch
    return pytest.importorskip("torch", reason="torch is not installed")


def _panel_images(ex):
    return [p.image.value for p in ex.panels]


@pytest.mark.parametrize("logits, label, temperature", [
    ([2.0, 1.0, 0.1, -1.0], 0, 1.0), ([0.5, -2.0, 3.0], 1, 0.3), ([1.0, 1.0], 1, 4.0),
    ([-5.0, 0.0, 5.0, 2.5, -1.5, 0.0, 1.0, 4.0], 7, 2.0)])
def test_softmax_explorer_matches_scipy_and_torch(logits, label, temperature):
    import scipy.special

    torch = _torch()

    ex = widgets.softmax_explorer(logits, label=label, temperature=temperature)
    z = np.array(logits) / temperature
    np.testing.assert_allclose(ex.state["p"], scipy.special.softmax(z), rtol=1e-12)
    expected = torch.nn.functional.cross_entropy(torch.tensor(z[None]), torch.tensor([label]))
    assert ex.state["loss"] == pytest.approx(float(expected), rel=1e-12)
    assert ex.state["predicted"] == int(np.argmax(logits))
    assert f"= {ex.state['loss']:.3f}" in ex.info and ex.message == ""


def test_softmax_explorer_sliders_drive_the_computation():
    ex = widgets.softmax_explorer([2.0, 1.0, 0.1, -1.0])
    assert list(ex.controls) == ["logit0", "logit1", "logit2", "logit3", "temperature", "label"]
    ex.controls["logit3"].value = 4.0
    assert ex.state["predicted"] == 3
    np.testing.assert_allclose(ex.state["p"], cl.softmax(np.array([2.0, 1.0, 0.1, 4.0])))
    ex.controls["label"].value = 3
    assert ex.state["loss"] == pytest.approx(-np.log(cl.softmax(np.array([2.0, 1.0, 0.1, 4.0]))[3]))
    # temperature: large T flattens towards uniform (loss -> log K), small T sharpens
    ex.controls["temperature"].value = 5.0
    assert np.ptp(ex.state["p"]) < 0.3 and ex.state["loss"] < np.log(4)
    ex.controls["temperature"].value = 0.1
    assert ex.state["p"][3] > 0.999 and ex.state["loss"] < 1e-3


def test_softmax_explorer_every_control_redraws():
    ex = widgets.softmax_explorer()
    changes = {"logit0": -1.0, "logit1": 2.5, "logit2": 0.7, "logit3": 1.2, "temperature": 2.0,
               "label": 2}
    for name, value in changes.items():
        before = (_panel_images(ex), ex.info)
        ex.controls[name].value = value
        assert (_panel_images(ex), ex.info) != before, name
        assert ex.message == ""


@pytest.mark.parametrize("kwargs, match, exc", [
    ({"logits": [1.0]}, "softmax_explorer: logits must be 1-D with 2 to 8 scores", ValueError),
    ({"logits": [[1.0, 2.0]]}, "softmax_explorer: logits must be 1-D", ValueError),
    ({"logits": ["a", "b"]}, "softmax_explorer: logits must be numbers", TypeError),
    ({"logits": [1.0, np.nan]}, "softmax_explorer: logits must be finite", ValueError),
    ({"label": 4}, r"softmax_explorer: label must be a class 0..3, got 4", ValueError),
    ({"temperature": 0}, "softmax_explorer: temperature must be a number from 0.1 to 5", ValueError),
    ({"classes": ["a", "b"]}, "softmax_explorer: classes must be 4 names", ValueError),
])
def test_softmax_explorer_rejects_bad_arguments(kwargs, match, exc):
    with pytest.raises(exc, match=match):
        widgets.softmax_explorer(**kwargs)


# ---------------------------------------------------------------- gradient-descent explorer
def _train_with_cnnlab(lr, momentum, steps):
    """Lesson 08's loop with real cnnlab layers: full batch, MSE, SGD (the reference)."""
    from cnnlab._explore_learning import lesson08_patches
    from cnnlab.train import SGD

    patches, targets, _ = lesson08_patches()
    layer = cl.Conv2D(1, 1, 3, rng=0)
    opt = SGD(layer, lr=lr, momentum=momentum)
    losses = []
    for _ in range(steps):
        err = layer.forward(patches) - targets
        losses.append(float(np.mean(err ** 2)))
        layer.backward(2 * err / err.size)
        opt.step()
    losses.append(float(np.mean((layer.forward(patches) - targets) ** 2)))
    return np.array(losses), layer.params["W"][0, 0], float(layer.params["b"][0])


@pytest.mark.parametrize("lr, momentum", [(0.1, 0.0), (0.3, 0.9), (1.0, 0.5)])
def test_gradient_descent_explorer_is_lesson_08s_training_loop(lr, momentum):
    ex = widgets.gradient_descent_explorer(lr=lr, momentum=momentum, steps=30)
    losses, w, b = _train_with_cnnlab(lr, momentum, 30)
    np.testing.assert_allclose(ex.state["losses"], losses, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(ex.state["filter"], w, atol=1e-12)
    assert ex.state["bias"] == pytest.approx(b, abs=1e-12)


def test_gradient_descent_explorer_agrees_with_torch_sgd():
    torch = _torch()

    from cnnlab._explore_learning import lesson08_patches

    patches, targets, _ = lesson08_patches()
    start = cl.Conv2D(1, 1, 3, rng=0).params["W"]
    w = torch.tensor(start, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9)
    x, t = torch.tensor(patches), torch.tensor(targets)
    for _ in range(40):
        opt.zero_grad()
        loss = torch.mean((torch.nn.functional.conv2d(x, w, b) - t) ** 2)
        loss.backward()
        opt.step()
    ex = widgets.gradient_descent_explorer(lr=0.1, momentum=0.9, steps=40)
    np.testing.assert_allclose(ex.state["filter"], w.detach().numpy()[0, 0], atol=1e-10)


def test_gradient_descent_explorer_every_control_redraws():
    ex = widgets.gradient_descent_explorer()
    for name, value in {"lr": 0.3, "momentum": 0.8, "steps": 200}.items():
        before = (_panel_images(ex), ex.info)
        ex.controls[name].value = value
        assert (_panel_images(ex), ex.info) != before, name
    assert len(ex.state["losses"]) == 201 and ex.state["plain"] is not None
    # momentum 0.9 at lr 0.1 has the effective step of plain descent at lr 1.0
    with ex.hold():
        ex.controls["lr"].value, ex.controls["momentum"].value = 0.1, 0.9
    assert ex.state["effective"] == pytest.approx(1.0)
    assert "effective step lr / (1 \u2212 momentum) = 1" in ex.info


def test_gradient_descent_divergence_is_a_message_with_the_curve():
    ex = widgets.gradient_descent_explorer(lr=0.9, steps=500)
    assert ex.message == "" and ex.state["diverged"] is None
    ex.controls["lr"].value = 1.1
    assert ex.message.startswith("The loss diverged") and "lower the learning rate" in ex.message
    assert ex.state["diverged"] is not None
    assert ex.state["losses"][-1] > 1e4 * ex.state["losses"][0]
    from cnnlab.widgets import _raster as R

    assert ex.panels[0].image.value != R.blank()  # the curve is still shown
    assert "after" in ex.info
    ex.controls["lr"].value = 0.5
    assert ex.message == ""


def test_gradient_descent_stability_limit_is_two_over_the_curvature():
    from cnnlab._explore_learning import lesson08_patches, lesson08_problem

    problem = lesson08_problem()
    # The loss is quadratic in the 9 weights and the bias, so second differences with unit
    # steps of cnnlab's own conv2d + MSE give its Hessian exactly (an independent check).
    patches, targets, _ = lesson08_patches()

    def loss(v):
        return float(np.mean((cl.conv2d(patches, v[:9].reshape(1, 1, 3, 3), v[9:]) - targets) ** 2))

    eye = np.eye(10)
    hessian = np.array([[loss(eye[k] + eye[m]) - loss(eye[k]) - loss(eye[m]) + loss(np.zeros(10))
                         for m in range(10)] for k in range(10)])
    assert np.linalg.eigvalsh(hessian)[-1] == pytest.approx(problem.lam_max, rel=1e-9)
    limit = 2 / problem.lam_max
    assert problem.run(0.97 * limit, 0.0, 500)["diverged"] is None
    assert problem.run(1.1 * limit, 0.0, 500)["diverged"] is not None
    # with momentum the limit is 2(1 + momentum) / lam_max
    assert problem.run(0.97 * 1.9 * limit, 0.9, 500)["diverged"] is None
    assert problem.run(1.1 * 1.9 * limit, 0.9, 500)["diverged"] is not None


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lr": 0.2}, ValueError, "gradient_descent_explorer: lr must be one of"),
    ({"momentum": 1.0}, ValueError, "gradient_descent_explorer: momentum must be one of"),
    ({"steps": 15}, ValueError, "gradient_descent_explorer: steps must be a multiple of 10 from 10 to 500"),
    ({"steps": 600}, ValueError, "gradient_descent_explorer: steps must be an integer from 10 to 500"),
    ({"seed": -1}, ValueError, "gradient_descent_explorer: seed must be an integer >= 0"),
    ({"steps": 100.0}, TypeError, "gradient_descent_explorer: steps must be an integer, got 100.0"),
    ({"seed": "0"}, TypeError, "gradient_descent_explorer: seed must be an integer"),
])
def test_gradient_descent_explorer_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.gradient_descent_explorer(**kwargs)


# ---------------------------------------------------------------- receptive-field explorer
def _seen_by_backprop(layers, hw, pixel):
    """Input pixels with a non-zero gradient from one output pixel, through real Conv2D layers
    with positive weights (the brute-force reference)."""
    model = cl.Sequential(*[cl.Conv2D(1, 1, k, stride=s, dilation=d, rng=0) for k, s, d in layers])
    for name, p in model.params.items():
        p[...] = 1.0 if name.endswith("W") else 0.0
    out = model.forward(np.ones((1, 1) + hw))
    dout = np.zeros_like(out)
    dout[0, 0][pixel] = 1.0
    return model.backward(dout)[0, 0] != 0


@pytest.mark.parametrize("layers", [
    [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)],
    [(3, 1, 2), (3, 1, 4)],
    [(5, 2, 1), (3, 1, 3), (2, 2, 1)],
    [(2, 3, 1), (3, 1, 1)],          # stride larger than the kernel: holes too
    [(7, 1, 1)],
])
def test_receptive_field_explorer_shows_the_pixels_backprop_reaches(layers):
    photo = load_photo("camera")[::8, ::8]  # 64 x 64
    padded = list(layers) + [(3, 1, 1)] * (4 - len(layers))
    ex = widgets.receptive_field_explorer(photo, layers=padded, depth=len(layers))
    assert ex.message == ""
    seen = _seen_by_backprop(layers, (64, 64), ex.state["pixel"])
    np.testing.assert_array_equal(ex.state["taps"], seen)
    rf = cl.receptive_field(layers, input_size=64)
    assert ex.state["rf"].size == rf.size and ex.state["region"] == rf.region(*ex.state["pixel"])
    assert f"{rf.size[-1][0]}\u00d7{rf.size[-1][1]} pixels" in ex.info


def test_receptive_field_explorer_draws_the_field_on_the_photo():
    import io

    from PIL import Image

    photo = load_photo("camera")[::8, ::8]
    ex = widgets.receptive_field_explorer(photo, depth=1)  # one 3x3 convolution: a 3x3 field
    scale = ex._scale
    img = np.asarray(Image.open(io.BytesIO(ex.panels[0].image.value)).convert("RGB"), dtype=int)
    assert img.shape[:2] == (64 * scale, 64 * scale)
    (top, bottom), (left, right) = ex.state["bounds"]
    centre = img[(top + 1) * scale + scale // 2, (left + 1) * scale + scale // 2]
    assert np.all(centre == photo[top + 1, left + 1])  # seen: the photo as it is
    far = img[2, 2 * scale]  # unseen: faded 65 % of the way towards white
    assert abs(far[0] - (0.35 * photo[0, 2] + 0.65 * 255)) <= 1
    assert tuple(img[top * scale, (left + 1) * scale]) == (230, 159, 0)  # the orange outline


def test_receptive_field_explorer_every_control_redraws():
    ex = widgets.receptive_field_explorer(load_photo("camera")[::4, ::4])
    names = ["depth"] + [f"{k}{n}" for n in range(1, 5) for k in ("kernel", "stride", "dilation")]
    assert list(ex.controls) == names
    for name in reversed(names):
        before = (_panel_images(ex), ex.info)
        c = ex.controls[name]
        c.value = c.value + 1 if c.value < c.max else c.value - 1
        assert (_panel_images(ex), ex.info) != before, name
        assert ex.message == "", (name, ex.message)


def test_receptive_field_explorer_depth_greys_out_unused_layers():
    ex = widgets.receptive_field_explorer(depth=2)
    assert [ex.controls[f"kernel{n}"].disabled for n in range(1, 5)] == [False, False, True, True]
    assert len(ex.state["rf"]) == 3
    ex.controls["depth"].value = 3
    assert not ex.controls["kernel3"].disabled and len(ex.state["rf"]) == 4


def test_receptive_field_explorer_too_large_is_a_message_then_recovers():
    ex = widgets.receptive_field_explorer(np.zeros((20, 20)), depth=1)
    ex.controls["kernel1"].value = 7
    ex.controls["dilation1"].value = 4  # spans 25 > 20
    assert "larger than the input" in ex.message and ex.message.endswith(
        "Use fewer layers, a smaller kernel, stride or dilation.")
    assert ex.state is None and ex.info == ""
    ex.controls["dilation1"].value = 3  # spans 19
    assert ex.message == "" and ex.state["rf"].size[-1] == (19, 19)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"depth": 5}, ValueError, "receptive_field_explorer: depth must be an integer from 1 to 4"),
    ({"depth": 0}, ValueError, "receptive_field_explorer: depth must be a positive integer"),
    ({"layers": [(3, 1, 1)]}, ValueError, r"receptive_field_explorer: layers must be 4 \(kernel, stride"),
    ({"layers": 3}, ValueError, r"receptive_field_explorer: layers must be 4 \(kernel, stride"),
    ({"layers": [(3, 1, 0)] * 4}, ValueError,
     r"receptive_field_explorer: layers\[0\]\[2\] \(dilation\) must be a positive integer, got 0"),
    ({"image": np.zeros((2, 2, 2, 2))}, ValueError, r"receptive_field_explorer: image must have shape"),
    ({"depth": 2.0}, TypeError, "receptive_field_explorer: depth must be an integer, got 2.0"),
    ({"layers": [(3.5, 1, 1)] * 4}, TypeError,
     r"receptive_field_explorer: layers\[0\]\[0\] \(kernel\) must be an integer, got 3.5"),
])
def test_receptive_field_explorer_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.receptive_field_explorer(**kwargs)


def test_new_explorers_are_widgets_with_a_text_repr():
    import ipywidgets as W

    for ex in (widgets.softmax_explorer(), widgets.gradient_descent_explorer(),
               widgets.receptive_field_explorer()):
        assert isinstance(ex, W.Box) and ex.message == ""
        assert all(isinstance(c, W.ValueWidget) for c in ex.controls.values())
        assert "(run the notebook to use it)" in repr(ex)


@pytest.mark.parametrize("build, control, values", [
    (lambda: widgets.softmax_explorer(), "temperature", [0.5, 2.0, 1.0, 3.0, 0.2]),
    (lambda: widgets.gradient_descent_explorer(momentum=0.9, steps=500), "lr",
     [0.3, 0.1, 1.0, 0.3, 0.1]),
    (lambda: widgets.receptive_field_explorer(load_photo("camera")), "kernel1", [5, 3, 7, 5, 3]),
])
def test_new_explorers_redraw_for_every_value(build, control, values):
    # (how fast is measured by benchmarks/widget_latency.py, not here)
    ex = build()
    for value in values:
        before = (_panel_images(ex), ex.info)
        ex.controls[control].value = value
        assert (_panel_images(ex), ex.info) != before, value
        assert ex.message == ""


# ------------------------------------------------- sliders with a single value are disabled
def test_pooling_window_slider_with_one_window_is_disabled_saying_why():
    ex = widgets.pooling_explorer(x=np.ones((12, 12)), small=np.arange(36).reshape(6, 6))
    window = ex.controls["position"]
    assert not window.disabled and window.max == 8
    with ex.hold():
        ex.controls["size"].value = 3
        ex.controls["stride"].value = 4  # (6 - 3) // 4 + 1 = 1 window a side: one window
    assert ex.output.shape == (1, 1) and ex.message == ""
    assert window.disabled and window.max == 0 and "only one" in window.description
    ex.controls["stride"].value = 1  # 4 x 4 windows: movable again
    assert not window.disabled and window.max == 15 and window.description == "window"


def test_pooling_window_slider_is_disabled_while_no_window_fits():
    ex = widgets.pooling_explorer(x=np.ones((8, 8)), small=np.ones((3, 3)))
    ex.controls["size"].value = 4
    assert "larger than" in ex.message
    assert ex.controls["position"].disabled and "none fit" in ex.controls["position"].description
    ex.controls["size"].value = 1  # the stride follows: 3 x 3 windows
    assert ex.message == "" and not ex.controls["position"].disabled


def test_arithmetic_output_cell_slider_with_one_cell_is_disabled():
    ex = widgets.arithmetic_explorer(input_size=3, filter_size=3, padding=0, stride=1)
    cell = ex.controls["position"]
    assert ex.output_length == 1 and cell.disabled and "only one" in cell.description
    ex.controls["padding"].value = 1
    assert ex.output_length == 3 and not cell.disabled and cell.description == "output cell"


def test_stepper_position_and_play_with_one_position_are_disabled():
    st = widgets.conv_stepper(image=np.ones((3, 3)), kernel=np.ones((3, 3)))
    assert st.output.shape == (1, 1)
    for name in ("position", "play"):
        assert st.controls[name].disabled and "only one" in st.controls[name].description
    st.controls["padding"].value = 1
    assert not st.controls["position"].disabled and st.controls["position"].max == 8
    assert not st.controls["play"].disabled and st.controls["play"].max == 8


def test_feature_map_image_slider_with_one_image_is_disabled():
    model = cl.Sequential(cl.Conv2D(1, 2, 3, rng=0))
    one = widgets.feature_map_explorer(model, np.zeros((1, 6, 6)))
    assert one.controls["image"].disabled and "only one" in one.controls["image"].description
    two = widgets.feature_map_explorer(model, np.zeros((2, 6, 6)))
    assert not two.controls["image"].disabled


# ------------------------------------------------------------------------- huge inputs
def test_conv_explorer_shrinks_a_huge_photo_and_says_so():
    photo = np.tile(load_photo("camera"), (8, 8))[:4000, :4000]  # 4000 x 4000
    ex = widgets.conv_explorer(photo)
    assert ex.image.shape == (500, 500)  # every 8 x 8 block averaged
    np.testing.assert_allclose(ex.image[0, 0], photo[:8, :8].mean(), atol=0.5)
    assert "4000\u00d74000" in ex.notice and "500\u00d7500" in ex.notice
    assert "4000" in ex._notice.value and ex._notice.layout.display != "none"
    assert ex.message == "" and ex.output.shape == (498, 498)
    ex.controls["stride"].value = 2
    assert ex.output.shape == (249, 249)


def test_conv_explorer_shrinks_a_huge_colour_photo():
    photo = np.zeros((1200, 900, 3), np.uint8)
    ex = widgets.conv_explorer(photo)
    assert ex.image.shape == (400, 300, 3) and "1200\u00d7900" in ex.notice


def test_pooling_and_receptive_explorers_shrink_huge_maps():
    big = np.random.default_rng(5).random((2000, 1500)).astype(np.float32)
    ex = widgets.pooling_explorer(x=big)
    assert ex.x.shape == (500, 375) and "2000\u00d71500" in ex.notice
    assert ex.feature_output.shape == (250, 187) and ex.message == ""
    rf = widgets.receptive_field_explorer(np.zeros((3000, 3000), np.uint8))
    assert rf.image.shape == (500, 500) and "3000\u00d73000" in rf.notice and rf.message == ""


def test_small_inputs_are_not_shrunk():
    for ex in (widgets.conv_explorer(load_photo("camera")), widgets.pooling_explorer(),
               widgets.receptive_field_explorer()):
        assert ex.notice == "" and ex._notice.layout.display == "none"


def test_arithmetic_explorer_refuses_a_grid_too_big_to_draw():
    ex = widgets.arithmetic_explorer(input_size=1000)
    assert "too big to draw" in ex.message and "1002\u00d71002" in ex.message
    assert ex.state is None and ex.output_length is None
    assert ex.controls["position"].disabled
    assert "Add padding" not in ex.message  # the hint about fitting does not apply
    ex.controls["input_size"].value = 9
    assert ex.message == "" and ex.output_length == 5 and not ex.controls["position"].disabled
    ex.controls["padding"].value = 0
    ex.controls["input_size"].value = 40  # the largest grid it draws (small cells, no numbers)
    assert ex.message == "" and ex.output_length == (40 - 3) // 2 + 1
    assert ex.state["coverage"].shape == (40, 40)
    ex.controls["input_size"].value = 41  # just over the limit
    assert "41\u00d741" in ex.message


def test_feature_map_explorer_refuses_huge_images():
    model = cl.Sequential(cl.Conv2D(1, 2, 3, rng=0))
    with pytest.raises(ValueError, match="feature_map_explorer: images of 600\u00d7600 are too large"):
        widgets.feature_map_explorer(model, np.zeros((1, 600, 600)))


# ----------------------------------------------------------------- NaN or infinite images
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("build, name", [
    (lambda a: widgets.pooling_explorer(x=a), "x"),
    (lambda a: widgets.pooling_explorer(small=a[:6, :6]), "small"),
    (lambda a: widgets.conv_explorer(a), "image"),
    (lambda a: widgets.conv_stepper(image=a[:5, :5]), "image"),
    (lambda a: widgets.conv_stepper(kernel=a[:3, :3]), "kernel"),
    (lambda a: widgets.flip_explorer(image=a[:7, :7]), "image"),
    (lambda a: widgets.flip_explorer(kernel=a[:3, :3]), "kernel"),
    (lambda a: widgets.receptive_field_explorer(a), "image"),
    (lambda a: widgets.feature_map_explorer(cl.Sequential(cl.ReLU()), a[None]), "images"),
])
def test_nan_or_inf_input_is_reported_as_the_input_not_the_window(build, name, bad):
    a = np.ones((20, 20))
    a[1, 2] = bad
    with pytest.raises(ValueError) as info:
        build(a)
    text = str(info.value)
    assert f": {name} contains NaN or infinite values" in text
    assert "window" not in text and "smaller" not in text


# --------------------------------------------------------------------------- raster helpers
def test_raster_helpers():
    import matplotlib

    from cnnlab import _display as D
    from cnnlab.widgets import _raster as R

    rgb = D.colorize(np.array([[-1.0, 0.0, 1.0]]))  # signed: RdBu_r from -1 to 1
    rdbu = matplotlib.colormaps["RdBu_r"]
    np.testing.assert_array_equal(rgb[0, 0], rdbu(0.0, bytes=True)[:3])
    np.testing.assert_array_equal(rgb[0, 2], rdbu(1.0, bytes=True)[:3])
    img = R.matrix_image(np.arange(6).reshape(2, 3), cell=40)
    assert img.size == (3 * 40 + 1, 2 * 40 + 1)
    assert R.montage(np.zeros((5, 4, 4)), tile=8).shape == (2 * 8 + 4, 3 * 8 + 2 * 4, 3)  # 2 x 3 tiles
    png = R.to_png(img)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert D.fmt_number(3.0, True) == "3" and D.fmt_number(0.125, False) == "0.12"

