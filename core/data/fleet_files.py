"""A fleet stored as one file per engine: a folder (or a glob) of CSV or Parquet files.

Maintenance systems export an engine's records to a file named after its
serial. The folder is read file by file with the CSV reader (so every message
names its file, line and column); the first file's resolved columns are used
for all the others, so every engine has the same features. A file with no
unit column takes its unit id from its name. One bad file does not hide the
others: every file is read, and all the problems are reported together.
"""

from __future__ import annotations

import dataclasses
import glob
from pathlib import Path

import numpy as np
import pandas as pd

from core.common.errors import DataError, DataWarning
from core.data.columns import ColumnMapping, unit_column
from core.data.csv_format import PARQUET_SUFFIXES, CsvText, read_csv_text, split_line
from core.data.csv_source import (
    FILE_NAME_UNIT,
    ReadOptions,
    fleet_from_text,
    preview_csv,
    read_fleet_csv,
)
from core.data.csv_table import show_id
from core.data.fleet import UNIT, Fleet

#: File name endings a fleet folder is read from.
FLEET_SUFFIXES = (".csv", ".txt", ".tsv", *PARQUET_SUFFIXES)
#: Problems listed in one message before the rest are counted.
_SHOWN = 8


class FleetFilesError(DataError):
    """Several files of a folder could not be read; each has its own :class:`DataError`."""

    def __init__(self, location: str, errors: list[DataError], n_files: int) -> None:
        self.errors = errors
        listed = "; ".join(error.message for error in errors[:_SHOWN])
        more = f"; and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
        super().__init__(
            f"{len(errors)} of {n_files} files could not be read: {listed}{more}",
            file=location,
            hint="fix or move these files; the others were read without problems",
        )


def is_many_files(location: str | Path) -> bool:
    """Whether a source path names a folder or a glob pattern rather than one file."""
    text = str(location)
    return Path(text).is_dir() or glob.has_magic(text)


def fleet_files(location: str | Path) -> list[Path]:
    """The fleet's files, sorted by name: every CSV/Parquet file of a folder, or a glob's matches.

    Raises
    ------
    DataError
        When the folder does not exist or nothing in it is a fleet file.
    """
    text = str(location)
    if Path(text).is_dir():
        found = [p for p in Path(text).iterdir() if p.suffix.lower() in FLEET_SUFFIXES]
        what = f"no {', '.join(FLEET_SUFFIXES)} files in this folder"
    else:
        found = [Path(p) for p in glob.glob(text) if Path(p).is_file()]
        what = "no file matches this pattern"
        if not glob.has_magic(text) and not Path(text).exists():
            raise DataError("folder not found", file=text, hint="check the path")
    if not found:
        raise DataError(what, file=text, hint="name a folder of one file per unit, or one file")
    return sorted(found, key=lambda p: p.name)


def unit_from_file_name(path: Path) -> str:
    """The unit id a file without a unit column stands for: its name without the extension."""
    return path.name[: -len("".join(path.suffixes))] if path.suffixes else path.name


def read_fleet_files(
    location: str | Path,
    mapping: ColumnMapping | None = None,
    run_to_failure: bool = True,
    reference: pd.DataFrame | None = None,
    options: ReadOptions | None = None,
) -> Fleet:
    """One fleet from a folder or glob of per-unit files (a single file is read as before).

    The first file that reads decides the columns (unit, time, settings,
    sensors) every other file is read with; each file's unit id comes from its
    unit column or, without one, from its name.

    Raises
    ------
    DataError
        A single bad file's own error; :class:`FleetFilesError` when several are
        bad; a unit found in two files.
    """
    options = options or ReadOptions()
    paths = fleet_files(location)
    together = _read_as_one_table(paths, str(location), mapping, run_to_failure, reference, options)
    if together is not None:
        return together
    fleets: list[Fleet] = []
    errors: list[DataError] = []
    resolved = mapping
    for path in paths:
        file_options = dataclasses.replace(options, file_unit=unit_from_file_name(path))
        try:
            fleet = read_fleet_csv(path, resolved, run_to_failure, None, reference, file_options)
        except DataError as exc:
            errors.append(exc)
            continue
        if not fleets:
            resolved = columns_as_read(path, mapping, fleet, FILE_NAME_UNIT)
        fleets.append(fleet)
    if errors:
        raise errors[0] if len(errors) == 1 else FleetFilesError(str(location), errors, len(paths))
    return _joined(fleets, str(location))


