"""The old import path of :mod:`cnnlab.nn.sequential`: importing it gives that module itself."""

import sys

from .nn import sequential

sys.modules[__name__] = sequential
