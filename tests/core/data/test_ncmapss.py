"""N-CMAPSS reader, on small files written in the published HDF5 layout."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from core.common.errors import DataError
from core.data.ncmapss import load_ncmapss

h5py = pytest.importorskip("h5py")

W_NAMES = ["alt", "Mach", "TRA", "T2"]
XS_NAMES = ["T24", "T30", "T48", "T50", "P15", "P2", "P21", "P24", "Ps30", "P40", "P50", "Nf"]
XS_NAMES += ["Nc", "Wf"]
XV_NAMES = ["T40", "P30", "P45", "W21", "W22", "W25", "W31", "W32", "W48", "W50", "SmFan"]
XV_NAMES += ["SmLPC", "SmHPC", "phi"]
T_NAMES = [f"{part}_{kind}_mod" for part in ("fan", "LPC", "HPC", "HPT", "LPT") for kind in "ef"]
A_NAMES = ["unit", "cycle", "Fc", "hs"]
NAMES = {"W": W_NAMES, "X_s": XS_NAMES, "X_v": XV_NAMES, "T": T_NAMES, "A": A_NAMES}
#: rows per cycle of each unit: dev units 2 and 5, test units 11 and 14 (3-5 rows per cycle)
DEV = {2: [3, 4, 5], 5: [4, 3, 3, 5]}
TEST = {11: [5, 3], 14: [3, 4, 4]}


def _split(units: dict[int, list[int]], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Rows of one split: per-second readings; RUL = cycles left + unit id (tells units apart)."""
    aux, rul = [], []
    for unit, lengths in units.items():
        for cycle, rows in enumerate(lengths, start=1):
            aux += [[unit, cycle, 1 + unit % 3, float(cycle < 2)]] * rows
            rul += [len(lengths) - cycle + unit] * rows
    n = len(aux)
    data = {g: rng.normal(size=(n, len(NAMES[g]))) for g in ("W", "X_s", "X_v", "T")}
    data["Y"] = np.array(rul, dtype=np.float64)[:, None]
    data["A"] = np.array(aux, dtype=np.float64)
    return data


def _datasets(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    found = {f"{g}_var": np.array([n.encode() for n in names]) for g, names in NAMES.items()}
    for split, units in (("dev", DEV), ("test", TEST)):
        found.update({f"{g}_{split}": v for g, v in _split(units, rng).items()})
    return found


def _write(path, datasets: dict[str, np.ndarray]):
    with h5py.File(path, "w") as hdf:
        for name, values in datasets.items():
            hdf.create_dataset(name, data=values)
    return path


@pytest.fixture
def datasets():
    return _datasets()


@pytest.fixture
def h5(tmp_path, datasets):
    return _write(tmp_path / "N-CMAPSS_DS99.h5", datasets)


def _expected(datasets, split: str, rule: str, groups=("W", "X_s")) -> pd.DataFrame:
    """The reduction done the plain way: the whole split in pandas, one groupby."""
    aux = datasets[f"A_{split}"]
    names = [n for g in groups for n in NAMES[g]]
    values = np.hstack([datasets[f"{g}_{split}"] for g in groups])
    frame = pd.DataFrame(values, columns=names)
    frame.insert(0, "cycle", aux[:, 1].astype(np.int64))
    frame.insert(0, "unit", aux[:, 0].astype(np.int64))
    grouped = frame.groupby(["unit", "cycle"], sort=False)
    return (grouped.mean() if rule == "mean" else grouped.last()).reset_index()


# --------------------------------------------------------------- the reduction
def test_mean_and_last_of_a_cycle_by_hand(tmp_path, datasets):
    datasets["W_dev"][:3, 0] = [1.0, 2.0, 6.0]  # unit 2, cycle 1 has 3 rows
    datasets["X_s_dev"][3:7, 13] = [10.0, 20.0, 30.0, -4.0]  # unit 2, cycle 2 has 4 rows
    path = _write(tmp_path / "f.h5", datasets)
    mean = load_ncmapss(path, per_cycle="mean").train.frame
    last = load_ncmapss(path, per_cycle="last").train.frame
    assert mean.loc[0, "alt"] == 3.0 and last.loc[0, "alt"] == 6.0
    assert mean.loc[1, "Wf"] == 14.0 and last.loc[1, "Wf"] == -4.0


@pytest.mark.parametrize("rule", ["mean", "last"])
def test_one_row_per_cycle_equals_a_plain_groupby(h5, datasets, rule):
    pair = load_ncmapss(h5, per_cycle=rule)
    for fleet, split in ((pair.train, "dev"), (pair.test, "test")):
        pd.testing.assert_frame_equal(fleet.frame, _expected(datasets, split, rule))


@pytest.mark.parametrize("rule", ["mean", "last"])
@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 7])
def test_groups_split_across_blocks_reduce_as_in_one_block(h5, rule, chunk_rows):
    """Every cycle has 3-5 rows, so with blocks of 2, 4 or 7 rows many straddle a boundary."""
    whole = load_ncmapss(h5, per_cycle=rule, chunk_rows=10**6)
    pieces = load_ncmapss(h5, per_cycle=rule, chunk_rows=chunk_rows)
    for a, b in ((whole.train, pieces.train), (whole.test, pieces.test)):
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=False, rtol=1e-12)
    pd.testing.assert_series_equal(whole.test.truth_rul, pieces.test.truth_rul)


