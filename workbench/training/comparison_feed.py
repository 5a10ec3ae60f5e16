"""What the Comparison panel compares: a run table, its per-method summary, RMSE curves.

The inputs are queue rows (the user's selection, or this session's runs).
Metrics come from the rows (the worker's outcome or the store's
metrics.json) and the validation curves from each run's history.csv, so a
comparison of runs from last week works the same as one of runs just made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.common.formats import count
from core.comparisons.runner import RESULT_COLUMNS, normalised_config
from core.data.time_axis import CYCLES
from core.evaluation.seed_ensembles import add_ensembles
from core.evaluation.statistics import summarise
from core.evaluation.unit_resolution import add_unit_resolution
from core.evaluation.variants import differing_settings, variant_suffixes
from core.experiment import METHODS
from core.runs import RunDir, RunStoreError
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
    #: What is compared, what is left out of the means, and on which split, in words.
    note: str = ""
    #: A warning naming the settings that differ between the runs ("" when none do).
    mixed: str = ""
    #: The runs' unit of RUL (``cycles``, ``hours``; both, joined, for runs of two fleets).
    time_unit: str = CYCLES


#: Runs whose figures enter the per-method means: they ran to their end (a diverged run's
#: divergence is its result). Stopped runs are listed, but a run cut short is not the method.
COMPLETE = ("finished", "diverged")
#: The figures compared when no run has a test split (an imported fleet): validation ones.
VALIDATION = ("val_rmse", "val_macro_f1", "best_epoch", "epochs_run", "seconds")


def comparable(rows: list[QueueRow]) -> list[QueueRow]:
    """Rows with results: ended runs that evaluated on the test set, else on validation units."""
    ended = [r for r in rows if r.status in COMPARABLE]
    tested = [r for r in ended if r.metrics.get("rmse") is not None]
    return tested or [r for r in ended if r.metrics.get("val_rmse") is not None]


def _labels(rows: list[QueueRow], entries: list[str]) -> list[str]:
    """Unique curve labels: ``gaba s0``, with the folder's time when a label repeats.

    ``entries`` are the rows' methods as compared (``fixed · refit=True``).
    """
    named = [e if r.seed is None else f"{e} s{r.seed}" for r, e in zip(rows, entries, strict=True)]
    counts: dict[str, int] = {}
    for label in named:
        counts[label] = counts.get(label, 0) + 1
    return [
        f"{label} ({Path(r.run_dir).name[:15]})" if counts[label] > 1 and r.run_dir else label
        for r, label in zip(rows, named, strict=True)
    ]


def run_table(rows: list[QueueRow], labels: list[str], entries: list[str]) -> pd.DataFrame:
    """One row per run: method (as compared: ``entries``), seed, status, metrics and folder."""
    records = []
    for row, label, method in zip(rows, labels, entries, strict=True):
        record = {"run": label, "method": method, "seed": row.seed, "status": row.status}
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


def comparison_inputs(
    rows: list[QueueRow], scope: str = "", baseline: str = "fixed"
) -> ComparisonInputs:
    """The panel's inputs for these rows (those without results are left out).

    ``scope`` says where the rows came from ("the 4 selected runs"); the note
    adds which runs the means leave out and whether the figures are test or
    validation ones.
    """
    rows = comparable(rows)
    configs = [_config(row) for row in rows]
    entries = [r.method + s for r, s in zip(rows, variant_suffixes(configs), strict=True)]
    labels = _labels(rows, entries)
    table = run_table(rows, labels, entries)
    curves = {}
    for row, label, entry in zip(rows, labels, entries, strict=True):
        curve = validation_curve(row.run_dir)
        if curve is not None:
            curves[label] = (entry, *curve)
    levels = baseline_levels(rows, entries)
    on_test = table["rmse"].notna().any()
    note = _note(table, scope, on_test)
    mixed = mixed_settings(differing_settings(c for c in configs if c is not None))
    unit = " / ".join(sorted({row.time_unit for row in rows})) or CYCLES
    complete = table[table["status"].isin(COMPLETE)]
    if complete.empty:
        return ComparisonInputs(table, pd.DataFrame(), curves, levels, note, mixed, unit)
    metrics = SUMMARISED if on_test else VALIDATION
    present = [m for m in metrics if complete[m].notna().any()]
    compared = complete.drop(columns=["run", "status", "run_dir"])
    summary = summarise(compared, metrics=present, baseline=baseline)
    if on_test:
        cap = next((r.config.preprocess.rul_cap for r in rows if r.config is not None), 125.0)
        summary = add_ensembles(summary, complete, cap)
    return ComparisonInputs(table, summary, curves, levels, note, mixed, unit)


def with_unit_resolution(inputs: ComparisonInputs) -> tuple[ComparisonInputs, pd.DataFrame]:
    """``(inputs, summary with the difference one run's units resolve)``.

    It reads every compared run's predictions (or, without a test split, its
    validation trajectories) and bootstraps each seed's pair of runs: about
    25 ms a pair on 259 units, so the window runs it off the GUI thread and
    shows the column when it comes (the inputs say which comparison it is for).
    """
    if inputs.summary.empty:
        return inputs, inputs.summary
    complete = inputs.runs[inputs.runs["status"].isin(COMPLETE)]
    split = "test" if "rmse_mean" in inputs.summary else "val"
    return inputs, add_unit_resolution(inputs.summary, complete, split)


def _config(row: QueueRow) -> dict | None:
    """The row's recorded settings as the current code reads them; None when unreadable."""
    if row.run_dir is None:
        return None
    try:
        return normalised_config(RunDir(row.run_dir).read_config())
    except (RunStoreError, OSError):
        return None


def mixed_settings(differing: Sequence[tuple[str, str]]) -> str:
    """Say that runs differ in more than method and seed, naming up to three settings.

    A method's mean over runs with and without a refit (say) would mix two
    experiments, so each variant is an entry of its own (``fixed · refit=True``),
    paired by seed with the others like any method.
    """
    if not differing:
        return ""
    named = "; ".join(f"{name} ({values})" for name, values in differing[:3])
    more = f" and {len(differing) - 3} more" if len(differing) > 3 else ""
    return (
        f"These runs differ in {named}{more}: each variant is compared as an entry of its own "
        "(method · setting=value)."
    )


def _note(table: pd.DataFrame, scope: str, on_test: bool) -> str:
    """One line over the tables: which runs, which left out of the means, which split."""
    if table.empty:
        return f"{scope}: no run has results yet." if scope else "No run has results yet."
    runs = count(len(table), "run")
    parts = [f"{scope}: {runs} with results" if scope else runs]
    cut_short = int((~table["status"].isin(COMPLETE)).sum())
    if cut_short:
        their = "its" if cut_short == 1 else "their"
        parts.append(f"{cut_short} stopped before {their} end: listed under Runs, not in the means")
    if not on_test:
        parts.append(
            "no test split (an imported fleet): methods are compared on their validation "
            "figures at the kept epoch, which also chose that epoch — optimistic"
        )
    return " · ".join(parts)


def baseline_levels(rows: list[QueueRow], entries: list[str] | None = None) -> dict[str, float]:
    """Mean validation RMSE of each baseline method's runs (a baseline has no curve)."""
    values: dict[str, list[float]] = {}
    for at, row in enumerate(rows):
        method = METHODS.get(row.method)
        if method is not None and method.baseline and row.val_rmse is not None:
            entry = row.method if entries is None else entries[at]
            values.setdefault(entry, []).append(float(row.val_rmse))
    return {method: float(np.mean(v)) for method, v in values.items()}
