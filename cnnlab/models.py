"""The old import path of :mod:`cnnlab.nn.models`: importing it gives that module itself."""

import sys

from .nn import models

sys.modules[__name__] = models
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(models).items() if not k.startswith("__")})
