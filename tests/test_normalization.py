"""cnnlab/normalization.py: batch normalisation against plain NumPy formulas, hand-computed
cases and numerical gradients, in training and in evaluation mode (PyTorch: test_torch.py)."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab.gradcheck import check_layer


def _random_params(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.params["gamma"][...] = rng.normal(size=layer.num_features)
    layer.params["beta"][...] = rng.normal(size=layer.num_features)
    return layer


def test_training_forward_normalises_each_channel_over_batch_and_positions():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(4, 3, 5, 5))
    bn = _random_params(cl.BatchNorm2D(3))
    out = bn.forward(x)
    for c in range(3):  # channel by channel, written independently of the layer's code
        values = x[:, c]
        expected = (values - values.mean()) / np.sqrt(values.var() + 1e-5)
        expected = bn.params["gamma"][c] * expected + bn.params["beta"][c]
        np.testing.assert_allclose(out[:, c], expected, rtol=1e-12, atol=1e-12)


def test_running_statistics_use_the_unbiased_variance_and_momentum():
    x1 = np.array([[1.0], [3.0]])        # mean 2, unbiased variance 2
    x2 = np.array([[0.0], [4.0]])        # mean 2, unbiased variance 8
    bn = cl.BatchNorm1D(1, momentum=0.5)
    bn.forward(x1)
    np.testing.assert_allclose([bn.running_mean[0], bn.running_var[0]], [0.5 * 0 + 0.5 * 2, 0.5 * 1 + 0.5 * 2])
    bn.forward(x2)
    np.testing.assert_allclose([bn.running_mean[0], bn.running_var[0]], [0.5 * 1 + 0.5 * 2, 0.5 * 1.5 + 0.5 * 8])
    assert set(bn.params) == {"gamma", "beta"} == set(bn.grads)


def test_evaluation_uses_running_statistics_and_does_not_update_them():
    bn = _random_params(cl.BatchNorm2D(2))
    bn.running_mean[...] = [1.0, -2.0]
    bn.running_var[...] = [4.0, 0.25]
    x = np.random.default_rng(3).normal(size=(3, 2, 2, 2))
    out = bn.eval().forward(x)
    expected = ((x - np.array([1.0, -2.0])[:, None, None]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)[:, None, None]
                * bn.params["gamma"][:, None, None] + bn.params["beta"][:, None, None])
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, [1.0, -2.0])
    # one sample alone gets the same output as inside the batch
    np.testing.assert_allclose(bn.forward(x[:1]), out[:1], rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("make, shape", [
    (lambda: cl.BatchNorm2D(3), (4, 3, 3, 2)),
    (lambda: cl.BatchNorm1D(5), (6, 5)),
    (lambda: cl.BatchNorm1D(2), (3, 2, 4)),
])
def test_backward_matches_numerical_gradients(make, shape, training):
    bn = _random_params(make())
    bn.running_mean[...] = np.random.default_rng(4).normal(size=bn.num_features)
    bn.running_var[...] = np.random.default_rng(5).uniform(0.5, 2.0, size=bn.num_features)
    bn.train(training)
    x = np.random.default_rng(6).normal(1.0, 2.0, size=shape)
    report = check_layer(bn, x, rng=7)
    assert report.passed, str(report)
    assert set(report.errors) == {"x", "gamma", "beta"}


def test_float32_input_stays_float32_with_float32_parameters():
    bn = cl.BatchNorm2D(2, dtype=np.float32)
    out = bn.forward(np.random.default_rng(0).normal(size=(2, 2, 3, 3)).astype(np.float32))
    assert out.dtype == np.float32 and bn.running_var.dtype == np.float32


def test_counts_parameters_but_not_running_statistics():
    model = cl.Sequential(cl.Conv2D(1, 4, 3, bias=False), cl.BatchNorm2D(4), cl.ReLU())
    assert cl.count_params(model) == 4 * 9 + 4 + 4
    assert cl.count_macs(model, (1, 5, 5)) == 4 * 3 * 3 * 9  # BN counts no MACs


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.BatchNorm2D(0), ValueError, r"BatchNorm2D: num_features must be a positive integer"),
    (lambda: cl.BatchNorm2D(2, momentum=1.5), ValueError, r"BatchNorm2D: momentum must be a number in \[0, 1\]"),
    (lambda: cl.BatchNorm1D(2, eps=0), ValueError, r"BatchNorm1D: eps must be a positive number"),
    (lambda: cl.BatchNorm2D(2).forward(np.zeros((2, 2, 3))), ValueError,
     r"BatchNorm2D: input must be 4-D \(N, C, H, W\), got shape \(2, 2, 3\)"),
    (lambda: cl.BatchNorm2D(2).forward(np.zeros((2, 3, 3, 3))), ValueError,
     r"BatchNorm2D: input must be one sample's \(C, H, W\) with 2 channels, got shape \(3, 3, 3\)"),
    (lambda: cl.BatchNorm1D(3).forward(np.zeros((1, 3))), ValueError,
     r"BatchNorm1D: training mode needs more than one value per channel"),
    (lambda: cl.BatchNorm1D(3).backward(np.zeros((2, 3))), RuntimeError,
     r"BatchNorm1D.backward: forward must run first"),
    (lambda: cl.BatchNorm1D(3).train("yes"), TypeError, r"BatchNorm1D.train: mode must be True or False"),
])
def test_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_one_sample_is_fine_in_evaluation_mode():
    assert cl.BatchNorm1D(3).eval().forward(np.ones((1, 3))).shape == (1, 3)


# --- no silent wrong result (issue 27) ---------------------------------------------------------

@pytest.mark.parametrize("layer, x", [
    (lambda: cl.BatchNorm2D(3), np.random.default_rng(0).normal(size=(4, 3, 2, 2)) * 1e200),
    (lambda: cl.BatchNorm1D(3), np.random.default_rng(1).normal(size=(8, 3)) * 1e160),
    (lambda: cl.BatchNorm1D(3, dtype=np.float32),
     (np.random.default_rng(2).normal(size=(8, 3)) * 1e25).astype(np.float32)),
])
def test_a_running_statistic_that_would_overflow_raises_naming_the_layer_and_keeps_the_old_ones(layer, x):
    from cnnlab._validation import NonFiniteError
    bn = layer()
    bn.forward(np.random.default_rng(3).normal(size=x.shape).astype(x.dtype))   # finite statistics
    mean, var = bn.running_mean, bn.running_var
    before = mean.copy(), var.copy()
    with pytest.raises(NonFiniteError, match=rf"{bn.name}: the running variance of channel \d would "
                                             r"become inf.*the running statistics were left unchanged"):
        bn.forward(x)
    assert bn.running_mean is mean and bn.running_var is var
    np.testing.assert_array_equal(mean, before[0])
    np.testing.assert_array_equal(var, before[1])
    # evaluation mode still uses the good statistics
    out = bn.eval().forward(np.ones(x.shape, x.dtype))
    assert np.isfinite(out).all()


def test_fit_stops_as_divergence_when_a_batch_norm_statistic_would_overflow(capsys):
    from cnnlab.train import SGD, fit
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(20, 1, 3, 3)) * 1e200, rng.integers(0, 2, 20)
    model = cl.Sequential(cl.BatchNorm2D(1), cl.Flatten(), cl.Linear(9, 2, rng=0))
    history = fit(model, X, y, 2, 10, SGD(model, lr=0.1), rng=0, progress=False)
    assert history.stopped == ("the loss diverged at epoch 1, batch 1: NaN or infinite numbers "
                               "reached BatchNorm2D")
    np.testing.assert_array_equal(model[0].running_var, [1.0])


@pytest.mark.parametrize("layer", [cl.BatchNorm1D, cl.BatchNorm2D])
def test_momentum_and_eps_may_be_numpy_scalars(layer):
    bn = layer(3, momentum=np.float32(0.25), eps=np.float64(1e-3))
    assert (bn.momentum, bn.eps) == (0.25, 1e-3) and type(bn.momentum) is float

