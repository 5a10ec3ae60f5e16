"""Per-window summary features of each sensor: last value, mean and slope over the window.

Computed from running sums over the window set's rows, so no (windows, W, F)
array is built: memory grows with rows, as for the networks' windows.
"""

from __future__ import annotations

import numpy as np

from core.data.windows import WindowSet

#: The summaries, in the order of the feature columns (for each: one column per sensor).
SUMMARIES = ("last", "mean", "slope")


def window_features(windows: WindowSet) -> np.ndarray:
    """(n_windows, 3 F) float64: every feature's last value, mean and least-squares slope.

    The slope is per cycle over the window's ``W`` rows (front-padded rows of a
    short unit included, as the networks see them):
    ``sum_t (t - tbar) x_t / sum_t (t - tbar)^2`` with ``t = 0..W-1``.
    """
    rows = windows.rows.astype(np.float64)
    width = windows.window
    index = np.arange(len(rows), dtype=np.float64)[:, None]
    sums = np.vstack([np.zeros((1, rows.shape[1])), np.cumsum(rows, axis=0)])
    weighted = np.vstack([np.zeros((1, rows.shape[1])), np.cumsum(index * rows, axis=0)])
    ends = windows.ends.astype(np.int64)
    starts = ends - (width - 1)
    total = sums[ends + 1] - sums[starts]
    moment = weighted[ends + 1] - weighted[starts]  # sum of r x_r over the window's rows r
    centre = starts[:, None] + (width - 1) / 2.0
    spread = width * (width**2 - 1) / 12.0
    slope = (moment - centre * total) / spread if width > 1 else np.zeros_like(total)
    return np.hstack([rows[ends], total / width, slope])
