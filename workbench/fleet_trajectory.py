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
from workbench.panels.style import (
    BACKGROUND,
    HEALTH_STATES,
    MUTED,
    RUL,
    STATE_COLOURS,
    TRUE_RUL,
    add_legend,
    brush,
    pen,
    set_title,
    style_plot,
)
from workbench.panels.trajectory import BAND_ALPHA, BAND_EDGE


class FleetTrajectoryPlot(pg.PlotWidget):
    """Predicted (and, where known, true) RUL of the selected engine."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=BACKGROUND)
        self.unit = None
        plot = self.getPlotItem()
        style_plot(plot, "Select an engine", "cycle", "RUL (cycles)")
        add_legend(plot, offset=(8, -8))
        self.bands = {state: self._make_band(state) for state in HEALTH_STATES}
        self.threshold_lines = {name: self._make_threshold_line() for name in HEALTH_STATES[1:]}
        self.true_curve = plot.plot(name="true RUL", pen=pen(TRUE_RUL, 2.5))
        self.true_curve.setZValue(10)
        self.pred_curve = plot.plot(name="predicted RUL", pen=pen(RUL, 1.5))
        self.state_markers = {state: self._make_markers(state) for state in HEALTH_STATES}
        self.set_thresholds(HealthThresholds())

    def set_thresholds(self, thresholds: HealthThresholds) -> None:
        """Place the bands at the run's health-state thresholds."""
        degrading, critical = thresholds.degrading, thresholds.critical
        self.bands["normal"].setRegion((degrading, BAND_EDGE))
        self.bands["degrading"].setRegion((critical, degrading))
        self.bands["critical"].setRegion((-BAND_EDGE, critical))
        for name, value in zip(HEALTH_STATES[1:], (degrading, critical), strict=True):
            self.threshold_lines[name].setPos(value)
            self.threshold_lines[name].label.setFormat(f"{name} ≤ {value:g}")

    def show_engine(self, unit, rows: pd.DataFrame) -> None:
        """Draw ``rows`` (``cycle``, ``pred_rul``, ``pred_health``, ``true_rul``) of ``unit``."""
        self.unit = unit
        rows = rows.sort_values("cycle", kind="stable")
        cycle = rows["cycle"].to_numpy(float)
        predicted = rows["pred_rul"].to_numpy(float)
        true = rows["true_rul"].to_numpy(float)
        self.pred_curve.setData(cycle, predicted)
        if np.isfinite(true).any():
            self.true_curve.setData(cycle, true)
        else:
            self.true_curve.setData([], [])
        states = rows["pred_health"].to_numpy()
        for state, markers in self.state_markers.items():
            mine = states == state
            markers.setData(cycle[mine], predicted[mine])
        set_title(self.getPlotItem(), _title(unit, str(states[-1]) if len(states) else ""))
        self.getPlotItem().enableAutoRange()

    def clear_engine(self, title: str = "Select an engine") -> None:
        """Show nothing (no prediction, or a new selection)."""
        self.unit = None
        for item in (self.true_curve, self.pred_curve, *self.state_markers.values()):
            item.setData([], [])
        set_title(self.getPlotItem(), title)

    def drawn_data(self) -> pd.DataFrame:
        """What is drawn: cycle, predicted RUL and true RUL (NaN where unknown)."""
        cycle, predicted = self.pred_curve.getData()
        if cycle is None:
            return pd.DataFrame(columns=["cycle", "pred_rul", "true_rul"])
        _, true = self.true_curve.getData()
        true = np.full(len(cycle), np.nan) if true is None or len(true) == 0 else true
        return pd.DataFrame({"cycle": cycle, "pred_rul": predicted, "true_rul": true})

    # ------------------------------------------------------------ internals
    def _make_band(self, state: str) -> pg.LinearRegionItem:
        band = pg.LinearRegionItem(
            orientation="horizontal", movable=False, brush=brush(STATE_COLOURS[state], BAND_ALPHA)
        )
        band.setZValue(-20)
        for line in band.lines:
            line.setPen(pg.mkPen(None))
        self.getPlotItem().addItem(band, ignoreBounds=True)
        return band

    def _make_threshold_line(self) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            angle=0,
            pen=pen(MUTED, 1, dashed=True),
            label="",
            labelOpts={"position": 0.45, "color": MUTED, "anchors": [(0.5, 1), (0.5, 1)]},
        )
        self.getPlotItem().addItem(line, ignoreBounds=True)
        return line

    def _make_markers(self, state: str) -> pg.PlotDataItem:
        # Out of the legend: the bands behind them already say which colour is which state.
        return self.getPlotItem().plot(
            name=None,
            pen=None,
            symbol="o",
            symbolSize=5,
            symbolPen=None,
            symbolBrush=brush(STATE_COLOURS[state]),
        )


def _title(unit, state: str) -> str:
    """'Engine 7: now <critical>' with the state in its colour."""
    if state not in STATE_COLOURS:
        return f"Engine {unit}"
    return f"Engine {unit}: now <b style='color:{STATE_COLOURS[state]}'>{state}</b>"
