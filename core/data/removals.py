"""Removal records: which training units failed and which were suspended.

In a real fleet most engines never fail in service: they are removed for
scheduled maintenance, a life limit or a lease return, or are still flying.
A reliability engineer calls them *suspensions* (right-censored units): their
last record is not a failure, so taking it as one labels every window of the
unit with a RUL that is too short. A removals log (one row per unit: the unit,
when it was removed, and why) says which is which. Which reasons mean failure
is detected from words (failure, unscheduled, ...) and can be set by the user.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.common.errors import DataError
from core.data.columns import NUMERIC, UNIT_HINTS, column_kind, hint_score, name_tokens
from core.data.csv_format import CsvText, read_csv_text
from core.data.csv_table import check_field_counts, parse_rows, show_id, show_number, to_numbers
from core.data.fleet import CYCLE, UNIT, Fleet

#: Words of a removal reason that mean the unit failed (checked before the suspension words,
#: so "unscheduled" is a failure although it contains "scheduled").
FAILURE_WORDS = (
    "fail",
    "failed",
    "failure",
    "unscheduled",
    "unplanned",
    "breakdown",
    "broken",
    "fault",
    "defect",
    "ifsd",
    "aog",
    "malfunction",
    "damage",
)
#: Words that mean the unit was removed (or is still running) before it failed.
SUSPENSION_WORDS = (
    "scheduled",
    "planned",
    "suspension",
    "suspended",
    "preventive",
    "maintenance",
    "overhaul",
    "llp",
    "life limit",
    "lease",
    "upgrade",
    "retired",
    "in service",
    "running",
    "censored",
)
REASON_HINTS = ("reason", "removal_reason", "cause", "event", "status", "type", "outcome")
TIME_HINTS = ("csn", "tsn", "cycle", "cycles", "hours", "time", "at_removal", "removal")


@dataclass(frozen=True)
class Removal:
    """One unit's removal record: failed or not, when (in the fleet's time unit), and where."""

    unit: object
    failed: bool
    reason: str
    time: float | None
    line: int


def read_removals(
    path: str | Path, failure_reasons: tuple[str, ...] = (), time_column: str | None = None
) -> list[Removal]:
    """Every record of a removals file (``unit, [time or date,] reason``).

    ``failure_reasons`` (words, case-insensitive) overrides which reasons mean
    failure: a reason containing one of them is a failure, any other a
    suspension. ``time_column`` is the fleet's time column name, used to pick
    the removal time in the same unit (``CSN_at_removal`` for ``CSN``).

    Raises
    ------
    DataError
        No unit or reason column, a reason that is neither a failure nor a
        suspension word, or a unit recorded twice, naming the line and column.
    """
    text = read_csv_text(path)
    check_field_counts(text)
    frame = parse_rows(text, set(range(len(text.header))))
    unit_col = _column(text, UNIT_HINTS, "unit id", "an id column named like unit, esn or serial")
    reason_col = _column(text, REASON_HINTS, "removal reason", "a column named reason or cause")
    time_col = _time_column(text, frame, time_column, {unit_col, reason_col})
    times = None if time_col is None else to_numbers(frame[time_col], text.decimal)
    records: list[Removal] = []
    seen: dict[object, int] = {}
    for i, (unit_text, reason) in enumerate(zip(frame[unit_col], frame[reason_col], strict=True)):
        unit = _unit_value(str(unit_text).strip())
        line = int(text.line_numbers[i])
        if unit in seen:
            raise text.fail(
                f"unit {show_id(unit)} has two removal records (also line {seen[unit]})",
                i,
                column=unit_col,
                hint="one record per unit: the removal that ended the history in the fleet files",
            )
        seen[unit] = line
        failed = _is_failure(str(reason).strip(), failure_reasons, text, i, reason_col)
        time = None if times is None or not np.isfinite(times[i]) else float(times[i])
        records.append(Removal(unit, failed, str(reason).strip(), time, line))
    return records


def _column(text: CsvText, hints: tuple[str, ...], role: str, looked_for: str) -> str:
    scored = [(score, i, n) for i, n in enumerate(text.header) if (score := hint_score(n, hints))]
    if not scored:
        raise DataError(
            f"no {role} column in the removals file",
            file=str(text.path),
            row=text.header_line,
            hint=f"looked for {looked_for}; columns are: {', '.join(text.header)}",
        )
    return min(scored)[2]


def _time_column(
    text: CsvText, frame: pd.DataFrame, fleet_time: str | None, taken: set[str]
) -> str | None:
    """A numeric removal-time column in the fleet's time unit (shares a word with its name)."""
    wanted = set(name_tokens(fleet_time)) if fleet_time else set()
    for name in text.header:
        if name in taken or column_kind(frame[name], text.decimal) != NUMERIC:
            continue
        if wanted & set(name_tokens(name)) or (not wanted and hint_score(name, TIME_HINTS)):
            return name
    return None


