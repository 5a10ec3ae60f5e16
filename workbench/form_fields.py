"""Number fields of the docks' forms, built one way: range, value and tooltip in one call."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox


def spin_box(low: int, high: int, value: int, tip: str) -> QSpinBox:
    """A whole-number field from ``low`` to ``high`` showing ``value``."""
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def double_box(low: float, high: float, value: float, step: float, tip: str) -> QDoubleSpinBox:
    """A decimal field stepping by ``step``; two decimals for steps below 1."""
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(2 if step < 1 else 0)
    box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box
