"""Per-block gradient probe: where in the backbone do the two tasks pull apart?

The gradient panel summarises the whole shared trunk in one ratio and one
cosine. A trunk-wide balance can hide a CNN dominated by the RUL task and an
attention block dominated by health, or agreement early in the network with
conflict late. Two heatmaps (blocks x probed step) show it at a glance: the
top one is log10 of ||g_RUL|| / ||g_health|| per block, coloured with the task
colours around white (balanced), the bottom one the cosine per block, from
conflicting (-1) through unrelated (0) to aligned (+1).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from core.common.formats import format_value
from core.common.settings import declared
from core.training.config import TrainConfig
from workbench.plotting.curves import GrowingSeries
from workbench.plotting.panel import SeriesPanel
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import FOREGROUND, HEALTH, MUTED, RUL, style_plot

#: Probe keys of the shared blocks, in forward order, and their display names.
BLOCKS = ("cnn", "bilstm", "attention", "funnel")
BLOCK_NAMES = {"cnn": "CNN", "bilstm": "BiLSTM", "attention": "attention", "funnel": "funnel"}
#: Per-block figures of ``ProbeRecord.row()`` (``<block>_<figure>``), in table order.
FIGURES = ("norm_rul", "norm_health", "ratio", "cosine")

#: Health dominates (blue) -> balanced (white) -> RUL dominates (orange): the task colours.
RATIO_MAP = pg.ColorMap([0.0, 0.5, 1.0], [HEALTH, "#ffffff", RUL])
#: Conflicting (magenta) -> unrelated (white) -> aligned (green), PiYG-like for colour blindness.
COSINE_MAP = pg.ColorMap([0.0, 0.5, 1.0], ["#c51b7d", "#ffffff", "#4d9221"])
#: The ratio scale spans at least one decade either way, so noise near 1 stays pale.
MIN_RATIO_DECADES = 1.0

#: Behind the heatmaps, so a missing value (NaN cell) is not read as white, balanced.
MISSING = "#e8eaed"

#: The Experiment dock's name for the setting, from its declaration: one name everywhere.
PROBE_BLOCKS_LABEL = next(d.about.label for d in declared(TrainConfig) if d.name == "probe_blocks")
EMPTY_TEXT = (
    "The gradients of each block appear here for a run trained with "
    f"'{PROBE_BLOCKS_LABEL}' ticked in the Experiment dock."
)

#: Heatmap -> (title, colour bar label). The block names take the left axis.
PLOTS = {
    "ratio": ("Gradient ratio RUL : health per block (orange: RUL pulls harder)", "log10 ratio"),
    "cosine": ("Gradient agreement per block (1 aligned, −1 conflicting)", "cosine"),
}
#: Left axis width in pixels, so the longest block name ("attention") fits.
BLOCK_AXIS_WIDTH = 72


def has_blocks(record: dict) -> bool:
    """Whether a probe record carries a finite per-block figure (probe_blocks was on)."""
    for block in BLOCKS:
        for figure in ("ratio", "cosine"):
            value = record.get(f"{block}_{figure}")
            if value is not None and not math.isnan(value):
                return True
    return False


def log_ratio(ratio: np.ndarray) -> np.ndarray:
    """log10 of the ratios; 0 and negative (impossible for norms) become NaN, not -inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ratio > 0, np.log10(np.where(ratio > 0, ratio, 1.0)), np.nan)


def symmetric_level(values: np.ndarray) -> float:
    """Half-width of a colour scale centred on 0 that holds every finite value."""
    finite = np.abs(values[np.isfinite(values)])
    widest = float(finite.max()) if finite.size else 0.0
    return max(MIN_RATIO_DECADES, math.ceil(widest * 2) / 2)


