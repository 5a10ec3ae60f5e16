"""What the Comparison tab compares: complete runs in the means, and it says what it did."""

from __future__ import annotations

import json
from dataclasses import replace

from workbench.training.comparison_feed import comparison_inputs
from workbench.training.run_queue_model import QueueRow


def row(method, seed, status="finished", rmse=None, val=20.0):
    metrics = {"val_rmse": val, "val_macro_f1": 0.8, "epochs_run": 10, "best_epoch": 5}
    if rmse is not None:
        metrics["rmse"] = rmse
    return QueueRow(method, seed, status=status, metrics=metrics, val_rmse=val)


def test_a_stopped_run_is_listed_but_left_out_of_the_methods_mean():
    rows = [row("fixed", 0, rmse=14.0), row("gaba", 0, rmse=13.0), row("gaba", 1, rmse=13.4),
            row("gaba", 2, status="stopped", rmse=95.0)]  # fmt: skip
    inputs = comparison_inputs(rows, "This session's runs")
    gaba = inputs.summary.set_index("method").loc["gaba"]
    assert gaba["n"] == 2 and abs(gaba["rmse_mean"] - 13.2) < 1e-9
    assert len(inputs.runs) == 4 and "stopped" in set(inputs.runs["status"])
    assert "1 stopped before its end: listed under Runs, not in the means" in inputs.note
    assert inputs.note.startswith("This session's runs: 4 runs with results")


def test_without_a_test_split_methods_are_compared_on_validation_figures_and_it_says_so():
    rows = [row("fixed", 0, val=21.0), row("fixed", 1, val=23.0), row("gaba", 0, val=19.0)]
    inputs = comparison_inputs(rows, "The 3 runs selected in the queue")
    summary = inputs.summary.set_index("method")
    assert summary.loc["fixed", "val_rmse_mean"] == 22.0 and "rmse_mean" not in summary
    assert "no test split" in inputs.note and "validation figures" in inputs.note


def test_one_run_is_one_run():
    inputs = comparison_inputs([row("fixed", 0, rmse=14.0)], "The 1 run selected in the queue")
    assert inputs.note == "The 1 run selected in the queue: 1 run with results"


def test_no_results_yet_is_said_too():
    inputs = comparison_inputs([row("fixed", 0, status="running")], "This session's runs")
    assert inputs.summary.empty and "no run has results yet" in inputs.note


def test_runs_that_differ_in_a_setting_are_compared_as_entries_of_their_own(tmp_path):
    def stored(method, seed, refit, rmse):
        folder = tmp_path / f"{method}_{seed}_{refit}"
        folder.mkdir()
        train = {"epochs": 30, "refit": refit}
        config = {"method": method, "seed": seed, "preset": "compact", "train": train,
                  "versions": {"torch": str(seed)}}  # fmt: skip
        (folder / "config.json").write_text(json.dumps(config))
        return replace(row(method, seed, rmse=rmse), run_dir=str(folder))

    alike = [stored("fixed", 0, False, 14.0), stored("fixed", 1, False, 15.0),
             stored("gaba", 0, False, 13.0)]  # fmt: skip
    inputs = comparison_inputs(alike, "Selected")
    assert inputs.mixed == "" and set(inputs.summary["method"]) == {"fixed", "gaba"}
    refits = [stored("fixed", 0, True, 12.0), stored("fixed", 1, True, 13.5)]
    inputs = comparison_inputs(alike + refits, "Selected")
    assert inputs.mixed.startswith("These runs differ in train.refit (False / True)")
    summary = inputs.summary.set_index("method")
    assert list(summary.index) == ["fixed", "gaba", "fixed · refit=True"]
    assert summary.loc["fixed", "rmse_mean"] == 14.5, "the plain runs' mean, not all four"
    # paired by seed with plain fixed weights: the refit's own effect
    assert summary.loc["fixed · refit=True", "rmse_diff"] == -1.75
    assert "fixed · refit=True s1" in set(inputs.runs["run"])


def test_the_methods_are_paired_with_the_chosen_baseline():
    rows = [row("fixed", s, rmse=14.0 + s) for s in range(2)]
    rows += [row("fixed_tuned", s, rmse=12.0 + 2 * s) for s in range(2)]
    rows += [row("gaba", s, rmse=13.0) for s in range(2)]
    fixed = comparison_inputs(rows).summary.set_index("method")
    tuned = comparison_inputs(rows, baseline="fixed_tuned").summary.set_index("method")
    assert tuned.attrs["baseline"] == "fixed_tuned"
    assert fixed.loc["gaba", "rmse_diff"] == -1.5  # 13 - (14, 15)
    assert tuned.loc["gaba", "rmse_diff"] == 0.0  # 13 - (12, 14)
    assert tuned.loc["fixed", "rmse_diff"] == 1.5  # (14, 15) - (12, 14)


def test_the_comparison_tab_pairs_with_the_method_the_user_picks(make_window, monkeypatch):
    window = make_window(autoload=False)
    rows = [row("fixed", s, rmse=14.0 + s) for s in range(2)]
    rows += [row("fixed_tuned", s, rmse=12.0 + 2 * s) for s in range(2)]
    monkeypatch.setattr(window, "comparison_rows", lambda: rows)
    window.refresh_comparison()
    panel = window.area.comparison
    assert [panel.pair_with.itemText(i) for i in range(2)] == ["fixed", "fixed_tuned"]
    assert panel.baseline == "fixed" and panel.summary.attrs["baseline"] == "fixed"
    panel.pair_with.setCurrentIndex(1)  # what a pick in the list does, then Qt says so:
    panel.pair_with.textActivated.emit("fixed_tuned")
    assert panel.summary.attrs["baseline"] == "fixed_tuned"
    assert panel.summary.set_index("method").loc["fixed", "rmse_diff"] == 1.5
