"""Tests for cnnlab.viz: named filters, plotting helpers, the explorers' static twins, rasters."""

import numpy as np
import pytest
import scipy.signal

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import cnnlab as cl  # noqa: E402
from cnnlab import viz  # noqa: E402
from cnnlab.viz.kernels import KERNEL_NAMES, get_kernel  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(ax):
    return [t.get_text() for t in ax.texts]


# --------------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("name", KERNEL_NAMES)
@pytest.mark.parametrize("size", [3, 5])
def test_kernels_have_the_right_shape(name, size):
    k = get_kernel(name, size, rng=0)
    assert k.shape == (size, size) and k.dtype == np.float64


@pytest.mark.parametrize("size", [3, 5])
def test_kernel_properties(size):
    ramp = np.tile(np.arange(9.0), (9, 1))  # brighter to the right
    assert np.all(cl.correlate2d(ramp, get_kernel("sobel x", size)) > 0)
    assert np.allclose(cl.correlate2d(ramp, get_kernel("sobel y", size)), 0)
    flat = np.full((7, 7), 3.0)
    for name in ("identity", "box blur", "gaussian blur", "sharpen"):
        assert get_kernel(name, size).sum() == pytest.approx(1.0)
        np.testing.assert_allclose(cl.correlate2d(flat, get_kernel(name, size)), 3.0)
    assert get_kernel("laplacian", size).sum() == pytest.approx(0.0)
    np.testing.assert_array_equal(get_kernel("sobel y", size), get_kernel("sobel x", size).T)
    # "random": normal values rounded to 0.1, drawn from the generator it is given
    np.testing.assert_array_equal(get_kernel("random", size, rng=1),
                                  np.round(np.random.default_rng(1).normal(0.0, 1.0, (size, size)), 1))


