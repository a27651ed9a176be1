"""Layers: objects with parameters and a forward and a backward pass, built on :mod:`cnnlab.ops`.

=================  ===========================================================================
module             contents
=================  ===========================================================================
`layer`            `Layer`, the base class: ``params``, ``grads``, modes, ``predict``
`layers`           `Conv2D`, `ReLU`, `MaxPool2D`, `AvgPool2D`, `GlobalAvgPool2D`, `Flatten`,
                   `Linear` (each on one operation pair, passing its context on)
`normalization`    `BatchNorm1D`, `BatchNorm2D` (on the batchnorm pair, plus running statistics)
`regularization`   `Dropout`
`residual`         `Residual`: a body plus a shortcut
`sequential`       `Sequential`, `Summary`, `count_params`, `count_macs`
`models`           `lenet5`, `vgg16`, `resnet18` and their blocks
=================  ===========================================================================
"""

from . import models  # noqa: F401
from .layer import Layer
from .layers import (
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
    Summary,
    count_macs,
    count_params,
)

__all__ = ["Layer", "Conv2D", "ReLU", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
           "Linear", "BatchNorm1D", "BatchNorm2D", "Dropout", "Residual", "Sequential", "Summary",
           "count_params", "count_macs"]
