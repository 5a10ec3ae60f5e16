"""Normal / degrading / critical bands behind a RUL-over-cycles plot.

Shared by the live trajectory panel and the fleet view, so an engineer reads
both the same way: shaded bands between the health-state thresholds and a
dashed, labelled line at each threshold.
"""

from __future__ import annotations

import pyqtgraph as pg

from workbench.plotting.style import HEALTH_STATES, MUTED, STATE_COLOURS, brush, pen

#: Far beyond any RUL, so the bands fill the view however it is zoomed.
BAND_EDGE = 1e5
BAND_ALPHA = 28
#: Where along the plot's width each threshold's label sits: apart, so the two never
#: overlap in a low plot, where the lines are a few pixels apart.
LABEL_AT = {"degrading": 0.3, "critical": 0.7}


class HealthBands:
    """The three bands and two threshold lines added to ``plot``."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.bands = {state: _band(plot, state) for state in HEALTH_STATES}
        self.lines = {name: _threshold_line(plot, LABEL_AT[name]) for name in HEALTH_STATES[1:]}

    def set_thresholds(self, degrading: float, critical: float) -> None:
        """Move the bands and lines to the health-state thresholds (RUL in cycles)."""
        self.bands["normal"].setRegion((degrading, BAND_EDGE))
        self.bands["degrading"].setRegion((critical, degrading))
        self.bands["critical"].setRegion((-BAND_EDGE, critical))
        for name, value in zip(HEALTH_STATES[1:], (degrading, critical), strict=True):
            self.lines[name].setPos(value)
            self.lines[name].label.setFormat(f"{name} ≤ {value:g}")

    def set_visible(self, visible: bool) -> None:
        """Show or hide the bands and lines (hidden while there is no trajectory to read)."""
        for item in (*self.bands.values(), *self.lines.values()):
            item.setVisible(visible)


def _band(plot: pg.PlotItem, state: str) -> pg.LinearRegionItem:
    band = pg.LinearRegionItem(
        orientation="horizontal", movable=False, brush=brush(STATE_COLOURS[state], BAND_ALPHA)
    )
    band.setZValue(-20)
    for line in band.lines:
        line.setPen(pg.mkPen(None))
    plot.addItem(band, ignoreBounds=True)
    return band


def _threshold_line(plot: pg.PlotItem, position: float) -> pg.InfiniteLine:
    line = pg.InfiniteLine(
        angle=0,
        pen=pen(MUTED, 1, dashed=True),
        label="",
        labelOpts={"position": position, "color": MUTED, "anchors": [(0.5, 1), (0.5, 1)]},
    )
    plot.addItem(line, ignoreBounds=True)
    return line


def state_markers(plot: pg.PlotItem, state: str, in_legend: bool) -> pg.PlotDataItem:
    """Dots in the predicted state's colour (named in the legend only if asked)."""
    markers = plot.plot(
        name=f"predicted {state}" if in_legend else None,
        pen=None,
        symbol="o",
        symbolSize=5,
        symbolPen=None,
        symbolBrush=brush(STATE_COLOURS[state]),
    )
    # The legend draws its sample from the scatter's own style, which pyqtgraph sets only
    # with the first points: a state never predicted would show a default grey-blue dot.
    markers.scatter.setBrush(brush(STATE_COLOURS[state]))
    markers.scatter.setPen(None)
    return markers