class BlockGradientPanel(SeriesPanel):
    """Heatmaps of the per-block gradient ratio (log10) and cosine against the probed step.

    Rows are the shared blocks in forward order (CNN at the top), columns the
    probed steps. Records without per-block figures (``probe_blocks`` off)
    are ignored, and until one arrives a hint says how to switch it on.
    """

    title = "Blocks"
    empty_text = EMPTY_TEXT

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.axis = GrowingSeries()
        self.series = {(b, f): GrowingSeries() for b in BLOCKS for f in FIGURES}
        self.plots = {name: self._make_plot(row, name) for row, name in enumerate(PLOTS)}
        self.plots["cosine"].setXLink(self.plots["ratio"])
        self.images = {name: self._make_image(name) for name in PLOTS}
        self.bars = {name: self._make_bar(name) for name in PLOTS}
        self.readouts = {
            name: self.add_readout(plot, "step", self._describer(name))
            for name, plot in self.plots.items()
        }

    # ------------------------------------------------------------ building
    def _make_plot(self, row: int, name: str) -> pg.PlotItem:
        x_label = "step" if row == len(PLOTS) - 1 else ""
        plot = self.graphics.addPlot(row=row, col=0)
        style_plot(plot, PLOTS[name][0], x_label, "")
        axis = plot.getAxis("left")
        axis.setTicks([[(i + 0.5, BLOCK_NAMES[b]) for i, b in enumerate(BLOCKS)], []])
        axis.setStyle(tickLength=0, autoExpandTextSpace=False)
        axis.setWidth(BLOCK_AXIS_WIDTH)
        plot.invertY(True)  # forward order reads top to bottom, CNN first
        plot.setMouseEnabled(x=True, y=False)
        plot.setYRange(0, len(BLOCKS), padding=0)
        plot.vb.setLimits(yMin=0, yMax=len(BLOCKS))
        plot.hideButtons()
        # Missing values (NaN) are transparent: grey tells them apart from white (balanced).
        plot.vb.setBackgroundColor(MISSING)
        plot.vb.setDefaultPadding(0.0)  # the heatmap fills the plot; no grey margins
        return plot

    def _make_image(self, name: str) -> pg.ImageItem:
        # Row-major: image[row, column] = (block, step), the way the table reads.
        image = pg.ImageItem(axisOrder="row-major")
        image.setColorMap(RATIO_MAP if name == "ratio" else COSINE_MAP)
        self.plots[name].addItem(image)
        return image

    def _make_bar(self, name: str) -> pg.ColorBarItem:
        """A fixed colour bar beside the heatmap (dragging levels would hide the centre)."""
        colour_map = RATIO_MAP if name == "ratio" else COSINE_MAP
        values = (-MIN_RATIO_DECADES, MIN_RATIO_DECADES) if name == "ratio" else (-1.0, 1.0)
        bar = pg.ColorBarItem(
            values=values,
            colorMap=colour_map,
            width=14,
            interactive=False,
            colorMapMenu=False,
            pen=MUTED,
        )
        bar.axis.setTextPen(pg.mkPen(FOREGROUND))
        bar.axis.setLabel(PLOTS[name][1], color=FOREGROUND, **{"font-size": "9pt"})
        bar.axis.setPen(pg.mkPen(MUTED))
        bar.setImageItem(self.images[name], insert_in=self.plots[name])
        return bar

    # ------------------------------------------------------------------ API
    def add_probe(self, record: dict) -> None:
        """Append one probe record; records without per-block figures are ignored."""
        if not has_blocks(record):
            return
        self.axis.append(record.get("step", len(self.axis)))
        for (block, figure), series in self.series.items():
            value = record.get(f"{block}_{figure}")
            series.append(math.nan if value is None else value)
        self.mark_dirty()

    def _forget(self) -> None:
        """The heat maps."""
        for image in self.images.values():
            image.clear()

    def _columns(self) -> dict[str, np.ndarray]:
        """One column per block and figure, named as in probe.csv."""
        return {f"{b}_{f}": series.view().copy() for (b, f), series in self.series.items()}

    def matrix(self, figure: str) -> np.ndarray:
        """A figure as a (block, step) array, blocks in forward order."""
        return np.vstack([self.series[(b, figure)].view() for b in BLOCKS])

    # ------------------------------------------------------------ plumbing
    def _redraw(self) -> None:
        if not len(self.axis):
            return
        ratio = log_ratio(self.matrix("ratio"))
        level = symmetric_level(ratio)
        self._show("ratio", np.clip(ratio, -level, level), (-level, level))
        self._show("cosine", np.clip(self.matrix("cosine"), -1.0, 1.0), (-1.0, 1.0))

    def _show(self, name: str, values: np.ndarray, levels: tuple[float, float]) -> None:
        """Hand one heatmap its values, spread over the probed steps."""
        image = self.images[name]
        image.setImage(values, levels=levels, autoLevels=False)
        self.bars[name].setLevels(values=levels)
        left, width = self._x_extent()
        image.setRect(left, 0.0, width, float(len(BLOCKS)))

    def _x_extent(self) -> tuple[float, float]:
        """Left edge and width so each column is centred on its step (even probe spacing)."""
        steps = self.axis.view()
        spacing = (steps[-1] - steps[0]) / (len(steps) - 1) if len(steps) > 1 else 1.0
        spacing = spacing if spacing > 0 else 1.0
        return float(steps[0] - spacing / 2), float(spacing * len(steps))

    def _describer(self, name: str):
        """Hover text for one heatmap: block, nearest step and its value there."""

        def describe(x: float, y: float) -> str | None:
            return self.describe(name, x, y)

        return describe

    def describe(self, name: str, x: float, y: float) -> str | None:
        """'CNN · step 120 · ratio 3.2 (log10 0.51)' for the cell at (x, y) in data units."""
        steps = self.axis.view()
        if not len(steps) or not 0 <= y < len(BLOCKS):
            return None
        column = int(np.argmin(np.abs(steps - x)))
        block = BLOCKS[int(y)]
        value = float(self.series[(block, name)].view()[column])
        where = f"{BLOCK_NAMES[block]} · step {format_value(float(steps[column]))}"
        if name == "cosine":
            return f"{where} · cosine {format_value(value)}"
        log = math.log10(value) if value > 0 else math.nan
        return f"{where} · ratio {format_value(value)} (log10 {format_value(log)})"
