"""The unit of a run's time and RUL figures, as the panels label them: cycles or hours.

A fleet whose time column counts hours (``TSN``, a timestamp) is trained on
hours, and every RUL the run predicts is in hours; the run saves the unit in
its ``preprocessing.json`` (``core.data.pipeline_file``, which also says
what a file without the unit means). The panels ask here for their axis
labels, so a run of hours never says "cycles".
"""

from __future__ import annotations

from pathlib import Path

from core.data import pipeline_file
from core.data.time_axis import CYCLES, HOURS

__all__ = [
    "CYCLES",
    "HOURS",
    "rul_label",
    "run_time_unit",
    "time_axis_label",
    "time_unit",
]


def time_unit(value: object) -> str:
    """``hours`` when ``value`` says hours, else ``cycles``."""
    return HOURS if str(value or "").strip().lower() == HOURS else CYCLES


def rul_label(unit: object, prefix: str = "RUL") -> str:
    """``RUL (cycles)`` or ``RUL (hours)``: an axis label with its unit."""
    return f"{prefix} ({time_unit(unit)})"


def time_axis_label(unit: object) -> str:
    """The label of a time axis: ``cycle`` (the cycle number) or ``hours`` (since new)."""
    return "hours" if time_unit(unit) == HOURS else "cycle"


def run_time_unit(run_dir: str | Path | None) -> str:
    """The unit of a run's RUL (:func:`core.data.pipeline_file.run_time_unit`); no run: cycles."""
    return pipeline_file.run_time_unit(run_dir) if run_dir else CYCLES
