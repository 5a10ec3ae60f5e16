"""Time as engineers record it: cycles or hours since new, text timestamps, many rows a cycle.

Maintenance systems count an engine's life in cycles since new (``CSN``) or
hours since new (``TSN``), and historians stamp each record with a date and
time. Every RUL the workbench reports is in the unit of the chosen time
column, so this module says which unit that is (:func:`time_unit_of`), turns
a text timestamp column into elapsed hours from each unit's first record
(:func:`timestamp_hours`), and reduces several records of one cycle (per-second
flight data) to one row by a rule the user chooses (:func:`reduce_per_cycle`).
"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from core.data.csv_format import MISSING_TOKENS

#: Units every RUL can be in.
CYCLES = "cycles"
HOURS = "hours"
TIME_UNITS = (CYCLES, HOURS)
#: How several rows of one (unit, cycle) become one: the cycle's mean, or its last record.
PER_CYCLE_RULES = ("mean", "last")

#: Words of a column name that say it counts hours (``TSN_h``, ``flight_hours``, ``FH``).
HOUR_WORDS = frozenset({"hours", "hour", "hrs", "hr", "h", "tsn", "fh", "tso"})
#: Age columns a maintenance system exports beside the time column; never sensors.
AGE_HINTS = (
    "csn",
    "cycles_since_new",
    "cso",
    "cycles_since_overhaul",
    "tsn",
    "time_since_new",
    "hours_since_new",
    "tso",
    "time_since_overhaul",
    "flight_hours",
    "flight_cycles",
)
#: A calendar date inside a cell: 2024-03-01, 01/03/2024, 1.3.24 (a time alone is not enough).
_DATE_PART = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
#: Share of a text column's filled cells that must read as dates for it to be a timestamp.
_DATE_SHARE = 0.9


def looks_like_dates(values: pd.Series) -> bool:
    """Whether most filled cells of a text column parse as dates and times."""
    text = values.astype(str).str.strip()
    filled = text[~text.str.lower().isin(MISSING_TOKENS)]
    if filled.empty or pd.to_numeric(filled, errors="coerce").notna().mean() > 0.5:
        return False
    if filled.str.contains(_DATE_PART).mean() < _DATE_SHARE:
        return False  # a time of day alone ("10:00") says nothing about the days between records
    return bool(parse_dates(filled).notna().mean() >= _DATE_SHARE)


def parse_dates(cells: pd.Series) -> pd.Series:
    """Cells as UTC times (NaT where unreadable); the format is inferred once per column."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' "could not infer format" advice
        try:
            return pd.to_datetime(cells, errors="coerce", utc=True)
        except (ValueError, TypeError, OverflowError):
            return pd.to_datetime(cells, errors="coerce", utc=True, format="mixed")