def _read_as_one_table(
    paths: list[Path],
    location: str,
    mapping: ColumnMapping | None,
    run_to_failure: bool,
    reference: pd.DataFrame | None,
    options: ReadOptions,
) -> Fleet | None:
    """The files read as one table when they share a header and dialect (the usual export).

    One parse, one detection and one set of checks for the whole folder, so a
    folder of 100 engines costs about what the same rows in one file cost.
    Every message still names the file and line (:attr:`CsvText.file_of_row`).
    ``None`` when the files differ in layout or any problem is found: the
    file-by-file reader then reports every bad file, not only the first.
    """
    try:
        texts = [read_csv_text(path) for path in paths]
    except DataError:
        return None
    first = texts[0]
    if any(
        (t.header, t.delimiter, t.decimal) != (first.header, first.delimiter, first.decimal)
        for t in texts
    ):
        return None
    which = np.repeat(np.arange(len(texts)), [len(t.rows) for t in texts])
    combined = dataclasses.replace(
        first,
        path=Path(location),
        rows=[row for t in texts for row in t.rows],
        line_numbers=np.concatenate([t.line_numbers for t in texts]),
        files=tuple(str(p) for p in paths),
        file_of_row=which,
    )
    names = np.array([unit_from_file_name(p) for p in paths], dtype=object)[which]
    if _unit_in_two_files(texts, mapping):
        return None
    try:
        fleet = fleet_from_text(
            combined, mapping, run_to_failure, location, reference, options, row_units=names
        )
    except DataError:
        return None
    return fleet


def _unit_in_two_files(texts: list[CsvText], mapping: ColumnMapping | None) -> bool:
    """Whether a unit id column holds one id in two files (the file reader then says which)."""
    try:
        column = unit_column(texts[0].header, mapping)
    except DataError:
        return False  # no unit column: every file is its own unit
    k = texts[0].header.index(column)
    seen: set[str] = set()
    for text in texts:
        ids = {split_line(row, text.delimiter)[k].strip() for row in text.rows}
        if ids & seen:
            return True
        seen |= ids
    return False


def columns_as_read(
    path: Path, mapping: ColumnMapping | None, fleet: Fleet, no_unit: str | None = None
) -> ColumnMapping:
    """The columns ``fleet`` was read with from ``path``, to read other files the same way.

    The user's roles, the detected unit and time (``no_unit`` when the file has
    no unit column), and exactly the fleet's settings and sensors. Used for a
    folder's other files and for the in-service files of a training source.
    """
    detected = preview_csv(path, mapping=mapping).mapping
    user = mapping or ColumnMapping()
    return dataclasses.replace(
        user,
        unit=user.unit or (detected.unit if detected and detected.unit else no_unit),
        time=user.time or (detected.time if detected else None),
        settings=tuple(fleet.setting_columns),
        sensors=tuple(fleet.sensor_columns),
    )


def _joined(fleets: list[Fleet], location: str) -> Fleet:
    """The files' fleets as one, checking that no unit appears in two files."""
    seen: dict[object, str] = {}
    for fleet in fleets:
        for unit in fleet.unit_ids:
            if unit in seen:
                raise DataError(
                    f"unit {show_id(unit)} is in two files (also in {seen[unit]})",
                    file=fleet.name,
                    column=UNIT,
                    hint="one file per unit, or give each unit its own id",
                )
            seen[unit] = fleet.name
    first = fleets[0]
    return Fleet(
        name=location,
        frame=pd.concat([f.frame for f in fleets], ignore_index=True),
        sensor_columns=list(first.sensor_columns),
        setting_columns=list(first.setting_columns),
        run_to_failure=first.run_to_failure,
        warnings=_merged_warnings(fleets),
        time_unit=first.time_unit,
    )


def _merged_warnings(fleets: list[Fleet]) -> list[DataWarning]:
    """Each file's warnings, with one said of every file (an ignored column) said once."""
    merged: dict[tuple, tuple[DataWarning, int]] = {}
    for fleet in fleets:
        for warning in fleet.warnings:
            key = (warning.problem, warning.column) if warning.row is None else (warning,)
            first, count = merged.get(key, (warning, 0))
            merged[key] = (first, count + 1)
    out = []
    for warning, count in merged.values():
        if count > 1:
            warning = dataclasses.replace(warning, problem=f"{warning.problem} (in {count} files)")
        out.append(warning)
    return out