def test_named_kernels_accept_spellings_and_reject_others():
    np.testing.assert_array_equal(get_kernel("Sobel_X"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    with pytest.raises(ValueError, match="get_kernel: name must be one of"):
        get_kernel("blur!")
    with pytest.raises(ValueError, match="get_kernel: size must be 3 or 5"):
        get_kernel("identity", 4)


# --------------------------------------------------------------------------------- helpers
def test_show_matrix_writes_every_value_and_tints_padding():
    a = np.array([[1, -2, 3], [4, 5, -6]])
    ax = viz.show_matrix(a, title="a")
    assert texts(ax) == ["1", "-2", "3", "4", "5", "-6"]
    assert ax.get_title() == "a"
    img = np.asarray(ax.images[0].get_array())
    # signed values: diverging colours with limits symmetric about zero (-6 .. 6)
    assert img.shape == (2, 3, 3)
    rdbu = matplotlib.colormaps["RdBu_r"]
    np.testing.assert_array_equal(img[1, 2], rdbu(0.0, bytes=True)[:3])        # -6: the bottom
    np.testing.assert_array_equal(img[1, 1], rdbu(int(11 / 12 * 255), bytes=True)[:3])  # 5
    ax2 = viz.show_matrix(np.pad(np.ones((2, 2)), 1), pad=1, boxes=[(0, 0, 2, 2)])
    assert tuple(ax2.images[0].get_array()[0, 0]) == (225, 225, 225)  # padding: light grey
    assert len(ax2.patches) == 1
    with pytest.raises(ValueError, match="show_matrix: a must be 2-D"):
        viz.show_matrix(np.ones(3))


def test_show_matrix_formats_floats_and_masks():
    ax = viz.show_matrix([[0.5, 1.25], [2.0, 3.0]], mask=np.array([[True, False], [True, True]]))
    assert texts(ax) == ["0.5", "2", "3"]
    ax = viz.show_matrix([[0.5, 1.25]], fmt="{:.1f}")
    assert texts(ax) == ["0.5", "1.2"]


def test_show_image_colour_rules():
    photo = (np.arange(64).reshape(8, 8) * 4).astype(np.uint8)
    ax = viz.show_image(photo, title="photo")
    im = ax.images[0]
    assert im.get_cmap().name == "gray" and im.get_clim() == (0, 255)
    signed = np.array([[-1.0, 3.0], [0.0, 2.0]])
    im = viz.show_image(signed, colorbar=True).images[0]
    assert im.get_cmap().name == "RdBu_r" and im.get_clim() == (-3.0, 3.0)
    im = viz.show_image(np.array([[0.0, 2.0]])).images[0]
    assert im.get_cmap().name == "cividis"
    rgb = np.zeros((4, 4, 3), np.uint8)
    assert viz.show_image(rgb).images[0].get_array().shape == (4, 4, 3)


def test_show_feature_maps_and_filters():
    maps = np.random.default_rng(0).normal(size=(6, 5, 5))
    fig = viz.show_feature_maps(maps, cols=3, suptitle="six maps")
    assert isinstance(fig, Figure)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 6
    limits = {im.get_clim() for im in images}
    assert len(limits) == 1 and list(limits)[0][0] == -list(limits)[0][1]
    w = np.random.default_rng(1).normal(size=(4, 2, 3, 3))
    fig = viz.show_filters(w)
    assert sum(1 for ax in fig.axes if ax.images) == 8
    assert all(len(ax.texts) == 9 for ax in fig.axes if ax.images)
    with pytest.raises(ValueError, match="show_feature_maps"):
        viz.show_feature_maps(np.ones(5))


def test_show_feature_maps_each_map_on_its_own_scale():
    weak = np.zeros((4, 4))
    weak[1, 2] = 0.5                                     # a faint map beside strong ones
    strong = np.linspace(-30, 10, 16).reshape(4, 4)
    maps = np.stack([weak, strong, 1000 + np.arange(16.0).reshape(4, 4)])
    shared = [ax.images[0] for ax in viz.show_feature_maps(maps).axes if ax.images]
    assert {im.get_clim() for im in shared} == {(-1015.0, 1015.0)}
    each = [ax.images[0] for ax in viz.show_feature_maps(maps, scale="each").axes if ax.images]
    assert [im.get_clim() for im in each] == [(0.0, 0.5), (-30.0, 30.0), (1000.0, 1015.0)]
    assert [im.get_cmap().name for im in each] == ["cividis", "RdBu_r", "cividis"]
    each_signed = viz.show_feature_maps(maps, scale="each", signed=True).axes[0].images[0]
    assert each_signed.get_clim() == (-0.5, 0.5)
    with pytest.raises(ValueError, match="show_feature_maps: scale must be 'shared' or 'each'"):
        viz.show_feature_maps(maps, scale="per map")


# ------------------------------------------------------------------------------ the twins
def _titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_twins_return_figures_outside_pyplot():
    before = plt.get_fignums()
    model = cl.Sequential(cl.Conv2D(1, 3, 3, rng=0), cl.ReLU(), cl.Flatten())
    figs = [viz.conv_explorer(), viz.conv_stepper(), viz.arithmetic_explorer(),
            viz.pooling_explorer(), viz.param_counter(),
            viz.feature_map_explorer(model, np.zeros((2, 8, 8))), viz.flip_explorer()]
    assert all(isinstance(f, Figure) for f in figs)
    assert plt.get_fignums() == before  # nothing registered with pyplot: shown once
    for f in figs:
        f.canvas.draw()  # draws without error


def test_conv_explorer_twin_shows_the_numbers():
    image = np.arange(36).reshape(6, 6) % 7
    fig = viz.conv_explorer(image, kernel="sobel x", stride=2, padding=1)
    axes = fig.axes
    expected = scipy.signal.correlate2d(np.pad(image, 1), get_kernel("sobel x"), "valid")[::2, ::2]
    assert texts(axes[2]) == [str(int(v)) for v in expected.ravel()]
    assert "feature map 3\u00d73" in _titles(fig)
    assert "input 6\u00d76 + padding 1" in _titles(fig)
    assert fig._suptitle.get_text().endswith("\u230a(6 + 2\u00b71 \u2212 3) / 2\u230b + 1 = 3")
    with pytest.raises(ValueError, match="larger than"):
        viz.conv_explorer(np.ones((2, 2)), kernel="identity")


def test_stepper_twin_fills_the_output_up_to_the_position():
    fig = viz.conv_stepper(position=4)
    out_ax = fig.axes[3]
    assert texts(out_ax) == ["4", "3", "4", "2", "4"]
    assert texts(fig.axes[2]) == ["1", "0", "1", "0", "1", "0", "0", "0", "1"]  # window at (1, 1)
    assert "sum = 4" in fig.axes[2].get_title()


def test_arithmetic_twin_coverage_numbers():
    fig = viz.arithmetic_explorer(input_size=6, filter_size=3, padding=0, stride=2)
    assert texts(fig.axes[0])[:6] == ["1", "1", "2", "1", "1", "0"]
    assert fig._suptitle.get_text().endswith("= 2")
    assert len(fig.axes[0].patches) == 9  # the 9 taps of output cell 0


def test_pooling_twin_values():
    small = np.arange(16).reshape(4, 4)
    fig = viz.pooling_explorer(x=np.random.default_rng(0).random((20, 20)), small=small, mode="avg")
    assert texts(fig.axes[1]) == ["2.5", "4.5", "10.5", "12.5"]
    assert "avg pooled 10\u00d710" in _titles(fig)


def test_twins_refuse_grids_too_big_to_draw():
    # each would write a number into every one of a million cells (minutes, then unreadable)
    with pytest.raises(ValueError, match="viz.arithmetic_explorer: a 1002\u00d71002 grid .* too big"):
        viz.arithmetic_explorer(input_size=1000)
    with pytest.raises(ValueError, match="viz.conv_stepper: image must be a 2-D matrix of at most 16x16"):
        viz.conv_stepper(np.ones((1000, 1000)))
    with pytest.raises(ValueError, match="viz.flip_explorer: image must be a 2-D matrix"):
        viz.flip_explorer(np.ones((100, 100)))


def test_param_counter_twin_bars():
    fig = viz.param_counter(256, 3, 1000, 32, 3)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [196_609_000, 896]
    assert ax.get_xscale() == "log"


def test_feature_map_twin_and_flip_twin():
    model = cl.Sequential(cl.Conv2D(1, 5, 3, rng=0), cl.ReLU())
    fig = viz.feature_map_explorer(model, np.random.default_rng(0).random((3, 8, 8)), image=1, layer=1)
    assert sum(1 for ax in fig.axes if ax.images) == 1 + 5
    image = np.random.default_rng(3).integers(0, 10, size=(7, 7))
    fig = viz.flip_explorer(image, kernel="gaussian blur")
    assert "symmetric filter" in fig._suptitle.get_text()
    k = get_kernel("gaussian blur")
    for ax, expected in ((fig.axes[3], scipy.signal.correlate2d(image, k, "valid")),
                         (fig.axes[4], scipy.signal.convolve2d(image, k, "valid"))):
        drawn = np.array([float(t) for t in texts(ax)]).reshape(expected.shape)
        np.testing.assert_allclose(drawn, expected, atol=0.05)  # written with 1-2 decimals
    fig = viz.flip_explorer(kernel="sobel x", step=1)
    assert texts(fig.axes[2])[:3] == ["-1", "0", "1"] and fig.axes[2].get_title() == "flipped top to bottom"


def test_feature_map_twin_shows_an_rgb_photo_with_its_brightness():
    # regression: an RGB batch in 0..255 was divided by 255 twice and drawn black
    import cnnlab as cl
    from cnnlab import viz

    model = cl.Sequential(cl.Conv2D(3, 1, 3, rng=0))
    fig = viz.feature_map_explorer(model, np.full((1, 3, 8, 8), 200.0))
    shown = fig.axes[0].get_images()[0].get_array()
    assert np.all(np.asarray(shown) == 200)  # 0..255 stays 0..255
    fig2 = viz.feature_map_explorer(model, np.full((1, 3, 8, 8), 0.5))
    assert np.all(np.abs(np.asarray(fig2.axes[0].get_images()[0].get_array()) - 127.5) <= 1)


# --------------------------------------------------------------- models and training runs
def _lenet5():
    return cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2, rng=0), cl.ReLU(), cl.AvgPool2D(2),
        cl.Conv2D(6, 16, 5, rng=0), cl.ReLU(), cl.AvgPool2D(2), cl.Flatten(),
        cl.Linear(400, 120, rng=0), cl.ReLU(), cl.Linear(120, 84, rng=0), cl.ReLU(),
        cl.Linear(84, 10, rng=0))


