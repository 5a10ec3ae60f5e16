"""Sliding windows over units, stored as one array of rows plus window end indices.

A window set never materialises the (n_windows, W, F) tensor: it keeps the
(padded) rows once and the index of each window's last row, so memory grows
with rows, not rows x W. :meth:`WindowSet.view` returns a true numpy view of
one window; :meth:`WindowSet.batch` gathers a batch (the only copy made), and
the trainer does the same gather on the device.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class WindowSet:
    """Windows of length ``window`` ending at ``ends`` in ``rows``.

    Attributes
    ----------
    rows
        (n_rows, F) float32 normalised features; units are contiguous and a unit
        shorter than the window is front-padded by repeating its first row.
    ends
        Index into ``rows`` of each window's last row.
    window
        Window length W.
    rul, rul_uncapped, health
        Labels of each window (those of its last cycle).
    unit
        Index of each window's unit into ``unit_ids``.
    cycle
        The original cycle number at each window's end.
    unit_ids
        The user's unit ids.
    censored
        Per window, True when its RUL label is only a lower bound: the window
        belongs to a suspended unit (removed before failure) and the time it
        still ran is below the RUL cap. ``None`` when no window is censored
        (every fleet without suspensions), so such fleets train exactly as
        before. A censored window's health label is certain only when it is
        ``normal`` (the lower bound is already above the degrading threshold).
    """

    rows: np.ndarray
    ends: np.ndarray
    window: int
    rul: np.ndarray
    rul_uncapped: np.ndarray
    health: np.ndarray
    unit: np.ndarray
    cycle: np.ndarray
    unit_ids: tuple
    censored: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ends)

    @property
    def n_features(self) -> int:
        return self.rows.shape[1]

    @property
    def n_units(self) -> int:
        return len(np.unique(self.unit))

    @property
    def censored_mask(self) -> np.ndarray:
        """:attr:`censored` as a boolean array (all False when nothing is censored)."""
        if self.censored is None:
            return np.zeros(len(self.ends), dtype=bool)
        return self.censored

    @property
    def starts(self) -> np.ndarray:
        return self.ends - (self.window - 1)

    def view(self, i: int) -> np.ndarray:
        """Window ``i`` as a (W, F) view into :attr:`rows` (no copy)."""
        end = int(self.ends[i])
        return self.rows[end - self.window + 1 : end + 1]

    def batch(self, index: np.ndarray) -> np.ndarray:
        """Windows ``index`` gathered into a (len(index), W, F) array."""
        offsets = np.arange(self.window)
        return self.rows[self.starts[index][:, None] + offsets]

    def select(self, mask_or_index: np.ndarray) -> WindowSet:
        """The windows picked by a boolean mask or an index array (rows are shared)."""
        return replace(
            self,
            ends=self.ends[mask_or_index],
            rul=self.rul[mask_or_index],
            rul_uncapped=self.rul_uncapped[mask_or_index],
            health=self.health[mask_or_index],
            unit=self.unit[mask_or_index],
            cycle=self.cycle[mask_or_index],
            censored=None if self.censored is None else self.censored[mask_or_index],
        )

    def join(self, other: WindowSet) -> WindowSet:
        """These windows and ``other``'s as one set (a refit trains on train and validation).

        Rows are stacked, so ``other``'s ends and unit indices are shifted; the two
        sets must hold different units of one window length and feature list.
        """
        if other.window != self.window or other.n_features != self.n_features:
            raise ValueError("only window sets of one window length and feature list join")
        return WindowSet(
            rows=np.concatenate([self.rows, other.rows]),
            ends=np.r_[self.ends, other.ends + len(self.rows)],
            window=self.window,
            rul=np.r_[self.rul, other.rul],
            rul_uncapped=np.r_[self.rul_uncapped, other.rul_uncapped],
            health=np.r_[self.health, other.health],
            unit=np.r_[self.unit, other.unit + len(self.unit_ids)],
            cycle=np.r_[self.cycle, other.cycle],
            unit_ids=(*self.unit_ids, *other.unit_ids),
            censored=_joined_censoring(self, other),
        )

    def last_of_each_unit(self) -> np.ndarray:
        """Boolean mask of each unit's last window (windows are ordered by unit, then cycle).

        The one place that knows the ordering: per-engine predictions, test
        metrics and :meth:`last_windows` all pick their rows with it.
        """
        return np.r_[self.unit[1:] != self.unit[:-1], True]

    def last_windows(self) -> WindowSet:
        """One window per unit: the one that ends at its last recorded cycle."""
        return self.select(self.last_of_each_unit())

    def of_unit(self, unit_index: int) -> WindowSet:
        """Every window of one unit (a per-engine trajectory)."""
        return self.select(self.unit == unit_index)


def _joined_censoring(first: WindowSet, second: WindowSet) -> np.ndarray | None:
    if first.censored is None and second.censored is None:
        return None
    return np.r_[first.censored_mask, second.censored_mask]


def build_windows(
    features: np.ndarray,
    unit_codes: np.ndarray,
    cycles: np.ndarray,
    rul: np.ndarray,
    rul_uncapped: np.ndarray,
    health: np.ndarray,
    unit_ids: tuple,
    window: int,
    censored: np.ndarray | None = None,
) -> WindowSet:
    """Windows of stride 1 over contiguous units, front-padding short units.

    ``unit_codes`` must be contiguous runs (all rows of a unit together, in
    cycle order). A unit of length L >= W yields L - W + 1 windows; a shorter
    unit is padded to W by repeating its first row and yields one window.
    ``censored`` marks the rows whose RUL is only a lower bound (``None``: none).
    """
    n_rows = len(unit_codes)
    first = np.r_[True, unit_codes[1:] != unit_codes[:-1]] if n_rows else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.r_[starts, n_rows])
    pad = np.maximum(window - lengths, 0)
    repeat = np.ones(n_rows, dtype=np.int64)
    repeat[starts] += pad
    source = np.repeat(np.arange(n_rows), repeat)
    rows = np.ascontiguousarray(features[source], dtype=np.float32)
    padded_lengths = lengths + pad
    padded_starts = np.r_[0, np.cumsum(padded_lengths)[:-1]].astype(np.int64)
    position = np.arange(len(source)) - np.repeat(padded_starts, padded_lengths)
    ends = np.flatnonzero(position >= window - 1)
    origin = source[ends]
    return WindowSet(
        rows=rows,
        ends=ends,
        window=window,
        rul=rul[origin].astype(np.float32),
        rul_uncapped=rul_uncapped[origin].astype(np.float32),
        health=health[origin].astype(np.int64),
        unit=unit_codes[origin].astype(np.int64),
        cycle=cycles[origin],
        unit_ids=tuple(unit_ids),
        censored=None if censored is None or not censored.any() else censored[origin],
    )