def test_fleets_in_the_canonical_layout(h5):
    pair = load_ncmapss(h5)
    assert pair.source == f"ncmapss:{h5}"
    assert pair.sensors is None and pair.conditions is None
    assert pair.train.run_to_failure and not pair.test.run_to_failure
    assert pair.train.truth_rul is None
    for fleet in (pair.train, pair.test):
        assert list(fleet.frame.columns) == ["unit", "cycle", *W_NAMES, *XS_NAMES]
        assert fleet.setting_columns == W_NAMES and fleet.sensor_columns == XS_NAMES
        assert fleet.frame["unit"].dtype == np.int64 and fleet.frame["cycle"].dtype == np.int64
    assert pair.train.unit_ids == [2, 5] and pair.test.unit_ids == [11, 14]
    assert pair.train.unit_lengths().tolist() == [3, 4]


def test_test_truth_is_y_at_each_units_last_row(h5, datasets):
    truth = load_ncmapss(h5).test.truth_rul
    assert truth.index.tolist() == [11, 14] and truth.index.dtype == np.int64
    assert truth.index.name == "unit"
    ends = np.cumsum([sum(rows) for rows in TEST.values()]) - 1
    assert truth.tolist() == datasets["Y_test"][ends, 0].tolist() == [11.0, 14.0]


def test_rul_stored_as_a_vector_reads_the_same(tmp_path, datasets):
    datasets["Y_test"] = datasets["Y_test"][:, 0]
    truth = load_ncmapss(_write(tmp_path / "f.h5", datasets)).test.truth_rul
    assert truth.tolist() == [11.0, 14.0]


def test_virtual_sensors_only_when_asked(h5, datasets):
    plain = load_ncmapss(h5)
    virtual = load_ncmapss(h5, include_virtual=True)
    assert not set(XV_NAMES) & set(plain.train.frame.columns)
    assert virtual.train.sensor_columns == XS_NAMES + XV_NAMES
    assert virtual.test.sensor_columns == XS_NAMES + XV_NAMES
    expected = _expected(datasets, "test", "mean", ("W", "X_s", "X_v"))
    pd.testing.assert_frame_equal(virtual.test.frame, expected)


def test_health_parameters_are_never_read(tmp_path, datasets):
    """T is the degradation itself: not a column, and the reader never even opens it."""
    del datasets["T_dev"], datasets["T_var"]
    datasets["T_test"] = np.zeros((2, 3))  # wrong shape: any read or check would fail
    pair = load_ncmapss(_write(tmp_path / "f.h5", datasets), include_virtual=True)
    for fleet in (pair.train, pair.test):
        assert not set(T_NAMES) & set(fleet.frame.columns)
        assert not {"Fc", "hs"} & set(fleet.frame.columns)


