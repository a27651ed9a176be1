"""cnnlab.models against the published parameter totals and independent PyTorch builds.

The PyTorch networks are written here with torch.nn (no torchvision) on the "meta" device: they
have shapes but no memory, so counting parameters and tracing shapes through VGG-16 at
224 x 224 is instant. Their multiply-accumulates are counted by forward hooks from each
Conv2d's and Linear's real output shape, independently of cnnlab's summary.
"""

import os

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import models

if os.environ.get("CNNLAB_REQUIRE_TORCH") == "1":
    import torch  # noqa: E402  (required, as in CI: an ImportError fails the run)
else:
    torch = pytest.importorskip("torch", reason="torch is not installed (set CNNLAB_REQUIRE_TORCH=1 "
                                                "to make this an error)")
nn = torch.nn


def _torch_vgg16():
    layers, c = [], 3
    for n, f in models.VGG16_CONFIG:
        for _ in range(n):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU()]
            c = f
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
               nn.Linear(4096, 1000)]
    return nn.Sequential(*layers)


def _torch_lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


class _TorchBasicBlock(nn.Module):
    """ResNet's basic block, written from He et al. (2016), option B shortcuts."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.down is None else self.down(x)))


def _torch_resnet18():
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    c = 64
    for n, f, stride in models.RESNET18_STAGES:
        for i in range(n):
            layers.append(_TorchBasicBlock(c, f, stride if i == 0 else 1))
            c = f
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
    return nn.Sequential(*layers)


def _torch_macs(module, input_shape):
    """MACs of Conv2d and Linear layers from their output shapes (one sample), via hooks."""
    total = []

    def hook(layer, inputs, output):
        if isinstance(layer, nn.Conv2d):
            kh, kw = layer.kernel_size
            total.append(output[0].numel() * layer.in_channels // layer.groups * kh * kw)
        else:
            total.append(layer.in_features * layer.out_features)

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        module(torch.empty((1,) + tuple(input_shape), device="meta"))
    for h in handles:
        h.remove()
    return sum(total)


def _torch_param_shapes(module):
    """Parameter shapes in order, with Linear weights transposed to cnnlab's (D_in, D_out)."""
    shapes = []
    for m in module.modules():
        if isinstance(m, nn.Linear):
            shapes += [tuple(m.weight.shape[::-1])] + ([tuple(m.bias.shape)] if m.bias is not None else [])
        elif isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
            shapes += [tuple(p.shape) for p in m.parameters(recurse=False)]
    return shapes


@pytest.fixture(scope="module")
def vgg():
    return models.vgg16(rng=0)


@pytest.fixture(scope="module")
def torch_vgg():
    with torch.device("meta"):
        return _torch_vgg16()


def test_vgg16_has_the_published_parameter_count_and_torchs_layers(vgg, torch_vgg):
    assert cl.count_params(vgg) == 138_357_544
    assert vgg.summary((3, 224, 224)).total == 138_357_544
    assert cl.count_params(vgg) == sum(p.numel() for p in torch_vgg.parameters())
    assert [p.shape for p in vgg.params.values()] == _torch_param_shapes(torch_vgg)


def test_vgg16_macs_match_an_independent_count(vgg, torch_vgg):
    macs = cl.count_macs(vgg, (3, 224, 224))
    assert macs == _torch_macs(torch_vgg, (3, 224, 224))
    # 13 convolutions on maps of 224, 112, 56, 28, 14 pixels, by the formula F*OH*OW*C*9
    convs = [(3, 64, 224), (64, 64, 224), (64, 128, 112), (128, 128, 112), (128, 256, 56),
             (256, 256, 56), (256, 256, 56), (256, 512, 28), (512, 512, 28), (512, 512, 28),
             (512, 512, 14), (512, 512, 14), (512, 512, 14)]
    by_hand = sum(f * n * n * c * 9 for c, f, n in convs) + 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    assert macs == by_hand
    assert round(macs / 1e9, 1) == 15.5


def test_vgg16_output_shape_and_float32(vgg):
    assert vgg.output_shape((3, 224, 224)) == (1000,)
    assert all(p.dtype == np.float32 for p in vgg.params.values())
    with pytest.raises(ValueError, match="Linear"):
        vgg.output_shape((3, 256, 256))      # the dense head needs 7 x 7 maps


