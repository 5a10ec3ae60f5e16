"""Absurd sensor readings: finding them, replacing them, and saying where they were.

A value such as 1e30 in a sensor column is a number, so a reader cannot reject
it, yet it is almost always a logging fault (a spike, a sentinel, a wrong
unit). Left in place it would dominate its column's mean and standard
deviation and squash every other reading to zero after normalisation. Both
readers (CSV and C-MAPSS) therefore treat an absurd cell like a missing
reading: they report it with its file, line and column, and replace it by the
unit's neighbouring reading before anything is fitted on the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.common.errors import DataWarning
from core.data.csv_table import show_id

ABSURD_MAGNITUDE = 1e12
ABSURD_DEVIATIONS = 1e6
ABSURD_FLOOR = 1e6  # smaller readings are never absurd for being far from the median
STATISTICS_SAMPLE = 5000


def absurd_cells(values: np.ndarray) -> np.ndarray:
    """Mask of the absurd cells of a finite float matrix (rows x columns).

    Absurd: beyond 1e12 in magnitude, or beyond 1e6 in magnitude and more than
    a million robust deviations (median absolute deviation) from the column
    median. The 1e6 floor is there because flagged cells are replaced: in a
    nearly constant column, a rare genuine excursion to, say, 1.0 is far from
    the median in robust deviations, yet it is a plain reading and must stay.
    The floor also keeps clean files cheap: one comparison, no statistics.
    """
    size = np.abs(values)
    absurd = size > ABSURD_FLOOR  # only these can be absurd: most files stop here
    if not absurd.any():
        return absurd
    columns = np.flatnonzero(absurd.any(axis=0))
    absurd[:, columns] &= (size[:, columns] > ABSURD_MAGNITUDE) | _far(values[:, columns])
    return absurd


def _far(values: np.ndarray) -> np.ndarray:
    """More than a million robust deviations from the column median (mean deviation where
    the median absolute deviation is zero)."""
    sample = values[:: max(1, len(values) // STATISTICS_SAMPLE)]
    with np.errstate(all="ignore"):
        median = np.median(sample, axis=0)
        mad = np.median(np.abs(sample - median), axis=0)
        deviation = np.abs(values - median)
        scale = np.where(mad > 0, mad, deviation.mean(axis=0))
        return (deviation > ABSURD_DEVIATIONS * scale) & (scale > 0)


def repair_absurd(
    values: np.ndarray,
    names: list[str],
    units: np.ndarray,
    file: str | Callable[[int], str],
    line_numbers: np.ndarray | Callable[[], np.ndarray],
    reference: pd.DataFrame | None = None,
) -> list[DataWarning]:
    """Replace the absurd cells of ``values`` in place, one warning per column affected.

    Parameters
    ----------
    values
        Settings and sensors, rows grouped by unit and in cycle order.
    names
        Column names of ``values``.
    units
        Unit id of each row (for the neighbours and for the messages).
    file
        The file, for the warnings, or a function giving the file of a row
        (a fleet folder read as one table).
    line_numbers
        File line of each row, or a function that computes them (only called
        when something absurd is found, so clean files never pay for it).
    reference
        Training frame whose column medians fill units that have no plausible
        reading at all; ``None`` uses the medians of ``values`` itself.
    """
    absurd = absurd_cells(values)
    if not absurd.any():
        return []
    lines = line_numbers() if callable(line_numbers) else line_numbers
    found = []
    for j in np.flatnonzero(absurd.any(axis=0)):
        rows = np.flatnonzero(absurd[:, j])
        first = int(rows[np.argmin(lines[rows])])
        where = (file(first) if callable(file) else file, int(lines[first]), names[j])
        shown = f"{values[first, j]:.6g} (unit {show_id(units[first])})"
        fallback = _fallback(values[:, j], absurd[:, j], reference, names[j])
        orphans = _fill_from_neighbours(values[:, j], absurd[:, j], units, fallback[0])
        found.append(_warning(len(rows), shown, units[orphans], fallback[1], where))
    return found


def _neighbours(bad: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Row holding the replacement of each row: the nearest earlier good row of the same unit,
    else the nearest later one, else -1 (the unit has no good row)."""
    n = len(bad)
    index = np.arange(n)
    starts = np.r_[True, units[1:] != units[:-1]]
    ends = np.r_[units[1:] != units[:-1], True]
    unit_start = np.maximum.accumulate(np.where(starts, index, 0))
    unit_end = np.minimum.accumulate(np.where(ends, index, n - 1)[::-1])[::-1]
    before = np.maximum.accumulate(np.where(bad, -1, index))
    after = np.minimum.accumulate(np.where(bad, n, index)[::-1])[::-1]
    return np.where(before >= unit_start, before, np.where(after <= unit_end, after, -1))


def _fill_from_neighbours(
    column: np.ndarray, bad: np.ndarray, units: np.ndarray, fallback: float
) -> np.ndarray:
    """Replace ``column[bad]`` in place, as a missing reading; return the rows filled by
    ``fallback`` because their unit had no good reading."""
    rows = np.flatnonzero(bad)
    source = _neighbours(bad, units)[rows]
    column[rows[source >= 0]] = column[source[source >= 0]]
    orphans = rows[source < 0]
    column[orphans] = fallback
    return orphans


def _fallback(
    column: np.ndarray, bad: np.ndarray, reference: pd.DataFrame | None, name: str
) -> tuple[float, str]:
    """Value for a unit with no plausible reading, and how to name it in the warning.

    The training data's column median keeps in-service units on the training
    scale; a training file is its own reference.
    """
    if reference is not None and name in reference.columns and len(reference):
        median = float(np.median(reference[name].to_numpy(np.float64)))
        return median, f"the column's median over the training data ({median:.6g})"
    good = column[~bad]
    if len(good):
        median = float(np.median(good))
        return median, f"the column's median in this file ({median:.6g})"
    return 0.0, "0, as the column has no plausible reading at all"


def _warning(
    count: int, shown: str, orphans: np.ndarray, fallback: str, where: tuple[str, int, str]
) -> DataWarning:
    """Says what was found, where first, and what replaced it, so the message stays true."""
    problem = (
        f"{count} absurd value(s), first {shown}: beyond 1e12, or beyond 1e6 and a million "
        "robust deviations from the column median; treated as missing readings and replaced "
        "by the unit's neighbouring reading"
    )
    if len(orphans):
        units = pd.unique(pd.Series(orphans, dtype=object))
        named = ", ".join(show_id(u) for u in units[:5]) + (" ..." if len(units) > 5 else "")
        problem += f", or by {fallback} for unit(s) {named} (no plausible reading of their own)"
    return DataWarning(problem + "; check the sensor and its units", *where)
