"""Bad data: whatever the readers are given, a valid fleet or a DataError naming the place.

The C-MAPSS reader is fuzzed against a small reference of its format (below,
``spec_table``): every byte sequence either reads as a fleet whose numbers are
the reference's, or fails with an error at the reference's first bad line and
field. Absurd but numeric readings (1e30 in one cell) are warnings with file,
line and column, are replaced by the unit's neighbouring reading by both
readers, and never reach the normalisation statistics or the model.
"""

from __future__ import annotations

import gzip
import itertools
import math
import re
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.data.cmapss import COLUMNS, READINGS, load_cmapss
from core.data.csv_source import read_fleet_csv
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.fleet import UNIT, Fleet, FleetPair
from core.data.prepare import PreparedData, prepare
from core.errors import DataError, DataWarning
from tests.core.test_csv_fuzz import (
    ODD_CELLS,
    _mostly,
    check_fleet,
    damaged,
    messy_tables,
    text_cells,
)

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SPIKES = [1e30, -1e30, 1e13]
REPLACED = "replaced by the unit's neighbouring reading"
ENCODINGS = ["ascii", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]
CSV_ENCODINGS = ["ascii", "utf-8-sig", "utf-16", "cp1252", "latin-1"]  # what the CSV reader reads


# --- the C-MAPSS format, written plainly ---------------------------------------------------


class Bad(Exception):
    """Where the reference says the first problem is (line and column, when it has them)."""

    def __init__(self, row: int | None, column: str | None):
        super().__init__(row, column)
        self.row, self.column = row, column


_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spec_table(raw: bytes, columns: tuple[str, ...]) -> list[tuple[int, list[float]]]:
    """(line, numbers) of every non-blank line; BOMs and any line ending allowed."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            raw = raw.decode("utf-16").encode()
        except UnicodeError:
            raise Bad(None, None) from None
    rows = []
    for number, line in enumerate(re.split(rb"\r\n|\r|\n", raw), start=1):
        fields = re.split(rb"[ \t]+", line.strip(b" \t")) if line.strip(b" \t") else []
        if fields and len(fields) != len(columns):
            raise Bad(number, None)
        for name, field in zip(columns, fields, strict=False):
            if not (_NUMBER.fullmatch(field) and math.isfinite(float(field))):
                raise Bad(number, name)
        if fields:
            rows.append((number, [float(field) for field in fields]))
    if not rows:
        raise Bad(None, None)
    return rows


def spec_fleet(rows: list[tuple[int, list[float]]]) -> None:
    """Whole unit ids, then cycles rising within a unit, then each unit in one block."""
    for line, values in rows:
        if values[0] != round(values[0]) or abs(values[0]) >= 2**53:
            raise Bad(line, "unit")
    for (_, before), (line, values) in itertools.pairwise(rows):
        if values[0] == before[0] and values[1] <= before[1]:
            raise Bad(line, "cycle")
    seen, previous = set(), None
    for line, values in rows:
        if values[0] != previous and values[0] in seen:
            raise Bad(line, "unit")
        seen.add(values[0])
        previous = values[0]


def spec_folder(files: dict[str, bytes]) -> dict[str, list] | tuple[str, Bad]:
    """Rows of train and test, or the file and place of the first problem, in reading order."""
    parsed: dict[str, list] = {}
    for kind in ("train", "test", "RUL"):
        name = next(name for name in files if name.startswith(kind))
        try:
            raw = files[name]
            if name.endswith(".gz"):
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError, zlib.error):
                    raise Bad(None, None) from None
            if kind == "RUL":
                spec_truth(spec_table(raw, ("RUL",)), parsed["test"])
            else:
                parsed[kind] = spec_table(raw, COLUMNS)
                spec_fleet(parsed[kind])
        except Bad as bad:
            return name, bad
    return parsed


def spec_truth(rows: list, test_rows: list) -> None:
    if len(rows) != len({values[0] for _, values in test_rows}):
        raise Bad(None, None)
    for line, (value,) in rows:
        if value < 0:
            raise Bad(line, "RUL")


# --- fuzzing the C-MAPSS reader ------------------------------------------------------------

DAMAGES = ["field", "field", "ragged", "cycle", "shuffle"]
PLAIN_SPECIALS = ["1.5e3", "+.5", "-0", "5.", "007", "1E-3", "1e-400", "1e30", "-1e13"]


def plain_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` well-formed fields: integers, decimals, and now and then an odd spelling or a
    huge value (numpy-drawn: hypothesis spends its effort on the damage instead)."""
    kinds = rng.integers(0, 200, n)
    return [
        str(rng.integers(-(10**6), 10**6))
        if kind < 90
        else f"{rng.uniform(-1e4, 1e4):.4f}"
        if kind < 199
        else PLAIN_SPECIALS[rng.integers(len(PLAIN_SPECIALS))]
        for kind in kinds
    ]


odd_fields = (
    st.sampled_from(
        [*ODD_CELLS, "1e30", "True", "1.5", "1d5", "٣", "+nan", "Infinity", "\x00", "\x0c"]
    )
    | text_cells
)


