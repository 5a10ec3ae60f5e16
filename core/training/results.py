"""The end of a run: validation figures of the kept model, test metrics once, files written.

Shared by the network trainer and the classical baseline, so both leave the
same ``metrics.json``, ``predictions.csv`` and ``trajectories.csv``.

In-service units without a known true RUL (a CSV test file with no truth
file) are predicted and written like any others; the truth-based metrics are
left out of ``metrics.json`` and ``test_note`` says why.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.data.prepare import PreparedData
from core.evaluation.intervals import RulIntervals, calibrate, empirical
from core.evaluation.metrics import majority_baseline
from core.evaluation.prognostics import prognostic_metrics
from core.runs import RunDir
from core.runs.atomic import atomic_write_text
from core.training.evaluation import (
    prediction_table,
    test_metrics,
    trajectory_table,
    validation_figures,
)
from core.training.selection import selection_score

#: The run folder's calibrated RUL intervals (core.evaluation.intervals.RulIntervals.to_dict).
INTERVALS = "intervals.json"
#: The kept model's validation figures that metrics.json and the comparison report.
SELECTED_FIGURES = ("val_rmse", "val_mae", "val_accuracy", "val_macro_f1")
#: Why a run has no test metrics although it predicted its test units.
NO_TRUTH_NOTE = (
    "the in-service units have no known true RUL (no truth file), so test metrics are left "
    "out; predictions.csv and trajectories.csv hold the predictions"
)

Predictions = tuple[np.ndarray, np.ndarray]


def record_results(
    data: PreparedData,
    select_on: str,
    val: Predictions,
    test: Predictions | None,
    run: RunDir | None,
    coverage: float = 0.9,
) -> dict:
    """Metrics of the kept model from its predictions (RUL, health logits); files into ``run``.

    ``val`` and ``test`` are the predictions of every validation and test window.
    RUL intervals at ``coverage`` are calibrated on the validation windows
    (:mod:`core.evaluation.intervals`), saved as ``intervals.json`` and added to the
    predictions; their empirical test coverage and width go into the metrics.
    """
    cap = data.config.rul_cap
    intervals = calibrate(val[0], data.val.rul, coverage)
    tables = [with_bounds(trajectory_table("val", data.val, *val), intervals)]
    figures = validation_figures(data.val, *val, cap)
    metrics: dict = {
        "interval_nominal": coverage,
        "select_on": select_on,
        "selection_score": selection_score(figures, select_on, cap),
        **{k: figures[k] for k in SELECTED_FIGURES},
    }
    # prognostic figures (core.evaluation.prognostics) need a known failure time:
    # not a suspended unit's
    failed = tables[0][~tables[0]["unit"].isin(list(data.suspended))]
    metrics.update(prognostic_metrics(failed, prefix="val_"))
    if test is not None:
        windows, last_windows = data.test, data.test_last
        assert windows is not None and last_windows is not None  # predicted, so they exist
        rul, logits = test
        last = windows.last_of_each_unit()
        engines = with_bounds(prediction_table(last_windows, rul[last], logits[last]), intervals)
        if has_truth(last_windows.rul):
            metrics.update(test_metrics(last_windows, rul[last], logits[last], cap))
            metrics.update(majority_baseline(last_windows.health))
            metrics.update(empirical(engines["rul_lower"], engines["rul_upper"], last_windows.rul))
        else:
            metrics["test_note"] = NO_TRUTH_NOTE
            metrics["interval_width"] = float((engines["rul_upper"] - engines["rul_lower"]).mean())
        tables.append(with_bounds(trajectory_table("test", windows, rul, logits), intervals))
        if has_truth(last_windows.rul):
            metrics.update(prognostic_metrics(tables[-1]))
        if run is not None:
            run.write_predictions(engines)
    if run is not None:
        run.write_trajectories(pd.concat(tables, ignore_index=True))
        atomic_write_text(run.path / INTERVALS, json.dumps(intervals.to_dict(), indent=2))
    return metrics


def with_bounds(table: pd.DataFrame, intervals: RulIntervals) -> pd.DataFrame:
    """``table`` with ``rul_lower`` and ``rul_upper`` beside its ``pred_rul``."""
    lower, upper = intervals.bounds(table["pred_rul"].to_numpy())
    at = table.columns.get_loc("pred_rul") + 1
    table.insert(at, "rul_upper", upper)
    table.insert(at, "rul_lower", lower)
    return table


def has_truth(rul: np.ndarray) -> bool:
    """Whether the units' true RUL is known (a truth file was given): all values finite."""
    return bool(len(rul)) and bool(np.isfinite(rul).all())


def calibrate_from_trajectories(trajectories: pd.DataFrame, coverage: float) -> RulIntervals | None:
    """Intervals from saved validation predictions (a ``trajectories.csv`` table).

    Exactly the calibration a run does at its end: for an ensemble's mean, and
    for runs made before they wrote ``intervals.json`` (read in
    :mod:`core.prediction.inference`); None when the table has no validation rows.
    """
    if trajectories.empty:
        return None
    val = trajectories[trajectories["split"] == "val"]
    if val.empty:
        return None
    return calibrate(val["pred_rul"].to_numpy(), val["true_rul"].to_numpy(), coverage)
