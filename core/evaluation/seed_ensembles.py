"""Seed ensembles: the runs of one method over several seeds, used together.

Averaging the predicted RUL (and the health-state probabilities) of K seeds'
kept models usually predicts better than a single seed. A comparison reports
the ensemble's test figures **beside** the per-seed mean ± std, never in its
place: the per-seed spread is what a user gets from one training run.

The ensemble is computed from the runs' ``predictions.csv`` (one row per test
engine): the mean ``pred_rul`` per engine; the health state from the mean of
the per-run probabilities (``p_normal``, ``p_degrading``, ``p_critical``) where
every run wrote them, otherwise the most frequent predicted state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.data.config import HealthThresholds
from core.evaluation.metrics import evaluate
from core.runs import RunDir, RunStoreError

PROBABILITIES = tuple(f"p_{name}" for name in HealthThresholds.NAMES)


def ensemble_predictions(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per engine every table predicts: mean RUL, ensemble health, and the truth."""
    if not tables:
        raise ValueError("an ensemble needs at least one run's predictions")
    long = pd.concat([t.assign(member=i) for i, t in enumerate(tables)], ignore_index=True)
    complete = long.groupby("unit")["member"].nunique() == len(tables)
    long = long[long["unit"].isin(complete[complete].index)]
    grouped = long.groupby("unit", sort=True)
    first = {"true_rul": "first", "true_rul_uncapped": "first", "true_health": "first"}
    engines = grouped[[*first, "pred_rul"]].agg({**first, "pred_rul": "mean"})
    names = np.array(HealthThresholds.NAMES)
    if all(set(PROBABILITIES) <= set(t.columns) for t in tables):
        engines["pred_health"] = names[grouped[list(PROBABILITIES)].mean().to_numpy().argmax(1)]
    else:
        engines["pred_health"] = grouped["pred_health"].agg(lambda s: s.value_counts().index[0])
    return engines.reset_index()


def ensemble_figures(run_dirs: list[str | Path], cap: float) -> dict[str, float] | None:
    """Test RMSE, NASA score, accuracy and macro-F1 of the runs' ensemble; None if unknown.

    Runs without predictions (or without known truth) are left out; fewer than
    two left means there is no ensemble to speak of.
    """
    tables = []
    for path in run_dirs:
        try:
            table = RunDir(path).read_predictions()
        except RunStoreError:
            continue
        if not table.empty and table["true_rul"].notna().all():
            tables.append(table)
    if len(tables) < 2:
        return None
    engines = ensemble_predictions(tables)
    index = {name: i for i, name in enumerate(HealthThresholds.NAMES)}
    figures = evaluate(
        engines["true_rul_uncapped"].to_numpy(float),
        engines["pred_rul"].to_numpy(float),
        engines["true_health"].map(index).to_numpy(),
        engines["pred_health"].map(index).to_numpy(),
        cap,
    )
    keys = ("rmse", "nasa_score", "accuracy", "macro_f1")
    return {"members": float(len(tables)), **{k: float(figures[k]) for k in keys}}


def add_ensembles(summary: pd.DataFrame, runs: pd.DataFrame, cap: float) -> pd.DataFrame:
    """``summary`` with each method's seed-ensemble figures: ``ensemble_rmse``, ... ``_members``."""
    out = summary.copy()
    columns = ("members", "rmse", "nasa_score", "accuracy", "macro_f1")
    for column in columns:
        out[f"ensemble_{column}"] = np.nan
    if "run_dir" not in runs:
        return out
    for at, method in enumerate(out["method"]):
        dirs = runs.loc[runs["method"] == method, "run_dir"].dropna().tolist()
        figures = ensemble_figures(dirs, cap)
        if figures is not None:
            for column in columns:
                out.loc[out.index[at], f"ensemble_{column}"] = figures[column]
    return out