def _unit_value(text: str) -> object:
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else text


def _is_failure(
    reason: str, failure_reasons: tuple[str, ...], text: CsvText, index: int, column: str
) -> bool:
    words = reason.lower().replace("_", " ").replace("-", " ")
    if failure_reasons:
        return any(word.lower() in words for word in failure_reasons)
    if any(re.search(rf"\b{re.escape(w)}", words) for w in FAILURE_WORDS):
        return True
    if any(re.search(rf"\b{re.escape(w)}", words) for w in SUSPENSION_WORDS):
        return False
    raise text.fail(
        f"removal reason '{reason[:40]}' says neither failure nor suspension",
        index,
        column=column,
        hint="say which reasons mean failure with --failure-reasons (e.g. failure,unscheduled); "
        "every other reason is then a suspension",
    )


def apply_removals(fleet: Fleet, records: list[Removal], path: str | Path) -> Fleet:
    """``fleet`` with its suspended units marked, after checking the records against it.

    Raises
    ------
    DataError
        A record naming a unit that is not in the fleet, a unit without a
        record, or a removal time before the unit's last record.
    """
    path = str(path)
    by_unit = {record.unit: record for record in records}
    ids = {_key(unit): unit for unit in fleet.unit_ids}
    unknown = [r for r in records if _key(r.unit) not in ids]
    if unknown:
        raise DataError(
            f"unit {show_id(unknown[0].unit)} is not in the fleet"
            + (f" ({len(unknown) - 1} more unknown units)" if len(unknown) > 1 else ""),
            file=path,
            row=unknown[0].line,
            hint="the removals file names units by the fleet's unit ids (or file names)",
        )
    keyed = {_key(unit): record for unit, record in by_unit.items()}
    missing = [unit for key, unit in ids.items() if key not in keyed]
    if missing:
        raise DataError(
            f"{len(missing)} unit(s) of the fleet have no removal record, e.g. "
            + ", ".join(show_id(u) for u in missing[:5]),
            file=path,
            hint="add a row for each; an engine still in service is a suspension "
            "(reason 'in service')",
        )
    _check_times(fleet, keyed, ids, path)
    suspended = frozenset(ids[key] for key, record in keyed.items() if not record.failed)
    return dataclasses.replace(
        fleet, suspended=suspended, status_source=f"removals file {Path(path).name}"
    )


def _key(unit: object) -> str:
    return str(unit).strip()


def _check_times(fleet: Fleet, keyed: dict, ids: dict, path: str) -> None:
    """A removal cannot come before the unit's last record (when its time is in the same unit)."""
    last = fleet.frame.groupby(UNIT, sort=False)[CYCLE].max()
    for key, record in keyed.items():
        if record.time is None:
            continue
        end = float(last[ids[key]])
        if record.time < end - 1e-9:
            raise DataError(
                f"unit {show_id(ids[key])} was removed at {show_number(record.time)}, before its "
                f"last record at {show_number(end)}",
                file=path,
                row=record.line,
                hint="check the removal time, or whether records after the removal "
                "belong to another unit",
            )
