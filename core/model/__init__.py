"""The dual-task RUL + health network and its named size presets.

The network (and so torch) is imported on first use of :class:`DualTaskModel`
and its companions, so that reading the presets (``rulwb --help`` lists them)
costs no torch import (benchmarks/cli_startup.py).

May import: nothing of core (torch only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.model.presets import PRESETS, ModelPreset, resolve_preset

if TYPE_CHECKING:
    from core.model.dual_task import SHARED_BLOCKS, DualTaskModel, ParameterGroups

__all__ = [
    "PRESETS",
    "SHARED_BLOCKS",
    "DualTaskModel",
    "ModelPreset",
    "ParameterGroups",
    "resolve_preset",
]

_FROM_DUAL_TASK = ("SHARED_BLOCKS", "DualTaskModel", "ParameterGroups")


def __getattr__(name: str) -> Any:
    if name in _FROM_DUAL_TASK:
        from core.model import dual_task

        return getattr(dual_task, name)
    raise AttributeError(f"module 'core.model' has no attribute {name!r}")
