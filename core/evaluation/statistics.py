"""Statistics across runs: mean and spread per method, paired comparisons with a baseline.

A comparison table has one row per finished run with at least the columns
``method`` and ``seed`` and any numeric metric columns (``rmse``,
``nasa_score``, ``macro_f1``, ``seconds`` ...). :func:`summarise` turns it into
one row per method. Seeds are the pairing unit: runs of two methods with the
same seed share their data split and initialisation, so the per-seed
differences are what is compared:

* for any number of pairs (2 or more), the mean paired difference
  ``method - baseline`` with a 95 % t-interval, so the size of an effect and
  its uncertainty are visible even with 3 seeds;
* from :data:`MIN_PAIRS` (6) pairs, the exact two-sided Wilcoxon signed-rank
  test. Its smallest attainable p is ``2 / 2**n``: 0.0625 with 5 pairs, so
  with 5 or fewer it could never reach p < 0.05 and is not run;
* the Wilcoxon p-values of all methods tested against the baseline are
  adjusted for multiple comparisons with Holm's step-down method, per metric.

``summary.attrs["paired_seeds"]`` (and ``summary.json``) list, per method,
the seeds that were paired with the baseline.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import t as student_t
from scipy.stats import wilcoxon

#: Fewest seed pairs for which the Wilcoxon test is run: 2 / 2**6 = 0.031 < 0.05.
MIN_PAIRS = 6
#: Coverage of the interval of the mean paired difference.
CONFIDENCE = 0.95
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


def _pairs(runs: pd.DataFrame, method: str, baseline: str, metric: str) -> pd.DataFrame:
    """The method's and the baseline's metric side by side, one row per shared seed."""
    ours = _per_seed(runs, method, metric)
    theirs = _per_seed(runs, baseline, metric)
    seeds = ours.index.intersection(theirs.index).sort_values()
    return pd.DataFrame({"method": ours.loc[seeds], "baseline": theirs.loc[seeds]}, index=seeds)


def paired_difference(
    values: Sequence[float], baseline: Sequence[float]
) -> tuple[float, float, float]:
    """Mean of ``values - baseline`` and its two-sided 95 % t-interval ``(mean, low, high)``.

    With one pair the interval is undefined (NaN); with identical pairs it is
    the point itself.
    """
    diff = np.asarray(values, dtype=float) - np.asarray(baseline, dtype=float)
    if diff.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(diff.mean())
    if diff.size < 2:
        return mean, math.nan, math.nan
    half = float(student_t.ppf(0.5 + CONFIDENCE / 2, diff.size - 1) * diff.std(ddof=1))
    half /= math.sqrt(diff.size)
    return mean, mean - half, mean + half


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (NaN entries left out and kept NaN).

    Sorted ascending, the i-th (0-based) of m p-values is multiplied by
    ``m - i``, made non-decreasing along the order, and capped at 1. It
    controls the family-wise error rate with no assumption on how the tests
    depend on each other (all methods share the baseline's runs). Written out
    here rather than taken from statsmodels: ten lines against a large
    dependency, checked against hand-computed values in the tests.
    """
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(values.shape, math.nan)
    finite = np.flatnonzero(np.isfinite(values))
    order = finite[np.argsort(values[finite], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * values[index]))
        adjusted[index] = running
    return adjusted.tolist()


#: Separates a method from the settings that set its variant apart: ``gaba · epochs=12``
#: (:func:`core.evaluation.variants.variant_suffixes`).
VARIANT_MARK = " · "


def partner(method: str, baseline: str, methods: set[str]) -> str | None:
    """The entry ``method`` is paired with: like for like, or none.

    A variant of the baseline's own method (``fixed · refit=True``) pairs with
    the baseline: the setting is all that differs. Another method pairs with
    the baseline's entry of the same settings (``gaba · epochs=12`` with
    ``fixed · epochs=12``, plain ``gaba`` with plain ``fixed``), and with
    nothing when there is none -- its difference from the baseline would
    credit the method with the setting's effect.
    """
    if method == baseline:
        return None
    name, mark, settings = method.partition(VARIANT_MARK)
    baseline_name = baseline.partition(VARIANT_MARK)[0]
    twin = baseline if name == baseline_name else f"{baseline_name}{mark}{settings}"
    return twin if twin in methods else None


def _note(runs: pd.DataFrame, method: str, baseline: str, pairs: list[int]) -> str:
    """Why a method's row has no (or only partial) test results, in the user's words."""
    methods = set(runs["method"])
    if method == baseline:
        return "baseline"
    if baseline not in methods:
        return f"no comparison: baseline method '{baseline}' is not among the runs"
    twin = partner(method, baseline, methods)
    if twin is None:
        return (
            f"no comparison: no '{baseline}' runs with the same settings "
            f"('{method.partition(VARIANT_MARK)[2]}') to pair with"
        )
    if twin != baseline:
        baseline = twin  # the notes below name the entry it is paired with
    most = max(pairs, default=0)
    if most < 2:
        return f"no comparison: {most} seed(s) shared with baseline '{baseline}', need 2"
    if most < MIN_PAIRS:
        return (
            f"{most} seed pairs: 95 % interval only; the Wilcoxon test needs at least "
            f"{MIN_PAIRS} pairs to be able to reach p < 0.05"
        )
    if min(pairs) < MIN_PAIRS:
        return f"some metrics untested: fewer than {MIN_PAIRS} seed pairs without missing values"
    return ""


