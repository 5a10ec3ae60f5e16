"""Loss and gradient balancing methods behind one interface (docs/methods.md).

Importing this package registers every method: each module below decorates
its classes with :func:`core.methods.registry.register`. The import order is
the listing order: the book's methods first, then the wider family
(gradient aggregation, then loss-level and hybrid balancing). The classical
baselines (``gbm``, ``weibull``) share the registry but live a layer up, in
:mod:`core.baseline`, which registers them after these.

May import: :mod:`core.common` and torch/torchjd; nothing else of core.
"""

# isort: off
from core.methods.registry import METHODS, create_method, describe_methods, register
from core.methods.base import TASKS, BalancingMethod, Entry, Hyperparameter
from core.methods.fixed import (
    AMNL,
    FixedWeights,
    SingleTask,
    TunedFixedWeights,
    failure_weighted_mse,
)
from core.methods.gaba import GABA, GRACE
from core.methods.uncertainty import UncertaintyWeighting
from core.methods.dwa import DynamicWeightAverage
from core.methods.gradnorm import GradNorm
from core.methods.pcgrad import PCGrad
from core.methods.torchjd_family import (
    IMTLG,
    MGDA,
    AlignedMTL,
    DualProj,
    GradVac,
    MGDAUpperBound,
    UPGrad,
)
from core.methods.cagrad import CAGrad
from core.methods.nash_mtl import NashMTL
from core.methods.conflict_free import ConFIG
from core.methods.db_mtl import DBMTL
from core.methods.famo import FAMO
from core.methods.rlw import RandomLossWeighting
# isort: on

__all__ = [
    "AMNL",
    "DBMTL",
    "FAMO",
    "GABA",
    "GRACE",
    "IMTLG",
    "METHODS",
    "MGDA",
    "TASKS",
    "AlignedMTL",
    "BalancingMethod",
    "CAGrad",
    "ConFIG",
    "DualProj",
    "DynamicWeightAverage",
    "Entry",
    "FixedWeights",
    "GradNorm",
    "GradVac",
    "Hyperparameter",
    "MGDAUpperBound",
    "NashMTL",
    "PCGrad",
    "RandomLossWeighting",
    "SingleTask",
    "TunedFixedWeights",
    "UPGrad",
    "UncertaintyWeighting",
    "create_method",
    "describe_methods",
    "failure_weighted_mse",
    "register",
]
