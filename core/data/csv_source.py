"""Reader of users' own run-to-failure CSV logs (plant historian exports).

A file needs a header row, a unit id column, a numeric time/cycle column and
numeric sensor columns; operating settings and ignored columns are optional
and columns may come in any order. Roles are detected from names (see
:mod:`core.data.columns`) unless the user maps them. Everything wrong with the
file is a :class:`~core.errors.DataError` naming file, line and column;
survivable oddities become :class:`~core.errors.DataWarning` on the fleet
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

from core.data.columns import (
    ROW_ORDER,
    ColumnMapping,
    detect_columns,
    detect_roles,
    resolve_columns,
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
from core.errors import DataError, DataWarning

__all__ = [
    "ColumnMapping",
    "CsvPreview",
    "ValidationReport",
    "detect_columns",
    "preview_csv",
    "read_fleet_csv",
    "read_truth_csv",
    "validate_csv",
]

PREVIEW_DETECTION_ROWS = 200
T = TypeVar("T")


def read_fleet_csv(
    path: str | Path,
    mapping: ColumnMapping | None = None,
    run_to_failure: bool = True,
    name: str | None = None,
    reference: pd.DataFrame | None = None,
) -> Fleet:
    """Read a fleet from a CSV file with a header row.

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
    unit = _located(text, lambda: unit_column(text.header, mapping))
    check_field_counts(text)
    frame = parse_rows(text, {text.header.index(unit)})
    columns, notes = _located(
        text, lambda: resolve_columns(text.header, frame, mapping, decimal=text.decimal)
    )
    return _build_fleet(text, frame, columns, notes, run_to_failure, name, reference)


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
) -> Fleet:
    # resolve_columns always names the unit and time columns (or raises DataError).
    assert columns.unit is not None and columns.time is not None
    settings, sensors = list(columns.settings), list(columns.sensors or ())
    _check_canonical_names(text, settings + sensors)
    units = unit_ids(frame[columns.unit], text, columns.unit)
    cycles, values = _cycles_and_readings(frame, units, columns.time, settings + sensors, text)
    order = unit_order(units, cycles, text, columns.time)
    ids = units.iloc[order].reset_index(drop=True)
    readings = values[order]
    found = [DataWarning(reason, str(text.path), None, column) for column, reason in notes]
    found += repair_absurd(
        readings,
        settings + sensors,
        ids.to_numpy(),
        str(text.path),
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
    )


def _cycles_and_readings(
    frame: pd.DataFrame, units: pd.Series, time: str, names: list[str], text: CsvText
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cycle (the time column's, or its place in its unit) and its readings."""
    if time == ROW_ORDER:
        return row_order_cycles(units), numeric_block(frame, names, text)
    values = numeric_block(frame, [time, *names], text)
    return as_cycles(values[:, 0]), values[:, 1:]


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
    return [DataWarning(problem, str(text.path), int(text.line_numbers[first]), None)]


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
