"""One format per metric: the same value reads the same in every place the GUI shows it.

The places: the test-results headline, the comparison's runs and summary
tables, the run queue, the fleet view's run list and the status bar. Each is
fed the same metrics and must show the literal texts below.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from core.common.formats import (
    format_metric,
    format_metric_spread,
    metric_kind,
)
from core.evaluation.statistics import summarise
from core.runs import RunInfo
from tests.helpers.panel_samples import prediction_frame
from workbench.fleet.fleet_view import _run_label
from workbench.panels import ComparisonPanel, TestResultsPanel
from workbench.shell.status import TrainingStatusBar
from workbench.training.run_queue_model import COLUMNS, QueueRow, RunQueueModel

#: One run's metrics, with values that used to read differently from place to place.
METRICS = {
    "rmse": 12.3456,
    "nasa_score": 325123.4,
    "mae": 9.8765,
    "accuracy": 0.44,
    "macro_f1": 0.43219,
    "val_rmse": 13.004,
    "val_macro_f1": 0.5,
}
#: How each is written, everywhere.
EXPECTED = {
    "rmse": "12.35",
    "nasa_score": "325,123",
    "mae": "9.88",
    "accuracy": "44.0 %",
    "macro_f1": "0.432",
    "val_rmse": "13.00",
    "val_macro_f1": "0.500",
}


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("rmse", 912.0, "912.00"),
        ("mae", 8, "8.00"),
        ("nasa_score", 911.9, "912"),
        ("nasa_score", 3.25e5, "325,000"),
        ("accuracy", 0.44, "44.0 %"),
        ("majority_accuracy", 0.4404, "44.0 %"),
        ("macro_f1", 0.8, "0.800"),
        ("val_macro_f1", np.float32(0.25), "0.250"),
        ("ensemble_rmse", np.float64(14.0), "14.00"),
        ("interval_coverage", 0.9, "90.0 %"),
        ("rmse", None, "–"),
        ("rmse", math.nan, "–"),
        ("accuracy", "n/a", "–"),
        ("rmse", True, "–"),
        ("seed", 3, "3"),
    ],
)
def test_each_metric_has_one_format(name, value, text):
    assert format_metric(name, value) == text


def test_a_spread_writes_mean_and_std_in_the_metric_format():
    assert format_metric_spread("rmse", 14.02, 0.4123) == "14.02 ± 0.41"
    assert format_metric_spread("accuracy", 0.9, 0.012) == "90.0 % ± 1.2 %"
    assert format_metric_spread("nasa_score", 1440.2, math.nan) == "1,440"
    assert format_metric_spread("seconds", 62.5, 1.87) == "62.5 ± 1.9"
    assert format_metric_spread("seconds", 62.5, 12.34) == "62.5 ± 12.3"  # not "62 ± 12"
    assert format_metric("seconds", 61.534) == "61.5"  # not "61.53"
    assert metric_kind("val_rmse") == "cycles" and metric_kind("seconds") == "seconds"


def test_a_mean_over_fewer_runs_than_the_method_has_says_so(make):
    assert format_metric_spread("interval_coverage", 0.87, 0.0, 2, 5) == "87.0 % ± 0.0 % (2 of 5)"
    assert format_metric_spread("rmse", 14.02, 0.4123, 5, 5) == "14.02 ± 0.41"
    runs = pd.DataFrame({"method": ["fixed"] * 3, "seed": [0, 1, 2], "rmse": [14.0, 15.0, 13.0],
                         "interval_coverage": [math.nan, 0.87, 0.89]})  # fmt: skip
    summary = summarise(runs)
    assert summary.loc[0, "interval_coverage_count"] == 2 and summary.loc[0, "rmse_count"] == 3
    panel = make(ComparisonPanel)
    panel.set_summary(summary)
    shown = [panel.summary_table.item(0, c).text() for c in range(3, 5)]
    assert shown == ["14.00 ± 1.00", "88.0 % ± 1.4 % (2 of 3)"]


# ------------------------------------------------------------ the same everywhere
def _headline(make) -> str:
    panel = make(TestResultsPanel)
    frame, _ = prediction_frame()
    panel.set_results(frame, METRICS)
    panel.flush()
    return panel.headline.text


def _table_row(table) -> dict[str, str]:
    """Header -> text of the first row of a table widget."""
    return {
        table.horizontalHeaderItem(c).text(): table.item(0, c).text()
        for c in range(table.columnCount())
    }


def _comparison_tables(make) -> tuple[dict[str, str], dict[str, str]]:
    panel = make(ComparisonPanel)
    panel.set_runs(pd.DataFrame([{"method": "gaba", "seed": 0, **METRICS}]))
    one_run = {"method": "gaba", "n": 1}
    for name in ("rmse", "nasa_score", "accuracy", "macro_f1"):
        one_run.update({f"{name}_mean": METRICS[name], f"{name}_std": math.nan})
    panel.set_summary(pd.DataFrame([one_run]))
    table = panel.runs_table
    # the runs table's headers are readable names; each carries its frame column as data
    columns = range(table.columnCount())
    keys = [table.horizontalHeaderItem(c).data(Qt.ItemDataRole.UserRole) for c in columns]
    runs = {keys[c]: table.item(0, c).text() for c in columns}
    return runs, _table_row(panel.summary_table)


def _queue_row() -> dict[str, str]:
    model = RunQueueModel()
    model.add(
        [QueueRow("gaba", 0, status="finished", val_rmse=METRICS["val_rmse"], metrics=METRICS)]
    )
    role = Qt.ItemDataRole.DisplayRole
    return {name: model.data(model.index(0, c), role) for c, name in enumerate(COLUMNS)}


def _fleet_label() -> str:
    info = RunInfo(Path("r"), "r", None, None, METRICS, None, datetime.now())
    return _run_label(info)


def _status_text(qtbot) -> str:
    bar = TrainingStatusBar()
    qtbot.addWidget(bar)
    bar.run_started("gaba s0")
    bar.run_ended("gaba s0", "finished", METRICS)
    return bar.run.text()


def test_the_same_metric_reads_the_same_in_every_place(make, qtbot):
    headline = _headline(make)
    runs, summary = _comparison_tables(make)
    queue = _queue_row()
    fleet = _fleet_label()
    status = _status_text(qtbot)
    for name in ("rmse", "nasa_score", "mae", "accuracy", "macro_f1"):
        assert f"<b>{EXPECTED[name]}</b>" in headline, name
        assert runs[name] == EXPECTED[name], name
    for name, header in (
        ("rmse", "RMSE"),
        ("nasa_score", "NASA score"),
        ("accuracy", "accuracy"),
        ("macro_f1", "macro-F1"),
    ):
        assert summary[header] == EXPECTED[name], name
    for name, column in (
        ("rmse", "Test RMSE"),
        ("nasa_score", "NASA"),
        ("accuracy", "Accuracy"),
        ("val_rmse", "Val RMSE"),
        ("val_macro_f1", "Val F1"),
    ):
        assert queue[column] == EXPECTED[name], name
    assert fleet.endswith(f"(RMSE {EXPECTED['rmse']})")
    assert f"test RMSE {EXPECTED['rmse']}" in status
    assert f"accuracy {EXPECTED['accuracy']}" in status


def test_the_majority_baseline_reads_like_the_run_it_stands_beside(make):
    panel = make(TestResultsPanel)
    frame, _ = prediction_frame()
    panel.set_results(frame, {**METRICS, "majority_accuracy": 0.44, "majority_macro_f1": 0.2})
    panel.flush()
    assert "accuracy <b>44.0 %</b> (majority class: 44.0 %)" in panel.headline.text
    assert "macro-F1 <b>0.432</b> (majority class: 0.200)" in panel.headline.text


def test_the_status_bar_falls_back_to_validation_rmse_without_a_test_split(qtbot):
    bar = TrainingStatusBar()
    qtbot.addWidget(bar)
    bar.run_ended("gaba s0", "finished", {"val_rmse": 13.004})
    assert bar.run.text() == "gaba s0 finished · val RMSE 13.00"
    bar.run_ended("gaba s0", "stopped")
    assert bar.run.text() == "gaba s0 stopped"
