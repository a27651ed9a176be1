"""Classic CNN architectures built from cnnlab layers: LeNet-5, VGG-16, ResNet-18.

Each builder returns a `Sequential` whose layers are the published architecture's, so
``model.summary(input_shape)`` lists them with their output shapes, parameters and
multiply-accumulates. The ImageNet networks take one 224 x 224 colour image per sample,
(3, 224, 224), and end in 1,000 class scores; their weights start from He initialisation in
float32 by default (VGG-16 holds 138 million numbers: about 0.55 GB in float32, twice that in
float64). Building one allocates its weights and little else: at most 1.3 times their bytes
during the build, beyond the layer objects themselves (a few kB each); the gradients are made at
the first backward pass or when an optimiser is built, and ``del model`` frees it all at
once. Building them takes seconds; a forward pass at 224 x 224 in NumPy takes far longer, so
use them to count and to read, and train the small ones.

References: LeCun et al. (1998), "Gradient-based learning applied to document recognition";
Simonyan and Zisserman (2014), "Very deep convolutional networks for large-scale image
recognition" (VGG, configuration D); He et al. (2016), "Deep residual learning for image
recognition" (ResNet).
"""

import numpy as np

from .. import _validation as v
from .layers import (
    AvgPool2D,
    BatchNorm2D,
    Conv2D,
    Flatten,
    GlobalAvgPool2D,
    Linear,
    MaxPool2D,
    ReLU,
    Residual,
    Sequential,
    _rng,
    count_params,  # noqa: F401  (the doctests below use it)
)

__all__ = ["VGG16_CONFIG", "RESNET18_STAGES", "lenet5", "vgg_block", "vgg16", "basic_block",
           "resnet18"]

#: VGG-16 (configuration D): (number of 3 x 3 convolutions, channels) per block; each block
#: ends in 2 x 2 max pooling.
VGG16_CONFIG = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))

#: ResNet-18: (number of basic blocks, channels, stride of the first block) per stage.
RESNET18_STAGES = ((2, 64, 1), (2, 128, 2), (2, 256, 2), (2, 512, 2))


def lenet5(num_classes=10, pool="max", rng=None, dtype=np.float64):
    """LeNet-5 in its common modern form, for (1, 28, 28) inputs.

    C1 conv 5 x 5, 6 filters, padding 2 -> ReLU -> 2 x 2 pooling; C3 conv 5 x 5, 16 filters ->
    ReLU -> 2 x 2 pooling; flatten (400); dense 120 -> ReLU -> 84 -> ReLU -> ``num_classes``.
    The original (LeCun et al., 1998) used tanh, trainable subsampling, a sparse C3 and RBF
    outputs (notebook 09 counts both forms).

    Parameters
    ----------
    num_classes : int, optional
    pool : {"max", "avg"}, optional
        The pooling after C1 and C3.
    rng : numpy.random.Generator or int, optional
        Seeds the He initialisation of every layer (one generator, in layer order).
    dtype : numpy dtype, optional
        float64 (exact gradient checks) or float32 (faster training).

    Returns
    -------
    Sequential
        Input (N, 1, 28, 28), output (N, num_classes) scores.

    Examples
    --------
    >>> count_params(lenet5(rng=0))
    61706
    """
    num_classes = v.positive_int("lenet5", "num_classes", num_classes)
    pools = {"max": MaxPool2D, "avg": AvgPool2D}
    if pool not in pools:
        raise ValueError(f"lenet5: pool must be 'max' or 'avg', got {pool!r}")
    rng = _rng("lenet5", rng)
    Pool = pools[pool]
    return Sequential(
        Conv2D(1, 6, 5, padding=2, rng=rng, dtype=dtype), ReLU(), Pool(2),    # C1, S2
        Conv2D(6, 16, 5, rng=rng, dtype=dtype), ReLU(), Pool(2),              # C3, S4
        Flatten(),
        Linear(16 * 5 * 5, 120, rng=rng, dtype=dtype), ReLU(),                 # C5
        Linear(120, 84, rng=rng, dtype=dtype), ReLU(),                         # F6
        Linear(84, num_classes, rng=rng, dtype=dtype),                         # output
    )


