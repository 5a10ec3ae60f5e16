"""Gradient probe: do the two tasks pull the shared layers with balanced force, and together?

Three plots per probed step: the per-task gradient norms, their ratio (raw
and after the method's weights), and the cosine between the two gradients.
Each quantity is drawn as faint raw values with a smoothed line on top,
because single-batch gradients are noisy and the trend is what matters.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QWidget

from core.evaluation.balance import balance_headline, balance_note
from workbench.common.widgets import ElidedLabel
from workbench.plotting.curves import GrowingSeries, SmoothedSeries
from workbench.plotting.overlap import coinciding, show_overlaps
from workbench.plotting.panel import SeriesPanel, checkbox_row, clear_items, set_series
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import (
    COSINE,
    EFFECTIVE_RATIO,
    HEALTH,
    MUTED,
    RATIO,
    RUL,
    pen,
    set_title,
)

#: Probe key -> (plot, legend name, colour). The order is the legend order.
QUANTITIES = {
    "norm_rul": ("norms", "‖g_RUL‖", RUL),
    "norm_health": ("norms", "‖g_health‖", HEALTH),
    "ratio": ("ratio", "raw ‖g_RUL‖ / ‖g_health‖", RATIO),
    "effective_ratio": ("ratio", "effective (λ-weighted)", EFFECTIVE_RATIO),
    "cosine": ("cosine", "cos(g_RUL, g_health)", COSINE),
}

#: Plot -> (title, axis label, log axis). The titles say what the short labels leave out:
#: a stacked plot is low, and a label longer than its axis runs into the one above.
PLOTS = {
    "norms": ("Gradient norm per task (shared layers, log axis)", "norm", True),
    "ratio": ("Gradient ratio RUL : health (log axis; dashed: 1 = balanced)", "ratio", True),
    "cosine": ("Gradient agreement (1 aligned, 0 unrelated, −1 conflicting)", "cosine", False),
}
#: Left axis width in pixels, the same for the three plots so their step axes line up.
AXIS_WIDTH = 52
#: Below this panel height (a laptop screen) the plots drop their titles, which would
#: leave each a strip too low for its ticks; the legends and axis labels still name
#: what is drawn, and the titles move to the plots' tooltip.
COMPACT_HEIGHT = 380

#: Default smoothing weight (TensorBoard-style; 0 = raw, 0.99 = very smooth).
DEFAULT_SMOOTHING = 0.9
RAW_ALPHA = 70


class GradientPanel(SeriesPanel):
    """Per-task gradient norms, their ratio and cosine per probed step, raw and smoothed.

    Norms and ratios span orders of magnitude, so their axes are logarithmic
    and their smoothing is geometric (see :class:`~workbench.plotting.curves.SmoothedSeries`).
    """

    title = "Gradients"
    empty_text = (
        "No run yet — press Train to see the two tasks' gradient norms, their ratio "
        "and their agreement from the first probed step."
    )

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.axis = GrowingSeries()
        self.series = {
            key: SmoothedSeries(DEFAULT_SMOOTHING, log=PLOTS[plot][2])
            for key, (plot, _, _) in QUANTITIES.items()
        }
        self.plots = {name: self._make_plot(row, name) for row, name in enumerate(PLOTS)}
        for name in ("ratio", "cosine"):
            self.plots[name].setXLink(self.plots["norms"])
        self.readouts = {name: self.add_readout(p, "step") for name, p in self.plots.items()}
        self.raw_curves: dict[str, pg.PlotDataItem] = {}
        #: Quantity -> the earlier one of its plot its smoothed line equals (ratio: raw).
        self.same_as: dict[str, str] = {}
        self.smooth_curves: dict[str, pg.PlotDataItem] = {}
        for key in QUANTITIES:
            self._make_curves(key)
        self.smoothing = self._make_smoothing_box()
        #: What the balance means, in words (core.evaluation.balance), from the probed steps so far.
        self.balance = ElidedLabel()
        self.balance.setObjectName("balanceHeadline")
        self._balance_rows: list[dict] = []
        self.controls.addWidget(self.balance, 1)
        checkbox_row(self.controls, QLabel("smoothing"), self.smoothing)
        #: Whether the titles are dropped for room (see :data:`COMPACT_HEIGHT`).
        self.compact = False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.set_compact(event.size().height() < COMPACT_HEIGHT)

    def set_compact(self, compact: bool) -> None:
        """Drop the plot titles (into the tooltip) when the panel is low, restore them else."""
        if compact == self.compact:
            return
        self.compact = compact
        for name, plot in self.plots.items():
            if compact:
                plot.setTitle(None)
            else:
                set_title(plot, PLOTS[name][0])
        titles = "\n".join(title for title, _, _ in PLOTS.values())
        self.graphics.setToolTip(titles if compact else "")

    def _make_plot(self, row: int, name: str) -> pg.PlotItem:
        title, unit, log = PLOTS[name]
        # The three plots share the step axis; only the bottom one names it.
        plot = self.add_plot(row, 0, title, "step" if row == len(PLOTS) - 1 else "", unit)
        plot.setLogMode(x=False, y=log)
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        if row < len(PLOTS) - 1:
            # The step axes are linked: only the bottom plot numbers them, the height
            # saved goes to the data.
            plot.getAxis("bottom").setStyle(showValues=False)
        if name in ("ratio", "cosine"):
            # A ratio of 1 (log10 = 0 on the log axis) and a cosine of 0 are the references.
            plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pen(MUTED, 1, dashed=True)))
        if name == "cosine":
            plot.setYRange(-1.05, 1.05, padding=0)
            plot.vb.setLimits(yMin=-1.1, yMax=1.1)
        return plot

    def _make_curves(self, key: str) -> None:
        plot_name, name, colour = QUANTITIES[key]
        plot = self.plots[plot_name]
        self.raw_curves[key] = self.add_curve(plot, None, colour, width=1, alpha=RAW_ALPHA)
        self.smooth_curves[key] = self.add_curve(plot, name, colour, width=2)
        self.readouts[plot_name].track(name, self.smooth_curves[key])

    def _make_smoothing_box(self) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 0.99)
        box.setSingleStep(0.05)
        box.setDecimals(2)
        box.setValue(DEFAULT_SMOOTHING)
        box.setToolTip("Weight of the moving average: 0 shows raw values, 0.99 a slow trend")
        box.valueChanged.connect(self.set_smoothing)
        return box

    # ------------------------------------------------------------------ API
    def add_probe(self, record: dict) -> None:
        """Append one probe record (keys as in ``ProbeRecord.row()``)."""
        self.axis.append(record.get("step", len(self.axis)))
        self._balance_rows.append(
            {key: record.get(key) for key in ("epoch", "effective_ratio", "cosine")}
        )
        for key, series in self.series.items():
            value = record.get(key, math.nan)
            series.append(math.nan if value is None else value)
        self.mark_dirty()

    def set_smoothing(self, weight: float) -> None:
        """Change the smoothing weight and recompute the smoothed lines."""
        if abs(self.smoothing.value() - weight) > 1e-9:
            self.smoothing.setValue(weight)  # re-enters through valueChanged
            return
        for series in self.series.values():
            series.set_weight(weight)
        self.mark_dirty()

    def _forget(self) -> None:
        """The curves and the balance note."""
        self._balance_rows.clear()
        self._show_balance()
        clear_items([*self.raw_curves.values(), *self.smooth_curves.values()])

    def _columns(self) -> dict[str, np.ndarray]:
        """Per figure, the raw values and their smoothed line."""
        columns = {}
        for key, series in self.series.items():
            columns[key] = series.raw.view().copy()
            columns[f"{key}_smoothed"] = series.smooth.view().copy()
        return columns

    def _show_balance(self) -> None:
        """The typical effective ratio and cosine in a few words; the sentence in the tooltip."""
        self.balance.setText(balance_headline(self._balance_rows))
        note = balance_note(self._balance_rows)
        self.balance.setToolTip(
            f"{note}\nEffective ratio: the RUL : health mix of the shared update after the "
            "method's weights (median from epoch 3). Why it often matters little: "
            "docs/balance.md."
            if note
            else ""
        )

    def _redraw(self) -> None:
        self._show_balance()
        steps = self.axis.view()
        for key, series in self.series.items():
            set_series(self.raw_curves[key], steps, series.raw.view())
            set_series(self.smooth_curves[key], steps, series.smooth.view())
        self._mark_overlaps(steps)

    def _mark_overlaps(self, steps) -> None:
        """The effective ratio equals the raw one under equal weights (fixed 0.5 / 0.5), where
        its line hid the raw one's: drawn dashed over it, and named so in the legend."""
        same: dict[str, str] = {}
        for plot_name in self.plots:  # only lines on one plot can hide each other
            same |= coinciding({
                key: (steps, series.smooth.view()) for key, series in self.series.items()
                if QUANTITIES[key][0] == plot_name
            })  # fmt: skip
        if same == self.same_as:
            return
        self.same_as = same
        for plot_name, plot in self.plots.items():
            show_overlaps(
                plot.legend,
                {key: (self.smooth_curves[key], QUANTITIES[key][1], pen(QUANTITIES[key][2], 2))
                 for key in self.smooth_curves if QUANTITIES[key][0] == plot_name},
                same,
                called={"ratio": "raw"},
            )  # fmt: skip
