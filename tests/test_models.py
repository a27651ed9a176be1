"""cnnlab.models against the published parameter totals and independent PyTorch builds.

The PyTorch networks are written here with torch.nn (no torchvision) on the "meta" device: they
have shapes but no memory, so counting parameters and tracing shapes through VGG-16 at
224 x 224 is instant. Their multiply-accumulates are counted by forward hooks from each
Conv2d's and Linear's real output shape, independently of cnnlab's summary.
"""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import models

torch = pytest.importorskip("torch")
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
    assert cl.count_macs(lenet, (1, 28, 28)) == _torch_macs(ref.to("meta"), (1, 28, 28))
    ref = _torch_lenet5().double()
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
    assert [l.name for l in a][2] == "AvgPool2D"
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["0.W"], models.lenet5(rng=4).params["0.W"])


def test_vgg_block_shapes_and_counts():
    block = models.vgg_block(3, 8, 3, rng=0)
    assert [l.name for l in block] == ["Conv2D", "ReLU"] * 3 + ["MaxPool2D"]
    assert block.output_shape((3, 10, 10)) == (8, 5, 5)
    assert cl.count_params(block) == (27 + 1) * 8 + 2 * (72 + 1) * 8


@pytest.mark.parametrize("call, message", [
    (lambda: models.lenet5(num_classes=0), "lenet5: num_classes"),
    (lambda: models.lenet5(pool="sum"), "lenet5: pool"),
    (lambda: models.vgg_block(3, 8, 0), "vgg_block: n_convs"),
    (lambda: models.vgg16(num_classes=2.5), "vgg16: num_classes"),
    (lambda: models.vgg16(rng="seed"), "vgg16: rng"),
])
def test_bad_arguments_name_the_function_and_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