def _block_colours(ax):
    from matplotlib.patches import FancyBboxPatch

    return [p.get_facecolor() for p in ax.patches if isinstance(p, FancyBboxPatch)]


def test_show_architecture_draws_lenet5_with_shapes_and_counts():
    from matplotlib.colors import to_rgba

    from cnnlab.viz.architecture import KIND_COLORS

    before = plt.get_fignums()
    fig = viz.show_architecture(_lenet5(), (1, 28, 28))
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    ax = fig.axes[0]
    words = texts(ax)
    # name, shape, parameter count per block, in model order; then the softmax of the loss
    assert words[:3] == ["Input", "1\u00d728\u00d728", "no params"]
    assert words[3:6] == ["Conv2D", "6\u00d728\u00d728", "156 params"]  # 6 * (25 + 1)
    assert words[9:12] == ["AvgPool2D", "6\u00d714\u00d714", "no params"]
    assert words[12:15] == ["Conv2D", "16\u00d710\u00d710", "2,416 params"]  # 16 * (6*25 + 1)
    assert words[21:24] == ["Flatten", "400", "no params"]
    assert words[24:27] == ["Linear", "120", "48,120 params"]  # 400 * 120 + 120
    assert words[-6:] == ["Linear", "10", "850 params", "softmax", "10", "(in the loss)"]
    colours = _block_colours(ax)
    assert len(colours) == 13 + 1
    assert colours[1] == to_rgba(KIND_COLORS["conv"]) and colours[2] == to_rgba(KIND_COLORS["activation"])
    assert colours[3] == to_rgba(KIND_COLORS["pool"]) and colours[7] == to_rgba(KIND_COLORS["reshape"])
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == 13
    fig.canvas.draw()