# ---------------------------------------------------------------------- errors
def _error(path, **options) -> DataError:
    with pytest.raises(DataError) as caught:
        load_ncmapss(path, **options)
    assert str(path) in str(caught.value)
    return caught.value


def test_not_an_hdf5_file(tmp_path):
    path = tmp_path / "N-CMAPSS_DS01-005.h5"
    path.write_text("unit,cycle\n1,1\n")
    err = _error(path)
    assert "not an HDF5 file" in err.problem and err.hint


def test_missing_file(tmp_path):
    assert "not found" in _error(tmp_path / "absent.h5").problem


@pytest.mark.parametrize("name", ["X_s_test", "A_dev", "Y_dev", "W_var", "A_var"])
def test_missing_dataset_is_named(tmp_path, datasets, name):
    del datasets[name]
    err = _error(_write(tmp_path / "f.h5", datasets))
    assert err.column == name and "missing" in err.problem and err.hint
    assert f"column '{name}'" in str(err)


def test_missing_virtual_names_only_matter_when_asked(tmp_path, datasets):
    del datasets["X_v_var"], datasets["X_v_dev"]
    path = _write(tmp_path / "f.h5", datasets)
    assert load_ncmapss(path).train.n_rows == 7
    assert _error(path, include_virtual=True).column == "X_v_var"


@pytest.mark.parametrize("name", ["W_dev", "X_s_test", "Y_test"])
def test_datasets_of_different_lengths(tmp_path, datasets, name):
    datasets[name] = datasets[name][:-1]
    err = _error(_write(tmp_path / "f.h5", datasets))
    assert err.column == name and "rows but A_" in err.problem and err.hint


def test_columns_must_match_the_names(tmp_path, datasets):
    datasets["X_s_dev"] = datasets["X_s_dev"][:, :-1]
    err = _error(_write(tmp_path / "f.h5", datasets))
    assert err.column == "X_s_dev" and "14 column" in err.problem


@pytest.mark.parametrize("chunk_rows", [10**6, 5, 1])
def test_cycle_going_back_within_a_unit(tmp_path, datasets, chunk_rows):
    """Row 10 of A_dev (unit 2, cycle 3) says cycle 1: found wherever the blocks end."""
    datasets["A_dev"][9, 1] = 1
    err = _error(_write(tmp_path / "f.h5", datasets), chunk_rows=chunk_rows)
    assert err.column == "A_dev" and err.row == 10 and "goes back" in err.problem
    assert "line 10" in str(err) and err.hint


def test_unit_appearing_again(tmp_path, datasets):
    datasets["A_test"][-3:, 0] = 11  # unit 14's last cycle labelled as unit 11
    err = _error(_write(tmp_path / "f.h5", datasets), chunk_rows=2)
    assert err.column == "A_test" and "again" in err.problem
    assert err.row == len(datasets["A_test"]) - 2


def test_fractional_unit_id(tmp_path, datasets):
    datasets["A_dev"][4, 0] = 2.5
    err = _error(_write(tmp_path / "f.h5", datasets))
    assert err.column == "A_dev" and err.row == 5 and "whole number" in err.problem


def test_unknown_rule(h5):
    err = _error(h5, per_cycle="median")
    assert "median" in err.problem and "mean" in err.hint


def test_bad_chunk_rows(h5):
    assert "chunk_rows" in _error(h5, chunk_rows=0).problem


def test_without_h5py(h5, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    err = _error(h5)
    assert "h5py" in err.problem and err.hint == "pip install h5py"


def test_the_ncmapss_source_trains_through_the_protocol(h5):
    from core.data.prepare import prepare
    from core.data.sources import SourceSpec, load_source

    spec = SourceSpec.parse(f"ncmapss:{h5}", per_cycle="last")
    assert SourceSpec.from_dict(spec.to_dict()) == spec and spec.label == f"ncmapss:{h5}"
    pair = load_source(spec)
    assert not pair.train.frame.duplicated(["unit", "cycle"]).any()
    assert pair.test is not None and pair.test.truth_rul is not None
    data = prepare(pair)
    assert len(data.train) > 0 and data.test is not None
