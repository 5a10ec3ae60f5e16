"""Calibrated RUL intervals: split-conformal on the validation units, by predicted RUL.

Every prediction gets an interval ``[pred + q_low, pred + q_high]`` meant to hold
the true (capped) RUL with the chosen coverage (default 90 %). The offsets come
from the residuals ``true - pred`` of the kept model on the **validation
units** — held out from training, never the test set — in bins of the predicted
RUL, because the residuals spread more far from failure than near it and are
skewed at the cap (a healthy engine's truth sits at the cap while predictions
scatter below it). Per bin, ``q_low`` and ``q_high`` are the residuals' lower and
upper ``(1 - coverage) / 2`` quantiles with split-conformal's finite-sample
correction (rank ``ceil((n + 1) p)`` of ``n``), so each bin's interval covers
at least the nominal share of its calibration residuals.

Assumptions, which docs/intervals.md spells out: the validation units and the
engines predicted are exchangeable (same fleet, same operating regime), and a
unit's windows count as separate calibration points although they are
correlated — the guarantee is about windows like the validation ones, not
about any single engine. The empirical test coverage is therefore reported
beside the nominal one (``interval_coverage`` in metrics.json), never assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Equal-count bins of the predicted RUL (fewer when there are few validation windows).
BINS = 5
#: Calibration residuals a bin needs at least (otherwise fewer bins are used).
MIN_PER_BIN = 30


@dataclass(frozen=True)
class RulIntervals:
    """Interval offsets by bin of predicted RUL.

    Attributes
    ----------
    coverage
        The nominal share of true RULs an interval should hold (0.9: 90 %).
    edges
        Inner bin edges on the predicted RUL (``len(low) - 1`` of them).
    low, high
        Offsets added to the prediction in each bin (``low <= 0 <= high`` typically).
    """

    coverage: float
    edges: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    def bounds(self, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower (never below 0) and upper bound of each prediction."""
        pred = np.asarray(pred, dtype=np.float64)
        where = np.searchsorted(np.asarray(self.edges), pred, side="right")
        lower = np.maximum(pred + np.asarray(self.low)[where], 0.0)
        return lower, pred + np.asarray(self.high)[where]

    def to_dict(self) -> dict:
        return {"coverage": self.coverage, "edges": list(self.edges), "low": list(self.low),
                "high": list(self.high), "method": "split-conformal by predicted RUL"}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> RulIntervals:
        return cls(float(data["coverage"]), tuple(map(float, data["edges"])),
                   tuple(map(float, data["low"])), tuple(map(float, data["high"])))  # fmt: skip


def calibrate(pred: np.ndarray, true: np.ndarray, coverage: float = 0.9) -> RulIntervals:
    """Interval offsets from validation predictions and their true (capped) RUL."""
    if not 0 < coverage < 1:
        raise ValueError(f"interval coverage must be between 0 and 1, got {coverage}")
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    keep = np.isfinite(pred) & np.isfinite(true)
    pred, residual = pred[keep], (true - pred)[keep]
    if len(pred) == 0:
        raise ValueError("no validation predictions to calibrate intervals on")
    bins = max(1, min(BINS, len(pred) // MIN_PER_BIN))
    edges = np.quantile(pred, np.linspace(0, 1, bins + 1)[1:-1]) if bins > 1 else np.array([])
    # Tied predictions (many at the cap) repeat a quantile and leave a bin empty:
    # drop the upper edge of every empty bin, merging it into the next.
    counts = np.bincount(np.searchsorted(edges, pred, side="right"), minlength=len(edges) + 1)
    edges = edges[counts[:-1] > 0]
    bins = len(edges) + 1
    where = np.searchsorted(edges, pred, side="right")
    tail = (1 - coverage) / 2
    low, high = [], []
    for b in range(bins):
        r = np.sort(residual[where == b])
        low.append(float(r[_rank(len(r), tail, from_top=False)]))
        high.append(float(r[_rank(len(r), tail, from_top=True)]))
    return RulIntervals(coverage, tuple(map(float, edges)), tuple(low), tuple(high))


def _rank(n: int, tail: float, from_top: bool) -> int:
    """Index of the conformal quantile in ``n`` sorted residuals (finite-sample corrected)."""
    k = min(n, math.ceil((n + 1) * (1 - tail)))  # k-th smallest of the upper tail
    return k - 1 if from_top else n - k


def empirical(lower: np.ndarray, upper: np.ndarray, true: np.ndarray) -> dict:
    """Share of true RULs inside their intervals, and the intervals' mean width."""
    inside = (true >= lower) & (true <= upper)
    return {"interval_coverage": float(np.mean(inside)),
            "interval_width": float(np.mean(upper - lower))}  # fmt: skip
