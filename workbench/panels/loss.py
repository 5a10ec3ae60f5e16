"""Losses per epoch: is each task still learning, and is validation following training?"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QCheckBox, QWidget

from workbench.plotting.curves import GrowingSeries
from workbench.plotting.panel import SeriesPanel, checkbox_row, clear_items, set_series
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import BACKGROUND, HEALTH, RUL, TOTAL, pen

#: History-row key -> (plot, legend name, colour, dashed). Validation is dashed
#: in the task's colour so train/validation pairs read as one task.
CURVES = {
    "train_loss_rul": ("rul", "train", RUL, False),
    "val_loss_rul": ("rul", "validation", RUL, True),
    "train_loss_health": ("health", "train", HEALTH, False),
    "val_loss_health": ("health", "validation", HEALTH, True),
    # "train": the axis says it is the weighted sum; a longer entry widens the plot.
    "train_loss_total": ("total", "train", TOTAL, False),
}

PLOTS = {
    "rul": ("RUL loss", "MSE (cycles²)"),
    "health": ("Health loss", "cross-entropy (nats)"),
    "total": ("Total loss", "weighted sum λ·L"),
}


class LossPanel(SeriesPanel):
    """Train and validation loss of each task, and the weighted total, per epoch.

    The two tasks get separate plots because their losses live on different
    scales (squared cycles vs nats); one shared axis would flatten the health
    curve into a line at zero.
    """

    axis_name = "epoch"

    title = "Losses"
    empty_text = (
        "No run yet — press Train to see each task's training and validation loss, epoch by epoch."
    )
    #: Shown while the run's first epoch trains: the other panels move already.
    running_text = (
        "First epoch running… step {step} of {steps}. Each task's training and validation "
        "loss appears when the epoch ends."
    )

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.axis = GrowingSeries()
        #: (step within the epoch, steps per epoch) of the run's newest step, before its
        #: first epoch ended; None without a run.
        self.first_epoch_step: tuple[int, int] | None = None
        self.series = {key: GrowingSeries() for key in CURVES}
        self.plots = {
            name: self.add_plot(0, col, title, "epoch", unit)
            for col, (name, (title, unit)) in enumerate(PLOTS.items())
        }
        # Three equal columns. Short titles: a title sets its plot's least width, and
        # three wide ones cut the right-hand plot off in a narrow panel.
        for col in range(len(self.plots)):
            self.graphics.ci.layout.setColumnStretchFactor(col, 1)
        self.plots["health"].setXLink(self.plots["rul"])
        self.plots["total"].setXLink(self.plots["rul"])
        self.readouts = {name: self.add_readout(p, "epoch") for name, p in self.plots.items()}
        self.curves = {key: self._make_curve(key) for key in CURVES}
        self.log_scale = QCheckBox("log scale")
        self.log_scale.setToolTip("Logarithmic loss axes: shows late-training progress")
        self.log_scale.toggled.connect(self.set_log_scale)
        checkbox_row(self.controls, self.log_scale)

    def _make_curve(self, key: str):
        plot_name, name, colour, dashed = CURVES[key]
        item = self.add_curve(
            self.plots[plot_name],
            name,
            colour,
            dashed=dashed,
            symbol="o",
            symbolSize=5,
            # Hollow markers for validation: tells the pair apart in print, too.
            symbolPen=pen(colour, 1),
            symbolBrush=BACKGROUND if dashed else colour,
        )
        self.readouts[plot_name].track(name, item)
        return item

    # ------------------------------------------------------------------ API
    def add_epoch(self, row: dict) -> None:
        """Append one epoch's history row (keys as in the trainer's history)."""
        self.axis.append(row.get("epoch", len(self.axis) + 1))
        for key, series in self.series.items():
            value = row.get(key, math.nan)
            series.append(math.nan if value is None else value)
        self.mark_dirty()

    def note_step(self, step: int, steps_per_epoch: int) -> None:
        """A training step of the run on show (``step`` counted from 0 over the run).

        Until the first epoch ends there is no loss to plot; the placeholder
        then says the epoch is running instead of "No run yet".
        """
        if self.has_data():
            return
        steps = max(int(steps_per_epoch), 1)
        self.first_epoch_step = (min(int(step), steps - 1) + 1, steps)
        self.mark_dirty()

    def placeholder_text(self) -> str | None:
        if self.has_data():
            return None
        if self.first_epoch_step is not None:
            step, steps = self.first_epoch_step
            return self.running_text.format(step=step, steps=steps)
        return self.empty_text

    def set_log_scale(self, on: bool) -> None:
        """Switch every loss axis between linear and logarithmic."""
        if self.log_scale.isChecked() != on:
            self.log_scale.setChecked(on)  # re-enters through the toggled signal
            return
        for plot in self.plots.values():
            plot.setLogMode(x=False, y=on)

    def _forget(self) -> None:
        """The curves and the first epoch's progress (the log-scale choice is kept)."""
        self.first_epoch_step = None
        clear_items(self.curves.values())

    def _redraw(self) -> None:
        epochs = self.axis.view()
        for key, item in self.curves.items():
            set_series(item, epochs, self.series[key].view())
