"""The CSV import dialog: detected columns, the check, bad files, in-service files with truth.

Files are written from a small demo fleet with text unit ids ("ESN-001") and
historian-style column names, so the dialog sees what a user's export looks like.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from core.data.columns import ROW_ORDER, ColumnMapping
from core.data.config import PreprocessConfig
from core.data.csv_source import FILE_NAME_UNIT
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import FleetPair
from core.data.fleet_export import ExportedFleet, export_fleet
from core.data.prepare import prepare
from core.data.sources import SourceSpec, load_source
from core.data.summary import summarise
from workbench.data.csv_import import IN_SERVICE, RUN_TO_FAILURE, CsvImportDialog
from workbench.data.summary_html import summary_html

FLEET = make_demo_fleet(DemoConfig(train_units=12, test_units=6))
SETTINGS = ["op_setting_1", "op_setting_2", "op_setting_3"]
#: The line (header = 1) where the broken files break.
BAD_LINE = 18


def historian_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The fleet as a historian exports it: text ids, free names, a comment column."""
    out = frame.rename(columns={f"setting_{i}": name for i, name in enumerate(SETTINGS, 1)})
    out = out.rename(columns={"cycle": "Cycles"})
    out.insert(0, "ESN", [f"ESN-{unit:03d}" for unit in out.pop("unit")])
    out["Comment"] = "ok"
    return out


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Good, semicolon/decimal-comma, ragged, binary and in-service files (+ truth)."""
    paths = {name: tmp_path / f"{name}.csv" for name in ("good", "semicolon", "ragged", "junk")}
    train = historian_frame(FLEET.train.frame)
    train.to_csv(paths["good"], index=False)
    train.to_csv(paths["semicolon"], index=False, sep=";", decimal=",")
    lines = paths["good"].read_text().splitlines()
    lines[BAD_LINE - 1] += ",1.5"
    paths["ragged"].write_text("\n".join(lines) + "\n")
    paths["junk"].write_bytes(bytes(range(256)) * 40)
    paths["in_service"] = tmp_path / "in_service.csv"
    historian_frame(FLEET.test.frame).to_csv(paths["in_service"], index=False)
    truth = FLEET.test.truth_rul
    paths["truth"] = tmp_path / "truth.csv"
    pd.DataFrame({"ESN": [f"ESN-{u:03d}" for u in truth.index], "rul": truth.to_numpy()}).to_csv(
        paths["truth"], index=False
    )
    return paths


@pytest.fixture
def dialog(qtbot) -> CsvImportDialog:
    made = CsvImportDialog()
    qtbot.addWidget(made)  # closed at teardown, which ends its threads
    return made


def checked(dialog: CsvImportDialog, qtbot) -> bool:
    """Press Check and wait for the report."""
    with qtbot.waitSignal(dialog.checked, timeout=30_000) as blocker:
        dialog.check_button.click()
    assert blocker.args[0] == dialog.is_acceptable()
    return dialog.is_acceptable()


def ok_enabled(dialog: CsvImportDialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_a_good_file_with_text_unit_ids_shows_its_columns_and_passes(dialog, files, qtbot):
    dialog.set_path(files["good"])
    assert dialog.columns.unit_box.currentData() == "ESN"
    assert dialog.columns.time_box.currentData() == "Cycles"
    assert dialog.mapping().settings == tuple(SETTINGS)
    assert "Comment" in dialog.columns.ignored()  # text: the reader leaves it out
    model = dialog.preview_model
    assert model.data(model.index(0, 0)) == "ESN-001"
    assert model.headerData(0, Qt.Orientation.Horizontal).endswith("unit id")
    assert not ok_enabled(dialog)  # nothing accepted before a check

    assert checked(dialog, qtbot)
    assert ok_enabled(dialog)
    report = dialog.report_text()
    assert "Ready to import as a run-to-failure fleet" in report
    assert "column 'Comment'" in report
    assert "constant over the whole file" in report  # s1, s5 ... never change
    assert "12 (e.g. ESN-001" in report


def test_the_accepted_file_is_a_source_the_engine_can_train_on(dialog, files, qtbot):
    dialog.set_path(files["good"])
    assert checked(dialog, qtbot)
    accepted = dialog.result_spec()
    assert accepted.kind == RUN_TO_FAILURE and accepted.truth_path is None
    assert accepted.mapping == ColumnMapping("ESN", "Cycles", tuple(SETTINGS), ())
    assert accepted.source == SourceSpec(
        kind="csv",
        path=str(files["good"]),
        unit_col="ESN",
        time_col="Cycles",
        setting_cols=tuple(SETTINGS),
    )
    fleet = load_source(accepted.source).train
    assert fleet.n_units == 12 and fleet.setting_columns == SETTINGS


def test_a_semicolon_file_with_decimal_commas_reads_the_same_numbers(dialog, files, qtbot):
    dialog.set_path(files["semicolon"])
    assert "semicolon separated, decimal mark ','" in dialog.dialect_label.text()
    assert checked(dialog, qtbot)
    read = dialog.outcome.report.fleet.frame
    np.testing.assert_allclose(read["s2"], FLEET.train.frame["s2"])
    np.testing.assert_allclose(read[SETTINGS[0]], FLEET.train.frame["setting_1"])


def test_a_ragged_row_is_reported_with_its_line_and_the_dialog_goes_on(dialog, files, qtbot):
    dialog.set_path(files["ragged"])
    assert f"ragged.csv, line {BAD_LINE}" in dialog.report_text()
    assert dialog.columns.unit_box.currentData() == "ESN"  # roles guessed from the first rows
    assert not checked(dialog, qtbot)
    assert f"ragged.csv, line {BAD_LINE}: this line has 28 fields" in dialog.report_text()
    assert not ok_enabled(dialog) and dialog.result_spec() is None

    dialog.set_path(files["good"])  # the same dialog takes the next file
    assert checked(dialog, qtbot) and ok_enabled(dialog)


def test_a_bad_cell_is_reported_with_its_line_and_column(dialog, files, tmp_path, qtbot):
    lines = files["good"].read_text().splitlines()
    fields = lines[BAD_LINE - 1].split(",")
    fields[lines[0].split(",").index("s3")] = "n/a?"
    lines[BAD_LINE - 1] = ",".join(fields)
    path = tmp_path / "bad_cell.csv"
    path.write_text("\n".join(lines) + "\n")
    dialog.set_path(path)
    assert not checked(dialog, qtbot)
    assert f"bad_cell.csv, line {BAD_LINE}, column 's3'" in dialog.report_text()
    assert not ok_enabled(dialog)


@pytest.mark.parametrize(
    ("name", "message"),
    [("junk", "the file is not UTF-8"), ("missing", "file not found")],
)
def test_binary_junk_and_missing_files_only_produce_a_report(dialog, files, qtbot, name, message):
    path = files.get(name, files["good"].with_name("missing.csv"))
    dialog.set_path(path)
    assert message in dialog.report_text()
    assert not checked(dialog, qtbot)
    assert f"{path.name}" in dialog.report_text() and message in dialog.report_text()
    assert not ok_enabled(dialog)
    dialog.accept()  # Enter on the dialog must not slip past the check
    assert dialog.result() == 0 and dialog.result_spec() is None


def test_a_time_column_the_reader_cannot_guess_can_be_chosen(dialog, files, tmp_path, qtbot):
    path = tmp_path / "age.csv"
    historian_frame(FLEET.train.frame).rename(columns={"Cycles": "Age"}).to_csv(path, index=False)
    dialog.set_path(path)
    assert "no time/cycle column found" in dialog.report_text()
    dialog.set_time_column("Age")
    assert checked(dialog, qtbot)
    assert dialog.result_spec().source.time_col == "Age"


def test_a_changed_role_needs_a_new_check(dialog, files, qtbot):
    dialog.set_path(files["good"])
    assert checked(dialog, qtbot)
    dialog.set_setting_columns([])  # settings become sensors ... or are detected again
    dialog.set_ignored_columns(["s21"])
    assert not dialog.is_acceptable() and not ok_enabled(dialog)
    assert "Changed since the last check" in dialog.report_text()
    assert "s21" not in dialog.columns.sensor_columns()
    assert checked(dialog, qtbot)
    assert "s21" not in dialog.outcome.report.fleet.sensor_columns
    assert dialog.result_spec().source.ignore_cols == ("s21",)


def test_an_in_service_file_with_truth_passes_and_names_its_truth(dialog, files, qtbot):
    dialog.set_path(files["in_service"])
    dialog.set_in_service(True)
    assert dialog.truth_edit.isEnabled()
    dialog.set_truth_path(files["truth"])
    assert checked(dialog, qtbot)
    assert "known for all 6 units" in dialog.report_text()
    accepted = dialog.result_spec()
    assert accepted.kind == IN_SERVICE and accepted.source is None
    assert accepted.truth_path == files["truth"]


def test_a_truth_file_that_misses_units_is_an_error_naming_it(dialog, files, qtbot):
    truth = pd.read_csv(files["truth"]).iloc[:-1]
    truth.to_csv(files["truth"], index=False)
    dialog.set_path(files["in_service"])
    dialog.set_in_service(True)
    dialog.set_truth_path(files["truth"])
    assert not checked(dialog, qtbot)
    assert "truth.csv: the truth file does not match" in dialog.report_text()


def test_closing_during_a_check_ends_its_thread(dialog, files):
    dialog.set_path(files["good"])
    dialog.check()
    dialog.close()  # the thread fixture fails the test if the check's thread lives on
    assert not dialog.wait_checked(timeout_ms=100)


# ------------------------------------------------------- the user's own fleets (issue 14)
def short_unit_file(tmp_path: Path) -> Path:
    """The historian file with ESN-003 cut to 20 cycles."""
    frame = FLEET.train.frame
    path = tmp_path / "short.csv"
    historian_frame(frame[~((frame.unit == 3) & (frame.cycle > 20))]).to_csv(path, index=False)
    return path


def test_a_unit_shorter_than_the_window_gets_the_warning_training_gives(dialog, tmp_path, qtbot):
    path = short_unit_file(tmp_path)
    dialog.set_window(25)
    dialog.set_path(path)
    assert checked(dialog, qtbot)
    spec = dialog.result_spec().source
    cli = prepare(load_source(spec), PreprocessConfig(window=25)).warnings
    expected = next(w.problem for w in cli if "shorter than" in w.problem)
    assert "25-cycle window" in expected and expected.endswith(": ESN-003")
    assert expected in dialog.report_text()

    dialog.set_window(19)  # the settings changed: a new check says what they make of the file
    assert not dialog.is_acceptable()
    assert checked(dialog, qtbot)
    assert "shorter than" not in dialog.report_text()


def test_a_file_without_a_cycle_column_keeps_its_other_roles(dialog, tmp_path, qtbot):
    path = tmp_path / "no_cycle.csv"
    historian_frame(FLEET.train.frame).drop(columns=["Cycles"]).to_csv(path, index=False)
    dialog.set_path(path)
    assert dialog.columns.unit_box.currentData() == "ESN"
    assert dialog.columns.time_box.currentData() is None
    assert dialog.mapping().settings == tuple(SETTINGS)
    report = dialog.report_text()
    assert "A column role is missing" in report and "no time/cycle column found" in report
    assert f"choose {ROW_ORDER} under Time / cycle" in report
    assert not checked(dialog, qtbot)

    dialog.set_time_column(ROW_ORDER)  # the rows of each unit are in cycle order
    assert checked(dialog, qtbot)
    assert "numbered 1, 2, 3" in dialog.report_text()
    source = dialog.result_spec().source
    assert source.time_col == ROW_ORDER and source.unit_col == "ESN"
    np.testing.assert_array_equal(load_source(source).train.frame["cycle"], FLEET.train.frame.cycle)


FLAG = re.compile(r"--[a-z]")


def test_no_hint_shown_names_a_command_line_flag(dialog, files, tmp_path, qtbot):
    no_cycle = tmp_path / "no_cycle.csv"
    historian_frame(FLEET.train.frame).drop(columns=["Cycles"]).to_csv(no_cycle, index=False)
    no_unit = tmp_path / "no_unit.csv"
    historian_frame(FLEET.train.frame).drop(columns=["ESN"]).to_csv(no_unit, index=False)
    empty_cell = tmp_path / "empty_cell.csv"
    lines = files["good"].read_text().splitlines()
    fields = lines[BAD_LINE - 1].split(",")
    fields[lines[0].split(",").index("s3")] = ""
    lines[BAD_LINE - 1] = ",".join(fields)
    empty_cell.write_text("\n".join(lines) + "\n")
    shown = []
    for path in (no_cycle, no_unit, empty_cell):
        dialog.set_path(path)
        shown.append(dialog.report_text())
        checked(dialog, qtbot)
        shown.append(dialog.report_text())
    assert "set the column's role to Ignored" in shown[-1]  # the empty cell's hint, in GUI words
    assert "choose it under Unit id" in shown[2]
    assert not [text for text in shown if FLAG.search(text)]


def test_the_summary_says_plainly_when_there_is_no_test_split(dialog, files, qtbot):
    dialog.set_path(files["good"])
    assert checked(dialog, qtbot)
    assert "Test set\nno test split: results will be validation figures" in dialog.report_text()
    assert dialog.result_spec().test_units == 0


def test_units_held_out_as_a_test_set_reach_the_engine(dialog, files, qtbot):
    dialog.set_path(files["good"])
    dialog.set_test_hold_out(25, percent=True)
    assert checked(dialog, qtbot)
    assert "3 of 12 units held out" in dialog.report_text()
    accepted = dialog.result_spec()
    assert accepted.test_units == 0.25 and accepted.source.test_csv is None
    data = prepare(load_source(accepted.source), PreprocessConfig(test_units=accepted.test_units))
    assert data.test_last is not None and len(data.test_last) == 3

    dialog.set_test_hold_out(11)  # leaves one unit to train and validate on
    assert not checked(dialog, qtbot)
    assert "leaves fewer than 2" in dialog.report_text()


def test_an_in_service_file_with_truth_can_be_the_test_set(dialog, files, qtbot):
    dialog.set_path(files["good"])
    dialog.set_test_file(files["in_service"], files["truth"])
    assert checked(dialog, qtbot)
    assert "6 units of in_service.csv, with its true RUL" in dialog.report_text()
    accepted = dialog.result_spec()
    assert accepted.test_units == 0
    assert accepted.source.test_csv == str(files["in_service"])
    assert accepted.source.truth_csv == str(files["truth"])
    assert load_source(accepted.source).test.truth_rul is not None


def test_the_data_dock_summary_says_where_test_figures_come_from():
    one_file = FleetPair(train=FLEET.train, source="csv:export.csv")
    none = summary_html(summarise(prepare(one_file, PreprocessConfig())))
    assert "no test split: results will be validation figures" in none
    held = summary_html(summarise(prepare(one_file, PreprocessConfig(test_units=3))))
    assert "3 units held out" in held and "no test split" not in held


# ------------------------------------------------ a folder of engine files and a removals log
ENGINE_FLEET = make_demo_fleet(DemoConfig(train_units=20, test_units=10))


@pytest.fixture
def exported(tmp_path: Path) -> ExportedFleet:
    """The demo fleet as a maintenance system exports it: one CSV per engine, a removals log."""
    return export_fleet(ENGINE_FLEET, tmp_path / "export", suspended_share=0.4, seed=0)


def listed_files(dialog: CsvImportDialog) -> list[str]:
    return [dialog.files_list.item(row).text() for row in range(dialog.files_list.count())]


def test_a_folder_of_engine_files_is_previewed_and_listed(dialog, exported):
    dialog.set_path(exported.engines)
    names = sorted(f"{esn}.csv" for esn in exported.failed + exported.suspended)
    assert [path.name for path in dialog.files()] == names
    assert listed_files(dialog) == names and dialog.files_panel.isVisibleTo(dialog)
    assert "20 files" in dialog.files_label.text()
    assert dialog.dialect_label.text().startswith(f"20 files · first shown, {names[0]}")
    first = pd.read_csv(exported.engines / names[0], dtype=str)
    model = dialog.preview_model
    assert model.data(model.index(0, 1)) == first.loc[0, "CSN"]  # the table is the first file
    assert dialog.columns.unit_box.currentData() == FILE_NAME_UNIT  # no unit column in them
    assert dialog.columns.time_box.currentData() == "CSN"
    assert "each is one unit, named by its file (ESN-70001, …)" in dialog.report_text()


def test_a_removals_log_says_which_engines_failed_and_which_were_suspended(dialog, exported, qtbot):
    dialog.set_path(exported.engines)
    assert checked(dialog, qtbot)
    assert "20 units, all taken as run to failure" in dialog.report_text()

    dialog.set_removals(exported.removals)
    assert not dialog.is_acceptable()  # a new removals log needs a new check
    assert checked(dialog, qtbot)
    n_failed, n_suspended = len(exported.failed), len(exported.suspended)
    assert (n_failed, n_suspended) == (12, 8)
    summary = f"20 units: {n_failed} failed, {n_suspended} suspended (removals file removals.csv)"
    assert summary in dialog.report_text()
    source = dialog.result_spec().source
    assert source.removals == str(exported.removals) and source.unit_col == FILE_NAME_UNIT
    train = load_source(source).train  # what training reads: the same engines suspended
    assert train.suspended == frozenset(exported.suspended)
    assert train.n_units == 20 and not dialog.failed_files()


def test_a_broken_engine_file_is_named_and_the_others_still_read(dialog, exported, qtbot):
    broken = exported.engines / f"{exported.failed[3]}.csv"
    broken.write_bytes(bytes(range(256)) * 40)
    dialog.set_path(exported.engines)
    dialog.set_removals(exported.removals)
    assert not checked(dialog, qtbot)
    report = dialog.report_text()
    assert f"{broken.name}, line 2: cannot decode byte" in report
    assert list(dialog.failed_files()) == [broken.name]
    assert "the file is not UTF-8" in dialog.failed_files()[broken.name]
    marked = [name for name in listed_files(dialog) if name.startswith("✗")]
    assert marked == [f"✗ {broken.name}"] and "1 could not be read" in dialog.files_label.text()
    assert not ok_enabled(dialog) and dialog.result_spec() is None

    ragged = exported.engines / f"{exported.suspended[0]}.csv"
    lines = ragged.read_text().splitlines()
    lines[9] += ",1.5"
    ragged.write_text("\n".join(lines) + "\n")
    assert not checked(dialog, qtbot)  # two bad files: each with its own line
    assert "Cannot import: 2 of 20 files could not be read" in dialog.report_text()
    assert f"{ragged.name}, line 10: this line has 28 fields" in dialog.report_text()
    assert sorted(dialog.failed_files()) == sorted([broken.name, ragged.name])

    broken.unlink()  # the dialog goes on: without the bad files the folder imports
    ragged.unlink()
    dialog.set_path(exported.engines)
    dialog.set_removals(None)
    assert checked(dialog, qtbot)
    assert "18 units, all taken as run to failure" in dialog.report_text()


def test_the_accepted_spec_carries_the_removals_and_time_settings(dialog, exported, qtbot):
    dialog.set_path(exported.engines)
    dialog.set_removals(exported.removals, ("unscheduled", "failure"))
    dialog.set_time_unit("hours")
    dialog.set_per_cycle("last")
    assert checked(dialog, qtbot)
    assert "hours (as chosen, several rows a cycle: last)" in dialog.report_text()
    source = dialog.result_spec().source
    assert source.removals == str(exported.removals)
    assert source.failure_reasons == ("unscheduled", "failure")
    assert (source.time_unit, source.per_cycle) == ("hours", "last")
    assert load_source(source).train.time_unit == "hours"

    dialog.set_time_column("TSN_h")  # hours since new: the unit is detected from the name
    dialog.set_time_unit(None)
    dialog.set_per_cycle(None)
    assert checked(dialog, qtbot)
    assert "hours (detected from the column 'TSN_h')" in dialog.report_text()
    source = dialog.result_spec().source
    assert (source.time_unit, source.per_cycle, source.time_col) == (None, None, "TSN_h")


def test_a_folder_of_in_service_engines_can_be_the_test_set(dialog, exported, qtbot):
    dialog.set_path(exported.engines)
    dialog.set_test_file(exported.in_service, exported.truth)
    assert checked(dialog, qtbot)
    assert "10 units of in_service, with its true RUL" in dialog.report_text()
    test = load_source(dialog.result_spec().source).test
    assert test is not None and test.n_units == 10 and test.truth_rul is not None

    dialog.set_path(exported.in_service)  # the fleet view predicts a folder of engines too
    dialog.set_in_service(True)
    assert checked(dialog, qtbot)
    assert "Units" in dialog.report_text() and "10 (e.g." in dialog.report_text()


def test_the_data_dock_summary_says_failed_suspended_and_the_time_unit(exported):
    spec = SourceSpec(
        kind="csv", path=str(exported.engines), time_col="TSN_h", removals=str(exported.removals)
    )
    shown = summary_html(summarise(prepare(load_source(spec), PreprocessConfig())))
    assert "Training units: 20 units: 12 failed, 8 suspended" in shown
    assert "RUL cap 125 hours" in shown and "Window 40 records" in shown
    # 12 failed units at a share of 0.2: 2 validate, said near the top and in the warnings
    assert "Validation: only 2 units choose the kept epoch (see the warnings below)" in shown
    assert "only 2 validation unit(s) (failed units only" in shown
    one_file = FleetPair(train=FLEET.train, source="csv:export.csv")
    cycles = summary_html(summarise(prepare(one_file, PreprocessConfig())))
    assert "12 units, all taken as run to failure" in cycles and "RUL cap 125 cycles" in cycles
