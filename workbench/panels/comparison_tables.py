"""The comparison panel's tables: one row per method (mean ± std, paired test) or per run."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from core.formats import format_metric, format_metric_spread, format_value
from workbench.plotting.style import method_colour

#: Summary metrics: column stem in ``summarise`` output -> header.
SUMMARY_METRICS = {
    "rmse": "RMSE",
    "nasa_score": "NASA score",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "interval_coverage": "interval coverage",
    "interval_width": "interval width",
    "seconds": "time (s)",
}
#: Runs-table columns shown first, when present; the rest follow in their order.
RUN_COLUMNS = ("method", "seed", "status", "rmse", "nasa_score", "mae", "accuracy", "macro_f1")
#: p below this is shown in bold.
SIGNIFICANCE = 0.05


class NumberItem(QTableWidgetItem):
    """A cell that shows formatted text but sorts by its number."""

    def __init__(self, value: float, text: str) -> None:
        super().__init__(text)
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine = self.value if math.isfinite(self.value) else math.inf
        theirs = getattr(other, "value", math.inf)
        return mine < (theirs if math.isfinite(theirs) else math.inf)


class SummaryTable(QTableWidget):
    """A read-only, sortable table with coloured method names."""

    def __init__(self) -> None:
        super().__init__()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.setWordWrap(False)
        self.setSortingEnabled(True)

    @classmethod
    def plain(cls) -> SummaryTable:
        """The same look, for the runs table."""
        return cls()

    def show_summary(self, summary: pd.DataFrame) -> None:
        """Fill from ``core.comparison.summarise`` output: mean ± std per metric, p vs baseline."""
        baseline = summary.attrs.get("baseline", "fixed")
        metrics = [m for m in SUMMARY_METRICS if f"{m}_mean" in summary.columns]
        headers = ["method", "runs", *(SUMMARY_METRICS[m] for m in metrics)]
        ensemble = "ensemble_rmse" in summary.columns
        headers += ["ensemble RMSE"] if ensemble else []
        headers += [f"RMSE − {baseline} (95 % CI)", "p (Holm)"]
        self.setSortingEnabled(False)
        self.clear()
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        diff_header, p_header = (self.horizontalHeaderItem(len(headers) - k) for k in (2, 1))
        assert diff_header is not None and p_header is not None  # the labels were just set
        diff_header.setToolTip(
            f"Mean paired difference of test RMSE from '{baseline}' (runs paired by seed) "
            "with its 95 % t-interval; negative is better"
        )
        p_header.setToolTip(
            f"Two-sided paired Wilcoxon signed-rank test of RMSE against '{baseline}' "
            "(from 6 shared seeds, the fewest with which p < 0.05 is possible), "
            "adjusted across the methods with Holm's method"
        )
        self.setRowCount(len(summary))
        for r, (_, row) in enumerate(summary.iterrows()):
            self.setItem(r, 0, method_item(str(row["method"])))
            runs = float(row.get("n", math.nan))
            self.setItem(r, 1, NumberItem(runs, format_value(runs)))
            for c, metric in enumerate(metrics, start=2):
                self.setItem(r, c, spread_item(row, metric))
            if ensemble:
                value = float(row.get("ensemble_rmse", math.nan))
                item = NumberItem(value, format_metric("ensemble_rmse", value))
                members = row.get("ensemble_members")
                if pd.notna(members):
                    item.setToolTip(f"RMSE of the mean prediction of {members:.0f} seeds' runs")
                self.setItem(r, 2 + len(metrics), item)
            paired = summary.attrs.get("paired_seeds", {}).get(str(row["method"]), [])
            self.setItem(r, len(headers) - 2, difference_item(row, paired))
            self.setItem(r, len(headers) - 1, test_item(row, metrics))
        self._fit()

    def _fit(self) -> None:
        header = self.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        self.setSortingEnabled(True)


def fill_table(table: QTableWidget, frame: pd.DataFrame, first: tuple[str, ...]) -> None:
    """Show a data frame in a table, ``first`` columns leading, numbers right-aligned."""
    columns = [c for c in first if c in frame.columns]
    columns += [c for c in frame.columns if c not in columns]
    table.setSortingEnabled(False)
    table.clear()
    table.setColumnCount(len(columns))
    table.setHorizontalHeaderLabels([str(c) for c in columns])
    table.setRowCount(len(frame))
    for r, (_, row) in enumerate(frame.iterrows()):
        for c, column in enumerate(columns):
            table.setItem(r, c, cell(column, row[column]))
    table.horizontalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)
    table.setSortingEnabled(True)


def cell(column: str, value) -> QTableWidgetItem:
    """A table cell for one value: methods coloured, numbers formatted and sortable.

    Metrics take their fixed format (``core.formats``), so a run's
    RMSE reads the same here as in the queue and the test results.
    """
    if column == "method":
        return method_item(str(value))
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return QTableWidgetItem("" if _missing(value) else str(value))
    return NumberItem(float(value), format_metric(column, float(value)))


def method_item(method: str) -> QTableWidgetItem:
    """The method's name with a swatch of its plot colour."""
    item = QTableWidgetItem(method)
    swatch = QPixmap(12, 12)
    swatch.fill(QColor(method_colour(method)))
    item.setIcon(QIcon(swatch))
    return item


