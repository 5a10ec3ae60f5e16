"""Hypothesis strategies for messy and damaged CSV files, and the Fleet invariants.

Shared by the CSV fuzz tests and the reliability tests (bad data, C-MAPSS
reference files); a plain module, so no test module imports another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from core.data.fleet import CYCLE, UNIT, Fleet

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


def mostly(common, rare, rarer, odds: int = 40):
    """``common`` nearly always, so that some tables survive to be checked as fleets."""
    return st.integers(0, odds).flatmap(lambda k: rarer if k == 0 else rare if k == 1 else common)


cells = mostly(number_cells, st.sampled_from(ODD_CELLS), text_cells)


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
        unit_id = draw(mostly(st.sampled_from(["1", "2", "ESN-7", " 3 "]), st.just(""), cells))
        clocks[unit_id] = clocks.get(unit_id, 0) + draw(mostly(st.just(1), st.just(0), st.just(-1)))
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
