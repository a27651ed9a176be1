"""The old import path of :mod:`cnnlab.nn.normalization`: importing it gives that module itself."""

import sys

from .nn import normalization

sys.modules[__name__] = normalization
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(normalization).items() if not k.startswith("__")})