def test_show_architecture_draws_the_digits_cnn_of_notebook_09():
    model = cl.Sequential(
        cl.Conv2D(1, 16, 3, padding=1, rng=1), cl.ReLU(), cl.MaxPool2D(2),
        cl.Conv2D(16, 32, 3, padding=1, rng=1), cl.ReLU(), cl.MaxPool2D(2), cl.Flatten(),
        cl.Linear(32 * 2 * 2, 10, rng=1))
    words = texts(viz.show_architecture(model, (1, 8, 8)).axes[0])
    names, shapes, counts = words[0::3], words[1::3], words[2::3]
    assert names == ["Input", "Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D",
                     "Flatten", "Linear", "softmax"]
    assert shapes[3] == "16\u00d74\u00d74" and shapes[7] == "128"
    # 16 * (9 + 1), 32 * (16 * 9 + 1), 128 * 10 + 10
    assert [counts[1], counts[4], counts[8]] == ["160 params", "4,640 params", "1,290 params"]


def test_show_architecture_snakes_and_draws_unknown_layers():
    class Scale(cl.layers.Layer):  # a layer show_architecture has never heard of
        def forward(self, x):
            return 2 * x

    model = cl.Sequential(cl.Conv2D(1, 2, 3, padding=1, rng=0), Scale(), cl.MaxPool2D(2))
    fig = viz.show_architecture(model, (1, 8, 8), per_row=2)
    ax = fig.axes[0]
    assert texts(ax)[6:9] == ["Scale", "2\u00d78\u00d78", "no params"]
    assert "softmax" not in texts(ax)  # last layer is not Linear
    from matplotlib.patches import FancyBboxPatch
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    xs = [round(b.get_x(), 6) for b in boxes]
    ys = [round(b.get_y(), 6) for b in boxes]
    # 4 blocks, 2 per row: row 0 left to right, row 1 right to left
    assert xs[0] < xs[1] and xs[2] > xs[3] and xs[1] == xs[2] and ys[0] == ys[1] > ys[2] == ys[3]
    assert boxes[2].get_linewidth() > boxes[1].get_linewidth()  # unknown kind: bold outline
    _, ax2 = plt.subplots()
    assert viz.show_architecture(model, (1, 8, 8), ax=ax2, softmax=True) is ax2.figure
    assert texts(ax2)[-3] == "softmax"
    with pytest.raises(TypeError, match="show_architecture: model must be a cnnlab Sequential"):
        viz.show_architecture([cl.ReLU()], (1, 8, 8))
    with pytest.raises(ValueError, match="Linear"):
        viz.show_architecture(cl.Sequential(cl.Linear(3, 2)), (1, 8, 8))


