"""Fleets as maintenance systems export them: a folder of engine files, CSN/TSN, timestamps.

Every test writes its own files: the demo fleet exported as one CSV per engine
(``core.data.fleet_export``), or small hand-written tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.common.errors import DataError
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet_export import export_fleet
from core.data.fleet_files import FleetFilesError, fleet_files, read_fleet_files
from core.data.sources import SourceSpec, load_source

DEMO = DemoConfig(train_units=12, test_units=6)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    pair = make_demo_fleet(DEMO)
    return pair, export_fleet(pair, tmp_path_factory.mktemp("fleet"), suspended_share=0.4)


def _engine(path, rows: dict) -> None:
    pd.DataFrame(rows).to_csv(path, index=False)


def test_folder_reads_one_unit_per_file_named_by_the_file(exported) -> None:
    pair, out = exported
    fleet = read_fleet_files(out.engines)
    assert fleet.n_units == 12
    assert sorted(fleet.unit_ids) == sorted(out.suspended + out.failed)
    # the failed engines' readings are the demo fleet's, row for row
    original = pair.train.frame
    esn = out.failed[0]
    unit = int(esn.split("-")[1]) - 70000
    mine = fleet.frame[fleet.frame["unit"] == esn]
    theirs = original[original["unit"] == unit]
    assert mine["cycle"].tolist() == theirs["cycle"].tolist()
    np.testing.assert_allclose(mine["s2"], theirs["s2"])


def test_csn_is_the_time_column_and_tsn_is_not_a_sensor(exported) -> None:
    _, out = exported
    fleet = read_fleet_files(out.engines)
    assert fleet.time_unit == "cycles"
    assert "TSN_h" not in fleet.sensor_columns and "CSN" not in fleet.sensor_columns
    ignored = {w.column: w.problem for w in fleet.warnings}
    assert "age" in ignored["TSN_h"]


def test_a_glob_reads_the_files_it_matches(exported) -> None:
    _, out = exported
    chosen = sorted(out.engines.glob("*.csv"))[:3]
    pattern = str(out.engines / "*.csv")
    assert fleet_files(pattern) == sorted(out.engines.glob("*.csv"))
    fleet = load_source(SourceSpec.parse(f"csv:{pattern}")).train
    assert fleet.n_units == 12
    assert {p.stem for p in chosen} <= set(fleet.unit_ids)


def test_in_service_folder_and_truth_keyed_by_serial(exported) -> None:
    pair, out = exported
    spec = SourceSpec.parse(
        f"csv:{out.engines}", test_csv=str(out.in_service), truth_csv=str(out.truth)
    )
    test = load_source(spec).test
    assert test is not None and test.truth_rul is not None
    assert test.n_units == 6
    np.testing.assert_allclose(
        sorted(test.truth_rul.to_numpy()), sorted(pair.test.truth_rul.to_numpy())
    )


def test_parquet_files_read_like_csv(exported, tmp_path) -> None:
    _, out = exported
    for path in sorted(out.engines.glob("*.csv")):
        pd.read_csv(path).to_parquet(tmp_path / f"{path.stem}.parquet")
    from_csv = read_fleet_files(out.engines)
    from_parquet = read_fleet_files(tmp_path)
    pd.testing.assert_frame_equal(from_csv.frame, from_parquet.frame)


def test_parquet_bad_cell_names_file_line_and_column(tmp_path) -> None:
    frame = pd.DataFrame({"CSN": [1, 2, 3], "s1": ["1.0", "oops", "3.0"]})
    frame.to_parquet(tmp_path / "ESN-1.parquet")
    with pytest.raises(DataError) as caught:
        read_fleet_files(tmp_path)
    error = caught.value
    assert error.file.endswith("ESN-1.parquet") and error.row == 3 and error.column == "s1"


def test_one_bad_file_names_itself_and_the_others_are_still_checked(exported, tmp_path) -> None:
    _, out = exported
    for path in sorted(out.engines.glob("*.csv"))[:4]:
        (tmp_path / path.name).write_text(path.read_text())
    files = sorted(tmp_path.glob("*.csv"))
    text = files[1].read_text().splitlines()
    text[3] = text[3].replace(text[3].split(",")[4], "abc", 1)
    files[1].write_text("\n".join(text) + "\n")
    files[2].write_text("CSN,s2\n1,2\n1,3\n")
    with pytest.raises(FleetFilesError) as caught:
        read_fleet_files(tmp_path)
    errors = caught.value.errors
    assert [e.file for e in errors] == [str(files[1]), str(files[2])]
    assert errors[0].row == 4
    assert "2 of 4 files" in str(caught.value)


def test_a_unit_in_two_files_is_an_error(tmp_path) -> None:
    for name in ("a.csv", "b.csv"):
        _engine(tmp_path / name, {"esn": ["E1", "E1"], "CSN": [1, 2], "s1": [0.1, 0.2]})
    with pytest.raises(DataError, match="unit 'E1' is in two files"):
        read_fleet_files(tmp_path)


def test_an_empty_folder_says_so(tmp_path) -> None:
    with pytest.raises(DataError, match=r"no \.csv"):
        fleet_files(tmp_path)


def test_text_timestamps_are_hours_since_each_units_first_record(tmp_path) -> None:
    _engine(
        tmp_path / "ESN-1.csv",
        {
            "timestamp": ["2024-03-01 00:00:00", "2024-03-01 06:00:00", "2024-03-02 00:30:00"],
            "s1": [1.0, 2.0, 3.0],
        },
    )
    fleet = read_fleet_files(tmp_path)
    assert fleet.time_unit == "hours"
    np.testing.assert_allclose(fleet.frame["cycle"], [0.0, 6.0, 24.5])


def test_a_timestamp_going_backwards_names_file_line_and_column(tmp_path) -> None:
    _engine(
        tmp_path / "ESN-1.csv",
        {
            "timestamp": ["2024-03-01 00:00", "2024-03-01 06:00", "2024-03-01 05:00"],
            "s1": [1, 2, 3],
        },
    )
    with pytest.raises(DataError) as caught:
        read_fleet_files(tmp_path)
    error = caught.value
    assert error.row == 4 and error.column == "timestamp" and "goes back" in error.problem


def test_hours_since_new_is_hours(tmp_path) -> None:
    _engine(tmp_path / "e.csv", {"unit": [1, 1], "flight_hours": [1.5, 3.0], "s1": [1.0, 2.0]})
    assert load_source(SourceSpec.parse(f"csv:{tmp_path / 'e.csv'}")).train.time_unit == "hours"
    spec = SourceSpec.parse(f"csv:{tmp_path / 'e.csv'}", time_unit="cycles")
    assert load_source(spec).train.time_unit == "cycles"


def test_several_rows_per_cycle_reduce_by_the_chosen_rule(tmp_path) -> None:
    path = tmp_path / "flights.csv"
    _engine(
        path,
        {
            "esn": ["A"] * 5 + ["B"] * 2,
            "CSN": [1, 1, 1, 2, 2, 1, 2],
            "s1": [1.0, 2.0, 6.0, 10.0, 20.0, 7.0, 8.0],
        },
    )
    with pytest.raises(DataError, match="appears twice"):
        load_source(SourceSpec.parse(f"csv:{path}"))
    mean = load_source(SourceSpec.parse(f"csv:{path}", per_cycle="mean")).train.frame
    last = load_source(SourceSpec.parse(f"csv:{path}", per_cycle="last")).train.frame
    assert mean["cycle"].tolist() == [1, 2, 1, 2]
    np.testing.assert_allclose(mean["s1"], [3.0, 15.0, 7.0, 8.0])
    np.testing.assert_allclose(last["s1"], [6.0, 20.0, 7.0, 8.0])


def test_per_cycle_still_refuses_time_going_back(tmp_path) -> None:
    path = tmp_path / "flights.csv"
    _engine(path, {"esn": ["A"] * 4, "CSN": [1, 2, 2, 1], "s1": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError) as caught:
        load_source(SourceSpec.parse(f"csv:{path}", per_cycle="mean"))
    assert caught.value.row == 5 and caught.value.column == "CSN"


def test_a_source_spec_with_the_new_options_round_trips() -> None:
    spec = SourceSpec.parse(
        "csv:fleet/", removals="r.csv", failure_reasons=("failure",), per_cycle="last"
    )
    assert SourceSpec.from_dict(spec.to_dict()) == spec


def test_an_absurd_reading_in_a_folder_names_its_file_and_line(exported, tmp_path) -> None:
    _, out = exported
    for path in sorted(out.engines.glob("*.csv"))[:3]:
        (tmp_path / path.name).write_text(path.read_text())
    third = sorted(tmp_path.glob("*.csv"))[2]
    table = pd.read_csv(third)
    table.loc[4, "s2"] = 1e30
    table.to_csv(third, index=False)
    fleet = read_fleet_files(tmp_path)
    absurd = [w for w in fleet.warnings if w.column == "s2"]
    assert len(absurd) == 1
    assert (absurd[0].file, absurd[0].row) == (str(third), 6)
    assert fleet.frame["s2"].abs().max() < 1e6


def test_a_small_fleet_is_told_what_rests_on_its_few_validation_units(tmp_path) -> None:
    """30 engines with a removals log, 12 of them suspended: validation draws from the 18
    failed ones, 4 units at the default share; the summary says what rests on them."""
    from core.data.config import PreprocessConfig
    from core.data.prepare import prepare

    fleet = export_fleet(make_demo_fleet(DemoConfig(train_units=30, test_units=2)), tmp_path)
    spec = SourceSpec(kind="csv", path=str(fleet.engines), removals=str(fleet.removals))
    pair = load_source(spec)
    few = [
        str(w) for w in prepare(pair, PreprocessConfig()).warnings if "validation unit" in str(w)
    ]
    assert few == [
        f"{fleet.engines}: only 4 validation unit(s) (failed units only: a suspended unit's "
        "true RUL is unknown): the kept epoch, early stopping and the calibrated intervals "
        "rest on them, and one run's validation RMSE is worth several cycles either way; a "
        "larger validation share (--val-fraction, the Data dock's Validation share) gives more"
    ]
    more = prepare(pair, PreprocessConfig(val_fraction=0.6)).warnings
    assert not [w for w in more if "validation unit" in str(w)]  # 11 units: no warning
