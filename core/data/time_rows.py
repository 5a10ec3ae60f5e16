"""A file's time values as the reader needs them: timestamps as hours, one row per cycle.

The rules and names are in :mod:`core.data.time_axis`; this module applies
them to parsed rows and points at the file's lines when something is wrong.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.csv_format import CsvText
from core.data.csv_table import show_id, show_number
from core.data.time_axis import PER_CYCLE_RULES, parse_dates


def timestamp_hours(column: pd.Series, units: pd.Series, text: CsvText, name: str) -> np.ndarray:
    """Hours elapsed from each unit's first record, from a column of text timestamps.

    Spacing may be irregular. A cell that is not a date is an error naming
    its line; a timestamp going backwards is caught, like any time value, by
    the reader's order check.
    """
    times = parse_dates(column.astype(str).str.strip())
    bad = times.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raw = str(column.iloc[i]).strip()
        raise text.fail(
            f"'{raw[:40]}' is not a date and time" if raw else "missing timestamp",
            i,
            column=name,
            hint="write every timestamp the same way, e.g. 2024-03-01 14:05:00",
        )
    seconds = (times - times.groupby(units.to_numpy(), sort=False).transform("first")).dt
    return seconds.total_seconds().to_numpy(np.float64) / 3600.0


def reduce_per_cycle(
    units: pd.Series, cycles: np.ndarray, values: np.ndarray, rule: str, text: CsvText, name: str
) -> tuple[pd.Series, np.ndarray, np.ndarray, CsvText]:
    """One row per (unit, cycle): the mean of the cycle's rows, or its last row.

    Rows come back grouped by unit (first appearance) in time order, with a
    :class:`CsvText` whose lines are each cycle's last record, so later checks
    still point at real lines. Within a unit the time may repeat but never go
    back; a step back is an error naming both lines.
    """
    if rule not in PER_CYCLE_RULES:
        raise DataError(
            f"unknown per-cycle rule '{rule}'", hint=f"use one of {', '.join(PER_CYCLE_RULES)}"
        )
    codes = pd.factorize(units, sort=False)[0]
    order = np.argsort(codes, kind="stable")
    same_unit = codes[order][1:] == codes[order][:-1]
    back = same_unit & (cycles[order][1:] < cycles[order][:-1])
    if back.any():
        k = int(np.flatnonzero(back)[0])
        raise _went_back(units, cycles, text, name, int(order[k + 1]), int(order[k]))
    new_group = np.r_[True, ~same_unit | (cycles[order][1:] != cycles[order][:-1])]
    starts = np.flatnonzero(new_group)
    lasts = order[np.r_[starts[1:], len(order)] - 1]
    if rule == "mean":
        sums = np.add.reduceat(values[order], starts, axis=0) if len(order) else values[:0]
        reduced = sums / np.diff(np.r_[starts, len(order)])[:, None]
    else:
        reduced = values[lasts]
    kept = replace(
        text,
        rows=[text.rows[i] for i in lasts],
        line_numbers=text.line_numbers[lasts],
        file_of_row=None if text.file_of_row is None else text.file_of_row[lasts],
    )
    return units.iloc[lasts].reset_index(drop=True), cycles[lasts], reduced, kept


def _went_back(units, cycles, text: CsvText, name: str, row: int, previous: int) -> DataError:
    return text.fail(
        f"unit {show_id(units.iloc[row])}: time goes back from {show_number(cycles[previous])} "
        f"(line {int(text.line_numbers[previous])}) to {show_number(cycles[row])}",
        row,
        column=name,
        hint="within a unit, records must be in time order; sort the file by unit and time",
    )
