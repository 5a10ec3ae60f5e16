"""Reader of users' own run-to-failure CSV logs (plant historian exports).

A file needs a header row, a unit id column, a numeric time/cycle column and
numeric sensor columns; operating settings and ignored columns are optional
and columns may come in any order. Roles are detected from names (see
:mod:`core.data.columns`) unless the user maps them. Everything wrong with the
file is a :class:`~core.common.errors.DataError` naming file, line and column;
survivable oddities become :class:`~core.common.errors.DataWarning` on the fleet
(absurd readings such as 1e30 are also replaced, see :mod:`core.data.outliers`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from core.common.errors import DataError, DataWarning
from core.data.columns import (
    NUMERIC,
    ROW_ORDER,
    ColumnMapping,
    column_kind,
    detect_columns,
    detect_roles,
    resolve_columns,
    time_unit_of,
    unit_column,
)
from core.data.csv_format import CsvText, read_csv_text
from core.data.csv_table import (
    as_cycles,
    check_field_counts,
    numeric_block,
    parse_rows,
    row_order_cycles,
    show_id,
    unit_ids,
    unit_order,
)
from core.data.csv_truth import read_truth_csv
from core.data.fleet import CYCLE, UNIT, Fleet
from core.data.outliers import repair_absurd
from core.data.time_axis import PER_CYCLE_RULES, TIME_UNITS, looks_like_dates
from core.data.time_rows import reduce_per_cycle, timestamp_hours

__all__ = [
    "FILE_NAME_UNIT",
    "ColumnMapping",
    "CsvPreview",
    "ReadOptions",
    "ValidationReport",
    "detect_columns",
    "fleet_from_text",
    "preview_csv",
    "read_fleet_csv",
    "read_truth_csv",
    "validate_csv",
]

PREVIEW_DETECTION_ROWS = 200
T = TypeVar("T")
#: The unit "column" of a file that holds one unit and has no id column: the file's name.
FILE_NAME_UNIT = "(file name)"


@dataclass(frozen=True)
class ReadOptions:
    """How to read time and units beyond the column roles.

    Attributes
    ----------
    per_cycle
        ``mean`` or ``last``: several rows of one (unit, time) become one row,
        the mean of the cycle's records or its last record. ``None``: every
        time value must appear once per unit (a repeated one is an error).
    time_unit
        ``cycles`` or ``hours``; ``None`` guesses it from the time column's
        name (hours for ``TSN``, ``flight_hours``, a timestamp).
    file_unit
        The unit id of a file with no unit column (one file per unit in a
        folder): usually the file's name without its extension.
    """

    per_cycle: str | None = None
    time_unit: str | None = None
    file_unit: str | None = None

    def __post_init__(self) -> None:
        if self.per_cycle is not None and self.per_cycle not in PER_CYCLE_RULES:
            raise DataError(
                f"unknown per-cycle rule '{self.per_cycle}'",
                hint=f"use one of {', '.join(PER_CYCLE_RULES)}",
            )
        if self.time_unit is not None and self.time_unit not in TIME_UNITS:
            raise DataError(
                f"unknown time unit '{self.time_unit}'", hint=f"use one of {', '.join(TIME_UNITS)}"
            )


def read_fleet_csv(
    path: str | Path,
    mapping: ColumnMapping | None = None,
    run_to_failure: bool = True,
    name: str | None = None,
    reference: pd.DataFrame | None = None,
    options: ReadOptions | None = None,
) -> Fleet:
    """Read a fleet from a CSV (or Parquet) file with a header row.

    Parameters
    ----------
    path
        The CSV file (``,`` ``;`` or tab separated; decimal comma allowed;
        UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252).
    mapping
        Explicit column roles; fields left ``None``/empty are detected.
    run_to_failure
        True for training fleets (every unit ends at failure), False for
        in-service fleets cut before failure.
    name
        Name of the fleet; defaults to the path.
    reference
        The training fleet's frame, for an in-service file: a unit with no
        plausible reading in a column gets the training median there.
    options
        Time unit, per-cycle reduction and the unit of a one-unit file.

    Returns
    -------
    Fleet
        Canonical frame: ``unit``, ``cycle``, settings, sensors; rows sorted by
        unit (first appearance) then cycle.

    Raises
    ------
    DataError
        For any problem with the file, naming its line and column.
    """
    text = read_csv_text(path)
    return fleet_from_text(text, mapping, run_to_failure, name, reference, options)


def fleet_from_text(
    text: CsvText,
    mapping: ColumnMapping | None = None,
    run_to_failure: bool = True,
    name: str | None = None,
    reference: pd.DataFrame | None = None,
    options: ReadOptions | None = None,
    row_units: np.ndarray | None = None,
) -> Fleet:
    """:func:`read_fleet_csv` on text already read; ``row_units`` names each row's unit
    when the unit comes from file names (several files read as one table)."""
    options = options or ReadOptions()
    unit = _located(text, lambda: _unit_or_file(text.header, mapping, options, row_units))
    check_field_counts(text)
    frame = parse_rows(text, {text.header.index(unit)} if unit in text.header else set())
    header = list(text.header)
    if unit == FILE_NAME_UNIT:
        frame[unit] = row_units if row_units is not None else str(options.file_unit)
        header.insert(0, unit)
        mapping = dataclasses.replace(mapping or ColumnMapping(), unit=unit)
    columns, notes = _located(
        text, lambda: resolve_columns(header, frame, mapping, decimal=text.decimal)
    )
    return _build_fleet(text, frame, columns, notes, run_to_failure, name, reference, options)


def _unit_or_file(
    header: list[str],
    mapping: ColumnMapping | None,
    options: ReadOptions,
    row_units: np.ndarray | None = None,
) -> str:
    """The unit column, or the file's name when the file holds one unit and has no id column."""
    named = options.file_unit is not None or row_units is not None
    if named and (mapping is None or mapping.unit in (None, FILE_NAME_UNIT)):
        try:
            return unit_column(header, mapping)
        except DataError:
            return FILE_NAME_UNIT
    return unit_column(header, mapping)


