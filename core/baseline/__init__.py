"""Classical baselines a comparison can hold the networks against (docs/methods.md#gbm, #weibull).

``gbm`` (gradient-boosted trees on window summaries) and ``weibull`` (a life
distribution fitted to the training units' lives, suspensions censored) are
comparison entries (:class:`core.methods.base.Entry`), not balancing methods:
they train no network. Importing this package registers them after every
balancing method (it imports :mod:`core.methods` first), so the registry lists
the methods, then ``gbm``, then ``weibull``; :mod:`core.experiment` imports it,
so whatever runs entries sees them.

May import: core.common, core.data, core.runs, core.evaluation, core.methods
(the registry and the entry base), core.training (run results and events).
"""

# isort: off
import core.methods
import core.baseline.gbm
import core.baseline.weibull  # noqa: F401
# isort: on
