"""Method comparison: per-method mean ± std over seeds, the paired test, and RMSE curves."""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QCheckBox,
    QComboBox,
    QLabel,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.common.formats import format_metric, format_value
from core.common.plot_range import within_reach
from workbench.panels.comparison_tables import RUN_COLUMNS, SummaryTable, fill_table
from workbench.plotting.export import export_frame_csv, grab_png
from workbench.plotting.hover import nearest_point
from workbench.plotting.overlap import coinciding, overlap_dashes
from workbench.plotting.panel import Panel, checkbox_row, set_series
from workbench.plotting.redraw import RedrawCoalescer
from workbench.plotting.style import MUTED, WARNING, method_colour, pen, set_axis_label

Curves = dict[str, tuple[str, np.ndarray, np.ndarray]]


class ComparisonPanel(Panel):
    """Runs of several methods and seeds side by side.

    The summary tab answers "which method is better, and is it more than
    seed noise?"; the runs tab lists every run; the plot overlays validation
    RMSE curves, one colour per method (the same colour everywhere).
    """

    title = "Comparison"
    #: The user chose another method to pair every other with (its name).
    baselineChosen = Signal(str)
    empty_text = "No runs to compare yet — the validation RMSE of finished runs appears here."

    def __init__(self, coalescer: RedrawCoalescer | None = None, parent: QWidget | None = None):
        super().__init__(coalescer, parent)
        self.runs = pd.DataFrame()
        self.summary = pd.DataFrame()
        self.curves: Curves = {}
        self.curve_items: dict[str, pg.PlotDataItem] = {}
        self.mean_items: dict[str, pg.PlotDataItem] = {}
        self.baseline_items: dict[str, pg.InfiniteLine] = {}
        #: Method -> the method drawn first whose mean curve its own coincides with.
        self.same_as: dict[str, str] = {}
        # A short title: a title sets its plot's least width, and a long one cut the plot
        # off on a laptop screen. The full key is the tooltip.
        self.plot = self.add_plot(
            0, 0, "Validation RMSE (bold: method mean)", "epoch", "RMSE (cycles)"
        )
        self.graphics.setToolTip(
            "Thin lines: each run. Bold: the mean of a method's runs. Dotted: a mean the "
            "same as another method's, named in the legend as (= that method)."
        )
        self.legend = self.plot.legend
        self.hover = self.add_readout(self.plot, "epoch", self._describe)
        self.settled = QCheckBox("settled range")
        self.settled.setChecked(True)
        self.settled.setToolTip(
            "Zoom the RMSE axis on each run from the epoch it first comes within 50 % of its "
            "best, where methods differ; the first epochs run off the top. Untick for every value."
        )
        self.settled.toggled.connect(lambda _: self.mark_dirty())
        #: Baselines whose level the settled range leaves out, named with their level.
        self.off_range = QLabel()
        self.off_range.setToolTip(
            "A baseline far from every run (the age-only weibull) would flatten the curves "
            "as the first epochs do: its level is named here instead. Untick to see it."
        )
        self.off_range.setStyleSheet(f"color: {MUTED};")
        self.off_range.hide()
        checkbox_row(self.controls, self.settled)
        self.pair_with = QComboBox()
        self.pair_with.setToolTip(
            "The method every other is paired with, seed by seed: fixed, or fixed_tuned "
            "(constant weights tuned on validation), the stricter control"
        )
        # as wide as the longest name ("fixed_tuned", "gaba · epochs=12"), within reason
        self.pair_with.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.pair_with.setMaximumWidth(220)
        self.pair_with.textActivated.connect(self.baselineChosen.emit)
        checkbox_row(self.controls, QLabel("pair with"), self.pair_with)
        checkbox_row(self.controls, self.off_range)
        self.add_export_action(
            self.export_menu, "Summary table (CSV)…", "CSV table (*.csv)", self.export_summary_csv
        )
        self.add_export_action(
            self.export_menu, "RMSE curves (CSV)…", "CSV table (*.csv)", self.export_curves_csv
        )
        self.add_export_action(
            self.export_menu, "Table as PNG image…", "PNG image (*.png)", self.export_table_png
        )

    def _central(self) -> QWidget:
        self.summary_table = SummaryTable()
        self.runs_table = SummaryTable.plain()
        for table in (self.summary_table, self.runs_table):
            table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            table.customContextMenuRequested.connect(self._table_menu)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.summary_table, "Per method")
        self.tabs.addTab(self.runs_table, "Runs")
        #: What is compared and on what: which runs, which left out of the means, which split.
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {MUTED};")
        #: Settings that differ between the compared runs; hidden when none do.
        self.mixed = QLabel()
        self.mixed.setWordWrap(True)
        self.mixed.setStyleSheet(f"color: {WARNING};")
        self.mixed.hide()
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.note)
        column.addWidget(self.mixed)
        column.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([620, 380])  # scaled to the real width when first laid out
        return splitter

    # ------------------------------------------------------------------ API
    def set_time_unit(self, unit: str) -> None:
        """The compared runs count RUL in ``unit``: the RMSE axis and the tables say so."""
        set_axis_label(self.plot, "left", f"RMSE ({unit})")
        for table in (self.summary_table, self.runs_table):
            table.time_unit = unit

    def set_runs(self, table: pd.DataFrame) -> None:
        """One row per run: method, seed, status and metrics."""
        self.runs = table.copy()
        fill_table(self.runs_table, self.runs, RUN_COLUMNS)

    def set_note(self, text: str, mixed: str = "") -> None:
        """Say which runs are compared, which are left out of the means, and on which split.

        ``mixed`` warns that the runs differ in more than method and seed.
        """
        self.note.setText(text)
        self.mixed.setText(mixed)
        self.mixed.setVisible(bool(mixed))

    @property
    def baseline(self) -> str:
        """The method the others are paired with (``fixed`` until the user picks another)."""
        return self.pair_with.currentText() or "fixed"

    def set_methods(self, methods: list[str], baseline: str) -> None:
        """The methods that can be the pairing baseline, ``baseline`` chosen."""
        self.pair_with.blockSignals(True)
        self.pair_with.clear()
        self.pair_with.addItems(methods)
        self.pair_with.setCurrentText(baseline)
        self.pair_with.blockSignals(False)

    def set_summary(self, summary: pd.DataFrame) -> None:
        """Per-method statistics from ``core.evaluation.statistics.summarise``."""
        self.summary = summary.copy()
        self.summary_table.show_summary(self.summary)

    def set_curves(self, curves: Curves) -> None:
        """Validation RMSE per epoch of each run: label -> (method, epochs, rmse)."""
        self.curves = {
            label: (method, np.asarray(epochs, float), np.asarray(rmse, float))
            for label, (method, epochs, rmse) in curves.items()
        }
        for label in [k for k in self.curve_items if k not in self.curves]:
            self._remove_curve(label)
        self.mark_dirty()

    def set_baselines(self, levels: dict[str, float]) -> None:
        """Baselines without epochs (``gbm``): a dashed level at each one's validation RMSE."""
        for method in [m for m in self.baseline_items if m not in levels]:
            self.plot.removeItem(self.baseline_items.pop(method))
        for method, level in levels.items():
            item = self.baseline_items.get(method)
            if item is None:
                dashed = pen(method_colour(method), 2, dashed=True)
                item = pg.InfiniteLine(
                    pos=level,
                    angle=0,
                    pen=dashed,
                    label=f"{method} (baseline)",
                    # right-aligned at the plot's right edge, so it is never cut off
                    labelOpts={
                        "position": 0.98,
                        "anchors": [(1, 1), (1, 0)],
                        "color": method_colour(method),
                    },
                )
                self.plot.addItem(item)
                self.baseline_items[method] = item
            item.setValue(level)
        self.mark_dirty()  # the settled range includes the levels

    def reset(self) -> None:
        """Empty the tables and the plot."""
        self.set_runs(pd.DataFrame())
        self.set_summary(pd.DataFrame())
        self.set_curves({})
        self.set_baselines({})
        self.flush()
        self.readout.clear()
        self.update_placeholder()

    def has_data(self) -> bool:
        """Whether there are curves or baseline levels to plot."""
        return bool(self.curves) or bool(self.baseline_items)

    def table(self) -> pd.DataFrame:
        """The runs table (one row per run), as given."""
        return self.runs.copy()

    def summary_frame(self) -> pd.DataFrame:
        """The per-method summary, as given."""
        return self.summary.copy()

    def curves_frame(self) -> pd.DataFrame:
        """The RMSE curves in long form: run, method, epoch, val_rmse."""
        frames = [
            pd.DataFrame({"run": label, "method": method, "epoch": x, "val_rmse": y})
            for label, (method, x, y) in self.curves.items()
        ]
        columns = ["run", "method", "epoch", "val_rmse"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def export_summary_csv(self, path):
        """Save the per-method summary as CSV."""
        return export_frame_csv(self.summary_frame(), path)

    def export_curves_csv(self, path):
        """Save the RMSE curves as CSV (long form)."""
        return export_frame_csv(self.curves_frame(), path)

    def export_table_png(self, path):
        """Save the table on show (per method or runs) as it looks on screen."""
        return grab_png(self.tabs.currentWidget(), path)

    def method_colours(self) -> dict[str, str]:
        """Colour of each method now shown (the session-wide colour of that method)."""
        return {method: method_colour(method) for method, _, _ in self.curves.values()}

    # ------------------------------------------------------------ internals
    def _redraw(self) -> None:
        for label, (method, epochs, rmse) in self.curves.items():
            item = self.curve_items.get(label) or self._add_curve(self.curve_items, label)
            item.setPen(pen(method_colour(method), 1, alpha=110))
            set_series(item, epochs, rmse)
        self._draw_means()
        self._rebuild_legend()
        self._fit_y()

    def _fit_y(self) -> None:
        """The settled range (see the checkbox), or pyqtgraph's auto-range over everything;
        baselines the range leaves out are named beside the controls."""
        levels = {method: item.value() for method, item in self.baseline_items.items()}
        settled = self.settled.isChecked()
        span = settled_range(self.curves, list(levels.values())) if settled else None
        if span is None:
            self.plot.enableAutoRange(axis="y")
        else:
            self.plot.setYRange(*span, padding=0.05)
        outside = {m: v for m, v in levels.items() if span and not span[0] <= v <= span[1]}
        self.off_range.setText(
            "off the range: "
            + ", ".join(
                f"{m} {format_metric('val_rmse', v)} {'↑' if v > span[1] else '↓'}"
                for m, v in outside.items()
            )
            if outside and span
            else ""
        )
        self.off_range.setVisible(bool(outside))

    def _add_curve(self, items: dict, key: str) -> pg.PlotDataItem:
        item = self.add_curve(self.plot, None, "#000000", 1)
        items[key] = item
        return item

    def _draw_means(self) -> None:
        """A bold line per method: its runs' mean RMSE at each epoch, the thin lines behind.

        A mean identical to an earlier method's (e.g. a method that has not left
        its warm-up yet) is dotted, and its legend entry says which it equals.
        """
        means = method_means(self.curves)
        self.same_as = coinciding(means)
        for method in [m for m in self.mean_items if m not in means]:
            self.plot.removeItem(self.mean_items.pop(method))
        for method, (epochs, rmse) in means.items():
            item = self.mean_items.get(method) or self._add_curve(self.mean_items, method)
            line = pen(method_colour(method), 2.5)
            overlap_dashes(line, method, self.same_as)
            item.setPen(line)
            item.setZValue(5 + (method in self.same_as))
            set_series(item, epochs, rmse)

    def _remove_curve(self, label: str) -> None:
        item = self.curve_items.pop(label)
        self.plot.removeItem(item)

    def _table_menu(self, position) -> None:
        """Right-click on a table: the same Export menu as the toolbar button."""
        if not self.export_button.isEnabled():  # nothing compared yet: nothing to export
            return
        table = cast(QAbstractScrollArea, self.tabs.currentWidget())
        self.export_menu.popup(table.viewport().mapToGlobal(position))

    def _rebuild_legend(self) -> None:
        """One legend entry per method, however many runs it has."""
        self.legend.clear()
        for method, item in self.mean_items.items():
            same = self.same_as.get(method)
            self.legend.addItem(item, f"{method} (= {same})" if same else method)

    def _describe(self, x: float, y: float) -> str | None:
        items = list(self.curve_items.values())
        found = nearest_point(items, self.plot, x, y)
        if found is None:
            return None
        item, index = found
        label = next(k for k, v in self.curve_items.items() if v is item)
        method, epochs, rmse = self.curves[label]
        epoch, value = float(epochs[index]), float(rmse[index])
        if math.isfinite(epoch):
            self.hover.line.setPos(epoch)
            self.hover.line.show()
        shown = format_metric("val_rmse", value)
        return f"{label} ({method}) · epoch {format_value(epoch)} · val RMSE {shown}"


def settled_range(curves: Curves, levels: list[float]) -> tuple[float, float] | None:
    """The RMSE span of the curves once settled, with the baseline levels near them; None if
    nothing.

    Each curve counts from the first epoch within 50 % of its own best, so the
    first fast drop (often 5-10 times the settled values) does not flatten the
    differences between methods. Only that head is left out: a run that never
    learns (flat far above the others) counts whole and later overfitting
    counts, so neither is hidden. A baseline level counts when it lies within
    the curves' span widened by that span on either side (``gbm`` beside the
    networks); one farther off (``weibull``'s age-only answer, twice the
    networks' RMSE) would flatten them just as the first epochs do. Without
    curves, every level counts.
    """
    values = []
    for _, _, rmse in curves.values():
        finite = rmse[np.isfinite(rmse)]
        if finite.size:
            first = int(np.argmax(finite <= 1.5 * finite.min()))
            values.append(finite[first:])
    levels_ = np.asarray(levels, float)
    levels_ = levels_[np.isfinite(levels_)]
    if values:
        settled = np.concatenate(values)
        low, high = float(settled.min()), float(settled.max())
        values.append(np.array([v for v in levels_ if within_reach(v, low, high)], float))
    else:
        values = [levels_]
    both = np.concatenate(values)
    if both.size == 0:
        return None
    return float(both.min()), float(both.max())


def method_means(curves: Curves) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per method, the mean validation RMSE over its runs at each epoch (NaN ignored)."""
    if not curves:
        return {}
    frame = pd.concat(
        [
            pd.DataFrame({"method": method, "epoch": x, "rmse": y})
            for method, x, y in curves.values()
        ]
    )
    means = {}
    for method, rows in frame.groupby("method", sort=False):
        by_epoch = rows.groupby("epoch")["rmse"].mean()
        means[str(method)] = (by_epoch.index.to_numpy(float), by_epoch.to_numpy(float))
    return means
