"""The dual-task RUL + health network and its named size presets."""

from core.model.dual_task import SHARED_BLOCKS, DualTaskModel, ParameterGroups
from core.model.presets import PRESETS, ModelPreset, resolve_preset

__all__ = [
    "PRESETS",
    "SHARED_BLOCKS",
    "DualTaskModel",
    "ModelPreset",
    "ParameterGroups",
    "resolve_preset",
]
