"""Figures without glitches: titles and labels inside the figure and their own panel, a "nothing
fits" title, a colour scale the padding border does not wash out (issue 20). Extents are the
renderer's own (``get_window_extent`` after a draw), not estimates."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import models, viz, widgets


def _draw(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _inside(inner, outer, tol=1.0):
    return (inner.x0 >= outer.x0 - tol and inner.x1 <= outer.x1 + tol
            and inner.y0 >= outer.y0 - tol and inner.y1 <= outer.y1 + tol)


def _overlap(a, b):
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def _title_problems(fig):
    """Axes titles that leave the figure, or overlap another title or another panel."""
    r = _draw(fig)
    frame = fig.bbox
    axes = [ax for ax in fig.axes if ax.get_title()]
    boxes = [(ax, ax.title.get_window_extent(r)) for ax in axes]
    problems = []
    for ax, box in boxes:
        if not _inside(box, frame):
            problems.append(f"{ax.get_title()!r} leaves the figure")
        for other, obox in boxes:
            if other is not ax and _overlap(box, obox):
                problems.append(f"{ax.get_title()!r} overlaps the title {other.get_title()!r}")
        for other in fig.axes:
            if other is not ax and _overlap(box, other.get_window_extent(r)):
                problems.append(f"{ax.get_title()!r} runs into a neighbouring panel")
    return problems


@pytest.mark.parametrize("step", [0, 1, 2])
def test_flip_twin_titles_stay_above_their_own_panel(step):
    fig = viz.flip_explorer(kernel="sobel x", step=step)
    assert _title_problems(fig) == []
    # the step is still named in full (wrapped over lines, not cut)
    assert " ".join(fig.axes[2].get_title().split()) == cl._explore.FLIP_STEPS[step]


def _small_resnet():
    rng = np.random.default_rng(0)
    return cl.Sequential(cl.Conv2D(1, 8, 3, padding=1, bias=False, rng=rng), cl.BatchNorm2D(8),
                         cl.ReLU(), *models.basic_block(8, 16, stride=2, rng=rng),
                         *models.basic_block(16, 32, stride=2, rng=rng), cl.GlobalAvgPool2D(),
                         cl.Linear(32, 10, rng=rng))


def test_architecture_names_stay_inside_their_blocks():
    fig = viz.show_architecture(_small_resnet(), (1, 28, 28))
    r = _draw(fig)
    ax = fig.axes[0]
    blocks = [p.get_window_extent(r) for p in ax.patches if type(p).__name__ == "FancyBboxPatch"]
    texts = ax.texts
    assert len(texts) == 3 * len(blocks)
    outside = [t.get_text() for k, t in enumerate(texts)
               if not _inside(t.get_window_extent(r), blocks[k // 3], tol=0)]
    assert outside == []
    names = [t.get_window_extent(r) for t in texts[::3]]
    assert not any(_overlap(a, b) for i, a in enumerate(names) for b in names[i + 1:])


def test_arithmetic_explorer_says_that_no_window_fits():
    ex = widgets.arithmetic_explorer(input_size=5, filter_size=3, padding=0, stride=1)
    ex.controls["input_size"].value = 2  # a 3-wide filter on 2 cells without padding
    title = ex.panels[1].title.value
    assert ex.message and "no window fits" in title and "1\u00d71" not in title
    ex.controls["padding"].value = 1
    assert not ex.message and "output 2\u00d72" in ex.panels[1].title.value


def test_padding_border_does_not_set_the_colour_scale():
    # Sobel on the cameraman with padding 2: the map inside its outer 2-pixel band is exactly
    # the unpadded map, so the colour limits must be the unpadded map's (the zero border's
    # false edges would raise them and wash the picture out).
    clims = [viz.conv_explorer(kernel="sobel x", padding=p).axes[2].images[0].get_clim()
             for p in (0, 2)]
    assert clims[1] == pytest.approx(clims[0])
    ex = widgets.conv_explorer(kernel="sobel x")
    ex.controls["padding"].value = 2
    assert "zero padding" in ex.info
    import io

    from PIL import Image
    shown = Image.open(io.BytesIO(ex.panels[2].image.value))
    assert shown.width > ex.output.shape[1]  # the map and its colour bar, as in the twin


def test_feature_maps_on_their_own_scales_with_colour_bars():
    # one strong and one weak map: on a shared scale the weak one is near-black; on its own
    # scale with a colour bar each map spans its own values
    maps = np.stack([np.outer(np.arange(6.0), np.ones(6)), 0.01 * np.eye(6)])
    fig = viz.show_feature_maps(maps, scale="each", colorbar=True)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert [im.get_clim()[1] for im in images] == pytest.approx([5.0, 0.01], rel=0.05)
    bars = [ax for ax in fig.axes if not ax.images and ax.get_label() == "<colorbar>"]
    assert len(bars) == 2
    assert _title_problems(fig) == []
