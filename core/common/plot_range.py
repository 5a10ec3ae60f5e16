"""Which reference levels share an axis with the curves they are read against.

A baseline without epochs (``gbm``, ``weibull``) is drawn as a level across
the validation curves. One near them (the trees) belongs on their axis; one
far off (the age-only Weibull's RMSE, twice the networks') would flatten the
curves into a strip, so the GUI and the report name it instead of drawing it.
One rule for both.
"""

from __future__ import annotations


def within_reach(level: float, low: float, high: float) -> bool:
    """Whether ``level`` lies within the curves' span ``[low, high]`` widened by that span on
    either side."""
    reach = high - low
    return low - reach <= level <= high + reach
