"""Prognostic figures in the Comparison tab, the verdict against the baseline, readable run
headers, and the α cone in the trajectory view: each checked as the data behind the widgets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from core.common.formats import format_difference as signed
from core.common.formats import format_metric, format_metric_spread
from core.evaluation.prognostics import alpha_cone
from core.training.events import PredictionsEvent
from tests.helpers.panel_samples import predictions_event
from workbench.panels import ComparisonPanel, TrajectoryPanel
from workbench.panels.comparison_tables import PROGNOSTIC_METRICS
from workbench.training.comparison_feed import comparison_inputs
from workbench.training.run_queue_model import QueueRow

#: Test RMSE per seed: gaba clearly below fixed, dwa clearly above, my_method either side.
RMSE = {
    "fixed": (16.0, 16.5, 15.5),
    "gaba": (14.0, 14.6, 13.4),
    "dwa": (18.0, 18.4, 17.7),
    "my_method": (15.0, 17.5, 15.0),
}


def _row(method: str, seed: int, rmse: float) -> QueueRow:
    spread = 0.1 * seed
    metrics = {
        "rmse": rmse,
        "val_rmse": rmse + 1,
        "val_macro_f1": 0.8,
        "nasa_score": 300 + 10 * rmse,
        "alpha_lambda": 0.6 - 0.01 * rmse + spread / 10,
        "alpha_lambda_fraction": 0.5,
        "relative_accuracy": 0.95 - 0.02 * rmse + spread / 20,
        "prognostic_horizon": 160 - 4 * rmse + spread,
        "val_alpha_lambda": 0.5,
        "val_relative_accuracy": 0.7,
        "val_prognostic_horizon": 90.0,
        "best_epoch": 5,
        "epochs_run": 10,
        "seconds": 61.5,
    }
    return QueueRow(method, seed, status="finished", metrics=metrics, val_rmse=rmse + 1)


@pytest.fixture
def compared(make):
    rows = [_row(method, seed, rmse) for method, values in RMSE.items()
            for seed, rmse in enumerate(values)]  # fmt: skip
    inputs = comparison_inputs(rows, "Selected")
    panel = make(ComparisonPanel)
    panel.set_runs(inputs.runs)
    panel.set_summary(inputs.summary)
    return panel, inputs


def _headers(table) -> list[str]:
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def _cells(table) -> dict[str, dict[str, str]]:
    """Method -> header -> shown text of the summary table."""
    headers = _headers(table)
    return {
        table.item(r, 0).text(): {h: table.item(r, c).text() for c, h in enumerate(headers)}
        for r in range(table.rowCount())
    }


def test_summary_rows_carry_the_prognostic_figures_of_the_comparison(compared):
    panel, inputs = compared
    cells = _cells(panel.summary_table)
    summary = inputs.summary.set_index("method")
    for metric, (name, short, _) in PROGNOSTIC_METRICS.items():
        unit = " pp" if metric == "alpha_lambda" else ""
        diff_header = f"{short} − fixed{unit} (95 % CI)"
        assert name in _headers(panel.summary_table) and diff_header in cells["gaba"]
        for method, row in summary.iterrows():
            mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
            assert cells[method][name] == format_metric_spread(metric, mean, std), (method, name)
            if method == "fixed":
                assert cells[method][diff_header] == "–"
                continue
            low, high = row[f"{metric}_diff_low"], row[f"{metric}_diff_high"]
            diff = f"{signed(metric, row[f'{metric}_diff'])} [{signed(metric, low)}, "
            assert cells[method][diff_header] == f"{diff}{signed(metric, high)}] (n=3)"
    # numbers, not only texts: gaba's α-λ is 2 points above fixed, shown as "+2.0"
    assert summary.loc["gaba", "alpha_lambda_diff"] == pytest.approx(0.02)
    assert cells["gaba"]["α-λ − fixed pp (95 % CI)"].startswith("+2.0 [")
    tips = [panel.summary_table.horizontalHeaderItem(c).toolTip() for c in range(5, 50)
            if panel.summary_table.horizontalHeaderItem(c) is not None]  # fmt: skip
    assert sum("higher is better" in tip for tip in tips) == 2 * len(PROGNOSTIC_METRICS)


def test_the_verdict_follows_the_sign_of_rmses_interval(compared):
    panel, inputs = compared
    cells = _cells(panel.summary_table)
    summary = inputs.summary.set_index("method")
    assert summary.loc["gaba", "rmse_diff_high"] < 0 < summary.loc["dwa", "rmse_diff_low"]
    low, high = summary.loc["my_method", ["rmse_diff_low", "rmse_diff_high"]]
    assert low < 0 < high
    verdicts = {method: shown["vs fixed"] for method, shown in cells.items()}
    assert verdicts == {"fixed": "baseline", "gaba": "better than fixed",
                        "dwa": "worse than fixed", "my_method": "no difference"}  # fmt: skip
    assert _headers(panel.summary_table)[:3] == ["method", "vs fixed", "runs"]


def test_a_method_without_seed_pairs_says_no_comparison(make):
    rows = [_row("fixed", 0, 16.0), _row("fixed", 1, 16.5), _row("gaba", 7, 14.0)]
    inputs = comparison_inputs(rows, "Selected")
    panel = make(ComparisonPanel)
    panel.set_summary(inputs.summary)
    gaba = inputs.summary.set_index("method").loc["gaba"]
    assert not np.isfinite(gaba.get("rmse_diff_low", np.nan)), "seed 7 has no fixed partner"
    cells = _cells(panel.summary_table)
    assert cells["gaba"]["vs fixed"] == "no comparison"
    assert cells["gaba"]["RMSE − fixed (95 % CI)"] == "–"  # the interval it is read from


def test_time_reads_the_same_in_the_summary_and_the_runs_table(make):
    rows = [_row("fixed", seed, 16.0) for seed in range(3)]
    for row, seconds in zip(rows, (61.534, 63.2, 118.07), strict=True):
        row.metrics["seconds"] = seconds
    inputs = comparison_inputs(rows, "Selected")
    panel = make(ComparisonPanel)
    panel.set_runs(inputs.runs)
    panel.set_summary(inputs.summary)
    runs = panel.runs_table
    at = _headers(runs).index("Time (s)")
    assert sorted(runs.item(r, at).text() for r in range(3)) == ["118.1", "61.5", "63.2"]
    mean, std = np.mean([61.534, 63.2, 118.07]), np.std([61.534, 63.2, 118.07], ddof=1)
    assert _cells(panel.summary_table)["fixed"]["time (s)"] == f"{mean:.1f} ± {std:.1f}"


def test_the_run_table_names_its_columns_for_a_reader(compared):
    panel, inputs = compared
    table = panel.runs_table
    headers = _headers(table)
    raw = {str(c) for c in inputs.runs.columns}
    assert not raw & set(headers), f"raw keys shown: {raw & set(headers)}"
    assert not any("_" in h for h in headers), headers
    readable = (
        "Test RMSE",
        "Test α-λ accuracy",
        "Test prognostic horizon (cycles)",
        "Test relative accuracy",
        "Val macro-F1",
        "Val α-λ accuracy",
        "Time (s)",
    )
    for name in readable:
        assert name in headers, name
    role = Qt.ItemDataRole.UserRole
    keys = [table.horizontalHeaderItem(c).data(role) for c in range(len(headers))]
    first = inputs.runs.iloc[0]
    at = {key: c for c, key in enumerate(keys)}
    for key in ("rmse", "alpha_lambda", "relative_accuracy", "prognostic_horizon", "val_rmse"):
        assert table.item(0, at[key]).text() == format_metric(key, first[key]), key


def _event_with_interval() -> PredictionsEvent:
    event = predictions_event(split="test")
    half = np.full(event.true_rul.shape, 6.0)
    return PredictionsEvent(event.epoch, "test", event.unit_ids, event.unit, event.cycle,
                            event.true_rul, event.pred_rul, event.pred_health,
                            event.pred_rul - half, event.pred_rul + half)  # fmt: skip


def test_the_alpha_cone_surrounds_the_true_rul_of_the_shown_engine(make):
    panel = make(TrajectoryPanel)
    panel.set_predictions(_event_with_interval())
    panel.select_split("test")
    panel.select_unit("B2")
    panel.flush()
    assert panel.cone_box.isChecked() and panel.cone_box.text() == "α cone (±20 %)"
    cycle, true = panel.true_curve.getData()
    lower, upper = alpha_cone(true)
    for line, bound in zip(panel.cone, (lower, upper), strict=True):
        x, y = line.getData()
        np.testing.assert_array_equal(x, cycle)
        np.testing.assert_allclose(y, bound)
    assert panel.band.bounds() is not None, "the interval band is still drawn"
    assert "λ = 0.5" in panel.state_label.toolTip() and "the α cone" in panel.state_label.toolTip()
    panel.cone_box.setChecked(False)
    panel.flush()
    assert all(len(line.getData()[0] if line.getData()[0] is not None else []) == 0
               for line in panel.cone)  # fmt: skip
    assert panel.band.bounds() is not None


def test_the_headline_says_whether_the_prediction_half_way_lies_in_the_cone(make):
    event = predictions_event(split="test")
    life = 55.0  # engine B2: cycles 1..55, true RUL 54..0, half-way at cycle 28
    for shift, where in ((0.0, "inside"), (40.0, "outside")):
        pred = (event.true_rul + shift).astype(np.float32)
        shifted = PredictionsEvent(event.epoch, "test", event.unit_ids, event.unit, event.cycle,
                                   event.true_rul, pred, event.pred_health)  # fmt: skip
        panel = make(TrajectoryPanel)
        panel.set_predictions(shifted)
        panel.select_split("test")
        panel.select_unit("B2")
        panel.flush()
        tip = panel.state_label.toolTip()
        assert f"(cycle {1 + 0.5 * (life - 1):.0f})" in tip and f"lies {where} the α cone" in tip
        assert "[21.6, 32.4]" in tip  # (1 ± 0.2) × 27


def test_the_runs_csv_keeps_the_raw_keys(compared, tmp_path):
    panel, inputs = compared
    written = pd.read_csv(panel.export_csv(tmp_path / "runs.csv"))
    assert list(written.columns) == list(inputs.runs.columns)
