"""What the Comparison panel compares: a run table, its per-method summary, RMSE curves.

The inputs are queue rows (the user's selection, or this session's runs).
Metrics come from the rows (the worker's outcome or the store's
metrics.json) and the validation curves from each run's history.csv, so a
comparison of runs from last week works the same as one of runs just made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.comparison import summarise
from core.ensemble import add_ensembles
from core.methods.registry import METHODS
from core.runs import RunDir, RunStoreError
from core.training.comparison_runs import RESULT_COLUMNS
from workbench.training.run_queue_model import COMPARABLE, QueueRow

#: Metrics carried into the run table, in the order the panel shows them: comparison.csv's,
#: without the uncapped figures.
METRICS = tuple(c for c in RESULT_COLUMNS if not c.endswith("_uncapped"))
#: Metrics the per-method summary reports (mean, std, paired comparison with fixed).
SUMMARISED = tuple(m for m in METRICS if m not in ("best_epoch", "epochs_run"))


@dataclass(frozen=True)
class ComparisonInputs:
    """Everything the panel needs, computed away from the panel."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    curves: dict[str, tuple[str, np.ndarray, np.ndarray]]
    #: Baselines (no epochs): method -> mean validation RMSE of its runs, drawn as a level.
    baselines: dict[str, float] = field(default_factory=dict)


def comparable(rows: list[QueueRow]) -> list[QueueRow]:
    """Rows with results: ended runs that evaluated on the test set."""
    return [r for r in rows if r.status in COMPARABLE and r.metrics.get("rmse") is not None]


def _labels(rows: list[QueueRow]) -> list[str]:
    """Unique curve labels: ``gaba s0``, with the folder's time when a label repeats."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.label] = counts.get(row.label, 0) + 1
    return [
        f"{r.label} ({Path(r.run_dir).name[:15]})" if counts[r.label] > 1 and r.run_dir else r.label
        for r in rows
    ]


def run_table(rows: list[QueueRow], labels: list[str]) -> pd.DataFrame:
    """One row per run: method, seed, status, metrics and folder."""
    records = []
    for row, label in zip(rows, labels, strict=True):
        record = {"run": label, "method": row.method, "seed": row.seed, "status": row.status}
        record.update({m: row.metrics.get(m) for m in METRICS})
        record["run_dir"] = row.run_dir
        records.append(record)
    table = pd.DataFrame(records, columns=["run", "method", "seed", "status", *METRICS, "run_dir"])
    for metric in METRICS:
        table[metric] = pd.to_numeric(table[metric], errors="coerce")
    return table


def validation_curve(run_dir: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(epochs, validation RMSE) from a run's history.csv; None when unreadable."""
    if not run_dir:
        return None
    try:
        history = RunDir(run_dir).read_history()
    except (RunStoreError, OSError, ValueError):
        return None
    if history.empty or "val_rmse" not in history or "epoch" not in history:
        return None
    return history["epoch"].to_numpy(float), history["val_rmse"].to_numpy(float)


def comparison_inputs(rows: list[QueueRow]) -> ComparisonInputs:
    """The panel's inputs for these rows (those without results are left out)."""
    rows = comparable(rows)
    labels = _labels(rows)
    table = run_table(rows, labels)
    curves = {}
    for row, label in zip(rows, labels, strict=True):
        curve = validation_curve(row.run_dir)
        if curve is not None:
            curves[label] = (row.method, *curve)
    levels = baseline_levels(rows)
    if table.empty:
        return ComparisonInputs(table, pd.DataFrame(), curves, levels)
    present = [m for m in SUMMARISED if table[m].notna().any()]
    summary = summarise(table.drop(columns=["run", "status", "run_dir"]), metrics=present)
    cap = next((r.config.preprocess.rul_cap for r in rows if r.config is not None), 125.0)
    summary = add_ensembles(summary, table, cap)
    return ComparisonInputs(table, summary, curves, levels)


def baseline_levels(rows: list[QueueRow]) -> dict[str, float]:
    """Mean validation RMSE of each baseline method's runs (a baseline has no curve)."""
    values: dict[str, list[float]] = {}
    for row in rows:
        method = METHODS.get(row.method)
        if method is not None and method.baseline and row.val_rmse is not None:
            values.setdefault(row.method, []).append(float(row.val_rmse))
    return {method: float(np.mean(v)) for method, v in values.items()}
