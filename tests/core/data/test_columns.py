"""A CSV without a cycle column: the other roles survive, and cycles can come from row order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.common.errors import DataError
from core.data.columns import ROW_ORDER, ColumnMapping
from core.data.csv_source import preview_csv, read_fleet_csv
from core.data.demo import DemoConfig, make_demo_fleet
from core.data.sources import SourceSpec, load_source

TRAIN = make_demo_fleet(DemoConfig(train_units=4, test_units=2)).train.frame
SETTINGS = ["setting_1", "setting_2", "setting_3"]


@pytest.fixture
def no_cycle(tmp_path: Path) -> Path:
    """Serial-number units, settings and sensors, rows of two units interleaved, no cycle."""
    frame = TRAIN.drop(columns=["cycle"]).rename(columns={"unit": "ESN"})
    frame["ESN"] = [f"ESN-700{u:02d}" for u in TRAIN["unit"]]
    frame = frame.iloc[np.argsort(TRAIN.groupby("unit").cumcount(), kind="stable")]
    path = tmp_path / "no_cycle.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_file_without_a_cycle_column_keeps_its_unit_and_settings(no_cycle):
    preview = preview_csv(no_cycle)
    assert preview.mapping is not None
    assert preview.mapping.unit == "ESN" and preview.mapping.time is None
    assert preview.mapping.settings == tuple(SETTINGS)
    assert "s2" in (preview.mapping.sensors or ())
    assert preview.problem is not None
    assert preview.problem.problem == "no time/cycle column found"
    assert preview.problem.row == 1 and str(no_cycle) == preview.problem.file
    assert ROW_ORDER in (preview.problem.hint or "")


def test_without_a_choice_the_reader_still_refuses_it(no_cycle):
    with pytest.raises(DataError, match="no time/cycle column found"):
        read_fleet_csv(no_cycle)


def test_row_order_numbers_each_units_rows_in_file_order(no_cycle):
    fleet = read_fleet_csv(no_cycle, ColumnMapping(time=ROW_ORDER))
    lengths = TRAIN.groupby("unit").size().to_numpy()
    np.testing.assert_array_equal(fleet.unit_lengths(), lengths)
    expected = np.concatenate([np.arange(1, n + 1) for n in lengths])
    np.testing.assert_array_equal(fleet.frame["cycle"], expected)
    np.testing.assert_allclose(fleet.frame["s2"], TRAIN["s2"])  # rows back in unit order
    assert fleet.setting_columns == SETTINGS


def test_row_order_is_a_source_setting_a_run_repeats(no_cycle):
    spec = SourceSpec.from_dict(
        SourceSpec(kind="csv", path=str(no_cycle), time_col=ROW_ORDER).to_dict()
    )
    assert spec.time_col == ROW_ORDER
    assert load_source(spec).train.n_units == 4


def test_a_column_named_like_the_choice_is_not_needed(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"unit": [1, 1, 2], "s1": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    fleet = read_fleet_csv(path, ColumnMapping(time=f" {ROW_ORDER} "))
    assert fleet.frame["cycle"].tolist() == [1, 2, 1]
