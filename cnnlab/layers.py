"""The old import path of :mod:`cnnlab.nn.layers`: importing it gives that module itself."""

import sys

from .nn import layers

sys.modules[__name__] = layers
