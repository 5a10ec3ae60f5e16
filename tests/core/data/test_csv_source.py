"""Reader of users' own run-to-failure CSV logs: dialects, column roles, every error."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from core.common.errors import DataError
from core.data.cmapss import load_cmapss
from core.data.columns import hint_score, name_tokens
from core.data.csv_source import (
    ColumnMapping,
    detect_columns,
    preview_csv,
    read_fleet_csv,
    read_truth_csv,
    validate_csv,
)
from core.data.fleet import CYCLE, UNIT

CLEAN = (
    "unit,cycle,setting_1,s1,s2\n1,1,0.5,10.0,20\n1,2,0.5,11.0,21\n2,1,0.7,12.5,22\n2,2,0.7,13,23\n"
)


def write(tmp_path, content: str | bytes, name: str = "log.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode(encoding))
    return path


def read_error(path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        read_fleet_csv(path, **kwargs)
    return str(info.value)


# --- dialects and layouts ---------------------------------------------------------------------


def test_clean_file_gives_the_canonical_frame(tmp_path):
    fleet = read_fleet_csv(write(tmp_path, CLEAN))
    assert list(fleet.frame.columns) == [UNIT, CYCLE, "setting_1", "s1", "s2"]
    assert fleet.setting_columns == ["setting_1"]
    assert fleet.sensor_columns == ["s1", "s2"]
    assert fleet.unit_ids == [1, 2]
    assert fleet.frame[UNIT].dtype == np.int64
    assert fleet.frame[CYCLE].tolist() == [1, 2, 1, 2]
    assert all(fleet.frame[c].dtype == np.float64 for c in ["setting_1", "s1", "s2"])
    assert fleet.frame["s1"].tolist() == [10.0, 11.0, 12.5, 13.0]
    assert fleet.run_to_failure and fleet.warnings == []
    assert fleet.name == str(tmp_path / "log.csv")


def test_text_unit_ids_and_shuffled_columns(tmp_path):
    content = (
        "T24 ,Operating Hours, ESN ,op_setting_1,comment,Timestamp\n"
        "641.8,0.5,ESN-0042,0.1,ok,2024-01-01 10:00\n"
        "642.1,1.5,ESN-0042,0.1,,2024-01-01 11:00\n"
        "600.0,0.5, ESN-0007,0.2,swapped filter,2024-01-01 10:00\n"
        "600.5,0.75,ESN-0007 ,0.2,,2024-01-01 10:15\n"
    )
    fleet = read_fleet_csv(write(tmp_path, content), name="plant A")
    assert fleet.name == "plant A"
    assert list(fleet.frame.columns) == [UNIT, CYCLE, "op_setting_1", "T24"]
    assert fleet.unit_ids == ["ESN-0042", "ESN-0007"]
    assert fleet.frame[CYCLE].tolist() == [0.5, 1.5, 0.5, 0.75]
    ignored = {w.column for w in fleet.warnings}
    assert ignored == {"comment", "Timestamp"}


def test_semicolon_and_decimal_comma(tmp_path):
    content = "Engine;Cycle;Altitude;Temp\nA1;1;0,25;-12,5\nA1;2;0,25;1,5e3\nA2;1;1,0;7\n"
    fleet = read_fleet_csv(write(tmp_path, content))
    assert fleet.setting_columns == ["Altitude"]
    assert fleet.frame["Temp"].tolist() == [-12.5, 1500.0, 7.0]
    assert fleet.frame["Altitude"].tolist() == [0.25, 0.25, 1.0]
    preview = preview_csv(tmp_path / "log.csv")
    assert (preview.delimiter, preview.decimal) == (";", ",")


def test_tab_delimited(tmp_path):
    content = "unit\tcycle\ts1\ts2\n1\t1\t1.5\t2\n1\t2\t 1.6 \t2\n"
    fleet = read_fleet_csv(write(tmp_path, content))
    assert fleet.frame["s1"].tolist() == [1.5, 1.6]
    assert preview_csv(tmp_path / "log.csv").delimiter == "\t"


def test_utf8_bom_just_works(tmp_path):
    fleet = read_fleet_csv(write(tmp_path, CLEAN, encoding="utf-8-sig"))
    assert fleet.unit_ids == [1, 2]
    assert preview_csv(tmp_path / "log.csv").encoding == "utf-8-sig"


def test_utf16_with_bom(tmp_path):
    fleet = read_fleet_csv(write(tmp_path, CLEAN, encoding="utf-16"))
    assert fleet.n_rows == 4


def test_cp1252_header_with_degree_sign(tmp_path):
    content = "unit;cycle;T inlet [°C];p [bar]\n1;1;20,5;1,0\n1;2;21,5;1,1\n"
    fleet = read_fleet_csv(write(tmp_path, content, encoding="cp1252"))
    assert fleet.sensor_columns == ["T inlet [°C]", "p [bar]"]
    assert preview_csv(tmp_path / "log.csv").encoding == "cp1252"


def test_windows_line_endings_quotes_blank_lines_and_excel_sep_line(tmp_path):
    content = 'sep=;\r\n"unit";"cycle";"s1"\r\n"ESN 1";1;"2,5"\r\n\r\n;;\r\n"ESN 1";2;3\r\n'
    path = write(tmp_path, content)
    fleet = read_fleet_csv(path)
    assert fleet.frame["s1"].tolist() == [2.5, 3.0]
    assert fleet.unit_ids == ["ESN 1"]


def test_decimal_comma_found_after_many_whole_numbers(tmp_path):
    rows = "".join(f"1;{i};{i}\n" for i in range(1, 400)) + "1;400;2,5\n"
    fleet = read_fleet_csv(write(tmp_path, "unit;cycle;s1\n" + rows))
    assert fleet.frame["s1"].iloc[-1] == 2.5


def test_leading_blank_lines_and_trailing_delimiters(tmp_path):
    content = "\n\nunit,cycle,s1,\n1,1,2,\n1,2,3,\n"
    fleet = read_fleet_csv(write(tmp_path, content))
    assert fleet.sensor_columns == ["s1"]
    assert [(w.column, "empty" in w.problem) for w in fleet.warnings] == [("column_4", True)]
    message = read_error(write(tmp_path, "\n\nunit,cycle,s1,s1\n1,1,2,3\n"))
    assert "line 3" in message


def test_interleaved_units_are_sorted_by_first_appearance_then_cycle(tmp_path):
    content = "unit,cycle,s1\n7,1,1\n3,1,2\n7,2,3\n3,2,4\n7,3,5\n"
    fleet = read_fleet_csv(write(tmp_path, content))
    assert fleet.frame[UNIT].tolist() == [7, 7, 7, 3, 3]
    assert fleet.frame[CYCLE].tolist() == [1, 2, 3, 1, 2]
    assert fleet.frame["s1"].tolist() == [1, 3, 5, 2, 4]
    assert fleet.frame.index.tolist() == list(range(5))


def test_integer_ids_with_leading_zeros_stay_text(tmp_path):
    content = "serial,cycle,s1\n0042,1,1\n0042,2,1\n0007,1,1\n"
    assert read_fleet_csv(write(tmp_path, content)).unit_ids == ["0042", "0007"]


def test_explicit_mapping_overrides_detection_field_by_field(tmp_path):
    content = "id,engine_no,t,hours,x1,x2\n9,E1,1,10,0.1,5\n9,E1,2,20,0.2,6\n9,E2,3,5,0.3,7\n"
    path = write(tmp_path, content)
    mapping = ColumnMapping(unit="engine_no", time="hours", settings=("x2",), ignore=("id", "t"))
    fleet = read_fleet_csv(path, mapping)
    assert list(fleet.frame.columns) == [UNIT, CYCLE, "x2", "x1"]
    assert fleet.unit_ids == ["E1", "E2"]
    assert fleet.frame[CYCLE].tolist() == [10, 20, 5]
    only_time = read_fleet_csv(path, ColumnMapping(time="T"), run_to_failure=False)
    assert only_time.unit_ids == [9] and only_time.frame[CYCLE].tolist() == [1, 2, 3]
    assert only_time.sensor_columns == ["hours", "x1", "x2"]
    chosen = read_fleet_csv(path, ColumnMapping(unit="engine_no", time="t", sensors=("x1",)))
    assert chosen.sensor_columns == ["x1"] and chosen.setting_columns == []
    one_name = read_fleet_csv(path, ColumnMapping(unit="engine_no", time="t", settings="x2"))
    assert one_name.setting_columns == ["x2"]


def test_detect_columns_on_a_string_sample():
    header = ["ESN", "Cycle", "Temp", "note"]
    sample = pd.DataFrame(
        [["E1", "1", "12,5", "x"], ["E1", "2", "13,0", ""]], columns=header, dtype=str
    )
    mapping = detect_columns(header, sample, decimal=",")
    assert mapping == ColumnMapping("ESN", "Cycle", (), ("note",), ("Temp",))


def test_name_hints():
    assert name_tokens("machineID") == ["machine", "id"]
    assert name_tokens("Operating Hours") == ["operating", "hours"]
    assert hint_score("T24", ("t",)) is None
    assert hint_score("Engine Serial", ("engine", "serial")) < hint_score(
        "engine_temp", ("engine", "serial")
    )


# --- errors -----------------------------------------------------------------------------------


def test_missing_file_and_folder(tmp_path):
    assert "not found" in read_error(tmp_path / "nope.csv")
    assert "nope.csv" in read_error(tmp_path / "nope.csv")
    assert "folder" in read_error(tmp_path)


def test_empty_file_and_header_only(tmp_path):
    assert "empty" in read_error(write(tmp_path, ""))
    assert "empty" in read_error(write(tmp_path, "\n \n"))
    message = read_error(write(tmp_path, "unit,cycle,s1\n\n"))
    assert "log.csv" in message and "line 1" in message and "no data rows" in message


def test_headerless_data_is_refused(tmp_path):
    message = read_error(write(tmp_path, "1,1,0.5\n1,2,0.6\n"))
    assert "line 1" in message and "header" in message


def test_no_delimiter(tmp_path):
    assert "delimiter" in read_error(write(tmp_path, "unit cycle s1\n1 1 2\n"))


@pytest.mark.parametrize(
    ("header", "missing"),
    [("tag,cycle,s1", "unit"), ("unit,speed,s1", "time/cycle")],
)
def test_undetectable_unit_or_time_column(tmp_path, header, missing):
    message = read_error(write(tmp_path, header + "\n1,1,2\n"))
    assert f"no {missing}" in message and "log.csv" in message
    assert ("--unit-col" if missing == "unit" else "--time-col") in message


def test_text_time_column(tmp_path):
    message = read_error(write(tmp_path, "unit,time,s1\n1,10:00,2\n1,11:00,2\n"))
    assert "column 'time'" in message and "text" in message


def test_mapping_naming_a_missing_column(tmp_path):
    path = write(tmp_path, CLEAN)
    message = read_error(path, mapping=ColumnMapping(unit="engine"))
    assert "column 'engine'" in message and "not in the file" in message and "log.csv" in message
    message = read_error(path, mapping=ColumnMapping(settings=("setting_2",)))
    assert "column 'setting_2'" in message and "setting_1" in message


def test_mapping_giving_a_column_two_roles(tmp_path):
    message = read_error(write(tmp_path, CLEAN), mapping=ColumnMapping(unit="s1", ignore=("s1",)))
    assert "two roles" in message and "column 's1'" in message


def test_duplicate_column_names(tmp_path):
    message = read_error(write(tmp_path, "unit,cycle,s1,s1\n1,1,2,3\n"))
    assert "line 1" in message and "column 's1'" in message and "duplicate" in message


def test_non_numeric_text_names_line_column_and_value(tmp_path):
    content = "unit,cycle,s1,s2\n1,1,2,3\n1,2,3,4\n1,3,4,abc\n1,4,5,x\n"
    message = read_error(write(tmp_path, content))
    assert "log.csv" in message and "line 4" in message and "column 's2'" in message
    assert "'abc'" in message and "1 more" in message


@pytest.mark.parametrize("cell", ["", "NA", "NaN", "nan", " "])
def test_missing_values(tmp_path, cell):
    message = read_error(write(tmp_path, f"unit,cycle,s1\n1,1,2\n1,2,{cell}\n"))
    assert "line 3" in message and "column 's1'" in message and "missing value" in message


def test_missing_unit_id(tmp_path):
    message = read_error(write(tmp_path, "unit,cycle,s1\n1,1,2\n,2,3\n"))
    assert "line 3" in message and "column 'unit'" in message and "missing unit id" in message


@pytest.mark.parametrize(("cell", "word"), [("inf", "infinite"), ("-Infinity", "infinite")])
def test_infinite_values(tmp_path, cell, word):
    message = read_error(write(tmp_path, f"unit,cycle,s1\n1,1,2\n1,2,{cell}\n"))
    assert "line 3" in message and "column 's1'" in message and word in message


def test_overflowing_value(tmp_path):
    message = read_error(write(tmp_path, "unit,cycle,s1\n1,1,2\n1,2,1e400\n"))
    assert "line 3" in message and "'1e400'" in message and "too large" in message


def test_duplicate_cycle_within_a_unit(tmp_path):
    content = "unit,cycle,s1\n1,1,2\n2,1,2\n1,2,2\n1,2,3\n"
    message = read_error(write(tmp_path, content))
    assert "line 5" in message and "column 'cycle'" in message
    assert "appears twice" in message and "line 4" in message


def test_decreasing_cycle_within_a_unit_counts_blank_lines(tmp_path):
    content = "unit,cycle,s1\n1,1,2\n1,3,2\n\n1,2,2\n"
    message = read_error(write(tmp_path, content))
    assert "line 5" in message and "goes back from 3 (line 3) to 2" in message


@pytest.mark.parametrize(("row", "fields"), [("1,2,3,4", 4), ("1,2", 2), ("1,2,3,", 4)])
def test_ragged_rows(tmp_path, row, fields):
    message = read_error(write(tmp_path, f"unit,cycle,s1\n1,1,2\n{row}\n"))
    assert "line 3" in message and f"{fields} fields" in message and "header has 3" in message


def test_quoted_value_spanning_lines(tmp_path):
    message = read_error(write(tmp_path, 'unit,cycle,s1,note\n1,1,2,"two\nlines"\n'))
    assert "line 3" in message and "span" in message


def test_undecodable_bytes(tmp_path):
    path = write(tmp_path, b"unit,cycle,s1\n1,1,2\n1,2,\x81\x8d\n")
    message = read_error(path)
    assert "log.csv" in message and "line 3" in message and "decode" in message


def test_nul_bytes_and_binary_junk(tmp_path):
    message = read_error(write(tmp_path, b"unit,cycle,s1\n1,1,2\x00\n"))
    assert "line 2" in message and "binary" in message
    assert "binary" in read_error(write(tmp_path, CLEAN.encode("utf-16-le")))
    assert "log.csv" in read_error(write(tmp_path, gzip.compress(CLEAN.encode())))


def test_reserved_canonical_name(tmp_path):
    path = write(tmp_path, "engine,hours,cycle\nA,1,2\nA,2,3\n")
    message = read_error(path, mapping=ColumnMapping(time="hours"))
    assert "column 'cycle'" in message and "--ignore-cols" in message


def test_no_sensor_column(tmp_path):
    message = read_error(write(tmp_path, "unit,cycle,note\n1,1,a\n1,2,b\n"))
    assert "no sensor" in message


# --- warnings ---------------------------------------------------------------------------------


def test_single_row_unit_warns_only_for_run_to_failure(tmp_path):
    path = write(tmp_path, "unit,cycle,s1\n1,1,2\n2,1,3\n2,2,3\n")
    (warning,) = read_fleet_csv(path).warnings
    assert "single row" in str(warning) and "line 2" in str(warning)
    assert read_fleet_csv(path, run_to_failure=False).warnings == []


def test_absurd_values_warn_with_location(tmp_path):
    rows = "".join(f"1,{i},{1 + i % 3},5\n" for i in range(1, 40))
    path = write(tmp_path, "unit,cycle,s1,s2\n" + rows + "1,40,2,5e13\n")
    (warning,) = read_fleet_csv(path).warnings
    assert (warning.row, warning.column) == (41, "s2")
    assert "absurd" in str(warning)


# --- truth files ------------------------------------------------------------------------------


@pytest.fixture
def in_service(tmp_path):
    content = "unit,cycle,s1\nESN-2,1,1\nESN-1,1,1\nESN-2,2,1\n"
    return read_fleet_csv(write(tmp_path, content, "test.csv"), run_to_failure=False)


def test_truth_two_columns_with_header(tmp_path, in_service):
    truth = read_truth_csv(write(tmp_path, "unit;RUL\nESN-1;12,5\nESN-2;40\n", "t.csv"), in_service)
    assert truth.index.tolist() == ["ESN-2", "ESN-1"]
    assert truth.tolist() == [40.0, 12.5] and truth.dtype == np.float64


def test_truth_headerless_single_column_in_fleet_order(tmp_path, in_service):
    truth = read_truth_csv(write(tmp_path, "112 \n98 \n", "RUL_FD001.txt"), in_service)
    assert truth.to_dict() == {"ESN-2": 112.0, "ESN-1": 98.0}


def test_truth_matches_integer_ids(tmp_path):
    fleet = read_fleet_csv(write(tmp_path, "unit,cycle,s1\n3,1,1\n1,1,1\n"), run_to_failure=False)
    truth = read_truth_csv(write(tmp_path, "unit,rul\n1,5\n3,7\n", "t.csv"), fleet)
    assert truth.to_dict() == {3: 7.0, 1: 5.0}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("112\n", ["1 RUL values", "2 units"]),
        ("1\n2\n3\n", ["3 RUL values"]),
        ("unit,rul\nESN-1,3\n", ["no RUL", "ESN-2"]),
        ("unit,rul\nESN-1,3\nESN-2,4\nESN-9,5\n", ["not in the fleet", "ESN-9"]),
        ("unit,rul\nESN-1,3\nESN-1,4\n", ["line 3", "twice"]),
        ("unit,rul\nESN-1,-3\nESN-2,4\n", ["line 2", "negative"]),
        ("12\nabc\n", ["line 2", "'abc'"]),
        ("unit,rul\nESN-1,inf\nESN-2,4\n", ["line 2", "not a finite"]),
        ("unit,rul\nESN-1,\nESN-2,4\n", ["line 2", "missing"]),
        ("unit,rul,x\nESN-1,3,1\n", ["two columns"]),
        ("", ["empty"]),
    ],
)
def test_truth_errors(tmp_path, in_service, content, words):
    with pytest.raises(DataError) as info:
        read_truth_csv(write(tmp_path, content, "truth.csv"), in_service)
    message = str(info.value)
    assert "truth.csv" in message
    for word in words:
        assert word in message


# --- preview and validation -------------------------------------------------------------------


def test_preview_of_a_good_file(tmp_path):
    preview = preview_csv(write(tmp_path, CLEAN), n_rows=2)
    assert preview.ok and preview.header == ["unit", "cycle", "setting_1", "s1", "s2"]
    assert preview.rows.shape == (2, 5) and preview.rows.iloc[0, 3] == "10.0"
    assert preview.mapping.settings == ("setting_1",)


@pytest.mark.parametrize(
    "content",
    [b"unit,cycle,s1\n1,1,2\n1,2,2,9\n", b"\x81\x8d", b"", b"a,b\n1,2\n", b"unit,cycle\x00"],
)
def test_preview_of_a_bad_file_reports_without_raising(tmp_path, content):
    preview = preview_csv(write(tmp_path, content))
    assert not preview.ok and isinstance(preview.problem, DataError)
    assert "log.csv" in str(preview.problem)


def test_preview_of_a_missing_file(tmp_path):
    assert "not found" in str(preview_csv(tmp_path / "gone.csv").problem)


def test_validate_collects_instead_of_raising(tmp_path):
    report = validate_csv(write(tmp_path, "unit,cycle,s1\n1,1,2\n1,1,3\n"))
    assert not report.ok and "appears twice" in str(report.errors[0])
    report = validate_csv(write(tmp_path, "unit,cycle,s1,note\n1,1,2,x\n1,2,3,y\n"))
    assert report.ok and report.fleet is not None and report.warnings[0].column == "note"


# --- real data --------------------------------------------------------------------------------


def test_cmapss_written_as_csv_reads_the_same(cmapss, tmp_path):
    pair = load_cmapss("FD001", cmapss)
    pair.train.frame.to_csv(tmp_path / "train.csv", index=False, sep=";", decimal=",")
    pair.test.frame.to_csv(tmp_path / "test.csv", index=False)
    train = read_fleet_csv(tmp_path / "train.csv")
    pd.testing.assert_frame_equal(train.frame, pair.train.frame, check_dtype=False)
    assert train.sensor_columns == [f"s{i}" for i in range(1, 22)]
    assert len(train.setting_columns) == 3
    test = read_fleet_csv(tmp_path / "test.csv", run_to_failure=False)
    raw = (
        (cmapss / "RUL_FD001.txt.gz").read_bytes()
        if (cmapss / "RUL_FD001.txt.gz").exists()
        else None
    )
    (tmp_path / "RUL_FD001.txt").write_bytes(
        gzip.decompress(raw) if raw else (cmapss / "RUL_FD001.txt").read_bytes()
    )
    truth = read_truth_csv(tmp_path / "RUL_FD001.txt", test)
    assert truth.tolist() == pair.test.truth_rul.tolist()
