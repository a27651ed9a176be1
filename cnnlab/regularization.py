"""The old import path of :mod:`cnnlab.nn.regularization`: importing it gives that module itself."""

import sys

from .nn import regularization

sys.modules[__name__] = regularization
