"""Statistics across runs: mean and spread per method, paired tests against a baseline.

A comparison table has one row per finished run with at least the columns
``method`` and ``seed`` and any numeric metric columns (``rmse``,
``nasa_score``, ``macro_f1``, ``seconds`` ...). :func:`summarise` turns it into
one row per method. Seeds are the pairing unit: runs of two methods with the
same seed share their data split and initialisation, so a paired Wilcoxon
signed-rank test on the per-seed differences is the honest way to ask whether
a method differs from the baseline. With fewer than five pairs a two-sided
Wilcoxon test cannot reach p < 0.05 (its smallest p is 2/2**n), so the test is
not run and the ``wilcoxon_note`` column says why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

#: Fewest seed pairs for which the paired test is run.
MIN_PAIRS = 5
#: Columns that identify a run rather than measure it.
ID_COLUMNS = ("method", "seed")


def _check_table(runs: pd.DataFrame) -> None:
    """Refuse a table that lacks the identifying columns, naming them."""
    missing = [c for c in ID_COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"run table lacks column(s) {missing}; it has {list(runs.columns)}")


def metric_columns(runs: pd.DataFrame) -> list[str]:
    """Every numeric, non-boolean column other than ``method`` and ``seed``."""
    return [
        c
        for c in runs.columns
        if c not in ID_COLUMNS
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
    ]


def _method_order(runs: pd.DataFrame, baseline: str) -> list[str]:
    """Baseline first (if present), then the other methods in order of appearance."""
    methods = list(dict.fromkeys(runs["method"].tolist()))
    if baseline in methods:
        methods.remove(baseline)
        methods.insert(0, baseline)
    return methods


def _per_seed(runs: pd.DataFrame, method: str, metric: str) -> pd.Series:
    """A method's metric indexed by seed; repeated seeds are averaged, NaN dropped."""
    rows = runs.loc[runs["method"] == method, ["seed", metric]].dropna()
    return rows.groupby("seed")[metric].mean()


