"""Fuzzing the CSV reader: whatever the bytes, the outcome is a valid Fleet or a DataError."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.csv_source import (
    ColumnMapping,
    preview_csv,
    read_fleet_csv,
    read_truth_csv,
    validate_csv,
)
from core.data.fleet import CYCLE, UNIT, Fleet
from core.errors import DataError

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DELIMITERS = [",", ";", "\t"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
UNIT_NAMES = ["unit", "ESN", "Engine ID", "serial", "machineID", "unit", "tag"]
TIME_NAMES = ["cycle", "Time", "operating_hours", "t", "cycle", "speed"]
SENSOR_NAMES = {"s1", "T24", "°C", ""}
EXTRA_NAMES = ["setting_1", "Mach", "comment", "Timestamp", "RUL", "s1", "T24", "°C", ""]
ODD_CELLS = [
    "", " ", "NA", "nan", "NaN", "inf", "-inf", "1e400", "1e13", "-1e300", " 5 ", "1,5",
    "abc", '"', '"a,b"', "'", "0x1F", "1_000", "True", "99999999999999999999999", "é°",
]  # fmt: skip

text_cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(',;\t"'),
    max_size=6,
)
number_cells = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e4, 1e4).map(lambda x: f"{x:.3f}"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _mostly(common, rare, rarer, odds: int = 40):
    """``common`` nearly always, so that some tables survive to be checked as fleets."""
    return st.integers(0, odds).flatmap(lambda k: rarer if k == 0 else rare if k == 1 else common)


cells = _mostly(number_cells, st.sampled_from(ODD_CELLS), text_cells)


@st.composite
def messy_tables(draw) -> tuple[bytes, list[str]]:
    """A header of plausible names, rows of mostly numbers, with every kind of damage."""
    unit, time = draw(st.sampled_from(UNIT_NAMES)), draw(st.sampled_from(TIME_NAMES))
    extras = draw(st.lists(st.sampled_from(EXTRA_NAMES), min_size=1, max_size=4, unique=True))
    extras = extras if set(extras) & SENSOR_NAMES else [*extras, "s2"]
    if draw(st.integers(0, 20)) == 0:
        extras.append(draw(st.sampled_from([unit, time, *extras])))  # a duplicate name
    names = draw(st.permutations([unit, time, *extras]))
    unit_at, time_at = names.index(unit), names.index(time)
    rows = []
    clocks: dict[str, int] = {}
    for _ in range(draw(st.integers(0, 10))):
        row = [draw(cells) for _ in names]
        unit_id = draw(_mostly(st.sampled_from(["1", "2", "ESN-7", " 3 "]), st.just(""), cells))
        clocks[unit_id] = clocks.get(unit_id, 0) + draw(
            _mostly(st.just(1), st.just(0), st.just(-1))
        )
        row[unit_at], row[time_at] = unit_id, str(clocks[unit_id])
        if draw(st.integers(0, 30)) == 0:
            row = row[:-1] if draw(st.booleans()) else [*row, draw(cells)]
        rows.append(row)
    return _encode(draw, names, rows), names


def _encode(draw, names: list[str], rows: list[list[str]]) -> bytes:
    delimiter = draw(st.sampled_from(DELIMITERS))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [delimiter.join(names)] + [delimiter.join(row) for row in rows]
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 2]))
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def damaged(draw, source) -> bytes:
    """``source`` bytes with a few bytes overwritten, inserted or cut."""
    data = bytearray(draw(source))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        byte = draw(st.integers(0, 255))
        action = draw(st.sampled_from(["insert", "replace", "cut"]))
        if action == "insert" or at == len(data):
            data.insert(at, byte)
        elif action == "replace":
            data[at] = byte
        else:
            del data[at:]
    return bytes(data)


def check_fleet(fleet: Fleet) -> None:
    """The invariants every data source promises."""
    frame = fleet.frame
    assert list(frame.columns) == [UNIT, CYCLE, *fleet.setting_columns, *fleet.sensor_columns]
    assert len(frame) > 0 and fleet.sensor_columns
    assert isinstance(frame.index, pd.RangeIndex)
    values = frame[fleet.setting_columns + fleet.sensor_columns]
    assert all(dtype == np.float64 for dtype in values.dtypes)
    assert np.isfinite(values.to_numpy()).all()
    cycles = frame[CYCLE].to_numpy()
    assert np.isfinite(cycles.astype(np.float64)).all()
    codes = pd.factorize(frame[UNIT])[0]
    assert (codes >= 0).all() and (np.diff(codes) >= 0).all()  # one block per unit
    same_unit = codes[1:] == codes[:-1]
    assert (np.diff(cycles)[same_unit] > 0).all()


def outcome(path, **kwargs) -> Fleet | DataError:
    """Read ``path``; only a Fleet or a DataError may come out, and the other entry
    points must agree without raising."""
    try:
        result: Fleet | DataError = read_fleet_csv(path, **kwargs)
        check_fleet(result)
    except DataError as exc:
        assert str(exc)
        result = exc
    report = validate_csv(path, **kwargs)
    assert report.ok == isinstance(result, Fleet)
    preview = preview_csv(path)
    assert preview.problem is None or isinstance(preview.problem, DataError)
    return result


@FUZZ
@given(table=messy_tables(), choice=st.data())
def test_messy_tables(tmp_path, table, choice):
    data, names = table
    path = tmp_path / "messy.csv"
    path.write_bytes(data)
    outcome(path)
    picked = choice.draw(st.lists(st.sampled_from(names), min_size=2, max_size=4, unique=True))
    mapping = ColumnMapping(unit=picked[0], time=picked[1], ignore=tuple(picked[2:]))
    outcome(path, mapping=mapping, run_to_failure=False)


@FUZZ
@given(data=damaged(messy_tables().map(lambda table: table[0])))
def test_damaged_bytes(tmp_path, data):
    path = tmp_path / "damaged.csv"
    path.write_bytes(data)
    outcome(path)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path, data):
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    outcome(path)
    truth_outcome(path)


rul_cells = _mostly(
    st.one_of(st.integers(0, 300).map(str), st.floats(0, 300).map(repr)),
    st.sampled_from([*ODD_CELLS, "-1", "1 2"]),
    text_cells,
    odds=8,
)


@st.composite
def truth_files(draw) -> bytes:
    """Truth files for units 1 and 2, keyed by unit or in fleet order, sometimes wrong."""
    units = draw(st.permutations(["1", "2"]))
    units = draw(_mostly(st.just(units), st.just([*units, "3"]), st.just(units[:1]), odds=6))
    if draw(st.booleans()):
        delimiter = draw(st.sampled_from(DELIMITERS))
        lines = [f"unit{delimiter}rul"] + [f"{u}{delimiter}{draw(rul_cells)}" for u in units]
    else:
        lines = draw(st.sampled_from([[], ["RUL"]])) + [draw(rul_cells) for _ in units]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


def truth_outcome(path) -> None:
    """A truth file gives finite, non-negative RUL for exactly the fleet's units, or a DataError."""
    fleet = Fleet("two units", pd.DataFrame({UNIT: [1, 2], CYCLE: [1, 1], "s": [0.0, 0.0]}), ["s"])
    try:
        truth = read_truth_csv(path, fleet)
    except DataError as exc:
        assert str(exc)
        return
    assert truth.index.tolist() == [1, 2] and truth.dtype == np.float64
    assert np.isfinite(truth).all() and (truth >= 0).all()


