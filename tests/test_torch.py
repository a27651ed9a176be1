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
