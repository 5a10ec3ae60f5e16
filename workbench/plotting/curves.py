"""Growing buffers for live curves, and the smoothed line drawn over noisy probes.

A live curve gains a point every step for hours. Re-allocating a numpy array
per point (``np.append``) is quadratic; a Python list must be converted on
every redraw. :class:`GrowingSeries` keeps one preallocated array that doubles
when full, so appending is amortised O(1) and a redraw hands pyqtgraph a view
of the filled part without copying (the pattern of pyqtgraph's
``examples/scrollingPlots.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

#: First allocation of a series; doubled each time it fills up.
INITIAL_CAPACITY = 256


class GrowingSeries:
    """A 1-D float series that grows by appending, backed by a doubling buffer.

    Parameters
    ----------
    capacity
        Initial number of slots; the buffer doubles when it fills.
    dtype
        Element type (float64 by default, so NaN marks a missing value).
    """

    def __init__(self, capacity: int = INITIAL_CAPACITY, dtype: type = np.float64) -> None:
        self._data: np.ndarray = np.empty(max(int(capacity), 1), dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        """Slots allocated now (at least ``len(self)``)."""
        return self._data.size

    def append(self, value: float) -> None:
        """Add one value at the end."""
        if self._size == self._data.size:
            self._reserve(self._size + 1)
        self._data[self._size] = value
        self._size += 1

    def extend(self, values: Iterable[float]) -> None:
        """Add many values at the end with one copy."""
        items = values if hasattr(values, "__len__") else list(values)
        array = np.asarray(items, dtype=self._data.dtype).reshape(-1)
        end = self._size + array.size
        if end > self._data.size:
            self._reserve(end)
        self._data[self._size : end] = array
        self._size = end

    def view(self) -> np.ndarray:
        """The filled part as a read-only view (no copy); valid until the next growth."""
        out = self._data[: self._size]
        out.flags.writeable = False
        return out

    def last(self) -> float:
        """The newest value (NaN when empty)."""
        return float(self._data[self._size - 1]) if self._size else math.nan

    def clear(self) -> None:
        """Forget every value but keep the allocation (a new run is about as long)."""
        self._size = 0

    def _reserve(self, needed: int) -> None:
        """Double the capacity until ``needed`` fits, keeping the data."""
        capacity = self._data.size
        while capacity < needed:
            capacity *= 2
        grown = np.empty(capacity, dtype=self._data.dtype)
        grown[: self._size] = self._data[: self._size]
        self._data = grown


class SmoothedSeries:
    """Raw values and their exponential moving average, updated one value at a time.

    The smoothed value is ``s_n = (1 - w) x_n + w s_{n-1}`` with ``s_0 = x_0``
    (TensorBoard's "smoothing" weight ``w``). With ``log=True`` the average is
    taken over ``log10(x)`` and mapped back, a geometric mean: on a log axis it
    runs through the middle of the cloud and one spike of 1e4 does not drag it
    for the next hundred steps. Non-finite (or, in log mode, non-positive)
    values are kept in the raw series but skipped by the average.

    Parameters
    ----------
    weight
        Smoothing weight in [0, 1); 0 means no smoothing.
    log
        Average in log10 space (for positive quantities shown on a log axis).
    """

    def __init__(self, weight: float = 0.9, log: bool = False) -> None:
        self.raw = GrowingSeries()
        self.smooth = GrowingSeries()
        self.log = log
        self._weight = _check_weight(weight)
        self._state = math.nan

    @property
    def weight(self) -> float:
        """The smoothing weight in force."""
        return self._weight

    def append(self, value: float) -> None:
        """Add a raw value and its smoothed counterpart."""
        self.raw.append(value)
        self.smooth.append(self._step(float(value)))

    def set_weight(self, weight: float) -> None:
        """Change the smoothing and recompute the whole smoothed line from the raw values."""
        self._weight = _check_weight(weight)
        raw = self.raw.view().copy()
        self.smooth.clear()
        self._state = math.nan
        for value in raw:
            self.smooth.append(self._step(float(value)))

    def clear(self) -> None:
        """Forget every value."""
        self.raw.clear()
        self.smooth.clear()
        self._state = math.nan

    def _step(self, value: float) -> float:
        """Fold one value into the running average; return the average in data units."""
        usable = math.isfinite(value) and (value > 0 or not self.log)
        if usable:
            x = math.log10(value) if self.log else value
            if math.isnan(self._state):
                self._state = x
            else:
                self._state = (1.0 - self._weight) * x + self._weight * self._state
        if math.isnan(self._state):
            return math.nan
        return 10.0**self._state if self.log else self._state


def ema(values: np.ndarray, weight: float, log: bool = False) -> np.ndarray:
    """The smoothed line :class:`SmoothedSeries` draws for ``values`` (for tests and exports)."""
    series = SmoothedSeries(weight, log)
    for value in np.asarray(values, dtype=float):
        series.append(value)
    return series.smooth.view().copy()


def _check_weight(weight: float) -> float:
    """A weight of 1 would freeze the line at its first value, so refuse it."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    return float(weight)
