"""The old import path of :mod:`cnnlab.ops.dense`: importing it gives that module itself."""

import sys

from .ops import dense

sys.modules[__name__] = dense
