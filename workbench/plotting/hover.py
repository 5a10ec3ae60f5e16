"""Hover readouts: point at a plot, read the exact values instead of guessing from the axis."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg

from core.common.formats import format_value
from workbench.plotting.style import MUTED, pen

#: Mouse moves are sampled at most this often; faster is invisible and costs time.
HOVER_RATE_HZ = 30

Describe = Callable[[float, float], str | None]


def nearest_index(x: np.ndarray, target: float) -> int | None:
    """Index of the x value closest to ``target``; None for an empty or all-NaN array."""
    if x is None or len(x) == 0:
        return None
    distance = np.abs(np.asarray(x, dtype=float) - target)
    if np.all(np.isnan(distance)):
        return None
    return int(np.nanargmin(distance))


class HoverReadout:
    """A vertical crosshair and a one-line readout of the curves at the mouse position.

    By default it reports, for each tracked curve, the value at the x nearest
    to the mouse (curves against epoch or step); a panel may pass its own
    ``describe`` for other plots (scatter, per-run curves).

    Parameters
    ----------
    plot
        The plot to watch; it must already be in a scene.
    show
        Called with the readout text ("" when the mouse leaves the plot).
    x_name
        Name of the x quantity in the readout ("epoch", "step", "cycle").
    describe
        Optional ``(x, y) -> text`` in data coordinates, replacing the default.
    """

    def __init__(
        self,
        plot: pg.PlotItem,
        show: Callable[[str], None],
        x_name: str = "x",
        describe: Describe | None = None,
    ) -> None:
        self.plot = plot
        self.show = show
        self.x_name = x_name
        self.curves: list[tuple[str, pg.PlotDataItem]] = []
        self._describe = describe or self.describe_curves
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pen(MUTED, 1, dashed=True))
        self.line.hide()
        plot.addItem(self.line, ignoreBounds=True)
        self._proxy = pg.SignalProxy(
            plot.scene().sigMouseMoved, rateLimit=HOVER_RATE_HZ, slot=self._moved
        )

    def track(self, name: str, item: pg.PlotDataItem) -> None:
        """Report ``item``'s value under ``name``."""
        self.curves.append((name, item))

    def untrack(self, item: pg.PlotDataItem) -> None:
        """Stop reporting an item that was removed from the plot."""
        self.curves = [(n, i) for n, i in self.curves if i is not item]

    def describe_curves(self, x: float, y: float) -> str | None:
        """'<x_name> X · name value · ...' at the data x nearest to ``x``; moves the crosshair."""
        parts, snapped = [], None
        for name, item in self.curves:
            xs, ys = item.getOriginalDataset()
            index = nearest_index(xs, x)
            if index is None:
                continue
            snapped = xs[index] if snapped is None else snapped
            parts.append(f"{name} {format_value(float(ys[index]))}")
        if snapped is None:
            return None
        self.line.setPos(float(snapped))
        self.line.show()
        return f"{self.x_name} {format_value(float(snapped))} · " + " · ".join(parts)

    def hover(self, x: float, y: float) -> str:
        """The readout for a point in data coordinates (what a mouse move there shows)."""
        text = self._describe(x, y) or ""
        self.show(text)
        return text

    def _moved(self, args: tuple) -> None:
        position = args[0]
        if not self.plot.sceneBoundingRect().contains(position):
            self.line.hide()
            return
        point = self.plot.vb.mapSceneToView(position)
        y = point.y()
        if self.plot.getAxis("left").logMode:
            y = 10.0**y
        self.hover(point.x(), y)


def nearest_point(
    items: list[pg.PlotDataItem], plot: pg.PlotItem, x: float, y: float
) -> tuple[pg.PlotDataItem, int] | None:
    """The item and index of the displayed point closest to (x, y), scaled by the view size.

    Distances are measured in fractions of the visible range on each axis, so
    the nearest point is the one nearest on screen, not in mixed units.
    """
    (x0, x1), (y0, y1) = plot.vb.viewRange()
    width, height = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    best: tuple[float, pg.PlotDataItem, int] | None = None
    for item in items:
        xs, ys = item.getOriginalDataset()
        if xs is None or len(xs) == 0:
            continue
        distance = ((np.asarray(xs) - x) / width) ** 2 + ((np.asarray(ys) - y) / height) ** 2
        if np.all(np.isnan(distance)):
            continue
        index = int(np.nanargmin(distance))
        if best is None or distance[index] < best[0]:
            best = (float(distance[index]), item, index)
    return None if best is None else (best[1], best[2])
