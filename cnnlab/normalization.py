"""The old import path of :mod:`cnnlab.nn.normalization`: importing it gives that module itself."""

import sys

from .nn import normalization

sys.modules[__name__] = normalization
