"""The comparison panel's tables: one row per method (mean ± std, paired test) or per run."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from core.common.formats import (
    MISSING,
    PREFIXES,
    format_difference,
    format_metric,
    format_metric_spread,
    format_value,
    metric_kind,
)
from core.data.time_axis import CYCLES
from core.evaluation.statistics import compared_metric
from workbench.plotting.style import method_colour

#: Summary metrics: column stem in ``summarise`` output -> header.
SUMMARY_METRICS = {
    "rmse": "RMSE",
    "nasa_score": "NASA score",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "interval_coverage": "interval coverage",
    "interval_width": "interval width",
    "seconds": "time (s)",  # the same one-decimal format as the runs table's "Time (s)"
}
#: Without a test split (an imported fleet) these come first, and the first is compared.
VALIDATION_METRICS = {"val_rmse": "val. RMSE", "val_macro_f1": "val. macro-F1"}
#: The compared figure as tooltips and verdicts name it.
COMPARED_NAMES = {"rmse": "test RMSE", "val_rmse": "validation RMSE (at the kept epoch)"}
#: Test prognostic figures (core.evaluation.prognostics) with their paired difference from the
#: baseline: column stem -> (header, short name for the difference's header, what it is).
#: Higher is better for all of them, unlike RMSE.
PROGNOSTIC_METRICS = {
    "alpha_lambda": (
        "α-λ accuracy",
        "α-λ",
        "share of test engines whose prediction half-way to failure (λ = 0.5) lies "
        "within ±20 % of the true RUL (the α cone)",
    ),
    "relative_accuracy": (
        "relative accuracy",
        "RA",
        "1 − |true − predicted| / true RUL at λ = 0.5, mean over the test engines (1 is exact)",
    ),
    "prognostic_horizon": (
        "prognostic horizon (cycles)",
        "PH",
        "cycles before failure from which every prediction stays within the true RUL "
        "± 20 % of the engine's life, mean over the test engines",
    ),
}
#: The marker column's header (``vs fixed``): what RMSE's paired 95 % interval says.
VERDICT = "vs {baseline}"
#: Runs-table columns shown first, when present; the rest follow in their order.
RUN_COLUMNS = (
    "method",
    "seed",
    "status",
    "rmse",
    "nasa_score",
    "mae",
    "accuracy",
    "macro_f1",
    "alpha_lambda",
    "relative_accuracy",
    "prognostic_horizon",
)
#: Readable names of the run table's columns (metrics without their ``val_``/``test_`` prefix).
COLUMN_NAMES = {
    "run": "Run",
    "method": "Method",
    "seed": "Seed",
    "status": "Status",
    "run_dir": "Folder",
    "rmse": "RMSE",
    "rmse_uncapped": "RMSE (uncapped truth)",
    "nasa_score": "NASA score",
    "nasa_score_uncapped": "NASA score (uncapped truth)",
    "mae": "MAE",
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "interval_coverage": "interval coverage",
    "interval_width": "interval width (cycles)",
    "alpha_lambda": "α-λ accuracy",
    "alpha_lambda_fraction": "α-λ fraction",
    "prognostic_horizon": "prognostic horizon (cycles)",
    "prognostic_horizon_share": "prognostic horizon share",
    "relative_accuracy": "relative accuracy",
    "cumulative_relative_accuracy": "cumulative relative accuracy",
    "seconds": "Time (s)",
    "best_epoch": "Best epoch",
    "epochs_run": "Epochs run",
}
#: How a prefix reads in a column name (test figures carry none in the run table).
PREFIX_NAMES = {"val_": "Val", "test_": "Test", "majority_": "Majority", "ensemble_": "Ensemble"}
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
        #: The unit of the runs' RUL: headers say "(hours)" for a fleet timed in hours.
        self.time_unit = CYCLES
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
        """Fill from ``evaluation.statistics.summarise``: mean ± std per metric, p vs baseline.

        Columns: method, the verdict of the compared figure against the baseline
        (:func:`verdict_item`), runs, each metric's mean ± std, the ensemble RMSE,
        the compared figure's paired difference, what one run's units resolve (when
        the summary has it), each test prognostic figure's mean ± std and paired
        difference, then the compared figure's p (its tooltip has every figure's p).
        The compared figure is test RMSE, or, for runs without a test split (an
        imported fleet), validation RMSE at the kept epoch, with the validation
        figures in place of the test ones.
        """
        baseline = summary.attrs.get("baseline", "fixed")
        compared = compared_metric(summary)
        names = SUMMARY_METRICS if compared == "rmse" else {**VALIDATION_METRICS, **SUMMARY_METRICS}
        metrics = [m for m in names if f"{m}_mean" in summary.columns]
        prognostic = [m for m in PROGNOSTIC_METRICS if f"{m}_mean" in summary.columns]
        ensemble = "ensemble_rmse" in summary.columns
        resolution = unit_resolution_column(summary)
        diff_header = f"{names[compared]} − {baseline} (95 % CI)"
        headers = ["method", VERDICT.format(baseline=baseline), "runs"]
        headers += [names[m] for m in metrics]
        headers += ["ensemble RMSE"] if ensemble else []
        headers += [diff_header]
        headers += [RESOLVES] if resolution else []
        for metric in prognostic:
            name, short, _ = PROGNOSTIC_METRICS[metric]
            unit = " pp" if metric_kind(metric) == "percent" else ""
            headers += [name, f"{short} − {baseline}{unit} (95 % CI)"]
        headers += ["p (Holm)"]  # last: its note can be long
        headers = [in_unit(header, self.time_unit) for header in headers]
        self.setSortingEnabled(False)
        self.clear()
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self._header_tips(baseline, headers, prognostic, compared)
        diff_at = headers.index(diff_header)
        self.setRowCount(len(summary))
        for r, (_, row) in enumerate(summary.iterrows()):
            method = str(row["method"])
            self.setItem(r, 0, method_item(method))
            self.setItem(r, 1, verdict_item(row, baseline, method == baseline, compared))
            runs = float(row.get("n", math.nan))
            self.setItem(r, 2, NumberItem(runs, format_value(runs)))
            for c, metric in enumerate(metrics, start=3):
                self.setItem(r, c, spread_item(row, metric))
            if ensemble:
                value = float(row.get("ensemble_rmse", math.nan))
                item = NumberItem(value, format_metric("ensemble_rmse", value))
                members = row.get("ensemble_members")
                if pd.notna(members):
                    item.setToolTip(f"RMSE of the mean prediction of {members:.0f} seeds' runs")
                self.setItem(r, 3 + len(metrics), item)
            paired = summary.attrs.get("paired_seeds", {}).get(method, [])
            self.setItem(r, diff_at, difference_item(row, paired, compared))
            if resolution:
                width = float(row.get(resolution, math.nan))
                text = f"± {width:.2f}" if math.isfinite(width) else MISSING
                self.setItem(r, diff_at + 1, NumberItem(width, text))
            self.setItem(r, len(headers) - 1, test_item(row, [*metrics, *prognostic], compared))
            for k, metric in enumerate(prognostic):
                at = diff_at + (2 if resolution else 1) + 2 * k
                self.setItem(r, at, spread_item(row, metric))
                self.setItem(r, at + 1, difference_item(row, paired, metric))
        self._fit()

    def _header_tips(
        self, baseline: str, headers: list[str], prognostic: list[str], compared: str = "rmse"
    ) -> None:
        """Tooltips on the verdict, the compared figure's difference and p, the prognostic
        columns."""
        what = COMPARED_NAMES[compared]
        diff_header = next(h for h in headers if h.endswith(f" − {baseline} (95 % CI)"))
        tips = {
            VERDICT.format(baseline=baseline): (
                f"What the paired 95 % interval of {what} against '{baseline}' (further "
                f"right) says: better than {baseline} (the interval lies below 0), worse than "
                f"{baseline} (above 0) or no difference (it contains 0); no comparison where "
                "fewer than 2 runs are paired by seed with it"
            ),
            diff_header: (
                f"Mean paired difference of {what} from '{baseline}' (runs paired by seed) "
                "with its 95 % t-interval; negative is better"
            ),
            "p (Holm)": (
                f"Two-sided paired Wilcoxon signed-rank test of {what} against '{baseline}' "
                "(from 6 shared seeds, the fewest with which p < 0.05 is possible), "
                "adjusted across the methods with Holm's method"
            ),
            RESOLVES: (
                f"How finely one run's units tell this method from '{baseline}': per seed, a "
                "paired 95 % bootstrap over the units both runs scored; the median half-width "
                "over seeds. A gap between two single runs smaller than this is noise of the units"
            ),
        }
        at = headers.index(diff_header) + 1 + (RESOLVES in headers)
        for k, metric in enumerate(prognostic):
            name, _, meaning = PROGNOSTIC_METRICS[metric]
            points = " in percentage points" if metric_kind(metric) == "percent" else ""
            tips[headers[at + 2 * k]] = f"Test {name}: {meaning}; higher is better"
            tips[headers[at + 2 * k + 1]] = (
                f"Mean paired difference of test {name} from '{baseline}'{points} (runs "
                "paired by seed) with its 95 % t-interval; higher is better, so positive "
                "is better"
            )
        for c, text in enumerate(headers):
            item = self.horizontalHeaderItem(c)
            if item is not None and text in tips:
                item.setToolTip(tips[text])

    def _fit(self) -> None:
        header = self.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        self.setSortingEnabled(True)


def column_name(column: str) -> str:
    """A run-table column as a reader names it: ``rmse`` -> 'Test RMSE',
    ``val_macro_f1`` -> 'Val macro-F1', ``prognostic_horizon`` -> 'Test prognostic
    horizon (cycles)'. Metrics without a prefix are test figures; a column this
    does not know reads with spaces for underscores, never as a raw key."""
    for prefix in PREFIXES:
        if column.startswith(prefix):
            return f"{PREFIX_NAMES[prefix]} {_base_name(column[len(prefix) :])}"
    kind = metric_kind(column)
    if column in COLUMN_NAMES and kind != "seconds" and (kind or column.endswith("_uncapped")):
        return f"Test {_base_name(column)}"
    name = _base_name(column)
    return name[:1].upper() + name[1:]


def in_unit(header: str, unit: str) -> str:
    """A header written in cycles ("prognostic horizon (cycles)") in the runs' own unit."""
    return header.replace("(cycles)", f"({unit})")


