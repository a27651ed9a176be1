"""The old import path of :mod:`cnnlab.nn.residual`: importing it gives that module itself."""

import sys

from .nn import residual

sys.modules[__name__] = residual
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(residual).items() if not k.startswith("__")})
