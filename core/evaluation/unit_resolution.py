"""How finely one run's units can tell two methods apart: a paired bootstrap over units.

The paired interval over seeds (:mod:`core.evaluation.statistics`) sees how
much the seeds scatter, not how little each run's figure is worth on its own:
a test RMSE is an estimate from a few dozen or hundred units. Two runs of
the same seed score the same units on the same windows, so resampling the
units of both together (a paired bootstrap) gives the interval of
``RMSE(method) − RMSE(baseline)`` that the units alone allow. Its half-width
is the smallest difference one run can resolve: on C-MAPSS FD001 the 100
test units resolve about ±2 cycles, the 20 validation units about ±1.5, so a
0.3-cycle gap between two single runs says nothing, however many decimals
it is printed with.

The resampling is scipy's ``bootstrap`` (paired, vectorised, percentile
intervals), seeded by the runs' seed so a table reads the same every time.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from core.runs import RunDir, RunStoreError
from core.runs.atomic import atomic_write_text

#: Bootstrap resamples per pair of runs (enough for a half-width to about 0.05 cycles).
RESAMPLES = 2000
#: Coverage of the interval over units.
CONFIDENCE = 0.95
#: The figure each split's resolution is of, as the summary names it.
SPLIT_METRIC = {"test": "rmse", "val": "val_rmse"}
#: A run's per-unit errors on a split, kept beside it by :func:`keep_unit_errors`.
KEPT_ERRORS = "unit_errors_{split}.csv"


def unit_errors(table: pd.DataFrame) -> pd.DataFrame:
    """Per unit of a predictions or trajectories table: squared RUL errors summed, and windows.

    Summing per unit (rather than averaging) keeps the RMSE of any resample of
    units exact: it is the root of the resampled sums over the resampled counts.
    """
    squared = (table["pred_rul"] - table["true_rul"]) ** 2
    return table.assign(squared=squared).groupby("unit")["squared"].agg(["sum", "count"])


def run_unit_errors(run_dir: str | Path, split: str) -> pd.DataFrame | None:
    """A run's :func:`unit_errors` on ``test`` (predictions.csv: one window per unit, the
    headline figure) or ``val`` (trajectories.csv's validation rows: every window), else
    what :func:`keep_unit_errors` kept of them; None when neither can be read."""
    run = RunDir(run_dir)
    try:
        table = run.read_predictions() if split == "test" else run.read_trajectories()
    except RunStoreError:
        return _kept_unit_errors(run.path, split)
    if split != "test" and not table.empty:
        table = table[table["split"] == split]
    if table.empty or table["true_rul"].isna().any():
        return _kept_unit_errors(run.path, split)
    return unit_errors(table)


def keep_unit_errors(run_dir: str | Path, split: str) -> bool:
    """Keep a run's per-unit errors on ``split`` beside it (a few hundred bytes); True if kept.

    A study keeps its runs in git without ``trajectories.csv`` (megabytes per
    run): kept this way, what one run's validation units resolve can still be
    computed after the trajectories are gone.
    """
    errors = run_unit_errors(run_dir, split)
    if errors is None:
        return False
    atomic_write_text(Path(run_dir) / KEPT_ERRORS.format(split=split), errors.to_csv())
    return True


def _kept_unit_errors(folder: Path, split: str) -> pd.DataFrame | None:
    path = folder / KEPT_ERRORS.format(split=split)
    try:
        return pd.read_csv(path, index_col="unit", dtype={"unit": str})  # ids as written
    except (OSError, ValueError, pd.errors.ParserError):
        return None


def _rmse(squared: np.ndarray, count: np.ndarray, axis: int = -1):
    """RMSE of resampled units (vectorised along ``axis``, as scipy asks)."""
    return np.sqrt(squared.sum(axis=axis) / count.sum(axis=axis))


def _rmse_difference(ours: np.ndarray, theirs: np.ndarray, count: np.ndarray, axis: int = -1):
    """RMSE(ours) − RMSE(theirs) of resampled units: the same units, so the same counts."""
    return _rmse(ours, count, axis) - _rmse(theirs, count, axis)


def paired_unit_interval(
    ours: pd.DataFrame, theirs: pd.DataFrame, seed: int = 0
) -> tuple[float, float, float]:
    """``(difference, low, high)``: RMSE(ours) − RMSE(theirs) and its paired 95 % bootstrap
    interval over units.

    Raises ValueError when the two runs did not score the same units and windows
    (another split or window length): then they are not a pair.
    """
    # compared as text: a kept file reads unit ids back as written
    same_units = ours.index.astype(str).equals(theirs.index.astype(str))
    if not same_units or not np.array_equal(ours["count"], theirs["count"]):
        raise ValueError("the two runs scored different units or windows: not a pair")
    data = (ours["sum"].to_numpy(), theirs["sum"].to_numpy(), ours["count"].to_numpy())
    point = float(_rmse_difference(*data))
    if len(ours) < 2:
        return point, math.nan, math.nan
    result = bootstrap(
        data, _rmse_difference, paired=True, vectorized=True, n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE, method="percentile", random_state=np.random.default_rng(seed),
    )  # fmt: skip
    low, high = result.confidence_interval
    return point, float(low), float(high)


def rmse_interval(errors: pd.DataFrame, seed: int = 0) -> tuple[float, float]:
    """The 95 % bootstrap interval over units of one run's RMSE (``errors``: :func:`unit_errors`).

    What a test RMSE printed to two decimals is worth: on FD001's 100 test units
    about ±2 cycles. NaNs with fewer than two units.
    """
    if len(errors) < 2:
        return math.nan, math.nan
    data = (errors["sum"].to_numpy(), errors["count"].to_numpy())
    result = bootstrap(
        data, _rmse, paired=True, vectorized=True, n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE, method="percentile", random_state=np.random.default_rng(seed),
    )  # fmt: skip
    low, high = result.confidence_interval
    return float(low), float(high)


def add_unit_resolution(summary: pd.DataFrame, runs: pd.DataFrame, split: str) -> pd.DataFrame:
    """``summary`` with ``<metric>_unit_resolution`` (``rmse_…`` for test, ``val_rmse_…``).

    Per method: the median over its seeds paired with the entry it is compared
    with (the summary's ``paired_with``) of the half-width of
    :func:`paired_unit_interval`; NaN for the baseline, without ``run_dir``
    or without a run pair whose files agree.
    """
    column = f"{SPLIT_METRIC[split]}_unit_resolution"
    out = summary.copy()
    out[column] = math.nan
    if "run_dir" not in runs:
        return out
    read: dict[str, pd.DataFrame | None] = {}  # a baseline run is read once, not once per method

    def errors(run_dir: str) -> pd.DataFrame | None:
        if run_dir not in read:
            read[run_dir] = run_unit_errors(run_dir, split)
        return read[run_dir]

    for at, row in out.iterrows():
        twin = str(row.get("paired_with") or "")
        widths = [
            (high - low) / 2
            for ours, theirs, seed in _run_pairs(runs, str(row["method"]), twin)
            for low, high in [_interval_or_none(errors(ours), errors(theirs), seed)]
            if math.isfinite(low)
        ]
        if widths:
            out.loc[at, column] = float(np.median(widths))
    return out


def _run_pairs(runs: pd.DataFrame, method: str, twin: str) -> list[tuple[str, str, int]]:
    """``(method's run, twin's run, seed)`` for each seed both ran once (a repeat is ambiguous)."""
    if not twin:
        return []
    mine = runs[runs["method"] == method].dropna(subset=["run_dir"])
    other = runs[runs["method"] == twin].dropna(subset=["run_dir"])
    pairs = []
    for seed in sorted(set(mine["seed"]) & set(other["seed"])):
        a, b = mine[mine["seed"] == seed], other[other["seed"] == seed]
        if len(a) == 1 and len(b) == 1:
            pairs.append((str(a["run_dir"].iloc[0]), str(b["run_dir"].iloc[0]), int(seed)))
    return pairs


def _interval_or_none(
    ours: pd.DataFrame | None, theirs: pd.DataFrame | None, seed: int
) -> tuple[float, float]:
    """The interval's ends, or NaNs when a file is missing or the runs are not a pair."""
    if ours is None or theirs is None:
        return math.nan, math.nan
    try:
        _, low, high = paired_unit_interval(ours, theirs, seed)
    except ValueError:
        return math.nan, math.nan
    return low, high
