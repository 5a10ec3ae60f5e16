"""One in-service engine's predicted RUL over its cycles, over the health-state bands.

The same look as the live trajectory panel (predicted RUL in the RUL colour,
true RUL in near-black, markers in the predicted state's colour, bands for
normal / degrading / critical), so an engineer reads both the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg

from core.data.config import HealthThresholds
from workbench.common.time_units import CYCLES, rul_label, time_axis_label, time_unit
from workbench.plotting.health_bands import HealthBands, state_markers
from workbench.plotting.interval_band import IntervalBand
from workbench.plotting.legend import add_strip_legend
from workbench.plotting.style import (
    BACKGROUND,
    HEALTH_STATES,
    MUTED,
    RUL,
    STATE_COLOURS,
    TRUE_RUL,
    pen,
    set_axis_label,
    set_title,
    style_plot,
)

#: What the plot says before an engine is shown.
EMPTY_TEXT = "No engine shown yet: press Predict, then pick an engine in the table."
#: The axes' range (time, RUL) while no engine is shown, instead of pyqtgraph's ±0.4 of
#: nothing (with the critical band filling it).
EMPTY_RANGE = ((0.0, 200.0), (0.0, 150.0))


class FleetTrajectoryPlot(pg.PlotWidget):
    """Predicted (and, where known, true) RUL of the selected engine."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=BACKGROUND)
        self.unit = None
        #: The unit of the run's time and RUL: ``cycles`` or ``hours``.
        self.time_unit = CYCLES
        plot = self.getPlotItem()
        style_plot(plot, "Select an engine", "cycle", "RUL (cycles)")
        add_strip_legend(plot)  # above the data, never over an early point
        self.health_bands = HealthBands(plot)
        self.true_curve = plot.plot(name="true RUL", pen=pen(TRUE_RUL, 2.5))
        self.true_curve.setZValue(10)
        self.pred_curve = plot.plot(name="predicted RUL", pen=pen(RUL, 1.5))
        self.band = IntervalBand(plot)  # the calibrated interval, behind the curves
        # Out of the legend: the bands behind them already say which colour is which state.
        self.state_markers = {s: state_markers(plot, s, in_legend=False) for s in HEALTH_STATES}
        self.empty_label = pg.TextItem(EMPTY_TEXT, color=MUTED, anchor=(0.5, 0.5))
        plot.addItem(self.empty_label, ignoreBounds=True)
        self.set_thresholds(HealthThresholds())
        self._show_empty()

    def set_thresholds(self, thresholds: HealthThresholds) -> None:
        """Place the bands at the run's health-state thresholds."""
        self.health_bands.set_thresholds(thresholds.degrading, thresholds.critical)

    def set_time_unit(self, unit: str | None) -> None:
        """Label time and RUL in the run's unit: ``cycles`` (also for ``None``) or ``hours``."""
        self.time_unit = time_unit(unit)
        plot = self.getPlotItem()
        set_axis_label(plot, "bottom", time_axis_label(self.time_unit))
        set_axis_label(plot, "left", rul_label(self.time_unit))

    def show_engine(self, unit, rows: pd.DataFrame) -> None:
        """Draw ``rows`` (``cycle``, ``pred_rul``, ``pred_health``, ``true_rul``) of ``unit``."""
        self.unit = unit
        rows = rows.sort_values("cycle", kind="stable")
        cycle = rows["cycle"].to_numpy(float)
        predicted = rows["pred_rul"].to_numpy(float)
        true = rows["true_rul"].to_numpy(float)
        self.pred_curve.setData(cycle, predicted)
        if {"rul_lower", "rul_upper"} <= set(rows.columns):
            bounds = (rows[c].to_numpy(float) for c in ("rul_lower", "rul_upper"))
            self.band.set_bounds(cycle, *bounds)
        else:
            self.band.clear()
        if np.isfinite(true).any():
            self.true_curve.setData(cycle, true)
        else:
            self.true_curve.setData([], [])
        states = rows["pred_health"].to_numpy()
        for state, markers in self.state_markers.items():
            mine = states == state
            markers.setData(cycle[mine], predicted[mine])
        set_title(self.getPlotItem(), _title(unit, str(states[-1]) if len(states) else ""))
        self.empty_label.hide()
        self.health_bands.set_visible(True)
        self.getPlotItem().enableAutoRange()

    def clear_engine(self, title: str = "Select an engine") -> None:
        """Show nothing (no prediction, or a new selection)."""
        self.unit = None
        for item in (self.true_curve, self.pred_curve, *self.state_markers.values()):
            item.setData([], [])
        self.band.clear()
        set_title(self.getPlotItem(), title)
        self._show_empty()

    def _show_empty(self) -> None:
        """Say why nothing is drawn, over plain axes of a plausible range (no bands: over an
        empty plot they would fill it with one state's colour)."""
        self.health_bands.set_visible(False)
        (x0, x1), (y0, y1) = EMPTY_RANGE
        plot = self.getPlotItem()
        plot.disableAutoRange()
        plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.empty_label.setPos((x0 + x1) / 2, (y0 + y1) / 2)
        self.empty_label.show()

    def drawn_data(self) -> pd.DataFrame:
        """What is drawn: cycle, predicted RUL and true RUL (NaN where unknown)."""
        cycle, predicted = self.pred_curve.getData()
        if cycle is None:
            return pd.DataFrame(columns=["cycle", "pred_rul", "true_rul"])
        _, true = self.true_curve.getData()
        true = np.full(len(cycle), np.nan) if true is None or len(true) == 0 else true
        return pd.DataFrame({"cycle": cycle, "pred_rul": predicted, "true_rul": true})


def _title(unit, state: str) -> str:
    """'Engine 7: now <critical>' with the state in its colour."""
    if state not in STATE_COLOURS:
        return f"Engine {unit}"
    return f"Engine {unit}: now <b style='color:{STATE_COLOURS[state]}'>{state}</b>"