def test_show_architecture_reads_rows_by_position():
    class FourColumnModel:  # summaries may grow a 4th entry (multiply-accumulates)
        def summary(self, input_shape):
            class S:
                rows = [("Input", (1, 4, 4), 0, 0), ("Conv2D", (2, 2, 2), 20, 72)]
            return S()

    fig = viz.show_architecture(FourColumnModel(), (1, 4, 4))
    assert texts(fig.axes[0]) == ["Input", "1\u00d74\u00d74", "no params",
                                  "Conv2D", "2\u00d72\u00d72", "20 params"]


HISTORY = {"loss": [1.5, 0.6, 0.3], "accuracy": [0.5, 0.8, 0.9],
           "val_loss": [0.9, 0.5, 0.45], "val_accuracy": [0.7, 0.85, 0.86]}


def test_plot_history_draws_both_curves_honestly_labelled():
    fig = viz.plot_history(HISTORY, title="run", val_label="test")
    loss_ax, acc_ax = fig.axes
    (train, val), (train_acc, val_acc) = loss_ax.lines, acc_ax.lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train.get_ydata(), HISTORY["loss"])
    np.testing.assert_array_equal(val.get_ydata(), HISTORY["val_loss"])
    np.testing.assert_array_equal(train_acc.get_ydata(), HISTORY["accuracy"])
    np.testing.assert_array_equal(val_acc.get_ydata(), HISTORY["val_accuracy"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "training (averaged during the epoch)", "test"]
    assert fig._suptitle.get_text() == "run"
    assert loss_ax.get_ylabel() == "cross-entropy loss" and acc_ax.get_ylabel() == "accuracy"
    shifted = viz.plot_history(HISTORY, shift_training=True)
    np.testing.assert_array_equal(shifted.axes[0].lines[0].get_xdata(), [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(shifted.axes[0].lines[1].get_xdata(), [1, 2, 3])


def test_plot_history_from_fit_without_validation():
    from cnnlab.train import SGD, fit

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 1, 4, 4)), rng.integers(0, 2, 16)
    model = cl.Sequential(cl.Flatten(), cl.Linear(16, 2, rng=0))
    history = fit(model, X, y, epochs=2, batch_size=8, optimizer=SGD(model, lr=0.1), rng=0)
    fig = viz.plot_history(history)
    assert [len(ax.lines) for ax in fig.axes] == [1, 1]
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), history["accuracy"])
    with pytest.raises(ValueError, match="plot_history: history must have a 'accuracy' list"):
        viz.plot_history({"loss": [1.0]})
    with pytest.raises(ValueError, match=r"plot_history: history\['val_loss'\] has 1 entries"):
        viz.plot_history({**HISTORY, "val_loss": [1.0]})


def test_confusion_matrix_counts_against_scikit_learn():
    from sklearn.metrics import confusion_matrix as sk_confusion

    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
    np.testing.assert_array_equal(viz.confusion_matrix(y_true, y_pred),
                                  sk_confusion(y_true, y_pred, labels=range(10)))
    ax = viz.plot_confusion(y_true, y_pred)
    counts = sk_confusion(y_true, y_pred, labels=range(10))
    np.testing.assert_array_equal(ax.images[0].get_array(), counts)
    assert texts(ax) == [str(c) for c in counts.ravel() if c]
    assert ax.get_title() == f"{np.trace(counts)} of 200 on the diagonal"
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert viz.confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match="confusion_matrix: y_true and y_pred must have the same length"):
        viz.plot_confusion([0, 1], [0])
    with pytest.raises(ValueError, match="confusion_matrix: y_pred must be a 1-D array of integer"):
        viz.plot_confusion([0, 1], [0.5, 1.0])
    with pytest.raises(ValueError, match="confusion_matrix: num_classes is 2 but the labels go up to 3"):
        viz.confusion_matrix([0, 3], [0, 1], num_classes=2)


# ------------------------------------------------- twins of the softmax, descent, field explorers
widgets = pytest.importorskip("cnnlab.widgets")


def test_learning_twins_are_figures_outside_pyplot():
    before = plt.get_fignums()
    figs = [viz.softmax_explorer(), viz.gradient_descent_explorer(),
            viz.receptive_field_explorer()]
    assert all(isinstance(f, Figure) for f in figs) and plt.get_fignums() == before
    for f in figs:
        f.canvas.draw()