def spread_item(row: pd.Series, metric: str) -> NumberItem:
    """'mean ± std' (just the mean with one run), sorting by the mean."""
    mean, std = float(row[f"{metric}_mean"]), float(row.get(f"{metric}_std", math.nan))
    text = format_metric_spread(metric, mean, std, row.get(f"{metric}_count"), row.get("n"))
    return NumberItem(mean, text)


def difference_item(row: pd.Series, paired: list[int] | tuple = ()) -> NumberItem:
    """'−0.42 [−0.80, −0.05]': RMSE's mean paired difference and 95 % interval, sorting by it.

    The tooltip names the seeds that were paired with the baseline.
    """
    diff = float(row.get("rmse_diff", math.nan))
    low, high = (
        float(row.get("rmse_diff_low", math.nan)),
        float(row.get("rmse_diff_high", math.nan)),
    )
    if not math.isfinite(low):
        return NumberItem(math.nan, "–")
    pairs = format_value(float(row.get("rmse_wilcoxon_n", math.nan)))
    item = NumberItem(diff, f"{diff:+.2f} [{low:+.2f}, {high:+.2f}] (n={pairs})")
    seeds = ", ".join(str(seed) for seed in paired)
    item.setToolTip(f"paired by seed with the baseline: {seeds}" if seeds else "")
    if high < 0 or low > 0:  # the interval excludes no difference
        font = QFont()
        font.setBold(True)
        item.setFont(font)
    return item


def test_item(row: pd.Series, metrics: list[str]) -> QTableWidgetItem:
    """The Holm-adjusted RMSE p-value vs the baseline, or the reason there is none.

    The tooltip has every metric's raw and adjusted p.
    """
    p = float(row.get("rmse_wilcoxon_p_holm", math.nan))
    note = str(row.get("wilcoxon_note", "") or "")
    if math.isfinite(p):
        raw = float(row.get("rmse_wilcoxon_p", math.nan))
        item = NumberItem(p, f"{p:.3g} (raw {raw:.3g})")
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if p < SIGNIFICANCE:
            font = QFont()
            font.setBold(True)
            item.setFont(font)
    else:
        item = NumberItem(math.nan, note or "–")
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    lines = [
        f"{SUMMARY_METRICS[m]}: p = {format_value(float(row.get(f'{m}_wilcoxon_p', math.nan)))}"
        f", Holm {format_value(float(row.get(f'{m}_wilcoxon_p_holm', math.nan)))}"
        for m in metrics
    ]
    item.setToolTip("\n".join([*lines, note] if note else lines))
    return item


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
