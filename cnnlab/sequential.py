"""The old import path of :mod:`cnnlab.nn.sequential`: importing it gives that module itself."""

import sys

from .nn import sequential

sys.modules[__name__] = sequential
# A runner that executes this file itself (pytest's doctest collection) keeps this module object
# instead; give it the same names, so that it works as the moved module does.
globals().update({k: v for k, v in vars(sequential).items() if not k.startswith("__")})
