"""The end of a run: validation figures of the kept model, test metrics once, files written.

Shared by the network trainer and the classical baseline, so both leave the
same ``metrics.json``, ``predictions.csv`` and ``trajectories.csv``.

In-service units without a known true RUL (a CSV test file with no truth
file) are predicted and written like any others; the truth-based metrics are
left out of ``metrics.json`` and ``test_note`` says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.prepare import PreparedData
from core.runs import RunDir
from core.training.evaluation import (
    prediction_table,
    test_metrics,
    trajectory_table,
    validation_figures,
)
from core.training.selection import selection_score

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
) -> dict:
    """Metrics of the kept model from its predictions (RUL, health logits); files into ``run``.

    ``val`` and ``test`` are the predictions of every validation and test window.
    """
    cap = data.config.rul_cap
    tables = [trajectory_table("val", data.val, *val)]
    figures = validation_figures(data.val, *val, cap)
    metrics: dict = {
        "select_on": select_on,
        "selection_score": selection_score(figures, select_on, cap),
        **{k: figures[k] for k in SELECTED_FIGURES},
    }
    if test is not None:
        windows, last_windows = data.test, data.test_last
        assert windows is not None and last_windows is not None  # predicted, so they exist
        rul, logits = test
        last = windows.last_of_each_unit()
        if has_truth(last_windows.rul):
            metrics.update(test_metrics(last_windows, rul[last], logits[last], cap))
        else:
            metrics["test_note"] = NO_TRUTH_NOTE
        tables.append(trajectory_table("test", windows, rul, logits))
        if run is not None:
            run.write_predictions(prediction_table(last_windows, rul[last], logits[last]))
    if run is not None:
        run.write_trajectories(pd.concat(tables, ignore_index=True))
    return metrics


def has_truth(rul: np.ndarray) -> bool:
    """Whether the units' true RUL is known (a truth file was given): all values finite."""
    return bool(len(rul)) and bool(np.isfinite(rul).all())
