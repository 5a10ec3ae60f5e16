"""Loss and gradient balancing methods behind one interface (METHODS.md section 3)."""

from core.methods.base import TASKS, BalancingMethod, Hyperparameter
from core.methods.dwa import DynamicWeightAverage
from core.methods.fixed import AMNL, FixedWeights, SingleTask, failure_weighted_mse
from core.methods.gaba import GABA, GRACE
from core.methods.gradnorm import GradNorm
from core.methods.pcgrad import PCGrad
from core.methods.registry import METHODS, create_method, describe_methods, register
from core.methods.uncertainty import UncertaintyWeighting

__all__ = [
    "AMNL",
    "GABA",
    "GRACE",
    "METHODS",
    "TASKS",
    "BalancingMethod",
    "DynamicWeightAverage",
    "FixedWeights",
    "GradNorm",
    "Hyperparameter",
    "PCGrad",
    "SingleTask",
    "UncertaintyWeighting",
    "create_method",
    "describe_methods",
    "failure_weighted_mse",
    "register",
]
