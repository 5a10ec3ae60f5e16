"""Legends in a strip of their own, between a plot's title and its data.

pyqtgraph anchors a legend inside the view box, where it covers whatever the
data draw in that corner: the first epochs' losses, the jump of a task weight,
an engine's early cycles. No corner is safe for every run, so the legend
leaves the data area: it takes the row of the plot's (unused) top axis, lays
its entries out side by side and wraps them onto more lines when the plot is
narrow. It costs a line of height and never hides a point.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from workbench.plotting.style import FOREGROUND

#: Pixels between two entries side by side, so they read as separate entries.
ENTRY_GAP = 14
#: Width of the line or marker sample in front of each label.
SAMPLE_WIDTH = 20


class StripLegend(pg.LegendItem):
    """A legend laid out by the plot (not anchored over the view box), wrapping its entries.

    It sits in the plot's layout at the top axis's place (row 1, over the view
    box's column), so it spans exactly the data area's width and can never
    overlap it. Dragging it is off: there is nowhere else for it to go.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__(
            offset=None,  # not anchored: the plot's layout places it
            labelTextColor=FOREGROUND,
            labelTextSize="8pt",
            horSpacing=4,
            verSpacing=-6,
            pen=pg.mkPen(None),
            brush=pg.mkBrush(None),
        )
        self.plot = plot
        self._width = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        # The entries wrap to the width they get; they never make the plot wider.
        self.setMinimumWidth(0)
        self.layout.setContentsMargins(0, 0, 0, 2)  # pyqtgraph's 9 px frame margin, unframed
        top = plot.getAxis("top")  # hidden in every panel; the legend takes its row
        plot.layout.removeItem(top)
        plot.layout.addItem(self, 1, 1)
        plot.layout.setAlignment(self, Qt.AlignmentFlag.AlignHCenter)
        plot.legend = self  # plot(name=...) adds its entries here
        plot.vb.sigResized.connect(self._view_resized)

    def updateSize(self) -> None:  # pyqtgraph calls it after every change of entries
        """Re-wrap the entries and let the plot's layout size the strip (no fixed geometry)."""
        self._wrap()
        self.layout.invalidate()
        self.updateGeometry()

    def mouseDragEvent(self, ev) -> None:  # pyqtgraph names it so
        """Stay in the strip: a dragged legend would land on the data again."""
        ev.ignore()

    def columns_for(self, width: float) -> int:
        """How many entries fit side by side in ``width`` pixels (at least one).

        Entry ``i`` goes to grid column ``i % columns``, and a grid column is as
        wide as its widest entry; the most columns whose widths add up to no
        more than ``width`` win.
        """
        widths = [_entry_width(label) for _, label in self.items]
        for columns in range(len(widths), 1, -1):
            grid = [max(widths[j::columns]) for j in range(columns)]
            if sum(grid) <= width:
                return columns
        return 1

    def _view_resized(self) -> None:
        width = self.plot.vb.width()
        if abs(width - self._width) >= 1:
            self._width = width
            self.updateSize()

    def _wrap(self) -> None:
        columns = self.columns_for(self._width or self.plot.vb.width() or 1e6)
        if columns != self.columnCount:
            self.setColumnCount(columns)  # calls updateSize again, with nothing left to do


def _entry_width(label: pg.LabelItem) -> float:
    return SAMPLE_WIDTH + label.minimumWidth() + ENTRY_GAP


def add_strip_legend(plot: pg.PlotItem) -> StripLegend:
    """Give ``plot`` a legend above its data (the one :meth:`PlotItem.addLegend` would anchor
    over it)."""
    return plot.legend if isinstance(plot.legend, StripLegend) else StripLegend(plot)
