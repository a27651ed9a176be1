"""The old import path of :mod:`cnnlab.ops.losses`: importing it gives that module itself."""

import sys

from .ops import losses

sys.modules[__name__] = losses
