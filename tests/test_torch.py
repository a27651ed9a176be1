"""cnnlab against PyTorch (torch.nn.functional, torch.nn, torch.optim) on the same numbers.

Skipped with a reason when torch is not installed, unless CNNLAB_REQUIRE_TORCH=1 (as in CI):
then a missing torch is an error, not a skip.
"""

import os

import numpy as np
import pytest

if os.environ.get("CNNLAB_REQUIRE_TORCH") == "1":
    import torch  # noqa: E402  (required: an ImportError fails the run)
else:
    torch = pytest.importorskip("torch", reason="torch is not installed (set CNNLAB_REQUIRE_TORCH=1 "
                                                "to make this an error)")

import cnnlab as cl  # noqa: E402


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("c, f, groups, stride, padding, dilation", [
    (4, 6, 2, 1, 1, 1), (6, 6, 6, 2, 1, 1), (6, 12, 3, 1, 2, 2), (3, 3, 1, (2, 1), (0, 1), 1),
    (4, 8, 4, 1, 1, 2), (5, 10, 5, (1, 2), (2, 0), 1),   # depthwise with a channel multiplier of 2
])
def test_grouped_conv2d_forward_and_backward_equal_torch(c, f, groups, stride, padding, dilation):
    rng = np.random.default_rng(c + f + groups)
    x, w, b = rng.normal(size=(2, c, 9, 8)), rng.normal(size=(f, c // groups, 3, 3)), rng.normal(size=f)
    out = cl.conv2d(x, w, b, stride, padding, dilation, groups=groups)
    tx, tw, tb = _t(x, True), _t(w, True), _t(b, True)
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    dout = rng.normal(size=out.shape)
    tout.backward(_t(dout))
    layer = cl.Conv2D(c, f, 3, stride, padding, dilation, groups=groups)
    layer.params["W"][...], layer.params["b"][...] = w, b
    layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["W"], tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["b"], tb.grad.numpy(), rtol=1e-10, atol=1e-10)
    fdx, fdw, fdb = cl.conv2d_backward(dout, x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(fdx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fdw, tw.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("ours, theirs", [
    (cl.MaxPool2D(3, stride=2, padding=1), torch.nn.MaxPool2d(3, 2, 1)),
    (cl.AvgPool2D(3, stride=2, padding=1), torch.nn.AvgPool2d(3, 2, 1)),
    (cl.MaxPool2D(2), torch.nn.MaxPool2d(2)),
])
def test_padded_pooling_equals_torch(ours, theirs):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 3, 9, 8))
    tx = _t(x, True)
    tout = theirs(tx)
    np.testing.assert_allclose(ours.forward(x), tout.detach().numpy(), rtol=1e-12)
    dout = rng.normal(size=tout.shape)
    tout.backward(_t(dout))
    np.testing.assert_allclose(ours.backward(dout), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def _copy_bn(torch_bn, ours):
    with torch.no_grad():
        torch_bn.weight.copy_(_t(ours.params["gamma"]))
        torch_bn.bias.copy_(_t(ours.params["beta"]))


@pytest.mark.parametrize("ours_cls, torch_cls, shape", [
    (cl.BatchNorm2D, torch.nn.BatchNorm2d, (4, 3, 5, 5)),
    (cl.BatchNorm1D, torch.nn.BatchNorm1d, (8, 5)),
    (cl.BatchNorm1D, torch.nn.BatchNorm1d, (4, 3, 6)),
])
def test_batch_norm_equals_torch_over_several_steps_in_both_modes(ours_cls, torch_cls, shape):
    rng = np.random.default_rng(0)
    c = shape[1]
    ours = ours_cls(c, momentum=0.2, eps=1e-3)
    ours.params["gamma"][...] = rng.normal(size=c)
    ours.params["beta"][...] = rng.normal(size=c)
    theirs = torch_cls(c, momentum=0.2, eps=1e-3).double()
    _copy_bn(theirs, ours)
    for step in range(4):
        training = step < 3                  # three training steps, then evaluation
        ours.train(training)
        theirs.train(training)
        x = rng.normal(step, 1 + step, size=shape)
        tx = _t(x, True)
        tout = theirs(tx)
        out = ours.forward(x)
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
        dout = rng.normal(size=shape)
        theirs.zero_grad()
        tout.backward(_t(dout))
        np.testing.assert_allclose(ours.backward(dout), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(ours.grads["gamma"], theirs.weight.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(ours.grads["beta"], theirs.bias.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_dropout_like_torch_identity_in_eval_and_same_scaling_in_training():
    x = np.random.default_rng(1).uniform(1, 2, size=(100, 100))
    ours, theirs = cl.Dropout(0.25, rng=0), torch.nn.Dropout(0.25)
    np.testing.assert_array_equal(ours.eval().forward(x), theirs.eval()(_t(x)).numpy())
    torch.manual_seed(0)
    a, b = ours.train().forward(x), theirs.train()(_t(x)).numpy()
    # different random streams: compare what a mask does, not which units it picks
    assert set(np.round(np.unique(a / x), 12)) == set(np.round(np.unique(b / x), 12)) == {0.0, round(1 / 0.75, 12)}
    assert abs((a == 0).mean() - (b == 0).mean()) < 0.02


def test_global_avg_pool_equals_torch_adaptive_avg_pool():
    x = np.random.default_rng(2).normal(size=(3, 4, 5, 6))
    tx = _t(x, True)
    tout = torch.nn.functional.adaptive_avg_pool2d(tx, 1).flatten(1)
    layer = cl.GlobalAvgPool2D()
    np.testing.assert_allclose(layer.forward(x), tout.detach().numpy(), rtol=1e-12)
    dout = np.random.default_rng(3).normal(size=(3, 4))
    tout.backward(_t(dout))
    np.testing.assert_allclose(layer.backward(dout), tx.grad.numpy(), rtol=1e-12)


def test_residual_block_with_batch_norm_equals_torch():
    rng = np.random.default_rng(4)
    ours = cl.Residual(
        cl.Sequential(cl.Conv2D(3, 4, 3, stride=2, padding=1, bias=False, rng=rng), cl.BatchNorm2D(4),
                      cl.ReLU(), cl.Conv2D(4, 4, 3, padding=1, bias=False, rng=rng), cl.BatchNorm2D(4)),
        shortcut=cl.Sequential(cl.Conv2D(3, 4, 1, stride=2, bias=False, rng=rng), cl.BatchNorm2D(4)))
    for key, p in ours.params.items():
        if key.endswith("gamma") or key.endswith("beta"):
            p[...] = rng.normal(size=p.shape)
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, 2, 1, bias=False), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.Conv2d(4, 4, 3, 1, 1, bias=False),
                               torch.nn.BatchNorm2d(4)).double()
    short = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1, 2, bias=False), torch.nn.BatchNorm2d(4)).double()
    with torch.no_grad():
        for mine, theirs in ((ours.body, body), (ours.shortcut, short)):
            for i, layer in enumerate(mine):
                if isinstance(layer, cl.Conv2D):
                    theirs[i].weight.copy_(_t(layer.params["W"]))
                elif isinstance(layer, cl.BatchNorm2D):
                    _copy_bn(theirs[i], layer)
    x = rng.normal(size=(4, 3, 8, 8))
    for training in (True, False):
        ours.train(training), body.train(training), short.train(training)
        tx = _t(x, True)
        tout = body(tx) + short(tx)
        out = ours.forward(x)
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-9, atol=1e-10)
        dout = rng.normal(size=out.shape)
        body.zero_grad(), short.zero_grad()
        tout.backward(_t(dout))
        np.testing.assert_allclose(ours.backward(dout), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.grads["body.0.W"], body[0].weight.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.grads["shortcut.1.gamma"], short[1].weight.grad.numpy(),
                                   rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", [
    ("SGD", torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.05)),
    ("SGD", torch.optim.SGD, dict(lr=0.3)),
    ("Adam", torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", torch.optim.Adam, dict(lr=0.01)),
    ("AdamW", torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", torch.optim.AdamW, dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6)),
])
def test_optimisers_equal_torch_optim_over_several_steps(ours_cls, torch_cls, kwargs):
    from cnnlab import train
    rng = np.random.default_rng(5)
    params = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    grads = [np.zeros_like(p) for p in params]
    tparams = [torch.nn.Parameter(_t(p)) for p in params]
    ours = getattr(train, ours_cls)(list(zip(params, grads)), **kwargs)
    theirs = torch_cls(tparams, **kwargs)
    for _ in range(6):
        for g, tp in zip(grads, tparams):
            g[...] = rng.normal(size=g.shape) * rng.choice([1e-3, 1.0, 10.0])
            tp.grad = _t(g)
        ours.step()
        theirs.step()
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)
