"""Operations: stateless functions of arrays, each forward beside its backward.

Each operation a layer uses comes as a pair, ``x_forward(...) -> (out, ctx)`` and
``x_backward(dout, ctx) -> gradients``: the forward pass checks its arguments once and returns
the context its backward pass needs (the input, the checked geometry); the backward pass takes
that context as it is, without checking or working anything out again. The backwards also take
the forward's arguments instead of a context (``conv2d_backward(dout, x, w, stride=2)``), as
:mod:`cnnlab.reference`'s loop versions do.

=================  ===========================================================================
module             operations
=================  ===========================================================================
`conv`             ``output_size``, ``pad2d``, ``correlate2d``, ``convolve2d``, ``conv2d``
                   (the fast kernel, im2col tile by tile, private in ``_conv_fast``)
`pool`             ``pool2d`` (max, avg, sum) and ``max_pool2d``, ``avg_pool2d``, ``sum_pool2d``
`dense`            ``linear``, ``flatten``
`activations`      ``relu``, ``sigmoid``, ``tanh``, ``softmax``
`losses`           ``cross_entropy``
`batchnorm`        ``batchnorm``: normalise over the batch (and the positions), scale and shift
=================  ===========================================================================
"""

from .activations import relu, relu_backward, relu_forward, sigmoid, softmax, tanh
from .batchnorm import batchnorm_backward, batchnorm_forward
from .conv import conv2d, conv2d_backward, conv2d_forward, convolve2d, correlate2d, output_size, pad2d
from .dense import flatten, linear, linear_backward, linear_forward
from .losses import cross_entropy, cross_entropy_backward, cross_entropy_forward
from .pool import avg_pool2d, max_pool2d, pool2d, pool2d_backward, pool2d_forward, sum_pool2d

__all__ = ["output_size", "pad2d", "correlate2d", "convolve2d",
           "conv2d", "conv2d_forward", "conv2d_backward",
           "pool2d", "pool2d_forward", "pool2d_backward", "max_pool2d", "avg_pool2d", "sum_pool2d",
           "linear", "linear_forward", "linear_backward", "flatten",
           "relu", "relu_forward", "relu_backward", "sigmoid", "tanh", "softmax",
           "cross_entropy", "cross_entropy_forward", "cross_entropy_backward",
           "batchnorm_forward", "batchnorm_backward"]
