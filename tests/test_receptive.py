"""Tests for cnnlab.receptive_field, against a brute force: the input pixels that receive a
non-zero gradient from one output pixel, back-propagated through real cnnlab layers."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab.receptive import ReceptiveField


def positive_stack(layers, in_channels=1):
    """The layers with all weights 1 and biases 0, so no gradient cancels (ReLUs pass all)."""
    model = cl.Sequential(*layers)
    for name, p in model.params.items():
        p[...] = 1.0 if name.endswith("W") else 0.0
    return model


def seen_pixels(model, input_hw, out_rc, rng=None, trials=1):
    """Boolean (H, W) mask of input pixels whose gradient from output pixel ``out_rc`` is non-zero
    (union over ``trials`` random positive inputs; all ones when rng is None)."""
    seen = np.zeros(input_hw, bool)
    for _ in range(trials):
        x = np.ones((1, 1) + input_hw) if rng is None else rng.uniform(0.5, 1.5, (1, 1) + input_hw)
        out = model.forward(x)
        dout = np.zeros_like(out)
        if out.ndim == 2:  # after Flatten/Linear: every output
            dout[...] = 1.0
        else:
            dout[0, :, out_rc[0], out_rc[1]] = 1.0
        seen |= model.backward(dout)[0, 0] != 0
    return seen


def bbox(mask):
    rows, cols = np.nonzero(mask)
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def conv(k, s=1, p=0, d=1, c_in=1, c_out=1):
    return cl.Conv2D(c_in, c_out, k, stride=s, padding=p, dilation=d, rng=0)


STACKS = {
    "two 3x3": ([conv(3), cl.ReLU(), conv(3)], (12, 12)),
    "conv, pool, conv": ([conv(3), cl.ReLU(), cl.AvgPool2D(2), conv(3)], (14, 14)),
    "strided and padded": ([conv(5, s=2, p=2), cl.ReLU(), conv(3, s=2, p=1), conv(3)], (23, 23)),
    "LeNet-5 features": ([conv(5, p=2), cl.ReLU(), cl.AvgPool2D(2), conv(5), cl.ReLU(),
                          cl.AvgPool2D(2)], (28, 28)),
    "non-square": ([cl.Conv2D(1, 1, (3, 5), stride=(1, 2), padding=(1, 0), rng=0),
                    cl.AvgPool2D((2, 3), stride=(2, 1)), conv(3)], (15, 21)),
    "pool stride 1": ([conv(3), cl.AvgPool2D(3, stride=1), conv(2, s=2)], (16, 16)),
}


@pytest.mark.parametrize("name", STACKS)
def test_region_and_size_match_backpropagated_gradients(name):
    layers, hw = STACKS[name]
    model = positive_stack(layers)
    rf = cl.receptive_field(model, input_size=hw)
    oh, ow = model.output_shape((1,) + hw)[1:]
    assert rf.out_size[-1] == (oh, ow)
    for r, c in {(0, 0), (oh - 1, ow - 1), (oh // 2, ow // 2), (0, ow - 1)}:
        seen = seen_pixels(model, hw, (r, c))
        region = rf.region(r, c)
        assert bbox(seen) == region, (r, c)
        # contiguous stacks (no dilation, no stride larger than a window) see a full rectangle
        assert seen.sum() == (region[0].stop - region[0].start) * (region[1].stop - region[1].start)
    # a pixel away from the borders: nothing clipped, the region is r x r
    (top, bottom), (left, right) = rf.bounds(oh // 2, ow // 2)
    if top >= 0 and left >= 0 and bottom < hw[0] and right < hw[1]:
        assert (bottom - top + 1, right - left + 1) == rf.size[-1]


def test_dilation_has_holes_but_the_bounding_box_is_the_field():
    model = positive_stack([conv(3, d=2), conv(3, d=3)])
    rf = cl.receptive_field(model, input_size=(20, 20))
    assert rf.size[-1] == (11, 11)  # 1 + 2*2 + 2*3
    seen = seen_pixels(model, (20, 20), (4, 5))
    assert bbox(seen) == rf.region(4, 5) == (slice(4, 15), slice(5, 16))
    assert seen.sum() == 9 * 9  # offsets {0,2,4} + {0,3,6}: 9 distinct sums per axis, not 11


def test_dilated_and_padded_stack_sees_only_its_region():
    model = positive_stack([conv(3, d=2, p=1), cl.AvgPool2D(2), conv(3, p=2, d=2)])
    rf = cl.receptive_field(model, input_size=(17, 17))
    oh, ow = rf.out_size[-1]
    for r in range(oh):
        for c in range(ow):
            seen = seen_pixels(model, (17, 17), (r, c))
            rows, cols = rf.region(r, c)
            inside = np.zeros_like(seen)
            inside[rows, cols] = True
            assert seen.any() and not np.any(seen & ~inside)


def test_max_pooling_has_the_geometry_of_average_pooling():
    rng = np.random.default_rng(0)
    model = positive_stack([conv(3), cl.ReLU(), cl.MaxPool2D(2), conv(3), cl.MaxPool2D(3, stride=2)])
    rf = cl.receptive_field(model, input_size=(24, 24))
    twin = cl.receptive_field([conv(3), cl.ReLU(), cl.AvgPool2D(2), conv(3),
                               cl.AvgPool2D(3, stride=2)], 24)
    assert (rf.size, rf.jump, rf.first) == (twin.size, twin.jump, twin.first)
    # max pooling routes the gradient to one arg-max per window: over many random inputs, the
    # pixels reached fill the region exactly
    seen = seen_pixels(model, (24, 24), (1, 2), rng=rng, trials=60)
    assert bbox(seen) == rf.region(1, 2)


def test_hand_computed_values():
    # three 3x3 convolutions see 7x7 (Simonyan and Zisserman 2015); Distill article's rule
    rf = cl.receptive_field([(3, 1, 1)] * 3)
    assert rf.size[1:] == [(3, 3), (5, 5), (7, 7)] and rf.jump[-1] == (1, 1)
    # LeNet-5: 5 -> pool 6 -> 5 (jump 2) 14 -> pool 16, jump 4; padding 2 moves the start
    lenet = [(5, 1, 1, 2), (2, 2, 1), (5, 1, 1), (2, 2, 1)]
    rf = cl.receptive_field(lenet, input_size=28)
    assert [s[0] for s in rf.size] == [1, 5, 6, 14, 16]
    assert [j[0] for j in rf.jump] == [1, 1, 2, 2, 4]
    assert [s[0] for s in rf.start] == [0, 0, 0.5, 4.5, 5.5]
    assert rf.out_size[-1] == (5, 5)
    assert rf.bounds(0, 0) == ((-2, 13), (-2, 13))
    assert rf.region(0, 0) == (slice(0, 14), slice(0, 14))
    assert rf.region(4, 4) == (slice(14, 28), slice(14, 28))


def test_element_wise_layers_change_nothing_and_global_layers_see_everything():
    model = cl.Sequential(conv(3), cl.ReLU(), cl.Flatten(), cl.Linear(36, 2, rng=0))
    rf = cl.receptive_field(model, input_size=(8, 8))
    assert rf.size[2] == rf.size[1] == (3, 3)
    assert rf.is_global == [False, False, False, True, True]
    assert rf.region(0, 0) == (slice(0, 8), slice(0, 8))
    seen = seen_pixels(positive_stack(model.layers), (8, 8), (0, 0))  # dense output (1, 2)
    assert seen.all()
    assert "whole input" in str(cl.receptive_field(model))


def test_nested_sequential_acts_as_one_layer():
    inner = cl.Sequential(conv(3), cl.ReLU(), cl.AvgPool2D(2))
    flat = cl.receptive_field([conv(3), cl.AvgPool2D(2), conv(3)], 20)
    nested = cl.receptive_field([inner, conv(3)], 20)
    assert nested.size[-1] == flat.size[-1] and nested.jump[-1] == flat.jump[-1]
    assert nested.region(2, 3) == flat.region(2, 3)


def test_table_text_and_html():
    rf = cl.receptive_field(cl.Sequential(conv(3), cl.MaxPool2D(2)), input_size=10)
    assert isinstance(rf, ReceptiveField) and len(rf) == 3
    lines = str(rf).splitlines()
    assert lines[0].split() == ["Layer", "Output", "Field", "Jump", "Start"]
    assert lines[4].split() == ["MaxPool2D", "4", "x", "4", "4", "x", "4", "2", "1.5"]
    assert "<td style='text-align:left'>MaxPool2D</td>" in rf._repr_html_()


@pytest.mark.parametrize("layers, match, exc", [
    ("conv", "receptive_field: layers must be a Sequential", TypeError),
    ([(3, 1)], r"receptive_field: layers\[0\] must be a cnnlab layer or a \(kernel", TypeError),
    ([(3, 0, 1)], r"receptive_field: stride of layers\[0\] must be a positive integer", ValueError),
    ([(3, 1, 1, -1)], r"receptive_field: padding of layers\[0\] must be a non-negative", ValueError),
])
def test_bad_layers_are_rejected(layers, match, exc):
    with pytest.raises(exc, match=match):
        cl.receptive_field(layers)


def test_bad_sizes_and_pixels_are_rejected():
    with pytest.raises(ValueError, match=r"receptive_field \(layer 2, row 2\): the window \(size 5"):
        cl.receptive_field([(3, 1, 1), (5, 1, 1)], input_size=6)
    with pytest.raises(TypeError, match="receptive_field: input_size must be a positive integer"):
        cl.receptive_field([(3, 1, 1)], input_size=2.5)
    rf = cl.receptive_field([(3, 1, 1)])
    with pytest.raises(ValueError, match="ReceptiveField.region: give input_size"):
        rf.region(0, 0)
    rf = cl.receptive_field([(3, 1, 1)], input_size=5)
    with pytest.raises(ValueError, match=r"output pixel \(3, 0\) is outside the 3 x 3 output"):
        rf.region(3, 0)
    with pytest.raises(ValueError, match="ReceptiveField.bounds: row must be an integer >= 0"):
        rf.bounds(-1, 0)
    with pytest.raises(ValueError, match="ReceptiveField.bounds: layer must be in -2..1"):
        rf.bounds(0, 0, layer=2)
