"""The old import path of :mod:`cnnlab.nn.regularization`: importing it gives that module itself."""

import sys

from .nn import regularization

sys.modules[__name__] = regularization
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(regularization).items() if not k.startswith("__")})