def vgg_block(in_channels, out_channels, n_convs, rng=None, dtype=np.float64):
    """A VGG block: ``n_convs`` times (3 x 3 convolution, padding 1, then ReLU), then 2 x 2 max pooling.

    The convolutions keep the height and width; the pooling halves them. Input
    (N, in_channels, H, W), output (N, out_channels, H // 2, W // 2).

    Parameters
    ----------
    in_channels, out_channels : int
    n_convs : int
        How many 3 x 3 convolutions (the first maps in_channels to out_channels, the others
        out_channels to out_channels).
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype, optional

    Returns
    -------
    Sequential
        Its layers can be spliced into a bigger model: ``Sequential(*vgg_block(...), ...)``.

    Examples
    --------
    >>> block = vgg_block(3, 64, 2, rng=0)
    >>> [layer.name for layer in block]
    ['Conv2D', 'ReLU', 'Conv2D', 'ReLU', 'MaxPool2D']
    >>> [count_params(layer) for layer in block], block.output_shape((3, 32, 32))
    ([1792, 0, 36928, 0, 0], (64, 16, 16))
    """
    in_channels = v.positive_int("vgg_block", "in_channels", in_channels)
    out_channels = v.positive_int("vgg_block", "out_channels", out_channels)
    n_convs = v.positive_int("vgg_block", "n_convs", n_convs)
    rng = _rng("vgg_block", rng)
    layers = []
    for i in range(n_convs):
        layers += [Conv2D(in_channels if i == 0 else out_channels, out_channels, 3, padding=1,
                          rng=rng, dtype=dtype), ReLU()]
    return Sequential(*layers, MaxPool2D(2))


def vgg16(num_classes=1000, rng=None, dtype=np.float32):
    """VGG-16 (Simonyan and Zisserman, 2014, configuration D) for (3, 224, 224) inputs.

    Five `vgg_block` s (`VGG16_CONFIG`: 13 convolutions of 3 x 3 with biases, each followed by
    ReLU; 224 -> 112 -> 56 -> 28 -> 14 -> 7), flatten (512 * 7 * 7 = 25,088), then dense 4096 ->
    ReLU -> 4096 -> ReLU -> ``num_classes``. With 1,000 classes it has 138,357,544 parameters,
    the published total. (The paper's dropout after the two 4096 layers has no parameters and
    is left out here.)

    Parameters
    ----------
    num_classes : int, optional
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype, optional
        float32 by default: the weights take about 0.55 GB (1.1 GB in float64).

    Returns
    -------
    Sequential
        Flat: the blocks' layers one after the other, so ``summary`` shows every layer.

    Examples
    --------
    >>> [n for n, _ in VGG16_CONFIG], [c for _, c in VGG16_CONFIG]
    ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512])
    """
    num_classes = v.positive_int("vgg16", "num_classes", num_classes)
    rng = _rng("vgg16", rng)
    layers, channels = [], 3
    for n_convs, out_channels in VGG16_CONFIG:
        layers += vgg_block(channels, out_channels, n_convs, rng=rng, dtype=dtype).layers
        channels = out_channels
    layers += [Flatten(),
               Linear(512 * 7 * 7, 4096, rng=rng, dtype=dtype), ReLU(),
               Linear(4096, 4096, rng=rng, dtype=dtype), ReLU(),
               Linear(4096, num_classes, rng=rng, dtype=dtype)]
    return Sequential(*layers)