@st.composite
def table_rows(draw) -> list[list[str]]:
    """Units with a few cycles each; in about a third of the tables, one to three damages:
    a bad field, a ragged row, a cycle that does not increase, rows out of unit order."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lengths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    rows = [
        [str(unit), str(cycle), *plain_numbers(rng, 24)]
        for unit, length in enumerate(lengths, start=1)
        for cycle in range(1, length + 1)
    ]
    damages = st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=3)
    for damage in draw(st.one_of(st.just([]), st.just([]), damages)):
        at = draw(st.integers(0, len(rows) - 1))
        if damage == "field":
            rows[at][draw(st.integers(0, 25))] = draw(odd_fields)
        elif damage == "ragged":
            rows[at] = rows[at][:-1] if draw(st.booleans()) else [*rows[at], "1.0"]
        elif damage == "cycle":
            rows[at][1] = draw(st.sampled_from(["0", "-1", "1", rows[at - 1][1]]))
        else:
            rows = draw(st.permutations(rows))
    return rows


def layout(draw, rows: list[list[str]]) -> bytes:
    """Rows as text: spaces or tabs, any line ending, stray blank lines, some encoding."""
    sep = draw(st.sampled_from([" ", "\t", "  "]))
    end = draw(_mostly(st.just(sep), st.just(""), st.just("\t \t")))
    lines = [sep.join(row) + end for row in rows]
    if lines and draw(st.integers(0, 10)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", "\t"])))
    newline = draw(_mostly(st.sampled_from(["\n", "\r\n"]), st.just("\r"), st.just("\n\n")))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(_mostly(st.just("ascii"), st.sampled_from(ENCODINGS), st.just("ascii")))
    return text.encode(encoding, errors="replace")


def stored(draw, data: bytes) -> tuple[str, bytes]:
    """The file as plain text or gzip; rarely damaged gzip, random bytes or nothing."""
    rare = st.sampled_from(["damaged", "random", "empty"])
    how = draw(_mostly(st.sampled_from(["txt", "gz"]), rare, rare, odds=25))
    if how == "txt":
        return ".txt", data
    if how == "gz":
        return ".txt.gz", gzip.compress(data, mtime=0)
    if how == "damaged":
        return ".txt.gz", draw(damaged(st.just(gzip.compress(data, mtime=0))))
    return ".txt", b"" if how == "empty" else draw(st.binary(max_size=200))


@st.composite
def cmapss_folders(draw) -> dict[str, bytes]:
    """train_/test_/RUL_FD001 files, mostly consistent, with every kind of damage."""
    files = {}
    test_rows = draw(table_rows())
    n_test = len({row[0] for row in test_rows})
    truth = [str(draw(st.integers(0, 300))) for _ in range(n_test)]
    truth = draw(_mostly(st.just(truth), st.just(truth[:-1]), st.just([*truth, "-1"]), odds=20))
    if truth and draw(st.integers(0, 20)) == 0:
        truth[draw(st.integers(0, len(truth) - 1))] = draw(odd_fields)
    for kind, rows in (("train", draw(table_rows())), ("test", test_rows), ("RUL", [truth])):
        rows = [[cell] for cell in rows[0]] if kind == "RUL" else rows
        suffix, data = stored(draw, layout(draw, rows))
        files[f"{kind}_FD001{suffix}"] = data
    return files


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


@st.composite
def spiked_tables(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ids, plain readings (two decimals, |x| <= 1000) and the same with a few spikes.

    Readings this tame (below the 1e6 floor) are never absurd, so the spikes are
    exactly the cells the readers must flag.
    """
    lengths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    units = np.repeat(np.arange(1, len(lengths) + 1), lengths)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    clean = rng.integers(-100_000, 100_001, (len(units), len(READINGS))) / 100
    spiked = clean.copy()
    values = st.sampled_from([*SPIKES, -5e12, 1e300])
    cells = st.tuples(st.integers(0, len(units) - 1), st.integers(0, len(READINGS) - 1), values)
    for i, j, value in draw(st.lists(cells, max_size=8)):
        spiked[i, j] = value
    return units, clean, spiked


def expected_repair(units, clean, spiked, medians=None) -> np.ndarray:
    """Each spike takes the unit's nearest earlier plain reading, else the next one, else the
    column median (``medians``, else the file's plain cells, else 0)."""
    out = spiked.copy()
    bad = clean != spiked
    for i, j in zip(*np.nonzero(bad), strict=True):
        same = np.flatnonzero((units == units[i]) & ~bad[:, j])
        earlier, later = same[same < i], same[same > i]
        if len(earlier) or len(later):
            out[i, j] = clean[earlier[-1] if len(earlier) else later[0], j]
        elif medians is not None:
            out[i, j] = medians[j]
        else:
            out[i, j] = np.median(clean[~bad[:, j], j]) if (~bad[:, j]).any() else 0.0
    return out


def check_spike_warnings(fleet: Fleet, clean, spiked, file: Path, lines: np.ndarray) -> None:
    """One warning per spiked column, at the spike first met in the file."""
    bad = clean != spiked
    found = {w.column: w for w in fleet.warnings if "absurd" in w.problem}
    assert set(found) == {READINGS[j] for j in np.flatnonzero(bad.any(axis=0))}
    for j in np.flatnonzero(bad.any(axis=0)):
        warning = found[READINGS[j]]
        assert (Path(str(warning.file)).name, warning.row) == (file.name, lines[bad[:, j]].min())
        assert REPLACED in str(warning) and f"{int(bad[:, j].sum())} absurd" in str(warning)


def cmapss_text(units, values) -> str:
    cycles = [int((units[: i + 1] == u).sum()) for i, u in enumerate(units)]
    return "".join(
        f"{u} {c} " + " ".join(repr(float(x)) for x in row) + "\n"
        for u, c, row in zip(units, cycles, values, strict=True)
    )


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
