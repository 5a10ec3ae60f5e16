"""Bad data: whatever the readers are given, a valid fleet or a DataError naming the place.

The C-MAPSS reader is fuzzed against a plain reference of its format
(``cmapss_reference.py``): every byte sequence either reads as a fleet whose numbers are
the reference's, or fails with an error at the reference's first bad line and
field. Absurd but numeric readings (1e30 in one cell) are warnings with file,
line and column, are replaced by the unit's neighbouring reading by both
readers, and never reach the normalisation statistics or the model.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.common.errors import DataError, DataWarning
from core.data.cmapss import COLUMNS, READINGS, load_cmapss
from core.data.csv_source import read_fleet_csv
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import UNIT, Fleet, FleetPair
from core.data.prepare import PreparedData, prepare
from core.data.sources import SourceSpec, load_source
from tests.helpers.csv_tables import check_fleet, messy_tables
from tests.reliability.cmapss_reference import (
    SPIKES,
    cmapss_folders,
    cmapss_text,
    expected_repair,
    spec_folder,
    spiked_tables,
)

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REPLACED = "replaced by the unit's neighbouring reading"
CSV_ENCODINGS = ["ascii", "utf-8-sig", "utf-16", "cp1252", "latin-1"]  # what the CSV reader reads


@FUZZ
@given(files=cmapss_folders())
def test_cmapss_reader_gives_a_fleet_or_the_reference_error(files):
    expected = spec_folder(files)
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / name).write_bytes(data)
        try:
            pair = load_cmapss("FD001", folder)
        except DataError as error:
            assert isinstance(expected, tuple), f"valid files rejected: {error}"
            event(f"error in {Path(str(error.file)).name.split('_')[0]}")
            name, bad = expected
            assert Path(str(error.file)).name == name and name in str(error)
            assert (error.row, error.column) == (bad.row, bad.column), str(error)
            return
    assert isinstance(expected, dict), f"expected an error in {expected[0]} at {expected[1]}"
    event("fleet" + (" with absurd values" if pair.train.warnings or pair.test.warnings else ""))
    check_read_as_written(pair.train, expected["train"])
    check_read_as_written(pair.test, expected["test"])
    truth = pair.test.truth_rul
    assert truth.index.tolist() == pair.test.unit_ids and (truth >= 0).all()


def check_read_as_written(fleet: Fleet, rows: list[tuple[int, list[float]]]) -> None:
    """Fleet invariants; columns without an absurd-value warning hold the file's numbers."""
    check_fleet(fleet)
    written = np.array([values for _, values in rows])
    assert fleet.frame[UNIT].tolist() == written[:, 0].astype(np.int64).tolist()
    readings = fleet.frame[list(READINGS)].to_numpy()
    assert np.all(np.abs(readings) <= 1e12), "absurd values must not survive reading"
    warned = {warning.column: warning for warning in fleet.warnings}
    lines = {line for line, _ in rows}
    for j, name in enumerate(READINGS):
        if name in warned:
            assert warned[name].row in lines and REPLACED in str(warned[name])
        else:
            assert not np.any(np.abs(written[:, 2 + j]) > 1e12), f"{name}: unreported"
            np.testing.assert_allclose(readings[:, j], written[:, 2 + j], rtol=1e-12, atol=0)


# --- spikes: exact replacement and warnings, both readers ----------------------------------


def check_spike_warnings(fleet: Fleet, clean, spiked, file: Path, lines: np.ndarray) -> None:
    """One warning per spiked column, at the spike first met in the file."""
    bad = clean != spiked
    found = {w.column: w for w in fleet.warnings if "absurd" in w.problem}
    assert set(found) == {READINGS[j] for j in np.flatnonzero(bad.any(axis=0))}
    for j in np.flatnonzero(bad.any(axis=0)):
        warning = found[READINGS[j]]
        assert (Path(str(warning.file)).name, warning.row) == (file.name, lines[bad[:, j]].min())
        assert REPLACED in str(warning) and f"{int(bad[:, j].sum())} absurd" in str(warning)


