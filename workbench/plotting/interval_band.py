"""The calibrated RUL interval drawn as a light band behind a predicted trajectory.

One drawing for the live trajectory panel and the fleet view, so an interval
looks the same wherever an engine's prediction is shown: the RUL colour,
mostly transparent, with hairline bounds, behind the curves.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from workbench.plotting.style import RUL, pen

#: Opacity of the band's fill (0-255): the curves and health bands stay readable through it.
FILL_ALPHA = 45


class IntervalBand:
    """Lower and upper bound curves of a plot with the fill between them."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.lower = plot.plot(pen=pen(RUL, 0.5, alpha=90))
        self.upper = plot.plot(pen=pen(RUL, 0.5, alpha=90))
        colour = pg.mkColor(RUL)
        colour.setAlpha(FILL_ALPHA)
        self.fill = pg.FillBetweenItem(self.lower, self.upper, brush=pg.mkBrush(colour))
        plot.addItem(self.fill)
        self.fill.setZValue(-5)

    def set_bounds(self, cycle: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self.lower.setData(cycle, lower)
        self.upper.setData(cycle, upper)

    def clear(self) -> None:
        self.lower.setData([], [])
        self.upper.setData([], [])

    def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The drawn (lower, upper), None when no band is shown."""
        _, lower = self.lower.getData()
        _, upper = self.upper.getData()
        if lower is None or len(lower) == 0:
            return None
        return np.asarray(lower), np.asarray(upper)