def test_softmax_twin_draws_the_widgets_numbers():
    settings = {"logits": [0.5, 3.0, -1.0], "label": 2, "temperature": 0.5,
                "classes": ["cat", "dog", "fish"]}
    fig = viz.softmax_explorer(**settings)
    ex = widgets.softmax_explorer(**settings)
    ax_z, ax_p = fig.axes
    np.testing.assert_allclose([b.get_height() for b in ax_p.patches], ex.state["p"])
    np.testing.assert_allclose([b.get_height() for b in ax_z.patches], ex.state["scaled"])
    assert [t.get_text() for t in ax_p.get_xticklabels()] == ["cat", "dog", "fish"]
    orange = [b for b in ax_p.patches if b.get_facecolor()[:3] == pytest.approx((230 / 255, 159 / 255, 0))]
    assert len(orange) == 1 and orange[0].get_x() == pytest.approx(2 - 0.4)
    assert f"\u2212log p = {ex.state['loss']:.3f}" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="softmax_explorer: label must be a class 0..2"):
        viz.softmax_explorer([1.0, 2.0, 3.0], label=3)


def test_gradient_descent_twin_draws_the_widgets_run():
    fig = viz.gradient_descent_explorer(lr=0.3, momentum=0.8, steps=120)
    ex = widgets.gradient_descent_explorer(lr=0.3, momentum=0.8, steps=120)
    loss_ax, w_ax, t_ax = fig.axes[:3]
    plain, run = loss_ax.lines[:2]
    np.testing.assert_allclose(run.get_ydata(), ex.state["losses"])
    np.testing.assert_allclose(plain.get_ydata(), ex.state["plain"]["losses"])
    assert loss_ax.get_yscale() == "log"
    assert texts(w_ax) == [f"{v:.2f}" for v in ex.state["filter"].ravel()]
    assert texts(t_ax) == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    diverged = viz.gradient_descent_explorer(lr=4.0, momentum=0.9, steps=100)
    assert diverged._suptitle.get_text().startswith("The loss diverged")


def test_receptive_field_twin_draws_the_widgets_field():
    from matplotlib.patches import Rectangle

    layers = [(3, 1, 2), (2, 2, 1), (3, 1, 1), (2, 2, 1)]
    fig = viz.receptive_field_explorer(layers=layers, depth=3)
    ex = widgets.receptive_field_explorer(layers=layers, depth=3)
    ax_img = fig.axes[0]
    # the pixels the centre pixel sees as they are, the others faded 65 % towards white
    grey = np.repeat(np.asarray(ex.image, float)[:, :, None], 3, axis=2)
    expected = np.where(ex.state["taps"][:, :, None], grey, 0.35 * grey + 0.65 * 255)
    drawn = np.asarray(ax_img.images[0].get_array()[..., :3], float)
    assert np.abs(drawn - expected).max() <= 1
    rects = [p for p in ax_img.patches if isinstance(p, Rectangle)]
    (top, bottom), (left, right) = ex.state["bounds"]
    orange = rects[-1]
    assert (orange.get_x(), orange.get_y()) == (left - 0.5, top - 0.5)
    assert (orange.get_width(), orange.get_height()) == (right - left + 1, bottom - top + 1)
    assert " ".join(fig.axes[2].texts[0].get_text().split()) == " ".join(ex.info.split())
    with pytest.raises(ValueError, match="larger than the input"):
        viz.receptive_field_explorer(np.zeros((8, 8)), layers=[(7, 1, 4)] * 4, depth=1)


@pytest.mark.parametrize("layers, depth", [(None, 1), (None, 2), (None, 3), (None, 4),
                                           ([(7, 1, 4), (5, 2, 3), (7, 1, 2), (3, 2, 1)], 4)])
def test_receptive_field_twin_text_stays_inside_its_panel(layers, depth):
    # regression: the first rule line ran past its panel to the figure's right edge
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = viz.receptive_field_explorer(np.zeros((256, 256)) if layers else None, layers=layers,
                                       depth=depth)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[2]
    text, panel = ax.texts[0].get_window_extent(renderer), ax.get_window_extent(renderer)
    assert text.x1 <= panel.x1, (text.x1, panel.x1)
    assert text.y0 >= panel.y0 - 0.05 * fig.dpi, (text.y0, panel.y0)
