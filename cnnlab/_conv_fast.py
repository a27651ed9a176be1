"""The old import path of :mod:`cnnlab.ops._conv_fast`: importing it gives that module itself."""

import sys

from .ops import _conv_fast

sys.modules[__name__] = _conv_fast
