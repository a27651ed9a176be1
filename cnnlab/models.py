"""The old import path of :mod:`cnnlab.nn.models`: importing it gives that module itself."""

import sys

from .nn import models

sys.modules[__name__] = models