def _base_name(column: str) -> str:
    return COLUMN_NAMES.get(column, column.replace("_", " "))


def fill_table(table: QTableWidget, frame: pd.DataFrame, first: tuple[str, ...]) -> None:
    """Show a data frame in a table, ``first`` columns leading, numbers right-aligned.

    Headers read as :func:`column_name` names them; each one's tooltip (and its
    ``UserRole`` data) is the frame's column, as the CSV export writes it.
    """
    columns = [c for c in first if c in frame.columns]
    columns += [c for c in frame.columns if c not in columns]
    table.setSortingEnabled(False)
    table.clear()
    table.setColumnCount(len(columns))
    for c, column in enumerate(columns):
        unit = getattr(table, "time_unit", CYCLES)
        header = QTableWidgetItem(in_unit(column_name(str(column)), unit))
        header.setToolTip(f"column '{column}' in the exported CSV")
        header.setData(Qt.ItemDataRole.UserRole, str(column))
        table.setHorizontalHeaderItem(c, header)
    table.setRowCount(len(frame))
    for r, (_, row) in enumerate(frame.iterrows()):
        for c, column in enumerate(columns):
            table.setItem(r, c, cell(column, row[column]))
    table.horizontalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)
    table.setSortingEnabled(True)


def cell(column: str, value) -> QTableWidgetItem:
    """A table cell for one value: methods coloured, numbers formatted and sortable.

    Metrics take their fixed format (``core.common.formats``), so a run's
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


def difference_item(
    row: pd.Series, paired: list[int] | tuple = (), metric: str = "rmse"
) -> NumberItem:
    """'−0.42 [−0.80, −0.05] (n=6)': a metric's mean paired difference from the
    baseline and its 95 % interval, sorting by it; bold when the interval excludes 0.

    Shares (α-λ accuracy) read in percentage points, ratios with three decimals,
    cycles with two. The tooltip names the seeds that were paired with the baseline.
    """
    diff = float(row.get(f"{metric}_diff", math.nan))
    low, high = (
        float(row.get(f"{metric}_diff_low", math.nan)),
        float(row.get(f"{metric}_diff_high", math.nan)),
    )
    if not math.isfinite(low):
        return NumberItem(math.nan, "–")
    pairs = format_value(float(row.get(f"{metric}_wilcoxon_n", math.nan)))
    low_text, high_text = format_difference(metric, low), format_difference(metric, high)
    text = f"{format_difference(metric, diff)} [{low_text}, {high_text}] (n={pairs})"
    item = NumberItem(diff, text)
    seeds = ", ".join(str(seed) for seed in paired)
    item.setToolTip(f"paired by seed with the baseline: {seeds}" if seeds else "")
    if high < 0 or low > 0:  # the interval excludes no difference
        font = QFont()
        font.setBold(True)
        item.setFont(font)
    return item


#: The column of the difference one run's units can resolve (core.evaluation.unit_resolution).
RESOLVES = "one run resolves"


def unit_resolution_column(summary: pd.DataFrame) -> str | None:
    """The summary's unit-resolution column with a figure (test, else validation), or None."""
    for column in ("rmse_unit_resolution", "val_rmse_unit_resolution"):
        if column in summary.columns and summary[column].notna().any():
            return column
    return None