@settings(max_examples=60, deadline=None)
@given(table=spiked_tables())
def test_cmapss_spikes_are_replaced_and_located(table):
    units, clean, spiked = table
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for kind in ("train", "test"):
            (folder / f"{kind}_FD001.txt").write_text(cmapss_text(units, spiked))
        (folder / "RUL_FD001.txt").write_text("5\n" * len(set(units)))
        pair = load_cmapss("FD001", folder)
    lines = np.arange(1, len(units) + 1)
    train = pair.train.frame[list(READINGS)].to_numpy()
    np.testing.assert_allclose(train, expected_repair(units, clean, spiked), rtol=1e-12)
    check_spike_warnings(pair.train, clean, spiked, folder / "train_FD001.txt", lines)
    medians = np.median(train, axis=0)  # in-service units fall back on the training medians
    test = pair.test.frame[list(READINGS)].to_numpy()
    np.testing.assert_allclose(test, expected_repair(units, clean, spiked, medians), rtol=1e-12)
    check_spike_warnings(pair.test, clean, spiked, folder / "test_FD001.txt", lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=spiked_tables(),
    order=st.randoms(use_true_random=False),
    dialect=st.tuples(st.sampled_from([",", ";", "\t"]), st.sampled_from(CSV_ENCODINGS)),
)
def test_csv_spikes_are_replaced_and_located(table, order, dialect):
    units, clean, spiked = table
    owners = list(units)
    order.shuffle(owners)  # units interleave in the file; each unit's rows stay in order
    file_rows = [int(np.flatnonzero(units == u)[owners[:k].count(u)]) for k, u in enumerate(owners)]
    delimiter, encoding = dialect
    header = delimiter.join(["unit", "cycle", *READINGS])
    lines = [header] + [
        delimiter.join([str(units[i]), str(k + 1)] + [repr(float(x)) for x in spiked[i]])
        for k, i in enumerate(file_rows)
    ]
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "log.csv"
        path.write_bytes("\n".join(lines).encode(encoding))
        fleet = read_fleet_csv(path)
    line_of = np.empty(len(units), dtype=np.int64)
    line_of[file_rows] = np.arange(2, len(units) + 2)
    readings = fleet.frame[list(READINGS)].to_numpy()
    first_seen = list(dict.fromkeys(owners))  # the fleet lists units as the file first shows them
    canonical = np.concatenate([np.flatnonzero(units == u) for u in first_seen])
    expected = expected_repair(units, clean, spiked)[canonical]
    np.testing.assert_allclose(readings, expected, rtol=1e-12)
    check_spike_warnings(fleet, clean, spiked, path, line_of)


# --- the CSV reader: the same promise, checked for location -------------------------------

CELL_PROBLEMS = re.compile(r"is not a number|missing value|infinite value|is too large")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=messy_tables())
def test_csv_errors_and_warnings_name_file_line_and_column(table):
    data, _ = table
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "messy.csv"
        path.write_bytes(data)
        try:
            fleet = read_fleet_csv(path)
        except DataError as error:
            assert str(error.file) == str(path) and path.name in str(error)
            if CELL_PROBLEMS.search(error.problem):
                assert error.row is not None and error.column is not None, str(error)
            return
    readings = fleet.frame[fleet.setting_columns + fleet.sensor_columns].to_numpy()
    assert np.all(np.abs(readings) <= 1e12), "absurd values must not survive reading"
    for warning in fleet.warnings:
        assert warning.file == str(path)
        if "absurd" in warning.problem:
            assert warning.row is not None and warning.column and REPLACED in warning.problem


# --- one absurd cell in a realistic fleet: warned, replaced, out of the normalisation -------


@pytest.fixture(scope="module")
def demo_pair() -> FleetPair:
    return make_demo_fleet(DemoConfig(train_units=20, test_units=6, seed=3))


def write_cmapss(folder: Path, pair: FleetPair) -> None:
    for kind, fleet in (("train", pair.train), ("test", pair.test)):
        frame = fleet.frame[list(COLUMNS)]
        frame.to_csv(folder / f"{kind}_FD001.txt", sep=" ", header=False, index=False)
    truth = pair.test.truth_rul.to_numpy()
    (folder / "RUL_FD001.txt").write_text("".join(f"{x:g}\n" for x in truth))


def read_back(reader: str, folder: Path, pair: FleetPair) -> tuple[FleetPair, Path, int]:
    """The pair written in ``reader``'s format and read back; the train file and its first
    data line."""
    folder.mkdir()
    if reader == "cmapss":
        write_cmapss(folder, pair)
        return load_cmapss("FD001", folder), folder / "train_FD001.txt", 1
    path = folder / "train.csv"
    pair.train.frame.to_csv(path, index=False)
    return FleetPair(read_fleet_csv(path), source=f"csv:{path}"), path, 2


def with_spike(pair: FleetPair, row: int, column: str, value: float) -> FleetPair:
    frame = pair.train.frame.copy()
    frame.loc[row, column] = value
    train = Fleet(pair.train.name, frame, pair.train.sensor_columns, pair.train.setting_columns)
    return FleetPair(train, pair.test, pair.source, pair.sensors, pair.conditions)


