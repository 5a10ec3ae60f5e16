"""Fuzzing the CSV reader: whatever the bytes, the outcome is a valid Fleet or a DataError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.common.errors import DataError
from core.data.csv_source import (
    ColumnMapping,
    preview_csv,
    read_fleet_csv,
    read_truth_csv,
    validate_csv,
)
from core.data.fleet import CYCLE, UNIT, Fleet
from tests.helpers.csv_tables import (
    DELIMITERS,
    ENCODINGS,
    ODD_CELLS,
    check_fleet,
    damaged,
    messy_tables,
    mostly,
    text_cells,
)

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


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


@pytest.mark.slow
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


@pytest.mark.slow
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


rul_cells = mostly(
    st.one_of(st.integers(0, 300).map(str), st.floats(0, 300).map(repr)),
    st.sampled_from([*ODD_CELLS, "-1", "1 2"]),
    text_cells,
    odds=8,
)


@st.composite
def truth_files(draw) -> bytes:
    """Truth files for units 1 and 2, keyed by unit or in fleet order, sometimes wrong."""
    units = draw(st.permutations(["1", "2"]))
    units = draw(mostly(st.just(units), st.just([*units, "3"]), st.just(units[:1]), odds=6))
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


@pytest.mark.slow
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
