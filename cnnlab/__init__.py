"""cnnlab: convolutional neural networks from the inside, in NumPy.

The public names are listed in ``__all__``; ``cnnlab.reference`` holds the same operations as
plain loops, ``cnnlab.train`` the optimisers and the training loop, ``cnnlab.gradcheck`` numerical
gradients, ``cnnlab.data`` the data sets, ``cnnlab.augment`` random shifts, rotations and
scalings for training. ``cnnlab.widgets`` and ``cnnlab.viz`` (which need
ipywidgets and matplotlib) are imported only when asked for.

Shapes: N batch, C channels, H, W height and width, F filters, KH, KW kernel size,
OH, OW output size. Batches are (N, C, H, W), filters (F, C, KH, KW).
"""

from .images import to_image, to_nchw
from .nn import (
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Linear,
    MaxPool2D,
    ReLU,
    Residual,
    Sequential,
    count_macs,
    count_params,
    models,  # noqa: F401  (LeNet-5, VGG-16, ResNet-18 builders: cl.models.vgg16())
)
from .ops import (
    avg_pool2d,
    conv2d,
    conv2d_backward,
    convolve2d,
    correlate2d,
    cross_entropy,
    cross_entropy_backward,
    flatten,
    linear,
    linear_backward,
    max_pool2d,
    output_size,
    pad2d,
    pool2d,
    pool2d_backward,
    relu,
    relu_backward,
    sigmoid,
    softmax,
    sum_pool2d,
    tanh,
)
from .receptive import receptive_field

# the module paths before cnnlab.ops and cnnlab.nn (cnnlab.layers, cnnlab.convolution...): each
# is the moved module itself, and an attribute of the package as it always was
from . import (  # noqa: E402, F401  isort: skip
    _conv_fast, activations, convolution, dense, layers, losses, normalization, pooling,
    regularization, residual, sequential,
)

__version__ = "0.1.0"

__all__ = [
    "correlate2d", "convolve2d", "pad2d", "conv2d", "output_size",
    "relu", "sigmoid", "tanh", "softmax", "cross_entropy",
    "max_pool2d", "avg_pool2d", "sum_pool2d",
    "linear", "flatten", "to_nchw", "to_image",
    "Conv2D", "ReLU", "MaxPool2D", "AvgPool2D", "Flatten", "Linear", "Sequential",
    "count_params",
    "receptive_field",
    "conv2d_backward", "linear_backward", "relu_backward", "pool2d", "pool2d_backward",
    "BatchNorm1D", "BatchNorm2D", "Dropout", "GlobalAvgPool2D", "Residual", "count_macs",
    "cross_entropy_backward",
]
