"""The old import path of :mod:`cnnlab.ops.activations`: importing it gives that module itself."""

import sys

from .ops import activations

sys.modules[__name__] = activations
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(activations).items() if not k.startswith("__")})