def _located(text: CsvText, detect: Callable[[], T]) -> T:
    """Column detection knows the header only; add the file and the header's line."""
    try:
        return detect()
    except DataError as exc:
        raise _in_file(text, exc) from None


def _in_file(text: CsvText, error: DataError) -> DataError:
    row = None if error.row is None else text.header_line
    return dataclasses.replace(error, file=str(text.path), row=row)


def _build_fleet(
    text: CsvText,
    frame: pd.DataFrame,
    columns: ColumnMapping,
    notes: list[tuple[str, str]],
    run_to_failure: bool,
    name: str | None,
    reference: pd.DataFrame | None = None,
    options: ReadOptions | None = None,
) -> Fleet:
    # resolve_columns always names the unit and time columns (or raises DataError).
    assert columns.unit is not None and columns.time is not None
    options = options or ReadOptions()
    settings, sensors = list(columns.settings), list(columns.sensors or ())
    _check_canonical_names(text, settings + sensors)
    units = unit_ids(frame[columns.unit], text, columns.unit)
    cycles, values, is_timestamp = _cycles_and_readings(
        frame, units, columns.time, settings + sensors, text
    )
    if options.per_cycle is not None:
        units, cycles, values, text = reduce_per_cycle(
            units, cycles, values, options.per_cycle, text, columns.time
        )
    order = unit_order(units, cycles, text, columns.time)
    ids = units.iloc[order].reset_index(drop=True)
    readings = values[order]
    found = [DataWarning(reason, str(text.path), None, column) for column, reason in notes]
    found += repair_absurd(
        readings,
        settings + sensors,
        ids.to_numpy(),
        (lambda row: text.file_at(int(order[row]))) if text.files else str(text.path),
        text.line_numbers[order],
        reference,
    )
    canonical = pd.DataFrame(readings, columns=settings + sensors)
    canonical.insert(0, CYCLE, cycles[order])
    canonical.insert(0, UNIT, ids)
    if run_to_failure:
        found += _single_row_units(units, text)
    return Fleet(
        name=name or str(text.path),
        frame=canonical,
        sensor_columns=sensors,
        setting_columns=settings,
        run_to_failure=run_to_failure,
        warnings=found,
        time_unit=options.time_unit or time_unit_of(columns.time, is_timestamp),
    )


