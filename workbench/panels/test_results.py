"""Test results at the end of a run: how far off, which way, and which states get confused."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from core.common.formats import format_metric, format_value
from core.evaluation.unit_resolution import rmse_interval, unit_errors
from workbench.common.time_units import CYCLES, rul_label, time_unit
from workbench.plotting.hover import nearest_point
from workbench.plotting.panel import Panel, clear_items
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import (
    FOREGROUND,
    HEALTH,
    HEALTH_STATES,
    MUTED,
    RUL,
    brush,
    pen,
    set_axis_label,
    style_plot,
)

#: Most bins of the error histogram; fewer with few engines.
MAX_BINS = 30


class TestResultsPanel(Panel):
    """Predicted vs true RUL, the error histogram and the health-state confusion matrix.

    The headline metrics sit in the plot layout (not a separate widget) so
    that an exported PNG or SVG carries them along with the plots.
    """

    title = "Test results"
    empty_text = "No test results yet — they appear when a run finishes."
    __test__ = False  # a panel, not a pytest test class

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.predictions = pd.DataFrame()
        self.metrics: dict = {}
        #: Why a finished run has no results (no test split), or "".
        self.no_test_text = ""
        #: The 95 % bootstrap interval over the test engines of the run's RMSE.
        self.rmse_range = (math.nan, math.nan)
        #: The unit of the run's RUL: ``cycles`` or ``hours``.
        self.time_unit = CYCLES
        self.headline = self.graphics.addLabel("", row=0, col=0, colspan=3, color=FOREGROUND)
        self.scatter_plot = self.add_plot(
            1, 0, "Predicted vs true RUL", "true RUL (cycles)", "predicted RUL (cycles)"
        )
        self.identity = self.add_curve(
            self.scatter_plot, "perfect prediction", MUTED, 1, dashed=True
        )
        self.scatter = self._make_scatter()
        self.histogram_plot = self.add_plot(
            1,
            1,
            "Prediction error",
            "error = predicted − true (cycles; + is late)",
            "engines",
            legend=False,
        )
        self.histogram = self.histogram_plot.plot(
            stepMode="center", fillLevel=0, pen=pen(HEALTH, 1), brush=brush(HEALTH, 110)
        )
        self.histogram_plot.addItem(pg.InfiniteLine(0.0, angle=90, pen=pen(MUTED, 1, dashed=True)))
        self.confusion_plot = self._make_confusion_plot()
        self.confusion_image = pg.ImageItem(axisOrder="row-major")
        self.confusion_plot.addItem(self.confusion_image)
        self.confusion_texts = [[self._count_text(r, c) for c in range(3)] for r in range(3)]
        self.hover = self.add_readout(self.scatter_plot, "true RUL", self._describe)
        self._show_headline()

    def _make_scatter(self) -> pg.PlotDataItem:
        item = self.scatter_plot.plot(
            name="test engines",
            pen=None,
            symbol="o",
            symbolSize=6,
            symbolPen=pen(RUL, 1),
            symbolBrush=brush(RUL, 120),
        )
        # No downsampling or clip-to-view here: both assume x in increasing
        # order, and a test set is a few hundred engines at most.
        return item

    def _make_confusion_plot(self) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=1, col=2)
        style_plot(plot, "Health-state confusion (counts)", "predicted state", "true state")
        ticks = [[(i + 0.5, name) for i, name in enumerate(HEALTH_STATES)]]
        plot.getAxis("bottom").setTicks(ticks)
        plot.getAxis("left").setTicks(ticks)
        plot.invertY(True)  # true 'normal' on top, as confusion matrices are read
        plot.setAspectLocked(True)
        plot.setRange(xRange=(0, 3), yRange=(0, 3), padding=0.02)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        return plot

    def _count_text(self, row: int, col: int) -> pg.TextItem:
        text = pg.TextItem("", color=FOREGROUND, anchor=(0.5, 0.5))
        text.setPos(col + 0.5, row + 0.5)
        self.confusion_plot.addItem(text)
        return text

    # ------------------------------------------------------------------ API
    def set_results(
        self, predictions: pd.DataFrame, metrics: dict, unit: str | None = CYCLES
    ) -> None:
        """Show a finished run's test predictions (``prediction_table``) and metrics.

        ``unit`` is the run's time unit (``cycles`` or ``hours``): every RUL is in it.
        """
        self.predictions = predictions.copy()
        self.metrics = dict(metrics)
        self.no_test_text = ""
        self.rmse_range = _rmse_range(self.predictions)
        self.set_time_unit(unit)
        self.mark_dirty()

    def set_no_test(self, label: str, metrics: dict, unit: str | None = CYCLES) -> None:
        """Say why a finished run has no test results: its fleet has no test split.

        An imported fleet may leave every unit to training and validation; the run
        then has validation figures only, and an empty panel saying "they appear when
        a run finishes" would contradict the finished run beside it.
        """
        self.reset()
        figures = [
            f"val RMSE {format_metric('rmse', metrics.get('val_rmse'))} {time_unit(unit)}",
            f"val macro-F1 {format_metric('macro_f1', metrics.get('val_macro_f1'))}",
        ]
        self.no_test_text = (
            f"{label} has no test results: its fleet has no test split, so it was judged on "
            f"its validation units only ({', '.join(figures)}) — figures that also chose its "
            "kept epoch, so optimistic.\nTo test a model once, import the fleet again with "
            "units held out (Test set: hold out) or with in-service engines and their true RUL."
        )
        self.update_placeholder()

    def placeholder_text(self) -> str | None:
        if self.has_data():
            return None
        return self.no_test_text or self.empty_text

    def set_time_unit(self, unit: str | None) -> None:
        """Label the RUL axes and figures ``cycles`` (also for ``None``) or ``hours``."""
        self.time_unit = time_unit(unit)
        set_axis_label(self.scatter_plot, "bottom", rul_label(self.time_unit, "true RUL"))
        set_axis_label(self.scatter_plot, "left", rul_label(self.time_unit, "predicted RUL"))
        set_axis_label(
            self.histogram_plot,
            "bottom",
            f"error = predicted − true ({self.time_unit}; + is late)",
        )
        self.mark_dirty()

    def confusion(self) -> np.ndarray:
        """3x3 counts (rows true, columns predicted): from the metrics, else from the table."""
        given = self.metrics.get("confusion")
        if given is not None:
            return np.asarray(given, dtype=int).reshape(3, 3)
        counts = np.zeros((3, 3), dtype=int)
        if {"true_health", "pred_health"} <= set(self.predictions.columns):
            true = _state_codes(self.predictions["true_health"])
            pred = _state_codes(self.predictions["pred_health"])
            np.add.at(counts, (true, pred), 1)
        return counts

    def reset(self) -> None:
        """Clear the results for a new run."""
        self.predictions = pd.DataFrame()
        self.metrics = {}
        self.no_test_text = ""
        self.rmse_range = (math.nan, math.nan)
        clear_items([self.identity, self.scatter, self.histogram])
        self.confusion_image.clear()
        for text in (t for row in self.confusion_texts for t in row):
            text.setText("")
        self._show_headline()
        self.readout.clear()
        self.update_placeholder()

    def has_data(self) -> bool:
        """Whether a finished run's results have been given."""
        return bool(self.metrics) or not self.predictions.empty

    def table(self) -> pd.DataFrame:
        """The test predictions, one row per engine."""
        return self.predictions.copy()

    # ------------------------------------------------------------ internals
    def _redraw(self) -> None:
        self._show_headline()
        if {"true_rul", "pred_rul"} <= set(self.predictions.columns):
            self._draw_scatter()
            self._draw_histogram()
        self._draw_confusion()

    def _draw_scatter(self) -> None:
        true = self.predictions["true_rul"].to_numpy(dtype=float)
        pred = self.predictions["pred_rul"].to_numpy(dtype=float)
        self.scatter.setData(true, pred)
        finite = np.concatenate([true, pred])
        finite = finite[np.isfinite(finite)]
        top = float(finite.max()) if finite.size else 1.0
        self.identity.setData([0.0, top], [0.0, top])

    def _draw_histogram(self) -> None:
        error = self.predictions["pred_rul"].to_numpy(float) - self.predictions[
            "true_rul"
        ].to_numpy(float)
        error = error[np.isfinite(error)]
        if error.size == 0:
            self.histogram.setData([], [])
            return
        bins = int(np.clip(np.sqrt(error.size) * 2, 5, MAX_BINS))
        counts, edges = np.histogram(error, bins=bins)
        self.histogram.setData(edges, counts)

    def _draw_confusion(self) -> None:
        counts = self.confusion()
        totals = counts.sum(axis=1, keepdims=True)
        # Colour by share of the true class, so a rare 'critical' row still shows its errors.
        share = np.divide(counts, totals, out=np.zeros((3, 3)), where=totals > 0)
        self.confusion_image.setImage(share, levels=(0.0, 1.0), lut=_blue_lut())
        self.confusion_image.setRect(0, 0, 3, 3)
        for (r, c), text in np.ndenumerate(np.array(self.confusion_texts, dtype=object)):
            colour = "#ffffff" if share[r, c] > 0.55 else FOREGROUND
            text.setColor(colour)
            text.setText(f"{counts[r, c]}\n{share[r, c]:.0%}" if totals[r, 0] else "0")

    def _show_headline(self) -> None:
        m = self.metrics
        if not m:
            self.headline.setText("")
            return
        # One line per head, so the headline fits the panel's width instead of widening it.
        low, high = self.rmse_range
        spread = f" (95 % over engines {low:.1f}–{high:.1f})" if math.isfinite(low) else ""
        rul = [
            f"RMSE <b>{format_metric('rmse', m.get('rmse'))}</b> {self.time_unit}{spread}",
            f"NASA score <b>{format_metric('nasa_score', m.get('nasa_score'))}</b>",
            f"MAE <b>{format_metric('mae', m.get('mae'))}</b> {self.time_unit}",
            f"{len(self.predictions)} test engines",
        ]
        health = [
            f"accuracy <b>{format_metric('accuracy', m.get('accuracy'))}</b>"
            f"{_majority(m, 'accuracy')}",
            f"macro-F1 <b>{format_metric('macro_f1', m.get('macro_f1'))}</b>"
            f"{_majority(m, 'macro_f1')}",
        ]
        text = f"{' · '.join(rul)}<br>health state: {' · '.join(health)}"
        self.headline.setText(text, color=FOREGROUND, size="10pt")

    def _describe(self, x: float, y: float) -> str | None:
        found = nearest_point([self.scatter], self.scatter_plot, x, y)
        if found is None:
            return None
        row = self.predictions.iloc[found[1]]
        unit = row.get("unit", found[1])
        return (
            f"engine {unit} · true RUL {format_value(float(row['true_rul']))} · predicted "
            f"{format_value(float(row['pred_rul']))} · error "
            f"{float(row['pred_rul']) - float(row['true_rul']):+.1f} {self.time_unit}"
        )


def _rmse_range(predictions: pd.DataFrame) -> tuple[float, float]:
    """What the run's test RMSE is worth: its 95 % bootstrap interval over the engines."""
    if not {"unit", "true_rul", "pred_rul"} <= set(predictions.columns):
        return math.nan, math.nan
    known = predictions.dropna(subset=["true_rul", "pred_rul"])
    return rmse_interval(unit_errors(known)) if len(known) else (math.nan, math.nan)


def _majority(metrics: dict, key: str) -> str:
    """`` (majority class: 44.0 %)``: the always-'normal' figure beside the run's, when known."""
    shown = format_metric(key, metrics.get(f"majority_{key}"), missing="")
    return f" (majority class: {shown})" if shown else ""


def _state_codes(column: pd.Series) -> np.ndarray:
    """Health states as codes 0-2, whether given as names or as integers."""
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=int)
    return column.map({name: i for i, name in enumerate(HEALTH_STATES)}).to_numpy(dtype=int)


def _blue_lut() -> np.ndarray:
    """White to the health-task blue, for the confusion matrix cells."""
    return pg.ColorMap([0.0, 1.0], ["#ffffff", HEALTH]).getLookupTable(nPts=256, alpha=False)