def basic_block(in_channels, out_channels, stride=1, rng=None, dtype=np.float64):
    """The ResNet basic block (He et al., 2016) and the ReLU after it.

    ``Residual(body, shortcut)`` then `ReLU`, where the body is conv 3 x 3 (stride ``stride``,
    padding 1) -> `BatchNorm2D` -> ReLU -> conv 3 x 3 (padding 1) -> `BatchNorm2D`, and the
    shortcut is the identity when the shape is kept, else a 1 x 1 convolution with stride
    ``stride`` and a `BatchNorm2D` (the paper's option B). Convolutions have no bias: the batch
    norm after each has its own shift. Input (N, in_channels, H, W), output
    (N, out_channels, OH, OW) with OH = ceil(H / stride).

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int, optional
        1 keeps the size, 2 halves it.
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype, optional

    Returns
    -------
    Sequential
        ``[Residual, ReLU]``; splice it into a model with ``*basic_block(...)``.

    Examples
    --------
    >>> block = basic_block(64, 128, stride=2, rng=0)
    >>> block.output_shape((64, 56, 56)), count_params(block)
    ((128, 28, 28), 230144)
    >>> block[0].shortcut is None, basic_block(64, 64, rng=0)[0].shortcut is None
    (False, True)
    """
    in_channels = v.positive_int("basic_block", "in_channels", in_channels)
    out_channels = v.positive_int("basic_block", "out_channels", out_channels)
    stride = v.positive_int("basic_block", "stride", stride)
    rng = _rng("basic_block", rng)
    body = Sequential(
        Conv2D(in_channels, out_channels, 3, stride=stride, padding=1, bias=False, rng=rng,
               dtype=dtype),
        BatchNorm2D(out_channels, dtype=dtype), ReLU(),
        Conv2D(out_channels, out_channels, 3, padding=1, bias=False, rng=rng, dtype=dtype),
        BatchNorm2D(out_channels, dtype=dtype))
    shortcut = None
    if stride != 1 or in_channels != out_channels:
        shortcut = Sequential(Conv2D(in_channels, out_channels, 1, stride=stride, bias=False,
                                     rng=rng, dtype=dtype),
                              BatchNorm2D(out_channels, dtype=dtype))
    return Sequential(Residual(body, shortcut), ReLU())


def resnet18(num_classes=1000, rng=None, dtype=np.float32):
    """ResNet-18 (He et al., 2016) for (3, 224, 224) inputs.

    Stem: conv 7 x 7, 64 channels, stride 2, padding 3 (no bias) -> `BatchNorm2D` -> ReLU ->
    3 x 3 max pooling with stride 2 and padding 1 (224 -> 112 -> 56); four stages of two
    `basic_block` s (`RESNET18_STAGES`: 64, 128, 256, 512 channels on 56, 28, 14, 7 pixels);
    `GlobalAvgPool2D`; dense 512 -> ``num_classes``.
    With 1,000 classes it has 11,689,512 parameters (including the batch norms' gammas and
    betas; their running statistics are not parameters), the published total, and 1.81 G MACs
    per image counted as in `count_macs`.

    Parameters
    ----------
    num_classes : int, optional
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype, optional
        float32 by default.

    Returns
    -------
    Sequential
        The stem's layers, then each basic block's Residual and ReLU, then the head.

    Examples
    --------
    >>> [c for _, c, _ in RESNET18_STAGES]
    [64, 128, 256, 512]
    """
    num_classes = v.positive_int("resnet18", "num_classes", num_classes)
    rng = _rng("resnet18", rng)
    layers = [Conv2D(3, 64, 7, stride=2, padding=3, bias=False, rng=rng, dtype=dtype),
              BatchNorm2D(64, dtype=dtype), ReLU(), MaxPool2D(3, stride=2, padding=1)]
    channels = 64
    for n_blocks, out_channels, stride in RESNET18_STAGES:
        for i in range(n_blocks):
            layers += basic_block(channels, out_channels, stride if i == 0 else 1, rng=rng,
                                  dtype=dtype).layers
            channels = out_channels
    layers += [GlobalAvgPool2D(), Linear(channels, num_classes, rng=rng, dtype=dtype)]
    return Sequential(*layers)