def _cycles_and_readings(
    frame: pd.DataFrame, units: pd.Series, time: str, names: list[str], text: CsvText
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each row's time and readings, and whether the time came from text timestamps.

    The time is the time column's number, the hours since the unit's first
    record for a column of dates and times, or the row's place in its unit
    for :data:`ROW_ORDER`.
    """
    if time == ROW_ORDER:
        return row_order_cycles(units), numeric_block(frame, names, text), False
    if column_kind(frame[time], text.decimal) != NUMERIC:
        if not looks_like_dates(frame[time]):
            raise DataError(
                "the time column holds text that is neither numbers nor dates",
                file=str(text.path),
                row=text.header_line,
                column=time,
                hint="choose a cycle or hours column (e.g. CSN, TSN), or a column of dates "
                "and times such as 2024-03-01 14:05",
            )
        hours = timestamp_hours(frame[time], units, text, time)
        return as_cycles(hours), numeric_block(frame, names, text), True
    values = numeric_block(frame, [time, *names], text)
    return as_cycles(values[:, 0]), values[:, 1:], False


def _check_canonical_names(text: CsvText, names: list[str]) -> None:
    for reserved in (UNIT, CYCLE):
        if reserved in names:
            raise DataError(
                f"a setting or sensor column is named '{reserved}', the name the reader "
                f"gives the {'unit id' if reserved == UNIT else 'time'} column",
                file=str(text.path),
                row=text.header_line,
                column=reserved,
                hint="rename it in the header, or leave it out with --ignore-cols",
            )


def _single_row_units(units: pd.Series, text: CsvText) -> list[DataWarning]:
    """A run-to-failure unit seen at a single cycle carries no degradation history."""
    counts = units.map(units.value_counts())
    lonely = np.flatnonzero(counts.to_numpy() == 1)
    if lonely.size == 0:
        return []
    first = int(lonely[0])
    problem = (
        f"{lonely.size} unit(s) have a single row, e.g. unit {show_id(units.iloc[first])}; "
        "a run-to-failure unit needs its history up to failure"
    )
    return [DataWarning(problem, text.file_at(first), int(text.line_numbers[first]), None)]


@dataclass
class CsvPreview:
    """What an import dialog shows before reading a file: never raises, it reports.

    Attributes
    ----------
    path
        The file.
    encoding, delimiter, decimal
        What was detected (``None`` when the file could not be read that far).
    header
        Column names.
    rows
        The first rows as strings, columns named by the header.
    mapping
        Detected column roles, ``None`` when the file could not be read that
        far; a role detection could not find (unit, time) is ``None`` and
        ``problem`` says what to do, the other roles are still shown.
    problem
        The first problem found in the previewed part, if any.
    warnings
        Columns that detection left out, and why.
    """

    path: Path
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    header: list[str] = field(default_factory=list)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    mapping: ColumnMapping | None = None
    problem: DataError | None = None
    warnings: list[DataWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def preview_csv(
    path: str | Path, n_rows: int = 20, mapping: ColumnMapping | None = None
) -> CsvPreview:
    """Dialect, header, first ``n_rows`` rows and detected mapping of a CSV file.

    Checks the whole file's line structure but detects column roles on the
    first few hundred rows only; :func:`validate_csv` checks every value.
    """
    preview = CsvPreview(Path(path))
    try:
        text = read_csv_text(path)
        preview.encoding, preview.delimiter = text.encoding, text.delimiter
        preview.decimal, preview.header = text.decimal, list(text.header)
        preview.rows = _string_rows(text, n_rows)
        check_field_counts(text)
        sample = _string_rows(text, max(n_rows, PREVIEW_DETECTION_ROWS))
        detected = _located(
            text, lambda: detect_roles(text.header, sample, mapping, decimal=text.decimal)
        )
    except DataError as exc:
        preview.problem = exc
        return preview
    preview.mapping = detected.mapping
    preview.warnings = [DataWarning(reason, str(path), None, n) for n, reason in detected.notes]
    if detected.problem is not None:
        preview.problem = _in_file(text, detected.problem)
    return preview


def _string_rows(text: CsvText, n_rows: int) -> pd.DataFrame:
    width = len(text.header)
    rows = [(text.fields(i) + [""] * width)[:width] for i in range(min(n_rows, len(text.rows)))]
    return pd.DataFrame(rows, columns=list(text.header), dtype=str)


@dataclass
class ValidationReport:
    """Outcome of checking a CSV file: the first error, if any, and the warnings."""

    errors: list[DataError] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)
    fleet: Fleet | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_csv(
    path: str | Path, mapping: ColumnMapping | None = None, run_to_failure: bool = True
) -> ValidationReport:
    """Read the whole file as :func:`read_fleet_csv` would, collecting instead of raising."""
    try:
        fleet = read_fleet_csv(path, mapping, run_to_failure)
    except DataError as exc:
        return ValidationReport(errors=[exc])
    return ValidationReport(warnings=list(fleet.warnings), fleet=fleet)
