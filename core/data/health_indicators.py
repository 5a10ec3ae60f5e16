"""Which sensors carry the wear: monotonicity, trendability and prognosability.

The three health-indicator scores of Coble & Hines ("Identifying optimal
prognostic parameters from data: a genetic algorithms approach", Annual
Conference of the PHM Society, 2009), as MATLAB's Predictive Maintenance
Toolbox computes them (``monotonicity``, ``trendability``,
``prognosability``). Each scores one sensor over M run-to-failure units j,
where x_j is unit j's series of n_j values, from its first cycle to failure;
each lies in [0, 1], 1 best.

monotonicity
    mean over units of \\|#(diff x_j > 0) − #(diff x_j < 0)\\| / (n_j − 1):
    the toolbox's default method (``'sign'``), on the series as recorded (no
    smoothing window). 1 when every unit's series only rises, or only falls
    (each unit may go its own way); about sqrt(2 / (3π n)) for noise around a
    level (0.03 for 200 cycles). Units with fewer than 2 cycles are left out.
trendability
    min over pairs of units j ≠ k of \\|corrcoef(x_j, x_k)\\|, each series first
    resampled (linear interpolation over its own life, 0 = first cycle, 1 =
    failure) to a common length: the shortest unit's number of cycles (units
    of fewer than 2 cycles left out). All M (M − 1) / 2 correlations are one
    matrix product per sensor. 1 when all units trace the same shape, near 0
    when some two units are unrelated.
prognosability
    exp(−std_j(x_j(n_j)) / mean_j \\|x_j(1) − x_j(n_j)\\|): the spread of the
    failure values against the distance travelled from the first value to
    the failure value; std with n − 1 in the denominator, as MATLAB's ``std``.
    1 when every unit fails at the same value.

A constant series carries no wear, and each score says so with 0: no rising
or falling step (monotonicity 0); a correlation with a constant series is
undefined and counts as 0 (trendability 0); no distance from first to
failure value gives prognosability 0 (where the formula reads 0 / 0). A
score that cannot be computed at all is NaN and ranks below every number:
trendability and prognosability of fewer than 2 units, monotonicity of units
with fewer than 2 cycles.

The scores are computed on the fitting units (the training units left after
the validation split) that failed: a suspended unit's last record is not a
failure value and its series covers only part of a life. With one operating
condition the sensors' own values are scored (every score is unchanged by a
z-score, so this equals the pipeline's normalised values); with several
conditions a raw series jumps between regimes, so each value is first
z-scored with its condition's mean and standard deviation on the fitting
units, as the pipeline normalises (:class:`~core.data.preprocess.ConditionNormaliser`),
except that a sensor constant within a condition is 0 there (:func:`condition_zscores`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.data.fleet import UNIT, Fleet

#: The scores, in the order tables show them.
SCORES: tuple[str, ...] = ("monotonicity", "trendability", "prognosability")


# ------------------------------------------------------------------ the scores
def monotonicity(units: Sequence[np.ndarray]) -> np.ndarray:
    """Per column, the mean over units of \\|#positive − #negative differences\\| / (n_j − 1).

    ``units``: one (n_j, columns) array per unit, rows in time order.
    """
    per_unit = []
    for values in units:
        values = _as_2d(values)
        if len(values) < 2:
            continue
        steps = np.diff(values, axis=0)
        balance = (steps > 0).sum(axis=0) - (steps < 0).sum(axis=0)
        per_unit.append(np.abs(balance) / (len(values) - 1))
    if not per_unit:
        return np.full(_width(units), np.nan)
    return np.mean(per_unit, axis=0)


def trendability(units: Sequence[np.ndarray], length: int | None = None) -> np.ndarray:
    """Per column, the smallest \\|correlation\\| between two units' resampled series.

    Every unit of at least 2 cycles is resampled to ``length`` points (default:
    the shortest such unit's length) by linear interpolation over its own
    life; a pair whose correlation is undefined (a constant series) counts as
    0. Each column's correlations are matrix products over blocks of units,
    so memory stays near ``_BLOCK`` numbers whatever the fleet's size.
    """
    units = [_as_2d(u) for u in units if len(u) >= 2]
    width = _width(units)
    if len(units) < 2:
        return np.full(width, np.nan)
    length = length or min(len(u) for u in units)
    stacked = np.stack([_resample(u, length) for u in units])  # units × length × columns
    centred = stacked - stacked.mean(axis=1, keepdims=True)
    norm = np.sqrt((centred**2).sum(axis=1))  # units × columns
    flat = norm <= 1e-12 * np.sqrt(length) * (np.abs(stacked).max(axis=1) + 1.0)
    scaled = centred / np.where(flat, 1.0, norm)[:, None, :]
    scaled[np.broadcast_to(flat[:, None, :], scaled.shape)] = 0.0  # correlation 0 with anything
    n = len(units)
    rows = max(1, _BLOCK // n)
    out = np.ones(width)
    for c in range(width):
        series = scaled[:, :, c]
        for start in range(0, n, rows):
            corr = np.abs(series[start : start + rows] @ series.T)
            corr[np.arange(len(corr)), np.arange(start, start + len(corr))] = np.inf
            out[c] = np.minimum(out[c], corr.min())  # NaN (a missing value) stays NaN
    return out.clip(0.0, 1.0)


#: Correlations computed at once by :func:`trendability` (units per block × units).
_BLOCK = 4_000_000


def prognosability(units: Sequence[np.ndarray]) -> np.ndarray:
    """Per column, exp(−std(failure values) / mean \\|first value − failure value\\|)."""
    units = [_as_2d(u) for u in units if len(u)]
    if len(units) < 2:
        return np.full(_width(units), np.nan)
    first = np.stack([u[0] for u in units])
    last = np.stack([u[-1] for u in units])
    spread = last.std(axis=0, ddof=1)
    travel = np.abs(first - last).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.exp(-spread / travel)
    return np.where(travel > 0, score, 0.0)


# --------------------------------------------------------------- on a fleet
def sensor_scores(
    fleet: Fleet,
    columns: Sequence[str] | None = None,
    conditions: np.ndarray | None = None,
    eps: float = 1e-8,
) -> pd.DataFrame:
    """The three scores of every sensor of ``fleet`` (its failed units): one row per sensor.

    Columns ``sensor``, ``monotonicity``, ``trendability``, ``prognosability``
    (NaN where a score cannot be computed), in ``columns`` order (default: the
    fleet's sensor columns). ``conditions``: each row's operating condition
    (e.g. :meth:`OperatingConditions.assign`); with more than one condition the
    values are z-scored per condition first. ``attrs["scored_on"]`` says on
    what, in words. Qt-free, for the CLI's summary, the report and the GUI.
    """
    columns = list(fleet.sensor_columns if columns is None else columns)
    values = fleet.frame[columns].to_numpy(np.float64)
    k = 1 if conditions is None else len(np.unique(conditions))
    if conditions is not None and k > 1:
        values = condition_zscores(values, conditions, eps)
    units = _unit_series(fleet, values)
    table = pd.DataFrame({"sensor": columns})
    for name, score in (
        ("monotonicity", monotonicity),
        ("trendability", trendability),
        ("prognosability", prognosability),
    ):
        table[name] = score(units) if units else np.nan
    how = f"z-scored per operating condition ({k})" if k > 1 else "sensor values as recorded"
    table.attrs["scored_on"] = f"{len(units)} failed fitting units, {how}"
    table.attrs["units"] = len(units)
    return table


def condition_zscores(values: np.ndarray, conditions: np.ndarray, eps: float) -> np.ndarray:
    """Each row z-scored with its condition's mean and population std (as ConditionNormaliser).

    A sensor constant within a condition (std below 1e-9 of its level) is 0
    there, not its rounding error divided by ``eps``: set-point sensors of
    multi-condition fleets (C-MAPSS FD002's s1, s5, s18, s19) would otherwise
    turn into noise that jumps with the regime and scores like a signal.
    """
    out = np.empty_like(values, dtype=np.float64)
    for c in np.unique(conditions):
        rows = conditions == c
        block = values[rows]
        mean, std = block.mean(axis=0), block.std(axis=0)
        varies = std > 1e-9 * (np.abs(mean) + 1.0)
        out[rows] = np.where(varies, (block - mean) / (std + eps), 0.0)
    return out


def rank_sensors(
    scores: pd.DataFrame, by: str, keep: int
) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """The ``keep`` best sensors by the score ``by``, and why every other was left out.

    Ranked highest first, NaN last, ties in table order. Returns the kept
    sensors in table order, the dropped ones with their reason
    ("ranked 9th of 14 by prognosability (0.412); the best 8 kept") and each
    sensor's rank (1 = best).
    """
    if by not in SCORES:
        raise ValueError(f"sensors are ranked by one of {', '.join(SCORES)}, not {by!r}")
    values = scores[by].to_numpy(np.float64)
    order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
    names = scores["sensor"].tolist()
    rank = {names[i]: r + 1 for r, i in enumerate(order)}
    kept = [name for name in names if rank[name] <= keep]
    dropped = {
        name: f"ranked {ordinal(rank[name])} of {len(names)} by {by} "
        f"({format_score(value)}); the best {keep} kept"
        for name, value in zip(names, values, strict=True)
        if rank[name] > keep
    }
    return kept, dropped, rank


def scores_record(scores: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Sensor → {score: value}, NaN as None: JSON-ready and comparable."""
    return {
        str(row["sensor"]): {
            name: None if not math.isfinite(row[name]) else float(row[name]) for name in SCORES
        }
        for _, row in scores.iterrows()
    }


def format_scores(rows: Sequence[dict], used: Sequence[str] = ()) -> list[str]:
    """Aligned text lines of a scores table (``rows``: dicts with ``sensor`` and the scores)."""
    if not rows:
        return []
    width = max(6, *(len(str(r["sensor"])) for r in rows))
    lines = [f"  {'sensor':<{width}}  " + "  ".join(f"{s:>14}" for s in SCORES)]
    for row in rows:
        mark = " *" if row["sensor"] in used else ""
        cells = "  ".join(f"{format_score(row.get(s)):>14}" for s in SCORES)
        lines.append(f"  {row['sensor']!s:<{width}}  {cells}{mark}")
    return lines


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ------------------------------------------------------------------ helpers
def _unit_series(fleet: Fleet, values: np.ndarray) -> list[np.ndarray]:
    """One array per failed unit (rows in cycle order, as the fleet keeps them)."""
    codes, ids = pd.factorize(fleet.frame[UNIT], sort=False)
    failed = np.array([unit not in fleet.suspended for unit in ids], dtype=bool)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
    return [
        values[order[bounds[i] : bounds[i + 1]]]
        for i in range(len(ids))
        if failed[i] and bounds[i + 1] > bounds[i]
    ]


def _resample(values: np.ndarray, length: int) -> np.ndarray:
    """``values`` (n × columns) linearly interpolated at ``length`` evenly spaced points."""
    n = len(values)
    if n == 1:
        return np.repeat(values, length, axis=0)
    position = np.linspace(0.0, n - 1, length)
    low = np.minimum(position.astype(np.int64), n - 2)
    weight = (position - low)[:, None]
    return values[low] * (1.0 - weight) + values[low + 1] * weight


def _as_2d(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return array[:, None] if array.ndim == 1 else array


def _width(units: Sequence[np.ndarray]) -> int:
    return _as_2d(units[0]).shape[1] if len(units) else 0


def format_score(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    return "< 0.001" if abs(value) < 0.001 else f"{value:.3f}"
