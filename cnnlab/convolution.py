"""The old import path of :mod:`cnnlab.ops.conv`: importing it gives that module itself."""

import sys

from .ops import conv

sys.modules[__name__] = conv
