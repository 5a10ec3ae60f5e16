"""End-of-run panels: test results (scatter, histogram, confusion) and the method comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.helpers.panel_samples import comparison_data, prediction_frame
from workbench.panels import ComparisonPanel, TestResultsPanel
from workbench.plotting.style import method_colour


def _shown_counts(panel: TestResultsPanel) -> np.ndarray:
    return np.array(
        [[int(t.textItem.toPlainText().split()[0]) for t in row] for row in panel.confusion_texts]
    )


def test_test_results_show_predictions_and_confusion(make):
    panel = make(TestResultsPanel)
    frame, metrics = prediction_frame()
    panel.set_results(frame, metrics)
    panel.flush()
    x, y = panel.scatter.getData()
    np.testing.assert_array_equal(x, frame["true_rul"])
    np.testing.assert_array_equal(y, frame["pred_rul"])
    np.testing.assert_array_equal(_shown_counts(panel), metrics["confusion"])
    edges, counts = panel.histogram.getOriginalDataset()
    assert counts.sum() == len(frame) and len(edges) == len(counts) + 1
    assert "RMSE <b>10.20</b>" in panel.headline.text
    from core.evaluation.unit_resolution import rmse_interval, unit_errors

    low, high = rmse_interval(unit_errors(frame))  # what 10.20 is worth over these engines
    assert f"(95 % over engines {low:.1f}–{high:.1f})" in panel.headline.text
    assert "85.0 %" in panel.headline.text
    assert "majority class" not in panel.headline.text, "only when the run reports it"
    panel.set_results(frame, {**metrics, "majority_accuracy": 0.44, "majority_macro_f1": 0.2})
    panel.flush()
    assert "(majority class: 44.0 %)" in panel.headline.text
    assert "engine" in panel.hover.hover(float(x[0]), float(y[0]))


def test_confusion_from_the_table_when_metrics_lack_it(make):
    panel = make(TestResultsPanel)
    frame, metrics = prediction_frame()
    confusion = metrics.pop("confusion")
    panel.set_results(frame, metrics)
    panel.flush()
    np.testing.assert_array_equal(_shown_counts(panel), confusion)
    panel.reset()
    assert panel.table().empty
    assert panel.confusion().sum() == 0


def test_a_new_method_never_takes_a_colour_in_use_while_one_is_free():
    """However many methods a session has drawn, a new one gets an unused colour if any is
    left (it used to cycle through the palette onto gaba's green)."""
    from core.common import colours

    for i in range(len(colours.PALETTE) + 2):
        taken = set(colours._METHOD_COLOURS.values())
        colour = colours.method_colour(f"session_method_{i}")
        if set(colours.PALETTE) - taken:
            assert colour not in taken, (i, colour)


def test_comparison_colours_by_method_are_consistent(make):
    panel = make(ComparisonPanel)
    _, _, curves = comparison_data()
    panel.set_curves(curves)
    panel.flush()
    first = {label: panel.curve_items[label].opts["pen"].color().name() for label in curves}
    assert {first[f"gaba-s{s}"] for s in range(5)} == {method_colour("gaba")}
    assert method_colour("fixed") != method_colour("gaba") != method_colour("my_method")
    reordered = dict(reversed(list(curves.items())))
    del reordered["fixed-s0"]
    panel.set_curves(reordered)
    panel.flush()
    assert "fixed-s0" not in panel.curve_items
    again = {label: panel.curve_items[label].opts["pen"].color().name() for label in reordered}
    assert again == {label: first[label] for label in reordered}
    legend = sorted(label.text for _, label in panel.legend.items)
    assert legend == ["fixed", "gaba", "my_method"]
    np.testing.assert_allclose(panel.mean_items["gaba"].getData()[1], 14.0 + 20 / np.arange(1, 11))
    assert panel.mean_items["gaba"].opts["pen"].color().name() == method_colour("gaba")


def test_comparison_summary_table_shows_spread_and_test(make):
    panel = make(ComparisonPanel)
    runs, summary, _ = comparison_data()
    panel.set_runs(runs)
    panel.set_summary(summary)
    table = panel.summary_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == [
        "method",
        "vs fixed",
        "runs",
        "RMSE",
        "NASA score",
        "accuracy",
        "macro-F1",
        "time (s)",
        "RMSE − fixed (95 % CI)",
        "p (Holm)",
    ]
    width = table.columnCount()
    cells = {
        table.item(r, 0).text(): [table.item(r, c).text() for c in range(width)] for r in range(3)
    }
    assert cells["fixed"][-1] == "baseline"
    assert cells["fixed"][-2] == "–"
    gaba = summary.set_index("method").loc["gaba"]
    low, high = gaba["rmse_diff_low"], gaba["rmse_diff_high"]
    assert cells["gaba"][-2] == f"{gaba['rmse_diff']:+.2f} [{low:+.2f}, {high:+.2f}] (n=6)"
    assert (
        cells["gaba"][-1]
        == f"{gaba['rmse_wilcoxon_p_holm']:.3g} (raw {gaba['rmse_wilcoxon_p']:.3g})"
    )
    assert " ± " in cells["gaba"][3]
    assert table.item(1, 8).toolTip() == "paired by seed with the baseline: 0, 1, 2, 3, 4, 5"
    assert panel.runs_table.rowCount() == len(runs)
    assert panel.runs_table.horizontalHeaderItem(0).text() == "Method"


def test_comparison_zooms_on_settled_epochs_without_hiding_a_run(make):
    panel = make(ComparisonPanel)
    epochs = np.arange(1.0, 11.0)
    settled = np.array([88.0, 25.0, 13.0, 12.0, 12.5, 12.2, 13.0, 14.0, 14.5, 15.0])
    panel.set_curves({"fixed-s0": ("fixed", epochs, settled)})
    panel.set_baselines({"gbm": 12.4})
    panel.flush()
    low, high = panel.plot.viewRange()[1]
    assert low <= 12.0 and 15.0 <= high < 16.0, "the first epochs (88, 25) run off the top"
    panel.set_curves(
        {"fixed-s0": ("fixed", epochs, settled), "dwa-s0": ("dwa", epochs, epochs + 60)}
    )
    panel.flush()
    assert panel.plot.viewRange()[1][1] >= 70.0, "a run that never learns stays in view whole"
    panel.settled.setChecked(False)
    panel.flush()
    assert panel.plot.viewRange()[1][1] >= 88.0, "unticked: every value"


def test_a_baseline_far_from_every_run_is_named_instead_of_flattening_them(make):
    panel = make(ComparisonPanel)
    panel.show()
    epochs = np.arange(1.0, 11.0)
    settled = np.array([88.0, 25.0, 13.0, 12.0, 12.5, 12.2, 13.0, 14.0, 14.5, 15.0])
    panel.set_curves({"fixed-s0": ("fixed", epochs, settled)})
    panel.set_baselines({"gbm": 12.4, "weibull": 28.21})
    panel.flush()
    low, high = panel.plot.viewRange()[1]
    assert low <= 12.0 and 15.0 <= high < 16.0, "the age-only level (28) is left out"
    assert panel.off_range.isVisible()
    assert panel.off_range.text() == "off the range: weibull 28.21 ↑"
    panel.set_baselines({"gbm": 12.4, "weibull": 17.0})  # near enough: within the runs' reach
    panel.flush()
    assert panel.plot.viewRange()[1][1] >= 17.0
    assert not panel.off_range.isVisible()


def test_comparison_says_why_there_is_no_test(make):
    panel = make(ComparisonPanel)
    _, summary, _ = comparison_data(seeds=2)
    panel.set_summary(summary)
    notes = [panel.summary_table.item(r, 9).text() for r in range(3)]
    assert notes[0] == "baseline"
    assert "at least 6 pairs" in notes[1]
    assert panel.summary_table.item(1, 8).text().endswith("(n=2)")


def test_comparison_warns_when_runs_differ_in_a_setting(make):
    panel = make(ComparisonPanel)
    panel.show()
    panel.set_note("2 runs", "These runs differ in train.refit (False / True)")
    assert panel.mixed.isVisible() and "train.refit" in panel.mixed.text()
    panel.set_note("2 runs")
    assert not panel.mixed.isVisible()


def test_comparison_exports_tables(make, tmp_path):
    panel = make(ComparisonPanel)
    runs, summary, curves = comparison_data()
    panel.set_runs(runs)
    panel.set_summary(summary)
    panel.set_curves(curves)
    pd.testing.assert_frame_equal(pd.read_csv(panel.export_csv(tmp_path / "runs.csv")), runs)
    written = pd.read_csv(panel.export_summary_csv(tmp_path / "summary.csv"))
    assert list(written["method"]) == ["fixed", "gaba", "my_method"]
    assert panel.export_table_png(tmp_path / "table.png").read_bytes().startswith(b"\x89PNG")
    long = pd.read_csv(panel.export_curves_csv(tmp_path / "curves.csv"))
    assert len(long) == 18 * 10 and set(long.columns) == {"run", "method", "epoch", "val_rmse"}
    panel.reset()
    assert panel.runs_table.rowCount() == 0 and not panel.curve_items


def test_a_baseline_is_a_dashed_level_in_the_comparison_plot(make):
    from PySide6.QtCore import Qt

    from workbench.training.comparison_feed import baseline_levels
    from workbench.training.run_queue_model import QueueRow

    rows = [
        QueueRow(row_id=i, method=m, seed=s, status="finished", val_rmse=v)
        for i, (m, s, v) in enumerate([("gbm", 0, 14.0), ("gbm", 1, 16.0), ("fixed", 0, 20.0)])
    ]
    levels = baseline_levels(rows)
    assert levels == {"gbm": 15.0}, "only baselines, mean of their runs"
    panel = make(ComparisonPanel)
    panel.set_baselines(levels)
    line = panel.baseline_items["gbm"]
    assert line.value() == 15.0 and line.pen.style() == Qt.PenStyle.DashLine
    panel.set_baselines({})
    assert not panel.baseline_items and line not in panel.plot.items


def test_what_one_run_resolves_stands_beside_the_seed_interval(make):
    panel = make(ComparisonPanel)
    _, summary, _ = comparison_data()
    summary["rmse_unit_resolution"] = [float("nan"), 2.046, 1.5]
    panel.set_summary(summary)
    table = panel.summary_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    at = headers.index("one run resolves")
    assert headers[at - 1] == "RMSE − fixed (95 % CI)" and headers[-1] == "p (Holm)"
    shown = {table.item(r, 0).text(): table.item(r, at).text() for r in range(3)}
    assert shown["fixed"] == "–" and shown[summary["method"][1]] == "± 2.05"
    assert "bootstrap over the units" in table.horizontalHeaderItem(at).toolTip()


def test_without_a_test_split_the_table_shows_and_compares_validation_figures(make):
    """An imported fleet without a test split: the tab's note says methods are compared on
    validation figures, so the table must show them and judge by them, not say 'no comparison'."""
    from core.evaluation.statistics import summarise

    runs = pd.DataFrame({"method": ["fixed"] * 3 + ["gaba"] * 3, "seed": [0, 1, 2] * 2,
                         "val_rmse": [20.0, 21.0, 20.5, 18.0, 18.5, 18.2],
                         "val_macro_f1": [0.8, 0.7, 0.8, 0.9, 0.9, 0.85]})  # fmt: skip
    panel = make(ComparisonPanel)
    panel.set_summary(summarise(runs, metrics=["val_rmse", "val_macro_f1"]))
    table = panel.summary_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["method", "vs fixed", "runs", "val. RMSE", "val. macro-F1",
                       "val. RMSE − fixed (95 % CI)", "p (Holm)"]  # fmt: skip
    gaba = [table.item(1, c).text() for c in range(len(headers))]
    assert gaba[:5] == ["gaba", "better than fixed", "3", "18.23 ± 0.25", "0.883 ± 0.029"]
    assert gaba[5] == "-2.27 [-2.89, -1.64] (n=3)"
    assert "validation RMSE" in table.item(1, 1).toolTip()


def test_a_run_without_a_test_split_is_explained_until_a_tested_run_comes(make):
    panel = make(TestResultsPanel)
    panel.set_no_test("gaba s1", {"val_rmse": 17.234, "val_macro_f1": 0.8123}, "hours")
    text = panel.placeholder_text()
    assert text.startswith("gaba s1 has no test results: its fleet has no test split")
    assert "(val RMSE 17.23 hours, val macro-F1 0.812)" in text and "optimistic" in text
    assert panel.empty_label.text() == text and not panel.export_button.isEnabled()
    panel.set_results(*prediction_frame())
    panel.flush()
    assert panel.placeholder_text() is None and panel.no_test_text == ""