def _method_row(
    runs: pd.DataFrame, method: str, baseline: str, metrics: list[str]
) -> tuple[dict[str, Any], list[int]]:
    """Summary statistics of one method, and the seeds paired with the baseline."""
    own = runs[runs["method"] == method]
    twin = partner(method, baseline, set(runs["method"]))
    row: dict[str, Any] = {"method": method, "n": len(own), "paired_with": twin or ""}
    pairs: list[int] = []
    paired_seeds: set[int] = set()
    for metric in metrics:
        row[f"{metric}_mean"], row[f"{metric}_std"] = _spread(own[metric])
        row[f"{metric}_count"] = int(own[metric].notna().sum())
        table = _pairs(runs, method, twin, metric) if twin else pd.DataFrame()
        n = len(table)
        paired_seeds.update(int(seed) for seed in table.index)
        # One pair is no comparison (the GUI says so; the report must not print its difference).
        diff = paired_difference(table["method"], table["baseline"]) if n >= 2 else (math.nan,) * 3
        row[f"{metric}_diff"], row[f"{metric}_diff_low"], row[f"{metric}_diff_high"] = diff
        p = paired_wilcoxon(table["method"], table["baseline"]) if n >= MIN_PAIRS else math.nan
        row[f"{metric}_wilcoxon_p"] = p
        row[f"{metric}_wilcoxon_n"] = n
        pairs.append(n)
    row["wilcoxon_note"] = _note(runs, method, baseline, pairs)
    return row, sorted(paired_seeds)


def summarise(
    runs: pd.DataFrame, metrics: Sequence[str] | None = None, baseline: str = "fixed"
) -> pd.DataFrame:
    """One row per method: run count, mean and std of each metric, paired comparison vs baseline.

    Parameters
    ----------
    runs
        One row per run with columns ``method``, ``seed`` and numeric metrics.
    metrics
        Metric columns to summarise; by default every numeric column other
        than ``method`` and ``seed``.
    baseline
        Method the others are compared with (paired by seed, like for like:
        :func:`partner`).

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``n``, ``paired_with`` (the entry its differences are
        from, :func:`partner`: the baseline, the baseline's entry of the same
        settings, or "" for none) and, for each metric ``m``: ``m_mean``,
        ``m_std`` (ddof=1, NaN when n=1), ``m_count`` (the runs that have the
        figure: fewer than ``n`` when older runs lack it); ``m_diff``, ``m_diff_low``,
        ``m_diff_high`` (mean paired difference method - baseline and its 95 %
        t-interval; NaN for the baseline or without 2 pairs); ``m_wilcoxon_p``
        (exact two-sided, from :data:`MIN_PAIRS` pairs, else NaN),
        ``m_wilcoxon_p_holm`` (Holm-adjusted over the methods tested on ``m``)
        and ``m_wilcoxon_n`` (seed pairs used); then ``wilcoxon_note`` saying
        what was and was not computed ("" when everything was).
        ``summary.attrs`` holds ``baseline``, ``metrics`` and ``paired_seeds``
        (method -> the seeds paired with the baseline).
    """
    _check_table(runs)
    chosen = list(metrics) if metrics is not None else metric_columns(runs)
    unknown = [m for m in chosen if m not in runs.columns]
    if unknown:
        raise ValueError(f"metric(s) {unknown} are not columns of the run table")
    rows, paired = [], {}
    for method in _method_order(runs, baseline):
        row, seeds = _method_row(runs, method, baseline, chosen)
        rows.append(row)
        paired[method] = seeds
    for metric in chosen:
        adjusted = holm([row[f"{metric}_wilcoxon_p"] for row in rows])
        for row, p in zip(rows, adjusted, strict=True):
            row[f"{metric}_wilcoxon_p_holm"] = p
    columns = ["method", "n", "paired_with"]
    for m in chosen:
        columns += [f"{m}_mean", f"{m}_std", f"{m}_count"]
        columns += [f"{m}_diff", f"{m}_diff_low", f"{m}_diff_high"]
        columns += [f"{m}_wilcoxon_p", f"{m}_wilcoxon_p_holm", f"{m}_wilcoxon_n"]
    summary = pd.DataFrame(rows, columns=[*columns, "wilcoxon_note"])
    summary.attrs.update(baseline=baseline, metrics=chosen, paired_seeds=paired)
    return summary


def compared_metric(summary: pd.DataFrame) -> str:
    """The figure methods are compared on: test RMSE, or validation RMSE without a test split
    (an imported fleet), as the GUI, ``rulwb compare`` and the report read a summary."""
    return "rmse" if "rmse_mean" in summary else "val_rmse"


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
        ``{"baseline", "metrics", "confidence", "wilcoxon_min_pairs",
        "p_adjustment", "paired_seeds": {method: [seed, ...]}, "methods": [row, ...]}``
        where each row maps column name to value, NaN written as ``None``.
    """
    records = [
        {str(col): _json_value(val) for col, val in row.items()}
        for row in summary.to_dict(orient="records")
    ]
    return {
        "baseline": summary.attrs.get("baseline"),
        "metrics": list(summary.attrs.get("metrics", [])),
        "confidence": CONFIDENCE,
        "wilcoxon_min_pairs": MIN_PAIRS,
        "p_adjustment": "holm",
        "paired_seeds": {k: list(v) for k, v in summary.attrs.get("paired_seeds", {}).items()},
        "methods": records,
    }