@FUZZ
@given(data=st.one_of(truth_files(), damaged(truth_files())))
def test_truth_files(tmp_path, data):
    path = tmp_path / "truth.csv"
    path.write_bytes(data)
    truth_outcome(path)


@st.composite
def clean_tables(draw) -> tuple[bytes, pd.DataFrame]:
    """A valid log in a random dialect, and the canonical frame it must read as."""
    n_units = draw(st.integers(1, 4))
    text_ids = draw(st.booleans())
    ids = [f"ESN-{i:04d}" if text_ids else i + 1 for i in range(n_units)]
    lengths = draw(st.lists(st.integers(1, 6), min_size=n_units, max_size=n_units))
    owner = draw(st.permutations([u for u, n in zip(ids, lengths, strict=True) for _ in range(n)]))
    finite = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
    rows, seen = [], dict.fromkeys(ids, 0)
    for unit in owner:
        seen[unit] += draw(st.integers(1, 3))
        rows.append([unit, seen[unit], draw(finite), draw(finite), draw(finite)])
    expected = pd.DataFrame(rows, columns=[UNIT, CYCLE, "setting_1", "s1", "s2"])
    order = pd.factorize(expected[UNIT])[0].argsort(kind="stable")
    expected = expected.iloc[order].reset_index(drop=True)
    names = draw(st.permutations(["unit", "cycle", "setting_1", "s1", "s2"]))
    return _write_clean(draw, names, rows), expected


def _write_clean(draw, names: list[str], rows: list[list]) -> bytes:
    delimiter = draw(st.sampled_from(DELIMITERS))
    comma = delimiter != "," and draw(st.booleans())
    position = {name: i for i, name in enumerate(["unit", "cycle", "setting_1", "s1", "s2"])}

    def cell(value) -> str:
        text = repr(value) if isinstance(value, float) else str(value)
        return text.replace(".", ",") if comma and isinstance(value, float) else text

    lines = [delimiter.join(names)]
    lines += [delimiter.join(cell(row[position[name]]) for name in names) for row in rows]
    return "\n".join(lines).encode(draw(st.sampled_from(ENCODINGS)))


@FUZZ
@given(table=clean_tables())
def test_clean_tables_read_back_exactly(tmp_path, table):
    data, expected = table
    path = tmp_path / "clean.csv"
    path.write_bytes(data)
    fleet = read_fleet_csv(path)
    check_fleet(fleet)
    assert fleet.setting_columns == ["setting_1"]
    assert fleet.frame[UNIT].tolist() == expected[UNIT].tolist()
    assert fleet.frame[CYCLE].tolist() == expected[CYCLE].tolist()
    for name in ["setting_1", "s1", "s2"]:
        np.testing.assert_allclose(fleet.frame[name], expected[name], rtol=1e-14, atol=0)
