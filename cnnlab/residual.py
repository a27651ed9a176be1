"""The old import path of :mod:`cnnlab.nn.residual`: importing it gives that module itself."""

import sys

from .nn import residual

sys.modules[__name__] = residual
