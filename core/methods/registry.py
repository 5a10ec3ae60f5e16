"""Every balancing method by name, for the trainer, the CLI and the GUI.

The registry is open: a new method module calls :func:`register` on its
class (or is added to :data:`METHODS` here) and becomes available
everywhere, with its settings described for ``rulwb methods --json``.
"""

from __future__ import annotations

from typing import Any

from core.methods.base import BalancingMethod
from core.methods.cagrad import CAGrad
from core.methods.conflict_free import ConFIG
from core.methods.db_mtl import DBMTL
from core.methods.dwa import DynamicWeightAverage
from core.methods.famo import FAMO
from core.methods.fixed import AMNL, FixedWeights, SingleTask
from core.methods.gaba import GABA, GRACE
from core.methods.gradnorm import GradNorm
from core.methods.nash_mtl import NashMTL
from core.methods.pcgrad import PCGrad
from core.methods.rlw import RandomLossWeighting
from core.methods.torchjd_family import (
    IMTLG,
    MGDA,
    AlignedMTL,
    DualProj,
    GradVac,
    MGDAUpperBound,
    UPGrad,
)
from core.methods.uncertainty import UncertaintyWeighting

METHODS: dict[str, type[BalancingMethod]] = {}


def register(method: type[BalancingMethod]) -> type[BalancingMethod]:
    """Add a method class under its ``name``; usable as a class decorator.

    Raises
    ------
    ValueError
        If another class already holds the name.
    """
    existing = METHODS.get(method.name)
    if existing is not None and existing is not method:
        raise ValueError(f"a balancing method named '{method.name}' is already registered")
    METHODS[method.name] = method
    return method


for _method in (
    FixedWeights,
    SingleTask,
    AMNL,
    GABA,
    GRACE,
    UncertaintyWeighting,
    DynamicWeightAverage,
    GradNorm,
    PCGrad,
    # The wider family (METHODS.md section 3): gradient aggregation ...
    MGDA,
    MGDAUpperBound,
    CAGrad,
    IMTLG,
    AlignedMTL,
    NashMTL,
    UPGrad,
    DualProj,
    GradVac,
    ConFIG,
    # ... and loss-level or hybrid balancing.
    DBMTL,
    FAMO,
    RandomLossWeighting,
):
    register(_method)


def create_method(name: str, **params: Any) -> BalancingMethod:
    """A new method object by registry name, with settings (strings are parsed).

    Raises
    ------
    ValueError
        For an unknown name (listing the valid ones), an unknown setting or
        a value of the wrong type or out of range.
    """
    try:
        method = METHODS[name]
    except KeyError:
        valid = ", ".join(METHODS)
        raise ValueError(f"unknown balancing method '{name}'; choose one of: {valid}") from None
    return method(**params)


def describe_methods() -> list[dict[str, Any]]:
    """Plain-JSON description of every method, in registry order."""
    return [
        {
            "name": m.name,
            "title": m.title,
            "description": m.description,
            "needs_gradients": m.needs_gradients,
            "trains_health": m.trains_health,
            "hyperparameters": [h.describe() for h in m.hyperparameters],
        }
        for m in METHODS.values()
    ]
