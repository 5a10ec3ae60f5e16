"""Task weights per step: what the balancing method decided, step by step."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QWidget

from workbench.plotting.curves import GrowingSeries
from workbench.plotting.overlap import coinciding, show_overlaps
from workbench.plotting.panel import SeriesPanel, checkbox_row, clear_items, set_series
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import pen, series_colour


def display_name(name: str) -> str:
    """'lambda_rul' -> 'λ_RUL', 'weight_health' -> 'λ_health'; other names unchanged."""
    for prefix in ("lambda_", "weight_"):
        if name.startswith(prefix):
            task = name[len(prefix) :]
            return "λ_" + ("RUL" if task == "rul" else task)
    return name


class TaskWeightPanel(SeriesPanel):
    """λ_RUL and λ_health (and any other weights a method reports) per step.

    A series first seen late (a learnable weight appearing after warm-up) is
    back-filled with NaN, so every series stays aligned with the step axis. A
    weight equal to an earlier one all along (fixed weights' 0.5 and 0.5) is
    drawn dashed over it and named so in the legend ("λ_health (= λ_RUL)").
    """

    title = "Task weights"
    empty_text = (
        "No run yet — press Train to see the task weights λ the method chooses, step by step."
    )

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.axis = GrowingSeries()
        self.series: dict[str, GrowingSeries] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.colours: dict[str, str] = {}
        #: Name -> the earlier weight it equals at every step so far.
        self.same_as: dict[str, str] = {}
        self.plot = self.add_plot(0, 0, "Task weights", "step", "weight λ")
        self.hover = self.add_readout(self.plot, "step")
        self.log_scale = QCheckBox("log scale")
        self.log_scale.setToolTip("Logarithmic weight axis, for methods whose weights span decades")
        self.log_scale.toggled.connect(self.set_log_scale)
        checkbox_row(self.controls, self.log_scale)

    # ------------------------------------------------------------------ API
    def add_step(self, step: int, weights: dict[str, float]) -> None:
        """Append the weights in force at ``step``; new names become new curves."""
        self.axis.append(step)
        for name in weights:
            if name not in self.series:
                self._add_series(name)
        for name, series in self.series.items():
            value = weights.get(name, math.nan)
            series.append(math.nan if value is None else value)
        self.mark_dirty()

    def set_log_scale(self, on: bool) -> None:
        """Switch the weight axis between linear and logarithmic."""
        if self.log_scale.isChecked() != on:
            self.log_scale.setChecked(on)
            return
        self.plot.setLogMode(x=False, y=on)

    def _forget(self) -> None:
        """The curves; the named series stay (and usually recur)."""
        clear_items(self.curves.values())

    # ------------------------------------------------------------ internals
    def _add_series(self, name: str) -> None:
        series = GrowingSeries()
        series.extend([math.nan] * (len(self.axis) - 1))
        self.series[name] = series
        self.colours[name] = series_colour(name, len(self.series) - 1)
        label = display_name(name)
        self.curves[name] = self.add_curve(self.plot, label, self.colours[name])
        self.hover.track(label, self.curves[name])
        self.same_as = {}

    def _redraw(self) -> None:
        steps = self.axis.view()
        for name, item in self.curves.items():
            set_series(item, steps, self.series[name].view())
        same = coinciding({name: (steps, self.series[name].view()) for name in self.curves})
        if same != self.same_as:
            self.same_as = same
            self._mark_overlaps()

    def _mark_overlaps(self) -> None:
        """Dash each weight drawn over an earlier equal one and name it so in the legend."""
        show_overlaps(
            self.plot.legend,
            {name: (item, display_name(name), pen(self.colours[name], 2.0))  # as add_curve drew
             for name, item in self.curves.items()},
            self.same_as,
        )  # fmt: skip
