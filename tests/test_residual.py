"""cnnlab/residual.py: y = body(x) + shortcut(x), its gradient, parameters and modes."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab.gradcheck import check_layer
from cnnlab.train import SGD


def _randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    for p in layer.params.values():
        p[...] = rng.normal(size=p.shape)
    return layer


def _block(seed=0, shortcut=False):
    rng = np.random.default_rng(seed)
    body = cl.Sequential(cl.Conv2D(2, 3, 3, padding=1, rng=rng), cl.ReLU(),
                         cl.Conv2D(3, 3, 3, padding=1, rng=rng))
    return cl.Residual(body, cl.Conv2D(2, 3, 1, rng=rng) if shortcut else None) if shortcut else \
        cl.Residual(cl.Sequential(cl.Conv2D(2, 2, 3, padding=1, rng=rng), cl.ReLU(),
                                  cl.Conv2D(2, 2, 3, padding=1, rng=rng)))


def test_forward_is_body_plus_identity_or_shortcut():
    x = np.random.default_rng(2).normal(size=(2, 2, 5, 5))
    block = _randomise(_block())
    np.testing.assert_allclose(block.forward(x), block.body.forward(x) + x)
    block = _randomise(_block(shortcut=True))
    expected = block.body.forward(x) + cl.conv2d(x, block.shortcut.params["W"], block.shortcut.params["b"])
    np.testing.assert_allclose(block.forward(x), expected)


@pytest.mark.parametrize("shortcut", [False, True])
def test_backward_matches_numerical_gradients(shortcut):
    block = _randomise(_block(shortcut=shortcut), seed=3)
    report = check_layer(block, np.random.default_rng(4).normal(size=(2, 2, 4, 4)), rng=5)
    assert report.passed, str(report)
    assert set(report.errors) == {"x", *block.params}


def test_a_single_layer_body_and_batch_norm_inside_in_both_modes():
    # no conv bias before batch norm: its true gradient is 0 in training mode (the mean removes it)
    block = cl.Residual(cl.Sequential(cl.Conv2D(2, 2, 3, padding=1, bias=False, rng=0), cl.BatchNorm2D(2)))
    _randomise(block, seed=6)
    x = np.random.default_rng(7).normal(size=(3, 2, 3, 3))
    for mode in (True, False):
        block.train(mode)
        assert block.body[1].training is mode
        report = check_layer(block, x, rng=8)
        assert report.passed, str(report)
    assert set(cl.Residual(cl.Linear(3, 3)).params) == {"body.W", "body.b"}


def test_params_are_gathered_by_sequential_and_seen_by_the_optimiser():
    model = cl.Sequential(cl.Conv2D(1, 2, 3, padding=1, rng=0), _block(shortcut=True), cl.Flatten())
    assert {"1.body.0.W", "1.body.2.b", "1.shortcut.W", "1.shortcut.b"} <= set(model.params)
    assert model.params["1.body.0.W"] is model[1].body[0].params["W"]
    assert cl.count_params(model) == 2 * 9 + 2 + (3 * 2 * 9 + 3) + (3 * 3 * 9 + 3) + (3 * 2 + 3)
    before = model[1].shortcut.params["W"].copy()
    x = np.random.default_rng(1).normal(size=(2, 1, 4, 4))
    model.backward(np.ones_like(model.forward(x)))
    SGD(model, lr=0.1).step()
    assert not np.array_equal(before, model[1].shortcut.params["W"])


def test_summary_has_one_row_with_the_block_totals():
    block = _block(shortcut=True)
    model = cl.Sequential(block, cl.GlobalAvgPool2D())
    rows = model.summary((2, 6, 6)).rows
    assert [r[0] for r in rows] == ["Input", "Residual", "GlobalAvgPool2D"]
    assert rows[1][1] == (3, 6, 6) and rows[1][2] == cl.count_params(block)
    # 3*6*6*(2*3*3) + 3*6*6*(3*3*3) + 3*6*6*(2*1*1)
    assert rows[1][3] == 3 * 36 * 18 + 3 * 36 * 27 + 3 * 36 * 2 == cl.count_macs(block, (2, 6, 6))


def test_shapes_that_cannot_be_added_are_rejected_naming_residual():
    block = cl.Residual(cl.Conv2D(2, 4, 3, padding=1))
    with pytest.raises(ValueError, match=r"Residual: the body's output \(4, 5, 5\) and the input "
                                         r"\(identity shortcut\) \(2, 5, 5\) must have the same shape"):
        block.output_shape((2, 5, 5))
    with pytest.raises(ValueError, match=r"Residual: the body's output"):
        block.forward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"Residual: the body's output \(4, 3, 3\) and the shortcut's "
                                         r"output \(4, 5, 5\)"):
        cl.Residual(cl.Conv2D(2, 4, 3), cl.Conv2D(2, 4, 1)).output_shape((2, 5, 5))
    with pytest.raises(TypeError, match=r"Residual: body must be a cnnlab layer"):
        cl.Residual("conv")
    with pytest.raises(TypeError, match=r"Residual: shortcut must be a cnnlab layer or Sequential \(or None"):
        cl.Residual(cl.ReLU(), shortcut=3)
    with pytest.raises(RuntimeError, match=r"Residual.backward: forward must run first"):
        cl.Residual(cl.ReLU()).backward(np.zeros((1, 2)))