def test_lenet5_matches_torch_and_computes_the_same_scores():
    lenet = models.lenet5(rng=0)
    ref = _torch_lenet5().double()
    assert cl.count_params(lenet) == 61_706 == sum(p.numel() for p in ref.parameters())
    with torch.device("meta"):
        assert cl.count_macs(lenet, (1, 28, 28)) == _torch_macs(_torch_lenet5(), (1, 28, 28))
    weighted = [m for m in ref if isinstance(m, (nn.Conv2d, nn.Linear))]
    mine = [layer for layer in lenet if isinstance(layer, (cl.Conv2D, cl.Linear))]
    with torch.no_grad():
        for m, layer in zip(weighted, mine):
            w = layer.params["W"]
            m.weight.copy_(torch.from_numpy(w if w.ndim == 4 else w.T.copy()))
            m.bias.copy_(torch.from_numpy(layer.params["b"]))
        x = np.random.default_rng(1).normal(size=(3, 1, 28, 28))
        expected = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(lenet.forward(x), expected, rtol=1e-10, atol=1e-12)


def test_lenet5_avg_pool_and_seeding():
    a, b = models.lenet5(rng=3, pool="avg"), models.lenet5(rng=3, pool="avg")
    assert [layer.name for layer in a][2] == "AvgPool2D"
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["0.W"], models.lenet5(rng=4).params["0.W"])


def test_vgg_block_shapes_and_counts():
    block = models.vgg_block(3, 8, 3, rng=0)
    assert [layer.name for layer in block] == ["Conv2D", "ReLU"] * 3 + ["MaxPool2D"]
    assert block.output_shape((3, 10, 10)) == (8, 5, 5)
    assert cl.count_params(block) == (27 + 1) * 8 + 2 * (72 + 1) * 8


def test_resnet18_has_the_published_parameter_count_and_torchs_layers():
    resnet = models.resnet18(rng=0)
    with torch.device("meta"):
        ref = _torch_resnet18()
    assert cl.count_params(resnet) == 11_689_512 == sum(p.numel() for p in ref.parameters())
    assert resnet.summary((3, 224, 224)).total == 11_689_512
    assert sorted(p.shape for p in resnet.params.values()) == sorted(_torch_param_shapes(ref))
    assert resnet.output_shape((3, 224, 224)) == (1000,)
    macs = cl.count_macs(resnet, (3, 224, 224))
    assert macs == _torch_macs(ref, (3, 224, 224))
    assert round(macs / 1e9, 2) == 1.81


def _copy_block(block, ref):
    """Copy a cnnlab basic_block's weights into the torch block (and BN's gamma, beta)."""
    residual = block[0]
    pairs = [(residual.body[0], ref.conv1), (residual.body[1], ref.bn1),
             (residual.body[3], ref.conv2), (residual.body[4], ref.bn2)]
    if ref.down is not None:
        pairs += [(residual.shortcut[0], ref.down[0]), (residual.shortcut[1], ref.down[1])]
    with torch.no_grad():
        for mine, theirs in pairs:
            if isinstance(theirs, nn.Conv2d):
                theirs.weight.copy_(torch.from_numpy(mine.params["W"]))
            else:
                theirs.weight.copy_(torch.from_numpy(mine.params["gamma"]))
                theirs.bias.copy_(torch.from_numpy(mine.params["beta"]))


@pytest.mark.parametrize("c_in, c_out, stride", [(4, 4, 1), (4, 6, 2), (3, 5, 1)])
def test_basic_block_computes_torchs_block_in_both_modes_and_its_input_gradient(c_in, c_out, stride):
    rng = np.random.default_rng(c_in + c_out + stride)
    block = models.basic_block(c_in, c_out, stride, rng=rng)
    ref = _TorchBasicBlock(c_in, c_out, stride).double()
    for layer in [block[0].body[1], block[0].body[4]]:          # non-trivial gamma and beta
        layer.params["gamma"][...] = rng.uniform(0.5, 1.5, c_out)
        layer.params["beta"][...] = rng.normal(size=c_out)
    _copy_block(block, ref)
    x = rng.normal(size=(3, c_in, 7, 7))
    dout = rng.normal(size=(3,) + block.output_shape((c_in, 7, 7)))
    xt = torch.from_numpy(x).requires_grad_()
    out = ref(xt)
    (out * torch.from_numpy(dout)).sum().backward()
    np.testing.assert_allclose(block.forward(x), out.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(block.backward(dout), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    block.eval()
    ref.eval()
    with torch.no_grad():
        np.testing.assert_allclose(block.forward(x), ref(torch.from_numpy(x)).numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("call, message", [
    (lambda: models.lenet5(num_classes=0), "lenet5: num_classes"),
    (lambda: models.lenet5(pool="sum"), "lenet5: pool"),
    (lambda: models.vgg_block(3, 8, 0), "vgg_block: n_convs"),
    (lambda: models.vgg16(num_classes=2.5), "vgg16: num_classes"),
    (lambda: models.vgg16(rng="seed"), "vgg16: rng"),
    (lambda: models.basic_block(4, 8, stride=0), "basic_block: stride"),
    (lambda: models.resnet18(num_classes=-1), "resnet18: num_classes"),
])
def test_bad_arguments_name_the_function_and_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
