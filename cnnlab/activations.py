"""The old import path of :mod:`cnnlab.ops.activations`: importing it gives that module itself."""

import sys

from .ops import activations

sys.modules[__name__] = activations