def paired_wilcoxon(values: Sequence[float], baseline: Sequence[float]) -> float:
    """Two-sided paired Wilcoxon signed-rank p-value of ``values`` vs ``baseline``.

    When every difference is zero the two methods are indistinguishable and
    scipy would divide by zero; the answer is then p = 1.0 by definition.
    """
    diff = np.asarray(values, dtype=float) - np.asarray(baseline, dtype=float)
    if not np.any(diff):
        return 1.0
    with warnings.catch_warnings():
        # Ties and zeros make scipy fall back to the normal approximation and
        # may say so; that is expected with few seeds, not a user problem.
        warnings.simplefilter("ignore", category=RuntimeWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        result = wilcoxon(values, baseline, alternative="two-sided")
    p = float(result.pvalue)
    return 1.0 if math.isnan(p) else p


def _spread(values: pd.Series) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; NaN for a single value)."""
    clean = values.dropna().to_numpy(dtype=float)
    if clean.size == 0:
        return math.nan, math.nan
    std = float(np.std(clean, ddof=1)) if clean.size > 1 else math.nan
    return float(np.mean(clean)), std


def _test_against_baseline(
    runs: pd.DataFrame, method: str, baseline: str, metric: str
) -> tuple[float, int]:
    """(p-value, number of seed pairs) for one metric; p is NaN under MIN_PAIRS pairs."""
    ours = _per_seed(runs, method, metric)
    theirs = _per_seed(runs, baseline, metric)
    seeds = ours.index.intersection(theirs.index)
    if len(seeds) < MIN_PAIRS:
        return math.nan, len(seeds)
    return paired_wilcoxon(ours.loc[seeds].to_numpy(), theirs.loc[seeds].to_numpy()), len(seeds)


def _note(runs: pd.DataFrame, method: str, baseline: str, pairs: list[int]) -> str:
    """Why a method's row has no (or only partial) test results, in the user's words."""
    methods = set(runs["method"])
    if method == baseline:
        return "baseline"
    if baseline not in methods:
        return f"no test: baseline method '{baseline}' is not among the runs"
    most = max(pairs, default=0)
    if most < MIN_PAIRS:
        return (
            f"no test: {most} seed(s) shared with baseline '{baseline}', "
            f"a paired Wilcoxon test needs at least {MIN_PAIRS}"
        )
    if min(pairs) < MIN_PAIRS:
        return f"some metrics untested: fewer than {MIN_PAIRS} seed pairs without missing values"
    return ""


def _method_row(
    runs: pd.DataFrame, method: str, baseline: str, metrics: list[str]
) -> dict[str, Any]:
    """Summary statistics of one method."""
    own = runs[runs["method"] == method]
    row: dict[str, Any] = {"method": method, "n": len(own)}
    testable = method != baseline and baseline in set(runs["method"])
    pairs: list[int] = []
    for metric in metrics:
        row[f"{metric}_mean"], row[f"{metric}_std"] = _spread(own[metric])
        p, n = _test_against_baseline(runs, method, baseline, metric) if testable else (np.nan, 0)
        row[f"{metric}_wilcoxon_p"] = p
        row[f"{metric}_wilcoxon_n"] = n
        pairs.append(n)
    row["wilcoxon_note"] = _note(runs, method, baseline, pairs)
    return row


def summarise(
    runs: pd.DataFrame, metrics: Sequence[str] | None = None, baseline: str = "fixed"
) -> pd.DataFrame:
    """One row per method: run count, mean and std of each metric, paired test vs baseline.

    Parameters
    ----------
    runs
        One row per run with columns ``method``, ``seed`` and numeric metrics.
    metrics
        Metric columns to summarise; by default every numeric column other
        than ``method`` and ``seed``.
    baseline
        Method the others are tested against (paired by seed).

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``n`` and, for each metric ``m``: ``m_mean``,
        ``m_std`` (ddof=1, NaN when n=1), ``m_wilcoxon_p`` (two-sided; NaN for
        the baseline, when the baseline is absent, or with fewer than
        :data:`MIN_PAIRS` seed pairs) and ``m_wilcoxon_n`` (seed pairs used);
        then ``wilcoxon_note`` saying why a test is missing ("" when all ran).
        ``summary.attrs`` holds ``baseline`` and ``metrics``.
    """
    _check_table(runs)
    chosen = list(metrics) if metrics is not None else metric_columns(runs)
    unknown = [m for m in chosen if m not in runs.columns]
    if unknown:
        raise ValueError(f"metric(s) {unknown} are not columns of the run table")
    rows = [_method_row(runs, m, baseline, chosen) for m in _method_order(runs, baseline)]
    columns = ["method", "n"]
    for m in chosen:
        columns += [f"{m}_mean", f"{m}_std", f"{m}_wilcoxon_p", f"{m}_wilcoxon_n"]
    summary = pd.DataFrame(rows, columns=[*columns, "wilcoxon_note"])
    summary.attrs.update(baseline=baseline, metrics=chosen)
    return summary


def _json_value(value: Any) -> Any:
    """A plain JSON value: numpy scalars unwrapped, NaN and inf turned into None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def summary_to_json(summary: pd.DataFrame) -> dict[str, Any]:
    """The summary as a JSON-safe dict (``json.dumps(..., allow_nan=False)`` accepts it).

    Returns
    -------
    dict
        ``{"baseline": str | None, "metrics": [...], "methods": [row, ...]}``
        where each row maps column name to value, NaN written as ``None``.
    """
    records = [
        {str(col): _json_value(val) for col, val in row.items()}
        for row in summary.to_dict(orient="records")
    ]
    return {
        "baseline": summary.attrs.get("baseline"),
        "metrics": list(summary.attrs.get("metrics", [])),
        "methods": records,
    }
