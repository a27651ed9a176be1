"""The old import path of :mod:`cnnlab.nn.layers`: importing it gives that module itself."""

import sys

from .nn import layers

sys.modules[__name__] = layers
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(layers).items() if not k.startswith("__")})
