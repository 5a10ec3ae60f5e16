"""Classical baselines a comparison can hold the networks against (docs/methods.md#gbm, #weibull).

Importing any of them imports :mod:`core.methods` first, which registers every
method and then the baselines in its own order (``gbm``, then ``weibull``):
whichever baseline module is imported first, the registry lists them the same way.
"""

import core.methods  # noqa: F401  (registers the methods, then the baselines, in order)
