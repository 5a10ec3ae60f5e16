"""C-MAPSS reader and the protocol on the real data (skipped without the data)."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pytest

from core.common.errors import DataError
from core.data.cmapss import load_cmapss
from core.data.prepare import prepare

PUBLISHED = {  # subset: (train rows, train units, test rows, test units)
    "FD001": (20631, 100, 13096, 100),
    "FD002": (53759, 260, 33991, 259),
    "FD003": (24720, 100, 16596, 100),
    "FD004": (61249, 249, 41214, 248),
}


@pytest.mark.parametrize("subset", sorted(PUBLISHED))
def test_subsets_load_with_published_counts(cmapss, subset):
    pair = load_cmapss(subset, cmapss)
    rows, units, test_rows, test_units = PUBLISHED[subset]
    assert (pair.train.n_rows, pair.train.n_units) == (rows, units)
    assert (pair.test.n_rows, pair.test.n_units) == (test_rows, test_units)
    assert len(pair.test.truth_rul) == test_units
    assert pair.train.run_to_failure and not pair.test.run_to_failure


def test_fd001_protocol_figures(cmapss):
    data = prepare(load_cmapss("FD001", cmapss))
    assert data.train.n_units == 80 and data.val.n_units == 20
    # one window per cycle from the 40th: 20631 rows - 100 units x 39 (17731 at the book's 30)
    assert len(data.train) + len(data.val) == 16731
    assert len(data.test_last) == 100
    assert data.n_features == 14
    assert set(data.train.unit_ids).isdisjoint(data.val.unit_ids)


def test_fd002_six_conditions_recovered_exactly(cmapss):
    pair = load_cmapss("FD002", cmapss)
    data = prepare(pair)
    clusters = data.pipeline.conditions.assign(pair.train)
    rounded = [tuple(r) for r in pair.train.frame[pair.train.setting_columns].round(0).to_numpy()]
    pairs = set(zip(clusters.tolist(), rounded, strict=True))
    assert len({c for c, _ in pairs}) == 6
    assert len(pairs) == 6, "each cluster must map to exactly one rounded setting triple"


def test_fd002_short_test_units_are_padded(cmapss):
    data = prepare(load_cmapss("FD002", cmapss))
    assert len(data.test_last) == 259
    lengths = load_cmapss("FD002", cmapss).test.unit_lengths()
    assert (lengths < 40).sum() == 12  # 6 at the book's 30
    assert any("12 unit(s) shorter" in str(w) for w in data.warnings)
    short = int(np.flatnonzero(lengths < 40)[0])
    window = data.test_last.view(short)
    assert window.shape == (40, 14)
    pad = 40 - lengths[short]
    assert np.all(window[:pad] == window[pad]), "front padding repeats the first row"


def test_test_labels_follow_truth(cmapss):
    pair = load_cmapss("FD001", cmapss)
    data = prepare(pair)
    truth = pair.test.truth_rul.to_numpy()
    assert np.allclose(data.test_last.rul_uncapped, truth)
    assert np.allclose(data.test_last.rul, np.minimum(truth, 125))


def _write_subset(folder, cmapss, subset="FD001", compress=False):
    for kind in ("train", "test", "RUL"):
        raw = gzip.decompress((cmapss / f"{kind}_{subset}.txt.gz").read_bytes())
        name = f"{kind}_{subset}.txt"
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)


def test_plain_text_folder_loads(cmapss, tmp_path):
    _write_subset(tmp_path, cmapss)
    assert load_cmapss("fd001", tmp_path).train.n_rows == 20631


def test_nasa_zip_with_inner_zip_loads(cmapss, tmp_path):
    _write_subset(tmp_path, cmapss)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for path in tmp_path.glob("*.txt"):
            archive.write(path, f"CMAPSSData/{path.name}")
    outer = tmp_path / "download.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr(
            "6. Turbofan Engine Degradation Simulation Data Set/CMAPSSData.zip", inner.getvalue()
        )
    pair = load_cmapss("FD001", outer)
    assert pair.test.n_units == 100


def test_missing_subset_file_is_named(cmapss, tmp_path):
    _write_subset(tmp_path, cmapss)
    (tmp_path / "RUL_FD001.txt").unlink()
    with pytest.raises(DataError, match=r"RUL_FD001\.txt"):
        load_cmapss("FD001", tmp_path)


def test_wrong_column_count_names_line(cmapss, tmp_path):
    _write_subset(tmp_path, cmapss)
    path = tmp_path / "train_FD001.txt"
    lines = path.read_text().splitlines()
    lines[4] = lines[4] + " 1.0"
    path.write_text("\n".join(lines))
    with pytest.raises(DataError) as info:
        load_cmapss("FD001", tmp_path)
    assert info.value.row == 5 and "27" in str(info.value)


def test_text_in_numeric_field_names_line_and_column(cmapss, tmp_path):
    _write_subset(tmp_path, cmapss)
    path = tmp_path / "test_FD001.txt"
    lines = path.read_text().splitlines()
    fields = lines[9].split()
    fields[7] = "n/a"
    lines[9] = " ".join(fields)
    path.write_text("\n".join(lines))
    with pytest.raises(DataError) as info:
        load_cmapss("FD001", tmp_path)
    assert (info.value.row, info.value.column) == (10, "s3")


def test_truth_count_mismatch(cmapss, tmp_path):
    _write_subset(tmp_path, cmapss)
    path = tmp_path / "RUL_FD001.txt"
    path.write_text("\n".join(path.read_text().splitlines()[:-3]))
    with pytest.raises(DataError, match="97 RUL values for 100 test units"):
        load_cmapss("FD001", tmp_path)


def test_unknown_subset_and_missing_location(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="unknown C-MAPSS subset"):
        load_cmapss("FD009", tmp_path)
    monkeypatch.delenv("RUL_WORKBENCH_CMAPSS", raising=False)
    with pytest.raises(DataError, match="RUL_WORKBENCH_CMAPSS"):
        load_cmapss("FD001")
    with pytest.raises(DataError, match="not found"):
        load_cmapss("FD001", tmp_path / "nowhere")