def assert_model_never_sees_it(spiked: PreparedData, clean: PreparedData) -> None:
    """Per-condition statistics as without the spike; every window finite and of z-score size."""
    assert spiked.features == clean.features
    normaliser, reference = spiked.pipeline.normaliser, clean.pipeline.normaliser
    np.testing.assert_allclose(normaliser.mean, reference.mean, rtol=1e-4)
    np.testing.assert_allclose(normaliser.std, reference.std, rtol=1e-2)
    for windows in (spiked.train, spiked.val, spiked.test):
        if windows is not None:
            assert np.isfinite(windows.rows).all() and np.abs(windows.rows).max() < 100


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["cmapss", "csv"])
@pytest.mark.parametrize("spike", SPIKES)
def test_one_absurd_cell_is_warned_replaced_and_kept_from_the_model(
    tmp_path, demo_pair, reader, spike
):
    clean, _, _ = read_back(reader, tmp_path / "clean", demo_pair)
    clean_data = prepare(clean)
    unit = clean_data.train.unit_ids[1]  # a training unit, so the spike would reach the fit
    row = int(np.flatnonzero(demo_pair.train.frame[UNIT] == unit)[10])
    pair, path, first_line = read_back(
        reader, tmp_path / "spiked", with_spike(demo_pair, row, "s4", spike)
    )
    (warning,) = pair.train.warnings
    assert isinstance(warning, DataWarning)
    assert (warning.file, warning.row, warning.column) == (str(path), row + first_line, "s4")
    assert f"first {spike:.6g} (unit {unit})" in str(warning) and REPLACED in str(warning)
    assert pair.train.frame.loc[row, "s4"] == clean.train.frame.loc[row - 1, "s4"]
    assert_model_never_sees_it(prepare(pair), clean_data)


def test_in_service_unit_without_a_plausible_reading_gets_the_training_median(tmp_path, demo_pair):
    test = demo_pair.test.frame.copy()
    test.loc[test[UNIT] == 2, "s4"] = 1e13
    broken = FleetPair(demo_pair.train, Fleet("t", test, [], [], False, demo_pair.test.truth_rul))
    pair, _, _ = read_back("cmapss", tmp_path / "data", broken)
    (warning,) = pair.test.warnings
    assert "median over the training data" in str(warning) and "unit(s) 2" in str(warning)
    filled = pair.test.frame.loc[pair.test.frame[UNIT] == 2, "s4"]
    assert (filled == pair.train.frame["s4"].median()).all()


def test_in_service_csv_unit_without_a_plausible_reading_gets_the_training_median(
    tmp_path, demo_pair
):
    """Through a csv source: the in-service file is repaired on the training data's scale."""
    train_path, test_path = tmp_path / "train.csv", tmp_path / "in_service.csv"
    demo_pair.train.frame.to_csv(train_path, index=False)
    test = demo_pair.test.frame.copy()
    test.loc[test[UNIT] == 2, "s4"] = 1e13
    test.to_csv(test_path, index=False)
    pair = load_source(SourceSpec(kind="csv", path=str(train_path), test_csv=str(test_path)))
    (warning,) = pair.test.warnings
    assert "median over the training data" in str(warning) and "unit(s) 2" in str(warning)
    filled = pair.test.frame.loc[pair.test.frame[UNIT] == 2, "s4"]
    assert (filled == pair.train.frame["s4"].median()).all()


def test_real_fd001_with_a_spike(cmapss, tmp_path):
    clean = load_cmapss("FD001", cmapss)
    assert clean.train.warnings == [] and clean.test.warnings == []
    lines = gzip.decompress((cmapss / "train_FD001.txt.gz").read_bytes()).decode().splitlines()
    fields = lines[999].split()
    fields[COLUMNS.index("s4")] = "1e30"
    lines[999] = " ".join(fields)
    (tmp_path / "train_FD001.txt").write_text("\n".join(lines) + "\n")
    for kind in ("test", "RUL"):
        source = cmapss / f"{kind}_FD001.txt.gz"
        (tmp_path / f"{kind}_FD001.txt.gz").write_bytes(source.read_bytes())
    pair = load_cmapss("FD001", tmp_path)
    (warning,) = pair.train.warnings
    assert (warning.row, warning.column) == (1000, "s4") and REPLACED in str(warning)
    assert_model_never_sees_it(prepare(pair), prepare(clean))


def test_pandas_frame_kept_canonical_after_replacement(tmp_path, demo_pair):
    """Replacing cells must not change dtypes or the column order the rest of the app expects."""
    pair, _, _ = read_back("cmapss", tmp_path / "d", with_spike(demo_pair, 3, "s9", -1e30))
    check_fleet(pair.train)
    assert pair.train.frame[UNIT].dtype == np.int64
    assert isinstance(pair.train.frame.index, pd.RangeIndex)


def test_far_but_plain_readings_are_kept_and_sentinels_below_1e12_are_not(tmp_path):
    """A near-constant column's genuine excursion stays; 5e9 in a column near 500 is absurd."""
    rows = [f"1,{i},{1e-9 * (i % 3)},{500 + i % 7}" for i in range(1, 60)]
    rows[30] = "1,31,1.0,5e9"
    path = tmp_path / "log.csv"
    path.write_text("unit,cycle,valve,T24\n" + "\n".join(rows) + "\n")
    fleet = read_fleet_csv(path)
    (warning,) = fleet.warnings
    assert (warning.row, warning.column) == (32, "T24") and REPLACED in str(warning)
    assert fleet.frame.loc[30, "valve"] == 1.0
    assert fleet.frame.loc[30, "T24"] == fleet.frame.loc[29, "T24"]