#: What the marker column says where RMSE's paired interval cannot be had.
NO_COMPARISON = "no comparison"


def verdict(
    row: pd.Series, baseline: str = "fixed", is_baseline: bool = False, metric: str = "rmse"
) -> str:
    """'better than fixed', 'worse than fixed' or 'no difference' from the paired 95 %
    interval of ``metric`` (test RMSE, or validation RMSE without a test split; lower is
    better: the interval excludes 0 on one side or contains it); 'baseline' for the
    baseline, 'no comparison' without an interval (too few pairs)."""
    if is_baseline:
        return "baseline"
    baseline = str(row.get("paired_with") or baseline)  # a variant's twin: like for like
    low = float(row.get(f"{metric}_diff_low", math.nan))
    high = float(row.get(f"{metric}_diff_high", math.nan))
    if not (math.isfinite(low) and math.isfinite(high)):
        return NO_COMPARISON
    if high < 0:
        return f"better than {baseline}"
    if low > 0:
        return f"worse than {baseline}"
    return "no difference"


def verdict_item(
    row: pd.Series, baseline: str = "fixed", is_baseline: bool = False, metric: str = "rmse"
) -> QTableWidgetItem:
    """The :func:`verdict` as a plain cell, so no one scrolls to the interval for it."""
    text = verdict(row, baseline, is_baseline, metric)
    item = QTableWidgetItem(text)
    baseline = str(row.get("paired_with") or baseline)
    what = COMPARED_NAMES.get(metric, metric)
    tips = {
        f"better than {baseline}": f"The paired 95 % interval of {what} lies below 0: lower "
        f"than {baseline}'s",
        f"worse than {baseline}": f"The paired 95 % interval of {what} lies above 0: higher "
        f"than {baseline}'s",
        "no difference": f"The paired 95 % interval of {what} contains 0: no difference shown "
        "with these seeds",
        NO_COMPARISON: f"fewer than 2 runs paired by seed with {baseline}: no interval",
    }
    item.setToolTip(tips.get(text, ""))
    if text.startswith(("better", "worse")):
        font = QFont()
        font.setBold(True)
        item.setFont(font)
    return item


def test_item(row: pd.Series, metrics: list[str], compared: str = "rmse") -> QTableWidgetItem:
    """The Holm-adjusted p-value of the compared figure vs the baseline, or the reason there
    is none.

    The tooltip has every metric's raw and adjusted p.
    """
    p = float(row.get(f"{compared}_wilcoxon_p_holm", math.nan))
    note = str(row.get("wilcoxon_note", "") or "")
    if math.isfinite(p):
        raw = float(row.get(f"{compared}_wilcoxon_p", math.nan))
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
        f"{_summary_name(m)}: p = {format_value(float(row.get(f'{m}_wilcoxon_p', math.nan)))}"
        f", Holm {format_value(float(row.get(f'{m}_wilcoxon_p_holm', math.nan)))}"
        for m in metrics
    ]
    item.setToolTip("\n".join([*lines, note] if note else lines))
    return item


def _summary_name(metric: str) -> str:
    if metric in PROGNOSTIC_METRICS:
        return PROGNOSTIC_METRICS[metric][0]
    return {**VALIDATION_METRICS, **SUMMARY_METRICS}.get(metric, metric)


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
