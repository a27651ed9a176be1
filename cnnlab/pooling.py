"""The old import path of :mod:`cnnlab.ops.pool`: importing it gives that module itself."""

import sys

from .ops import pool

sys.modules[__name__] = pool
