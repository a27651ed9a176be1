"""cnnlab/regularization.py: Dropout's masks, scaling, modes and gradient."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab.gradcheck import check_layer
from cnnlab.layers import Layer


def test_training_zeroes_about_p_and_scales_the_rest_by_one_over_one_minus_p():
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 50))
    out = cl.Dropout(0.3, rng=1).forward(x)
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01           # 10,000 draws: standard error 0.0046
    np.testing.assert_allclose(out[kept], x[kept] / 0.7, rtol=1e-15)
    assert abs(out.mean() / x.mean() - 1) < 0.02    # the expectation is kept


def test_evaluation_is_the_identity_and_p_zero_keeps_everything():
    x = np.random.default_rng(2).normal(size=(3, 2, 4, 4))
    np.testing.assert_array_equal(cl.Dropout(0.9, rng=0).eval().forward(x), x)
    np.testing.assert_array_equal(cl.Dropout(0.0, rng=0).forward(x), x)


def test_backward_uses_the_forward_mask():
    drop = cl.Dropout(0.5, rng=3)
    x = np.random.default_rng(4).normal(size=(5, 6))
    out = drop.forward(x)
    dout = np.random.default_rng(5).normal(size=(5, 6))
    np.testing.assert_allclose(drop.backward(dout), np.where(out != 0, dout / 0.5, 0.0))


def test_new_mask_each_call_and_seeded_masks_repeat():
    x = np.ones((4, 8))
    drop = cl.Dropout(0.5, rng=6)
    assert not np.array_equal(drop.forward(x), drop.forward(x))
    np.testing.assert_array_equal(cl.Dropout(0.5, rng=7).forward(x), cl.Dropout(0.5, rng=7).forward(x))


class _FixedMask(Layer):
    """Dropout with the same mask at every forward pass, so central differences apply."""

    def __init__(self, p, seed):
        super().__init__()
        self.drop, self.seed = cl.Dropout(p), seed

    def forward(self, x):
        self.drop.rng = np.random.default_rng(self.seed)
        return self.drop.forward(x)

    def backward(self, dout):
        return self.drop.backward(dout)


def test_backward_matches_numerical_gradients_in_training_mode():
    x = np.random.default_rng(8).normal(size=(3, 2, 3, 3))
    report = check_layer(_FixedMask(0.4, seed=9), x, rng=10)
    assert report.passed, str(report)


def test_float32_stays_float32():
    out = cl.Dropout(0.5, rng=0).forward(np.ones((2, 3), np.float32))
    assert out.dtype == np.float32 and set(np.unique(out)) <= {0.0, 2.0}


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.Dropout(1.0), ValueError, r"Dropout: p must be a probability in \[0, 1\), got 1.0"),
    (lambda: cl.Dropout(-0.1), ValueError, r"Dropout: p must be a probability in \[0, 1\)"),
    (lambda: cl.Dropout("half"), TypeError, r"Dropout: p must be a probability"),
    (lambda: cl.Dropout(0.5, rng="x"), TypeError, r"Dropout: rng must be a numpy.random.Generator"),
    (lambda: cl.Dropout(0.5).backward(np.ones(2)), RuntimeError, r"Dropout.backward: forward must run first"),
])
def test_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dropout_p_may_be_a_numpy_scalar():
    assert cl.Dropout(np.float32(0.5)).p == 0.5
