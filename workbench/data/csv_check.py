"""Checking a user's CSV for the import dialog, and the report the user reads before accepting.

The check is a plain function (it runs on a background thread) that reads
the whole file as training or prediction would, so what the dialog accepts
is what the engine can read. The report is HTML for the dialog's text view:
errors first, with their line and column, then warnings, then a summary of
what was read, so the user can tell at a glance whether the columns are right.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.common.errors import DataError, DataWarning
from core.data.columns import ROW_ORDER, ColumnMapping, detect_roles, resolve_columns
from core.data.config import PreprocessConfig
from core.data.csv_source import (
    FILE_NAME_UNIT,
    PREVIEW_DETECTION_ROWS,
    CsvPreview,
    ReadOptions,
    ValidationReport,
    preview_csv,
    read_truth_csv,
    validate_csv,
)
from core.data.fleet import Fleet, FleetPair
from core.data.fleet_files import (
    FleetFilesError,
    fleet_files,
    is_many_files,
    unit_from_file_name,
)
from core.data.holdout import hold_out_test
from core.data.prepare import NO_TEST_SPLIT, short_unit_warnings
from core.data.sources import SourceSpec, read_fleet, read_in_service, read_training_fleet
from workbench.data.gui_hints import gui_wording
from workbench.plotting.style import MUTED, STATE_COLOURS, WARNING

RUN_TO_FAILURE, IN_SERVICE = "run_to_failure", "in_service"
ERROR_COLOUR = STATE_COLOURS["critical"]
WARNING_COLOUR = WARNING
OK_COLOUR = STATE_COLOURS["normal"]
_MISSING_ROLE = "A column role is missing: choose it under Columns, then press Check."
#: Names listed in the summary before "... (N in all)".
LISTED_NAMES = 12


@dataclass(frozen=True)
class CsvImport:
    """What the user accepted in the dialog.

    Attributes
    ----------
    path
        The CSV (or Parquet) file, or the folder of one file per unit.
    mapping
        Column roles as confirmed (sensors: every other numeric column).
    kind
        ``run_to_failure`` (a training fleet) or ``in_service`` (engines to predict).
    truth_path
        True-RUL file for an in-service fleet, if any.
    source
        For a run-to-failure file, the data source to train on (with the
        attached in-service file, the removals log and the time settings);
        ``None`` otherwise.
    test_units
        Units of a run-to-failure file to hold out as a test set
        (``PreprocessConfig.test_units``; 0: none).
    """

    path: Path
    mapping: ColumnMapping
    kind: str
    truth_path: Path | None = None
    source: SourceSpec | None = None
    test_units: float = 0.0


def csv_source_spec(
    path: Path,
    mapping: ColumnMapping,
    test_csv: Path | None = None,
    truth_csv: Path | None = None,
    *,
    removals: Path | None = None,
    failure_reasons: tuple[str, ...] = (),
    per_cycle: str | None = None,
    time_unit: str | None = None,
) -> SourceSpec:
    """The training source for a run-to-failure file (or folder) read with ``mapping``."""
    return SourceSpec(
        kind="csv",
        path=str(path),
        unit_col=mapping.unit,
        time_col=mapping.time,
        setting_cols=tuple(mapping.settings),
        ignore_cols=tuple(mapping.ignore),
        test_csv=None if test_csv is None else str(test_csv),
        truth_csv=None if truth_csv is None else str(truth_csv),
        removals=None if removals is None else str(removals),
        failure_reasons=tuple(failure_reasons),
        per_cycle=per_cycle,
        time_unit=time_unit,
    )


@dataclass(frozen=True)
class CheckRequest:
    """Everything a check depends on; a different request means the last check is stale.

    Attributes
    ----------
    path
        The CSV file, or a folder (or glob) of one file per unit.
    mapping
        The column roles the user confirmed (``None``/empty fields are detected).
    run_to_failure
        True for a training fleet, False for engines still in service.
    truth_path
        True-RUL file of an in-service fleet, if any.
    window
        Window length of the current data settings (shorter units are padded).
    test_units
        Units of a run-to-failure fleet held out as its test set (0: none).
    test_csv, test_truth
        An in-service file (or folder) attached to a run-to-failure fleet as
        its test set, and its true RUL.
    removals
        The removals log saying which units failed and which were suspended.
    failure_reasons
        Words of a removal reason that mean failure (empty: detected).
    per_cycle
        ``mean`` or ``last`` for several rows per cycle (``None``: not allowed).
    time_unit
        ``cycles`` or ``hours`` (``None``: from the time column's name).
    """

    path: Path
    mapping: ColumnMapping
    run_to_failure: bool
    truth_path: Path | None = None
    window: int = PreprocessConfig().window
    test_units: float = 0.0
    test_csv: Path | None = None
    test_truth: Path | None = None
    removals: Path | None = None
    failure_reasons: tuple[str, ...] = ()
    per_cycle: str | None = None
    time_unit: str | None = None

    def source(self) -> SourceSpec:
        """The data source a run-to-failure file makes as set up."""
        return csv_source_spec(
            self.path,
            self.mapping,
            self.test_csv,
            self.test_truth,
            removals=self.removals,
            failure_reasons=self.failure_reasons,
            per_cycle=self.per_cycle,
            time_unit=self.time_unit,
        )


@dataclass
class CheckOutcome:
    """What a check found: the reader's report plus what the dialog adds to it.

    Attributes
    ----------
    request
        What was checked.
    report
        Errors (a truth file's error is appended), warnings and the fleet read.
    constant
        Sensors constant over the whole file (the preprocessing drops them).
    truth_units
        Number of units the truth file matched, ``None`` without a truth file.
    test_set
        Where a run-to-failure fleet's test figures will come from, in words.
    files
        Every file of a folder (or glob) source, sorted; empty for one file.
    """

    request: CheckRequest
    report: ValidationReport
    constant: list[str] = field(default_factory=list)
    truth_units: int | None = None
    test_set: str = ""
    files: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return self.report.ok

    def failed_files(self) -> dict[str, DataError]:
        """The folder's files that could not be read, by name, with each one's (first) error."""
        names = {path.name for path in self.files}
        failed: dict[str, DataError] = {}
        for error in self.report.errors:
            name = Path(error.file).name if error.file else ""
            if name in names:
                failed.setdefault(name, error)
        return failed


@dataclass
class SourcePreview:
    """The quick look at what the user chose: one file, or a folder of one file per unit.

    Attributes
    ----------
    location
        What the user chose (a file, a folder or a glob).
    preview
        The preview of the file (a folder's first file, whose header stands
        for every file's columns).
    files
        Every file of a folder or glob, sorted; empty for one file.
    many
        Whether ``location`` names several files (a folder or a glob).
    """

    location: Path
    preview: CsvPreview
    files: tuple[Path, ...] = ()
    many: bool = False


def preview_source(location: str | Path, n_rows: int) -> SourcePreview:
    """The first rows of a file, or of a folder's first file with the folder's files listed.

    Never raises: a folder that holds no fleet file is a preview with its problem.
    """
    text = str(location)
    if not is_many_files(text):
        return SourcePreview(Path(text), preview_file(text, n_rows))
    try:
        files = tuple(fleet_files(text))
    except DataError as error:
        return SourcePreview(Path(text), CsvPreview(Path(text), problem=error), many=True)
    return SourcePreview(Path(text), preview_file(files[0], n_rows, one_unit=True), files, True)


def preview_file(path: str | Path, n_rows: int, one_unit: bool = False) -> CsvPreview:
    """The first rows and detected roles of a file, even one with a problem further down.

    :func:`preview_csv` detects nothing when a later line is broken; the roles
    are then guessed from the first rows alone, so the user still sees what
    each column is while reading what is wrong with the file. With
    ``one_unit`` (a folder of one file per unit) a file without a unit column
    takes its unit from its name, as the folder reader does.
    """
    rows = max(n_rows, PREVIEW_DETECTION_ROWS) if one_unit else n_rows
    preview = preview_csv(path, rows)
    if preview.mapping is None and preview.header and not preview.rows.empty:
        try:
            mapping, notes = resolve_columns(
                preview.header, preview.rows, decimal=preview.decimal or "."
            )
        except DataError:
            mapping, notes = None, []
        if mapping is not None:
            preview.mapping = mapping
            preview.warnings = [
                DataWarning(reason, str(path), None, name) for name, reason in notes
            ]
    if one_unit and preview.mapping is not None and preview.mapping.unit is None:
        _unit_from_file_name(preview, Path(path))
    preview.rows = preview.rows.head(n_rows)
    return preview


def _unit_from_file_name(preview: CsvPreview, path: Path) -> None:
    """Detect the roles again with the file's name as its unit column (no id column in it)."""
    header = [FILE_NAME_UNIT, *preview.header]
    sample = preview.rows.copy()
    sample.insert(0, FILE_NAME_UNIT, unit_from_file_name(path))
    mapping = ColumnMapping(unit=FILE_NAME_UNIT)
    try:
        found = detect_roles(header, sample, mapping, decimal=preview.decimal or ".")
    except DataError:
        return
    preview.mapping = found.mapping
    preview.warnings = [DataWarning(reason, str(path), None, n) for n, reason in found.notes]
    problem = found.problem
    preview.problem = None if problem is None else dataclasses.replace(problem, file=str(path))


def check_csv(request: CheckRequest) -> CheckOutcome:
    """Read the whole file or folder (and its truth file); problems are collected, never raised.

    A run-to-failure source is read by :func:`read_training_fleet`, the very
    function training reads it with (removals log and time settings included).
    """
    many = is_many_files(request.path)
    report = _read(request, many)
    files: tuple[Path, ...] = ()
    if many:
        try:
            files = tuple(fleet_files(request.path))
        except DataError:
            files = ()
    outcome = CheckOutcome(request, report, files=files)
    if report.fleet is None:
        return outcome
    report.warnings += short_unit_warnings(report.fleet, request.window)
    if request.run_to_failure:
        outcome.constant = constant_sensors(report.fleet)
        outcome.test_set = check_test_set(request, report)
    if request.truth_path is not None:
        try:
            outcome.truth_units = len(read_truth_csv(request.truth_path, report.fleet))
        except DataError as error:
            report.errors.append(error)
    return outcome


def _read(request: CheckRequest, many: bool) -> ValidationReport:
    """The fleet read as training (or prediction) will read it, or every error found."""
    if not request.run_to_failure:
        if not many:
            return validate_csv(request.path, request.mapping, False)
        options = ReadOptions(per_cycle=request.per_cycle)
        mapping = request.mapping or ColumnMapping()
        try:
            fleet = read_fleet(str(request.path), mapping, False, options)
        except FleetFilesError as error:
            return ValidationReport(errors=list(error.errors))
        except DataError as error:
            return ValidationReport(errors=[error])
        return ValidationReport(warnings=list(fleet.warnings), fleet=fleet)
    try:
        fleet = read_training_fleet(request.source())
    except FleetFilesError as error:
        return ValidationReport(errors=list(error.errors))
    except DataError as error:
        return ValidationReport(errors=[error])
    return ValidationReport(warnings=list(fleet.warnings), fleet=fleet)


def check_test_set(request: CheckRequest, report: ValidationReport) -> str:
    """Where the test figures come from, in words; an unusable choice is added to the errors.

    Held-out units and an attached file are checked by the very functions
    loading the source uses, so the dialog accepts what training can read.
    """
    assert report.fleet is not None
    try:
        if request.test_csv is not None:
            test = read_in_service(request.source(), report.fleet)
            report.warnings += short_unit_warnings(test, request.window)
            truth = "with its true RUL" if test.truth_rul is not None else "without true RUL"
            described = f"{test.n_units} units of {request.test_csv.name}, {truth}"
            return described if test.truth_rul is not None else f"{NO_TEST_SPLIT} ({described})"
        if request.test_units > 0:
            config = PreprocessConfig(test_units=request.test_units)
            pair = hold_out_test(FleetPair(report.fleet, source=str(request.path)), config)
            assert pair.test is not None
            return (
                f"{pair.test.n_units} of {report.fleet.n_units} units held out (chosen by the "
                "data seed, each cut at a random point of its life)"
            )
    except DataError as error:
        report.errors.append(error)
        return ""
    return NO_TEST_SPLIT


def constant_sensors(fleet: Fleet) -> list[str]:
    """Sensors that never change: they carry no information and training drops them."""
    tolerance = PreprocessConfig().constant_tolerance
    spread = fleet.frame[fleet.sensor_columns].std(ddof=0).to_numpy()
    return [name for name, std in zip(fleet.sensor_columns, spread, strict=True) if std < tolerance]


# ----------------------------------------------------------------- report HTML
def dialect_text(preview: CsvPreview, files: tuple[Path, ...] = ()) -> str:
    """How the file was read: encoding, separator, decimal mark, size of the preview.

    For a folder (``files``), which of its files the preview shows.
    """
    shown = f"{preview.path.name}: " if files else ""
    if files:
        shown = f"{count_files(len(files))} · first shown, {shown}"
    if preview.encoding is None:
        return f"{shown}could not be read." if files else "Could not read the file."
    if preview.encoding == "parquet":
        how = "Parquet"
    else:
        delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}.get(preview.delimiter or "", "?")
        how = f"{preview.encoding}, {delimiter} separated, decimal mark '{preview.decimal}'"
    return f"{shown}{how} · {len(preview.header)} columns · first {len(preview.rows)} rows shown"


def count_files(n: int) -> str:
    """``20 files`` (``1 file``)."""
    return f"{n} file{'s' * (n != 1)}"


def outcome_html(outcome: CheckOutcome) -> str:
    """The full report of a finished check."""
    report = outcome.report
    parts = [_headline(outcome)]
    if report.errors:
        errors = [_problem(error, show_file=True) for error in report.errors]
        parts.append(_section("Errors", ERROR_COLOUR, errors))
    notes = [_problem(warning) for warning in report.warnings]
    if outcome.constant:
        names = ", ".join(outcome.constant)
        problem = f"constant over the whole file, so training drops them: {names}"
        notes.append(_problem(DataWarning(f"{len(outcome.constant)} sensor(s) are {problem}")))
    if notes:
        parts.append(_section("Warnings", WARNING_COLOUR, notes))
    if report.fleet is not None and report.ok:
        parts.append(_summary(outcome, report.fleet))
    return "".join(parts)


def preview_html(preview: CsvPreview, files: tuple[Path, ...] = ()) -> str:
    """What the quick look at the file (a folder's first file) found, before the full check."""
    if preview.problem is not None:
        # The other roles were found: the user is one choice away, not facing a broken file.
        mapping = preview.mapping
        missing = mapping is not None and None in (mapping.unit, mapping.time)
        title = _MISSING_ROLE if missing else "Cannot read this file"
        return _headline_text(title, ERROR_COLOUR) + _section(
            "Errors", ERROR_COLOUR, [_problem(preview.problem, show_file=True)]
        )
    notes = [_problem(w) for w in preview.warnings]
    text = _headline_text("Columns detected. Confirm them, then press Check.", MUTED)
    if files:
        text += f"<p>{_folder_note(preview, files)}</p>"
    return text + (_section("Left out", WARNING_COLOUR, notes) if notes else "")


def _folder_note(preview: CsvPreview, files: tuple[Path, ...]) -> str:
    """How a folder will be read: every file with the first one's columns, and the unit ids."""
    text = (
        f"The table shows {html.escape(files[0].name)}; Check reads all "
        f"{count_files(len(files))} with its columns."
    )
    if preview.mapping is not None and preview.mapping.unit == FILE_NAME_UNIT:
        named = html.escape(unit_from_file_name(files[0]))
        text += f" The files have no unit column: each is one unit, named by its file ({named}, …)."
    return text


def message_html(title: str, message: str, colour: str = MUTED) -> str:
    """A one-off message (a check that failed unexpectedly, settings changed ...)."""
    return _headline_text(title, colour) + f"<p>{html.escape(gui_wording(message))}</p>"


def _headline(outcome: CheckOutcome) -> str:
    if not outcome.ok:
        n = len(outcome.report.errors)
        failed = len(outcome.failed_files())
        if failed:
            text = f"Cannot import: {failed} of {count_files(len(outcome.files))} could not be read"
            return _headline_text(text, ERROR_COLOUR)
        return _headline_text(f"Cannot import: {n} error{'s' * (n > 1)}", ERROR_COLOUR)
    kind = "a run-to-failure fleet" if outcome.request.run_to_failure else "an in-service fleet"
    return _headline_text(f"Ready to import as {kind}", OK_COLOUR)


def _headline_text(text: str, colour: str) -> str:
    return f"<p style='color:{colour}; font-weight:bold'>{html.escape(text)}</p>"


def _section(title: str, colour: str, items: list[str]) -> str:
    rows = "".join(items)
    return f"<p style='color:{colour}; font-weight:bold; margin-bottom:2px'>{title}</p>{rows}"


def _problem(problem: DataError | DataWarning, show_file: bool = False) -> str:
    """One error or warning: where (file, line, column) in bold, then what and what to do."""
    where = [Path(problem.file).name] if show_file and problem.file else []
    if problem.row is not None:
        where.append(f"line {problem.row}")
    if problem.column is not None:
        where.append(f"column '{problem.column}'")
    text = html.escape(gui_wording(problem.problem))
    hint = getattr(problem, "hint", None)
    if hint:
        text += f"<br><span style='color:{MUTED}'>{html.escape(gui_wording(hint))}</span>"
    located = f"<b>{html.escape(', '.join(where))}</b>: " if where else ""
    return f"<p style='margin:2px 0 4px 12px'>{located}{text}</p>"


def _summary(outcome: CheckOutcome, fleet: Fleet) -> str:
    lengths = fleet.unit_lengths()
    per_unit = "Cycles per unit" if fleet.time_unit == "cycles" else "Records per unit"
    rows = []
    if outcome.files:
        names = [path.name for path in outcome.files]
        rows.append(("Files", f"{len(names)}: {_names(names, 3)}"))
    rows.append(
        ("Units", f"{fleet.n_units} (e.g. {_names([str(u) for u in fleet.unit_ids[:3]], 3)})")
    )
    if outcome.request.run_to_failure:
        rows.append(("Failed / suspended", fleet.status_summary()))
    rows += [
        ("Rows", f"{fleet.n_rows:,}"),
        (per_unit, f"{lengths.min()} to {lengths.max()} (median {np.median(lengths):g})"),
    ]
    if outcome.request.mapping.time == ROW_ORDER:
        rows.append(("Cycles", "each unit's rows numbered 1, 2, 3 … in file order"))
    rows += [
        ("Time unit", _time_unit_text(outcome.request, fleet)),
        ("Settings", _names(fleet.setting_columns) or "none"),
        ("Sensors", f"{len(fleet.sensor_columns)}: {_names(fleet.sensor_columns)}"),
    ]
    if outcome.request.run_to_failure:
        rows.append(("Test set", outcome.test_set))
    if outcome.truth_units is not None:
        rows.append(("True RUL", f"known for all {outcome.truth_units} units"))
    elif not outcome.request.run_to_failure:
        rows.append(("True RUL", "not given (no errors will be shown)"))
    cells = "".join(
        f"<tr><td style='color:{MUTED}; padding-right:12px'>{name}</td>"
        f"<td{_emphasis(value)}>{html.escape(value)}</td></tr>"
        for name, value in rows
    )
    return f"<p style='font-weight:bold; margin-bottom:2px'>Summary</p><table>{cells}</table>"


def _time_unit_text(request: CheckRequest, fleet: Fleet) -> str:
    """The unit every RUL will be in, and whether it was chosen or read from the column name."""
    how = "as chosen" if request.time_unit else "detected"
    time = request.mapping.time
    if not request.time_unit and time and time != ROW_ORDER:
        how = f"detected from the column '{time}'"
    rows = f", several rows a cycle: {request.per_cycle}" if request.per_cycle else ""
    return f"{fleet.time_unit} ({how}{rows})"


def _emphasis(value: str) -> str:
    """A run without test figures is said in the warning colour, not in passing."""
    return f" style='color:{WARNING_COLOUR}'" if value.startswith(NO_TEST_SPLIT) else ""


def _names(names: list[str], limit: int = LISTED_NAMES) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
